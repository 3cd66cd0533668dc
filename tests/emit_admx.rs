//! The ADMX/ADML template: XSD validity (xmllint), cross-references, the
//! registry values it writes, and a reproducible zip (unzip).
#![allow(clippy::unwrap_used)]

mod common;

use polc::diag::Diagnostics;
use polc::emit::admx::{self, REGISTRY_KEY};
use polc::schema::Schema;
use polc::schema::model::Status;
use polc::source::FileId;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A parsed XML element (enough of a DOM for the checks).
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.all(name, out);
        }
    }

    fn find_all(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        self.all(name, &mut out);
        out
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }
}

fn parse(xml: &str) -> Node {
    fn element(e: &quick_xml::events::BytesStart<'_>) -> Node {
        let mut node = Node {
            name: e.local_name().as_ref().to_string(),
            ..Node::default()
        };
        for a in e.attributes() {
            let a = a.unwrap();
            node.attrs.insert(
                a.key.as_ref().to_string(),
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned(),
            );
        }
        node
    }
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let n = element(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                stack.last_mut().unwrap().text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().unwrap() {
                    stack.last_mut().unwrap().text.push(c);
                    continue;
                }
                let ch = match &*r {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity &{other};"),
                };
                stack.last_mut().unwrap().text.push_str(ch);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}

fn builtin() -> Schema {
    Schema::builtin()
}

/// A schema that exercises identifier sanitizing and escaping.
fn odd_schema() -> Schema {
    let long = "v".repeat(300);
    let text = serde_json::json!({
        "format_version": 1,
        "application": "Odd & <Test> \"App\"",
        "domain": "com.example.odd",
        "provider_key": "mode",
        "sections": [
            {"id": "main-section", "title": "Main & more", "doc": "Docs with <tags> & `code`."},
            {"id": "main_section", "title": "Clashing id"},
            {"id": "empty", "title": "No keys"}
        ],
        "keys": [
            {"name": "mode", "section": "main-section", "type": {"type": "string", "enum": ["a&b", "c<d", "Explain"]},
             "doc": "Mode \u{7} with control.", "default": "c<d", "availability": "managed"},
            {"name": "odd.name-1", "section": "main-section", "type": {"type": "boolean"}, "doc": "Dots.", "since": "1.10.0",
             "availability": "managed"},
            {"name": "odd_name_1", "section": "main_section", "type": {"type": "integer", "min": 1, "max": 5}, "doc": "Clash.",
             "since": "1.9.0", "default": 3, "providers": ["a&b"], "availability": "managed"},
            {"name": "Odd_Name_1", "section": "main_section", "type": {"type": "boolean"}, "doc": "Same registry value.",
             "availability": "managed"},
            {"name": "longEnum", "section": "main_section", "type": {"type": "string", "enum": [long]}, "doc": "Long enum.",
             "availability": "managed", "secret": true},
            {"name": "obj", "section": "main_section", "type": {"type": "map", "values": {"type": "string"}}, "doc": "JSON.",
             "default": {"x": "<&>"}, "availability": "managed"},
            {"name": "MODE", "section": "main_section", "type": {"type": "boolean"}, "doc": "Old spelling.",
             "status": "deprecated", "availability": "managed"},
            {"name": "gone", "section": "main_section", "type": {"type": "boolean"}, "doc": "Removed.",
             "status": "removed", "availability": "managed"},
            {"name": "served", "section": "main_section", "type": {"type": "boolean"}, "doc": "Bootstrap only.",
             "availability": "bootstrap"}
        ]
    })
    .to_string();
    let mut diags = Diagnostics::new();
    let schema = Schema::load(&text, FileId(0), &mut diags);
    assert!(diags.as_slice().is_empty(), "{:?}", diags.as_slice());
    schema.unwrap()
}

/// Writes `Claude.admx` and `en-US/Claude.adml` into a fresh directory.
fn write_files(schema: &Schema, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("emit_admx")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("en-US")).unwrap();
    std::fs::write(dir.join("Claude.admx"), admx::admx(schema)).unwrap();
    std::fs::write(dir.join("en-US/Claude.adml"), admx::adml(schema)).unwrap();
    dir
}

