//! pest errors → `S0001` diagnostics.
//!
//! pest reports the rules it tried at the furthest position it reached. This
//! module names them for humans ([`rule_display_name`]), says what was found
//! there instead (the next token, "end of line" or "end of file"), and adds
//! help for the mistakes people commonly make.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::{Rule, rule_display_name};
use crate::diag::{Code, Diagnostic};
use crate::source::FileId;
use crate::span::Span;

/// The reserved words of the language.
const KEYWORDS: &[&str] = &[
    "profile", "abstract", "extends", "unset", "meta", "let", "for", "in", "true", "false", "env",
    "file",
];

/// Converts a pest error into an `S0001` diagnostic.
pub(crate) fn syntax_error(file: FileId, text: &str, error: &Error<Rule>) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    }
    .min(text.len());
    let found = Found::at(text, pos);
    let span = Span::new(file, found.start, found.end);

    let ErrorVariant::ParsingError { positives, .. } = &error.variant else {
        // pest's only custom errors are its recursion and stack limits.
        return Diagnostic::new(Code::SyntaxError, "the file is nested too deeply to parse")
            .primary(span, "nesting limit reached here")
            .help("split deeply nested lists and objects into `let` constants");
    };

    let expected = expected_names(positives);
    let list = join_or(&expected);
    let message = if list.is_empty() {
        format!("unexpected {}", found.description)
    } else {
        format!("expected {list}, found {}", found.description)
    };
    let label = if list.is_empty() {
        "unexpected here".to_owned()
    } else {
        format!("expected {list}")
    };
    let mut diagnostic = Diagnostic::new(Code::SyntaxError, message).primary(span, label);
    if let Some(help) = help(positives, &found) {
        diagnostic = diagnostic.help(help);
    }
    diagnostic
}

/// What the parser found where it failed.
struct Found<'t> {
    /// How to say it: "`extend`", "end of line", "end of file".
    description: String,
    /// The token's text (empty at the end of the file).
    token: &'t str,
    /// The byte range to label.
    start: usize,
    end: usize,
}

impl<'t> Found<'t> {
    fn at(text: &'t str, pos: usize) -> Self {
        let rest = text.get(pos..).unwrap_or("");
        let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let start = pos + blanks;
        let rest = &rest[blanks..];
        let (description, len) = describe(rest);
        let token = &rest[..len];
        Found {
            description,
            token,
            start,
            end: start + len,
        }
    }

    fn first_char(&self) -> Option<char> {
        self.token.chars().next()
    }

    /// Whether the token could start a value (and so a missing separator is
    /// likely).
    fn starts_value(&self) -> bool {
        self.first_char().is_some_and(|c| {
            c == '"' || c == '[' || c == '{' || c == '-' || c == '_' || c.is_ascii_alphanumeric()
        })
    }

    fn is_word(&self) -> bool {
        self.first_char()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
    }
}

/// Describes the token at the start of `rest` and gives its length in bytes.
fn describe(rest: &str) -> (String, usize) {
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_owned(), 0);
    };
    for token in ["+=", "-=", "${"] {
        if rest.starts_with(token) {
            return (format!("`{token}`"), token.len());
        }
    }
    match c {
        '\n' => ("end of line".to_owned(), 1),
        '\r' if rest.starts_with("\r\n") => ("end of line".to_owned(), 2),
        '"' if rest.starts_with("\"\"\"") => ("`\"\"\"`".to_owned(), 3),
        '"' => {
            // The string up to its closing quote on the same line.
            let line = rest.find(['\n', '\r']).unwrap_or(rest.len());
            let len = rest[1..line].find('"').map_or(1, |at| at + 2);
            ("a string".to_owned(), len)
        }
        '/' if rest.starts_with("//") => {
            let line = rest.find(['\n', '\r']).unwrap_or(rest.len());
            let doc = rest.starts_with("///") && !rest.starts_with("////");
            let what = if doc { "a doc comment" } else { "a comment" };
            (what.to_owned(), line)
        }
        c if c == '_' || c.is_ascii_alphanumeric() || (c == '-' && rest.len() > 1) => {
            let len = word_len(rest);
            if len == 0 {
                (format!("`{c}`"), c.len_utf8())
            } else {
                let word = &rest[..len];
                if word.len() > 40 {
                    let mut cut = 40;
                    while !word.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    (format!("`{}…`", &word[..cut]), len)
                } else {
                    (format!("`{word}`"), len)
                }
            }
        }
        '`' => ("a backtick".to_owned(), 1),
        c if c.is_control() || c.is_whitespace() => (
            format!("the character `{}`", c.escape_unicode()),
            c.len_utf8(),
        ),
        c => (format!("`{c}`"), c.len_utf8()),
    }
}

