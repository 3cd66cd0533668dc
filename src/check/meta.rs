//! The `meta { }` fields: packaging metadata defined by the language, not
//! by the application schema.

use super::format;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::resolve::{Op, Statement};
use crate::schema::model::Format;
use crate::suggest::did_you_mean;
use crate::value::{Val, Value};

/// The kind of value a meta field takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaKind {
    /// Free text.
    Text,
    /// A reverse-DNS identifier (`com.acme.claude.us`).
    Identifier,
    /// `system` or `user`.
    Scope,
    /// `mdm` or `bootstrap`.
    Delivery,
    /// A boolean.
    Bool,
    /// An app version.
    Version,
    /// A list of artifact format names.
    Formats,
}

/// A meta field.
pub struct MetaField {
    /// Its name.
    pub name: &'static str,
    /// Its kind.
    pub kind: MetaKind,
    /// What it does.
    pub doc: &'static str,
}

/// Every meta field.
pub const FIELDS: &[MetaField] = &[
    MetaField {
        name: "identifier",
        kind: MetaKind::Identifier,
        doc: "reverse-DNS identifier of the generated profile (mobileconfig PayloadIdentifier); required for concrete profiles",
    },
    MetaField {
        name: "display_name",
        kind: MetaKind::Text,
        doc: "name shown in MDM consoles; defaults to the profile name",
    },
    MetaField {
        name: "description",
        kind: MetaKind::Text,
        doc: "description shown in MDM consoles",
    },
    MetaField {
        name: "organization",
        kind: MetaKind::Text,
        doc: "organization shown in MDM consoles",
    },
    MetaField {
        name: "scope",
        kind: MetaKind::Scope,
        doc: "`system` (HKLM, machine profile) or `user` (HKCU, user profile); default `system`",
    },
    MetaField {
        name: "removal_disallowed",
        kind: MetaKind::Bool,
        doc: "mobileconfig PayloadRemovalDisallowed; default false",
    },
    MetaField {
        name: "min_app_version",
        kind: MetaKind::Version,
        doc: "oldest app version in the fleet; keys introduced later get a warning",
    },
    MetaField {
        name: "formats",
        kind: MetaKind::Formats,
        doc: "which artifacts to emit for this profile; default all",
    },
    MetaField {
        name: "delivery",
        kind: MetaKind::Delivery,
        doc: "`mdm` (default): everything in the MDM profile; `bootstrap`: the MDM profile carries only the bootstrap and app-behavior keys, a bootstrap response the rest",
    },
];

/// Artifact format names accepted by `meta.formats`.
pub const FORMATS: &[&str] = &[
    "mobileconfig",
    "reg",
    "linux-json",
    "bootstrap-json",
    "config-library",
    "egress",
];

/// Checks one meta statement.
pub fn check_statement(st: &Statement, diags: &mut Diagnostics) {
    let name = &st.key[crate::resolve::META_PREFIX.len()..];
    let Some(field) = FIELDS.iter().find(|f| f.name == name) else {
        let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        let mut d = Diagnostic::new(Code::InvalidMeta, format!("`{name}` is not a meta field"))
            .primary(st.key_span, "unknown meta field");
        d = match did_you_mean(name, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("meta fields are: {}", names.join(", "))),
        };
        diags.push(d);
        return;
    };
    let Some(v) = &st.value else { return };
    if matches!(st.op, Op::Append | Op::Remove) && field.kind != MetaKind::Formats {
        diags.push(
            Diagnostic::new(
                Code::InvalidOperator,
                format!("`{}` cannot be used on meta field `{name}`", st.op.as_str()),
            )
            .primary(st.key_span, format!("`{name}` is a single value"))
            .help("use `=` to replace it"),
        );
        return;
    }
    check_value(name, field.kind, v, st.op, diags);
}

