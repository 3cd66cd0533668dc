//! From an effective configuration to the values every backend writes.

use crate::Compilation;
use crate::diag::{Code, Diagnostic, Severity};
use crate::host::Host;
use crate::resolve::{EffValue, ProfileId, Resolved};
use crate::schema::Schema;
use crate::schema::model::KeyDef;
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
/// variable that is not set (B0401) and per error in the values they hold
/// ([`crate::check::env::profile`]).
///
/// # Errors
/// When a secret cannot be read from the environment, or is invalid.
pub fn encode<'s>(
    resolved: &Resolved,
    id: ProfileId,
    schema: &'s Schema,
    host: &dyn Host,
) -> Result<EncodedProfile<'s>, Vec<Diagnostic>> {
    let mut warnings = Vec::new();
    encode_with_warnings(resolved, id, schema, host, &mut warnings)
}

/// [`encode`], adding the warnings about the values `env()` reads
/// (deprecated values, warning rules they decide) to `warnings`: a build
/// reports them beside its artifacts, and refuses to write with
/// `--deny-warnings`.
///
/// # Errors
/// As [`encode`].
pub fn encode_with_warnings<'s>(
    resolved: &Resolved,
    id: ProfileId,
    schema: &'s Schema,
    host: &dyn Host,
    warnings: &mut Vec<Diagnostic>,
) -> Result<EncodedProfile<'s>, Vec<Diagnostic>> {
    let decl = resolved.profile(id);
    let Some(eff) = resolved.effective[id.index()].as_ref() else {
        return Err(Vec::new());
    };
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (key, ev) in eff.keys() {
        let Some(def) = schema.key(key) else { continue };
        // A secret key, a value read with `env()`, or a secret written in
        // the source inside the value (an OAuth client secret, a header).
        let mut secret =
            def.secret || crate::redact::holds_literal_secret(&ev.value, &def.ty, schema);
        let value = resolve_env(&ev.value, host, &mut secret, &mut |name, span| {
            errors.push(
                Diagnostic::new(Code::MissingEnv, format!("environment variable `{name}` is not set"))
                    .primary(span, format!("`{key}` reads it"))
                    .note(format!("needed to build profile `{}`", decl.name))
                    .help(format!("set `{name}` in the environment of `polc build` (for example from your CI's secret store)")),
            );
        });
        let text = app_text(&value);
        entries.push(Entry {
            def,
            value,
            text,
            secret,
        });
    }
    // An artifact is never built from an invalid value because it came from
    // the environment; warnings are for the caller.
    let (env_errors, env_warnings): (Vec<_>, Vec<_>) =
        crate::check::env::profile(resolved, id, schema, host)
            .into_iter()
            .partition(|d| d.severity == Severity::Error);
    errors.extend(env_errors);
    warnings.extend(env_warnings);
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

/// The warnings about the values `env()` reads in every concrete profile of
/// `c` (deprecated values, warning rules they decide), merged by place as
/// the build's are. A build finds them as it renders
/// ([`encode_with_warnings`]); this pass finds them without rendering, for
/// a caller that must refuse before it writes anything (`polc build
/// --deny-warnings`).
#[must_use]
pub fn env_warnings(c: &Compilation, schema: &Schema, host: &dyn Host) -> Vec<Diagnostic> {
    let ids = c.resolved.concrete_ids_by_name();
    let found = crate::par::chunks(&ids, |chunk, _| {
        chunk
            .iter()
            .flat_map(|&id| crate::check::env::profile(&c.resolved, id, schema, host))
            .filter(|d| d.severity != Severity::Error)
            .collect::<Vec<_>>()
    });
    super::build::merge_by_place(found.into_iter().flatten().collect())
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
