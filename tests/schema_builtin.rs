//! Checks of the built-in schema `schemas/claude-desktop.json`.
#![allow(clippy::unwrap_used)]

use polc::diag::Diagnostics;
use polc::schema::model::{Availability, Status, TypeDef};
use polc::schema::{BUILTIN_TEXT, Schema};
use polc::source::FileId;
use serde_json::Value;

fn load() -> Schema {
    let mut diags = Diagnostics::new();
    let schema = Schema::load(BUILTIN_TEXT, FileId(0), &mut diags);
    let messages: Vec<&str> = diags
        .as_slice()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages.is_empty(),
        "built-in schema diagnostics: {messages:#?}"
    );
    schema.expect("the built-in schema loads")
}

#[test]
fn builtin_loads_without_diagnostics() {
    let schema = load();
    assert_eq!(schema.provider_key(), Some("inferenceProvider"));
}

#[test]
fn key_counts_by_status() {
    let schema = load();
    let count = |s: Status| schema.keys().iter().filter(|k| k.status == s).count();
    assert_eq!(count(Status::Documented), 122);
    assert_eq!(count(Status::Deprecated), 9);
    assert_eq!(count(Status::Removed), 1);
    assert_eq!(count(Status::FirstPartyOnly), 7);
    assert_eq!(count(Status::Unverified), 14);
    assert_eq!(schema.keys().len(), 153);
}

#[test]
fn documented_keys_by_section() {
    let schema = load();
    let count = |section: &str| {
        schema
            .keys()
            .iter()
            .filter(|k| k.status == Status::Documented && k.section == section)
            .count()
    };
    assert_eq!(count("source"), 6);
    assert_eq!(count("connection"), 44);
    assert_eq!(count("models"), 8);
    assert_eq!(count("workspace"), 26);
    assert_eq!(count("connectors"), 8);
    assert_eq!(count("telemetry"), 18);
    assert_eq!(count("usage"), 2);
    assert_eq!(count("appearance"), 6);
    assert_eq!(count("plugins"), 4);
}

#[test]
fn app_behavior_keys_are_exactly_the_seven() {
    let schema = load();
    let mut names: Vec<&str> = schema
        .keys()
        .iter()
        .filter(|k| k.app_behavior)
        .map(|k| k.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "autoUpdaterEnforcementHours",
            "configRecheckIntervalMinutes",
            "disableAutoUpdates",
            "egressProxyPacUrl",
            "egressProxyUrl",
            "relaunchEnforcementHours",
            "updateViaUpdatesHost",
        ]
    );
}

fn int_range(schema: &Schema, name: &str) -> (Option<i64>, Option<i64>) {
    match &schema.key(name).unwrap().ty {
        TypeDef::Integer { min, max } => (*min, *max),
        other => panic!("{name} is not an integer: {other:?}"),
    }
}

#[test]
fn integer_ranges() {
    let schema = load();
    let cases = [
        ("autoUpdaterEnforcementHours", 1, 72),
        ("inferenceTokenWindowHours", 1, 720),
        ("inferenceCredentialHelperTimeoutSec", 1, 600),
        ("relaunchEnforcementHours", 0, 336),
        ("configRecheckIntervalMinutes", 2, 30),
        ("inferenceStreamIdleTimeoutSec", 300, 1800),
        ("mcpToolTimeoutSec", 60, 3600),
    ];
    for (name, lo, hi) in cases {
        assert_eq!(int_range(&schema, name), (Some(lo), Some(hi)), "{name}");
    }
}

