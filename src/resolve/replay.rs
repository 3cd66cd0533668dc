//! Statement replay: the effective configuration of every profile.
//!
//! For a profile P, the statements of every profile in P's linearization are
//! applied in order (ancestors first, P last). Values are shared, not copied:
//! an inherited list is the same allocation in every descendant until a
//! descendant changes it.

use super::{EffValue, Effective, Op, ProfileId, Resolved, Step};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::schema::Schema;
use crate::schema::model::TypeDef;
use crate::span::Span;
use crate::value::{Field, Val, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Computes the effective configuration of every profile not broken by a
/// cycle or a duplicate name, and reports ambiguities, discarded changes,
/// removals of nothing and redundant overrides.
pub fn replay_all(resolved: &mut Resolved, schema: &Schema, diags: &mut Diagnostics) {
    let ids: Vec<ProfileId> = resolved.ids().collect();
    let view: &Resolved = resolved;
    let parts = crate::par::chunks(&ids, |chunk, _| {
        let mut ctx = Context::new(schema);
        let mut local = Diagnostics::new();
        let mut scratch = Scratch::new(view);
        let effective: Vec<Option<Effective>> = chunk
            .iter()
            .map(|&id| {
                (!view.linearization[id.index()].is_empty())
                    .then(|| replay_one(view, id, &mut ctx, &mut scratch, &mut local))
            })
            .collect();
        (effective, ctx, local)
    });
    let mut merged = Context::new(schema);
    let mut effective = Vec::with_capacity(ids.len());
    for (effs, ctx, local) in parts {
        effective.extend(effs);
        merged.merge(ctx);
        diags.extend(local.into_sorted());
    }
    resolved.effective = effective;
    merged.finish(resolved, diags);
}

/// Per-key state during one replay. Slots live in a [`Scratch`] reused from
/// one profile to the next, so their vectors keep their capacity.
#[derive(Default)]
struct Slot {
    /// Whether a statement of the current profile's replay touched the key.
    active: bool,
    value: Option<Val>,
    steps: Vec<Step>,
    /// The `=` / `unset` statements not overridden by a descendant:
    /// (profile, statement span, value).
    frontier: Vec<(ProfileId, Span, Option<Val>)>,
    /// `+=`, `-=` and `unset` since the last `=`: (profile, statement span, op).
    changes: Vec<(ProfileId, Span, Op)>,
    /// The profile that last set the value (for redundant-override checks).
    setter: Option<ProfileId>,
}

struct Removal {
    removed_something: bool,
    replayed_in_concrete: bool,
    key: Arc<str>,
    owner: ProfileId,
}

/// A key and the two conflicting assignments (statement span, profile).
type AmbiguityKey = (Arc<str>, (Span, ProfileId), (Span, ProfileId));

/// An `=` that discarded an unrelated profile's change, first seen while
/// replaying `profile`.
struct Discard {
    profile: ProfileId,
    setter: ProfileId,
    changer: ProfileId,
    op: Op,
    key: Arc<str>,
    key_span: Span,
}

/// What one replay worker found, merged in profile order afterwards.
struct Context<'s> {
    schema: &'s Schema,
    /// (key, first assignment, second assignment) → profiles affected.
    ambiguities: BTreeMap<AmbiguityKey, Vec<ProfileId>>,
    /// (the `=`, the discarded change) → where it was first seen.
    discarded: BTreeMap<(Span, Span), Discard>,
    removals: BTreeMap<Span, Removal>,
}

impl<'s> Context<'s> {
    fn new(schema: &'s Schema) -> Self {
        Context {
            schema,
            ambiguities: BTreeMap::new(),
            discarded: BTreeMap::new(),
            removals: BTreeMap::new(),
        }
    }

    /// Adds a later chunk's findings (profiles of `other` come after ours).
    fn merge(&mut self, other: Context<'_>) {
        for (k, v) in other.ambiguities {
            self.ambiguities.entry(k).or_default().extend(v);
        }
        for (k, v) in other.discarded {
            self.discarded.entry(k).or_insert(v);
        }
        for (k, v) in other.removals {
            match self.removals.get_mut(&k) {
                Some(r) => {
                    r.removed_something |= v.removed_something;
                    r.replayed_in_concrete |= v.replayed_in_concrete;
                }
                None => {
                    self.removals.insert(k, v);
                }
            }
        }
    }
}

/// Reusable per-worker state: one slot per key, the keys touched by the
/// current replay, and shared provenance for values inherited unchanged.
struct Scratch {
    slots: Vec<Slot>,
    touched: Vec<u32>,
    /// `[Step]` of a value set by one `=` and not changed since, by the
    /// statement's span: every profile inheriting it shares one allocation.
    single: BTreeMap<(Span, ProfileId), Arc<[Step]>>,
}

