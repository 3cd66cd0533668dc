//! The checks of what devices receive: bootstrap responses (C0217, C0218,
//! C0219), identifiers (C0220), registry value names (C0221) and version
//! gating by delivery channel (L0304), beyond the UI snapshots: JSON
//! output, secrets, custom schemas, and agreement with what `polc build`
//! writes.
#![allow(clippy::unwrap_used)]

use polc::diag::{Code, Severity};
use polc::emit::encode::Delivery;
use polc::host::MemoryHost;
use polc::schema::Schema;
use polc::schema::model::KeyDef;
use polc::source::{FileId, SourceSet};
use std::collections::BTreeSet;

fn delivery(bootstrap: bool) -> Delivery {
    if bootstrap {
        Delivery::Bootstrap
    } else {
        Delivery::Mdm
    }
}

/// `emit::build::in_response`, for the two deliveries by a bool.
fn in_response(def: &KeyDef, bootstrap: bool) -> bool {
    polc::emit::build::in_response(def, delivery(bootstrap))
}

/// `emit::build::on_device`, for the two deliveries by a bool.
fn in_device_profile(def: &KeyDef, bootstrap: bool) -> bool {
    polc::emit::build::on_device(def, delivery(bootstrap))
}

fn compile(files: &[(&str, &str)], schema: &Schema) -> (SourceSet, polc::Compilation) {
    let sources = SourceSet::new(
        files
            .iter()
            .map(|(n, t)| ((*n).to_string(), t.as_bytes().to_vec()))
            .collect(),
    );
    let c = polc::compile(&sources, schema, &MemoryHost::default());
    (sources, c)
}

fn codes(c: &polc::Compilation) -> Vec<(Code, Severity)> {
    c.diagnostics.iter().map(|d| (d.code, d.severity)).collect()
}

/// The keys, in order, of a `bootstrap.json`, `managed-settings.json` or
/// config-library entry.
fn json_keys(bytes: &[u8]) -> BTreeSet<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v.as_object().unwrap().keys().cloned().collect()
}

/// The value names of a `.reg` (UTF-16LE with a BOM).
fn reg_names(bytes: &[u8]) -> BTreeSet<String> {
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix('"'))
        .filter_map(|l| l.split_once("\"=").map(|(name, _)| name.to_string()))
        .collect()
}

