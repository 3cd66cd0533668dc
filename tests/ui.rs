//! UI tests: policy sets in, rendered diagnostics out.
//!
//! Each case under `tests/ui/<stage>/` is either one `.policy` file or a
//! directory of them (a multi-file policy set; a `schema.json` in it is
//! loaded with `--schema` semantics). The snapshot holds every source file
//! and the diagnostics rendered without colour. Cases under `tests/ui/ok/`
//! must produce no diagnostic at all. Cases under `tests/ui/build/` are also
//! built, which reads `env()` values (from the case's `environment` file, if
//! any), with the warnings about those values `polc build` shows.
#![allow(clippy::unwrap_used)]

mod common;

use polc::diag::{Code, Diagnostics};
use polc::schema::Schema;
use polc::source::SourceSet;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

struct Case {
    stage: String,
    name: String,
    path: PathBuf,
}

fn cases() -> Vec<Case> {
    let base = common::root().join("tests/ui");
    let mut out = Vec::new();
    let mut stages: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    stages.sort();
    for stage in stages.iter().filter(|p| p.is_dir()) {
        let mut entries: Vec<_> = std::fs::read_dir(stage)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let import = stage.ends_with("import") && path.is_file();
            if import || path.is_dir() || path.extension().is_some_and(|e| e == "policy") {
                out.push(Case {
                    stage: stage.file_name().unwrap().to_string_lossy().into_owned(),
                    name,
                    path,
                });
            }
        }
    }
    out
}

/// Runs an import case: the file, the policy produced and the diagnostics.
fn run_import(case: &Case) -> (String, Vec<Code>, usize) {
    let bytes = std::fs::read(&case.path).unwrap();
    let schema = Schema::builtin();
    let empty = SourceSet::new(Vec::new());
    // As `polc import` does: a file without a setting is refused, with what
    // reading found.
    let (source, diagnostics) = match polc::import::read(&bytes, &schema.file().domain) {
        Ok(imported) => match polc::import::no_setting(&imported, &schema) {
            None => {
                let r = polc::import::to_policy(&imported, "imported", &schema);
                (r.source, r.diagnostics)
            }
            Some(refused) => {
                let mut diagnostics = vec![polc::diag::Diagnostic::new(
                    Code::ImportUnreadable,
                    format!("cannot import: {}", refused.why),
                )];
                diagnostics.extend(refused.diagnostics);
                (String::new(), diagnostics)
            }
        },
        Err(why) => (
            String::new(),
            vec![polc::diag::Diagnostic::new(
                Code::ImportUnreadable,
                format!("cannot import: {why}"),
            )],
        ),
    };
    let mut snap = format!(
        "----- {} (imported)\n",
        case.path.file_name().unwrap().to_string_lossy()
    );
    snap.push_str(&String::from_utf8_lossy(&bytes).replace('\r', ""));
    snap.push_str("----- policy\n");
    snap.push_str(&source);
    snap.push_str("----- diagnostics\n");
    snap.push_str(&polc::render::human(&empty, &diagnostics, false));
    let codes = diagnostics.iter().map(|d| d.code).collect();
    (snap, codes, diagnostics.len())
}

