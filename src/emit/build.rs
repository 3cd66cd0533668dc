//! `polc build`: every artifact of a checked policy set.
//!
//! Profiles are encoded and rendered in parallel; each profile's artifacts
//! are handed to a sink as soon as they exist (the CLI writes them into a staging
//! directory), so memory does not grow with the number of profiles. Only
//! the manifest's entries are kept.

use super::encode::{Delivery, EncodedProfile, encode_with_warnings};
use super::{Artifact, json};
use crate::Compilation;
use crate::diag::Diagnostic;
use crate::host::Host;
use crate::schema::Schema;
use crate::schema::model::KeyDef;
use sha2::{Digest, Sha256};

/// What a build made besides its artifacts.
#[derive(Debug)]
pub struct Built {
    /// The manifest's entries (every artifact but the manifest), sorted by
    /// path.
    pub entries: Vec<ManifestEntry>,
    /// The warnings about the values `env()` read, merged by place (see
    /// [`merge_by_place`]).
    pub warnings: Vec<Diagnostic>,
}

/// Why a build failed.
#[derive(Debug)]
pub enum BuildError {
    /// Secrets were missing or invalid (one error each, merged by place),
    /// with the warnings about the values `env()` read.
    Diagnostics(Vec<Diagnostic>),
    /// The sink failed (for example, a write error), described.
    Sink(String),
}

/// One line of `manifest.json` (serialized with its fields in this order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ManifestEntry {
    /// Path relative to the output directory.
    pub path: String,
    /// Size in bytes.
    pub bytes: usize,
    /// Lowercase hexadecimal SHA-256.
    pub sha256: String,
    /// Whether the file contains a secret.
    pub secret: bool,
}

impl ManifestEntry {
    fn of(a: &Artifact) -> Self {
        ManifestEntry {
            path: a.path.clone(),
            bytes: a.bytes.len(),
            sha256: sha256_hex(&a.bytes),
            secret: a.secret,
        }
    }
}

/// Signs a configuration profile: returns the DER-encoded CMS `SignedData`
/// that carries it. Implemented outside the library (the CLI uses the
/// system's OpenSSL), like [`Host`].
pub trait Signer: Sync {
    /// Signs `bytes`.
    ///
    /// # Errors
    /// When signing fails, described.
    fn sign(&self, bytes: &[u8]) -> Result<Vec<u8>, String>;
}

/// Options of a build.
#[derive(Default)]
pub struct Options<'a> {
    /// Sign every `.mobileconfig` with this signer.
    pub signer: Option<&'a dyn Signer>,
}

/// Builds every artifact and hands them to `sink` (from several threads),
/// one profile's artifacts at a time, then `templates` (the schema's, from
/// [`templates`]: a caller may render them while it compiles), then
/// `manifest.json` last.
///
/// The build checks what the check cannot see, the values `env()` reads;
/// a caller that writes the artifacts refuses a compilation with errors
/// first, as `polc build` and `polc apply` do.
///
/// # Errors
/// When a secret is missing (nothing but the artifacts of other profiles
/// may have reached the sink: the caller discards its output), or when the
/// sink fails.
pub fn build_with(
    c: &Compilation,
    schema: &Schema,
    host: &dyn Host,
    options: &Options<'_>,
    templates: Vec<Artifact>,
    sink: &(dyn Fn(&[Artifact]) -> Result<(), String> + Sync),
) -> Result<Built, BuildError> {
    let ids = c.resolved.concrete_ids_by_name();
    let parts = profiles(c, schema, host, options, sink, &ids);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    for part in parts {
        if let Some(f) = part.failure {
            return Err(BuildError::Sink(f));
        }
        errors.extend(part.errors);
        warnings.extend(part.warnings);
        entries.extend(part.entries);
    }
    if !errors.is_empty() {
        errors.extend(warnings);
        return Err(BuildError::Diagnostics(merge_by_place(errors)));
    }
    // Templates for the management consoles, from the schema.
    sink(&templates).map_err(BuildError::Sink)?;
    entries.extend(templates.iter().map(ManifestEntry::of));
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Artifact {
        path: "manifest.json".into(),
        bytes: manifest(&entries),
        secret: false,
    };
    sink(std::slice::from_ref(&manifest)).map_err(BuildError::Sink)?;
    Ok(Built {
        entries,
        warnings: merge_by_place(warnings),
    })
}

