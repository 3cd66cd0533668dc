//! Evaluated values.
//!
//! Values are immutable and reference-counted: an effective configuration
//! shares the values of the statements that produced it, so inheriting a
//! large list costs a pointer copy, not a deep copy.

use crate::span::Span;
use std::fmt::Write as _;
use std::sync::Arc;

/// A value with the span of the expression that produced it.
#[derive(Clone, Debug)]
pub struct Val {
    /// The value.
    pub kind: Value,
    /// Where it was written (for list elements and object fields, the
    /// element's own span).
    pub span: Span,
}

/// The kinds of value.
#[derive(Clone, Debug)]
pub enum Value {
    /// A string.
    Str(Arc<str>),
    /// A string containing the late-bound `${profile}`.
    Template(Arc<[TemplatePart]>),
    /// An integer.
    Int(i64),
    /// A decimal.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list.
    List(Arc<[Val]>),
    /// An object: entries in source order, keys unique.
    Object(Arc<[Field]>),
    /// `env("NAME")`: a secret read at build time.
    Env(Arc<str>),
}

/// A piece of a template string.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    /// Literal text.
    Lit(String),
    /// The name of the profile being built.
    Profile,
}

/// An object entry.
#[derive(Clone, Debug)]
pub struct Field {
    /// The key.
    pub name: Arc<str>,
    /// Where the key was written.
    pub name_span: Span,
    /// The value.
    pub value: Val,
    /// The values of later entries of the object literal with the same key
    /// (an error, S0005), never used: the checker looks for secrets in them
    /// only, so that their source is masked. Values derived from this one
    /// (bound, redacted, read from the environment) have none.
    pub repeated: Vec<Val>,
}

impl Val {
    /// Creates a value.
    #[must_use]
    pub fn new(kind: Value, span: Span) -> Self {
        Val { kind, span }
    }

    /// Structural equality, ignoring spans.
    #[must_use]
    pub fn same(&self, other: &Val) -> bool {
        self.kind.same(&other.kind)
    }

    /// Whether the value (or anything inside it) holds `${profile}`.
    #[must_use]
    pub fn has_template(&self) -> bool {
        match &self.kind {
            Value::Template(_) => true,
            Value::List(items) => items.iter().any(Val::has_template),
            Value::Object(fields) => fields.iter().any(|f| f.value.has_template()),
            _ => false,
        }
    }

    /// Replaces `${profile}` by `profile` everywhere inside the value.
    #[must_use]
    pub fn bind_profile(&self, profile: &str) -> Val {
        if !self.has_template() {
            return self.clone();
        }
        let kind = match &self.kind {
            Value::Template(parts) => {
                let mut s = String::new();
                for p in parts.iter() {
                    match p {
                        TemplatePart::Lit(t) => s.push_str(t),
                        TemplatePart::Profile => s.push_str(profile),
                    }
                }
                Value::Str(s.into())
            }
            Value::List(items) => {
                Value::List(items.iter().map(|v| v.bind_profile(profile)).collect())
            }
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.clone(),
                        name_span: f.name_span,
                        value: f.value.bind_profile(profile),
                        repeated: Vec::new(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Val::new(kind, self.span)
    }

    /// The string, if the value is a plain string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if the value is an object.
    #[must_use]
    pub fn as_object(&self) -> Option<&[Field]> {
        match &self.kind {
            Value::Object(f) => Some(f),
            _ => None,
        }
    }

    /// The elements, if the value is a list.
    #[must_use]
    pub fn as_list(&self) -> Option<&[Val]> {
        match &self.kind {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// An object field by name.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.as_object()?.iter().find(|f| &*f.name == name)
    }

    /// Converts to JSON. Secrets become `"<env:NAME>"` unless `reveal`
    /// supplies their value.
    #[must_use]
    pub fn to_json(&self, reveal: &dyn Fn(&str) -> Option<String>) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Value::Str(s) => J::String(s.to_string()),
            Value::Template(_) => J::String(self.display_plain()),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Bool(b) => J::Bool(*b),
            Value::List(items) => J::Array(items.iter().map(|v| v.to_json(reveal)).collect()),
            Value::Object(fields) => J::Object(
                fields
                    .iter()
                    .map(|f| (f.name.to_string(), f.value.to_json(reveal)))
                    .collect(),
            ),
            Value::Env(name) => J::String(reveal(name).unwrap_or_else(|| format!("<env:{name}>"))),
        }
    }

    /// A short, one-line rendering in policy syntax for messages. Secrets are
    /// shown as `env("NAME")`, never their value.
    #[must_use]
    pub fn display_plain(&self) -> String {
        let mut out = String::new();
        self.write_policy(&mut out);
        out
    }

    fn write_policy(&self, out: &mut String) {
        match &self.kind {
            Value::Str(s) => write_quoted(out, s),
            Value::Template(parts) => {
                out.push('"');
                for p in parts.iter() {
                    match p {
                        TemplatePart::Lit(t) => {
                            let mut q = String::new();
                            write_quoted(&mut q, t);
                            out.push_str(&q[1..q.len() - 1]);
                        }
                        TemplatePart::Profile => out.push_str("${profile}"),
                    }
                }
                out.push('"');
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_policy(out);
                }
                out.push(']');
            }
            Value::Object(fields) => {
                out.push_str("{ ");
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if is_ident(&f.name) {
                        out.push_str(&f.name);
                    } else {
                        write_quoted(out, &f.name);
                    }
                    out.push_str(" = ");
                    f.value.write_policy(out);
                }
                out.push_str(if fields.is_empty() { "}" } else { " }" });
            }
            Value::Env(name) => {
                out.push_str("env(");
                write_quoted(out, name);
                out.push(')');
            }
        }
    }

    /// A human name of the value's kind, for messages.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Value::Str(_) | Value::Template(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a decimal",
            Value::Bool(_) => "a boolean",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
            Value::Env(_) => "an env() secret",
        }
    }
}

impl Value {
    /// Structural equality, ignoring spans.
    #[must_use]
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) | (Value::Env(a), Value::Env(b)) => a == b,
            (Value::Template(a), Value::Template(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                #[allow(clippy::cast_precision_loss)]
                let a = *a as f64;
                a.to_bits() == b.to_bits()
            }
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter().all(|fa| {
                        b.iter()
                            .any(|fb| fa.name == fb.name && fa.value.same(&fb.value))
                    })
            }
            _ => false,
        }
    }
}

/// Formats a decimal so that it reads back as the same number and always
/// has a decimal point.
#[must_use]
pub fn format_float(f: f64) -> String {
    let s = format!("{f}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// Whether `s` can be written as a bare identifier in policy syntax.
#[must_use]
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.ends_with('-')
}

/// The language's reserved words, which a name is never written as bare.
pub const KEYWORDS: [&str; 12] = [
    "profile", "abstract", "extends", "unset", "meta", "let", "for", "in", "true", "false", "env",
    "file",
];

/// Whether `s` can be written bare where the language expects a name (a
/// profile name or parent): an identifier that is not a reserved word.
#[must_use]
pub fn is_bare_name(s: &str) -> bool {
    is_ident(s) && !KEYWORDS.contains(&s)
}

/// Writes `s` as a policy string literal.
pub fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '$' => out.push_str("\\$"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
