//! `polc show` and `polc trace`: the effective configuration of a profile
//! and the provenance of one key, as text or JSON.
//!
//! Secrets are never printed: `env()` values appear as `<env:NAME>`, and
//! literal values of secret keys and of secret fields inside values (at
//! any depth, see [`crate::redact`]) as `<redacted>`.

use crate::redact;
use crate::resolve::{EffValue, Op, ProfileId, Resolved};
use crate::schema::Schema;
use crate::schema::model::KeyDef;
use crate::source::SourceSet;
use crate::span::Span;
use crate::value::{Val, Value};
use std::fmt::Write as _;

/// `value`, a value of the key `def` (`None`: a `meta` field or a key the
/// schema does not know, never secret), as it may be shown: the whole value
/// if the key is secret, and every secret field inside it, at any depth,
/// replaced by `"<redacted>"`; `env()` references are kept (they hold a
/// name, shown as `<env:NAME>`).
fn redacted(schema: &Schema, def: Option<&KeyDef>, value: &Val) -> Val {
    match def {
        Some(def) => redact::redact_key(value.clone(), def, schema),
        None => value.clone(),
    }
}

/// A redacted one-line rendering of a value of the key `def` (see
/// [`redacted`]): a literal value of a secret key as a bare `<redacted>`
/// (as `polc effective` shows it), secret fields inside a value as
/// `"<redacted>"`, `env()` references as `<env:NAME>`.
fn shown(schema: &Schema, def: Option<&KeyDef>, value: &Val) -> String {
    if def.is_some_and(|d| d.secret) && !matches!(value.kind, Value::Env(_)) {
        return redact::REDACTED.to_string();
    }
    redact_env(&redacted(schema, def, value).display_plain())
}

/// A redacted one-line rendering of the value of a statement `KEY OP value`
/// (see [`shown`]); the value of a `+=` or `-=` may be an element of the
/// key's list.
fn shown_statement(schema: &Schema, def: Option<&KeyDef>, op: Op, value: &Val) -> String {
    match (op, def) {
        (Op::Append | Op::Remove, Some(def)) if !def.secret => {
            redact_env(&redact::redact_change(value.clone(), def, schema).display_plain())
        }
        _ => shown(schema, def, value),
    }
}

/// `env("NAME")` → `<env:NAME>` in displayed text.
fn redact_env(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("env(\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 5..];
        match after.find("\")") {
            Some(j) => {
                out.push_str("<env:");
                out.push_str(&after[..j]);
                out.push('>');
                rest = &after[j + 2..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn location(sources: &SourceSet, span: Span) -> String {
    let file = sources.file(span.file);
    let (line, col) = file.line_col(span.start as usize);
    format!("{}:{line}:{col}", file.name)
}

/// The effective configuration as JSON: one object, key → typed value;
/// secrets as `"<env:NAME>"` (literal secrets as `"<redacted>"`). Meta
/// fields are under `"meta"` only when `with_meta` is set.
#[must_use]
pub fn show_json(resolved: &Resolved, id: ProfileId, schema: &Schema) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    if let Some(eff) = &resolved.effective[id.index()] {
        for (key, ev) in eff.keys() {
            obj.insert(key.to_string(), value_json(schema, key, &ev.value));
        }
    }
    serde_json::Value::Object(obj)
}

/// One value as [`show_json`] prints it: typed JSON, `env()` secrets as
/// `"<env:NAME>"`, and literal values of secret keys and of secret fields
/// inside values (at any depth) as `"<redacted>"`. `key` may be a `meta.`
/// field (never secret).
#[must_use]
pub fn value_json(schema: &Schema, key: &str, value: &Val) -> serde_json::Value {
    redacted(schema, schema.key(key), value).to_json(&|_| None)
}

/// The effective configuration as text, grouped by schema section, with the
/// file and line that set each value.
#[must_use]
pub fn show_text(
    resolved: &Resolved,
    id: ProfileId,
    schema: &Schema,
    sources: &SourceSet,
) -> String {
    let decl = resolved.profile(id);
    let mut out = String::new();
    let kind = if decl.is_abstract {
        "abstract profile"
    } else {
        "profile"
    };
    let _ = writeln!(out, "{kind} {}", decl.name);
    if let Some(doc) = &decl.doc {
        for line in doc.lines() {
            let _ = writeln!(out, "  /// {line}");
        }
    }
    let order: Vec<&str> = resolved.linearization[id.index()]
        .iter()
        .map(|p| &*resolved.profile(*p).name)
        .collect();
    if order.len() > 1 {
        let _ = writeln!(out, "  replay order: {}", order.join(" → "));
    }
    let Some(eff) = &resolved.effective[id.index()] else {
        let _ = writeln!(out, "  (not resolved: see the diagnostics)");
        return out;
    };
    let rows = |entries: Vec<(&str, &EffValue, Option<&KeyDef>)>, out: &mut String| {
        let width = entries.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
        for (k, ev, def) in entries {
            let _ = writeln!(
                out,
                "  {k:<width$} = {}  # {}",
                shown(schema, def, &ev.value),
                location(sources, ev.last_span())
            );
        }
    };
    let meta: Vec<(&str, &EffValue, Option<&KeyDef>)> = eff
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(crate::resolve::META_PREFIX)
                .map(|f| (f, v, None))
        })
        .collect();
    if !meta.is_empty() {
        let _ = writeln!(out, "\nmeta");
        rows(meta, &mut out);
    }
    for section in &schema.file().sections {
        let entries: Vec<(&str, &EffValue, Option<&KeyDef>)> = schema
            .keys()
            .iter()
            .filter(|k| k.section == section.id)
            .filter_map(|k| eff.get(&k.name).map(|v| (k.name.as_str(), v, Some(k))))
            .collect();
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", section.title);
        rows(entries, &mut out);
    }
    let unknown: Vec<(&str, &EffValue, Option<&KeyDef>)> = eff
        .keys()
        .filter(|(k, _)| schema.key(k).is_none())
        .map(|(k, v)| (&**k, v, None))
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "\nUnknown keys");
        rows(unknown, &mut out);
    }
    out
}

