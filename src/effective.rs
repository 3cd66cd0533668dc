//! `polc effective`: the configuration a device would apply, given the
//! configuration sources present on it.
//!
//! The inputs are the sources as files ([`Inputs`]): the managed sources
//! of one platform, the local configuration library and a bootstrap
//! response. The result ([`Effective`]) is every key in force with the
//! source it came from, and a warning for each value the app would ignore.
//! The rules below follow the key reference (`claude-desktop-keys.md`);
//! each names its section.
//!
//! # Precedence (§1.3)
//!
//! * **macOS**: both managed plists are read; a key in both takes the
//!   per-user value (per key, even when the per-user value cannot be read).
//! * **Windows** (since v1.19367.0, no merging): `HKLM` holds machine
//!   policy when it has any `REG_SZ`, `REG_EXPAND_SZ` or `REG_DWORD` value
//!   directly under `SOFTWARE\Policies\Claude` (an empty string, an unknown
//!   name, an unreadable `REG_EXPAND_SZ` and the unnamed default value all
//!   count). Then `HKCU` is ignored entirely; otherwise `HKCU` is the
//!   managed source. `REG_QWORD`, `REG_MULTI_SZ`, `REG_BINARY` and values in
//!   subkeys are invisible to the app (§1.2) and count for nothing.
//! * **Linux**: the single managed file.
//! * **Managed owns the configuration** when it sets any recognized key that
//!   is not an app-behavior key: the local configuration is ignored.
//!   *Recognized* means a key of the schema that the app has not removed;
//!   first-party-only keys are recognized but have no effect in
//!   third-party mode. On macOS (and, by the same rule, in `HKCU` and the
//!   Linux file) an unknown key does not count. *Interpretation:* on
//!   Windows "even a misspelled HKLM value counts as machine policy and
//!   locks the in-app window" (§1.3), so machine policy owns the
//!   configuration unless every `HKLM` value is a recognized app-behavior
//!   key; an unknown or unnamed `HKLM` value makes the device managed.
//! * **App-behavior keys** (the schema's `app_behavior` flag): a managed
//!   source that sets only these leaves the local configuration in force,
//!   but the whole group is resolved from the managed source alone: a local
//!   value of any group key is ignored, even one the managed source does
//!   not set.
//! * **Local** (§1.4): the configuration-library entry named by
//!   `_meta.json`'s `appliedId` (a lowercase UUID); unknown keys are
//!   dropped.
//!
//! # Bootstrap (§1.3, §1.5)
//!
//! A response is applied only while the configuration in force (managed or
//! local) sets the schema's `bootstrap_url_key` and does not set its
//! `bootstrap_enabled_key` to `false`; otherwise the app fetches nothing
//! and the response is ignored with a warning. When it is applied it
//! *is* the configuration for every bootstrap-settable key (availability
//! `managed-and-bootstrap`, `bootstrap` or `unknown`): values of those keys
//! from the managed or local source are dropped, and a key the response
//! omits is unset. Keys of availability `managed` (the trust anchor and the
//! proxy keys) always come from the managed or local source and are ignored
//! with a warning when a response carries them. *Interpretation* of "if a
//! device-management profile sets any app-behavior key, it takes precedence
//! over a served `relaunchEnforcementHours`": when the managed source sets
//! any app-behavior key, the whole group comes from the managed source (as
//! it does against the local configuration), every served group value is
//! ignored with a warning, and group keys the profile omits stay unset.
//! Without such a profile the group is bootstrap-settable like any other
//! key. Origin pinning, loopback filtering and per-user consent (§1.5) are
//! not modelled.
//!
//! # Values (§1.2, §1.7)
//!
//! Values are decoded against the key's schema type with
//! [`crate::import::decode`]. A value that cannot be decoded is ignored with
//! a warning: since v1.40609.0 the app fails closed on it (restriction keys
//! fall back to their restrictive value). `REG_EXPAND_SZ` counts as present
//! but is never read. `REG_DWORD` is read for boolean and integer keys
//! only. A native plist array or dictionary where the app documents a JSON
//! string is read by recent versions only, and a native plist boolean or
//! integer is undocumented: both are applied, with a warning. Dotted
//! sub-keys (`inferenceGatewayOidc.clientId`) are never read. Values are
//! not checked against enums, ranges or formats (`polc import` and
//! `polc check` do that).
//!
//! # Secrets
//!
//! The result never holds a secret: values of secret keys, and secret fields
//! inside object values, are replaced by `"<redacted>"` before they leave
//! this module, and warnings name keys, never values.

