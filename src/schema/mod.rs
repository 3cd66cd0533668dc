//! The schema: which keys exist, their types and rules.
//!
//! A schema is loaded from a JSON file ([`model::SchemaFile`]) and validated
//! before use; a broken schema file is reported with diagnostics like a
//! broken policy file. The built-in schema for Claude Desktop (third-party
//! inference) is embedded in the binary.

pub mod doc;
pub mod model;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::FileId;
use crate::span::Span;
use model::{Cond, KeyDef, ObjectType, Rule, RuleKind, SchemaFile, TypeDef};
use std::collections::BTreeMap;

/// The file name under which the built-in schema is shown.
pub const BUILTIN_NAME: &str = "<builtin>/claude-desktop.json";

/// The text of the built-in schema.
pub const BUILTIN_TEXT: &str = include_str!("../../schemas/claude-desktop.json");

/// A validated schema with lookup tables.
#[derive(Debug, Clone)]
pub struct Schema {
    file: SchemaFile,
    by_name: BTreeMap<String, usize>,
    by_alias: BTreeMap<String, usize>,
    /// The host templates of each egress rule, parsed.
    hosts: Vec<Vec<HostTemplate>>,
    /// The keys whose values a cross-key rule compares.
    compared: std::collections::BTreeSet<String>,
}

/// An egress host template, parsed: `prefix{PATH}suffix` or
/// `prefix{host:PATH}suffix` (see [`model::EgressRule::hosts`]), or a
/// literal host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostTemplate {
    /// The text before the placeholder (the whole host when there is none).
    pub prefix: String,
    /// The placeholder's path, with `[]` left out (stepping into a list
    /// needs no marker), and whether it asks for the host of a URL.
    pub placeholder: Option<(String, bool)>,
    /// The text after the placeholder.
    pub suffix: String,
}

impl HostTemplate {
    /// Parses a template; `None` for an unclosed `{` (a template that
    /// produces no host).
    #[must_use]
    pub fn parse(template: &str) -> Option<HostTemplate> {
        let Some(open) = template.find('{') else {
            return Some(HostTemplate {
                prefix: template.to_string(),
                placeholder: None,
                suffix: String::new(),
            });
        };
        let close = template[open..].find('}')? + open;
        let inner = &template[open + 1..close];
        let (path, host) = match inner.strip_prefix("host:") {
            Some(p) => (p, true),
            None => (inner, false),
        };
        Some(HostTemplate {
            prefix: template[..open].to_string(),
            placeholder: Some((path.replace("[]", ""), host)),
            suffix: template[close + 1..].to_string(),
        })
    }
}

impl Schema {
    /// Parses and validates a schema file. `file` is the id under which the
    /// text is registered in the source set, so that diagnostics can point
    /// into it. Returns `None` (with diagnostics) when the schema is unusable.
    pub fn load(text: &str, file: FileId, diags: &mut Diagnostics) -> Option<Schema> {
        let parsed: SchemaFile = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let offset = offset_of(text, e.line(), e.column());
                diags.push(
                    Diagnostic::new(Code::InvalidSchema, format!("invalid schema file: {e}"))
                        .primary(Span::new(file, offset, offset), "here")
                        .help("fix the schema file, or run without --schema to use the built-in schema"),
                );
                return None;
            }
        };
        let before = diags.count(crate::diag::Severity::Error);
        let schema = Schema::index(parsed);
        Validator {
            schema: &schema,
            text,
            file,
            diags,
        }
        .run();
        (diags.count(crate::diag::Severity::Error) == before).then_some(schema)
    }

    /// The built-in schema. It is validated by the test suite, so this only
    /// fails if the binary was built from a broken tree.
    #[must_use]
    pub fn builtin() -> Schema {
        let parsed: SchemaFile = serde_json::from_str(BUILTIN_TEXT)
            .unwrap_or_else(|e| panic!("the built-in schema is invalid: {e}"));
        Schema::index(parsed)
    }

    fn index(file: SchemaFile) -> Schema {
        let mut by_name = BTreeMap::new();
        let mut by_alias = BTreeMap::new();
        for (i, key) in file.keys.iter().enumerate() {
            by_name.entry(key.name.clone()).or_insert(i);
            for alias in &key.aliases {
                by_alias.entry(alias.clone()).or_insert(i);
            }
        }
        let hosts = file
            .egress
            .iter()
            .map(|rule| {
                rule.hosts
                    .iter()
                    .filter_map(|h| HostTemplate::parse(h))
                    .collect()
            })
            .collect();
        let compared = file
            .rules
            .iter()
            .flat_map(model::Rule::conds)
            .flat_map(model::Cond::compared_paths)
            .map(|p| p.split_once('.').map_or(p, |(key, _)| key).to_string())
            .collect();
        Schema {
            file,
            by_name,
            by_alias,
            hosts,
            compared,
        }
    }

    /// The parsed host templates of the egress rule at `index` in
    /// [`SchemaFile::egress`](model::SchemaFile::egress).
    #[must_use]
    pub fn egress_hosts(&self, index: usize) -> &[HostTemplate] {
        self.hosts.get(index).map_or(&[], Vec::as_slice)
    }

    /// The parsed file.
    #[must_use]
    pub fn file(&self) -> &SchemaFile {
        &self.file
    }

    /// Looks up a key by its exact name.
    #[must_use]
    pub fn key(&self, name: &str) -> Option<&KeyDef> {
        self.by_name.get(name).map(|&i| &self.file.keys[i])
    }

    /// The current key that has `name` as an older alias.
    #[must_use]
    pub fn key_by_alias(&self, name: &str) -> Option<&KeyDef> {
        self.by_alias.get(name).map(|&i| &self.file.keys[i])
    }

    /// Every key, in file order.
    #[must_use]
    pub fn keys(&self) -> &[KeyDef] {
        &self.file.keys
    }

    /// A named object type.
    #[must_use]
    pub fn object_type(&self, name: &str) -> Option<&ObjectType> {
        self.file.types.get(name)
    }

    /// The cross-key rules.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.file.rules
    }

    /// Whether a cross-key rule compares the value of `key` (or of a field
    /// inside it), rather than only asking whether it is set.
    #[must_use]
    pub fn rules_compare(&self, key: &str) -> bool {
        self.compared.contains(key)
    }

    /// The key that selects the provider, if the schema has one.
    #[must_use]
    pub fn provider_key(&self) -> Option<&str> {
        self.file.provider_key.as_deref()
    }
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len()
}

