//! The pest parser generated from `grammar/policy.pest`, and the names its
//! rules have in error messages.

/// The policy-file parser.
#[derive(pest_derive::Parser)]
#[grammar = "grammar/policy.pest"]
pub(crate) struct PolicyParser;

/// How a rule is called in "expected ..." messages.
///
/// The match is exhaustive on purpose: a new grammar rule does not compile
/// until it has a name a user can read.
pub(crate) fn rule_display_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::newline | Rule::nl => "a new line",
        Rule::doc_comment | Rule::doc_block => "a doc comment",
        Rule::doc_text => "doc comment text",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::rbracket => "`]`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        Rule::eq => "`=`",
        Rule::plus_eq => "`+=`",
        Rule::minus_eq => "`-=`",
        Rule::word_end => "the end of a word",
        Rule::kw_profile => "`profile`",
        Rule::kw_abstract => "`abstract`",
        Rule::kw_extends => "`extends`",
        Rule::kw_unset => "`unset`",
        Rule::kw_meta => "`meta`",
        Rule::kw_let => "`let`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_true => "`true`",
        Rule::kw_false => "`false`",
        Rule::kw_env => "`env`",
        Rule::kw_file => "`file`",
        Rule::keyword => "a keyword",
        Rule::ident => "a name",
        Rule::key_name | Rule::key => "a key",
        Rule::field_name => "a field name",
        Rule::variable => "a variable",
        Rule::file | Rule::items => "a profile, `let` or `for`",
        Rule::item => "a profile, `let` or `for`",
        Rule::profile => "a profile",
        Rule::profile_name => "a profile name",
        Rule::extends_clause => "`extends`",
        Rule::let_item => "`let`",
        Rule::for_item => "`for`",
        Rule::for_body => "`{`",
        Rule::block => "`{`",
        // The statement forms are "a statement" in messages: when one of
        // them fails where it started, none of them was there.
        Rule::unset_stmt | Rule::meta_stmt => "a statement",
        // `plain_string` is the fast form of a string value: where it fails,
        // a value was expected.
        Rule::expr | Rule::plain_string => "a value",
        Rule::decimal => "a decimal number",
        Rule::integer => "an integer",
        Rule::env_call => "`env(...)`",
        Rule::file_call => "`file(...)`",
        Rule::list => "a list",
        Rule::object => "an object",
        Rule::string => "a string",
        Rule::str_text | Rule::triple_text => "string text",
        Rule::triple_string => "a multi-line string",
        Rule::escape => "an escape",
        Rule::interpolation => "an interpolation",
    }
}

#[cfg(test)]
mod tests {
    use super::{Rule, rule_display_name};

    #[test]
    fn no_display_name_is_a_raw_rule_name() {
        for &rule in Rule::all_rules() {
            let name = rule_display_name(rule);
            let raw = format!("{rule:?}");
            assert!(!name.is_empty(), "{raw} has an empty display name");
            assert!(
                !name.contains('_') || name.contains('`'),
                "{raw} is shown as {name:?}, which looks like a rule name"
            );
            assert_ne!(name, raw, "{raw} has no human name");
        }
    }
}
