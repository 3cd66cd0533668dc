//! `polc diff OLD NEW` and `polc diff --base REV [PATH]`: what changes in
//! the effective configuration of every concrete profile, and in the
//! artifacts, between two versions of a policy set.
//!
//! The `--base` form reads the policy set at a git revision with git's
//! plumbing (`ls-tree` and one `cat-file --batch`) into a private scratch
//! directory, removed afterwards, and loads it like any directory (same
//! rules for hidden files, `file()` and symbolic links). Its files are shown
//! as `REV:path`, the way `git show` names them.
//!
//! A version with errors is still compared: its errors are printed (secrets
//! masked), the profiles that could be resolved are compared, and the exit
//! code is 1 even when nothing else differs, because an unchanged result is
//! not a trustworthy "nothing changes".

use super::{Failure, OK, PROBLEMS, err, load, out};
use clap::ValueEnum;
use polc::diag::{Diagnostic, Severity};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Output format of `polc diff`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text like `git diff`: `+` added, `-` removed, `~` changed.
    Human,
    /// One JSON document.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Runs `polc diff`.
pub(super) fn run(
    cli: &super::Cli,
    color: bool,
    paths: &[PathBuf],
    base: Option<&str>,
    format: Format,
) -> Result<u8, Failure> {
    let schema = super::schema(cli, color)?;
    // Keeps the revision's files until both versions are compiled.
    let mut _scratch = None;
    let (old, new) = match base {
        None => {
            let [old, new] = paths else {
                return Err(
                    "`polc diff` takes two policy sets (OLD NEW), or `--base REV [PATH]`"
                        .to_string()
                        .into(),
                );
            };
            (load::policy_set(Some(old))?, load::policy_set(Some(new))?)
        }
        Some(rev) => {
            if paths.len() > 1 {
                return Err("with `--base REV`, `polc diff` takes at most one PATH"
                    .to_string()
                    .into());
            }
            let path = load::default_path(paths.first().map(PathBuf::as_path));
            let new = load::policy_set(Some(&path))?;
            let (scratch, old) = at_revision(rev, &path)?;
            _scratch = Some(scratch);
            (old, new)
        }
    };
    let old_c = polc::compile(&old.sources, &schema, &old.host);
    let new_c = polc::compile(&new.sources, &schema, &new.host);
    let mut broken = false;
    for (which, set, c) in [("old", &old, &old_c), ("new", &new, &new_c)] {
        let errors: Vec<Diagnostic> = c
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .collect();
        if !errors.is_empty() {
            broken = true;
            err(&polc::render::human(
                &set.sources.redacted(&c.secret_spans),
                &errors,
                color,
            ));
            err(&format!(
                "note: the {which} version has errors; the diff compares what could be resolved\n"
            ));
        }
    }
    let diff = polc::diff::diff(&old_c, &new_c, &schema);
    if let Err(e) = &diff.artifacts {
        for (set, c, errors) in [(&old, &old_c, &e.old), (&new, &new_c, &e.new)] {
            if !errors.is_empty() {
                err(&polc::render::human(
                    &set.sources.redacted(&c.secret_spans),
                    errors,
                    color,
                ));
            }
        }
    }
    match format {
        Format::Human => out(&diff.to_text())?,
        Format::Markdown => out(&diff.to_markdown())?,
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&diff.to_json()).unwrap_or_default()
        ))?,
    }
    Ok(if broken || diff.has_changes() {
        PROBLEMS
    } else {
        OK
    })
}

/// A private temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, String> {
        let base = std::env::temp_dir();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for attempt in 0..100u32 {
            let dir = base.join(format!(
                "polc-diff-{}-{stamp}-{attempt}",
                std::process::id()
            ));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("cannot create `{}`: {e}", dir.display())),
            }
        }
        Err(format!(
            "cannot create a temporary directory in `{}`",
            base.display()
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs git in `dir`; its standard output, or its first error line.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim()
            .to_string())
    }
}

/// One entry of `git ls-tree -r`.
struct TreeEntry {
    mode: String,
    kind: String,
    oid: String,
    path: String,
}

