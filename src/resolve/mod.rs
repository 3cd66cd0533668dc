//! The resolve stage: AST → profiles with effective values.
//!
//! 1. [`eval`] expands `let` and `for`, evaluates every expression and
//!    produces one [`ProfileDecl`] per declared profile.
//! 2. [`graph`] links `extends` references, reports unknown parents, cycles
//!    and duplicates, and computes each profile's linearization.
//! 3. [`replay`] replays statements in linearization order to get each
//!    profile's effective configuration, with provenance.
//!
//! Architecture invariant: the effective values of a profile are a pure
//! function of the declarations; nothing depends on file or map order.

pub mod eval;
pub mod graph;
pub mod replay;

use crate::ast::AssignOp;
use crate::diag::Diagnostics;
use crate::host::Host;
use crate::schema::Schema;
use crate::source::{FileId, SourceSet};
use crate::span::Span;
use crate::value::Val;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Index of a profile in [`Resolved::profiles`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileId(pub u32);

impl ProfileId {
    /// As an index.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The prefix under which `meta { }` fields are stored among the keys.
/// Keys never contain a dot, so `meta.identifier` cannot clash with a key.
pub const META_PREFIX: &str = "meta.";

/// What a statement does to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// `=`
    Set,
    /// `+=`
    Append,
    /// `-=`
    Remove,
    /// `unset`
    Unset,
}

impl Op {
    /// As written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Set => "=",
            Op::Append => "+=",
            Op::Remove => "-=",
            Op::Unset => "unset",
        }
    }
}

impl From<AssignOp> for Op {
    fn from(op: AssignOp) -> Self {
        match op {
            AssignOp::Set => Op::Set,
            AssignOp::Append => Op::Append,
            AssignOp::Remove => Op::Remove,
        }
    }
}

/// An evaluated statement.
#[derive(Clone, Debug)]
pub struct Statement {
    /// The key (`meta.` prefixed for meta fields).
    pub key: Arc<str>,
    /// Where the key was written.
    pub key_span: Span,
    /// The operation.
    pub op: Op,
    /// The value (`None` for `unset`, or when the expression failed to
    /// evaluate, which was reported).
    pub value: Option<Val>,
    /// The whole statement.
    pub span: Span,
    /// Index of `key` in [`Resolved::keys`] (assigned after expansion).
    pub key_id: u32,
    /// The value contains `${profile}` and must be bound per profile.
    pub templated: bool,
}

impl Statement {
    /// Whether this is a `meta` field.
    #[must_use]
    pub fn is_meta(&self) -> bool {
        self.key.starts_with(META_PREFIX)
    }
}

/// A declared profile with evaluated statements.
#[derive(Clone, Debug)]
pub struct ProfileDecl {
    /// The name.
    pub name: Arc<str>,
    /// Where the name was written.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// Declared `abstract`.
    pub is_abstract: bool,
    /// Doc comment.
    pub doc: Option<String>,
    /// Parent names with the span of each reference.
    pub parents: Vec<(Arc<str>, Span)>,
    /// Statements in source order (meta fields included, prefixed).
    pub statements: Vec<Statement>,
    /// The file it is declared in.
    pub file: FileId,
}

/// One step of a value's provenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The profile whose statement this is.
    pub profile: ProfileId,
    /// The operation.
    pub op: Op,
    /// The statement.
    pub span: Span,
}

/// An effective value and the statements that produced it, oldest first.
/// The first step is the `=` that the value starts from (or a `+=` on
/// nothing).
#[derive(Clone, Debug)]
pub struct EffValue {
    /// The value, with `${profile}` bound.
    pub value: Val,
    /// Provenance (shared between profiles that inherit the value unchanged).
    pub steps: Arc<[Step]>,
}

impl EffValue {
    /// The span of the statement that last changed the value.
    #[must_use]
    pub fn last_span(&self) -> Span {
        self.steps.last().map_or(self.value.span, |s| s.span)
    }
}

/// A profile's effective configuration.
#[derive(Clone, Debug, Default)]
pub struct Effective {
    /// (key id in [`Resolved::keys`], key, value), sorted by key. Key ids
    /// are numbered in key order, so the entries are sorted by id too.
    entries: Vec<(u32, Arc<str>, EffValue)>,
}

impl Effective {
    /// Builds from entries sorted by key id.
    #[must_use]
    pub fn from_sorted(entries: Vec<(u32, Arc<str>, EffValue)>) -> Self {
        Effective { entries }
    }

    /// The value of a key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&EffValue> {
        self.entries
            .binary_search_by(|(_, k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &self.entries[i].2)
    }

    /// The value of a key by its id in [`Resolved::keys`].
    #[must_use]
    pub fn get_id(&self, id: u32) -> Option<&EffValue> {
        self.entries
            .binary_search_by_key(&id, |(i, _, _)| *i)
            .ok()
            .map(|i| &self.entries[i].2)
    }

    /// Every key and meta field with its id and value, sorted.
    pub fn iter_ids(&self) -> impl Iterator<Item = (u32, &Arc<str>, &EffValue)> {
        self.entries.iter().map(|(i, k, v)| (*i, k, v))
    }