/// The checks decide what a response and a device profile carry with the
/// build's own selection: for keys of every kind (device-only, device-only
/// app-behavior, bootstrap-settable, bootstrap-settable app-behavior,
/// undocumented availability) and both deliveries, the keys `in_response`
/// and `on_device` name are exactly the keys of `bootstrap.json`
/// and of the `.reg`.
#[test]
fn selection_agrees_with_the_build() {
    let src = r#"
abstract profile all {
  inferenceProvider           = "gateway"
  inferenceGatewayBaseUrl     = "https://llm.acme.example"
  inferenceGatewayApiKey      = env("KEY")
  deploymentOrganizationUuid  = "6f1c2a9e-3b7d-4c8e-9a51-2d4e8f0b7c63"
  otlpEndpoint                = "https://otel.acme.example"
  bootstrapUrl                = "https://llm.acme.example/bootstrap"
  trustBootstrapDelivery      = true
  egressProxyUrl              = "http://proxy.acme.example:8080"
  relaunchEnforcementHours    = 4
  disableAutoUpdates          = false
  alwaysStartWithDefaultModel = true
  meta { identifier = "com.acme.claude.${profile}" }
}
profile served extends all { meta { delivery = "bootstrap" } }
profile managed extends all { meta { delivery = "mdm" } }
"#;
    let schema = Schema::builtin();
    let (_, c) = compile(&[("p.policy", src)], &schema);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let mut host = MemoryHost::default();
    host.env.insert("KEY".into(), "k".into());
    let artifacts = polc::emit::build::build(&c, &schema, &host).unwrap();
    let file = |path: &str| {
        &artifacts
            .iter()
            .find(|a| a.path == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .bytes
    };
    for (profile, bootstrap) in [("served", true), ("managed", false)] {
        let id = c.resolved.find(profile).unwrap();
        let eff = c.resolved.effective[id.index()].as_ref().unwrap();
        let set: Vec<_> = eff.keys().map(|(k, _)| schema.key(k).unwrap()).collect();
        assert_eq!(set.len(), 11);
        let expected_response: BTreeSet<String> = set
            .iter()
            .filter(|d| in_response(d, bootstrap))
            .map(|d| d.name.clone())
            .collect();
        let expected_device: BTreeSet<String> = set
            .iter()
            .filter(|d| in_device_profile(d, bootstrap))
            .map(|d| d.name.clone())
            .collect();
        let dir = format!("profiles/{profile}");
        assert_eq!(
            json_keys(file(&format!("{dir}/bootstrap.json"))),
            expected_response,
            "{profile}: bootstrap.json"
        );
        assert_eq!(
            reg_names(file(&format!("{dir}/{profile}.reg"))),
            expected_device,
            "{profile}: .reg"
        );
    }
    // The split itself, as the checks rely on it.
    let names = |f: &dyn Fn(&polc::schema::model::KeyDef) -> bool| -> Vec<&str> {
        [
            "bootstrapUrl",
            "egressProxyUrl",
            "relaunchEnforcementHours",
            "inferenceGatewayBaseUrl",
            "otlpEndpoint",
        ]
        .into_iter()
        .filter(|k| f(schema.key(k).unwrap()))
        .collect()
    };
    assert_eq!(
        names(&|d| in_response(d, true)),
        ["inferenceGatewayBaseUrl", "otlpEndpoint"]
    );
    assert_eq!(
        names(&|d| in_device_profile(d, true)),
        ["bootstrapUrl", "egressProxyUrl", "relaunchEnforcementHours"]
    );
    assert_eq!(
        names(&|d| in_response(d, false)),
        [
            "relaunchEnforcementHours",
            "inferenceGatewayBaseUrl",
            "otlpEndpoint"
        ]
    );
    assert_eq!(names(&|d| in_device_profile(d, false)).len(), 5);
}

/// The audit's policy sets (REPORT.md F1, F2, F3, F11, F13), each reduced
/// to what it shows, report exactly these codes.
#[test]
fn audit_cases_are_reported() {
    let schema = Schema::builtin();
    // F1: another origin without bootstrapOidc, a loopback collector and a
    // loopback MCP server in the response; a loopback gateway delivered by
    // device management alone is fine.
    let (_, c) = compile(
        &[(
            "a.policy",
            r#"
profile pin {
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "https://llm.other.example"
  inferenceGatewayApiKey = env("K")
  bootstrapUrl = "https://boot.example.com/bootstrap"
  otlpEndpoint = "https://127.0.0.1:4318"
  managedMcpServers = [{ name = "loc", transport = "http", url = "https://localhost:8080/mcp" }]
  meta { identifier = "com.example.pin", delivery = "bootstrap" }
}
profile loop {
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "http://localhost:4000"
  inferenceGatewayApiKey = env("K")
  meta { identifier = "com.example.loop" }
}
"#,
        )],
        &schema,
    );
    assert_eq!(
        codes(&c),
        [
            (Code::BootstrapOriginMismatch, Severity::Error),
            (Code::LoopbackInBootstrap, Severity::Error),
            (Code::LoopbackInBootstrap, Severity::Error),
        ]
    );
    let messages: Vec<&str> = c.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "served `inferenceGatewayBaseUrl` is not on the origin of `bootstrapUrl`",
            "the bootstrap response carries a loopback URL in `otlpEndpoint`",
            "the bootstrap response carries a loopback URL in `managedMcpServers[0].url`",
        ]
    );
    // F2 and F11: no bootstrapUrl; relaunchEnforcementHours stays in the
    // device profile, which 1.40609.0 does not read it from.
    let (_, c) = compile(
        &[(
            "a.policy",
            r#"
profile nb {
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "https://llm.example.com"
  inferenceGatewayApiKey = env("K")
  deploymentOrganizationUuid = "6f1c2a9e-3b7d-4c8e-9a51-2d4e8f0b7c63"
  relaunchEnforcementHours = 4
  meta { identifier = "com.example.nb", delivery = "bootstrap", min_app_version = "1.40609.0", formats = ["mobileconfig", "egress"] }
}
"#,
        )],
        &schema,
    );
    assert_eq!(
        codes(&c),
        [
            (Code::BootstrapNotFetched, Severity::Error),
            (Code::KeyNewerThanFleet, Severity::Warning),
        ]
    );
    assert_eq!(
        c.diagnostics[1].message,
        "`relaunchEnforcementHours` needs app version 1.46388.1 in a device profile, newer than the fleet's minimum 1.40609.0"
    );
    // F3: two profiles inherit one identifier.
    let (_, c) = compile(
        &[(
            "a.policy",
            r#"
abstract profile base {
  inferenceProvider = "gateway"
  inferenceGatewayApiKey = env("K")
  meta { identifier = "com.acme.claude" }
}
profile a extends base { inferenceGatewayBaseUrl = "https://a.example.com" }
profile b extends base { inferenceGatewayBaseUrl = "https://b.example.com" }
"#,
        )],
        &schema,
    );
    assert_eq!(codes(&c), [(Code::DuplicateIdentifier, Severity::Error)]);
    assert_eq!(
        c.diagnostics[0].message,
        "profiles `a` and `b` have the same identifier `com.acme.claude`"
    );
    // F13: the two spellings with different values.
    let (_, c) = compile(
        &[(
            "a.policy",
            r#"
profile c {
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "https://llm.example.com"
  inferenceGatewayApiKey = env("K")
  endUserAttribution = false
  enduserAttribution = true
  meta { identifier = "com.example.c" }
}
"#,
        )],
        &schema,
    );
    assert_eq!(
        codes(&c),
        [
            (Code::DeprecatedKey, Severity::Warning),
            (Code::RegistryNameCollision, Severity::Error),
        ]
    );
}

