//! The untyped, spanned syntax tree of one policy file.
//!
//! Produced by [`crate::syntax`], consumed by [`crate::resolve`]. Nothing here
//! knows about the schema: keys are plain names and values are unevaluated
//! expressions.
//!
//! Architecture invariant: every span of a child node lies inside the span
//! of its parent, and every span lies inside its file.

use crate::source::FileId;
use crate::span::Span;

/// One parsed `.policy` file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// Which file of the source set this is.
    pub id: FileId,
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level (or `for`-body) item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `[abstract] profile NAME [extends A, B] { ... }`
    Profile(Profile),
    /// `let NAME = value`
    Let(Let),
    /// `for X in LIST { ... }` or `for K, V in OBJECT { ... }`
    For(For),
}

/// An identifier as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The identifier text.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A profile name or parent reference: a bare identifier or a (possibly
/// interpolated) string.
#[derive(Clone, Debug, PartialEq)]
pub enum NameRef {
    /// `base`
    Ident(Ident),
    /// `"${region}-eng"`
    Str(StrLit),
}

impl NameRef {
    /// The span of the name as written (including quotes for strings).
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            NameRef::Ident(i) => i.span,
            NameRef::Str(s) => s.span,
        }
    }
}

/// A profile declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Text of the `///` doc comments before the declaration, lines joined
    /// with `\n`, the `///` and one following space removed.
    pub doc: Option<String>,
    /// The span of the `abstract` keyword, when present.
    pub abstract_kw: Option<Span>,
    /// The profile's name.
    pub name: NameRef,
    /// Parents, in the order written after `extends`.
    pub extends: Vec<NameRef>,
    /// Statements of the body, in source order.
    pub body: Vec<Stmt>,
    /// The whole declaration, from `abstract`/`profile` (or the first doc
    /// comment) to the closing `}`.
    pub span: Span,
}

/// A statement in a profile body or a `meta { }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement does.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// The statement forms.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `key = value`, `key += value`, `key -= value`
    Assign {
        /// The key (identifier or quoted string).
        key: Key,
        /// Which operator.
        op: AssignOp,
        /// The span of the operator token.
        op_span: Span,
        /// The right-hand side.
        value: Expr,
    },
    /// `unset key`
    Unset {
        /// The key being removed.
        key: Key,
    },
    /// `meta { ... }`
    Meta {
        /// The `meta` keyword.
        kw_span: Span,
        /// Statements inside the block (never another `meta`).
        body: Vec<Stmt>,
    },
}

/// A key on the left of a statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key name (quotes removed, escapes decoded).
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// The assignment operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `+=`
    Append,
    /// `-=`
    Remove,
}

impl AssignOp {
    /// The operator as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AssignOp::Set => "=",
            AssignOp::Append => "+=",
            AssignOp::Remove => "-=",
        }
    }
}

/// `let NAME = value`
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// Text of the `///` doc comments before it.
    pub doc: Option<String>,
    /// The bound name.
    pub name: Ident,
    /// The bound value.
    pub value: Expr,
    /// The whole item.
    pub span: Span,
}

/// `for X in E { ... }` or `for K, V in E { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct For {
    /// The loop variable, or the key variable of a two-variable loop.
    pub first: Ident,
    /// The value variable of a two-variable loop over an object.
    pub second: Option<Ident>,
    /// What is iterated.
    pub iterable: Expr,
    /// Items of the body (profiles, lets, nested loops).
    pub body: Vec<Item>,
    /// The whole loop.
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The expression forms of the language. There is no arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A string literal, possibly with `${...}` interpolations.
    Str(StrLit),
    /// An integer literal.
    Int(i64),
    /// A decimal literal (its text is kept for exact display).
    Float(f64),
    /// `true` / `false`
    Bool(bool),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `{ name = "x", "X-Org" = "y" }`
    Object(Vec<ObjectEntry>),
    /// `env("NAME")`
    Env(StrLit),
    /// `file("relative/path")`
    File(StrLit),
    /// A reference to a `let` or loop variable (or `profile`).
    Var(Ident),
    /// `expr.field`
    Field(Box<Expr>, Ident),
}

/// One `key = value` entry of an object literal.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectEntry {
    /// The entry key (identifier or quoted string, quotes removed).
    pub key: Key,
    /// The entry value.
    pub value: Expr,
    /// The values of later entries with the same key: reported (S0005) and
    /// never used, but kept so that the checker finds the secrets written
    /// in them, whose source must be masked like any other.
    pub repeated: Vec<Expr>,
}

/// A string literal: `"..."` or `"""..."""`, split into literal text and
/// interpolations. Escapes are already decoded and triple-quoted strings
/// already have their indentation stripped.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    /// The pieces in order. Adjacent literal pieces are merged.
    pub parts: Vec<StrPart>,
    /// The whole literal, including quotes.
    pub span: Span,
}

impl StrLit {
    /// The literal's text when it has no interpolation.
    #[must_use]
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Lit(s) => out.push_str(s),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

/// A piece of a string literal.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text (escapes decoded).
    Lit(String),
    /// `${expr}`: the expression's span excludes `${` and `}`.
    Interp(Expr),
}
