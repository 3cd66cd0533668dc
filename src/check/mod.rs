//! The check stage: statements and effective configurations against the
//! schema.
//!
//! Two levels:
//! - every statement is checked once where it is written (unknown keys,
//!   types, enum values, ranges, formats, deprecations, plaintext secrets);
//!   abstract profiles get these checks too;
//! - every profile's effective configuration is checked for cross-key
//!   rules, provider completeness (concrete profiles only), dead keys of
//!   another provider, version gating and duplicates created by merging.
//!
//! A problem in an inherited line is reported once, with a note naming the
//! profiles it affects, not once per profile.

pub mod format;
pub mod meta;
pub mod rules;
pub mod types;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::resolve::{Effective, Op, ProfileId, Resolved, Statement};
use crate::schema::Schema;
use crate::schema::model::{KeyDef, Status, TypeDef};
use crate::span::Span;
use crate::suggest::did_you_mean;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use types::Ctx;

/// Checks every profile.
pub fn check(resolved: &Resolved, schema: &Schema, diags: &mut Diagnostics) {
    let mut seen: BTreeSet<(Span, Option<Span>)> = BTreeSet::new();
    for decl in &resolved.profiles {
        for st in &decl.statements {
            if seen.insert((st.span, st.value.as_ref().map(|v| v.span))) {
                check_statement(st, schema, diags);
            }
        }
    }
    let mut collector = Collector::default();
    for id in resolved.ids() {
        if let Some(eff) = &resolved.effective[id.index()] {
            check_effective(resolved, id, eff, schema, &mut collector);
        }
    }
    collector.finish(resolved, diags);
}

fn check_statement(st: &Statement, schema: &Schema, diags: &mut Diagnostics) {
    if st.is_meta() {
        meta::check_statement(st, diags);
        return;
    }
    let Some(def) = schema.key(&st.key) else {
        diags.push(unknown_key(st, schema));
        return;
    };
    status_lints(def, st, diags);
    let Some(v) = &st.value else { return };
    let ty = &def.ty;
    let ctx = Ctx::key(schema, &def.name, def.secret, false);
    match st.op {
        Op::Unset => {}
        Op::Set => {
            if def.secret && matches!(v.kind, Value::Str(_) | Value::Template(_)) {
                diags.push(types::plaintext_secret(&def.name, v.span));
            }
            types::check_value(v, ty, &ctx, diags);
        }
        Op::Append | Op::Remove => {
            let container = match ty {
                TypeDef::Union { variants } => variants.iter().find(|t| {
                    matches!(
                        t,
                        TypeDef::List { .. } | TypeDef::Map { .. } | TypeDef::Object { .. }
                    )
                }),
                other => Some(other).filter(|t| {
                    matches!(
                        t,
                        TypeDef::List { .. } | TypeDef::Map { .. } | TypeDef::Object { .. }
                    )
                }),
            };
            let Some(container) = container else {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidOperator,
                        format!("`{}` cannot be used on `{}`", st.op.as_str(), def.name),
                    )
                    .primary(
                        st.key_span,
                        format!("`{}` is {}", def.name, types::describe(ty, schema)),
                    )
                    .help("`+=` and `-=` work on lists and objects; use `=` to replace the value"),
                );
                return;
            };
            check_change(st.op, v, container, &ctx, diags);
        }
    }
}

