//! `polc diff`: effective-configuration and artifact differences between two
//! versions of a policy set, in every format, with exit codes, the `--base`
//! form in a real git repository, and no secret in any output.
#![allow(clippy::unwrap_used)]

mod common;

use polc::diff::{Side, Status};
use polc::host::MemoryHost;
use polc::schema::Schema;
use polc::source::SourceSet;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Values the environment of every `polc diff` run holds: none may appear in
/// any output (diff never reads the environment).
const ENV_SECRETS: [(&str, &str); 4] = [
    ("ACME_US_GATEWAY_KEY", "LEAK-us-gateway-key"),
    ("ACME_US_LLM_KEY", "LEAK-us-llm-key"),
    ("ACME_EU_VERTEX_OAUTH_SECRET", "LEAK-eu-vertex-secret"),
    ("ACME_APAC_BEDROCK_TOKEN", "LEAK-apac-bedrock-token"),
];

/// Literal secrets written in the policies of the fixture.
const LITERALS: [&str; 3] = [
    "sk-old-literal-1111",
    "sk-new-literal-2222",
    "sk-plain-3333",
];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn polc_in(dir: &Path, args: &[&str]) -> Run {
    polc_with(dir, args, &[])
}

fn polc_with(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // Never look for a repository above the test's directories.
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir());
    for (k, v) in ENV_SECRETS {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("LEAK"), "an env() value leaked:\n{text}");
        for literal in LITERALS {
            assert!(!text.contains(literal), "a literal secret leaked:\n{text}");
        }
    }
    run
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-diff-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Replaces `from` (which must be there, once) by `to` in a file.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` in {}",
        file.display()
    );
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

fn append(file: &Path, text: &str) {
    let mut old = std::fs::read_to_string(file).unwrap_or_default();
    old.push_str(text);
    std::fs::write(file, old).unwrap();
}

/// A profile with a literal secret, in both versions (with different
/// literals): the change is detected, the values never shown.
fn legacy(literal: &str) -> String {
    format!(
        "/// Still on a literal key (a warning).\nprofile \"us-legacy\" extends us {{\n  inferenceGatewayApiKey = \"{literal}\"\n}}\n"
    )
}

/// `policies/` with a profile holding a literal secret.
fn old_version(dir: &Path) {
    copy_dir(&common::root().join("policies"), dir);
    append(&dir.join("legacy.policy"), &legacy("sk-old-literal-1111"));
}

/// The changes under review, applied to a copy of the old version:
/// - a region changes a key (`eu`: the Vertex AI region);
/// - a group appends to a list (`sales`: `disabledBuiltinTools += ...`);
/// - a profile is removed (`apac` becomes abstract: no longer deployed);
/// - a profile is added (`us-ops`, with a literal secret);
/// - a secret's environment variable is renamed (`us`);
/// - a meta field changes (`contractors`: `description`);
/// - a literal secret changes (`us-legacy`).
fn modify(dir: &Path) {
    edit(
        &dir.join("regions/eu.policy"),
        "\"europe-west4\"",
        "\"europe-west1\"",
    );
    edit(
        &dir.join("groups/sales.policy"),
        "  coworkEgressAllowedHosts -= \"github.com\"\n",
        "  coworkEgressAllowedHosts -= \"github.com\"\n  disabledBuiltinTools     += \"WebFetch\"\n",
    );
    edit(
        &dir.join("regions/apac.policy"),
        "\nprofile apac extends base {",
        "\nabstract profile apac extends base {",
    );
    append(
        &dir.join("fleet.policy"),
        "\n/// US operations staff: faster updates.\nprofile \"us-ops\" extends us {\n  autoUpdaterEnforcementHours = 24\n  inferenceGatewayApiKey      = \"sk-plain-3333\"\n}\n",
    );
    edit(
        &dir.join("regions/us.policy"),
        "env(\"ACME_US_GATEWAY_KEY\")",
        "env(\"ACME_US_LLM_KEY\")",
    );
    edit(
        &dir.join("groups/contractors.policy"),
        "  inferenceMaxTokensPerWindow = 1000000\n",
        "  inferenceMaxTokensPerWindow = 1000000\n\n  meta { description = \"Acme contractor device (${profile}).\" }\n",
    );
    edit(
        &dir.join("legacy.policy"),
        "sk-old-literal-1111",
        "sk-new-literal-2222",
    );
}

/// Two versions side by side: `old/` and `new/` under a scratch directory.
fn fixture(name: &str) -> PathBuf {
    let dir = scratch(name);
    old_version(&dir.join("old"));
    old_version(&dir.join("new"));
    modify(&dir.join("new"));
    dir
}

fn profile<'a>(diff: &'a Value, name: &str) -> &'a Value {
    diff["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no profile `{name}` in the diff"))
}

#[test]
fn json_lists_every_change_exactly() {
    let dir = fixture("json");
    let run = polc_in(&dir, &["diff", "old", "new", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(diff["changed"], true);

    let statuses: Vec<(String, String)> = diff["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("apac", "removed"),
        ("apac-contractors", "changed"),
        ("apac-sales", "changed"),
        ("eu", "changed"),
        ("eu-contractors", "changed"),
        ("eu-eng", "changed"),
        ("eu-sales", "changed"),
        ("us", "changed"),
        ("us-contractors", "changed"),
        ("us-eng", "changed"),
        ("us-legacy", "changed"),
        ("us-ops", "added"),
        ("us-sales", "changed"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
    .collect();
    assert_eq!(statuses, expected);

    // A key changed in a region.
    assert_eq!(
        profile(&diff, "eu"),
        &json!({
            "name": "eu",
            "status": "changed",
            "keys": [
                { "key": "inferenceVertexRegion", "change": "changed",
                  "before": "europe-west4", "after": "europe-west1" }
            ],
            "meta": []
        })
    );
    // A renamed secret: names only. And a group's `+=`, inherited.
    assert_eq!(
        profile(&diff, "us-sales"),
        &json!({
            "name": "us-sales",
            "status": "changed",
            "keys": [
                { "key": "disabledBuiltinTools", "change": "changed",
                  "before": ["WebSearch"], "after": ["WebSearch", "WebFetch"] },
                { "key": "inferenceGatewayApiKey", "change": "changed",
                  "before": "<env:ACME_US_GATEWAY_KEY>", "after": "<env:ACME_US_LLM_KEY>" }
            ],
            "meta": []
        })
    );
    // A meta field, with `${profile}` bound.
    assert_eq!(
        profile(&diff, "apac-contractors"),
        &json!({
            "name": "apac-contractors",
            "status": "changed",
            "keys": [],
            "meta": [
                { "key": "description", "change": "changed",
                  "before": "Claude Desktop managed configuration for Acme Corp, profile apac-contractors.",
                  "after": "Acme contractor device (apac-contractors)." }
            ]
        })
    );
    // A changed literal secret: detected, never shown.
    assert_eq!(
        profile(&diff, "us-legacy"),
        &json!({
            "name": "us-legacy",
            "status": "changed",
            "keys": [
                { "key": "inferenceGatewayApiKey", "change": "changed",
                  "before": "<redacted>", "after": "<redacted>" }
            ],
            "meta": []
        })
    );
    // An added profile: every key and meta field, redacted.
    let ops = profile(&diff, "us-ops");
    let keys = ops["keys"].as_array().unwrap();
    assert!(
        keys.iter()
            .all(|k| k["change"] == "added" && k.get("before").is_none())
    );
    assert!(keys.contains(
        &json!({ "key": "autoUpdaterEnforcementHours", "change": "added", "after": 24 })
    ));
    assert!(keys.contains(
        &json!({ "key": "inferenceGatewayApiKey", "change": "added", "after": "<redacted>" })
    ));
    assert!(ops["meta"].as_array().unwrap().contains(
        &json!({ "key": "identifier", "change": "added", "after": "com.acme.claude.us-ops" })
    ));
    // A removed profile: every key and meta field.
    let apac = profile(&diff, "apac");
    assert!(apac["keys"].as_array().unwrap().contains(&json!({
        "key": "inferenceBedrockBearerToken", "change": "removed", "before": "<env:ACME_APAC_BEDROCK_TOKEN>"
    })));

    // Artifacts: by path, sorted; the added and removed profiles' whole
    // directories, the manifest, and nothing of unchanged profiles.
    let artifacts = &diff["artifacts"];
    let paths = |what: &str| -> Vec<String> {
        artifacts[what]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    let added = paths("added");
    assert!(!added.is_empty());
    assert!(
        added.iter().all(|p| p.starts_with("profiles/us-ops/")),
        "{added:?}"
    );
    assert!(added.contains(&"profiles/us-ops/us-ops.mobileconfig".to_string()));
    let removed = paths("removed");
    assert!(
        removed.iter().all(|p| p.starts_with("profiles/apac/")),
        "{removed:?}"
    );
    assert_eq!(removed.len(), added.len());
    let changed = paths("changed");
    assert!(changed.contains(&"manifest.json".to_string()));
    assert!(changed.contains(&"profiles/us-legacy/us-legacy.reg".to_string()));
    assert!(changed.contains(&"profiles/eu-eng/egress.txt".to_string()));
    // A group's list change does not touch the allowlist; an unchanged
    // profile has nothing, and neither do the templates.
    assert!(!changed.contains(&"profiles/us-sales/egress.txt".to_string()));
    assert!(!changed.iter().any(|p| p.starts_with("profiles/apac-eng/")));
    assert!(!changed.iter().any(|p| p.starts_with("templates/")));
    for list in [&added, &removed, &changed] {
        let mut sorted = list.clone();
        sorted.sort();
        assert_eq!(&sorted, list);
    }

    insta::assert_snapshot!("diff_json", run.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn human_and_markdown_snapshots() {
    let dir = fixture("text");
    let run = polc_in(&dir, &["diff", "old", "new"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("diff_human", run.stdout);
    let run = polc_in(&dir, &["diff", "old", "new", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!("diff_markdown", run.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn output_is_deterministic() {
    let dir = fixture("determinism");
    for format in ["human", "json", "markdown"] {
        let a = polc_in(&dir, &["diff", "old", "new", "--format", format]);
        let b = polc_in(&dir, &["diff", "old", "new", "--format", format]);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exit_codes() {
    let dir = scratch("exit-codes");
    old_version(&dir.join("a"));
    old_version(&dir.join("b"));
    // Nothing changes: 0, in every format.
    let run = polc_in(&dir, &["diff", "a", "b"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "no changes\n"),
        "{}",
        run.stderr
    );
    let run = polc_in(&dir, &["diff", "a", "b", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&run.stdout).unwrap(),
        json!({ "changed": false, "profiles": [], "artifacts": { "added": [], "removed": [], "changed": [] } })
    );
    let run = polc_in(&dir, &["diff", "a", "b", "--format", "markdown"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "## polc diff: no changes\n")
    );
    // A comment changes nothing: still 0.
    append(&dir.join("b/base.policy"), "// a comment\n");
    assert_eq!(polc_in(&dir, &["diff", "a", "b"]).code, 0);
    // Something changes: 1.
    edit(&dir.join("b/base.policy"), "= 48", "= 24");
    let run = polc_in(&dir, &["diff", "a", "b"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("~ autoUpdaterEnforcementHours: 48 → 24"),
        "{}",
        run.stdout
    );
    // Usage and I/O errors: 2.
    let run = polc_in(&dir, &["diff", "a", "no-such-dir"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read `no-such-dir`"),
        "{}",
        run.stderr
    );
    let run = polc_in(&dir, &["diff", "a"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("takes two policy sets"),
        "{}",
        run.stderr
    );
    let run = polc_in(&dir, &["diff", "a", "b", "c"]);
    assert_eq!(run.code, 2);
    let run = polc_in(&dir, &["diff", "a", "b", "--format", "yaml"]);
    assert_eq!(run.code, 2);
    let run = polc_in(&dir, &["diff", "--base", "HEAD", "a", "b"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("at most one PATH"), "{}", run.stderr);
    // Not in a git repository.
    let run = polc_in(&dir, &["diff", "--base", "HEAD", "a"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not in a git repository"),
        "{}",
        run.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_version_with_errors_is_compared_and_exits_one() {
    let dir = scratch("broken");
    old_version(&dir.join("a"));
    old_version(&dir.join("b"));
    // A syntax error drops one file; an unknown key is reported and skipped.
    append(&dir.join("b/groups/sales.policy"), "profile broken {\n");
    edit(
        &dir.join("b/regions/eu.policy"),
        "  disableEssentialTelemetry = true\n",
        "  disableEssentialTelemetry = true\n  inferenceVertexRegon = \"x\"\n",
    );
    let run = polc_in(&dir, &["diff", "a", "b"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[S0001]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("b/groups/sales.policy"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error[C0201]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("note: the new version has errors"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("old version"), "{}", run.stderr);
    // The sales profiles lost their group (its file did not parse); the
    // unknown key is in eu's configuration (as `show` lists it), though no
    // artifact carries it.
    assert!(run.stdout.contains("~ profile us-sales"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("~ profile eu\n    + inferenceVertexRegon = \"x\"\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("    ~ profiles/eu/"), "{}", run.stdout);
    // Only errors are printed, not warnings (like `show`).
    assert!(!run.stderr.contains("warning["), "{}", run.stderr);
    // Identical broken versions: nothing differs, but still 1.
    let run = polc_in(&dir, &["diff", "b", "b"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "no changes\n");
    let _ = std::fs::remove_dir_all(&dir);
}

fn have_git() -> bool {
    common::require("git", common::have_command("git"))
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "polc test")
        .env("GIT_AUTHOR_EMAIL", "polc@example.com")
        .env("GIT_COMMITTER_NAME", "polc test")
        .env("GIT_COMMITTER_EMAIL", "polc@example.com")
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose last commit holds the old version in `policies/`.
fn repository(name: &str) -> PathBuf {
    let repo = scratch(name);
    git(&repo, &["init", "-q"]);
    old_version(&repo.join("policies"));
    std::fs::write(repo.join("README"), "not a policy\n").unwrap();
    git(&repo, &["add", "."]);
    git(
        &repo,
        &["commit", "-q", "--no-gpg-sign", "-m", "old version"],
    );
    repo
}

#[test]
fn base_compares_the_working_tree_with_a_revision() {
    if !have_git() {
        return;
    }
    let repo = repository("git-base");
    // Unchanged working tree: 0.
    let run = polc_in(&repo, &["diff", "--base", "HEAD"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "no changes\n"),
        "{}",
        run.stderr
    );

    // The same changes as the OLD NEW fixture give the same diff, in every
    // form: the default path (`policies`), an explicit one, from a
    // subdirectory, and against a branch name.
    modify(&repo.join("policies"));
    let dirs = fixture("git-base-dirs");
    for format in ["human", "json", "markdown"] {
        let expected = polc_in(&dirs, &["diff", "old", "new", "--format", format]);
        for (cwd, args) in [
            (
                repo.clone(),
                vec!["diff", "--base", "HEAD", "--format", format],
            ),
            (
                repo.clone(),
                vec!["diff", "--base", "HEAD", "policies", "--format", format],
            ),
            (
                repo.join("policies/groups"),
                vec!["diff", "--base", "HEAD", "..", "--format", format],
            ),
        ] {
            let run = polc_in(&cwd, &args);
            assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
            assert_eq!(run.stdout, expected.stdout, "{args:?}");
        }
    }

    // One file: the policy set of that file alone (the rest of its directory
    // is still there for file()).
    let run = polc_in(
        &repo,
        &["diff", "--base", "HEAD", "policies/regions/eu.policy"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("~ profile eu\n    ~ inferenceVertexRegion"),
        "{}",
        run.stdout
    );

    // Errors: an unknown revision, a path the revision does not have.
    let run = polc_in(&repo, &["diff", "--base", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("error: `no-such-branch` is not a commit of the git repository"),
        "{}",
        run.stderr
    );
    let run = polc_in(&repo, &["diff", "--base", "--upload-pack=x"]);
    assert_eq!(run.code, 2);
    std::fs::create_dir_all(repo.join("more")).unwrap();
    std::fs::write(repo.join("more/x.policy"), "abstract profile x {}\n").unwrap();
    let run = polc_in(&repo, &["diff", "--base", "HEAD", "more"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`HEAD:more` does not exist"),
        "{}",
        run.stderr
    );
    let _ = std::fs::remove_dir_all(&repo);
    let _ = std::fs::remove_dir_all(&dirs);
}

#[test]
fn base_names_the_revisions_files_in_diagnostics() {
    if !have_git() {
        return;
    }
    let repo = repository("git-names");
    // Commit a broken version, then fix it in the working tree.
    edit(
        &repo.join("policies/regions/eu.policy"),
        "  disableEssentialTelemetry = true\n",
        "  disableEssentialTelemetry = 1\n",
    );
    git(&repo, &["commit", "-q", "--no-gpg-sign", "-am", "broken"]);
    git(&repo, &["tag", "broken"]);
    edit(
        &repo.join("policies/regions/eu.policy"),
        "  disableEssentialTelemetry = 1\n",
        "  disableEssentialTelemetry = true\n",
    );
    let run = polc_in(&repo, &["diff", "--base", "broken"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("┌─ broken:policies/regions/eu.policy:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("note: the old version has errors"),
        "{}",
        run.stderr
    );
    // HEAD~1 is the old version, which is what the working tree is again;
    // the copy of the revision in the temporary directory is gone afterwards.
    let tmp = scratch("git-names-tmp");
    let run = polc_with(&repo, &["diff", "--base", "HEAD~1"], &[("TMPDIR", &tmp)]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "no changes\n"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_dir_all(&repo);
}

fn compile(files: &[(&str, &str)]) -> polc::Compilation {
    let sources = SourceSet::new(
        files
            .iter()
            .map(|(n, t)| ((*n).to_string(), t.as_bytes().to_vec()))
            .collect(),
    );
    polc::compile(&sources, &Schema::builtin(), &MemoryHost::default())
}

#[test]
fn abstract_and_unresolved_profiles() {
    let schema = Schema::builtin();
    let old = compile(&[(
        "a.policy",
        "abstract profile base { chatTabEnabled = true }\nprofile x extends base {}\nprofile loop1 {}\nprofile gone {}\n",
    )]);
    let new = compile(&[(
        "a.policy",
        "profile base { chatTabEnabled = true }\nabstract profile x extends base {}\nprofile loop1 extends loop2 {}\nprofile loop2 extends loop1 {}\n",
    )]);
    let diff = polc::diff::diff(&old, &new, &schema);
    let statuses: Vec<(&str, Status)> = diff
        .profiles
        .iter()
        .map(|p| (p.name.as_str(), p.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("base", Status::Added),
            ("gone", Status::Removed),
            ("loop1", Status::Unresolved(Side::New)),
            ("loop2", Status::Unresolved(Side::New)),
            ("x", Status::Removed),
        ]
    );
    assert!(diff.has_changes());
    let text = diff.to_text();
    assert!(
        text.contains("! profile loop1: not compared (its configuration could not be computed in the new version)"),
        "{text}"
    );
    assert_eq!(
        diff.to_json()["profiles"][2],
        json!({ "name": "loop1", "status": "unresolved", "unresolved_in": "new", "keys": [], "meta": [] })
    );
    let md = diff.to_markdown();
    assert!(md.contains("Removed profiles: `gone`, `x`."), "{md}");
    assert!(
        md.contains("Not compared (the configuration could not be computed): `loop1`, `loop2`."),
        "{md}"
    );
}

#[test]
fn markdown_escapes_and_shortens_values() {
    let schema = Schema::builtin();
    let long_old = format!("{}|old", "x".repeat(150));
    let long_new = format!("{}|new", "x".repeat(150));
    let policy = |text: &str| {
        format!(
            "profile p {{\n  deploymentDisplayName = \"a|b`c\"\n  organizationInstructions = \"{text}\"\n}}\n"
        )
    };
    let old = compile(&[("a.policy", &policy(&long_old))]);
    let new_text = policy(&long_new).replace("a|b`c", "a|b`d");
    let new = compile(&[("a.policy", &new_text)]);
    let md = polc::diff::diff(&old, &new, &schema).to_markdown();
    assert!(
        md.contains("| `deploymentDisplayName` | ``\"a\\|b`c\"`` | ``\"a\\|b`d\"`` |"),
        "{md}"
    );
    // Shortened around the difference, which stays visible.
    let row = md
        .lines()
        .find(|l| l.starts_with("| `organizationInstructions`"))
        .unwrap();
    assert!(row.contains("\\|old\"`"), "{row}");
    assert!(row.contains("\\|new\"`"), "{row}");
    assert!(row.contains("`…x"), "{row}");
    assert!(
        md.contains("_Values longer than 100 characters are shortened"),
        "{md}"
    );
}

