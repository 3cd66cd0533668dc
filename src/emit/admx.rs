//! ADMX/ADML administrative templates (a zip) generated from the schema.
//!
//! Three pure functions: [`admx`] (`Claude.admx`), [`adml`]
//! (`en-US/Claude.adml`) and [`template_zip`] (both, plus a short
//! `README.txt`, as a byte-for-byte reproducible zip). A template carries no
//! values: administrators enter them in the Group Policy editor or in
//! Intune's imported administrative templates.
//!
//! Choices (the app reads only `REG_SZ` values directly under
//! `SOFTWARE\Policies\Claude`; see the key reference §1.2):
//!
//! * **Every policy writes one `REG_SZ` value** named after the key, directly
//!   under [`REGISTRY_KEY`]. No `decimal` (REG_DWORD), `multiText`
//!   (REG_MULTI_SZ), `list` (subkeys) or `expandable` (REG_EXPAND_SZ)
//!   elements are ever written.
//! * **Booleans**: no element; the policy's `enabledValue` is the string
//!   `true` and its `disabledValue` the string `false`, so Enabled,
//!   Disabled and Not Configured map exactly to `"true"`, `"false"` and
//!   unset.
//! * **String enums**: an `enum` element (a drop-down) whose items are
//!   `<string>` values; deprecated values are not offered (the explain text
//!   names them). An enum value longer than 255 characters (the XSD limit of
//!   an item's `<string>`) turns the key into a text box.
//! * **Integers with a range from 0 up** (every bound within `u32`): a
//!   `decimal` element with `storeAsText="true"` (so it writes REG_SZ; the
//!   tests require the flag on every `decimal`) and the key's `minValue`
//!   and `maxValue`, shown as a spin box: the editor refuses what is not a
//!   number in range. **Other integers and numbers** (negative or unbounded
//!   ranges, values beyond `u32`, decimals): a `text` element; the range
//!   is in the label and the explain text, not enforced by the editor.
//! * **Strings, lists, maps and objects**: a `text` element. Lists, maps and
//!   objects are one compact JSON document on one line (the GPEdit text box
//!   is single-line). `maxLength` is the schema's `max_length` when it has
//!   one, else [`TEXT_MAX_LENGTH`] (32767, the default text limit of a
//!   Windows edit control): the XSD default of 1023 is too short for JSON
//!   such as `managedMcpServers` (GPEdit and Intune enforce `maxLength`).
//!   Intune's own limit on an imported-ADMX text value is undocumented.
//! * Every element is `required`, so an enabled policy never writes an empty
//!   string (an empty string under HKLM still counts as machine policy and
//!   is unreadable as JSON).
//! * **Class `Both`**: the app reads `HKLM` and `HKCU`, and which one to use
//!   is the administrator's decision (Computer or User Configuration). The
//!   parent category's explain text warns that any value under HKLM makes
//!   the app ignore HKCU entirely.
//! * **Keys included** ([`template_keys`]): documented and deprecated keys.
//!   Left out: `removed` (the app no longer reads them), `first-party-only`
//!   (ignored with third-party inference), `unverified` (known only from
//!   reverse engineering; a template is the supported surface, and a stray
//!   value under HKLM locks the device into machine policy), bootstrap-only
//!   keys (never read from the registry), and a deprecated key whose name
//!   equals another included key's name ignoring case (registry value names
//!   are case-insensitive: both would be the same value; of two current
//!   keys differing only in case, the first is kept). Deprecated keys
//!   stay so that a GPO that already sets one can be turned off in the
//!   editor; their display name ends in "(deprecated)". Secret keys are
//!   included (the explain text warns that the value is readable in the
//!   registry).
//! * Identifiers: the key name with every character outside
//!   `[A-Za-z0-9_]` replaced by `_`, made unique (ignoring case) with a
//!   `_2`, `_3`… suffix. Categories follow the schema's sections under one
//!   parent category; `supportedOn` has one definition per `since` version.
//! * [`REVISION`] is a constant, `1.0`, for the ADMX, the ADML and
//!   `minRequiredRevision`, so the ADML always satisfies the ADMX.

