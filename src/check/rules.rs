//! Conditions and cross-key rules from the schema.

use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::resolve::Effective;
use crate::schema::model::{Cond, Rule, RuleKind, RuleScope, RuleSeverity};
use crate::span::Span;
use crate::value::{Val, Value};
use serde_json::Value as Json;
use std::borrow::Cow;

/// Access to values by path (`key` or `key.field.field`). A step into a
/// list of objects gives the list of that field's values (elements without
/// the field are skipped), so `managedMcpServers.server` is the list of
/// every entry's `server`.
pub trait Lookup<'p> {
    /// The value at `path` and the span of the statement or field that set it.
    fn get(&self, path: &'p str) -> Option<(Cow<'_, Val>, Span)>;

    /// Whether messages may quote the value at `path`: not when it is a
    /// value read with `env()`.
    fn may_quote(&self, _path: &'p str) -> bool {
        true
    }
}

/// Steps from a value into a field.
fn step(v: &Val, field: &str) -> Option<(Val, Span)> {
    match &v.kind {
        Value::Object(_) => v.field(field).map(|f| (f.value.clone(), f.name_span)),
        Value::List(items) => {
            let found: Vec<(Val, Span)> = items.iter().filter_map(|e| step(e, field)).collect();
            if found.is_empty() {
                return None;
            }
            let first_span = found[0].1;
            let mut flat: Vec<Val> = Vec::new();
            for (x, _) in found {
                match &x.kind {
                    Value::List(inner) => flat.extend(inner.iter().cloned()),
                    _ => flat.push(x),
                }
            }
            Some((Val::new(Value::List(flat.into()), v.span), first_span))
        }
        _ => None,
    }
}

/// Paths into a profile's effective configuration.
pub struct EffLookup<'a, 'p> {
    /// The effective configuration.
    pub eff: &'a Effective,
    /// Key names to ids (shared by the profiles a worker checks).
    pub ids: &'a crate::resolve::KeyIds<'a, 'p>,
}

impl<'p> Lookup<'p> for EffLookup<'_, 'p> {
    fn get(&self, path: &'p str) -> Option<(Cow<'_, Val>, Span)> {
        let (id, rest) = self.ids.path(path);
        let ev = self.eff.get_id(id?)?;
        let Some(rest) = rest else {
            return Some((Cow::Borrowed(&ev.value), ev.last_span()));
        };
        let mut cur = (ev.value.clone(), ev.last_span());
        for part in rest.split('.') {
            cur = step(&cur.0, part)?;
        }
        Some((Cow::Owned(cur.0), cur.1))
    }
}

/// Paths into one object value (for the rules of an object type).
pub struct ObjectLookup<'a> {
    /// The object.
    pub object: &'a Val,
}

impl<'p> Lookup<'p> for ObjectLookup<'_> {
    fn get(&self, path: &'p str) -> Option<(Cow<'_, Val>, Span)> {
        let Some((first, rest)) = path.split_once('.') else {
            let f = self.object.field(path)?;
            return Some((Cow::Borrowed(&f.value), f.name_span));
        };
        let mut cur = step(self.object, first)?;
        for part in rest.split('.') {
            cur = step(&cur.0, part)?;
        }
        Some((Cow::Owned(cur.0), cur.1))
    }
}

/// Whether a value equals a JSON value from the schema.
#[must_use]
pub fn json_matches(v: &Val, j: &Json) -> bool {
    match (&v.kind, j) {
        (Value::Str(s), Json::String(t)) => **s == **t,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::Int(a), Json::Number(n)) => n.as_i64() == Some(*a),
        (Value::Float(a), Json::Number(n)) => {
            n.as_f64().is_some_and(|b| (a - b).abs() < f64::EPSILON)
        }
        (Value::List(items), Json::Array(js)) => {
            items.len() == js.len() && items.iter().zip(js).all(|(a, b)| json_matches(a, b))
        }
        _ => false,
    }
}

