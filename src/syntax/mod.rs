//! The syntax stage: text → [`crate::ast::File`].
//!
//! pest is used only inside this module: `grammar` holds the generated
//! parser, `lower` turns its parse tree into the AST and `error` turns its
//! errors into diagnostics. A syntax error stops only the file it is in; the
//! caller still resolves and checks the other files.

mod error;
mod format;
mod grammar;
mod lower;

pub use format::{FormatError, WIDTH, format_file, format_source};

mod scan;
pub use scan::declared_names;

use pest::Parser as _;

use crate::ast::{self, Expr, ExprKind, Item, NameRef, Stmt, StmtKind, StrLit, StrPart};
use crate::diag::Diagnostics;
use crate::source::FileId;
use crate::span::Span;
use grammar::{PolicyParser, Rule};

/// Parses one file.
///
/// Returns `None` when the file does not follow the grammar (reported as one
/// `S0001` diagnostic at the position where parsing stopped) or nests values
/// or loops more than 128 levels deep (also `S0001`). Problems found
/// after a successful parse (invalid escapes, numbers that do not fit,
/// duplicate object keys, misplaced `meta`) are reported too, but the file is
/// still returned, with the offending part left out or replaced.
pub fn parse_file(id: FileId, text: &str, diags: &mut Diagnostics) -> Option<ast::File> {
    match PolicyParser::parse(Rule::file, text) {
        Ok(pairs) => lower::lower_file(id, text, pairs, diags),
        Err(err) => {
            diags.push(error::syntax_error(id, text, &err));
            None
        }
    }
}

/// Checks the span invariant of a parsed file: every span belongs to the
/// file, is not reversed and lies inside the file (`len` bytes) and inside
/// the span of its parent; items and statements are in source order.
///
/// # Errors
/// A description of the first span that breaks the invariant.
pub fn check_spans(file: &ast::File, len: usize) -> Result<(), String> {
    let whole = Span::new(file.id, 0, len);
    check_items(&file.items, whole)
}

/// Checks that `child` is a well-formed span inside `parent`.
fn inside(parent: Span, child: Span, what: &str) -> Result<(), String> {
    if child.start > child.end {
        return Err(format!("{what} has a reversed span {child:?}"));
    }
    if !parent.contains(child) {
        return Err(format!("{what} {child:?} is outside its parent {parent:?}"));
    }
    Ok(())
}

/// Checks that consecutive spans do not go backwards or overlap.
fn in_order(spans: impl Iterator<Item = Span>, what: &str) -> Result<(), String> {
    let mut previous: Option<Span> = None;
    for span in spans {
        if let Some(prev) = previous
            && span.start < prev.end
        {
            return Err(format!("{what} {span:?} overlaps or precedes {prev:?}"));
        }
        previous = Some(span);
    }
    Ok(())
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Profile(p) => p.span,
        Item::Let(l) => l.span,
        Item::For(f) => f.span,
    }
}

fn check_items(items: &[Item], parent: Span) -> Result<(), String> {
    in_order(items.iter().map(item_span), "item")?;
    for item in items {
        inside(parent, item_span(item), "item")?;
        match item {
            Item::Profile(profile) => {
                let span = profile.span;
                if let Some(kw) = profile.abstract_kw {
                    inside(span, kw, "`abstract`")?;
                }
                check_name(&profile.name, span)?;
                for parent in &profile.extends {
                    check_name(parent, span)?;
                }
                check_stmts(&profile.body, span)?;
            }
            Item::Let(binding) => {
                inside(binding.span, binding.name.span, "let name")?;
                check_expr(&binding.value, binding.span)?;
            }
            Item::For(each) => {
                inside(each.span, each.first.span, "loop variable")?;
                if let Some(second) = &each.second {
                    inside(each.span, second.span, "loop variable")?;
                }
                check_expr(&each.iterable, each.span)?;
                check_items(&each.body, each.span)?;
            }
        }
    }
    Ok(())
}

fn check_name(name: &NameRef, parent: Span) -> Result<(), String> {
    inside(parent, name.span(), "profile name")?;
    if let NameRef::Str(lit) = name {
        check_str(lit, lit.span)?;
    }
    Ok(())
}

fn check_stmts(stmts: &[Stmt], parent: Span) -> Result<(), String> {
    in_order(stmts.iter().map(|s| s.span), "statement")?;
    for stmt in stmts {
        inside(parent, stmt.span, "statement")?;
        match &stmt.kind {
            StmtKind::Assign {
                key,
                op_span,
                value,
                ..
            } => {
                inside(stmt.span, key.span, "key")?;
                inside(stmt.span, *op_span, "operator")?;
                check_expr(value, stmt.span)?;
            }
            StmtKind::Unset { key } => inside(stmt.span, key.span, "key")?,
            StmtKind::Meta { kw_span, body } => {
                inside(stmt.span, *kw_span, "`meta`")?;
                check_stmts(body, stmt.span)?;
            }
        }
    }
    Ok(())
}

fn check_expr(expr: &Expr, parent: Span) -> Result<(), String> {
    let span = expr.span;
    inside(parent, span, "expression")?;
    match &expr.kind {
        ExprKind::Str(lit) | ExprKind::Env(lit) | ExprKind::File(lit) => check_str(lit, span),
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => Ok(()),
        ExprKind::List(items) => {
            in_order(items.iter().map(|e| e.span), "list element")?;
            items.iter().try_for_each(|e| check_expr(e, span))
        }
        ExprKind::Object(entries) => {
            in_order(entries.iter().map(|e| e.key.span), "object key")?;
            for entry in entries {
                inside(span, entry.key.span, "object key")?;
                check_expr(&entry.value, span)?;
            }
            Ok(())
        }
        ExprKind::Var(ident) => inside(span, ident.span, "variable"),
        ExprKind::Field(base, field) => {
            check_expr(base, span)?;
            inside(span, field.span, "field name")
        }
    }
}

fn check_str(lit: &StrLit, parent: Span) -> Result<(), String> {
    inside(parent, lit.span, "string")?;
    for part in &lit.parts {
        if let StrPart::Interp(expr) = part {
            // The interpolated expression lies strictly inside the quotes.
            check_expr(expr, lit.span)?;
        }
    }
    Ok(())
}

/// The diagnostic for a file that is not valid UTF-8 (S0002), pointing at
/// the first invalid byte.
#[must_use]
pub fn invalid_utf8(id: FileId, file: &crate::source::SourceFile) -> crate::diag::Diagnostic {
    let at = file.invalid_utf8_at.unwrap_or(0);
    crate::diag::Diagnostic::new(
        crate::diag::Code::InvalidUtf8,
        format!("`{}` is not valid UTF-8", file.name),
    )
    .primary(
        crate::span::Span::new(id, at, at + 1),
        format!("invalid byte at offset {at}"),
    )
    .help("save the file as UTF-8")
}