/// What each worker returns.
#[derive(Default)]
struct Part {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    entries: Vec<ManifestEntry>,
    /// The first failure of the sink (or of signing).
    failure: Option<String>,
}

/// Renders the profiles `ids` on every core, handing each profile's
/// artifacts to `sink`. Once the sink (or signing) fails, every worker
/// stops: the build's outcome is that failure.
fn profiles(
    c: &Compilation,
    schema: &Schema,
    host: &dyn Host,
    options: &Options<'_>,
    sink: &(dyn Fn(&[Artifact]) -> Result<(), String> + Sync),
    ids: &[crate::resolve::ProfileId],
) -> Vec<Part> {
    let failed = std::sync::atomic::AtomicBool::new(false);
    // Small batches: writing files waits on the kernel's locks, so fixed
    // halves would leave a core idle while the other finishes.
    let key_ids = || crate::resolve::KeyIds::new(&c.resolved.keys);
    crate::par::batches(ids, 16, key_ids, |key_ids, chunk| {
        let mut part = Part::default();
        let Part {
            errors,
            warnings,
            entries,
            failure,
        } = &mut part;
        for &id in chunk {
            if failed.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            match encode_with_warnings(&c.resolved, id, schema, host, warnings) {
                Ok(p) => {
                    let unwritable = unrepresentable(&p, c, id, host);
                    if !unwritable.is_empty() {
                        errors.extend(unwritable);
                        continue;
                    }
                    let list = if wants(&p, "egress") {
                        crate::egress::allowlist_with(key_ids, &c.resolved, id, schema)
                    } else {
                        crate::egress::Allowlist::default()
                    };
                    let mut artifacts = Vec::new();
                    profile_artifacts(&p, &list, &schema.file().domain, &mut artifacts);
                    if let Some(signer) = options.signer {
                        for a in artifacts
                            .iter_mut()
                            .filter(|a| a.path.ends_with(".mobileconfig"))
                        {
                            match signer.sign(&a.bytes) {
                                Ok(signed) => a.bytes = signed,
                                Err(e) => {
                                    failure.get_or_insert(format!("cannot sign `{}`: {e}", a.path));
                                }
                            }
                        }
                    }
                    if failure.is_none()
                        && let Err(e) = sink(&artifacts)
                    {
                        *failure = Some(e);
                    }
                    if failure.is_some() {
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    entries.extend(artifacts.iter().map(ManifestEntry::of));
                }
                Err(e) => errors.extend(e),
            }
        }
        part
    })
}

/// A value read with `env()` that a format the profile is built in cannot
/// hold, in the keys of its device files (B0402, B0404): one error per
/// `env()` reference and format, at the reference. The strings written in
/// the policy are the check's (the same codes, at the string); a build is
/// refused on the check's errors before it starts.
fn unrepresentable(
    p: &EncodedProfile<'_>,
    c: &Compilation,
    id: crate::resolve::ProfileId,
    host: &dyn Host,
) -> Vec<Diagnostic> {
    use crate::check::unrepresentable::{Format, find};
    let mut errors = Vec::new();
    let Some(eff) = c.resolved.effective[id.index()].as_ref() else {
        return errors;
    };
    let decl = c.resolved.profile(id);
    let device = mdm_profile(p);
    let read = |name: &str| host.env(name);
    for format in Format::ALL.into_iter().filter(|f| wants(p, f.name())) {
        for e in &device.entries {
            let Some(ev) = eff.get(&e.def.name) else {
                continue;
            };
            find(&ev.value, format, true, &read, &mut |span, ch, var| {
                if let Some(var) = var {
                    errors.push(
                        format
                            .diagnostic(&e.def.name, ch, span)
                            .note(format!(
                                "read from environment variable `{var}`, whose value is not shown"
                            ))
                            .note(format!("needed to build profile `{}`", decl.name)),
                    );
                }
            });
        }
    }
    errors
}

/// One diagnostic per place: a secret missing for 100 profiles generated
/// from one line is one error whose note names the profiles (the first
/// five, then a count), not 100 errors.
pub(crate) fn merge_by_place(errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    const NOTE: &str = "needed to build profile ";
    let mut merged: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    let mut others = Vec::new();
    for mut d in errors {
        if !d.notes.last().is_some_and(|n| n.starts_with(NOTE)) {
            others.push(d);
            continue;
        }
        let profile = d.notes.pop().unwrap_or_default();
        match merged.iter_mut().find(|(m, _)| {
            m.code == d.code && m.message == d.message && m.primary_span() == d.primary_span()
        }) {
            Some((_, profiles)) => profiles.push(profile),
            None => merged.push((d, vec![profile])),
        }
    }
    merged
        .into_iter()
        .map(|(mut d, notes)| {
            // Each note reads "needed to build profile `NAME`".
            let names: Vec<&str> = notes
                .iter()
                .map(|n| n.strip_prefix(NOTE).unwrap_or(n))
                .collect();
            let note = match names.as_slice() {
                [one] => format!("needed to build profile {one}"),
                many => {
                    let shown = many.iter().take(5).copied().collect::<Vec<_>>().join(", ");
                    let more = many.len().saturating_sub(5);
                    if more > 0 {
                        format!("needed to build profiles {shown} and {more} more")
                    } else {
                        format!("needed to build profiles {shown}")
                    }
                }
            };
            d.notes.push(note);
            d
        })
        .chain(others)
        .collect()
}

/// Builds every artifact in memory, sorted by path (for tests and small
/// sets).
///
/// # Errors
/// The errors of the values `env()` reads (a missing variable, an invalid
/// value, merged by place), without the warnings [`build_with`] adds.
pub fn build(
    c: &Compilation,
    schema: &Schema,
    host: &dyn Host,
) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    let collected = std::sync::Mutex::new(Vec::new());
    let sink = |batch: &[Artifact]| {
        collected
            .lock()
            .map_err(|e| e.to_string())?
            .extend_from_slice(batch);
        Ok(())
    };
    match build_with(
        c,
        schema,
        host,
        &Options::default(),
        templates(schema),
        &sink,
    ) {
        Ok(_) => {}
        Err(BuildError::Diagnostics(d)) => {
            return Err(d
                .into_iter()
                .filter(|d| d.severity == crate::diag::Severity::Error)
                .collect());
        }
        Err(BuildError::Sink(_)) => return Err(Vec::new()),
    }
    let mut artifacts = collected.into_inner().unwrap_or_default();
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(artifacts)
}

