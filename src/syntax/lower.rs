//! Lowering: pest's parse tree → [`crate::ast`].
//!
//! This is the only module that reads pest's parse tree. It converts pest
//! positions to owned [`Span`]s, decodes escapes, strips the indentation of
//! multi-line strings, and reports the problems the grammar deliberately lets
//! through (invalid escapes, numbers that do not fit, duplicate object keys,
//! misplaced `meta` blocks). Every such problem is a diagnostic and lowering
//! carries on, so one run reports all of them.
//!
//! The tree is read as pest's flat token stream (a node opens, its children
//! follow, it closes) in one pass from front to back: a
//! [`pest::iterators::Pair`] costs two reference counts and a walk over its
//! children to create, a token a few loads. Each method below is called
//! right after its node opened and reads up to and including its close.

use pest::Token;
use pest::iterators::{Pairs, Tokens};

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

/// Objects with at most this many entries are checked for duplicate keys by
/// comparing every pair of keys.
const SMALL_OBJECT: usize = 16;

/// Lowers a successful parse of `text` (the `file` rule). `None` when the
/// file nests too deeply (reported).
pub(crate) fn lower_file(
    id: FileId,
    text: &str,
    pairs: Pairs<'_, Rule>,
    diags: &mut Diagnostics,
) -> Option<File> {
    let mut lowerer = Lowerer {
        file: id,
        text,
        tokens: pairs.tokens(),
        last_close: 0,
        diags,
        depth: 0,
        too_deep: false,
    };
    let Step::Open(Rule::file, _) = lowerer.step() else {
        unreachable!("grammar guarantees a parse yields the `file` rule")
    };
    let items = lowerer.items();
    (!lowerer.too_deep).then_some(File { id, items })
}

/// One token of the parse tree.
enum Step {
    /// A node of this rule starts at this byte offset.
    Open(Rule, usize),
    /// The innermost open node ends at this byte offset.
    Close(usize),
}

/// The lowering state: the token stream, where spans point, where problems
/// go, and how deep the current node is.
struct Lowerer<'d, 'i> {
    file: FileId,
    text: &'i str,
    tokens: Tokens<'i, Rule>,
    /// Where the node closed last ends.
    last_close: usize,
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

impl EscapeText<'_> {
    fn push_to(&self, out: &mut String) {
        match self {
            EscapeText::Char(c) => out.push(*c),
            EscapeText::Raw(s) => out.push_str(s),
        }
    }
}