use crate::import::{Hive, Imported, RegType, RegValue, Registry, decode};
use crate::redact::redact_key;
use crate::schema::Schema;
use crate::schema::model::{Availability, KeyDef, Status, TypeDef};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// `/Library/Managed Preferences/<user>/<domain>.plist`.
    MacosUser,
    /// `/Library/Managed Preferences/<domain>.plist`.
    MacosMachine,
    /// `HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude`.
    WindowsHklm,
    /// `HKEY_CURRENT_USER\SOFTWARE\Policies\Claude`.
    WindowsHkcu,
    /// `/etc/claude-desktop/managed-settings.json`.
    Linux,
    /// The applied configuration-library entry.
    Local,
    /// A bootstrap response.
    Bootstrap,
}

impl Source {
    /// The name used in output (`macos-user`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Source::MacosUser => "macos-user",
            Source::MacosMachine => "macos-machine",
            Source::WindowsHklm => "windows-hklm",
            Source::WindowsHkcu => "windows-hkcu",
            Source::Linux => "linux",
            Source::Local => "local",
            Source::Bootstrap => "bootstrap",
        }
    }

    fn is_plist(self) -> bool {
        matches!(self, Source::MacosUser | Source::MacosMachine)
    }
}

/// The managed sources of one platform (a device has one platform).
#[derive(Debug, Default)]
pub enum Managed {
    /// No managed source.
    #[default]
    None,
    /// macOS managed plists (flat preference plists or `.mobileconfig`s).
    MacOs {
        /// The per-user plist.
        user: Option<Imported>,
        /// The machine plist.
        machine: Option<Imported>,
    },
    /// Windows policy `.reg` files; each contributes the values of its own
    /// hive.
    Windows {
        /// The file for `HKEY_LOCAL_MACHINE`.
        hklm: Option<Registry>,
        /// The file for `HKEY_CURRENT_USER`.
        hkcu: Option<Registry>,
    },
    /// The Linux managed file.
    Linux(Imported),
}

/// The local configuration library.
#[derive(Debug)]
pub enum Local {
    /// `_meta.json` names an entry, read from `<id>.json`.
    Applied {
        /// The applied id.
        id: String,
        /// The entry.
        entry: Imported,
    },
    /// No entry is applied, and why (shown as a warning).
    NotApplied(String),
}

/// Every source present on the device.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The managed sources.
    pub managed: Managed,
    /// The local configuration library.
    pub local: Option<Local>,
    /// A bootstrap response (flat format).
    pub bootstrap: Option<Imported>,
}

/// One key in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The typed value; secrets are `"<redacted>"`.
    pub value: Json,
    /// Where it came from.
    pub source: Source,
    /// Whether the whole value is a redacted secret.
    pub redacted: bool,
}

/// A value the app would ignore, or a source it would not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What and why; never quotes a value.
    pub message: String,
    /// The source concerned.
    pub source: Source,
}

/// The effective configuration of a device.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    /// Every key in force, sorted by name.
    pub keys: BTreeMap<String, Setting>,
    /// Warnings, in the order the sources are considered.
    pub warnings: Vec<Warning>,
}

/// What `_meta.json` says about the applied entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppliedId {
    /// The id of the applied entry (`<id>.json`).
    Id(String),
    /// No usable id, and why.
    None(String),
}

