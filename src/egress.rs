//! The network egress a profile needs, derived from the schema's egress
//! rules and the profile's effective values.
//!
//! Each rule names a feature group, the setting that requires the hosts, a
//! condition, a protocol (HTTPS unless it says otherwise) and host templates
//! (`{PATH}` for a value, `{host:PATH}` for the host of a URL; `[]` steps
//! into lists). A rule with `each` is evaluated once per element of a list
//! of objects. The result is an [`Allowlist`]: groups in schema order (one
//! per feature group and setting), each made of parts (one per distinct
//! note of the rules that produced hosts), each part's destinations
//! deduplicated and sorted.
//!
//! A destination is a host (or `*.domain` pattern), a TCP port and a
//! protocol: a URL's scheme and port carry over (`http://proxy:8080` is
//! plain HTTP to port 8080), a host entry may end in `:PORT`, and otherwise
//! the rule's protocol gives the port (HTTPS 443, HTTP 80, SSH 22). A value
//! that is `*` alone allows any host: it is no destination, and the part
//! says so. Host names do not depend on case (DNS): they are listed in
//! lowercase, so `C.Example.COM` and `c.example.com` are one destination
//! (the checker calls them the same value of a list of hosts, C0210).

use crate::check::format::{host_of_authority, url_host};
use crate::check::rules::{self, EffLookup, Lookup, ObjectLookup};
use crate::resolve::{KeyIds, ProfileId, Resolved};
use crate::schema::{HostTemplate, Schema};
use crate::value::{Val, Value};
use std::collections::BTreeSet;

pub use crate::schema::model::EgressProtocol as Protocol;

/// One destination: where a connection goes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    /// Hostname, IP address or `*.domain` pattern; `<env:NAME>` stands for
    /// a value read with `env()` (never the value).
    pub host: String,
    /// The TCP port; `None` when the whole host comes from an `env()` URL,
    /// whose port is not known here.
    pub port: Option<u16>,
    /// How the destination is reached.
    pub protocol: Protocol,
}

impl Endpoint {
    /// The destination as an allowlist line: `host` for HTTPS on 443 (and
    /// for a host whose port is not known), `host:port` otherwise.
    #[must_use]
    pub fn destination(&self) -> String {
        match self.port {
            Some(443) if self.protocol == Protocol::Https => self.host.clone(),
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The destination with its protocol: [`Endpoint::destination`] for
    /// HTTPS, `http://` or `ssh://` before it otherwise.
    #[must_use]
    pub fn address(&self) -> String {
        match self.protocol {
            Protocol::Https => self.destination(),
            other => format!("{}://{}", other.name(), self.destination()),
        }
    }

    /// Whether the host is a pattern (`*.domain`) rather than one name.
    #[must_use]
    pub fn is_wildcard(&self) -> bool {
        self.host.contains('*')
    }

    /// Whether the host (or part of it) is read with `env()`, so that it
    /// cannot be named here.
    #[must_use]
    pub fn is_from_env(&self) -> bool {
        self.host.contains(ENV_PLACEHOLDER)
    }
}

/// The destinations of the rules of one group that share a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Why, when the schema says.
    pub note: Option<String>,
    /// A value of the setting is `*` alone: any host is allowed, which is
    /// no destination to open.
    pub any_host: bool,
    /// Destinations, sorted and unique.
    pub endpoints: Vec<Endpoint>,
}

/// One group of hosts, for one setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The feature (`Inference`, `Essential telemetry`, ...).
    pub group: String,
    /// The setting that requires the hosts (a key, `key: value`, or
    /// `always`).
    pub setting: String,
    /// In the order of the schema's rules; never empty.
    pub parts: Vec<Part>,
}

impl Group {
    /// Every part's note, in order, joined by a space.
    #[must_use]
    pub fn note(&self) -> Option<String> {
        let notes: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|p| p.note.as_deref())
            .collect();
        (!notes.is_empty()).then(|| notes.join(" "))
    }

    /// Every destination of the group once, sorted.
    #[must_use]
    pub fn endpoints(&self) -> Vec<&Endpoint> {
        let set: BTreeSet<&Endpoint> = self.parts.iter().flat_map(|p| &p.endpoints).collect();
        set.into_iter().collect()
    }
}

