//! The canonical layout of policy files: what `polc fmt` writes.
//!
//! The formatter works on pest's parse tree, not on the AST, because the
//! AST keeps no ordinary comments. In the parse tree every comment is still
//! where it was written: ordinary comments are part of the grammar's
//! `newline`/`nl` tokens (a line break together with the comments, blank
//! lines and indentation around it), and doc comments are `doc_comment`
//! tokens inside a `doc_block`. Each such token is read as a list of
//! [`Event`]s: a comment on the line of the token before it (*trailing*),
//! comments on lines of their own, and blank lines. The printer re-emits
//! every event in order, next to the same tokens, so a comment can never
//! move to a place where it would mean something else (an ordinary comment
//! never becomes a doc comment, and a doc comment stays with its item).
//!
//! Everything the printer decides (one line or one entry per line,
//! alignment, blank lines) depends only on the tokens, the comments and
//! where blank lines were, never on the rest of the input's layout; that is
//! what makes formatting idempotent.
//!
//! Literals (strings, numbers, keys, names) are copied as written, so their
//! meaning cannot change. As a last safeguard, [`format_file`] parses its
//! own output and refuses to return it unless the syntax tree (spans aside)
//! and the sequence of comments are those of the input.
//!
//! The layout rules are documented in `docs/language.md` ("Formatting").

use pest::Parser as _;
use pest::iterators::Pair;

use super::grammar::{PolicyParser, Rule};
use crate::ast::{self, Expr, ExprKind, Item, NameRef, Stmt, StmtKind, StrLit, StrPart};
use crate::diag::{Diagnostic, Diagnostics};
use crate::source::FileId;
use crate::span::Span;

/// Lists and objects that fit in this many columns stay on one line.
pub const WIDTH: usize = 100;

/// Spaces per indentation level.
const INDENT: usize = 2;

/// Why a file was not formatted.
#[derive(Clone, Debug)]
pub enum FormatError {
    /// The file does not parse (or has another syntax-stage error, such as
    /// an invalid escape): the same diagnostics `polc check` reports.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not parse back to the same file (a bug in
    /// the formatter); the input is left alone.
    Internal(String),
}

/// Formats one file (diagnostics point at [`FileId`] 0).
///
/// # Errors
/// See [`format_file`].
pub fn format_source(text: &str) -> Result<String, FormatError> {
    format_file(FileId(0), text)
}

/// Formats one file of a source set: its text in the canonical layout.
///
/// # Errors
/// [`FormatError::Syntax`] when the file has a syntax error (nothing is
/// formatted), [`FormatError::Internal`] when the formatted text would not
/// mean the same as the input or would lose a comment.
pub fn format_file(id: FileId, text: &str) -> Result<String, FormatError> {
    let mut diags = Diagnostics::new();
    let before = super::parse_file(id, text, &mut diags);
    let before = match before {
        Some(file) if !diags.has_errors() => file,
        _ => return Err(FormatError::Syntax(diags.into_sorted())),
    };
    let normalized = normalize(text);
    let file = parse(&normalized)?;
    let comments_before = comments(file.clone());
    let mut printer = Printer::default();
    printer.file(file);
    let out = printer.finish();

    // The safeguard: same tree, same comments.
    let mut diags = Diagnostics::new();
    let after = super::parse_file(id, &out, &mut diags);
    let after = match after {
        Some(file) if !diags.has_errors() => file,
        _ => {
            return Err(FormatError::Internal(
                "the formatted text does not parse".to_owned(),
            ));
        }
    };
    if erased(before) != erased(after) {
        return Err(FormatError::Internal(
            "the formatted text would change the file's meaning".to_owned(),
        ));
    }
    if comments(parse(&out)?) != comments_before {
        return Err(FormatError::Internal(
            "the formatted text would lose or reorder a comment".to_owned(),
        ));
    }
    Ok(out)
}

/// The input as the printer reads it: without a byte-order mark, with
/// `\r\n` line breaks turned into `\n`.
fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    text.replace("\r\n", "\n")
}

fn parse(text: &str) -> Result<Pair<'_, Rule>, FormatError> {
    PolicyParser::parse(Rule::file, text)
        .ok()
        .and_then(|mut pairs| pairs.next())
        .ok_or_else(|| FormatError::Internal("the normalized text does not parse".to_owned()))
}