/// Reads a configuration library's `_meta.json`.
///
/// # Errors
/// When it is not a JSON object.
pub fn applied_id(meta: &[u8]) -> Result<AppliedId, String> {
    let v: Json = serde_json::from_slice(meta).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    Ok(match obj.get("appliedId") {
        None | Some(Json::Null) => {
            AppliedId::None("`_meta.json` has no `appliedId`: no local configuration is applied".into())
        }
        Some(Json::String(id))
            if id.len() == 36
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-') =>
        {
            AppliedId::Id(id.clone())
        }
        Some(_) => AppliedId::None(
            "`appliedId` in `_meta.json` is not a lowercase UUID (`^[a-f0-9-]{36}$`): the app applies no local configuration".into(),
        ),
    })
}

/// A raw value as a source stores it.
enum Raw<'a> {
    /// From a plist (strings, or native plist types).
    Plist(&'a Json),
    /// From JSON (native types, or strings).
    Json(&'a Json),
    /// From the registry.
    Reg(&'a RegValue),
}

/// One recognized key as a source holds it.
#[derive(Clone)]
struct Held<'s> {
    def: &'s KeyDef,
    /// The decoded value; `None` when the app cannot read it or it has no
    /// effect (the key is still present).
    value: Option<Json>,
    source: Source,
}

/// A source after reading.
#[derive(Default)]
struct Layer<'s> {
    /// Recognized keys.
    keys: BTreeMap<String, Held<'s>>,
    /// Whether it holds a value the app sees but does not recognize
    /// (an unknown name, the registry's default value).
    unrecognized: bool,
}

struct Ctx<'s, 'w> {
    schema: &'s Schema,
    warnings: &'w mut Vec<Warning>,
}

impl Ctx<'_, '_> {
    fn warn(&mut self, source: Source, message: String) {
        self.warnings.push(Warning { message, source });
    }
}

/// Computes the effective configuration.
#[must_use]
pub fn resolve(inputs: &Inputs, schema: &Schema) -> Effective {
    let mut warnings = Vec::new();
    let mut cx = Ctx {
        schema,
        warnings: &mut warnings,
    };
    let managed = managed(&inputs.managed, &mut cx);
    let mut config = with_local(&managed, inputs.local.as_ref(), &mut cx);
    if let Some(response) = &inputs.bootstrap {
        config = with_bootstrap(config, &managed, response, &mut cx);
    }
    let mut keys = BTreeMap::new();
    for (name, held) in config {
        let Some(value) = held.value else { continue };
        if held.def.status == Status::FirstPartyOnly {
            continue;
        }
        let redacted = held.def.secret;
        let value = redact_key(value, held.def, schema);
        keys.insert(
            name,
            Setting {
                value,
                source: held.source,
                redacted,
            },
        );
    }
    Effective { keys, warnings }
}

/// The managed configuration after the platform's precedence rules.
struct ManagedConfig<'s> {
    keys: BTreeMap<String, Held<'s>>,
    /// The source that makes it own the configuration, if it does.
    owner: Option<Source>,
    /// The source of its app-behavior keys, if it sets any.
    app_behavior: Option<Source>,
}