/// A server whose OAuth client secret is written in the policy and a
/// server with an `env()` header, the one whose field comes first first
/// (Markdown shortens long values: what a test looks for must come early).
fn servers(client_secret: &str, header_first: bool) -> String {
    let secret = format!(
        "    {{\n      oauth = {{ clientSecret = \"{client_secret}\", clientId = \"id\", authorizationServer = [\"https://account.box.com\"] }}\n      name = \"box\", transport = \"http\", url = \"https://mcp.example.com/box\"\n    }},\n"
    );
    let header = "    {\n      headers = { Authorization = env(\"HDR_TOKEN\") }\n      name = \"wiki\", transport = \"http\", url = \"https://mcp.example.com/wiki\"\n    },\n";
    let (a, b) = if header_first {
        (header, secret.as_str())
    } else {
        (secret.as_str(), header)
    };
    format!("  managedMcpServers = [\n{a}{b}  ]\n")
}

fn lit_profile(name: &str, body: &str) -> String {
    format!(
        "profile {name} {{\n  meta {{ identifier = \"com.example.{name}\" }}\n  inferenceProvider = \"gateway\"\n  inferenceGatewayBaseUrl = \"https://llm.example.com\"\n  inferenceGatewayApiKey = env(\"K\")\n{body}}}\n"
    )
}

