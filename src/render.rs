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
/// lines ([`crate::secret_spans`]); callers that render a
/// subset of a compilation's diagnostics pass sources already redacted with
/// [`crate::Compilation::secret_spans`].
pub fn human(sources: &SourceSet, diags: &[Diagnostic], color: bool) -> String {
    let secrets = crate::secret_spans(diags);
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

/// Where a label is: (file, start line, start column, end line, end column),
/// 1-based, columns in characters.
fn position(sources: &SourceSet, span: crate::span::Span) -> (&str, usize, usize, usize, usize) {
    let file = sources.file(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    (file.name.as_str(), line, column, end_line, end_column)
}

/// The message with the help and notes appended, for formats that have
/// only one text per result.
fn full_message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    for n in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(n);
    }
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    text
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Renders diagnostics as a SARIF 2.1.0 log (for GitHub code scanning and
/// other tools): one run, every code as a rule with its `polc explain` page
/// as help, one result per diagnostic with its primary region and the
/// secondary labels as related locations.
#[must_use]
pub fn sarif(sources: &SourceSet, diags: &[Diagnostic]) -> String {
    use crate::diag::Code;
    let rules: Vec<serde_json::Value> = Code::ALL
        .iter()
        .map(|c| {
            let page = c.explanation();
            let summary = page
                .split("## What it means")
                .nth(1)
                .and_then(|rest| rest.split("\n## ").next())
                .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": { "text": c.name() },
                "fullDescription": { "text": summary },
                "help": { "text": page, "markdown": page },
                "defaultConfiguration": { "level": sarif_level(c.default_severity()) },
            })
        })
        .collect();
    let region = |span: crate::span::Span| {
        let (file, line, column, end_line, end_column) = position(sources, span);
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": file },
                "region": {
                    "startLine": line,
                    "startColumn": column,
                    "endLine": end_line,
                    "endColumn": end_column,
                },
            },
        })
    };
    let results: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": index,
                "level": sarif_level(d.severity),
                "message": { "text": full_message(d) },
            });
            if let Some(primary) = d.primary_span() {
                result["locations"] = json!([region(primary)]);
            }
            let related: Vec<serde_json::Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(i, l)| {
                    let mut r = region(l.span);
                    r["id"] = json!(i);
                    r["message"] = json!({ "text": if l.message.is_empty() { d.message.clone() } else { l.message.clone() } });
                    r
                })
                .collect();
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "polc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// Escapes the data of a GitHub workflow command.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property of a GitHub workflow command.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders diagnostics as GitHub Actions workflow commands
/// (`::error file=…,line=…,col=…::…`), which GitHub shows as annotations on
/// the pull request.
#[must_use]
pub fn github(sources: &SourceSet, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = gh_property(&format!("{} {}", d.code.as_str(), d.code.name()));
        let location = d.primary_span().map(|span| {
            let (file, line, column, end_line, end_column) = position(sources, span);
            format!(
                "file={},line={line},col={column},endLine={end_line},endColumn={end_column},",
                gh_property(file)
            )
        });
        out.push_str(&format!(
            "::{kind} {}title={title}::{}\n",
            location.unwrap_or_default(),
            gh_data(&full_message(d))
        ));
    }
    out
}