/// Checks the value of a `+=` or `-=` against the container type.
fn check_change(
    op: Op,
    v: &crate::value::Val,
    container: &TypeDef,
    ctx: &Ctx<'_>,
    diags: &mut Diagnostics,
) {
    match (op, container) {
        (Op::Append, TypeDef::List { items, .. }) => match &v.kind {
            Value::List(_) => types::check_value(v, container, ctx, diags),
            _ => types::check_value(v, items, ctx, diags),
        },
        (Op::Append, TypeDef::Map { .. }) => types::check_value(v, container, ctx, diags),
        (Op::Append, TypeDef::Object { .. }) => {
            let partial = Ctx::key(ctx.schema, ctx.root_key(), ctx.secret, true);
            types::check_value(v, container, &partial, diags);
        }
        (
            Op::Remove,
            TypeDef::List {
                items, identity, ..
            },
        ) => {
            let targets: Vec<&crate::value::Val> = match &v.kind {
                Value::List(xs) => xs.iter().collect(),
                _ => vec![v],
            };
            for t in targets {
                let by_identity = identity.is_some() && matches!(t.kind, Value::Str(_));
                if !by_identity {
                    types::check_value(t, items, ctx, diags);
                }
            }
        }
        (Op::Remove, TypeDef::Map { .. } | TypeDef::Object { .. }) => {
            let targets: Vec<&crate::value::Val> = match &v.kind {
                Value::List(xs) => xs.iter().collect(),
                _ => vec![v],
            };
            for t in targets {
                if !matches!(t.kind, Value::Str(_)) {
                    diags.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("`-=` on `{}` takes the name of an entry", ctx.path()),
                        )
                        .primary(t.span, format!("this is {}", t.kind_name()))
                        .help("write the entry's key as a string, e.g. `-= \"X-Org-Id\"`"),
                    );
                }
            }
        }
        _ => {}
    }
}

fn unknown_key(st: &Statement, schema: &Schema) -> Diagnostic {
    let mut d = Diagnostic::new(Code::UnknownKey, format!("unknown key `{}`", st.key))
        .primary(st.key_span, "not a key of the schema");
    if let Some(k) = schema.key_by_alias(&st.key) {
        return d.help(format!("`{}` was renamed to `{}`", st.key, k.name));
    }
    if let Some(s) = did_you_mean(&st.key, schema.keys().iter().map(|k| k.name.as_str())) {
        d = d.help(format!("did you mean `{s}`?"));
    } else {
        d = d
            .help("`polc schema` lists every key; keys are the app's own managed-preference names");
    }
    d
}

fn status_lints(def: &KeyDef, st: &Statement, diags: &mut Diagnostics) {
    match def.status {
        Status::Documented => {}
        Status::Deprecated | Status::Removed => {
            let msg = if def.status == Status::Removed {
                format!("`{}` was removed: the app no longer reads it", def.name)
            } else {
                format!("`{}` is deprecated", def.name)
            };
            let dep = def
                .deprecated
                .clone()
                .unwrap_or(crate::schema::model::Deprecation {
                    since: None,
                    replaced_by: None,
                    cutoff: None,
                    note: None,
                });
            diags.push(types::deprecation(
                Code::DeprecatedKey,
                msg,
                st.key_span,
                &dep,
            ));
        }
        Status::FirstPartyOnly => diags.push(
            Diagnostic::new(
                Code::IgnoredKey,
                format!("`{}` has no effect with third-party inference", def.name),
            )
            .primary(st.key_span, "read only by standard (claude.ai) deployments")
            .help("remove it from third-party profiles"),
        ),
        Status::Unverified => diags.push(
            Diagnostic::new(
                Code::UnverifiedKey,
                format!("`{}` is not in the vendor's documentation", def.name),
            )
            .primary(
                st.key_span,
                "known only from third-party analysis of the app",
            )
            .help("it may do nothing on your app version; check it on a test device"),
        ),
    }
}

