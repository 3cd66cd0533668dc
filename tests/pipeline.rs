//! End-to-end tests of the library pipeline on the repository's policy sets.
#![allow(clippy::unwrap_used)]

mod common;

use polc::diag::{Code, Severity};
use polc::host::MemoryHost;
use polc::schema::Schema;
use polc::source::SourceSet;

#[test]
fn policies_check_clean() {
    let (sources, c) = common::compile_dir(&common::root().join("policies"), "policies");
    let text = polc::render::human(&sources, &c.diagnostics, false);
    assert!(
        c.diagnostics.iter().all(|d| d.severity == Severity::Info),
        "policies/ must check clean:\n{text}"
    );
    // 3 regions + 3×3 generated region-group profiles.
    let concrete: Vec<&str> = c
        .resolved
        .profiles
        .iter()
        .filter(|p| !p.is_abstract)
        .map(|p| &*p.name)
        .collect();
    assert_eq!(concrete.len(), 12, "{concrete:?}");
}

#[test]
fn examples_without_mistakes_have_no_errors() {
    let mut dirs: Vec<_> = std::fs::read_dir(common::root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 8);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (sources, c) = common::compile_dir(&dir, &format!("examples/{name}"));
        let text = polc::render::human(&sources, &c.diagnostics, false);
        if name == "mistakes" {
            assert!(c.has_errors(), "examples/mistakes must have errors");
        } else {
            assert!(!c.has_errors(), "examples/{name} has errors:\n{text}");
        }
    }
}

/// The same files given in reverse order produce identical diagnostics and
/// identical effective configurations.
#[test]
fn file_order_does_not_matter() {
    for dir in ["policies", "examples/mistakes"] {
        let (files, host) = common::load_dir(&common::root().join(dir));
        let schema = Schema::builtin();
        let forward = SourceSet::from_tree(dir, files.clone());
        let mut reversed_files = files;
        reversed_files.reverse();
        let reversed = SourceSet::from_tree(dir, reversed_files);
        let a = polc::compile(&forward, &schema, &host);
        let b = polc::compile(&reversed, &schema, &host);
        assert_eq!(
            polc::render::json(&forward, &a.diagnostics),
            polc::render::json(&reversed, &b.diagnostics)
        );
        for id in a.resolved.ids() {
            let name = &a.resolved.profile(id).name;
            let other = b.resolved.find(name).unwrap();
            assert_eq!(
                polc::inspect::show_json(&a.resolved, id, &schema),
                polc::inspect::show_json(&b.resolved, other, &schema)
            );
            assert_eq!(
                polc::inspect::show_text(&a.resolved, id, &schema, &forward),
                polc::inspect::show_text(&b.resolved, other, &schema, &reversed)
            );
        }
    }
}

/// A file full of mistakes: every one is reported in one run.
#[test]
fn check_reports_all_errors_in_a_file() {
    let src = r#"
abstract profile base {
  inferenceProvider = "vertx"
  autoUpdaterEnforcementHours = 96
  inferenceGatewayBaseURL = "https://llm.example"
  disableAutoUpdates = "false"
  deploymentOrganizationUuid = "not-a-uuid"
  banner = { enabled = true, text = "x", backgroundColor = "red" }
  otlpEndpoint = "https://user:pw@otel.example"
  managedMcpServers = [
    { name = "jira", transport = "http", url = "https://a.example" },
    { name = "jira", transport = "http", url = "https://b.example" },
  ]
}
profile us extends bsae {}
profile lone {}
"#;
    let sources = SourceSet::new(vec![("many.policy".into(), src.as_bytes().to_vec())]);
    let c = polc::compile(&sources, &Schema::builtin(), &MemoryHost::default());
    let codes: Vec<Code> = c.diagnostics.iter().map(|d| d.code).collect();
    for expected in [
        Code::InvalidEnumValue,
        Code::OutOfRange,
        Code::UnknownKey,
        Code::TypeMismatch,
        Code::InvalidFormat,
        Code::CredentialsInUrl,
        Code::DuplicateIdentity,
        Code::UnknownParent,
        Code::MissingIdentifier,
    ] {
        assert!(
            codes.contains(&expected),
            "{expected:?} missing from {codes:?}"
        );
    }
    // Two bad formats: the UUID and the colour.
    assert_eq!(
        codes.iter().filter(|c| **c == Code::InvalidFormat).count(),
        2
    );
}