fn bad(name: &str, v: &Val, expected: &str, diags: &mut Diagnostics) {
    diags.push(
        Diagnostic::new(
            Code::InvalidMeta,
            format!("meta field `{name}` expects {expected}"),
        )
        .primary(v.span, format!("this is {}", v.kind_name()))
        .help(format!("write {expected}")),
    );
}

fn check_value(name: &str, kind: MetaKind, v: &Val, op: Op, diags: &mut Diagnostics) {
    match kind {
        MetaKind::Text => {
            if !matches!(v.kind, Value::Str(_) | Value::Template(_)) {
                bad(name, v, "a string", diags);
            }
        }
        MetaKind::Identifier => match &v.kind {
            Value::Str(s) => {
                if !reverse_dns(s) {
                    diags.push(
                        Diagnostic::new(Code::InvalidMeta, format!("`{s}` is not a reverse-DNS identifier"))
                            .primary(v.span, "expected something like `com.acme.claude.us`")
                            .help("use dot-separated labels of letters, digits and `-`, e.g. `com.acme.claude.${profile}`"),
                    );
                }
            }
            Value::Template(_) => {}
            _ => bad(
                name,
                v,
                "a string such as \"com.acme.claude.${profile}\"",
                diags,
            ),
        },
        MetaKind::Scope | MetaKind::Delivery => {
            let allowed: &[&str] = if kind == MetaKind::Scope {
                &["system", "user"]
            } else {
                &["mdm", "bootstrap"]
            };
            match v.as_str() {
                Some(s) if allowed.contains(&s) => {}
                Some(s) => {
                    let mut d = Diagnostic::new(
                        Code::InvalidMeta,
                        format!("`{s}` is not a valid `{name}`"),
                    )
                    .primary(
                        v.span,
                        format!("expected `{}` or `{}`", allowed[0], allowed[1]),
                    );
                    if let Some(sug) = did_you_mean(s, allowed.iter().copied()) {
                        d = d.help(format!("did you mean `{sug}`?"));
                    } else {
                        d = d.help(format!("use `{}` or `{}`", allowed[0], allowed[1]));
                    }
                    diags.push(d);
                }
                None => bad(
                    name,
                    v,
                    &format!("`\"{}\"` or `\"{}\"`", allowed[0], allowed[1]),
                    diags,
                ),
            }
        }
        MetaKind::Bool => {
            if !matches!(v.kind, Value::Bool(_)) {
                bad(name, v, "`true` or `false`", diags);
            }
        }
        MetaKind::Version => match v.as_str() {
            Some(s) if format::check(Format::AppVersion, s).is_ok() => {}
            Some(s) => diags.push(
                Diagnostic::new(Code::InvalidMeta, format!("`{s}` is not an app version"))
                    .primary(v.span, "expected a version such as `1.40609.0`")
                    .help("write the version as the app shows it in About Claude"),
            ),
            None => bad(name, v, "a version string such as \"1.40609.0\"", diags),
        },
        MetaKind::Formats => {
            let items: Vec<&Val> = match (&v.kind, op) {
                (Value::List(items), _) => items.iter().collect(),
                (Value::Str(_), Op::Append | Op::Remove) => vec![v],
                _ => {
                    bad(name, v, "a list of artifact formats", diags);
                    return;
                }
            };
            for item in items {
                match item.as_str() {
                    Some(s) if FORMATS.contains(&s) => {}
                    Some(s) => {
                        let mut d = Diagnostic::new(
                            Code::InvalidMeta,
                            format!("`{s}` is not an artifact format"),
                        )
                        .primary(item.span, "unknown format");
                        d = match did_you_mean(s, FORMATS.iter().copied()) {
                            Some(sug) => d.help(format!("did you mean `{sug}`?")),
                            None => d.help(format!("formats are: {}", FORMATS.join(", "))),
                        };
                        diags.push(d);
                    }
                    None => bad(name, item, "a format name string", diags),
                }
            }
        }
    }
}

/// Dot-separated labels of letters, digits, `-` and `_`, at least two labels.
#[must_use]
pub fn reverse_dns(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}
