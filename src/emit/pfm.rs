//! Admin-UI manifests generated from the schema: a ProfileCreator /
//! ProfileManifests `.plist` ([`profile_manifest`]) and a Jamf Pro
//! "Application & Custom Settings" JSON-schema manifest ([`jamf_manifest`]).
//!
//! Both describe every key as a **string**, because the app reads every
//! managed preference as a string: booleans `"true"`/`"false"`, integers
//! in decimal, lists and objects as compact JSON text in one string. An
//! admin UI that wrote native booleans, integers, arrays or dictionaries
//! would produce values the app is not documented to read. Constraints the
//! string form can carry are given as a choice list (booleans and enums) or
//! a regular expression (integer ranges, some string formats, the outer
//! brackets of JSON text); the rest is in the description.
//!
//! # Which keys
//!
//! A key is included when [`included`] holds: its status is `documented` or
//! `deprecated` (deprecated keys are marked in the title and description),
//! and it can be delivered by device management (availability is not
//! `bootstrap`). Left out: `removed` keys (the app no longer reads them),
//! `first-party-only` keys (third-party mode ignores them) and `unverified`
//! keys (seen only in reverse engineering; an admin UI should not offer
//! them). Keys appear in schema order (by section), after the standard
//! payload keys.
//!
//! # Versions and dates
//!
//! `pfm_version` is [`manifest_version`]: the build number of the schema's
//! `app_version` (`1.46388.4` → 46388), so a manifest for a newer app wins
//! over an older one in ProfileCreator, and over the community manifest
//! (version 2). `pfm_last_modified` is the fixed date [`LAST_MODIFIED`]:
//! the output never depends on the clock.

