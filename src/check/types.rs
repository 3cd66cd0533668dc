//! Checking one value against its schema type.

use super::format::{self, FormatError};
use super::rules::{self, ObjectLookup};
use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::schema::Schema;
use crate::schema::model::{DeprecatedValue, Deprecation, Format, TypeDef};
use crate::span::Span;
use crate::suggest::did_you_mean;
use crate::value::{Val, Value};

/// One step of the path to the value being checked.
#[derive(Clone, Copy)]
pub enum Seg<'a> {
    /// A key or an object field.
    Name(&'a str),
    /// A list element.
    Index(usize),
}

/// What is being checked, for messages. The path (`managedMcpServers[0].url`)
/// is only turned into text when a diagnostic needs it.
pub struct Ctx<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// The enclosing value, if any.
    pub parent: Option<&'a Ctx<'a>>,
    /// The last step of the path.
    pub seg: Seg<'a>,
    /// The value is a secret: never print it.
    pub secret: bool,
    /// Objects may be partial (a `+=` adds fields to an inherited object).
    pub partial: bool,
}

impl<'a> Ctx<'a> {
    /// The root context for a key.
    #[must_use]
    pub fn key(schema: &'a Schema, key: &'a str, secret: bool, partial: bool) -> Self {
        Ctx {
            schema,
            parent: None,
            seg: Seg::Name(key),
            secret,
            partial,
        }
    }

    /// The context of a part of the value: an element or a field (`secret`:
    /// the schema marks the field secret).
    pub(crate) fn child(&'a self, seg: Seg<'a>, secret: bool) -> Ctx<'a> {
        Ctx {
            schema: self.schema,
            parent: Some(self),
            seg,
            secret: self.secret || secret,
            partial: false,
        }
    }

    /// The path as text: `managedMcpServers[0].url`.
    #[must_use]
    pub fn path(&self) -> String {
        let mut out = self.parent.map(Ctx::path).unwrap_or_default();
        match self.seg {
            Seg::Name(n) if out.is_empty() => out.push_str(n),
            Seg::Name(n) => {
                out.push('.');
                out.push_str(n);
            }
            Seg::Index(i) => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("[{i}]"));
            }
        }
        out
    }

    /// The key at the root of the path.
    #[must_use]
    pub fn root_key(&self) -> &str {
        match (self.parent, self.seg) {
            (Some(p), _) => p.root_key(),
            (None, Seg::Name(n)) => n,
            (None, Seg::Index(_)) => "",
        }
    }
}

/// Describes a type for messages: "an integer from 1 to 72".
#[must_use]
pub fn describe(ty: &TypeDef, schema: &Schema) -> String {
    match ty {
        TypeDef::String { values, format, .. } => {
            if values.len() > 6 {
                format!("one of {} allowed names", values.len())
            } else if !values.is_empty() {
                format!("one of {}", quote_list(values))
            } else if let Some(f) = format {
                format::describe(*f).to_string()
            } else {
                "a string".to_string()
            }
        }
        TypeDef::Integer { min, max } => match (min, max) {
            (Some(a), Some(b)) => format!("an integer from {a} to {b}"),
            (Some(a), None) => format!("an integer of at least {a}"),
            (None, Some(b)) => format!("an integer of at most {b}"),
            (None, None) => "an integer".to_string(),
        },
        TypeDef::Number { .. } => "a number".to_string(),
        TypeDef::Boolean => "`true` or `false`".to_string(),
        TypeDef::List { items, .. } => format!("a list of {}", plural(items, schema)),
        TypeDef::Map { values, .. } => {
            format!("an object whose values are {}", plural(values, schema))
        }
        TypeDef::Object { name } => format!("{} object", article(name)),
        TypeDef::Union { variants } => {
            let parts: Vec<String> = variants.iter().map(|v| describe(v, schema)).collect();
            parts.join(" or ")
        }
    }
}

fn plural(ty: &TypeDef, schema: &Schema) -> String {
    match ty {
        TypeDef::String { values, .. } if values.is_empty() => "strings".to_string(),
        TypeDef::String { values, .. } if values.len() > 6 => "names from a fixed set".to_string(),
        TypeDef::Union { variants } => variants
            .iter()
            .map(|v| plural(v, schema))
            .collect::<Vec<_>>()
            .join(" or "),
        TypeDef::Object { name } => format!("{name} objects"),
        TypeDef::Boolean => "booleans".to_string(),
        TypeDef::Integer { .. } => "integers".to_string(),
        other => describe(other, schema),
    }
}