/// Secret fields inside values, and `env()` values inside objects, never
/// appear in any format: a changed nested secret is detected, not shown; an
/// added profile shows its nested secrets redacted.
#[test]
fn nested_secrets_are_never_shown() {
    const NESTED: [&str; 3] = [
        "NESTED-OLD-SECRET-4444",
        "NESTED-NEW-SECRET-5555",
        "NESTED-ADDED-SECRET-6666",
    ];
    let dir = scratch("nested");
    std::fs::create_dir_all(dir.join("old")).unwrap();
    std::fs::create_dir_all(dir.join("new")).unwrap();
    std::fs::write(
        dir.join("old/lit.policy"),
        lit_profile("lit", &servers(NESTED[0], false)),
    )
    .unwrap();
    std::fs::write(
        dir.join("new/lit.policy"),
        lit_profile("lit", &servers(NESTED[1], false))
            + &lit_profile("added", &servers(NESTED[2], true)),
    )
    .unwrap();
    let env = [("HDR_TOKEN", Path::new("LEAK-header-token"))];
    for format in ["human", "json", "markdown"] {
        let run = polc_with(&dir, &["diff", "old", "new", "--format", format], &env);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        for text in [&run.stdout, &run.stderr] {
            for secret in NESTED {
                assert!(!text.contains(secret), "{format} shows {secret}:\n{text}");
            }
        }
        assert!(
            run.stdout.contains("<redacted>"),
            "{format}:\n{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("<env:HDR_TOKEN>"),
            "{format}:\n{}",
            run.stdout
        );
        if format != "json" {
            // Only the secret changed in `lit`: both sides show the same.
            assert!(
                run.stdout.contains("changed, not shown"),
                "{format}:\n{}",
                run.stdout
            );
        }
        // The artifacts that carry the secret change, by path only.
        assert!(
            run.stdout.contains("profiles/lit/managed-settings.json"),
            "{format}:\n{}",
            run.stdout
        );
    }
    let run = polc_with(&dir, &["diff", "old", "new", "--format", "json"], &env);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    let lit = profile(&diff, "lit");
    assert_eq!(lit["keys"].as_array().unwrap().len(), 1, "{lit}");
    let change = &lit["keys"][0];
    assert_eq!(change["key"], "managedMcpServers");
    assert_eq!(change["before"], change["after"]);
    assert_eq!(change["after"][0]["oauth"]["clientSecret"], "<redacted>");
    assert_eq!(change["after"][0]["oauth"]["clientId"], "id");
    assert_eq!(
        change["after"][1]["headers"]["Authorization"],
        "<env:HDR_TOKEN>"
    );
    let added = profile(&diff, "added");
    assert_eq!(added["status"], "added");
    let servers = added["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "managedMcpServers")
        .unwrap();
    assert_eq!(servers["after"][1]["oauth"]["clientSecret"], "<redacted>");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Artifacts are compared when values with a type (an enum, a URL, a UUID)
/// come from `env()`: the `<env:NAME>` stand-ins of a diff build are not
/// the values, so they are not checked as values (they used to fail as
/// B0403, and the artifacts were "not compared").
#[test]
fn typed_env_values_do_not_stop_artifact_comparison() {
    let schema = Schema::builtin();
    let policy = |shown: &str| {
        format!(
            "profile p {{\n  meta {{ identifier = \"com.example.p\" }}\n  deploymentDisplayName = \"{shown}\"\n  inferenceProvider = env(\"P\")\n  inferenceGatewayBaseUrl = env(\"URL\")\n  deploymentOrganizationUuid = env(\"ORG\")\n}}\n"
        )
    };
    let old = compile(&[("a.policy", &policy("Old"))]);
    let new = compile(&[("a.policy", &policy("New"))]);
    assert!(!old.has_errors() && !new.has_errors());
    let diff = polc::diff::diff(&old, &new, &schema);
    let artifacts = diff.artifacts.as_ref().unwrap();
    assert_eq!(artifacts.added, Vec::<String>::new());
    assert_eq!(artifacts.removed, Vec::<String>::new());
    assert_eq!(
        artifacts.changed,
        [
            "manifest.json",
            "profiles/p/bootstrap.json",
            "profiles/p/config-library/15d18419-6ed8-5de4-8efe-a611a0c4d23e.json",
            "profiles/p/managed-settings.json",
            "profiles/p/p.mobileconfig",
            "profiles/p/p.reg",
        ]
    );
}

/// A URL's password (an error, C0206, on both sides) never appears in any
/// format, on stdout or in the diagnostics on stderr: the URL is shown with
/// `<redacted>` in its place, and a changed password is detected, not shown.
#[test]
fn url_passwords_are_never_shown() {
    const PASSWORDS: [&str; 2] = ["URL-OLD-PASSWORD-7777", "URL-NEW-PASSWORD-8888"];
    let dir = scratch("url-passwords");
    for (side, password) in [("old", PASSWORDS[0]), ("new", PASSWORDS[1])] {
        std::fs::create_dir_all(dir.join(side)).unwrap();
        std::fs::write(
            dir.join(side).join("p.policy"),
            lit_profile(
                "lit",
                &format!("  otlpEndpoint = \"https://otel:{password}@otel.example:4318\"\n"),
            ),
        )
        .unwrap();
    }
    for format in ["human", "json", "markdown"] {
        let run = polc_in(&dir, &["diff", "old", "new", "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        for text in [&run.stdout, &run.stderr] {
            for password in PASSWORDS {
                assert!(
                    !text.contains(password),
                    "{format} shows {password}:\n{text}"
                );
            }
        }
        assert!(run.stderr.contains("C0206"), "{}", run.stderr);
        if format != "json" {
            assert!(
                run.stdout.contains("changed, not shown"),
                "{format}:\n{}",
                run.stdout
            );
        }
    }
    let run = polc_in(&dir, &["diff", "old", "new", "--format", "json"]);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        profile(&diff, "lit")["keys"],
        json!([{
            "key": "otlpEndpoint",
            "change": "changed",
            "before": "https://otel:<redacted>@otel.example:4318",
            "after": "https://otel:<redacted>@otel.example:4318"
        }])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