/// Checks the references inside a parsed schema.
struct Validator<'a> {
    schema: &'a Schema,
    text: &'a str,
    file: FileId,
    diags: &'a mut Diagnostics,
}

impl<'a> Validator<'a> {
    fn run(&mut self) {
        let f = &self.schema.file;
        if f.format_version != 1 {
            self.error(
                "format_version",
                format!(
                    "unsupported schema format_version {}: this polc reads version 1",
                    f.format_version
                ),
            );
        }
        let sections: Vec<&str> = f.sections.iter().map(|s| s.id.as_str()).collect();
        let mut seen = BTreeMap::new();
        for key in &f.keys {
            if seen.insert(key.name.as_str(), ()).is_some() {
                self.error(&key.name, format!("key `{}` is defined twice", key.name));
            }
            if key.name.is_empty() {
                self.error(&key.name, "a key has an empty name".into());
            } else if key.name.chars().any(char::is_control) {
                self.error(
                    &key.name,
                    format!(
                        "key name {} has a control character: key names must be printable text",
                        serde_json::to_string(&key.name).unwrap_or_default()
                    ),
                );
            } else if key.name.starts_with("Payload") {
                self.error(
                    &key.name,
                    format!(
                        "key `{}` is reserved: a configuration profile's payload uses names starting with `Payload` for itself",
                        key.name
                    ),
                );
            }
            if !sections.contains(&key.section.as_str()) {
                self.error(
                    &key.section,
                    format!("key `{}` names unknown section `{}`", key.name, key.section),
                );
            }
            self.check_type(&key.ty, &key.name);
            if let Some(pk) = &f.provider_key {
                let providers = self.provider_values(pk);
                for p in &key.providers {
                    if !providers.iter().any(|v| v == p) {
                        self.error(
                            p,
                            format!("key `{}` names unknown provider `{p}`", key.name),
                        );
                    }
                }
            }
        }
        for (field, key) in [
            ("provider_key", &f.provider_key),
            ("bootstrap_url_key", &f.bootstrap_url_key),
            ("bootstrap_enabled_key", &f.bootstrap_enabled_key),
            ("bootstrap_oidc_key", &f.bootstrap_oidc_key),
        ] {
            if let Some(k) = key
                && self.schema.key(k).is_none()
            {
                self.error(k, format!("{field} `{k}` is not a key of the schema"));
            }
        }
        for (name, ty) in &f.types {
            let mut fields = BTreeMap::new();
            for field in &ty.fields {
                if fields.insert(field.name.as_str(), ()).is_some() {
                    self.error(
                        &field.name,
                        format!("type `{name}` defines field `{}` twice", field.name),
                    );
                }
                self.check_type(&field.ty, &format!("{name}.{}", field.name));
            }
            for rule in &ty.rules {
                self.check_rule(rule, Some(ty));
            }
        }
        for rule in &f.rules {
            self.check_rule(rule, None);
        }
        for (index, egress) in f.egress.iter().enumerate() {
            // With `each`, paths are relative to an element of that list.
            let scope = match &egress.each {
                Some(each) => match self.element_type(each) {
                    Some(ty) => Some(ty),
                    None => {
                        self.error(
                            each,
                            format!("egress `each` path `{each}` is not a list of objects"),
                        );
                        continue;
                    }
                },
                None => None,
            };
            if let Some(c) = &egress.when {
                self.check_cond(c, scope);
            }
            for template in self.schema.egress_hosts(index) {
                if let Some((path, _)) = &template.placeholder {
                    self.check_path(path, scope);
                }
            }
        }
    }

