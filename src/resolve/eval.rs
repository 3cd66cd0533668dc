//! Expansion of `let` and `for`, and evaluation of expressions.

use super::{META_PREFIX, Op, ProfileDecl, Statement};
use crate::ast::{self, ExprKind, Item, NameRef, StmtKind, StrLit, StrPart};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::host::{Host, HostError};
use crate::source::{FileId, SourceSet};
use crate::span::Span;
use crate::suggest::did_you_mean;
use crate::value::{Field, TemplatePart, Val, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The name that stands for the profile being built.
const PROFILE_VAR: &str = "profile";

/// Expands every file into profile declarations, in file order.
pub fn expand(
    files: &[ast::File],
    sources: &SourceSet,
    host: &dyn Host,
    diags: &mut Diagnostics,
) -> Vec<ProfileDecl> {
    let mut ev = Evaluator {
        sources,
        host,
        diags,
        frames: Vec::new(),
        evaluating: Vec::new(),
        out: Vec::new(),
    };
    // Top-level lets of every file share one global scope.
    let mut global = Frame::default();
    for file in files {
        ev.add_lets(&mut global, &file.items);
    }
    ev.frames.push(global);
    for file in files {
        ev.expand_items(file.id, &file.items);
    }
    // Evaluate lets nobody used, so that their errors are reported too.
    ev.force_frame(0);
    ev.out
}

#[derive(Default)]
struct Frame<'a> {
    vars: Vec<Var<'a>>,
}

struct Var<'a> {
    name: &'a str,
    span: Span,
    state: VarState<'a>,
}

enum VarState<'a> {
    /// Evaluated (`None`: evaluation failed and was reported).
    Ready(Option<Val>),
    /// A `let` not evaluated yet.
    Pending(&'a ast::Expr),
    /// A `let` being evaluated (seeing it again means a cycle).
    InProgress,
}

