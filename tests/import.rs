//! `polc import` of the forms the app's device-management sources take: MCX
//! profiles (plain and signed), `.reg` files as regedit writes them (UTF-16,
//! both hives, value types the app does not read), and what it refuses.
//! The UI cases under `tests/ui/import/` show the rendered diagnostics.
#![allow(clippy::unwrap_used)]

mod common;

use polc::diag::Code;
use polc::schema::Schema;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn polc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-import-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// A `.reg` file as regedit writes it: UTF-16LE with a byte-order mark and
/// CRLF line ends.
fn regedit(lines: &[&str]) -> Vec<u8> {
    let text = format!("{}\r\n\r\n", lines.join("\r\n"));
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

/// The codes of an import's diagnostics, in order.
fn codes(bytes: &[u8]) -> Vec<Code> {
    let schema = Schema::builtin();
    let imported = polc::import::read(bytes, &schema.file().domain).unwrap();
    polc::import::to_policy(&imported, "p", &schema)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// An MCX profile as Jamf delivers a custom schema's settings:
/// `com.apple.ManagedClient.preferences` → domain → `Forced` →
/// `mcx_preference_settings`, with native plist types where the schema said
/// so.
const MCX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.ManagedClient.preferences</string>
<key>PayloadIdentifier</key><string>com.example.mcx</string>
<key>PayloadUUID</key><string>6B0A1A7E-0000-4000-8000-000000000001</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadContent</key><dict><key>com.anthropic.claudefordesktop</key><dict><key>Forced</key><array><dict><key>mcx_preference_settings</key><dict>
<key>inferenceProvider</key><string>gateway</string>
<key>inferenceGatewayBaseUrl</key><string>https://g.example.com</string>
<key>inferenceGatewayApiKey</key><string>sk-mcx-do-not-print</string>
<key>disableAutoUpdates</key><true/>
<key>autoUpdaterEnforcementHours</key><integer>12</integer>
<key>inferenceModels</key><array><string>claude-sonnet-4-5</string></array>
<key>managedMcpServers</key><string>[{"name":"box","transport":"http","url":"https://mcp.example.com/box","oauth":{"clientId":"id","clientSecret":"mcx-nested-do-not-print","authorizationServer":["https://auth.example.com"]}}]</string>
</dict></dict></array></dict></dict>
</dict></array>
<key>PayloadIdentifier</key><string>com.example</string>
<key>PayloadScope</key><string>System</string>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadUUID</key><string>6B0A1A7E-0000-4000-8000-000000000002</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></plist>
"#;

const MCX_POLICY: &str = r#"/// Imported from a .mobileconfig by polc.
profile m {
  autoUpdaterEnforcementHours = 12
  disableAutoUpdates          = true
  inferenceGatewayApiKey      = env("POLC_INFERENCE_GATEWAY_API_KEY")
  inferenceGatewayBaseUrl     = "https://g.example.com"
  inferenceModels             = ["claude-sonnet-4-5"]
  inferenceProvider           = "gateway"
  managedMcpServers = [
    {
      name      = "box",
      transport = "http",
      url       = "https://mcp.example.com/box",
      oauth = {
        clientId            = "id",
        clientSecret        = env("POLC_MANAGED_MCP_SERVERS_0_OAUTH_CLIENT_SECRET"),
        authorizationServer = ["https://auth.example.com"],
      },
    },
  ]

  meta {
    identifier = "com.example"
    scope      = "system"
  }
}
"#;

#[test]
fn mcx_profile_imports_its_forced_settings() {
    let dir = temp("mcx");
    let file = write(&dir, "mcx.mobileconfig", MCX.as_bytes());
    let (code, stdout, stderr) = polc(&["import", &file, "--name", "m"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, MCX_POLICY);
    // The two secrets, as env() references, and nothing else.
    assert_eq!(stderr.matches("note[I0504]").count(), 2, "{stderr}");
    assert!(
        !stderr.contains("warning") && !stderr.contains("error"),
        "{stderr}"
    );
    assert!(!format!("{stdout}{stderr}").contains("do-not-print"));
    // `polc effective` reads it with the same reader.
    let (code, stdout, stderr) = polc(&["effective", "--macos-machine", &file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    "inferenceGatewayBaseUrl",
                    "=",
                    "\"https://g.example.com\"",
                    "(macos-machine)"
                ]),
        "{stdout}"
    );
    assert!(!stdout.contains("do-not-print"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A signed MCX profile (CMS SignedData, as `polc build --sign-cert` and
/// Jamf's read-only uploads carry them) imports as the plain one does.
#[test]
fn signed_mcx_profile_imports_like_the_plain_one() {
    if !common::require("openssl", common::have_command("openssl")) {
        return;
    }
    let dir = temp("mcx-signed");
    let plain = write(&dir, "plain.mobileconfig", MCX.as_bytes());
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let o = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=polc import test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let signed = dir.join("signed.mobileconfig");
    let o = Command::new("openssl")
        .args(["cms", "-sign", "-binary", "-nodetach", "-outform", "DER"])
        .args(["-md", "sha256", "-signer"])
        .arg(&cert)
        .arg("-inkey")
        .arg(&key)
        .arg("-in")
        .arg(&plain)
        .arg("-out")
        .arg(&signed)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&signed).unwrap()[0], 0x30, "not DER");
    let (code, stdout, stderr) = polc(&["import", signed.to_str().unwrap(), "--name", "m"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        MCX_POLICY.replace("a .mobileconfig", "a signed .mobileconfig")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mcx_forced_entries_merge_and_other_states_are_left_out() {
    let schema = Schema::builtin();
    let bytes =
        std::fs::read(common::root().join("tests/ui/import/mcx-states.mobileconfig")).unwrap();
    let imported = polc::import::read(&bytes, &schema.file().domain).unwrap();
    // Both entries of `Forced` and the direct payload, merged; the key the
    // two entries disagree on is left out; Set-Once is left out.
    assert_eq!(
        imported.values,
        [
            ("inferenceProvider".to_string(), Json::from("gateway")),
            ("chatTabEnabled".to_string(), Json::from("false")),
        ]
    );
    assert_eq!(
        imported.global_keys,
        ["AppleLanguages", "disableAutoUpdates"]
    );
    assert_eq!(
        codes(&bytes),
        [
            Code::ImportIgnoredSettings,
            Code::ImportConflictingValues,
            Code::ImportIgnoredSettings
        ]
    );
}

#[test]
fn mcx_with_only_set_once_settings_is_refused_and_says_why() {
    let dir = temp("set-once");
    let profile = MCX.replace("<key>Forced</key>", "<key>Set-Once</key>");
    let file = write(&dir, "once.mobileconfig", profile.as_bytes());
    let (code, stdout, stderr) = polc(&["import", &file]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("error[I0501]") && stderr.contains("it holds no setting of the schema"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning[I0505]: the `Set-Once` settings of `com.anthropic.claudefordesktop` in the payload `com.example.mcx` are not managed configuration; left out: `inferenceProvider`, `inferenceGatewayBaseUrl`, `inferenceGatewayApiKey`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("do-not-print"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mcx_keys_forced_only_in_global_preferences_are_named() {
    let dir = temp("global");
    let profile = MCX.replace(
        "<key>com.anthropic.claudefordesktop</key>",
        "<key>.GlobalPreferences</key>",
    );
    let file = write(&dir, "global.mobileconfig", profile.as_bytes());
    let (code, stdout, stderr) = polc(&["import", &file]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(
            "warning[I0505]: keys of the schema forced in `.GlobalPreferences` rather than in `com.anthropic.claudefordesktop`; left out: `inferenceProvider`, `inferenceGatewayBaseUrl`, `inferenceGatewayApiKey`, `disableAutoUpdates`, `autoUpdaterEnforcementHours`, `inferenceModels`, `managedMcpServers`"
        ),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_mcx_payloads_are_refused_without_panicking() {
    let domain = Schema::builtin().file().domain.clone();
    for (from, to, why) in [
        (
            "<key>Forced</key><array>",
            "<key>Forced</key><string>x</string><key>Unused</key><array>",
            "`Forced` of `com.anthropic.claudefordesktop` in the com.apple.ManagedClient.preferences payload `com.example.mcx` is not an array",
        ),
        (
            "<key>mcx_preference_settings</key>",
            "<key>settings</key>",
            "entry 1 of `Forced` of `com.anthropic.claudefordesktop` in the com.apple.ManagedClient.preferences payload `com.example.mcx` has no `mcx_preference_settings` dictionary",
        ),
        (
            "<key>PayloadContent</key><dict>",
            "<key>PayloadContent</key><string>x</string><key>Other</key><dict>",
            "the com.apple.ManagedClient.preferences payload `com.example.mcx` has no `PayloadContent` dictionary of preference domains",
        ),
        (
            "<key>com.anthropic.claudefordesktop</key>",
            "<key>com.example.other</key>",
            "the profile has no `com.anthropic.claudefordesktop` payload, and no `com.apple.ManagedClient.preferences` payload with settings for `com.anthropic.claudefordesktop`",
        ),
    ] {
        assert!(MCX.contains(from), "{from}");
        let bytes = MCX.replacen(from, to, 1);
        assert_eq!(
            polc::import::read(bytes.as_bytes(), &domain).unwrap_err(),
            why
        );
    }
}

#[test]
fn reg_with_both_hives_takes_the_machine_values() {
    let dir = temp("both-hives");
    let file = write(
        &dir,
        "both.reg",
        &regedit(&[
            "Windows Registry Editor Version 5.00",
            "",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]",
            r#""inferenceProvider"="gateway""#,
            r#""inferenceGatewayBaseUrl"="https://machine.example.com""#,
            "",
            r"[HKEY_CURRENT_USER\SOFTWARE\Policies\Claude]",
            r#""inferenceGatewayBaseUrl"="https://user.example.com""#,
            r#""chatTabEnabled"="true""#,
            r#""inferenceGatewayApiKey"="sk-user-do-not-print""#,
        ]),
    );
    let (code, stdout, stderr) = polc(&["import", &file, "--name", "w"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        r#"/// Imported from a .reg by polc.
profile w {
  inferenceGatewayBaseUrl = "https://machine.example.com"
  inferenceProvider       = "gateway"

  meta {
    scope = "system"
  }
}
"#
    );
    assert!(
        stderr.starts_with(
            "warning[I0505]: the app ignores the HKEY_CURRENT_USER values because HKEY_LOCAL_MACHINE holds machine policy; left out: `inferenceGatewayBaseUrl`, `chatTabEnabled`, `inferenceGatewayApiKey`\n"
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with("1 warning\n"), "{stderr}");
    assert!(!stderr.contains("do-not-print"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reg_without_machine_policy_takes_the_user_values() {
    // A deleted machine key, and one the app does not see (REG_QWORD).
    for machine in [
        vec![r"[-HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]"],
        vec![
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]",
            r#""chatTabEnabled"=hex(b):01,00,00,00,00,00,00,00"#,
        ],
    ] {
        let mut lines = vec!["Windows Registry Editor Version 5.00", ""];
        lines.extend(&machine);
        lines.extend([
            "",
            r"[HKEY_CURRENT_USER\SOFTWARE\Policies\Claude]",
            r#""inferenceProvider"="gateway""#,
        ]);
        let schema = Schema::builtin();
        let imported = polc::import::read(&regedit(&lines), &schema.file().domain).unwrap();
        assert_eq!(
            imported.values,
            [("inferenceProvider".to_string(), Json::from("gateway"))]
        );
        assert_eq!(imported.meta, [("scope", Json::from("user"))]);
    }
}

#[test]
fn reg_values_of_types_the_app_cannot_read_are_left_out() {
    let dir = temp("types");
    let file = write(
        &dir,
        "dw.reg",
        &regedit(&[
            "Windows Registry Editor Version 5.00",
            "",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]",
            r#""disableAutoUpdates"=dword:00000001"#,
            r#""autoUpdaterEnforcementHours"=dword:0000000c"#,
            r#""inferenceProvider"="gateway""#,
            r#""otlpEndpoint"=hex(2):68,00,00,00"#,
            r#""inferenceGatewayApiKey"=hex(2):73,00,6b,00,00,00"#,
            r#""inferenceModels"=hex(7):61,00,00,00,00,00"#,
            r#""deploymentDisplayName"=dword:00000007"#,
        ]),
    );
    let (code, stdout, stderr) = polc(&["import", &file, "--name", "t"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        r#"/// Imported from a .reg by polc.
profile t {
  autoUpdaterEnforcementHours = 12
  disableAutoUpdates          = true
  inferenceProvider           = "gateway"

  meta {
    scope = "system"
  }
}
"#
    );
    for line in [
        "error[I0506]: `otlpEndpoint` is REG_EXPAND_SZ, which the app cannot read; left out",
        "error[I0506]: `inferenceGatewayApiKey` is REG_EXPAND_SZ, which the app cannot read; left out",
        "error[I0506]: `inferenceModels` is REG_MULTI_SZ, which the app does not see; left out",
        "error[I0506]: `deploymentDisplayName` is REG_DWORD, which the app reads only for boolean and integer keys; left out",
        "warning[I0507]: `autoUpdaterEnforcementHours` is REG_DWORD: the app reads it for boolean and integer keys, but one report (May 2026) found REG_DWORD values not read",
        "warning[I0507]: `disableAutoUpdates` is REG_DWORD: the app reads it for boolean and integer keys, but one report (May 2026) found REG_DWORD values not read",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert!(stderr.ends_with("4 errors, 2 warnings\n"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What an import keeps is what `polc effective` says the app applies, for
/// every `.reg` case (secrets aside: effective redacts them).
#[test]
fn reg_import_agrees_with_effective() {
    let schema = Schema::builtin();
    let dir = common::root().join("tests/ui/import");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "reg") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let registry = polc::import::read_registry(&bytes).unwrap();
        let effective = polc::effective::resolve(
            &polc::effective::Inputs {
                managed: polc::effective::Managed::Windows {
                    hklm: Some(registry.clone()),
                    hkcu: Some(registry),
                },
                ..polc::effective::Inputs::default()
            },
            &schema,
        );
        let applied: BTreeMap<String, Json> = effective
            .keys
            .into_iter()
            .filter(|(_, s)| !s.redacted)
            .map(|(k, s)| (k, s.value))
            .collect();
        let imported = polc::import::read(&bytes, &schema.file().domain).unwrap();
        let result = polc::import::to_policy(&imported, "p", &schema);
        let sources = polc::source::SourceSet::new(vec![(
            "p.policy".into(),
            result.source.clone().into_bytes(),
        )]);
        let host = polc::host::MemoryHost::default();
        let back = polc::compile(&sources, &schema, &host);
        let id = back.resolved.find("p").unwrap();
        let encoded = polc::emit::encode(&back.resolved, id, &schema, &host);
        let kept: BTreeMap<String, Json> = match encoded {
            Ok(e) => e
                .entries
                .iter()
                .filter(|e| !e.def.secret)
                .map(|e| (e.def.name.clone(), e.value.clone()))
                .collect(),
            // Only a secret's env() can be missing.
            Err(_) => {
                let mut with_env = polc::host::MemoryHost::default();
                with_env
                    .env
                    .insert("POLC_INFERENCE_GATEWAY_API_KEY".into(), "x".into());
                polc::emit::encode(&back.resolved, id, &schema, &with_env)
                    .unwrap()
                    .entries
                    .iter()
                    .filter(|e| !e.def.secret)
                    .map(|e| (e.def.name.clone(), e.value.clone()))
                    .collect()
            }
        };
        assert_eq!(kept, applied, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} .reg cases");
}

#[test]
fn nested_v2_configurations_are_named_as_such() {
    let dir = temp("v2");
    for (name, text, why) in [
        (
            "marked.json",
            r#"{"$schemaVersion":2,"inference":{"provider":"gateway"}}"#,
            "nested (v2) bootstrap configurations are not supported; import the flat (v1) form",
        ),
        (
            "sniffed.json",
            r#"{"inference":{"provider":"gateway"},"mcp":{"toolTimeoutSec":30}}"#,
            "it looks like a nested (v2) configuration (`inference`, `mcp` are v2 sections); nested configurations are not supported: import the flat (v1) form",
        ),
    ] {
        let file = write(&dir, name, text.as_bytes());
        let (code, stdout, stderr) = polc(&["import", &file]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stdout, "");
        assert!(
            stderr.starts_with(&format!("error[I0501]: cannot import `{file}`: {why}\n")),
            "{stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every prefix of every import case is read or refused, never a panic.
#[test]
fn truncated_inputs_never_panic() {
    let schema = Schema::builtin();
    let mut inputs: Vec<Vec<u8>> = vec![MCX.as_bytes().to_vec()];
    for entry in std::fs::read_dir(common::root().join("tests/ui/import")).unwrap() {
        inputs.push(std::fs::read(entry.unwrap().path()).unwrap());
    }
    inputs.push(regedit(&[
        "Windows Registry Editor Version 5.00",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude]",
        r#""otlpEndpoint"=hex(2):68,00,\"#,
        "  00,00",
    ]));
    for bytes in inputs {
        for end in 0..=bytes.len() {
            if let Ok(imported) = polc::import::read(&bytes[..end], &schema.file().domain) {
                let _ = polc::import::no_setting(&imported, &schema);
                let _ = polc::import::to_policy(&imported, "p", &schema);
            }
        }
    }
}