fn managed<'s>(m: &Managed, cx: &mut Ctx<'s, '_>) -> ManagedConfig<'s> {
    // (layer, source, whether an unrecognized value makes it own)
    let mut layers: Vec<(Layer<'s>, Source, bool)> = Vec::new();
    match m {
        Managed::None => {}
        Managed::MacOs { user, machine } => {
            // Per-user over machine, key by key: read the machine plist first
            // so that per-user keys replace its entries.
            for (file, source) in [(machine, Source::MacosMachine), (user, Source::MacosUser)] {
                if let Some(file) = file {
                    plist_scope(file, source, cx);
                    let items = file.values.iter().map(|(k, v)| (k.as_str(), Raw::Plist(v)));
                    layers.push((read_layer(items, source, cx), source, false));
                }
            }
        }
        Managed::Windows { hklm, hkcu } => {
            let machine = hklm
                .as_ref()
                .map(|r| hive_values(r, Hive::Machine, Source::WindowsHklm, cx));
            let user = hkcu
                .as_ref()
                .map(|r| hive_values(r, Hive::User, Source::WindowsHkcu, cx));
            let machine_present = machine.as_ref().is_some_and(|v| !v.is_empty());
            if let Some(values) = machine {
                let items = values
                    .iter()
                    .map(|v| (v.name.as_deref().unwrap_or(""), Raw::Reg(v)));
                layers.push((
                    read_layer(items, Source::WindowsHklm, cx),
                    Source::WindowsHklm,
                    true,
                ));
            }
            if let Some(values) = user {
                if machine_present {
                    if !values.is_empty() {
                        cx.warn(
                            Source::WindowsHkcu,
                            format!(
                                "HKCU is ignored entirely ({} value{}): machine policy is present under HKLM, and since v1.19367.0 the hives are not merged",
                                values.len(),
                                if values.len() == 1 { "" } else { "s" }
                            ),
                        );
                    }
                } else {
                    let items = values
                        .iter()
                        .map(|v| (v.name.as_deref().unwrap_or(""), Raw::Reg(v)));
                    layers.push((
                        read_layer(items, Source::WindowsHkcu, cx),
                        Source::WindowsHkcu,
                        false,
                    ));
                }
            }
        }
        Managed::Linux(file) => {
            let items = file.values.iter().map(|(k, v)| (k.as_str(), Raw::Json(v)));
            layers.push((read_layer(items, Source::Linux, cx), Source::Linux, false));
        }
    }
    let mut out = ManagedConfig {
        keys: BTreeMap::new(),
        owner: None,
        app_behavior: None,
    };
    for (layer, source, unrecognized_owns) in layers {
        if unrecognized_owns && layer.unrecognized {
            out.owner.get_or_insert(source);
        }
        for (name, held) in layer.keys {
            out.keys.insert(name, held);
        }
    }
    for held in out.keys.values() {
        if held.def.app_behavior {
            out.app_behavior.get_or_insert(held.source);
        } else {
            out.owner.get_or_insert(held.source);
        }
    }
    // A per-user plist overrides the machine's app-behavior keys too; the
    // source shown is the first key's, which is enough for messages.
    out
}

/// Warns when a `.mobileconfig`'s scope does not match the plist it is
/// given as.
fn plist_scope(file: &Imported, source: Source, cx: &mut Ctx<'_, '_>) {
    let scope = file
        .meta
        .iter()
        .find(|(k, _)| *k == "scope")
        .and_then(|(_, v)| v.as_str());
    let (expected, lands) = match source {
        Source::MacosUser => ("user", "the machine plist"),
        _ => ("system", "the per-user plist"),
    };
    if let Some(scope) = scope
        && scope != expected
    {
        cx.warn(
                source,
                format!(
                    "the profile's PayloadScope is `{scope}`: device management installs it as {lands}; it is read here as given"
                ),
            );
    }
}

/// The values of one hive in a `.reg` file that the app sees, with warnings
/// for what it does not see.
fn hive_values<'r>(
    reg: &'r Registry,
    hive: Hive,
    source: Source,
    cx: &mut Ctx<'_, '_>,
) -> Vec<&'r RegValue> {
    let other = match hive {
        Hive::Machine => Hive::User,
        Hive::User => Hive::Machine,
    };
    if !reg.hives.contains(&hive) && reg.hives.contains(&other) {
        cx.warn(
            source,
            format!(
                "the file has no {}\\SOFTWARE\\Policies\\Claude section; its {} values are not read as --{}",
                hive.root(),
                other.root(),
                source.as_str()
            ),
        );
    }
    for (h, path) in &reg.subkeys {
        if *h == hive {
            cx.warn(
                source,
                format!(
                    "values under the subkey `Claude\\{path}` are never read: the app reads only values directly under the policy key"
                ),
            );
        }
    }
    let mut seen = Vec::new();
    for v in reg.values.iter().filter(|v| v.hive == hive) {
        if let RegType::Other(ty) = v.ty {
            cx.warn(
                source,
                format!(
                    "`{}` is {ty}, which the app does not see; ignored (write REG_SZ)",
                    v.name.as_deref().unwrap_or("@")
                ),
            );
        } else {
            seen.push(v);
        }
    }
    seen
}