use super::encode::app_text;
use super::mobileconfig::write_xml;
use crate::check::format::describe as describe_format;
use crate::check::types::describe;
use crate::schema::Schema;
use crate::schema::model::{Availability, Format, KeyDef, Status, TypeDef};
use plist::{Dictionary, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// `pfm_last_modified`: a fixed date (2026-11-01T00:00:00Z), so that the
/// manifest is reproducible. ProfileCreator only compares it between
/// manifests of the same domain and `pfm_version`.
pub const LAST_MODIFIED: &str = "2026-11-01T00:00:00Z";
const LAST_MODIFIED_UNIX: u64 = 1_793_491_200;

/// Whether the manifests describe a key (see the module documentation).
#[must_use]
pub fn included(def: &KeyDef) -> bool {
    matches!(def.status, Status::Documented | Status::Deprecated)
        && def.availability != Availability::Bootstrap
}

/// `pfm_version`: the second component of the schema's `app_version`
/// (the app's build number), or 1 when the schema has no usable version.
#[must_use]
pub fn manifest_version(schema: &Schema) -> u64 {
    schema
        .file()
        .app_version
        .as_deref()
        .and_then(|v| v.split('.').nth(1))
        .and_then(|b| b.parse::<u64>().ok())
        .filter(|&b| b > 0)
        .unwrap_or(1)
}

/// The ProfileManifests-format manifest (`<domain>.plist`) for the schema.
#[must_use]
pub fn profile_manifest(schema: &Schema) -> Vec<u8> {
    let file = schema.file();
    let domain = &file.domain;
    let mut subkeys = payload_subkeys(&file.application, domain);
    for def in schema.keys().iter().filter(|d| included(d)) {
        let info = KeyInfo::new(def, schema);
        let mut d = Fields::default();
        if let Some(dep) = def.deprecated.as_ref().and_then(|d| d.since.as_ref()) {
            d.put("pfm_app_deprecated", string(dep));
        }
        if let Some(since) = def.device_since() {
            d.put("pfm_app_min", string(since));
        }
        if let Some(default) = &info.default {
            d.put("pfm_default", string(default));
        }
        d.put("pfm_description", string(&info.description));
        if let Some(url) = def.sources.first() {
            d.put("pfm_documentation_url", string(url));
        }
        match (&info.choices, &info.pattern) {
            (Some(choices), _) => d.put(
                "pfm_range_list",
                Value::Array(choices.iter().map(|c| string(c)).collect()),
            ),
            (None, Some(pattern)) => d.put("pfm_format", string(pattern)),
            (None, None) => {}
        }
        d.put("pfm_name", string(&def.name));
        if def.secret {
            d.put("pfm_sensitive", Value::Boolean(true));
        }
        d.put("pfm_title", string(&info.title));
        d.put("pfm_type", string("string"));
        subkeys.push(d.into_value());
    }

    let mut root = Fields::default();
    root.put(
        "pfm_description",
        string(&format!(
            "Managed preferences of {}, domain {domain}. {}{}",
            file.application,
            STRINGS_NOTE,
            version_note(schema)
        )),
    );
    root.put("pfm_domain", string(domain));
    root.put("pfm_format_version", Value::Integer(1.into()));
    root.put(
        "pfm_last_modified",
        Value::Date(plist::Date::from(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(LAST_MODIFIED_UNIX),
        )),
    );
    root.put("pfm_platforms", Value::Array(vec![string("macOS")]));
    root.put("pfm_subkeys", Value::Array(subkeys));
    root.put("pfm_title", string(&file.application));
    root.put("pfm_unique", Value::Boolean(true));
    root.put(
        "pfm_version",
        Value::Integer(manifest_version(schema).into()),
    );
    write_xml(&root.into_value())
}

/// The Jamf Pro "Application & Custom Settings" JSON-schema manifest for
/// the schema (upload it with the domain as the preference domain).
#[must_use]
pub fn jamf_manifest(schema: &Schema) -> Vec<u8> {
    let file = schema.file();
    let mut properties = Map::new();
    for (order, def) in schema.keys().iter().filter(|d| included(d)).enumerate() {
        let info = KeyInfo::new(def, schema);
        let mut p = Map::new();
        p.insert("title".into(), json!(info.title));
        p.insert("description".into(), json!(info.description));
        p.insert("property_order".into(), json!((order + 1) * 5));
        p.insert("type".into(), json!("string"));
        match (&info.choices, &info.pattern) {
            (Some(choices), _) => {
                p.insert("enum".into(), json!(choices));
            }
            (None, Some(pattern)) => {
                p.insert("pattern".into(), json!(pattern));
            }
            (None, None) => {}
        }
        if let Some(n) = info.min_length {
            p.insert("minLength".into(), json!(n));
        }
        if let Some(n) = info.max_length {
            p.insert("maxLength".into(), json!(n));
        }
        if let Some(default) = &info.default {
            p.insert("default".into(), json!(default));
        }
        p.insert(
            "options".into(),
            json!({ "infoText": format!("Key name: {}", def.name) }),
        );
        if let Some(url) = def.sources.first() {
            p.insert(
                "links".into(),
                json!([{ "rel": "More information", "href": url }]),
            );
        }
        properties.insert(def.name.clone(), Json::Object(p));
    }
    let manifest = json!({
        "title": format!("{} ({})", file.application, file.domain),
        "description": format!(
            "Managed preferences of {}. {}{}",
            file.application,
            STRINGS_NOTE,
            version_note(schema)
        ),
        "type": "object",
        "options": { "remove_empty_properties": true },
        "properties": properties,
    });
    let mut out = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    out.push(b'\n');
    out
}

const STRINGS_NOTE: &str = "Every value is a string, as the app requires: booleans \"true\" or \
     \"false\", integers in decimal, lists and objects as compact JSON text in one string.";

fn version_note(schema: &Schema) -> String {
    schema
        .file()
        .app_version
        .as_ref()
        .map(|v| format!(" Generated by polc from its schema for app version {v}."))
        .unwrap_or_default()
}

/// The standard payload subkeys every manifest carries.
fn payload_subkeys(application: &str, domain: &str) -> Vec<Value> {
    let std_key = |name: &str, title: &str, ty: &str, description: &str| {
        let mut d = Fields::default();
        d.put("pfm_description", string(description));
        d.put("pfm_name", string(name));
        d.put("pfm_title", string(title));
        d.put("pfm_type", string(ty));
        d
    };
    let mut description = std_key(
        "PayloadDescription",
        "Payload Description",
        "string",
        "A description of the payload, shown on the profile's detail screen.",
    );
    description.put("pfm_default", string(&format!("Configures {application}")));
    let mut display_name = std_key(
        "PayloadDisplayName",
        "Payload Display Name",
        "string",
        "The name of the payload, shown on the profile's detail screen.",
    );
    display_name.put("pfm_default", string(application));
    display_name.put("pfm_require", string("always"));
    let mut identifier = std_key(
        "PayloadIdentifier",
        "Payload Identifier",
        "string",
        "A reverse-DNS identifier of the payload, unique within the profile: usually the \
         profile's identifier with a component appended. The system replaces a payload that has \
         the same PayloadIdentifier and PayloadUUID.",
    );
    identifier.put("pfm_default", string(domain));
    identifier.put("pfm_require", string("always"));
    let mut payload_type = std_key(
        "PayloadType",
        "Payload Type",
        "string",
        "The payload type: the app's preference domain.",
    );
    payload_type.put("pfm_default", string(domain));
    payload_type.put("pfm_require", string("always"));
    let mut uuid = std_key(
        "PayloadUUID",
        "Payload UUID",
        "string",
        "A unique identifier of the payload. Keep it unchanged across versions of the same \
         profile, so that the system updates the payload instead of adding a new one.",
    );
    uuid.put(
        "pfm_format",
        string("^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"),
    );
    uuid.put("pfm_require", string("always"));
    let mut version = std_key(
        "PayloadVersion",
        "Payload Version",
        "integer",
        "The version of the payload format: always 1.",
    );
    version.put("pfm_default", Value::Integer(1.into()));
    version.put(
        "pfm_range_list",
        Value::Array(vec![Value::Integer(1.into())]),
    );
    version.put("pfm_require", string("always"));
    let organization = std_key(
        "PayloadOrganization",
        "Payload Organization",
        "string",
        "The organization that provides the payload.",
    );
    [
        description,
        display_name,
        identifier,
        payload_type,
        uuid,
        version,
        organization,
    ]
    .into_iter()
    .map(Fields::into_value)
    .collect()
}

/// A plist dict whose keys are written in alphabetical order.
#[derive(Default)]
struct Fields(BTreeMap<&'static str, Value>);

impl Fields {
    fn put(&mut self, key: &'static str, value: Value) {
        self.0.insert(key, value);
    }

    fn into_value(self) -> Value {
        let mut d = Dictionary::new();
        for (k, v) in self.0 {
            d.insert(k.to_string(), v);
        }
        Value::Dictionary(d)
    }
}

fn string(text: &str) -> Value {
    Value::String(text.to_string())
}

/// What both manifests say about one key.
struct KeyInfo {
    title: String,
    description: String,
    /// The app's string form of the default.
    default: Option<String>,
    /// The allowed strings (booleans, enums).
    choices: Option<Vec<String>>,
    /// An anchored regular expression the string must match (used when
    /// there are no choices). Only ECMA-262 / ICU / Python common syntax.
    pattern: Option<String>,
    min_length: Option<u32>,
    max_length: Option<u32>,
}

impl KeyInfo {
    fn new(def: &KeyDef, schema: &Schema) -> KeyInfo {
        let choices = match &def.ty {
            TypeDef::Boolean => Some(vec!["true".to_string(), "false".to_string()]),
            TypeDef::String { values, .. } if !values.is_empty() => Some(values.clone()),
            _ => None,
        };
        let (min_length, max_length) = match &def.ty {
            TypeDef::String {
                min_length,
                max_length,
                ..
            } => (*min_length, *max_length),
            _ => (None, None),
        };
        KeyInfo {
            title: if def.status == Status::Deprecated {
                format!("{} (deprecated)", def.name)
            } else {
                def.name.clone()
            },
            description: key_description(def, schema),
            default: def.default.as_ref().filter(|d| !d.is_null()).map(app_text),
            choices,
            pattern: pattern_body(&def.ty).map(|b| format!("^{b}$")),
            min_length,
            max_length,
        }
    }
}

/// The documentation of a key followed by what its string must hold.
fn key_description(def: &KeyDef, schema: &Schema) -> String {
    let mut facts = vec![value_text(&def.ty, schema)];
    if let TypeDef::String {
        deprecated_values, ..
    } = &def.ty
    {
        for dv in deprecated_values {
            let mut s = format!("The value \"{}\" is deprecated", dv.value);
            if let Some(r) = &dv.deprecation.replaced_by {
                s.push_str(&format!(" (use {r})"));
            }
            if let Some(c) = &dv.deprecation.cutoff {
                s.push_str(&format!("; it is rejected after {c}"));
            }
            s.push('.');
            facts.push(s);
        }
    }
    match (&def.default, &def.default_doc) {
        (Some(d), _) if !d.is_null() => facts.push(format!("Default: \"{}\".", app_text(d))),
        (_, Some(doc)) => facts.push(format!("Default: {doc}.")),
        _ => {}
    }
    if let Some(dep) = &def.deprecated {
        let mut s = "Deprecated".to_string();
        if let Some(v) = &dep.since {
            s.push_str(&format!(" since app version {v}"));
        }
        if let Some(r) = &dep.replaced_by {
            s.push_str(&format!("; use {r} instead"));
        }
        s.push('.');
        if let Some(c) = &dep.cutoff {
            s.push_str(&format!(" The app stops accepting it after {c}."));
        }
        if let Some(n) = &dep.note {
            s.push(' ');
            s.push_str(n);
        }
        facts.push(s);
    }
    if let Some(v) = def.device_since() {
        facts.push(format!("Read by app version {v} and later."));
    }
    if !def.providers.is_empty() {
        let key = schema.provider_key().unwrap_or("the provider");
        facts.push(format!(
            "Applies when {key} is {}.",
            def.providers.join(" or ")
        ));
    }
    if def.availability == Availability::Managed {
        facts.push(
            "Device management only: a bootstrap response cannot deliver this key.".to_string(),
        );
    }
    if def.app_behavior {
        facts.push(
            "An app-behavior key: a profile that sets only app-behavior keys leaves the local \
             configuration editable."
                .to_string(),
        );
    }
    if def.secret {
        facts.push(
            "A secret: anyone who can read the profile or the managed preferences can read it."
                .to_string(),
        );
    }
    format!("{}\n\n{}", def.doc.trim(), facts.join("\n"))
}

/// One sentence on what the string holds, plus the fields of JSON objects.
fn value_text(ty: &TypeDef, schema: &Schema) -> String {
    match ty {
        TypeDef::Boolean => "Value: \"true\" or \"false\".".to_string(),
        TypeDef::Integer { .. } => format!("Value: {}, in decimal.", describe(ty, schema)),
        TypeDef::Number {
            min,
            exclusive_min,
            max,
        } => {
            let mut s = "Value: a decimal number".to_string();
            match (min, exclusive_min) {
                (Some(m), true) => s.push_str(&format!(" greater than {m}")),
                (Some(m), false) => s.push_str(&format!(" of at least {m}")),
                (None, _) => {}
            }
            if let Some(m) = max {
                s.push_str(&format!(
                    "{} at most {m}",
                    if min.is_some() { " and" } else { " of" }
                ));
            }
            s.push('.');
            s
        }
        TypeDef::String { values, format, .. } => {
            if values.is_empty() {
                format!("Value: {}.", describe(ty, schema))
            } else {
                let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                let mut s = format!("Value: one of {}.", quoted.join(", "));
                if let Some(f) = format {
                    s.push_str(&format!(" ({})", describe_format(*f)));
                }
                s
            }
        }
        TypeDef::List { .. }
        | TypeDef::Map { .. }
        | TypeDef::Object { .. }
        | TypeDef::Union { .. } => {
            let mut s = format!(
                "Value: {}, written as compact JSON text in one string (not a native array or \
                 dictionary).",
                describe(ty, schema)
            );
            let mut seen = Vec::new();
            object_fields(ty, schema, &mut seen, &mut s);
            s
        }
    }
}

/// Appends the fields of every object type reachable from `ty`.
fn object_fields(ty: &TypeDef, schema: &Schema, seen: &mut Vec<String>, out: &mut String) {
    match ty {
        TypeDef::List { items, .. } => object_fields(items, schema, seen, out),
        TypeDef::Map { values, .. } => object_fields(values, schema, seen, out),
        TypeDef::Union { variants } => {
            for v in variants {
                object_fields(v, schema, seen, out);
            }
        }
        TypeDef::Object { name } => {
            if seen.contains(name) {
                return;
            }
            seen.push(name.clone());
            let Some(obj) = schema.object_type(name) else {
                return;
            };
            let fields: Vec<String> = obj
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "\"{}\" ({}{})",
                        f.name,
                        describe(&f.ty, schema),
                        if f.required { ", required" } else { "" }
                    )
                })
                .collect();
            out.push_str(&format!("\n{name} fields: {}.", fields.join("; ")));
            for f in &obj.fields {
                object_fields(&f.ty, schema, seen, out);
            }
        }
        TypeDef::String { .. }
        | TypeDef::Integer { .. }
        | TypeDef::Number { .. }
        | TypeDef::Boolean => {}
    }
}