/// Every comment of a parse tree, in order, as written.
fn comments(file: Pair<'_, Rule>) -> Vec<String> {
    let mut out = Vec::new();
    for pair in file.into_inner().flatten() {
        match pair.as_rule() {
            Rule::newline | Rule::nl => {
                for event in events(pair.as_str()) {
                    if let Event::Trailing(c) | Event::Comment(c) = event {
                        out.push(c.to_owned());
                    }
                }
            }
            Rule::doc_comment => out.push(doc_line(&pair).to_owned()),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Comments and blank lines

/// What a `newline` or `nl` token holds besides line breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event<'i> {
    /// A comment on the line of the token before it.
    Trailing(&'i str),
    /// A comment on a line of its own.
    Comment(&'i str),
    /// An empty line.
    Blank,
}

impl Event<'_> {
    fn is_comment(self) -> bool {
        !matches!(self, Event::Blank)
    }
}

/// The events of a `newline`/`nl` token's text. The token starts with a
/// comment or a line break and holds nothing but blanks, line breaks and
/// comments; its last line is the indentation of the next token (or, at the
/// end of a file, a last comment).
fn events(text: &str) -> Vec<Event<'_>> {
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len() - 1;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_start_matches([' ', '\t']);
        if i == 0 {
            if !line.is_empty() {
                out.push(Event::Trailing(line));
            }
        } else if !line.is_empty() {
            out.push(Event::Comment(line));
        } else if i < last {
            out.push(Event::Blank);
        }
    }
    out
}

fn has_comment(gap: &Pair<'_, Rule>) -> bool {
    events(gap.as_str()).into_iter().any(Event::is_comment)
}

/// The `///...` line of a `doc_comment` token.
fn doc_line<'i>(pair: &Pair<'i, Rule>) -> &'i str {
    let text = pair.as_str();
    text.split('\n').next().unwrap_or(text)
}

/// An element of a bracketed sequence.
enum Elem<'i> {
    /// An item, an `unset` or `meta` statement, or a list element (an
    /// `expr` or a `plain_string`).
    Node(Pair<'i, Rule>),
    /// An assignment or object entry. The grammar has no rule for these:
    /// their key, operator and value are children of the block or object.
    Assign(Assignment<'i>),
}

/// A bracketed sequence (items, statements, entries or elements) with the
/// comments and blank lines around its elements.
struct Seq<'i> {
    /// Events after the opening bracket (or at the start of the file).
    head: Vec<Event<'i>>,
    /// Each element with the events that follow it.
    elems: Vec<(Elem<'i>, Vec<Event<'i>>)>,
}

impl<'i> Seq<'i> {
    /// Splits `children` into elements (`is_elem`, and assignments, which
    /// are gathered from their flat parts) and layout; punctuation carries no
    /// layout and is dropped. A comment is trailing only when it is still on
    /// the element's line (`a, // x`); after a line break, a comment before
    /// a comma is a comment on its own line.
    fn new(children: impl Iterator<Item = Pair<'i, Rule>>, is_elem: fn(Rule) -> bool) -> Self {
        let mut seq = Seq {
            head: Vec::new(),
            elems: Vec::new(),
        };
        let mut on_line = true;
        // The parts of an assignment whose value has not come yet.
        let mut pending: Option<Parts<'i>> = None;
        for child in children {
            let rule = child.as_rule();
            if let Some(parts) = &mut pending {
                // Between the key and the value: the operator, and the layout
                // token after it.
                match rule {
                    Rule::eq | Rule::plus_eq | Rule::minus_eq => parts.op = child.as_str(),
                    Rule::newline | Rule::nl => parts.gap = Some(child),
                    Rule::expr | Rule::plain_string => {
                        if let Some(parts) = pending.take() {
                            seq.elems
                                .push((Elem::Assign(parts.finish(child)), Vec::new()));
                        }
                        on_line = true;
                    }
                    _ => {}
                }
            } else if rule == Rule::key {
                pending = Some(Parts {
                    key: child.as_str(),
                    op: "=",
                    gap: None,
                });
            } else if is_elem(rule) {
                seq.elems.push((Elem::Node(child), Vec::new()));
                on_line = true;
            } else if matches!(rule, Rule::newline | Rule::nl) {
                let target = match seq.elems.last_mut() {
                    Some((_, events)) => events,
                    None => &mut seq.head,
                };
                for event in events(child.as_str()) {
                    target.push(match event {
                        Event::Trailing(c) if !on_line => Event::Comment(c),
                        other => other,
                    });
                }
                // A layout token always ends its line (or the file).
                on_line = false;
            }
        }
        seq
    }

