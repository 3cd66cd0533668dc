//! `polc fmt`: the canonical layout is idempotent, never changes what a
//! policy set means, and keeps every comment; the command's exit codes.
#![allow(clippy::unwrap_used)]

mod common;

use polc::host::MemoryHost;
use polc::schema::Schema;
use polc::source::SourceSet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn format(text: &str) -> String {
    match polc::syntax::format_source(text) {
        Ok(out) => out,
        Err(e) => panic!("cannot format:\n{text}\n{e:?}"),
    }
}

/// Every comment of a policy file (`//` to the end of the line, outside
/// strings), in order: an independent, lexical reading.
fn comments_of(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("\"\"\"") {
            i += 3;
            while i < bytes.len() && !text[i..].starts_with("\"\"\"") {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 3;
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if text[i..].starts_with("//") {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            out.push(text[i..end].trim_end_matches('\r').to_string());
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Formatting `text` keeps its comments, and formatting again changes
/// nothing. Returns the formatted text.
fn check_file(name: &str, text: &str) -> String {
    let once = format(text);
    let twice = format(&once);
    assert_eq!(once, twice, "formatting {name} twice changed it:\n{once}");
    assert_eq!(
        comments_of(text),
        comments_of(&once),
        "formatting {name} changed its comments:\n{once}"
    );
    assert!(once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")));
    assert!(!once.contains('\r'));
    once
}

/// What a compilation means: every profile's kind, parents, doc and
/// effective configuration (meta included), and every diagnostic's code,
/// severity and message.
type Meaning = (BTreeMap<String, serde_json::Value>, Vec<String>);

fn meaning(files: Vec<(String, Vec<u8>)>, host: &MemoryHost) -> Meaning {
    let sources = SourceSet::new(files);
    let schema = Schema::builtin();
    let c = polc::compile(&sources, &schema, host);
    let mut profiles = BTreeMap::new();
    for id in c.resolved.ids() {
        let decl = c.resolved.profile(id);
        let effective: serde_json::Map<String, serde_json::Value> = c.resolved.effective
            [id.index()]
        .as_ref()
        .map(|eff| {
            eff.iter()
                .map(|(k, v)| (k.to_string(), v.value.to_json(&|_| None)))
                .collect()
        })
        .unwrap_or_default();
        let parents: Vec<&str> = decl.parents.iter().map(|(p, _)| &**p).collect();
        profiles.insert(
            decl.name.to_string(),
            serde_json::json!({
                "abstract": decl.is_abstract,
                "doc": decl.doc,
                "parents": parents,
                "effective": effective,
                "show": polc::inspect::show_json(&c.resolved, id, &schema),
            }),
        );
    }
    let mut diagnostics: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{} {} {}", d.code.as_str(), d.severity.as_str(), d.message))
        .collect();
    diagnostics.sort();
    (profiles, diagnostics)
}

/// Formats every file of a policy set and checks that the set means the
/// same before and after.
fn check_set(dir: &Path) {
    let (files, host) = common::load_dir(dir);
    let formatted: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes.clone()).unwrap();
            let out = check_file(&format!("{}/{name}", dir.display()), &text);
            (name.clone(), out.into_bytes())
        })
        .collect();
    let before = meaning(files, &host);
    let after = meaning(formatted, &host);
    assert_eq!(
        before,
        after,
        "formatting {} changed its meaning",
        dir.display()
    );
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn repository_policies_and_examples_keep_their_meaning() {
    let root = common::root();
    check_set(&root.join("policies"));
    let examples = subdirs(&root.join("examples"));
    assert!(examples.len() >= 8);
    for dir in examples {
        check_set(&dir);
    }
}

#[test]
fn ui_cases_without_syntax_errors_keep_their_meaning() {
    let base = common::root().join("tests/ui");
    let mut checked = 0;
    for stage in subdirs(&base) {
        let name = stage.file_name().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "syntax" | "import" | "snapshots") {
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&stage)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                check_set(&path);
                checked += 1;
            } else if path.extension().is_some_and(|e| e == "policy") {
                let text = std::fs::read_to_string(&path).unwrap();
                let out = check_file(&path.display().to_string(), &text);
                let host = MemoryHost::default();
                assert_eq!(
                    meaning(vec![("p.policy".into(), text.into_bytes())], &host),
                    meaning(vec![("p.policy".into(), out.into_bytes())], &host),
                    "formatting {} changed its meaning",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} cases");
}

#[test]
fn mistakes_report_the_same_codes() {
    let dir = common::root().join("examples/mistakes");
    let (files, host) = common::load_dir(&dir);
    let formatted: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| {
            (
                n.clone(),
                format(std::str::from_utf8(b).unwrap()).into_bytes(),
            )
        })
        .collect();
    let codes = |files: Vec<(String, Vec<u8>)>| {
        let c = polc::compile(&SourceSet::new(files), &Schema::builtin(), &host);
        c.diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect::<Vec<_>>()
    };
    let before = codes(files);
    assert!(before.len() >= 5);
    assert_eq!(before, codes(formatted));
}

#[test]
fn repository_files_are_formatted() {
    // `polc fmt --check policies examples` in CI; here without the binary.
    let root = common::root();
    for dir in ["policies", "examples"] {
        let (files, _) = common::load_dir(&root.join(dir));
        for (name, bytes) in files {
            let text = String::from_utf8(bytes).unwrap();
            assert_eq!(format(&text), text, "{dir}/{name} is not formatted");
        }
    }
}

// ---------------------------------------------------------------------------
// Layout

/// A file written carelessly: every construct, comments everywhere.
const MESSY: &str = r##"// A messy file.


// Blank lines above collapse to one.
let   regions=["us","eu",   "apac"]   // trailing comment
let hosts = [ // after the bracket
  "a.example", "b.example" // after an element

  // before an element
  , "c.example"
]
/// Doc comment of `base`.
// an ordinary comment inside the doc block

/// second doc line
abstract   profile base{inferenceProvider="gateway" , inferenceGatewayBaseUrl = "https://llm.example.com"
// a comment does not break the alignment
        otlpEndpoint="https://otel.example.com"
   coworkEgressAllowedHosts+=["registry.npmjs.org","pypi.org","files.pythonhosted.org","static.crates.io"]
    disabledBuiltinTools -= "WebSearch"    // trailing
  inferenceModels+=["claude-sonnet-4-5"]   // aligned trailing comments


unset   otlpEndpoint
  banner = { enabled = true, text = "Managed device", backgroundColor = "#0B3D91", textColor = "#FFFFFF" }
  inferenceCustomHeaders={"X-A"="1","X-Team-Name"="platform"}
  organizationInstructions = """
      Kept exactly as written,
        including this indentation.
      """
meta{identifier="com.example.${profile}"
display_name = "Example (${profile})",}}
profile "team-a" extends // why two parents
  base , // the second one
  other
{
  inferenceGatewayApiKey = // on the next line
    env("KEY")
}
for region in regions { profile "${region}" extends base {} }
/// Ordinary: doc comments before a `for` attach to nothing.
for name , r in { us = { url = "https://us.example" } }
{
  let label = r.url

  profile "${name}-x" extends base { inferenceGatewayBaseUrl = label }
}
profile other {
  // only a comment
}
// The end.



"##;

#[test]
fn messy_file_snapshot() {
    let out = check_file("messy", MESSY);
    insta::assert_snapshot!("messy_before", MESSY);
    insta::assert_snapshot!("messy_after", out);
}

#[test]
fn crlf_becomes_lf() {
    let out = format("profile a {\r\n  x = 1 // c\r\n  y = \"\"\"\r\n    t\r\n    \"\"\"\r\n}\r\n");
    assert_eq!(
        out,
        "profile a {\n  x = 1 // c\n  y = \"\"\"\n    t\n    \"\"\"\n}\n"
    );
}

#[test]
fn long_lists_break_one_entry_per_line() {
    let hosts: Vec<String> = (0..8).map(|i| format!("\"host{i}.example.com\"")).collect();
    let text = format!("profile p {{\n  hosts = [{}]\n}}\n", hosts.join(", "));
    let out = format(&text);
    let expected: String = hosts.iter().map(|h| format!("    {h},\n")).collect();
    assert_eq!(
        out,
        format!("profile p {{\n  hosts = [\n{expected}  ]\n}}\n")
    );
    // A list that fits goes back on one line.
    assert_eq!(
        format("let a = [\n  1,\n  2,\n]\n"),
        "let a = [1, 2]\n",
        "short lists are joined"
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format(""), "");
    assert_eq!(format("\n\n"), "");
    assert_eq!(
        format("// only\n\n\n// comments"),
        "// only\n\n// comments\n"
    );
}

#[test]
fn syntax_errors_are_not_formatted() {
    match polc::syntax::format_source("profile a {\n  x = = 1\n}\n") {
        Err(polc::syntax::FormatError::Syntax(d)) => {
            assert_eq!(d[0].code.as_str(), "S0001");
        }
        other => panic!("{other:?}"),
    }
    // Errors found while lowering count too (an invalid escape).
    assert!(polc::syntax::format_source("let a = \"\\q\"\n").is_err());
}

// ---------------------------------------------------------------------------
// Generated inputs

use common::XorShift;

/// A generator of well-formed policy files with random layout: blanks,
/// line breaks, blank lines, trailing and own-line comments wherever the
/// grammar allows them. Every comment is numbered, so a lost or reordered
/// comment shows.
struct Gen {
    rng: XorShift,
    comments: usize,
}

const KEYS: &[&str] = &[
    "inferenceProvider",
    "inferenceGatewayBaseUrl",
    "inferenceGatewayApiKey",
    "inferenceModels",
    "managedMcpServers",
    "disabledBuiltinTools",
    "inferenceCustomHeaders",
    "autoUpdaterEnforcementHours",
    "banner",
    "coworkEgressAllowedHosts",
    "otlpEndpoint",
    "organizationInstructions",
    "\"quoted-key\"",
];

const NAMES: &[&str] = &["base", "us", "eu", "eng", "\"eu-eng\"", "x"];

impl Gen {
    fn comment(&mut self) -> String {
        self.comments += 1;
        format!("// c{}", self.comments)
    }

    /// Blanks between two tokens on one line (maybe none).
    fn sp(&mut self) -> &'static str {
        self.rng.pick(&["", "", " ", "  ", "\t"])
    }

    /// At least one blank.
    fn sp1(&mut self) -> &'static str {
        self.rng.pick(&[" ", " ", "  ", "\t", " \t "])
    }

    /// A line break with comments and blank lines; with `optional`, maybe
    /// only blanks.
    fn brk(&mut self, optional: bool) -> String {
        let indent = self.rng.pick(&["", "  ", "    ", "\t", " "]);
        match self.rng.below(if optional { 8 } else { 6 }) {
            0 => format!("\n{indent}"),
            1 => format!(" {}\n{indent}", self.comment()),
            2 => format!("\n\n\n{indent}"),
            3 => format!("\n  {}\n{indent}", self.comment()),
            4 => format!(
                "{}{}\n\n{}\n\n{indent}",
                self.sp(),
                self.comment(),
                self.comment()
            ),
            5 => format!("\n{}\n{indent}", self.comment()),
            _ => self.sp().to_string(),
        }
    }

    fn value(&mut self, depth: usize) -> String {
        match self.rng.below(if depth > 2 { 6 } else { 10 }) {
            0 => format!(
                "\"{}\"",
                self.rng.pick(&[
                    "gateway",
                    "https://a.example",
                    "x",
                    "",
                    "${profile}",
                    "${v}",
                    "a \\\"quoted\\\" \\u{2014} word"
                ])
            ),
            1 => self.rng.pick(&["0", "1", "72", "-5", "0.5"]).to_string(),
            2 => self.rng.pick(&["true", "false", "v", "t.url"]).to_string(),
            3 => {
                let (a, b) = (self.brk(true), self.brk(true));
                self.rng
                    .pick(&["env(\"SECRET_X\")", "file(\"notes.md\")"])
                    .replacen('(', &format!("({a}"), 1)
                    .replacen(')', &format!("{b})"), 1)
            }
            4 => "\"\"\"\n      multi ${v}\n        line\n      \"\"\"".to_string(),
            5 => {
                // A long list of short strings: breaks when it does not fit.
                let n = self.rng.below(12);
                let items: Vec<String> = (0..n).map(|i| format!("\"host-{i}.example\"")).collect();
                format!("[{}]", items.join(","))
            }
            6 | 7 => {
                let n = self.rng.below(4);
                let mut out = format!("[{}", self.brk(true));
                for i in 0..n {
                    out.push_str(&self.value(depth + 1));
                    out.push_str(&self.brk(true));
                    if i + 1 < n || self.rng.below(2) == 0 {
                        out.push(',');
                        out.push_str(&self.brk(true));
                    }
                }
                out.push(']');
                out
            }
            _ => {
                let n = self.rng.below(4);
                let mut out = format!("{{{}", self.brk(true));
                let fields = ["name", "transport", "url", "enabled", "\"X-Org\"", "env"];
                let mut used = Vec::new();
                for _ in 0..n {
                    let f = fields[self.rng.below(fields.len())];
                    if used.contains(&f) {
                        continue;
                    }
                    if !used.is_empty() {
                        out.push_str(&self.sep());
                    }
                    used.push(f);
                    let (s1, s2, gap) = (self.sp(), self.sp(), self.brk(true));
                    let value = self.value(depth + 1);
                    out.push_str(&format!("{f}{s1}={s2}{gap}{value}"));
                }
                if !used.is_empty() && self.rng.below(2) == 0 {
                    out.push_str(&self.sep());
                }
                out.push_str(self.sp());
                out.push('}');
                out
            }
        }
    }

    /// Separates statements or object entries: a line break, or a comma and
    /// maybe a line break.
    fn sep(&mut self) -> String {
        if self.rng.below(3) == 0 {
            let sp = self.sp();
            let brk = self.brk(true);
            format!("{sp},{brk}")
        } else {
            self.brk(false)
        }
    }

    fn block(&mut self, meta: bool) -> String {
        let mut out = format!("{{{}", self.brk(true));
        let n = self.rng.below(6);
        for i in 0..n {
            if i > 0 {
                out.push_str(&self.sep());
            }
            let key = self.rng.pick(KEYS);
            match self.rng.below(6) {
                0 => out.push_str(&format!("unset{}{key}", self.sp1())),
                1 if !meta => {
                    let gap = self.brk(true);
                    let body = self.block(true);
                    out.push_str(&format!("meta{gap}{body}"));
                }
                _ => {
                    let op = self.rng.pick(&["=", "+=", "-="]);
                    let (s1, s2) = (self.sp(), self.sp());
                    let gap = self.brk(true);
                    let value = self.value(0);
                    out.push_str(&format!("{key}{s1}{op}{s2}{gap}{value}"));
                }
            }
        }
        if n > 0 && self.rng.below(3) == 0 {
            out.push_str(&self.sep());
        } else if n > 0 {
            out.push_str(&self.brk(false));
        }
        out.push('}');
        out
    }

    fn docs(&mut self) -> String {
        let mut out = String::new();
        for _ in 0..self.rng.below(3) {
            self.comments += 1;
            out.push_str(&format!("/// d{}\n", self.comments));
            if self.rng.below(3) == 0 {
                out.push_str(&format!("\n{}\n", self.comment()));
            }
        }
        out
    }

    fn item(&mut self, depth: usize) -> String {
        let docs = self.docs();
        match self.rng.below(if depth > 1 { 4 } else { 6 }) {
            0 => {
                let (s1, s2, gap) = (self.sp(), self.sp(), self.brk(true));
                let value = self.value(0);
                let name = self.rng.pick(&["v", "t", "w"]);
                format!("{docs}let{}{name}{s1}={s2}{gap}{value}", self.sp1())
            }
            4 | 5 => {
                let gap1 = self.brk(true);
                let iterable = if self.rng.below(2) == 0 {
                    "[\"a\", \"b\"]".to_string()
                } else {
                    "{ k = 1 }".to_string()
                };
                let vars = if iterable.starts_with('[') {
                    "g".to_string()
                } else {
                    format!("g{},{}h", self.sp(), self.sp())
                };
                let gap2 = self.brk(true);
                let body = self.items(depth + 1, "{", "}");
                format!("{docs}for {vars} in{gap1}{iterable}{gap2}{body}")
            }
            _ => {
                let abstract_ = if self.rng.below(2) == 0 {
                    format!("abstract{}", self.sp1())
                } else {
                    String::new()
                };
                let name = if depth > 0 {
                    "\"p-${g}\"".to_string()
                } else {
                    self.rng.pick(NAMES).to_string()
                };
                let mut extends = String::new();
                let parents = self.rng.below(3);
                for i in 0..parents {
                    if i == 0 {
                        extends.push_str(&format!("{}extends", self.sp1()));
                    } else {
                        extends.push(',');
                    }
                    let gap = self.brk(true);
                    let gap = if gap.trim().is_empty() && !gap.contains('\n') {
                        " ".to_string()
                    } else {
                        gap
                    };
                    extends.push_str(&format!("{gap}{}", self.rng.pick(NAMES)));
                }
                let gap = self.brk(true);
                let body = self.block(false);
                format!(
                    "{docs}{abstract_}profile{}{name}{extends}{gap}{body}",
                    self.sp1()
                )
            }
        }
    }

    /// Items between `open` and `close` (a `for` body, or a file).
    fn items(&mut self, depth: usize, open: &str, close: &str) -> String {
        let mut out = open.to_string();
        if self.rng.below(2) == 0 || !open.is_empty() {
            out.push_str(&self.brk(true));
        }
        let n = self.rng.below(if depth > 0 { 3 } else { 6 });
        for i in 0..n {
            if i > 0 {
                out.push_str(&self.brk(false));
            }
            out.push_str(&self.item(depth));
        }
        if self.rng.below(2) == 0 {
            out.push_str(&self.brk(false));
        }
        out.push_str(close);
        out
    }
}