/// The length of the word (identifier or number) at the start of `text`.
fn word_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut len = usize::from(bytes.first() == Some(&b'-'));
    while let Some(&b) = bytes.get(len) {
        let continues = b.is_ascii_alphanumeric()
            || b == b'_'
            || (b == b'.' && len > 0 && is_number(text, len))
            || (b == b'-' && bytes.get(len + 1).is_some_and(u8::is_ascii_alphanumeric));
        if !continues {
            break;
        }
        len += 1;
    }
    if len == 1 && bytes.first() == Some(&b'-') {
        0
    } else {
        len
    }
}

/// Whether `text[..len]` is a number (so a `.` continues it).
fn is_number(text: &str, len: usize) -> bool {
    text[..len]
        .trim_start_matches('-')
        .bytes()
        .all(|b| b.is_ascii_digit())
}

/// The human names of the expected rules: deduplicated, ordered constructs
/// first, then keywords, punctuation, line breaks and end of file, and
/// without noise:
///
/// - inside a string, only the closing quote is worth mentioning (the quotes
///   are not rules, so a failure inside a string shows as its text rule);
/// - "a new line" is dropped when a construct (a value, a name...) is
///   expected, because the line break is then only optional layout.
fn expected_names(positives: &[Rule]) -> Vec<&'static str> {
    if positives.contains(&Rule::str_text) {
        return vec!["`\"`"];
    }
    if positives.contains(&Rule::triple_text) {
        return vec!["`\"\"\"`"];
    }
    let mut names: Vec<&'static str> = Vec::new();
    for &rule in positives {
        if matches!(
            rule,
            Rule::escape | Rule::interpolation | Rule::doc_comment | Rule::doc_block
        ) {
            continue;
        }
        let name = rule_display_name(rule);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    // Where a statement can start, pest reports the first token of each
    // statement form: say "a statement" instead.
    if positives.contains(&Rule::kw_unset) && positives.contains(&Rule::kw_meta) {
        let parts = [Rule::key, Rule::kw_unset, Rule::kw_meta].map(rule_display_name);
        names.retain(|n| !parts.contains(n));
        names.insert(0, "a statement");
    }
    let newline = rule_display_name(Rule::newline);
    if names.iter().any(|n| is_construct(n)) {
        names.retain(|n| *n != newline);
    }
    names.sort_by_key(|name| match *name {
        "end of file" => 4,
        "a new line" => 3,
        n if n.starts_with("`") && n[1..].starts_with(|c: char| c.is_ascii_alphabetic()) => 1,
        n if n.starts_with('`') => 2,
        _ => 0,
    });
    names
}