/// The schema's templates for the management consoles (the ADMX/ADML
/// zip, the Profile Manifest, the Jamf manifest): they depend on the
/// schema alone.
#[must_use]
pub fn templates(schema: &Schema) -> Vec<Artifact> {
    let domain = &schema.file().domain;
    let template = |path: String, bytes: Vec<u8>| Artifact {
        path,
        bytes,
        secret: false,
    };
    vec![
        template(
            "templates/claude-admx.zip".into(),
            super::admx::template_zip(schema),
        ),
        template(
            format!("templates/{domain}.plist"),
            super::pfm::profile_manifest(schema),
        ),
        template(
            format!("templates/{domain}.jamf.json"),
            super::pfm::jamf_manifest(schema),
        ),
    ]
}

fn wants(p: &EncodedProfile<'_>, format: &str) -> bool {
    p.meta.formats.iter().any(|f| f == format)
}

fn profile_artifacts(
    p: &EncodedProfile<'_>,
    list: &crate::egress::Allowlist,
    domain: &str,
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
    // The device-side artifacts (the MDM profiles, the Linux managed file
    // and the configuration-library entry): with `delivery = "bootstrap"`
    // they carry only the keys a bootstrap response may not, the
    // app-behavior keys and the keys both must carry.
    let device = mdm_profile(p);
    if wants(p, "mobileconfig") {
        add(
            format!("{}.mobileconfig", p.name),
            super::mobileconfig::render(
                p,
                domain,
                super::mobileconfig::KeySelection::for_delivery(p.meta.delivery),
            ),
            device.has_secret(),
        );
    }
    if wants(p, "reg") {
        add(
            format!("{}.reg", p.name),
            super::reg::render(&device),
            device.has_secret(),
        );
    }
    // The Linux managed file and the configuration-library entry are the
    // same JSON, and so is a bootstrap response that carries every key:
    // rendered once.
    let device_json = (wants(p, "linux-json") || wants(p, "config-library"))
        .then(|| json::linux_managed(&device));
    if wants(p, "linux-json") {
        add(
            "managed-settings.json".into(),
            device_json.clone().unwrap_or_default(),
            device.has_secret(),
        );
    }
    if wants(p, "bootstrap-json") || p.meta.delivery == Delivery::Bootstrap {
        let carried = |e: &super::Entry<'_>| in_response(e.def, p.meta.delivery);
        let secret = p.entries.iter().any(|e| carried(e) && e.secret);
        let bytes = match &device_json {
            Some(all) if p.meta.delivery == Delivery::Mdm && p.entries.iter().all(carried) => {
                all.clone()
            }
            _ => json::bootstrap(p, &carried),
        };
        add("bootstrap.json".into(), bytes, secret);
    }
    if wants(p, "config-library") {
        add(
            format!("config-library/{}.json", json::config_id(p)),
            device_json.unwrap_or_default(),
            device.has_secret(),
        );
        add(
            "config-library/_meta.json".into(),
            json::config_library_meta(p),
            false,
        );
    }
    if wants(p, "egress") {
        add(
            "egress.txt".into(),
            crate::egress::to_text(&p.name, list).into_bytes(),
            false,
        );
        add(
            "egress.json".into(),
            crate::egress::to_json(&p.name, list).into_bytes(),
            false,
        );
    }
}