#[test]
fn generated_files_format_idempotently_and_keep_their_meaning() {
    let mut host = MemoryHost::default();
    host.files.insert("notes.md".into(), "Be helpful.".into());
    let mut g = Gen {
        rng: XorShift(0x9E37_79B9_7F4A_7C15),
        comments: 0,
    };
    let mut changed = 0;
    for round in 0..300 {
        let files: Vec<(String, Vec<u8>)> = (0..2)
            .map(|i| {
                let mut text = g.items(0, "", "");
                if i == 0 {
                    text.insert_str(
                        0,
                        "let v = \"https://v.example\"\nlet t = { url = \"u\" }\n",
                    );
                }
                if round % 7 == 0 {
                    text = text.replace('\n', "\r\n");
                }
                (format!("{i}.policy"), text.into_bytes())
            })
            .collect();
        let formatted: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(name, bytes)| {
                let text = std::str::from_utf8(bytes).unwrap();
                let out = check_file(&format!("round {round} {name}"), text);
                changed += usize::from(out != text);
                (name.clone(), out.into_bytes())
            })
            .collect();
        assert_eq!(
            meaning(files.clone(), &host),
            meaning(formatted, &host),
            "round {round}: formatting changed the meaning of\n{}",
            files
                .iter()
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .collect::<Vec<_>>()
                .join("\n-----\n")
        );
    }
    assert!(changed > 400, "the generator produced formatted files only");
    assert!(g.comments > 1000, "too few comments: {}", g.comments);
}

