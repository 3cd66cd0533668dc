//! macOS configuration profiles (`.mobileconfig`).
//!
//! A profile is an XML property list of the Configuration type with one
//! inner payload whose `PayloadType` is the app's preference domain (the
//! "direct domain payload" style of ProfileCreator and the app's own
//! export). The app reads every preference as a string, so every app key is
//! written as `<string>` holding [`Entry::text`](super::Entry::text): booleans as
//! `true`/`false`, numbers in decimal, lists and objects as compact JSON
//! text in one string. Native `<true/>`, `<integer>`, `<array>` and `<dict>`
//! appear only in the envelope (`PayloadVersion`,
//! `PayloadRemovalDisallowed`, `PayloadContent`).
//!
//! # Layout
//!
//! | key | value |
//! |---|---|
//! | `PayloadContent` | one payload dict (below) |
//! | `PayloadDescription` | `meta.description`, only when non-empty |
//! | `PayloadDisplayName` | `meta.display_name` |
//! | `PayloadIdentifier` | `meta.identifier` |
//! | `PayloadOrganization` | `meta.organization`, only when non-empty |
//! | `PayloadRemovalDisallowed` | `meta.removal_disallowed` (boolean) |
//! | `PayloadScope` | `System` or `User` from `meta.scope` |
//! | `PayloadType` | `Configuration` |
//! | `PayloadUUID` | [`stable_uuid`] of `meta.identifier` |
//! | `PayloadVersion` | `1` |
//!
//! The inner payload has `PayloadDisplayName` (the domain),
//! `PayloadIdentifier` (`meta.identifier` + [`SETTINGS_SUFFIX`]),
//! `PayloadType` (the domain), `PayloadUUID` ([`stable_uuid`] of the inner
//! identifier) and `PayloadVersion` `1`, followed by the app keys.
//!
//! # Determinism
//!
//! Envelope keys are written in alphabetical order (as Apple's tools and
//! Python's `plistlib` do), then the app keys sorted by name (byte order).
//! UUIDs are v5 UUIDs of the identifiers (see [`stable_uuid`]), so an
//! unchanged profile renders to identical bytes and MDMs see no change; a
//! changed identifier gives new UUIDs, as it must (it is a new profile).
//! Output is UTF-8 without BOM, tab-indented, LF line endings, ending in a
//! newline. Text is escaped as Apple's tools and `plistlib` escape it: `&`,
//! `<` and `>` only, so quotes in JSON text stay readable.
//!
//! # Text that XML cannot carry
//!
//! A carriage return inside a value is written as `&#13;` (a raw CR would
//! be read back as LF by every XML parser). Characters that XML 1.0 cannot
//! represent at all (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF)
//! are replaced by U+FFFD so that the file stays well-formed; callers
//! should report them first with [`unrepresentable`].

use super::encode::{Delivery, EncodedProfile, Scope, stable_uuid};
use crate::schema::model::{Availability, KeyDef};
use plist::{Dictionary, Value};

/// Appended to `meta.identifier` to form the inner payload's
/// `PayloadIdentifier` (which must differ from the profile's).
pub const SETTINGS_SUFFIX: &str = ".settings";

/// Which of a profile's keys the `.mobileconfig` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySelection {
    /// Every key (`meta.delivery = "mdm"`).
    All,
    /// Only what device management must carry when a bootstrap response
    /// delivers the configuration (`meta.delivery = "bootstrap"`): the keys
    /// a bootstrap response may not carry (availability `managed`, such as
    /// `bootstrapUrl` and the proxy keys) and the app-behavior keys (which
    /// an MDM profile overrides a served value of). Every other key belongs
    /// in the bootstrap response: the app does not consult device
    /// management for a bootstrap-settable key while a response is in
    /// effect. Keys whose availability is `unknown` are left out too.
    DeviceOnly,
}

impl KeySelection {
    /// The selection for a delivery model.
    #[must_use]
    pub fn for_delivery(delivery: Delivery) -> KeySelection {
        match delivery {
            Delivery::Mdm => KeySelection::All,
            Delivery::Bootstrap => KeySelection::DeviceOnly,
        }
    }

    /// Whether the selection carries a key.
    #[must_use]
    pub fn includes(self, def: &KeyDef) -> bool {
        match self {
            KeySelection::All => true,
            KeySelection::DeviceOnly => {
                def.availability == Availability::Managed || def.app_behavior
            }
        }
    }
}

/// The inner payload's `PayloadIdentifier` for a profile identifier.
#[must_use]
pub fn settings_identifier(identifier: &str) -> String {
    format!("{identifier}{SETTINGS_SUFFIX}")
}

