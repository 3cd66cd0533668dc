//! Characters a format of the build cannot carry.
//!
//! A `.mobileconfig` is XML 1.0, which has no way to write the controls
//! U+0000 to U+001F other than tab, line feed and carriage return (nor
//! U+FFFE and U+FFFF); a `.reg` writes strings (`REG_SZ`), which end at
//! their first U+0000. A value's text is written as it is when the value
//! is a string; a string inside a list or an object is written in JSON
//! text, where the controls below U+0020 are escaped (`\u0000`), so only
//! the other characters matter there.
//!
//! One walker, [`find`], serves both places that look: `polc check` for
//! the strings written in the policy (B0402, B0404 at the string, in every
//! concrete profile built in the format: [`check`]), and `polc build` for
//! the values read with `env()` ([`crate::emit::build`]), which the check
//! never sees. Each is reported once.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::resolve::{EffValue, Effective};
use crate::schema::model::KeyDef;
use crate::span::Span;
use crate::value::{TemplatePart, Val, Value};

/// A format of the build that cannot carry every character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The `.mobileconfig` (XML 1.0).
    Mobileconfig,
    /// The `.reg` (`REG_SZ` strings).
    Reg,
}

impl Format {
    /// Both, in the order their problems are reported.
    pub const ALL: [Format; 2] = [Format::Mobileconfig, Format::Reg];

    /// The format's name in `meta.formats`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Format::Mobileconfig => "mobileconfig",
            Format::Reg => "reg",
        }
    }

    /// Whether the format can write `c`.
    #[must_use]
    pub fn carries(self, c: char) -> bool {
        match self {
            Format::Mobileconfig => crate::emit::mobileconfig::xml_char(c),
            Format::Reg => c != '\0',
        }
    }

    /// The code of the diagnostic.
    #[must_use]
    pub fn code(self) -> Code {
        match self {
            Format::Mobileconfig => Code::UnrepresentableInPlist,
            Format::Reg => Code::UnrepresentableInReg,
        }
    }

    /// The diagnostic for `what` (a key, `meta.display_name`) holding `c`
    /// at `span`.
    #[must_use]
    pub fn diagnostic(self, what: &str, c: char, span: Span) -> Diagnostic {
        let code = format!("U+{:04X}", u32::from(c));
        match self {
            Format::Mobileconfig => Diagnostic::new(
                self.code(),
                format!("`{what}` has a character that a .mobileconfig cannot hold"),
            )
            .primary(span, format!("{code} here"))
            .help("XML 1.0 has no way to write characters U+0000 to U+001F other than tab, line feed and carriage return (nor U+FFFE and U+FFFF); remove them, or leave `mobileconfig` out of `meta.formats`"),
            Format::Reg => Diagnostic::new(
                self.code(),
                format!("`{what}` has a U+0000 character, which a .reg cannot hold"),
            )
            .primary(span, format!("{code} here"))
            .help("a registry string (REG_SZ) ends at its first U+0000, so the app would read only what comes before it; remove it, or leave `reg` out of `meta.formats`"),
        }
    }

    /// The first character of `text` the format cannot write where the
    /// text stands: the whole value of a key (`whole`), or a string inside
    /// JSON text.
    #[must_use]
    pub fn first_uncarried(self, text: &str, whole: bool) -> Option<char> {
        if !suspicious(text) {
            return None;
        }
        text.chars()
            .find(|&c| !self.carries(c) && (whole || u32::from(c) >= 0x20))
    }
}

/// Whether a byte of `text` may start a character that a format cannot
/// write: a control below U+0020, or 0xEF (the lead byte of U+FFFE and
/// U+FFFF, and of others).
fn suspicious(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 || b == 0xEF)
}

