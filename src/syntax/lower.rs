//! Lowering: pest's parse tree → [`crate::ast`].
//!
//! This is the only module that sees [`pest::iterators::Pair`]. It converts
//! pest spans to owned [`Span`]s, decodes escapes, strips the indentation of
//! multi-line strings, and reports the problems the grammar deliberately lets
//! through (invalid escapes, numbers that do not fit, duplicate object keys,
//! misplaced `meta` blocks). Every such problem is a diagnostic and lowering
//! carries on, so one run reports all of them.

use pest::iterators::Pair;

use super::grammar::Rule;
use crate::ast::{
    AssignOp, Expr, ExprKind, File, For, Ident, Item, Key, Let, NameRef, ObjectEntry, Profile,
    Stmt, StmtKind, StrLit, StrPart,
};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::FileId;
use crate::span::Span;

/// How deeply values and `for` loops may nest. Lowering and every later
/// stage recurse over the tree, so the depth is bounded here, far above what
/// a policy needs.
const MAX_NESTING: usize = 128;

/// Lowers the `file` pair of a successful parse. `None` when the file nests
/// too deeply (reported).
pub(crate) fn lower_file(
    id: FileId,
    file: Pair<'_, Rule>,
    diags: &mut Diagnostics,
) -> Option<File> {
    let mut lowerer = Lowerer {
        file: id,
        diags,
        depth: 0,
        too_deep: false,
    };
    let items = lowerer.items(file);
    (!lowerer.too_deep).then_some(File { id, items })
}

/// The lowering state: where spans point, where problems go, and how deep
/// the current node is.
struct Lowerer<'d> {
    file: FileId,
    diags: &'d mut Diagnostics,
    depth: usize,
    too_deep: bool,
}

