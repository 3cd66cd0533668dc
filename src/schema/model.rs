//! The schema file format, as serde types.
//!
//! A schema file is JSON. It describes every key the application reads, the
//! named object types used inside keys' values, cross-key rules and egress
//! derivation rules. `schemas/claude-desktop.json` is the built-in schema;
//! `--schema FILE` loads another file of the same format.
//!
//! Nothing in the compiler's Rust code names a particular key: all of it is
//! here, as data.

use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The whole schema file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaFile {
    /// Version of this file format; must be `1`.
    pub format_version: u32,
    /// The application the schema describes (shown by `polc schema`).
    pub application: String,
    /// Preference domain / payload type, e.g. `com.anthropic.claudefordesktop`.
    pub domain: String,
    /// The newest app version the schema was written against.
    #[serde(default)]
    pub app_version: Option<String>,
    /// The key that selects the inference provider (its enum values are the
    /// provider names used in `providers` lists).
    #[serde(default)]
    pub provider_key: Option<String>,
    /// The key whose value makes the app fetch a bootstrap response (its
    /// URL): `polc effective` applies a response only while it is set.
    #[serde(default)]
    pub bootstrap_url_key: Option<String>,
    /// A boolean key whose `false` keeps the bootstrap URL but skips the
    /// fetch.
    #[serde(default)]
    pub bootstrap_enabled_key: Option<String>,
    /// The key that signs in to the bootstrap endpoint through the
    /// organisation's identity provider: while it is unset, served values of
    /// keys marked `bootstrap_origin_pinned` must share the bootstrap URL's
    /// origin.
    #[serde(default)]
    pub bootstrap_oidc_key: Option<String>,
    /// Sections in display order.
    pub sections: Vec<Section>,
    /// Named object types, referenced by `{"type": "object", "ref": NAME}`.
    #[serde(default)]
    pub types: BTreeMap<String, ObjectType>,
    /// Every key.
    pub keys: Vec<KeyDef>,
    /// Cross-key rules on a profile's effective configuration.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Egress derivation: which hosts a configuration needs.
    #[serde(default)]
    pub egress: Vec<EgressRule>,
}

/// A section of the app's configuration window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Identifier used by keys (`connection`).
    pub id: String,
    /// Display title (`Connection`).
    pub title: String,
    /// One-paragraph description.
    #[serde(default)]
    pub doc: String,
}

/// Where a key may be delivered from.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Availability {
    /// Device management, the local file and bootstrap responses.
    ManagedAndBootstrap,
    /// Device management or the local file only, never a bootstrap response.
    Managed,
    /// Bootstrap responses only.
    Bootstrap,
    /// Not documented.
    Unknown,
}

/// How sure we are that the key exists.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// In the vendor's documentation.
    #[default]
    Documented,
    /// Documented but deprecated (see `deprecated`).
    Deprecated,
    /// Removed: the app no longer reads it.
    Removed,
    /// Read only by standard (first-party) deployments; third-party mode ignores it.
    FirstPartyOnly,
    /// Seen only in third-party reverse engineering.
    Unverified,
}

/// Deprecation of a key, a field or a value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    /// App version that deprecated it.
    #[serde(default)]
    pub since: Option<String>,
    /// The key/field/value to use instead.
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// Date after which the app stops accepting it (`2026-10-07`).
    #[serde(default)]
    pub cutoff: Option<String>,
    /// What happens, in one sentence.
    #[serde(default)]
    pub note: Option<String>,
}

/// One key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDef {
    /// The exact managed-preference name.
    pub name: String,
    /// Section id.
    pub section: String,
    /// The value type.
    #[serde(rename = "type")]
    pub ty: TypeDef,
    /// One paragraph of documentation.
    pub doc: String,
    /// The default as a typed JSON value, when it has one.
    #[serde(default)]
    pub default: Option<Json>,
    /// Human description of the default when it is not a plain value
    /// (`unset: models are discovered`).
    #[serde(default)]
    pub default_doc: Option<String>,
    /// First app version that reads the key.
    #[serde(default)]
    pub since: Option<String>,
    /// First app version that reads the key from device management (a
    /// managed profile, the registry or the local file), when that came
    /// later than `since` (earlier versions read it only from a bootstrap
    /// response).
    #[serde(default)]
    pub managed_since: Option<String>,
    /// Deprecation, when deprecated.
    #[serde(default)]
    pub deprecated: Option<Deprecation>,
    /// Documentation status.
    #[serde(default)]
    pub status: Status,
    /// Whether the value is a secret (never printed; should come from `env()`).
    #[serde(default)]
    pub secret: bool,
    /// Providers (values of `provider_key`) the key belongs to; empty = all.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Delivery channels.
    pub availability: Availability,
    /// An app-behavior key: setting only these leaves the local
    /// configuration editable.
    #[serde(default)]
    pub app_behavior: bool,
    /// With bootstrap delivery, set on the device as well as returned in
    /// the response, with the same value (`deploymentOrganizationUuid`).
    #[serde(default)]
    pub device_and_response: bool,
    /// A served value must share the origin (scheme, host and port) of the
    /// bootstrap URL unless the schema's `bootstrap_oidc_key` is set; the app
    /// drops it otherwise.
    #[serde(default)]
    pub bootstrap_origin_pinned: bool,
    /// Nested path in the v2 (bootstrap / JSON export) format.
    #[serde(default)]
    pub v2_path: Option<String>,
    /// Older names of the key.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Reference URLs.
    #[serde(default)]
    pub sources: Vec<String>,
}