/// Inheritance, multiple parents, `+=`, `-=`, `unset` and `${profile}`:
/// exact effective values.
#[test]
fn replay_semantics() {
    let src = r#"
abstract profile base {
  disabledBuiltinTools = ["WebSearch"]
  inferenceCustomHeaders = { "X-A" = "1", "X-B" = "2" }
  managedMcpServers = [
    { name = "jira", transport = "http", url = "https://mcp.example/jira" },
    { name = "wiki", transport = "http", url = "https://mcp.example/wiki" },
  ]
  deploymentDisplayName = "Acme"
  meta { identifier = "com.acme.${profile}" }
}
abstract profile left extends base {
  disabledBuiltinTools += "WebFetch"
}
abstract profile right extends base {
  disabledBuiltinTools += ["Bash", "Edit"]
  inferenceCustomHeaders -= "X-A"
  inferenceCustomHeaders += { "X-C" = "3" }
}
profile both extends left, right {
  managedMcpServers -= "jira"
  unset deploymentDisplayName
}
"#;
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = Schema::builtin();
    let c = polc::compile(&sources, &schema, &MemoryHost::default());
    let id = c.resolved.find("both").unwrap();
    let order: Vec<&str> = c.resolved.linearization[id.index()]
        .iter()
        .map(|p| &*c.resolved.profile(*p).name)
        .collect();
    assert_eq!(order, ["base", "left", "right", "both"]);
    let json = polc::inspect::show_json(&c.resolved, id, &schema);
    assert_eq!(
        json["disabledBuiltinTools"],
        serde_json::json!(["WebSearch", "WebFetch", "Bash", "Edit"])
    );
    assert_eq!(
        json["inferenceCustomHeaders"],
        serde_json::json!({"X-B": "2", "X-C": "3"})
    );
    assert_eq!(json["managedMcpServers"][0]["name"], "wiki");
    assert_eq!(json["managedMcpServers"].as_array().unwrap().len(), 1);
    assert!(json.get("deploymentDisplayName").is_none());
    let eff = c.resolved.effective[id.index()].as_ref().unwrap();
    assert_eq!(
        eff.meta("identifier").unwrap().value.as_str(),
        Some("com.acme.both")
    );
    // Provenance: the list was set in base and appended to by left and right.
    let steps: Vec<&str> = eff
        .get("disabledBuiltinTools")
        .unwrap()
        .steps
        .iter()
        .map(|s| &*c.resolved.profile(s.profile).name)
        .collect();
    assert_eq!(steps, ["base", "left", "right"]);
}

/// Secrets never appear in any output.
#[test]
fn secrets_are_never_printed() {
    let src = r#"
profile us {
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "https://llm.us.example"
  inferenceGatewayApiKey = "sk-ant-plaintext-do-not-print"
  inferenceCustomHeaders = { "X-Env" = "ok" }
  meta { identifier = "com.acme.us" }
}
profile eu extends us {
  inferenceGatewayApiKey = env("EU_GATEWAY_KEY")
}
"#;
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = Schema::builtin();
    let mut host = MemoryHost::default();
    host.env
        .insert("EU_GATEWAY_KEY".into(), "sk-ant-env-secret-value".into());
    let c = polc::compile(&sources, &schema, &host);
    let mut all = polc::render::human(&sources, &c.diagnostics, false);
    all.push_str(&polc::render::json(&sources, &c.diagnostics));
    for name in ["us", "eu"] {
        let id = c.resolved.find(name).unwrap();
        all.push_str(&polc::inspect::show_text(
            &c.resolved,
            id,
            &schema,
            &sources,
        ));
        all.push_str(&polc::inspect::show_json(&c.resolved, id, &schema).to_string());
        all.push_str(&polc::inspect::trace_text(
            &c.resolved,
            id,
            "inferenceGatewayApiKey",
            &schema,
            &sources,
        ));
    }
    assert!(!all.contains("sk-ant-plaintext-do-not-print"), "{all}");
    assert!(!all.contains("sk-ant-env-secret-value"), "{all}");
    assert!(all.contains("<env:EU_GATEWAY_KEY>"));
    assert!(all.contains("<redacted>"));
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == Code::PlaintextSecret)
    );
}