/// A string literal part before merging: decoded text or an interpolation.
enum Piece<'i> {
    /// Literal source text (no escapes inside).
    Text(&'i str),
    /// A decoded escape (or the raw text of an invalid one).
    Escape(EscapeText<'i>),
    /// `${ expr }`
    Interp(Expr),
}

/// What an escape stands for.
enum EscapeText<'i> {
    /// A valid escape.
    Char(char),
    /// An invalid escape, kept as written after it was reported.
    Raw(&'i str),
}

impl<'i> EscapeText<'i> {
    fn push_to(&self, out: &mut String) {
        match self {
            EscapeText::Char(c) => out.push(*c),
            EscapeText::Raw(s) => out.push_str(s),
        }
    }
}

impl Lowerer<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    /// Enters one level of nesting at `span`; `false` (reported once) when
    /// that is too deep.
    fn enter(&mut self, span: Span) -> bool {
        if self.depth >= MAX_NESTING {
            if !self.too_deep {
                self.too_deep = true;
                self.diags.push(
                    Diagnostic::new(Code::SyntaxError, "the file is nested too deeply to parse")
                        .primary(span, format!("more than {MAX_NESTING} levels deep"))
                        .help("split deeply nested lists and objects into `let` constants"),
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_owned(),
            span: self.span(pair),
        }
    }

    // ---- items ----------------------------------------------------------

    /// The items among the children of `file` or `for_body`.
    fn items(&mut self, parent: Pair<'_, Rule>) -> Vec<Item> {
        let mut items = Vec::new();
        for pair in parent.into_inner() {
            match pair.as_rule() {
                Rule::profile => items.push(Item::Profile(self.profile(pair))),
                Rule::let_item => items.push(Item::Let(self.let_item(pair))),
                Rule::for_item => items.push(Item::For(self.for_item(pair))),
                // An `nl` may hold doc comments that attach to nothing: they
                // are ordinary comments.
                Rule::newline | Rule::nl | Rule::lbrace | Rule::rbrace | Rule::EOI => {}
                other => unreachable!("grammar guarantees only items between items, not {other:?}"),
            }
        }
        items
    }

    /// The text of a `doc_block`: lines joined with `\n`, each without its
    /// `///` and one following space.
    fn doc(pair: Pair<'_, Rule>) -> String {
        let mut doc = String::new();
        let mut first = true;
        for line in pair.into_inner() {
            if line.as_rule() != Rule::doc_comment {
                continue;
            }
            let text = line
                .into_inner()
                .find(|p| p.as_rule() == Rule::doc_text)
                .map_or("", |p| p.as_str());
            if !first {
                doc.push('\n');
            }
            first = false;
            let text = text.strip_suffix('\r').unwrap_or(text);
            doc.push_str(text.strip_prefix(' ').unwrap_or(text));
        }
        doc
    }

    fn profile(&mut self, pair: Pair<'_, Rule>) -> Profile {
        let span = self.span(&pair);
        let mut doc = None;
        let mut abstract_kw = None;
        let mut name = None;
        let mut extends = Vec::new();
        let mut body = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::doc_block => doc = Some(Self::doc(part)),
                Rule::kw_abstract => abstract_kw = Some(self.span(&part)),
                Rule::profile_name => name = Some(self.name_ref(part)),
                Rule::extends_clause => {
                    for parent in part.into_inner() {
                        if parent.as_rule() == Rule::profile_name {
                            extends.push(self.name_ref(parent));
                        }
                    }
                }
                Rule::block => body = self.block(part, None),
                Rule::kw_profile | Rule::newline => {}
                other => unreachable!("grammar guarantees no {other:?} in a profile"),
            }
        }
        let Some(name) = name else {
            unreachable!("grammar guarantees a profile has a name")
        };
        Profile {
            doc,
            abstract_kw,
            name,
            extends,
            body,
            span,
        }
    }

    fn name_ref(&mut self, pair: Pair<'_, Rule>) -> NameRef {
        let Some(inner) = pair.into_inner().next() else {
            unreachable!("grammar guarantees a profile name has content")
        };
        match inner.as_rule() {
            Rule::ident => NameRef::Ident(self.ident(&inner)),
            Rule::string => NameRef::Str(self.string(inner)),
            other => unreachable!("grammar guarantees a profile name is not {other:?}"),
        }
    }

    fn let_item(&mut self, pair: Pair<'_, Rule>) -> Let {
        let span = self.span(&pair);
        let mut doc = None;
        let mut name = None;
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::doc_block => doc = Some(Self::doc(part)),
                Rule::ident => name = Some(self.ident(&part)),
                Rule::expr => value = Some(self.expr(part)),
                Rule::kw_let | Rule::eq | Rule::newline => {}
                other => unreachable!("grammar guarantees no {other:?} in a let"),
            }
        }
        let (Some(name), Some(value)) = (name, value) else {
            unreachable!("grammar guarantees a let has a name and a value")
        };
        Let {
            doc,
            name,
            value,
            span,
        }
    }

    fn for_item(&mut self, pair: Pair<'_, Rule>) -> For {
        let end = pair.as_span().end();
        let mut start = pair.as_span().start();
        let mut first = None;
        let mut second = None;
        let mut iterable = None;
        let mut body = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                // A doc comment before a loop documents nothing: the loop's
                // span starts at `for`.
                Rule::doc_block => {}
                Rule::kw_for => start = part.as_span().start(),
                Rule::ident if first.is_none() => first = Some(self.ident(&part)),
                Rule::ident => second = Some(self.ident(&part)),
                Rule::expr => iterable = Some(self.expr(part)),
                Rule::for_body => {
                    if self.enter(self.span(&part)) {
                        body = self.items(part);
                        self.depth -= 1;
                    }
                }
                Rule::comma | Rule::kw_in | Rule::newline => {}
                other => unreachable!("grammar guarantees no {other:?} in a for loop"),
            }
        }
        let (Some(first), Some(iterable)) = (first, iterable) else {
            unreachable!("grammar guarantees a for loop has a variable and an iterable")
        };
        For {
            first,
            second,
            iterable,
            body,
            span: Span::new(self.file, start, end),
        }
    }

    // ---- statements -----------------------------------------------------

    /// The statements of a `block`. `meta` is the `meta` keyword of the
    /// enclosing `meta` block, if the block is one.
    fn block(&mut self, pair: Pair<'_, Rule>, meta: Option<Span>) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        for part in pair.into_inner() {
            let rule = part.as_rule();
            if matches!(rule, Rule::lbrace | Rule::rbrace | Rule::comma | Rule::nl) {
                continue;
            }
            let span = self.span(&part);
            let kind = match rule {
                Rule::assign_stmt => self.assign(part),
                Rule::unset_stmt => Some(self.unset(part)),
                Rule::meta_stmt => self.meta_stmt(part, meta),
                other => unreachable!("grammar guarantees no {other:?} in a block"),
            };
            // `None` is a misplaced `meta`, already reported.
            if let Some(kind) = kind {
                stmts.push(Stmt { kind, span });
            }
        }
        stmts
    }

    fn unset(&mut self, pair: Pair<'_, Rule>) -> StmtKind {
        let Some(key) = pair.into_inner().find(|p| p.as_rule() == Rule::key) else {
            unreachable!("grammar guarantees `unset` has a key")
        };
        StmtKind::Unset {
            key: self.key(key).0,
        }
    }

    fn meta_stmt(&mut self, pair: Pair<'_, Rule>, outer: Option<Span>) -> Option<StmtKind> {
        let mut kw_span = None;
        let mut block = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_meta => kw_span = Some(self.span(&part)),
                Rule::block => block = Some(part),
                Rule::newline => {}
                other => unreachable!("grammar guarantees no {other:?} in a meta block"),
            }
        }
        let (Some(kw_span), Some(block)) = (kw_span, block) else {
            unreachable!("grammar guarantees `meta` has a block")
        };
        if let Some(outer) = outer {
            self.diags.push(
                Diagnostic::new(Code::MisplacedMeta, "`meta` block inside a `meta` block")
                    .primary(kw_span, "nested `meta` block")
                    .secondary(outer, "inside this `meta` block")
                    .help("write the fields directly in the outer `meta` block"),
            );
        }
        if !self.enter(kw_span) {
            return None;
        }
        let body = self.block(block, Some(outer.unwrap_or(kw_span)));
        self.depth -= 1;
        // A nested block was lowered only for its own diagnostics.
        outer.is_none().then_some(StmtKind::Meta { kw_span, body })
    }

    fn assign(&mut self, pair: Pair<'_, Rule>) -> Option<StmtKind> {
        let mut key = None;
        let mut op = None;
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::key => key = Some(self.key(part)),
                Rule::eq => op = Some((AssignOp::Set, self.span(&part))),
                Rule::plus_eq => op = Some((AssignOp::Append, self.span(&part))),
                Rule::minus_eq => op = Some((AssignOp::Remove, self.span(&part))),
                Rule::expr => value = Some(self.expr(part)),
                Rule::newline => {}
                other => unreachable!("grammar guarantees no {other:?} in an assignment"),
            }
        }
        let (Some((key, bare)), Some((op, op_span)), Some(value)) = (key, op, value) else {
            unreachable!("grammar guarantees an assignment has a key, an operator and a value")
        };
        if bare && key.name == "meta" {
            self.diags.push(
                Diagnostic::new(
                    Code::MisplacedMeta,
                    format!(
                        "`meta` is a block and cannot be used with `{}`",
                        op.as_str()
                    ),
                )
                .primary(op_span, "operator after `meta`")
                .secondary(key.span, "`meta` starts a block")
                .help("write `meta { field = value }` without an operator"),
            );
            return None;
        }
        Some(StmtKind::Assign {
            key,
            op,
            op_span,
            value,
        })
    }

    /// A key, and whether it was written as a bare identifier.
    fn key(&mut self, pair: Pair<'_, Rule>) -> (Key, bool) {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            unreachable!("grammar guarantees a key has content")
        };
        match inner.as_rule() {
            Rule::key_name => (
                Key {
                    name: inner.as_str().to_owned(),
                    span,
                },
                true,
            ),
            Rule::string => {
                let lit = self.string(inner);
                let mut name = String::new();
                for part in &lit.parts {
                    match part {
                        StrPart::Lit(text) => name.push_str(text),
                        StrPart::Interp(expr) => self.diags.push(
                            Diagnostic::new(Code::SyntaxError, "a key cannot contain `${...}`")
                                .primary(expr.span, "interpolation in a key")
                                .help("keys are fixed names; write the key out in full"),
                        ),
                    }
                }
                (Key { name, span }, false)
            }
            other => unreachable!("grammar guarantees a key is not {other:?}"),
        }
    }

    // ---- expressions ----------------------------------------------------

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        if !self.enter(span) {
            // The file is dropped; this placeholder is never seen.
            return Expr {
                kind: ExprKind::List(Vec::new()),
                span,
            };
        }
        let expr = self.expr_inner(pair);
        self.depth -= 1;
        expr
    }

    fn expr_inner(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut inner = pair.into_inner();
        let Some(first) = inner.next() else {
            unreachable!("grammar guarantees an expression has a value")
        };
        let mut expr = self.primary(first);
        for part in inner {
            if part.as_rule() == Rule::field_name {
                let field = self.ident(&part);
                let span = expr.span.to(field.span);
                expr = Expr {
                    kind: ExprKind::Field(Box::new(expr), field),
                    span,
                };
            }
        }
        expr
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ExprKind::Str(self.string(pair)),
            Rule::triple_string => ExprKind::Str(self.triple_string(pair)),
            Rule::integer => ExprKind::Int(self.integer(pair.as_str(), span)),
            Rule::decimal => ExprKind::Float(self.decimal(pair.as_str(), span)),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::env_call => ExprKind::Env(self.call_argument(pair)),
            Rule::file_call => ExprKind::File(self.call_argument(pair)),
            Rule::list => ExprKind::List(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .map(|p| self.expr(p))
                    .collect(),
            ),
            Rule::object => ExprKind::Object(self.object(pair)),
            Rule::variable => ExprKind::Var(self.ident(&pair)),
            other => unreachable!("grammar guarantees a value is not {other:?}"),
        };
        Expr { kind, span }
    }

    fn integer(&mut self, text: &str, span: Span) -> i64 {
        text.parse().unwrap_or_else(|_| {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidNumber,
                    format!("integer `{text}` does not fit in 64 bits"),
                )
                .primary(span, "out of range")
                .help(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
            );
            if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            }
        })
    }

    fn decimal(&mut self, text: &str, span: Span) -> f64 {
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        "decimal number is too large to represent",
                    )
                    .primary(span, "too large"),
                );
                0.0
            }
        }
    }

    /// The string argument of `env(...)` or `file(...)`.
    fn call_argument(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let Some(arg) = pair.into_inner().find(|p| p.as_rule() == Rule::string) else {
            unreachable!("grammar guarantees `env`/`file` have a string argument")
        };
        self.string(arg)
    }

    fn object(&mut self, pair: Pair<'_, Rule>) -> Vec<ObjectEntry> {
        let mut entries = Vec::new();
        for entry in pair.into_inner() {
            if entry.as_rule() != Rule::entry {
                continue;
            }
            let mut key = None;
            let mut value = None;
            for part in entry.into_inner() {
                match part.as_rule() {
                    Rule::key => key = Some(self.key(part).0),
                    Rule::expr => value = Some(self.expr(part)),
                    Rule::eq | Rule::newline => {}
                    other => unreachable!("grammar guarantees no {other:?} in an object entry"),
                }
            }
            let (Some(key), Some(value)) = (key, value) else {
                unreachable!("grammar guarantees an object entry has a key and a value")
            };
            entries.push(ObjectEntry { key, value });
        }
        self.remove_duplicate_keys(&mut entries);
        entries
    }

    /// Reports every key of an object literal that repeats an earlier key,
    /// and keeps only the first entry for each key.
    fn remove_duplicate_keys(&mut self, entries: &mut Vec<ObjectEntry>) {
        if entries.len() < 2 {
            return;
        }
        // Sort indices by key, then position: each run of equal keys starts
        // with the first occurrence. O(n log n), so huge objects stay cheap.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| {
            entries[a]
                .key
                .name
                .cmp(&entries[b].key.name)
                .then(a.cmp(&b))
        });
        let mut first_of: Vec<Option<usize>> = vec![None; entries.len()];
        let mut any = false;
        for pair in order.windows(2) {
            if let [prev, next] = *pair {
                if entries[prev].key.name == entries[next].key.name {
                    first_of[next] = Some(first_of[prev].unwrap_or(prev));
                    any = true;
                }
            }
        }
        if !any {
            return;
        }
        for (index, first) in first_of.iter().enumerate() {
            if let Some(first) = *first {
                let key = &entries[index].key;
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateObjectKey,
                        format!("duplicate key `{}` in this object", key.name),
                    )
                    .primary(key.span, "duplicate key")
                    .secondary(entries[first].key.span, "first set here")
                    .help("remove one of the entries"),
                );
            }
        }
        let mut index = 0;
        entries.retain(|_| {
            let keep = first_of[index].is_none();
            index += 1;
            keep
        });
    }

    // ---- strings --------------------------------------------------------

    /// A one-line string.
    fn string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&pair);
        let mut parts = Vec::new();
        let mut text = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::str_text => text.push_str(part.as_str()),
                Rule::escape => self.escape(&part).push_to(&mut text),
                Rule::interpolation => {
                    flush(&mut text, &mut parts);
                    parts.push(StrPart::Interp(self.interpolation(part)));
                }
                other => unreachable!("grammar guarantees no {other:?} in a string"),
            }
        }
        flush(&mut text, &mut parts);
        StrLit { parts, span }
    }

    /// A multi-line string: the first line break (after blanks) and the last
    /// blank line are dropped, the common indentation of the other lines is
    /// removed, and line breaks become `\n`.
    fn triple_string(&mut self, pair: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&pair);
        // Lines of pieces, split at the line breaks of the literal text.
        let mut lines: Vec<Vec<Piece<'_>>> = vec![Vec::new()];
        for part in pair.into_inner() {
            let piece = match part.as_rule() {
                Rule::triple_text => {
                    split_lines(part.as_str(), &mut lines);
                    continue;
                }
                Rule::escape => Piece::Escape(self.escape(&part)),
                Rule::interpolation => Piece::Interp(self.interpolation(part)),
                other => unreachable!("grammar guarantees no {other:?} in a string"),
            };
            if let Some(line) = lines.last_mut() {
                line.push(piece);
            }
        }

        // Text on the opening line is not indented relative to the others.
        let mut first_is_content = true;
        if lines.len() > 1 && lines.first().is_some_and(|l| is_blank(l)) {
            lines.remove(0);
            first_is_content = false;
        }
        if (lines.len() > 1 || !first_is_content) && lines.last().is_some_and(|l| is_blank(l)) {
            lines.pop();
        }

        let skip = usize::from(first_is_content);
        let mut common: Option<&str> = None;
        for line in lines.iter().skip(skip).filter(|l| !is_blank(l)) {
            let indent = leading_blanks(line);
            common = Some(match common {
                None => indent,
                Some(c) => common_prefix(c, indent),
            });
        }
        let common = common.unwrap_or("");

        let mut parts = Vec::new();
        let mut text = String::new();
        for (number, line) in lines.into_iter().enumerate() {
            if number > 0 {
                text.push('\n');
            }
            for (position, piece) in line.into_iter().enumerate() {
                match piece {
                    Piece::Text(s) if position == 0 && number >= skip => {
                        let strip = common_prefix(common, s).len();
                        text.push_str(s.get(strip..).unwrap_or(""));
                    }
                    Piece::Text(s) => text.push_str(s),
                    Piece::Escape(e) => e.push_to(&mut text),
                    Piece::Interp(expr) => {
                        flush(&mut text, &mut parts);
                        parts.push(StrPart::Interp(expr));
                    }
                }
            }
        }
        flush(&mut text, &mut parts);
        StrLit { parts, span }
    }

    fn interpolation(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let Some(expr) = pair.into_inner().find(|p| p.as_rule() == Rule::expr) else {
            unreachable!("grammar guarantees an interpolation has an expression")
        };
        self.expr(expr)
    }

    /// Decodes one escape, reporting it when it is not valid.
    fn escape<'i>(&mut self, pair: &Pair<'i, Rule>) -> EscapeText<'i> {
        let raw = pair.as_str();
        let mut chars = raw.chars();
        chars.next(); // the backslash
        let decoded = match chars.next() {
            Some('"') => Ok('"'),
            Some('\\') => Ok('\\'),
            Some('n') => Ok('\n'),
            Some('t') => Ok('\t'),
            Some('r') => Ok('\r'),
            Some('$') => Ok('$'),
            Some('u') => decode_unicode(chars.as_str()),
            Some(c) if c.is_whitespace() || c.is_control() => Err((
                "a backslash must be followed by an escape character".to_owned(),
                "`\\\\` for a backslash",
            )),
            Some(c) => Err((format!("unknown escape `\\{c}`"), "`\\\\` for a backslash")),
            None => unreachable!("grammar guarantees a backslash is followed by a character"),
        };
        match decoded {
            Ok(c) => EscapeText::Char(c),
            Err((message, hint)) => {
                self.diags.push(
                    Diagnostic::new(Code::InvalidEscape, message)
                        .primary(self.span(pair), "invalid escape")
                        .help(format!(
                            "valid escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\$` and \
                             `\\u{{1F600}}`; write {hint}"
                        )),
                );
                EscapeText::Raw(raw)
            }
        }
    }
}

