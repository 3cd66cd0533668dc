//! `polc apply`: write a profile into the local configuration library.

use polc::emit::EncodedProfile;
use polc::emit::json;
use std::path::{Path, PathBuf};

/// The managed configuration files of this platform: while one exists, the
/// app ignores the local configuration library.
/// `domain` is the app's preference domain (the schema's `domain`).
pub fn managed_files(domain: &str) -> Vec<PathBuf> {
    if cfg!(target_os = "macos") {
        let mut files = vec![PathBuf::from(format!(
            "/Library/Managed Preferences/{domain}.plist"
        ))];
        if let Ok(user) = std::env::var("USER") {
            files.push(PathBuf::from(format!(
                "/Library/Managed Preferences/{user}/{domain}.plist"
            )));
        }
        files
    } else if cfg!(target_os = "linux") {
        vec![PathBuf::from("/etc/claude-desktop/managed-settings.json")]
    } else {
        // Windows keeps managed configuration in the registry
        // (`SOFTWARE\\Policies\\Claude`), which this build does not read.
        Vec::new()
    }
}

/// The platform's configLibrary directory.
pub fn default_config_library() -> Result<PathBuf, String> {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .ok_or_else(|| format!("`{name}` is not set; pass --config-library DIR"))
    };
    if cfg!(target_os = "macos") {
        Ok(var("HOME")?.join("Library/Application Support/Claude-3p/configLibrary"))
    } else if cfg!(target_os = "windows") {
        Ok(var("LOCALAPPDATA")?.join("Claude-3p").join("configLibrary"))
    } else {
        Ok(var("HOME")?.join(".config/Claude-3p/configLibrary"))
    }
}

/// Writes `<id>.json` and updates `_meta.json` (keeping other saved
/// configurations, making this one the applied one). Files are owner-only.
pub fn write_entry(dir: &Path, p: &EncodedProfile<'_>) -> Result<PathBuf, String> {
    let fail = |what: &str, path: &Path, e: std::io::Error| {
        format!("cannot {what} `{}`: {e}", path.display())
    };
    if dir.exists() && !dir.is_dir() {
        return Err(format!("`{}` exists and is not a directory", dir.display()));
    }
    let (entry, _) = json::config_library(p);
    let id = json::config_id(p);
    let entry_path = dir.join(format!("{id}.json"));
    // The index is read (and refused if broken) before anything is written.
    let meta_path = dir.join("_meta.json");
    let mut meta: serde_json::Value = match std::fs::read(&meta_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "`{}` is not valid JSON ({e}); move it away and apply again",
                meta_path.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::json!({ "entries": [] }),
        Err(e) => return Err(fail("read", &meta_path, e)),
    };
    let obj = meta
        .as_object_mut()
        .ok_or_else(|| format!("`{}` is not a JSON object", meta_path.display()))?;
    let mut entries: Vec<serde_json::Value> = obj
        .get("entries")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    entries.retain(|e| e.get("id").and_then(serde_json::Value::as_str) != Some(id.as_str()));
    entries.push(serde_json::json!({ "id": id, "name": p.meta.display_name }));
    obj.insert("appliedId".into(), serde_json::Value::String(id.clone()));
    obj.insert("entries".into(), serde_json::Value::Array(entries));
    let mut text = serde_json::to_string_pretty(&meta).unwrap_or_default();
    text.push('\n');
    std::fs::create_dir_all(dir).map_err(|e| fail("create", dir, e))?;
    restrict(dir, 0o700).map_err(|e| fail("set permissions of", dir, e))?;
    write_private(&entry_path, &entry).map_err(|e| fail("write", &entry_path, e))?;
    write_private(&meta_path, text.as_bytes()).map_err(|e| fail("write", &meta_path, e))?;
    Ok(entry_path)
}

/// Writes a file readable and writable by its owner only, replacing it
/// atomically.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("polc-tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Owner-only from the start: the entry may hold secrets.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&tmp)?.write_all(bytes)?;
    restrict(&tmp, 0o600)?;
    std::fs::rename(&tmp, path)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    // The per-user application data directory is already private on Windows.
    Ok(())
}