    /// Whether the sequence holds nothing, not even a comment.
    fn is_empty(&self) -> bool {
        self.elems.is_empty() && !self.head.iter().any(|e| e.is_comment())
    }
}

fn is_item(rule: Rule) -> bool {
    matches!(rule, Rule::profile | Rule::let_item | Rule::for_item)
}

/// The statements of a block other than assignments (an object has none).
fn is_stmt(rule: Rule) -> bool {
    matches!(rule, Rule::unset_stmt | Rule::meta_stmt)
}

/// A value: an `expr`, or where the grammar takes its fast form, a
/// `plain_string`.
fn is_value(rule: Rule) -> bool {
    matches!(rule, Rule::expr | Rule::plain_string)
}

// ---------------------------------------------------------------------------
// One-line forms

fn width(text: &str) -> usize {
    text.chars().count()
}

/// A value (see [`is_value`]) on one line, if it can be written on one
/// line at all: it holds no comment and no multi-line string.
fn flat_expr(expr: &Pair<'_, Rule>) -> Option<String> {
    if expr.as_rule() == Rule::plain_string {
        return Some(expr.as_str().to_owned());
    }
    let mut inner = expr.clone().into_inner();
    let primary = inner.next()?;
    let mut out = flat_primary(&primary)?;
    for field in inner {
        out.push('.');
        out.push_str(field.as_str());
    }
    Some(out)
}

fn flat_primary(primary: &Pair<'_, Rule>) -> Option<String> {
    match primary.as_rule() {
        Rule::list => {
            let mut parts = Vec::new();
            for child in primary.clone().into_inner() {
                match child.as_rule() {
                    Rule::expr | Rule::plain_string => parts.push(flat_expr(&child)?),
                    Rule::newline | Rule::nl if has_comment(&child) => return None,
                    _ => {}
                }
            }
            Some(format!("[{}]", parts.join(", ")))
        }
        Rule::object => {
            // Entries are flat: a key, `=` (not a token: the grammar matches
            // it as a literal) and the value.
            let mut parts = Vec::new();
            let mut key = "";
            for child in primary.clone().into_inner() {
                match child.as_rule() {
                    Rule::key => key = child.as_str(),
                    Rule::expr | Rule::plain_string => {
                        parts.push(format!("{key} = {}", flat_expr(&child)?));
                    }
                    Rule::newline | Rule::nl if has_comment(&child) => return None,
                    _ => {}
                }
            }
            if parts.is_empty() {
                Some("{}".to_owned())
            } else {
                Some(format!("{{ {} }}", parts.join(", ")))
            }
        }
        Rule::env_call | Rule::file_call => {
            let mut out = String::new();
            for child in primary.clone().into_inner() {
                match child.as_rule() {
                    Rule::newline if has_comment(&child) => return None,
                    Rule::newline => {}
                    _ => out.push_str(child.as_str()),
                }
            }
            Some(out)
        }
        // Literals and variables, as written.
        _ => {
            let text = primary.as_str();
            (!text.contains('\n')).then(|| text.to_owned())
        }
    }
}

/// Whether an expression is a list or object, which is written one entry
/// per line when it does not fit on its line.
fn breakable(expr: &Pair<'_, Rule>) -> bool {
    expr.clone()
        .into_inner()
        .next()
        .is_some_and(|p| matches!(p.as_rule(), Rule::list | Rule::object))
}

/// How an expression at column `col`, followed by `suffix` columns, is
/// written on one line; `None` when it takes several lines.
fn one_line(expr: &Pair<'_, Rule>, col: usize, suffix: usize) -> Option<String> {
    let flat = flat_expr(expr)?;
    (!breakable(expr) || col + width(&flat) + suffix <= WIDTH).then_some(flat)
}

/// The parts of an assignment statement or object entry.
struct Assignment<'i> {
    key: &'i str,
    op: &'i str,
    /// The layout token between the operator and the value.
    gap: Option<Pair<'i, Rule>>,
    /// An `expr` or a `plain_string`.
    value: Pair<'i, Rule>,
}

