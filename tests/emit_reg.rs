//! The `.reg` backend: byte format, and round trips through hivex
//! (`hivexregedit --merge` into a real hive file, read back with the
//! Python hivex binding).
#![allow(clippy::unwrap_used)]

mod common;

use polc::emit::reg::{self, HEADER};
use polc::emit::{Delivery, EncodedProfile, Entry, Meta, Scope};
use polc::schema::Schema;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------- bytes

/// Decodes a rendered file, checking BOM, UTF-16LE and CRLF.
fn decode(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "no UTF-16LE byte-order mark");
    assert_eq!(bytes.len() % 2, 0, "odd number of bytes");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("valid UTF-16LE");
    assert!(!text.starts_with('\u{FEFF}'), "doubled byte-order mark");
    let b = text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            assert!(i > 0 && b[i - 1] == b'\r', "lone LF at byte {i}");
        }
        if c == b'\r' {
            assert_eq!(b.get(i + 1), Some(&b'\n'), "lone CR at byte {i}");
        }
    }
    assert!(
        text.starts_with(&format!("{HEADER}\r\n\r\n")),
        "header: {:?}",
        &text[..text.len().min(60)]
    );
    assert!(text.ends_with("\r\n\r\n"), "must end with a blank line");
    text
}

#[test]
fn bytes_are_utf16le_bom_crlf_with_exact_header() {
    common::with_encoded_policies(|_, profiles| {
        assert!(!profiles.is_empty());
        for p in profiles {
            let bytes = reg::render(p);
            let text = decode(&bytes);
            assert_eq!(text.lines().next(), Some(HEADER));
            let key = reg::key_path(p.meta.scope);
            assert!(text.contains(&format!("\r\n[-{key}]\r\n\r\n[{key}]\r\n")));
            // Every value is a REG_SZ line: quoted or hex(1).
            let values = text
                .lines()
                .filter(|l| l.starts_with('"'))
                .inspect(|l| {
                    assert!(
                        l.contains("\"=\"") || l.contains("\"=hex(1):"),
                        "not REG_SZ: {l}"
                    );
                })
                .count();
            assert_eq!(values, p.entries.len(), "profile {}", p.name);
        }
    });
}

#[test]
fn determinism() {
    common::with_encoded_policies(|schema, profiles| {
        for p in profiles {
            assert_eq!(reg::render(p), reg::render(p), "profile {}", p.name);
        }
        let h = hostile(schema);
        assert_eq!(reg::render(&h), reg::render(&h));
    });
}