fn xsd() -> PathBuf {
    common::validators_dir().join("admx-xsd/PolicyDefinitionFiles.xsd")
}

fn xmllint_validates(schema: &Schema, name: &str) {
    if !common::require("xmllint", common::have_command("xmllint"))
        || !common::require("admx-xsd (shared/validators)", xsd().is_file())
    {
        return;
    }
    let dir = write_files(schema, name);
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd())
        .args(["Claude.admx", "en-US/Claude.adml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint rejected the template in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn xsd_valid() {
    xmllint_validates(&builtin(), "builtin");
}

#[test]
fn xsd_valid_with_odd_names() {
    xmllint_validates(&odd_schema(), "odd");
}

/// `$(string.X)` / `$(presentation.X)` references in attribute values.
fn refs(root: &Node, kind: &str) -> Vec<String> {
    let prefix = format!("$({kind}.");
    let mut nodes = Vec::new();
    root.walk(&mut nodes);
    nodes
        .iter()
        .flat_map(|n| n.attrs.values())
        .filter_map(|v| v.strip_prefix(&prefix)?.strip_suffix(')'))
        .map(str::to_string)
        .collect()
}

fn unique(names: Vec<String>, what: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for n in names {
        assert!(set.insert(n.to_lowercase()), "duplicate {what} `{n}`");
    }
    set
}

/// The registry value names a policy writes.
fn written_values(policy: &Node) -> Vec<String> {
    let mut names = Vec::new();
    let mut nodes = Vec::new();
    policy.walk(&mut nodes);
    for n in nodes {
        if let Some(v) = n.attr("valueName") {
            names.push(v.to_string());
        }
    }
    names
}

fn cross_references(schema: &Schema) {
    let x = parse(&admx::admx(schema));
    let l = parse(&admx::adml(schema));
    assert_eq!(x.name, "policyDefinitions");
    assert_eq!(l.name, "policyDefinitionResources");

    let strings = unique(
        l.find_all("string")
            .iter()
            .filter_map(|s| s.attr("id").map(str::to_string))
            .collect(),
        "string id",
    );
    let presentations: BTreeMap<&str, &Node> = l
        .find_all("presentation")
        .into_iter()
        .map(|p| (p.attr("id").unwrap(), p))
        .collect();
    unique(
        presentations.keys().map(|s| (*s).to_string()).collect(),
        "presentation id",
    );
    for r in refs(&x, "string") {
        assert!(
            strings.contains(&r.to_lowercase()),
            "$(string.{r}) has no string"
        );
    }
    for r in refs(&x, "presentation") {
        assert!(
            presentations.contains_key(r.as_str()),
            "$(presentation.{r}) is missing"
        );
    }
    // Every ADML string is used (no stale strings).
    let used: BTreeSet<String> = refs(&x, "string")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    assert_eq!(strings, used, "ADML strings the ADMX does not reference");

    let categories: Vec<String> = x
        .find_all("category")
        .iter()
        .map(|c| c.attr("name").unwrap().to_string())
        .collect();
    let categories = unique(categories, "category");
    for p in x.find_all("parentCategory") {
        let r = p.attr("ref").unwrap();
        assert!(
            categories.contains(&r.to_lowercase()),
            "category `{r}` is not defined"
        );
    }
    let supported = unique(
        x.find_all("definition")
            .iter()
            .map(|d| d.attr("name").unwrap().to_string())
            .collect(),
        "supportedOn definition",
    );

    let policies = x.find_all("policy");
    unique(
        policies
            .iter()
            .map(|p| p.attr("name").unwrap().to_string())
            .collect(),
        "policy name",
    );
    let mut by_value: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for p in &policies {
        let name = p.attr("name").unwrap();
        assert_eq!(p.attr("key"), Some(REGISTRY_KEY), "{name}: key");
        assert_eq!(p.attr("class"), Some("Both"), "{name}: class");
        let sup = p.child("supportedOn").unwrap().attr("ref").unwrap();
        assert!(supported.contains(&sup.to_lowercase()), "{name}: {sup}");
        let values = written_values(p);
        assert_eq!(values.len(), 1, "{name} writes {values:?}");
        by_value
            .entry(values[0].to_lowercase())
            .or_default()
            .push(name);

        // No element writes anywhere else or in a type the app cannot read.
        let mut nodes = Vec::new();
        p.walk(&mut nodes);
        for n in nodes {
            assert!(
                !["multiText", "list", "boolean", "longDecimal"].contains(&n.name.as_str()),
                "{name}: <{}> writes a type the app cannot read",
                n.name
            );
            // A `decimal` writes REG_DWORD unless it is stored as text.
            if n.name == "decimal" {
                assert_eq!(n.attr("storeAsText"), Some("true"), "{name}: REG_DWORD");
            }
            assert_ne!(n.attr("expandable"), Some("true"), "{name}: REG_EXPAND_SZ");
            assert!(
                n.attr("key").is_none_or(|k| k == REGISTRY_KEY),
                "{name}: subkey"
            );
        }

        let elements: Vec<&Node> = p
            .child("elements")
            .map_or(Vec::new(), |e| e.children.iter().collect());
        match p.attr("presentation") {
            None => {
                // A boolean: string "true"/"false".
                assert!(elements.is_empty(), "{name}");
                for (tag, want) in [("enabledValue", "true"), ("disabledValue", "false")] {
                    let s = p.child(tag).and_then(|v| v.child("string"));
                    assert_eq!(s.map(|s| s.text.as_str()), Some(want), "{name}: {tag}");
                }
            }
            Some(pres) => {
                let id = pres
                    .strip_prefix("$(presentation.")
                    .and_then(|s| s.strip_suffix(')'))
                    .unwrap();
                assert_eq!(elements.len(), 1, "{name}: one element");
                let el = elements[0];
                assert!(
                    ["text", "enum", "decimal"].contains(&el.name.as_str()),
                    "{name}"
                );
                assert_eq!(el.attr("required"), Some("true"), "{name}");
                let presentation = presentations[id];
                assert_eq!(presentation.children.len(), 1, "{name}");
                let control = &presentation.children[0];
                assert_eq!(control.attr("refId"), el.attr("id"), "{name}: refId");
                let want = match el.name.as_str() {
                    "text" => "textBox",
                    "decimal" => "decimalTextBox",
                    _ => "dropdownList",
                };
                assert_eq!(control.name, want, "{name}");
                if el.name == "decimal" {
                    let bound = |a: &str| -> u32 { el.attr(a).unwrap().parse().unwrap() };
                    let (min, max) = (bound("minValue"), bound("maxValue"));
                    assert!(min <= max, "{name}: {min} to {max}");
                    let default: u32 = control.attr("defaultValue").unwrap().parse().unwrap();
                    assert!((min..=max).contains(&default), "{name}: default {default}");
                } else if el.name == "text" {
                    let max: u32 = el.attr("maxLength").unwrap().parse().unwrap();
                    assert!(max >= 20, "{name}: maxLength {max}");
                    if let Some(d) = control.child("defaultValue") {
                        assert!(d.text.chars().count() <= max as usize, "{name}");
                    }
                } else {
                    for item in el.find_all("item") {
                        let s = item.child("value").and_then(|v| v.child("string"));
                        assert!(s.is_some(), "{name}: enum items are strings");
                    }
                    if let Some(i) = control.attr("defaultItem") {
                        let i: usize = i.parse().unwrap();
                        assert!(i < el.find_all("item").len(), "{name}: defaultItem");
                    }
                }
            }
        }
    }
    for (value, names) in &by_value {
        assert_eq!(names.len(), 1, "value `{value}` is written by {names:?}");
    }

    // Every key of the template has exactly one policy, and nothing else.
    let included: BTreeSet<String> = admx::template_keys(schema)
        .iter()
        .map(|k| k.name.to_lowercase())
        .collect();
    let written: BTreeSet<String> = by_value.keys().cloned().collect();
    assert_eq!(included, written);
}

#[test]
fn cross_references_builtin() {
    cross_references(&builtin());
}

#[test]
fn cross_references_odd_names() {
    cross_references(&odd_schema());
}

#[test]
fn which_keys_are_included() {
    let schema = builtin();
    let included: BTreeSet<&str> = admx::template_keys(&schema)
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    for k in schema.keys() {
        let want = match k.status {
            Status::Documented => true,
            Status::Deprecated => !schema.keys().iter().any(|o| {
                o.name != k.name
                    && o.status == Status::Documented
                    && o.name.eq_ignore_ascii_case(&k.name)
            }),
            Status::Removed | Status::FirstPartyOnly | Status::Unverified => false,
        };
        assert_eq!(included.contains(k.name.as_str()), want, "{}", k.name);
    }
    // Deprecated keys are marked in their display name.
    let adml = admx::adml(&schema);
    assert!(adml.contains("<string id=\"isDxtEnabled\">isDxtEnabled (deprecated)</string>"));
    // `enduserAttribution` is the same registry value as `endUserAttribution`.
    assert!(!included.contains("enduserAttribution"));
    assert!(included.contains("endUserAttribution"));

    let odd = odd_schema();
    let names: Vec<&str> = admx::template_keys(&odd)
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["mode", "odd.name-1", "odd_name_1", "longEnum", "obj"]
    );
}

