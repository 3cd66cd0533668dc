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

use super::encode::Entry;
use super::encode::{Delivery, EncodedProfile, Scope, stable_uuid};
use crate::schema::model::{Availability, KeyDef};
use plist::Value;
use std::borrow::Cow;

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
/// arguments. The property list is streamed through the `plist` crate's
/// XML writer (no intermediate tree), in the order [the layout](self)
/// gives.
#[must_use]
pub fn render(p: &EncodedProfile<'_>, domain: &str, keys: KeySelection) -> Vec<u8> {
    let meta = &p.meta;
    let inner_id = settings_identifier(&meta.identifier);
    let envelope = [
        "PayloadDisplayName",
        "PayloadIdentifier",
        "PayloadType",
        "PayloadUUID",
        "PayloadVersion",
    ];
    let mut entries: Vec<_> = p
        .entries
        .iter()
        // An app key never replaces an envelope key.
        .filter(|e| keys.includes(e.def) && !envelope.contains(&e.def.name.as_str()))
        .collect();
    entries.sort_by(|a, b| a.def.name.cmp(&b.def.name));

    let inner = Inner {
        domain,
        uuid: stable_uuid(&inner_id),
        identifier: &inner_id,
        entries,
    };
    let outer = Outer {
        content: [inner],
        description: xml_text(&meta.description),
        display_name: xml_text(&meta.display_name),
        identifier: xml_text(&meta.identifier),
        organization: xml_text(&meta.organization),
        removal_disallowed: meta.removal_disallowed,
        scope: match meta.scope {
            Scope::System => "System",
            Scope::User => "User",
        },
        kind: "Configuration",
        uuid: stable_uuid(&meta.identifier),
        version: 1,
    };
    let mut out = Vec::with_capacity(
        1024 + outer.content[0]
            .entries
            .iter()
            .map(|e| e.def.name.len() + e.text.len() + 40)
            .sum::<usize>(),
    );
    // Writing to a Vec cannot fail, and every value is representable.
    let _ = plist::to_writer_xml_with_options(&mut out, &outer, &plist::XmlWriteOptions::default());
    fix_quotes(&out)
}

/// The configuration profile, serialized in field order (streamed by the
/// `plist` crate's serializer, with no intermediate tree).
#[derive(serde::Serialize)]
struct Outer<'a> {
    #[serde(rename = "PayloadContent")]
    content: [Inner<'a>; 1],
    #[serde(rename = "PayloadDescription", skip_serializing_if = "str::is_empty")]
    description: Cow<'a, str>,
    #[serde(rename = "PayloadDisplayName")]
    display_name: Cow<'a, str>,
    #[serde(rename = "PayloadIdentifier")]
    identifier: Cow<'a, str>,
    #[serde(rename = "PayloadOrganization", skip_serializing_if = "str::is_empty")]
    organization: Cow<'a, str>,
    #[serde(rename = "PayloadRemovalDisallowed")]
    removal_disallowed: bool,
    #[serde(rename = "PayloadScope")]
    scope: &'static str,
    #[serde(rename = "PayloadType")]
    kind: &'static str,
    #[serde(rename = "PayloadUUID")]
    uuid: String,
    #[serde(rename = "PayloadVersion")]
    version: u8,
}

/// The inner payload: its envelope, then the app keys.
struct Inner<'a> {
    domain: &'a str,
    identifier: &'a str,
    uuid: String,
    entries: Vec<&'a Entry<'a>>,
}

impl serde::Serialize for Inner<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(5 + self.entries.len()))?;
        map.serialize_entry("PayloadDisplayName", &xml_text(self.domain))?;
        map.serialize_entry("PayloadIdentifier", &xml_text(self.identifier))?;
        map.serialize_entry("PayloadType", &xml_text(self.domain))?;
        map.serialize_entry("PayloadUUID", &self.uuid)?;
        map.serialize_entry("PayloadVersion", &1u8)?;
        for e in &self.entries {
            map.serialize_entry(&e.def.name, &xml_text(&e.text))?;
        }
        map.end()
    }
}

/// The text with every character XML cannot carry replaced by U+FFFD.
fn xml_text(text: &str) -> Cow<'_, str> {
    if text.chars().all(xml_char) {
        Cow::Borrowed(text)
    } else {
        text.chars()
            .map(|c| if xml_char(c) { c } else { '\u{FFFD}' })
            .collect::<String>()
            .into()
    }
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

/// Writes a plist as tab-indented XML with a trailing newline, escaping
/// text the way Apple's tools and `plistlib` do: `&`, `<` and `>` only
/// (quotes stay raw, so JSON text stays readable). The XML writer already
/// writes a CR in text as `&#13;`.
pub(crate) fn write_xml(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and every value is representable.
    let _ = value.to_writer_xml_with_options(&mut out, &plist::XmlWriteOptions::default());
    fix_quotes(&out)
}

/// Turns the writer's `&quot;` and `&apos;` back into `"` and `'`, and ends
/// the text with a newline.
fn fix_quotes(out: &[u8]) -> Vec<u8> {
    // The writer escapes `"` and `'` in text as `&quot;` and `&apos;`; those
    // sequences cannot come from anything else (a literal `&` in text is
    // `&amp;`), so they are turned back into the characters.
    let mut bytes = Vec::with_capacity(out.len() + 1);
    let mut rest = out;
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