/// Runs one case: (snapshot text, codes reported, number of diagnostics).
fn run(case: &Case) -> (String, Vec<Code>, usize) {
    if case.stage == "import" {
        return run_import(case);
    }
    let (files, host) = if case.path.is_dir() {
        common::load_dir(&case.path)
    } else {
        let name = case
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        (
            vec![(name, std::fs::read(&case.path).unwrap())],
            polc::host::MemoryHost::default(),
        )
    };
    let mut sources = SourceSet::from_tree("", files.clone());
    let schema_path = case.path.join("schema.json");
    let diagnostics = if schema_path.is_file() {
        // The schema file is shown in its own source set, after the policies.
        let text = std::fs::read_to_string(&schema_path).unwrap();
        let mut with_schema = sources.clone();
        let id = with_schema.add("schema.json".into(), text.clone().into_bytes());
        let mut diags = Diagnostics::new();
        match Schema::load(&text, id, &mut diags) {
            Some(schema) => polc::compile(&sources, &schema, &host).diagnostics,
            None => {
                sources = with_schema;
                diags.into_sorted()
            }
        }
    } else {
        let schema = Schema::builtin();
        let c = polc::compile(&sources, &schema, &host);
        let mut diagnostics = c.diagnostics.clone();
        // Build cases are also built, as `polc build` does when the check
        // finds no error (`env()` reads the `environment` file of a
        // directory case, else nothing): what the build finds (errors, and
        // warnings about `env()` values) is sorted with the check's.
        if case.stage == "build" && !c.has_errors() {
            use polc::emit::build::{BuildError, Options, build_with, templates};
            let sink = |_: &[polc::emit::Artifact]| Ok(());
            let found = match build_with(
                &c,
                &schema,
                &host,
                &Options::default(),
                templates(&schema),
                &sink,
            ) {
                Ok(built) => built.warnings,
                Err(BuildError::Diagnostics(found)) => found,
                Err(BuildError::Sink(why)) => panic!("{why}"),
            };
            let mut all = Diagnostics::new();
            all.extend(diagnostics.drain(..).chain(found));
            diagnostics = all.into_sorted();
        }
        diagnostics
    };
    let mut snap = String::new();
    for (name, bytes) in &files {
        let _ = writeln!(snap, "----- {name}");
        snap.push_str(&String::from_utf8_lossy(bytes));
        if !snap.ends_with('\n') {
            snap.push('\n');
        }
    }
    let _ = writeln!(snap, "----- diagnostics");
    snap.push_str(&polc::render::human(&sources, &diagnostics, false));
    let codes = diagnostics.iter().map(|d| d.code).collect();
    (snap, codes, diagnostics.len())
}

#[test]
fn ui_cases() {
    let mut seen: BTreeSet<Code> = BTreeSet::new();
    let cases = cases();
    assert!(cases.len() > 20, "found only {} UI cases", cases.len());
    for case in &cases {
        let (snap, codes, count) = run(case);
        if case.stage == "ok" {
            assert_eq!(count, 0, "ok case {} has diagnostics:\n{snap}", case.name);
        } else {
            assert!(
                count > 0,
                "case {}/{} reports nothing",
                case.stage,
                case.name
            );
        }
        seen.extend(codes);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(common::root().join("tests/ui/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("{}__{}", case.stage, case.name), snap));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes without a UI case: {missing:?}");
}

#[test]
fn every_code_has_an_explain_page() {
    for code in Code::ALL {
        let page = code.explanation();
        let title = format!("# {} {}", code.as_str(), code.name());
        assert!(
            page.starts_with(&title),
            "{} page must start with `{title}`",
            code.as_str()
        );
        for section in [
            "## What it means",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(
                page.contains(section),
                "{} page lacks `{section}`",
                code.as_str()
            );
        }
    }
}

#[test]
fn codes_are_unique() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for code in Code::ALL {
        assert!(
            codes.insert(code.as_str()),
            "duplicate code {}",
            code.as_str()
        );
        assert!(names.insert(code.name()), "duplicate name {}", code.name());
        assert_eq!(Code::parse(code.as_str()), Some(*code));
        assert_eq!(Code::parse(code.name()), Some(*code));
    }
}

/// No snapshot may show a raw grammar rule name.
#[test]
fn no_raw_rule_names_in_messages() {
    for case in cases() {
        let (snap, _, _) = run(&case);
        let diags = snap.split("----- diagnostics").nth(1).unwrap_or("");
        for raw in [
            "EOI",
            "WHITESPACE",
            "kw_",
            "lbrace",
            "rbrace",
            "_lit",
            "Rule::",
        ] {
            assert!(
                !diags.contains(raw),
                "case {}/{} shows `{raw}`:\n{diags}",
                case.stage,
                case.name
            );
        }
    }
}
