//! `polc effective`: reads the sources given on the command line and prints
//! what a device with those sources would apply ([`polc::effective`]).
//!
//! Exit codes: 0 when every source could be read (warnings do not change
//! it: they describe the device, not a mistake in the command), 2 when a
//! file cannot be read or is not the kind of file its option expects.

use super::{Failure, Format, OK, out};
use clap::{ArgGroup, Args};
use polc::effective::{AppliedId, Inputs, Local, Managed};
use polc::import::Imported;
use polc::schema::Schema;
use std::path::{Path, PathBuf};

/// The sources present on a device (one platform's managed sources).
#[derive(Args, Debug)]
#[command(group(
    ArgGroup::new("sources")
        .required(true)
        .multiple(true)
        .args(["macos_user", "macos_machine", "windows_hklm", "windows_hkcu", "linux", "local", "bootstrap"])
))]
pub struct EffectiveArgs {
    /// The per-user managed plist (`/Library/Managed Preferences/<user>/…`),
    /// as a flat preference plist or a .mobileconfig.
    #[arg(long, value_name = "PLIST", conflicts_with_all = ["windows_hklm", "windows_hkcu", "linux"])]
    macos_user: Option<PathBuf>,
    /// The machine managed plist (`/Library/Managed Preferences/…`), as a
    /// flat preference plist or a .mobileconfig.
    #[arg(long, value_name = "PLIST", conflicts_with_all = ["windows_hklm", "windows_hkcu", "linux"])]
    macos_machine: Option<PathBuf>,
    /// A .reg file: its HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Claude values.
    #[arg(long, value_name = "REG", conflicts_with = "linux")]
    windows_hklm: Option<PathBuf>,
    /// A .reg file: its HKEY_CURRENT_USER\SOFTWARE\Policies\Claude values.
    #[arg(long, value_name = "REG", conflicts_with = "linux")]
    windows_hkcu: Option<PathBuf>,
    /// The Linux managed file (`/etc/claude-desktop/managed-settings.json`).
    #[arg(long, value_name = "FILE")]
    linux: Option<PathBuf>,
    /// A configLibrary directory: the entry `_meta.json` applies.
    #[arg(long, value_name = "DIR")]
    local: Option<PathBuf>,
    /// A bootstrap response (flat JSON).
    #[arg(long, value_name = "JSON")]
    bootstrap: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))
}

/// Reads a file with `polc import`'s reader and checks it is one of the
/// expected kinds.
fn imported(
    path: &Path,
    option: &str,
    kinds: &[&str],
    schema: &Schema,
) -> Result<Imported, String> {
    let bytes = read(path)?;
    let file = polc::import::read(&bytes, &schema.file().domain)
        .map_err(|why| format!("cannot read `{}`: {why}", path.display()))?;
    if !kinds.contains(&file.kind) {
        return Err(format!(
            "`{}` is a {}; --{option} expects a {}",
            path.display(),
            file.kind,
            kinds.join(" or ")
        ));
    }
    Ok(file)
}

const PLIST: &[&str] = &["preference plist", ".mobileconfig", "signed .mobileconfig"];
const JSON: &[&str] = &["JSON configuration"];

fn registry(path: &Path) -> Result<polc::import::Registry, String> {
    polc::import::read_registry(&read(path)?)
        .map_err(|why| format!("cannot read `{}`: {why}", path.display()))
}

fn local(dir: &Path, schema: &Schema) -> Result<Local, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a directory", dir.display()));
    }
    let meta_path = dir.join("_meta.json");
    let meta = match std::fs::read(&meta_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Local::NotApplied(format!(
                "`{}` has no `_meta.json`: no local configuration is applied",
                dir.display()
            )));
        }
        Err(e) => return Err(format!("cannot read `{}`: {e}", meta_path.display())),
    };
    let id = match polc::effective::applied_id(&meta)
        .map_err(|why| format!("cannot read `{}`: {why}", meta_path.display()))?
    {
        AppliedId::Id(id) => id,
        AppliedId::None(why) => return Ok(Local::NotApplied(why)),
    };
    let entry_path = dir.join(format!("{id}.json"));
    if !entry_path.exists() {
        return Ok(Local::NotApplied(format!(
            "`_meta.json` applies `{id}`, but `{id}.json` does not exist: no local configuration is applied"
        )));
    }
    let entry = imported(&entry_path, "local", JSON, schema)?;
    Ok(Local::Applied { id, entry })
}

/// Runs `polc effective`.
pub fn run(schema: &Schema, args: &EffectiveArgs) -> Result<u8, Failure> {
    let plist = |p: &Option<PathBuf>, option: &str| -> Result<Option<Imported>, String> {
        p.as_deref()
            .map(|p| imported(p, option, PLIST, schema))
            .transpose()
    };
    let managed = if args.macos_user.is_some() || args.macos_machine.is_some() {
        Managed::MacOs {
            user: plist(&args.macos_user, "macos-user")?,
            machine: plist(&args.macos_machine, "macos-machine")?,
        }
    } else if args.windows_hklm.is_some() || args.windows_hkcu.is_some() {
        Managed::Windows {
            hklm: args.windows_hklm.as_deref().map(registry).transpose()?,
            hkcu: args.windows_hkcu.as_deref().map(registry).transpose()?,
        }
    } else if let Some(p) = &args.linux {
        Managed::Linux(imported(p, "linux", JSON, schema)?)
    } else {
        Managed::None
    };
    let inputs = Inputs {
        managed,
        local: args
            .local
            .as_deref()
            .map(|d| local(d, schema))
            .transpose()?,
        bootstrap: args
            .bootstrap
            .as_deref()
            .map(|p| imported(p, "bootstrap", JSON, schema))
            .transpose()?,
    };
    let effective = polc::effective::resolve(&inputs, schema);
    match args.format {
        Format::Human => out(&polc::effective::to_text(&effective))?,
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&polc::effective::to_json(&effective)).unwrap_or_default()
        ))?,
    }
    Ok(OK)
}
