//! `polc import`: an exported or deployed configuration back into policy
//! source.
//!
//! Reads a `.mobileconfig` (signed or not; the app's domain as a payload of
//! its own, or the `Forced` settings of a `com.apple.ManagedClient.preferences`
//! (MCX) payload, as Jamf writes them) or a flat managed-preferences plist, a
//! `.reg` file (UTF-16 or UTF-8), a Linux managed file, a
//! configuration-library entry or a bootstrap response (flat JSON). Values
//! stored as strings (every preference store) are decoded against the
//! schema: `"true"` becomes `true`, `"72"` becomes `72`, JSON text becomes a
//! list or an object. Secrets are never printed: they become `env("NAME")`.
//!
//! The import follows the app, not the file: what the app would not apply is
//! left out with a diagnostic, never imported as if it were in force.
//!
//! * **MCX** (formats.md §1.3 B): only `Forced` settings are managed; the
//!   settings of any other state (`Set-Once`) are left out (I0505). `Forced`
//!   is an array and a profile may hold several payloads for the domain: their
//!   settings are merged, and a key given different values in two places is
//!   left out (I0508), since which one macOS applies is not documented. Keys
//!   forced in `.GlobalPreferences` are not the app's domain (I0505).
//! * **`.reg`** (claude-desktop-keys.md §1.2, §1.3), with the rules
//!   [`crate::effective`] applies: when `HKLM` holds machine policy (any
//!   `REG_SZ`, `REG_EXPAND_SZ` or `REG_DWORD` value directly under the policy
//!   key) the app ignores `HKCU` entirely, so the `HKLM` values are imported,
//!   the `HKCU` ones are left out (I0505) and the scope is `system`;
//!   otherwise the `HKCU` values are imported with scope `user`. The app
//!   cannot read `REG_EXPAND_SZ` and does not see `REG_QWORD`, `REG_MULTI_SZ`,
//!   `REG_BINARY` or `REG_NONE` (I0506); it reads `REG_DWORD` for boolean and
//!   integer keys only (I0507 when it does, I0506 otherwise). Subkeys are
//!   never read (I0505).

use crate::diag::{Code, Diagnostic};
use crate::schema::Schema;
use crate::schema::model::TypeDef;
use crate::value::{is_ident, write_quoted};
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// What was found in the imported file.
#[derive(Debug, Default)]
pub struct Imported {
    /// Keys with their raw values (strings or native JSON), in file order.
    pub values: Vec<(String, Json)>,
    /// Packaging metadata found in the file (mobileconfig envelope, .reg hive).
    pub meta: Vec<(&'static str, Json)>,
    /// What kind of file it was, for messages.
    pub kind: &'static str,
    /// What reading found that the app would not apply (settings left out,
    /// registry values it cannot read, conflicting values), reported before
    /// the diagnostics of the values by [`to_policy`]. Never quotes a value.
    pub notes: Vec<Diagnostic>,
    /// The names of values a `.reg` file stores as `REG_DWORD` (read by the
    /// app for boolean and integer keys only).
    pub dwords: Vec<String>,
    /// Keys an MCX payload forces in `.GlobalPreferences` rather than in the
    /// app's domain.
    pub global_keys: Vec<String>,
}

/// The result of an import: policy source and diagnostics (without labels:
/// they describe the imported file, which is not policy source).
#[derive(Debug)]
pub struct ImportResult {
    /// The profile as policy source.
    pub source: String,
    /// Problems and notes.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads any supported file.
///
/// # Errors
/// When the bytes are not a configuration polc can read.
/// `domain` is the payload type of the app's preferences (the schema's
/// `domain`).
pub fn read(bytes: &[u8], domain: &str) -> Result<Imported, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Ok(import_registry(&parse_registry(&decode_utf16(bytes)?)?));
    }
    if bytes.first() == Some(&0x30) {
        let content =
            cms_content(bytes).ok_or("not a signed profile (CMS SignedData) polc can read")?;
        let mut imported = read_plist(&content, domain)?;
        imported.kind = "signed .mobileconfig";
        return Ok(imported);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 or UTF-16 text".to_string())?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("Windows Registry Editor") || trimmed.starts_with("REGEDIT4") {
        return Ok(import_registry(&parse_registry(trimmed)?));
    }
    if trimmed.starts_with('{') {
        return read_json(trimmed);
    }
    if trimmed.starts_with('<') || bytes.starts_with(b"bplist") {
        return read_plist(bytes, domain);
    }
    Err("not a .mobileconfig, plist, .reg or JSON configuration".to_string())
}