#[test]
fn scope_selects_the_hive() {
    common::with_encoded_policies(|_, profiles| {
        let mut p = profiles[0].clone();
        p.meta.scope = Scope::System;
        let text = decode(&reg::render(&p));
        assert!(text.contains(r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]"));
        assert!(text.contains(r"[-HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]"));
        assert!(!text.contains("HKEY_CURRENT_USER"));
        p.meta.scope = Scope::User;
        let text = decode(&reg::render(&p));
        assert!(text.contains(r"[HKEY_CURRENT_USER\SOFTWARE\Policies\Claude]"));
        assert!(text.contains(r"[-HKEY_CURRENT_USER\SOFTWARE\Policies\Claude]"));
        assert!(!text.contains("HKEY_LOCAL_MACHINE"));
    });
}

#[test]
fn snapshot_us() {
    common::with_encoded_policies(|_, profiles| {
        let p = profiles
            .iter()
            .find(|p| p.name == "us")
            .expect("profile us");
        let text = decode(&reg::render(p));
        insta::assert_snapshot!("reg_us", text.replace("\r\n", "\n"));
    });
}

// ---------------------------------------------------------------- hivex

const READER: &str = r#"
import hivex, json, sys
h = hivex.Hivex(sys.argv[1])
n = h.root()
for p in ["Policies", "Claude"]:
    n = h.node_get_child(n, p)
    if not n:
        print(json.dumps(None))
        sys.exit(0)
values = {}
for v in h.node_values(n):
    t, d = h.value_value(v)
    values[h.value_key(v)] = [t, d.hex()]
print(json.dumps({"subkeys": len(h.node_children(n)), "values": values}))
"#;

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn hivex_available() -> bool {
    common::require("hivexsh", common::have_command("hivexsh"))
        && common::require("hivexregedit", common::have_command("hivexregedit"))
        && common::require("iconv", common::have_command("iconv"))
        && common::require(
            "python3-hivex (/usr/bin/python3)",
            common::python_has("/usr/bin/python3", "hivex"),
        )
}

/// A scratch directory holding a fresh hive with `\Policies`.
struct Hive {
    dir: PathBuf,
}

impl Hive {
    fn new(tag: &str) -> Hive {
        let dir = std::env::temp_dir().join(format!(
            "polc-emit-reg-{}-{tag}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let hive = Hive { dir };
        run(Command::new("/usr/bin/python3")
            .arg(common::validators_dir().join("mkhive.py"))
            .arg(hive.path()));
        hive.hivexsh("add Policies\ncommit\n");
        std::fs::write(hive.dir.join("readhive.py"), READER).unwrap();
        hive
    }

    fn path(&self) -> PathBuf {
        self.dir.join("h.hive")
    }

    fn hivexsh(&self, script: &str) {
        let mut child = Command::new("hivexsh")
            .arg("-w")
            .arg(self.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), script.as_bytes()).unwrap();
        check(&child.wait_with_output().unwrap(), "hivexsh");
    }

    /// `iconv -f UTF-16 -t UTF-8 out.reg | PERL_UNICODE=SD hivexregedit
    /// --merge --prefix …`.
    fn merge(&self, bytes: &[u8], scope: Scope) {
        let file = self.dir.join("out.reg");
        std::fs::write(&file, bytes).unwrap();
        let utf8 = run(Command::new("iconv")
            .args(["-f", "UTF-16", "-t", "UTF-8"])
            .arg(&file));
        let prefix = match scope {
            Scope::System => r"HKEY_LOCAL_MACHINE\SOFTWARE",
            Scope::User => r"HKEY_CURRENT_USER\SOFTWARE",
        };
        let mut child = Command::new("hivexregedit")
            .env("PERL_UNICODE", "SD")
            .args(["--merge", "--prefix", prefix])
            .arg(self.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &utf8).unwrap();
        check(&child.wait_with_output().unwrap(), "hivexregedit --merge");
    }

    /// Name → decoded REG_SZ string of every value under
    /// `\Policies\Claude`, asserting that each is type 1 (REG_SZ) holding
    /// UTF-16LE with exactly one terminating NUL, and that the key has no
    /// subkeys.
    fn read(&self) -> BTreeMap<String, String> {
        let out = run(Command::new("/usr/bin/python3")
            .arg(self.dir.join("readhive.py"))
            .arg(self.path()));
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["subkeys"], 0, "the key must have no subkeys");
        let mut values = BTreeMap::new();
        for (name, tv) in json["values"].as_object().expect("the key exists") {
            assert_eq!(tv[0], 1, "`{name}` is not REG_SZ");
            let hex = tv[1].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            assert!(
                bytes.len() >= 2 && bytes.len().is_multiple_of(2),
                "`{name}`: bad length"
            );
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let (last, body) = units.split_last().unwrap();
            assert_eq!(*last, 0, "`{name}` lacks its terminating NUL");
            let text = String::from_utf16(body).unwrap();
            values.insert(name.clone(), text);
        }
        values
    }
}

impl Drop for Hive {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    check(&out, &format!("{cmd:?}"));
    out.stdout
}

fn check(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn expected(p: &EncodedProfile<'_>) -> BTreeMap<String, String> {
    p.entries
        .iter()
        .map(|e| (e.def.name.clone(), e.text.clone()))
        .collect()
}

/// Asserts value by value (so a failure names the key), then the set.
fn assert_same(got: &BTreeMap<String, String>, want: &BTreeMap<String, String>, what: &str) {
    for (k, v) in want {
        assert_eq!(got.get(k), Some(v), "{what}: value `{k}`");
    }
    assert_eq!(got, want, "{what}: the set of values");
}

#[test]
fn hivex_round_trip_every_profile() {
    if !hivex_available() {
        return;
    }
    common::with_encoded_policies(|_, profiles| {
        for p in profiles {
            let hive = Hive::new(&p.name);
            hive.merge(&reg::render(p), p.meta.scope);
            assert_same(&hive.read(), &expected(p), &p.name);
        }
    });
}

#[test]
fn hivex_round_trip_user_scope() {
    if !hivex_available() {
        return;
    }
    common::with_encoded_policies(|_, profiles| {
        let mut p = profiles[0].clone();
        p.meta.scope = Scope::User;
        let hive = Hive::new("user");
        hive.merge(&reg::render(&p), Scope::User);
        assert_same(&hive.read(), &expected(&p), "user scope");
    });
}

#[test]
fn hivex_reimport_leaves_no_stale_values_or_subkeys() {
    if !hivex_available() {
        return;
    }
    common::with_encoded_policies(|_, profiles| {
        let big = profiles.iter().max_by_key(|p| p.entries.len()).unwrap();
        let small = profiles.iter().min_by_key(|p| p.entries.len()).unwrap();
        let (b, s) = (expected(big), expected(small));
        assert!(
            b.keys().any(|k| !s.contains_key(k)),
            "need a key that only the first profile sets"
        );
        let hive = Hive::new("stale");
        hive.merge(&reg::render(big), Scope::System);
        assert_same(&hive.read(), &b, &big.name);
        // A subkey some other tool left behind goes too.
        hive.hivexsh("cd Policies\ncd Claude\nadd Leftover\ncommit\n");
        hive.merge(&reg::render(small), Scope::System);
        assert_same(
            &hive.read(),
            &s,
            &format!("{} over {}", small.name, big.name),
        );
    });
}

/// Values a naive writer corrupts.
fn hostile_values() -> Vec<String> {
    let long: String = "0123456789abcdefghijklmnopqrstuvwxyz-\\\"\u{e9}"
        .chars()
        .cycle()
        .take(3000)
        .collect();
    let long_lines: String = "line of text é 😀\r\n".chars().cycle().take(3000).collect();
    vec![
        r#"say "hi" and "bye""#.to_string(),
        r"C:\Program Files\Claude\".to_string(),
        r"\".to_string(),
        "\"".to_string(),
        r#"\""#.to_string(),
        r"ends with two backslashes \\".to_string(),
        r"\n is not a newline, nor \t a tab, nor \q".to_string(),
        "<tag attr='1'>a & b &amp; ]]> </tag>".to_string(),
        "emoji 😀 👩‍👩‍👧 𝄞 astral".to_string(),
        "right-to-left: שלום עולם مرحبا \u{200F}\u{202E}abc\u{202C}".to_string(),
        "line one\nline two\r\nline three\rend\n".to_string(),
        "tab\there".to_string(),
        "separators \u{2028} and \u{2029} and \u{85}".to_string(),
        "nul \0 inside".to_string(),
        long,
        long_lines,
        r#"{"path":"C:\\x","note":"a\nb","q":"\"","u":"\u00e9"}"#.to_string(),
        r#"[{"name":"srv","url":"https://x.example/mcp?a=1&b=2","headers":{"X-Org":"t\\1"}}]"#
            .to_string(),
        String::new(),
        "-".to_string(),
        "  leading and trailing spaces  ".to_string(),
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Evil]".to_string(),
        "; not a comment".to_string(),
        "=".to_string(),
        "hex(1):61,00".to_string(),
        "zero\u{200B}width\u{FEFF}bom".to_string(),
    ]
}

/// A hand-built profile giving each hostile value to a different key.
fn hostile(schema: &Schema) -> EncodedProfile<'_> {
    let values = hostile_values();
    assert!(schema.keys().len() >= values.len());
    let entries = schema
        .keys()
        .iter()
        .zip(values)
        .map(|(def, text)| Entry {
            def,
            value: serde_json::Value::String(text.clone()),
            text,
            secret: false,
        })
        .collect();
    EncodedProfile {
        name: "hostile".to_string(),
        meta: Meta {
            identifier: "com.example.hostile".to_string(),
            display_name: "hostile".to_string(),
            description: String::new(),
            organization: String::new(),
            scope: Scope::System,
            removal_disallowed: false,
            formats: vec!["reg".to_string()],
            delivery: Delivery::Mdm,
        },
        entries,
    }
}