/// A regular expression (without anchors) that every valid string form of
/// the type matches, when one is practical. Integer ranges are exact.
fn pattern_body(ty: &TypeDef) -> Option<String> {
    match ty {
        TypeDef::Boolean => Some("(?:true|false)".to_string()),
        TypeDef::Integer { min, max } => Some(int_range_pattern(*min, *max)),
        TypeDef::Number {
            min,
            exclusive_min,
            max,
        } => Some(number_range_pattern(*min, *exclusive_min, *max)),
        TypeDef::String { values, format, .. } => {
            if values.is_empty() {
                format.and_then(format_pattern).map(str::to_string)
            } else {
                let alts: Vec<String> = values.iter().map(|v| regex_escape(v)).collect();
                Some(format!("(?:{})", alts.join("|")))
            }
        }
        TypeDef::List { .. } => Some("\\[[\\s\\S]*\\]".to_string()),
        TypeDef::Map { .. } | TypeDef::Object { .. } => Some("\\{[\\s\\S]*\\}".to_string()),
        TypeDef::Union { variants } => {
            let bodies: Option<Vec<String>> = variants.iter().map(pattern_body).collect();
            bodies.map(|b| format!("(?:{})", b.join("|")))
        }
    }
}

/// Patterns for the formats that one regular expression captures exactly
/// (or, for URLs, as a necessary condition: scheme and no whitespace).
fn format_pattern(format: Format) -> Option<&'static str> {
    Some(match format {
        Format::Uuid => {
            "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
        }
        Format::Color => "#[0-9A-Fa-f]{6}",
        Format::AwsAccountId => "[0-9]{12}",
        Format::Sha1Hex => "[0-9A-Fa-f]{40}",
        Format::Sha256Hex => "[0-9A-Fa-f]{64}",
        Format::GcpProject => "[a-z0-9][a-z0-9.:-]*",
        Format::AwsRegion => "[a-z]+(?:-[a-z]+)+-[0-9]+",
        Format::HttpsUrl => "[Hh][Tt][Tt][Pp][Ss]://[^\\s@/?#]+(?:[/?#]\\S*)?",
        Format::HttpUrl => "[Hh][Tt][Tt][Pp][Ss]?://[^\\s@/?#]+(?:[/?#]\\S*)?",
        Format::HttpsOrigin => "[Hh][Tt][Tt][Pp][Ss]://[^\\s@/?#]+/?",
        Format::AbsolutePath => "(?:/|\\\\\\\\|[A-Za-z]:[\\\\/])[\\s\\S]*",
        Format::HostPattern
        | Format::Hostname
        | Format::WorkspacePath
        | Format::GcpLocation
        | Format::HeaderName
        | Format::GithubRepo
        | Format::MarketplaceName
        | Format::HostList
        | Format::AppVersion => return None,
    })
}

