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
pub mod host;
pub mod inspect;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod span;
pub mod suggest;
pub mod syntax;
pub mod value;

use diag::{Code, Diagnostic, Diagnostics};
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
}

impl Compilation {
    /// Whether any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == diag::Severity::Error)
    }
}

/// Parses, resolves and checks a policy set.
///
/// A file with a syntax error is left out after its error is reported; the
/// other files are still resolved and checked.
pub fn compile(sources: &SourceSet, schema: &schema::Schema, host: &dyn host::Host) -> Compilation {
    let mut diags = Diagnostics::new();
    let mut files = Vec::with_capacity(sources.len());
    for id in sources.ids() {
        let file = sources.file(id);
        match &file.text {
            Some(text) => {
                if let Some(ast) = syntax::parse_file(id, text, &mut diags) {
                    files.push(ast);
                }
            }
            None => {
                let at = file.invalid_utf8_at.unwrap_or(0);
                diags.push(
                    Diagnostic::new(Code::InvalidUtf8, format!("`{}` is not valid UTF-8", file.name))
                        .primary(Span::new(id, 0, 0), format!("invalid byte at offset {at}"))
                        .help("save the file as UTF-8"),
                );
            }
        }
    }
    let resolved = resolve::resolve(&files, sources, schema, host, &mut diags);
    check::check(&resolved, schema, &mut diags);
    Compilation {
        resolved,
        diagnostics: diags.into_sorted(),
    }
}
