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
//! The schema's rules (cross-key rules, and the rules of object types) see
//! such a value as set but equal to nothing, so a rule whose outcome depends
//! on it (`inferenceProvider = env("P")` and "provider `gateway` needs
//! `inferenceGatewayBaseUrl`") is not decided by `polc check`. Every rule
//! that compares a value read with `env()` is evaluated again with the
//! values; what it finds that the check did not is reported: B0405 for an
//! error rule, the checker's warning (L0310) for a warning rule.
//!
//! Every message names the variable and the path of the value
//! (`managedMcpServers[0].url`), never the value.

use super::rules::{self, EffLookup, Lookup, ObjectLookup};
use super::types::{self, Ctx, Seg, TextProblem};
use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::host::Host;
use crate::resolve::{KeyIds, ProfileId, Resolved};
use crate::schema::Schema;
use crate::schema::model::{Cond, Rule, TypeDef};
use crate::span::Span;
use crate::value::{Field, Val, Value};
use std::borrow::Cow;

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
    // The keys that read `env()` and whose values a rule compares (most
    // often none: `env()` mostly reads secrets, which rules only require).
    let mut compared: Vec<&str> = Vec::new();
    for (key, ev) in eff.keys() {
        let Some(def) = schema.key(key) else { continue };
        let ctx = Ctx::key(schema, &def.name, def.secret, false);
        if walk.value(&ev.value, &def.ty, &ctx) && schema.rules_compare(key) {
            compared.push(key);
        }
    }
    let decl = resolved.profile(id);
    if !compared.is_empty() {
        let ids = KeyIds::new(&resolved.keys);
        let lookup = EffLookup { eff, ids: &ids };
        // As `polc check` decides: an abstract profile, or one whose
        // ancestry is incomplete, is not checked for completeness.
        let concrete = !decl.is_abstract && !resolved.incomplete[id.index()];
        let where_ = || format!("in `{}`", decl.name);
        for rule in schema.rules() {
            walk.rule(rule, &lookup, concrete, decl.name_span, &where_);
        }
    }
    let note = format!("needed to build profile `{}`", decl.name);
    walk.found
        .into_iter()
        .map(|d| d.note(note.clone()))
        .collect()
}

/// A walk of one profile's values by their schema type. It descends as
/// [`types::check_value`] does (a union's variant chosen by the value's
/// kind, paths through [`Ctx`]), whose checks it repeats for what `env()`
/// reads; the other walkers by type, `redact` and `import`'s secrets to
/// `env()`, rebuild or rewrite values at secret fields and try every
/// variant of a union, so they share the schema's shape with it but not
/// their work.
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
                if any {
                    let lookup = ObjectLookup { object: v };
                    let where_ = || format!("in {}", types::article(name));
                    for rule in &object.rules {
                        self.rule(rule, &lookup, true, v.span, &where_);
                    }
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

    /// Evaluates `rule` again with the values `env()` reads, if it compares
    /// any (at `lookup`, as `polc check` saw them), and reports what it finds
    /// that the check did not. `concrete`, `anchor` and `where_` are as for
    /// [`rules::check_rule`].
    fn rule<'p>(
        &mut self,
        rule: &'p Rule,
        lookup: &dyn Lookup<'p>,
        concrete: bool,
        anchor: Span,
        where_: &dyn Fn() -> String,
    ) {
        let values: Vec<Cow<'_, Val>> = rule
            .conds()
            .flat_map(Cond::compared_paths)
            .filter_map(|p| lookup.get(p).map(|(v, _)| v))
            .collect();
        let mut names: Vec<&str> = Vec::new();
        for v in &values {
            env_names(v, self.host, &mut names);
        }
        if names.is_empty() {
            return;
        }
        let mut seen = Diagnostics::new();
        rules::check_rule(rule, lookup, concrete, anchor, where_, &mut seen);
        if !seen.into_sorted().is_empty() {
            // `polc check` reported it.
            return;
        }
        let read = WithEnv {
            inner: lookup,
            host: self.host,
        };
        let mut found = Diagnostics::new();
        rules::check_rule(rule, &read, concrete, anchor, where_, &mut found);
        names.sort_unstable();
        names.dedup();
        let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let note = match listed.as_slice() {
            [one] => {
                format!("decided by the value of environment variable {one}, which is not shown")
            }
            many => format!(
                "decided by the values of environment variables {}, which are not shown",
                many.join(", ")
            ),
        };
        for mut d in found.into_sorted() {
            if d.severity == Severity::Error {
                d.code = Code::EnvRuleViolation;
            }
            self.found.push(d.note(note.clone()));
        }
    }
}

/// The variables `v` reads that are set.
fn env_names<'v>(v: &'v Val, host: &dyn Host, out: &mut Vec<&'v str>) {
    match &v.kind {
        Value::Env(name) if host.env(name).is_some() => out.push(name),
        Value::List(items) => items.iter().for_each(|i| env_names(i, host, out)),
        Value::Object(fields) => fields.iter().for_each(|f| env_names(&f.value, host, out)),
        _ => {}
    }
}

/// A lookup that gives the values `env()` reads in place of the calls (a
/// variable that is not set stays a call), and never lets a message quote
/// them.
struct WithEnv<'l, 'p> {
    inner: &'l dyn Lookup<'p>,
    host: &'l dyn Host,
}

impl<'p> Lookup<'p> for WithEnv<'_, 'p> {
    fn get(&self, path: &'p str) -> Option<(Cow<'_, Val>, Span)> {
        let (v, span) = self.inner.get(path)?;
        Some(match with_env(&v, self.host) {
            Some(read) => (Cow::Owned(read), span),
            None => (v, span),
        })
    }

