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
//! are replaced by U+FFFD so that the file stays well-formed; the check
//! (strings written in the policy) and the build (values read with `env()`)
//! report them first ([`crate::check::unrepresentable`]).

use super::encode::{Delivery, EncodedProfile, Scope, stable_uuid};
use crate::schema::model::{Availability, KeyDef};
use plist::Value;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
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
    /// `bootstrapUrl` and the proxy keys), the app-behavior keys (which
    /// an MDM profile overrides a served value of), and the keys the device
    /// and the response must both carry (`device_and_response`:
    /// `deploymentOrganizationUuid`). Every other key belongs in the
    /// bootstrap response: the app does not consult device management for
    /// a bootstrap-settable key while a response is in effect. Keys whose
    /// availability is `unknown` are left out too.
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
                def.availability == Availability::Managed
                    || def.app_behavior
                    || def.device_and_response
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
/// arguments. This is the build's hot path (one file per profile), so the
/// property list is written straight through `quick-xml`'s indenting
/// writer in the order [the layout](self) gives, with text escaped once,
/// as [`write_xml`] writes it through the `plist` crate (the golden tests
/// hold both to the same bytes).
#[must_use]
pub fn render(p: &EncodedProfile<'_>, domain: &str, keys: KeySelection) -> Vec<u8> {
    let meta = &p.meta;
    let inner_id = settings_identifier(&meta.identifier);
    let inner_uuid = stable_uuid(&inner_id);
    // The inner payload's envelope, before its app keys.
    let envelope = [
        ("PayloadDisplayName", domain),
        ("PayloadIdentifier", &inner_id),
        ("PayloadType", domain),
        ("PayloadUUID", &inner_uuid),
        ("PayloadVersion", "1"),
    ];
    let mut entries: Vec<_> = p
        .entries
        .iter()
        // An app key never replaces an envelope key.
        .filter(|e| keys.includes(e.def) && !envelope.iter().any(|(k, _)| *k == e.def.name))
        .collect();
    entries.sort_by(|a, b| a.def.name.cmp(&b.def.name));
    let capacity = 1024
        + entries
            .iter()
            .map(|e| e.def.name.len() + e.text.len() + 40)
            .sum::<usize>();
    let mut w = Plist::new(capacity);
    w.start("dict");
    w.key("PayloadContent");
    w.start("array");
    w.start("dict");
    for (key, value) in envelope {
        w.key(key);
        if key == "PayloadVersion" {
            w.element("integer", value);
        } else {
            w.string(value);
        }
    }
    for e in entries {
        w.key(&e.def.name);
        w.string(&e.text);
    }
    w.end("dict");
    w.end("array");
    if !meta.description.is_empty() {
        w.key("PayloadDescription");
        w.string(&meta.description);
    }
    w.key("PayloadDisplayName");
    w.string(&meta.display_name);
    w.key("PayloadIdentifier");
    w.string(&meta.identifier);
    if !meta.organization.is_empty() {
        w.key("PayloadOrganization");
        w.string(&meta.organization);
    }
    w.key("PayloadRemovalDisallowed");
    w.boolean(meta.removal_disallowed);
    w.key("PayloadScope");
    w.string(match meta.scope {
        Scope::System => "System",
        Scope::User => "User",
    });
    w.key("PayloadType");
    w.string("Configuration");
    w.key("PayloadUUID");
    w.string(&stable_uuid(&meta.identifier));
    w.key("PayloadVersion");
    w.element("integer", "1");
    w.end("dict");
    w.finish()
}

/// An XML property list being written, laid out as the `plist` crate lays
/// it out (see [`write_xml`]).
struct Plist {
    xml: quick_xml::Writer<Vec<u8>>,
}

impl Plist {
    fn new(capacity: usize) -> Plist {
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(PROLOGUE);
        Plist {
            xml: quick_xml::Writer::new_with_indent(out, b'\t', 1),
        }
    }