/// Evaluates a condition.
pub fn eval<'p>(cond: &'p Cond, l: &dyn Lookup<'p>) -> bool {
    match cond {
        Cond::Set(p) => l.get(p).is_some(),
        Cond::Unset(p) => l.get(p).is_none(),
        Cond::Eq(p, j) => l.get(p).is_some_and(|(v, _)| json_matches(&v, j)),
        Cond::Ne(p, j) => l.get(p).is_some_and(|(v, _)| !json_matches(&v, j)),
        Cond::In(p, js) => l
            .get(p)
            .is_some_and(|(v, _)| js.iter().any(|j| json_matches(&v, j))),
        Cond::Contains(p, j) => l.get(p).is_some_and(|(v, _)| {
            v.as_list()
                .is_some_and(|items| items.iter().any(|i| json_matches(i, j)))
        }),
        Cond::StartsWith(p, prefix) => l
            .get(p)
            .is_some_and(|(v, _)| v.as_str().is_some_and(|s| s.starts_with(prefix.as_str()))),
        Cond::All(cs) => cs.iter().all(|c| eval(c, l)),
        Cond::Any(cs) => cs.iter().any(|c| eval(c, l)),
        Cond::Not(c) => !eval(c, l),
    }
}

/// Secondary labels: "`X` is set here" for each path of `cond` that has a value.
fn why_labels<'p>(
    cond: Option<&'p Cond>,
    l: &dyn Lookup<'p>,
    mut d: Diagnostic,
    skip: Span,
) -> Diagnostic {
    for p in cond.map(Cond::paths).unwrap_or_default() {
        if let Some((v, span)) = l.get(p) {
            if span == skip {
                continue;
            }
            let shown = match &v.kind {
                Value::Str(s) if s.len() <= 40 && l.may_quote(p) => format!("`{p}` is `{s}` here"),
                Value::Bool(b) => format!("`{p}` is {b} here"),
                _ => format!("`{p}` is set here"),
            };
            d = d.secondary(span, shown);
        }
    }
    d
}

