//! Secrets taken out of values before they are shown.
//!
//! One walker, [`redact`], follows a value by its schema type and replaces
//! the value of every object field the schema marks secret, and every value
//! of a map whose values it marks secret (`secret_values`: header values),
//! at any depth (in lists, maps, objects and union variants). It works on any value tree
//! that implements [`Redact`]:
//!
//! - evaluated policy values ([`Val`]), for `polc show`, `polc trace` and
//!   `polc diff`: a literal secret becomes the string `"<redacted>"`; an
//!   `env()` reference is kept, because it holds a variable's name, never its
//!   value (it is shown as `<env:NAME>`);
//! - JSON read from a device ([`serde_json::Value`]), for `polc effective`:
//!   every secret becomes `"<redacted>"`.
//!
//! A string where the schema expects a URL keeps its text, but not the
//! password of `user:password@` ([`mask_url_credentials`]): such a URL is
//! an error (C0206), and the error must not spread the password further.

use crate::check::format::url_userinfo;
use crate::schema::Schema;
use crate::schema::model::{KeyDef, TypeDef};
use crate::value::{Field, TemplatePart, Val, Value};
use serde_json::Value as Json;

/// What a secret value is replaced by.
pub const REDACTED: &str = "<redacted>";

/// A value tree [`redact`] can walk and rebuild.
pub trait Redact: Sized {
    /// What a value in a secret position is shown as: [`REDACTED`], or the
    /// value itself when it holds no secret (an `env()` reference).
    #[must_use]
    fn redact_secret(self) -> Self;

    /// The value with `f` applied to every element, if it is a list;
    /// otherwise the value unchanged.
    #[must_use]
    fn map_items(self, f: impl FnMut(Self) -> Self) -> Self;

    /// The value with `f` applied to every entry (name, value), if it is an
    /// object; otherwise the value unchanged.
    #[must_use]
    fn map_entries(self, f: impl FnMut(&str, Self) -> Self) -> Self;

    /// Whether the value is an object (or map).
    fn is_object(&self) -> bool;

    /// The value with the user information of a URL masked
    /// ([`mask_url_credentials`]), if it is a string; otherwise the value
    /// unchanged.
    #[must_use]
    fn mask_url(self) -> Self;
}

/// `text` with the user information of a URL masked, when it has some:
/// `https://user:<redacted>@host` (the user name is kept when a password
/// follows it), `https://<redacted>@host` (a user name alone is often a
/// token). In a text that is not a valid http(s) URL, what may be a
/// password broken by a `/`, `?` or `#` (`https://user:pa/ss@host`) is
/// masked whole, from `://` to the last `@`
/// ([`crate::check::format::url_userinfo_loose`]). `None` when there is
/// nothing to mask.
#[must_use]
pub fn mask_url_credentials(text: &str) -> Option<String> {
    use crate::check::format;
    let hidden = url_secret(text).or_else(|| {
        format::check(crate::schema::model::Format::HttpUrl, text)
            .is_err()
            .then(|| format::url_userinfo_loose(text))
            .flatten()
    })?;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..hidden.start]);
    out.push_str(REDACTED);
    out.push_str(&text[hidden.end..]);
    Some(out)
}

/// The part of a URL's user information that [`mask_url_credentials`]
/// hides: the password, or the whole user information when it has none.
fn url_secret(text: &str) -> Option<std::ops::Range<usize>> {
    let userinfo = url_userinfo(text)?;
    let kept = text[userinfo.clone()]
        .split_once(':')
        .map_or(0, |(user, _)| user.len() + 1);
    Some(userinfo.start + kept..userinfo.end)
}

/// Replaces the value of every secret field inside `v` (a value of type
/// `ty`) by [`REDACTED`]. The value itself is not treated as a secret: see
/// [`redact_key`].
#[must_use]
pub fn redact<V: Redact>(v: V, ty: &TypeDef, schema: &Schema) -> V {
    match ty {
        TypeDef::Object { name } => {
            let Some(object) = schema.object_type(name) else {
                return v;
            };
            v.map_entries(|k, v| match object.fields.iter().find(|f| f.name == k) {
                Some(f) if f.secret => v.redact_secret(),
                Some(f) => redact(v, &f.ty, schema),
                None => v,
            })
        }
        TypeDef::List { items, .. } => v.map_items(|v| redact(v, items, schema)),
        // A value of another type where such a map belongs (a deprecated
        // string form, a mistake) is hidden whole: it is a secret too.
        TypeDef::Map {
            secret_values: true,
            ..
        } if v.is_object() => v.map_entries(|_, v| v.redact_secret()),
        TypeDef::Map {
            secret_values: true,
            ..
        } => v.redact_secret(),
        TypeDef::Map { values, .. } => v.map_entries(|_, v| redact(v, values, schema)),
        // At most one variant per kind of value: each variant redacts only
        // values of its kind (the others leave them unchanged).
        TypeDef::Union { variants } => variants
            .iter()
            .fold(v, |v, variant| redact(v, variant, schema)),
        TypeDef::String {
            format: Some(f), ..
        } if f.is_url() => v.mask_url(),
        _ => v,
    }
}

