//! The JSON forms: the Linux managed file, the bootstrap response and the
//! local configuration-library entry.

use super::encode::{EncodedProfile, Entry, stable_uuid};
use crate::schema::model::Availability;
use serde_json::{Map, Value as Json, json};

fn pretty(v: &Json) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

fn object<'a>(entries: impl Iterator<Item = &'a Entry<'a>>) -> Json {
    let mut map = Map::new();
    for e in entries {
        map.insert(e.def.name.clone(), e.value.clone());
    }
    Json::Object(map)
}

/// Whether a bootstrap response may carry the key: keys available only
/// through device management (the bootstrap trust anchor, the proxy keys)
/// are never served.
#[must_use]
pub fn bootstrap_may_carry(e: &Entry<'_>) -> bool {
    e.def.availability != Availability::Managed
}

/// `/etc/claude-desktop/managed-settings.json`: top-level keys exactly as
/// named, native JSON values, sorted by key.
#[must_use]
pub fn linux_managed(p: &EncodedProfile<'_>) -> Vec<u8> {
    pretty(&object(p.entries.iter()))
}

/// A bootstrap response in the flat (v1) format: every key a response may
/// carry. `only` restricts it further (for `delivery = "bootstrap"`, the
/// keys that the MDM profile does not carry).
#[must_use]
pub fn bootstrap(p: &EncodedProfile<'_>, only: &dyn Fn(&Entry<'_>) -> bool) -> Vec<u8> {
    pretty(&object(
        p.entries
            .iter()
            .filter(|e| bootstrap_may_carry(e) && only(e)),
    ))
}

/// The local configuration id of a profile: a UUID (lowercase, as the app's
/// `_meta.json` requires) derived from the identifier.
#[must_use]
pub fn config_id(p: &EncodedProfile<'_>) -> String {
    stable_uuid(&format!("{}#config-library", p.meta.identifier)).to_lowercase()
}

/// The configuration-library entry: `(<id>.json, _meta.json)`.
#[must_use]
pub fn config_library(p: &EncodedProfile<'_>) -> (Vec<u8>, Vec<u8>) {
    let id = config_id(p);
    let meta = json!({
        "appliedId": id,
        "entries": [ { "id": id, "name": p.meta.display_name } ],
    });
    (pretty(&object(p.entries.iter())), pretty(&meta))
}