/// Checks one rule.
///
/// `anchor` is where to point when nothing more precise exists (the profile
/// name, or the object), `where_` says what is being checked ("in profile
/// `us`", "in an McpServer object").
pub fn check_rule<'p>(
    rule: &'p Rule,
    l: &dyn Lookup<'p>,
    concrete: bool,
    anchor: Span,
    where_: &dyn Fn() -> String,
    diags: &mut Diagnostics,
) {
    if let Some(w) = &rule.when
        && !eval(w, l)
    {
        return;
    }
    let presence = matches!(
        rule.kind,
        RuleKind::Requires | RuleKind::RequiredWhen | RuleKind::AtLeastOneOf
    );
    let scope = rule.scope.unwrap_or(if presence || rule.completeness {
        RuleScope::Concrete
    } else {
        RuleScope::All
    });
    let lower_bound_applies = concrete || scope == RuleScope::All;
    if presence && !lower_bound_applies {
        return;
    }
    if !presence
        && rule.kind != RuleKind::ExactlyOneOf
        && !lower_bound_applies
        && scope == RuleScope::Concrete
    {
        return;
    }
    let warning = rule.severity == Some(RuleSeverity::Warning);
    let code_for = |default: Code| {
        if warning {
            Code::SuspiciousCombination
        } else if rule.completeness {
            Code::IncompleteProvider
        } else {
            default
        }
    };
    let finish = |d: Diagnostic| {
        let mut d = d.note(format!("rule `{}`", rule.id));
        if let Some(h) = &rule.help {
            d = d.help(h.clone());
        }
        if warning {
            d = d.with_severity(Severity::Warning);
        }
        d
    };
    // Which alternatives are present, with the span to point at; labels are
    // only built when a diagnostic is.
    let alternatives = || -> Vec<Option<Span>> {
        let mut alts: Vec<Option<Span>> = rule
            .paths
            .iter()
            .map(|p| l.get(p).map(|(_, s)| s))
            .collect();
        for o in &rule.options {
            alts.push(eval(&o.cond, l).then(|| {
                o.cond
                    .paths()
                    .iter()
                    .find_map(|p| l.get(p).map(|(_, s)| s))
                    .unwrap_or(anchor)
            }));
        }
        alts
    };
    let label = |i: usize| -> String {
        match rule.paths.get(i) {
            Some(p) => format!("`{p}`"),
            None => rule
                .options
                .get(i - rule.paths.len())
                .map_or_else(String::new, |o| o.label.clone()),
        }
    };
    match rule.kind {
        RuleKind::Requires => {
            let Some(key) = &rule.key else { return };
            let Some((_, kspan)) = l.get(key) else { return };
            let missing: Vec<&String> = rule.paths.iter().filter(|p| l.get(p).is_none()).collect();
            if missing.is_empty() {
                return;
            }
            let names: Vec<String> = missing.iter().map(|p| format!("`{p}`")).collect();
            let d = Diagnostic::new(code_for(Code::MissingDependency), rule.message.clone())
                .primary(kspan, format!("`{key}` needs {}", names.join(", ")))
                .secondary(anchor, format!("{} it is not set", where_()));
            diags.push(finish(why_labels(rule.when.as_ref(), l, d, kspan)));
        }
        RuleKind::RequiredWhen => {
            let Some(key) = &rule.key else { return };
            if l.get(key).is_some() {
                return;
            }
            let d = Diagnostic::new(code_for(Code::MissingDependency), rule.message.clone())
                .primary(anchor, format!("`{key}` is not set {}", where_()));
            diags.push(finish(why_labels(rule.when.as_ref(), l, d, anchor)));
        }
        RuleKind::AtLeastOneOf | RuleKind::ExactlyOneOf => {
            let alts = alternatives();
            let present: Vec<(String, Option<Span>)> = alts
                .iter()
                .enumerate()
                .filter(|(_, a)| a.is_some())
                .map(|(i, a)| (label(i), *a))
                .collect();
            if present.is_empty() && (rule.kind == RuleKind::AtLeastOneOf || lower_bound_applies) {
                let labels: Vec<String> = (0..alts.len()).map(label).collect();
                let d = Diagnostic::new(code_for(Code::MissingDependency), rule.message.clone())
                    .primary(anchor, format!("none of these is set {}", where_()))
                    .note(format!("set one of: {}", labels.join("; ")));
                diags.push(finish(why_labels(rule.when.as_ref(), l, d, anchor)));
            } else if present.len() > 1 && rule.kind == RuleKind::ExactlyOneOf {
                let mut d = Diagnostic::new(
                    if warning {
                        Code::SuspiciousCombination
                    } else {
                        Code::TooManyAlternatives
                    },
                    rule.message.clone(),
                );
                for (i, (label, span)) in present.iter().enumerate() {
                    let span = span.unwrap_or(anchor);
                    d = if i == 0 {
                        d.primary(span, format!("{label} here"))
                    } else {
                        d.secondary(span, format!("and {label} here"))
                    };
                }
                diags.push(finish(d.note("exactly one of these may be set")));
            }
        }
        RuleKind::Conflicts => {
            let alts = alternatives();
            if alts.iter().filter(|a| a.is_some()).count() < 2 {
                return;
            }
            let present: Vec<(String, Option<Span>)> = alts
                .iter()
                .enumerate()
                .filter(|(_, a)| a.is_some())
                .map(|(i, a)| (label(i), *a))
                .collect();
            if present.len() > 1 {
                let mut d = Diagnostic::new(code_for(Code::ConflictingKeys), rule.message.clone());
                let last = present.len() - 1;
                d = d.primary(
                    present[last].1.unwrap_or(anchor),
                    format!("{} here", present[last].0),
                );
                for (label, span) in &present[..last] {
                    d = d.secondary(
                        span.unwrap_or(anchor),
                        format!("conflicts with {label} here"),
                    );
                }
                diags.push(finish(d));
            }
        }
        RuleKind::Implies => {
            let Some(then) = &rule.then else { return };
            if eval(then, l) {
                return;
            }
            let ps = rule.when.as_ref().map(Cond::paths).unwrap_or_default();
            let primary = ps
                .iter()
                .rev()
                .find_map(|p| l.get(p).map(|(_, s)| s))
                .unwrap_or(anchor);
            let positive = matches!(
                then,
                Cond::Set(_)
                    | Cond::Eq(..)
                    | Cond::In(..)
                    | Cond::Contains(..)
                    | Cond::StartsWith(..)
                    | Cond::All(_)
                    | Cond::Any(_)
            );
            let code = code_for(if positive {
                Code::MissingDependency
            } else {
                Code::ConflictingKeys
            });
            let mut d = Diagnostic::new(code, rule.message.clone()).primary(primary, "here");
            for p in then.paths() {
                if let Some((_, s)) = l.get(p)
                    && s != primary
                {
                    d = d.secondary(s, format!("`{p}` here"));
                }
            }
            if primary == anchor {
                diags.push(finish(d));
            } else {
                diags.push(finish(why_labels(rule.when.as_ref(), l, d, primary)));
            }
        }
    }
}