/// Every host a profile needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    /// Groups in the schema's order; a group with no host is left out.
    pub groups: Vec<Group>,
}

impl Allowlist {
    /// Every destination once, sorted (by host, then port, then protocol).
    #[must_use]
    pub fn endpoints(&self) -> Vec<&Endpoint> {
        let set: BTreeSet<&Endpoint> = self
            .groups
            .iter()
            .flat_map(|g| g.parts.iter().flat_map(|p| &p.endpoints))
            .collect();
        set.into_iter().collect()
    }

    /// Every web (HTTPS or plain HTTP) destination once, as
    /// [`Endpoint::address`] writes it, sorted. SSH hosts are left out.
    #[must_use]
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .groups
            .iter()
            .flat_map(|g| g.parts.iter().flat_map(|p| &p.endpoints))
            .filter(|e| e.protocol != Protocol::Ssh)
            .map(Endpoint::address)
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        hosts
    }
}

/// Computes the allowlist of a profile (empty when it has no effective
/// configuration).
#[must_use]
pub fn allowlist(resolved: &Resolved, id: ProfileId, schema: &Schema) -> Allowlist {
    allowlist_with(&KeyIds::new(&resolved.keys), resolved, id, schema)
}

/// What the rules of one part found.
#[derive(Default)]
struct Found {
    endpoints: BTreeSet<Endpoint>,
    any_host: bool,
}

impl Found {
    /// Adds a destination, its host in lowercase (but for the names of
    /// `<env:NAME>` placeholders, which are environment variables).
    fn add(&mut self, host: &str, port: Option<u16>, protocol: Protocol) {
        let mut folded = String::with_capacity(host.len());
        let mut rest = host;
        while let Some(i) = rest.find(ENV_PLACEHOLDER) {
            folded.push_str(&rest[..i].to_ascii_lowercase());
            let end = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
            folded.push_str(&rest[i..end]);
            rest = &rest[end..];
        }
        folded.push_str(&rest.to_ascii_lowercase());
        self.endpoints.insert(Endpoint {
            host: folded,
            port,
            protocol,
        });
    }
}