/// `a Banner`, `an McpServer`.
pub(crate) fn article(name: &str) -> String {
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

fn quote_list(values: &[String]) -> String {
    let q: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    q.join(", ")
}

/// What is wrong with a text where a string type expects it: the checks of
/// [`text_problems`], made once for both kinds of string. A literal gets the
/// checker's diagnostic ([`TextProblem::literal`], which may quote it); a
/// value read with `env()` at build is described without it
/// ([`TextProblem::hidden`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem<'t> {
    /// One of the type's deprecated values: accepted, with a warning.
    Deprecated(&'t DeprecatedValue),
    /// Not one of the type's allowed values (these).
    NotAllowed(&'t [String]),
    /// Longer than the type allows.
    TooLong {
        /// Its length in characters.
        length: usize,
        /// The limit.
        max: u32,
    },
    /// Shorter than the type allows.
    TooShort {
        /// Its length in characters.
        length: usize,
        /// The minimum.
        min: u32,
    },
    /// A URL with `user:password@` in it.
    Credentials,
    /// Not in the type's format; says what is expected (`an https:// URL`).
    Format(String),
}

/// Every problem of `text` as a value of `ty`, in the order the checker
/// reports them; a type other than a string has none.
#[must_use]
pub fn text_problems<'t>(text: &str, ty: &'t TypeDef) -> Vec<TextProblem<'t>> {
    let TypeDef::String {
        format,
        values,
        deprecated_values,
        max_length,
        min_length,
    } = ty
    else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    if !values.is_empty() && !values.iter().any(|x| x == text) {
        problems.push(match deprecated_values.iter().find(|d| d.value == text) {
            Some(dep) => TextProblem::Deprecated(dep),
            None => TextProblem::NotAllowed(values),
        });
    }
    let length = text.chars().count();
    if let Some(max) = *max_length
        && length > max as usize
    {
        problems.push(TextProblem::TooLong { length, max });
    }
    if let Some(min) = *min_length
        && length < min as usize
    {
        problems.push(TextProblem::TooShort { length, min });
    }
    if let Some(f) = format {
        match format::check(*f, text) {
            Ok(()) => {}
            Err(FormatError::Credentials) => problems.push(TextProblem::Credentials),
            Err(FormatError::Invalid(expected)) => {
                // A URL that is wrong in another way (its scheme) may carry
                // a password all the same: said, so that it is masked.
                if f.is_url()
                    && (format::url_userinfo(text).is_some()
                        || format::url_userinfo_loose(text).is_some())
                {
                    problems.push(TextProblem::Credentials);
                }
                problems.push(TextProblem::Format(expected));
            }
        }
    }
    problems
}

/// Profile names as unlike each other as the language's names
/// (`[a-z0-9][a-z0-9._-]*`, R0109) allow where a format looks at them: a
/// letter and a digit (a port, an address), one character each (the
/// shortest name). A template is checked with each bound in its place.
const PLACEHOLDERS: [&str; 2] = ["p", "1"];

/// The problems of a template (a string with `${profile}` in it) as a value
/// of `ty` that do not depend on the profile's name, so that they are
/// reported once, at the statement: a URL with credentials (a name holds no
/// `:`, `@`, `/`, `?` or `#`, so it cannot make or unmake user information)
/// and a format error found whichever placeholder is bound, for the formats
/// where a name can only be a host label, a port, a path or name segment
/// ([`format::template_checkable`]). Allowed values, lengths and the
/// fixed-shape formats (a colour, a UUID, a hash) are left to the names:
/// some name could fit.
#[must_use]
pub fn template_problems<'t>(
    parts: &[crate::value::TemplatePart],
    ty: &'t TypeDef,
) -> Vec<TextProblem<'t>> {
    let TypeDef::String { format, .. } = ty else {
        return Vec::new();
    };
    let checkable = format.is_some_and(format::template_checkable);
    let mut common: Option<Vec<TextProblem<'t>>> = None;
    for name in PLACEHOLDERS {
        let found: Vec<TextProblem<'t>> = text_problems(&bind(parts, name), ty)
            .into_iter()
            .filter(|p| match p {
                TextProblem::Credentials => true,
                TextProblem::Format(_) => checkable,
                _ => false,
            })
            .collect();
        common = Some(match common {
            None => found,
            Some(prev) => prev.into_iter().filter(|p| found.contains(p)).collect(),
        });
    }
    common.unwrap_or_default()
}

/// A template with `name` in place of `${profile}`.
fn bind(parts: &[crate::value::TemplatePart], name: &str) -> String {
    parts
        .iter()
        .map(|p| match p {
            crate::value::TemplatePart::Lit(t) => t.as_str(),
            crate::value::TemplatePart::Profile => name,
        })
        .collect()
}

/// A template's text as written, `${profile}` included, for messages.
fn template_text(parts: &[crate::value::TemplatePart]) -> String {
    bind(parts, "${profile}")
}

/// Checks the strings of `v`, an effective value in which `${profile}` is
/// bound to a concrete profile's name, that were written as templates
/// (`template` gives the parts of the template written at a span): their
/// problems that depend on the name (allowed values, lengths, formats), not
/// those [`template_problems`] finds whatever the name, which are reported
/// where the template is written. The messages quote the template, not the
/// bound value, so that the profiles it fails in share one diagnostic.
pub fn check_bound<'p>(
    v: &Val,
    ty: &TypeDef,
    ctx: &Ctx<'_>,
    template: &dyn Fn(Span) -> Option<&'p [crate::value::TemplatePart]>,
    diags: &mut Diagnostics,
) {
    match (ty, &v.kind) {
        (TypeDef::Union { variants }, _) => {
            if let Some(t) = variant_for(v, variants) {
                check_bound(v, t, ctx, template, diags);
            }
        }
        (TypeDef::String { .. }, Value::Str(s)) => {
            let Some(parts) = template(v.span) else {
                return;
            };
            let problems = text_problems(s, ty);
            if problems.is_empty() {
                return;
            }
            let everywhere = template_problems(parts, ty);
            let text = template_text(parts);
            for p in problems {
                if !matches!(p, TextProblem::Credentials) && !everywhere.contains(&p) {
                    diags.push(p.bound(&text, v.span, ctx));
                }
            }
        }
        (TypeDef::List { items, .. }, Value::List(elements)) => {
            for (i, e) in elements.iter().enumerate() {
                check_bound(e, items, &ctx.child(Seg::Index(i), false), template, diags);
            }
        }
        (
            TypeDef::Map {
                values,
                secret_values,
                ..
            },
            Value::Object(fields),
        ) => {
            for f in fields.iter() {
                let inner = ctx.child(Seg::Name(&f.name), *secret_values);
                check_bound(&f.value, values, &inner, template, diags);
            }
        }
        (TypeDef::Object { name }, Value::Object(fields)) => {
            let Some(obj) = ctx.schema.object_type(name) else {
                return;
            };
            for f in fields.iter() {
                if let Some(def) = obj.fields.iter().find(|d| *d.name == *f.name) {
                    let inner = ctx.child(Seg::Name(&f.name), def.secret);
                    check_bound(&f.value, &def.ty, &inner, template, diags);
                }
            }
        }
        _ => {}
    }
}

