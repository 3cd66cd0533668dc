//! The `polc` binary: exit codes, streams and formats.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

fn polc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .env_remove("ACME_US_GATEWAY_KEY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn check_policies_exits_zero() {
    let (code, stdout, stderr) = polc(&["check", "policies"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.ends_with("no problems found\n") || !stderr.contains("error["),
        "{stderr}"
    );
}

#[test]
fn check_defaults_to_policies_dir() {
    let (code, _, stderr) = polc(&["check"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn check_mistakes_exits_one_with_diagnostics() {
    let (code, stdout, stderr) = polc(&["check", "examples/mistakes"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    insta::assert_snapshot!("check_mistakes_human", stderr);
}

#[test]
fn check_json_format() {
    let (code, stdout, _) = polc(&["check", "examples/mistakes", "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let items = v.as_array().unwrap();
    assert!(!items.is_empty());
    for d in items {
        for field in ["code", "severity", "message", "help", "labels"] {
            assert!(d.get(field).is_some(), "missing {field} in {d}");
        }
        for l in d["labels"].as_array().unwrap() {
            for field in [
                "file",
                "line",
                "column",
                "end_line",
                "end_column",
                "message",
                "primary",
            ] {
                assert!(l.get(field).is_some(), "missing {field} in {l}");
            }
            assert!(
                l["file"]
                    .as_str()
                    .unwrap()
                    .starts_with("examples/mistakes/")
            );
            assert!(l["line"].as_u64().unwrap() >= 1);
            assert!(l["column"].as_u64().unwrap() >= 1);
        }
    }
    insta::assert_snapshot!("check_mistakes_json", stdout);
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let dir = common::root().join("tests/ui/lint/suspicious-combination.policy");
    let path = dir.to_str().unwrap();
    let (code, _, _) = polc(&["check", path]);
    assert_eq!(code, 0);
    let (code, _, _) = polc(&["check", path, "--deny-warnings"]);
    assert_eq!(code, 1);
}

#[test]
fn usage_and_io_errors_exit_two() {
    let (code, _, stderr) = polc(&["check", "no/such/dir"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read `no/such/dir`"), "{stderr}");
    let (code, _, _) = polc(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = polc(&["explain", "Z9999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown diagnostic code"), "{stderr}");
    let (code, _, stderr) = polc(&["show", "no-such-profile"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no profile named `no-such-profile`"),
        "{stderr}"
    );
}

#[test]
fn broken_schema_file_is_reported() {
    let schema = common::root().join("tests/ui/schema/broken-json/schema.json");
    let (code, _, stderr) = polc(&["check", "policies", "--schema", schema.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("X0901"), "{stderr}");
}

#[test]
fn show_human_and_json() {
    let (code, stdout, stderr) = polc(&["show", "eu-eng"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("show_eu_eng", stdout);
    let (code, stdout, _) = polc(&["show", "eu-eng", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["inferenceProvider"], "vertex");
    insta::assert_snapshot!("show_eu_eng_json", stdout);
}

#[test]
fn trace_shows_provenance() {
    let (code, stdout, stderr) = polc(&["trace", "eu-contractors", "managedMcpServers"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("trace_eu_contractors_mcp", stdout);
}

#[test]
fn trace_refuses_a_key_nothing_knows() {
    let (code, _, stderr) = polc(&["trace", "us", "inferenceGatewayBaseURL"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no key `inferenceGatewayBaseURL` in the schema, and no profile sets it (did you mean `inferenceGatewayBaseUrl`?)"),
        "{stderr}"
    );
    let (code, _, stderr) = polc(&["trace", "us", "identifier"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("(did you mean `meta.identifier`?)"),
        "{stderr}"
    );
    // A key the schema knows is traced even where no profile sets it.
    let (code, stdout, stderr) = polc(&["trace", "us", "otlpEndpoint"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("otlpEndpoint in profile us"), "{stdout}");
    let (code, _, stderr) = polc(&["trace", "us", "meta.identifier"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn explain_every_code() {
    for c in polc::diag::Code::ALL {
        let (code, stdout, _) = polc(&["explain", c.as_str()]);
        assert_eq!(code, 0);
        assert_eq!(stdout, c.explanation());
    }
    let (code, stdout, _) = polc(&["explain", "unknown-key"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("# C0201 unknown-key"));
}

#[test]
fn schema_lists_and_documents_keys() {
    let (code, stdout, _) = polc(&["schema"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("inferenceGatewayBaseUrl"));
    let (code, stdout, _) = polc(&["schema", "autoUpdaterEnforcementHours"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("an integer from 1 to 72"), "{stdout}");
    let (code, stdout, _) = polc(&["schema", "relaunchEnforcementHours"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains(
            "\nsince:         1.40609.0\nmanaged since: 1.46388.1 (earlier versions read it only from a bootstrap response)\n"
        ),
        "{stdout}"
    );
    let (code, stdout, _) = polc(&["schema", "inferenceGatewayBaseUrl"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains(
            "\norigin pinned: a served value must share the origin of bootstrapUrl unless bootstrapOidc is set\n"
        ),
        "{stdout}"
    );
    let (code, _, stderr) = polc(&["schema", "inferenceGatewayBaseURL"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("did you mean `inferenceGatewayBaseUrl`?"),
        "{stderr}"
    );
}

#[test]
fn import_writes_formatted_source_under_a_valid_name() {
    let file = "tests/ui/import/mixed.reg";
    let (code, stdout, stderr) = polc(&["import", file, "--name", "abstract"]);
    assert!(code <= 1, "{stderr}");
    // A reserved word is quoted, so the source parses.
    assert!(stdout.contains("profile \"abstract\" {"), "{stdout}");
    // As `polc fmt` would lay it out.
    assert_eq!(polc::syntax::format_source(&stdout).unwrap(), stdout);
    let (code, _, stderr) = polc(&["import", file, "--name", "my profile"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`my profile` is not a valid profile name"),
        "{stderr}"
    );
}

#[test]
fn import_refuses_a_file_without_settings() {
    let dir = std::env::temp_dir().join(format!("polc-cli-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("manifest.json");
    std::fs::write(&file, br#"{"artifacts": []}"#).unwrap();
    let (code, stdout, stderr) = polc(&["import", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("it holds no setting of the schema"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A URL with credentials written as a template (`${profile}` in it) is
/// reported (C0206) and its password appears nowhere in `polc check`'s
/// output, in either format.
#[test]
fn check_masks_the_password_of_a_templated_url() {
    let case = "tests/ui/check/credentials-in-template.policy";
    for format in ["human", "json"] {
        let (code, stdout, stderr) = polc(&["check", "--format", format, case]);
        assert_eq!(code, 1, "{format}: {stderr}");
        let out = format!("{stdout}{stderr}");
        assert_eq!(out.matches("C0206").count(), 3, "{format}:\n{out}");
        for password in ["hunter2", "pw-SECRET", "ftp-SECRET"] {
            assert!(!out.contains(password), "{format} shows {password}:\n{out}");
        }
    }
}

/// A password that breaks its URL (`https://u:pa/ss@host`) is masked in
/// `check`'s messages and quoted lines and in `show`.
#[test]
fn a_password_that_breaks_its_url_is_never_printed() {
    let case = "tests/ui/check/credentials-in-broken-url.policy";
    for format in ["human", "json"] {
        let (code, stdout, stderr) = polc(&["check", "--format", format, case]);
        assert_eq!(code, 1, "{format}: {stderr}");
        let out = format!("{stdout}{stderr}");
        assert_eq!(out.matches("C0206").count(), 2, "{format}:\n{out}");
        for password in ["pa/ss-SECRET", "SECRET2"] {
            assert!(!out.contains(password), "{format} shows {password}:\n{out}");
        }
        let (_, stdout, stderr) = polc(&["show", "p", "--path", case, "--format", format]);
        let out = format!("{stdout}{stderr}");
        assert!(
            out.contains("https://<redacted>@otel.example.com"),
            "{format}:\n{out}"
        );
        assert!(
            out.contains("https://boot.example.com:8443/@team/config"),
            "{format}:\n{out}"
        );
        for password in ["pa/ss-SECRET", "SECRET2"] {
            assert!(
                !out.contains(password),
                "show {format} shows {password}:\n{out}"
            );
        }
    }
}

/// Header names that differ only in case are one header (C0210); the
/// values of a secret header map stay out of `polc check`'s output.
#[test]
fn check_reports_a_header_set_twice_without_its_secret_values() {
    let case = "tests/ui/check/duplicate-header.policy";
    for format in ["human", "json"] {
        let (code, stdout, stderr) = polc(&["check", "--format", format, case]);
        assert_eq!(code, 1, "{format}: {stderr}");
        let out = format!("{stdout}{stderr}");
        assert!(
            out.contains("`bootstrapHeaders` sets one header twice: `X-Api-Key` and `x-api-key`"),
            "{format}:\n{out}"
        );
        assert_eq!(out.matches("C0210").count(), 4, "{format}:\n{out}");
        for secret in ["HDR-SECRET-1", "HDR-SECRET-2"] {
            assert!(!out.contains(secret), "{format} shows {secret}:\n{out}");
        }
    }
}