/// [`allowlist`] with a key resolver shared by many profiles (one per
/// thread), which remembers the schema's paths.
#[must_use]
pub fn allowlist_with<'s>(
    ids: &KeyIds<'_, 's>,
    resolved: &Resolved,
    id: ProfileId,
    schema: &'s Schema,
) -> Allowlist {
    let Some(eff) = resolved.effective[id.index()].as_ref() else {
        return Allowlist::default();
    };
    let lookup = EffLookup { eff, ids };
    let mut groups: Vec<Group> = Vec::new();
    for (index, rule) in schema.file().egress.iter().enumerate() {
        let templates = schema.egress_hosts(index);
        let mut found = Found::default();
        match &rule.each {
            None => {
                if rule.when.as_ref().is_some_and(|c| !rules::eval(c, &lookup)) {
                    continue;
                }
                for template in templates {
                    expand(template, rule.protocol, &lookup, &mut found);
                }
            }
            Some(path) => {
                let Some((value, _)) = lookup.get(path) else {
                    continue;
                };
                let elements: &[Val] = match &value.kind {
                    Value::List(items) => items,
                    Value::Object(_) => std::slice::from_ref(&*value),
                    _ => &[],
                };
                for element in elements {
                    let element = ObjectLookup { object: element };
                    if rule
                        .when
                        .as_ref()
                        .is_some_and(|c| !rules::eval(c, &element))
                    {
                        continue;
                    }
                    for template in templates {
                        expand(template, rule.protocol, &element, &mut found);
                    }
                }
            }
        }
        if found.endpoints.is_empty() && !found.any_host {
            continue;
        }
        // Rules of the same group and setting are one group in the output;
        // within it, rules with the same note are one part.
        let group = match groups
            .iter()
            .position(|g| g.group == rule.group && g.setting == rule.setting)
        {
            Some(i) => &mut groups[i],
            None => {
                groups.push(Group {
                    group: rule.group.clone(),
                    setting: rule.setting.clone(),
                    parts: Vec::new(),
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        match group.parts.iter_mut().find(|p| p.note == rule.note) {
            Some(part) => {
                let mut all: BTreeSet<Endpoint> = part.endpoints.drain(..).collect();
                all.extend(found.endpoints);
                part.endpoints = all.into_iter().collect();
                part.any_host |= found.any_host;
            }
            None => group.parts.push(Part {
                note: rule.note.clone(),
                any_host: found.any_host,
                endpoints: found.endpoints.into_iter().collect(),
            }),
        }
    }
    Allowlist { groups }
}

/// Expands one host template into `out`.
fn expand<'s>(
    template: &'s HostTemplate,
    protocol: Protocol,
    lookup: &dyn Lookup<'s>,
    out: &mut Found,
) {
    let Some((path, want_host)) = &template.placeholder else {
        let (host, port) = split_port(&template.prefix);
        out.add(
            host,
            Some(port.unwrap_or(protocol.default_port())),
            protocol,
        );
        return;
    };
    let Some((value, _)) = lookup.get(path) else {
        return;
    };
    let mut strings = Vec::new();
    collect_strings(&value, &mut strings);
    let whole = template.prefix.is_empty() && template.suffix.is_empty();
    let wrap = |piece: &str| format!("{}{piece}{}", template.prefix, template.suffix);
    for s in strings {
        if s.starts_with(ENV_PLACEHOLDER) {
            // Known only when the build reads the variable: the entry
            // names it, rather than leaving a host out unnoticed. A whole
            // host from the environment has a port that is not known here.
            out.add(
                &wrap(&s),
                (!whole).then(|| protocol.default_port()),
                protocol,
            );
        } else if *want_host {
            let Some((host, port, protocol)) = url_destination(&s, protocol) else {
                continue;
            };
            out.add(&wrap(&host), Some(port), protocol);
        } else if s.is_empty() {
            continue;
        } else if whole && s == "*" {
            out.any_host = true;
        } else {
            let full = wrap(&s);
            let (host, port) = split_port(&full);
            if host.is_empty() {
                continue;
            }
            out.add(
                host,
                Some(port.unwrap_or(protocol.default_port())),
                protocol,
            );
        }
    }
}

/// The host, port and protocol a URL connects to (the scheme decides the
/// protocol when it is `https`, `http` or `ssh`; otherwise the rule's); a
/// bare hostname gets the rule's protocol and port. `None` for anything
/// else, and for a URL whose port is not a port number.
fn url_destination(value: &str, protocol: Protocol) -> Option<(String, u16, Protocol)> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return crate::check::format::hostname(value).then(|| {
            (
                value.to_ascii_lowercase(),
                protocol.default_port(),
                protocol,
            )
        });
    };
    let protocol = match scheme.to_ascii_lowercase().as_str() {
        "https" => Protocol::Https,
        "http" => Protocol::Http,
        "ssh" => Protocol::Ssh,
        _ => protocol,
    };
    let host = url_host(value)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let after_host = &authority[host_of_authority(authority).len()..];
    let port = match after_host.strip_prefix(':') {
        None | Some("") => protocol.default_port(),
        Some(p) => p.parse::<u16>().ok().filter(|&n| n != 0)?,
    };
    Some((host, port, protocol))
}

/// Splits `host:PORT` (a host entry with a port suffix) into host and
/// port; anything else is all host.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    match entry.rsplit_once(':') {
        Some((host, port))
            if !host.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match port.parse::<u16>() {
                Ok(n) if n != 0 => (host, Some(n)),
                _ => (entry, None),
            }
        }
        _ => (entry, None),
    }
}

/// How an allowlist entry shows a value read with `env()` (never the
/// value): `<env:NAME>`.
const ENV_PLACEHOLDER: &str = "<env:";

