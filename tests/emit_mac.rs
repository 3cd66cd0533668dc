//! The macOS backends: `.mobileconfig` profiles, the ProfileManifests
//! manifest and the Jamf JSON-schema manifest, checked with independent
//! readers (Python's `plistlib`, `xmllint` with Apple's DTD,
//! `check-jsonschema`).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use polc::emit::encode::stable_uuid;
use polc::emit::mobileconfig::{self, KeySelection, render, settings_identifier};
use polc::emit::pfm::{self, included, jamf_manifest, manifest_version, profile_manifest};
use polc::emit::{Delivery, EncodedProfile, Entry, Meta, Scope};
use polc::schema::Schema;
use polc::schema::model::{Availability, TypeDef};
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const DOMAIN: &str = "com.anthropic.claudefordesktop";

// ---------------------------------------------------------------- helpers

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("emit_mac")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have_python() -> bool {
    common::require(
        "python3 with plistlib",
        common::have_command("python3") && common::python_has("python3", "plistlib"),
    )
}

fn have_xmllint() -> bool {
    common::require("xmllint", common::have_command("xmllint"))
}

fn have_check_jsonschema() -> bool {
    common::require(
        "check-jsonschema",
        common::python_has("python3", "check_jsonschema"),
    )
}

/// Runs a Python script with arguments and parses its stdout as JSON.
fn python_json(script: &str, args: &[&Path]) -> Json {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Loads plists with `plistlib` and returns them as JSON (booleans,
/// integers and strings as such; other plist types tagged), with the
/// Python `uuid5` of every `PayloadIdentifier` in polc's namespace.
const READ_PLISTS: &str = r#"
import datetime, json, plistlib, sys, uuid
NS = uuid.uuid5(uuid.NAMESPACE_DNS, "polc")
def conv(v):
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return {"$real": v}
    if isinstance(v, datetime.datetime):
        return {"$date": v.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if isinstance(v, bytes):
        return {"$data": v.hex()}
    if isinstance(v, list):
        return [conv(x) for x in v]
    if isinstance(v, dict):
        return {k: conv(x) for k, x in v.items()}
    return {"$other": repr(v)}
def uuids(v, out):
    if isinstance(v, dict):
        if isinstance(v.get("PayloadIdentifier"), str):
            out[v["PayloadIdentifier"]] = str(uuid.uuid5(NS, v["PayloadIdentifier"])).upper()
        for x in v.values():
            uuids(x, out)
    elif isinstance(v, list):
        for x in v:
            uuids(x, out)
result = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = plistlib.load(f)
    u = {}
    uuids(data, u)
    result.append({"plist": conv(data), "uuid5": u})
print(json.dumps(result, ensure_ascii=True))
"#;

fn read_plists(files: &[PathBuf]) -> Vec<Json> {
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let Json::Array(items) = python_json(READ_PLISTS, &args) else {
        panic!("expected a list")
    };
    items
}

/// `xmllint --dtdvalid` with Apple's plist DTD on every file.
fn assert_dtd_valid(files: &[PathBuf]) {
    let dtd = common::validators_dir().join("plist-1.0.dtd");
    assert!(dtd.is_file(), "missing {}", dtd.display());
    let out = Command::new("xmllint")
        .args(["--nonet", "--noout", "--dtdvalid"])
        .arg(&dtd)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint exited {:?}:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_jsonschema(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new("python3")
        .args(["-m", "check_jsonschema"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The plist (as JSON) a rendered profile must read back as.
fn expected_plist(p: &EncodedProfile<'_>, keys: KeySelection) -> Json {
    let inner_id = settings_identifier(&p.meta.identifier);
    let mut inner = Map::new();
    inner.insert("PayloadDisplayName".into(), json!(DOMAIN));
    inner.insert("PayloadIdentifier".into(), json!(inner_id));
    inner.insert("PayloadType".into(), json!(DOMAIN));
    inner.insert("PayloadUUID".into(), json!(stable_uuid(&inner_id)));
    inner.insert("PayloadVersion".into(), json!(1));
    let mut entries: Vec<&Entry<'_>> = p.entries.iter().filter(|e| keys.includes(e.def)).collect();
    entries.sort_by(|a, b| a.def.name.cmp(&b.def.name));
    for e in entries {
        inner.insert(e.def.name.clone(), Json::String(e.text.clone()));
    }
    let mut outer = Map::new();
    outer.insert("PayloadContent".into(), json!([Json::Object(inner)]));
    if !p.meta.description.is_empty() {
        outer.insert("PayloadDescription".into(), json!(p.meta.description));
    }
    outer.insert("PayloadDisplayName".into(), json!(p.meta.display_name));
    outer.insert("PayloadIdentifier".into(), json!(p.meta.identifier));
    if !p.meta.organization.is_empty() {
        outer.insert("PayloadOrganization".into(), json!(p.meta.organization));
    }
    outer.insert(
        "PayloadRemovalDisallowed".into(),
        json!(p.meta.removal_disallowed),
    );
    outer.insert(
        "PayloadScope".into(),
        json!(match p.meta.scope {
            Scope::System => "System",
            Scope::User => "User",
        }),
    );
    outer.insert("PayloadType".into(), json!("Configuration"));
    outer.insert("PayloadUUID".into(), json!(stable_uuid(&p.meta.identifier)));
    outer.insert("PayloadVersion".into(), json!(1));
    Json::Object(outer)
}

fn key_order(v: &Json) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn inner(v: &Json) -> &Json {
    &v["PayloadContent"][0]
}

/// Compares a read-back profile with the expected one: values, types,
/// key order, and the UUIDs against Python's `uuid5`.
fn assert_reads_back(read: &Json, expected: &Json, what: &str) {
    let plist = &read["plist"];
    assert_eq!(plist, expected, "{what}: read-back differs");
    assert_eq!(
        key_order(plist),
        key_order(expected),
        "{what}: outer key order"
    );
    assert_eq!(
        key_order(inner(plist)),
        key_order(inner(expected)),
        "{what}: payload key order"
    );
    assert_eq!(plist["PayloadContent"].as_array().unwrap().len(), 1);
    for (k, v) in inner(plist).as_object().unwrap() {
        if k != "PayloadVersion" {
            assert!(v.is_string(), "{what}: `{k}` is not a string: {v}");
        }
    }
    // UUIDs: v5 of the identifiers in polc's namespace, computed by Python.
    let uuid5 = &read["uuid5"];
    for payload in [plist, inner(plist)] {
        let id = payload["PayloadIdentifier"].as_str().unwrap();
        assert_eq!(payload["PayloadUUID"], uuid5[id], "{what}: UUID of {id}");
        assert_eq!(payload["PayloadUUID"].as_str().unwrap(), stable_uuid(id));
    }
    assert_ne!(plist["PayloadUUID"], inner(plist)["PayloadUUID"]);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn meta(identifier: &str, delivery: Delivery) -> Meta {
    Meta {
        identifier: identifier.to_string(),
        display_name: "Display".to_string(),
        description: String::new(),
        organization: String::new(),
        scope: Scope::System,
        removal_disallowed: false,
        formats: Vec::new(),
        delivery,
    }
}

// ---------------------------------------------------------- mobileconfig

#[test]
fn policies_profiles_read_back_exactly() {
    if !(have_python() & have_xmllint()) {
        return;
    }
    let dir = scratch("policies");
    common::with_encoded_policies(|schema, profiles| {
        assert!(profiles.len() >= 3);
        let mut files = Vec::new();
        for p in profiles {
            assert_eq!(schema.file().domain, DOMAIN);
            let keys = KeySelection::for_delivery(p.meta.delivery);
            let bytes = render(p, &schema.file().domain, keys);
            assert!(bytes.ends_with(b"</plist>\n"));
            assert!(mobileconfig::unrepresentable(p).is_empty());
            files.push(write(&dir, &format!("{}.mobileconfig", p.name), &bytes));
        }
        assert_dtd_valid(&files);
        let read = read_plists(&files);
        for (p, r) in profiles.iter().zip(&read) {
            let keys = KeySelection::for_delivery(p.meta.delivery);
            let expected = expected_plist(p, keys);
            assert_reads_back(r, &expected, &p.name);
            if keys == KeySelection::All {
                assert_eq!(
                    inner(&r["plist"]).as_object().unwrap().len(),
                    5 + p.entries.len(),
                    "{}: every key is in the profile",
                    p.name
                );
            }
        }
    });
}

/// Strings that stress XML escaping, Unicode and whitespace handling.
fn hostile_texts() -> Vec<String> {
    let json_text = serde_json::to_string(&json!({
        "a": "b\"c\\d",
        "e": ["<&>", "\u{1}", "]]>", "é😀"],
        "f": {"g": null, "h": 1.5, "i": true}
    }))
    .unwrap();
    vec![
        "double \"quotes\" and 'single' ones".to_string(),
        r#"back\slash \\ \" \n \u0041 stays literal"#.to_string(),
        "<tag attr=\"x\"> & &amp; &quot; &lt; &#13; &#x41;".to_string(),
        "]]> and <![CDATA[ not a section ]]>".to_string(),
        "emoji 😀 👩‍👩‍👧 🇺🇸 astral 𝄞".to_string(),
        "right-to-left: مرحبا بالعالم עברית \u{200F}\u{202E}reversed\u{202C} mixed".to_string(),
        "line1\nline2\r\nline3\rend\ttab".to_string(),
        "\r".to_string(),
        "  leading and trailing spaces  ".to_string(),
        "\n\nnewlines around\n\n".to_string(),
        "<&>\"'é😀".repeat(375),
        "x".repeat(3000),
        json_text,
        "[\"a\",\"b\\\\c\"]".to_string(),
        "line separator \u{2028} paragraph \u{2029} bom \u{FEFF} nbsp \u{A0} replacement \u{FFFD}"
            .to_string(),
        String::new(),
        "&".to_string(),
        "<".to_string(),
    ]
}

#[test]
fn hostile_values_read_back_exactly() {
    if !(have_python() & have_xmllint()) {
        return;
    }
    let schema = Schema::builtin();
    let texts = hostile_texts();
    assert!(texts.iter().any(|t| t.chars().count() >= 3000));
    let entries: Vec<Entry<'_>> = schema
        .keys()
        .iter()
        .zip(&texts)
        .map(|(def, text)| Entry {
            def,
            value: Json::String(text.clone()),
            text: text.clone(),
            secret: false,
        })
        .collect();
    assert_eq!(entries.len(), texts.len());
    let mut m = meta("com.example.hostile", Delivery::Mdm);
    m.display_name = "<Acme & \"Co\"> ]]> 😀".to_string();
    m.description = "line one\nline two\r\nمرحبا".to_string();
    m.organization = "עברית & <org>".to_string();
    m.scope = Scope::User;
    m.removal_disallowed = true;
    let p = EncodedProfile {
        name: "hostile".to_string(),
        meta: m,
        entries,
    };
    assert!(mobileconfig::unrepresentable(&p).is_empty());
    let bytes = render(&p, DOMAIN, KeySelection::All);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(!text.contains('\r'), "a CR is written as &#13;");
    assert!(!text.contains("&quot;"), "quotes stay raw");
    let dir = scratch("hostile");
    let file = write(&dir, "hostile.mobileconfig", &bytes);
    assert_dtd_valid(std::slice::from_ref(&file));
    let read = read_plists(&[file]);
    assert_reads_back(&read[0], &expected_plist(&p, KeySelection::All), "hostile");
}

#[test]
fn characters_xml_cannot_carry_are_reported_and_replaced() {
    if !(have_python() & have_xmllint()) {
        return;
    }
    let schema = Schema::builtin();
    let keys = schema.keys();
    let bad = "nul\u{0} bell\u{7} esc\u{1b} ff\u{c} nonchar\u{FFFE}\u{FFFF} end";
    let p = EncodedProfile {
        name: "bad".to_string(),
        meta: meta("com.example.bad", Delivery::Mdm),
        entries: vec![
            Entry {
                def: &keys[0],
                value: Json::String(bad.to_string()),
                text: bad.to_string(),
                secret: false,
            },
            Entry {
                def: &keys[1],
                value: Json::String("fine\ttab".to_string()),
                text: "fine\ttab".to_string(),
                secret: false,
            },
        ],
    };
    assert_eq!(
        mobileconfig::unrepresentable(&p),
        vec![keys[0].name.clone()]
    );
    let dir = scratch("bad");
    let file = write(
        &dir,
        "bad.mobileconfig",
        &render(&p, DOMAIN, KeySelection::All),
    );
    assert_dtd_valid(std::slice::from_ref(&file));
    let read = read_plists(&[file]);
    let payload = inner(&read[0]["plist"]);
    assert_eq!(
        payload[&keys[0].name],
        "nul\u{FFFD} bell\u{FFFD} esc\u{FFFD} ff\u{FFFD} nonchar\u{FFFD}\u{FFFD} end"
    );
    assert_eq!(payload[&keys[1].name], "fine\ttab");
}

#[test]
fn rendering_is_deterministic() {
    common::with_encoded_policies(|schema, profiles| {
        for p in profiles {
            let a = render(p, &schema.file().domain, KeySelection::All);
            let b = render(p, &schema.file().domain, KeySelection::All);
            assert_eq!(a, b, "{}", p.name);
            // Entry order does not matter: keys are sorted.
            let mut shuffled = p.clone();
            shuffled.entries.reverse();
            assert_eq!(
                render(&shuffled, &schema.file().domain, KeySelection::All),
                a,
                "{}",
                p.name
            );
        }
        // UUIDs are distinct across profiles and payloads.
        let mut uuids: Vec<String> = profiles
            .iter()
            .flat_map(|p| {
                [
                    stable_uuid(&p.meta.identifier),
                    stable_uuid(&settings_identifier(&p.meta.identifier)),
                ]
            })
            .collect();
        let n = uuids.len();
        uuids.sort();
        uuids.dedup();
        assert_eq!(uuids.len(), n);
    });
    let schema = Schema::builtin();
    assert_eq!(profile_manifest(&schema), profile_manifest(&schema));
    assert_eq!(jamf_manifest(&schema), jamf_manifest(&schema));
}

#[test]
fn stable_uuid_matches_python_uuid5() {
    if !have_python() {
        return;
    }
    let names = [
        "com.acme.claude.us",
        "com.acme.claude.us.settings",
        "é😀 <&>",
        "",
    ];
    let script = r#"
import json, sys, uuid
ns = uuid.uuid5(uuid.NAMESPACE_DNS, "polc")
print(json.dumps([str(uuid.uuid5(ns, n)).upper() for n in json.loads(sys.argv[1])]))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &serde_json::to_string(&names).unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let expected: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let actual: Vec<String> = names.iter().map(|n| stable_uuid(n)).collect();
    assert_eq!(actual, expected);
}

const BOOTSTRAP_POLICY: &str = r#"
profile boot {
  bootstrapUrl               = "https://config.example.com/claude"
  deploymentOrganizationUuid = "6f1c2a9e-3b7d-4c8e-9a51-2d4e8f0b7c63"
  egressProxyUrl             = "http://proxy.example.com:8080"
  disableAutoUpdates         = false
  relaunchEnforcementHours   = 48
  coworkTabEnabled           = false
  disabledBuiltinTools       = ["WebSearch"]

  meta {
    identifier = "com.example.claude.boot"
    delivery   = "bootstrap"
  }
}
"#;

#[test]
fn bootstrap_delivery_keeps_only_device_keys() {
    let sources = polc::source::SourceSet::from_tree(
        "inline",
        vec![(
            "boot.policy".to_string(),
            BOOTSTRAP_POLICY.as_bytes().to_vec(),
        )],
    );
    let schema = Schema::builtin();
    let host = common::fake_env();
    let c = polc::compile(&sources, &schema, &host);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let id = c.resolved.ids().next().unwrap();
    let p = polc::emit::encode(&c.resolved, id, &schema, &host).unwrap();
    assert_eq!(p.meta.delivery, Delivery::Bootstrap);
    let keys = KeySelection::for_delivery(p.meta.delivery);
    assert_eq!(keys, KeySelection::DeviceOnly);

    let bytes = render(&p, DOMAIN, keys);
    let text = String::from_utf8(bytes.clone()).unwrap();
    for present in [
        "bootstrapUrl",
        "egressProxyUrl",
        "disableAutoUpdates",
        "relaunchEnforcementHours",
        // On the device and in the response, with the same value.
        "deploymentOrganizationUuid",
    ] {
        assert!(text.contains(&format!("<key>{present}</key>")), "{present}");
    }
    for absent in ["coworkTabEnabled", "disabledBuiltinTools"] {
        assert!(!text.contains(&format!("<key>{absent}</key>")), "{absent}");
    }
    for e in &p.entries {
        let device = e.def.availability == Availability::Managed
            || e.def.app_behavior
            || e.def.device_and_response;
        assert_eq!(
            text.contains(&format!("<key>{}</key>", e.def.name)),
            device,
            "{}",
            e.def.name
        );
    }
    // Everything, for an MDM-delivered profile.
    let all = String::from_utf8(render(&p, DOMAIN, KeySelection::All)).unwrap();
    for e in &p.entries {
        assert!(all.contains(&format!("<key>{}</key>", e.def.name)));
    }

    if !(have_python() & have_xmllint()) {
        return;
    }
    let dir = scratch("bootstrap");
    let file = write(&dir, "boot.mobileconfig", &bytes);
    assert_dtd_valid(std::slice::from_ref(&file));
    let read = read_plists(&[file]);
    assert_reads_back(&read[0], &expected_plist(&p, keys), "boot");
}

#[test]
fn us_profile_snapshot() {
    common::with_encoded_policies(|schema, profiles| {
        let p = profiles.iter().find(|p| p.name == "us").unwrap();
        // The only secret is the fake value from `common::fake_env`.
        let secrets: Vec<&str> = p
            .entries
            .iter()
            .filter(|e| e.secret)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(secrets, ["fake-acme_us_gateway_key"]);
        let bytes = render(p, &schema.file().domain, KeySelection::All);
        insta::assert_snapshot!("us_mobileconfig", String::from_utf8(bytes).unwrap());
    });
}

// -------------------------------------------------------- ProfileManifests

/// The pfm_type → what the value must read back as.
fn pfm_type_matches(ty: &str, v: &Json) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "real" | "float" => v.get("$real").is_some(),
        "boolean" => v.is_boolean(),
        "date" => v.get("$date").is_some(),
        "data" => v.get("$data").is_some(),
        "array" => v.is_array(),
        "dictionary" | "dict" => {
            v.is_object() && !v.as_object().unwrap().keys().any(|k| k.starts_with('$'))
        }
        _ => false,
    }
}

const PFM_TYPES: &[&str] = &[
    "string",
    "integer",
    "real",
    "float",
    "boolean",
    "date",
    "data",
    "array",
    "dictionary",
    "dict",
];

/// The checks of pre-commit-macadmin's `check_preference_manifests`,
/// re-implemented: returns every problem found.
fn lint_manifest(m: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["pfm_title", "pfm_domain", "pfm_description"] {
        if m.get(key).is_none_or(|v| v == "") {
            problems.push(format!("root: missing required key {key}"));
        }
    }
    if m.get("pfm_format_version").is_some_and(|v| v != 1) {
        problems.push("pfm_format_version should be 1".to_string());
    }
    lint_types(m, "root", &mut problems);
    if let Some(subkeys) = m.get("pfm_subkeys") {
        lint_subkeys(subkeys, &mut problems);
    }
    problems
}

/// Types of the manifest keys the hook knows.
fn lint_types(d: &Json, at: &str, problems: &mut Vec<String>) {
    let string_keys = [
        "pfm_description",
        "pfm_domain",
        "pfm_format",
        "pfm_name",
        "pfm_require",
        "pfm_title",
        "pfm_type",
        "pfm_app_deprecated",
        "pfm_app_max",
        "pfm_app_min",
        "pfm_app_url",
        "pfm_description_reference",
        "pfm_documentation_url",
        "pfm_note",
        "pfm_subdomain",
    ];
    for key in string_keys {
        if d.get(key).is_some_and(|v| !v.is_string()) {
            problems.push(format!("{at}: {key} should be a string"));
        }
    }
    for key in [
        "pfm_format_version",
        "pfm_version",
        "pfm_range_max",
        "pfm_range_min",
    ] {
        if d.get(key)
            .is_some_and(|v| !(v.is_number() || v.get("$real").is_some()))
        {
            problems.push(format!("{at}: {key} should be a number"));
        }
    }
    for key in ["pfm_unique", "pfm_sensitive", "pfm_required"] {
        if d.get(key).is_some_and(|v| !v.is_boolean()) {
            problems.push(format!("{at}: {key} should be a boolean"));
        }
    }
    if d.get("pfm_last_modified")
        .is_some_and(|v| v.get("$date").is_none())
    {
        problems.push(format!("{at}: pfm_last_modified should be a date"));
    }
    type ItemCheck = fn(&Json) -> bool;
    let list_items: [(&str, ItemCheck); 5] = [
        ("pfm_subkeys", Json::is_object),
        ("pfm_targets", Json::is_string),
        ("pfm_platforms", Json::is_string),
        ("pfm_range_list_titles", Json::is_string),
        ("pfm_range_list", |_| true),
    ];
    for (key, item_ok) in list_items {
        if let Some(v) = d.get(key) {
            match v.as_array() {
                Some(items) => {
                    if items.first().is_some_and(|i| !item_ok(i)) {
                        problems.push(format!("{at}: {key} items have the wrong type"));
                    }
                }
                None => problems.push(format!("{at}: {key} should be an array")),
            }
        }
    }
    for key in ["pfm_platforms"] {
        for p in d.get(key).and_then(Json::as_array).into_iter().flatten() {
            if !["macOS", "iOS", "tvOS"].contains(&p.as_str().unwrap_or("")) {
                problems.push(format!("{at}: bad platform {p}"));
            }
        }
    }
    for key in ["pfm_app_url", "pfm_documentation_url"] {
        if let Some(url) = d.get(key).and_then(Json::as_str)
            && !url.starts_with("http")
        {
            problems.push(format!("{at}: {key} is not a URL"));
        }
    }
}

fn lint_subkeys(subkeys: &Json, problems: &mut Vec<String>) {
    for s in subkeys.as_array().unwrap() {
        let name = s
            .get("pfm_name")
            .and_then(Json::as_str)
            .unwrap_or("<unnamed>")
            .to_string();
        let ty = s.get("pfm_type").and_then(Json::as_str).unwrap_or("");
        if ty.is_empty() || (ty != "array" && s.get("pfm_name").is_none_or(|v| v == "")) {
            problems.push(format!("{name}: missing pfm_type or pfm_name"));
            continue;
        }
        if !PFM_TYPES.contains(&ty) {
            problems.push(format!("{name}: unexpected subkey type {ty}"));
            continue;
        }
        lint_types(s, &name, problems);
        let known: &[(&str, &[&str])] = &[
            ("PayloadDescription", &["string"]),
            ("PayloadDisplayName", &["string"]),
            ("PayloadIdentifier", &["string"]),
            ("PayloadOrganization", &["string"]),
            ("PayloadRemovalDisallowed", &["boolean"]),
            ("PayloadType", &["string"]),
            ("PayloadUUID", &["string"]),
            ("PayloadVersion", &["integer", "float"]),
        ];
        if let Some((_, types)) = known.iter().find(|(n, _)| *n == name)
            && !types.contains(&ty)
        {
            problems.push(format!("{name}: should be of type {types:?}, not {ty}"));
        }
        if let Some(r) = s.get("pfm_require")
            && !["always", "always-nested", "push"].contains(&r.as_str().unwrap_or(""))
        {
            problems.push(format!("{name}: bad pfm_require {r}"));
        }
        if s.get("pfm_required").is_some_and(|v| v != true) {
            problems.push(format!("{name}: pfm_required should be true if used"));
        }
        for t in s
            .get("pfm_targets")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if !["user", "user-managed", "system", "system-managed"]
                .contains(&t.as_str().unwrap_or(""))
            {
                problems.push(format!("{name}: bad pfm_targets value {t}"));
            }
        }
        if let Some(d) = s.get("pfm_default")
            && !pfm_type_matches(ty, d)
        {
            problems.push(format!("{name}: pfm_default {d} is not of type {ty}"));
        }
        // Beyond the hook: range lists hold values of the key's type and
        // titles match them one to one.
        if let Some(list) = s.get("pfm_range_list").and_then(Json::as_array) {
            if list.iter().any(|v| !pfm_type_matches(ty, v)) {
                problems.push(format!("{name}: pfm_range_list items are not of type {ty}"));
            }
            if let Some(titles) = s.get("pfm_range_list_titles").and_then(Json::as_array)
                && (titles.len() != list.len() || titles.iter().any(|t| !t.is_string()))
            {
                problems.push(format!("{name}: pfm_range_list_titles do not match"));
            }
            if let Some(d) = s.get("pfm_default")
                && !list.contains(d)
            {
                problems.push(format!("{name}: pfm_default {d} is not in pfm_range_list"));
            }
        }
        if let Some(sub) = s.get("pfm_subkeys") {
            lint_subkeys(sub, problems);
        }
    }
}

#[test]
fn manifest_lint_catches_mistakes() {
    // The re-implemented hook rejects what the real one rejects.
    let bad = json!({
        "pfm_title": "t", "pfm_domain": "d", "pfm_description": "",
        "pfm_format_version": 2,
        "pfm_subkeys": [
            {"pfm_name": "a", "pfm_type": "bool"},
            {"pfm_name": "b", "pfm_type": "string", "pfm_default": true},
            {"pfm_name": "c", "pfm_type": "string", "pfm_require": "sometimes"},
            {"pfm_name": "d", "pfm_type": "string", "pfm_range_list": ["x", "y"], "pfm_range_list_titles": ["X"]},
            {"pfm_name": "PayloadVersion", "pfm_type": "string"},
        ]
    });
    let problems = lint_manifest(&bad);
    assert_eq!(problems.len(), 7, "{problems:#?}");
}

#[test]
fn profile_manifest_is_valid() {
    if !(have_python() & have_xmllint()) {
        return;
    }
    let schema = Schema::builtin();
    let bytes = profile_manifest(&schema);
    let dir = scratch("pfm");
    let file = write(&dir, &format!("{DOMAIN}.plist"), &bytes);
    assert_dtd_valid(std::slice::from_ref(&file));
    let m = read_plists(&[file]).remove(0)["plist"].clone();
    let problems = lint_manifest(&m);
    assert!(problems.is_empty(), "{problems:#?}");

    assert_eq!(m["pfm_domain"], DOMAIN);
    assert_eq!(m["pfm_format_version"], 1);
    assert_eq!(m["pfm_version"], manifest_version(&schema));
    assert_eq!(m["pfm_version"], 46388);
    assert_eq!(m["pfm_last_modified"]["$date"], pfm::LAST_MODIFIED);
    assert_eq!(m["pfm_title"], schema.file().application.as_str());

    let subkeys = m["pfm_subkeys"].as_array().unwrap();
    let names: Vec<&str> = subkeys
        .iter()
        .map(|s| s["pfm_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..7],
        [
            "PayloadDescription",
            "PayloadDisplayName",
            "PayloadIdentifier",
            "PayloadType",
            "PayloadUUID",
            "PayloadVersion",
            "PayloadOrganization"
        ]
    );
    for s in &subkeys[2..4] {
        assert_eq!(s["pfm_default"], DOMAIN);
    }
    let expected: Vec<&str> = schema
        .keys()
        .iter()
        .filter(|d| included(d))
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names[7..], expected[..]);
    assert!(expected.len() > 100);
    for removed in schema.keys().iter().filter(|d| !included(d)) {
        assert!(!names.contains(&removed.name.as_str()), "{}", removed.name);
    }
    for (s, def) in subkeys[7..]
        .iter()
        .zip(schema.keys().iter().filter(|d| included(d)))
    {
        assert_eq!(s["pfm_type"], "string", "{}", def.name);
        assert!(
            s["pfm_description"]
                .as_str()
                .unwrap()
                .starts_with(def.doc.trim())
        );
        // From the version that reads the key from device management.
        if let Some(since) = def.device_since() {
            assert_eq!(s["pfm_app_min"], since, "{}", def.name);
        }
        if matches!(def.ty, TypeDef::Boolean) {
            assert_eq!(
                s["pfm_range_list"],
                json!(["true", "false"]),
                "{}",
                def.name
            );
        }
        assert_eq!(s.get("pfm_sensitive") == Some(&json!(true)), def.secret);
    }
    assert_patterns_agree_with_values(
        subkeys[7..].iter().filter_map(|s| {
            Some((
                s["pfm_name"].as_str()?,
                s.get("pfm_format")?.as_str()?,
                s.get("pfm_default"),
            ))
        }),
        &schema,
        &scratch("pfm-patterns"),
    );
}

/// Checks, with Python's `re`, that every integer pattern matches exactly
/// the decimal integers of the key's range, every decimal-number pattern
/// exactly the decimal numbers of its range (an excluded minimum
/// excluded), and that defaults match. `dir`: the caller's own scratch
/// directory (tests run in parallel, so a shared one would be removed
/// under another test's feet).
fn assert_patterns_agree_with_values<'a>(
    patterns: impl Iterator<Item = (&'a str, &'a str, Option<&'a Json>)>,
    schema: &Schema,
    dir: &Path,
) {
    let mut cases = Vec::new();
    for (name, pattern, default) in patterns {
        let def = schema.key(name).unwrap();
        let (min, max) = match def.ty {
            TypeDef::Integer { min, max } => (min, max),
            _ => (None, None),
        };
        let integer = matches!(def.ty, TypeDef::Integer { .. });
        let number = match def.ty {
            TypeDef::Number {
                min,
                exclusive_min,
                max,
            } => json!({ "min": min, "exclusive_min": exclusive_min, "max": max }),
            _ => Json::Null,
        };
        cases.push(json!({
            "name": name, "pattern": pattern, "integer": integer, "number": number,
            "min": min, "max": max, "default": default,
        }));
    }
    assert!(cases.iter().filter(|c| c["integer"] == true).count() >= 5);
    assert!(
        cases
            .iter()
            .any(|c| c["number"]["exclusive_min"] == true && c["number"]["max"].is_number()),
        "no number key with an excluded minimum and a maximum to check"
    );
    let script = r#"
import json, re, sys
problems = []
for c in json.loads(open(sys.argv[1]).read()):
    r = re.compile(c["pattern"])
    ok = lambda s: r.search(s) is not None
    if c["default"] is not None and not ok(c["default"]):
        problems.append(f'{c["name"]}: default {c["default"]!r} does not match')
    if c["number"] is not None:
        n = c["number"]
        def inside(x):
            if n["min"] is not None and (x <= n["min"] if n["exclusive_min"] else x < n["min"]):
                return False
            return n["max"] is None or x <= n["max"]
        decimals = ["0", "0.0", "0.00", "0.001", "0.5", "0.85", "0.999", "1", "1.0", "1.00",
                    "1.000001", "1.5", "2", "10", "-0.5", "-1"]
        for s in decimals:
            if ok(s) != inside(float(s)):
                problems.append(f'{c["name"]}: {s} wrongly {"accepted" if ok(s) else "rejected"}')
        for s in ["", ".5", "1.", "00.5", "+0.5", " 0.5", "0.5 ", "0,5", "true"]:
            if ok(s):
                problems.append(f'{c["name"]}: {s!r} accepted')
    if not c["integer"]:
        continue
    lo, hi = c["min"], c["max"]
    inside = lambda n: (lo is None or n >= lo) and (hi is None or n <= hi)
    a = (lo if lo is not None else -1000) - 1100
    b = (hi if hi is not None else 1000) + 1100
    for n in list(range(a, b)) + [10**12, -10**12, 99999, 100000]:
        if ok(str(n)) != inside(n):
            problems.append(f'{c["name"]}: {n} wrongly {"accepted" if ok(str(n)) else "rejected"}')
    for s in ["", "+5", "05", "-0", "1.0", " 5", "5 ", "1e3", "0x10", "true"]:
        if ok(s):
            problems.append(f'{c["name"]}: {s!r} accepted')
print(json.dumps(problems))
"#;
    let file = write(
        dir,
        "cases.json",
        serde_json::to_string(&cases).unwrap().as_bytes(),
    );
    let problems = python_json(script, &[&file]);
    assert_eq!(problems, json!([]));
}

#[test]
fn profile_manifest_snapshot() {
    let schema = Schema::builtin();
    let bytes = profile_manifest(&schema);
    let m = plist::Value::from_reader_xml(std::io::Cursor::new(&bytes)).unwrap();
    let root = m.as_dictionary().unwrap();
    let mut out = String::new();
    for (k, v) in root {
        if k != "pfm_subkeys" {
            out.push_str(&format!("{k}: {v:?}\n"));
        }
    }
    out.push('\n');
    for s in root["pfm_subkeys"].as_array().unwrap() {
        let s = s.as_dictionary().unwrap();
        let get = |k: &str| {
            s.get(k).map_or(String::new(), |v| match v {
                plist::Value::String(t) => t.clone(),
                plist::Value::Integer(i) => i.to_string(),
                plist::Value::Boolean(b) => b.to_string(),
                plist::Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_string()
                            .map_or_else(|| format!("{i:?}"), str::to_string)
                    })
                    .collect::<Vec<_>>()
                    .join("|"),
                other => format!("{other:?}"),
            })
        };
        out.push_str(&format!(
            "{} | {} | default={} | range=[{}] | format={} | min={} | deprecated={}{}\n",
            get("pfm_name"),
            get("pfm_type"),
            get("pfm_default"),
            get("pfm_range_list"),
            get("pfm_format"),
            get("pfm_app_min"),
            get("pfm_app_deprecated"),
            if s.contains_key("pfm_sensitive") {
                " | sensitive"
            } else {
                ""
            },
        ));
    }
    insta::assert_snapshot!("pfm_summary", out);
}

// ------------------------------------------------------------------- Jamf

#[test]
fn jamf_manifest_is_valid_and_validates_values() {
    if !(have_check_jsonschema() & have_python()) {
        return;
    }
    let schema = Schema::builtin();
    let dir = scratch("jamf");
    let manifest_bytes = jamf_manifest(&schema);
    let manifest_path = write(&dir, "manifest.json", &manifest_bytes);
    let manifest: Json = serde_json::from_slice(&manifest_bytes).unwrap();

    let (ok, out) = check_jsonschema(&["--check-metaschema".as_ref(), manifest_path.as_os_str()]);
    assert!(ok, "metaschema check failed:\n{out}");

    let props = manifest["properties"].as_object().unwrap();
    let expected: Vec<&str> = schema
        .keys()
        .iter()
        .filter(|d| included(d))
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        props.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    for (name, p) in props {
        assert_eq!(p["type"], "string", "{name}");
        let def = schema.key(name).unwrap();
        if matches!(def.ty, TypeDef::Boolean) {
            assert_eq!(p["enum"], json!(["true", "false"]), "{name}");
        }
        if let Some(d) = p.get("default") {
            assert!(d.is_string(), "{name}");
            if let Some(choices) = p.get("enum") {
                assert!(
                    choices.as_array().unwrap().contains(d),
                    "{name}: default not in enum"
                );
            }
        }
    }
    assert_patterns_agree_with_values(
        props
            .iter()
            .filter_map(|(n, p)| Some((n.as_str(), p.get("pattern")?.as_str()?, p.get("default")))),
        &schema,
        &dir,
    );

    // The `us` profile's values (as the app reads them) validate.
    let sample = common::with_encoded_policies(|_, profiles| {
        let us = profiles.iter().find(|p| p.name == "us").unwrap();
        let mut sample = Map::new();
        for e in &us.entries {
            assert!(included(e.def), "`{}` is not in the manifests", e.def.name);
            sample.insert(e.def.name.clone(), Json::String(e.text.clone()));
        }
        Json::Object(sample)
    });
    assert!(sample.as_object().unwrap().len() > 20);
    let sample_path = write(&dir, "us.json", sample.to_string().as_bytes());
    let (ok, out) = check_jsonschema(&[
        "--schemafile".as_ref(),
        manifest_path.as_os_str(),
        sample_path.as_os_str(),
    ]);
    assert!(ok, "the us sample does not validate:\n{out}");

    // Deliberately wrong values are rejected, each on its own.
    let bad = [
        json!({"autoUpdaterEnforcementHours": "96"}),
        json!({"autoUpdaterEnforcementHours": "0"}),
        json!({"autoUpdaterEnforcementHours": 24}),
        json!({"disableAutoUpdates": "yes"}),
        json!({"disableAutoUpdates": true}),
        json!({"inferenceProvider": "openai"}),
        json!({"managedMcpServers": "not json"}),
        json!({"inferenceCustomHeaders": "[\"X-A: b\"]"}),
        json!({"deploymentOrganizationUuid": "{6f1c2a9e-3b7d-4c8e-9a51-2d4e8f0b7c63}"}),
        json!({"inferenceGatewayBaseUrl": "ftp://llm.example.com"}),
        // Greater than 0 and at most 1.
        json!({"inferenceModelPricingMultiplier": "0"}),
        json!({"inferenceModelPricingMultiplier": "0.0"}),
        json!({"inferenceModelPricingMultiplier": "1.5"}),
    ];
    for (i, b) in bad.iter().enumerate() {
        let path = write(&dir, &format!("bad{i}.json"), b.to_string().as_bytes());
        let (ok, out) = check_jsonschema(&[
            "--schemafile".as_ref(),
            manifest_path.as_os_str(),
            path.as_os_str(),
        ]);
        assert!(!ok, "accepted a bad value {b}:\n{out}");
    }
    // And the edges of a range with an excluded minimum are accepted.
    for (i, good) in ["0.85", "0.001", "1", "1.0"].iter().enumerate() {
        let value = json!({ "inferenceModelPricingMultiplier": good });
        let path = write(&dir, &format!("good{i}.json"), value.to_string().as_bytes());
        let (ok, out) = check_jsonschema(&[
            "--schemafile".as_ref(),
            manifest_path.as_os_str(),
            path.as_os_str(),
        ]);
        assert!(ok, "rejected a good value {value}:\n{out}");
    }
}

#[test]
fn jamf_manifest_snapshot() {
    let schema = Schema::builtin();
    let m: Json = serde_json::from_slice(&jamf_manifest(&schema)).unwrap();
    let mut excerpt = m.clone();
    let props = m["properties"].as_object().unwrap();
    let mut kept = Map::new();
    for key in [
        "disableAutoUpdates",
        "autoUpdaterEnforcementHours",
        "inferenceProvider",
        "managedMcpServers",
        "inferenceGatewayApiKey",
    ] {
        kept.insert(key.to_string(), props[key].clone());
    }
    excerpt["properties"] = Json::Object(kept);
    insta::assert_snapshot!(
        "jamf_excerpt",
        serde_json::to_string_pretty(&excerpt).unwrap()
    );
}