use crate::check::types::describe;
use crate::schema::Schema;
use crate::schema::model::{Availability, KeyDef, Status, TypeDef};
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;

/// The ADMX target namespace.
pub const NAMESPACE: &str = "Anthropic.Policies.Claude";
/// The ADMX target prefix.
pub const PREFIX: &str = "claude";
/// The registry key every policy writes under (HKLM or HKCU by class).
pub const REGISTRY_KEY: &str = r"SOFTWARE\Policies\Claude";
/// `revision` of the ADMX and the ADML, and the ADMX's `minRequiredRevision`.
pub const REVISION: &str = "1.0";
/// `schemaVersion` of both files.
pub const SCHEMA_VERSION: &str = "1.0";
/// `maxLength` of a text box whose key has no `max_length` in the schema.
pub const TEXT_MAX_LENGTH: u32 = 32767;
/// The ADMX file name (at the zip root).
pub const ADMX_PATH: &str = "Claude.admx";
/// The ADML file name (in the language folder).
pub const ADML_PATH: &str = "en-US/Claude.adml";
/// The readme's name in the zip.
pub const README_PATH: &str = "README.txt";

/// `maxLength` of an integer's text box (an `i64` in decimal).
const INTEGER_MAX_LENGTH: u32 = 20;
/// `maxLength` of a decimal number's text box.
const NUMBER_MAX_LENGTH: u32 = 32;
/// The XSD's limit on a `<string>` value of an enum item.
const ENUM_VALUE_MAX: usize = 255;
/// The name of the parent category.
const PARENT_CATEGORY: &str = "Claude";
/// The name of the `supportedOn` definition for keys without `since`.
const SUPPORTED_ANY: &str = "SUPPORTED_Claude";

const PD_NS: &str = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";
const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The keys that get a policy, in schema order (see the module docs).
#[must_use]
pub fn template_keys(schema: &Schema) -> Vec<&KeyDef> {
    let eligible: Vec<&KeyDef> = schema
        .keys()
        .iter()
        .filter(|k| {
            matches!(k.status, Status::Documented | Status::Deprecated)
                && k.availability != Availability::Bootstrap
        })
        .collect();
    // Registry value names are case-insensitive: of keys whose names differ
    // only in case, keep a current key over a deprecated one, else the first.
    let rank = |i: usize| (eligible[i].status == Status::Deprecated, i);
    (0..eligible.len())
        .filter(|&i| {
            !(0..eligible.len()).any(|j| {
                j != i
                    && eligible[j].name.eq_ignore_ascii_case(&eligible[i].name)
                    && rank(j) < rank(i)
            })
        })
        .map(|i| eligible[i])
        .collect()
}

/// `Claude.admx`.
#[must_use]
pub fn admx(schema: &Schema) -> String {
    Template::build(schema).admx()
}

/// `en-US/Claude.adml`.
#[must_use]
pub fn adml(schema: &Schema) -> String {
    Template::build(schema).adml()
}

/// A zip with `Claude.admx`, `README.txt` and `en-US/Claude.adml` (sorted,
/// stored, dated 1980-01-01 00:00, mode 0644): the same schema always gives
/// the same bytes.
#[must_use]
pub fn template_zip(schema: &Schema) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime, ZipWriter};

    let t = Template::build(schema);
    let mut files = [
        (ADMX_PATH, t.admx()),
        (ADML_PATH, t.adml()),
        (README_PATH, readme(schema)),
    ];
    files.sort_by(|a, b| a.0.cmp(b.0));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in &files {
        zip.start_file(*name, options)
            .expect("writing a zip to memory cannot fail");
        zip.write_all(text.as_bytes())
            .expect("writing a zip to memory cannot fail");
    }
    zip.finish()
        .expect("writing a zip to memory cannot fail")
        .into_inner()
}