#[test]
fn hostile_values_render_as_expected() {
    let schema = Schema::builtin();
    let p = hostile(&schema);
    let text = decode(&reg::render(&p));
    // Readable values stay quoted; only control characters force hex(1).
    for e in &p.entries {
        let needs_hex = e
            .text
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'));
        let quoted = format!("\"{}\"=\"", e.def.name);
        let hex = format!("\"{}\"=hex(1):", e.def.name);
        assert!(
            text.contains(if needs_hex { &hex } else { &quoted }),
            "`{}` = {:?}",
            e.def.name,
            e.text
        );
    }
    // No value line breaks out of its block: every line is a header, a
    // comment, a section, a value or a hex continuation.
    for line in text.lines() {
        assert!(
            line.is_empty()
                || line == HEADER
                || line.starts_with("; ")
                || line.starts_with('[')
                || line.starts_with('"')
                || (line.starts_with("  ")
                    && line[2..]
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ',' || c == '\\')),
            "unexpected line {line:?}"
        );
    }
}

#[test]
fn hivex_round_trip_hostile_values() {
    if !hivex_available() {
        return;
    }
    let schema = Schema::builtin();
    let p = hostile(&schema);
    let hive = Hive::new("hostile");
    hive.merge(&reg::render(&p), Scope::System);
    assert_same(&hive.read(), &expected(&p), "hostile");
}