impl KeyDef {
    /// The first app version that reads the key from device management: the
    /// later of `since` and `managed_since`.
    #[must_use]
    pub fn device_since(&self) -> Option<&str> {
        match (self.since.as_deref(), self.managed_since.as_deref()) {
            (Some(s), Some(m)) => Some(if crate::check::version_lt(s, m) { m } else { s }),
            (s, m) => m.or(s),
        }
    }
}

/// A value type.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TypeDef {
    /// A string, optionally with a format, allowed values or a length limit.
    String {
        /// A named format the string must have.
        #[serde(default)]
        format: Option<Format>,
        /// Allowed values; empty = any.
        #[serde(default, rename = "enum")]
        values: Vec<String>,
        /// Allowed but deprecated values.
        #[serde(default)]
        deprecated_values: Vec<DeprecatedValue>,
        /// Maximum length in characters.
        #[serde(default)]
        max_length: Option<u32>,
        /// Minimum length in characters (`1` = must not be empty).
        #[serde(default)]
        min_length: Option<u32>,
    },
    /// An integer.
    Integer {
        /// Smallest allowed value.
        #[serde(default)]
        min: Option<i64>,
        /// Largest allowed value.
        #[serde(default)]
        max: Option<i64>,
    },
    /// A decimal number.
    Number {
        /// Smallest allowed value.
        #[serde(default)]
        min: Option<f64>,
        /// Whether `min` itself is excluded.
        #[serde(default)]
        exclusive_min: bool,
        /// Largest allowed value.
        #[serde(default)]
        max: Option<f64>,
    },
    /// `true` / `false`.
    Boolean,
    /// A list.
    List {
        /// The element type.
        items: Box<TypeDef>,
        /// Field (of object elements) that identifies an element: used by
        /// `-= "name"` and checked for uniqueness.
        #[serde(default)]
        identity: Option<String>,
        /// Elements must be unique.
        #[serde(default)]
        unique: bool,
    },
    /// An object with free keys (header maps, tool policies).
    Map {
        /// The value type.
        values: Box<TypeDef>,
        /// A format the keys must have.
        #[serde(default)]
        key_format: Option<Format>,
        /// Every value is a secret (header values that may carry a
        /// credential): redacted when shown, read with `env()` when
        /// imported, and a file that holds one is owner-only.
        #[serde(default)]
        secret_values: bool,
    },
    /// An object of a named type (see `types`).
    Object {
        /// Name of the type in `types`.
        #[serde(rename = "ref")]
        name: String,
    },
    /// One of several types, told apart by the kind of value (string,
    /// boolean, list, object...). At most one variant per kind.
    Union {
        /// The alternatives.
        variants: Vec<TypeDef>,
    },
}

/// A deprecated but still accepted enum value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeprecatedValue {
    /// The value.
    pub value: String,
    /// Details.
    #[serde(flatten)]
    pub deprecation: Deprecation,
}

/// Named string formats.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `https://host[:port][/path]`, no embedded credentials.
    HttpsUrl,
    /// `http://` or `https://` URL, no embedded credentials.
    HttpUrl,
    /// An `https://` origin: scheme, host and optional port, no path.
    HttpsOrigin,
    /// A hostname, `*.domain` wildcard, IP address or `*`, with optional `:port`.
    HostPattern,
    /// A plain DNS hostname.
    Hostname,
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (no braces).
    Uuid,
    /// An absolute file-system path (`/…`, `C:\…`, `\\server\…`).
    AbsolutePath,
    /// An absolute path, a `~` path, or a path starting with a `%VAR%` token.
    WorkspacePath,
    /// `#RRGGBB`.
    Color,
    /// An AWS region such as `us-west-2` or `us-gov-west-1`.
    AwsRegion,
    /// A GCP project id: `^[a-z0-9][a-z0-9.:-]*$`.
    GcpProject,
    /// A Vertex AI location: a GCP region, `eu`, `us` or `global`.
    GcpLocation,
    /// A 12-digit AWS account id.
    AwsAccountId,
    /// 40 hexadecimal digits (a git commit).
    Sha1Hex,
    /// 64 hexadecimal digits.
    Sha256Hex,
    /// An HTTP header name (RFC 9110 token).
    HeaderName,
    /// `owner/name`.
    GithubRepo,
    /// `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, not `unknown`, `org`, `org-provisioned`.
    MarketplaceName,
    /// Space-separated hostnames.
    HostList,
    /// `major.minor.patch` app version.
    AppVersion,
}

