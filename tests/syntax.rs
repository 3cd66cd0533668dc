//! The syntax stage through its public API: `polc::syntax::parse_file`.
//!
//! Most tests render the AST back into a canonical one-line form (see
//! [`render`]) and compare it exactly, so that every field of every node is
//! checked without pages of `Debug` output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fmt::Write as _;

use polc::ast::{self, Expr, ExprKind, Item, NameRef, Stmt, StmtKind, StrLit, StrPart};
use polc::diag::{Code, Diagnostic, Diagnostics};
use polc::source::FileId;
use polc::syntax::{check_spans, parse_file};

// ---------------------------------------------------------------------------
// Helpers

/// Parses `text`, asserting it succeeds without diagnostics and that its
/// spans are sound.
fn parse_ok(text: &str) -> ast::File {
    let mut diags = Diagnostics::new();
    let file = parse_file(FileId(7), text, &mut diags);
    assert!(
        diags.as_slice().is_empty(),
        "unexpected diagnostics for {text:?}: {:#?}",
        diags.as_slice()
    );
    let file = file.expect("parse succeeds");
    check_spans(&file, text.len()).unwrap();
    file
}

/// Parses `text` and returns the result and the diagnostics.
fn parse_with_diags(text: &str) -> (Option<ast::File>, Vec<Diagnostic>) {
    let mut diags = Diagnostics::new();
    let file = parse_file(FileId(7), text, &mut diags);
    if let Some(file) = &file {
        check_spans(file, text.len()).unwrap();
    }
    (file, diags.as_slice().to_vec())
}

/// Parses `text`, which must fail with exactly one syntax error.
fn syntax_error(text: &str) -> Diagnostic {
    let (file, diags) = parse_with_diags(text);
    assert!(file.is_none(), "{text:?} parsed");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let diag = diags.into_iter().next().unwrap();
    assert_eq!(diag.code, Code::SyntaxError);
    diag
}

/// The text under a diagnostic's primary label.
fn primary_text<'t>(diag: &Diagnostic, text: &'t str) -> &'t str {
    &text[diag.primary_span().unwrap().range()]
}

/// The source text a span covers.
fn at(text: &str, span: polc::span::Span) -> &str {
    &text[span.range()]
}

/// Renders a file in a canonical form: one item per line.
fn render(file: &ast::File) -> String {
    file.items
        .iter()
        .map(render_item)
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_item(item: &Item) -> String {
    let mut out = String::new();
    match item {
        Item::Profile(p) => {
            if let Some(doc) = &p.doc {
                write!(out, "doc({doc:?}) ").unwrap();
            }
            if p.abstract_kw.is_some() {
                out.push_str("abstract ");
            }
            write!(out, "profile {}", render_name(&p.name)).unwrap();
            if !p.extends.is_empty() {
                let parents: Vec<_> = p.extends.iter().map(render_name).collect();
                write!(out, " extends {}", parents.join(", ")).unwrap();
            }
            write!(out, " {}", render_stmts(&p.body)).unwrap();
        }
        Item::Let(l) => {
            if let Some(doc) = &l.doc {
                write!(out, "doc({doc:?}) ").unwrap();
            }
            write!(out, "let {} = {}", l.name.name, render_expr(&l.value)).unwrap();
        }
        Item::For(f) => {
            write!(out, "for {}", f.first.name).unwrap();
            if let Some(second) = &f.second {
                write!(out, ", {}", second.name).unwrap();
            }
            let body: Vec<_> = f.body.iter().map(render_item).collect();
            write!(out, " in {} ", render_expr(&f.iterable)).unwrap();
            if body.is_empty() {
                out.push_str("{}");
            } else {
                write!(out, "{{ {} }}", body.join("; ")).unwrap();
            }
        }
    }
    out
}

fn render_name(name: &NameRef) -> String {
    match name {
        NameRef::Ident(i) => i.name.clone(),
        NameRef::Str(s) => render_str(s),
    }
}

fn render_stmts(stmts: &[Stmt]) -> String {
    let stmts: Vec<_> = stmts.iter().map(render_stmt).collect();
    if stmts.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", stmts.join("; "))
    }
}

fn render_stmt(stmt: &Stmt) -> String {
    match &stmt.kind {
        StmtKind::Assign { key, op, value, .. } => {
            format!("{} {} {}", key.name, op.as_str(), render_expr(value))
        }
        StmtKind::Unset { key } => format!("unset {}", key.name),
        StmtKind::Meta { body, .. } => format!("meta {}", render_stmts(body)),
    }
}

fn render_str(lit: &StrLit) -> String {
    let mut out = String::from("\"");
    for part in &lit.parts {
        match part {
            StrPart::Lit(text) => {
                let escaped = format!("{text:?}");
                out.push_str(&escaped[1..escaped.len() - 1]);
            }
            StrPart::Interp(expr) => write!(out, "${{{}}}", render_expr(expr)).unwrap(),
        }
    }
    out.push('"');
    out
}

