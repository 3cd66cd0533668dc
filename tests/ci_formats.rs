//! Diagnostics for CI systems: SARIF 2.1.0 (validated against the official
//! JSON schema) and GitHub workflow-command annotations.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

fn polc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(common::root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The SARIF 2.1.0 JSON schema, which `.ci/run` fetches from the npm
/// registry (package `@microsoft/jest-sarif`) and names in `POLC_SARIF_SCHEMA`.
fn sarif_schema() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("POLC_SARIF_SCHEMA").map(std::path::PathBuf::from);
    let present = path.as_ref().is_some_and(|p| p.is_file());
    common::require("SARIF 2.1.0 schema (POLC_SARIF_SCHEMA)", present).then(|| path.unwrap())
}

#[test]
fn sarif_is_valid_and_complete() {
    let (code, stdout) = polc(&["check", "examples/mistakes", "--format", "sarif"]);
    assert_eq!(code, 1);
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), polc::diag::Code::ALL.len());
    let (_, json) = polc(&["check", "examples/mistakes", "--format", "json"]);
    let diagnostics: serde_json::Value = serde_json::from_str(&json).unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diagnostics.as_array().unwrap().len());
    for (r, d) in results.iter().zip(diagnostics.as_array().unwrap()) {
        assert_eq!(r["ruleId"], d["code"]);
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], d["code"]);
        let primary = d["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["primary"] == true)
            .unwrap();
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], primary["line"]);
        assert_eq!(region["startColumn"], primary["column"]);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            primary["file"]
        );
    }
    if let Some(schema) = sarif_schema() {
        let dir = std::env::temp_dir().join(format!("polc-sarif-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("polc.sarif");
        std::fs::write(&file, &stdout).unwrap();
        assert!(common::require(
            "check-jsonschema",
            common::python_has("python3", "check_jsonschema")
        ));
        // The schema's own language-tag pattern is not a valid ECMAScript
        // regex, so its patterns are read as Python regexes.
        let o = Command::new("python3")
            .args([
                "-m",
                "check_jsonschema",
                "--regex-variant",
                "python",
                "--schemafile",
            ])
            .arg(&schema)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        // A broken log is rejected, so the check above can fail.
        let mut broken = log.clone();
        broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
        std::fs::write(&file, broken.to_string()).unwrap();
        let o = Command::new("python3")
            .args([
                "-m",
                "check_jsonschema",
                "--regex-variant",
                "python",
                "--schemafile",
            ])
            .arg(&schema)
            .arg(&file)
            .output()
            .unwrap();
        assert!(!o.status.success());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn github_annotations() {
    let (code, stdout) = polc(&["check", "examples/mistakes", "--format", "github"]);
    assert_eq!(code, 1);
    for line in stdout.lines() {
        assert!(
            line.starts_with("::error file=examples/mistakes/")
                || line.starts_with("::warning file=examples/mistakes/"),
            "{line}"
        );
        assert!(!line.contains('\r'));
    }
    insta::assert_snapshot!("github_mistakes", stdout);
}

#[test]
fn github_escaping() {
    let sources =
        polc::source::SourceSet::new(vec![("a,b:c%.policy".into(), b"profile p {}\n".to_vec())]);
    let d = polc::diag::Diagnostic::new(polc::diag::Code::UnknownKey, "100% wrong\nsecond line")
        .primary(polc::span::Span::new(polc::source::FileId(0), 8, 9), "here")
        .help("a: b, c");
    let out = polc::render::github(&sources, &[d]);
    assert_eq!(
        out,
        "::error file=a%2Cb%3Ac%25.policy,line=1,col=9,endLine=1,endColumn=10,title=C0201 unknown-key::100%25 wrong%0Asecond line%0Ahelp: a: b, c\n"
    );
}