/// Decodes the part of a `\u` escape after the `u`.
fn decode_unicode(rest: &str) -> Result<char, (String, &'static str)> {
    let Some(hex) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) else {
        return Err((
            "`\\u` must be followed by a code point in braces".to_owned(),
            "the code point in hexadecimal, like `\\u{1F600}`",
        ));
    };
    let value = if hex.is_empty() || hex.len() > 6 {
        None
    } else {
        u32::from_str_radix(hex, 16).ok()
    };
    match value {
        None => Err((
            format!("`\\u{{{hex}}}` is not a hexadecimal code point of 1 to 6 digits"),
            "the code point in hexadecimal, like `\\u{1F600}`",
        )),
        Some(v) => char::from_u32(v).ok_or_else(|| {
            (
                format!("`\\u{{{hex}}}` is not a Unicode scalar value"),
                "a code point up to `10FFFF` that is not a surrogate",
            )
        }),
    }
}

/// Moves pending literal text into `parts` as one merged literal piece.
fn flush(text: &mut String, parts: &mut Vec<StrPart>) {
    if !text.is_empty() {
        parts.push(StrPart::Lit(std::mem::take(text)));
    }
}

/// Appends literal text to the last line, starting a new line at every line
/// break (`\n` or `\r\n`).
fn split_lines<'i>(text: &'i str, lines: &mut Vec<Vec<Piece<'i>>>) {
    fn push<'i>(segment: &'i str, lines: &mut [Vec<Piece<'i>>]) {
        if let (false, Some(line)) = (segment.is_empty(), lines.last_mut()) {
            line.push(Piece::Text(segment));
        }
    }
    let mut rest = text;
    while let Some(at) = rest.find('\n') {
        let segment = &rest[..at];
        push(segment.strip_suffix('\r').unwrap_or(segment), lines);
        lines.push(Vec::new());
        rest = &rest[at + 1..];
    }
    push(rest, lines);
}

/// Whether a line of a multi-line string holds only spaces and tabs.
fn is_blank(line: &[Piece<'_>]) -> bool {
    line.iter()
        .all(|p| matches!(p, Piece::Text(s) if s.bytes().all(|b| b == b' ' || b == b'\t')))
}

/// The leading spaces and tabs of a line (escapes and interpolations are
/// content, not indentation).
fn leading_blanks<'i>(line: &[Piece<'i>]) -> &'i str {
    match line.first() {
        Some(Piece::Text(s)) => {
            let end = s.find(|c| c != ' ' && c != '\t').unwrap_or(s.len());
            &s[..end]
        }
        _ => "",
    }
}

/// The longest common prefix of two strings of spaces and tabs (or of such a
/// string and any text).
fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let len = a
        .bytes()
        .zip(b.bytes())
        .take_while(|(x, y)| x == y && (*x == b' ' || *x == b'\t'))
        .count();
    &a[..len]
}