/// Escapes the ECMA-262 syntax characters (the only escapes valid in every
/// regex dialect the manifests meet).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "^$\\.*+?()[]{}|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A regular expression (without anchors) for the decimal numbers from
/// `min` (excluded when `exclusive_min`) to `max`. When the bounds are
/// whole numbers, the lower one at least 0, it matches exactly the numbers
/// of the range written in decimal (`0.85`, `1`, `1.0`; no exponent, no
/// leading zeros, no `+`): `> 0` excludes `0` and `0.00`, `<= 1` excludes
/// `1.5`. Other bounds, which no regular expression of practical size
/// checks, give any decimal number (of the right sign when `min >= 0`),
/// exponents included; the description states the range.
fn number_range_pattern(min: Option<f64>, exclusive_min: bool, max: Option<f64>) -> String {
    /// The value of `x` as an `i64`, if it is a whole number (of a size
    /// an `f64` holds exactly).
    #[allow(clippy::cast_possible_truncation)]
    fn whole(x: f64) -> Option<i64> {
        (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
    }
    let lo = min.and_then(whole).filter(|&m| m >= 0);
    let hi = match max {
        None => Some(None),
        Some(x) => whole(x).map(Some),
    };
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return format!(
            "{}(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?",
            if min.is_some_and(|m| m >= 0.0) {
                ""
            } else {
                "-?"
            }
        );
    };
    let mut alts = Vec::new();
    // Integer parts with any fraction: from the bound (the next integer
    // when it is excluded) to the integer below the maximum.
    let any_lo = if exclusive_min { lo + 1 } else { lo };
    let any_hi = hi.map(|h| h - 1);
    if any_hi.is_none_or(|h| h >= any_lo) {
        let int = int_range_pattern(Some(any_lo), any_hi);
        alts.push(format!("{int}(?:\\.[0-9]+)?"));
    }
    // An excluded bound itself with a fraction that is not zero.
    if exclusive_min && hi.is_none_or(|h| h > lo) {
        alts.push(format!("{lo}\\.[0-9]*[1-9][0-9]*"));
    }
    // The maximum itself, with a fraction of zeros only.
    if let Some(h) = hi
        && (h > lo || (h == lo && !exclusive_min))
    {
        alts.push(format!("{h}(?:\\.0+)?"));
    }
    if alts.is_empty() {
        return "(?!)".to_string();
    }
    group(&alts)
}

