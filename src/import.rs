//! `polc import`: an exported or deployed configuration back into policy
//! source.
//!
//! Reads a `.mobileconfig` (signed or not) or a flat managed-preferences
//! plist, a `.reg` file (UTF-16 or UTF-8), a Linux managed file, a
//! configuration-library entry or a bootstrap response (flat JSON). Values
//! stored as strings (every preference store) are decoded against the
//! schema: `"true"` becomes `true`, `"72"` becomes `72`, JSON text becomes a
//! list or an object. Secrets are never printed: they become `env("NAME")`.

use crate::diag::{Code, Diagnostic};
use crate::schema::Schema;
use crate::schema::model::{KeyDef, TypeDef};
use crate::value::{is_ident, write_quoted};
use serde_json::{Map, Value as Json};

/// What was found in the imported file.
#[derive(Debug, Default)]
pub struct Imported {
    /// Keys with their raw values (strings or native JSON), in file order.
    pub values: Vec<(String, Json)>,
    /// Packaging metadata found in the file (mobileconfig envelope, .reg hive).
    pub meta: Vec<(&'static str, Json)>,
    /// What kind of file it was, for messages.
    pub kind: &'static str,
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
        return read_reg(&decode_utf16(bytes)?);
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
        return read_reg(trimmed);
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
        meta: Vec::new(),
        kind: "JSON configuration",
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
            meta: Vec::new(),
            kind: "preference plist",
        });
    };
    let payload = content
        .iter()
        .filter_map(plist::Value::as_dictionary)
        .find(|p| p.get("PayloadType").and_then(plist::Value::as_string) == Some(domain))
        .ok_or_else(|| format!("the profile has no `{domain}` payload"))?;
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
    let values = payload
        .iter()
        .filter(|(k, _)| !k.starts_with("Payload"))
        .map(|(k, v)| (k.clone(), plist_to_json(v)))
        .collect();
    Ok(Imported {
        values,
        meta,
        kind: ".mobileconfig",
    })
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

fn read_reg(text: &str) -> Result<Imported, String> {
    let mut lines: Vec<String> = Vec::new();
    // Join continuation lines (a trailing backslash in hex values).
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
    let mut values: Vec<(String, Json)> = Vec::new();
    let mut meta = Vec::new();
    let mut in_claude = false;
    for line in &lines {
        let line = line.trim_start();
        if let Some(section) = line.strip_prefix('[') {
            let section = section.trim_end().trim_end_matches(']');
            if section.starts_with('-') {
                in_claude = false;
                continue;
            }
            let upper = section.to_ascii_uppercase();
            in_claude = upper.ends_with("\\SOFTWARE\\POLICIES\\CLAUDE");
            if in_claude {
                let scope = if upper.starts_with("HKEY_CURRENT_USER") {
                    "user"
                } else {
                    "system"
                };
                meta.retain(|(k, _)| *k != "scope");
                meta.push(("scope", Json::String(scope.into())));
            }
            continue;
        }
        if !in_claude || !line.starts_with('"') {
            continue;
        }
        let (name, rest) =
            reg_string(line).ok_or_else(|| format!("cannot read the value line `{line}`"))?;
        let rest = rest
            .trim_start()
            .strip_prefix('=')
            .ok_or_else(|| format!("cannot read the value line `{line}`"))?;
        let value = if rest.starts_with('"') {
            let (s, _) =
                reg_string(rest).ok_or_else(|| format!("cannot read the value of `{name}`"))?;
            Json::String(s)
        } else if let Some(hex) = rest.strip_prefix("dword:") {
            Json::from(
                i64::from_str_radix(hex.trim(), 16)
                    .map_err(|_| format!("bad dword value of `{name}`"))?,
            )
        } else if let Some(hex) = rest
            .strip_prefix("hex(1):")
            .or_else(|| rest.strip_prefix("hex(2):"))
        {
            Json::String(hex_utf16(hex).ok_or_else(|| format!("bad hex value of `{name}`"))?)
        } else if rest.trim() == "-" {
            values.retain(|(k, _)| *k != name);
            continue;
        } else {
            return Err(format!(
                "value `{name}` has a type the app cannot read (only REG_SZ and REG_DWORD)"
            ));
        };
        values.retain(|(k, _)| *k != name);
        values.push((name, value));
    }
    Ok(Imported {
        values,
        meta,
        kind: ".reg",
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

/// Turns an imported configuration into a profile named `name`.
#[must_use]
pub fn to_policy(imported: &Imported, name: &str, schema: &Schema) -> ImportResult {
    let mut diagnostics = Vec::new();
    let mut lines: Vec<(String, String)> = Vec::new();
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
        if def.secret {
            let var = secret_env_name(&def.name);
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
            Some(v) => lines.push((def.name.clone(), policy_value(&v, def, 1))),
            None => diagnostics.push(
                Diagnostic::new(
                    Code::ImportUndecodableValue,
                    format!(
                        "the value of `{}` cannot be read as {}; left out",
                        def.name,
                        crate::check::types::describe(&def.ty, schema)
                    ),
                )
                .help("the app would not read it either; fix it in the policy by hand"),
            ),
        }
    }
    let mut out = String::new();
    out.push_str(&format!("/// Imported from a {} by polc.\n", imported.kind));
    out.push_str(&format!(
        "profile {} {{\n",
        if is_ident(name) {
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
    ImportResult {
        source: out,
        diagnostics,
    }
}

fn quote(s: &str) -> String {
    let mut out = String::new();
    write_quoted(&mut out, s);
    out
}

/// A JSON value in policy syntax; long lists and objects one entry a line.
fn policy_value(v: &Json, def: &KeyDef, depth: usize) -> String {
    let _ = def;
    render(v, depth)
}

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
        Json::String(s) => quote(s),
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
    fn secret_names() {
        assert_eq!(
            secret_env_name("inferenceGatewayApiKey"),
            "POLC_INFERENCE_GATEWAY_API_KEY"
        );
    }

    #[test]
    fn reg_strings() {
        assert_eq!(
            reg_string(r#""a\"b\\c"=x"#),
            Some(("a\"b\\c".to_string(), "=x"))
        );
    }
}