/// Reads one source: recognized keys decoded, warnings for the rest.
fn read_layer<'s, 'a>(
    items: impl Iterator<Item = (&'a str, Raw<'a>)>,
    source: Source,
    cx: &mut Ctx<'s, '_>,
) -> Layer<'s> {
    let schema = cx.schema;
    let mut layer = Layer::default();
    for (name, raw) in items {
        if matches!(&raw, Raw::Reg(v) if v.name.is_none()) {
            layer.unrecognized = true;
            let hides = if source == Source::WindowsHklm {
                ": it still counts as machine policy, so HKCU is ignored and the configuration is managed"
            } else {
                ""
            };
            cx.warn(
                source,
                format!("the key's unnamed default value is set; the app reads no setting from it{hides}"),
            );
            continue;
        }
        let def = match schema.key(name) {
            Some(def) if def.status != Status::Removed => def,
            Some(_) => {
                layer.unrecognized = true;
                cx.warn(
                    source,
                    format!("`{name}` was removed from the app and has no effect; ignored"),
                );
                continue;
            }
            None => {
                layer.unrecognized = true;
                unknown_key(name, source, cx);
                continue;
            }
        };
        let value = if def.status == Status::FirstPartyOnly {
            cx.warn(
                source,
                format!(
                    "`{name}` is read only by standard (first-party) deployments; it has no effect in third-party mode"
                ),
            );
            None
        } else if def.availability == Availability::Bootstrap && source != Source::Bootstrap {
            cx.warn(
                source,
                format!("`{name}` is read only from a bootstrap response; ignored"),
            );
            None
        } else {
            decode_value(name, def, &raw, source, cx)
        };
        layer
            .keys
            .insert(name.to_string(), Held { def, value, source });
    }
    layer
}

fn unknown_key(name: &str, source: Source, cx: &mut Ctx<'_, '_>) {
    let schema = cx.schema;
    let dotted = name
        .split_once('.')
        .and_then(|(head, _)| schema.key(head).map(|d| d.name.as_str()));
    let consequence = match source {
        Source::MacosUser | Source::MacosMachine => {
            "ignored (on macOS an unknown key does not make the device managed)"
        }
        Source::WindowsHklm => {
            "ignored, but on Windows it still counts as machine policy: HKCU is ignored and the configuration is managed"
        }
        Source::WindowsHkcu => "ignored",
        Source::Linux => {
            "ignored (one unverified report says an unknown key makes the app ignore the whole Linux managed file)"
        }
        Source::Local => "dropped by the app (\"Ignoring local configuration key\")",
        Source::Bootstrap => "dropped from the response",
    };
    let message = match dotted {
        Some(key) => format!(
            "`{name}` is a dotted sub-key, which the app never reads; {consequence}. Write the whole JSON value as `{key}`"
        ),
        None => {
            let hint =
                crate::suggest::did_you_mean(name, schema.keys().iter().map(|k| k.name.as_str()))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
            format!("`{name}` is not a key the app reads{hint}; {consequence}")
        }
    };
    cx.warn(source, message);
}

/// What the app does with a native plist array or dictionary.
const NATIVE_COLLECTION: &str = "recent versions read it as the equivalent JSON, older ones ignore it; write one string holding the JSON";
/// What the app does with a native plist boolean or number.
const NATIVE_SCALAR: &str = "whether the app reads it is undocumented; write it as a string";

