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
//! for byte, never trusted from its manifest, and only a regular file that
//! looks exactly as a freshly written one would (same owner and mode, no
//! other link to it) is linked; where linking fails (another file system,
//! no hard links) the file is written. A file is always written as a new
//! file (`O_EXCL`), so a write can never go through a link into the
//! previous output.

use std::path::{Path, PathBuf};

/// A staging directory beside the output directory.
pub struct Staging {
    dir: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    /// When the output directory exists, how a freshly written file looks
    /// (so that a previous file that looks the same may be linked).
    previous: Option<Fresh>,
    /// Whether the output directory is an earlier build's output and holds
    /// nothing but the files its manifest lists and their directories (so
    /// that, when a build's files all equal those, it is up to date).
    exact: bool,
    /// An exclusive lock on the output's parent directory, held until the
    /// staging directory is committed or discarded (unix only).
    _lock: Option<std::fs::File>,
}

/// Locks a directory (`flock` on it) for this process, waiting, with a
/// word on standard error, while another process holds it.
#[cfg(unix)]
fn lock_dir(dir: &Path) -> Result<std::fs::File, String> {
    let file = std::fs::File::open(dir).map_err(|e| fail("open", dir, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            super::err(&format!(
                "waiting for another `polc build` writing into `{}`...\n",
                dir.display()
            ));
            file.lock().map_err(|e| fail("lock", dir, e))?;
        }
        // A file system without locks (some network mounts): unlocked.
        Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {}
        Err(std::fs::TryLockError::Error(e)) => return Err(fail("lock", dir, e)),
    }
    Ok(file)
}

/// The permission bits of a file that holds a secret: owner-only.
#[cfg(unix)]
const SECRET_MODE: u32 = 0o600;

/// The owner and permission bits a file written now gets.
#[derive(Clone, Copy)]
struct Fresh {
    #[cfg(unix)]
    uid: u32,
    #[cfg(unix)]
    mode: u32,
}

impl Fresh {
    /// Reads them from a directory just created (a file gets its mode
    /// without the execute bits), or `None` where linking is not done.
    fn of(created_dir: &Path) -> Option<Fresh> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(created_dir).ok()?;
            Some(Fresh {
                uid: meta.uid(),
                mode: meta.mode() & 0o666,
            })
        }
        #[cfg(not(unix))]
        {
            let _ = created_dir;
            None
        }
    }

    /// Whether a previous file looks like a file written now (`secret`:
    /// one that holds a secret, which is owner-only).
    fn matches(self, meta: &std::fs::Metadata, secret: bool) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mode = if secret { SECRET_MODE } else { self.mode };
            meta.uid() == self.uid && meta.mode() & 0o7777 == mode && meta.nlink() == 1
        }
        #[cfg(not(unix))]
        {
            let _ = (meta, secret);
            false
        }
    }
}

fn fail(what: &str, p: &Path, e: std::io::Error) -> String {
    format!("cannot {what} `{}`: {e}", p.display())
}