fn readme(schema: &Schema) -> String {
    let f = schema.file();
    let version = f
        .app_version
        .as_deref()
        .map(|v| format!(" for app version {v}"))
        .unwrap_or_default();
    format!(
        "{app}: administrative templates\n\
         Generated by polc from its key schema{version}.\n\
         \n\
         Claude.admx         the policy definitions (namespace {NAMESPACE})\n\
         en-US/Claude.adml   the English strings\n\
         \n\
         Group Policy: copy Claude.admx to C:\\Windows\\PolicyDefinitions\\ (or to the central\n\
         store \\\\<domain>\\SYSVOL\\<domain>\\Policies\\PolicyDefinitions\\) and Claude.adml to the\n\
         en-US folder there. The settings appear under Computer Configuration and User\n\
         Configuration > Administrative Templates > {app}.\n\
         \n\
         Intune: Devices > Configuration > Import ADMX: upload Claude.admx together with\n\
         en-US/Claude.adml, then create a profile from the imported administrative templates.\n\
         \n\
         Every setting writes one REG_SZ value under {REGISTRY_KEY} (HKLM for a\n\
         computer, HKCU for a user). If any value exists under HKLM, the app ignores HKCU\n\
         entirely: manage each device in one scope. Enter JSON values compact, on one line.\n\
         The app reads its configuration at launch.\n",
        app = f.application,
    )
}

/// The whole template as data; both files are written from it, so their
/// references always agree.
struct Template {
    application: String,
    description: String,
    supported: Vec<(String, String)>,
    categories: Vec<Category>,
    policies: Vec<Policy>,
    strings: Vec<(String, String)>,
    presentations: Vec<Presentation>,
}

struct Category {
    name: String,
    display: String,
    explain: Option<String>,
    parent: Option<String>,
}

struct Policy {
    name: String,
    display: String,
    explain: String,
    category: String,
    supported: String,
    value_name: String,
    element: Element,
}

enum Element {
    /// `enabledValue` "true", `disabledValue` "false".
    Boolean,
    /// A number box that writes REG_SZ (`storeAsText`).
    Decimal {
        id: String,
        min: u32,
        max: u32,
    },
    Text {
        id: String,
        max_length: u32,
    },
    Enum {
        id: String,
        items: Vec<(String, String)>,
    },
}

enum Presentation {
    DecimalTextBox {
        id: String,
        label: String,
        default: u32,
    },
    TextBox {
        id: String,
        label: String,
        default: Option<String>,
    },
    Dropdown {
        id: String,
        label: String,
        default_item: Option<usize>,
    },
}

/// Allocates identifiers: `[A-Za-z0-9_]+`, unique ignoring case.
#[derive(Default)]
struct Ids(BTreeSet<String>);

impl Ids {
    fn alloc(&mut self, base: &str) -> String {
        let mut clean: String = base
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if clean.is_empty() {
            clean.push('_');
        }
        let mut candidate = clean.clone();
        let mut n = 2;
        while !self.0.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{clean}_{n}");
            n += 1;
        }
        candidate
    }
}

/// The text shown in the editor: backticks (Markdown code marks in the
/// schema's docs) dropped, and characters XML 1.0 cannot carry removed.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '`' && (c >= ' ' || c == '\n' || c == '\t'))
        .collect()
}

/// Sort key of a version string: its numeric components.
fn version_key(v: &str) -> (Vec<u64>, String) {
    let nums = v
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or(u64::MAX))
        .collect();
    (nums, v.to_string())
}

