//! `polc schema`: the schema as text.

use super::Schema;
use super::model::{Availability, KeyDef, Status, TypeDef};
use crate::check::types::describe;
use std::fmt::Write as _;

/// Every key, grouped by section.
#[must_use]
pub fn overview(schema: &Schema) -> String {
    let f = schema.file();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} keys",
        f.application,
        f.domain,
        f.keys.len()
    );
    for section in &f.sections {
        let keys: Vec<&KeyDef> = f.keys.iter().filter(|k| k.section == section.id).collect();
        if keys.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", section.title);
        let width = keys.iter().map(|k| k.name.len()).max().unwrap_or(0);
        for k in keys {
            let mut tags = Vec::new();
            match k.status {
                Status::Deprecated => tags.push("deprecated"),
                Status::Removed => tags.push("removed"),
                Status::FirstPartyOnly => tags.push("1P only"),
                Status::Unverified => tags.push("unverified"),
                Status::Documented => {}
            }
            if k.secret {
                tags.push("secret");
            }
            if k.app_behavior {
                tags.push("app-behavior");
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", tags.join(", "))
            };
            let _ = writeln!(
                out,
                "  {:<width$}  {}{tags}",
                k.name,
                describe(&k.ty, schema)
            );
        }
    }
    out
}

/// The documentation of one key.
#[must_use]
pub fn key_page(schema: &Schema, name: &str) -> Option<String> {
    let k = schema.key(name)?;
    let mut out = String::new();
    let section = schema
        .file()
        .sections
        .iter()
        .find(|s| s.id == k.section)
        .map_or(k.section.as_str(), |s| s.title.as_str());
    let _ = writeln!(out, "{}  ({section})\n", k.name);
    let _ = writeln!(out, "{}\n", k.doc);
    let _ = writeln!(out, "type:          {}", describe(&k.ty, schema));
    if let Some(d) = &k.default {
        let _ = writeln!(out, "default:       {d}");
    } else if let Some(d) = &k.default_doc {
        let _ = writeln!(out, "default:       {d}");
    }
    if let Some(s) = &k.since {
        let _ = writeln!(out, "since:         {s}");
    }
    if let Some(m) = &k.managed_since {
        let _ = writeln!(
            out,
            "managed since: {m} (earlier versions read it only from a bootstrap response)"
        );
    }
    let avail = match k.availability {
        Availability::ManagedAndBootstrap => "device management, local file and bootstrap",
        Availability::Managed => "device management and local file only (never bootstrap)",
        Availability::Bootstrap => "bootstrap only",
        Availability::Unknown => "not documented",
    };
    let _ = writeln!(out, "delivery:      {avail}");
    if !k.providers.is_empty() {
        let _ = writeln!(out, "providers:     {}", k.providers.join(", "));
    }
    if k.secret {
        let _ = writeln!(out, "secret:        yes (write it as env(\"NAME\"))");
    }
    if matches!(
        k.ty,
        TypeDef::Map {
            secret_values: true,
            ..
        }
    ) {
        let _ = writeln!(
            out,
            "secret:        every value (write each as env(\"NAME\"))"
        );
    }
    if k.app_behavior {
        let _ = writeln!(
            out,
            "app-behavior:  yes (a profile with only such keys leaves local configuration editable)"
        );
    }
    if k.device_and_response {
        let _ = writeln!(
            out,
            "on device too: with bootstrap delivery, the device carries it as well as the response (same value)"
        );
    }
    if k.bootstrap_origin_pinned {
        let f = schema.file();
        let url = f
            .bootstrap_url_key
            .as_deref()
            .unwrap_or("the bootstrap URL");
        let _ = match f.bootstrap_oidc_key.as_deref() {
            Some(oidc) => writeln!(
                out,
                "origin pinned: a served value must share the origin of {url} unless {oidc} is set"
            ),
            None => writeln!(
                out,
                "origin pinned: a served value must share the origin of {url}"
            ),
        };
    }
    if let Some(dep) = &k.deprecated {
        let mut line = "deprecated".to_string();
        if let Some(r) = &dep.replaced_by {
            let _ = write!(line, "; use {r}");
        }
        if let Some(c) = &dep.cutoff {
            let _ = write!(line, "; accepted until {c}");
        }
        let _ = writeln!(out, "status:        {line}");
    }
    if !k.aliases.is_empty() {
        let _ = writeln!(out, "older names:   {}", k.aliases.join(", "));
    }
    for s in &k.sources {
        let _ = writeln!(out, "source:        {s}");
    }
    Some(out)
}