/// Renders a profile as an unsigned `.mobileconfig`.
///
/// `domain` is the inner `PayloadType` (the schema's domain,
/// `com.anthropic.claudefordesktop`). The bytes depend only on the
/// arguments.
#[must_use]
pub fn render(p: &EncodedProfile<'_>, domain: &str, keys: KeySelection) -> Vec<u8> {
    let meta = &p.meta;
    let inner_id = settings_identifier(&meta.identifier);

    let mut inner = Dictionary::new();
    inner.insert("PayloadDisplayName".into(), string(domain));
    inner.insert("PayloadIdentifier".into(), string(&inner_id));
    inner.insert("PayloadType".into(), string(domain));
    inner.insert("PayloadUUID".into(), Value::String(stable_uuid(&inner_id)));
    inner.insert("PayloadVersion".into(), Value::Integer(1.into()));
    let mut entries: Vec<_> = p.entries.iter().filter(|e| keys.includes(e.def)).collect();
    entries.sort_by(|a, b| a.def.name.cmp(&b.def.name));
    for e in entries {
        // An app key never replaces an envelope key.
        if !inner.contains_key(&e.def.name) {
            inner.insert(e.def.name.clone(), string(&e.text));
        }
    }

    let mut outer = Dictionary::new();
    outer.insert(
        "PayloadContent".into(),
        Value::Array(vec![Value::Dictionary(inner)]),
    );
    if !meta.description.is_empty() {
        outer.insert("PayloadDescription".into(), string(&meta.description));
    }
    outer.insert("PayloadDisplayName".into(), string(&meta.display_name));
    outer.insert("PayloadIdentifier".into(), string(&meta.identifier));
    if !meta.organization.is_empty() {
        outer.insert("PayloadOrganization".into(), string(&meta.organization));
    }
    outer.insert(
        "PayloadRemovalDisallowed".into(),
        Value::Boolean(meta.removal_disallowed),
    );
    outer.insert(
        "PayloadScope".into(),
        Value::String(
            match meta.scope {
                Scope::System => "System",
                Scope::User => "User",
            }
            .into(),
        ),
    );
    outer.insert("PayloadType".into(), Value::String("Configuration".into()));
    outer.insert(
        "PayloadUUID".into(),
        Value::String(stable_uuid(&meta.identifier)),
    );
    outer.insert("PayloadVersion".into(), Value::Integer(1.into()));

    write_xml(&Value::Dictionary(outer))
}

/// The names of the keys (and `meta.` fields) whose text has characters
/// that XML 1.0 cannot represent; [`render`] replaces those characters by
/// U+FFFD.
#[must_use]
pub fn unrepresentable(p: &EncodedProfile<'_>) -> Vec<String> {
    let meta = &p.meta;
    let mut out: Vec<String> = [
        ("meta.identifier", &meta.identifier),
        ("meta.display_name", &meta.display_name),
        ("meta.description", &meta.description),
        ("meta.organization", &meta.organization),
    ]
    .into_iter()
    .filter(|(_, text)| text.chars().any(|c| !xml_char(c)))
    .map(|(name, _)| name.to_string())
    .collect();
    out.extend(
        p.entries
            .iter()
            .filter(|e| e.text.chars().any(|c| !xml_char(c)))
            .map(|e| e.def.name.clone()),
    );
    out
}

/// Whether XML 1.0 can carry a character (the `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn string(text: &str) -> Value {
    Value::String(
        text.chars()
            .map(|c| if xml_char(c) { c } else { '\u{FFFD}' })
            .collect(),
    )
}

/// Writes a plist as tab-indented XML with a trailing newline, escaping
/// text the way Apple's tools and `plistlib` do: `&`, `<` and `>` only
/// (quotes stay raw, so JSON text stays readable). The XML writer already
/// writes a CR in text as `&#13;`.
pub(crate) fn write_xml(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and every value is representable.
    let _ = value.to_writer_xml_with_options(&mut out, &plist::XmlWriteOptions::default());
    // The writer escapes `"` and `'` in text as `&quot;` and `&apos;`; those
    // sequences cannot come from anything else (a literal `&` in text is
    // `&amp;`), so they are turned back into the characters.
    let mut bytes = Vec::with_capacity(out.len() + 1);
    let mut rest = out.as_slice();
    while let Some(at) = rest.iter().position(|&b| b == b'&') {
        bytes.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        if let Some(t) = rest.strip_prefix(b"&quot;") {
            bytes.push(b'"');
            rest = t;
        } else if let Some(t) = rest.strip_prefix(b"&apos;") {
            bytes.push(b'\'');
            rest = t;
        } else {
            bytes.push(b'&');
            rest = &rest[1..];
        }
    }
    bytes.extend_from_slice(rest);
    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    bytes
}