impl Format {
    /// Whether the format is a URL's (`scheme://authority...`): a value of
    /// it may carry `user:password@`, which is reported (C0206) and masked
    /// wherever the value is shown.
    #[must_use]
    pub fn is_url(self) -> bool {
        matches!(
            self,
            Format::HttpsUrl | Format::HttpUrl | Format::HttpsOrigin
        )
    }
}

/// A named object type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectType {
    /// One paragraph of documentation.
    #[serde(default)]
    pub doc: String,
    /// The fields, in display order.
    pub fields: Vec<FieldDef>,
    /// Rules among the fields of one object (paths are field names).
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Whether fields not listed are accepted (and kept).
    #[serde(default)]
    pub open: bool,
}

/// A field of an object type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// The field name.
    pub name: String,
    /// The field type.
    #[serde(rename = "type")]
    pub ty: TypeDef,
    /// Whether every object must have it.
    #[serde(default)]
    pub required: bool,
    /// Documentation.
    #[serde(default)]
    pub doc: String,
    /// Default value.
    #[serde(default)]
    pub default: Option<Json>,
    /// First app version that reads it.
    #[serde(default)]
    pub since: Option<String>,
    /// Deprecation.
    #[serde(default)]
    pub deprecated: Option<Deprecation>,
    /// Whether the value is a secret.
    #[serde(default)]
    pub secret: bool,
}

/// A condition on a configuration (or on one object, for type rules).
///
/// Paths are key names, optionally followed by `.field` steps into object
/// values (`banner.enabled`). Inside an object type's rules, paths start at
/// the object's fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Cond {
    /// The path has a value.
    Set(String),
    /// The path has no value.
    Unset(String),
    /// The path's value equals the JSON value.
    Eq(String, Json),
    /// The path has a value different from the JSON value (unset is not "ne").
    Ne(String, Json),
    /// The path's value is one of the JSON values.
    In(String, Vec<Json>),
    /// The path's value is a list containing the JSON value.
    Contains(String, Json),
    /// The path's string value starts with the prefix.
    StartsWith(String, String),
    /// Every condition holds.
    All(Vec<Cond>),
    /// At least one condition holds.
    Any(Vec<Cond>),
    /// The condition does not hold.
    Not(Box<Cond>),
}

impl Cond {
    /// The paths the condition mentions, in order, without repeats.
    #[must_use]
    pub fn paths(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_paths(true, &mut out);
        out
    }

    /// The paths whose values the condition compares (`eq`, `ne`, `in`,
    /// `contains`, `starts-with`; `set` and `unset` only ask whether there
    /// is a value), in order, without repeats.
    #[must_use]
    pub fn compared_paths(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_paths(false, &mut out);
        out
    }

    fn collect_paths<'c>(&'c self, presence: bool, out: &mut Vec<&'c str>) {
        match self {
            Cond::Set(_) | Cond::Unset(_) if !presence => {}
            Cond::Set(p)
            | Cond::Unset(p)
            | Cond::Eq(p, _)
            | Cond::Ne(p, _)
            | Cond::In(p, _)
            | Cond::Contains(p, _)
            | Cond::StartsWith(p, _) => {
                if !out.contains(&p.as_str()) {
                    out.push(p);
                }
            }
            Cond::All(cs) | Cond::Any(cs) => {
                cs.iter().for_each(|c| c.collect_paths(presence, out));
            }
            Cond::Not(c) => c.collect_paths(presence, out),
        }
    }
}

/// The kinds of cross-key rule.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// `key` set (and `when` holds) ⇒ every path of `paths` set.
    Requires,
    /// `when` holds ⇒ `key` set.
    RequiredWhen,
    /// At most one of `paths` / `options` may hold (when `when` holds).
    Conflicts,
    /// At least one of `options` (or `paths` set) when `when` holds.
    AtLeastOneOf,
    /// Exactly one of `options` (or `paths` set) when `when` holds.
    ExactlyOneOf,
    /// `when` holds ⇒ `then` holds (a general assertion).
    Implies,
}