fn decode_utf16(bytes: &[u8]) -> Result<String, String> {
    let le = bytes.starts_with(&[0xFF, 0xFE]);
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| {
            let pair = [c[0], *c.get(1).unwrap_or(&0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        })
        .collect();
    String::from_utf16(&units).map_err(|_| "invalid UTF-16 text".to_string())
}

fn read_json(text: &str) -> Result<Imported, String> {
    let v: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Json::Object(map) = v else {
        return Err("the JSON is not an object".into());
    };
    if map.contains_key("appliedId") && map.contains_key("entries") {
        return Err(
            "this is a configuration library's _meta.json; import the <id>.json file next to it"
                .into(),
        );
    }
    if map.contains_key("$schemaVersion") {
        return Err(
            "nested (v2) bootstrap configurations are not supported; import the flat (v1) form"
                .into(),
        );
    }
    Ok(Imported {
        values: map.into_iter().filter(|(k, _)| k != "expiresAt").collect(),
        kind: "JSON configuration",
        ..Imported::default()
    })
}

fn plist_to_json(v: &plist::Value) -> Json {
    match v {
        plist::Value::String(s) => Json::String(s.clone()),
        plist::Value::Boolean(b) => Json::Bool(*b),
        plist::Value::Integer(i) => i.as_signed().map_or(Json::Null, Json::from),
        plist::Value::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        plist::Value::Array(items) => Json::Array(items.iter().map(plist_to_json).collect()),
        plist::Value::Dictionary(d) => Json::Object(
            d.iter()
                .map(|(k, v)| (k.clone(), plist_to_json(v)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

/// The payload type of MCX managed preferences (formats.md §1.3 B).
const MCX: &str = "com.apple.ManagedClient.preferences";
/// The MCX state whose settings are managed.
const FORCED: &str = "Forced";
/// The MCX domain of global preferences.
const GLOBAL_DOMAIN: &str = ".GlobalPreferences";

/// The settings of one place in a profile (a payload, or one `Forced`
/// entry of an MCX payload): (where, for messages; the settings).
type Place = (String, Vec<(String, Json)>);

fn read_plist(bytes: &[u8], domain: &str) -> Result<Imported, String> {
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| format!("invalid property list: {e}"))?;
    let dict = v
        .as_dictionary()
        .ok_or("the property list is not a dictionary")?;
    let Some(content) = dict.get("PayloadContent").and_then(plist::Value::as_array) else {
        // A flat preference plist as found in /Library/Managed Preferences.
        return Ok(Imported {
            values: dict
                .iter()
                .map(|(k, v)| (k.clone(), plist_to_json(v)))
                .collect(),
            kind: "preference plist",
            ..Imported::default()
        });
    };
    let mut places: Vec<Place> = Vec::new();
    let mut notes = Vec::new();
    let mut global_keys = Vec::new();
    // Whether an MCX payload names the domain (its settings may all be left
    // out, which is worth saying rather than "no payload"; so may settings
    // forced in `.GlobalPreferences`).
    let mut named = false;
    for (i, payload) in content.iter().enumerate() {
        let Some(payload) = payload.as_dictionary() else {
            continue;
        };
        let label = match payload
            .get("PayloadIdentifier")
            .and_then(plist::Value::as_string)
        {
            Some(id) => format!("payload `{id}`"),
            None => format!("payload {} of `PayloadContent`", i + 1),
        };
        match payload.get("PayloadType").and_then(plist::Value::as_string) {
            Some(t) if t == domain => places.push((
                label,
                payload
                    .iter()
                    .filter(|(k, _)| !k.starts_with("Payload"))
                    .map(|(k, v)| (k.clone(), plist_to_json(v)))
                    .collect(),
            )),
            Some(MCX) => {
                named |= read_mcx(
                    payload,
                    domain,
                    &label,
                    &mut places,
                    &mut notes,
                    &mut global_keys,
                )?;
            }
            _ => {}
        }
    }
    if places.is_empty() && !named && global_keys.is_empty() {
        return Err(format!(
            "the profile has no `{domain}` payload, and no `{MCX}` payload with settings for `{domain}`"
        ));
    }
    let values = merge_places(places, &mut notes);
    let mut meta: Vec<(&'static str, Json)> = Vec::new();
    let text = |k: &str| {
        dict.get(k)
            .and_then(plist::Value::as_string)
            .map(|s| Json::String(s.to_string()))
    };
    for (field, key) in [
        ("identifier", "PayloadIdentifier"),
        ("display_name", "PayloadDisplayName"),
        ("description", "PayloadDescription"),
        ("organization", "PayloadOrganization"),
    ] {
        if let Some(v) = text(key) {
            meta.push((field, v));
        }
    }
    if let Some(scope) = dict.get("PayloadScope").and_then(plist::Value::as_string) {
        meta.push(("scope", Json::String(scope.to_lowercase())));
    }
    if let Some(b) = dict
        .get("PayloadRemovalDisallowed")
        .and_then(plist::Value::as_boolean)
    {
        meta.push(("removal_disallowed", Json::Bool(b)));
    }
    Ok(Imported {
        values,
        meta,
        kind: ".mobileconfig",
        notes,
        dwords: Vec::new(),
        global_keys,
    })
}

/// The entries of one MCX state (`Forced`, `Set-Once`): each entry's
/// `mcx_preference_settings`.
fn mcx_entries<'p>(
    entries: &'p plist::Value,
    state: &str,
    domain: &str,
    label: &str,
) -> Result<Vec<&'p plist::Dictionary>, String> {
    let entries = entries
        .as_array()
        .ok_or_else(|| format!("`{state}` of `{domain}` in the {MCX} {label} is not an array"))?;
    entries
        .iter()
        .enumerate()
        .map(|(n, entry)| {
            entry
                .as_dictionary()
                .and_then(|e| e.get("mcx_preference_settings"))
                .and_then(plist::Value::as_dictionary)
                .ok_or_else(|| {
                    format!(
                        "entry {} of `{state}` of `{domain}` in the {MCX} {label} has no `mcx_preference_settings` dictionary",
                        n + 1
                    )
                })
        })
        .collect()
}

/// Reads an MCX payload: the `Forced` settings of `domain` become places;
/// the settings of other states are left out with a note. Returns whether
/// the payload names `domain`.
fn read_mcx(
    payload: &plist::Dictionary,
    domain: &str,
    label: &str,
    places: &mut Vec<Place>,
    notes: &mut Vec<Diagnostic>,
    global_keys: &mut Vec<String>,
) -> Result<bool, String> {
    let domains = payload
        .get("PayloadContent")
        .and_then(plist::Value::as_dictionary)
        .ok_or_else(|| {
            format!("the {MCX} {label} has no `PayloadContent` dictionary of preference domains")
        })?;
    // Settings forced for every application; not read as the app's own.
    if let Some(forced) = domains
        .get(GLOBAL_DOMAIN)
        .and_then(plist::Value::as_dictionary)
        .and_then(|g| g.get(FORCED))
    {
        for settings in mcx_entries(forced, FORCED, GLOBAL_DOMAIN, label).unwrap_or_default() {
            for k in settings.keys() {
                if !global_keys.contains(k) {
                    global_keys.push(k.clone());
                }
            }
        }
    }
    let Some(states) = domains.get(domain) else {
        return Ok(false);
    };
    let states = states
        .as_dictionary()
        .ok_or_else(|| format!("`{domain}` in the {MCX} {label} is not a dictionary"))?;
    for (state, entries) in states {
        let entries = mcx_entries(entries, state, domain, label)?;
        if state == FORCED {
            let several = entries.len() > 1;
            for (n, settings) in entries.into_iter().enumerate() {
                let at = if several {
                    format!("`{FORCED}` entry {} of {label}", n + 1)
                } else {
                    label.to_string()
                };
                places.push((
                    at,
                    settings
                        .iter()
                        .map(|(k, v)| (k.clone(), plist_to_json(v)))
                        .collect(),
                ));
            }
            continue;
        }
        let mut keys: Vec<&str> = Vec::new();
        for settings in entries {
            for k in settings.keys() {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
        }
        if keys.is_empty() {
            continue;
        }
        let why = if state == "Set-Once" {
            "macOS writes them as the user's own preferences (once, or at every login when an entry has no `mcx_data_timestamp`), which the user can change; only `Forced` settings are managed".to_string()
        } else {
            format!(
                "`{state}` is not a state macOS documents for managed preferences (`Forced`, `Set-Once`); only `Forced` settings are managed"
            )
        };
        notes.push(
            Diagnostic::new(
                Code::ImportIgnoredSettings,
                format!(
                    "the `{state}` settings of `{domain}` in the {label} are not managed configuration; left out: {}",
                    list(&keys)
                ),
            )
            .note(why)
            .help("set the keys meant to be enforced in the policy; polc builds them as managed (forced) settings"),
        );
    }
    Ok(true)
}

/// Merges the settings of every place, in file order. A key given different
/// values in two places is left out with a note: which one macOS applies is
/// not documented.
fn merge_places(places: Vec<Place>, notes: &mut Vec<Diagnostic>) -> Vec<(String, Json)> {
    // (key, value, where it was first set)
    let mut merged: Vec<(String, Json, String)> = Vec::new();
    let mut conflicting: Vec<String> = Vec::new();
    for (at, values) in places {
        for (key, value) in values {
            match merged.iter().find(|(k, _, _)| *k == key) {
                None => merged.push((key, value, at.clone())),
                Some((_, first, _)) if *first == value => {}
                Some((_, _, first_at)) => {
                    if !conflicting.contains(&key) {
                        notes.push(
                            Diagnostic::new(
                                Code::ImportConflictingValues,
                                format!(
                                    "`{key}` has one value in the {first_at} and another in the {at}; left out"
                                ),
                            )
                            .note("which one macOS applies is not documented")
                            .help("set the value you mean in the policy by hand"),
                        );
                        conflicting.push(key);
                    }
                }
            }
        }
    }
    merged
        .into_iter()
        .filter(|(k, _, _)| !conflicting.contains(k))
        .map(|(k, v, _)| (k, v))
        .collect()
}

/// Names as a message lists them: `` `a`, `b` ``.
fn list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `eContent` of a DER-encoded CMS `SignedData` (a signed profile).
fn cms_content(der: &[u8]) -> Option<Vec<u8>> {
    // ContentInfo ::= SEQUENCE { contentType OID, [0] EXPLICIT SignedData }
    let (_, content_info, _) = tlv(der)?;
    let (_, _, rest) = tlv(content_info)?; // contentType
    let (_, explicit, _) = tlv(rest)?; // [0]
    let (_, signed_data, _) = tlv(explicit)?; // SignedData SEQUENCE
    let (_, _, rest) = tlv(signed_data)?; // version
    let (_, _, rest) = tlv(rest)?; // digestAlgorithms
    let (_, encap, _) = tlv(rest)?; // EncapsulatedContentInfo
    let (_, _, rest) = tlv(encap)?; // eContentType
    let (_, econtent, _) = tlv(rest)?; // [0] EXPLICIT
    let (tag, octets, _) = tlv(econtent)?;
    match tag {
        0x04 => Some(octets.to_vec()),
        // A constructed OCTET STRING: concatenate its pieces.
        0x24 => {
            let mut out = Vec::new();
            let mut rest = octets;
            while !rest.is_empty() {
                let (_, piece, r) = tlv(rest)?;
                out.extend_from_slice(piece);
                rest = r;
            }
            Some(out)
        }
        _ => None,
    }
}

/// One DER tag-length-value: (tag, value, rest).
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *bytes.first()?;
    let first = *bytes.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7F) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *bytes.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((tag, bytes.get(header..end)?, bytes.get(end..)?))
}

/// The lines of a `.reg` file, with continuation lines (a trailing
/// backslash in hex values) joined.
fn reg_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some(stripped) = line.strip_suffix('\\') {
            if pending.is_empty()
                && !line.trim_start().starts_with('"')
                && !line.trim_start().starts_with('@')
            {
                // Not a value line: keep as is.
            } else {
                pending.push_str(stripped.trim_start());
                continue;
            }
            pending.push_str(stripped);
            continue;
        }
        if pending.is_empty() {
            lines.push(line.to_string());
        } else {
            pending.push_str(line.trim_start());
            lines.push(std::mem::take(&mut pending));
        }
    }
    lines
}

/// A registry hive that holds the app's policy key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hive {
    /// `HKEY_LOCAL_MACHINE` (machine policy).
    Machine,
    /// `HKEY_CURRENT_USER` or `HKEY_USERS\<SID>` (user policy).
    User,
}