impl Template {
    fn build(schema: &Schema) -> Template {
        let f = schema.file();
        let keys = template_keys(schema);
        let mut strings = Vec::new();
        let mut string_ids = Ids::default();
        let mut add_string = |base: &str, text: String| {
            let id = string_ids.alloc(base);
            strings.push((id.clone(), text));
            id
        };

        // supportedOn: one definition per `since` version, oldest first.
        let mut supported = Vec::new();
        let mut supported_ids = Ids::default();
        let mut supported_by_version = BTreeMap::new();
        let any_id = supported_ids.alloc(SUPPORTED_ANY);
        let any_display = add_string(SUPPORTED_ANY, f.application.clone());
        supported.push((any_id.clone(), any_display));
        // From the version that reads the key from device management.
        let mut versions: Vec<&str> = keys.iter().filter_map(|k| k.device_since()).collect();
        versions.sort_by_key(|v| version_key(v));
        versions.dedup();
        for v in versions {
            let base = format!("{SUPPORTED_ANY}_{v}");
            let id = supported_ids.alloc(&base);
            let display = add_string(&base, format!("{} {} or later", f.application, v));
            supported.push((id.clone(), display));
            supported_by_version.insert(v.to_string(), id);
        }

        // Categories: the parent, then one per section that has a policy.
        let mut categories = Vec::new();
        let mut category_ids = Ids::default();
        let parent = category_ids.alloc(PARENT_CATEGORY);
        categories.push(Category {
            name: parent.clone(),
            display: add_string(PARENT_CATEGORY, f.application.clone()),
            explain: Some(add_string(
                &format!("{PARENT_CATEGORY}_Explain"),
                parent_explain(),
            )),
            parent: None,
        });
        let mut section_category = BTreeMap::new();
        for section in &f.sections {
            if !keys.iter().any(|k| k.section == section.id) {
                continue;
            }
            let base = format!("{PARENT_CATEGORY}_{}", section.id);
            let name = category_ids.alloc(&base);
            let explain = (!section.doc.is_empty())
                .then(|| add_string(&format!("{base}_Explain"), clean(&section.doc)));
            categories.push(Category {
                name: name.clone(),
                display: add_string(&base, clean(&section.title)),
                explain,
                parent: Some(parent.clone()),
            });
            section_category.insert(section.id.clone(), name);
        }

        // Policies, grouped by section in section order, schema order within.
        let mut policies = Vec::new();
        let mut presentations = Vec::new();
        let mut policy_ids = Ids::default();
        for section in &f.sections {
            let Some(category) = section_category.get(&section.id) else {
                continue;
            };
            for key in keys.iter().filter(|k| k.section == section.id) {
                let name = policy_ids.alloc(&key.name);
                let mut display_name = key.name.clone();
                if key.status == Status::Deprecated {
                    display_name.push_str(" (deprecated)");
                }
                let display = add_string(&name, clean(&display_name));
                let kind = ValueKind::of(&key.ty);
                let explain =
                    add_string(&format!("{name}_Explain"), explain_text(key, &kind, schema));
                let supported = key
                    .device_since()
                    .and_then(|v| supported_by_version.get(v))
                    .unwrap_or(&any_id)
                    .clone();
                let element = match &kind {
                    ValueKind::Boolean => Element::Boolean,
                    ValueKind::Enum(values) => {
                        let items = values
                            .iter()
                            .map(|v| (add_string(&format!("{name}_{v}"), clean(v)), v.clone()))
                            .collect();
                        let default_item = key
                            .default
                            .as_ref()
                            .and_then(|d| d.as_str())
                            .and_then(|d| values.iter().position(|v| v == d));
                        presentations.push(Presentation::Dropdown {
                            id: name.clone(),
                            label: clean(&format!("{}:", key.name)),
                            default_item,
                        });
                        Element::Enum {
                            id: name.clone(),
                            items,
                        }
                    }
                    ValueKind::Decimal { min, max } => {
                        let default = key
                            .default
                            .as_ref()
                            .and_then(serde_json::Value::as_u64)
                            .and_then(|d| u32::try_from(d).ok())
                            .filter(|d| (*min..=*max).contains(d))
                            .unwrap_or(*min);
                        presentations.push(Presentation::DecimalTextBox {
                            id: name.clone(),
                            label: clean(&format!("{} ({min} to {max}):", key.name)),
                            default,
                        });
                        Element::Decimal {
                            id: name.clone(),
                            min: *min,
                            max: *max,
                        }
                    }
                    ValueKind::Text { max_length, label } => {
                        let default = key
                            .default
                            .as_ref()
                            .filter(|_| !key.secret)
                            .map(crate::emit::encode::app_text)
                            .filter(|d| {
                                !d.is_empty()
                                    && u32::try_from(d.len()).is_ok_and(|n| n <= *max_length)
                            });
                        presentations.push(Presentation::TextBox {
                            id: name.clone(),
                            label: clean(&if label.is_empty() {
                                format!("{}:", key.name)
                            } else {
                                format!("{} {label}:", key.name)
                            }),
                            default,
                        });
                        Element::Text {
                            id: name.clone(),
                            max_length: *max_length,
                        }
                    }
                };
                policies.push(Policy {
                    name,
                    display,
                    explain,
                    category: category.clone(),
                    supported,
                    value_name: key.name.clone(),
                    element,
                });
            }
        }

        let version = f
            .app_version
            .as_deref()
            .map(|v| format!(" It was generated by polc from its key schema for app version {v}."))
            .unwrap_or_default();
        Template {
            application: f.application.clone(),
            description: format!(
                "Managed configuration of {}: every setting writes one REG_SZ value under {REGISTRY_KEY}.{version}",
                f.application
            ),
            supported,
            categories,
            policies,
            strings,
            presentations,
        }
    }