/// Secret fields inside values (an MCP server's OAuth client secret) and
/// `env()` values inside objects are never shown by `show` or `trace`,
/// whether the value is set with `=` or an element is added with `+=`.
#[test]
fn nested_secrets_are_never_printed() {
    let src = r#"
abstract profile base {
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "https://llm.example.com"
  inferenceGatewayApiKey = env("GATEWAY_KEY")
  managedMcpServers = [{
    name = "box", transport = "http", url = "https://mcp.example.com/box",
    oauth = { clientId = "id", clientSecret = "LITERALNESTEDSECRET999", authorizationServer = ["https://account.box.com"] }
  }]
  meta { identifier = "com.acme.${profile}" }
}
profile lit extends base {
  managedMcpServers += {
    name = "wiki", transport = "http", url = "https://mcp.example.com/wiki",
    headers = { Authorization = env("HDR_TOKEN") }
  }
  managedMcpServers += [{
    name = "crm", transport = "http", url = "https://mcp.example.com/crm",
    oauth = { clientId = "crm", clientSecret = "APPENDEDNESTEDSECRET777", authorizationServer = ["https://auth.example.com"] }
  }]
}
"#;
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = Schema::builtin();
    let mut host = MemoryHost::default();
    host.env
        .insert("HDR_TOKEN".into(), "hdr-env-secret-value".into());
    host.env
        .insert("GATEWAY_KEY".into(), "gateway-env-secret-value".into());
    let c = polc::compile(&sources, &schema, &host);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let id = c.resolved.find("lit").unwrap();
    let human = polc::inspect::show_text(&c.resolved, id, &schema, &sources);
    let json = polc::inspect::show_json(&c.resolved, id, &schema);
    let trace = polc::inspect::trace_text(&c.resolved, id, "managedMcpServers", &schema, &sources);
    for (what, text) in [
        ("show", human.as_str()),
        ("show --format json", &json.to_string()),
        ("trace", trace.as_str()),
    ] {
        for secret in [
            "LITERALNESTEDSECRET999",
            "APPENDEDNESTEDSECRET777",
            "hdr-env-secret-value",
            "gateway-env-secret-value",
        ] {
            assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
        }
        assert!(text.contains("<redacted>"), "{what}:\n{text}");
        assert!(text.contains("<env:HDR_TOKEN>"), "{what}:\n{text}");
    }
    // Only the secret fields are hidden, typed as `show --format json` types them.
    let servers = &json["managedMcpServers"];
    assert_eq!(servers[0]["oauth"]["clientId"], "id");
    assert_eq!(servers[0]["oauth"]["clientSecret"], "<redacted>");
    assert_eq!(servers[1]["headers"]["Authorization"], "<env:HDR_TOKEN>");
    assert_eq!(servers[2]["oauth"]["clientSecret"], "<redacted>");
    assert_eq!(json["inferenceGatewayApiKey"], "<env:GATEWAY_KEY>");
    // Every statement trace lists, and the effective value.
    assert_eq!(
        trace.matches("clientSecret = \"<redacted>\"").count(),
        4,
        "{trace}"
    );
    assert!(trace.contains("Authorization = <env:HDR_TOKEN>"), "{trace}");
}

