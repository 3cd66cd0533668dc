//! `polc diff`: what changes between two versions of a policy set.
//!
//! [`diff`] compares two compilations: the effective configuration of every
//! concrete profile (abstract profiles are never deployed, so a profile that
//! becomes abstract is *removed* and one that becomes concrete is *added*),
//! key by key and `meta` field by field, and the artifacts `polc build`
//! would write, by path and SHA-256.
//!
//! Secrets never influence or appear in a diff:
//!
//! - values are rendered exactly as `polc show --format json` renders them
//!   ([`crate::inspect::value_json`]): `env()` secrets as `"<env:NAME>"`,
//!   literal values of secret keys, and of secret fields inside values at
//!   any depth (an MCP server's OAuth client secret), as `"<redacted>"`. A
//!   changed `env()` variable name shows as `"<env:OLD>"` → `"<env:NEW>"`; a
//!   changed literal secret shows as `"<redacted>"` → `"<redacted>"`, or as
//!   two equal values when only a secret field inside changed (the change is
//!   detected, the values are not shown);
//! - artifacts are built with [`PlaceholderEnv`], a host whose `env()` gives
//!   `<env:NAME>` for every variable, so the environment is never read and
//!   an artifact changes when a secret's variable name changes, never when
//!   its value would.
//!
//! Everything is sorted: profiles by name, keys and `meta` fields by name,
//! artifacts by path.
//!
//! # JSON
//!
//! [`Diff::to_json`] gives:
//!
//! ```json
//! {
//!   "changed": true,
//!   "profiles": [
//!     {
//!       "name": "eu",
//!       "status": "changed",
//!       "keys": [
//!         { "key": "autoUpdaterEnforcementHours", "change": "changed", "before": 48, "after": 24 },
//!         { "key": "disabledBuiltinTools", "change": "added", "after": ["WebSearch"] },
//!         { "key": "otlpEndpoint", "change": "removed", "before": "https://otel.example" }
//!       ],
//!       "meta": [
//!         { "key": "description", "change": "changed", "before": "old", "after": "new" }
//!       ]
//!     },
//!     { "name": "x", "status": "unresolved", "unresolved_in": "new", "keys": [], "meta": [] }
//!   ],
//!   "artifacts": { "added": ["..."], "removed": ["..."], "changed": ["manifest.json"] }
//! }
//! ```
//!
//! - `changed`: whether anything differs (`polc diff` exits with 1 when it
//!   does, and also when a version has errors).
//! - `profiles`: only profiles with a difference, sorted by name. `status` is
//!   `added` (every key `added`), `removed` (every key `removed`), `changed`,
//!   or `unresolved`: the profile's configuration could not be computed (an
//!   inheritance cycle or a duplicate name) in the `old`, `new` or `both`
//!   versions (`unresolved_in`), so it was not compared.
//! - `keys` and `meta`: sorted by name; `meta` entries name the field without
//!   the `meta.` prefix. `before` is absent for `added`, `after` for
//!   `removed`. Values are typed JSON as `polc show --format json` prints
//!   them.
//! - `artifacts`: paths relative to the output directory of `polc build`,
//!   `manifest.json` included; `null` when a version cannot be built (a
//!   value a `.mobileconfig` cannot hold), see [`Diff::artifacts`].

use crate::Compilation;
use crate::diag::Diagnostic;
use crate::emit::Artifact;
use crate::emit::build::{self, BuildError, Options, sha256_hex};
use crate::host::{Host, HostError, NoHost};
use crate::resolve::{EffValue, Effective, META_PREFIX, Resolved};
use crate::schema::Schema;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// A host that reads files through another host and answers every `env()`
/// lookup with the placeholder `<env:NAME>`: builds made with it never read
/// the environment and do not depend on secret values.
pub struct PlaceholderEnv<'a>(pub &'a dyn Host);

impl Host for PlaceholderEnv<'_> {
    fn read_file(&self, path: &str) -> Result<String, HostError> {
        self.0.read_file(path)
    }

    fn env(&self, name: &str) -> Option<String> {
        Some(format!("<env:{name}>"))
    }

    fn env_is_real(&self) -> bool {
        false
    }
}