/// The parts of an assignment read so far: everything but the value.
struct Parts<'i> {
    key: &'i str,
    op: &'i str,
    gap: Option<Pair<'i, Rule>>,
}

impl<'i> Parts<'i> {
    fn finish(self, value: Pair<'i, Rule>) -> Assignment<'i> {
        Assignment {
            key: self.key,
            op: self.op,
            gap: self.gap,
            value,
        }
    }
}

impl Assignment<'_> {
    /// Columns from the key to the end of the operator, unaligned.
    fn head_width(&self) -> usize {
        width(self.key) + 1 + self.op.len()
    }
}

// ---------------------------------------------------------------------------
// The printer

/// One output line: indentation, code (which may hold the line breaks of a
/// multi-line string) and a comment.
#[derive(Default)]
struct Line {
    indent: usize,
    code: String,
    comment: Option<String>,
}

impl Line {
    /// The column after the code.
    fn end(&self) -> usize {
        match self.code.rsplit_once('\n') {
            Some((_, last)) => width(last),
            None => self.indent + width(&self.code),
        }
    }
}

#[derive(Default)]
struct Printer {
    lines: Vec<Line>,
}

impl Printer {
    // ---- output primitives ------------------------------------------------

    /// Starts a new line.
    fn open(&mut self, indent: usize) {
        self.lines.push(Line {
            indent,
            ..Line::default()
        });
    }

    fn last(&mut self) -> &mut Line {
        if self.lines.is_empty() {
            self.open(0);
        }
        let n = self.lines.len();
        &mut self.lines[n - 1]
    }

    /// Appends code to the current line.
    fn push(&mut self, text: &str) {
        let line = self.last();
        debug_assert!(line.comment.is_none(), "code after a comment");
        line.code.push_str(text);
    }

    /// The current column.
    fn col(&self) -> usize {
        self.lines.last().map_or(0, Line::end)
    }

    fn comment_line(&mut self, indent: usize, comment: &str) {
        self.lines.push(Line {
            indent,
            code: String::new(),
            comment: Some(comment.to_owned()),
        });
    }

    fn blank(&mut self) {
        self.lines.push(Line::default());
    }

