//! `polc build`: every artifact of a checked policy set, in memory.
//!
//! The CLI writes the result atomically; this module only computes bytes.

use super::encode::{Delivery, EncodedProfile, encode};
use super::{Artifact, json};
use crate::Compilation;
use crate::diag::Diagnostic;
use crate::host::Host;
use crate::schema::Schema;
use sha2::{Digest, Sha256};

/// Builds every artifact. Refuses (with the diagnostics) when a secret is
/// missing; the caller refuses earlier when the compilation has errors.
///
/// # Errors
/// One diagnostic per missing `env()` variable.
pub fn build(
    c: &Compilation,
    schema: &Schema,
    host: &dyn Host,
) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    let mut ids: Vec<_> = c
        .resolved
        .ids()
        .filter(|id| !c.resolved.profile(*id).is_abstract)
        .collect();
    ids.sort_by(|a, b| {
        c.resolved
            .profile(*a)
            .name
            .cmp(&c.resolved.profile(*b).name)
    });
    let mut errors = Vec::new();
    let mut artifacts = Vec::new();
    for id in ids {
        match encode(&c.resolved, id, schema, host) {
            Ok(p) => {
                let list = crate::egress::allowlist(&c.resolved, id, schema);
                profile_artifacts(&p, &list, &mut artifacts);
            }
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Templates for the management consoles, from the schema.
    artifacts.push(Artifact {
        path: "templates/claude-admx.zip".into(),
        bytes: super::admx::template_zip(schema),
        secret: false,
    });
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = manifest(&artifacts);
    artifacts.push(Artifact {
        path: "manifest.json".into(),
        bytes: manifest,
        secret: false,
    });
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(artifacts)
}

fn wants(p: &EncodedProfile<'_>, format: &str) -> bool {
    p.meta.formats.iter().any(|f| f == format)
}

fn profile_artifacts(
    p: &EncodedProfile<'_>,
    list: &crate::egress::Allowlist,
    out: &mut Vec<Artifact>,
) {
    let dir = format!("profiles/{}", p.name);
    let mut add = |name: String, bytes: Vec<u8>, secret: bool| {
        out.push(Artifact {
            path: format!("{dir}/{name}"),
            bytes,
            secret,
        });
    };
    // The device-management profiles: with `delivery = "bootstrap"` they
    // carry only the keys a bootstrap response may not.
    let mdm = mdm_profile(p);
    if wants(p, "reg") {
        add(
            format!("{}.reg", p.name),
            super::reg::render(&mdm),
            mdm.has_secret(),
        );
    }
    if wants(p, "linux-json") {
        add(
            "managed-settings.json".into(),
            json::linux_managed(p),
            p.has_secret(),
        );
    }
    if wants(p, "bootstrap-json") || p.meta.delivery == Delivery::Bootstrap {
        let only =
            |e: &super::Entry<'_>| p.meta.delivery == Delivery::Mdm || !in_bootstrap_mdm_profile(e);
        let secret = p
            .entries
            .iter()
            .any(|e| e.secret && json::bootstrap_may_carry(e) && only(e));
        add("bootstrap.json".into(), json::bootstrap(p, &only), secret);
    }
    if wants(p, "config-library") {
        let (entry, meta) = json::config_library(p);
        add(
            format!("config-library/{}.json", json::config_id(p)),
            entry,
            p.has_secret(),
        );
        add("config-library/_meta.json".into(), meta, false);
    }
    if wants(p, "egress") {
        add(
            "egress.txt".into(),
            crate::egress::to_text(&p.name, list).into_bytes(),
            false,
        );
        let mut text = serde_json::to_string_pretty(&crate::egress::to_json(&p.name, list))
            .unwrap_or_default();
        text.push('\n');
        add("egress.json".into(), text.into_bytes(), false);
    }
}

/// With `meta.delivery = "bootstrap"`, the MDM profile carries the keys a
/// bootstrap response may not carry, and the app-behavior keys (which the
/// device's MDM profile decides even when a response is in effect).
#[must_use]
pub fn in_bootstrap_mdm_profile(e: &super::Entry<'_>) -> bool {
    !json::bootstrap_may_carry(e) || e.def.app_behavior
}

/// `manifest.json`: every artifact with its size, SHA-256 and whether it
/// contains a secret.
fn manifest(artifacts: &[Artifact]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = artifacts
        .iter()
        .map(|a| {
            serde_json::json!({
                "path": a.path,
                "bytes": a.bytes.len(),
                "sha256": sha256_hex(&a.bytes),
                "secret": a.secret,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&serde_json::json!({ "artifacts": items }))
        .unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// Lowercase hexadecimal SHA-256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The profile as the device-management artifacts carry it.
#[must_use]
pub fn mdm_profile<'s>(p: &EncodedProfile<'s>) -> EncodedProfile<'s> {
    match p.meta.delivery {
        Delivery::Mdm => p.clone(),
        Delivery::Bootstrap => EncodedProfile {
            name: p.name.clone(),
            meta: p.meta.clone(),
            entries: p
                .entries
                .iter()
                .filter(|e| in_bootstrap_mdm_profile(e))
                .cloned()
                .collect(),
        },
    }
}
