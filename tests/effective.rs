//! `polc effective`: every precedence rule, with files produced by
//! `polc build` (from `policies/` and from a small policy set written here).
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Profiles for rules `policies/` does not exercise.
const EXTRA: &str = r#"
/// App-behavior keys only: the local configuration stays in force.
profile updates {
  disableAutoUpdates          = false
  autoUpdaterEnforcementHours = 24
  meta { identifier = "com.acme.test.updates" }
}

/// A per-user profile: HKCU, PayloadScope User.
profile personal {
  inferenceProvider       = "gateway"
  inferenceGatewayBaseUrl = "https://llm.personal.example"
  inferenceGatewayApiKey  = env("EFFECTIVE_TEST_KEY")
  managedMcpServers       = [
    {
      name      = "box",
      transport = "http",
      url       = "https://mcp.box.example/mcp",
      oauth     = {
        clientId            = "acme",
        clientSecret        = env("EFFECTIVE_TEST_MCP_SECRET"),
        authorizationServer = ["https://auth.box.example"],
      },
    },
  ]
  meta {
    identifier = "com.acme.test.personal"
    scope      = "user"
  }
}

/// Bootstrap delivery: the device-management profile carries the trust
/// anchor and the app-behavior keys, the response everything else.
profile served {
  bootstrapUrl             = "https://boot.acme.example/bootstrap"
  inferenceProvider        = "gateway"
  inferenceGatewayBaseUrl  = "https://boot.acme.example"
  inferenceCredentialKind  = "interactive"
  deploymentDisplayName    = "Served"
  disableAutoUpdates       = false
  relaunchEnforcementHours = 12
  meta {
    identifier = "com.acme.test.served"
    delivery   = "bootstrap"
  }
}

/// Everything in the device-management profile, including the bootstrap URL.
profile anchored {
  bootstrapUrl              = "https://boot.acme.example/bootstrap"
  inferenceProvider         = "gateway"
  inferenceGatewayBaseUrl   = "https://boot.acme.example"
  inferenceCredentialKind   = "interactive"
  deploymentDisplayName     = "Anchored"
  deploymentDisplaySubtitle = "From MDM"
  egressProxyUrl            = "http://proxy.acme.example:3128"
  updateViaUpdatesHost      = true
  meta { identifier = "com.acme.test.anchored" }
}
"#;

const SECRETS: [(&str, &str); 5] = [
    ("ACME_US_GATEWAY_KEY", "fake-us-key"),
    ("ACME_EU_VERTEX_OAUTH_SECRET", "fake-eu-secret"),
    ("ACME_APAC_BEDROCK_TOKEN", "fake-apac-token"),
    ("EFFECTIVE_TEST_KEY", "fake-effective-key"),
    ("EFFECTIVE_TEST_MCP_SECRET", "fake-mcp-secret"),
];

fn polc(args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
    cmd.args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1");
    for (k, v) in SECRETS {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A scratch directory for this test process.
fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("effective-{}", std::process::id()))
}

/// `policies/` and the extra set, built once: `<scratch>/dist/profiles/…`
/// and `<scratch>/extra-dist/profiles/…`.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = scratch();
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("extra")).unwrap();
        std::fs::write(base.join("extra/extra.policy"), EXTRA).unwrap();
        for (set, out) in [
            ("policies".to_string(), "dist"),
            (base.join("extra").display().to_string(), "extra-dist"),
        ] {
            let out = base.join(out).display().to_string();
            let (code, _, stderr) = polc(&["build", &set, "-o", &out]);
            assert_eq!(code, 0, "{stderr}");
        }
        base
    })
}

/// An artifact of `policies/` (`us/us.mobileconfig`).
fn dist(rel: &str) -> String {
    built()
        .join("dist/profiles")
        .join(rel)
        .display()
        .to_string()
}

/// An artifact of the extra set.
fn extra(rel: &str) -> String {
    built()
        .join("extra-dist/profiles")
        .join(rel)
        .display()
        .to_string()
}