struct Evaluator<'a, 'd> {
    sources: &'a SourceSet,
    host: &'a dyn Host,
    diags: &'d mut Diagnostics,
    frames: Vec<Frame<'a>>,
    /// Lets being evaluated, for cycle reports: (name, span of the let name).
    evaluating: Vec<(&'a str, Span)>,
    out: Vec<ProfileDecl>,
}

impl<'a> Evaluator<'a, '_> {
    fn add_lets(&mut self, frame: &mut Frame<'a>, items: &'a [Item]) {
        for item in items {
            if let Item::Let(l) = item {
                if let Some(prev) = frame.vars.iter().find(|v| v.name == l.name.name) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateLet,
                            format!("`{}` is defined twice", l.name.name),
                        )
                        .primary(l.name.span, "defined again here")
                        .secondary(prev.span, "first defined here")
                        .help("rename one of them; a `let` is visible in the whole policy set"),
                    );
                    continue;
                }
                frame.vars.push(Var {
                    name: &l.name.name,
                    span: l.name.span,
                    state: VarState::Pending(&l.value),
                });
            }
        }
    }

    fn force_frame(&mut self, index: usize) {
        let n = self.frames.get(index).map_or(0, |f| f.vars.len());
        for j in 0..n {
            self.force_var(index, j);
        }
    }

    fn expand_items(&mut self, file: FileId, items: &'a [Item]) {
        for item in items {
            match item {
                Item::Let(_) => {}
                Item::Profile(p) => self.expand_profile(file, p),
                Item::For(f) => self.expand_for(file, f),
            }
        }
    }

    fn expand_for(&mut self, file: FileId, f: &'a ast::For) {
        let Some(iterable) = self.eval(&f.iterable) else {
            return;
        };
        let mut bindings: Vec<Vec<(&'a str, Span, Val)>> = Vec::new();
        match (&iterable.kind, &f.second) {
            (Value::List(items), None) => {
                for item in items.iter() {
                    bindings.push(vec![(f.first.name.as_str(), f.first.span, item.clone())]);
                }
            }
            (Value::Object(fields), Some(second)) => {
                for field in fields.iter() {
                    let key = Val::new(Value::Str(field.name.clone()), field.name_span);
                    bindings.push(vec![
                        (f.first.name.as_str(), f.first.span, key),
                        (second.name.as_str(), second.span, field.value.clone()),
                    ]);
                }
            }
            (Value::Object(_), None) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidExpression,
                        "a `for` over an object needs two variables",
                    )
                    .primary(f.iterable.span, "this is an object")
                    .help(format!(
                        "write `for {}, value in ...` to get each key and value",
                        f.first.name
                    )),
                );
                return;
            }
            (Value::List(_), Some(second)) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidExpression,
                        "a `for` over a list takes one variable",
                    )
                    .primary(second.span, "not needed for a list")
                    .secondary(f.iterable.span, "this is a list")
                    .help(format!("write `for {} in ...`", f.first.name)),
                );
                return;
            }
            _ => {
                self.diags.push(
                    Diagnostic::new(Code::InvalidExpression, format!("cannot loop over {}", iterable.kind_name()))
                        .primary(f.iterable.span, "not a list or an object")
                        .help("`for` iterates over a list (`for x in [...]`) or an object (`for k, v in {...}`)"),
                );
                return;
            }
        }
        for binding in bindings {
            let mut frame = Frame::default();
            for (name, span, val) in binding {
                frame.vars.push(Var {
                    name,
                    span,
                    state: VarState::Ready(Some(val)),
                });
            }
            self.add_lets(&mut frame, &f.body);
            self.frames.push(frame);
            self.expand_items(file, &f.body);
            let top = self.frames.len() - 1;
            self.force_frame(top);
            self.frames.pop();
        }
    }

    fn expand_profile(&mut self, file: FileId, p: &'a ast::Profile) {
        let name = self.eval_name(&p.name, "a profile name");
        let mut parents = Vec::new();
        for parent in &p.extends {
            if let Some(n) = self.eval_name(parent, "a parent name") {
                parents.push((Arc::<str>::from(n), parent.span()));
            }
        }
        let mut statements = Vec::new();
        self.eval_body(&p.body, "", &mut statements);
        let Some(name) = name else { return };
        if !valid_profile_name(&name) {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidProfileName,
                    format!("`{name}` is not a valid profile name"),
                )
                .primary(p.name.span(), "invalid name")
                .help(format!(
                    "{PROFILE_NAME_RULE}: they become part of file names and payload identifiers"
                )),
            );
        }
        self.out.push(ProfileDecl {
            name: name.into(),
            name_span: p.name.span(),
            span: p.span,
            is_abstract: p.abstract_kw.is_some(),
            doc: p.doc.clone(),
            parents,
            statements,
            file,
        });
    }

    fn eval_body(&mut self, body: &'a [ast::Stmt], prefix: &str, out: &mut Vec<Statement>) {
        // `=` of one key twice in one body is an error.
        let mut assigned: BTreeMap<String, Span> = BTreeMap::new();
        for stmt in body {
            match &stmt.kind {
                StmtKind::Assign { key, op, value, .. } => {
                    let full = format!("{prefix}{}", key.name);
                    if *op == ast::AssignOp::Set {
                        if let Some(prev) = assigned.get(&full) {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::DuplicateAssignment,
                                    format!("`{}` is assigned twice in one profile", key.name),
                                )
                                .primary(key.span, "assigned again here")
                                .secondary(*prev, "first assigned here")
                                .help(
                                    "keep one assignment; use `+=` to add to a list or an object",
                                ),
                            );
                        } else {
                            assigned.insert(full.clone(), key.span);
                        }
                    }
                    let value = self.eval(value);
                    let templated = value.as_ref().is_some_and(Val::has_template);
                    out.push(Statement {
                        key: full.into(),
                        key_span: key.span,
                        op: Op::from(*op),
                        value,
                        span: stmt.span,
                        key_id: 0,
                        templated,
                    });
                }
                StmtKind::Unset { key } => out.push(Statement {
                    key: format!("{prefix}{}", key.name).into(),
                    key_span: key.span,
                    op: Op::Unset,
                    value: None,
                    span: stmt.span,
                    key_id: 0,
                    templated: false,
                }),
                StmtKind::Meta { body, .. } => self.eval_body(body, META_PREFIX, out),
            }
        }
    }

    /// Evaluates a profile or parent name to a plain string.
    fn eval_name(&mut self, name: &'a NameRef, what: &str) -> Option<String> {
        match name {
            NameRef::Ident(i) => Some(i.name.clone()),
            NameRef::Str(s) => {
                let v = self.eval_str(s)?;
                match v.kind {
                    Value::Str(s) => Some(s.to_string()),
                    Value::Template(_) => {
                        self.diags.push(
                            Diagnostic::new(Code::ProfileOutsideProfile, format!("`${{profile}}` cannot be used in {what}"))
                                .primary(s.span, "uses `${profile}`")
                                .help("`${profile}` stands for the concrete profile being built, so it can only appear in values"),
                        );
                        None
                    }
                    _ => None,
                }
            }
        }
    }

    /// Evaluates an expression; `None` when it failed (already reported).
    fn eval(&mut self, expr: &'a ast::Expr) -> Option<Val> {
        let span = expr.span;
        let kind = match &expr.kind {
            ExprKind::Str(s) => return self.eval_str(s),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.eval(item) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::List(out.into())
            }
            ExprKind::Object(entries) => {
                let mut out: Vec<Field> = Vec::with_capacity(entries.len());
                let mut ok = true;
                for entry in entries {
                    match self.eval(&entry.value) {
                        Some(v) => {
                            if out.iter().any(|f| *f.name == *entry.key.name) {
                                // Reported by the syntax stage.
                                continue;
                            }
                            let repeated =
                                entry.repeated.iter().filter_map(|e| self.eval(e)).collect();
                            out.push(Field {
                                name: entry.key.name.as_str().into(),
                                name_span: entry.key.span,
                                value: v,
                                repeated,
                            });
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::Object(out.into())
            }
            ExprKind::Env(name) => {
                let v = self.eval_str(name)?;
                match v.kind {
                    Value::Str(n) if valid_env_name(&n) => Value::Env(n),
                    Value::Str(n) => {
                        self.diags.push(
                            Diagnostic::new(Code::InvalidExpression, format!("`{n}` is not an environment variable name"))
                                .primary(name.span, "invalid name")
                                .help("environment variable names use letters, digits and `_`, and do not start with a digit"),
                        );
                        return None;
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::new(Code::InvalidExpression, "`env()` needs a plain variable name")
                                .primary(name.span, "depends on the profile")
                                .help("write the variable name as a string, e.g. `env(\"ACME_GATEWAY_KEY\")`"),
                        );
                        return None;
                    }
                }
            }
            ExprKind::File(path) => return self.eval_file(path, span),
            ExprKind::Var(ident) => return self.lookup(ident),
            ExprKind::Field(base, field) => {
                let b = self.eval(base)?;
                return match &b.kind {
                    Value::Object(fields) => {
                        if let Some(f) = fields.iter().find(|f| *f.name == *field.name) {
                            Some(f.value.clone())
                        } else {
                            let names: Vec<&str> = fields.iter().map(|f| &*f.name).collect();
                            let mut d = Diagnostic::new(
                                Code::UnknownField,
                                format!("no field `{}` in this object", field.name),
                            )
                            .primary(field.span, "unknown field");
                            d = match did_you_mean(&field.name, names.iter().copied()) {
                                Some(s) => d.help(format!("did you mean `{s}`?")),
                                None => d.help(format!("the object has: {}", list_names(&names))),
                            };
                            self.diags.push(d);
                            None
                        }
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidExpression,
                                format!(
                                    "cannot access field `{}` of {}",
                                    field.name,
                                    b.kind_name()
                                ),
                            )
                            .primary(field.span, "field access")
                            .secondary(base.span, format!("this is {}", b.kind_name()))
                            .help("field access works on objects only"),
                        );
                        None
                    }
                };
            }
        };
        Some(Val::new(kind, span))
    }

    fn eval_str(&mut self, s: &'a StrLit) -> Option<Val> {
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut templated = false;
        let mut ok = true;
        for part in &s.parts {
            match part {
                StrPart::Lit(t) => push_lit(&mut parts, t),
                StrPart::Interp(e) => {
                    if let ExprKind::Var(v) = &e.kind
                        && v.name == PROFILE_VAR
                        && self.find_var(PROFILE_VAR).is_none()
                    {
                        parts.push(TemplatePart::Profile);
                        templated = true;
                        continue;
                    }
                    let Some(v) = self.eval(e) else {
                        ok = false;
                        continue;
                    };
                    match &v.kind {
                        Value::Str(t) => push_lit(&mut parts, t),
                        Value::Int(i) => push_lit(&mut parts, &i.to_string()),
                        Value::Float(f) => push_lit(&mut parts, &crate::value::format_float(*f)),
                        Value::Bool(b) => push_lit(&mut parts, if *b { "true" } else { "false" }),
                        Value::Template(inner) => {
                            for p in inner.iter() {
                                match p {
                                    TemplatePart::Lit(t) => push_lit(&mut parts, t),
                                    TemplatePart::Profile => parts.push(TemplatePart::Profile),
                                }
                            }
                            templated = true;
                        }
                        Value::Env(_) => {
                            self.diags.push(
                                Diagnostic::new(Code::InvalidExpression, "a secret cannot be interpolated into a string")
                                    .primary(e.span, "an env() secret")
                                    .help("assign `env(\"NAME\")` directly to the key, so the secret stays whole and is never shown"),
                            );
                            ok = false;
                        }
                        Value::List(_) | Value::Object(_) => {
                            self.diags.push(
                                Diagnostic::new(Code::InvalidExpression, format!("cannot interpolate {} into a string", v.kind_name()))
                                    .primary(e.span, format!("this is {}", v.kind_name()))
                                    .help("interpolate a string, a number or a boolean, e.g. a field: `${r.name}`"),
                            );
                            ok = false;
                        }
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        let kind = if templated {
            Value::Template(parts.into())
        } else {
            let text = match parts.pop() {
                Some(TemplatePart::Lit(t)) => t,
                _ => String::new(),
            };
            Value::Str(text.into())
        };
        Some(Val::new(kind, s.span))
    }

    fn eval_file(&mut self, path: &'a StrLit, span: Span) -> Option<Val> {
        let v = self.eval_str(path)?;
        let Value::Str(rel) = &v.kind else {
            self.diags.push(
                Diagnostic::new(Code::InvalidExpression, "`file()` needs a plain path")
                    .primary(path.span, "depends on the profile")
                    .help("write the path as a string relative to the policy file"),
            );
            return None;
        };
        let dir = &self.sources.file(span.file).dir;
        let normalized = match normalize(dir, rel) {
            Ok(p) => p,
            Err(why) => {
                self.diags.push(
                    Diagnostic::new(Code::FileOutsidePolicySet, format!("`file()` path `{rel}` {why}"))
                        .primary(path.span, "outside the policy set")
                        .help("`file()` reads files inside the policy set's directory only, by a path relative to the policy file"),
                );
                return None;
            }
        };
        match self.host.read_file(&normalized) {
            Ok(text) => Some(Val::new(Value::Str(text.into()), span)),
            Err(HostError::OutsidePolicySet) => {
                self.diags.push(
                    Diagnostic::new(Code::FileOutsidePolicySet, format!("`file()` path `{rel}` leads outside the policy set through a symbolic link"))
                        .primary(path.span, "outside the policy set")
                        .help("copy the file into the policy set's directory"),
                );
                None
            }
            Err(HostError::NotFound) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::FileUnreadable,
                        format!("cannot read `{normalized}`: no such file"),
                    )
                    .primary(path.span, "file not found")
                    .help(
                        "the path is relative to the directory of the policy file that contains it",
                    ),
                );
                None
            }
            Err(HostError::Other(e)) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::FileUnreadable,
                        format!("cannot read `{normalized}`: {e}"),
                    )
                    .primary(path.span, "unreadable")
                    .help("`file()` reads UTF-8 text files"),
                );
                None
            }
        }
    }

    fn find_var(&self, name: &str) -> Option<(usize, usize)> {
        for (i, frame) in self.frames.iter().enumerate().rev() {
            if let Some(j) = frame.vars.iter().position(|v| v.name == name) {
                return Some((i, j));
            }
        }
        None
    }

    fn lookup(&mut self, ident: &'a ast::Ident) -> Option<Val> {
        let Some((i, j)) = self.find_var(&ident.name) else {
            if ident.name == PROFILE_VAR {
                return Some(Val::new(
                    Value::Template(vec![TemplatePart::Profile].into()),
                    ident.span,
                ));
            }
            let mut names: Vec<&str> = self
                .frames
                .iter()
                .flat_map(|f| f.vars.iter().map(|v| v.name))
                .collect();
            names.sort_unstable();
            let mut d = Diagnostic::new(
                Code::UnknownVariable,
                format!("unknown name `{}`", ident.name),
            )
            .primary(ident.span, "not a `let` or a loop variable");
            d = match did_you_mean(&ident.name, names.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("define it with `let`, or write a string in quotes"),
            };
            self.diags.push(d);
            return None;
        };
        // The value keeps the span where it was written (in the `let` or the
        // loop's list), so that a diagnostic points at the mistake itself.
        self.force_var(i, j)
    }

    fn force_var(&mut self, i: usize, j: usize) -> Option<Val> {
        let var = &mut self.frames[i].vars[j];
        match &var.state {
            VarState::Ready(v) => v.clone(),
            VarState::InProgress => {
                let name = var.name;
                let span = var.span;
                let start = self
                    .evaluating
                    .iter()
                    .position(|(n, s)| *n == name && *s == span)
                    .unwrap_or(0);
                let cycle: Vec<(&str, Span)> = self.evaluating[start..].to_vec();
                let chain: Vec<&str> = cycle
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(std::iter::once(name))
                    .collect();
                let mut d = Diagnostic::new(
                    Code::LetCycle,
                    format!(
                        "`let`s refer to each other in a cycle: {}",
                        chain.join(" → ")
                    ),
                )
                .primary(span, format!("`{name}` depends on itself"));
                for (n, s) in cycle.iter().skip(1) {
                    d = d.secondary(*s, format!("`{n}` is part of the cycle"));
                }
                self.diags
                    .push(d.help("break the cycle by writing one of the values out"));
                // Mark as failed so that the cycle is reported once.
                self.frames[i].vars[j].state = VarState::Ready(None);
                None
            }
            VarState::Pending(expr) => {
                let expr: &'a ast::Expr = expr;
                let name = var.name;
                let span = var.span;
                var.state = VarState::InProgress;
                self.evaluating.push((name, span));
                // Evaluate in the scope where the let was defined.
                let inner = self.frames.split_off(i + 1);
                let v = self.eval(expr);
                self.frames.extend(inner);
                self.evaluating.pop();
                let slot = &mut self.frames[i].vars[j];
                if matches!(slot.state, VarState::InProgress) {
                    slot.state = VarState::Ready(v.clone());
                    v
                } else {
                    // A cycle through this let was reported meanwhile.
                    None
                }
            }
        }
    }
}