/// Decodes one value, with the source's storage rules.
fn decode_value(
    name: &str,
    def: &KeyDef,
    raw: &Raw<'_>,
    source: Source,
    cx: &mut Ctx<'_, '_>,
) -> Option<Json> {
    let schema = cx.schema;
    let undecodable = |cx: &mut Ctx<'_, '_>| {
        cx.warn(
            source,
            format!(
                "the value of `{name}` cannot be read as {}; the app ignores it (since v1.40609.0 an unreadable value fails closed: restriction keys fall back to their restrictive value)",
                crate::check::types::describe(&def.ty, schema)
            ),
        );
    };
    let decoded = match raw {
        Raw::Json(v) => decode(v, &def.ty),
        Raw::Plist(v) => {
            debug_assert!(source.is_plist());
            match v {
                Json::String(_) => decode(v, &def.ty),
                Json::Array(_) | Json::Object(_) | Json::Bool(_) | Json::Number(_) => {
                    let decoded = decode(v, &def.ty);
                    if decoded.is_some() {
                        let (kind, effect) = match v {
                            Json::Array(_) => ("array", NATIVE_COLLECTION),
                            Json::Object(_) => ("dictionary", NATIVE_COLLECTION),
                            Json::Bool(_) => ("boolean", NATIVE_SCALAR),
                            _ => ("number", NATIVE_SCALAR),
                        };
                        cx.warn(
                            source,
                            format!("`{name}` is a native plist {kind}: {effect}"),
                        );
                    }
                    decoded
                }
                Json::Null => None,
            }
        }
        Raw::Reg(v) => match v.ty {
            RegType::Sz => decode(&v.data, &def.ty),
            RegType::ExpandSz => {
                let hides = if source == Source::WindowsHklm {
                    ": it counts as machine policy (HKCU is ignored) but supplies nothing"
                } else {
                    ""
                };
                cx.warn(
                    source,
                    format!(
                        "`{name}` is REG_EXPAND_SZ, which the app cannot read{hides}; write REG_SZ"
                    ),
                );
                return None;
            }
            RegType::Dword => {
                if matches!(def.ty, TypeDef::Boolean | TypeDef::Integer { .. }) {
                    let decoded = decode(&v.data, &def.ty);
                    if decoded.is_some() {
                        cx.warn(
                            source,
                            format!(
                                "`{name}` is REG_DWORD: the app reads it for boolean and integer keys, but one report (May 2026) found REG_DWORD values not read; REG_SZ is the safe form"
                            ),
                        );
                    }
                    decoded
                } else {
                    cx.warn(
                        source,
                        format!(
                            "`{name}` is REG_DWORD, which the app reads only for boolean and integer keys; ignored (write REG_SZ)"
                        ),
                    );
                    return None;
                }
            }
            RegType::Other(_) => None,
        },
    };
    if decoded.is_none() {
        undecodable(cx);
    }
    decoded
}

/// The managed configuration with the local one, by the ownership rules.
fn with_local<'s>(
    managed: &ManagedConfig<'s>,
    local: Option<&Local>,
    cx: &mut Ctx<'s, '_>,
) -> BTreeMap<String, Held<'s>> {
    let entry = match local {
        None => None,
        Some(Local::NotApplied(why)) => {
            cx.warn(Source::Local, why.clone());
            None
        }
        Some(Local::Applied { id, entry }) => Some((id, entry)),
    };
    if let Some(owner) = managed.owner {
        if let Some((id, entry)) = entry
            && !entry.values.is_empty()
        {
            cx.warn(
                    Source::Local,
                    format!(
                        "the local configuration `{id}` is ignored: {} sets values other than the app-behavior keys, so the managed configuration owns the device",
                        owner.as_str()
                    ),
                );
        }
        return managed.keys.clone();
    }
    let mut config = BTreeMap::new();
    if let Some((_, entry)) = entry {
        let items = entry.values.iter().map(|(k, v)| (k.as_str(), Raw::Json(v)));
        let layer = read_layer(items, Source::Local, cx);
        for (name, held) in layer.keys {
            if held.def.app_behavior
                && let Some(from) = managed.app_behavior
            {
                cx.warn(
                        Source::Local,
                        format!(
                            "`{name}` is ignored: {} sets app-behavior keys, so the whole group is resolved from the managed source only",
                            from.as_str()
                        ),
                    );
                continue;
            }
            config.insert(name, held);
        }
    }
    // Only app-behavior keys remain in a managed source that does not own
    // the configuration.
    for (name, held) in &managed.keys {
        config.insert(name.clone(), held.clone());
    }
    config
}