/// A regular expression (without anchors) matching exactly the decimal
/// forms (no leading zeros, no `+`, `-0` excluded) of the integers in
/// `[min, max]`; an absent bound is unbounded.
fn int_range_pattern(min: Option<i64>, max: Option<i64>) -> String {
    let lo = min.map(i128::from);
    let hi = max.map(i128::from);
    let mut alts = Vec::new();
    // Non-negative part: [max(lo, 0), hi].
    let nn_lo = lo.map_or(0, |l| l.max(0));
    if hi.is_none_or(|h| h >= nn_lo) {
        alts.extend(non_negative(
            nn_lo.unsigned_abs(),
            hi.map(i128::unsigned_abs),
        ));
    }
    // Negative part: magnitudes [max(1, -hi), -lo].
    if lo.is_none_or(|l| l < 0) {
        let mag_lo = hi.map_or(1, |h| (-h).max(1));
        let mag_hi = lo.map(|l| -l);
        if mag_hi.is_none_or(|m| m >= mag_lo) {
            let neg = non_negative(mag_lo.unsigned_abs(), mag_hi.map(i128::unsigned_abs));
            alts.push(format!("-{}", group(&neg)));
        }
    }
    if alts.is_empty() {
        // An empty range: nothing matches.
        return "(?!)".to_string();
    }
    group(&alts)
}

