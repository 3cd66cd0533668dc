//! `polc build`: the artifact tree, its manifest, determinism and atomic
//! writes; `polc egress`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

fn polc(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
    cmd.args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1");
    for name in [
        "ACME_US_GATEWAY_KEY",
        "ACME_EU_VERTEX_OAUTH_SECRET",
        "ACME_APAC_BEDROCK_TOKEN",
    ] {
        cmd.env_remove(name);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn secrets() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ACME_US_GATEWAY_KEY", "fake-us-key"),
        ("ACME_EU_VERTEX_OAUTH_SECRET", "fake-eu-secret"),
        ("ACME_APAC_BEDROCK_TOKEN", "fake-apac-token"),
    ]
}

/// The names of the entries of a directory (the output and anything a
/// build might leave beside it).
fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    common::read_tree(dir)
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-build-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn build_is_byte_identical_across_runs() {
    let base = temp("twice");
    let (a, b) = (base.join("a"), base.join("b"));
    let env = secrets();
    let (code, _, stderr) = polc(&["build", "policies", "-o", a.to_str().unwrap()], &env);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, _) = polc(&["build", "policies", "-o", b.to_str().unwrap()], &env);
    assert_eq!(code, 0);
    let (ta, tb) = (tree(&a), tree(&b));
    assert!(ta.len() > 50, "only {} files", ta.len());
    assert_eq!(ta, tb);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn manifest_lists_every_artifact_with_its_sha256() {
    let base = temp("manifest");
    let out = base.join("dist");
    let (code, _, stderr) = polc(
        &["build", "policies", "-o", out.to_str().unwrap()],
        &secrets(),
    );
    assert_eq!(code, 0, "{stderr}");
    let files = tree(&out);
    let manifest: serde_json::Value =
        serde_json::from_slice(&files.iter().find(|(p, _)| p == "manifest.json").unwrap().1)
            .unwrap();
    let listed = manifest["artifacts"].as_array().unwrap();
    let mut on_disk: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| *p != "manifest.json")
        .collect();
    on_disk.sort_unstable();
    let in_manifest: Vec<&str> = listed.iter().map(|a| a["path"].as_str().unwrap()).collect();
    // The manifest is sorted by path.
    assert_eq!(on_disk, in_manifest);
    // Check the hashes with an independent implementation.
    if common::require("sha256sum", common::have_command("sha256sum")) {
        for a in listed {
            let path = out.join(a["path"].as_str().unwrap());
            let o = Command::new("sha256sum").arg(&path).output().unwrap();
            let hash = String::from_utf8(o.stdout).unwrap();
            assert_eq!(
                hash.split_whitespace().next().unwrap(),
                a["sha256"].as_str().unwrap()
            );
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                a["bytes"].as_u64().unwrap()
            );
        }
    }
    let secret = |p: &str| {
        listed.iter().find(|a| a["path"] == p).unwrap()["secret"]
            .as_bool()
            .unwrap()
    };
    assert!(secret("profiles/us/managed-settings.json"));
    assert!(!secret("profiles/us/egress.txt"));
    assert!(!secret("profiles/us/config-library/_meta.json"));
    // The secret itself is in the artifact that says so, and in no artifact that does not.
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        if text.contains("fake-us-key") {
            assert!(
                path == "manifest.json" || secret(path),
                "{path} contains a secret but is not marked"
            );
        }
    }
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn failed_build_writes_nothing_and_a_rebuild_leaves_no_stale_files() {
    let base = temp("atomic");
    let out = base.join("dist");
    // A previous output with a file no build makes now.
    std::fs::create_dir_all(out.join("profiles/old")).unwrap();
    std::fs::write(out.join("profiles/old/stale.reg"), b"stale").unwrap();
    let manifest = br#"{"artifacts": [{"path": "profiles/old/stale.reg", "bytes": 5, "sha256": "", "secret": false}]}"#;
    std::fs::write(out.join("manifest.json"), manifest).unwrap();
    // Missing secrets: the build fails, the old output is untouched.
    let (code, _, stderr) = polc(&["build", "policies", "-o", out.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("B0401"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        tree(&out),
        vec![
            ("manifest.json".to_string(), manifest.to_vec()),
            ("profiles/old/stale.reg".to_string(), b"stale".to_vec())
        ]
    );
    // A policy set with errors: same.
    let (code, _, _) = polc(
        &["build", "examples/mistakes", "-o", out.to_str().unwrap()],
        &secrets(),
    );
    assert_eq!(code, 1);
    assert_eq!(tree(&out).len(), 2);
    // A good build replaces the whole directory.
    let (code, _, stderr) = polc(
        &["build", "policies", "-o", out.to_str().unwrap()],
        &secrets(),
    );
    assert_eq!(code, 0, "{stderr}");
    let files = tree(&out);
    assert!(!files.iter().any(|(p, _)| p.contains("stale")));
    assert!(files.iter().any(|(p, _)| p == "profiles/eu-eng/egress.txt"));
    // No staging directories are left beside it.
    let siblings = names(&base);
    assert_eq!(siblings, ["dist"]);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
#[cfg(unix)]
fn rebuild_links_only_identical_regular_files_from_the_previous_output() {
    use std::os::unix::fs::MetadataExt;
    let base = temp("reuse");
    let out = base.join("dist");
    let dist = out.to_str().unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    let expected = tree(&out);
    let inode = |rel: &str| std::fs::metadata(out.join(rel)).unwrap().ino();
    let kept = "profiles/eu-eng/egress.txt";
    let kept_inode = inode(kept);
    // Same size, other bytes: must be rewritten.
    let edited = "profiles/us-eng/managed-settings.json";
    let mut bytes = std::fs::read(out.join(edited)).unwrap();
    bytes[0] = b'[';
    std::fs::write(out.join(edited), &bytes).unwrap();
    let edited_inode = inode(edited);
    // A symbolic link to a file with the right bytes: must become a
    // regular file, and the file it pointed to stays as it was.
    let linked = "profiles/apac-eng/egress.json";
    let outside = base.join("outside.json");
    std::fs::rename(out.join(linked), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, out.join(linked)).unwrap();

    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tree(&out), expected);
    // The unchanged file is the previous one, now linked only once.
    assert_eq!(inode(kept), kept_inode);
    assert_eq!(std::fs::metadata(out.join(kept)).unwrap().nlink(), 1);
    assert_ne!(inode(edited), edited_inode);
    assert!(
        std::fs::symlink_metadata(out.join(linked))
            .unwrap()
            .is_file()
    );
    assert_eq!(
        std::fs::read(&outside).unwrap(),
        expected.iter().find(|(p, _)| p == linked).unwrap().1
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
#[cfg(unix)]
fn rebuild_writes_afresh_what_does_not_look_freshly_written() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let base = temp("fresh-looking");
    let out = base.join("dist");
    let dist = out.to_str().unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    let expected = tree(&out);
    let meta = |rel: &str| std::fs::metadata(out.join(rel)).unwrap();
    let fresh_mode = meta("profiles/us-eng/egress.txt").mode() & 0o7777;
    // Read-only: the rebuilt file gets the mode of a new file.
    let read_only = "profiles/eu-eng/egress.json";
    std::fs::set_permissions(out.join(read_only), std::fs::Permissions::from_mode(0o400)).unwrap();
    // Linked from elsewhere (say, deployed with `ln`): the rebuilt file is
    // a new file, so the other link never changes with the output.
    let linked = "profiles/us-eng/managed-settings.json";
    let deployed = base.join("deployed.json");
    std::fs::hard_link(out.join(linked), &deployed).unwrap();
    let deployed_inode = std::fs::metadata(&deployed).unwrap().ino();

    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tree(&out), expected);
    assert_eq!(meta(read_only).mode() & 0o7777, fresh_mode);
    assert_ne!(meta(linked).ino(), deployed_inode);
    assert_eq!(meta(linked).nlink(), 1);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
#[cfg(unix)]
fn building_into_a_symlinked_directory_replaces_the_link_not_its_target() {
    let base = temp("symlinked");
    let real = base.join("real");
    let (code, _, stderr) = polc(
        &["build", "policies", "-o", real.to_str().unwrap()],
        &secrets(),
    );
    assert_eq!(code, 0, "{stderr}");
    let before = tree(&real);
    let dist = base.join("dist");
    std::os::unix::fs::symlink(&real, &dist).unwrap();
    let (code, _, stderr) = polc(
        &["build", "policies", "-o", dist.to_str().unwrap()],
        &secrets(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tree(&real), before);
    assert!(std::fs::symlink_metadata(&dist).unwrap().is_dir());
    assert_eq!(tree(&dist), before);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn linux_managed_file_has_native_types() {
    common::with_encoded_policies(|_, profiles| {
        let us = profiles.iter().find(|p| p.name == "us").unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&polc::emit::json::linux_managed(us)).unwrap();
        assert_eq!(v["inferenceProvider"], "gateway");
        assert_eq!(v["inferenceGatewayApiKey"], "fake-acme_us_gateway_key");
        assert_eq!(v["autoUpdaterEnforcementHours"], 48);
        assert_eq!(v["disableAutoUpdates"], false);
        assert_eq!(v["inferenceModels"][1]["anthropicFamilyTier"], "opus");
        assert!(v.get("meta.identifier").is_none());
    });
}

#[test]
fn bootstrap_delivery_splits_every_device_artifact_from_the_response() {
    let src = r#"
profile b {
  bootstrapUrl = "https://boot.acme.example/bootstrap"
  egressProxyUrl = "http://proxy.acme.example:8080"
  inferenceProvider = "gateway"
  inferenceGatewayBaseUrl = "https://boot.acme.example"
  inferenceGatewayApiKey = env("K")
  deploymentOrganizationUuid = "6f1c2a9e-3b7d-4c8e-9a51-2d4e8f0b7c63"
  disableAutoUpdates = false
  trustBootstrapLocalExec = true
  meta { identifier = "com.acme.b", delivery = "bootstrap" }
}
"#;
    let sources = polc::source::SourceSet::new(vec![("b.policy".into(), src.as_bytes().to_vec())]);
    let schema = polc::schema::Schema::builtin();
    let mut host = polc::host::MemoryHost::default();
    host.env.insert("K".into(), "k".into());
    let c = polc::compile(&sources, &schema, &host);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let artifacts = polc::emit::build::build(&c, &schema, &host).unwrap();
    let artifact = |p: &str| artifacts.iter().find(|a| a.path == p).unwrap();
    let keys = |p: &str| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_slice(&artifact(p).bytes).unwrap();
        doc.as_object().unwrap().keys().cloned().collect()
    };
    // Served: the connection, and the organisation's UUID (which the
    // device carries too, with the same value).
    assert_eq!(
        keys("profiles/b/bootstrap.json"),
        [
            "deploymentOrganizationUuid",
            "inferenceGatewayApiKey",
            "inferenceGatewayBaseUrl",
            "inferenceProvider"
        ]
    );
    assert!(artifact("profiles/b/bootstrap.json").secret);
    // On the device, in every form: the trust anchor and its deprecated
    // alias, the proxy, the app-behavior keys and the organisation's UUID;
    // never the credential.
    let device = [
        "bootstrapUrl",
        "deploymentOrganizationUuid",
        "disableAutoUpdates",
        "egressProxyUrl",
        "trustBootstrapLocalExec",
    ];
    assert_eq!(keys("profiles/b/managed-settings.json"), device);
    let library = artifacts
        .iter()
        .find(|a| {
            a.path.starts_with("profiles/b/config-library/") && !a.path.ends_with("_meta.json")
        })
        .unwrap();
    assert_eq!(
        library.bytes,
        artifact("profiles/b/managed-settings.json").bytes
    );
    let mobileconfig =
        String::from_utf8(artifact("profiles/b/b.mobileconfig").bytes.clone()).unwrap();
    let reg = artifact("profiles/b/b.reg").bytes.clone();
    let reg = String::from_utf16(
        &reg[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for key in device {
        assert!(mobileconfig.contains(&format!("<key>{key}</key>")), "{key}");
        assert!(reg.contains(&format!("\"{key}\"=")), "{key}");
    }
    for key in ["inferenceGatewayApiKey", "inferenceProvider"] {
        assert!(!mobileconfig.contains(key) && !reg.contains(key), "{key}");
    }
    for path in [
        "profiles/b/managed-settings.json",
        "profiles/b/b.mobileconfig",
        "profiles/b/b.reg",
    ] {
        assert!(!artifact(path).secret, "{path}");
    }
}

#[test]
fn egress_command_prints_the_allowlist() {
    let (code, stdout, stderr) = polc(&["egress", "eu-eng"], &[]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("egress_eu_eng", stdout);
    let (code, stdout, _) = polc(&["egress", "us", "--format", "json"], &[]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hosts: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(hosts.contains(&"llm.us.acme.example"), "{hosts:?}");
    assert!(hosts.contains(&"downloads.claude.ai"));
    // Telemetry the base turns off is not required.
    assert!(!hosts.contains(&"a-api.anthropic.com"), "{hosts:?}");
    let apac: serde_json::Value =
        serde_json::from_str(&polc(&["egress", "apac", "--format", "json"], &[]).1).unwrap();
    assert!(
        apac["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "bedrock-runtime.ap-northeast-1.amazonaws.com")
    );
}

#[test]
fn apply_writes_an_owner_only_configuration_library_entry() {
    use std::os::unix::fs::PermissionsExt;
    let base = temp("apply");
    let lib = base.join("configLibrary");
    // Another saved configuration is already there and must be kept.
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(
        lib.join("_meta.json"),
        br#"{"appliedId":"00000000-0000-4000-8000-000000000001","entries":[{"id":"00000000-0000-4000-8000-000000000001","name":"Old"}]}"#,
    )
    .unwrap();
    let none = base.join("no-managed-file");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "apply",
            "us",
            "--config-library",
            lib.to_str().unwrap(),
            "--managed-file",
            none.to_str().unwrap(),
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        v.extend(extra.iter().map(|s| (*s).to_string()));
        v
    };
    let a = args(&[]);
    let (code, _, stderr) = polc(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &secrets(),
    );
    assert_eq!(code, 0, "{stderr}");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lib.join("_meta.json")).unwrap()).unwrap();
    let id = meta["appliedId"].as_str().unwrap().to_string();
    assert!(
        id.len() == 36
            && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && id == id.to_lowercase(),
        "{id}"
    );
    let names: Vec<&str> = meta["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Old", "Claude (us)"]);
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lib.join(format!("{id}.json"))).unwrap()).unwrap();
    assert_eq!(
        entry["inferenceGatewayBaseUrl"],
        "https://llm.us.acme.example"
    );
    assert_eq!(entry["inferenceGatewayApiKey"], "fake-us-key");
    for f in [lib.join("_meta.json"), lib.join(format!("{id}.json"))] {
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            f.display()
        );
    }
    assert_eq!(
        std::fs::metadata(&lib).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // Applying again replaces the entry instead of adding a second one.
    let (code, _, _) = polc(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &secrets(),
    );
    assert_eq!(code, 0);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lib.join("_meta.json")).unwrap()).unwrap();
    assert_eq!(meta["entries"].as_array().unwrap().len(), 2);
    // A managed configuration on the machine: refused unless --force.
    let managed = base.join("managed-settings.json");
    std::fs::write(&managed, b"{}").unwrap();
    let mut b = args(&[]);
    b[5] = managed.to_str().unwrap().to_string();
    let (code, _, stderr) = polc(
        &b.iter().map(String::as_str).collect::<Vec<_>>(),
        &secrets(),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("a managed configuration is present"),
        "{stderr}"
    );
    b.push("--force".into());
    let (code, _, stderr) = polc(
        &b.iter().map(String::as_str).collect::<Vec<_>>(),
        &secrets(),
    );
    assert_eq!(code, 0, "{stderr}");
    // A broken index: refused before anything is written.
    let broken = base.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("_meta.json"), b"{ not json").unwrap();
    let mut c = args(&["--force"]);
    c[3] = broken.to_str().unwrap().to_string();
    let (code, _, stderr) = polc(
        &c.iter().map(String::as_str).collect::<Vec<_>>(),
        &secrets(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not valid JSON"), "{stderr}");
    assert_eq!(std::fs::read_dir(&broken).unwrap().count(), 1);
    // A file where the directory should be.
    let file = base.join("file");
    std::fs::write(&file, b"x").unwrap();
    c[3] = file.to_str().unwrap().to_string();
    let (code, _, stderr) = polc(
        &c.iter().map(String::as_str).collect::<Vec<_>>(),
        &secrets(),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("exists and is not a directory"), "{stderr}");
    std::fs::remove_dir_all(&base).unwrap();
}

/// Build → import → check gives the same effective configuration, for every
/// profile of `policies/` and every form `polc import` reads back.
#[test]
fn import_round_trips_every_profile() {
    let (files, mut host) = common::load_dir(&common::root().join("policies"));
    host.env = common::fake_env().env;
    let sources = polc::source::SourceSet::from_tree("policies", files);
    let schema = polc::schema::Schema::builtin();
    let c = polc::compile(&sources, &schema, &host);
    let artifacts = polc::emit::build::build(&c, &schema, &host).unwrap();
    let mut checked = 0;
    for id in c
        .resolved
        .ids()
        .filter(|id| !c.resolved.profile(*id).is_abstract)
    {
        let original = polc::emit::encode(&c.resolved, id, &schema, &host).unwrap();
        let name = original.name.clone();
        let want: Vec<(String, serde_json::Value)> = original
            .entries
            .iter()
            .map(|e| (e.def.name.clone(), e.value.clone()))
            .collect();
        let forms: Vec<&polc::emit::Artifact> = artifacts
            .iter()
            .filter(|a| {
                a.path.starts_with(&format!("profiles/{name}/"))
                    && (a.path.ends_with("managed-settings.json")
                        || a.path.ends_with(".reg")
                        || a.path.ends_with(".mobileconfig")
                        || (a.path.contains("config-library/") && !a.path.ends_with("_meta.json")))
            })
            .collect();
        assert_eq!(forms.len(), 4, "{name}");
        for artifact in forms {
            let imported = polc::import::read(&artifact.bytes, &schema.file().domain).unwrap();
            let result = polc::import::to_policy(&imported, &name, &schema);
            assert!(
                result
                    .diagnostics
                    .iter()
                    .all(|d| d.code == polc::diag::Code::ImportSecret),
                "{}: {:?}",
                artifact.path,
                result.diagnostics
            );
            // The secrets come back through the environment.
            let mut env = polc::host::MemoryHost::default();
            for e in original.entries.iter().filter(|e| e.def.secret) {
                env.env.insert(
                    polc::import::secret_env_name(&e.def.name),
                    e.value.as_str().unwrap().to_string(),
                );
            }
            let back_sources = polc::source::SourceSet::new(vec![(
                "imported.policy".into(),
                result.source.clone().into_bytes(),
            )]);
            let back = polc::compile(&back_sources, &schema, &env);
            let errors: Vec<_> = back
                .diagnostics
                .iter()
                .filter(|d| {
                    d.severity == polc::diag::Severity::Error
                        && d.code != polc::diag::Code::MissingIdentifier
                })
                .collect();
            assert!(
                errors.is_empty(),
                "{}:\n{}\n{errors:?}",
                artifact.path,
                result.source
            );
            let back_id = back.resolved.find(&name).unwrap();
            let again = polc::emit::encode(&back.resolved, back_id, &schema, &env).unwrap();
            let got: Vec<(String, serde_json::Value)> = again
                .entries
                .iter()
                .map(|e| (e.def.name.clone(), e.value.clone()))
                .collect();
            assert_eq!(got, want, "{}", artifact.path);
            checked += 1;
        }
    }
    assert_eq!(checked, 48);
}

/// `--sign-cert`/`--sign-key`: every .mobileconfig is a CMS SignedData that
/// `openssl cms -verify` accepts, carrying exactly the unsigned profile;
/// signing twice gives the same bytes; `polc import` reads it back.
#[test]
fn signed_profiles_verify_and_are_deterministic() {
    if !common::require("openssl", common::have_command("openssl")) {
        return;
    }
    let base = temp("sign");
    let (cert, key) = (base.join("cert.pem"), base.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=polc test",
        ])
        .args(["-addext", "extendedKeyUsage=codeSigning", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let build = |out: &Path, sign: bool| {
        let mut args = vec!["build", "policies", "-o", out.to_str().unwrap()];
        if sign {
            args.extend([
                "--sign-cert",
                cert.to_str().unwrap(),
                "--sign-key",
                key.to_str().unwrap(),
            ]);
        }
        let (code, _, stderr) = polc(&args, &secrets());
        assert_eq!(code, 0, "{stderr}");
        tree(out)
    };
    let plain = build(&base.join("plain"), false);
    let signed = build(&base.join("signed"), true);
    assert_eq!(
        signed,
        build(&base.join("signed-again"), true),
        "signing is not deterministic"
    );
    let mut verified = 0;
    for (path, bytes) in signed.iter().filter(|(p, _)| p.ends_with(".mobileconfig")) {
        assert_eq!(bytes[0], 0x30, "{path} is not DER");
        let file = base.join("signed").join(path);
        let content = base.join("content.plist");
        let o = Command::new("openssl")
            .args([
                "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
            ])
            .arg(&file)
            .arg("-CAfile")
            .arg(&cert)
            .arg("-out")
            .arg(&content)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let unsigned = &plain.iter().find(|(p, _)| p == path).unwrap().1;
        assert_eq!(&std::fs::read(&content).unwrap(), unsigned, "{path}");
        verified += 1;
    }
    assert_eq!(verified, 12);
    // The manifest describes the signed bytes.
    let manifest: serde_json::Value =
        serde_json::from_slice(&signed.iter().find(|(p, _)| p == "manifest.json").unwrap().1)
            .unwrap();
    let us = signed
        .iter()
        .find(|(p, _)| p == "profiles/us/us.mobileconfig")
        .unwrap();
    let entry = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "profiles/us/us.mobileconfig")
        .unwrap();
    assert_eq!(entry["sha256"], polc::emit::build::sha256_hex(&us.1));
    // polc import reads a signed profile.
    let (code, stdout, stderr) = polc(
        &[
            "import",
            base.join("signed/profiles/us/us.mobileconfig")
                .to_str()
                .unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let line = |key: &str| -> String {
        let l = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{key} ")))
            .unwrap();
        l.split_once('=').unwrap().1.trim().to_string()
    };
    assert_eq!(
        line("inferenceGatewayBaseUrl"),
        "\"https://llm.us.acme.example\""
    );
    assert_eq!(line("identifier"), "\"com.acme.claude.us\"");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_directory_that_is_not_a_previous_output_is_never_replaced() {
    let base = temp("refuse");
    let out = base.join("dist");
    let dist = out.to_str().unwrap();
    // Not empty, no manifest: a home directory, a repository.
    std::fs::create_dir_all(out.join(".git")).unwrap();
    std::fs::write(out.join(".git/HEAD"), b"ref").unwrap();
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is not empty and is not the output of a `polc build`"),
        "{stderr}"
    );
    assert_eq!(tree(&out).len(), 2);
    // A previous output with a file added by hand: named, and kept.
    std::fs::remove_dir_all(&out).unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(out.join("profiles/us/README.txt"), b"mine").unwrap();
    let before = tree(&out);
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`profiles/us/README.txt`"), "{stderr}");
    assert_eq!(tree(&out), before);
    // The policy set's own directory.
    let set = base.join("set");
    std::fs::create_dir_all(&set).unwrap();
    std::fs::copy(
        common::root().join("policies/base.policy"),
        set.join("base.policy"),
    )
    .unwrap();
    let set = set.to_str().unwrap();
    let (code, _, stderr) = polc(&["build", set, "-o", set], &secrets());
    assert_eq!(code, 2, "{stderr}");
    assert!(std::path::Path::new(set).join("base.policy").is_file());
    // Nothing was left beside them.
    let mut siblings: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    siblings.sort();
    assert_eq!(siblings, ["dist", "set"]);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn the_current_directory_can_be_the_output() {
    let base = temp("dot");
    let out = base.join("here");
    std::fs::create_dir_all(&out).unwrap();
    let policies = common::root().join("policies");
    let run = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
        cmd.args(["build", policies.to_str().unwrap(), "-o", "."])
            .current_dir(&out)
            .env("NO_COLOR", "1");
        for (k, v) in secrets() {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // Twice: into the empty directory, then over its own output.
    for _ in 0..2 {
        let (code, stderr) = run();
        assert_eq!(code, 0, "{stderr}");
        assert!(out.join("manifest.json").is_file());
    }
    let siblings = names(&base);
    assert_eq!(siblings, ["here"]);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_failed_build_lists_its_diagnostics_in_order() {
    let base = temp("order");
    std::fs::write(
        base.join("p.policy"),
        "profile p {\n  meta { identifier = \"com.example.p\" }\n  inferenceProvider = \"gateway\"\n  \
         inferenceGatewayApiKey = env(\"POLC_TEST_UNSET_KEY\")\n  inferenceGatewayBaseUrl = \"https://llm.example.com\"\n  \
         inferenceBedrockRegion = \"us-east-1\"\n}\n",
    )
    .unwrap();
    let out = base.join("dist");
    let (code, stdout, stderr) = polc(
        &[
            "build",
            base.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let found: Vec<(String, u64)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["labels"][0]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // The build's missing secret (line 4) before the check's warning (line 6).
    assert_eq!(found, [("B0401".to_string(), 4), ("L0301".to_string(), 6)]);
    std::fs::remove_dir_all(&base).unwrap();
}

/// A deprecated value read with `env()` is a warning, as a literal's is: the
/// build writes its artifacts and says so; `--deny-warnings` refuses. The
/// value is never shown.
#[test]
fn a_deprecated_env_value_warns_and_deny_warnings_refuses() {
    let base = temp("deprecated-env");
    std::fs::write(
        base.join("p.policy"),
        "profile p {\n  meta { identifier = \"com.example.p\" }\n  builtinToolPolicy = { Bash = env(\"POLC_TEST_BASH\") }\n}\n",
    )
    .unwrap();
    let out = base.join("dist");
    let env = [("POLC_TEST_BASH", "ask-session")];
    let args = ["build", base.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let (code, stdout, stderr) = polc(&args, &env);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with(
            "warning[L0303]: the value of environment variable `POLC_TEST_BASH` is a deprecated value of `builtinToolPolicy.Bash`\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("\n1 warning\n"), "{stderr}");
    assert!(!stderr.contains("ask-session"), "{stderr}");
    assert!(
        stderr.ends_with(&format!("wrote 12 files to {}\n", out.display())),
        "{stderr}"
    );
    let managed = std::fs::read_to_string(out.join("profiles/p/managed-settings.json")).unwrap();
    assert!(managed.contains("ask-session"), "{managed}");
    let (code, _, stderr) = polc(&[&args[..], &["--deny-warnings"]].concat(), &env);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("warning[L0303]"), "{stderr}");
    assert!(stderr.ends_with("error: nothing was written\n"), "{stderr}");
    assert!(!stderr.contains("ask-session"), "{stderr}");
    // The warning is found while the build renders: into a new directory,
    // it is refused all the same, and nothing is left behind.
    let fresh = base.join("fresh");
    let args = [
        "build",
        base.to_str().unwrap(),
        "-o",
        fresh.to_str().unwrap(),
    ];
    let (code, _, stderr) = polc(&[&args[..], &["--deny-warnings"]].concat(), &env);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.ends_with("error: nothing was written\n"), "{stderr}");
    assert!(!fresh.exists());
    let mut left = names(&base);
    left.sort();
    assert_eq!(left, ["dist", "p.policy"]);
    // Found before the output is looked at: a directory that a build could
    // not replace is not the error (nor touched), the warning is.
    let other = base.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let args = [
        "build",
        base.to_str().unwrap(),
        "-o",
        other.to_str().unwrap(),
    ];
    let (code, _, stderr) = polc(&[&args[..], &["--deny-warnings"]].concat(), &env);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("warning[L0303]"), "{stderr}");
    assert!(stderr.ends_with("error: nothing was written\n"), "{stderr}");
    assert_eq!(names(&other), ["notes.txt"]);
    std::fs::remove_dir_all(&base).unwrap();
}

/// A provider read with `env()` gets the provider's rules at build: an
/// incomplete gateway is not built (B0405), and the value is not shown.
#[test]
fn a_provider_read_with_env_gets_its_rules_at_build() {
    let base = temp("env-provider");
    std::fs::write(
        base.join("p.policy"),
        "profile p {\n  meta { identifier = \"com.example.p\" }\n  inferenceProvider = env(\"POLC_TEST_PROVIDER\")\n  \
         inferenceGatewayApiKey = env(\"POLC_TEST_KEY\")\n}\n",
    )
    .unwrap();
    let out = base.join("dist");
    let args = ["build", base.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let (code, _, stderr) = polc(&["check", base.to_str().unwrap()], &[]);
    assert_eq!((code, stderr.as_str()), (0, "no problems found\n"));
    let env = [
        ("POLC_TEST_PROVIDER", "gateway"),
        ("POLC_TEST_KEY", "SECRET-key"),
    ];
    let (code, _, stderr) = polc(&args, &env);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("error[B0405]: provider \"gateway\" needs inferenceGatewayBaseUrl\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("= note: decided by the value of environment variable `POLC_TEST_PROVIDER`, which is not shown\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("1 error\nerror: nothing was written\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
    assert!(!out.exists());
    // Another provider's rules do not apply to it: `anthropic` needs nothing.
    let (code, _, stderr) = polc(&args, &[("POLC_TEST_PROVIDER", "anthropic"), env[1]]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_set_without_concrete_profiles_says_so() {
    let base = temp("abstract-only");
    std::fs::write(
        base.join("a.policy"),
        "abstract profile base {\n  disableAutoUpdates = false\n}\n",
    )
    .unwrap();
    let out = base.join("dist");
    let (code, _, stderr) = polc(
        &["build", base.to_str().unwrap(), "-o", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: the policy set has no concrete profile"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn egress_names_a_host_read_with_env() {
    let base = temp("egress-env");
    std::fs::write(
        base.join("p.policy"),
        "profile gw {\n  meta { identifier = \"com.example.gw\" }\n  inferenceProvider = \"gateway\"\n  \
         inferenceGatewayBaseUrl = env(\"ACME_GW_URL\")\n  inferenceGatewayApiKey = env(\"K\")\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = polc(
        &["egress", "gw", "--path", base.to_str().unwrap()],
        &[("ACME_GW_URL", "https://secret-gw.example.com")],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "# Inference (required by inferenceGatewayBaseUrl)\n# The gateway.\n\
             # `<env:NAME>` is the host of a URL read from that environment variable, \
             which polc does not read for this list: allow its host and port once known.\n\
             <env:ACME_GW_URL>\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("secret-gw"), "{stdout}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
#[cfg(unix)]
fn files_with_secrets_are_owner_only_and_still_reused() {
    use std::os::unix::fs::MetadataExt;
    let base = temp("modes");
    let out = base.join("dist");
    let dist = out.to_str().unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let mode = |rel: &str| std::fs::metadata(out.join(rel)).unwrap().mode() & 0o777;
    let public = mode("manifest.json");
    let entries = manifest["artifacts"].as_array().unwrap();
    assert!(entries.iter().any(|a| a["secret"] == true));
    for a in entries {
        let path = a["path"].as_str().unwrap();
        let expected = if a["secret"] == true { 0o600 } else { public };
        assert_eq!(mode(path), expected, "{path}");
    }
    // A rebuild (of an output changed by hand, so that it is written)
    // links them again (same inode), modes unchanged.
    let secret = entries.iter().find(|a| a["secret"] == true).unwrap()["path"]
        .as_str()
        .unwrap()
        .to_string();
    let inode = std::fs::metadata(out.join(&secret)).unwrap().ino();
    std::fs::write(out.join("profiles/us-eng/egress.txt"), "edited").unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote 100 files"), "{stderr}");
    assert_eq!(std::fs::metadata(out.join(&secret)).unwrap().ino(), inode);
    assert_eq!(mode(&secret), 0o600);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
#[cfg(unix)]
fn an_up_to_date_output_is_left_untouched() {
    use std::os::unix::fs::MetadataExt;
    let base = temp("up-to-date");
    let out = base.join("dist");
    let dist = out.to_str().unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote 100 files to"), "{stderr}");
    let expected = tree(&out);
    // Every file's and directory's inode and times, the output directory's
    // own included (a build that writes replaces it with a new one).
    let stamps = |dir: &Path| {
        let mut all = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            let m = std::fs::symlink_metadata(&d).unwrap();
            all.push((
                d.clone(),
                m.ino(),
                m.mtime_nsec(),
                m.mtime(),
                m.ctime_nsec(),
            ));
            if m.is_dir() {
                pending.extend(std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()));
            }
        }
        all.sort();
        all
    };
    let before = stamps(&out);
    assert_eq!(
        before.len(),
        100 + 1 + 1 + 2 * 12 + 1,
        "files, the output, profiles/, each profile's directory and its config-library/, templates/"
    );

    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(&format!(
            "{dist} is up to date: its 100 files are what this build writes, so none was rewritten\n"
        )),
        "{stderr}"
    );
    assert_eq!(stamps(&out), before);
    let siblings = names(&base);
    assert_eq!(siblings, ["dist"], "no staging directory is left");

    // A directory that no listed file needs: the output is rebuilt without it.
    std::fs::create_dir(out.join("profiles/stray")).unwrap();
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote 100 files to"), "{stderr}");
    assert!(!out.join("profiles/stray").exists());
    assert_eq!(tree(&out), expected);

    // A directory whose mode changed: rebuilt, with a new directory's mode.
    {
        use std::os::unix::fs::PermissionsExt;
        let fresh = std::fs::metadata(out.join("profiles/us")).unwrap().mode() & 0o7777;
        std::fs::set_permissions(
            out.join("profiles/us"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &secrets());
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("wrote 100 files to"), "{stderr}");
        let mode = std::fs::metadata(out.join("profiles/us")).unwrap().mode() & 0o7777;
        assert_eq!(mode, fresh);
    }

    // Another secret: the files that hold it are written again, and only
    // their bytes change.
    let mut env = secrets();
    env[0] = ("ACME_US_GATEWAY_KEY", "another-us-key");
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &env);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote 100 files to"), "{stderr}");
    let after = tree(&out);
    let changed: Vec<&str> = expected
        .iter()
        .zip(&after)
        .filter(|(a, b)| {
            assert_eq!(a.0, b.0);
            a.1 != b.1
        })
        .map(|(a, _)| a.0.as_str())
        .collect();
    assert!(changed.contains(&"manifest.json"), "{changed:?}");
    assert!(
        changed
            .iter()
            .all(|p| *p == "manifest.json" || p.starts_with("profiles/us")),
        "{changed:?}"
    );
    // And built again with it, the output is up to date.
    let (code, _, stderr) = polc(&["build", "policies", "-o", dist], &env);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("is up to date"), "{stderr}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn concurrent_builds_into_one_directory_take_turns() {
    let base = temp("concurrent");
    let out = base.join("dist");
    let dist = out.to_str().unwrap().to_string();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
            cmd.args(["build", "policies", "-o", &dist])
                .current_dir(common::root())
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            for (k, v) in secrets() {
                cmd.env(k, format!("{v}-{i}"));
            }
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The output is one build's, whole: every file its manifest lists,
    // with that content, and nothing else.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let listed = manifest["artifacts"].as_array().unwrap();
    let files = tree(&out);
    assert_eq!(files.len(), listed.len() + 1);
    for a in listed {
        let path = a["path"].as_str().unwrap();
        let bytes = &files.iter().find(|(p, _)| p == path).unwrap().1;
        assert_eq!(
            polc::emit::build::sha256_hex(bytes),
            a["sha256"].as_str().unwrap(),
            "{path}"
        );
    }
    let siblings = names(&base);
    assert_eq!(siblings, ["dist"]);
    std::fs::remove_dir_all(&base).unwrap();
}

/// A character a format cannot hold, written in the policy, is `polc
/// check`'s error (a pre-commit hook finds it), at the string; `polc build`
/// refuses with that one error, not a second one of its own.
#[test]
fn an_unrepresentable_literal_is_found_by_check_and_reported_once() {
    let base = temp("unrepresentable");
    std::fs::write(
        base.join("p.policy"),
        "profile p {\n  meta {\n    identifier = \"com.example.p\"\n    formats    = [\"reg\"]\n  }\n  \
         deploymentDisplayName = \"Acme\\u{0}Claude\"\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = polc(&["check", base.to_str().unwrap()], &[]);
    assert_eq!(code, 1, "{stderr}");
    let shown = format!("{}/p.policy", base.display());
    let expected = format!(
        "error[B0404]: `deploymentDisplayName` has a U+0000 character, which a .reg cannot hold\n  \
         ┌─ {shown}:6:27\n  │\n\
         6 │   deploymentDisplayName = \"Acme\\u{{0}}Claude\"\n  \
         │                           ^^^^^^^^^^^^^^^^^ U+0000 here\n  │\n  \
         = help: a registry string (REG_SZ) ends at its first U+0000, so the app would read only what comes before it; remove it, or leave `reg` out of `meta.formats`\n\n\
         1 error\n"
    );
    assert_eq!(stdout + &stderr, expected);
    let out = base.join("dist");
    let (code, _, stderr) = polc(
        &["build", base.to_str().unwrap(), "-o", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, format!("{expected}error: nothing was written\n"));
    assert!(!out.exists());
    std::fs::remove_dir_all(&base).unwrap();
}

/// A value read with `env()` that a format cannot hold is the build's
/// error, at the `env()` reference, without the value (U+0000 cannot be in
/// a process's environment, so the host here is the library's).
#[test]
fn an_unrepresentable_env_value_is_found_by_the_build() {
    let src = "profile p {\n  meta {\n    identifier = \"com.example.p\"\n    formats    = [\"reg\"]\n  }\n  \
               deploymentDisplayName = env(\"TITLE\")\n}\n";
    let sources = polc::source::SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = polc::schema::Schema::builtin();
    let mut host = polc::host::MemoryHost::default();
    host.env.insert("TITLE".into(), "SECRET\u{0}TITLE".into());
    let c = polc::compile(&sources, &schema, &host);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let errors = polc::emit::build::build(&c, &schema, &host).unwrap_err();
    let text = polc::render::human(&sources, &errors, false);
    assert_eq!(
        text,
        "error[B0404]: `deploymentDisplayName` has a U+0000 character, which a .reg cannot hold\n  \
         ┌─ p.policy:6:27\n  │\n\
         6 │   deploymentDisplayName = env(\"TITLE\")\n  \
         │                           ^^^^^^^^^^^^ U+0000 here\n  │\n  \
         = note: read from environment variable `TITLE`, whose value is not shown\n  \
         = note: needed to build profile `p`\n  \
         = help: a registry string (REG_SZ) ends at its first U+0000, so the app would read only what comes before it; remove it, or leave `reg` out of `meta.formats`\n\n\
         1 error\n"
    );
}

/// The in-memory build fails with the errors of the values `env()` reads
/// (a missing variable), not with the warnings a build also finds (a
/// deprecated value read with `env()`): those come with `build_with`.
#[test]
fn the_library_build_fails_with_errors_only() {
    let src = "profile p {\n  meta { identifier = \"com.example.p\" }\n  builtinToolPolicy = { Bash = env(\"POLC_TEST_BASH\") }\n  inferenceProvider = \"gateway\"\n  inferenceGatewayBaseUrl = \"https://llm.example.com\"\n  inferenceGatewayApiKey = env(\"POLC_TEST_KEY\")\n}\n";
    let sources = polc::source::SourceSet::new(vec![("p.policy".into(), src.as_bytes().to_vec())]);
    let schema = polc::schema::Schema::builtin();
    let mut host = polc::host::MemoryHost::default();
    host.env
        .insert("POLC_TEST_BASH".into(), "ask-session".into());
    let c = polc::compile(&sources, &schema, &host);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let errors = polc::emit::build::build(&c, &schema, &host).unwrap_err();
    let codes: Vec<_> = errors.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["B0401"]);
    // The same build, with everything it finds.
    let sink = |_: &[polc::emit::Artifact]| Ok(());
    let all = match polc::emit::build::build_with(
        &c,
        &schema,
        &host,
        &polc::emit::build::Options::default(),
        Vec::new(),
        &sink,
    ) {
        Err(polc::emit::build::BuildError::Diagnostics(all)) => all,
        other => panic!("{other:?}"),
    };
    let mut codes: Vec<_> = all.iter().map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["B0401", "L0303"]);
}