#[test]
fn odd_values_are_escaped_and_sanitized() {
    let odd = odd_schema();
    let x = parse(&admx::admx(&odd));
    let l = parse(&admx::adml(&odd));
    let items: Vec<String> = x
        .find_all("string")
        .iter()
        .map(|s| s.text.clone())
        .collect();
    assert_eq!(items, ["a&b", "c<d", "Explain", "true", "false"]);
    let names: Vec<&str> = x
        .find_all("policy")
        .iter()
        .map(|p| p.attr("name").unwrap())
        .collect();
    assert_eq!(
        names,
        ["mode", "odd_name_1", "odd_name_1_2", "longEnum", "obj"]
    );
    // A 300-character enum value cannot be an enum item: a text box.
    let long = x.find_all("policy")[3].find_all("text");
    assert_eq!(long.len(), 1);
    assert_eq!(l.child("displayName").unwrap().text, "Odd & <Test> \"App\"");
    let strings: BTreeMap<&str, &str> = l
        .find_all("string")
        .iter()
        .map(|s| (s.attr("id").unwrap(), s.text.as_str()))
        .collect();
    assert!(!strings["mode_Explain"].contains('\u{7}'));
    assert!(strings["Claude_main_section_Explain"].contains("<tags> & code."));
    let obj = l
        .find_all("presentation")
        .into_iter()
        .find(|p| p.attr("id") == Some("obj"))
        .unwrap();
    assert_eq!(obj.find_all("defaultValue")[0].text, r#"{"x":"<&>"}"#);
    // No default is shown for a secret.
    let secret = l
        .find_all("presentation")
        .into_iter()
        .find(|p| p.attr("id") == Some("longEnum"))
        .unwrap();
    assert!(secret.find_all("defaultValue").is_empty());
}

#[test]
fn deterministic() {
    let schema = builtin();
    assert_eq!(admx::admx(&schema), admx::admx(&schema));
    assert_eq!(admx::adml(&schema), admx::adml(&schema));
    assert_eq!(admx::template_zip(&schema), admx::template_zip(&schema));
    assert_eq!(admx::template_zip(&schema), admx::template_zip(&builtin()));
}

#[test]
fn zip_is_valid_and_reproducible() {
    if !common::require("unzip", common::have_command("unzip")) {
        return;
    }
    let schema = builtin();
    let bytes = admx::template_zip(&schema);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("emit_admx")
        .join("zip");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let zip = dir.join("claude-admx.zip");
    std::fs::write(&zip, &bytes).unwrap();

    let out = Command::new("unzip").arg("-t").arg(&zip).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "unzip -t: {stdout}");
    assert!(stdout.contains("No errors detected"), "{stdout}");

    let out = Command::new("unzip").arg("-Z1").arg(&zip).output().unwrap();
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(names, ["Claude.admx", "README.txt", "en-US/Claude.adml"]);

    // Stored, dated 1980-01-01 00:00, mode 0644.
    let out = Command::new("unzip").arg("-Zl").arg(&zip).output().unwrap();
    let listing = String::from_utf8(out.stdout).unwrap();
    for line in listing.lines().filter(|l| l.starts_with('-')) {
        assert!(line.starts_with("-rw-r--r--"), "{line}");
        assert!(line.contains(" stor "), "{line}");
        assert!(
            line.contains("80-Jan-01 00:00") || line.contains("1980"),
            "{line}"
        );
    }

    let extracted = dir.join("out");
    let out = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&extracted)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(extracted.join("Claude.admx")).unwrap(),
        admx::admx(&schema).into_bytes()
    );
    assert_eq!(
        std::fs::read(extracted.join("en-US/Claude.adml")).unwrap(),
        admx::adml(&schema).into_bytes()
    );
    let readme = std::fs::read_to_string(extracted.join("README.txt")).unwrap();
    assert!(readme.contains(REGISTRY_KEY));
}