impl TextProblem<'_> {
    /// What is wrong, without the text: it completes "it ..." (`is empty`,
    /// `is not an https:// URL`).
    #[must_use]
    pub fn hidden(&self) -> String {
        match self {
            TextProblem::Deprecated(_) => "is a deprecated value".into(),
            TextProblem::NotAllowed(values) if values.len() > 6 => {
                format!("is not one of the {} allowed values", values.len())
            }
            TextProblem::NotAllowed(values) => format!("is not one of {}", quote_list(values)),
            TextProblem::TooLong { max, .. } => format!("is longer than {max} characters"),
            TextProblem::TooShort { length: 0, .. } => "is empty".into(),
            TextProblem::TooShort { min, .. } => format!("is shorter than {min} characters"),
            TextProblem::Credentials => "is a URL with a user name or password in it".into(),
            TextProblem::Format(expected) => format!("is not {expected}"),
        }
    }

    /// The diagnostic for a template (`text`, `${profile}` included) at
    /// `span` whose value bound to some profile's name has this problem:
    /// the same for every profile it fails in (the checker names them), so
    /// it quotes the template (masked like a literal), never the bound value
    /// or its length.
    #[must_use]
    pub fn bound(&self, text: &str, span: Span, ctx: &Ctx<'_>) -> Diagnostic {
        let shown = quoted(text, ctx);
        let (code, label) = match self {
            TextProblem::Deprecated(dep) => (
                Code::DeprecatedValue,
                match &dep.deprecation.replaced_by {
                    Some(r) => format!("deprecated: use `{r}` instead"),
                    None => "deprecated".to_string(),
                },
            ),
            TextProblem::NotAllowed(values) if values.len() > 6 => (
                Code::InvalidEnumValue,
                format!("not one of the {} allowed values", values.len()),
            ),
            TextProblem::NotAllowed(values) => (
                Code::InvalidEnumValue,
                format!("expected one of {}", quote_list(values)),
            ),
            TextProblem::TooLong { max, .. } => {
                (Code::OutOfRange, format!("at most {max} characters"))
            }
            TextProblem::TooShort { min, .. } => {
                (Code::OutOfRange, format!("at least {min} characters"))
            }
            TextProblem::Credentials => (Code::CredentialsInUrl, "credentials".to_string()),
            TextProblem::Format(expected) => (Code::InvalidFormat, format!("expected {expected}")),
        };
        let d = Diagnostic::new(
            code,
            format!(
                "`{}` {} with the profile's name in {shown}",
                ctx.path(),
                self.hidden()
            ),
        )
        .primary(span, label)
        .help(format!(
            "`${{profile}}` is the name of each concrete profile built: write the value without it in the profiles where the name does not fit, or rename them{}",
            match self {
                TextProblem::NotAllowed(values) if values.len() > 6 => format!(
                    " (`polc schema {}` lists the allowed values)",
                    ctx.root_key()
                ),
                _ => String::new(),
            }
        ));
        match self {
            TextProblem::Deprecated(dep) => match &dep.deprecation.cutoff {
                Some(cutoff) => d.note(format!("the app stops accepting it after {cutoff}")),
                None => d,
            },
            _ => d,
        }
    }

    /// The checker's diagnostic for the literal `text` at `span`; the text
    /// is quoted only where `ctx` is not a secret, and without the password
    /// of a URL.
    #[must_use]
    pub fn literal(&self, text: &str, span: Span, ctx: &Ctx<'_>) -> Diagnostic {
        let shown = || quoted(text, ctx);
        match self {
            TextProblem::Deprecated(dep) => deprecation(
                Code::DeprecatedValue,
                format!("{} is a deprecated value of `{}`", shown(), ctx.path()),
                span,
                &dep.deprecation,
            ),
            TextProblem::NotAllowed(values) => {
                let expected = if values.len() > 6 {
                    format!("not one of the {} allowed values", values.len())
                } else {
                    format!("expected one of {}", quote_list(values))
                };
                let d = Diagnostic::new(
                    Code::InvalidEnumValue,
                    format!("{} is not a valid value of `{}`", shown(), ctx.path()),
                )
                .primary(span, expected);
                let suggestion = (!ctx.secret)
                    .then(|| did_you_mean(text, values.iter().map(String::as_str)))
                    .flatten();
                d.help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if values.len() > 6 => {
                        format!("`polc schema {}` lists the allowed values", ctx.root_key())
                    }
                    None => format!("use one of {}", quote_list(values)),
                })
            }
            TextProblem::TooLong { length, max } => Diagnostic::new(
                Code::OutOfRange,
                format!(
                    "`{}` is {length} characters long; the limit is {max}",
                    ctx.path()
                ),
            )
            .primary(span, format!("{length} characters"))
            .help(format!("shorten it to at most {max} characters")),
            TextProblem::TooShort { length: 0, .. } => Diagnostic::new(
                Code::OutOfRange,
                format!("`{}` must not be empty", ctx.path()),
            )
            .primary(span, "empty")
            .help("give it a value, or `unset` the key"),
            TextProblem::TooShort { length, min } => Diagnostic::new(
                Code::OutOfRange,
                format!(
                    "`{}` is {length} characters long; the minimum is {min}",
                    ctx.path()
                ),
            )
            .primary(span, format!("{length} characters"))
            .help(format!("lengthen it to at least {min} characters")),
            TextProblem::Credentials => Diagnostic::new(
                Code::CredentialsInUrl,
                format!("the URL of `{}` embeds credentials", ctx.path()),
            )
            .primary(span, "`user:password@` in the URL")
            .help("the app rejects URLs with embedded credentials and fails to load the configuration; pass credentials through the key's credential settings or a helper"),
            TextProblem::Format(expected) => Diagnostic::new(
                Code::InvalidFormat,
                format!("{} is not a valid value of `{}`", shown(), ctx.path()),
            )
            .primary(span, format!("expected {expected}"))
            .help(format!("`{}` takes {expected}", ctx.path())),
        }
    }
}