/// Which profiles a rule applies to.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RuleScope {
    /// Concrete profiles only (a requirement an abstract profile may leave
    /// to its descendants).
    Concrete,
    /// Abstract and concrete profiles.
    All,
}

/// Severity of a rule.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSeverity {
    /// Fails the check.
    Error,
    /// Reported, does not fail.
    Warning,
}

/// A cross-key rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable identifier (shown in diagnostics), e.g. `gateway-needs-base-url`.
    pub id: String,
    /// The kind.
    pub kind: RuleKind,
    /// The key a `requires` / `required-when` rule is about.
    #[serde(default)]
    pub key: Option<String>,
    /// Paths for `requires`, `conflicts`, `at-least-one-of`, `exactly-one-of`.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Conditions for `conflicts`, `at-least-one-of`, `exactly-one-of`
    /// (alternatives to `paths`), each with a description.
    #[serde(default)]
    pub options: Vec<RuleOption>,
    /// The rule only applies when this holds.
    #[serde(default)]
    pub when: Option<Cond>,
    /// For `implies`: what must hold.
    #[serde(default)]
    pub then: Option<Cond>,
    /// A provider-completeness rule (code `incomplete-provider`).
    #[serde(default)]
    pub completeness: bool,
    /// Which profiles it applies to; presence rules default to concrete,
    /// others to all.
    #[serde(default)]
    pub scope: Option<RuleScope>,
    /// Error (default) or warning.
    #[serde(default)]
    pub severity: Option<RuleSeverity>,
    /// The diagnostic message.
    pub message: String,
    /// The diagnostic help.
    #[serde(default)]
    pub help: Option<String>,
}

impl Rule {
    /// Every condition of the rule: `when`, `then` and the options'.
    pub fn conds(&self) -> impl Iterator<Item = &Cond> {
        let options = self.options.iter().map(|o| &o.cond);
        self.when.iter().chain(&self.then).chain(options)
    }
}

/// One alternative of an `at-least-one-of` / `exactly-one-of` / `conflicts` rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOption {
    /// Shown in messages, e.g. `an API key (inferenceGatewayApiKey)`.
    pub label: String,
    /// When the alternative is present.
    pub cond: Cond,
}

/// An egress rule: when `when` holds, the hosts are needed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressRule {
    /// The feature group (`Inference`, `Essential telemetry`, ...).
    pub group: String,
    /// The setting that requires these hosts, named in the allowlist comment.
    pub setting: String,
    /// When the rule applies (absent = always).
    #[serde(default)]
    pub when: Option<Cond>,
    /// Host templates. A template is a literal hostname or contains one
    /// placeholder `{PATH}` (the string value at PATH) or `{host:PATH}` (the
    /// host of the URL at PATH). PATH may step into lists with `[]` and into
    /// objects with `.field`, e.g. `{host:managedMcpServers[].url}`; a
    /// placeholder with no value produces no host.
    ///
    /// A URL's scheme and port carry over (`http://proxy:8080` is plain
    /// HTTP to port 8080); a `{PATH}` value may end in `:PORT`; a value
    /// that is `*` alone means "any host" and is no host to open.
    pub hosts: Vec<String>,
    /// Why, in one sentence.
    #[serde(default)]
    pub note: Option<String>,
    /// How the hosts are reached when a URL does not say: `https` (the
    /// default, TCP 443), `http` (TCP 80) or `ssh` (TCP 22).
    #[serde(default)]
    pub protocol: EgressProtocol,
    /// A path to a list of objects: `when` and the host templates are then
    /// evaluated once per element, with paths relative to the element
    /// (`{"each": "managedMcpServers", "when": {"eq": ["server", "github"]},
    /// "hosts": ["{host:host}"]}`).
    #[serde(default)]
    pub each: Option<String>,
}

/// The protocol of an egress rule's hosts.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum EgressProtocol {
    /// TLS, matched by SNI hostname; TCP 443 unless a port is given.
    #[default]
    Https,
    /// Plain HTTP (no TLS, no SNI); TCP 80 unless a port is given.
    Http,
    /// SSH; TCP 22 unless the user's SSH configuration names another port.
    Ssh,
}

impl EgressProtocol {
    /// The port used when none is given.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            EgressProtocol::Https => 443,
            EgressProtocol::Http => 80,
            EgressProtocol::Ssh => 22,
        }
    }

    /// The lowercase name (`https`, `http`, `ssh`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EgressProtocol::Https => "https",
            EgressProtocol::Http => "http",
            EgressProtocol::Ssh => "ssh",
        }
    }
}