impl Hive {
    /// The root key as a `.reg` file names it.
    #[must_use]
    pub fn root(self) -> &'static str {
        match self {
            Hive::Machine => "HKEY_LOCAL_MACHINE",
            Hive::User => "HKEY_CURRENT_USER",
        }
    }
}

/// The type of a registry value, as a `.reg` file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegType {
    /// `"text"` or `hex(1):`.
    Sz,
    /// `hex(2):`.
    ExpandSz,
    /// `dword:`, `hex(4):` or `hex(5):`.
    Dword,
    /// Any other type (`REG_QWORD`, `REG_MULTI_SZ`, `REG_BINARY`,
    /// `REG_NONE`, ...), by name.
    Other(&'static str),
}

impl RegType {
    /// The type's name (`REG_SZ`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RegType::Sz => "REG_SZ",
            RegType::ExpandSz => "REG_EXPAND_SZ",
            RegType::Dword => "REG_DWORD",
            RegType::Other(name) => name,
        }
    }
}

/// One value directly under a hive's `SOFTWARE\Policies\Claude` key.
#[derive(Debug, Clone, PartialEq)]
pub struct RegValue {
    /// The hive.
    pub hive: Hive,
    /// The value's name; `None` for the key's unnamed default value (`@`).
    pub name: Option<String>,
    /// The value's type.
    pub ty: RegType,
    /// The data: a string (`REG_SZ`, `REG_EXPAND_SZ`), a number
    /// (`REG_DWORD`) or null (other types).
    pub data: Json,
}

/// The policy values a `.reg` file leaves in place, with their types: what
/// `polc effective` needs to apply the app's registry rules (which types
/// count, which hive hides which). Unlike [`read`], values of types the app
/// cannot read are kept (as [`RegType::Other`]) rather than refused.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Values directly under `SOFTWARE\Policies\Claude`, in file order; a
    /// later line for the same hive and name replaces an earlier one,
    /// `"name"=-` and `[-...\Claude]` delete.
    pub values: Vec<RegValue>,
    /// Subkeys of the policy key that hold values (the app never reads
    /// subkeys), as (hive, path below the policy key).
    pub subkeys: Vec<(Hive, String)>,
    /// The hives the file has a policy-key section for.
    pub hives: Vec<Hive>,
}

/// Where a `.reg` section header points.
enum RegSection {
    /// The policy key of a hive.
    Policy(Hive),
    /// A subkey of it.
    Sub(Hive, String),
    /// Anything else.
    Other,
}

fn reg_section(path: &str) -> RegSection {
    let upper = path.to_ascii_uppercase();
    let (hive, rest) = if let Some(rest) = upper.strip_prefix("HKEY_LOCAL_MACHINE") {
        (Hive::Machine, rest)
    } else if let Some(rest) = upper.strip_prefix("HKEY_CURRENT_USER") {
        (Hive::User, rest)
    } else if let Some(rest) = upper.strip_prefix("HKEY_USERS\\") {
        // HKEY_USERS\<SID>\SOFTWARE\...: a user's hive.
        match rest.find('\\') {
            Some(i) => (Hive::User, &rest[i..]),
            None => return RegSection::Other,
        }
    } else {
        return RegSection::Other;
    };
    const KEY: &str = "\\SOFTWARE\\POLICIES\\CLAUDE";
    let Some(below) = rest.strip_prefix(KEY) else {
        return RegSection::Other;
    };
    if below.is_empty() {
        RegSection::Policy(hive)
    } else if below.starts_with('\\') {
        // Keep the subkey's own spelling.
        let start = path.len() - below.len() + 1;
        RegSection::Sub(hive, path[start..].to_string())
    } else {
        RegSection::Other
    }
}