/// Whether a string written in `v` (a field name, a template's text
/// included) may hold a character that a format cannot write: when not,
/// [`find`] finds nothing in it for any format. Effective values are made
/// of the statements' values (and profile names, which cannot hold such a
/// character: R0109), so when no statement's value may, no profile's can:
/// the checker tests the statements once, and walks the profiles' values
/// only if one may.
#[must_use]
pub fn may_hold_uncarried(v: &Val) -> bool {
    match &v.kind {
        Value::Str(s) => suspicious(s),
        Value::Template(parts) => parts
            .iter()
            .any(|p| matches!(p, TemplatePart::Lit(s) if suspicious(s))),
        Value::List(items) => items.iter().any(may_hold_uncarried),
        Value::Object(fields) => fields
            .iter()
            .any(|f| suspicious(&f.name) || may_hold_uncarried(&f.value)),
        Value::Env(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => false,
    }
}

/// Calls `found` with each string of `v` that `format` cannot write (its
/// span, the character, and the variable it was read from, if any): the
/// strings written in the source, and those `read` gives for `env()`
/// references (`read` answers `None` for a variable that is not set).
/// `whole`: `v` is the whole value of a key.
pub fn find(
    v: &Val,
    format: Format,
    whole: bool,
    read: &dyn Fn(&str) -> Option<String>,
    found: &mut dyn FnMut(Span, char, Option<&str>),
) {
    match &v.kind {
        Value::Str(s) => {
            if let Some(c) = format.first_uncarried(s, whole) {
                found(v.span, c, None);
            }
        }
        Value::Env(name) => {
            if let Some(c) = read(name).and_then(|s| format.first_uncarried(&s, whole)) {
                found(v.span, c, Some(name));
            }
        }
        Value::List(items) => {
            for item in items.iter() {
                find(item, format, false, read, found);
            }
        }
        Value::Object(fields) => {
            for f in fields.iter() {
                if let Some(c) = format.first_uncarried(&f.name, false) {
                    found(f.name_span, c, None);
                }
                find(&f.value, format, false, read, found);
            }
        }
        // Effective values are bound: no template is left.
        Value::Template(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {}
    }
}

/// The meta fields a `.mobileconfig` writes.
const MOBILECONFIG_META: [&str; 4] = ["identifier", "display_name", "description", "organization"];

/// B0402, B0404 for a concrete profile: every string written in the policy
/// that a format the profile is built in (`formats`) cannot carry, in the
/// keys its device files hold (`keys`) and, for the `.mobileconfig`, the
/// meta texts it writes (a profile name, the default display name, cannot
/// hold such a character: R0109).
pub fn check(
    eff: &Effective,
    keys: &[(&KeyDef, &EffValue)],
    formats: &[Format],
    diags: &mut Diagnostics,
) {
    let meta = || {
        MOBILECONFIG_META
            .iter()
            .filter_map(|f| Some((*f, eff.meta(f)?)))
    };
    if !keys.iter().any(|(_, ev)| may_hold_uncarried(&ev.value))
        && !meta().any(|(_, ev)| may_hold_uncarried(&ev.value))
    {
        return;
    }
    let no_env = |_: &str| None;
    for &format in formats {
        for (def, ev) in keys {
            find(&ev.value, format, true, &no_env, &mut |span, c, _| {
                diags.push(format.diagnostic(&def.name, c, span));
            });
        }
        if format != Format::Mobileconfig {
            continue;
        }
        for (field, ev) in meta() {
            find(&ev.value, format, true, &no_env, &mut |span, c, _| {
                diags.push(format.diagnostic(&format!("meta.{field}"), c, span));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_format_carries_where() {
        let reg = Format::Reg;
        let plist = Format::Mobileconfig;
        assert_eq!(reg.first_uncarried("a\u{0}b", true), Some('\0'));
        // Inside JSON text, U+0000 is written `\u0000`.
        assert_eq!(reg.first_uncarried("a\u{0}b", false), None);
        assert_eq!(reg.first_uncarried("a\u{7}b\u{FFFF}", true), None);
        assert_eq!(plist.first_uncarried("a\tb\nc\rd", true), None);
        assert_eq!(plist.first_uncarried("a\u{7}b", true), Some('\u{7}'));
        assert_eq!(plist.first_uncarried("a\u{7}b", false), None);
        assert_eq!(plist.first_uncarried("a\u{FFFE}b", false), Some('\u{FFFE}'));
        // 0xEF leads other characters too.
        assert_eq!(plist.first_uncarried("\u{FFFD}\u{F000}", true), None);
        assert_eq!(plist.first_uncarried("", true), None);
    }
}
