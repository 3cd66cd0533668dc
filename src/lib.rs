//! polc: a declarative policy compiler for Claude Desktop managed configuration.
//!
//! The pipeline is [`syntax`] → [`resolve`] → [`check`]; each stage reports
//! into a [`diag::Diagnostics`] sink and carries on, so one run reports every
//! problem. The library does no I/O: files come in as a
//! [`source::SourceSet`]; `file()` reads and `env()` lookups go through a
//! [`host::Host`]. Diagnostics are rendered in one place, [`render`].

pub mod ast;
pub mod check;
pub mod diag;
pub mod diff;
pub mod effective;
pub mod egress;
pub mod emit;
pub mod host;
pub mod import;
pub mod inspect;
pub mod par;
pub mod redact;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod span;
pub mod suggest;
pub mod syntax;
pub mod value;

use diag::{Diagnostic, Diagnostics};
use resolve::Resolved;
use source::SourceSet;
use span::Span;

/// The result of compiling a policy set.
#[derive(Debug)]
pub struct Compilation {
    /// Profiles with their effective configurations.
    pub resolved: Resolved,
    /// Every diagnostic, sorted by file, position and code.
    pub diagnostics: Vec<Diagnostic>,
    /// Spans of secrets written in plain text: renderers that print source
    /// lines must mask them ([`SourceSet::redacted`]).
    pub secret_spans: Vec<Span>,
    /// How long each stage took (for `polc check --timings`; never part of
    /// any output that is compared or stored).
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

impl Compilation {
    /// Whether any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == diag::Severity::Error)
    }
}

/// Parses every file, on as many threads as the machine has cores (files
/// are independent). Results come back in file order.
fn parse_all(sources: &SourceSet) -> Vec<(source::FileId, Option<ast::File>, Diagnostics)> {
    let ids: Vec<source::FileId> = sources.ids().collect();
    let parse = |id: source::FileId| {
        let mut diags = Diagnostics::new();
        let file = sources.file(id);
        let parsed = match &file.text {
            Some(text) => syntax::parse_file(id, text, &mut diags),
            None => {
                diags.push(syntax::invalid_utf8(id, file));
                None
            }
        };
        (id, parsed, diags)
    };
    let workers = par::workers().min(ids.len());
    let total: usize = ids.iter().map(|id| sources.file(*id).source().len()).sum();
    if workers < 2 || total < 64 * 1024 {
        return ids.into_iter().map(parse).collect();
    }
    // Deal files out round-robin so that each worker gets a similar share.
    let mut results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine: Vec<source::FileId> =
                    ids.iter().copied().skip(w).step_by(workers).collect();
                scope.spawn(move || mine.into_iter().map(parse).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    results.sort_by_key(|r| r.0);
    results
}

/// Parses, resolves and checks a policy set.
///
/// A file with a syntax error is left out after its error is reported; the
/// other files are still resolved and checked.
pub fn compile(sources: &SourceSet, schema: &schema::Schema, host: &dyn host::Host) -> Compilation {
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        let now = std::time::Instant::now();
        timings.push((name, now - clock));
        clock = now;
    };
    let mut diags = Diagnostics::new();
    let mut files = Vec::with_capacity(sources.len());
    let mut unparsed_names = std::collections::BTreeSet::new();
    for (id, parsed, file_diags) in parse_all(sources) {
        diags.extend(file_diags.into_sorted());
        match parsed {
            Some(ast) => files.push(ast),
            None => unparsed_names.extend(syntax::declared_names(sources.file(id).source())),
        }
    }
    lap("parse");
    let resolved = resolve::resolve(files, sources, schema, host, &unparsed_names, &mut diags);
    lap("resolve");
    check::check(&resolved, schema, &mut diags);
    lap("check");
    let diagnostics = diags.into_sorted();
    let secret_spans = secret_spans(&diagnostics);
    lap("sort");
    Compilation {
        resolved,
        diagnostics,
        secret_spans,
        timings,
    }
}

/// The source spans that hold a secret a diagnostic is about (a plain-text
/// secret, a URL with a password in it), sorted: every rendering masks them
/// in the quoted source lines.
#[must_use]
pub fn secret_spans(diagnostics: &[Diagnostic]) -> Vec<Span> {
    let mut spans: Vec<Span> = diagnostics
        .iter()
        .filter(|d| d.code.marks_secret())
        .filter_map(Diagnostic::primary_span)
        .collect();
    spans.sort();
    spans.dedup();
    spans
}