/// `text` as a diagnostic's message quotes it: in backticks, with a URL's
/// password masked; `this value` where `ctx` is a secret.
fn quoted(text: &str, ctx: &Ctx<'_>) -> String {
    if ctx.secret {
        "this value".to_string()
    } else {
        let masked = crate::redact::mask_url_credentials(text);
        format!("`{}`", masked.as_deref().unwrap_or(text))
    }
}

/// The secrets written in the values of an object entry's repeats (a key
/// written twice, S0005), whichever entry was kept: `check` (the checks of
/// the kept value) is run on each, and only its diagnostics about a secret
/// in the source are kept, so that the source is masked. Their other
/// problems are not reported: the value is never used.
fn repeated_secrets(
    repeated: &[Val],
    check: impl Fn(&Val, &mut Diagnostics),
    diags: &mut Diagnostics,
) {
    for v in repeated {
        let mut found = Diagnostics::new();
        check(v, &mut found);
        diags.extend(
            found
                .into_sorted()
                .into_iter()
                .filter(|d| d.code.marks_secret()),
        );
    }
}

/// Checks `v` against `ty`, reporting into `diags`.
pub fn check_value(v: &Val, ty: &TypeDef, ctx: &Ctx<'_>, diags: &mut Diagnostics) {
    // Something other than an object where a map of secrets belongs (the
    // deprecated string form of a header map, a mistake) is a secret too:
    // never quoted, and its source is masked like any plain-text secret.
    if matches!(
        ty,
        TypeDef::Map {
            secret_values: true,
            ..
        }
    ) && !matches!(v.kind, Value::Object(_) | Value::Env(_))
        && !ctx.secret
    {
        let secret = Ctx {
            schema: ctx.schema,
            parent: ctx.parent,
            seg: ctx.seg,
            secret: true,
            partial: ctx.partial,
        };
        if has_text(v) {
            let path = ctx.path();
            let name = match ctx.seg {
                Seg::Name(n) => n,
                Seg::Index(_) => path.as_str(),
            };
            diags.push(plaintext_secret(&path, name, v.span));
        }
        return check_value(v, ty, &secret, diags);
    }
    match (ty, &v.kind) {
        (_, Value::Env(_)) => {
            let takes_string = match ty {
                TypeDef::String { .. } => true,
                TypeDef::Union { variants } => {
                    variants.iter().any(|v| matches!(v, TypeDef::String { .. }))
                }
                _ => false,
            };
            if !takes_string {
                mismatch(v, ty, ctx, diags, Some("`env()` gives a string"));
            }
        }
        (TypeDef::Union { variants }, _) => match variant_for(v, variants) {
            Some(t) => check_value(v, t, ctx, diags),
            None => mismatch(v, ty, ctx, diags, None),
        },
        (TypeDef::String { .. }, Value::Template(parts)) => {
            let text = template_text(parts);
            for problem in template_problems(parts, ty) {
                diags.push(problem.literal(&text, v.span, ctx));
            }
        }
        (TypeDef::String { .. }, Value::Str(s)) => {
            for problem in text_problems(s, ty) {
                diags.push(problem.literal(s, v.span, ctx));
            }
        }
        (TypeDef::Integer { min, max }, Value::Int(i)) => {
            let low = min.is_some_and(|m| *i < m);
            let high = max.is_some_and(|m| *i > m);
            if low || high {
                diags.push(
                    Diagnostic::new(
                        Code::OutOfRange,
                        format!("{i} is out of range for `{}`", ctx.path()),
                    )
                    .primary(v.span, format!("expected {}", describe(ty, ctx.schema)))
                    .help(range_help(*min, *max)),
                );
            }
        }
        (
            TypeDef::Number {
                min,
                exclusive_min,
                max,
            },
            Value::Int(_) | Value::Float(_),
        ) => {
            #[allow(clippy::cast_precision_loss)]
            let x = match v.kind {
                Value::Int(i) => i as f64,
                Value::Float(f) => f,
                _ => 0.0,
            };
            let low = min.is_some_and(|m| if *exclusive_min { x <= m } else { x < m });
            let high = max.is_some_and(|m| x > m);
            if low || high {
                let lo = min.map(|m| {
                    format!(
                        "{} {m}",
                        if *exclusive_min {
                            "greater than"
                        } else {
                            "at least"
                        }
                    )
                });
                let hi = max.map(|m| format!("at most {m}"));
                let want: Vec<String> = lo.into_iter().chain(hi).collect();
                diags.push(
                    Diagnostic::new(
                        Code::OutOfRange,
                        format!("{} is out of range for `{}`", v.display_plain(), ctx.path()),
                    )
                    .primary(v.span, format!("expected a number {}", want.join(" and ")))
                    .help(format!("use a number {}", want.join(" and "))),
                );
            }
        }
        (TypeDef::Boolean, Value::Bool(_)) => {}
        (
            TypeDef::List {
                items,
                identity,
                unique,
            },
            Value::List(elements),
        ) => {
            for (i, e) in elements.iter().enumerate() {
                check_value(e, items, &ctx.child(Seg::Index(i), false), diags);
            }
            duplicates(
                elements,
                identity.as_deref(),
                unique.then_some(&**items),
                &|| ctx.path(),
                diags,
            );
        }
        (
            TypeDef::Map {
                values,
                key_format,
                secret_values,
            },
            Value::Object(fields),
        ) => {
            for f in fields.iter() {
                if let Some(kf) = key_format
                    && let Err(FormatError::Invalid(expected)) = format::check(*kf, &f.name)
                {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidFormat,
                            format!("`{}` is not a valid key of `{}`", f.name, ctx.path()),
                        )
                        .primary(f.name_span, format!("expected {expected}"))
                        .help(format!("keys of `{}` are {expected}s", ctx.path())),
                    );
                }
                let inner = ctx.child(Seg::Name(&f.name), *secret_values);
                let check = |v: &Val, diags: &mut Diagnostics| {
                    if *secret_values && matches!(v.kind, Value::Str(_) | Value::Template(_)) {
                        diags.push(plaintext_secret(&inner.path(), &f.name, v.span));
                    }
                    check_value(v, values, &inner, diags);
                };
                check(&f.value, diags);
                repeated_secrets(&f.repeated, check, diags);
            }
            if *key_format == Some(Format::HeaderName) {
                duplicate_headers(fields, &|_, _| false, &|| ctx.path(), diags);
            }
        }
        (TypeDef::Object { name }, Value::Object(fields)) => {
            let Some(obj) = ctx.schema.object_type(name) else {
                return;
            };
            for f in fields.iter() {
                match obj.fields.iter().find(|d| *d.name == *f.name) {
                    Some(def) => {
                        if let Some(dep) = &def.deprecated {
                            diags.push(deprecation(
                                Code::DeprecatedKey,
                                format!("field `{}` of `{}` is deprecated", f.name, ctx.path()),
                                f.name_span,
                                dep,
                            ));
                        }
                        let inner = ctx.child(Seg::Name(&f.name), def.secret);
                        let check = |v: &Val, diags: &mut Diagnostics| {
                            if def.secret && matches!(v.kind, Value::Str(_) | Value::Template(_)) {
                                diags.push(plaintext_secret(&inner.path(), &f.name, v.span));
                            }
                            check_value(v, &def.ty, &inner, diags);
                        };
                        check(&f.value, diags);
                        repeated_secrets(&f.repeated, check, diags);
                    }
                    None if obj.open => {}
                    None => {
                        let names: Vec<&str> = obj.fields.iter().map(|d| d.name.as_str()).collect();
                        let mut d = Diagnostic::new(
                            Code::UnknownObjectField,
                            format!("{} has no field `{}`", article(name), f.name),
                        )
                        .primary(f.name_span, "unknown field");
                        d = match did_you_mean(&f.name, names.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!(
                                "the fields of {} are: {}",
                                article(name),
                                names.join(", ")
                            )),
                        };
                        diags.push(d);
                    }
                }
            }
            if !ctx.partial {
                object_complete(v, name, obj, diags);
            }
        }
        (_, _) => {
            let hint = match (ty, &v.kind) {
                (TypeDef::Boolean, Value::Str(s)) if matches!(&**s, "true" | "false") => Some(
                    "write the boolean without quotes: the compiler encodes it as each platform needs",
                ),
                (TypeDef::Integer { .. } | TypeDef::Number { .. }, Value::Str(s))
                    if s.parse::<f64>().is_ok() =>
                {
                    Some(
                        "write the number without quotes: the compiler encodes it as each platform needs",
                    )
                }
                (
                    TypeDef::List { .. } | TypeDef::Map { .. } | TypeDef::Object { .. },
                    Value::Str(s),
                ) if s.trim_start().starts_with(['[', '{']) => Some(
                    "write the list or object in policy syntax, not as JSON text: the compiler produces the JSON string the app reads",
                ),
                (TypeDef::Integer { .. }, Value::Float(_)) => Some("use a whole number"),
                _ => None,
            };
            mismatch(v, ty, ctx, diags, hint);
        }
    }
}