fn group(alts: &[String]) -> String {
    if alts.len() == 1 {
        alts[0].clone()
    } else {
        format!("(?:{})", alts.join("|"))
    }
}

/// Alternatives matching the integers in `[lo, hi]` (`hi` absent:
/// unbounded), all non-negative.
fn non_negative(lo: u128, hi: Option<u128>) -> Vec<String> {
    let lo_len = lo.to_string().len();
    let hi_len = hi.map_or(lo_len, |h| h.to_string().len());
    let mut alts = Vec::new();
    for len in lo_len..=hi_len {
        let exp = u32::try_from(len).unwrap_or(u32::MAX);
        let start = if len == lo_len {
            lo
        } else {
            10u128.pow(exp - 1)
        };
        let end = match hi {
            Some(h) if len == hi_len => h,
            _ => 10u128.pow(exp) - 1,
        };
        alts.extend(same_length(
            start.to_string().as_bytes(),
            end.to_string().as_bytes(),
        ));
    }
    if hi.is_none() {
        alts.push(format!("[1-9][0-9]{{{lo_len},}}"));
    }
    alts
}

/// Alternatives matching the digit strings from `a` to `b` (same length,
/// `a <= b`).
fn same_length(a: &[u8], b: &[u8]) -> Vec<String> {
    let (Some((&a0, a_rest)), Some((&b0, b_rest))) = (a.split_first(), b.split_first()) else {
        return vec![String::new()];
    };
    let prefixed = |digit: u8, tails: Vec<String>| -> Vec<String> {
        tails
            .into_iter()
            .map(|t| format!("{}{t}", char::from(digit)))
            .collect()
    };
    if a0 == b0 {
        return prefixed(a0, same_length(a_rest, b_rest));
    }
    let n = a_rest.len();
    let mut out = Vec::new();
    let mut mid_lo = a0;
    if !a_rest.iter().all(|&d| d == b'0') {
        out.extend(prefixed(a0, same_length(a_rest, &vec![b'9'; n])));
        mid_lo += 1;
    }
    let upper_full = b_rest.iter().all(|&d| d == b'9');
    let mid_hi = if upper_full { b0 } else { b0 - 1 };
    if mid_lo <= mid_hi {
        let class = if mid_lo == mid_hi {
            char::from(mid_lo).to_string()
        } else {
            format!("[{}-{}]", char::from(mid_lo), char::from(mid_hi))
        };
        let any = match n {
            0 => String::new(),
            1 => "[0-9]".to_string(),
            _ => format!("[0-9]{{{n}}}"),
        };
        out.push(format!("{class}{any}"));
    }
    if !upper_full {
        out.extend(prefixed(b0, same_length(&vec![b'0'; n], b_rest)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ranges() {
        assert_eq!(
            int_range_pattern(Some(1), Some(72)),
            "(?:[1-9]|[1-6][0-9]|7[0-2])"
        );
        assert_eq!(int_range_pattern(Some(0), Some(9)), "[0-9]");
        assert_eq!(int_range_pattern(Some(1), None), "(?:[1-9]|[1-9][0-9]{1,})");
        assert_eq!(
            int_range_pattern(Some(300), Some(1800)),
            "(?:[3-9][0-9]{2}|1[0-7][0-9]{2}|1800)"
        );
        assert_eq!(
            int_range_pattern(None, None),
            "(?:[0-9]|[1-9][0-9]{1,}|-(?:[1-9]|[1-9][0-9]{1,}))"
        );
        assert_eq!(int_range_pattern(Some(-5), Some(-2)), "-[2-5]");
        assert_eq!(int_range_pattern(Some(5), Some(2)), "(?!)");
    }

    #[test]
    fn number_ranges() {
        // (0, 1]: not 0, not above 1.
        assert_eq!(
            number_range_pattern(Some(0.0), true, Some(1.0)),
            r"(?:0\.[0-9]*[1-9][0-9]*|1(?:\.0+)?)"
        );
        assert_eq!(
            number_range_pattern(Some(0.0), false, None),
            r"(?:[0-9]|[1-9][0-9]{1,})(?:\.[0-9]+)?"
        );
        assert_eq!(
            number_range_pattern(Some(1.0), true, Some(3.0)),
            r"(?:2(?:\.[0-9]+)?|1\.[0-9]*[1-9][0-9]*|3(?:\.0+)?)"
        );
        assert_eq!(
            number_range_pattern(Some(2.0), false, Some(2.0)),
            r"2(?:\.0+)?"
        );
        assert_eq!(number_range_pattern(Some(2.0), true, Some(2.0)), "(?!)");
        // Bounds no practical expression checks: any decimal number.
        assert_eq!(
            number_range_pattern(Some(0.5), false, None),
            r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
        );
        assert_eq!(
            number_range_pattern(None, false, Some(1.0)),
            r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
        );
    }
}