    /// Writes the events between elements of a sequence. `pending`: a blank
    /// line is due before the next comment or element; `keep_leading`:
    /// blank lines before the first comment count. Returns whether a blank
    /// line is due before what comes next.
    fn trivia(
        &mut self,
        events: &[Event<'_>],
        indent: usize,
        mut pending: bool,
        keep_leading: bool,
    ) -> bool {
        let mut any = false;
        for event in events {
            match *event {
                Event::Trailing(c) => self.last().comment = Some(c.to_owned()),
                Event::Blank => pending |= any || keep_leading,
                Event::Comment(c) => {
                    if pending {
                        self.blank();
                    }
                    pending = false;
                    any = true;
                    self.comment_line(indent, c);
                }
            }
        }
        pending
    }

    /// Writes the layout token between two tokens of one construct: `space`
    /// when it holds no comment; otherwise its comments, after which the
    /// next token starts a new line at `indent`. Returns whether it did.
    fn gap(&mut self, gap: Option<&Pair<'_, Rule>>, indent: usize, space: &str) -> bool {
        let events = gap.map(|g| events(g.as_str())).unwrap_or_default();
        if !events.iter().any(|e| e.is_comment()) {
            self.push(space);
            return false;
        }
        for event in events {
            match event {
                Event::Trailing(c) => self.last().comment = Some(c.to_owned()),
                Event::Comment(c) => self.comment_line(indent, c),
                Event::Blank => {}
            }
        }
        self.open(indent);
        true
    }

    /// The text, trailing comments of consecutive lines aligned.
    fn finish(self) -> String {
        let mut columns = vec![0; self.lines.len()];
        let mut i = 0;
        while i < self.lines.len() {
            let trailing = |l: &Line| !l.code.is_empty() && l.comment.is_some();
            if !trailing(&self.lines[i]) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < self.lines.len()
                && trailing(&self.lines[j + 1])
                && self.lines[j + 1].indent == self.lines[i].indent
            {
                j += 1;
            }
            let column = (i..=j).map(|k| self.lines[k].end()).max().unwrap_or(0) + 1;
            columns[i..=j].fill(column);
            i = j + 1;
        }
        let mut out = String::new();
        for (line, column) in self.lines.iter().zip(columns) {
            if line.code.is_empty() && line.comment.is_none() {
                out.push('\n');
                continue;
            }
            out.extend(std::iter::repeat_n(' ', line.indent));
            out.push_str(&line.code);
            if let Some(comment) = &line.comment {
                if !line.code.is_empty() {
                    out.extend(std::iter::repeat_n(' ', column - line.end()));
                }
                out.push_str(comment);
            }
            out.push('\n');
        }
        out
    }

    // ---- items --------------------------------------------------------------

    fn file(&mut self, file: Pair<'_, Rule>) {
        let mut seq = Seq::new(file.into_inner(), is_item);
        // At the start of the file there is no line to trail.
        for event in &mut seq.head {
            if let Event::Trailing(c) = *event {
                *event = Event::Comment(c);
            }
        }
        self.items(&seq, 0);
    }

    /// Items: exactly one blank line between two items (before the comments
    /// that precede the second one, if any).
    fn items(&mut self, seq: &Seq<'_>, indent: usize) {
        let pending = self.trivia(&seq.head, indent, false, false);
        let n = seq.elems.len();
        if n > 0 && pending {
            self.blank();
        }
        for (i, (item, events)) in seq.elems.iter().enumerate() {
            let Elem::Node(item) = item else {
                unreachable!("grammar guarantees no assignment among items")
            };
            match item.as_rule() {
                Rule::profile => self.profile(item, indent),
                Rule::let_item => self.let_item(item, indent),
                _ => self.for_item(item, indent),
            }
            let last = i + 1 == n;
            if self.trivia(events, indent, !last, true) && !last {
                self.blank();
            }
        }
    }

    fn docs(&mut self, block: &Pair<'_, Rule>, indent: usize) {
        for doc in block.clone().into_inner() {
            self.comment_line(indent, doc_line(&doc));
            for gap in doc.into_inner().filter(|p| p.as_rule() == Rule::newline) {
                for event in events(gap.as_str()) {
                    if let Event::Trailing(c) | Event::Comment(c) = event {
                        self.comment_line(indent, c);
                    }
                }
            }
        }
    }

    fn profile(&mut self, pair: &Pair<'_, Rule>, indent: usize) {
        let mut opened = false;
        let mut space = "";
        for child in pair.clone().into_inner() {
            match child.as_rule() {
                Rule::doc_block => self.docs(&child, indent),
                Rule::kw_abstract | Rule::kw_profile => {
                    if !opened {
                        self.open(indent);
                        opened = true;
                    }
                    self.push(space);
                    self.push(child.as_str());
                    space = " ";
                }
                Rule::profile_name => {
                    self.push(" ");
                    self.push(child.as_str());
                    space = " ";
                }
                Rule::extends_clause => {
                    self.push(" extends");
                    let mut sep = " ";
                    for part in child.into_inner() {
                        match part.as_rule() {
                            Rule::newline => {
                                self.gap(Some(&part), indent + INDENT, sep);
                                sep = "";
                            }
                            Rule::comma => {
                                self.push(",");
                                sep = " ";
                            }
                            Rule::profile_name => {
                                self.push(sep);
                                self.push(part.as_str());
                                sep = "";
                            }
                            _ => {}
                        }
                    }
                    space = " ";
                }
                Rule::newline => {
                    self.gap(Some(&child), indent, space);
                    space = "";
                }
                Rule::block => {
                    self.push(space);
                    self.block(&child, indent);
                }
                _ => {}
            }
        }
    }

    fn let_item(&mut self, pair: &Pair<'_, Rule>, indent: usize) {
        let mut gap = None;
        for child in pair.clone().into_inner() {
            match child.as_rule() {
                Rule::doc_block => self.docs(&child, indent),
                Rule::kw_let => {
                    self.open(indent);
                    self.push("let");
                }
                Rule::ident => {
                    self.push(" ");
                    self.push(child.as_str());
                }
                Rule::eq => self.push(" ="),
                Rule::newline => gap = Some(child),
                Rule::expr => {
                    let broke = self.gap(gap.as_ref(), indent + INDENT, " ");
                    self.expr(&child, if broke { indent + INDENT } else { indent }, 0);
                }
                _ => {}
            }
        }
    }

    fn for_item(&mut self, pair: &Pair<'_, Rule>, indent: usize) {
        let mut gap = None;
        for child in pair.clone().into_inner() {
            match child.as_rule() {
                Rule::doc_block => self.docs(&child, indent),
                Rule::kw_for => {
                    self.open(indent);
                    self.push("for");
                }
                Rule::ident => {
                    self.push(" ");
                    self.push(child.as_str());
                }
                Rule::comma => self.push(","),
                Rule::kw_in => self.push(" in"),
                Rule::newline => gap = Some(child),
                Rule::expr => {
                    let broke = self.gap(gap.take().as_ref(), indent + INDENT, " ");
                    self.expr(&child, if broke { indent + INDENT } else { indent }, 2);
                }
                Rule::for_body => {
                    self.gap(gap.take().as_ref(), indent, " ");
                    let seq = Seq::new(child.into_inner(), is_item);
                    if seq.is_empty() {
                        self.push("{}");
                    } else {
                        self.push("{");
                        self.items(&seq, indent + INDENT);
                        self.open(indent);
                        self.push("}");
                    }
                }
                _ => {}
            }
        }
    }

    // ---- statements ---------------------------------------------------------

    /// A profile body or `meta` block: one statement per line.
    fn block(&mut self, pair: &Pair<'_, Rule>, indent: usize) {
        let seq = Seq::new(pair.clone().into_inner(), is_stmt);
        if seq.is_empty() {
            self.push("{}");
            return;
        }
        self.push("{");
        self.statements(&seq, indent + INDENT, false);
        self.open(indent);
        self.push("}");
    }

    /// The statements of a block or the entries of an object written one per
    /// line (then each followed by a comma).
    fn statements(&mut self, seq: &Seq<'_>, indent: usize, commas: bool) {
        let suffix = usize::from(commas);
        let pads = align(seq, indent, suffix);
        let pending = self.trivia(&seq.head, indent, false, false);
        let n = seq.elems.len();
        if n > 0 && pending {
            self.blank();
        }
        for (i, ((stmt, events), pad)) in seq.elems.iter().zip(pads).enumerate() {
            self.open(indent);
            self.statement(stmt, indent, pad, suffix);
            if commas {
                self.push(",");
            }
            if self.trivia(events, indent, false, true) && i + 1 < n {
                self.blank();
            }
        }
    }

    fn statement(&mut self, stmt: &Elem<'_>, indent: usize, pad: usize, suffix: usize) {
        let pair = match stmt {
            Elem::Assign(a) => {
                self.push(a.key);
                self.push(&" ".repeat(pad + 1));
                self.push(a.op);
                let broke = self.gap(a.gap.as_ref(), indent + INDENT, " ");
                let indent = if broke { indent + INDENT } else { indent };
                self.expr(&a.value, indent, suffix);
                return;
            }
            Elem::Node(pair) => pair,
        };
        match pair.as_rule() {
            Rule::unset_stmt => {
                self.push("unset");
                for key in pair
                    .clone()
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::key)
                {
                    self.push(" ");
                    self.push(key.as_str());
                }
            }
            _ => {
                // `meta { ... }`
                self.push("meta");
                let mut gap = None;
                for child in pair.clone().into_inner() {
                    match child.as_rule() {
                        Rule::newline => gap = Some(child),
                        Rule::block => {
                            self.gap(gap.take().as_ref(), indent, " ");
                            self.block(&child, indent);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    // ---- expressions --------------------------------------------------------

    /// An expression starting at the current column; `indent` is the
    /// indentation of its line, `suffix` the columns that follow it there.
    fn expr(&mut self, expr: &Pair<'_, Rule>, indent: usize, suffix: usize) {
        if let Some(flat) = one_line(expr, self.col(), suffix) {
            self.push(&flat);
            return;
        }
        let mut inner = expr.clone().into_inner();
        let Some(primary) = inner.next() else {
            unreachable!("grammar guarantees an expression has a value")
        };
        let fields: String = inner.map(|f| format!(".{}", f.as_str())).collect();
        match primary.as_rule() {
            Rule::list => {
                let seq = Seq::new(primary.into_inner(), is_value);
                self.push("[");
                let nested = indent + INDENT;
                let pending = self.trivia(&seq.head, nested, false, false);
                let n = seq.elems.len();
                if n > 0 && pending {
                    self.blank();
                }
                for (i, (element, events)) in seq.elems.iter().enumerate() {
                    let Elem::Node(element) = element else {
                        unreachable!("grammar guarantees no assignment in a list")
                    };
                    self.open(nested);
                    self.expr(element, nested, 1);
                    self.push(",");
                    if self.trivia(events, nested, false, true) && i + 1 < n {
                        self.blank();
                    }
                }
                self.open(indent);
                self.push("]");
            }
            Rule::object => {
                let seq = Seq::new(primary.into_inner(), is_stmt);
                self.push("{");
                self.statements(&seq, indent + INDENT, true);
                self.open(indent);
                self.push("}");
            }
            Rule::env_call | Rule::file_call => {
                let mut gap = None;
                for child in primary.into_inner() {
                    match child.as_rule() {
                        Rule::newline => gap = Some(child),
                        Rule::string | Rule::rparen => {
                            self.gap(gap.take().as_ref(), indent + INDENT, "");
                            self.push(child.as_str());
                        }
                        _ => self.push(child.as_str()),
                    }
                }
            }
            // A multi-line string, as written.
            _ => self.push(primary.as_str()),
        }
        self.push(&fields);
    }
}

/// The padding after the key of each statement of a sequence, so that the
/// `=` of `=`, `+=` and `-=` line up within a run.
///
/// A run is a maximal sequence of consecutive assignments with no blank
/// line or other statement between them (comment lines may be), each of
/// which stays on one line when aligned. Whether a value stays on one line depends on
/// the padding, so the runs are found by elimination: a statement that
/// does not fit when aligned with its run leaves it (splitting it), until
/// every run is stable.
fn align(seq: &Seq<'_>, indent: usize, suffix: usize) -> Vec<usize> {
    /// What alignment needs to know about an assignment.
    struct Info {
        head: usize,
        flat: usize,
        breakable: bool,
    }
    let infos: Vec<Option<Info>> = seq
        .elems
        .iter()
        .map(|(elem, _)| {
            let Elem::Assign(a) = elem else {
                return None;
            };
            if a.gap.as_ref().is_some_and(has_comment) {
                return None;
            }
            let flat = flat_expr(&a.value)?;
            Some(Info {
                head: a.head_width(),
                flat: width(&flat),
                breakable: breakable(&a.value),
            })
        })
        .collect();
    let fits = |info: &Info, head: usize| {
        !info.breakable || indent + head + 1 + info.flat + suffix <= WIDTH
    };
    let mut member: Vec<bool> = infos
        .iter()
        .map(|i| i.as_ref().is_some_and(|i| fits(i, i.head)))
        .collect();
    // A blank line after an element ends its run (a comment line does not).
    let ends_run: Vec<bool> = seq
        .elems
        .iter()
        .map(|(_, events)| events.contains(&Event::Blank))
        .collect();
    let mut pads = vec![0; seq.elems.len()];
    loop {
        let mut changed = false;
        let mut i = 0;
        while i < member.len() {
            if !member[i] {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < member.len() && member[j + 1] && !ends_run[j] {
                j += 1;
            }
            let head = (i..=j)
                .filter_map(|k| infos[k].as_ref().map(|info| info.head))
                .max()
                .unwrap_or(0);
            for k in i..=j {
                if let Some(info) = &infos[k] {
                    if fits(info, head) {
                        pads[k] = head - info.head;
                    } else {
                        member[k] = false;
                        pads[k] = 0;
                        changed = true;
                    }
                }
            }
            i = j + 1;
        }
        if !changed {
            break;
        }
    }
    for (pad, m) in pads.iter_mut().zip(&member) {
        if !m {
            *pad = 0;
        }
    }
    pads
}

// ---------------------------------------------------------------------------
// Comparing syntax trees without their spans

fn erased(mut file: ast::File) -> ast::File {
    erase_items(&mut file.items);
    file
}

const NOWHERE: Span = Span {
    file: FileId(0),
    start: 0,
    end: 0,
};

fn erase_items(items: &mut [Item]) {
    for item in items {
        match item {
            Item::Profile(p) => {
                p.span = NOWHERE;
                p.abstract_kw = p.abstract_kw.map(|_| NOWHERE);
                erase_name(&mut p.name);
                p.extends.iter_mut().for_each(erase_name);
                erase_stmts(&mut p.body);
            }
            Item::Let(l) => {
                l.span = NOWHERE;
                l.name.span = NOWHERE;
                erase_expr(&mut l.value);
            }
            Item::For(f) => {
                f.span = NOWHERE;
                f.first.span = NOWHERE;
                if let Some(second) = &mut f.second {
                    second.span = NOWHERE;
                }
                erase_expr(&mut f.iterable);
                erase_items(&mut f.body);
            }
        }
    }
}

fn erase_name(name: &mut NameRef) {
    match name {
        NameRef::Ident(i) => i.span = NOWHERE,
        NameRef::Str(s) => erase_str(s),
    }
}

fn erase_stmts(stmts: &mut [Stmt]) {
    for stmt in stmts {
        stmt.span = NOWHERE;
        match &mut stmt.kind {
            StmtKind::Assign {
                key,
                op_span,
                value,
                ..
            } => {
                key.span = NOWHERE;
                *op_span = NOWHERE;
                erase_expr(value);
            }
            StmtKind::Unset { key } => key.span = NOWHERE,
            StmtKind::Meta { kw_span, body } => {
                *kw_span = NOWHERE;
                erase_stmts(body);
            }
        }
    }
}

fn erase_expr(expr: &mut Expr) {
    expr.span = NOWHERE;
    match &mut expr.kind {
        ExprKind::Str(s) | ExprKind::Env(s) | ExprKind::File(s) => erase_str(s),
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {}
        ExprKind::List(items) => items.iter_mut().for_each(erase_expr),
        ExprKind::Object(entries) => {
            for entry in entries {
                entry.key.span = NOWHERE;
                erase_expr(&mut entry.value);
            }
        }
        ExprKind::Var(ident) => ident.span = NOWHERE,
        ExprKind::Field(base, field) => {
            erase_expr(base);
            field.span = NOWHERE;
        }
    }
}

fn erase_str(lit: &mut StrLit) {
    lit.span = NOWHERE;
    for part in &mut lit.parts {
        if let StrPart::Interp(expr) = part {
            erase_expr(expr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Event, events, format_source};

    fn fmt(text: &str) -> String {
        match format_source(text) {
            Ok(out) => out,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn layout_events() {
        assert_eq!(events("\n"), []);
        assert_eq!(events("\n\n  "), [Event::Blank]);
        assert_eq!(
            events("// a\n\n  // b\n  "),
            [
                Event::Trailing("// a"),
                Event::Blank,
                Event::Comment("// b")
            ]
        );
        assert_eq!(events("// end"), [Event::Trailing("// end")]);
    }

    #[test]
    fn aligns_and_breaks() {
        let out = fmt("profile a{x=1\n// c\nlong_key+=[1,2]\n\ny -= \"z\" // c\n}\n");
        assert_eq!(
            out,
            "profile a {\n  x         = 1\n  // c\n  long_key += [1, 2]\n\n  y -= \"z\" // c\n}\n"
        );
    }

    #[test]
    fn flat_assignments_entries_and_plain_strings() {
        // An assignment or object entry has no rule of its own (its key,
        // operator, line break and value are children of the block or
        // object), one-line lists and objects have no punctuation tokens,
        // and a string without escapes is a `plain_string`, not an `expr`.
        let out = fmt(concat!(
            "profile a {\n  k -= \"x\"\n  o = {\n    a = // why\n      \"v\", b = [\"p\", 1]\n  }\n",
            "  p += { c = \"q\", \"d\" = e.f }\n  l = [\"s\", // c\n    \"t\"]\n}\n",
        ));
        assert_eq!(
            out,
            concat!(
                "profile a {\n  k -= \"x\"\n  o = {\n    a = // why\n      \"v\",\n",
                "    b = [\"p\", 1],\n  }\n  p += { c = \"q\", \"d\" = e.f }\n",
                "  l = [\n    \"s\", // c\n    \"t\",\n  ]\n}\n",
            )
        );
    }

    #[test]
    fn crlf_and_bom() {
        assert_eq!(fmt("\u{FEFF}let a = 1\r\n// c\r\n"), "let a = 1\n// c\n");
    }
}