/// `--format json` of a cross-profile diagnostic: every profile of every
/// file is a label, with 1-based lines and columns.
#[test]
fn duplicate_identifier_in_json() {
    let schema = Schema::builtin();
    let (sources, c) = compile(
        &[
            (
                "base.policy",
                "abstract profile base {\n  meta { identifier = \"com.acme.claude\" }\n}\n",
            ),
            ("eu.policy", "profile eu extends base {}\n"),
            ("us.policy", "profile us extends base {}\n"),
        ],
        &schema,
    );
    let json: serde_json::Value =
        serde_json::from_str(&polc::render::json(&sources, &c.diagnostics)).unwrap();
    let ours: Vec<&serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "C0220")
        .collect();
    assert_eq!(ours.len(), 1, "{json:#}");
    let d = ours[0];
    assert_eq!(d["name"], "duplicate-identifier");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        d["message"],
        "profiles `eu` and `us` have the same identifier `com.acme.claude`"
    );
    assert_eq!(
        d["help"],
        "put `${profile}` in the identifier (`\"com.acme.claude.${profile}\"`) so that every concrete profile gets its own, or set `meta.identifier` in each profile"
    );
    let labels: Vec<(String, u64, u64, u64, String, bool)> = d["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                l["end_column"].as_u64().unwrap(),
                l["message"].as_str().unwrap().to_string(),
                l["primary"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            (
                "us.policy".to_string(),
                1,
                9,
                11,
                "`us` gets `com.acme.claude`".to_string(),
                true
            ),
            (
                "eu.policy".to_string(),
                1,
                9,
                11,
                "`eu` gets `com.acme.claude`".to_string(),
                false
            ),
            (
                "base.policy".to_string(),
                2,
                10,
                40,
                "identifier set here".to_string(),
                false
            ),
        ]
    );
}