/// The policy set `path` (a directory or one file of the working tree) as
/// it is at revision `rev`: its directory is written into a scratch
/// directory and loaded, with files shown as `REV:path`.
fn at_revision(rev: &str, path: &Path) -> Result<(Scratch, load::PolicySet), String> {
    let is_dir = std::fs::metadata(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        .is_dir();
    let (dir, file) = if is_dir {
        (path.to_path_buf(), None)
    } else {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (parent.to_path_buf(), Some(name))
    };
    let prefix = git(&dir, &["rev-parse", "--show-prefix"])
        .map_err(|e| format!("`{}` is not in a git repository ({e})", dir.display()))?;
    let prefix = String::from_utf8_lossy(&prefix).trim().to_string();
    if rev.starts_with('-') || rev.is_empty() {
        return Err(format!("`{rev}` is not a revision"));
    }
    let commit = git(
        &dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("`{rev}` is not a commit of the git repository"))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let dir_shown = prefix.trim_end_matches('/');
    let dir_shown = if dir_shown.is_empty() { "." } else { dir_shown };
    let shown = match &file {
        Some(name) if dir_shown == "." => format!("{rev}:{name}"),
        Some(name) => format!("{rev}:{dir_shown}/{name}"),
        None => format!("{rev}:{dir_shown}"),
    };
    let listing = git(&dir, &["ls-tree", "-r", "-z", &commit, "--", "."])?;
    let entries: Vec<TreeEntry> = listing
        .split(|b| *b == 0)
        .filter(|line| !line.is_empty())
        .filter_map(|line| {
            let line = String::from_utf8_lossy(line);
            let (head, path) = line.split_once('\t')?;
            let mut parts = head.split(' ');
            Some(TreeEntry {
                mode: parts.next()?.to_string(),
                kind: parts.next()?.to_string(),
                oid: parts.next()?.to_string(),
                path: path.to_string(),
            })
        })
        .collect();
    let present = match &file {
        Some(name) => entries.iter().any(|e| &e.path == name),
        None => !entries.is_empty(),
    };
    if !present {
        return Err(format!(
            "`{shown}` does not exist (no such path at `{rev}`)"
        ));
    }
    let scratch = Scratch::new()?;
    let root = scratch.0.join("tree");
    std::fs::create_dir(&root).map_err(|e| format!("cannot create `{}`: {e}", root.display()))?;
    let blobs: Vec<&TreeEntry> = entries.iter().filter(|e| e.kind == "blob").collect();
    let contents = cat_blobs(&dir, &blobs)?;
    for (entry, bytes) in blobs.iter().zip(contents) {
        // Paths from git never climb out (`..` is not a valid tree entry),
        // but check anyway before writing.
        if entry
            .path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
        {
            continue;
        }
        let target = root.join(&entry.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        if entry.mode == "120000" {
            #[cfg(unix)]
            {
                let link = std::ffi::OsString::from(String::from_utf8_lossy(&bytes).into_owned());
                std::os::unix::fs::symlink(link, &target)
                    .map_err(|e| format!("cannot create `{}`: {e}", target.display()))?;
            }
            continue;
        }
        std::fs::write(&target, &bytes)
            .map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
    }
    let load_path = match &file {
        Some(name) => root.join(name),
        None => root.clone(),
    };
    let set = load::policy_set_as(&load_path, &shown)?;
    Ok((scratch, set))
}

/// The contents of blobs, in order, with one `git cat-file --batch`.
fn cat_blobs(dir: &Path, blobs: &[&TreeEntry]) -> Result<Vec<Vec<u8>>, String> {
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let request: String = blobs.iter().map(|b| format!("{}\n", b.oid)).collect();
    let mut stdin = child.stdin.take().ok_or("cannot write to git")?;
    // Write from another thread: git answers while it reads, and a full
    // pipe in each direction would block both.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut output = Vec::new();
    child
        .stdout
        .take()
        .ok_or("cannot read from git")?
        .read_to_end(&mut output)
        .map_err(|e| format!("cannot read from git: {e}"))?;
    let written = writer.join();
    let status = child.wait().map_err(|e| format!("cannot run git: {e}"))?;
    if !status.success() || !matches!(written, Ok(Ok(()))) {
        return Err("`git cat-file` failed".to_string());
    }
    let mut contents = Vec::with_capacity(blobs.len());
    let mut rest = output.as_slice();
    for blob in blobs {
        let bad = || format!("unexpected output from `git cat-file` for `{}`", blob.path);
        let eol = rest.iter().position(|b| *b == b'\n').ok_or_else(bad)?;
        let header = String::from_utf8_lossy(&rest[..eol]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|_| header.split(' ').nth(1) == Some("blob"))
            .ok_or_else(bad)?;
        let start = eol + 1;
        let body = rest.get(start..start + size).ok_or_else(bad)?;
        contents.push(body.to_vec());
        rest = rest.get(start + size + 1..).unwrap_or_default();
    }
    Ok(contents)
}