#[test]
fn snapshot_admx_head() {
    let text = admx::admx(&builtin());
    let head: Vec<&str> = text.lines().take(80).collect();
    insta::assert_snapshot!("admx_head", head.join("\n"));
}

/// One policy of each value kind, as written.
#[test]
fn snapshot_admx_policies() {
    let text = admx::admx(&builtin());
    let mut out = String::new();
    for name in [
        "disableAutoUpdates",
        "otlpProtocol",
        "mcpToolTimeoutSec",
        "organizationInstructions",
        "managedMcpServers",
    ] {
        let start = text.find(&format!("<policy name=\"{name}\"")).unwrap();
        let end = start + text[start..].find("</policy>").unwrap() + "</policy>".len();
        out.push_str("    ");
        out.push_str(&text[start..end]);
        out.push('\n');
    }
    insta::assert_snapshot!("admx_policies", out);
}

#[test]
fn snapshot_adml_strings() {
    let l = parse(&admx::adml(&builtin()));
    let strings: BTreeMap<&str, &str> = l
        .find_all("string")
        .iter()
        .map(|s| (s.attr("id").unwrap(), s.text.as_str()))
        .collect();
    let presentations: BTreeMap<&str, &Node> = l
        .find_all("presentation")
        .into_iter()
        .map(|p| (p.attr("id").unwrap(), p))
        .collect();
    let mut out = String::new();
    for id in [
        "Claude_Explain",
        "disableAutoUpdates_Explain",
        "otlpProtocol_Explain",
        "mcpToolTimeoutSec_Explain",
        "managedMcpServers_Explain",
        "inferenceGatewayApiKey_Explain",
        "isDxtEnabled_Explain",
    ] {
        out.push_str(&format!("[{id}]\n{}\n\n", strings[id]));
    }
    for id in ["otlpProtocol", "mcpToolTimeoutSec", "managedMcpServers"] {
        let c = &presentations[id].children[0];
        let label = c
            .child("label")
            .map_or(c.text.as_str(), |l| l.text.as_str());
        let default = c
            .child("defaultValue")
            .map(|d| d.text.as_str())
            .or(c.attr("defaultItem"))
            .or(c.attr("defaultValue"))
            .unwrap_or("-");
        out.push_str(&format!(
            "[presentation {id}] <{}> label {label:?} default {default:?}\n",
            c.name
        ));
    }
    insta::assert_snapshot!("adml_strings", out);
}
