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