// ---------------------------------------------------------------------------
// The command

fn polc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-fmt-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies/sub")).unwrap();
    dir
}

const CLEAN: &str = "profile a {\n  x = 1\n}\n";
const UNTIDY: &str = "profile b{y=2}\n";

#[test]
fn check_lists_files_that_would_change() {
    let dir = temp("check");
    std::fs::write(dir.join("policies/a.policy"), CLEAN).unwrap();
    std::fs::write(dir.join("policies/sub/b.policy"), UNTIDY).unwrap();
    std::fs::write(dir.join("policies/sub/c.policy"), UNTIDY).unwrap();

    let (code, stdout, stderr) = polc(&dir, &["fmt", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "policies/sub/b.policy\npolicies/sub/c.policy\n");
    assert_eq!(stderr, "");
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(dir.join("policies/sub/b.policy")).unwrap(),
        UNTIDY
    );

    // One file, and several paths.
    let (code, stdout, _) = polc(&dir, &["fmt", "--check", "policies/a.policy"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, stdout, _) = polc(
        &dir,
        &[
            "fmt",
            "--check",
            "policies/a.policy",
            "policies/sub/c.policy",
        ],
    );
    assert_eq!((code, stdout.as_str()), (1, "policies/sub/c.policy\n"));

    // Formatting rewrites the two files; then --check passes.
    let (code, stdout, stderr) = polc(&dir, &["fmt"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert_eq!(stderr, "formatted 2 files\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("policies/sub/b.policy")).unwrap(),
        "profile b {\n  y = 2\n}\n"
    );
    let (code, stdout, stderr) = polc(&dir, &["fmt", "--check", "policies"]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(dir.join("policies/sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn syntax_errors_stop_formatting() {
    let dir = temp("syntax");
    std::fs::write(dir.join("policies/a.policy"), UNTIDY).unwrap();
    std::fs::write(
        dir.join("policies/broken.policy"),
        "profile x {\n  y = = 1\n}\n",
    )
    .unwrap();

    let (code, stdout, stderr) = polc(&dir, &["fmt"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("error[S0001]"), "{stderr}");
    assert!(stderr.contains("policies/broken.policy:2:7"), "{stderr}");
    assert!(stderr.ends_with("error: nothing was written\n"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("policies/a.policy")).unwrap(),
        UNTIDY
    );

    let (code, stdout, stderr) = polc(&dir, &["fmt", "--check"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "policies/a.policy\n");
    assert!(stderr.contains("error[S0001]"), "{stderr}");

    let (code, _, stderr) = polc(&dir, &["fmt", "nowhere"]);
    assert_eq!(code, 2, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn rewriting_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp("mode");
    let file = dir.join("policies/a.policy");
    std::fs::write(&file, UNTIDY).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, _, stderr) = polc(&dir, &["fmt", "policies/a.policy"]);
    assert_eq!(code, 0, "{stderr}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    std::fs::remove_dir_all(&dir).unwrap();
}