#[test]
fn representative_keys() {
    let schema = load();

    let provider = schema.key("inferenceProvider").unwrap();
    match &provider.ty {
        TypeDef::String { values, .. } => assert_eq!(
            values,
            &[
                "gateway",
                "anthropic",
                "bedrock",
                "mantle",
                "vertex",
                "foundry"
            ]
        ),
        other => panic!("inferenceProvider: {other:?}"),
    }

    match &schema.key("inferenceModelPricingMultiplier").unwrap().ty {
        TypeDef::Number {
            min,
            exclusive_min,
            max,
        } => {
            assert_eq!((*min, *exclusive_min, *max), (Some(0.0), true, Some(1.0)));
        }
        other => panic!("inferenceModelPricingMultiplier: {other:?}"),
    }

    match &schema.key("managedMcpServers").unwrap().ty {
        TypeDef::List {
            items, identity, ..
        } => {
            assert_eq!(identity.as_deref(), Some("name"));
            assert!(matches!(items.as_ref(), TypeDef::Object { name } if name == "McpServer"));
        }
        other => panic!("managedMcpServers: {other:?}"),
    }

    match &schema.key("inferenceGatewayAuthScheme").unwrap().ty {
        TypeDef::String {
            values,
            deprecated_values,
            ..
        } => {
            assert_eq!(values, &["bearer", "x-api-key"]);
            let old: Vec<&str> = deprecated_values.iter().map(|d| d.value.as_str()).collect();
            assert_eq!(old, ["sso", "auto"]);
        }
        other => panic!("inferenceGatewayAuthScheme: {other:?}"),
    }

    // The Vertex OAuth client secret too: Google deems installed-app
    // secrets non-confidential, but organisations keep it in secret stores,
    // and polc must not print what they read with env().
    for name in [
        "inferenceAnthropicApiKey",
        "inferenceBedrockBearerToken",
        "inferenceFoundryApiKey",
        "inferenceGatewayApiKey",
        "inferenceVertexOAuthClientSecret",
    ] {
        assert!(schema.key(name).unwrap().secret, "{name} should be secret");
    }
    assert_eq!(schema.keys().iter().filter(|k| k.secret).count(), 5);

    assert_eq!(
        schema
            .key("inferenceStreamIdleTimeoutSec")
            .unwrap()
            .providers,
        ["gateway"]
    );
    assert_eq!(
        schema.key("inferenceBedrockRegion").unwrap().providers,
        ["bedrock", "mantle"]
    );
    assert_eq!(
        schema.key("bootstrapUrl").unwrap().availability,
        Availability::Managed
    );
    assert_eq!(
        schema.key_by_alias("isDxtEnabled").unwrap().name,
        "isDesktopExtensionEnabled"
    );
    let old = schema.key("isDxtEnabled").unwrap();
    assert_eq!(old.status, Status::Deprecated);
    let dep = old.deprecated.as_ref().unwrap();
    assert_eq!(
        dep.replaced_by.as_deref(),
        Some("isDesktopExtensionEnabled")
    );
    assert_eq!(dep.cutoff.as_deref(), Some("2026-10-07"));
    assert_eq!(
        schema.key("forceLoginOrgUUID").unwrap().status,
        Status::FirstPartyOnly
    );
    assert_eq!(
        schema.key("otlpAttrMaxChars").unwrap().status,
        Status::Unverified
    );
    assert_eq!(
        schema.key("disableDefaultPlugins").unwrap().status,
        Status::Removed
    );

    for ty in [
        "McpServer",
        "McpOAuth",
        "ModelEntry",
        "WorkspaceFolder",
        "GatewayOidc",
        "WorkforceOidc",
        "BootstrapOidc",
        "Banner",
        "OrgPluginServer",
        "OrgPluginTool",
        "OrgPluginSettingsLegacy",
        "PluginMarketplace",
        "ClaudeAiImport",
        "ModelPricing",
    ] {
        assert!(schema.object_type(ty).is_some(), "missing type {ty}");
    }

    let ids: Vec<&str> = schema.rules().iter().map(|r| r.id.as_str()).collect();
    for id in [
        "gateway-needs-base-url",
        "gateway-needs-credential",
        "token-cap-needs-window",
    ] {
        assert!(ids.contains(&id), "missing rule {id}");
    }
    assert!(!schema.file().egress.is_empty());
}

/// The JSON kind a type accepts (`None` for unions, checked per variant).
fn kind_matches(ty: &TypeDef, value: &Value) -> bool {
    match ty {
        TypeDef::String { .. } => value.is_string(),
        TypeDef::Integer { .. } => value.is_i64() || value.is_u64(),
        TypeDef::Number { .. } => value.is_number(),
        TypeDef::Boolean => value.is_boolean(),
        TypeDef::List { .. } => value.is_array(),
        TypeDef::Map { .. } | TypeDef::Object { .. } => value.is_object(),
        TypeDef::Union { variants } => variants.iter().any(|v| kind_matches(v, value)),
    }
}

#[test]
fn defaults_have_the_key_kind() {
    let schema = load();
    for key in schema.keys() {
        if let Some(default) = &key.default {
            assert!(
                kind_matches(&key.ty, default),
                "default of {} does not match its type",
                key.name
            );
        }
    }
    for (name, ty) in &schema.file().types {
        for field in &ty.fields {
            if let Some(default) = &field.default {
                assert!(
                    kind_matches(&field.ty, default),
                    "default of {name}.{} does not match its type",
                    field.name
                );
            }
        }
    }
}

#[test]
fn defaults_respect_enums_and_ranges() {
    let schema = load();
    for key in schema.keys() {
        let Some(default) = &key.default else {
            continue;
        };
        match &key.ty {
            TypeDef::String { values, .. } if !values.is_empty() => {
                let s = default.as_str().unwrap();
                assert!(values.iter().any(|v| v == s), "{}: {s}", key.name);
            }
            TypeDef::Integer { min, max } => {
                let n = default.as_i64().unwrap();
                assert!(min.is_none_or(|m| n >= m), "{}: {n}", key.name);
                assert!(max.is_none_or(|m| n <= m), "{}: {n}", key.name);
            }
            _ => {}
        }
    }
}