    /// Every key and meta field with its value, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &EffValue)> {
        self.entries.iter().map(|(_, k, v)| (k, v))
    }

    /// The application keys (not meta), sorted.
    pub fn keys(&self) -> impl Iterator<Item = (&Arc<str>, &EffValue)> {
        self.iter().filter(|(k, _)| !k.starts_with(META_PREFIX))
    }

    /// A meta field.
    #[must_use]
    pub fn meta(&self, field: &str) -> Option<&EffValue> {
        self.get(&format!("{META_PREFIX}{field}"))
    }
}

/// The address and length of a `&str`.
type NameAddr = (usize, usize);

/// A resolved path: the key's id, and where the rest of the path starts
/// (0: no rest).
type Resolution = (Option<u32>, usize);

/// Resolves key names to ids, remembering each name by its address: the
/// paths of the schema's rules are looked up once per worker instead of
/// once per profile.
///
/// Every name it is given must live for `'p`, and the resolver cannot
/// outlive `'p` (it is invariant in `'p`, so it cannot be coerced to a
/// shorter one either): no other text can take a remembered address while
/// the resolver exists. The compiler thus rejects a short-lived string
/// (as a `format!` result would be), which once made an allowlist read
/// the wrong key when a later string reused its address:
///
/// ```compile_fail
/// let keys: Vec<std::sync::Arc<str>> = vec!["a".into(), "b".into()];
/// let ids = polc::resolve::KeyIds::new(&keys);
/// let _ = ids.id(&format!("{}", "a")); // dropped at the end of the line
/// let _ = ids.id("b");
/// ```
///
/// while names that outlive it are fine:
///
/// ```
/// let keys: Vec<std::sync::Arc<str>> = vec!["a".into(), "b".into()];
/// let names = [String::from("a"), String::from("b.field")];
/// let ids = polc::resolve::KeyIds::new(&keys);
/// assert_eq!(ids.id(&names[0]), Some(0));
/// assert_eq!(ids.path(&names[1]), (Some(1), Some("field")));
/// ```
#[derive(Debug)]
pub struct KeyIds<'k, 'p> {
    keys: &'k [Arc<str>],
    /// An open-addressing hash table (linear probing, at most half full) of
    /// (address and length of a path, its key's id and where the rest of
    /// the path starts (0: no rest)); an empty slot holds no resolution.
    cache: std::cell::RefCell<AddrTable>,
    names: std::marker::PhantomData<fn(&'p str) -> &'p str>,
}

impl<'k, 'p> KeyIds<'k, 'p> {
    /// A resolver over [`Resolved::keys`].
    #[must_use]
    pub fn new(keys: &'k [Arc<str>]) -> Self {
        KeyIds {
            keys,
            cache: std::cell::RefCell::new(AddrTable::default()),
            names: std::marker::PhantomData,
        }
    }

    /// The id of a key name (`None` when no statement names it).
    #[must_use]
    pub fn id(&self, name: &'p str) -> Option<u32> {
        self.resolve(name, false).0
    }

    /// A path `key.field...`: the key's id and the rest of the path after
    /// the first dot (`None` when the path is only a key).
    #[must_use]
    pub fn path(&self, path: &'p str) -> (Option<u32>, Option<&'p str>) {
        let (id, rest) = self.resolve(path, true);
        (id, (rest > 0).then(|| &path[rest..]))
    }