/// The variant of a union a value is checked as: the one of its kind (a
/// union has at most one per kind).
pub(crate) fn variant_for<'t>(v: &Val, variants: &'t [TypeDef]) -> Option<&'t TypeDef> {
    let kind = value_kind(v);
    variants
        .iter()
        .find(|t| crate::schema::type_kind(t) == kind)
}

fn value_kind(v: &Val) -> &'static str {
    match v.kind {
        Value::Str(_) | Value::Template(_) | Value::Env(_) => "string",
        Value::Int(_) | Value::Float(_) => "number",
        Value::Bool(_) => "boolean",
        Value::List(_) => "list",
        Value::Object(_) => "object",
    }
}

fn mismatch(v: &Val, ty: &TypeDef, ctx: &Ctx<'_>, diags: &mut Diagnostics, hint: Option<&str>) {
    let expected = describe(ty, ctx.schema);
    let mut d = Diagnostic::new(
        Code::TypeMismatch,
        format!(
            "`{}` expects {expected}, found {}",
            ctx.path(),
            v.kind_name()
        ),
    )
    .primary(v.span, format!("this is {}", v.kind_name()));
    if let Some(h) = hint {
        d = d.help(h);
    } else {
        d = d.help(format!("write {expected}"));
    }
    diags.push(d);
}