/// Reads a `.reg` file (UTF-16 or UTF-8) for `polc effective`.
///
/// # Errors
/// When the bytes are not a `.reg` file or a value line cannot be read.
pub fn read_registry(bytes: &[u8]) -> Result<Registry, String> {
    let text = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        decode_utf16(bytes)?
    } else {
        std::str::from_utf8(bytes)
            .map_err(|_| "not UTF-8 or UTF-16 text".to_string())?
            .to_string()
    };
    parse_registry(&text)
}

/// Reads the text of a `.reg` file.
fn parse_registry(text: &str) -> Result<Registry, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if !trimmed.starts_with("Windows Registry Editor") && !trimmed.starts_with("REGEDIT4") {
        return Err("not a .reg file (no `Windows Registry Editor` header)".into());
    }
    let mut reg = Registry::default();
    let mut section = RegSection::Other;
    for line in reg_lines(trimmed) {
        let line = line.trim_start();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end().trim_end_matches(']');
            if let Some(deleted) = header.strip_prefix('-') {
                match reg_section(deleted) {
                    RegSection::Policy(h) => {
                        reg.values.retain(|v| v.hive != h);
                        reg.subkeys.retain(|(sh, _)| *sh != h);
                    }
                    RegSection::Sub(h, path) => {
                        let lower = path.to_ascii_lowercase();
                        reg.subkeys.retain(|(sh, p)| {
                            let p = p.to_ascii_lowercase();
                            *sh != h || (p != lower && !p.starts_with(&format!("{lower}\\")))
                        });
                    }
                    RegSection::Other => {}
                }
                section = RegSection::Other;
            } else {
                section = reg_section(header);
                if let RegSection::Policy(h) = section
                    && !reg.hives.contains(&h)
                {
                    reg.hives.push(h);
                }
            }
            continue;
        }
        let (name, rest) = if let Some(rest) = line.strip_prefix('@') {
            (None, rest)
        } else if line.starts_with('"') {
            let (name, rest) = reg_string(line).ok_or_else(|| unreadable_line(line))?;
            (Some(name), rest)
        } else {
            continue;
        };
        let shown = name.clone().unwrap_or_else(|| "@".into());
        let rest = rest
            .trim_start()
            .strip_prefix('=')
            .ok_or_else(|| unreadable_line(line))?
            .trim();
        let hive = match &section {
            RegSection::Policy(h) => *h,
            RegSection::Sub(h, path) => {
                if rest != "-" && !reg.subkeys.iter().any(|(sh, p)| sh == h && p == path) {
                    reg.subkeys.push((*h, path.clone()));
                }
                continue;
            }
            RegSection::Other => continue,
        };
        reg.values.retain(|v| v.hive != hive || v.name != name);
        if rest == "-" {
            continue;
        }
        let (ty, data) =
            reg_data(rest).ok_or_else(|| format!("cannot read the value of `{shown}`"))?;
        reg.values.push(RegValue {
            hive,
            name,
            ty,
            data,
        });
    }
    Ok(reg)
}

/// What `polc import` takes from a `.reg` file: the values of the hive the
/// app reads, by the rules of [`crate::effective`] (see the module
/// documentation), with notes for what it leaves out.
fn import_registry(reg: &Registry) -> Imported {
    let seen = |hive: Hive| {
        reg.values
            .iter()
            .any(|v| v.hive == hive && !matches!(v.ty, RegType::Other(_)))
    };
    let machine_policy = seen(Hive::Machine);
    let hive = if machine_policy {
        Some(Hive::Machine)
    } else if seen(Hive::User) {
        Some(Hive::User)
    } else {
        // Nothing the app reads: the scope of the file's first section.
        reg.hives.first().copied()
    };
    let shown = |v: &RegValue| v.name.clone().unwrap_or_else(|| "@".into());
    let mut notes = Vec::new();
    if machine_policy {
        let ignored: Vec<String> = reg
            .values
            .iter()
            .filter(|v| v.hive == Hive::User)
            .map(shown)
            .collect();
        if !ignored.is_empty() {
            notes.push(
                Diagnostic::new(
                    Code::ImportIgnoredSettings,
                    format!(
                        "the app ignores the HKEY_CURRENT_USER values because HKEY_LOCAL_MACHINE holds machine policy; left out: {}",
                        list(&ignored)
                    ),
                )
                .note("since v1.19367.0 the hives are not merged: any REG_SZ, REG_EXPAND_SZ or REG_DWORD value directly under HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Claude makes the app read that key alone")
                .help("the policy holds the HKEY_LOCAL_MACHINE values, as the app applies them; set the user values in the policy by hand if they were meant"),
            );
        }
    }
    for (h, path) in &reg.subkeys {
        notes.push(
            Diagnostic::new(
                Code::ImportIgnoredSettings,
                format!(
                    "the values under `{}\\SOFTWARE\\Policies\\Claude\\{path}` are never read: the app reads only values directly under the policy key; left out",
                    h.root()
                ),
            )
            .help("write the values directly under the policy key (polc build does)"),
        );
    }
    let mut values = Vec::new();
    let mut dwords = Vec::new();
    for v in &reg.values {
        // Left out above, every one of them.
        if machine_policy && v.hive == Hive::User {
            continue;
        }
        let elsewhere = if Some(v.hive) == hive {
            String::new()
        } else {
            format!(" (under {})", v.hive.root())
        };
        match (v.ty, &v.name) {
            (RegType::ExpandSz, _) => {
                let help = if v.hive == Hive::Machine {
                    "write REG_SZ; as it is, the value still counts as machine policy, so the app ignores HKEY_CURRENT_USER and gets nothing from it"
                } else {
                    "write REG_SZ"
                };
                notes.push(
                    Diagnostic::new(
                        Code::ImportUnreadableType,
                        format!(
                            "`{}`{elsewhere} is REG_EXPAND_SZ, which the app cannot read; left out",
                            shown(v)
                        ),
                    )
                    .help(help),
                );
            }
            (RegType::Other(ty), _) => notes.push(
                Diagnostic::new(
                    Code::ImportUnreadableType,
                    format!(
                        "`{}`{elsewhere} is {ty}, which the app does not see; left out",
                        shown(v)
                    ),
                )
                .help("write REG_SZ"),
            ),
            (_, None) => {
                let help = if v.hive == Hive::Machine {
                    "under HKEY_LOCAL_MACHINE it still counts as machine policy: the app ignores HKEY_CURRENT_USER"
                } else {
                    "remove it"
                };
                notes.push(
                    Diagnostic::new(
                        Code::ImportUnknownKey,
                        "the key's unnamed default value (`@`) is set; the app reads no setting from it; left out",
                    )
                    .help(help),
                );
            }
            (RegType::Sz, Some(name)) => values.push((name.clone(), v.data.clone())),
            (RegType::Dword, Some(name)) => {
                values.push((name.clone(), v.data.clone()));
                dwords.push(name.clone());
            }
        }
    }
    let mut meta = Vec::new();
    if let Some(hive) = hive {
        let scope = match hive {
            Hive::Machine => "system",
            Hive::User => "user",
        };
        meta.push(("scope", Json::String(scope.into())));
    }
    Imported {
        values,
        meta,
        kind: ".reg",
        notes,
        dwords,
        global_keys: Vec::new(),
    }
}

