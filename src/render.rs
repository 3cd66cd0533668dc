//! Rendering diagnostics: the one place where diagnostics become text.

use crate::diag::{Diagnostic, Severity};
use crate::source::SourceSet;
use codespan_reporting::diagnostic::{self as cs, LabelStyle};
use codespan_reporting::term::{self, Config, termcolor::Buffer};
use serde_json::json;

/// The renderer configuration shared by the CLI and the tests.
#[must_use]
pub fn config() -> Config {
    Config::default()
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<crate::source::FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Info => cs::Severity::Note,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                LabelStyle::Primary
            } else {
                LabelStyle::Secondary
            };
            cs::Label::new(style, l.span.file, l.span.range()).with_message(l.message.clone())
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics for a terminal (or plain text when `color` is false),
/// followed by a summary line.
#[must_use]
///
/// Secrets that a policy holds in plain text are masked in the quoted source
/// lines (the spans of `plaintext-secret` diagnostics); callers that render a
/// subset of a compilation's diagnostics pass sources already redacted with
/// [`crate::Compilation::secret_spans`].
pub fn human(sources: &SourceSet, diags: &[Diagnostic], color: bool) -> String {
    let secrets: Vec<crate::span::Span> = diags
        .iter()
        .filter(|d| d.code == crate::diag::Code::PlaintextSecret)
        .filter_map(Diagnostic::primary_span)
        .collect();
    let redacted;
    let sources = if secrets.is_empty() {
        sources
    } else {
        redacted = sources.redacted(&secrets);
        &redacted
    };
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = config();
    for d in diags {
        if term::emit_to_write_style(&mut buffer, &config, sources, &to_codespan(d)).is_err() {
            // A span outside its file would be a bug; still say what the problem is.
            let _ = std::io::Write::write_all(
                &mut buffer,
                format!(
                    "{}[{}]: {}\n",
                    d.severity.as_str(),
                    d.code.as_str(),
                    d.message
                )
                .as_bytes(),
            );
        }
    }
    let mut out = String::from_utf8_lossy(buffer.as_slice()).into_owned();
    out.push_str(&summary(diags));
    out
}

/// `3 errors, 1 warning` (or `no problems found`).
#[must_use]
pub fn summary(diags: &[Diagnostic]) -> String {
    let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
    let (e, w, i) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    if e + w + i == 0 {
        return "no problems found\n".to_string();
    }
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(plural(e, "error"));
    }
    if w > 0 {
        parts.push(plural(w, "warning"));
    }
    if i > 0 {
        parts.push(plural(i, "note"));
    }
    format!("{}\n", parts.join(", "))
}

/// Renders diagnostics as a JSON array (pretty-printed, one object per
/// diagnostic; lines and columns 1-based, columns in characters).
#[must_use]
pub fn json(sources: &SourceSet, diags: &[Diagnostic]) -> String {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let labels: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|l| {
                    let file = sources.file(l.span.file);
                    let (line, column) = file.line_col(l.span.start as usize);
                    let (end_line, end_column) = file.line_col(l.span.end as usize);
                    json!({
                        "file": file.name,
                        "line": line,
                        "column": column,
                        "end_line": end_line,
                        "end_column": end_column,
                        "message": l.message,
                        "primary": l.primary,
                    })
                })
                .collect();
            json!({
                "code": d.code.as_str(),
                "name": d.code.name(),
                "severity": d.severity.as_str(),
                "message": d.message,
                "help": d.help,
                "notes": d.notes,
                "labels": labels,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&serde_json::Value::Array(items))
        .unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