fn range_help(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("use a value from {a} to {b}"),
        (Some(a), None) => format!("use a value of at least {a}"),
        (None, Some(b)) => format!("use a value of at most {b}"),
        (None, None) => String::new(),
    }
}

/// The checks of a whole object: required fields and the type's rules.
fn object_complete(
    v: &Val,
    name: &str,
    obj: &crate::schema::model::ObjectType,
    diags: &mut Diagnostics,
) {
    let Some(fields) = v.as_object() else { return };
    for def in obj.fields.iter().filter(|d| d.required) {
        if !fields.iter().any(|f| *f.name == *def.name) {
            diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    format!("{} needs the field `{}`", article(name), def.name),
                )
                .primary(v.span, format!("`{}` is missing", def.name))
                .help(if def.doc.is_empty() {
                    format!("add `{} = ...`", def.name)
                } else {
                    format!("add `{} = ...`: {}", def.name, def.doc)
                }),
            );
        }
    }
    let lookup = ObjectLookup { object: v };
    for rule in &obj.rules {
        rules::check_rule(
            rule,
            &lookup,
            true,
            v.span,
            &|| format!("in {}", article(name)),
            diags,
        );
    }
}

/// Checks an object-typed value that `+=` statements assembled from parts:
/// each part was checked for its field types where it was written, the
/// whole only now for its required fields and rules.
pub fn check_merged_object(v: &Val, ty: &TypeDef, schema: &Schema, diags: &mut Diagnostics) {
    let name = match ty {
        TypeDef::Object { name } => name,
        TypeDef::Union { variants } => match variants.iter().find_map(|t| match t {
            TypeDef::Object { name } => Some(name),
            _ => None,
        }) {
            Some(n) => n,
            None => return,
        },
        _ => return,
    };
    if let Some(obj) = schema.object_type(name) {
        object_complete(v, name, obj, diags);
    }
}

/// Reports elements of one list that share an identity (or are equal, for
/// unique lists: `unique` is then the type of the elements). `path` names
/// the list, for messages.
pub fn duplicates(
    elements: &[Val],
    identity: Option<&str>,
    unique: Option<&TypeDef>,
    path: &dyn Fn() -> String,
    diags: &mut Diagnostics,
) {
    let mut ids: std::collections::BTreeMap<&str, &Val> = std::collections::BTreeMap::new();
    let mut values: std::collections::BTreeMap<String, &Val> = std::collections::BTreeMap::new();
    for e in elements {
        if let Some(id) = identity
            && let Some(name) = e.field(id).and_then(|f| f.value.as_str())
            && let Some(prev) = ids.insert(name, e)
        {
            diags.push(
                        Diagnostic::new(Code::DuplicateIdentity, format!("two entries of `{}` have {id} `{name}`", path()))
                            .primary(e.span, "second entry")
                            .secondary(prev.span, "first entry")
                            .help(format!("each entry needs its own `{id}`; remove or rename one (use `-= \"{name}\"` to drop an inherited entry)")),
                    );
            continue;
        }
        if let Some(items) = unique
            && let Some(prev) = values.insert(unique_key(e, items), e)
        {
            let mut d = Diagnostic::new(
                Code::DuplicateIdentity,
                format!("`{}` lists the same value twice", path()),
            )
            .primary(e.span, "listed again here")
            .secondary(prev.span, "first listed here")
            .help("remove one of them");
            if !e.same(prev) {
                d = d.note("host names do not depend on case");
            }
            diags.push(d);
        }
    }
}

