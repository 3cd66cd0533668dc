//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use polc::host::MemoryHost;
use polc::schema::Schema;
use polc::source::SourceSet;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file below `dir`, as (path relative to `dir` with `/`, bytes),
/// sorted by path.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.path().is_dir() {
                walk(&e.path(), &child, out);
            } else {
                out.push((child, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// Every `*.policy` file below `dir`, as (path relative to `dir`, bytes),
/// and every other text file as a host file.
pub fn load_dir(dir: &Path) -> (Vec<(String, Vec<u8>)>, MemoryHost) {
    let mut files = Vec::new();
    let mut host = MemoryHost::default();
    for (path, bytes) in read_tree(dir) {
        if path.ends_with(".policy") {
            files.push((path, bytes));
        } else if path == "environment" {
            // `NAME=value` lines: the environment `env()` reads.
            for line in String::from_utf8(bytes).unwrap().lines() {
                if let Some((name, value)) = line.split_once('=') {
                    host.env.insert(name.to_string(), value.to_string());
                }
            }
        } else if let Ok(text) = String::from_utf8(bytes) {
            host.files.insert(path, text);
        }
    }
    (files, host)
}

/// Compiles a directory with the built-in schema, showing paths as `shown/…`.
pub fn compile_dir(dir: &Path, shown: &str) -> (SourceSet, polc::Compilation) {
    let (files, host) = load_dir(dir);
    let sources = SourceSet::from_tree(shown, files);
    let schema = Schema::builtin();
    let c = polc::compile(&sources, &schema, &host);
    (sources, c)
}

/// Every environment variable the example policies read, with fake values.
pub fn fake_env() -> MemoryHost {
    let mut host = MemoryHost::default();
    for name in [
        "ACME_US_GATEWAY_KEY",
        "ACME_EU_VERTEX_OAUTH_SECRET",
        "ACME_APAC_BEDROCK_TOKEN",
    ] {
        host.env
            .insert(name.to_string(), format!("fake-{}", name.to_lowercase()));
    }
    host
}

/// Compiles `policies/` and hands every concrete profile, encoded for
/// building with [`fake_env`] secrets, to `f`.
pub fn with_encoded_policies<R>(
    f: impl FnOnce(&Schema, &[polc::emit::EncodedProfile<'_>]) -> R,
) -> R {
    let (files, mut host) = load_dir(&root().join("policies"));
    host.env = fake_env().env;
    let sources = SourceSet::from_tree("policies", files);
    let schema = Schema::builtin();
    let c = polc::compile(&sources, &schema, &host);
    assert!(!c.has_errors());
    let profiles: Vec<_> = c
        .resolved
        .ids()
        .filter(|id| !c.resolved.profile(*id).is_abstract)
        .map(|id| polc::emit::encode(&c.resolved, id, &schema, &host).unwrap())
        .collect();
    f(&schema, &profiles)
}

/// The shared validators directory (`../shared/validators` beside the
/// repository): the ADMX XSDs, Apple's plist DTD and the empty-hive maker.
pub fn validators_dir() -> PathBuf {
    root().join("../shared/validators")
}

/// Whether an external validator is available. On a developer machine a
/// missing tool is a loud skip; under CI (`CI=true`) it is a failure,
/// because `.ci/run` installs every validator.
#[allow(clippy::print_stderr)]
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "validator `{what}` is missing under CI: .ci/run must install it"
    );
    eprintln!(
        "\n*** SKIPPED: validator `{what}` is not installed on this machine (CI installs it) ***\n"
    );
    false
}

/// Whether a command exists on PATH (or as an absolute path).
pub fn have_command(cmd: &str) -> bool {
    if cmd.starts_with('/') {
        return Path::new(cmd).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(cmd).is_file()))
}

/// Whether a Python interpreter can import a module.
pub fn python_has(python: &str, module: &str) -> bool {
    std::process::Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A small deterministic pseudo-random generator (xorshift64) for generated
/// test inputs: the same seed gives the same inputs on every machine.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}