/// A URL with `user:password@` is an error (C0206), and its password is
/// never printed: not in the quoted source line or the message of any
/// diagnostic (an `ftp://` URL with a password is also the wrong scheme),
/// and not by `show` or `trace`, which keep the rest of the URL. The user
/// name is kept when a password follows it; a user name alone (often a
/// token) is hidden. A `${profile}` template is reported where it is
/// written, and masked once bound.
#[test]
fn url_passwords_are_never_printed() {
    let src = r#"
abstract profile base {
  inferenceProvider       = "gateway"
  inferenceGatewayBaseUrl = "https://user:URLPASSWORD1@gw.example/v1"
  inferenceGatewayApiKey  = env("K")
  otlpEndpoint            = "https://${profile}:URLPASSWORD2@otel.example:4318"
  managedMcpServers       = [{ name = "jira", transport = "http", url = "https://URLTOKEN3@mcp.example/jira" }]
  bootstrapUrl            = "ftp://ops:URLPASSWORD4@boot.example/b"
  meta { identifier = "com.acme.${profile}" }
}
profile us extends base {
  managedMcpServers += { name = "wiki", transport = "http", url = "https://w:URLPASSWORD5@mcp.example/wiki" }
}
"#;
    const PASSWORDS: [&str; 5] = [
        "URLPASSWORD1",
        "URLPASSWORD2",
        "URLTOKEN3",
        "URLPASSWORD4",
        "URLPASSWORD5",
    ];
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = Schema::builtin();
    let c = polc::compile(&sources, &schema, &MemoryHost::default());
    let codes: Vec<(&str, &str)> = c
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::CredentialsInUrl | Code::InvalidFormat))
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (
                "C0206",
                "the URL of `inferenceGatewayBaseUrl` embeds credentials"
            ),
            // A template is checked once, whatever the profile's name.
            ("C0206", "the URL of `otlpEndpoint` embeds credentials"),
            (
                "C0206",
                "the URL of `managedMcpServers[0].url` embeds credentials"
            ),
            (
                "C0205",
                "`ftp://ops:<redacted>@boot.example/b` is not a valid value of `bootstrapUrl`"
            ),
            ("C0206", "the URL of `bootstrapUrl` embeds credentials"),
            (
                "C0206",
                "the URL of `managedMcpServers.url` embeds credentials"
            ),
        ]
    );
    let us = c.resolved.find("us").unwrap();
    let base = c.resolved.find("base").unwrap();
    let mut all = polc::render::human(&sources, &c.diagnostics, false);
    all.push_str(&polc::render::json(&sources, &c.diagnostics));
    for id in [us, base] {
        all.push_str(&polc::inspect::show_text(
            &c.resolved,
            id,
            &schema,
            &sources,
        ));
        all.push_str(&polc::inspect::show_json(&c.resolved, id, &schema).to_string());
        for key in [
            "inferenceGatewayBaseUrl",
            "otlpEndpoint",
            "managedMcpServers",
            "bootstrapUrl",
        ] {
            all.push_str(&polc::inspect::trace_text(
                &c.resolved,
                id,
                key,
                &schema,
                &sources,
            ));
        }
    }
    for password in PASSWORDS {
        assert!(!all.contains(password), "{password} printed:\n{all}");
    }
    let shown = polc::inspect::show_json(&c.resolved, us, &schema);
    assert_eq!(
        shown["inferenceGatewayBaseUrl"],
        "https://user:<redacted>@gw.example/v1"
    );
    assert_eq!(
        shown["otlpEndpoint"],
        "https://us:<redacted>@otel.example:4318"
    );
    assert_eq!(shown["bootstrapUrl"], "ftp://ops:<redacted>@boot.example/b");
    assert_eq!(
        shown["managedMcpServers"],
        serde_json::json!([
            { "name": "jira", "transport": "http", "url": "https://<redacted>@mcp.example/jira" },
            { "name": "wiki", "transport": "http", "url": "https://w:<redacted>@mcp.example/wiki" }
        ])
    );
    // The statements, as `trace` lists them: the `+=` element is masked as
    // an element.
    let trace = polc::inspect::trace_text(&c.resolved, us, "managedMcpServers", &schema, &sources);
    assert!(
        trace.contains(r#"managedMcpServers += { name = "wiki", transport = "http", url = "https://w:<redacted>@mcp.example/wiki" }"#),
        "{trace}"
    );
}

