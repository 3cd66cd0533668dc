//! The pre-commit integration, with the real `pre-commit` tool: a commit
//! that breaks the policy set is rejected with the diagnostic, a clean one
//! passes. pre-commit builds polc from this repository (`language: rust`).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "polc test")
        .env("GIT_AUTHOR_EMAIL", "polc@example.invalid")
        .env("GIT_COMMITTER_NAME", "polc test")
        .env("GIT_COMMITTER_EMAIL", "polc@example.invalid")
        .output()
        .unwrap()
}

#[test]
fn pre_commit_rejects_a_broken_policy_set() {
    let have = common::have_command("git") && common::python_has("python3", "pre_commit");
    if !common::require("pre-commit (PyPI) and git", have) {
        return;
    }
    // A snapshot of this repository as the hook source (pre-commit clones it
    // at a commit, so the working tree's hook definition is what is tested).
    let base = std::env::temp_dir().join(format!("polc-precommit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let hooks_repo = base.join("polc");
    let user_repo = base.join("fleet");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    std::fs::create_dir_all(user_repo.join("policies")).unwrap();
    let root = common::root();
    let status = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    for rel in status.stdout.split(|b| *b == 0).filter(|s| !s.is_empty()) {
        let rel = std::str::from_utf8(rel).unwrap();
        let from = root.join(rel);
        if !from.is_file() {
            continue;
        }
        let to = hooks_repo.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(&hooks_repo, &["init", "-q"]);
    git(&hooks_repo, &["add", "-A"]);
    assert!(
        git(&hooks_repo, &["commit", "-q", "-m", "polc"])
            .status
            .success()
    );
    let rev = String::from_utf8(git(&hooks_repo, &["rev-parse", "HEAD"]).stdout)
        .unwrap()
        .trim()
        .to_string();

    // The user's repository: a clean policy set and a pre-commit config.
    git(&user_repo, &["init", "-q"]);
    std::fs::write(
        user_repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: polc-check\n      - id: polc-fmt\n",
            hooks_repo.display()
        ),
    )
    .unwrap();
    std::fs::write(
        user_repo.join("policies/us.policy"),
        "profile us {\n  inferenceProvider       = \"gateway\"\n  inferenceGatewayBaseUrl = \"https://llm.us.acme.example\"\n  inferenceGatewayApiKey  = env(\"ACME_KEY\")\n  meta {\n    identifier = \"com.acme.claude.us\"\n  }\n}\n",
    )
    .unwrap();
    let precommit = |args: &[&str]| {
        Command::new("python3")
            .args(["-m", "pre_commit"])
            .args(args)
            .current_dir(&user_repo)
            .env("PRE_COMMIT_HOME", base.join("cache"))
            // Reuse one build directory across runs.
            .env("CARGO_TARGET_DIR", root.join("target/pre-commit"))
            .env("GIT_AUTHOR_NAME", "polc test")
            .env("GIT_AUTHOR_EMAIL", "polc@example.invalid")
            .env("GIT_COMMITTER_NAME", "polc test")
            .env("GIT_COMMITTER_EMAIL", "polc@example.invalid")
            .output()
            .unwrap()
    };
    let o = precommit(&["install"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    git(&user_repo, &["add", "-A"]);
    let clean = git(&user_repo, &["commit", "-m", "clean policies"]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&clean.stdout),
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(
        clean.status.success(),
        "the clean commit was rejected:\n{log}"
    );
    assert!(log.contains("polc check"), "{log}");

    // A misspelt key: the commit is rejected with the diagnostic.
    std::fs::write(
        user_repo.join("policies/us.policy"),
        "profile us {\n  inferenceProvider       = \"gateway\"\n  inferenceGatewayBaseURL = \"https://llm.us.acme.example\"\n  inferenceGatewayApiKey  = env(\"ACME_KEY\")\n  meta { identifier = \"com.acme.claude.us\" }\n}\n",
    )
    .unwrap();
    git(&user_repo, &["add", "-A"]);
    let broken = git(&user_repo, &["commit", "-m", "typo"]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&broken.stdout),
        String::from_utf8_lossy(&broken.stderr)
    );
    assert!(
        !broken.status.success(),
        "the broken commit was accepted:\n{log}"
    );
    assert!(log.contains("C0201"), "{log}");
    assert!(
        log.contains("did you mean `inferenceGatewayBaseUrl`?"),
        "{log}"
    );
    let head = String::from_utf8(git(&user_repo, &["log", "--format=%s"]).stdout).unwrap();
    assert_eq!(head.trim(), "clean policies");

    // A badly laid out (but correct) file: polc-fmt rewrites it and stops
    // the commit; the rewritten file then commits.
    let messy = "profile us {\n    inferenceProvider = \"gateway\"\n  inferenceGatewayBaseUrl=\"https://llm.us.acme.example\"\n  inferenceGatewayApiKey = env(\"ACME_KEY\")\n disableAutoUpdates=false\n  meta { identifier = \"com.acme.claude.us\" }\n}\n";
    std::fs::write(user_repo.join("policies/us.policy"), messy).unwrap();
    git(&user_repo, &["add", "-A"]);
    let unformatted = git(&user_repo, &["commit", "-m", "messy"]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&unformatted.stdout),
        String::from_utf8_lossy(&unformatted.stderr)
    );
    assert!(
        !unformatted.status.success(),
        "the unformatted commit was accepted:\n{log}"
    );
    assert!(log.contains("files were modified by this hook"), "{log}");
    let rewritten = std::fs::read_to_string(user_repo.join("policies/us.policy")).unwrap();
    assert_ne!(rewritten, messy);
    assert!(
        rewritten.contains("  inferenceGatewayBaseUrl = \"https://llm.us.acme.example\""),
        "{rewritten}"
    );
    git(&user_repo, &["add", "-A"]);
    let again = git(&user_repo, &["commit", "-m", "formatted"]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(again.status.success(), "{log}");
    std::fs::remove_dir_all(&base).unwrap();
}