    fn admx(&self) -> String {
        let mut x = Xml::new();
        x.start(
            "policyDefinitions",
            &[
                ("xmlns:xsd", XSD_NS),
                ("xmlns:xsi", XSI_NS),
                ("revision", REVISION),
                ("schemaVersion", SCHEMA_VERSION),
                ("xmlns", PD_NS),
            ],
        );
        x.start("policyNamespaces", &[]);
        x.empty("target", &[("prefix", PREFIX), ("namespace", NAMESPACE)]);
        x.end("policyNamespaces");
        x.empty("resources", &[("minRequiredRevision", REVISION)]);
        x.start("supportedOn", &[]);
        x.start("definitions", &[]);
        for (name, display) in &self.supported {
            x.empty(
                "definition",
                &[("name", name), ("displayName", &string_ref(display))],
            );
        }
        x.end("definitions");
        x.end("supportedOn");
        x.start("categories", &[]);
        for c in &self.categories {
            let display = string_ref(&c.display);
            let explain = c.explain.as_deref().map(string_ref);
            let mut attrs = vec![("name", c.name.as_str()), ("displayName", display.as_str())];
            if let Some(e) = &explain {
                attrs.push(("explainText", e));
            }
            match &c.parent {
                Some(p) => {
                    x.start("category", &attrs);
                    x.empty("parentCategory", &[("ref", p)]);
                    x.end("category");
                }
                None => x.empty("category", &attrs),
            }
        }
        x.end("categories");
        x.start("policies", &[]);
        for p in &self.policies {
            let display = string_ref(&p.display);
            let explain = string_ref(&p.explain);
            let presentation = format!("$(presentation.{})", p.name);
            let mut attrs = vec![
                ("name", p.name.as_str()),
                ("class", "Both"),
                ("displayName", display.as_str()),
                ("explainText", explain.as_str()),
            ];
            if !matches!(p.element, Element::Boolean) {
                attrs.push(("presentation", &presentation));
            }
            attrs.push(("key", REGISTRY_KEY));
            if matches!(p.element, Element::Boolean) {
                attrs.push(("valueName", &p.value_name));
            }
            x.start("policy", &attrs);
            x.empty("parentCategory", &[("ref", &p.category)]);
            x.empty("supportedOn", &[("ref", &p.supported)]);
            match &p.element {
                Element::Boolean => {
                    x.start("enabledValue", &[]);
                    x.text_element("string", &[], "true");
                    x.end("enabledValue");
                    x.start("disabledValue", &[]);
                    x.text_element("string", &[], "false");
                    x.end("disabledValue");
                }
                Element::Decimal { id, min, max } => {
                    x.start("elements", &[]);
                    x.empty(
                        "decimal",
                        &[
                            ("id", id),
                            ("valueName", &p.value_name),
                            ("required", "true"),
                            ("minValue", &min.to_string()),
                            ("maxValue", &max.to_string()),
                            ("storeAsText", "true"),
                        ],
                    );
                    x.end("elements");
                }
                Element::Text { id, max_length } => {
                    x.start("elements", &[]);
                    x.empty(
                        "text",
                        &[
                            ("id", id),
                            ("valueName", &p.value_name),
                            ("required", "true"),
                            ("maxLength", &max_length.to_string()),
                        ],
                    );
                    x.end("elements");
                }
                Element::Enum { id, items } => {
                    x.start("elements", &[]);
                    x.start(
                        "enum",
                        &[
                            ("id", id),
                            ("valueName", &p.value_name),
                            ("required", "true"),
                        ],
                    );
                    for (display, value) in items {
                        x.start("item", &[("displayName", &string_ref(display))]);
                        x.start("value", &[]);
                        x.text_element("string", &[], value);
                        x.end("value");
                        x.end("item");
                    }
                    x.end("enum");
                    x.end("elements");
                }
            }
            x.end("policy");
        }
        x.end("policies");
        x.end("policyDefinitions");
        x.finish()
    }