/// Reports entries of a header map (a map whose keys have the
/// `header-name` format) whose names differ only in case: HTTP header names
/// do not depend on case, so the app would send one of the values or both.
/// An error, as a key written twice in one object is (S0005). Only the
/// names are labelled and quoted: the values may be secrets. `path` names
/// the map, for messages; a pair of names for which `reported` holds (two
/// entries of one literal, already reported where it was written) is
/// skipped.
pub fn duplicate_headers(
    fields: &[crate::value::Field],
    reported: &dyn Fn(Span, Span) -> bool,
    path: &dyn Fn() -> String,
    diags: &mut Diagnostics,
) {
    let mut seen: std::collections::BTreeMap<String, &crate::value::Field> =
        std::collections::BTreeMap::new();
    for f in fields {
        if let Some(prev) = seen.insert(f.name.to_ascii_lowercase(), f)
            && !reported(prev.name_span, f.name_span)
        {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateIdentity,
                    format!(
                        "`{}` sets one header twice: `{}` and `{}`",
                        path(),
                        prev.name,
                        f.name
                    ),
                )
                .primary(f.name_span, "set again here")
                .secondary(prev.name_span, "first set here")
                .note("HTTP header names do not depend on case")
                .help(format!(
                    "keep one of them; to replace an inherited header, remove it first with `-= \"{}\"`",
                    prev.name
                )),
            );
        }
    }
}

/// Whether `ty` (or a variant of it) is a header map: a map whose keys
/// have the `header-name` format.
#[must_use]
pub fn is_header_map(ty: &TypeDef) -> bool {
    match ty {
        TypeDef::Map { key_format, .. } => *key_format == Some(Format::HeaderName),
        TypeDef::Union { variants } => variants.iter().any(is_header_map),
        _ => false,
    }
}

/// What makes two elements of a list of unique `items` the same: their
/// value, with host names (and host patterns) compared without case, as
/// DNS compares them and as `polc egress` lists them.
fn unique_key(e: &Val, items: &TypeDef) -> String {
    match (items, &e.kind) {
        (
            TypeDef::String {
                format: Some(Format::HostPattern | Format::Hostname),
                ..
            },
            Value::Str(s),
        ) => s.to_ascii_lowercase(),
        _ => e.display_plain(),
    }
}

/// A deprecation warning with replacement and cut-off in the help.
#[must_use]
pub fn deprecation(code: Code, message: String, span: Span, dep: &Deprecation) -> Diagnostic {
    let mut label = "deprecated".to_string();
    if let Some(since) = &dep.since {
        label = format!("deprecated since {since}");
    }
    let mut help = match &dep.replaced_by {
        Some(r) => format!("use `{r}` instead"),
        None => "remove it".to_string(),
    };
    if let Some(cutoff) = &dep.cutoff {
        help.push_str(&format!("; the app stops accepting it after {cutoff}"));
    }
    let mut d = Diagnostic::new(code, message)
        .primary(span, label)
        .help(help);
    if let Some(note) = &dep.note {
        d = d.note(note.clone());
    }
    d
}

/// The plaintext-secret warning (never shows the value): `path` is where
/// the secret is (`managedMcpServers[0].oauth.clientSecret`), `name` the key
/// or object field that holds it (`clientSecret`), which the help tells to
/// set with `env()`.
/// Whether a value holds text written in the source (a string, or a list
/// with one).
fn has_text(v: &Val) -> bool {
    match &v.kind {
        Value::Str(_) | Value::Template(_) => true,
        Value::List(items) => items.iter().any(has_text),
        _ => false,
    }
}