/// Whether `v` (a value of type `ty`) holds a secret written in the
/// policy source: a value in a secret position (a secret object field, a
/// value of a map whose values are secrets) that is not an `env()`
/// reference. A file carrying it must be owner-only.
#[must_use]
pub fn holds_literal_secret(v: &Val, ty: &TypeDef, schema: &Schema) -> bool {
    match (ty, &v.kind) {
        (TypeDef::Object { name }, Value::Object(fields)) => {
            let Some(object) = schema.object_type(name) else {
                return false;
            };
            fields
                .iter()
                .any(|f| match object.fields.iter().find(|d| d.name == *f.name) {
                    Some(d) if d.secret => has_literal(&f.value),
                    Some(d) => holds_literal_secret(&f.value, &d.ty, schema),
                    None => false,
                })
        }
        (
            TypeDef::Map {
                secret_values: true,
                ..
            },
            Value::Object(fields),
        ) => fields.iter().any(|f| has_literal(&f.value)),
        (TypeDef::Map { values, .. }, Value::Object(fields)) => fields
            .iter()
            .any(|f| holds_literal_secret(&f.value, values, schema)),
        (TypeDef::List { items, .. }, Value::List(elements)) => elements
            .iter()
            .any(|e| holds_literal_secret(e, items, schema)),
        (TypeDef::Union { variants }, _) => {
            variants.iter().any(|t| holds_literal_secret(v, t, schema))
        }
        _ => false,
    }
}

/// Whether `v` is, or holds, a value written in the source (anything but
/// an `env()` reference).
fn has_literal(v: &Val) -> bool {
    match &v.kind {
        Value::Env(_) => false,
        Value::List(items) => items.iter().any(has_literal),
        Value::Object(fields) => fields.iter().any(|f| has_literal(&f.value)),
        _ => true,
    }
}

/// The value of a key as it may be shown: the whole value when the key is
/// secret, otherwise its secret fields.
#[must_use]
pub fn redact_key<V: Redact>(v: V, def: &KeyDef, schema: &Schema) -> V {
    if def.secret {
        v.redact_secret()
    } else {
        redact(v, &def.ty, schema)
    }
}

/// The value of a `+=` or `-=` on a key as it may be shown. Such a value is
/// a value of the key's type, an element of a list the key holds, or a list
/// of such elements: it is redacted as each of them (redacting a value as a
/// type it does not have leaves it unchanged).
#[must_use]
pub fn redact_change<V: Redact>(v: V, def: &KeyDef, schema: &Schema) -> V {
    if def.secret {
        return v.redact_secret();
    }
    let v = redact(v, &def.ty, schema);
    let types = match &def.ty {
        TypeDef::Union { variants } => variants.iter().collect(),
        ty => vec![ty],
    };
    types.into_iter().fold(v, |v, ty| match ty {
        TypeDef::List { items, .. } => redact(v, items, schema),
        _ => v,
    })
}

impl Redact for Json {
    fn redact_secret(self) -> Self {
        Json::String(REDACTED.into())
    }

    fn map_items(self, f: impl FnMut(Self) -> Self) -> Self {
        match self {
            Json::Array(vs) => Json::Array(vs.into_iter().map(f).collect()),
            v => v,
        }
    }

    fn is_object(&self) -> bool {
        self.is_object()
    }

    fn map_entries(self, mut f: impl FnMut(&str, Self) -> Self) -> Self {
        match self {
            Json::Object(map) => Json::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = f(&k, v);
                        (k, v)
                    })
                    .collect(),
            ),
            v => v,
        }
    }

    fn mask_url(self) -> Self {
        match self {
            Json::String(s) => Json::String(mask_url_credentials(&s).unwrap_or(s)),
            v => v,
        }
    }
}

impl Redact for Val {
    fn redact_secret(self) -> Self {
        match self.kind {
            Value::Env(_) => self,
            _ => Val::new(Value::Str(REDACTED.into()), self.span),
        }
    }