    fn may_quote(&self, path: &'p str) -> bool {
        self.inner.get(path).is_none_or(|(v, _)| !reads_env(&v))
    }
}

/// `v` with the values of the variables it reads in place of the calls, or
/// `None` when it reads none that is set.
fn with_env(v: &Val, host: &dyn Host) -> Option<Val> {
    let kind = match &v.kind {
        Value::Env(name) => Value::Str(host.env(name)?.into()),
        Value::List(items) => {
            let read: Vec<Option<Val>> = items.iter().map(|i| with_env(i, host)).collect();
            if read.iter().all(Option::is_none) {
                return None;
            }
            Value::List(
                read.into_iter()
                    .zip(items.iter())
                    .map(|(r, i)| r.unwrap_or_else(|| i.clone()))
                    .collect(),
            )
        }
        Value::Object(fields) => {
            let read: Vec<Option<Val>> = fields.iter().map(|f| with_env(&f.value, host)).collect();
            if read.iter().all(Option::is_none) {
                return None;
            }
            Value::Object(
                read.into_iter()
                    .zip(fields.iter())
                    .map(|(r, f)| Field {
                        name: f.name.clone(),
                        name_span: f.name_span,
                        value: r.unwrap_or_else(|| f.value.clone()),
                        repeated: Vec::new(),
                    })
                    .collect(),
            )
        }
        _ => return None,
    };
    Some(Val::new(kind, v.span))
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
        findings_with(&schema, policy, env)
    }

    fn findings_with(schema: &Schema, policy: &str, env: &[(&str, &str)]) -> Vec<Diagnostic> {
        let sources = SourceSet::new(vec![("p.policy".into(), policy.as_bytes().to_vec())]);
        let mut host = MemoryHost::default();
        for (k, v) in env {
            host.env.insert((*k).to_string(), (*v).to_string());
        }
        let c = crate::compile(&sources, schema, &host);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        profile(&c.resolved, c.resolved.find("p").unwrap(), schema, &host)
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

    /// The labels of a diagnostic, as (message, primary).
    fn labels(d: &Diagnostic) -> Vec<(&str, bool)> {
        d.labels
            .iter()
            .map(|l| (l.message.as_str(), l.primary))
            .collect()
    }

    #[test]
    fn a_rule_decided_by_env_quotes_the_literals_but_not_the_values() {
        let schema = Schema::builtin();
        let policy = "profile p {\n  meta { identifier = \"com.example.p\" }\n  inferenceProvider = env(\"P\")\n  \
                      inferenceGatewayBaseUrl = \"https://llm.example.com\"\n  inferenceCredentialKind = \"static\"\n}\n";
        let found = findings_with(&schema, policy, &[("P", "gateway")]);
        let shown: Vec<(Code, &str)> = found.iter().map(|d| (d.code, d.message.as_str())).collect();
        assert_eq!(
            shown,
            [
                (
                    Code::EnvRuleViolation,
                    "no credential configured for provider \"gateway\": set inferenceCredentialKind or one of the credential fields"
                ),
                (
                    Code::EnvRuleViolation,
                    "inferenceCredentialKind \"static\" needs inferenceGatewayApiKey"
                ),
            ]
        );
        assert_eq!(
            labels(&found[1]),
            [
                ("`inferenceGatewayApiKey` is not set in `p`", true),
                ("`inferenceProvider` is set here", false),
                ("`inferenceCredentialKind` is `static` here", false),
            ]
        );
        assert_eq!(
            found[1].notes,
            [
                "rule `gateway-static-needs-api-key`",
                "decided by the value of environment variable `P`, which is not shown",
                "needed to build profile `p`",
            ]
        );
        // Another provider: the gateway's rules do not apply.
        assert!(findings_with(&schema, policy, &[("P", "anthropic")]).is_empty());
        // Not set: B0401 is the caller's, and no rule is decided.
        assert!(findings_with(&schema, policy, &[]).is_empty());
    }

    /// A rule that `polc check` reported with the value unknown (it takes a
    /// value read with `env()` for different from every value) is not
    /// reported again at build, whatever the value.
    #[test]
    fn a_rule_the_check_reported_is_not_reported_again() {
        let mut diags = crate::diag::Diagnostics::new();
        let text = SCHEMA.replacen(
            r#""keys": ["#,
            r#""rules": [ { "id": "not-new-needs-logins", "kind": "implies", "when": { "ne": ["mode", "new"] },
                           "then": { "set": "logins" }, "severity": "warning", "message": "mode other than new needs logins" } ],
               "keys": ["#,
            1,
        );
        let schema = Schema::load(&text, FileId(0), &mut diags);
        let schema = schema.unwrap_or_else(|| panic!("{:?}", diags.into_sorted()));
        let policy =
            "profile p {\n  meta { identifier = \"com.example.p\" }\n  mode = env(\"MODE\")\n}\n";
        let sources = SourceSet::new(vec![("p.policy".into(), policy.as_bytes().to_vec())]);
        let c = crate::compile(&sources, &schema, &MemoryHost::default());
        let at_check: Vec<&str> = c.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(at_check, ["mode other than new needs logins"]);
        for value in ["new", "old"] {
            let found = findings_with(&schema, policy, &[("MODE", value)]);
            let found: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
            let expected: &[&str] = if value == "old" {
                &["the value of environment variable `MODE` is a deprecated value of `mode`"]
            } else {
                &[]
            };
            assert_eq!(found, expected, "{value}");
        }
    }
}