/// Whether a display name is a construct ("a value") rather than a token.
fn is_construct(name: &str) -> bool {
    !name.starts_with('`') && name != "a new line" && name != "end of file"
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Help for the likely mistake behind an error, if one is likely.
fn help(positives: &[Rule], found: &Found<'_>) -> Option<String> {
    let expects = |rule: Rule| positives.contains(&rule);
    let at_line_end = found.token.is_empty() || found.token.starts_with(['\n', '\r']);

    if expects(Rule::triple_text) && found.token.is_empty() {
        return Some("this multi-line string is never closed: end it with `\"\"\"`".to_owned());
    }
    let in_string = expects(Rule::str_text);
    if in_string && at_line_end {
        return Some(
            "this string is not closed: add `\"` before the end of the line (a `\"...\"` \
             string cannot span lines; use `\"\"\"...\"\"\"` for text over several lines)"
                .to_owned(),
        );
    }
    match found.token {
        ":" if expects(Rule::eq) => {
            return Some("use `=` to give a value: `key = value`".to_owned());
        }
        ";" => {
            return Some(
                "`;` is not a separator: put each statement or entry on its own line, or \
                 separate them with `,`"
                    .to_owned(),
            );
        }
        "'" => return Some("strings are written in double quotes: `\"...\"`".to_owned()),
        "#" => return Some("comments start with `//`".to_owned()),
        _ => {}
    }
    if found.token == "=" && expects(Rule::kw_unset) {
        return Some("a statement starts with its key: `key = value`".to_owned());
    }
    if at_line_end && expects(Rule::key) && expects(Rule::eq) {
        return Some("`unset` needs the key to remove: `unset key`".to_owned());
    }
    if found.is_word() {
        let word = found.token;
        if KEYWORDS.contains(&word) && (expects(Rule::ident) || expects(Rule::profile_name)) {
            return Some(if expects(Rule::profile_name) {
                format!("`{word}` is a keyword; write the name as a string: `\"{word}\"`")
            } else {
                format!("`{word}` is a keyword and cannot be used as a name")
            });
        }
        if let Some(keyword) = similar_keyword(word, positives) {
            return Some(format!("did you mean `{keyword}`?"));
        }
        let starts_item = matches!(word, "profile" | "abstract" | "let" | "for");
        if starts_item && expects(Rule::newline) && !expects(Rule::comma) {
            return Some("start each profile, `let` and `for` on a new line".to_owned());
        }
    }
    if found.starts_value() && expects(Rule::comma) && expects(Rule::rbracket) {
        return Some("add a `,` between list elements".to_owned());
    }
    if found.starts_value() && expects(Rule::comma) && expects(Rule::rbrace) {
        return Some("separate entries with a new line or `,`".to_owned());
    }
    let literal = found
        .first_char()
        .is_some_and(|c| c == '"' || c == '[' || c == '{' || c == '-' || c.is_ascii_digit());
    if literal && expects(Rule::eq) && !expects(Rule::comma) {
        return Some("add `=` between the key and its value".to_owned());
    }
    None
}

/// An expected keyword that `word` is probably a misspelling of.
fn similar_keyword(word: &str, positives: &[Rule]) -> Option<&'static str> {
    let mut candidates: Vec<&'static str> = Vec::new();
    for &rule in positives {
        let words: &[&'static str] = match rule {
            Rule::kw_profile => &["profile"],
            Rule::kw_abstract => &["abstract"],
            Rule::kw_extends | Rule::extends_clause => &["extends"],
            Rule::kw_in => &["in"],
            Rule::profile | Rule::item | Rule::items | Rule::file => {
                &["profile", "abstract", "let", "for"]
            }
            Rule::let_item => &["let"],
            Rule::for_item => &["for"],
            _ => &[],
        };
        candidates.extend_from_slice(words);
    }
    candidates.into_iter().find(|candidate| {
        word != *candidate && word.len() <= candidate.len() + 2 && {
            let distance = edit_distance(word, candidate);
            distance <= 1 || (distance == 2 && candidate.len() > 4)
        }
    })
}

/// Levenshtein distance between two short ASCII-ish words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{edit_distance, join_or};

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("extend", "extends"), 1);
        assert_eq!(edit_distance("profle", "profile"), 1);
        assert_eq!(edit_distance("", "in"), 2);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    #[test]
    fn join_or_lists() {
        assert_eq!(join_or(&[]), "");
        assert_eq!(join_or(&["a"]), "a");
        assert_eq!(join_or(&["a", "b"]), "a or b");
        assert_eq!(join_or(&["a", "b", "c"]), "a, b or c");
    }
}
