//! Loading a policy set from the file system.

use polc::host::{Host, HostError};
use polc::source::SourceSet;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A loaded policy set and a host rooted at its directory.
pub struct PolicySet {
    pub sources: SourceSet,
    pub host: FsHost,
}

/// `file()` reads below the root; `env()` from the process environment.
pub struct FsHost {
    root: PathBuf,
    /// The environment, read once on the first `env()`: a build looks up
    /// each variable once per profile, and the C library's `getenv` scans
    /// the whole environment every time. (Unix only.)
    #[cfg_attr(not(unix), allow(dead_code))]
    environment: OnceLock<HashMap<OsString, OsString>>,
}

impl FsHost {
    fn new(root: PathBuf) -> FsHost {
        FsHost {
            root,
            environment: OnceLock::new(),
        }
    }
}

impl Host for FsHost {
    fn read_file(&self, path: &str) -> Result<String, HostError> {
        let full = self.root.join(path);
        let canonical_root = self
            .root
            .canonicalize()
            .map_err(|e| HostError::Other(e.to_string()))?;
        let canonical = match full.canonicalize() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HostError::NotFound),
            Err(e) => return Err(HostError::Other(e.to_string())),
        };
        if !canonical.starts_with(&canonical_root) {
            return Err(HostError::OutsidePolicySet);
        }
        let bytes = std::fs::read(&canonical).map_err(|e| HostError::Other(e.to_string()))?;
        String::from_utf8(bytes).map_err(|_| HostError::Other("not valid UTF-8".into()))
    }

    #[cfg(not(unix))]
    fn env(&self, name: &str) -> Option<String> {
        // Elsewhere (Windows) names are matched without regard to case,
        // which the standard library does.
        std::env::var(name).ok()
    }

    #[cfg(unix)]
    fn env(&self, name: &str) -> Option<String> {
        // As `std::env::var`: a value that is not Unicode counts as unset.
        let environment = self.environment.get_or_init(|| {
            let mut map = HashMap::new();
            // The first of duplicate names wins, as with `getenv`.
            for (name, value) in std::env::vars_os() {
                map.entry(name).or_insert(value);
            }
            map
        });
        environment
            .get(std::ffi::OsStr::new(name))?
            .to_str()
            .map(String::from)
    }
}

/// Loads `path` (a directory searched recursively for `*.policy`, or one
/// file); without a path, `policies` if it exists, else `.`.
pub fn policy_set(path: Option<&Path>) -> Result<PolicySet, String> {
    let path = default_path(path);
    let display = path.display().to_string();
    load(&path, &display)
}

/// The policy set's path: `path`, else `policies` if it exists, else `.`.
pub fn default_path(path: Option<&Path>) -> PathBuf {
    match path {
        Some(p) => p.to_path_buf(),
        None if Path::new("policies").is_dir() => PathBuf::from("policies"),
        None => PathBuf::from("."),
    }
}

/// Loads `path` like [`policy_set`], showing it as `shown` in file names
/// (`polc diff --base` shows a revision's files as `REV:path`).
pub fn policy_set_as(path: &Path, shown: &str) -> Result<PolicySet, String> {
    load(path, shown)
}

fn load(path: &Path, display: &str) -> Result<PolicySet, String> {
    let path = path.to_path_buf();
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read `{display}`: {e}"))?;
    let display = display.trim_end_matches('/').to_string();
    if meta.is_file() {
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read `{display}`: {e}"))?;
        let root = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent_display = display
            .strip_suffix(&file_name)
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        return Ok(PolicySet {
            sources: SourceSet::from_tree(&parent_display, vec![(file_name, bytes)]),
            host: FsHost::new(root),
        });
    }
    let mut files = Vec::new();
    walk(&path, "", &mut files)?;
    if files.is_empty() {
        return Err(format!("no .policy files in `{display}`"));
    }
    let root = if display == "." {
        String::new()
    } else {
        display
    };
    Ok(PolicySet {
        sources: SourceSet::from_tree(&root, files),
        host: FsHost::new(path),
    })
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
    let mut names: Vec<(String, PathBuf, std::fs::FileType)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
        let ft = entry
            .file_type()
            .map_err(|e| format!("cannot read `{}`: {e}", entry.path().display()))?;
        names.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
            ft,
        ));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, path, ft) in names {
        if name.starts_with('.') {
            continue;
        }
        let child = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if ft.is_dir() {
            walk(&path, &child, out)?;
        } else if name.ends_with(".policy") && (ft.is_file() || ft.is_symlink()) {
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            out.push((child, bytes));
        }
    }
    Ok(())
}