/// The difference between two versions of a policy set.
#[derive(Debug, Clone)]
pub struct Diff {
    /// Concrete profiles with a difference, sorted by name.
    pub profiles: Vec<ProfileDiff>,
    /// The artifacts that change, or, when a version cannot be built, the
    /// errors of each version (diagnostics of the old and the new sources).
    pub artifacts: Result<ArtifactChanges, BuildErrors>,
}

/// What happened to a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Concrete only in the new version.
    Added,
    /// Concrete only in the old version.
    Removed,
    /// Concrete in both, with a different configuration.
    Changed,
    /// Its configuration could not be computed (an inheritance cycle or a
    /// duplicate name) in one or both versions: not compared.
    Unresolved(Side),
}

/// Which version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The old version only.
    Old,
    /// The new version only.
    New,
    /// Both versions.
    Both,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
            Side::Both => "both",
        }
    }
}

impl Status {
    /// `added`, `removed`, `changed` or `unresolved`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unresolved(_) => "unresolved",
        }
    }
}

/// The differences of one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileDiff {
    /// The profile name.
    pub name: String,
    /// What happened to it.
    pub status: Status,
    /// Application keys that differ, sorted by key.
    pub keys: Vec<Change>,
    /// `meta` fields that differ (field names without `meta.`), sorted.
    pub meta: Vec<Change>,
}

/// One key or `meta` field that differs. Values are redacted as
/// `polc show --format json` prints them.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The key, or the `meta` field without its prefix.
    pub key: String,
    /// The old value (`None`: not set).
    pub before: Option<Json>,
    /// The new value (`None`: not set).
    pub after: Option<Json>,
}

impl Change {
    /// `added`, `removed` or `changed`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match (&self.before, &self.after) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        }
    }
}

/// Artifact paths that differ between the builds of the two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactChanges {
    /// Written only by the new version.
    pub added: Vec<String>,
    /// Written only by the old version.
    pub removed: Vec<String>,
    /// Written by both, with different bytes.
    pub changed: Vec<String>,
}

