//! Atomic replacement of an output directory.
//!
//! Files are written into a sibling staging directory; only when all of
//! them are written does it replace the output directory. A failure leaves
//! the previous output (or nothing) and never a mix, and no stale file of an
//! earlier build survives a successful one.

use std::path::{Path, PathBuf};

/// A staging directory beside the output directory.
pub struct Staging {
    dir: PathBuf,
    staging: PathBuf,
    old: PathBuf,
}

fn fail(what: &str, p: &Path, e: std::io::Error) -> String {
    format!("cannot {what} `{}`: {e}", p.display())
}

impl Staging {
    /// Creates an empty staging directory for `dir`.
    pub fn new(dir: &Path) -> Result<Self, String> {
        let name = dir
            .file_name()
            .map_or_else(|| "dist".into(), |n| n.to_string_lossy().into_owned());
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if dir.exists() && !dir.is_dir() {
            return Err(format!("`{}` exists and is not a directory", dir.display()));
        }
        let staging = parent.join(format!(".{name}.polc-new"));
        let old = parent.join(format!(".{name}.polc-old"));
        for leftover in [&staging, &old] {
            if leftover.exists() {
                std::fs::remove_dir_all(leftover).map_err(|e| fail("remove", leftover, e))?;
            }
        }
        std::fs::create_dir_all(&staging).map_err(|e| fail("create", &staging, e))?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            staging,
            old,
        })
    }

    /// Writes one file (may be called from several threads).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.staging.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| fail("create", p, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| fail("write", &path, e))
    }

    /// Replaces the output directory with the staging directory.
    pub fn commit(self) -> Result<(), String> {
        if self.dir.exists() {
            std::fs::rename(&self.dir, &self.old).map_err(|e| fail("replace", &self.dir, e))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.dir) {
            // Put the previous output back.
            if self.old.exists() {
                let _ = std::fs::rename(&self.old, &self.dir);
            }
            let _ = std::fs::remove_dir_all(&self.staging);
            return Err(fail("replace", &self.dir, e));
        }
        if self.old.exists() {
            std::fs::remove_dir_all(&self.old).map_err(|e| fail("remove", &self.old, e))?;
        }
        Ok(())
    }

    /// Removes the staging directory, leaving the output directory as it was.
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}