/// Whether the device-side artifacts (`.mobileconfig`, `.reg`, the Linux
/// managed file, the configuration-library entry) of a profile with this
/// delivery carry a key: every key with MDM delivery; with bootstrap
/// delivery, those of [`super::mobileconfig::KeySelection::DeviceOnly`].
#[must_use]
pub fn on_device(def: &KeyDef, delivery: Delivery) -> bool {
    super::mobileconfig::KeySelection::for_delivery(delivery).includes(def)
}

/// Whether the bootstrap response (`bootstrap.json`) of a profile with this
/// delivery carries a key: never a key only device management may set
/// (the bootstrap trust anchor, the proxy keys); with bootstrap delivery,
/// only what the device does not carry, and the keys both carry
/// (`device_and_response`).
#[must_use]
pub fn in_response(def: &KeyDef, delivery: Delivery) -> bool {
    def.availability != crate::schema::model::Availability::Managed
        && (delivery == Delivery::Mdm
            || !on_device(def, Delivery::Bootstrap)
            || def.device_and_response)
}

/// `manifest.json`: every artifact with its size, SHA-256 and whether it
/// contains a secret.
fn manifest(entries: &[ManifestEntry]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        artifacts: &'a [ManifestEntry],
    }
    // About 150 bytes per entry.
    let mut out = Vec::with_capacity(64 + entries.len() * 160);
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer_pretty(&mut out, &Doc { artifacts: entries });
    out.push(b'\n');
    out
}

/// Lowercase hexadecimal SHA-256.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// The profile as the device-management artifacts carry it (borrowed when
/// that is the whole profile).
#[must_use]
pub fn mdm_profile<'p, 's>(p: &'p EncodedProfile<'s>) -> std::borrow::Cow<'p, EncodedProfile<'s>> {
    match p.meta.delivery {
        Delivery::Mdm => std::borrow::Cow::Borrowed(p),
        Delivery::Bootstrap => std::borrow::Cow::Owned(EncodedProfile {
            name: p.name.clone(),
            meta: p.meta.clone(),
            entries: p
                .entries
                .iter()
                .filter(|e| on_device(e.def, Delivery::Bootstrap))
                .cloned()
                .collect(),
        }),
    }
}
