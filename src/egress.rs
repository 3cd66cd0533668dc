//! The network egress a profile needs, derived from the schema's egress
//! rules and the profile's effective values.
//!
//! Each rule names a feature group, the setting that requires the hosts, a
//! condition and host templates (`{PATH}` for a value, `{host:PATH}` for the
//! host of a URL; `[]` steps into lists). The result is an [`Allowlist`]:
//! groups in schema order, hosts deduplicated and sorted within a group.

use crate::check::format::url_host;
use crate::check::rules::{self, EffLookup, Lookup};
use crate::resolve::{KeyIds, ProfileId, Resolved};
use crate::schema::{HostTemplate, Schema};
use crate::value::{Val, Value};
use std::collections::BTreeSet;

/// One group of hosts, for one setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The feature (`Inference`, `Essential telemetry`, ...).
    pub group: String,
    /// The setting that requires the hosts.
    pub setting: String,
    /// Why, when the schema says.
    pub note: Option<String>,
    /// Hostnames (or wildcard patterns), sorted and unique.
    pub hosts: Vec<String>,
}

/// Every host a profile needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    /// Groups in the schema's order; a group with no host is left out.
    pub groups: Vec<Group>,
}

impl Allowlist {
    /// Every host once, sorted.
    #[must_use]
    pub fn hosts(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.hosts.iter().map(String::as_str))
            .collect();
        set.into_iter().collect()
    }
}

/// Computes the allowlist of a profile (empty when it has no effective
/// configuration).
#[must_use]
pub fn allowlist(resolved: &Resolved, id: ProfileId, schema: &Schema) -> Allowlist {
    allowlist_with(&KeyIds::new(&resolved.keys), resolved, id, schema)
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
        if rule.when.as_ref().is_some_and(|c| !rules::eval(c, &lookup)) {
            continue;
        }
        let mut hosts = BTreeSet::new();
        for template in schema.egress_hosts(index) {
            expand(template, &lookup, &mut hosts);
        }
        if hosts.is_empty() {
            continue;
        }
        // Rules of the same group and setting are one group in the output.
        match groups
            .iter_mut()
            .find(|g| g.group == rule.group && g.setting == rule.setting)
        {
            Some(g) => {
                let mut all: BTreeSet<String> = g.hosts.drain(..).collect();
                all.extend(hosts);
                g.hosts = all.into_iter().collect();
            }
            None => groups.push(Group {
                group: rule.group.clone(),
                setting: rule.setting.clone(),
                note: rule.note.clone(),
                hosts: hosts.into_iter().collect(),
            }),
        }
    }
    Allowlist { groups }
}

/// Expands one host template into `out`.
fn expand<'s>(template: &'s HostTemplate, lookup: &dyn Lookup<'s>, out: &mut BTreeSet<String>) {
    let Some((path, want_host)) = &template.placeholder else {
        out.insert(template.prefix.clone());
        return;
    };
    let Some((value, _)) = lookup.get(path) else {
        return;
    };
    let mut strings = Vec::new();
    collect_strings(&value, &mut strings);
    for s in strings {
        let piece = if s.starts_with(ENV_PLACEHOLDER) {
            // Known only when the build reads the variable: the entry
            // names it, rather than leaving a host out unnoticed.
            s
        } else if *want_host {
            match url_host(&s) {
                Some(h) => h,
                None if crate::check::format::hostname(&s) => s.to_ascii_lowercase(),
                None => continue,
            }
        } else {
            s
        };
        if piece.is_empty() {
            continue;
        }
        out.insert(format!("{}{piece}{}", template.prefix, template.suffix));
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

/// The allowlist as text: a header, then one block per group with a comment
/// naming the setting that requires it.
#[must_use]
pub fn to_text(profile: &str, list: &Allowlist) -> String {
    let mut out = format!(
        "# Network egress allowlist for Claude Desktop profile `{profile}`.\n\
         # Generated by polc. All hosts are HTTPS (TCP 443), matched by SNI hostname;\n\
         # `*.domain` entries match subdomains of any depth.\n"
    );
    for g in &list.groups {
        out.push('\n');
        if g.setting == "always" {
            out.push_str(&format!("# {} (always)\n", g.group));
        } else {
            out.push_str(&format!("# {} (required by {})\n", g.group, g.setting));
        }
        if let Some(note) = &g.note {
            out.push_str(&format!("# {note}\n"));
        }
        for h in &g.hosts {
            out.push_str(h);
            out.push('\n');
        }
    }
    out
}

/// The allowlist as JSON text (pretty, ending in a newline): `{"profile",
/// "hosts": [...], "groups": [{"group", "setting", "note", "hosts"}]}`.
#[must_use]
pub fn to_json(profile: &str, list: &Allowlist) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        profile: &'a str,
        hosts: Vec<&'a str>,
        groups: Vec<GroupJson<'a>>,
    }
    #[derive(serde::Serialize)]
    struct GroupJson<'a> {
        group: &'a str,
        setting: &'a str,
        note: Option<&'a str>,
        hosts: &'a [String],
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
                note: g.note.as_deref(),
                hosts: &g.hosts,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