fn render_expr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Str(s) => render_str(s),
        ExprKind::Int(i) => format!("{i}"),
        ExprKind::Float(f) => format!("{f:?}"),
        ExprKind::Bool(b) => format!("{b}"),
        ExprKind::List(items) => {
            let items: Vec<_> = items.iter().map(render_expr).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Object(entries) => {
            let entries: Vec<_> = entries
                .iter()
                .map(|e| format!("{} = {}", e.key.name, render_expr(&e.value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        ExprKind::Env(s) => format!("env({})", render_str(s)),
        ExprKind::File(s) => format!("file({})", render_str(s)),
        ExprKind::Var(v) => v.name.clone(),
        ExprKind::Field(base, field) => format!("{}.{}", render_expr(base), field.name),
    }
}

/// The value of `let x = ...` in a one-let file.
fn let_value(text: &str) -> Expr {
    let file = parse_ok(text);
    match file.items.into_iter().next() {
        Some(Item::Let(l)) => l.value,
        other => panic!("not a let: {other:?}"),
    }
}

/// The parts of the string value of `let x = ...`.
fn string_parts(text: &str) -> Vec<StrPart> {
    match let_value(text).kind {
        ExprKind::Str(s) => s.parts,
        other => panic!("not a string: {other:?}"),
    }
}

fn lit(text: &str) -> StrPart {
    StrPart::Lit(text.to_owned())
}

/// The text of the multi-line string `"""<body>"""`.
fn triple(body: &str) -> String {
    let text = format!("let x = \"\"\"{body}\"\"\"");
    match let_value(&text).kind {
        ExprKind::Str(s) => s.as_plain().expect("no interpolation"),
        other => panic!("not a string: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The examples of LANGUAGE.md

const PROFILES_EXAMPLE: &str = r#"/// Company-wide defaults. Abstract: never emitted, need not be complete.
abstract profile base {
  inferenceProvider           = "gateway"
  inferenceGatewayApiKey      = env("ACME_GATEWAY_KEY")
  inferenceModels             = [
    "claude-sonnet-4-5",
    { name = "claude-opus-4-1", anthropicFamilyTier = "opus" },
  ]
  disabledBuiltinTools        = ["WebFetch", "WebSearch"]
  managedMcpServers           = [
    { name = "jira", transport = "http", url = "https://mcp.acme.example/jira" },
  ]
  disableAutoUpdates          = false
  autoUpdaterEnforcementHours = 72

  meta {
    identifier   = "com.acme.claude.${profile}"
    display_name = "Claude (${profile})"
    organization = "Acme Corp"
    scope        = "system"
  }
}

profile us extends base {
  inferenceGatewayBaseUrl = "https://llm.us.acme.example"
}
"#;

const LOOPS_EXAMPLE: &str = r#"let gateways = {
  us   = "https://llm.us.acme.example",
  eu   = "https://llm.eu.acme.example",
  apac = "https://llm.apac.acme.example",
}

for region, url in gateways {
  profile "${region}" extends base {
    inferenceGatewayBaseUrl = url
  }
  for group in ["eng", "sales"] {
    profile "${region}-${group}" extends "${region}", "${group}" {}
  }
}
"#;

#[test]
fn language_profiles_example() {
    let file = parse_ok(PROFILES_EXAMPLE);
    assert_eq!(
        render(&file),
        "doc(\"Company-wide defaults. Abstract: never emitted, need not be complete.\") \
         abstract profile base { \
         inferenceProvider = \"gateway\"; \
         inferenceGatewayApiKey = env(\"ACME_GATEWAY_KEY\"); \
         inferenceModels = [\"claude-sonnet-4-5\", \
         {name = \"claude-opus-4-1\", anthropicFamilyTier = \"opus\"}]; \
         disabledBuiltinTools = [\"WebFetch\", \"WebSearch\"]; \
         managedMcpServers = [{name = \"jira\", transport = \"http\", \
         url = \"https://mcp.acme.example/jira\"}]; \
         disableAutoUpdates = false; \
         autoUpdaterEnforcementHours = 72; \
         meta { identifier = \"com.acme.claude.${profile}\"; \
         display_name = \"Claude (${profile})\"; \
         organization = \"Acme Corp\"; scope = \"system\" } }\n\
         profile us extends base { inferenceGatewayBaseUrl = \"https://llm.us.acme.example\" }"
    );
}

#[test]
fn language_loops_example() {
    let file = parse_ok(LOOPS_EXAMPLE);
    assert_eq!(
        render(&file),
        "let gateways = {us = \"https://llm.us.acme.example\", \
         eu = \"https://llm.eu.acme.example\", apac = \"https://llm.apac.acme.example\"}\n\
         for region, url in gateways { \
         profile \"${region}\" extends base { inferenceGatewayBaseUrl = url }; \
         for group in [\"eng\", \"sales\"] { \
         profile \"${region}-${group}\" extends \"${region}\", \"${group}\" {} } }"
    );
}

#[test]
fn language_statement_forms() {
    let file = parse_ok(
        "profile eu-eng extends eu, eng {\n  \
         disabledBuiltinTools += \"Bash\"\n  \
         managedMcpServers -= \"jira\"\n  \
         unset inferenceModels\n  \
         meta {\n    scope = \"user\"\n    unset description\n    formats += [\"reg\"]\n  }\n}",
    );
    assert_eq!(
        render(&file),
        "profile eu-eng extends eu, eng { disabledBuiltinTools += \"Bash\"; \
         managedMcpServers -= \"jira\"; unset inferenceModels; \
         meta { scope = \"user\"; unset description; formats += [\"reg\"] } }"
    );
}

#[test]
fn language_values() {
    let file = parse_ok(
        r#"let values = [
  "text \" \\ \n \t \u{1F600}",
  72,
  -3,
  0.85,
  true,
  false,
  [a, b, c,],
  { name = "jira", "X-Org-Id" = "emea" },
  env("NAME"),
  file("relative/path"),
  r.gateway,
  profile,
]"#,
    );
    assert_eq!(
        render(&file),
        "let values = [\"text \\\" \\\\ \\n \\t 😀\", 72, -3, 0.85, true, false, [a, b, c], \
         {name = \"jira\", X-Org-Id = \"emea\"}, env(\"NAME\"), file(\"relative/path\"), \
         r.gateway, profile]"
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(parse_ok("").items, vec![]);
    assert_eq!(parse_ok("\n\n  \n").items, vec![]);
    assert_eq!(parse_ok("// nothing here").items, vec![]);
    assert_eq!(parse_ok("// one\n//// two\n/// three\n").items, vec![]);
}

// ---------------------------------------------------------------------------
// Spans

/// Every construct of the language, nested.
const EVERYTHING: &str = r#"// A sample with every construct.
/// Shared constants.
/// Second doc line.
let gateways = {
  us = { url = "https://llm.us.example", tier = 1, weight = 0.5 },
  "eu-west" = { url = "https://llm.eu.example", tier = 2, weight = -1.25 },
}

let regions = [ "us", "eu-west", ]

abstract profile base {
  inferenceProvider = "gateway"
  inferenceGatewayApiKey = env("KEY_${profile}")
  orgInstructions = file("texts/instructions.md")
  note = """
      Line one ${ gateways.us.url } \u{1F600}
        indented \$ two
      """
  "quoted-key" = [true, false, [1, 2], {}]
  list += "x"
  list -= { name = "jira" }
  unset other
  meta { identifier = "com.acme.${profile}", scope = "system" }
}

for region, gateway in gateways {
  /// Per region.
  profile "${region}" extends base {
    inferenceGatewayBaseUrl = gateway.url
  }
  let suffix = "-eng"
  for group in ["eng", "sales"] {
    profile "${region}-${group}" extends "${region}", eng, "${ "${group}" }" {}
  }
}
"#;

#[test]
fn spans_of_every_construct_nest() {
    let file = parse_ok(EVERYTHING);
    assert_eq!(file.id, FileId(7));
    assert_eq!(file.items.len(), 4);
    check_spans(&file, EVERYTHING.len()).unwrap();
}

#[test]
fn check_spans_rejects_a_child_outside_its_parent() {
    let mut file = parse_ok("profile a {\n  x = [1, 2]\n}");
    let Item::Profile(profile) = &mut file.items[0] else {
        panic!()
    };
    let StmtKind::Assign { value, .. } = &mut profile.body[0].kind else {
        panic!()
    };
    let ExprKind::List(items) = &mut value.kind else {
        panic!()
    };
    items[1].span.end += 5;
    let error = check_spans(&file, 24).unwrap_err();
    assert!(error.contains("outside its parent"), "{error}");
    assert!(check_spans(&parse_ok("let x = 1"), 3).is_err());
}

#[test]
fn spans_point_at_the_source() {
    let text = "/// Doc.\nabstract profile \"a-b\" extends base, \"${x}\" {\n  \"k-1\" += v.f\n  meta { unset k }\n}\nfor k, v in o {\n}\n";
    let file = parse_ok(text);
    let Item::Profile(p) = &file.items[0] else {
        panic!()
    };
    assert!(at(text, p.span).starts_with("/// Doc.\nabstract profile"));
    assert!(at(text, p.span).ends_with("unset k }\n}"));
    assert_eq!(at(text, p.abstract_kw.unwrap()), "abstract");
    assert_eq!(at(text, p.name.span()), "\"a-b\"");
    assert_eq!(at(text, p.extends[0].span()), "base");
    assert_eq!(at(text, p.extends[1].span()), "\"${x}\"");
    let NameRef::Str(parent) = &p.extends[1] else {
        panic!()
    };
    let StrPart::Interp(x) = &parent.parts[0] else {
        panic!()
    };
    assert_eq!(at(text, x.span), "x");

    let stmt = &p.body[0];
    assert_eq!(at(text, stmt.span), "\"k-1\" += v.f");
    let StmtKind::Assign {
        key,
        op_span,
        value,
        ..
    } = &stmt.kind
    else {
        panic!()
    };
    assert_eq!(key.name, "k-1");
    assert_eq!(at(text, key.span), "\"k-1\"");
    assert_eq!(at(text, *op_span), "+=");
    assert_eq!(at(text, value.span), "v.f");
    let ExprKind::Field(base, field) = &value.kind else {
        panic!()
    };
    assert_eq!(at(text, base.span), "v");
    assert_eq!(at(text, field.span), "f");

    let meta = &p.body[1];
    assert_eq!(at(text, meta.span), "meta { unset k }");
    let StmtKind::Meta { kw_span, body } = &meta.kind else {
        panic!()
    };
    assert_eq!(at(text, *kw_span), "meta");
    assert_eq!(at(text, body[0].span), "unset k");

    let Item::For(f) = &file.items[1] else {
        panic!()
    };
    assert_eq!(at(text, f.span), "for k, v in o {\n}");
    assert_eq!(at(text, f.first.span), "k");
    assert_eq!(at(text, f.second.as_ref().unwrap().span), "v");
    assert_eq!(at(text, f.iterable.span), "o");
}

#[test]
fn interpolation_spans_exclude_the_braces() {
    let text = "let x = \"a${ b.c }d\"";
    let file = parse_ok(text);
    let Item::Let(l) = &file.items[0] else {
        panic!()
    };
    assert_eq!(at(text, l.span), text);
    assert_eq!(at(text, l.name.span), "x");
    assert_eq!(at(text, l.value.span), "\"a${ b.c }d\"");
    let ExprKind::Str(s) = &l.value.kind else {
        panic!()
    };
    let StrPart::Interp(e) = &s.parts[1] else {
        panic!()
    };
    assert_eq!(at(text, e.span), "b.c");
}

#[test]
fn let_span_starts_at_its_doc_comment() {
    let text = "/// Doc.\nlet x = 1\n";
    let Item::Let(l) = &parse_ok(text).items[0] else {
        panic!()
    };
    assert_eq!(at(text, l.span), "/// Doc.\nlet x = 1");
}

// ---------------------------------------------------------------------------
// Strings: escapes and interpolation

#[test]
fn escapes_are_decoded() {
    assert_eq!(
        string_parts(r#"let x = "q\" b\\ n\n t\t r\r d\$ u\u{1F600} \u{41}\u{e9}""#),
        vec![lit("q\" b\\ n\n t\t r\r d$ u😀 Aé")]
    );
}

#[test]
fn a_lone_dollar_is_literal() {
    assert_eq!(
        string_parts(r#"let x = "$5 and $HOME and \${x}""#),
        vec![lit("$5 and $HOME and ${x}")]
    );
}

#[test]
fn literal_parts_are_merged_around_interpolations() {
    let parts = string_parts(r#"let x = "a\tb${region}-\u{41}${ group }c${profile}""#);
    let rendered: Vec<String> = parts
        .iter()
        .map(|p| match p {
            StrPart::Lit(s) => format!("lit {s:?}"),
            StrPart::Interp(e) => format!("interp {}", render_expr(e)),
        })
        .collect();
    assert_eq!(
        rendered,
        [
            "lit \"a\\tb\"",
            "interp region",
            "lit \"-A\"",
            "interp group",
            "lit \"c\"",
            "interp profile"
        ]
    );
}

#[test]
fn strings_without_text_have_no_literal_parts() {
    assert_eq!(string_parts(r#"let x = """#), vec![]);
    let parts = string_parts(r#"let x = "${a}${b}""#);
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| matches!(p, StrPart::Interp(_))));
}

#[test]
fn interpolations_nest_and_span_lines() {
    let file = parse_ok("let x = \"${ \"${a}-${ b.c }\" }\"\nlet y = \"${\n  r.url\n}\"");
    assert_eq!(
        render(&file),
        "let x = \"${\"${a}-${b.c}\"}\"\nlet y = \"${r.url}\""
    );
}

#[test]
fn comment_markers_inside_strings_are_text() {
    assert_eq!(
        string_parts(r#"let x = "https://a.example/// x""#),
        vec![lit("https://a.example/// x")]
    );
}

// ---------------------------------------------------------------------------
// Multi-line strings

#[test]
fn triple_strips_common_indentation() {
    assert_eq!(triple("\n    hello\n      world\n    "), "hello\n  world");
    assert_eq!(triple("\n\thello\n\t\tworld\n\t"), "hello\n\tworld");
}

#[test]
fn triple_keeps_a_final_line_break_only_when_written() {
    assert_eq!(triple("\n  a\n  b\n\n  "), "a\nb\n");
    assert_eq!(triple("\n  a\n  b"), "a\nb");
}

#[test]
fn triple_blank_lines_do_not_count_for_indentation() {
    assert_eq!(triple("\n    a\n\n  \n        b\n    "), "a\n\n\n    b");
}

#[test]
fn triple_first_line_after_quotes_is_kept_as_is() {
    assert_eq!(triple("  one\n    two\n    three"), "  one\ntwo\nthree");
    assert_eq!(triple("one line"), "one line");
    assert_eq!(triple("  "), "  ");
    assert_eq!(triple(""), "");
    assert_eq!(triple("\n"), "");
    assert_eq!(triple("\n   "), "");
}

#[test]
fn triple_drops_blanks_before_the_first_line_break() {
    assert_eq!(triple("   \n  a\n  "), "a");
}

#[test]
fn triple_normalises_line_breaks() {
    assert_eq!(triple("\r\n  a\r\n  b\r\n  "), "a\nb");
    // A lone `\r` is not a line break.
    assert_eq!(triple("\n  a\rb\n  "), "a\rb");
}

#[test]
fn triple_escapes_and_interpolations_are_content() {
    // An escape at the start of a line is not indentation.
    assert_eq!(triple("\n    \\ta\n    b\n    "), "\ta\nb");
    assert_eq!(triple("\n  a \\n b\n  \\\"\"\"\n  "), "a \n b\n\"\"\"");
    assert_eq!(triple("\n  say \"hi\" and \"\"\n  "), "say \"hi\" and \"\"");
    let text = "let x = \"\"\"\n    ${name}: ${ value }\n      done\n    \"\"\"";
    assert_eq!(
        render(&parse_ok(text)),
        "let x = \"${name}: ${value}\\n  done\""
    );
}

// ---------------------------------------------------------------------------
// Doc comments

#[test]
fn doc_comments_attach_to_profiles_and_lets() {
    let file = parse_ok(
        "/// First line.\n///   Indented.\n///\n///No space.\nprofile a {}\n\n/// The let.\nlet x = 1\n",
    );
    let Item::Profile(p) = &file.items[0] else {
        panic!()
    };
    assert_eq!(
        p.doc.as_deref(),
        Some("First line.\n  Indented.\n\nNo space.")
    );
    let Item::Let(l) = &file.items[1] else {
        panic!()
    };
    assert_eq!(l.doc.as_deref(), Some("The let."));
}

#[test]
fn doc_comments_survive_blank_lines_and_comments() {
    let file = parse_ok("/// a\n\n// note\n/// b\n\nabstract profile p {}");
    assert_eq!(render(&file), "doc(\"a\\nb\") abstract profile p {}");
}

#[test]
fn four_slashes_are_an_ordinary_comment() {
    let file = parse_ok("//// not a doc\nprofile a {}\n/// doc\n//// also not\nlet x = 1");
    assert_eq!(render(&file), "profile a {}\ndoc(\"doc\") let x = 1");
}

#[test]
fn items_without_docs_have_none() {
    let file = parse_ok("profile a {}\n// plain\nlet x = 1");
    assert_eq!(render(&file), "profile a {}\nlet x = 1");
}

#[test]
fn comments_stand_wherever_a_line_break_can() {
    let text = "// top\nprofile a // after the name\n{ // after the brace\n  x = // after =\n    [ // in a list\n      1, // after an element\n    ] // after the value\n  meta { // in meta\n  }\n} // after the profile\nlet y = { // in an object\n  k = 1 // after an entry\n}\nfor v in y // before the body\n{\n}\n// at the end, without a line break";
    assert_eq!(
        render(&parse_ok(text)),
        "profile a { x = [1]; meta {} }\nlet y = {k = 1}\nfor v in y {}"
    );
}

#[test]
fn a_comment_where_no_line_break_can_be_is_an_error() {
    let text = "profile // no\n a {}";
    let diag = syntax_error(text);
    assert_eq!(diag.message, "expected a profile name, found a comment");
    assert_eq!(primary_text(&diag, text), "// no");
}

#[test]
fn stray_doc_comments_are_ordinary_comments() {
    let text = "/// loop\nfor x in xs {\n  /// in loop\n  profile \"${x}\" {\n    /// in body\n    a = 1 /// trailing\n    b = [ /// in list\n      1,\n    ]\n  }\n  /// at end of loop\n}\n/// at end of file";
    let file = parse_ok(text);
    assert_eq!(
        render(&file),
        "for x in xs { doc(\"in loop\") profile \"${x}\" { a = 1; b = [1] } }"
    );
}

// ---------------------------------------------------------------------------
// Identifiers, keywords and separators

#[test]
fn identifiers_may_contain_dashes() {
    let file = parse_ok("profile eu-eng extends eu--x, a_b-2 {\n  key-=1\n  k-2 = x-y.z-w\n}");
    assert_eq!(
        render(&file),
        "profile eu-eng extends eu--x, a_b-2 { key -= 1; k-2 = x-y.z-w }"
    );
}

#[test]
fn keywords_are_valid_keys_and_fields() {
    let file = parse_ok(
        "profile a {\n  env = 1\n  file += 2\n  in = { env = { HOME = \"/h\" }, for = 3 }\n  x = o.env.file\n}",
    );
    assert_eq!(
        render(&file),
        "profile a { env = 1; file += 2; in = {env = {HOME = \"/h\"}, for = 3}; x = o.env.file }"
    );
}

#[test]
fn unset_and_meta_are_keys_before_an_operator() {
    let file = parse_ok("profile a {\n  unset = 1\n  unset unset\n}");
    assert_eq!(render(&file), "profile a { unset = 1; unset unset }");
}

#[test]
fn words_starting_with_keywords_are_identifiers() {
    let file = parse_ok(
        "let inline = profiles\nlet env-x = truest\nlet for_all = in-office\nlet filed = false-ish",
    );
    assert_eq!(
        render(&file),
        "let inline = profiles\nlet env-x = truest\nlet for_all = in-office\nlet filed = false-ish"
    );
}

#[test]
fn profile_is_a_variable_in_expressions() {
    let file = parse_ok("let x = profile\nlet y = \"${profile}\"\nlet z = profile.name");
    assert_eq!(
        render(&file),
        "let x = profile\nlet y = \"${profile}\"\nlet z = profile.name"
    );
}

#[test]
fn statements_are_separated_by_new_lines_or_commas() {
    let file = parse_ok(
        "profile a { x = 1, y = 2, }\nprofile b {\n  x = 1,\n  y = 2\n  z = 3,\n\n}\nprofile c {\n\n}",
    );
    assert_eq!(
        render(&file),
        "profile a { x = 1; y = 2 }\nprofile b { x = 1; y = 2; z = 3 }\nprofile c {}"
    );
}

#[test]
fn objects_take_commas_and_new_lines() {
    let value = let_value("let x = {\n  a = 1\n  b = 2,\n  c = 3,\n\n  d =\n    4\n}");
    assert_eq!(render_expr(&value), "{a = 1, b = 2, c = 3, d = 4}");
    assert_eq!(render_expr(&let_value("let x = {}")), "{}");
    assert_eq!(render_expr(&let_value("let x = {\n}")), "{}");
}

#[test]
fn lists_take_new_lines_and_a_trailing_comma() {
    let value = let_value("let x = [\n  1,\n  2\n  ,3,\n]");
    assert_eq!(render_expr(&value), "[1, 2, 3]");
    assert_eq!(render_expr(&let_value("let x = []")), "[]");
    assert_eq!(render_expr(&let_value("let x = [\n\n]")), "[]");
}

#[test]
fn layout_new_lines_are_allowed_after_operators_and_before_braces() {
    let file = parse_ok(
        "profile a extends\n  b,\n  c\n{\n  x =\n    1\n  meta\n  {\n  }\n}\nlet y =\n  env(\n    \"A\"\n  )\nfor v in\n  y\n{\n}",
    );
    assert_eq!(
        render(&file),
        "profile a extends b, c { x = 1; meta {} }\nlet y = env(\"A\")\nfor v in y {}"
    );
}

#[test]
fn windows_line_endings_and_a_byte_order_mark() {
    let file =
        parse_ok("\u{feff}/// Doc.\r\nprofile a {\r\n  x = 1\r\n  y = [\r\n    2,\r\n  ]\r\n}\r\n");
    assert_eq!(render(&file), "doc(\"Doc.\") profile a { x = 1; y = [2] }");
}

#[test]
fn numbers() {
    let value = let_value(
        "let x = [0, -0, 007, 9223372036854775807, -9223372036854775808, 1.5, -0.25, 10.0]",
    );
    assert_eq!(
        render_expr(&value),
        "[0, 0, 7, 9223372036854775807, -9223372036854775808, 1.5, -0.25, 10.0]"
    );
}

// ---------------------------------------------------------------------------
// Syntax errors (S0001)

#[test]
fn s0001_missing_brace_says_what_was_found() {
    let text = "profile a extend base {}";
    let diag = syntax_error(text);
    assert_eq!(
        diag.message,
        "expected `extends`, `{` or a new line, found `extend`"
    );
    assert_eq!(primary_text(&diag, text), "extend");
    assert_eq!(diag.help.as_deref(), Some("did you mean `extends`?"));
}

#[test]
fn s0001_colon_instead_of_equals() {
    let text = "profile a {\n  key: \"x\"\n}";
    let diag = syntax_error(text);
    assert_eq!(diag.message, "expected `=`, `+=` or `-=`, found `:`");
    assert_eq!(primary_text(&diag, text), ":");
    assert_eq!(
        diag.help.as_deref(),
        Some("use `=` to give a value: `key = value`")
    );
}

#[test]
fn s0001_missing_comma_in_a_list() {
    for (text, message) in [
        (
            "let x = [\"a\" \"b\"]",
            "expected `,`, `]` or a new line, found a string",
        ),
        (
            "let x = [\n  \"a\"\n  \"b\"\n]",
            "expected `,` or `]`, found a string",
        ),
    ] {
        let diag = syntax_error(text);
        assert_eq!(diag.message, message);
        assert_eq!(primary_text(&diag, text), "\"b\"");
        assert_eq!(
            diag.help.as_deref(),
            Some("add a `,` between list elements")
        );
    }
}

#[test]
fn s0001_two_statements_on_one_line() {
    let text = "profile a {\n  a = 1 b = 2\n}";
    let diag = syntax_error(text);
    assert_eq!(diag.message, "expected `,`, `}` or a new line, found `b`");
    assert_eq!(
        diag.help.as_deref(),
        Some("separate entries with a new line or `,`")
    );
}

#[test]
fn s0001_unterminated_string() {
    let text = "profile a {\n  key = \"abc\n}";
    let diag = syntax_error(text);
    assert_eq!(diag.message, "expected `\"`, found end of line");
    assert_eq!(primary_text(&diag, text), "\n");
    assert!(diag.help.unwrap().starts_with("this string is not closed"));

    let text = "let x = \"\"\"\n  abc\n";
    let diag = syntax_error(text);
    assert_eq!(diag.message, "expected `\"\"\"`, found end of file");
    assert_eq!(diag.primary_span().unwrap().range(), text.len()..text.len());
    assert_eq!(
        diag.help.as_deref(),
        Some("this multi-line string is never closed: end it with `\"\"\"`")
    );
}

#[test]
fn s0001_end_of_file() {
    let text = "profile a {\n  x = [1, 2,";
    let diag = syntax_error(text);
    assert_eq!(diag.message, "expected a value or `]`, found end of file");
    let diag = syntax_error("profile a { ");
    assert_eq!(
        diag.message,
        "expected a statement or `}`, found end of file"
    );
}

#[test]
fn s0001_misspelt_item_keyword() {
    let diag = syntax_error("let x = 1\nprofle a {}");
    assert_eq!(
        diag.message,
        "expected a profile, `let`, `for` or end of file, found `profle`"
    );
    assert_eq!(diag.help.as_deref(), Some("did you mean `profile`?"));
}

#[test]
fn s0001_keyword_as_name() {
    let diag = syntax_error("profile for {}");
    assert_eq!(diag.message, "expected a profile name, found `for`");
    assert_eq!(
        diag.help.as_deref(),
        Some("`for` is a keyword; write the name as a string: `\"for\"`")
    );
    let diag = syntax_error("let env = 1");
    assert_eq!(diag.message, "expected a name, found `env`");
    let diag = syntax_error("for in in x {}");
    assert_eq!(diag.message, "expected a name, found `in`");
}

#[test]
fn s0001_items_need_their_own_lines() {
    let diag = syntax_error("profile a {} profile b {}");
    assert_eq!(
        diag.message,
        "expected a new line or end of file, found `profile`"
    );
    assert_eq!(
        diag.help.as_deref(),
        Some("start each profile, `let` and `for` on a new line")
    );
}

#[test]
fn s0001_semicolons_are_not_separators() {
    let diag = syntax_error("profile a {\n  a = 1; b = 2\n}");
    assert_eq!(diag.message, "expected `,`, `}` or a new line, found `;`");
    assert!(diag.help.unwrap().starts_with("`;` is not a separator"));
}

#[test]
fn s0001_misc_messages() {
    let cases = [
        ("profile a {\n  x =\n}", "expected a value, found `}`"),
        ("let x = 'a'", "expected a value, found `'`"),
        (
            "profile a extends {\n}",
            "expected a profile name, found `{`",
        ),
        ("for x y in z {}", "expected `in` or `,`, found `y`"),
        (
            "profile a {\n  x = env(FOO)\n}",
            "expected a string, found `FOO`",
        ),
        ("# comment", "expected a profile, `let` or `for`, found `#`"),
        ("let x = \"${}\"", "expected a value, found `}`"),
        (
            "profile a {\n  x = a.\n}",
            "expected a field name, found end of line",
        ),
        (
            "profile a {\n  = 3\n}",
            "expected a statement or `}`, found `=`",
        ),
        (
            "profile a {\n  \"k${x}\" = 3 }",
            "expected `,`, `}` or a new line, found `}`",
        ),
        ("profile 2024 {}", "expected a profile name, found `2024`"),
        ("let x = 72h", "expected a value, found `72h`"),
        ("let x = {\n  a += 1\n}", "expected `=`, found `+=`"),
        (
            "let x = 1\u{0}",
            "expected a new line or end of file, found the character `\\u{0}`",
        ),
    ];
    for (text, message) in cases {
        let (file, diags) = parse_with_diags(text);
        if text.contains("k${x}") {
            // Not a syntax error at all: reported while lowering.
            assert!(file.is_some());
            assert_eq!(diags[0].message, "a key cannot contain `${...}`");
            continue;
        }
        assert!(file.is_none(), "{text:?} parsed");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, message, "for {text:?}");
    }
}

#[test]
fn s0001_deep_nesting_is_an_error_not_a_crash() {
    // Deep but reasonable nesting is fine.
    let text = format!("let x = {}{}", "[".repeat(100), "]".repeat(100));
    parse_ok(&text);
    let text = format!("let x = {}1{}", "\"${".repeat(50), "}\"".repeat(50));
    parse_ok(&text);
    let text = format!("{}{}", "for x in y {\n".repeat(100), "}\n".repeat(100));
    parse_ok(&text);

    // Too deep for lowering: reported at the first level too many.
    for text in [
        format!("let x = {}{}", "[".repeat(200), "]".repeat(200)),
        format!("{}{}", "for x in y {\n".repeat(200), "}\n".repeat(200)),
    ] {
        let diag = syntax_error(&text);
        assert_eq!(diag.message, "the file is nested too deeply to parse");
        assert_eq!(diag.labels[0].message, "more than 128 levels deep");
    }
    // Nested `meta` blocks are reported (S0006) and bounded too.
    let text = format!(
        "profile a {{ {}{} }}",
        "meta {\n".repeat(200),
        "}\n".repeat(200)
    );
    let (file, diags) = parse_with_diags(&text);
    assert!(file.is_none());
    let nested = diags
        .iter()
        .filter(|d| d.code == Code::MisplacedMeta)
        .count();
    assert_eq!(nested, 128);
    assert_eq!(diags.len(), 129);
    assert_eq!(diags[128].message, "the file is nested too deeply to parse");

    // Too deep for the parser itself.
    let text = format!("let x = {}", "[".repeat(100_000));
    let diag = syntax_error(&text);
    assert_eq!(diag.message, "the file is nested too deeply to parse");
    assert_eq!(diag.labels[0].message, "nesting limit reached here");
}

#[test]
fn s0001_unclosed_nesting_fails_promptly() {
    // Parsing is linear in the input: no list or object is parsed twice at
    // the same place (see "Nesting" in grammar/policy.pest). When lists and
    // objects tried a one-line form before the full one, each level of
    // nesting doubled the work: 22 unclosed `[` took seconds, 200 would
    // never finish. These take milliseconds; nothing is timed, the test just
    // has to end.
    let deep = 200;
    let cases = [
        (
            format!("profile a {{ x = {} }}", "[".repeat(deep)),
            "expected a value or `]`, found `}`",
        ),
        (
            format!("profile a {{ x = {} }}", "{ a = ".repeat(deep)),
            "expected a value, found `}`",
        ),
        (
            format!("let x = {}", "[{ a = ".repeat(deep)),
            "expected a value, found end of file",
        ),
        (
            format!("let x = {}", "[\n".repeat(deep)),
            "expected a value or `]`, found end of file",
        ),
        (
            format!("let x = {}", "[1, [".repeat(deep)),
            "expected a value or `]`, found end of file",
        ),
        (
            format!("let x = {}", "{\n  a = ".repeat(deep)),
            "expected a value, found end of file",
        ),
        (
            format!("let x = {}", "\"${[".repeat(deep)),
            "expected a value or `]`, found end of file",
        ),
    ];
    for (text, message) in cases {
        let diag = syntax_error(&text);
        assert_eq!(diag.message, message, "for {:?}...", &text[..20]);
    }

    // Closed nesting that is not on one line was exponential too: a line
    // break before each closing bracket made every level parse its
    // contents twice. (100 levels stay under the 128 that lowering allows.)
    for (open, close, times) in [
        ("[", "\n]", 100),
        ("[", "]\n", 100),
        ("{ a = ", "\n}", 100),
        ("[{ a = ", "\n}]", 50),
    ] {
        let text = format!("let x = {}1{}", open.repeat(times), close.repeat(times));
        parse_ok(&text);
    }
}

#[test]
fn s0001_labels_never_leave_the_file() {
    for text in [
        "profile",
        "profile a {",
        "let x = \"",
        "let x = \"\"\"",
        "\u{feff}",
    ] {
        let (_, diags) = parse_with_diags(text);
        for diag in &diags {
            for label in &diag.labels {
                assert!(label.span.range().end <= text.len(), "{text:?}: {diag:?}");
            }
        }
    }
}

#[test]
fn s0001_key_with_interpolation() {
    let text = "profile a {\n  \"k-${x}\" = 1\n}";
    let (file, diags) = parse_with_diags(text);
    assert_eq!(render(&file.unwrap()), "profile a { k- = 1 }");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::SyntaxError);
    assert_eq!(primary_text(&diags[0], text), "x");
}

// ---------------------------------------------------------------------------
// Problems reported while lowering (S0003–S0006)

#[test]
fn s0003_invalid_escapes_are_reported_and_kept() {
    let text = r#"let x = "a\q b\u{110000} c\u{zz} d\u12 e\u{D800} f\u{} \n""#;
    let (file, diags) = parse_with_diags(text);
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::InvalidEscape; 6]);
    let spans: Vec<&str> = diags.iter().map(|d| primary_text(d, text)).collect();
    assert_eq!(
        spans,
        ["\\q", "\\u{110000}", "\\u{zz}", "\\u", "\\u{D800}", "\\u{}"]
    );
    assert_eq!(diags[0].message, "unknown escape `\\q`");
    assert_eq!(
        diags[1].message,
        "`\\u{110000}` is not a Unicode scalar value"
    );
    assert_eq!(
        diags[3].message,
        "`\\u` must be followed by a code point in braces"
    );
    // The AST keeps invalid escapes as written.
    assert_eq!(
        render(&file.unwrap()),
        "let x = \"a\\\\q b\\\\u{110000} c\\\\u{zz} d\\\\u12 e\\\\u{D800} f\\\\u{} \\n\""
    );
}

#[test]
fn s0003_in_multi_line_strings_and_keys() {
    let text = "profile a {\n  \"a\\qb\" = \"\"\"\n    x\\y\n    \"\"\"\n}";
    let (file, diags) = parse_with_diags(text);
    assert!(file.is_some());
    let spans: Vec<(Code, &str)> = diags
        .iter()
        .map(|d| (d.code, primary_text(d, text)))
        .collect();
    assert_eq!(
        spans,
        [(Code::InvalidEscape, "\\q"), (Code::InvalidEscape, "\\y")]
    );
}

#[test]
fn s0004_integer_overflow() {
    let text = "let x = [9223372036854775808, -9223372036854775809, 99999999999999999999999]";
    let (file, diags) = parse_with_diags(text);
    assert!(file.is_some());
    let spans: Vec<(Code, &str)> = diags
        .iter()
        .map(|d| (d.code, primary_text(d, text)))
        .collect();
    assert_eq!(
        spans,
        [
            (Code::InvalidNumber, "9223372036854775808"),
            (Code::InvalidNumber, "-9223372036854775809"),
            (Code::InvalidNumber, "99999999999999999999999"),
        ]
    );
    assert_eq!(
        diags[0].message,
        "integer `9223372036854775808` does not fit in 64 bits"
    );
}

#[test]
fn s0004_decimal_overflow() {
    let text = format!("let x = {}.5", "9".repeat(400));
    let (file, diags) = parse_with_diags(&text);
    assert!(file.is_some());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::InvalidNumber);
}

#[test]
fn s0005_duplicate_object_keys_label_both() {
    let text = "let x = { a = 1, b = 2, \"a\" = 3, a = 4 }";
    let (file, diags) = parse_with_diags(text);
    assert_eq!(render(&file.unwrap()), "let x = {a = 1, b = 2}");
    assert_eq!(diags.len(), 2);
    for diag in &diags {
        assert_eq!(diag.code, Code::DuplicateObjectKey);
        assert_eq!(diag.message, "duplicate key `a` in this object");
        assert_eq!(diag.labels.len(), 2);
        assert!(!diag.labels[1].primary);
        assert_eq!(diag.labels[1].span.range(), 10..11);
    }
    assert_eq!(primary_text(&diags[0], text), "\"a\"");
    assert_eq!(primary_text(&diags[1], text), "a");
    assert_eq!(diags[1].primary_span().unwrap().range(), 33..34);
}

#[test]
fn s0005_only_within_one_object() {
    let (_, diags) = parse_with_diags("let x = [{ a = 1 }, { a = 2, b = { a = 3 } }]");
    assert_eq!(diags, vec![]);
}

#[test]
fn s0005_in_a_large_object() {
    let mut text = String::from("let x = {\n");
    for i in 0..5000 {
        writeln!(text, "  k{} = {i}", i % 4000).unwrap();
    }
    text.push('}');
    let (file, diags) = parse_with_diags(&text);
    assert_eq!(diags.len(), 1000);
    assert!(diags.iter().all(|d| d.code == Code::DuplicateObjectKey));
    let Some(Item::Let(l)) = file.unwrap().items.into_iter().next() else {
        panic!()
    };
    let ExprKind::Object(entries) = l.value.kind else {
        panic!()
    };
    assert_eq!(entries.len(), 4000);
}

#[test]
fn s0006_nested_meta() {
    let text = "profile a {\n  meta {\n    scope = \"user\"\n    meta { x = 1 }\n  }\n}";
    let (file, diags) = parse_with_diags(text);
    assert_eq!(
        render(&file.unwrap()),
        "profile a { meta { scope = \"user\" } }"
    );
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::MisplacedMeta);
    assert_eq!(diags[0].message, "`meta` block inside a `meta` block");
    assert_eq!(diags[0].labels[0].span.range(), 44..48);
    assert_eq!(diags[0].labels[1].span.range(), 14..18);
}

#[test]
fn s0006_meta_with_an_operator() {
    let text = "profile a {\n  meta = { scope = \"user\" }\n  meta += 1\n  \"meta\" = 2\n}";
    let (file, diags) = parse_with_diags(text);
    // A quoted "meta" is an ordinary key (the schema will not know it).
    assert_eq!(render(&file.unwrap()), "profile a { meta = 2 }");
    let found: Vec<(Code, &str)> = diags
        .iter()
        .map(|d| (d.code, primary_text(d, text)))
        .collect();
    assert_eq!(
        found,
        [(Code::MisplacedMeta, "="), (Code::MisplacedMeta, "+=")]
    );
    assert_eq!(
        diags[0].message,
        "`meta` is a block and cannot be used with `=`"
    );
}

#[test]
fn all_lowering_problems_are_reported_in_one_run() {
    let text = "profile a {\n  x = \"\\q\"\n  y = 99999999999999999999\n  z = { a = 1, a = 2 }\n  meta { meta {} }\n}\nlet w = \"\\w\"";
    let (file, diags) = parse_with_diags(text);
    assert!(file.is_some());
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            Code::InvalidEscape,
            Code::InvalidNumber,
            Code::DuplicateObjectKey,
            Code::MisplacedMeta,
            Code::InvalidEscape
        ]
    );
}

// ---------------------------------------------------------------------------
// Robustness: no input makes the parser panic

/// A small deterministic xorshift PRNG.
use common::XorShift;

/// Parses arbitrary text: never panics, and either returns a file with sound
/// spans or reports at least one error.
fn parse_anything(text: &str) -> bool {
    let mut diags = Diagnostics::new();
    let parsed = match parse_file(FileId(3), text, &mut diags) {
        Some(file) => {
            if let Err(e) = check_spans(&file, text.len()) {
                panic!("bad spans for {text:?}: {e}");
            }
            true
        }
        None => {
            assert!(diags.has_errors(), "no AST and no error for {text:?}");
            false
        }
    };
    for diag in diags.as_slice() {
        assert!(!diag.labels.is_empty(), "{diag:?} for {text:?}");
        for label in &diag.labels {
            assert_eq!(label.span.file, FileId(3));
            assert!(
                label.span.range().end <= text.len(),
                "{diag:?} for {text:?}"
            );
            assert!(
                text.get(label.span.range()).is_some(),
                "{diag:?} for {text:?}"
            );
        }
    }
    parsed
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // Bytes biased towards the language's own characters.
    let alphabet = b"abcpz019_-.,=+{}[]()\"\\$/ \n\t\r;:#u";
    for _ in 0..2000 {
        let len = rng.below(80);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(4) == 0 {
                    u8::try_from(rng.next() & 0xFF).unwrap()
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        let _ = parse_anything(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soups_never_panic() {
    const TOKENS: &[&str] = &[
        "profile",
        "abstract",
        "extends",
        "unset",
        "meta",
        "let",
        "for",
        "in",
        "true",
        "false",
        "env",
        "file",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ",",
        "=",
        "+=",
        "-=",
        ".",
        "\n",
        "\n",
        "\n",
        "base",
        "eu-eng",
        "key",
        "x",
        "\"s\"",
        "\"${x}\"",
        "\"a\\q\"",
        "\"\\u{1F600}\"",
        "\"unterminated",
        "\"\"\"\n  a\n  \"\"\"",
        "\"\"\"",
        "72",
        "-3",
        "0.85",
        "99999999999999999999",
        "// c\n",
        "/// d\n",
        "//// e\n",
        "${",
        "\"",
        ";",
        ":",
        "\r\n",
    ];
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut parsed = 0;
    for _ in 0..2000 {
        let len = 1 + rng.below(40);
        let mut text = String::new();
        for _ in 0..len {
            text.push_str(TOKENS[rng.below(TOKENS.len())]);
            if rng.below(3) != 0 {
                text.push(' ');
            }
        }
        if parse_anything(&text) {
            parsed += 1;
        }
    }
    // Keep the soup meaningful: a few inputs must parse.
    assert!(parsed > 0);
}

#[test]
fn mutated_samples_never_panic() {
    // Small random edits of a valid file reach deep into lowering.
    let pieces = [
        "\"", "\\", "${", "}", "{", "[", "]", ",", "\n", "///", "//", "=", "meta", "\"\"\"",
        "\\u{", "-", ".", "a", " ", "é",
    ];
    let mut rng = XorShift(0x5851_F42D_4C95_7F2D);
    for _ in 0..2000 {
        let mut text = EVERYTHING.to_owned();
        for _ in 0..=rng.below(3) {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if rng.below(3) == 0 {
                let mut end = (at + 1 + rng.below(5)).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, "");
            } else {
                text.insert_str(at, pieces[rng.below(pieces.len())]);
            }
        }
        let _ = parse_anything(&text);
    }
}

#[test]
fn structured_soups_parse() {
    // Random but valid files: every one must parse without diagnostics.
    let keys = ["inferenceProvider", "a-b", "\"X-Org\"", "env", "file"];
    let values = [
        "\"v\"",
        "1",
        "-2",
        "0.5",
        "true",
        "[1, \"a\",]",
        "{ a = 1, \"b\" = [] }",
        "env(\"E\")",
        "file(\"f.txt\")",
        "r.gateway",
        "\"${profile}-${r.x}\"",
        "\"\"\"\n  text\n  \"\"\"",
    ];
    let ops = ["=", "+=", "-="];
    let mut rng = XorShift(42);
    for n in 0..300 {
        let mut text = String::new();
        for p in 0..1 + rng.below(4) {
            writeln!(text, "/// Profile {p}.").unwrap();
            write!(text, "profile p{n}-{p} extends base, \"${{x}}\" {{").unwrap();
            for i in 0..rng.below(6) {
                let sep = if i == 0 {
                    "\n  "
                } else {
                    ["\n  ", ", ", ",\n  "][rng.below(3)]
                };
                write!(
                    text,
                    "{sep}{} {} {}",
                    keys[rng.below(keys.len())],
                    ops[rng.below(ops.len())],
                    values[rng.below(values.len())]
                )
                .unwrap();
            }
            text.push_str("\n}\n");
        }
        let file = parse_ok(&text);
        assert!(!file.items.is_empty());
    }
}

#[test]
fn a_large_policy_set_parses() {
    let mut text = String::new();
    for i in 0..10_000 {
        writeln!(
            text,
            "/// Profile {i}.\nprofile p{i} extends base {{\n  inferenceGatewayBaseUrl = \"https://llm{i}.example\"\n  inferenceModels += [\"a\", {{ name = \"b\" }}]\n  meta {{ identifier = \"com.acme.${{profile}}\" }}\n}}\n"
        )
        .unwrap();
    }
    let file = parse_ok(&text);
    assert_eq!(file.items.len(), 10_000);
}