/// The configuration with a bootstrap response applied.
fn with_bootstrap<'s>(
    base: BTreeMap<String, Held<'s>>,
    managed: &ManagedConfig<'s>,
    response: &Imported,
    cx: &mut Ctx<'s, '_>,
) -> BTreeMap<String, Held<'s>> {
    let file = cx.schema.file();
    let url_set = file
        .bootstrap_url_key
        .as_ref()
        .is_none_or(|k| base.get(k).is_some_and(|h| h.value.is_some()));
    if !url_set {
        cx.warn(
            Source::Bootstrap,
            format!(
                "the response is not applied: no configuration in force sets `{}`, so the app fetches no bootstrap response",
                file.bootstrap_url_key.as_deref().unwrap_or_default()
            ),
        );
        return base;
    }
    if let Some(k) = &file.bootstrap_enabled_key
        && base.get(k).and_then(|h| h.value.as_ref()) == Some(&Json::Bool(false))
    {
        cx.warn(
            Source::Bootstrap,
            format!("the response is not applied: `{k}` is false, so the app skips the fetch"),
        );
        return base;
    }
    let group_from_managed = managed.app_behavior;
    let kept_from_base = |h: &Held<'_>| {
        h.def.availability == Availability::Managed
            || (h.def.app_behavior && group_from_managed.is_some())
    };
    let items = response
        .values
        .iter()
        .map(|(k, v)| (k.as_str(), Raw::Json(v)));
    let served = read_layer(items, Source::Bootstrap, cx);
    let mut out: BTreeMap<String, Held<'s>> = BTreeMap::new();
    let mut unset: BTreeMap<Source, Vec<&str>> = BTreeMap::new();
    for (name, held) in &base {
        if kept_from_base(held) {
            out.insert(name.clone(), held.clone());
        } else if !served.keys.contains_key(name) && held.value.is_some() {
            unset.entry(held.source).or_default().push(name);
        }
    }
    for (source, names) in unset {
        cx.warn(
            source,
            format!(
                "a bootstrap response is in effect and omits {}, so {} unset: the response replaces bootstrap-settable keys wholesale",
                list(&names),
                if names.len() == 1 { "it is" } else { "they are" }
            ),
        );
    }
    for (name, held) in served.keys {
        if held.def.availability == Availability::Managed {
            cx.warn(
                Source::Bootstrap,
                format!(
                    "`{name}` is never taken from a bootstrap response (only device management or the local file supply it); ignored"
                ),
            );
        } else if held.def.app_behavior && group_from_managed.is_some() {
            cx.warn(
                Source::Bootstrap,
                format!(
                    "`{name}` is ignored: {} sets app-behavior keys, which take precedence over served values",
                    group_from_managed.map(Source::as_str).unwrap_or_default()
                ),
            );
        } else {
            out.insert(name, held);
        }
    }
    out
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The effective configuration as one JSON object:
/// `{"keys": {KEY: {"value", "source"}}, "warnings": [{"message", "source"}]}`.
#[must_use]
pub fn to_json(e: &Effective) -> Json {
    let mut keys = Map::new();
    for (name, s) in &e.keys {
        keys.insert(
            name.clone(),
            json!({ "value": s.value, "source": s.source.as_str() }),
        );
    }
    let warnings: Vec<Json> = e
        .warnings
        .iter()
        .map(|w| json!({ "message": w.message, "source": w.source.as_str() }))
        .collect();
    json!({ "keys": keys, "warnings": warnings })
}

/// The effective configuration as text: `key = value   (source)`, keys
/// sorted, then the warnings.
#[must_use]
pub fn to_text(e: &Effective) -> String {
    let mut out = String::new();
    if e.keys.is_empty() {
        out.push_str("no key is in force\n");
    }
    let width = e.keys.keys().map(String::len).max().unwrap_or(0);
    for (name, s) in &e.keys {
        let value = if s.redacted {
            "<redacted>".to_string()
        } else {
            serde_json::to_string(&s.value).unwrap_or_default()
        };
        out.push_str(&format!(
            "{name:<width$} = {value}   ({})\n",
            s.source.as_str()
        ));
    }
    if !e.warnings.is_empty() {
        out.push_str(&format!(
            "\n{} warning{}:\n",
            e.warnings.len(),
            if e.warnings.len() == 1 { "" } else { "s" }
        ));
        for w in &e.warnings {
            out.push_str(&format!("warning ({}): {}\n", w.source.as_str(), w.message));
        }
    }
    out
}