/// A header written twice in a map of secrets (S0005) never shows its
/// value in a quoted source line, whichever of the two entries is kept and
/// whether the kept one is a literal or `env()`: each literal is a
/// plain-text secret of its own (L0305), and masked.
#[test]
fn repeated_secret_headers_are_masked() {
    let src = r#"
abstract profile a {
  bootstrapHeaders = { "Authorization" = "Bearer FIRSTKEPT1", "Authorization" = "Bearer SECONDDROPPED2" }
}
abstract profile b {
  bootstrapHeaders = { "Authorization" = env("T"), "Authorization" = "Bearer SECONDDROPPED3" }
}
"#;
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let c = polc::compile(&sources, &Schema::builtin(), &MemoryHost::default());
    let found: Vec<(&str, usize)> = c
        .diagnostics
        .iter()
        .map(|d| {
            let span = d.primary_span().unwrap();
            (
                d.code.as_str(),
                sources.file(span.file).line_col(span.start as usize).1,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("L0305", 42),
            ("S0005", 63),
            ("L0305", 81),
            ("S0005", 52),
            ("L0305", 70)
        ]
    );
    let mut all = polc::render::human(&sources, &c.diagnostics, false);
    all.push_str(&polc::render::json(&sources, &c.diagnostics));
    for secret in ["FIRSTKEPT1", "SECONDDROPPED2", "SECONDDROPPED3"] {
        assert!(!all.contains(secret), "{secret} printed:\n{all}");
    }
}

/// A policy set large enough to be split across threads gives the same
/// diagnostics and effective configurations with 1, 2 or 3 workers.
#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let mut files = Vec::new();
    for r in 0..4 {
        let mut text = format!(
            "abstract profile r{r} {{\n  inferenceProvider = \"gateway\"\n  inferenceGatewayBaseUrl = \"https://llm.r{r}.example\"\n  disabledBuiltinTools = [\"WebSearch\"]\n  meta {{ identifier = \"com.acme.${{profile}}\" }}\n}}\n"
        );
        for g in 0..150 {
            // Every fifth group forgets its credential; every seventh removes nothing.
            let key = if g % 5 == 0 {
                String::new()
            } else {
                format!("  inferenceGatewayApiKey = env(\"K{r}\")\n")
            };
            let removal = if g % 7 == 0 {
                "  disabledBuiltinTools -= \"Bash\"\n"
            } else {
                "  disabledBuiltinTools += \"Bash\"\n"
            };
            text.push_str(&format!(
                "profile \"r{r}-g{g}\" extends r{r} {{\n{key}{removal}}}\n"
            ));
        }
        files.push((format!("r{r}.policy"), text.into_bytes()));
    }
    let sources = SourceSet::new(files);
    let schema = Schema::builtin();
    let host = MemoryHost::default();
    let run = |n: usize| {
        polc::par::with_workers(n, || {
            let c = polc::compile(&sources, &schema, &host);
            let shows: Vec<String> = c
                .resolved
                .ids()
                .map(|id| polc::inspect::show_json(&c.resolved, id, &schema).to_string())
                .collect();
            (polc::render::json(&sources, &c.diagnostics), shows)
        })
    };
    let one = run(1);
    assert!(
        one.0.contains("C0207"),
        "the generated set must have diagnostics"
    );
    assert!(one.0.contains("R0115"));
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));

    // The build, too: its artifacts, and its errors (a missing secret, for
    // one region's profiles) merged in one order.
    let mut env = MemoryHost::default();
    for r in 0..4 {
        env.env.insert(format!("K{r}"), format!("key-{r}"));
    }
    let mut missing = env.clone();
    missing.env.remove("K2");
    let build = |n: usize, host: &MemoryHost| {
        polc::par::with_workers(n, || {
            let c = polc::compile(&sources, &schema, host);
            match polc::emit::build::build(&c, &schema, host) {
                Ok(artifacts) => Ok(artifacts
                    .into_iter()
                    .map(|a| (a.path, a.bytes))
                    .collect::<Vec<_>>()),
                Err(errors) => Err(polc::render::json(&sources, &errors)),
            }
        })
    };
    let built = build(1, &env);
    assert!(built.as_ref().is_ok_and(|a| a.len() > 600));
    let failed = build(1, &missing);
    assert!(failed.as_ref().is_err_and(|e| e.contains("B0401")));
    for n in [2, 3] {
        assert_eq!(built, build(n, &env));
        assert_eq!(failed, build(n, &missing));
    }
}

/// The README's one-screen example checks clean, so it cannot drift from
/// the language.
#[test]
fn readme_example_checks_clean() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme.find("```policy\n").unwrap() + "```policy\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let sources = SourceSet::new(vec![(
        "README.policy".into(),
        readme.as_bytes()[start..end].to_vec(),
    )]);
    let c = polc::compile(&sources, &Schema::builtin(), &MemoryHost::default());
    let text = polc::render::human(&sources, &c.diagnostics, false);
    assert!(c.diagnostics.is_empty(), "{text}");
    assert!(c.resolved.find("eu-contractors").is_some());
}

/// The README's CI workflow gives `polc build` every secret the example
/// policy set reads, so that copying it builds.
#[test]
fn readme_workflow_passes_every_secret_of_the_policies() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let build_step = readme
        .split("- run: polc build policies -o dist")
        .nth(1)
        .and_then(|rest| rest.split("- uses:").next())
        .expect("the workflow's build step");
    let mut read = std::collections::BTreeSet::new();
    for (_, bytes) in common::read_tree(&common::root().join("policies")) {
        let text = String::from_utf8(bytes).unwrap();
        for piece in text.split("env(\"").skip(1) {
            read.insert(piece.split('"').next().unwrap().to_string());
        }
    }
    assert!(!read.is_empty());
    for name in &read {
        assert!(
            build_step.contains(&format!("{name}: ${{{{ secrets.{name} }}}}")),
            "the README's build step does not pass {name}"
        );
    }
}