    /// The object type of the elements of the list at `path` (a key, then
    /// `.field` steps through objects), for an egress rule's `each`.
    fn element_type(&self, path: &str) -> Option<&'a ObjectType> {
        let schema: &'a Schema = self.schema;
        let mut parts = path.split('.');
        let mut ty = &schema.key(parts.next()?)?.ty;
        for part in parts {
            let TypeDef::Object { name } = ty else {
                return None;
            };
            ty = &schema
                .object_type(name)?
                .fields
                .iter()
                .find(|f| f.name == part)?
                .ty;
        }
        match ty {
            TypeDef::List { items, .. } => match items.as_ref() {
                TypeDef::Object { name } => schema.object_type(name),
                _ => None,
            },
            _ => None,
        }
    }

    fn provider_values(&self, key: &str) -> Vec<String> {
        match self.schema.key(key).map(|k| &k.ty) {
            Some(TypeDef::String { values, .. }) => values.clone(),
            _ => Vec::new(),
        }
    }

    fn check_type(&mut self, ty: &TypeDef, owner: &str) {
        match ty {
            TypeDef::List {
                items, identity, ..
            } => {
                self.check_type(items, owner);
                if let (Some(id), TypeDef::Object { name }) = (identity, items.as_ref()) {
                    let has = self
                        .schema
                        .object_type(name)
                        .is_some_and(|t| t.fields.iter().any(|f| &f.name == id));
                    if !has && self.schema.object_type(name).is_some() {
                        self.error(
                            id,
                            format!("`{owner}`: identity field `{id}` is not a field of `{name}`"),
                        );
                    }
                }
            }
            TypeDef::Map { values, .. } => self.check_type(values, owner),
            TypeDef::Object { name } => {
                if self.schema.object_type(name).is_none() {
                    self.error(name, format!("`{owner}` refers to unknown type `{name}`"));
                }
            }
            TypeDef::Union { variants } => {
                let mut kinds = Vec::new();
                for v in variants {
                    self.check_type(v, owner);
                    let kind = type_kind(v);
                    if kinds.contains(&kind) {
                        self.error(
                            owner,
                            format!("`{owner}`: a union has two variants of kind {kind}"),
                        );
                    }
                    kinds.push(kind);
                }
            }
            TypeDef::String { .. }
            | TypeDef::Integer { .. }
            | TypeDef::Number { .. }
            | TypeDef::Boolean => {}
        }
    }

    fn check_rule(&mut self, rule: &Rule, scope: Option<&ObjectType>) {
        let needs_key = matches!(rule.kind, RuleKind::Requires | RuleKind::RequiredWhen);
        if needs_key && rule.key.is_none() {
            self.error(&rule.id, format!("rule `{}` needs a `key`", rule.id));
        }
        if rule.kind == RuleKind::Implies && rule.then.is_none() {
            self.error(
                &rule.id,
                format!("rule `{}` needs a `then` condition", rule.id),
            );
        }
        let group = matches!(
            rule.kind,
            RuleKind::Conflicts | RuleKind::AtLeastOneOf | RuleKind::ExactlyOneOf
        );
        if group && rule.paths.len() + rule.options.len() < 2 {
            self.error(
                &rule.id,
                format!("rule `{}` needs at least two paths or options", rule.id),
            );
        }
        if let Some(k) = &rule.key {
            self.check_path(k, scope);
        }
        for p in &rule.paths {
            self.check_path(p, scope);
        }
        for o in &rule.options {
            self.check_cond(&o.cond, scope);
        }
        if let Some(c) = &rule.when {
            self.check_cond(c, scope);
        }
        if let Some(c) = &rule.then {
            self.check_cond(c, scope);
        }
    }

    fn check_cond(&mut self, cond: &Cond, scope: Option<&ObjectType>) {
        for p in cond.paths() {
            self.check_path(p, scope);
        }
    }

    /// A path is `first(.field)*`: `first` is a key (or a field of the
    /// object type for type rules), each `.field` a field of the object type
    /// reached so far.
    fn check_path(&mut self, path: &str, scope: Option<&ObjectType>) {
        let mut parts = path.split('.');
        let first = parts.next().unwrap_or_default();
        let mut ty: Option<&TypeDef> = match scope {
            Some(obj) => obj.fields.iter().find(|f| f.name == first).map(|f| &f.ty),
            None => self.schema.key(first).map(|k| &k.ty),
        };
        if ty.is_none() {
            self.error(
                path,
                format!("rule path `{path}`: `{first}` is not defined"),
            );
            return;
        }
        for part in parts {
            let obj = match ty {
                Some(TypeDef::Object { name }) => self.schema.object_type(name),
                Some(TypeDef::List { items, .. }) => match items.as_ref() {
                    TypeDef::Object { name } => self.schema.object_type(name),
                    TypeDef::Union { variants } => variants.iter().find_map(|v| match v {
                        TypeDef::Object { name } => self.schema.object_type(name),
                        _ => None,
                    }),
                    _ => None,
                },
                Some(TypeDef::Union { variants }) => variants.iter().find_map(|v| match v {
                    TypeDef::Object { name } => self.schema.object_type(name),
                    _ => None,
                }),
                _ => None,
            };
            ty = obj.and_then(|o| o.fields.iter().find(|f| f.name == part).map(|f| &f.ty));
            if ty.is_none() {
                self.error(path, format!("rule path `{path}`: no field `{part}` there"));
                return;
            }
        }
    }

    fn error(&mut self, needle: &str, message: String) {
        // As the schema's JSON text spells it (escapes included).
        let quoted = serde_json::to_string(needle).unwrap_or_default();
        let start = self.text.find(&quoted).unwrap_or(0);
        let end = if start == 0 && !self.text.starts_with(&quoted) {
            0
        } else {
            start + quoted.len()
        };
        self.diags.push(
            Diagnostic::new(Code::InvalidSchema, message)
                .primary(Span::new(self.file, start, end), "")
                .help("fix the schema file, or run without --schema to use the built-in schema"),
        );
    }
}

