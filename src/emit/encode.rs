//! From an effective configuration to the values every backend writes.

use crate::diag::{Code, Diagnostic};
use crate::host::Host;
use crate::resolve::{EffValue, ProfileId, Resolved};
use crate::schema::Schema;
use crate::schema::model::{KeyDef, TypeDef};
use crate::value::{Val, Value};
use serde_json::Value as Json;

/// `meta.scope`: where the configuration is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Machine-wide: mobileconfig `PayloadScope` `System`, `.reg` under HKLM.
    System,
    /// Per user: mobileconfig `PayloadScope` `User`, `.reg` under HKCU.
    User,
}

/// `meta.delivery`: how the configuration reaches devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Everything in the MDM profile.
    Mdm,
    /// The MDM profile carries the bootstrap and app-behavior keys; a
    /// bootstrap response carries the rest.
    Bootstrap,
}

/// Packaging metadata with defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Reverse-DNS identifier (`${profile}` bound).
    pub identifier: String,
    /// Display name (default: the profile name).
    pub display_name: String,
    /// Description (default: empty).
    pub description: String,
    /// Organization (default: empty).
    pub organization: String,
    /// Install scope (default: system).
    pub scope: Scope,
    /// mobileconfig `PayloadRemovalDisallowed` (default: false).
    pub removal_disallowed: bool,
    /// Artifact formats to emit (default: all of [`crate::check::meta::FORMATS`]).
    pub formats: Vec<String>,
    /// Delivery model (default: MDM).
    pub delivery: Delivery,
}

/// One key of an encoded profile.
#[derive(Clone, Debug)]
pub struct Entry<'s> {
    /// The schema's definition of the key.
    pub def: &'s KeyDef,
    /// The value with native JSON types (secrets resolved).
    pub value: Json,
    /// The value as the app reads it from a preference store: strings as
    /// they are, booleans `true`/`false`, numbers in decimal, lists and
    /// objects as compact JSON text.
    pub text: String,
    /// Whether the value is or contains a secret.
    pub secret: bool,
}

/// A concrete profile ready for the backends.
#[derive(Clone, Debug)]
pub struct EncodedProfile<'s> {
    /// The profile name.
    pub name: String,
    /// Packaging metadata.
    pub meta: Meta,
    /// The keys, sorted by name.
    pub entries: Vec<Entry<'s>>,
}

impl EncodedProfile<'_> {
    /// Whether any entry is a secret.
    #[must_use]
    pub fn has_secret(&self) -> bool {
        self.entries.iter().any(|e| e.secret)
    }

    /// The entry of a key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Entry<'_>> {
        self.entries.iter().find(|e| e.def.name == key)
    }
}

/// The string the app reads for a typed value.
#[must_use]
pub fn app_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// Encodes a concrete profile. Fails with one diagnostic per `env()`
/// variable that is not set (B0401).
///
/// # Errors
/// When a secret cannot be read from the environment.
pub fn encode<'s>(
    resolved: &Resolved,
    id: ProfileId,
    schema: &'s Schema,
    host: &dyn Host,
) -> Result<EncodedProfile<'s>, Vec<Diagnostic>> {
    let decl = resolved.profile(id);
    let Some(eff) = resolved.effective[id.index()].as_ref() else {
        return Err(Vec::new());
    };
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (key, ev) in eff.keys() {
        let Some(def) = schema.key(key) else { continue };
        let mut secret = def.secret;
        let value = resolve_env(&ev.value, host, &mut secret, &mut |name, span| {
            errors.push(
                Diagnostic::new(Code::MissingEnv, format!("environment variable `{name}` is not set"))
                    .primary(span, format!("`{key}` reads it"))
                    .note(format!("needed to build profile `{}`", decl.name))
                    .help(format!("set `{name}` in the environment of `polc build` (for example from your CI's secret store)")),
            );
        });
        // A stand-in (`polc diff`'s `<env:NAME>`) is not a value to check.
        if host.env_is_real() {
            check_env_values(&ev.value, &def.ty, schema, host, &mut |name, span, why| {
                errors.push(
                    Diagnostic::new(
                        Code::InvalidEnvValue,
                        format!("the value of environment variable `{name}` is not valid for `{key}`: it {why}"),
                    )
                    .primary(span, format!("`{key}` reads it"))
                    .note(format!("needed to build profile `{}`", decl.name))
                    .help(format!("correct `{name}` in the environment of `polc build` (its value is not shown: it may be a secret)")),
                );
            });
        }
        let text = app_text(&value);
        entries.push(Entry {
            def,
            value,
            text,
            secret,
        });
    }
    let meta = meta(eff.meta("identifier"), eff, &decl.name);
    if errors.is_empty() {
        Ok(EncodedProfile {
            name: decl.name.to_string(),
            meta,
            entries,
        })
    } else {
        Err(errors)
    }
}