fn collect_strings(v: &Val, out: &mut Vec<String>) {
    match &v.kind {
        Value::Str(s) => out.push(s.to_string()),
        Value::Env(name) => out.push(format!("{ENV_PLACEHOLDER}{name}>")),
        Value::List(items) => items.iter().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// The comment line above the destinations of a protocol other than
/// HTTPS.
fn protocol_comment(protocol: Protocol) -> Option<&'static str> {
    match protocol {
        Protocol::Https => None,
        Protocol::Http => Some(
            "# Plain HTTP, not HTTPS: no TLS, so no SNI name to match; allow these by address and port.",
        ),
        Protocol::Ssh => Some(
            "# SSH, not HTTPS: TCP port 22 unless the user's SSH configuration names another port.",
        ),
    }
}

/// The allowlist as text: a header, then one block per group with a comment
/// naming the setting that requires it, and within it each part's note and
/// destinations (one per line).
#[must_use]
pub fn to_text(profile: &str, list: &Allowlist) -> String {
    let mut out = format!(
        "# Network egress allowlist for Claude Desktop profile `{profile}`.\n\
         # Generated by polc. One destination per line: `host` is TCP 443, `host:port`\n\
         # names the port. Destinations are HTTPS, matched by SNI hostname, unless a\n\
         # comment line just above them says plain HTTP or SSH. `*.domain` entries\n\
         # match subdomains of any depth, not the domain itself.\n"
    );
    for g in &list.groups {
        out.push('\n');
        if g.setting == "always" {
            out.push_str(&format!("# {} (always)\n", g.group));
        } else {
            out.push_str(&format!("# {} (required by {})\n", g.group, g.setting));
        }
        for part in &g.parts {
            if let Some(note) = &part.note {
                out.push_str(&format!("# {note}\n"));
            }
            if part.any_host {
                out.push_str(&format!(
                    "# The setting {} `*` (any host), which names no host to open: \
                     the perimeter alone decides what is reachable.\n",
                    if part.endpoints.is_empty() {
                        "holds"
                    } else {
                        "also holds"
                    }
                ));
            }
            if part.endpoints.iter().any(|e| e.port.is_none()) {
                out.push_str(
                    "# `<env:NAME>` is the host of a URL read from that environment variable, \
                     which polc does not read for this list: allow its host and port once known.\n",
                );
            }
            // HTTPS first, then each other protocol under its comment.
            let mut protocols: Vec<Protocol> = part.endpoints.iter().map(|e| e.protocol).collect();
            protocols.sort();
            protocols.dedup();
            for protocol in protocols {
                if let Some(comment) = protocol_comment(protocol) {
                    out.push_str(comment);
                    out.push('\n');
                }
                for e in part.endpoints.iter().filter(|e| e.protocol == protocol) {
                    out.push_str(&e.destination());
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The allowlist as JSON: the profile, every web destination once
/// (`hosts`), and the groups in the text form's order, each with its parts
/// (one per note) and their destinations. A destination is written as
/// [`Endpoint::address`] writes it: `host` or `host:port` for HTTPS,
/// `http://host:port` for plain HTTP, `ssh://host:port` for SSH.
#[must_use]
pub fn to_json(profile: &str, list: &Allowlist) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        profile: &'a str,
        hosts: Vec<String>,
        groups: Vec<GroupJson<'a>>,
    }
    #[derive(serde::Serialize)]
    struct GroupJson<'a> {
        group: &'a str,
        setting: &'a str,
        parts: Vec<PartJson<'a>>,
    }
    #[derive(serde::Serialize)]
    struct PartJson<'a> {
        note: Option<&'a str>,
        any_host: bool,
        endpoints: Vec<String>,
    }
    let doc = Doc {
        profile,
        hosts: list.hosts(),
        groups: list
            .groups
            .iter()
            .map(|g| GroupJson {
                group: &g.group,
                setting: &g.setting,
                parts: g
                    .parts
                    .iter()
                    .map(|p| PartJson {
                        note: p.note.as_deref(),
                        any_host: p.any_host,
                        endpoints: p.endpoints.iter().map(Endpoint::address).collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