impl Staging {
    /// Creates an empty staging directory for `dir`, after making sure
    /// that replacing `dir` deletes nothing but an earlier build's output.
    pub fn new(dir: &Path) -> Result<Self, String> {
        // `.` and `..` cannot be renamed: name the directory itself.
        let named;
        let dir = if dir.file_name().is_none() && dir.is_dir() {
            named = dir.canonicalize().map_err(|e| fail("read", dir, e))?;
            named.as_path()
        } else {
            dir
        };
        let name = dir
            .file_name()
            .map_or_else(|| "dist".into(), |n| n.to_string_lossy().into_owned());
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // One build at a time writes beside the output: a second one waits
        // for the first to finish, instead of taking its staging directory.
        #[cfg(unix)]
        let lock = Some(lock_dir(parent)?);
        #[cfg(not(unix))]
        let lock = None;
        if dir.exists() && !dir.is_dir() {
            return Err(format!("`{}` exists and is not a directory", dir.display()));
        }
        // A link to a directory is replaced by the build's own directory,
        // never written through, so it is never up to date.
        let linked = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        let dirs = if dir.is_dir() {
            check_replaceable(dir)?
        } else {
            None
        };
        let staging = parent.join(format!(".{name}.polc-new"));
        let old = parent.join(format!(".{name}.polc-old"));
        for leftover in [&staging, &old] {
            if leftover.exists() {
                std::fs::remove_dir_all(leftover).map_err(|e| fail("remove", leftover, e))?;
            }
        }
        std::fs::create_dir_all(&staging).map_err(|e| fail("create", &staging, e))?;
        // Up to date only if every directory also looks as one made now
        // (owner and mode): a build that writes would change it.
        let exact = !linked
            && dirs.is_some_and(|dirs| {
                std::fs::metadata(&staging)
                    .is_ok_and(|fresh| dirs.iter().all(|d| same_owner_and_mode(d, &fresh)))
            });
        Ok(Staging {
            previous: if dir.is_dir() {
                Fresh::of(&staging)
            } else {
                None
            },
            dir: dir.to_path_buf(),
            staging,
            old,
            exact,
            _lock: lock,
        })
    }

    /// Whether the output directory may already be what the build writes:
    /// an earlier build's output, with nothing else in it.
    pub fn may_be_up_to_date(&self) -> bool {
        self.exact && self.previous.is_some()
    }

    /// Compares a batch of files with the output directory's (may be called
    /// from several threads), without writing anything: `Err` at the first
    /// file that is missing there or differs, in its bytes or in how it
    /// looks (owner, mode, links).
    pub fn compare_all(&self, batch: &[polc::emit::Artifact]) -> Result<(), String> {
        let Some(fresh) = self.previous else {
            return Err("no previous output".into());
        };
        match batch
            .iter()
            .find(|a| !same_bytes(&self.dir.join(&a.path), &a.bytes, fresh, a.secret))
        {
            Some(a) => Err(format!("`{}` differs", a.path)),
            None => Ok(()),
        }
    }

