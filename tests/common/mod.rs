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

/// Every `*.policy` file below `dir`, as (path relative to `dir`, bytes),
/// and every other file as host files.
pub fn load_dir(dir: &Path) -> (Vec<(String, Vec<u8>)>, MemoryHost) {
    let mut files = Vec::new();
    let mut host = MemoryHost::default();
    walk(dir, "", &mut files, &mut host);
    files.sort();
    (files, host)
}

fn walk(dir: &Path, rel: &str, files: &mut Vec<(String, Vec<u8>)>, host: &mut MemoryHost) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = e.path();
        if path.is_dir() {
            walk(&path, &child, files, host);
        } else if name.ends_with(".policy") {
            files.push((child, std::fs::read(&path).unwrap()));
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            host.files.insert(child, text);
        }
    }
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
