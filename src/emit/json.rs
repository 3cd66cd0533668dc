//! The JSON forms: the Linux managed file, the bootstrap response and the
//! local configuration-library entry.

use super::encode::{EncodedProfile, Entry, stable_uuid};
use serde_json::json;

fn pretty(v: &impl serde::Serialize) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer_pretty(&mut out, v);
    out.push(b'\n');
    out
}

/// Entries serialized as one JSON object, in their order (sorted by key),
/// without copying the values.
struct Object<'a, 's>(Vec<&'a Entry<'s>>);

impl serde::Serialize for Object<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for e in &self.0 {
            map.serialize_entry(&e.def.name, &e.value)?;
        }
        map.end()
    }
}

fn object<'a, 's>(entries: impl Iterator<Item = &'a Entry<'s>>) -> Object<'a, 's>
where
    's: 'a,
{
    Object(entries.collect())
}

/// `/etc/claude-desktop/managed-settings.json`: top-level keys exactly as
/// named, native JSON values, sorted by key.
#[must_use]
pub fn linux_managed(p: &EncodedProfile<'_>) -> Vec<u8> {
    pretty(&object(p.entries.iter()))
}

/// A bootstrap response in the flat (v1) format: the keys `carried`
/// selects ([`super::build::in_response`]).
#[must_use]
pub fn bootstrap(p: &EncodedProfile<'_>, carried: &dyn Fn(&Entry<'_>) -> bool) -> Vec<u8> {
    pretty(&object(p.entries.iter().filter(|e| carried(e))))
}

/// The local configuration id of a profile: a UUID (lowercase, as the app's
/// `_meta.json` requires) derived from the identifier.
#[must_use]
pub fn config_id(p: &EncodedProfile<'_>) -> String {
    stable_uuid(&format!("{}#config-library", p.meta.identifier)).to_lowercase()
}

/// The configuration-library entry: `(<id>.json, _meta.json)`. The entry
/// holds the same JSON as [`linux_managed`] of the device-side keys (all of
/// them but with `delivery = "bootstrap"`).
#[must_use]
pub fn config_library(p: &EncodedProfile<'_>) -> (Vec<u8>, Vec<u8>) {
    (
        linux_managed(&super::build::mdm_profile(p)),
        config_library_meta(p),
    )
}

/// The configuration library's `_meta.json` for a profile.
#[must_use]
pub fn config_library_meta(p: &EncodedProfile<'_>) -> Vec<u8> {
    let id = config_id(p);
    pretty(&json!({
        "appliedId": id,
        "entries": [ { "id": id, "name": p.meta.display_name } ],
    }))
}