/// An error for a value line that cannot be read: names the value (the
/// text before the first `=`) but never shows its data, which may be a
/// secret.
fn unreadable_line(line: &str) -> String {
    match line.split_once('=') {
        Some((name, _)) => format!("cannot read the value line of {}", name.trim()),
        None => "cannot read a value line (no `=`)".to_string(),
    }
}

/// The type and data of the right-hand side of a value line.
fn reg_data(rest: &str) -> Option<(RegType, Json)> {
    if rest.starts_with('"') {
        let (s, _) = reg_string(rest)?;
        return Some((RegType::Sz, Json::String(s)));
    }
    if let Some(hex) = rest.strip_prefix("dword:") {
        let n = u32::from_str_radix(hex.trim(), 16).ok()?;
        return Some((RegType::Dword, Json::from(n)));
    }
    let (kind, hex) = if let Some(hex) = rest.strip_prefix("hex:") {
        ("3", hex)
    } else {
        let body = rest.strip_prefix("hex(")?;
        let close = body.find("):")?;
        (&body[..close], &body[close + 2..])
    };
    let bytes = || -> Option<Vec<u8>> {
        hex.split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(|b| u8::from_str_radix(b, 16).ok())
            .collect()
    };
    Some(match kind.to_ascii_lowercase().as_str() {
        "1" => (RegType::Sz, Json::String(hex_utf16(hex)?)),
        "2" => (RegType::ExpandSz, Json::String(hex_utf16(hex)?)),
        "4" | "5" => {
            let b: [u8; 4] = bytes()?.try_into().ok()?;
            let n = if kind == "4" {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            };
            (RegType::Dword, Json::from(n))
        }
        "0" => (RegType::Other("REG_NONE"), Json::Null),
        "3" => (RegType::Other("REG_BINARY"), Json::Null),
        "7" => (RegType::Other("REG_MULTI_SZ"), Json::Null),
        "b" => (RegType::Other("REG_QWORD"), Json::Null),
        _ => (RegType::Other("an unknown registry type"), Json::Null),
    })
}