/// Writes a scratch file and returns its path.
fn write(name: &str, bytes: &[u8]) -> String {
    let path = built().join("files").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// `polc effective ARGS --format json`, which must succeed.
fn effective(args: &[&str]) -> Json {
    let mut all = vec!["effective"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let (code, stdout, stderr) = polc(&all);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn source_of<'a>(e: &'a Json, key: &str) -> Option<&'a str> {
    e["keys"].get(key).map(|k| k["source"].as_str().unwrap())
}

fn value_of<'a>(e: &'a Json, key: &str) -> &'a Json {
    &e["keys"][key]["value"]
}

fn warnings(e: &Json) -> Vec<(String, String)> {
    e["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["source"].as_str().unwrap().to_string(),
                w["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has_warning(e: &Json, source: &str, needle: &str) -> bool {
    warnings(e)
        .iter()
        .any(|(s, m)| s == source && m.contains(needle))
}

/// Every key comes from `source`.
fn all_from(e: &Json, source: &str) -> bool {
    e["keys"]
        .as_object()
        .unwrap()
        .values()
        .all(|k| k["source"] == source)
}

/// The app's domain payload of a `.mobileconfig` as a flat preference
/// plist, as `/Library/Managed Preferences` holds it.
fn flat_plist(mobileconfig: &str, edit: impl FnOnce(&mut plist::Dictionary)) -> Vec<u8> {
    let profile = plist::Value::from_file(mobileconfig).unwrap();
    let payload = profile.as_dictionary().unwrap()["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_dictionary().unwrap())
        .find(|p| p["PayloadType"].as_string() == Some("com.anthropic.claudefordesktop"))
        .unwrap();
    let mut flat: plist::Dictionary = payload
        .iter()
        .filter(|(k, _)| !k.starts_with("Payload"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    edit(&mut flat);
    let mut out = Vec::new();
    plist::Value::Dictionary(flat)
        .to_writer_xml(&mut out)
        .unwrap();
    out
}

/// A UTF-8 `.reg` file with one policy-key section per `(root, lines)`.
fn reg(sections: &[(&str, &[&str])]) -> Vec<u8> {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for (root, lines) in sections {
        text.push_str(&format!("\r\n[{root}\\SOFTWARE\\Policies\\Claude]\r\n"));
        for l in *lines {
            text.push_str(l);
            text.push_str("\r\n");
        }
    }
    text.into_bytes()
}

// ---- macOS -----------------------------------------------------------------

#[test]
fn macos_per_user_plist_wins_key_by_key() {
    let e = effective(&[
        "--macos-machine",
        &dist("us/us.mobileconfig"),
        "--macos-user",
        &write(
            "eu-user.plist",
            &flat_plist(&dist("eu/eu.mobileconfig"), |_| {}),
        ),
    ]);
    // In both: the per-user value.
    assert_eq!(value_of(&e, "inferenceProvider"), "vertex");
    assert_eq!(source_of(&e, "inferenceProvider"), Some("macos-user"));
    assert_eq!(value_of(&e, "deploymentDisplaySubtitle"), "European Union");
    // Only in the machine plist: still read.
    assert_eq!(
        value_of(&e, "inferenceGatewayBaseUrl"),
        "https://llm.us.acme.example"
    );
    assert_eq!(
        source_of(&e, "inferenceGatewayBaseUrl"),
        Some("macos-machine")
    );
    // Only in the per-user plist.
    assert_eq!(
        source_of(&e, "inferenceVertexProjectId"),
        Some("macos-user")
    );
    assert_eq!(warnings(&e), []);
}

#[test]
fn mobileconfig_and_flat_plist_give_the_same_configuration() {
    let from_profile = effective(&["--macos-machine", &dist("us/us.mobileconfig")]);
    let flat = write(
        "us-machine.plist",
        &flat_plist(&dist("us/us.mobileconfig"), |_| {}),
    );
    let from_plist = effective(&["--macos-machine", &flat]);
    assert_eq!(from_profile, from_plist);
    assert!(all_from(&from_plist, "macos-machine"));
    // Decoded against the schema: native types, not the stored strings.
    assert_eq!(value_of(&from_plist, "autoUpdaterEnforcementHours"), 48);
    assert_eq!(value_of(&from_plist, "disableAutoUpdates"), false);
    assert_eq!(
        value_of(&from_plist, "inferenceModels")[1]["anthropicFamilyTier"],
        "opus"
    );
    assert_eq!(warnings(&from_plist), []);
}

#[test]
fn a_system_profile_given_as_the_per_user_plist_is_flagged() {
    let e = effective(&["--macos-user", &dist("us/us.mobileconfig")]);
    assert!(has_warning(&e, "macos-user", "PayloadScope is `system`"));
    assert!(all_from(&e, "macos-user"));
}

#[test]
fn native_plist_values_and_dotted_sub_keys_are_flagged() {
    let flat = flat_plist(&dist("us/us.mobileconfig"), |d| {
        d.insert(
            "disabledBuiltinTools".into(),
            plist::Value::Array(vec!["WebSearch".into(), "Bash".into()]),
        );
        d.insert("isLocalDevMcpEnabled".into(), plist::Value::Boolean(false));
        d.insert(
            "inferenceGatewayOidc.clientId".into(),
            plist::Value::String("acme".into()),
        );
        d.insert(
            "inferenceProvidr".into(),
            plist::Value::String("gateway".into()),
        );
    });
    let e = effective(&["--macos-machine", &write("native.plist", &flat)]);
    // Applied, with a warning: the reading is version-dependent.
    assert_eq!(
        value_of(&e, "disabledBuiltinTools"),
        &json!(["WebSearch", "Bash"])
    );
    assert!(has_warning(
        &e,
        "macos-machine",
        "`disabledBuiltinTools` is a native plist array"
    ));
    assert_eq!(value_of(&e, "isLocalDevMcpEnabled"), false);
    assert!(has_warning(
        &e,
        "macos-machine",
        "`isLocalDevMcpEnabled` is a native plist boolean"
    ));
    // Never read.
    assert!(e["keys"].get("inferenceGatewayOidc.clientId").is_none());
    assert!(e["keys"].get("inferenceGatewayOidc").is_none());
    assert!(has_warning(
        &e,
        "macos-machine",
        "`inferenceGatewayOidc.clientId` is a dotted sub-key, which the app never reads"
    ));
    assert!(has_warning(
        &e,
        "macos-machine",
        "`inferenceProvidr` is not a key the app reads (did you mean `inferenceProvider`?)"
    ));
}

#[test]
fn undecodable_values_are_ignored_with_a_warning() {
    let flat = flat_plist(&dist("us/us.mobileconfig"), |d| {
        d.insert("coworkTabEnabled".into(), "maybe".into());
        d.insert("inferenceModels".into(), "[not json".into());
    });
    let e = effective(&["--macos-machine", &write("bad.plist", &flat)]);
    assert!(e["keys"].get("coworkTabEnabled").is_none());
    assert!(e["keys"].get("inferenceModels").is_none());
    assert!(has_warning(
        &e,
        "macos-machine",
        "the value of `coworkTabEnabled` cannot be read as `true` or `false`"
    ));
    assert!(has_warning(&e, "macos-machine", "fails closed"));
}

// ---- Windows ---------------------------------------------------------------

#[test]
fn hklm_hides_hkcu_entirely() {
    let e = effective(&[
        "--windows-hklm",
        &dist("us/us.reg"),
        "--windows-hkcu",
        &extra("personal/personal.reg"),
    ]);
    assert!(all_from(&e, "windows-hklm"));
    // HKCU's values are not merged in, not even keys HKLM does not set.
    assert_eq!(
        value_of(&e, "inferenceGatewayBaseUrl"),
        "https://llm.us.acme.example"
    );
    assert!(has_warning(&e, "windows-hkcu", "HKCU is ignored entirely"));
}

#[test]
fn without_machine_policy_hkcu_applies() {
    let e = effective(&["--windows-hkcu", &extra("personal/personal.reg")]);
    assert!(all_from(&e, "windows-hkcu"));
    assert_eq!(
        value_of(&e, "inferenceGatewayBaseUrl"),
        "https://llm.personal.example"
    );
    assert_eq!(warnings(&e), []);
}

#[test]
fn an_unknown_hklm_value_still_hides_hkcu_and_owns_the_configuration() {
    let hklm = write(
        "unknown.reg",
        &reg(&[("HKEY_LOCAL_MACHINE", &[r#""inferenceProvidr"="gateway""#])]),
    );
    let e = effective(&[
        "--windows-hklm",
        &hklm,
        "--windows-hkcu",
        &extra("personal/personal.reg"),
        "--local",
        &dist("eu/config-library"),
    ]);
    assert_eq!(e["keys"], json!({}));
    assert!(has_warning(
        &e,
        "windows-hklm",
        "on Windows it still counts as machine policy"
    ));
    assert!(has_warning(&e, "windows-hkcu", "HKCU is ignored entirely"));
    assert!(has_warning(&e, "local", "is ignored: windows-hklm sets"));
}

#[test]
fn a_reg_expand_sz_value_counts_as_machine_policy_but_supplies_nothing() {
    // "Acme" as REG_EXPAND_SZ.
    let hklm = write(
        "expand.reg",
        &reg(&[(
            "HKEY_LOCAL_MACHINE",
            &[r#""deploymentDisplayName"=hex(2):41,00,63,00,6d,00,65,00,00,00"#],
        )]),
    );
    let e = effective(&[
        "--windows-hklm",
        &hklm,
        "--windows-hkcu",
        &extra("personal/personal.reg"),
    ]);
    assert_eq!(e["keys"], json!({}));
    assert!(has_warning(
        &e,
        "windows-hklm",
        "`deploymentDisplayName` is REG_EXPAND_SZ, which the app cannot read"
    ));
    assert!(has_warning(&e, "windows-hkcu", "HKCU is ignored entirely"));
}

#[test]
fn values_the_app_does_not_see_do_not_count_as_machine_policy() {
    let mut bytes = reg(&[(
        "HKEY_LOCAL_MACHINE",
        &[r#""inferenceModels"=hex(7):61,00,00,00,00,00"#],
    )]);
    bytes.extend_from_slice(
        b"\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Claude\\inferenceGatewayOidc]\r\n\"clientId\"=\"acme\"\r\n",
    );
    let e = effective(&[
        "--windows-hklm",
        &write("invisible.reg", &bytes),
        "--windows-hkcu",
        &extra("personal/personal.reg"),
    ]);
    assert!(all_from(&e, "windows-hkcu"));
    assert!(source_of(&e, "inferenceProvider").is_some());
    assert!(has_warning(
        &e,
        "windows-hklm",
        "`inferenceModels` is REG_MULTI_SZ"
    ));
    assert!(has_warning(
        &e,
        "windows-hklm",
        "subkey `Claude\\inferenceGatewayOidc` are never read"
    ));
}

#[test]
fn reg_dword_is_read_for_booleans_and_integers_only() {
    let hklm = write(
        "dword.reg",
        &reg(&[(
            "HKEY_LOCAL_MACHINE",
            &[
                r#""disableAutoUpdates"=dword:00000001"#,
                r#""autoUpdaterEnforcementHours"=dword:00000030"#,
                r#""deploymentDisplayName"=dword:00000001"#,
            ],
        )]),
    );
    let e = effective(&["--windows-hklm", &hklm]);
    assert_eq!(value_of(&e, "disableAutoUpdates"), true);
    assert_eq!(value_of(&e, "autoUpdaterEnforcementHours"), 48);
    assert!(e["keys"].get("deploymentDisplayName").is_none());
    assert!(has_warning(
        &e,
        "windows-hklm",
        "`deploymentDisplayName` is REG_DWORD, which the app reads only for boolean and integer keys"
    ));
}

// ---- Ownership -------------------------------------------------------------

#[test]
fn managed_configuration_owns_the_device_on_every_platform() {
    let local = dist("eu/config-library");
    for (option, file) in [
        ("--macos-machine", dist("us/us.mobileconfig")),
        ("--windows-hklm", dist("us/us.reg")),
        ("--linux", dist("us/managed-settings.json")),
    ] {
        let managed = (option, &file);
        let e = effective(&[option, &file, "--local", &local]);
        let source = option.trim_start_matches("--");
        assert!(all_from(&e, source), "{managed:?}");
        assert_eq!(value_of(&e, "inferenceProvider"), "gateway");
        // A key only the local configuration sets is not in force either.
        assert!(e["keys"].get("inferenceVertexProjectId").is_none());
        assert!(has_warning(&e, "local", "is ignored"), "{managed:?}");
    }
}

#[test]
fn local_configuration_alone_applies() {
    let e = effective(&["--local", &dist("eu/config-library")]);
    assert!(all_from(&e, "local"));
    assert_eq!(value_of(&e, "inferenceProvider"), "vertex");
    assert_eq!(warnings(&e), []);
}

#[test]
fn app_behavior_only_profile_keeps_local_in_force_but_owns_the_group() {
    for (option, file) in [
        ("--macos-machine", extra("updates/updates.mobileconfig")),
        ("--windows-hklm", extra("updates/updates.reg")),
        ("--linux", extra("updates/managed-settings.json")),
    ] {
        let source = option.trim_start_matches("--").to_string();
        let e = effective(&[option, &file, "--local", &dist("us/config-library")]);
        // The local configuration is in force...
        assert_eq!(source_of(&e, "inferenceProvider"), Some("local"));
        assert_eq!(source_of(&e, "coworkTabEnabled"), Some("local"));
        // ...but the app-behavior group comes from the managed source alone.
        assert_eq!(source_of(&e, "disableAutoUpdates"), Some(source.as_str()));
        assert_eq!(value_of(&e, "autoUpdaterEnforcementHours"), 24);
        assert_eq!(
            source_of(&e, "autoUpdaterEnforcementHours"),
            Some(source.as_str())
        );
        // The local `updateViaUpdatesHost = true` is ignored although the
        // managed source does not set that key.
        assert!(e["keys"].get("updateViaUpdatesHost").is_none());
        for key in [
            "disableAutoUpdates",
            "autoUpdaterEnforcementHours",
            "updateViaUpdatesHost",
        ] {
            assert!(
                has_warning(
                    &e,
                    "local",
                    &format!("`{key}` is ignored: {source} sets app-behavior keys")
                ),
                "{key}"
            );
        }
        assert!(!has_warning(&e, "local", "the local configuration"));
    }
}

#[test]
fn app_behavior_only_human_output() {
    let (code, stdout, stderr) = polc(&[
        "effective",
        "--macos-machine",
        &extra("updates/updates.mobileconfig"),
        "--local",
        &dist("us/config-library"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains("fake-us-key"));
    insta::assert_snapshot!("app_behavior_only_human", stdout);
}

#[test]
fn the_applied_entry_is_the_one_meta_names() {
    let dir = built().join("files/library");
    std::fs::create_dir_all(&dir).unwrap();
    let us = built().join("dist/profiles/us/config-library");
    let eu = built().join("dist/profiles/eu/config-library");
    let id = |d: &Path| -> String {
        let meta: Json =
            serde_json::from_slice(&std::fs::read(d.join("_meta.json")).unwrap()).unwrap();
        meta["appliedId"].as_str().unwrap().to_string()
    };
    let (us_id, eu_id) = (id(&us), id(&eu));
    for (d, i) in [(&us, &us_id), (&eu, &eu_id)] {
        std::fs::copy(d.join(format!("{i}.json")), dir.join(format!("{i}.json"))).unwrap();
    }
    let meta = |applied: &str| {
        json!({
            "appliedId": applied,
            "entries": [ { "id": us_id, "name": "us" }, { "id": eu_id, "name": "eu" } ],
        })
        .to_string()
    };
    let lib = dir.display().to_string();
    std::fs::write(dir.join("_meta.json"), meta(&eu_id)).unwrap();
    let e = effective(&["--local", &lib]);
    assert_eq!(value_of(&e, "inferenceProvider"), "vertex");
    std::fs::write(dir.join("_meta.json"), meta(&us_id)).unwrap();
    let e = effective(&["--local", &lib]);
    assert_eq!(value_of(&e, "inferenceProvider"), "gateway");
    // An id that is not a lowercase UUID, or names no file: nothing applied.
    for bad in [us_id.to_uppercase(), "../us".into(), "0".repeat(36)] {
        std::fs::write(dir.join("_meta.json"), meta(&bad)).unwrap();
        let e = effective(&["--local", &lib]);
        assert_eq!(e["keys"], json!({}), "{bad}");
        assert_eq!(warnings(&e).len(), 1, "{bad}");
    }
}

// ---- Bootstrap -------------------------------------------------------------

#[test]
fn bootstrap_delivery_trust_anchor_and_app_behavior_from_mdm() {
    let e = effective(&[
        "--macos-machine",
        &extra("served/served.mobileconfig"),
        "--bootstrap",
        &extra("served/bootstrap.json"),
    ]);
    let sources: Vec<(&str, &str)> = e["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sources,
        [
            ("bootstrapUrl", "macos-machine"),
            ("deploymentDisplayName", "bootstrap"),
            ("disableAutoUpdates", "macos-machine"),
            ("inferenceCredentialKind", "bootstrap"),
            ("inferenceGatewayBaseUrl", "bootstrap"),
            ("inferenceProvider", "bootstrap"),
            ("relaunchEnforcementHours", "macos-machine"),
        ]
    );
    assert_eq!(warnings(&e), []);
}

#[test]
fn bootstrap_replaces_settable_keys_wholesale_and_omitted_keys_are_unset() {
    // The MDM profile sets everything; the response (another profile's)
    // omits `deploymentDisplaySubtitle`.
    let e = effective(&[
        "--macos-machine",
        &extra("anchored/anchored.mobileconfig"),
        "--bootstrap",
        &extra("served/bootstrap.json"),
    ]);
    assert_eq!(value_of(&e, "deploymentDisplayName"), "Served");
    assert_eq!(source_of(&e, "deploymentDisplayName"), Some("bootstrap"));
    // Omitted: unset, not inherited from the MDM profile.
    assert!(e["keys"].get("deploymentDisplaySubtitle").is_none());
    assert!(has_warning(
        &e,
        "macos-machine",
        "omits `deploymentDisplaySubtitle`, so it is unset"
    ));
    // Keys a response may never carry stay with device management.
    assert_eq!(source_of(&e, "bootstrapUrl"), Some("macos-machine"));
    assert_eq!(source_of(&e, "egressProxyUrl"), Some("macos-machine"));
    // The profile sets an app-behavior key: the group is the profile's.
    assert_eq!(source_of(&e, "updateViaUpdatesHost"), Some("macos-machine"));
}

#[test]
fn served_app_behavior_keys_lose_to_a_profile_that_sets_any() {
    // The anchored response serves `updateViaUpdatesHost`; the `served`
    // MDM profile sets other app-behavior keys.
    let e = effective(&[
        "--macos-machine",
        &extra("served/served.mobileconfig"),
        "--bootstrap",
        &extra("anchored/bootstrap.json"),
    ]);
    assert!(e["keys"].get("updateViaUpdatesHost").is_none());
    assert!(has_warning(
        &e,
        "bootstrap",
        "`updateViaUpdatesHost` is ignored: macos-machine sets app-behavior keys"
    ));
    // Without app-behavior keys in the managed source, the served value applies.
    let mut linux: Json =
        serde_json::from_slice(&std::fs::read(extra("served/managed-settings.json")).unwrap())
            .unwrap();
    let obj = linux.as_object_mut().unwrap();
    obj.remove("disableAutoUpdates");
    obj.remove("relaunchEnforcementHours");
    let e = effective(&[
        "--linux",
        &write("no-app-behavior.json", linux.to_string().as_bytes()),
        "--bootstrap",
        &extra("anchored/bootstrap.json"),
    ]);
    assert_eq!(source_of(&e, "updateViaUpdatesHost"), Some("bootstrap"));
}

#[test]
fn mdm_only_keys_in_a_response_are_ignored() {
    let mut response: Json =
        serde_json::from_slice(&std::fs::read(extra("served/bootstrap.json")).unwrap()).unwrap();
    let obj = response.as_object_mut().unwrap();
    obj.insert(
        "bootstrapUrl".into(),
        json!("https://evil.example/bootstrap"),
    );
    obj.insert("trustBootstrapDelivery".into(), json!(true));
    obj.insert("egressProxyUrl".into(), json!("http://evil.example:3128"));
    let e = effective(&[
        "--macos-machine",
        &extra("served/served.mobileconfig"),
        "--bootstrap",
        &write("hostile-response.json", response.to_string().as_bytes()),
    ]);
    assert_eq!(
        value_of(&e, "bootstrapUrl"),
        "https://boot.acme.example/bootstrap"
    );
    assert_eq!(source_of(&e, "bootstrapUrl"), Some("macos-machine"));
    assert!(e["keys"].get("trustBootstrapDelivery").is_none());
    assert!(e["keys"].get("egressProxyUrl").is_none());
    for key in ["bootstrapUrl", "trustBootstrapDelivery", "egressProxyUrl"] {
        assert!(
            has_warning(
                &e,
                "bootstrap",
                &format!("`{key}` is never taken from a bootstrap response")
            ),
            "{key}"
        );
    }
}

#[test]
fn a_response_needs_a_bootstrap_url_in_force() {
    let e = effective(&[
        "--linux",
        &dist("us/managed-settings.json"),
        "--bootstrap",
        &extra("served/bootstrap.json"),
    ]);
    assert!(all_from(&e, "linux"));
    assert!(has_warning(
        &e,
        "bootstrap",
        "no configuration in force sets `bootstrapUrl`"
    ));
    // bootstrapEnabled = false keeps the URL but skips the fetch.
    let mut linux: Json =
        serde_json::from_slice(&std::fs::read(extra("anchored/managed-settings.json")).unwrap())
            .unwrap();
    linux["bootstrapEnabled"] = json!(false);
    let e = effective(&[
        "--linux",
        &write("disabled.json", linux.to_string().as_bytes()),
        "--bootstrap",
        &extra("served/bootstrap.json"),
    ]);
    assert!(all_from(&e, "linux"));
    assert!(has_warning(&e, "bootstrap", "`bootstrapEnabled` is false"));
}

// ---- Output ----------------------------------------------------------------

#[test]
fn json_output_shape_is_exact() {
    let (code, stdout, _) = polc(&[
        "effective",
        "--linux",
        &extra("updates/managed-settings.json"),
        "--bootstrap",
        &extra("served/bootstrap.json"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let expected = json!({
        "keys": {
            "autoUpdaterEnforcementHours": { "value": 24, "source": "linux" },
            "disableAutoUpdates": { "value": false, "source": "linux" },
        },
        "warnings": [
            {
                "message": "the response is not applied: no configuration in force sets `bootstrapUrl`, so the app fetches no bootstrap response",
                "source": "bootstrap",
            },
        ],
    });
    assert_eq!(
        stdout,
        format!("{}\n", serde_json::to_string_pretty(&expected).unwrap())
    );
}

#[test]
fn secrets_are_redacted_in_every_format() {
    let args = ["--windows-hkcu", &extra("personal/personal.reg")];
    for format in ["human", "json"] {
        let (code, stdout, stderr) = polc(&["effective", args[0], args[1], "--format", format]);
        assert_eq!(code, 0, "{stderr}");
        for (_, secret) in SECRETS {
            assert!(!stdout.contains(secret), "{format}: {secret} printed");
        }
        assert!(stdout.contains("<redacted>"), "{format}");
    }
    let e = effective(&args);
    assert_eq!(value_of(&e, "inferenceGatewayApiKey"), "<redacted>");
    let oauth = &value_of(&e, "managedMcpServers")[0]["oauth"];
    assert_eq!(oauth["clientSecret"], "<redacted>");
    assert_eq!(oauth["clientId"], "acme");
}

/// A URL read from a device keeps its text but not the password of its
/// `user:password@` (the app would reject it; `effective` must not print
/// it either), at the top level and inside a value.
#[test]
fn url_passwords_are_masked_in_every_format() {
    let linux = write(
        "url-credentials/managed-settings.json",
        br#"{
  "inferenceProvider": "gateway",
  "inferenceGatewayBaseUrl": "https://user:DEVICEPASSWORD1@gw.example",
  "managedMcpServers": [{ "name": "j", "transport": "http", "url": "https://DEVICETOKEN2@mcp.example/j" }]
}"#,
    );
    for format in ["human", "json"] {
        let (code, stdout, stderr) = polc(&["effective", "--linux", &linux, "--format", format]);
        assert_eq!(code, 0, "{stderr}");
        assert!(!stdout.contains("DEVICEPASSWORD1"), "{format}:\n{stdout}");
        assert!(!stdout.contains("DEVICETOKEN2"), "{format}:\n{stdout}");
    }
    let e = effective(&["--linux", &linux]);
    assert_eq!(
        value_of(&e, "inferenceGatewayBaseUrl"),
        "https://user:<redacted>@gw.example"
    );
    assert_eq!(
        value_of(&e, "managedMcpServers")[0]["url"],
        "https://<redacted>@mcp.example/j"
    );
}

#[test]
fn unreadable_inputs_exit_with_2() {
    let cases: Vec<Vec<String>> = vec![
        vec!["--linux".into(), "no/such/file.json".into()],
        vec!["--linux".into(), dist("us/us.reg")],
        vec!["--windows-hklm".into(), dist("us/managed-settings.json")],
        vec!["--macos-machine".into(), dist("us/managed-settings.json")],
        vec!["--local".into(), dist("us/managed-settings.json")],
        vec!["--bootstrap".into(), write("broken.json", b"{ not json")],
        // One platform at a time.
        vec![
            "--linux".into(),
            dist("us/managed-settings.json"),
            "--windows-hklm".into(),
            dist("us/us.reg"),
        ],
        // At least one source.
        vec![],
    ];
    for case in cases {
        let mut args = vec!["effective"];
        args.extend(case.iter().map(String::as_str));
        let (code, stdout, stderr) = polc(&args);
        assert_eq!(code, 2, "{case:?}: {stdout}");
        assert!(!stderr.is_empty(), "{case:?}");
    }
    // A broken value line is named, its data (perhaps a secret) not shown.
    let broken = write(
        "broken.reg",
        &reg(&[(
            "HKEY_LOCAL_MACHINE",
            &[r#""inferenceGatewayApiKey"="fake-leaked-key"#],
        )]),
    );
    let (code, _, stderr) = polc(&["effective", "--windows-hklm", &broken]);
    assert_eq!(code, 2);
    assert!(stderr.contains("inferenceGatewayApiKey"), "{stderr}");
    assert!(!stderr.contains("fake-leaked-key"), "{stderr}");
}
