//! The checks that need the values `env()` reads, made when they are read:
//! by `polc build` and `polc apply`, never by `polc check`.
//!
//! `polc check` sees `env("NAME")` as a string it does not know. When a
//! profile is built, each value read is checked against the type where the
//! call stands with the checker's own string checks
//! ([`types::text_problems`]), and reported without the value, which may be
//! a secret: what makes it invalid is B0403; a deprecated value is the
//! checker's deprecated-value warning (L0303), as for a literal.
//!
//! Every message names the variable and the path of the value
//! (`managedMcpServers[0].url`), never the value.

use super::types::{self, Ctx, Seg, TextProblem};
use crate::diag::{Code, Diagnostic};
use crate::host::Host;
use crate::resolve::{ProfileId, Resolved};
use crate::schema::Schema;
use crate::schema::model::TypeDef;
use crate::span::Span;
use crate::value::{Val, Value};

/// Every finding about the values `env()` reads in profile `id`, each with
/// the note "needed to build profile `NAME`" last. Nothing when the host
/// gives stand-ins instead of values ([`Host::env_is_real`]); a variable
/// that is not set is left to the caller (B0401).
#[must_use]
pub fn profile(
    resolved: &Resolved,
    id: ProfileId,
    schema: &Schema,
    host: &dyn Host,
) -> Vec<Diagnostic> {
    if !host.env_is_real() {
        return Vec::new();
    }
    let Some(eff) = resolved.effective[id.index()].as_ref() else {
        return Vec::new();
    };
    let mut walk = Walk {
        schema,
        host,
        found: Vec::new(),
    };
    for (key, ev) in eff.keys() {
        let Some(def) = schema.key(key) else { continue };
        let ctx = Ctx::key(schema, &def.name, def.secret, false);
        walk.value(&ev.value, &def.ty, &ctx);
    }
    let note = format!("needed to build profile `{}`", resolved.profile(id).name);
    walk.found
        .into_iter()
        .map(|d| d.note(note.clone()))
        .collect()
}

/// A walk of one profile's values by their schema type.
struct Walk<'a> {
    schema: &'a Schema,
    host: &'a dyn Host,
    found: Vec<Diagnostic>,
}

impl Walk<'_> {
    /// Checks every value `env()` reads inside `v`, a value of type `ty` at
    /// `ctx`, choosing union variants as the checker does. Returns whether
    /// `v` reads any.
    fn value(&mut self, v: &Val, ty: &TypeDef, ctx: &Ctx<'_>) -> bool {
        match (&v.kind, ty) {
            (_, TypeDef::Union { variants }) => match types::variant_for(v, variants) {
                Some(t) => self.value(v, t, ctx),
                // `polc check` reported the value.
                None => reads_env(v),
            },
            (Value::Env(name), _) => {
                if let Some(text) = self.host.env(name) {
                    self.text(name, &text, v.span, ty, ctx);
                }
                true
            }
            (Value::List(items), TypeDef::List { items: ty, .. }) => {
                let mut any = false;
                for (i, item) in items.iter().enumerate() {
                    any |= self.value(item, ty, &ctx.child(Seg::Index(i), false));
                }
                any
            }
            (Value::Object(fields), TypeDef::Map { values, .. }) => {
                let mut any = false;
                for f in fields.iter() {
                    any |= self.value(&f.value, values, &ctx.child(Seg::Name(&f.name), false));
                }
                any
            }
            (Value::Object(fields), TypeDef::Object { name }) => {
                let Some(object) = self.schema.object_type(name) else {
                    return reads_env(v);
                };
                let mut any = false;
                for f in fields.iter() {
                    any |= match object.fields.iter().find(|d| *d.name == *f.name) {
                        Some(def) => self.value(
                            &f.value,
                            &def.ty,
                            &ctx.child(Seg::Name(&f.name), def.secret),
                        ),
                        // A field of an open object: no type to check it by.
                        None => reads_env(&f.value),
                    };
                }
                any
            }
            _ => reads_env(v),
        }
    }

    /// Checks `text`, the value of variable `name` read at `span`, as a
    /// value of `ty` at `ctx`.
    fn text(&mut self, name: &str, text: &str, span: Span, ty: &TypeDef, ctx: &Ctx<'_>) {
        for problem in types::text_problems(text, ty) {
            let path = ctx.path();
            self.found.push(match problem {
                // The schema's words about a deprecated value (its
                // replacement, its note) would tell which one a secret is.
                TextProblem::Deprecated(_) if ctx.secret => Diagnostic::new(
                    Code::DeprecatedValue,
                    format!(
                        "the value of environment variable `{name}` is a deprecated value of `{path}`"
                    ),
                )
                .primary(span, "deprecated")
                .help(format!(
                    "`polc schema {}` names the replacements of its deprecated values",
                    ctx.root_key()
                )),
                TextProblem::Deprecated(dep) => types::deprecation(
                    Code::DeprecatedValue,
                    format!(
                        "the value of environment variable `{name}` is a deprecated value of `{path}`"
                    ),
                    span,
                    &dep.deprecation,
                ),
                problem => {
                    let mut help = format!(
                        "correct `{name}` in the environment of `polc build` (its value is not shown: it may be a secret)"
                    );
                    if matches!(problem, TextProblem::NotAllowed(values) if values.len() > 6) {
                        help.push_str(&format!(
                            "; `polc schema {}` lists the allowed values",
                            ctx.root_key()
                        ));
                    }
                    Diagnostic::new(
                        Code::InvalidEnvValue,
                        format!(
                            "the value of environment variable `{name}` is not valid for `{path}`: it {}",
                            problem.hidden()
                        ),
                    )
                    .primary(span, format!("`{path}` reads it"))
                    .help(help)
                }
            });
        }
    }
}