/// A regedit quoted string at the start of `s`: (decoded, rest).
fn reg_string(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                other => out.push(other),
            },
            '"' => return Some((out, &body[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn hex_utf16(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = hex
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| u8::from_str_radix(b, 16).ok())
        .collect::<Option<_>>()?;
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    let s = String::from_utf16(&units).ok()?;
    Some(s.trim_end_matches('\0').to_string())
}

/// Decodes a raw value (a string from a preference store, or native JSON)
/// into the key's type. `None` when it does not fit.
#[must_use]
pub fn decode(raw: &Json, ty: &TypeDef) -> Option<Json> {
    match (ty, raw) {
        (TypeDef::String { .. }, Json::String(_)) => Some(raw.clone()),
        (TypeDef::Boolean, Json::Bool(_)) => Some(raw.clone()),
        (TypeDef::Boolean, Json::String(s)) => match s.trim() {
            "true" | "1" => Some(Json::Bool(true)),
            "false" | "0" => Some(Json::Bool(false)),
            _ => None,
        },
        (TypeDef::Boolean, Json::Number(n)) => n.as_i64().and_then(|i| match i {
            0 => Some(Json::Bool(false)),
            1 => Some(Json::Bool(true)),
            _ => None,
        }),
        (TypeDef::Integer { .. }, Json::Number(n)) => n.as_i64().map(Json::from),
        (TypeDef::Integer { .. }, Json::String(s)) => s.trim().parse::<i64>().ok().map(Json::from),
        (TypeDef::Number { .. }, Json::Number(_)) => Some(raw.clone()),
        (TypeDef::Number { .. }, Json::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number),
        (
            TypeDef::List { .. }
            | TypeDef::Map { .. }
            | TypeDef::Object { .. }
            | TypeDef::Union { .. },
            Json::String(s),
        ) => {
            let parsed: Json = serde_json::from_str(s).ok()?;
            match (&parsed, ty) {
                (Json::Array(_), TypeDef::List { .. })
                | (Json::Object(_), TypeDef::Map { .. } | TypeDef::Object { .. }) => Some(parsed),
                (_, TypeDef::Union { variants }) => {
                    variants.iter().find_map(|v| decode(&parsed, v))
                }
                _ => None,
            }
        }
        (TypeDef::List { .. }, Json::Array(_))
        | (TypeDef::Map { .. } | TypeDef::Object { .. }, Json::Object(_)) => Some(raw.clone()),
        (TypeDef::Union { variants }, _) => variants.iter().find_map(|v| decode(raw, v)),
        _ => None,
    }
}

/// The environment variable name used for an imported secret key.
#[must_use]
pub fn secret_env_name(key: &str) -> String {
    let mut out = String::from("POLC_");
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Marks a string that [`render_flat`] writes as `env("…")` (the rest of
/// the string is the variable's name). A NUL cannot start a value any
/// supported format carries as text the app reads.
const ENV_MARK: &str = "\u{0}polc-env:";

/// The secrets of one import: those replaced by `env()`, those left out,
/// and the variable names given.
#[derive(Default)]
struct Secrets {
    /// (path, variable) of every secret replaced by `env()`.
    replaced: Vec<(String, String)>,
    /// (path, what was expected) of every secret that is not a string, left
    /// out: `env()` gives a string, so the import would turn a value the app
    /// cannot read into one it can.
    undecodable: Vec<(String, String)>,
    /// Every variable name given so far in the import.
    taken: BTreeSet<String>,
}

impl Secrets {
    /// A variable name no other secret of the import has: `base`, or
    /// `base_2`, `base_3`… (paths that differ only in characters a name
    /// cannot hold, `X-Api-Key` and `X_Api_Key`, give one `base`; the
    /// first in the file keeps it).
    fn name(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut n = 1;
        while self.taken.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.taken.insert(name.clone());
        name
    }

    /// A value in a secret position (a secret field, a value of a map of
    /// secrets, of type `ty`): a string becomes an `env()` reference named
    /// `at`; anything else but null is left out (`false`). A null stays, as
    /// every null does.
    fn take(
        &mut self,
        value: &mut Json,
        ty: &TypeDef,
        schema: &Schema,
        at: &[String],
        shown: &str,
    ) -> bool {
        match value {
            Json::Null => true,
            Json::String(_) => {
                let var = self.name(at.join("_"));
                *value = Json::String(format!("{ENV_MARK}{var}"));
                self.replaced.push((shown.to_string(), var));
                true
            }
            _ => {
                let expected = crate::check::types::describe(ty, schema);
                self.undecodable.push((shown.to_string(), expected));
                false
            }
        }
    }
}

/// Replaces every secret field inside `v` (a value of type `ty`) by an
/// `env()` reference named after its path (`at`: the variable name's
/// parts; `shown`: the path as messages show it), into `secrets`.
fn nested_secrets_to_env(
    v: &mut Json,
    ty: &TypeDef,
    schema: &Schema,
    at: &mut Vec<String>,
    shown: &mut String,
    secrets: &mut Secrets,
) {
    let upper = |part: &str| {
        secret_env_name(part)
            .trim_start_matches("POLC_")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
    };
    // A URL with a password (`https://user:pw@host`, C0206) is a secret as
    // a whole: written into the policy it would end up in the repository.
    if let (
        TypeDef::String {
            format: Some(f), ..
        },
        Json::String(text),
    ) = (ty, &*v)
        && f.is_url()
        && crate::redact::mask_url_credentials(text).is_some()
    {
        secrets.take(v, ty, schema, at, shown);
        return;
    }
    match (ty, v) {
        (TypeDef::Object { name }, Json::Object(map)) => {
            let Some(object) = schema.object_type(name) else {
                return;
            };
            let mut left_out = Vec::new();
            for (k, value) in map.iter_mut() {
                let Some(field) = object.fields.iter().find(|f| &f.name == k) else {
                    continue;
                };
                let len = shown.len();
                shown.push('.');
                shown.push_str(k);
                at.push(upper(k));
                if field.secret {
                    if !secrets.take(value, &field.ty, schema, at, shown) {
                        left_out.push(k.clone());
                    }
                } else {
                    nested_secrets_to_env(value, &field.ty, schema, at, shown, secrets);
                }
                at.pop();
                shown.truncate(len);
            }
            map.retain(|k, _| !left_out.contains(k));
        }
        (TypeDef::List { items, .. }, Json::Array(values)) => {
            for (i, value) in values.iter_mut().enumerate() {
                let len = shown.len();
                shown.push_str(&format!("[{i}]"));
                at.push(i.to_string());
                nested_secrets_to_env(value, items, schema, at, shown, secrets);
                at.pop();
                shown.truncate(len);
            }
        }
        (
            TypeDef::Map {
                values,
                secret_values,
                ..
            },
            Json::Object(map),
        ) => {
            let mut left_out = Vec::new();
            for (k, value) in map.iter_mut() {
                let len = shown.len();
                shown.push_str(&format!("[{k:?}]"));
                at.push(upper(k));
                if *secret_values {
                    if !secrets.take(value, values, schema, at, shown) {
                        left_out.push(k.clone());
                    }
                } else {
                    nested_secrets_to_env(value, values, schema, at, shown, secrets);
                }
                at.pop();
                shown.truncate(len);
            }
            map.retain(|k, _| !left_out.contains(k));
        }
        (TypeDef::Union { variants }, v) => {
            for variant in variants {
                nested_secrets_to_env(v, variant, schema, at, shown, secrets);
            }
        }
        _ => {}
    }
}

/// Why an import is refused although the file was read.
#[derive(Debug)]
pub struct NoSetting {
    /// Why, as the end of a sentence ("cannot import `FILE`: …").
    pub why: String,
    /// What the import found that explains it (settings left out, unknown
    /// keys); empty for a nested (v2) configuration, whose every section
    /// would be an unknown key.
    pub diagnostics: Vec<Diagnostic>,
}

/// Refuses an import that would give an empty profile: the file holds no
/// key of the schema (a manifest, an allowlist, a file whose every setting
/// the app would not apply, or a nested (v2) configuration, recognized by a
/// top-level object named like the first part of a schema key's `v2_path`).
#[must_use]
pub fn no_setting(imported: &Imported, schema: &Schema) -> Option<NoSetting> {
    let known = |k: &str| schema.key(k).is_some() || schema.key_by_alias(k).is_some();
    if imported.values.iter().any(|(k, _)| known(k)) {
        return None;
    }
    let clusters: Vec<&str> = imported
        .values
        .iter()
        .filter(|(k, v)| {
            v.is_object()
                && schema.keys().iter().any(|d| {
                    d.v2_path
                        .as_deref()
                        .and_then(|p| p.split_once('.'))
                        .is_some_and(|(head, _)| head == k)
                })
        })
        .map(|(k, _)| k.as_str())
        .collect();
    Some(
        if imported.kind == "JSON configuration" && !clusters.is_empty() {
            NoSetting {
                why: format!(
                    "it looks like a nested (v2) configuration ({} {} v2 section{}); nested configurations are not supported: import the flat (v1) form",
                    list(&clusters),
                    if clusters.len() == 1 { "is a" } else { "are" },
                    if clusters.len() == 1 { "" } else { "s" }
                ),
                diagnostics: Vec::new(),
            }
        } else {
            NoSetting {
                why: format!(
                    "it holds no setting of the schema (read as a {})",
                    imported.kind
                ),
                diagnostics: to_policy(imported, "imported", schema).diagnostics,
            }
        },
    )
}

/// Turns an imported configuration into a profile named `name`.
#[must_use]
pub fn to_policy(imported: &Imported, name: &str, schema: &Schema) -> ImportResult {
    let mut diagnostics = imported.notes.clone();
    let global: Vec<&str> = imported
        .global_keys
        .iter()
        .map(String::as_str)
        .filter(|k| schema.key(k).or_else(|| schema.key_by_alias(k)).is_some())
        .collect();
    if !global.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                Code::ImportIgnoredSettings,
                format!(
                    "keys of the schema forced in `{GLOBAL_DOMAIN}` rather than in `{}`; left out: {}",
                    schema.file().domain,
                    list(&global)
                ),
            )
            .note("the app documents reading its managed preferences from its own domain only")
            .help("set the keys meant for the app in the policy; polc builds them in the app's domain"),
        );
    }
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut secrets = Secrets::default();
    let mut keys: Vec<&(String, Json)> = imported.values.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, raw) in keys {
        let Some(def) = schema.key(key).or_else(|| schema.key_by_alias(key)) else {
            let mut d = Diagnostic::new(
                Code::ImportUnknownKey,
                format!("`{key}` is not a key of the schema; left out"),
            );
            if let Some(s) =
                crate::suggest::did_you_mean(key, schema.keys().iter().map(|k| k.name.as_str()))
            {
                d = d.help(format!("did you mean `{s}`? the app ignores unknown keys"));
            } else {
                d = d.help("the app ignores unknown keys");
            }
            diagnostics.push(d);
            continue;
        };
        if imported.dwords.contains(key) {
            if matches!(def.ty, TypeDef::Boolean | TypeDef::Integer { .. }) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::ImportDwordValue,
                        format!("`{key}` is REG_DWORD: the app reads it for boolean and integer keys, but one report (May 2026) found REG_DWORD values not read"),
                    )
                    .help("imported as its number; `polc build` writes REG_SZ, the safe form"),
                );
            } else {
                diagnostics.push(
                    Diagnostic::new(
                        Code::ImportUnreadableType,
                        format!("`{key}` is REG_DWORD, which the app reads only for boolean and integer keys; left out"),
                    )
                    .help(format!(
                        "`{}` is {}: set it in the policy by hand",
                        def.name,
                        crate::check::types::describe(&def.ty, schema)
                    )),
                );
                continue;
            }
        }
        let undecodable = || {
            Diagnostic::new(
                Code::ImportUndecodableValue,
                format!(
                    "the value of `{}` cannot be read as {}; left out",
                    def.name,
                    crate::check::types::describe(&def.ty, schema)
                ),
            )
            .help("the app would not read it either; fix it in the policy by hand")
        };
        if def.secret {
            if decode(raw, &def.ty).is_none() {
                diagnostics.push(undecodable());
                continue;
            }
            let var = secrets.name(secret_env_name(&def.name));
            diagnostics.push(
                Diagnostic::new(
                    Code::ImportSecret,
                    format!("the secret `{}` was replaced by `env(\"{var}\")`", def.name),
                )
                .help(format!(
                    "set `{var}` when building; polc never prints secrets"
                )),
            );
            lines.push((def.name.clone(), format!("env(\"{var}\")")));
            continue;
        }
        match decode(raw, &def.ty) {
            Some(mut v) => {
                let mut at = vec![secret_env_name(&def.name)];
                nested_secrets_to_env(
                    &mut v,
                    &def.ty,
                    schema,
                    &mut at,
                    &mut def.name.clone(),
                    &mut secrets,
                );
                for (path, expected) in std::mem::take(&mut secrets.undecodable) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::ImportUndecodableValue,
                            format!("the secret `{path}` cannot be read as {expected}; left out"),
                        )
                        .help("a secret is imported as `env()`, which gives a string: set it in the policy by hand"),
                    );
                }
                for (path, var) in std::mem::take(&mut secrets.replaced) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::ImportSecret,
                            format!("the secret `{path}` was replaced by `env(\"{var}\")`"),
                        )
                        .help(format!(
                            "set `{var}` when building; polc never prints secrets"
                        )),
                    );
                }
                lines.push((def.name.clone(), render(&v, 1)));
            }
            None => diagnostics.push(undecodable()),
        }
    }
    let mut out = String::new();
    out.push_str(&format!("/// Imported from a {} by polc.\n", imported.kind));
    out.push_str(&format!(
        "profile {} {{\n",
        if crate::value::is_bare_name(name) {
            name.to_string()
        } else {
            quote(name)
        }
    ));
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &lines {
        out.push_str(&format!("  {k:<width$} = {v}\n"));
    }
    if !imported.meta.is_empty() {
        if !lines.is_empty() {
            out.push('\n');
        }
        out.push_str("  meta {\n");
        let width = imported
            .meta
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, v) in &imported.meta {
            let text = match v {
                Json::String(s) => quote(s),
                other => other.to_string(),
            };
            out.push_str(&format!("    {k:<width$} = {text}\n"));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    // Laid out as `polc fmt` lays it out, so that an import passes
    // `polc fmt --check` as it is.
    let source = match crate::syntax::format_source(&out) {
        Ok(formatted) => formatted,
        Err(_) => out,
    };
    ImportResult {
        source,
        diagnostics,
    }
}