    /// Writes a batch of files, creating their directories first (may be
    /// called from several threads). A build hands over one profile's
    /// files at a time, so each profile's directory is created once, before
    /// its first file.
    pub fn write_all(&self, batch: &[polc::emit::Artifact]) -> Result<(), String> {
        let mut made: Vec<&Path> = Vec::new();
        for a in batch {
            let parent = Path::new(&a.path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent.filter(|p| !made.contains(p)) {
                let dir = self.staging.join(parent);
                std::fs::create_dir_all(&dir).map_err(|e| fail("create", &dir, e))?;
                made.push(parent);
            }
            self.write(&a.path, &a.bytes, a.secret)?;
        }
        Ok(())
    }

    /// Writes one file into an existing directory of the staging directory.
    /// A file that holds a secret (`secret`) is readable by its owner only.
    fn write(&self, rel: &str, bytes: &[u8], secret: bool) -> Result<(), String> {
        let path = self.staging.join(rel);
        let previous = self.dir.join(rel);
        // Where linking fails (the previous file removed meanwhile,
        // another file system, no hard links), the file is written.
        if self
            .previous
            .is_some_and(|fresh| same_bytes(&previous, bytes, fresh, secret))
            && std::fs::hard_link(&previous, &path).is_ok()
        {
            return Ok(());
        }
        create_new(&path, bytes, secret).map_err(|e| fail("write", &path, e))
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

/// Refuses an output directory that holds anything but an earlier build's
/// output: the build replaces the directory as a whole, so whatever else is
/// in it would be deleted (`-o .` in a repository, `-o ~`, or the policy
/// set's own directory). Returns, when it is an earlier build's output with
/// no directory but those of the files its manifest lists, those
/// directories (itself included).
fn check_replaceable(dir: &Path) -> Result<Option<Vec<PathBuf>>, String> {
    let shown = dir.display();
    let mut entries = std::fs::read_dir(dir).map_err(|e| fail("read", dir, e))?;
    if entries.next().is_none() {
        return Ok(None);
    }
    let advice = "polc replaces the output directory as a whole, so it would be deleted; \
                  choose a new or empty directory with -o, or remove this one first";
    let manifest = dir.join("manifest.json");
    let listed: std::collections::HashSet<String> = std::fs::read(&manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|doc| {
            doc.get("artifacts")?
                .as_array()?
                .iter()
                .map(|a| a.get("path")?.as_str().map(String::from))
                .collect()
        })
        .ok_or_else(|| {
            format!(
                "`{shown}` is not empty and is not the output of a `polc build` (it has no polc \
                 manifest.json); {advice}"
            )
        })?;
    // The directories that lead to a listed file.
    let needed: std::collections::HashSet<&str> = listed
        .iter()
        .flat_map(|p| p.match_indices('/').map(|(i, _)| &p[..i]))
        .collect();
    let mut exact = true;
    let mut dirs = vec![dir.to_path_buf()];
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = pending.pop() {
        for entry in std::fs::read_dir(&path).map_err(|e| fail("read", &path, e))? {
            let entry = entry.map_err(|e| fail("read", &path, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let rel = if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            };
            // The file type from the directory entry: no link is followed
            // (a link where a listed file was is removed, not its target).
            let kind = entry
                .file_type()
                .map_err(|e| fail("read", &entry.path(), e))?;
            if kind.is_dir() {
                exact &= needed.contains(rel.as_str());
                dirs.push(entry.path());
                pending.push((entry.path(), rel));
            } else if !(rel == "manifest.json" || listed.contains(&rel)) {
                return Err(format!(
                    "`{shown}` holds `{rel}`, which its manifest.json does not list \
                     (it is not from a `polc build`); {advice}"
                ));
            }
        }
    }
    Ok(exact.then_some(dirs))
}

/// Whether `path` has the owner and permission bits of `fresh` (unix; elsewhere
/// always).
fn same_owner_and_mode(path: &Path, fresh: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path)
            .is_ok_and(|m| m.uid() == fresh.uid() && m.mode() & 0o7777 == fresh.mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = (path, fresh);
        true
    }
}

/// Writes a file that must not exist yet.
fn create_new(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, SECRET_MODE);
    }
    #[cfg(not(unix))]
    let _ = secret;
    options.open(path)?.write_all(bytes)
}

/// Whether `path` is a regular file (not a symbolic link to one) that
/// looks like a freshly written file and holds exactly `bytes`.
fn same_bytes(path: &Path, bytes: &[u8], fresh: Fresh, secret: bool) -> bool {
    use std::io::Read;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() != bytes.len() as u64 || !fresh.matches(&meta, secret) {
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
/// profile in a build's output) are removed on every core. A symbolic link
/// (an output directory that was one) is removed, never followed.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(dir)?.file_type().is_symlink() {
        return std::fs::remove_file(dir);
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Staging;

    #[test]
    #[cfg(unix)]
    fn a_write_never_goes_through_a_link_into_the_previous_output() {
        let base = std::env::temp_dir().join(format!("polc-staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dist = base.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("a.txt"), b"old").unwrap();
        let manifest = br#"{"artifacts": [{"path": "a.txt"}]}"#;
        std::fs::write(dist.join("manifest.json"), manifest).unwrap();
        let staging = Staging::new(&dist).unwrap();
        // As if another build into the same directory had linked it.
        std::fs::hard_link(dist.join("a.txt"), base.join(".dist.polc-new/a.txt")).unwrap();
        assert!(staging.write("a.txt", b"new", false).is_err());
        assert_eq!(std::fs::read(dist.join("a.txt")).unwrap(), b"old");
        staging.discard();
        std::fs::remove_dir_all(&base).unwrap();
    }
}