    fn map_items(self, mut f: impl FnMut(Self) -> Self) -> Self {
        match &self.kind {
            Value::List(items) => Val::new(
                Value::List(items.iter().map(|v| f(v.clone())).collect()),
                self.span,
            ),
            _ => self,
        }
    }

    fn is_object(&self) -> bool {
        matches!(self.kind, Value::Object(_))
    }

    fn map_entries(self, mut f: impl FnMut(&str, Self) -> Self) -> Self {
        match &self.kind {
            Value::Object(fields) => Val::new(
                Value::Object(
                    fields
                        .iter()
                        .map(|e| Field {
                            name: e.name.clone(),
                            name_span: e.name_span,
                            value: f(&e.name, e.value.clone()),
                            repeated: Vec::new(),
                        })
                        .collect(),
                ),
                self.span,
            ),
            _ => self,
        }
    }

    fn mask_url(self) -> Self {
        match &self.kind {
            Value::Str(s) => match mask_url_credentials(s) {
                Some(masked) => Val::new(Value::Str(masked.into()), self.span),
                None => self,
            },
            // Values are shown bound to their profile (`show`, `trace`,
            // `diff`); a template shown as written would lose its
            // `${profile}` rather than keep a password.
            Value::Template(parts) => {
                let text: String = parts
                    .iter()
                    .map(|p| match p {
                        TemplatePart::Lit(t) => t.as_str(),
                        TemplatePart::Profile => "${profile}",
                    })
                    .collect();
                match mask_url_credentials(&text) {
                    Some(masked) => Val::new(Value::Str(masked.into()), self.span),
                    None => self,
                }
            }
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn url_credentials_are_masked() {
        assert_eq!(
            mask_url_credentials("https://user:pw@gw.example:8443/v1?a=b@c").as_deref(),
            Some("https://user:<redacted>@gw.example:8443/v1?a=b@c")
        );
        // The last `@` of the authority ends the user information.
        assert_eq!(
            mask_url_credentials("http://u:p@ss@proxy.example").as_deref(),
            Some("http://u:<redacted>@proxy.example")
        );
        assert_eq!(
            mask_url_credentials("https://ghp_token@github.com/o/r").as_deref(),
            Some("https://<redacted>@github.com/o/r")
        );
        assert_eq!(
            mask_url_credentials("https://:pw@h.example").as_deref(),
            Some("https://:<redacted>@h.example")
        );
        assert_eq!(mask_url_credentials("https://gw.example/a@b"), None);
        assert_eq!(mask_url_credentials("user@example.com"), None);
        // A password with a `/` breaks the authority: the URL is not valid,
        // and everything up to the last `@` is masked.
        assert_eq!(
            mask_url_credentials("https://u:pa/ss@otel.example.com").as_deref(),
            Some("https://<redacted>@otel.example.com")
        );
        assert_eq!(
            mask_url_credentials("ftp://u:p?w#d@h.example/x").as_deref(),
            Some("ftp://<redacted>@h.example/x")
        );
        // A valid URL with a port and an `@` in its path has no password.
        assert_eq!(
            mask_url_credentials("https://registry.example:8443/@scope/pkg"),
            None
        );
        // A template (never shown as written today) keeps no password either.
        let span = crate::span::Span::new(crate::source::FileId(0), 0, 0);
        let template = Val::new(
            Value::Template(
                vec![
                    TemplatePart::Lit("https://".into()),
                    TemplatePart::Profile,
                    TemplatePart::Lit(":pw@gw.example".into()),
                ]
                .into(),
            ),
            span,
        );
        assert_eq!(
            template.mask_url().display_plain(),
            r#""https://\${profile}:<redacted>@gw.example""#
        );
    }

    #[test]
    fn secret_fields_are_redacted_at_any_depth() {
        let schema = Schema::builtin();
        let def = schema.key("managedMcpServers").unwrap();
        let v = json!([
            { "name": "a", "oauth": { "clientId": "id", "clientSecret": "s3cret" } },
            { "name": "b", "oauth": true, "headers": { "X": "h" } }
        ]);
        // Header values may carry a credential: every one is a secret.
        assert_eq!(
            redact_key(v, def, &schema),
            json!([
                { "name": "a", "oauth": { "clientId": "id", "clientSecret": "<redacted>" } },
                { "name": "b", "oauth": true, "headers": { "X": "<redacted>" } }
            ])
        );
    }
}