impl Scratch {
    fn new(resolved: &Resolved) -> Self {
        Scratch {
            slots: (0..resolved.keys.len()).map(|_| Slot::default()).collect(),
            touched: Vec::new(),
            single: BTreeMap::new(),
        }
    }
}

fn replay_one(
    resolved: &Resolved,
    id: ProfileId,
    ctx: &mut Context<'_>,
    scratch: &mut Scratch,
    diags: &mut Diagnostics,
) -> Effective {
    let me = resolved.profile(id);
    let order = &resolved.linearization[id.index()];
    let is_ancestor_or_self =
        |a: ProfileId, of: ProfileId| resolved.linearization[of.index()].contains(&a);
    let bind = |st: &super::Statement, v: &Val| {
        if st.templated {
            v.bind_profile(&me.name)
        } else {
            v.clone()
        }
    };
    for &q in order {
        for st in &resolved.profile(q).statements {
            let Some(slot) = scratch.slots.get_mut(st.key_id as usize) else {
                continue;
            };
            if !slot.active {
                slot.active = true;
                scratch.touched.push(st.key_id);
            }
            let step = Step {
                profile: q,
                op: st.op,
                span: st.span,
            };
            match st.op {
                Op::Set => {
                    let Some(v) = &st.value else { continue };
                    let v = bind(st, v);
                    for &(p, span, op) in &slot.changes {
                        if !is_ancestor_or_self(p, q) {
                            ctx.discarded
                                .entry((st.span, span))
                                .or_insert_with(|| Discard {
                                    profile: id,
                                    setter: q,
                                    changer: p,
                                    op,
                                    key: st.key.clone(),
                                    key_span: st.key_span,
                                });
                        }
                    }
                    if q == id
                        && let (Some(old), Some(setter)) = (&slot.value, slot.setter)
                        && setter != id
                        && old.same(&v)
                    {
                        let from = slot.steps.first().map_or(old.span, |s| s.span);
                        diags.push(
                            Diagnostic::new(
                                Code::RedundantOverride,
                                format!(
                                    "`{}` is set to the value it already inherits",
                                    display_key(&st.key)
                                ),
                            )
                            .primary(st.span, "same value as inherited")
                            .secondary(
                                from,
                                format!("inherited from `{}`", resolved.profile(setter).name),
                            )
                            .help("remove this line; the profile inherits the value already"),
                        );
                    }
                    slot.frontier
                        .retain(|(p, _, _)| !is_ancestor_or_self(*p, q));
                    slot.frontier.push((q, st.span, Some(v.clone())));
                    slot.changes.clear();
                    slot.value = Some(v);
                    slot.steps.clear();
                    slot.steps.push(step);
                    slot.setter = Some(q);
                }
                Op::Unset => {
                    slot.frontier
                        .retain(|(p, _, _)| !is_ancestor_or_self(*p, q));
                    slot.frontier.push((q, st.span, None));
                    slot.changes.push((q, st.span, Op::Unset));
                    slot.value = None;
                    slot.steps.clear();
                    slot.setter = None;
                }
                Op::Append => {
                    let Some(v) = &st.value else { continue };
                    let v = bind(st, v);
                    if let Some(new) = append(slot.value.as_ref(), &v, ctx.schema, &st.key) {
                        slot.value = Some(new);
                        slot.steps.push(step);
                        slot.changes.push((q, st.span, Op::Append));
                    }
                }
                Op::Remove => {
                    let Some(v) = &st.value else { continue };
                    let (new, removed) = remove(slot.value.as_ref(), v, ctx.schema, &st.key);
                    // `-=` on a scalar is reported by the checker, not as "nothing to remove".
                    let container = match (
                        slot.value.as_ref().map(|c| &c.kind),
                        key_type(ctx.schema, &st.key),
                    ) {
                        (Some(Value::List(_) | Value::Object(_)), _) => true,
                        (Some(_), _) => false,
                        (None, Some(t)) => matches!(
                            t,
                            TypeDef::List { .. }
                                | TypeDef::Map { .. }
                                | TypeDef::Object { .. }
                                | TypeDef::Union { .. }
                        ),
                        (None, None) => true,
                    };
                    if !container {
                        continue;
                    }
                    let r = ctx.removals.entry(st.span).or_insert_with(|| Removal {
                        removed_something: false,
                        replayed_in_concrete: false,
                        key: st.key.clone(),
                        owner: q,
                    });
                    r.removed_something |= removed;
                    r.replayed_in_concrete |= !me.is_abstract;
                    if removed {
                        slot.value = new;
                        slot.steps.push(step);
                    }
                    slot.changes.push((q, st.span, Op::Remove));
                }
            }
        }
    }

    // Key ids are numbered in sorted key order, so sorting the ids sorts the
    // entries.
    scratch.touched.sort_unstable();
    let mut values = Vec::with_capacity(scratch.touched.len());
    for &k in &scratch.touched {
        let slot = &mut scratch.slots[k as usize];
        let key = &resolved.keys[k as usize];
        ambiguity(key, slot, id, ctx);
        if let Some(value) = slot.value.take() {
            let steps = match slot.steps.as_slice() {
                [one] if one.op == Op::Set => scratch
                    .single
                    .entry((one.span, one.profile))
                    .or_insert_with(|| Arc::from(slot.steps.as_slice()))
                    .clone(),
                _ => Arc::from(slot.steps.as_slice()),
            };
            values.push((k, key.clone(), EffValue { value, steps }));
        }
        slot.active = false;
        slot.steps.clear();
        slot.frontier.clear();
        slot.changes.clear();
        slot.setter = None;
    }
    scratch.touched.clear();
    Effective::from_sorted(values)
}