impl ArtifactChanges {
    /// Whether no artifact differs.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Every path with its marker (`+`, `-`, `~`), sorted by path.
    fn marked(&self) -> Vec<(&'static str, &str)> {
        let mut all: Vec<(&'static str, &str)> = self
            .added
            .iter()
            .map(|p| ("+", p.as_str()))
            .chain(self.removed.iter().map(|p| ("-", p.as_str())))
            .chain(self.changed.iter().map(|p| ("~", p.as_str())))
            .collect();
        all.sort_by(|a, b| a.1.cmp(b.1));
        all
    }
}

/// Why the artifacts could not be compared: the build errors of each
/// version (spans in that version's sources).
#[derive(Debug, Clone, Default)]
pub struct BuildErrors {
    /// Errors of the old version.
    pub old: Vec<Diagnostic>,
    /// Errors of the new version.
    pub new: Vec<Diagnostic>,
}

/// Compares two compilations of a policy set (with the same schema).
///
/// Works on sets with errors too: profiles whose configuration could be
/// computed are compared; the caller decides how to present the errors.
#[must_use]
pub fn diff(old: &Compilation, new: &Compilation, schema: &Schema) -> Diff {
    let before = concrete(&old.resolved);
    let after = concrete(&new.resolved);
    let names: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    let mut profiles = Vec::new();
    for name in names {
        let entry = match (before.get(name), after.get(name)) {
            (None, Some(Some(n))) => whole(name, Status::Added, n, schema),
            (Some(Some(o)), None) => whole(name, Status::Removed, o, schema),
            (Some(None), None) => ProfileDiff {
                name: name.to_string(),
                status: Status::Removed,
                keys: Vec::new(),
                meta: Vec::new(),
            },
            (Some(Some(o)), Some(Some(n))) => {
                let (keys, meta) = compare(o, n, schema);
                if keys.is_empty() && meta.is_empty() {
                    continue;
                }
                ProfileDiff {
                    name: name.to_string(),
                    status: Status::Changed,
                    keys,
                    meta,
                }
            }
            (o, n) => {
                let side = match (o, n) {
                    (Some(Some(_)), _) => Side::New,
                    (Some(None), Some(None)) => Side::Both,
                    (Some(None), _) => Side::Old,
                    _ => Side::New,
                };
                ProfileDiff {
                    name: name.to_string(),
                    status: Status::Unresolved(side),
                    keys: Vec::new(),
                    meta: Vec::new(),
                }
            }
        };
        profiles.push(entry);
    }
    let artifacts = match (artifact_hashes(old, schema), artifact_hashes(new, schema)) {
        (Ok(o), Ok(n)) => Ok(compare_artifacts(&o, &n)),
        (o, n) => Err(BuildErrors {
            old: o.err().unwrap_or_default(),
            new: n.err().unwrap_or_default(),
        }),
    };
    Diff {
        profiles,
        artifacts,
    }
}

/// Concrete profiles by name, with their configuration when it could be
/// computed.
fn concrete(resolved: &Resolved) -> BTreeMap<&str, Option<&Effective>> {
    resolved
        .by_name
        .iter()
        .filter(|(_, id)| !resolved.profile(**id).is_abstract)
        .map(|(name, id)| (&**name, resolved.effective[id.index()].as_ref()))
        .collect()
}

/// A value as shown (redacted).
fn shown(schema: &Schema, key: &str, ev: &EffValue) -> Json {
    crate::inspect::value_json(schema, key, &ev.value)
}

/// The exact value, to decide whether it changed (never shown: for a
/// literal secret this is the secret; `env()` secrets stay names).
fn exact(ev: &EffValue) -> String {
    serde_json::to_string(&ev.value.to_json(&|_| None)).unwrap_or_default()
}

/// An added or removed profile: every key and meta field.
fn whole(name: &str, status: Status, eff: &Effective, schema: &Schema) -> ProfileDiff {
    let empty = Effective::default();
    let (keys, meta) = if status == Status::Added {
        compare(&empty, eff, schema)
    } else {
        compare(eff, &empty, schema)
    };
    ProfileDiff {
        name: name.to_string(),
        status,
        keys,
        meta,
    }
}

/// The keys and meta fields that differ between two configurations.
fn compare(old: &Effective, new: &Effective, schema: &Schema) -> (Vec<Change>, Vec<Change>) {
    let before: BTreeMap<&str, &EffValue> = old.iter().map(|(k, v)| (&**k, v)).collect();
    let after: BTreeMap<&str, &EffValue> = new.iter().map(|(k, v)| (&**k, v)).collect();
    let names: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    let mut keys = Vec::new();
    let mut meta = Vec::new();
    for key in names {
        let (o, n) = (before.get(key), after.get(key));
        if let (Some(o), Some(n)) = (o, n)
            && exact(o) == exact(n)
        {
            continue;
        }
        let change = |name: &str| Change {
            key: name.to_string(),
            before: o.map(|v| shown(schema, key, v)),
            after: n.map(|v| shown(schema, key, v)),
        };
        match key.strip_prefix(META_PREFIX) {
            Some(field) => meta.push(change(field)),
            None => keys.push(change(key)),
        }
    }
    (keys, meta)
}

/// Path → SHA-256 of every artifact of a build with placeholder secrets.
fn artifact_hashes(
    c: &Compilation,
    schema: &Schema,
) -> Result<BTreeMap<String, String>, Vec<Diagnostic>> {
    let host = PlaceholderEnv(&NoHost);
    let hashes = std::sync::Mutex::new(BTreeMap::new());
    let sink = |batch: &[Artifact]| {
        let mut hashes = hashes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for a in batch {
            hashes.insert(a.path.clone(), sha256_hex(&a.bytes));
        }
        Ok(())
    };
    match build::build_with(
        c,
        schema,
        &host,
        &Options::default(),
        build::templates(schema),
        &sink,
    ) {
        Ok(_) => Ok(hashes
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)),
        Err(BuildError::Diagnostics(d)) => Err(d
            .into_iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .collect()),
        // The sink above never fails.
        Err(BuildError::Sink(_)) => Err(Vec::new()),
    }
}