fn quote(s: &str) -> String {
    let mut out = String::new();
    write_quoted(&mut out, s);
    out
}

/// A JSON value in policy syntax; long lists and objects one entry a line.
fn render(v: &Json, depth: usize) -> String {
    let flat = render_flat(v);
    if flat.len() + depth * 2 <= 80 || !matches!(v, Json::Array(_) | Json::Object(_)) {
        return flat;
    }
    let pad = "  ".repeat(depth + 1);
    let close = "  ".repeat(depth);
    match v {
        Json::Array(items) => {
            let body: Vec<String> = items
                .iter()
                .map(|i| format!("{pad}{},\n", render(i, depth + 1)))
                .collect();
            format!("[\n{}{close}]", body.concat())
        }
        Json::Object(map) => format!("{{\n{}{close}}}", entries(map, &pad, depth)),
        _ => flat,
    }
}

fn entries(map: &Map<String, Json>, pad: &str, depth: usize) -> String {
    map.iter()
        .map(|(k, v)| format!("{pad}{} = {},\n", key_text(k), render(v, depth + 1)))
        .collect()
}

fn key_text(k: &str) -> String {
    if is_ident(k) { k.to_string() } else { quote(k) }
}

fn render_flat(v: &Json) -> String {
    match v {
        Json::String(s) => match s.strip_prefix(ENV_MARK) {
            Some(var) => format!("env(\"{var}\")"),
            None => quote(s),
        },
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(render_flat).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) if map.is_empty() => "{}".into(),
        Json::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(k, v)| format!("{} = {}", key_text(k), render_flat(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Json::Null => "\"\"".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_secrets_become_env_references() {
        let schema = Schema::builtin();
        let servers = r#"[{"name":"box","transport":"http","url":"https://mcp.example.com/box","oauth":{"clientId":"id","clientSecret":"LITERAL-SECRET","authorizationServer":["https://auth.example.com"]}}]"#;
        let imported = Imported {
            values: vec![("managedMcpServers".into(), Json::String(servers.into()))],
            kind: "test",
            ..Imported::default()
        };
        let result = to_policy(&imported, "p", &schema);
        assert!(
            !result.source.contains("LITERAL-SECRET"),
            "{}",
            result.source
        );
        assert!(
            result.source.contains(
                r#"clientSecret        = env("POLC_MANAGED_MCP_SERVERS_0_OAUTH_CLIENT_SECRET")"#
            ),
            "{}",
            result.source
        );
        assert!(result.diagnostics.iter().any(|d| {
            d.code == Code::ImportSecret
                && d.message
                    .contains("`managedMcpServers[0].oauth.clientSecret`")
        }));
    }

    /// Messages of the diagnostics of an import, as `code message`.
    fn messages(result: &ImportResult) -> Vec<String> {
        result
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect()
    }

    #[test]
    fn header_names_alike_in_a_variable_name_get_distinct_variables() {
        let schema = Schema::builtin();
        let headers = serde_json::json!({
            "X-Api-Key": "first-1111", "X_Api_Key": "second-2222", "X-Api-Key_2": "third-3333"
        });
        let imported = Imported {
            values: vec![("bootstrapHeaders".into(), headers)],
            kind: "test",
            ..Imported::default()
        };
        let result = to_policy(&imported, "p", &schema);
        assert_eq!(
            result.source,
            "/// Imported from a test by polc.\n\
             profile p {\n  \
             bootstrapHeaders = {\n    \
             X-Api-Key   = env(\"POLC_BOOTSTRAP_HEADERS_X__API__KEY\"),\n    \
             X_Api_Key   = env(\"POLC_BOOTSTRAP_HEADERS_X__API__KEY_2\"),\n    \
             X-Api-Key_2 = env(\"POLC_BOOTSTRAP_HEADERS_X__API__KEY_2_2\"),\n  \
             }\n}\n"
        );
        assert_eq!(
            messages(&result),
            [
                "I0504 the secret `bootstrapHeaders[\"X-Api-Key\"]` was replaced by `env(\"POLC_BOOTSTRAP_HEADERS_X__API__KEY\")`",
                "I0504 the secret `bootstrapHeaders[\"X_Api_Key\"]` was replaced by `env(\"POLC_BOOTSTRAP_HEADERS_X__API__KEY_2\")`",
                "I0504 the secret `bootstrapHeaders[\"X-Api-Key_2\"]` was replaced by `env(\"POLC_BOOTSTRAP_HEADERS_X__API__KEY_2_2\")`",
            ]
        );
    }

    /// A URL with credentials is imported as `env()`, at the top level and
    /// inside an object, so that its password never reaches the policy
    /// source; one without is kept.
    #[test]
    fn urls_with_credentials_are_imported_as_env() {
        let schema = Schema::builtin();
        let imported = Imported {
            values: vec![
                (
                    "inferenceGatewayBaseUrl".into(),
                    serde_json::json!("https://svc:hunter2@gw.example.com"),
                ),
                (
                    "managedMcpServers".into(),
                    serde_json::json!([
                        {"name": "wiki", "transport": "http", "url": "https://bot:s3cret@mcp.example.com/wiki"},
                        {"name": "docs", "transport": "http", "url": "https://mcp.example.com/@docs"},
                        {"name": "jira", "transport": "http", "url": "https://bot:pa/ss@jira.example.com"}
                    ]),
                ),
            ],
            kind: "test",
            ..Imported::default()
        };
        let result = to_policy(&imported, "p", &schema);
        assert!(!result.source.contains("hunter2"), "{}", result.source);
        assert!(!result.source.contains("s3cret"), "{}", result.source);
        assert!(!result.source.contains("pa/ss"), "{}", result.source);
        assert!(
            result
                .source
                .contains("inferenceGatewayBaseUrl = env(\"POLC_INFERENCE_GATEWAY_BASE_URL\")"),
            "{}",
            result.source
        );
        assert!(
            result
                .source
                .contains("url = env(\"POLC_MANAGED_MCP_SERVERS_0_URL\")"),
            "{}",
            result.source
        );
        assert!(
            result.source.contains("\"https://mcp.example.com/@docs\""),
            "{}",
            result.source
        );
        assert_eq!(
            messages(&result),
            [
                "I0504 the secret `inferenceGatewayBaseUrl` was replaced by `env(\"POLC_INFERENCE_GATEWAY_BASE_URL\")`",
                "I0504 the secret `managedMcpServers[0].url` was replaced by `env(\"POLC_MANAGED_MCP_SERVERS_0_URL\")`",
                "I0504 the secret `managedMcpServers[2].url` was replaced by `env(\"POLC_MANAGED_MCP_SERVERS_2_URL\")`",
            ]
        );
    }

    /// `env()` gives a string: a secret that is not one (a number, an
    /// object, at the top level, in a header map or in a secret field) is
    /// reported and left out, never quoted, never turned into `env()`.
    #[test]
    fn secrets_that_are_not_strings_are_left_out() {
        let schema = Schema::builtin();
        let imported = Imported {
            values: vec![
                ("inferenceGatewayApiKey".into(), serde_json::json!(12345)),
                (
                    "bootstrapHeaders".into(),
                    serde_json::json!({ "X-N": 67890, "X-O": { "token": "nested-4444" }, "X-S": "kept-5555" }),
                ),
                (
                    "managedMcpServers".into(),
                    serde_json::json!([{
                        "name": "box", "transport": "http", "url": "https://mcp.example.com/box",
                        "oauth": { "clientId": "id", "clientSecret": ["list-6666"], "authorizationServer": ["https://auth.example.com"] }
                    }]),
                ),
            ],
            kind: "test",
            ..Imported::default()
        };
        let result = to_policy(&imported, "p", &schema);
        assert_eq!(
            messages(&result),
            [
                "I0503 the secret `bootstrapHeaders[\"X-N\"]` cannot be read as a string; left out",
                "I0503 the secret `bootstrapHeaders[\"X-O\"]` cannot be read as a string; left out",
                "I0504 the secret `bootstrapHeaders[\"X-S\"]` was replaced by `env(\"POLC_BOOTSTRAP_HEADERS_X__S\")`",
                "I0503 the value of `inferenceGatewayApiKey` cannot be read as a string; left out",
                "I0503 the secret `managedMcpServers[0].oauth.clientSecret` cannot be read as a string; left out",
            ]
        );
        for value in ["12345", "67890", "nested-4444", "kept-5555", "list-6666"] {
            assert!(!result.source.contains(value), "{}", result.source);
        }
        assert!(
            result
                .source
                .contains(r#"bootstrapHeaders = { X-S = env("POLC_BOOTSTRAP_HEADERS_X__S") }"#),
            "{}",
            result.source
        );
        assert!(
            result.source.contains(r#"oauth     = { clientId = "id", authorizationServer = ["https://auth.example.com"] }"#),
            "{}",
            result.source
        );
    }

    #[test]
    fn secret_names() {
        assert_eq!(
            secret_env_name("inferenceGatewayApiKey"),
            "POLC_INFERENCE_GATEWAY_API_KEY"
        );
    }

    #[test]
    fn registry_types_hives_deletions_and_subkeys() {
        let text = "Windows Registry Editor Version 5.00\r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Claude]\r\n\
            \"stale\"=\"x\"\r\n\
            [-HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Claude]\r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Claude]\r\n\
            @=\"\"\r\n\
            \"a\"=dword:0000000a\r\n\
            \"b\"=hex(4):0b,00,00,00\r\n\
            \"c\"=hex(2):41,00,00,00\r\n\
            \"d\"=hex(b):01,00,00,00,00,00,00,00\r\n\
            \"e\"=\"1\"\r\n\
            \"e\"=-\r\n\
            [HKEY_USERS\\S-1-5-21-1\\Software\\Policies\\Claude\\Sub]\r\n\
            \"f\"=\"y\"\r\n";
        let reg = read_registry(text.as_bytes()).expect("a valid .reg file");
        let got: Vec<(Hive, Option<&str>, RegType, &Json)> = reg
            .values
            .iter()
            .map(|v| (v.hive, v.name.as_deref(), v.ty, &v.data))
            .collect();
        assert_eq!(
            got,
            [
                (Hive::Machine, None, RegType::Sz, &Json::from("")),
                (Hive::Machine, Some("a"), RegType::Dword, &Json::from(10)),
                (Hive::Machine, Some("b"), RegType::Dword, &Json::from(11)),
                (
                    Hive::Machine,
                    Some("c"),
                    RegType::ExpandSz,
                    &Json::from("A")
                ),
                (
                    Hive::Machine,
                    Some("d"),
                    RegType::Other("REG_QWORD"),
                    &Json::Null
                ),
            ]
        );
        assert_eq!(reg.subkeys, [(Hive::User, "Sub".to_string())]);
        assert_eq!(reg.hives, [Hive::Machine]);
        assert!(read_registry(b"{}").is_err());
    }

    #[test]
    fn reg_strings() {
        assert_eq!(
            reg_string(r#""a\"b\\c"=x"#),
            Some(("a\"b\\c".to_string(), "=x"))
        );
    }
}