fn ambiguity(key: &Arc<str>, slot: &Slot, id: ProfileId, ctx: &mut Context<'_>) {
    if slot.frontier.len() < 2 {
        return;
    }
    let first = &slot.frontier[0];
    for other in &slot.frontier[1..] {
        let differ = match (&first.2, &other.2) {
            (Some(a), Some(b)) => !a.same(b),
            (None, None) => false,
            _ => true,
        };
        if differ {
            ctx.ambiguities
                .entry((key.clone(), (first.1, first.0), (other.1, other.0)))
                .or_default()
                .push(id);
            return;
        }
    }
}

impl Context<'_> {
    fn finish(self, resolved: &Resolved, diags: &mut Diagnostics) {
        for ((key, (a, pa), (b, pb)), profiles) in self.ambiguities {
            let Some(&first) = profiles.first() else {
                continue;
            };
            let p = resolved.profile(first);
            let (oa, ob) = (&resolved.profile(pa).name, &resolved.profile(pb).name);
            let mut d = Diagnostic::new(
                Code::AmbiguousInheritance,
                format!("`{}` is set differently by two unrelated parents", display_key(&key)),
            )
            .primary(p.name_span, format!("`{}` inherits both", p.name))
            .secondary(a, format!("set by `{oa}`"))
            .secondary(b, format!("set by `{ob}`"))
            .note("neither parent extends the other, so the result would depend on the order of `extends`");
            if profiles.len() > 1 {
                d = d.note(format!("also in {}", name_list(resolved, &profiles[1..])));
            }
            diags.push(d.help(format!(
                "set `{}` in the profile itself to decide",
                display_key(&key)
            )));
        }
        for ((_, span), d) in self.discarded {
            let (me, setter, changer) = (
                resolved.profile(d.profile),
                resolved.profile(d.setter),
                resolved.profile(d.changer),
            );
            diags.push(
                Diagnostic::new(
                    Code::DiscardedChange,
                    format!("this `=` discards the `{}` of `{}` made by an unrelated profile", d.op.as_str(), d.key),
                )
                .primary(d.key_span, format!("`{}` replaces the whole value here", setter.name))
                .secondary(span, format!("`{}` of `{}` is lost", d.op.as_str(), changer.name))
                .note(format!("in `{}`, `{}` is applied after `{}`", me.name, setter.name, changer.name))
                .help("reorder `extends` so the change applies after this assignment, or repeat the change in the profile"),
            );
        }
        for (span, r) in self.removals {
            if r.removed_something {
                continue;
            }
            let owner = resolved.profile(r.owner);
            diags.push(
                Diagnostic::new(Code::NothingToRemove, format!("`-=` on `{}` removes nothing", display_key(&r.key)))
                    .primary(span, if r.replayed_in_concrete {
                        "no profile that uses this statement has this value".to_string()
                    } else {
                        format!("`{}` does not inherit this value", owner.name)
                    })
                    .help("the parent probably changed: remove this line, or check the value being removed"),
            );
        }
    }
}

/// Lists up to five profile names, then a count.
pub(crate) fn name_list(resolved: &Resolved, ids: &[ProfileId]) -> String {
    let mut names: Vec<String> = ids
        .iter()
        .take(5)
        .map(|p| format!("`{}`", resolved.profile(*p).name))
        .collect();
    if ids.len() > 5 {
        names.push(format!("and {} more", ids.len() - 5));
    }
    names.join(", ")
}