/// Header values that may carry a credential (`bootstrapHeaders`, an MCP
/// server's `headers`: maps whose values the schema marks secret) are
/// secrets: a literal one is warned about, never shown, makes every file
/// that carries it owner-only, and is imported as `env()`.
#[test]
fn header_values_are_secrets() {
    let src = r#"
profile boot {
  bootstrapUrl      = "https://boot.acme.example/bootstrap"
  bootstrapHeaders  = { "X-Service-Token" = "BOOTHEADERSECRET111", "X-Route" = env("ROUTE") }
  managedMcpServers = [{ name = "search", server = "websearch", provider = "brave", headers = { "X-Subscription-Token" = "MCPHEADERSECRET222" } }]
  meta { identifier = "com.acme.boot", delivery = "bootstrap" }
}
"#;
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = Schema::builtin();
    let mut host = MemoryHost::default();
    host.env.insert("ROUTE".into(), "ROUTEENVVALUE333".into());
    let c = polc::compile(&sources, &schema, &host);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let warned: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::PlaintextSecret)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        warned,
        [
            "`bootstrapHeaders.X-Service-Token` is a secret written in plain text",
            "`managedMcpServers[0].headers.X-Subscription-Token` is a secret written in plain text"
        ]
    );
    let id = c.resolved.find("boot").unwrap();
    let shown = polc::inspect::show_json(&c.resolved, id, &schema);
    assert_eq!(
        shown["bootstrapHeaders"],
        serde_json::json!({"X-Service-Token": "<redacted>", "X-Route": "<env:ROUTE>"})
    );
    assert_eq!(
        shown["managedMcpServers"][0]["headers"]["X-Subscription-Token"],
        "<redacted>"
    );
    // Every artifact that carries one is marked secret (owner-only when
    // written); the others are not.
    let artifacts = polc::emit::build::build(&c, &schema, &host).unwrap();
    let secret: Vec<(&str, bool)> = artifacts
        .iter()
        .filter(|a| a.path.starts_with("profiles/") && !a.path.contains("egress"))
        .map(|a| (a.path.as_str(), a.secret))
        .collect();
    for (path, is_secret) in &secret {
        assert_eq!(*is_secret, !path.ends_with("_meta.json"), "{path}");
    }
    // Imported back, both secrets become env() references.
    let mobileconfig = artifacts
        .iter()
        .find(|a| a.path.ends_with(".mobileconfig"))
        .unwrap();
    let imported = polc::import::read(&mobileconfig.bytes, &schema.file().domain).unwrap();
    let text = polc::import::to_policy(&imported, "boot", &schema).source;
    assert!(!text.contains("BOOTHEADERSECRET111"), "{text}");
    assert!(!text.contains("ROUTEENVVALUE333"), "{text}");
    assert!(
        text.contains("X-Service-Token = env(\"POLC_BOOTSTRAP_HEADERS_X__SERVICE__TOKEN\")"),
        "{text}"
    );
}

/// A header map written in another form (the deprecated string, a list) is
/// still a secret, and so is the password of a URL with credentials: no
/// message, quoted source line or `show` output carries them.
#[test]
fn secrets_in_the_wrong_form_are_never_printed() {
    let src = r#"
profile p {
  bootstrapUrl      = "https://boot.acme.example/bootstrap"
  bootstrapHeaders  = "Authorization: WRONGFORMSECRET1"
  egressProxyUrl    = "http://user:URLPASSWORD2@proxy.acme.example:8080"
  managedMcpServers = [{ name = "s", transport = "http", url = "https://mcp.acme.example/x", headers = ["WRONGFORMSECRET3"] }]
  meta { identifier = "com.acme.p" }
}
"#;
    let sources = SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = Schema::builtin();
    let c = polc::compile(&sources, &schema, &MemoryHost::default());
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["C0202", "L0305", "C0206", "C0202", "L0305"]);
    let human = polc::render::human(&sources, &c.diagnostics, false);
    let id = c.resolved.find("p").unwrap();
    let shown = polc::inspect::show_json(&c.resolved, id, &schema).to_string();
    for secret in ["WRONGFORMSECRET1", "WRONGFORMSECRET3", "URLPASSWORD2"] {
        assert!(!human.contains(secret), "{secret}:\n{human}");
    }
    for secret in ["WRONGFORMSECRET1", "WRONGFORMSECRET3"] {
        assert!(!shown.contains(secret), "{secret}: {shown}");
    }
}