    fn event(&mut self, event: Event<'_>) {
        // Writing to a Vec cannot fail.
        let _ = self.xml.write_event(event);
    }

    fn start(&mut self, name: &str) {
        self.event(Event::Start(BytesStart::new(name)));
    }

    fn end(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }

    fn element(&mut self, name: &str, text: &str) {
        // Most text is plain: one pass over its bytes tells, and it is
        // written as it is.
        let plain = text
            .bytes()
            .all(|b| matches!(b, b'\t' | b'\n' | b' '..=b'~') && !matches!(b, b'&' | b'<' | b'>'));
        let text = if plain {
            BytesText::from_escaped(text)
        } else {
            // `partial_escape` escapes `&`, `<`, `>` and a CR (as `&#13;`),
            // and leaves quotes readable, as Apple's tools do.
            BytesText::from_escaped(quick_xml::escape::partial_escape(xml_text(text)))
        };
        // Writing to a Vec cannot fail.
        let _ = self.xml.create_element(name).write_text_content(text);
    }

    fn key(&mut self, name: &str) {
        self.element("key", name);
    }

    fn string(&mut self, text: &str) {
        self.element("string", text);
    }

    fn boolean(&mut self, b: bool) {
        self.event(Event::Empty(BytesStart::new(if b {
            "true"
        } else {
            "false"
        })));
    }

    fn finish(self) -> Vec<u8> {
        let mut out = self.xml.into_inner();
        out.extend_from_slice(b"\n</plist>\n");
        out
    }
}

/// What precedes the root element, as the `plist` crate writes it.
const PROLOGUE: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
"#;

/// The text with every character XML cannot carry replaced by U+FFFD.
fn xml_text(text: &str) -> Cow<'_, str> {
    if xml_clean(text) {
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
    .filter(|(_, text)| !xml_clean(text))
    .map(|(name, _)| name.to_string())
    .collect();
    // A key name too (only a `--schema` can define such a name).
    out.extend(
        p.entries
            .iter()
            .filter(|e| !xml_clean(&e.def.name) || !xml_clean(&e.text))
            .map(|e| e.def.name.clone()),
    );
    out
}

/// Whether XML 1.0 can carry every character of the text.
fn xml_clean(text: &str) -> bool {
    // Every byte of a character XML cannot carry is a C0 control other
    // than tab, LF and CR, or 0xEF (the lead byte of U+FFFE and U+FFFF,
    // and of other characters, which the slow path tells apart).
    text.bytes()
        .all(|b| (b >= 0x20 && b != 0xEF) || matches!(b, b'\t' | b'\n' | b'\r'))
        || text.chars().all(xml_char)
}