/// `meta.identifier` is shown as `meta.identifier`, keys as themselves.
fn display_key(key: &str) -> &str {
    key
}

/// The schema type of a key (for meta fields and unknown keys, `None`).
fn key_type<'s>(schema: &'s Schema, key: &str) -> Option<&'s TypeDef> {
    schema.key(key).map(|k| &k.ty)
}

fn resolve_union<'s>(ty: &'s TypeDef, want: &str) -> Option<&'s TypeDef> {
    match ty {
        TypeDef::Union { variants } => variants
            .iter()
            .find(|v| crate::schema::type_kind(v) == want),
        other => Some(other),
    }
}

/// `+=`: append to a list, or add/replace object entries.
fn append(current: Option<&Val>, rhs: &Val, schema: &Schema, key: &str) -> Option<Val> {
    let ty = key_type(schema, key);
    let start_kind = match (current.map(|c| &c.kind), ty) {
        (Some(Value::List(_)), _) => "list",
        (Some(Value::Object(_)), _) => "object",
        (Some(_), _) => return None,
        (None, Some(t)) => match t {
            TypeDef::List { .. } => "list",
            TypeDef::Map { .. } | TypeDef::Object { .. } => "object",
            TypeDef::Union { variants }
                if variants.iter().any(|v| matches!(v, TypeDef::List { .. })) =>
            {
                "list"
            }
            _ => return None,
        },
        (None, None) => match rhs.kind {
            Value::Object(_) => "object",
            _ => "list",
        },
    };
    match start_kind {
        "list" => {
            let mut items: Vec<Val> = current
                .and_then(Val::as_list)
                .map(<[Val]>::to_vec)
                .unwrap_or_default();
            match &rhs.kind {
                Value::List(new) => items.extend(new.iter().cloned()),
                _ => items.push(rhs.clone()),
            }
            Some(Val::new(Value::List(items.into()), rhs.span))
        }
        _ => {
            let Value::Object(new) = &rhs.kind else {
                return None;
            };
            let mut fields: Vec<Field> = current
                .and_then(Val::as_object)
                .map(<[Field]>::to_vec)
                .unwrap_or_default();
            for f in new.iter() {
                if let Some(existing) = fields.iter_mut().find(|e| e.name == f.name) {
                    *existing = f.clone();
                } else {
                    fields.push(f.clone());
                }
            }
            Some(Val::new(Value::Object(fields.into()), rhs.span))
        }
    }
}

/// `-=`: remove list elements (by value or identity) or object entries.
/// Returns the new value and whether anything was removed.
fn remove(current: Option<&Val>, rhs: &Val, schema: &Schema, key: &str) -> (Option<Val>, bool) {
    let Some(cur) = current else {
        return (None, false);
    };
    let targets: Vec<&Val> = match &rhs.kind {
        Value::List(items) => items.iter().collect(),
        _ => vec![rhs],
    };
    match &cur.kind {
        Value::List(items) => {
            let identity = identity_field(schema, key);
            let kept: Vec<Val> = items
                .iter()
                .filter(|e| !targets.iter().any(|t| matches_target(e, t, identity)))
                .cloned()
                .collect();
            let removed = kept.len() != items.len();
            (Some(Val::new(Value::List(kept.into()), cur.span)), removed)
        }
        Value::Object(fields) => {
            let kept: Vec<Field> = fields
                .iter()
                .filter(|f| !targets.iter().any(|t| t.as_str() == Some(&*f.name)))
                .cloned()
                .collect();
            let removed = kept.len() != fields.len();
            (
                Some(Val::new(Value::Object(kept.into()), cur.span)),
                removed,
            )
        }
        _ => (Some(cur.clone()), false),
    }
}

fn matches_target(element: &Val, target: &Val, identity: Option<&str>) -> bool {
    if element.same(target) {
        return true;
    }
    match (identity, target.as_str()) {
        (Some(id), Some(name)) => element
            .field(id)
            .and_then(|f| f.value.as_str())
            .is_some_and(|v| v == name),
        _ => false,
    }
}

/// The identity field of a list key's elements (e.g. `name`).
pub(crate) fn identity_field<'s>(schema: &'s Schema, key: &str) -> Option<&'s str> {
    let ty = key_type(schema, key)?;
    match resolve_union(ty, "list")? {
        TypeDef::List { identity, .. } => identity.as_deref(),
        _ => None,
    }
}