impl<'i> Lowerer<'_, 'i> {
    // ---- the token stream -----------------------------------------------

    /// The next token.
    #[inline]
    fn step(&mut self) -> Step {
        match self.tokens.next() {
            Some(Token::Start { rule, pos }) => Step::Open(rule, pos.pos()),
            Some(Token::End { pos, .. }) => {
                self.last_close = pos.pos();
                Step::Close(self.last_close)
            }
            None => unreachable!("lowering reads no further than the close of `file`"),
        }
    }

    /// Reads the close of a node without children (or whose children do not
    /// matter); returns where it ends.
    #[inline]
    fn close(&mut self) -> usize {
        let mut depth = 0usize;
        loop {
            match self.step() {
                Step::Open(..) => depth += 1,
                Step::Close(end) if depth == 0 => return end,
                Step::Close(_) => depth -= 1,
            }
        }
    }

    /// The span from `start` to the end of the node closed last.
    #[inline]
    fn span_from(&self, start: usize) -> Span {
        Span::new(self.file, start, self.last_close)
    }

    /// The text from `start` to the end of the node closed last.
    #[inline]
    fn text_from(&self, start: usize) -> &'i str {
        &self.text[start..self.last_close]
    }

    /// Whether one more level of nesting would be too deep; reported once,
    /// at `span`.
    fn too_deep(&mut self, span: Span) -> bool {
        if self.depth < MAX_NESTING {
            return false;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.diags.push(
                Diagnostic::new(Code::SyntaxError, "the file is nested too deeply to parse")
                    .primary(span, format!("more than {MAX_NESTING} levels deep"))
                    .help("split deeply nested lists and objects into `let` constants"),
            );
        }
        true
    }

    /// Reads a node whose nesting is too deep, if it is; reported at the
    /// node's span.
    fn skip_too_deep(&mut self, start: usize) -> bool {
        if self.depth < MAX_NESTING {
            return false;
        }
        self.close();
        let span = self.span_from(start);
        self.too_deep(span)
    }

    fn ident(&mut self, start: usize) -> Ident {
        self.close();
        Ident {
            name: self.text_from(start).to_owned(),
            span: self.span_from(start),
        }
    }

    // ---- items ----------------------------------------------------------

    /// The items among the children of `file` or `for_body`.
    fn items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        loop {
            match self.step() {
                Step::Open(Rule::profile, start) => items.push(Item::Profile(self.profile(start))),
                Step::Open(Rule::let_item, start) => items.push(Item::Let(self.let_item(start))),
                Step::Open(Rule::for_item, start) => items.push(Item::For(self.for_item(start))),
                // An `nl` may hold doc comments that attach to nothing: they
                // are ordinary comments.
                Step::Open(
                    Rule::newline | Rule::nl | Rule::lbrace | Rule::rbrace | Rule::EOI,
                    _,
                ) => {
                    self.close();
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees only items between items, not {other:?}")
                }
                Step::Close(_) => return items,
            }
        }
    }

    /// The text of a `doc_block`: lines joined with `\n`, each without its
    /// `///` and one following space.
    fn doc(&mut self) -> String {
        let mut doc = String::new();
        let mut first = true;
        loop {
            match self.step() {
                Step::Open(Rule::doc_comment, _) => {
                    let text = self.doc_text();
                    if !first {
                        doc.push('\n');
                    }
                    first = false;
                    let text = text.strip_suffix('\r').unwrap_or(text);
                    doc.push_str(text.strip_prefix(' ').unwrap_or(text));
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} in a doc block")
                }
                Step::Close(_) => return doc,
            }
        }
    }

    /// The text of a `doc_comment` after its `///`.
    fn doc_text(&mut self) -> &'i str {
        let mut text = "";
        loop {
            match self.step() {
                Step::Open(Rule::doc_text, start) => {
                    self.close();
                    text = self.text_from(start);
                }
                Step::Open(..) => {
                    self.close();
                }
                Step::Close(_) => return text,
            }
        }
    }

    fn profile(&mut self, start: usize) -> Profile {
        let mut doc = None;
        let mut abstract_kw = None;
        let mut name = None;
        let mut extends = Vec::new();
        let mut body = Vec::new();
        loop {
            match self.step() {
                Step::Open(Rule::doc_block, _) => doc = Some(self.doc()),
                Step::Open(Rule::kw_abstract, start) => {
                    self.close();
                    abstract_kw = Some(self.span_from(start));
                }
                Step::Open(Rule::profile_name, _) => name = Some(self.name_ref()),
                Step::Open(Rule::extends_clause, _) => loop {
                    match self.step() {
                        Step::Open(Rule::profile_name, _) => extends.push(self.name_ref()),
                        Step::Open(..) => {
                            self.close();
                        }
                        Step::Close(_) => break,
                    }
                },
                Step::Open(Rule::block, _) => body = self.block(None),
                Step::Open(Rule::kw_profile | Rule::newline, _) => {
                    self.close();
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} in a profile")
                }
                Step::Close(_) => break,
            }
        }
        let span = self.span_from(start);
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

    fn name_ref(&mut self) -> NameRef {
        let name = match self.step() {
            Step::Open(Rule::ident, start) => NameRef::Ident(self.ident(start)),
            Step::Open(Rule::plain_string, start) => NameRef::Str(self.plain_string(start)),
            Step::Open(Rule::string, start) => NameRef::Str(self.string(start)),
            Step::Open(other, _) => {
                unreachable!("grammar guarantees a profile name is not {other:?}")
            }
            Step::Close(_) => unreachable!("grammar guarantees a profile name has content"),
        };
        self.close();
        name
    }

    fn let_item(&mut self, start: usize) -> Let {
        let mut doc = None;
        let mut name = None;
        let mut value = None;
        loop {
            match self.step() {
                Step::Open(Rule::doc_block, _) => doc = Some(self.doc()),
                Step::Open(Rule::ident, start) => name = Some(self.ident(start)),
                Step::Open(Rule::expr, start) => value = Some(self.expr(start)),
                Step::Open(Rule::kw_let | Rule::eq | Rule::newline, _) => {
                    self.close();
                }
                Step::Open(other, _) => unreachable!("grammar guarantees no {other:?} in a let"),
                Step::Close(_) => break,
            }
        }
        let span = self.span_from(start);
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

    fn for_item(&mut self, mut start: usize) -> For {
        let mut first = None;
        let mut second = None;
        let mut iterable = None;
        let mut body = Vec::new();
        loop {
            match self.step() {
                // A doc comment before a loop documents nothing: the loop's
                // span starts at `for`.
                Step::Open(Rule::doc_block | Rule::comma | Rule::kw_in | Rule::newline, _) => {
                    self.close();
                }
                Step::Open(Rule::kw_for, kw) => {
                    self.close();
                    start = kw;
                }
                Step::Open(Rule::ident, start) if first.is_none() => {
                    first = Some(self.ident(start));
                }
                Step::Open(Rule::ident, start) => second = Some(self.ident(start)),
                Step::Open(Rule::expr, start) => iterable = Some(self.expr(start)),
                Step::Open(Rule::for_body, start) => {
                    if !self.skip_too_deep(start) {
                        self.depth += 1;
                        body = self.items();
                        self.depth -= 1;
                    }
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} in a for loop")
                }
                Step::Close(_) => break,
            }
        }
        let span = self.span_from(start);
        let (Some(first), Some(iterable)) = (first, iterable) else {
            unreachable!("grammar guarantees a for loop has a variable and an iterable")
        };
        For {
            first,
            second,
            iterable,
            body,
            span,
        }
    }

    // ---- statements -----------------------------------------------------

    /// The statements of a `block`. `meta` is the `meta` keyword of the
    /// enclosing `meta` block, if the block is one.
    fn block(&mut self, meta: Option<Span>) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        // An assignment is flat: its key, operator and value are children
        // of the block.
        let mut key: Option<(Key, bool)> = None;
        let mut op: Option<(AssignOp, Span)> = None;
        loop {
            let (rule, start) = match self.step() {
                Step::Open(rule, start) => (rule, start),
                Step::Close(_) => return stmts,
            };
            let value = match rule {
                Rule::key => {
                    key = Some(self.key(start));
                    continue;
                }
                Rule::eq | Rule::plus_eq | Rule::minus_eq => {
                    self.close();
                    let kind = match rule {
                        Rule::eq => AssignOp::Set,
                        Rule::plus_eq => AssignOp::Append,
                        _ => AssignOp::Remove,
                    };
                    op = Some((kind, self.span_from(start)));
                    continue;
                }
                Rule::expr => self.expr(start),
                Rule::plain_string => self.plain_string_expr(start),
                Rule::unset_stmt => {
                    let key = self.unset();
                    stmts.push(Stmt {
                        kind: StmtKind::Unset { key },
                        span: self.span_from(start),
                    });
                    continue;
                }
                Rule::meta_stmt => {
                    // `None` is a misplaced `meta`, already reported.
                    if let Some(kind) = self.meta_stmt(meta) {
                        stmts.push(Stmt {
                            kind,
                            span: self.span_from(start),
                        });
                    }
                    continue;
                }
                Rule::lbrace | Rule::rbrace | Rule::comma | Rule::nl | Rule::newline => {
                    self.close();
                    continue;
                }
                other => unreachable!("grammar guarantees no {other:?} in a block"),
            };
            let (Some((key, bare)), Some((op, op_span))) = (key.take(), op.take()) else {
                unreachable!("grammar guarantees an assignment has a key and an operator")
            };
            let span = key.span.to(value.span);
            if let Some(kind) = self.assign(key, bare, op, op_span, value) {
                stmts.push(Stmt { kind, span });
            }
        }
    }

    fn unset(&mut self) -> Key {
        let mut key = None;
        loop {
            match self.step() {
                Step::Open(Rule::key, start) => key = Some(self.key(start).0),
                Step::Open(..) => {
                    self.close();
                }
                Step::Close(_) => break,
            }
        }
        let Some(key) = key else {
            unreachable!("grammar guarantees `unset` has a key")
        };
        key
    }

    fn meta_stmt(&mut self, outer: Option<Span>) -> Option<StmtKind> {
        let mut kw_span = None;
        let mut kind = None;
        loop {
            match self.step() {
                Step::Open(Rule::kw_meta, start) => {
                    self.close();
                    kw_span = Some(self.span_from(start));
                }
                Step::Open(Rule::block, _) => {
                    let Some(kw_span) = kw_span else {
                        unreachable!("grammar guarantees `meta` comes before its block")
                    };
                    kind = self.meta_block(kw_span, outer);
                }
                Step::Open(Rule::newline, _) => {
                    self.close();
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} in a meta block")
                }
                Step::Close(_) => return kind,
            }
        }
    }

    /// The block of a `meta` statement.
    fn meta_block(&mut self, kw_span: Span, outer: Option<Span>) -> Option<StmtKind> {
        if let Some(outer) = outer {
            self.diags.push(
                Diagnostic::new(Code::MisplacedMeta, "`meta` block inside a `meta` block")
                    .primary(kw_span, "nested `meta` block")
                    .secondary(outer, "inside this `meta` block")
                    .help("write the fields directly in the outer `meta` block"),
            );
        }
        if self.too_deep(kw_span) {
            self.close();
            return None;
        }
        self.depth += 1;
        let body = self.block(Some(outer.unwrap_or(kw_span)));
        self.depth -= 1;
        // A nested block was lowered only for its own diagnostics.
        outer.is_none().then_some(StmtKind::Meta { kw_span, body })
    }

    fn assign(
        &mut self,
        key: Key,
        bare: bool,
        op: AssignOp,
        op_span: Span,
        value: Expr,
    ) -> Option<StmtKind> {
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
    fn key(&mut self, start: usize) -> (Key, bool) {
        let (name, bare) = match self.step() {
            Step::Open(Rule::key_name, start) => {
                self.close();
                (self.text_from(start).to_owned(), true)
            }
            Step::Open(Rule::plain_string, start) => {
                self.close();
                (plain_text(self.text_from(start)).to_owned(), false)
            }
            Step::Open(Rule::string, start) => {
                let lit = self.string(start);
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
                (name, false)
            }
            Step::Open(other, _) => unreachable!("grammar guarantees a key is not {other:?}"),
            Step::Close(_) => unreachable!("grammar guarantees a key has content"),
        };
        self.close();
        (
            Key {
                name,
                span: self.span_from(start),
            },
            bare,
        )
    }

    // ---- expressions ----------------------------------------------------

    fn expr(&mut self, start: usize) -> Expr {
        if self.skip_too_deep(start) {
            // The file is dropped; this placeholder is never seen.
            return Expr {
                kind: ExprKind::List(Vec::new()),
                span: self.span_from(start),
            };
        }
        self.depth += 1;
        let mut expr = match self.step() {
            Step::Open(rule, start) => self.primary(rule, start),
            Step::Close(_) => unreachable!("grammar guarantees an expression has a value"),
        };
        loop {
            match self.step() {
                Step::Open(Rule::field_name, start) => {
                    let field = self.ident(start);
                    let span = expr.span.to(field.span);
                    expr = Expr {
                        kind: ExprKind::Field(Box::new(expr), field),
                        span,
                    };
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} after a value")
                }
                Step::Close(_) => break,
            }
        }
        self.depth -= 1;
        expr
    }

    fn primary(&mut self, rule: Rule, start: usize) -> Expr {
        let kind = match rule {
            Rule::plain_string => ExprKind::Str(self.plain_string(start)),
            Rule::object => ExprKind::Object(self.object()),
            Rule::list => ExprKind::List(self.list()),
            Rule::string => ExprKind::Str(self.string(start)),
            Rule::triple_string => ExprKind::Str(self.triple_string(start)),
            Rule::integer => {
                self.close();
                ExprKind::Int(self.integer(start))
            }
            Rule::decimal => {
                self.close();
                ExprKind::Float(self.decimal(start))
            }
            Rule::kw_true => {
                self.close();
                ExprKind::Bool(true)
            }
            Rule::kw_false => {
                self.close();
                ExprKind::Bool(false)
            }
            Rule::env_call => ExprKind::Env(self.call_argument()),
            Rule::file_call => ExprKind::File(self.call_argument()),
            Rule::variable => ExprKind::Var(self.ident(start)),
            other => unreachable!("grammar guarantees a value is not {other:?}"),
        };
        Expr {
            kind,
            span: self.span_from(start),
        }
    }

    /// The integer that just closed, starting at `start`.
    fn integer(&mut self, start: usize) -> i64 {
        let text = self.text_from(start);
        text.parse().unwrap_or_else(|_| {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidNumber,
                    format!("integer `{text}` does not fit in 64 bits"),
                )
                .primary(self.span_from(start), "out of range")
                .help(format!("integers range from {} to {}", i64::MIN, i64::MAX)),
            );
            if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            }
        })
    }

    /// The decimal number that just closed, starting at `start`.
    fn decimal(&mut self, start: usize) -> f64 {
        match self.text_from(start).parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        "decimal number is too large to represent",
                    )
                    .primary(self.span_from(start), "too large"),
                );
                0.0
            }
        }
    }

    fn list(&mut self) -> Vec<Expr> {
        let mut items = Vec::new();
        loop {
            match self.step() {
                Step::Open(Rule::expr, start) => items.push(self.expr(start)),
                Step::Open(Rule::plain_string, start) => {
                    items.push(self.plain_string_expr(start));
                }
                Step::Open(..) => {
                    self.close();
                }
                Step::Close(_) => return items,
            }
        }
    }

    /// The string argument of `env(...)` or `file(...)`.
    fn call_argument(&mut self) -> StrLit {
        let mut argument = None;
        loop {
            match self.step() {
                Step::Open(Rule::string, start) => argument = Some(self.string(start)),
                Step::Open(..) => {
                    self.close();
                }
                Step::Close(_) => break,
            }
        }
        let Some(argument) = argument else {
            unreachable!("grammar guarantees `env`/`file` have a string argument")
        };
        argument
    }

    fn object(&mut self) -> Vec<ObjectEntry> {
        let mut entries = Vec::new();
        // Entries are flat: each key is followed by its value.
        let mut key = None;
        loop {
            let value = match self.step() {
                Step::Open(Rule::key, start) => {
                    key = Some(self.key(start).0);
                    continue;
                }
                Step::Open(Rule::expr, start) => self.expr(start),
                Step::Open(Rule::plain_string, start) => self.plain_string_expr(start),
                Step::Open(..) => {
                    self.close();
                    continue;
                }
                Step::Close(_) => break,
            };
            let Some(key) = key.take() else {
                unreachable!("grammar guarantees an object entry has a key")
            };
            entries.push(ObjectEntry {
                key,
                value,
                repeated: Vec::new(),
            });
        }
        self.remove_duplicate_keys(&mut entries);
        entries
    }

    /// Reports every key of an object literal that repeats an earlier key,
    /// and keeps only the first entry for each key (the values of the
    /// others go to its `repeated`).
    fn remove_duplicate_keys(&mut self, entries: &mut Vec<ObjectEntry>) {
        // For each entry, the index of the first entry with the same key, if
        // that is an earlier one.
        let first_of: Vec<Option<usize>> = if entries.len() < 2 {
            return;
        } else if entries.len() <= SMALL_OBJECT {
            // Compare every pair: cheaper than sorting for a few keys, and
            // allocates nothing when no key repeats.
            let repeats = |index: usize| {
                let name = &entries[index].key.name;
                entries[..index].iter().position(|e| e.key.name == *name)
            };
            if !(1..entries.len()).any(|index| repeats(index).is_some()) {
                return;
            }
            (0..entries.len()).map(repeats).collect()
        } else {
            // Sort indices by key, then position: each run of equal keys
            // starts with the first occurrence. O(n log n), so huge objects
            // stay cheap.
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
                if let [prev, next] = *pair
                    && entries[prev].key.name == entries[next].key.name
                {
                    first_of[next] = Some(first_of[prev].unwrap_or(prev));
                    any = true;
                }
            }
            if !any {
                return;
            }
            first_of
        };
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
        // Where each kept entry lands; a repeat always follows its first.
        let mut slot = vec![0; entries.len()];
        let mut kept: Vec<ObjectEntry> = Vec::with_capacity(entries.len());
        for (index, entry) in std::mem::take(entries).into_iter().enumerate() {
            match first_of[index] {
                None => {
                    slot[index] = kept.len();
                    kept.push(entry);
                }
                Some(first) => kept[slot[first]].repeated.push(entry.value),
            }
        }
        *entries = kept;
    }

    // ---- strings --------------------------------------------------------

    /// A `plain_string`: one literal part (none when empty).
    fn plain_string(&mut self, start: usize) -> StrLit {
        self.close();
        let text = plain_text(self.text_from(start));
        let parts = if text.is_empty() {
            Vec::new()
        } else {
            vec![StrPart::Lit(text.to_owned())]
        };
        StrLit {
            parts,
            span: self.span_from(start),
        }
    }

    /// A `plain_string` where an expression stands.
    fn plain_string_expr(&mut self, start: usize) -> Expr {
        let lit = self.plain_string(start);
        Expr {
            span: lit.span,
            kind: ExprKind::Str(lit),
        }
    }

    /// A one-line string.
    fn string(&mut self, start: usize) -> StrLit {
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            match self.step() {
                Step::Open(Rule::str_text, start) => {
                    self.close();
                    text.push_str(self.text_from(start));
                }
                Step::Open(Rule::escape, start) => self.escape(start).push_to(&mut text),
                Step::Open(Rule::interpolation, _) => {
                    flush(&mut text, &mut parts);
                    let expr = self.interpolation();
                    parts.push(StrPart::Interp(expr));
                }
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} in a string")
                }
                Step::Close(_) => break,
            }
        }
        flush(&mut text, &mut parts);
        StrLit {
            parts,
            span: self.span_from(start),
        }
    }

    /// A multi-line string: the first line break (after blanks) and the last
    /// blank line are dropped, the common indentation of the other lines is
    /// removed, and line breaks become `\n`.
    fn triple_string(&mut self, start: usize) -> StrLit {
        // Lines of pieces, split at the line breaks of the literal text.
        let mut lines: Vec<Vec<Piece<'i>>> = vec![Vec::new()];
        loop {
            let piece = match self.step() {
                Step::Open(Rule::triple_text, start) => {
                    self.close();
                    split_lines(self.text_from(start), &mut lines);
                    continue;
                }
                Step::Open(Rule::escape, start) => Piece::Escape(self.escape(start)),
                Step::Open(Rule::interpolation, _) => Piece::Interp(self.interpolation()),
                Step::Open(other, _) => {
                    unreachable!("grammar guarantees no {other:?} in a string")
                }
                Step::Close(_) => break,
            };
            if let Some(line) = lines.last_mut() {
                line.push(piece);
            }
        }
        let span = self.span_from(start);

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

    fn interpolation(&mut self) -> Expr {
        let mut expr = None;
        loop {
            match self.step() {
                Step::Open(Rule::expr, start) => expr = Some(self.expr(start)),
                Step::Open(..) => {
                    self.close();
                }
                Step::Close(_) => break,
            }
        }
        let Some(expr) = expr else {
            unreachable!("grammar guarantees an interpolation has an expression")
        };
        expr
    }

    /// Decodes one escape, reporting it when it is not valid.
    fn escape(&mut self, start: usize) -> EscapeText<'i> {
        self.close();
        let raw = self.text_from(start);
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
                        .primary(self.span_from(start), "invalid escape")
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

/// The text between the quotes of a `plain_string`.
fn plain_text(quoted: &str) -> &str {
    quoted.get(1..quoted.len() - 1).unwrap_or("")
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
