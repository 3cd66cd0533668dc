//! Atomic replacement of an output directory.
//!
//! Files are written into a sibling staging directory; only when all of
//! them are written does it replace the output directory. A failure leaves
//! the previous output (or nothing) and never a mix, and no stale file of an
//! earlier build survives a successful one.
//!
//! A file whose bytes equal those of the same file in the previous output
//! is hard-linked from it instead of written (as `rsync --link-dest` does):
//! a rebuild after a small change creates and frees few inodes, which on
//! some file systems (ext4 without a journal, mounted with `discard`) is
//! most of the cost of writing a file. The previous file is compared byte
//! for byte, never trusted from its manifest, and only a regular file is
//! linked; where linking fails (another file system, no hard links) the
//! file is written.

use std::path::{Path, PathBuf};

/// A staging directory beside the output directory.
pub struct Staging {
    dir: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    /// Whether the output directory exists (so files may be reused).
    previous: bool,
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
            previous: dir.is_dir(),
            dir: dir.to_path_buf(),
            staging,
            old,
        })
    }

    /// Writes one file (may be called from several threads).
    ///
    /// The file is created first and its directory only when that fails
    /// for want of it: a build writes about eight files per directory, and
    /// creating a file is its most frequent system call.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.staging.join(rel);
        let previous = self.dir.join(rel);
        let reuse = self.previous && same_bytes(&previous, bytes);
        // `retry`: the directory exists now, so a missing file is the
        // previous one (removed meanwhile), and the bytes are written.
        let put = |retry: bool| {
            if reuse {
                match std::fs::hard_link(&previous, &path) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && !retry => return Err(e),
                    // Another file system, or no hard links: write it.
                    Err(_) => {}
                }
            }
            std::fs::write(&path, bytes)
        };
        match put(false) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(p) = path.parent() {
                    std::fs::create_dir_all(p).map_err(|e| fail("create", p, e))?;
                }
                put(true).map_err(|e| fail("write", &path, e))
            }
            other => other.map_err(|e| fail("write", &path, e)),
        }
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
            remove_tree(&self.old).map_err(|e| fail("remove", &self.old, e))?;
        }
        Ok(())
    }

    /// Removes the staging directory, leaving the output directory as it was.
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Whether `path` is a regular file (not a link to one) holding exactly
/// `bytes`.
fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    // One byte more than expected, to see a file that grew meanwhile.
    let mut buf = vec![0; bytes.len() + 1];
    let mut filled = 0;
    loop {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled == buf.len() {
                    return false;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    buf[..filled] == *bytes
}

/// Removes a directory tree; the directories two levels down (one per
/// profile in a build's output) are removed on every core.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    let mut dirs = Vec::new();
    for top in std::fs::read_dir(dir)? {
        let top = top?;
        if top.file_type()?.is_dir() {
            for entry in std::fs::read_dir(top.path())? {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    dirs.push(entry.path());
                }
            }
        }
    }
    for removed in polc::par::chunks(&dirs, |chunk, _| {
        chunk.iter().try_for_each(std::fs::remove_dir_all)
    }) {
        removed?;
    }
    std::fs::remove_dir_all(dir)
}