/// Whether a value reads `env()` anywhere inside.
fn reads_env(v: &Val) -> bool {
    match &v.kind {
        Value::Env(_) => true,
        Value::List(items) => items.iter().any(reads_env),
        Value::Object(fields) => fields.iter().any(|f| reads_env(&f.value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::host::MemoryHost;
    use crate::source::{FileId, SourceSet};

    /// A schema with a secret key whose type has a deprecated value, and an
    /// object with a secret field of a limited length.
    const SCHEMA: &str = r#"{
      "format_version": 1, "application": "Test", "domain": "com.example.test",
      "sections": [ { "id": "main", "title": "Main" } ],
      "types": {
        "Login": { "doc": "A login.", "fields": [
          { "name": "user", "type": { "type": "string" }, "doc": "Who." },
          { "name": "token", "type": { "type": "string", "min_length": 8 }, "secret": true, "doc": "The token." }
        ] }
      },
      "keys": [
        { "name": "mode", "section": "main", "secret": true, "doc": "A mode.", "availability": "managed",
          "type": { "type": "string", "enum": ["new"],
                    "deprecated_values": [ { "value": "old", "replaced_by": "new", "note": "`old` is read as `new`." } ] } },
        { "name": "logins", "section": "main", "doc": "Logins.", "availability": "managed",
          "type": { "type": "list", "items": { "type": "object", "ref": "Login" } } }
      ]
    }"#;

    fn findings(policy: &str, env: &[(&str, &str)]) -> Vec<Diagnostic> {
        let mut diags = crate::diag::Diagnostics::new();
        let schema = Schema::load(SCHEMA, FileId(0), &mut diags);
        let schema = schema.unwrap_or_else(|| panic!("{:?}", diags.into_sorted()));
        let sources = SourceSet::new(vec![("p.policy".into(), policy.as_bytes().to_vec())]);
        let mut host = MemoryHost::default();
        for (k, v) in env {
            host.env.insert((*k).to_string(), (*v).to_string());
        }
        let c = crate::compile(&sources, &schema, &host);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        profile(&c.resolved, c.resolved.find("p").unwrap(), &schema, &host)
    }

    #[test]
    fn a_deprecated_secret_from_env_is_a_warning_that_names_nothing_of_it() {
        let found = findings(
            "profile p {\n  meta { identifier = \"com.example.p\" }\n  mode = env(\"MODE\")\n}\n",
            &[("MODE", "old")],
        );
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert_eq!(d.code, Code::DeprecatedValue);
        assert_eq!(d.severity, crate::diag::Severity::Warning);
        assert_eq!(
            d.message,
            "the value of environment variable `MODE` is a deprecated value of `mode`"
        );
        assert_eq!(d.labels[0].message, "deprecated");
        assert_eq!(
            d.help.as_deref(),
            Some("`polc schema mode` names the replacements of its deprecated values")
        );
        assert_eq!(d.notes, ["needed to build profile `p`"]);
    }

    #[test]
    fn a_secret_field_from_env_is_checked_at_its_path_without_its_value() {
        let found = findings(
            "profile p {\n  meta { identifier = \"com.example.p\" }\n  logins = [{ user = \"a\", token = env(\"T\") }]\n}\n",
            &[("T", "short")],
        );
        let shown: Vec<(Code, &str)> = found.iter().map(|d| (d.code, d.message.as_str())).collect();
        assert_eq!(
            shown,
            [(
                Code::InvalidEnvValue,
                "the value of environment variable `T` is not valid for `logins[0].token`: it is shorter than 8 characters"
            )]
        );
        // A valid value, an unset variable and a stand-in give nothing.
        let policy = "profile p {\n  meta { identifier = \"com.example.p\" }\n  logins = [{ user = \"a\", token = env(\"T\") }]\n}\n";
        assert!(findings(policy, &[("T", "long enough")]).is_empty());
        assert!(findings(policy, &[]).is_empty());
    }
}
