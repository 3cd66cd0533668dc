//! `polc fmt`: rewrites policy files in the canonical layout, or with
//! `--check` lists the files that are not in it.

use super::{Failure, OK, PROBLEMS, err, load, out};
use polc::syntax::FormatError;
use std::path::{Path, PathBuf};

/// Formats every policy file under each path (found as `check` finds
/// them; no path: `policies` if it exists, else `.`). Nothing is written
/// when a file has a syntax error.
pub fn run(paths: &[PathBuf], check: bool, color: bool) -> Result<u8, Failure> {
    let mut problems = false;
    let mut changed: Vec<(PathBuf, String)> = Vec::new();
    if paths.is_empty() {
        problems |= format_set(None, color, &mut changed)?;
    }
    for path in paths {
        problems |= format_set(Some(path), color, &mut changed)?;
    }
    if check {
        let list: String = changed
            .iter()
            .map(|(path, _)| format!("{}\n", path.display()))
            .collect();
        out(&list)?;
        return Ok(if changed.is_empty() && !problems {
            OK
        } else {
            PROBLEMS
        });
    }
    if problems {
        err("error: nothing was written\n");
        return Ok(PROBLEMS);
    }
    for (path, text) in &changed {
        write_atomically(path, text)?;
    }
    if !changed.is_empty() {
        let s = if changed.len() == 1 { "" } else { "s" };
        err(&format!("formatted {} file{s}\n", changed.len()));
    }
    Ok(OK)
}

/// Formats the files of one policy set: adds each file that changes to
/// `changed` and prints the diagnostics of those that cannot be formatted.
/// Returns whether there were any.
fn format_set(
    path: Option<&Path>,
    color: bool,
    changed: &mut Vec<(PathBuf, String)>,
) -> Result<bool, Failure> {
    let set = load::policy_set(path)?;
    let sources = &set.sources;
    let mut diagnostics = Vec::new();
    for id in sources.ids() {
        let file = sources.file(id);
        let Some(text) = &file.text else {
            diagnostics.push(polc::syntax::invalid_utf8(id, file));
            continue;
        };
        let path = PathBuf::from(&file.name);
        match polc::syntax::format_file(id, text) {
            Ok(formatted) if formatted == *text => {}
            // A file named twice (`polc fmt policies policies/base.policy`)
            // is formatted once.
            Ok(_) if changed.iter().any(|(p, _)| *p == path) => {}
            Ok(formatted) => changed.push((path, formatted)),
            Err(FormatError::Syntax(found)) => diagnostics.extend(found),
            Err(FormatError::Internal(why)) => {
                return Err(format!(
                    "cannot format `{}`: {why}; this is a bug in polc, nothing was written",
                    file.name
                )
                .into());
            }
        }
    }
    if !diagnostics.is_empty() {
        err(&polc::render::human(sources, &diagnostics, color));
    }
    Ok(!diagnostics.is_empty())
}

/// Replaces `path` by `text`: writes a temporary file next to it (same
/// directory, so the rename cannot cross file systems) with the original's
/// permissions, then renames it over the original.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.polc-fmt-{}", std::process::id()));
    let result = (|| {
        let permissions = std::fs::metadata(path)?.permissions();
        std::fs::write(&temp, text)?;
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write `{}`: {e}", path.display())
    })
}