    fn resolve(&self, text: &'p str, split: bool) -> Resolution {
        let addr = (text.as_ptr() as usize, text.len() * 2 + usize::from(split));
        let mut cache = self.cache.borrow_mut();
        if let Some(found) = probe(&cache.slots, addr).and_then(|i| cache.slots[i].1) {
            return found;
        }
        let (name, rest) = match text.split_once('.').filter(|_| split) {
            Some((first, _)) => (first, first.len() + 1),
            None => (text, 0),
        };
        let id = self
            .keys
            .binary_search_by(|k| (**k).cmp(name))
            .ok()
            .and_then(|i| u32::try_from(i).ok());
        cache.insert(addr, (id, rest));
        (id, rest)
    }
}

/// The slot of `addr` in the table, or the empty slot where it belongs
/// (`None` when the table is empty); the second field of a slot is `None`
/// when it is empty.
fn probe(table: &[(NameAddr, Option<Resolution>)], addr: NameAddr) -> Option<usize> {
    if table.is_empty() {
        return None;
    }
    let mask = table.len() - 1;
    // Fibonacci hashing of the address and length (a path and its own
    // prefix share an address), taking the well-mixed high half.
    let key = (addr.0 as u64) ^ (addr.1 as u64);
    let mut i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
    loop {
        let (a, r) = table[i];
        if r.is_none() || a == addr {
            return Some(i);
        }
        i = (i + 1) & mask;
    }
}

/// The cache of [`KeyIds`].
#[derive(Debug, Default)]
struct AddrTable {
    slots: Vec<(NameAddr, Option<Resolution>)>,
    used: usize,
}

impl AddrTable {
    fn insert(&mut self, addr: NameAddr, r: Resolution) {
        if (self.used + 1) * 2 > self.slots.len() {
            let size = (self.slots.len() * 2).max(64);
            let old = std::mem::replace(&mut self.slots, vec![((0, 0), None); size]);
            self.used = 0;
            for (a, r) in old {
                if let Some(r) = r {
                    self.insert(a, r);
                }
            }
        }
        if let Some(i) = probe(&self.slots, addr) {
            if self.slots[i].1.is_none() {
                self.used += 1;
            }
            self.slots[i] = (addr, Some(r));
        }
    }
}

/// The result of resolution.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Every declared profile, in declaration order (files sorted by path).
    pub profiles: Vec<ProfileDecl>,
    /// Profile ids by name (the first declaration when duplicated).
    pub by_name: BTreeMap<Arc<str>, ProfileId>,
    /// Every key (and `meta.` field) any statement names, sorted; statements
    /// refer to them by index.
    pub keys: Vec<Arc<str>>,
    /// Parent ids of each profile (unknown parents left out).
    pub parents: Vec<Vec<ProfileId>>,
    /// The replay order of each profile (ancestors first, the profile last);
    /// empty for profiles in or below an inheritance cycle.
    pub linearization: Vec<Vec<ProfileId>>,
    /// Effective configuration of each profile (`None` when it could not be
    /// computed because of a cycle or a duplicate name).
    pub effective: Vec<Option<Effective>>,
    /// Profiles with an ancestor that could not be found (an unknown name,
    /// or a profile in a file with a syntax error): their effective
    /// configuration lacks what that ancestor would add, so checks that a
    /// configuration is complete are skipped for them.
    pub incomplete: Vec<bool>,
}

impl Resolved {
    /// A profile by id.
    #[must_use]
    pub fn profile(&self, id: ProfileId) -> &ProfileDecl {
        &self.profiles[id.index()]
    }

    /// Looks up a profile by name.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<ProfileId> {
        self.by_name.get(name).copied()
    }

    /// All profile ids.
    pub fn ids(&self) -> impl Iterator<Item = ProfileId> + use<> {
        (0..u32::try_from(self.profiles.len()).unwrap_or(u32::MAX)).map(ProfileId)
    }

    /// The concrete profiles (those a build emits), sorted by name.
    #[must_use]
    pub fn concrete_ids_by_name(&self) -> Vec<ProfileId> {
        let mut ids: Vec<ProfileId> = self
            .ids()
            .filter(|id| !self.profile(*id).is_abstract)
            .collect();
        ids.sort_by(|a, b| self.profile(*a).name.cmp(&self.profile(*b).name));
        ids
    }
}

/// Resolves parsed files into profiles with effective values.
///
/// `unparsed_names` are profile names found by a lexical scan of files that
/// failed to parse: a parent with such a name is not reported as unknown
/// (the syntax error already is), but its children are incomplete.
///
/// The syntax trees are not needed once expanded; they are freed on another
/// thread while replay runs.
pub fn resolve(
    files: Vec<crate::ast::File>,
    sources: &SourceSet,
    schema: &Schema,
    host: &dyn Host,
    unparsed_names: &std::collections::BTreeSet<String>,
    diags: &mut Diagnostics,
) -> Resolved {
    let mut profiles = eval::expand(&files, sources, host, diags);
    let keys = intern_keys(&mut profiles);
    std::thread::scope(|scope| {
        scope.spawn(move || drop(files));
        let mut resolved = graph::link(profiles, unparsed_names, diags);
        resolved.keys = keys;
        replay::replay_all(&mut resolved, schema, diags);
        resolved
    })
}

/// Numbers the keys in sorted order and records each statement's number.
fn intern_keys(profiles: &mut [ProfileDecl]) -> Vec<Arc<str>> {
    let names: std::collections::BTreeSet<Arc<str>> = profiles
        .iter()
        .flat_map(|p| p.statements.iter().map(|s| s.key.clone()))
        .collect();
    let keys: Vec<Arc<str>> = names.into_iter().collect();
    for p in profiles {
        for st in &mut p.statements {
            st.key_id = keys
                .binary_search(&st.key)
                .map_or(0, |i| u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::KeyIds;
    use std::sync::Arc;

    #[test]
    fn key_ids_resolve_names_and_paths() {
        let keys: Vec<Arc<str>> =
            vec!["awsRegion".into(), "meta.identifier".into(), "other".into()];
        let ids = KeyIds::new(&keys);
        let (a, b) = (String::from("awsRegion"), String::from("other.field.x"));
        assert_eq!(ids.id(&a), Some(0));
        assert_eq!(ids.id(&a), Some(0));
        assert_eq!(ids.path(&b), (Some(2), Some("field.x")));
        assert_eq!(ids.id(&b), None);
        assert_eq!(ids.id("meta.identifier"), Some(1));
        assert_eq!(ids.path("unknown"), (None, None));
    }
}