#[must_use]
pub fn plaintext_secret(path: &str, name: &str, span: Span) -> Diagnostic {
    let mut field = String::new();
    if crate::value::is_ident(name) {
        field.push_str(name);
    } else {
        crate::value::write_quoted(&mut field, name);
    }
    Diagnostic::new(
        Code::PlaintextSecret,
        format!("`{path}` is a secret written in plain text"),
    )
    .primary(span, "secret in the policy source")
    .help(format!(
        "read it at build time instead: `{field} = env(\"NAME\")`, so it never lands in git"
    ))
    .with_severity(Severity::Warning)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::schema::model::Format;

    fn string(
        values: &[&str],
        deprecated: &[&str],
        min_length: Option<u32>,
        max_length: Option<u32>,
        format: Option<Format>,
    ) -> TypeDef {
        TypeDef::String {
            format,
            values: values.iter().map(|v| (*v).to_string()).collect(),
            deprecated_values: deprecated
                .iter()
                .map(|v| DeprecatedValue {
                    value: (*v).to_string(),
                    deprecation: Deprecation {
                        since: None,
                        replaced_by: Some("a".into()),
                        cutoff: None,
                        note: None,
                    },
                })
                .collect(),
            max_length,
            min_length,
        }
    }

    #[test]
    fn text_problems_lists_every_problem_in_the_checkers_order() {
        let ty = string(&["a", "b"], &["old"], Some(2), Some(3), None);
        let TypeDef::String {
            values,
            deprecated_values,
            ..
        } = &ty
        else {
            unreachable!()
        };
        assert_eq!(
            text_problems("a", &ty),
            [TextProblem::TooShort { length: 1, min: 2 }]
        );
        assert_eq!(
            text_problems("wrong", &ty),
            [
                TextProblem::NotAllowed(values),
                TextProblem::TooLong { length: 5, max: 3 },
            ]
        );
        assert_eq!(
            text_problems("old", &ty),
            [TextProblem::Deprecated(&deprecated_values[0])]
        );
        let url = string(&[], &[], Some(1), None, Some(Format::HttpsUrl));
        assert_eq!(
            text_problems("", &url),
            [
                TextProblem::TooShort { length: 0, min: 1 },
                TextProblem::Format("an https:// URL".into()),
            ]
        );
        assert_eq!(
            text_problems("https://u:p@example.com", &url),
            [TextProblem::Credentials]
        );
        assert_eq!(text_problems("https://example.com", &url), []);
        // Only strings have text problems.
        assert_eq!(text_problems("x", &TypeDef::Boolean), []);
    }

    #[test]
    fn template_problems_are_those_of_every_name() {
        use crate::value::TemplatePart::{Lit, Profile};
        let url = string(&[], &[], Some(1), Some(30), Some(Format::HttpsUrl));
        let t = |parts: &[crate::value::TemplatePart]| template_problems(parts, &url);
        // Credentials, whatever the name.
        assert_eq!(
            t(&[Lit("https://".into()), Profile, Lit(":pw@x.example".into())]),
            [TextProblem::Credentials]
        );
        // A wrong scheme, whatever the name.
        assert_eq!(
            t(&[Lit("http://".into()), Profile]),
            [TextProblem::Format("an https:// URL".into())]
        );
        // A port or a host label some name makes right; a length a name
        // decides.
        assert_eq!(t(&[Lit("https://x.example:".into()), Profile]), []);
        assert_eq!(
            t(&[Lit("https://".into()), Profile, Lit(".example".into())]),
            []
        );
        assert_eq!(
            t(&[
                Lit("https://a-very-long-host-name.example/".into()),
                Profile
            ]),
            []
        );
        // Allowed values and fixed-shape formats are left to the names.
        let colour = string(&["#abcdef"], &[], None, None, Some(Format::Color));
        assert_eq!(template_problems(&[Lit("#".into()), Profile], &colour), []);
    }

    #[test]
    fn a_bound_template_is_quoted_as_written_and_masked() {
        use crate::value::TemplatePart::{Lit, Profile};
        let schema = Schema::builtin();
        let span = Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 3,
        };
        let ty = string(&[], &[], None, Some(12), Some(Format::HttpsUrl));
        let parts = [Lit("https://u:pw@".into()), Profile, Lit(".example".into())];
        let template = |_: Span| Some(&parts[..]);
        let bound = |name: &str, secret: bool| {
            let v = Val::new(
                Value::Str(format!("https://u:pw@{name}.example").into()),
                span,
            );
            let mut diags = Diagnostics::new();
            let ctx = Ctx::key(&schema, "k", secret, false);
            check_bound(&v, &ty, &ctx, &template, &mut diags);
            diags.into_sorted()
        };
        // The length depends on the name; the credentials do not (reported
        // where the template is written): one problem, the same message for
        // every name, without the password.
        let [a] = bound("us", false).try_into().unwrap();
        let [b] = bound("europe", false).try_into().unwrap();
        assert_eq!(a.code, Code::OutOfRange);
        assert_eq!(a.message, b.message);
        assert!(!a.message.contains("pw"), "{}", a.message);
        assert!(a.message.contains("${profile}"), "{}", a.message);
        // A secret is not quoted at all.
        let [s] = bound("us", true).try_into().unwrap();
        assert!(!s.message.contains("example"), "{}", s.message);
    }

    #[test]
    fn hidden_wordings() {
        let many: Vec<String> = (0..7).map(|i| format!("v{i}")).collect();
        let few = ["a".to_string(), "b".to_string()];
        let cases = [
            (TextProblem::NotAllowed(&few), "is not one of `a`, `b`"),
            (
                TextProblem::NotAllowed(&many),
                "is not one of the 7 allowed values",
            ),
            (
                TextProblem::TooLong { length: 9, max: 8 },
                "is longer than 8 characters",
            ),
            (TextProblem::TooShort { length: 0, min: 1 }, "is empty"),
            (
                TextProblem::TooShort { length: 2, min: 5 },
                "is shorter than 5 characters",
            ),
            (
                TextProblem::Credentials,
                "is a URL with a user name or password in it",
            ),
            (
                TextProblem::Format("a hostname".into()),
                "is not a hostname",
            ),
        ];
        for (problem, wording) in cases {
            assert_eq!(problem.hidden(), wording);
        }
    }

    #[test]
    fn a_short_text_is_told_the_minimum() {
        let schema = Schema::builtin();
        let ctx = Ctx::key(&schema, "k", false, false);
        let span = Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 3,
        };
        let ty = string(&[], &[], Some(5), None, None);
        let [problem] = text_problems("abc", &ty).try_into().unwrap();
        let d = problem.literal("abc", span, &ctx);
        assert_eq!(d.code, Code::OutOfRange);
        assert_eq!(d.message, "`k` is 3 characters long; the minimum is 5");
        assert_eq!(d.labels[0].message, "3 characters");
        assert_eq!(
            d.help.as_deref(),
            Some("lengthen it to at least 5 characters")
        );
        // An empty text keeps its own wording.
        let [problem] = text_problems("", &ty).try_into().unwrap();
        assert_eq!(
            problem.literal("", span, &ctx).message,
            "`k` must not be empty"
        );
    }

    #[test]
    fn a_deprecated_secret_is_not_quoted() {
        let schema = Schema::builtin();
        let ctx = Ctx::key(&schema, "k", true, false);
        let span = Span {
            file: crate::source::FileId(0),
            start: 0,
            end: 3,
        };
        let ty = string(&["a"], &["old"], None, None, None);
        let [problem] = text_problems("old", &ty).try_into().unwrap();
        let d = problem.literal("old", span, &ctx);
        assert_eq!(d.code, Code::DeprecatedValue);
        assert_eq!(d.message, "this value is a deprecated value of `k`");
    }
}