    fn adml(&self) -> String {
        let mut x = Xml::new();
        x.start(
            "policyDefinitionResources",
            &[
                ("xmlns:xsd", XSD_NS),
                ("xmlns:xsi", XSI_NS),
                ("revision", REVISION),
                ("schemaVersion", SCHEMA_VERSION),
                ("xmlns", PD_NS),
            ],
        );
        x.text_element("displayName", &[], &self.application);
        x.text_element("description", &[], &self.description);
        x.start("resources", &[]);
        x.start("stringTable", &[]);
        for (id, text) in &self.strings {
            x.text_element("string", &[("id", id)], text);
        }
        x.end("stringTable");
        x.start("presentationTable", &[]);
        for p in &self.presentations {
            match p {
                Presentation::DecimalTextBox { id, label, default } => {
                    x.start("presentation", &[("id", id)]);
                    x.text_element(
                        "decimalTextBox",
                        &[
                            ("refId", id),
                            ("defaultValue", &default.to_string()),
                            ("spin", "true"),
                            ("spinStep", "1"),
                        ],
                        label,
                    );
                    x.end("presentation");
                }
                Presentation::TextBox { id, label, default } => {
                    x.start("presentation", &[("id", id)]);
                    x.start("textBox", &[("refId", id)]);
                    x.text_element("label", &[], label);
                    if let Some(d) = default {
                        x.text_element("defaultValue", &[], d);
                    }
                    x.end("textBox");
                    x.end("presentation");
                }
                Presentation::Dropdown {
                    id,
                    label,
                    default_item,
                } => {
                    x.start("presentation", &[("id", id)]);
                    let item = default_item.map(|i| i.to_string());
                    let mut attrs = vec![("refId", id.as_str()), ("noSort", "true")];
                    if let Some(i) = &item {
                        attrs.push(("defaultItem", i));
                    }
                    x.text_element("dropdownList", &attrs, label);
                    x.end("presentation");
                }
            }
        }
        x.end("presentationTable");
        x.end("resources");
        x.end("policyDefinitionResources");
        x.finish()
    }
}

fn string_ref(id: &str) -> String {
    format!("$(string.{id})")
}

/// How a key's value is entered.
enum ValueKind {
    Boolean,
    Enum(Vec<String>),
    Decimal { min: u32, max: u32 },
    Text { max_length: u32, label: String },
}

