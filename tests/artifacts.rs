//! Golden snapshots of the artifacts built from `policies/`.
//!
//! `manifest.json` pins the SHA-256 of every artifact, so any change to any
//! byte of any output shows up in its snapshot; three profiles' artifacts
//! are also snapshotted in full, decoded to text, for review.
#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Write as _;

fn built() -> Vec<polc::emit::Artifact> {
    let (files, mut host) = common::load_dir(&common::root().join("policies"));
    host.env = common::fake_env().env;
    let sources = polc::source::SourceSet::from_tree("policies", files);
    let schema = polc::schema::Schema::builtin();
    let c = polc::compile(&sources, &schema, &host);
    polc::emit::build::build(&c, &schema, &host).unwrap()
}

/// UTF-16LE (with BOM) to text, for `.reg` files.
fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap().replace("\r\n", "\n")
}

#[test]
fn manifest_pins_every_artifact() {
    let artifacts = built();
    let manifest = artifacts
        .iter()
        .find(|a| a.path == "manifest.json")
        .unwrap();
    insta::assert_snapshot!(
        "manifest",
        String::from_utf8(manifest.bytes.clone()).unwrap()
    );
}

#[test]
fn artifacts_of_three_profiles() {
    let artifacts = built();
    for profile in ["us", "eu-eng", "apac-contractors"] {
        let mut overview = String::new();
        for a in artifacts
            .iter()
            .filter(|a| a.path.starts_with(&format!("profiles/{profile}/")))
        {
            let _ = writeln!(
                overview,
                "===== {} ({} bytes{})",
                a.path,
                a.bytes.len(),
                if a.secret { ", secret" } else { "" }
            );
            let text = if a.path.ends_with(".reg") {
                utf16(&a.bytes)
            } else {
                String::from_utf8(a.bytes.clone()).unwrap()
            };
            overview.push_str(&text);
            if !text.ends_with('\n') {
                overview.push('\n');
            }
        }
        insta::assert_snapshot!(format!("profile_{profile}"), overview);
    }
}

#[test]
fn template_zip_listing() {
    let artifacts = built();
    let zip = artifacts
        .iter()
        .find(|a| a.path == "templates/claude-admx.zip")
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes.clone())).unwrap();
    let mut listing = String::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        let name = f.name().unwrap().to_string();
        let _ = writeln!(
            listing,
            "{name} {} {}",
            bytes.len(),
            polc::emit::build::sha256_hex(&bytes)
        );
    }
    insta::assert_snapshot!("template_zip_listing", listing);
}