/// Whether XML 1.0 can carry a character (the `Char` production).
#[must_use]
pub fn xml_char(c: char) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::encode::{Entry, Meta};
    use crate::schema::Schema;

    /// The same profile as a `plist::Value`, written by the `plist` crate.
    fn through_plist_crate(p: &EncodedProfile<'_>, domain: &str) -> Vec<u8> {
        let string = |s: &str| Value::String(xml_text(s).into_owned());
        let inner_id = settings_identifier(&p.meta.identifier);
        let mut inner = plist::Dictionary::new();
        inner.insert("PayloadDisplayName".into(), string(domain));
        inner.insert("PayloadIdentifier".into(), string(&inner_id));
        inner.insert("PayloadType".into(), string(domain));
        inner.insert("PayloadUUID".into(), string(&stable_uuid(&inner_id)));
        inner.insert("PayloadVersion".into(), Value::Integer(1.into()));
        let mut entries: Vec<_> = p.entries.iter().collect();
        entries.sort_by(|a, b| a.def.name.cmp(&b.def.name));
        for e in entries {
            inner.insert(e.def.name.clone(), string(&e.text));
        }
        let mut outer = plist::Dictionary::new();
        outer.insert(
            "PayloadContent".into(),
            Value::Array(vec![Value::Dictionary(inner)]),
        );
        // Empty texts are left out.
        if !p.meta.description.is_empty() {
            outer.insert("PayloadDescription".into(), string(&p.meta.description));
        }
        outer.insert("PayloadDisplayName".into(), string(&p.meta.display_name));
        outer.insert("PayloadIdentifier".into(), string(&p.meta.identifier));
        if !p.meta.organization.is_empty() {
            outer.insert("PayloadOrganization".into(), string(&p.meta.organization));
        }
        outer.insert(
            "PayloadRemovalDisallowed".into(),
            Value::Boolean(p.meta.removal_disallowed),
        );
        outer.insert("PayloadScope".into(), string("User"));
        outer.insert("PayloadType".into(), string("Configuration"));
        outer.insert(
            "PayloadUUID".into(),
            string(&stable_uuid(&p.meta.identifier)),
        );
        outer.insert("PayloadVersion".into(), Value::Integer(1.into()));
        write_xml(&Value::Dictionary(outer))
    }

    #[test]
    fn the_direct_writer_lays_out_text_as_the_plist_crate_does() {
        let schema = Schema::builtin();
        let texts = [
            "quotes \" and ' stay",
            "<tag> & &amp; &quot; ]]>",
            "cr\r and crlf\r\n and lf\n and\ttab",
            "",
            "control \u{1} and \u{FFFE} become U+FFFD",
            "emoji 😀 and right-to-left مرحبا \u{202E}",
            "[\"json\",{\"in\":\"a string\"}]",
        ];
        let entries = schema
            .keys()
            .iter()
            .zip(texts)
            .map(|(def, text)| Entry {
                def,
                value: serde_json::Value::String(text.into()),
                text: text.into(),
                secret: false,
            })
            .collect();
        let p = EncodedProfile {
            name: "hostile".into(),
            meta: Meta {
                identifier: "com.example.<&\"'>".into(),
                display_name: "Acme & \"Co\" \r\n".into(),
                description: "a <description>".into(),
                organization: "Org 'quoted'".into(),
                scope: Scope::User,
                removal_disallowed: true,
                formats: Vec::new(),
                delivery: Delivery::Mdm,
            },
            entries,
        };
        let mut without_optional = p.clone();
        without_optional.meta.description.clear();
        without_optional.meta.organization.clear();
        for p in [p, without_optional] {
            let direct = render(&p, "com.example.domain", KeySelection::All);
            let expected = through_plist_crate(&p, "com.example.domain");
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&expected)
            );
            assert_eq!(direct, expected);
        }
    }

    #[test]
    fn a_key_name_xml_cannot_carry_is_reported() {
        let schema = Schema::builtin();
        let mut def = schema.keys()[0].clone();
        def.name = "ctl\u{1}key".into();
        let p = EncodedProfile {
            name: "p".into(),
            meta: Meta {
                identifier: "com.example.p".into(),
                display_name: "P".into(),
                description: String::new(),
                organization: String::new(),
                scope: Scope::System,
                removal_disallowed: false,
                formats: Vec::new(),
                delivery: Delivery::Mdm,
            },
            entries: vec![Entry {
                def: &def,
                value: serde_json::Value::String("fine".into()),
                text: "fine".into(),
                secret: false,
            }],
        };
        assert_eq!(unrepresentable(&p), vec!["ctl\u{1}key".to_string()]);
    }

    #[test]
    fn the_fast_check_agrees_with_the_char_production() {
        for text in [
            "",
            "plain",
            "tab\t lf\n cr\r",
            "\u{1}",
            "\u{1F}",
            "\u{7F} and \u{85} are allowed",
            "\u{FFFD} (EF BF BD) is allowed",
            "\u{FFFE}",
            "\u{FFFF}",
            "\u{FFFC}\u{FEFF}\u{E000}\u{EFFF}",
            "😀 \u{10FFFF}",
        ] {
            assert_eq!(xml_clean(text), text.chars().all(xml_char), "{text:?}");
        }
    }
}