impl ValueKind {
    fn of(ty: &TypeDef) -> ValueKind {
        match ty {
            TypeDef::Boolean => ValueKind::Boolean,
            TypeDef::String {
                values, max_length, ..
            } => {
                if !values.is_empty() && values.iter().all(|v| v.len() <= ENUM_VALUE_MAX) {
                    ValueKind::Enum(values.clone())
                } else {
                    ValueKind::Text {
                        max_length: max_length.unwrap_or(TEXT_MAX_LENGTH),
                        label: String::new(),
                    }
                }
            }
            TypeDef::Integer {
                min: Some(min),
                max: Some(max),
            } if u32::try_from(*min).is_ok() && u32::try_from(*max).is_ok() => ValueKind::Decimal {
                min: u32::try_from(*min).unwrap_or(0),
                max: u32::try_from(*max).unwrap_or(u32::MAX),
            },
            TypeDef::Integer { min, max } => ValueKind::Text {
                max_length: INTEGER_MAX_LENGTH,
                label: match (min, max) {
                    (Some(a), Some(b)) => format!("(integer, {a} to {b})"),
                    (Some(a), None) => format!("(integer, at least {a})"),
                    (None, Some(b)) => format!("(integer, at most {b})"),
                    (None, None) => "(integer)".to_string(),
                },
            },
            TypeDef::Number { .. } => ValueKind::Text {
                max_length: NUMBER_MAX_LENGTH,
                label: "(number)".to_string(),
            },
            TypeDef::List { .. }
            | TypeDef::Map { .. }
            | TypeDef::Object { .. }
            | TypeDef::Union { .. } => ValueKind::Text {
                max_length: TEXT_MAX_LENGTH,
                label: "(JSON on one line)".to_string(),
            },
        }
    }
}

fn is_json(ty: &TypeDef) -> bool {
    matches!(
        ty,
        TypeDef::List { .. } | TypeDef::Map { .. } | TypeDef::Object { .. } | TypeDef::Union { .. }
    )
}

fn parent_explain() -> String {
    format!(
        "Managed configuration of Claude Desktop with third-party inference. Every setting writes one REG_SZ value under {REGISTRY_KEY}: under HKEY_LOCAL_MACHINE from Computer Configuration, under HKEY_CURRENT_USER from User Configuration.\n\n\
         If any value exists under HKEY_LOCAL_MACHINE\\{REGISTRY_KEY}, the app ignores HKEY_CURRENT_USER\\{REGISTRY_KEY} entirely, so manage each device in one scope. When a device-managed setting other than the app-behavior settings is present, the in-app configuration window is read-only and local configuration is ignored.\n\n\
         The app reads its configuration at launch."
    )
}