fn compare_artifacts(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> ArtifactChanges {
    let mut changes = ArtifactChanges::default();
    for (path, hash) in new {
        match old.get(path) {
            None => changes.added.push(path.clone()),
            Some(h) if h != hash => changes.changed.push(path.clone()),
            Some(_) => {}
        }
    }
    changes.removed = old
        .keys()
        .filter(|p| !new.contains_key(*p))
        .cloned()
        .collect();
    changes
}

/// `1 profile`, `2 profiles`.
fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Compact JSON of a shown value.
fn compact(v: &Json) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Diff {
    /// Whether anything differs (profiles or artifacts). A version that
    /// cannot be built counts as a difference: nothing says it does not.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        !self.profiles.is_empty() || self.artifacts.as_ref().map_or(true, |a| !a.is_empty())
    }

    fn with_status(&self, f: impl Fn(Status) -> bool) -> Vec<&ProfileDiff> {
        self.profiles.iter().filter(|p| f(p.status)).collect()
    }

    /// One line: `1 profile added, 2 changed; artifacts: 3 added, 1 changed`,
    /// or `no changes`.
    #[must_use]
    pub fn summary(&self) -> String {
        if !self.has_changes() {
            return "no changes".to_string();
        }
        let n = |s: fn(Status) -> bool| self.with_status(s).len();
        let counts = [
            (n(|s| s == Status::Added), "added"),
            (n(|s| s == Status::Removed), "removed"),
            (n(|s| s == Status::Changed), "changed"),
            (n(|s| matches!(s, Status::Unresolved(_))), "not compared"),
        ];
        let mut parts: Vec<String> = Vec::new();
        for (n, what) in counts {
            if n == 0 {
                continue;
            }
            if parts.is_empty() {
                parts.push(format!("{} {what}", count(n, "profile")));
            } else {
                parts.push(format!("{n} {what}"));
            }
        }
        let profiles = if parts.is_empty() {
            "no profile changes".to_string()
        } else {
            parts.join(", ")
        };
        let artifacts = match &self.artifacts {
            Err(_) => "artifacts: not compared".to_string(),
            Ok(a) if a.is_empty() => "no artifact changes".to_string(),
            Ok(a) => {
                let parts: Vec<String> = [
                    (a.added.len(), "added"),
                    (a.removed.len(), "removed"),
                    (a.changed.len(), "changed"),
                ]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
                format!("artifacts: {}", parts.join(", "))
            }
        };
        format!("{profiles}; {artifacts}")
    }

    /// The diff as JSON (the shape is documented in the module
    /// documentation).
    #[must_use]
    pub fn to_json(&self) -> Json {
        let changes = |list: &[Change]| -> Json {
            list.iter()
                .map(|c| {
                    let mut o = serde_json::Map::new();
                    o.insert("key".into(), json!(c.key));
                    o.insert("change".into(), json!(c.kind()));
                    if let Some(b) = &c.before {
                        o.insert("before".into(), b.clone());
                    }
                    if let Some(a) = &c.after {
                        o.insert("after".into(), a.clone());
                    }
                    Json::Object(o)
                })
                .collect()
        };
        let profiles: Vec<Json> = self
            .profiles
            .iter()
            .map(|p| {
                let mut o = serde_json::Map::new();
                o.insert("name".into(), json!(p.name));
                o.insert("status".into(), json!(p.status.as_str()));
                if let Status::Unresolved(side) = p.status {
                    o.insert("unresolved_in".into(), json!(side.as_str()));
                }
                o.insert("keys".into(), changes(&p.keys));
                o.insert("meta".into(), changes(&p.meta));
                Json::Object(o)
            })
            .collect();
        let artifacts = match &self.artifacts {
            Ok(a) => json!({ "added": a.added, "removed": a.removed, "changed": a.changed }),
            Err(_) => Json::Null,
        };
        json!({
            "changed": self.has_changes(),
            "profiles": profiles,
            "artifacts": artifacts,
        })
    }

    /// The diff as text, like `git diff`: `+` added, `-` removed, `~`
    /// changed, `!` not compared. Values are compact JSON, never shortened.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.summary());
        for p in &self.profiles {
            out.push('\n');
            match p.status {
                Status::Added => {
                    let _ = writeln!(out, "+ profile {}", p.name);
                }
                Status::Removed => {
                    let _ = writeln!(out, "- profile {}", p.name);
                    continue;
                }
                Status::Changed => {
                    let _ = writeln!(out, "~ profile {}", p.name);
                }
                Status::Unresolved(side) => {
                    let _ = writeln!(
                        out,
                        "! profile {}: not compared (its configuration could not be computed in {})",
                        p.name,
                        match side {
                            Side::Old => "the old version",
                            Side::New => "the new version",
                            Side::Both => "either version",
                        }
                    );
                    continue;
                }
            }
            let rows = p.keys.iter().map(|c| (c.key.clone(), c)).chain(
                p.meta
                    .iter()
                    .map(|c| (format!("{META_PREFIX}{}", c.key), c)),
            );
            for (key, c) in rows {
                match (&c.before, &c.after) {
                    (None, Some(a)) => {
                        let _ = writeln!(out, "    + {key} = {}", compact(a));
                    }
                    (Some(b), None) => {
                        let _ = writeln!(out, "    - {key} = {}", compact(b));
                    }
                    (Some(b), Some(a)) => {
                        let (b, a) = (compact(b), compact(a));
                        let note = if a == b { "  (changed, not shown)" } else { "" };
                        if b.chars().count() <= 40 && a.chars().count() <= 40 {
                            let _ = writeln!(out, "    ~ {key}: {b} → {a}{note}");
                        } else {
                            let _ =
                                writeln!(out, "    ~ {key}{note}\n        - {b}\n        + {a}");
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        match &self.artifacts {
            Ok(a) if a.is_empty() => {}
            Ok(a) => {
                let _ = writeln!(out, "\nartifacts");
                for (mark, path) in a.marked() {
                    let _ = writeln!(out, "    {mark} {path}");
                }
            }
            Err(_) => {
                let _ = writeln!(
                    out,
                    "\nartifacts: not compared (a version cannot be built; see its errors)"
                );
            }
        }
        out
    }

    /// The diff as Markdown for a pull-request comment: a summary heading,
    /// a `###` section per added or changed profile with a table of keys,
    /// removed profiles in one line, and the changed artifacts in a
    /// collapsible list. Long values are shortened around their first
    /// difference.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## polc diff: {}", self.summary());
        let names = |ps: Vec<&ProfileDiff>| {
            ps.iter()
                .map(|p| code(&p.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let removed = self.with_status(|s| s == Status::Removed);
        let unresolved = self.with_status(|s| matches!(s, Status::Unresolved(_)));
        if !removed.is_empty() {
            let _ = writeln!(out, "\nRemoved profiles: {}.", names(removed));
        }
        if !unresolved.is_empty() {
            let _ = writeln!(
                out,
                "\nNot compared (the configuration could not be computed): {}.",
                names(unresolved)
            );
        }
        let mut shortened = false;
        for p in &self.profiles {
            let added = match p.status {
                Status::Added => true,
                Status::Changed => false,
                _ => continue,
            };
            let _ = writeln!(out, "\n### {} ({})\n", code(&p.name), p.status.as_str());
            if added {
                let _ = writeln!(
                    out,
                    "<details><summary>{} and {}</summary>\n",
                    count(p.keys.len(), "key"),
                    count(p.meta.len(), "meta field")
                );
            }
            out.push_str("| key | before | after |\n|---|---|---|\n");
            let rows = p.keys.iter().map(|c| (c.key.clone(), c)).chain(
                p.meta
                    .iter()
                    .map(|c| (format!("{META_PREFIX}{}", c.key), c)),
            );
            for (key, c) in rows {
                let b = c.before.as_ref().map(compact);
                let a = c.after.as_ref().map(compact);
                // Equal values (a secret changed inside) are shown from the start.
                let focus = match (&b, &a) {
                    (Some(b), Some(a)) if b != a => {
                        b.chars().zip(a.chars()).take_while(|(x, y)| x == y).count()
                    }
                    _ => 0,
                };
                let mut cell = |v: Option<String>| match v {
                    None => "—".to_string(),
                    Some(v) => {
                        let (text, cut) = excerpt(&v, focus);
                        shortened |= cut;
                        code(&text)
                    }
                };
                let hidden = b.is_some() && b == a;
                let (b, mut a) = (cell(b), cell(a));
                if hidden {
                    // A literal secret changed: both sides are `<redacted>`.
                    a.push_str(" (changed, not shown)");
                }
                let _ = writeln!(out, "| {} | {b} | {a} |", code(&key));
            }
            if added {
                out.push_str("\n</details>\n");
            }
        }
        if shortened {
            let _ = writeln!(
                out,
                "\n_Values longer than {MAX_CELL} characters are shortened (…); `polc diff --format json` shows them in full._"
            );
        }
        match &self.artifacts {
            Ok(a) if a.is_empty() => {}
            Ok(a) => {
                let total = a.added.len() + a.removed.len() + a.changed.len();
                let _ = writeln!(
                    out,
                    "\n<details><summary>{} generated by <code>polc build</code> change</summary>\n",
                    count(total, "file")
                );
                for (mark, path) in a.marked() {
                    let what = match mark {
                        "+" => "added",
                        "-" => "removed",
                        _ => "changed",
                    };
                    let _ = writeln!(out, "- {} ({what})", code(path));
                }
                out.push_str("\n</details>\n");
            }
            Err(_) => {
                let _ = writeln!(
                    out,
                    "\nArtifacts were not compared: a version cannot be built."
                );
            }
        }
        out
    }
}

/// The longest value a Markdown table cell shows, in characters.
const MAX_CELL: usize = 100;

/// At most [`MAX_CELL`] characters of `s`, starting a little before the
/// character `focus` (where two values first differ) so that the
/// difference stays visible; `…` marks what was left out. Returns whether
/// anything was.
fn excerpt(s: &str, focus: usize) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX_CELL {
        return (s.to_string(), false);
    }
    let start = focus
        .saturating_sub(MAX_CELL / 4)
        .min(chars.len() - MAX_CELL);
    let end = start + MAX_CELL;
    let mut text = String::new();
    if start > 0 {
        text.push('…');
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push('…');
    }
    (text, true)
}

/// A Markdown code span that survives a table cell: `|` escaped, and a
/// fence longer than any run of backticks inside.
fn code(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_escape_pipes_and_backticks() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`x"), "`` `x ``");
    }

    #[test]
    fn excerpts_keep_the_difference_visible() {
        let long: String = "a".repeat(300);
        assert_eq!(excerpt("short", 0), ("short".to_string(), false));
        let (text, cut) = excerpt(&long, 0);
        assert!(cut);
        assert!(text.ends_with('…') && !text.starts_with('…'));
        assert_eq!(text.chars().count(), MAX_CELL + 1);
        let (text, _) = excerpt(&long, 200);
        assert!(text.starts_with('…') && text.ends_with('…'));
        let (text, _) = excerpt(&long, 299);
        assert!(text.starts_with('…') && !text.ends_with('…'));
    }

    #[test]
    fn placeholder_env_never_reads_the_environment() {
        let host = PlaceholderEnv(&NoHost);
        assert_eq!(host.env("HOME").as_deref(), Some("<env:HOME>"));
        assert_eq!(host.read_file("x"), Err(HostError::NotFound));
        assert!(!host.env_is_real());
    }
}
