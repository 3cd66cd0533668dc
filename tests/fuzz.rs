//! Random but well-formed policy sets through the whole pipeline: whatever
//! the inheritance graph, keys, operators and values, compiling, rendering,
//! `show`, `trace`, building and egress never panic.
#![allow(clippy::unwrap_used)]

mod common;

use polc::host::MemoryHost;
use polc::schema::Schema;
use polc::source::SourceSet;

use common::XorShift;

const NAMES: &[&str] = &["base", "us", "eu", "eng", "sales", "eu-eng", "x"];
const KEYS: &[&str] = &[
    "inferenceProvider",
    "inferenceGatewayBaseUrl",
    "inferenceGatewayApiKey",
    "inferenceModels",
    "managedMcpServers",
    "disabledBuiltinTools",
    "inferenceCustomHeaders",
    "autoUpdaterEnforcementHours",
    "disableAutoUpdates",
    "banner",
    "coworkEgressAllowedHosts",
    "inferenceModelPricingMultiplier",
    "otlpEndpoint",
    "orgPluginSettings",
    "allowedWorkspaceFolders",
    "isDxtEnabled",
    "unknownKey",
];

fn value(rng: &mut XorShift, depth: usize) -> String {
    match rng.below(if depth > 2 { 7 } else { 10 }) {
        0 => format!(
            "\"{}\"",
            rng.pick(&[
                "gateway",
                "vertex",
                "https://a.example",
                "WebFetch",
                "x",
                "",
                "${profile}",
                "${v}"
            ])
        ),
        1 => rng.pick(&["0", "1", "72", "96", "-5", "99999"]).to_string(),
        2 => rng.pick(&["0.5", "1.5", "0.0"]).to_string(),
        3 => rng.pick(&["true", "false"]).to_string(),
        4 => "env(\"SECRET_X\")".to_string(),
        5 => rng.pick(&["v", "t.url", "t.nope", "missing"]).to_string(),
        6 => "file(\"notes.md\")".to_string(),
        7 | 8 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| value(rng, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        _ => {
            let n = rng.below(4);
            let fields = [
                "name",
                "transport",
                "url",
                "enabled",
                "text",
                "server",
                "oauth",
                "path",
            ];
            let mut used = Vec::new();
            let mut items = Vec::new();
            for _ in 0..n {
                let f = fields[rng.below(fields.len())];
                if used.contains(&f) {
                    continue;
                }
                used.push(f);
                items.push(format!("{f} = {}", value(rng, depth + 1)));
            }
            format!("{{ {} }}", items.join(", "))
        }
    }
}

fn program(rng: &mut XorShift) -> String {
    let mut out =
        String::from("let v = \"https://v.example\"\nlet t = { url = \"https://t.example\" }\n");
    for _ in 0..rng.below(8) {
        let abstract_ = if rng.below(2) == 0 { "abstract " } else { "" };
        let name = rng.pick(NAMES);
        let mut parents = Vec::new();
        for _ in 0..rng.below(3) {
            parents.push(rng.pick(NAMES));
        }
        let extends = if parents.is_empty() {
            String::new()
        } else {
            format!(" extends {}", parents.join(", "))
        };
        let wrap_loop = rng.below(6) == 0;
        if wrap_loop {
            out.push_str("for g in [\"a\", \"b\"] {\n");
        }
        let shown = if wrap_loop {
            format!("\"{name}-${{g}}\"")
        } else {
            name.to_string()
        };
        out.push_str(&format!("{abstract_}profile {shown}{extends} {{\n"));
        for _ in 0..rng.below(6) {
            let key = rng.pick(KEYS);
            match rng.below(5) {
                0 => out.push_str(&format!("  unset {key}\n")),
                1 => out.push_str(&format!("  {key} += {}\n", value(rng, 0))),
                2 => out.push_str(&format!("  {key} -= {}\n", value(rng, 0))),
                _ => out.push_str(&format!("  {key} = {}\n", value(rng, 0))),
            }
        }
        if rng.below(2) == 0 {
            out.push_str(&format!(
                "  meta {{ identifier = \"com.acme.${{profile}}\", scope = {} }}\n",
                value(rng, 2)
            ));
        }
        out.push_str("}\n");
        if wrap_loop {
            out.push_str("}\n");
        }
    }
    out
}

#[test]
fn random_policy_sets_never_panic() {
    let schema = Schema::builtin();
    let mut host = MemoryHost::default();
    host.files.insert("notes.md".into(), "Be helpful.".into());
    host.env.insert("SECRET_X".into(), "s3cr3t".into());
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for _ in 0..400 {
        let a = program(&mut rng);
        let b = program(&mut rng);
        let sources = SourceSet::new(vec![
            ("a.policy".into(), a.into_bytes()),
            ("b.policy".into(), b.into_bytes()),
        ]);
        let c = polc::compile(&sources, &schema, &host);
        let text = polc::render::human(&sources, &c.diagnostics, false);
        assert!(!text.contains("s3cr3t"));
        let _ = polc::render::json(&sources, &c.diagnostics);
        for id in c.resolved.ids() {
            let _ = polc::inspect::show_text(&c.resolved, id, &schema, &sources);
            let _ = polc::inspect::show_json(&c.resolved, id, &schema);
            for key in ["managedMcpServers", "inferenceProvider", "meta.identifier"] {
                let t = polc::inspect::trace_text(&c.resolved, id, key, &schema, &sources);
                assert!(!t.contains("s3cr3t"));
            }
            let _ = polc::egress::allowlist(&c.resolved, id, &schema);
        }
        if !c.has_errors() {
            let _ = polc::emit::build::build(&c, &schema, &host);
        }
    }
}