/// Checks each value `env()` reads against the type where it stands (the
/// checks `polc check` makes of a literal), reporting what is wrong without
/// the value: an artifact is never built from an invalid value because it
/// came from the environment. An unset variable is reported elsewhere.
fn check_env_values(
    v: &Val,
    ty: &TypeDef,
    schema: &Schema,
    host: &dyn Host,
    report: &mut dyn FnMut(&str, crate::span::Span, String),
) {
    match (&v.kind, ty) {
        (Value::Env(name), _) => {
            if let Some(why) = host.env(name).and_then(|text| env_text_problem(&text, ty)) {
                report(name, v.span, why);
            }
        }
        (_, TypeDef::Union { variants }) => {
            // The variant of the value's shape (a union has one per shape).
            for variant in variants.iter().filter(|t| same_shape(v, t)) {
                check_env_values(v, variant, schema, host, report);
            }
        }
        (Value::List(items), TypeDef::List { items: ty, .. }) => {
            for item in items.iter() {
                check_env_values(item, ty, schema, host, report);
            }
        }
        (Value::Object(fields), TypeDef::Map { values, .. }) => {
            for f in fields.iter() {
                check_env_values(&f.value, values, schema, host, report);
            }
        }
        (Value::Object(fields), TypeDef::Object { name }) => {
            let Some(object) = schema.object_type(name) else {
                return;
            };
            for f in fields.iter() {
                if let Some(def) = object.fields.iter().find(|d| d.name == *f.name) {
                    check_env_values(&f.value, &def.ty, schema, host, report);
                }
            }
        }
        _ => {}
    }
}

/// Whether a value has the shape of a type (list, object or scalar).
fn same_shape(v: &Val, ty: &TypeDef) -> bool {
    match &v.kind {
        Value::List(_) => matches!(ty, TypeDef::List { .. }),
        Value::Object(_) => matches!(ty, TypeDef::Object { .. } | TypeDef::Map { .. }),
        _ => !matches!(
            ty,
            TypeDef::List { .. } | TypeDef::Object { .. } | TypeDef::Map { .. }
        ),
    }
}

/// What is wrong with text from the environment where `ty` is expected,
/// worded without the text.
fn env_text_problem(text: &str, ty: &TypeDef) -> Option<String> {
    use crate::check::format::{FormatError, check, describe};
    match ty {
        TypeDef::String {
            format,
            values,
            max_length,
            min_length,
            ..
        } => {
            let length = text.chars().count();
            if min_length.is_some_and(|min| length < min as usize) {
                return Some(if length == 0 {
                    "is empty".into()
                } else {
                    format!("is shorter than {} characters", min_length.unwrap_or(0))
                });
            }
            if max_length.is_some_and(|max| length > max as usize) {
                return Some(format!(
                    "is longer than {} characters",
                    max_length.unwrap_or(0)
                ));
            }
            if !values.is_empty() && !values.iter().any(|v| v == text) {
                let listed: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                return Some(format!("is not one of {}", listed.join(", ")));
            }
            match format.map(|f| (f, check(f, text))) {
                Some((_, Err(FormatError::Credentials))) => {
                    Some("is a URL with a user name or password in it".into())
                }
                Some((f, Err(FormatError::Invalid(_)))) => Some(format!("is not {}", describe(f))),
                _ => None,
            }
        }
        TypeDef::Union { variants } => variants
            .iter()
            .find(|t| matches!(t, TypeDef::String { .. }))
            .and_then(|t| env_text_problem(text, t)),
        // `polc check` reports `env()` where a string does not belong.
        _ => None,
    }
}

fn resolve_env(
    v: &Val,
    host: &dyn Host,
    secret: &mut bool,
    missing: &mut dyn FnMut(&str, crate::span::Span),
) -> Json {
    match &v.kind {
        Value::Env(name) => {
            *secret = true;
            host.env(name).map_or_else(
                || {
                    missing(name, v.span);
                    Json::Null
                },
                Json::String,
            )
        }
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|i| resolve_env(i, host, secret, missing))
                .collect(),
        ),
        Value::Object(fields) => Json::Object(
            fields
                .iter()
                .map(|f| {
                    (
                        f.name.to_string(),
                        resolve_env(&f.value, host, secret, missing),
                    )
                })
                .collect(),
        ),
        _ => v.to_json(&|_| None),
    }
}

fn meta(identifier: Option<&EffValue>, eff: &crate::resolve::Effective, name: &str) -> Meta {
    let text = |field: &str| {
        eff.meta(field)
            .and_then(|ev| ev.value.as_str())
            .map(str::to_string)
    };
    let formats = eff
        .meta("formats")
        .and_then(|ev| ev.value.as_list())
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| {
            crate::check::meta::FORMATS
                .iter()
                .map(|s| (*s).to_string())
                .collect()
        });
    Meta {
        identifier: identifier
            .and_then(|ev| ev.value.as_str())
            .unwrap_or_default()
            .to_string(),
        display_name: text("display_name").unwrap_or_else(|| name.to_string()),
        description: text("description").unwrap_or_default(),
        organization: text("organization").unwrap_or_default(),
        scope: if text("scope").as_deref() == Some("user") {
            Scope::User
        } else {
            Scope::System
        },
        removal_disallowed: matches!(
            eff.meta("removal_disallowed").map(|ev| &ev.value.kind),
            Some(Value::Bool(true))
        ),
        formats,
        delivery: if text("delivery").as_deref() == Some("bootstrap") {
            Delivery::Bootstrap
        } else {
            Delivery::Mdm
        },
    }
}

/// A deterministic UUID (v5) for `name` in polc's namespace, so that an
/// unchanged profile keeps its payload UUIDs from one build to the next.
#[must_use]
pub fn stable_uuid(name: &str) -> String {
    // The namespace is the v5 UUID of "polc" in the DNS namespace.
    static NAMESPACE: std::sync::LazyLock<uuid::Uuid> =
        std::sync::LazyLock::new(|| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, b"polc"));
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes())
        .hyphenated()
        .to_string()
        .to_uppercase()
}
