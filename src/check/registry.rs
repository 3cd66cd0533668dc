//! Keys whose names differ only in case.
//!
//! Windows registry value names are case-insensitive: two keys of a
//! profile whose names differ only in case are one value in the `.reg`
//! (the later line replaces the earlier one), while the `.mobileconfig`
//! and the JSON files keep both. The schema has such pairs (a key and its
//! old spelling, kept as a deprecated key).

use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::emit::build::on_device;
use crate::emit::encode::Delivery;
use crate::resolve::{EffValue, Effective};
use crate::schema::model::{KeyDef, Status};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A key name as the registry compares it: each character upper-cased on
/// its own (Windows' case table maps one character to one character).
fn registry_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// The groups of key ids (indexes into `keys`) of the schema's keys whose
/// names are equal to the registry; keys the schema does not know are
/// never written, so they are left out.
#[must_use]
pub fn case_groups(keys: &[Arc<str>], defs: &[Option<&KeyDef>]) -> Vec<Vec<u32>> {
    let mut by_name: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        if defs.get(i).copied().flatten().is_none() {
            continue;
        }
        if let Ok(id) = u32::try_from(i) {
            by_name.entry(registry_name(key)).or_default().push(id);
        }
    }
    by_name.into_values().filter(|g| g.len() > 1).collect()
}

/// Whether `old` is a deprecated spelling of `new`.
fn old_spelling_of(old: &KeyDef, new: &KeyDef) -> bool {
    new.aliases.contains(&old.name)
        || old
            .deprecated
            .as_ref()
            .and_then(|d| d.replaced_by.as_deref())
            .is_some_and(|r| r == new.name)
}

fn deprecated(def: &KeyDef) -> bool {
    matches!(def.status, Status::Deprecated | Status::Removed)
}

/// C0221: two keys of the profile's `.reg` that are one registry value.
pub fn check(
    eff: &Effective,
    groups: &[Vec<u32>],
    defs: &[Option<&KeyDef>],
    delivery: Delivery,
    diags: &mut Diagnostics,
) {
    for group in groups {
        let mut present: Vec<(&KeyDef, &EffValue)> = group
            .iter()
            .filter_map(|&id| {
                let def = defs.get(id as usize).copied().flatten()?;
                let ev = eff.get_id(id)?;
                on_device(def, delivery).then_some((def, ev))
            })
            .collect();
        if present.len() < 2 {
            continue;
        }
        // The key to keep: the first that is not deprecated.
        let keep_at = present
            .iter()
            .position(|(d, _)| !deprecated(d))
            .unwrap_or(0);
        let (keep, keep_ev) = present.remove(keep_at);
        for (extra, ev) in present {
            let (k, x) = (&keep.name, &extra.name);
            let mut d = Diagnostic::new(
                Code::RegistryNameCollision,
                format!("`{k}` and `{x}` are the same registry value"),
            )
            .primary(ev.last_span(), format!("the same value as `{k}` in the `.reg`"))
            .secondary(keep_ev.last_span(), format!("`{k}` is set here"))
            .note("registry value names are case-insensitive: the `.reg` writes the value twice and the later line replaces the earlier one, so Windows devices get one of the two values while macOS and Linux devices read both keys");
            if ev.value.same(&keep_ev.value) {
                d = d
                    .with_severity(Severity::Warning)
                    .note("the two values are equal, so Windows devices get the same result; the second key is redundant");
            }
            d = if old_spelling_of(extra, keep) {
                d.help(format!(
                    "remove `{x}`: it is the deprecated spelling of `{k}`"
                ))
            } else {
                d.help(format!("set only one of `{k}` and `{x}`"))
            };
            diags.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_as_the_registry_does() {
        assert_eq!(
            registry_name("endUserAttribution"),
            registry_name("enduserAttribution")
        );
        assert_eq!(registry_name("endUserAttribution"), "ENDUSERATTRIBUTION");
        assert_ne!(registry_name("a"), registry_name("b"));
        // One character stays one character (no `SS` for `ß`).
        assert_eq!(registry_name("straße"), "STRAßE");
    }
}