fn explain_text(key: &KeyDef, kind: &ValueKind, schema: &Schema) -> String {
    let mut out = clean(&key.doc);
    out.push_str("\n\n");
    let _ = write!(out, "Value: {}", describe(&key.ty, schema));
    if let TypeDef::String {
        max_length: Some(n),
        ..
    } = &key.ty
    {
        let _ = write!(out, ", at most {n} characters");
    }
    out.push('.');
    if is_json(&key.ty) {
        out.push_str(" Enter it as compact JSON text on one line.");
    }
    out.push('\n');
    if let TypeDef::String {
        deprecated_values, ..
    } = &key.ty
    {
        for d in deprecated_values {
            let _ = write!(out, "Deprecated value {}", d.value);
            if let Some(r) = &d.deprecation.replaced_by {
                let _ = write!(out, ": use {r} instead");
            }
            if let Some(c) = &d.deprecation.cutoff {
                let _ = write!(out, "; accepted until {c}");
            }
            out.push_str(". It is not offered here.\n");
        }
    }
    if let Some(d) = &key.default {
        let _ = writeln!(out, "Default: {}.", crate::emit::encode::app_text(d));
    } else if let Some(d) = &key.default_doc {
        let _ = writeln!(out, "Default: {d}.");
    }
    if !key.providers.is_empty() {
        let provider = schema.provider_key().unwrap_or("provider");
        let _ = writeln!(out, "Used with {provider}: {}.", key.providers.join(", "));
    }
    if let Some(s) = key.device_since() {
        let _ = writeln!(out, "Since app version {s}.");
    }
    if key.status == Status::Deprecated {
        out.push_str("Deprecated");
        let mut parts = Vec::new();
        if let Some(dep) = &key.deprecated {
            if let Some(s) = &dep.since {
                let _ = write!(out, " since {s}");
            }
            if let Some(r) = &dep.replaced_by {
                parts.push(format!("use {r} instead"));
            }
            if let Some(c) = &dep.cutoff {
                parts.push(format!("accepted until {c}"));
            }
        }
        if !parts.is_empty() {
            let _ = write!(out, ": {}", parts.join("; "));
        }
        out.push('.');
        if let Some(n) = key.deprecated.as_ref().and_then(|d| d.note.as_ref()) {
            let _ = write!(out, " {n}");
        }
        out.push('\n');
    }
    if key.app_behavior {
        out.push_str("App-behavior setting: a device that sets only app-behavior settings keeps its local configuration editable.\n");
    }
    if key.secret {
        out.push_str("Secret: the value is stored in plain text in the registry, where users of the device can read it.\n");
    }
    let _ = write!(
        out,
        "\nRegistry: the REG_SZ value {} under {REGISTRY_KEY}. ",
        key.name
    );
    match kind {
        ValueKind::Boolean => out.push_str(
            "Enabled writes \"true\", Disabled writes \"false\", Not Configured removes the value.",
        ),
        ValueKind::Enum(_) => out.push_str(
            "Enabled writes the value selected; Disabled and Not Configured remove the value.",
        ),
        ValueKind::Decimal { .. } => out.push_str(
            "Enabled writes the number entered, as text; Disabled and Not Configured remove the value.",
        ),
        ValueKind::Text { .. } => out.push_str(
            "Enabled writes the value entered; Disabled and Not Configured remove the value.",
        ),
    }
    clean(&out)
}

/// A small wrapper over quick-xml's indenting writer (which does the
/// escaping); writing to memory cannot fail.
struct Xml(Writer<Vec<u8>>);

const WRITE: &str = "writing XML to memory cannot fail";

impl Xml {
    fn new() -> Xml {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
            .expect(WRITE);
        Xml(w)
    }

    fn tag<'a>(name: &'a str, attrs: &[(&'a str, &'a str)]) -> BytesStart<'a> {
        let mut start = BytesStart::new(name);
        for &attr in attrs {
            start.push_attribute(attr);
        }
        start
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.0
            .write_event(Event::Start(Xml::tag(name, attrs)))
            .expect(WRITE);
    }

    fn end(&mut self, name: &str) {
        self.0
            .write_event(Event::End(BytesEnd::new(name)))
            .expect(WRITE);
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.0
            .write_event(Event::Empty(Xml::tag(name, attrs)))
            .expect(WRITE);
    }

    fn text_element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        self.0
            .write_event(Event::Text(BytesText::from_escaped(partial_escape(text))))
            .expect(WRITE);
        self.end(name);
    }

    fn finish(self) -> String {
        let mut bytes = self.0.into_inner();
        bytes.push(b'\n');
        String::from_utf8(bytes).expect("quick-xml writes UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitized_and_unique_ignoring_case() {
        let mut ids = Ids::default();
        assert_eq!(ids.alloc("a.b-c"), "a_b_c");
        assert_eq!(ids.alloc("a_b_c"), "a_b_c_2");
        assert_eq!(ids.alloc("A_B_C"), "A_B_C_3");
        assert_eq!(ids.alloc(""), "_");
        assert_eq!(ids.alloc("é"), "__2");
    }

    #[test]
    fn clean_drops_backticks_and_control_characters() {
        assert_eq!(clean("use `x`\u{7}\tnow\n"), "use x\tnow\n");
    }

    #[test]
    fn versions_sort_numerically() {
        let mut v = vec!["1.10.0", "1.9.0", "1.100.0"];
        v.sort_by_key(|s| version_key(s));
        assert_eq!(v, ["1.9.0", "1.10.0", "1.100.0"]);
    }
}