/// A `for` loop that generates 12 profiles from one line with one
/// identifier: one diagnostic, each place labelled once, the names counted.
#[test]
fn generated_profiles_with_one_identifier() {
    let schema = Schema::builtin();
    let src = r#"
for n in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"] {
  profile "${n}" { meta { identifier = "com.acme.claude" } }
}
"#;
    let (_, c) = compile(&[("p.policy", src)], &schema);
    assert_eq!(codes(&c), [(Code::DuplicateIdentifier, Severity::Error)]);
    let d = &c.diagnostics[0];
    assert_eq!(
        d.message,
        "profiles `a`, `b`, `c`, `d`, `e` and 7 more have the same identifier `com.acme.claude`"
    );
    assert_eq!(d.labels.len(), 2, "{:?}", d.labels);
    assert_eq!(d.labels[0].message, "`l` gets `com.acme.claude`");
    assert_eq!(d.labels[1].message, "identifier set here");
}

/// A schema whose origin-pinned, loopback-checked URL is a secret: the
/// diagnostics name neither its host nor its origin, and the quoted
/// source is masked.
#[test]
fn secret_urls_are_never_printed() {
    let schema_text = r#"{
  "format_version": 1,
  "application": "Test",
  "domain": "com.example.test",
  "bootstrap_url_key": "bootUrl",
  "bootstrap_oidc_key": "bootOidc",
  "sections": [ { "id": "main", "title": "Main" } ],
  "keys": [
    { "name": "bootUrl", "section": "main", "type": { "type": "string", "format": "https-url" }, "doc": "Bootstrap.", "availability": "managed" },
    { "name": "bootOidc", "section": "main", "type": { "type": "boolean" }, "doc": "OIDC.", "availability": "managed" },
    { "name": "tokenUrl", "section": "main", "type": { "type": "string", "format": "https-url" }, "doc": "A secret URL.", "secret": true, "bootstrap_origin_pinned": true, "availability": "managed-and-bootstrap" },
    { "name": "loopUrl", "section": "main", "type": { "type": "string", "format": "https-url" }, "doc": "A secret URL.", "secret": true, "availability": "managed-and-bootstrap" }
  ]
}"#;
    let mut diags = polc::diag::Diagnostics::new();
    let schema = Schema::load(schema_text, FileId(0), &mut diags).unwrap();
    assert!(diags.as_slice().is_empty());
    let src = r#"
profile p {
  bootUrl  = "https://boot.example.com/b"
  tokenUrl = "https://secret-host-4711.example.com/t0ken"
  loopUrl  = "https://0x7f.0.0.1/s3cret-path"
  meta { identifier = "com.example.p", delivery = "bootstrap" }
}
"#;
    let (sources, c) = compile(&[("p.policy", src)], &schema);
    // As the CLI renders: literal secrets masked in the quoted source.
    let shown = sources.redacted(&c.secret_spans);
    let mut all = polc::render::human(&shown, &c.diagnostics, false);
    all.push_str(&polc::render::json(&shown, &c.diagnostics));
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == Code::BootstrapOriginMismatch),
        "{all}"
    );
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == Code::LoopbackInBootstrap),
        "{all}"
    );
    for secret in ["secret-host-4711", "t0ken", "0x7f", "s3cret-path"] {
        assert!(!all.contains(secret), "{secret} printed:\n{all}");
    }
    // With the OIDC key set, pinning is off; loopback is still refused.
    let (_, c) = compile(
        &[(
            "p.policy",
            &src.replace("meta {", "bootOidc = true\n  meta {"),
        )],
        &schema,
    );
    assert_eq!(
        codes(&c),
        [
            (Code::PlaintextSecret, Severity::Warning),
            (Code::LoopbackInBootstrap, Severity::Error),
            (Code::PlaintextSecret, Severity::Warning),
        ]
    );
}

