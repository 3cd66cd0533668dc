//! polc: a declarative policy compiler for Claude Desktop managed configuration.
//!
//! The pipeline is `syntax` → `resolve` → `check`; each stage reports into a
//! [`diag::Diagnostics`] sink and never stops at the first problem. The
//! library does no I/O: files come in as a [`source::SourceSet`], file reads
//! for `file()` and environment lookups go through [`Host`].

pub mod ast;
pub mod diag;
pub mod schema;
pub mod source;
pub mod span;
pub mod syntax;