fn check_effective(
    resolved: &Resolved,
    id: ProfileId,
    eff: &Effective,
    schema: &Schema,
    out: &mut Collector,
) {
    let decl = resolved.profile(id);
    // A profile whose ancestry is incomplete (an unknown parent, or one in a
    // file that did not parse) is checked like an abstract one: what it
    // lacks may be in the missing ancestor.
    let concrete = !decl.is_abstract && !resolved.incomplete[id.index()];
    let mut diags = Diagnostics::new();
    let provider = schema
        .provider_key()
        .and_then(|pk| eff.get(pk).map(|ev| (pk, ev)))
        .and_then(|(pk, ev)| {
            ev.value
                .as_str()
                .map(|s| (pk, s.to_string(), ev.last_span()))
        });
    let min_version = eff
        .meta("min_app_version")
        .and_then(|ev| ev.value.as_str())
        .map(str::to_string);
    let mut app_behavior_only = true;
    let mut any_key = false;
    for (key, ev) in eff.keys() {
        any_key = true;
        let Some(def) = schema.key(key) else { continue };
        app_behavior_only &= def.app_behavior;
        let set_at = ev.steps.first().map_or(ev.value.span, |s| s.span);
        if let Some((pk, p, pspan)) = &provider {
            if !def.providers.is_empty() && !def.providers.iter().any(|x| x == p) {
                diags.push(
                    Diagnostic::new(Code::InactiveProviderKey, format!("`{key}` has no effect with provider `{p}`"))
                        .primary(set_at, format!("only read for {}", def.providers.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")))
                        .secondary(*pspan, format!("`{pk}` is `{p}` here"))
                        .help(format!("the app ignores keys of other providers: `unset {key}` in this profile, or move it to the profiles that use that provider")),
                );
            }
        }
        if let (Some(min), Some(since)) = (&min_version, &def.since) {
            if version_lt(min, since) {
                diags.push(
                    Diagnostic::new(Code::KeyNewerThanFleet, format!("`{key}` needs app version {since}, newer than the fleet's minimum {min}"))
                        .primary(set_at, format!("read from {since} on"))
                        .help("older apps ignore the key: raise `meta.min_app_version` once the fleet is updated, or accept that older devices ignore it"),
                );
            }
        }
        if ev.steps.len() > 1 {
            if let Some(items) = ev.value.as_list() {
                let identity = match &def.ty {
                    TypeDef::List { identity, .. } => identity.as_deref(),
                    TypeDef::Union { variants } => variants.iter().find_map(|v| match v {
                        TypeDef::List { identity, .. } => identity.as_deref(),
                        _ => None,
                    }),
                    _ => None,
                };
                types::duplicates(items, identity, false, &|| key.to_string(), &mut diags);
            }
        }
    }
    let lookup = rules::EffLookup { eff };
    let where_ = || format!("in `{}`", decl.name);
    for rule in schema.rules() {
        rules::check_rule(rule, &lookup, concrete, decl.name_span, &where_, &mut diags);
    }
    if concrete {
        if eff.meta("identifier").is_none() {
            diags.push(
                Diagnostic::new(Code::MissingIdentifier, format!("concrete profile `{}` has no `meta.identifier`", decl.name))
                    .primary(decl.name_span, "no identifier")
                    .help("set `meta { identifier = \"com.example.claude.${profile}\" }` here or in a parent; MDM tells profiles apart by it"),
            );
        }
        if any_key && app_behavior_only {
            diags.push(
                Diagnostic::new(Code::AppBehaviorOnly, format!("`{}` sets only app-behavior keys", decl.name))
                    .primary(decl.name_span, "update, relaunch, re-check and proxy keys only")
                    .note("a managed profile with only these keys leaves the local configuration in force and the configuration window editable")
                    .help("this is fine for an update-policy-only profile; add a connection key if the profile should own the configuration"),
            );
        }
    }
    for d in diags.into_sorted() {
        out.add(d, id, decl.span);
    }
}

/// Compares dotted version numbers numerically: whether `a < b`.
#[must_use]
pub fn version_lt(a: &str, b: &str) -> bool {
    let parse = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) < parse(b)
}

/// Merges per-profile diagnostics that point at the same place.
/// Diagnostics keyed by (code, message, primary span), with the profiles
/// they were found in and whether the place is inherited by some of them.
type Merged = BTreeMap<(Code, String, Option<Span>), (Diagnostic, Vec<ProfileId>, bool)>;

#[derive(Default)]
struct Collector {
    items: Merged,
}

impl Collector {
    fn add(&mut self, d: Diagnostic, profile: ProfileId, profile_span: Span) {
        let inherited = d.primary_span().is_some_and(|s| !profile_span.contains(s));
        let key = (d.code, d.message.clone(), d.primary_span());
        let entry = self
            .items
            .entry(key)
            .or_insert_with(|| (d, Vec::new(), false));
        entry.1.push(profile);
        entry.2 |= inherited;
    }

    fn finish(self, resolved: &Resolved, diags: &mut Diagnostics) {
        for (_, (mut d, profiles, inherited)) in self.items {
            if inherited || profiles.len() > 1 {
                let what = if profiles.len() == 1 {
                    "in profile"
                } else {
                    "in profiles"
                };
                d = d.note(format!(
                    "{what} {}",
                    crate::resolve::replay::name_list(resolved, &profiles)
                ));
            }
            diags.push(d);
        }
    }
}