/// A schema without the bootstrap keys has none of these checks, and a
/// malformed `meta.formats` counts as every format, as in the build.
#[test]
fn schemas_without_bootstrap_keys() {
    let schema_text = r#"{
  "format_version": 1,
  "application": "Test",
  "domain": "com.example.test",
  "sections": [ { "id": "main", "title": "Main" } ],
  "keys": [
    { "name": "url", "section": "main", "type": { "type": "string", "format": "https-url" }, "doc": "A URL.", "bootstrap_origin_pinned": true, "availability": "managed-and-bootstrap" },
    { "name": "Mode", "section": "main", "type": { "type": "boolean" }, "doc": "A mode.", "availability": "managed-and-bootstrap" },
    { "name": "mode", "section": "main", "type": { "type": "boolean" }, "doc": "The same, in lower case.", "availability": "managed-and-bootstrap" }
  ]
}"#;
    let mut diags = polc::diag::Diagnostics::new();
    let schema = Schema::load(schema_text, FileId(0), &mut diags).unwrap();
    let src = r#"
profile p {
  url  = "https://localhost/x"
  Mode = true
  mode = false
  meta { identifier = "com.example.p", delivery = "bootstrap" }
}
profile q {
  Mode = true
  mode = false
  meta { identifier = "com.example.q", formats = "reg" }
}
"#;
    let (sources, c) = compile(&[("p.policy", src)], &schema);
    let text = polc::render::human(&sources, &c.diagnostics, false);
    // `p` is delivered by bootstrap, so both keys go to the response and
    // there is no `.reg` value; `q`'s formats are not a list (C0214), so the
    // build writes every format, the `.reg` included.
    assert_eq!(
        codes(&c),
        [
            (Code::RegistryNameCollision, Severity::Error),
            (Code::InvalidMeta, Severity::Error),
        ],
        "{text}"
    );
    assert_eq!(
        c.diagnostics[0].help.as_deref(),
        Some("set only one of `Mode` and `mode`")
    );
}

/// The schema validator checks the new reference.
#[test]
fn bootstrap_oidc_key_must_be_a_key() {
    let schema_text = r#"{
  "format_version": 1,
  "application": "Test",
  "domain": "com.example.test",
  "bootstrap_oidc_key": "nope",
  "sections": [ { "id": "main", "title": "Main" } ],
  "keys": [ { "name": "a", "section": "main", "type": { "type": "boolean" }, "doc": "A.", "availability": "managed" } ]
}"#;
    let mut diags = polc::diag::Diagnostics::new();
    assert!(Schema::load(schema_text, FileId(0), &mut diags).is_none());
    let messages: Vec<&str> = diags
        .as_slice()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["bootstrap_oidc_key `nope` is not a key of the schema"]
    );
}

/// The built-in schema's device-management versions follow the reference
/// (KEYS lines 471 and 503).
#[test]
fn device_management_versions() {
    let schema = Schema::builtin();
    let key = |k: &str| schema.key(k).unwrap();
    let r = key("relaunchEnforcementHours");
    assert_eq!(
        (
            r.since.as_deref(),
            r.managed_since.as_deref(),
            r.device_since()
        ),
        (Some("1.40609.0"), Some("1.46388.1"), Some("1.46388.1"))
    );
    let d = key("deploymentDisplayName");
    assert_eq!(
        (
            d.since.as_deref(),
            d.managed_since.as_deref(),
            d.device_since()
        ),
        (Some("1.24012.0"), Some("1.25927.0"), Some("1.25927.0"))
    );
    let with_managed_since: Vec<&str> = schema
        .keys()
        .iter()
        .filter(|k| k.managed_since.is_some())
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(
        with_managed_since,
        ["relaunchEnforcementHours", "deploymentDisplayName"]
    );
    let pinned: Vec<&str> = schema
        .keys()
        .iter()
        .filter(|k| k.bootstrap_origin_pinned)
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(
        pinned,
        [
            "inferenceBedrockBaseUrl",
            "inferenceGatewayBaseUrl",
            "inferenceVertexBaseUrl"
        ]
    );
    assert_eq!(
        schema.file().bootstrap_oidc_key.as_deref(),
        Some("bootstrapOidc")
    );
}