/// Every statement about `key` in the profile's replay order, marking which
/// ones make up the effective value.
#[must_use]
pub fn trace_text(
    resolved: &Resolved,
    id: ProfileId,
    key: &str,
    schema: &Schema,
    sources: &SourceSet,
) -> String {
    let decl = resolved.profile(id);
    let def = schema.key(key);
    let mut out = String::new();
    let order = &resolved.linearization[id.index()];
    let names: Vec<&str> = order.iter().map(|p| &*resolved.profile(*p).name).collect();
    let _ = writeln!(out, "{key} in profile {}", decl.name);
    let _ = writeln!(out, "replay order: {}\n", names.join(" → "));
    let eff = resolved.effective[id.index()].as_ref();
    let ev = eff.and_then(|e| e.get(key));
    let mut rows: Vec<(String, String, String, &str)> = Vec::new();
    for &p in order {
        let pd = resolved.profile(p);
        for st in pd.statements.iter().filter(|s| &*s.key == key) {
            let used =
                ev.is_some_and(|ev| ev.steps.iter().any(|s| s.span == st.span && s.profile == p));
            let text = match (&st.op, &st.value) {
                (Op::Unset, _) => format!("unset {key}"),
                (op, Some(v)) => format!(
                    "{key} {} {}",
                    op.as_str(),
                    shown_statement(schema, def, *op, &v.bind_profile(&decl.name))
                ),
                (op, None) => format!("{key} {} <invalid>", op.as_str()),
            };
            let status = if used {
                "applied"
            } else if st.op == Op::Unset && ev.is_none() {
                "unset"
            } else {
                "overridden"
            };
            rows.push((
                pd.name.to_string(),
                location(sources, st.span),
                text,
                status,
            ));
        }
    }
    if rows.is_empty() {
        let _ = writeln!(out, "no profile in the replay order sets `{key}`");
    }
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    for (p, loc, text, status) in &rows {
        let _ = writeln!(out, "  {status:<10} {p:<w0$}  {loc:<w1$}  {text}");
    }
    match ev {
        Some(ev) => {
            let _ = writeln!(
                out,
                "\neffective: {} = {}",
                key,
                shown(schema, def, &ev.value)
            );
        }
        None => {
            let _ = writeln!(out, "\neffective: {key} is not set");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_is_redacted() {
        assert_eq!(redact_env("[env(\"A\"), \"x\"]"), "[<env:A>, \"x\"]");
        assert_eq!(redact_env("env(\"KEY_1\")"), "<env:KEY_1>");
    }
}