fn push_lit(parts: &mut Vec<TemplatePart>, text: &str) {
    if let Some(TemplatePart::Lit(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(TemplatePart::Lit(text.to_string()));
    }
}

fn list_names(names: &[&str]) -> String {
    if names.is_empty() {
        return "no fields".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule [`valid_profile_name`] checks, in words (for messages).
pub const PROFILE_NAME_RULE: &str = "profile names use lowercase letters, digits, `.`, `_` and `-`, and start with a letter or digit";

/// Whether `name` is a valid profile name: `[a-z0-9][a-z0-9._-]*`.
#[must_use]
pub fn valid_profile_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Joins a `file()` path to the policy file's directory and normalises it,
/// refusing absolute paths and paths that climb above the root.
fn normalize(dir: &str, rel: &str) -> Result<String, &'static str> {
    let bytes = rel.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if rel.starts_with('/') || rel.starts_with('\\') || drive || rel.starts_with('~') {
        return Err("is absolute");
    }
    if rel.is_empty() {
        return Err("is empty");
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for comp in rel.split(['/', '\\']) {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("climbs above the policy set's directory");
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err("names the policy set's directory itself");
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("regions", "a.md"), Ok("regions/a.md".into()));
        assert_eq!(normalize("regions", "../a.md"), Ok("a.md".into()));
        assert_eq!(normalize("", "x/./y/../z.md"), Ok("x/z.md".into()));
        assert_eq!(
            normalize("", "../a.md"),
            Err("climbs above the policy set's directory")
        );
        assert_eq!(
            normalize("a", "../../etc/passwd"),
            Err("climbs above the policy set's directory")
        );
        assert_eq!(normalize("", "/etc/passwd"), Err("is absolute"));
        assert_eq!(normalize("", "C:\\x"), Err("is absolute"));
        assert_eq!(normalize("", "~/.ssh/id_rsa"), Err("is absolute"));
    }

    #[test]
    fn profile_names() {
        assert!(valid_profile_name("eu-eng"));
        assert!(valid_profile_name("1.x_y"));
        assert!(!valid_profile_name("EU"));
        assert!(!valid_profile_name("-a"));
        assert!(!valid_profile_name(""));
        assert!(!valid_profile_name("a b"));
    }
}