/// The kind of JSON value a type accepts, for telling union variants apart.
#[must_use]
pub fn type_kind(ty: &TypeDef) -> &'static str {
    match ty {
        TypeDef::String { .. } => "string",
        TypeDef::Integer { .. } | TypeDef::Number { .. } => "number",
        TypeDef::Boolean => "boolean",
        TypeDef::List { .. } => "list",
        TypeDef::Map { .. } | TypeDef::Object { .. } => "object",
        TypeDef::Union { .. } => "union",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::HostTemplate;

    #[test]
    fn host_templates_parse_into_prefix_path_and_suffix() {
        let t =
            HostTemplate::parse("bedrock-runtime.{inferenceBedrockRegion}.amazonaws.com").unwrap();
        assert_eq!(t.prefix, "bedrock-runtime.");
        assert_eq!(
            t.placeholder,
            Some(("inferenceBedrockRegion".to_string(), false))
        );
        assert_eq!(t.suffix, ".amazonaws.com");
        let t = HostTemplate::parse("{host:managedMcpServers[].oauth.authorizationUrl}").unwrap();
        assert_eq!(
            t.placeholder,
            Some(("managedMcpServers.oauth.authorizationUrl".to_string(), true))
        );
        assert_eq!((t.prefix.as_str(), t.suffix.as_str()), ("", ""));
        let t = HostTemplate::parse("api.anthropic.com").unwrap();
        assert_eq!(
            (t.prefix.as_str(), t.placeholder),
            ("api.anthropic.com", None)
        );
        assert_eq!(HostTemplate::parse("x.{unclosed"), None);
    }

    #[test]
    fn rules_compare_the_keys_they_test_for_a_value() {
        let schema = super::Schema::builtin();
        // `eq`, `in`, `starts-with` (the gateway URL in an SSH rule).
        for key in [
            "inferenceProvider",
            "inferenceCredentialKind",
            "inferenceGatewayBaseUrl",
            "claudeAiImport",
        ] {
            assert!(schema.rules_compare(key), "{key}");
        }
        // Only required or tested for presence.
        for key in [
            "inferenceGatewayApiKey",
            "inferenceBedrockProfile",
            "unknownKey",
        ] {
            assert!(!schema.rules_compare(key), "{key}");
        }
        let cond: super::model::Cond = serde_json::from_str(
            r#"{ "all": [ { "set": "a" }, { "not": { "eq": ["b.c", 1] } }, { "in": ["d", [1]] }, { "eq": ["b.c", 2] } ] }"#,
        )
        .unwrap();
        assert_eq!(cond.compared_paths(), ["b.c", "d"]);
        assert_eq!(cond.paths(), ["a", "b.c", "d"]);
    }
}
