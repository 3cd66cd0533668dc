//! The command line: argument parsing, file-system access and printing.
//! Everything else is in the library.

mod apply;
mod connectivity;
mod diff;
mod effective;
mod fmt;
mod load;
mod output;
mod sign;

use clap::{Parser, Subcommand, ValueEnum};
use polc::diag::{Code, Diagnostic, Severity};
use polc::schema::Schema;
use polc::source::SourceSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: no problems (or only warnings without `--deny-warnings`).
const OK: u8 = 0;
/// Exit code: problems found.
const PROBLEMS: u8 = 1;
/// Exit code: usage or I/O error.
const USAGE: u8 = 2;

/// polc: policies as code for Claude Desktop managed configuration.
#[derive(Parser, Debug)]
#[command(name = "polc", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 ok, 1 problems found, 2 usage or I/O error.")]
struct Cli {
    /// Use this schema file instead of the built-in Claude Desktop schema.
    #[arg(long, global = true, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a policy set and report every problem.
    Check {
        /// A directory of .policy files (searched recursively) or one file.
        /// Defaults to `policies` if it exists, else `.`.
        path: Option<PathBuf>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
        /// Exit with 1 when there are warnings.
        #[arg(long)]
        deny_warnings: bool,
        /// Print how long loading and each compiler stage took (to stderr).
        #[arg(long, hide = true)]
        timings: bool,
    },
    /// Check a policy set and write every artifact into a directory.
    Build {
        /// The policy set (default: `policies` if it exists, else `.`).
        path: Option<PathBuf>,
        /// The output directory; replaced as a whole, atomically.
        #[arg(long, short, default_value = "dist")]
        out: PathBuf,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
        /// Refuse to build when there are warnings.
        #[arg(long)]
        deny_warnings: bool,
        /// Sign every .mobileconfig with this certificate (PEM); needs
        /// --sign-key. Uses the system's `openssl`.
        #[arg(long, value_name = "PEM", requires = "sign_key")]
        sign_cert: Option<PathBuf>,
        /// The private key (PEM) of --sign-cert.
        #[arg(long, value_name = "PEM", requires = "sign_cert")]
        sign_key: Option<PathBuf>,
        /// Intermediate certificates (PEM) to include in the signature.
        #[arg(long, value_name = "PEM", requires = "sign_cert")]
        sign_chain: Option<PathBuf>,
        /// Print how long loading, each compiler stage, rendering and
        /// writing, and replacing the output took (to stderr).
        #[arg(long, hide = true)]
        timings: bool,
    },
    /// Print the network egress allowlist of a profile.
    Egress {
        /// The profile.
        profile: String,
        /// The policy set (default: `policies` if it exists, else `.`).
        #[arg(long, short)]
        path: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = EgressFormat::Txt)]
        format: EgressFormat,
        /// Test that this machine can reach every destination (TCP to its
        /// port, and TLS with --tls); exits 1 when any destination fails.
        #[arg(long)]
        test: bool,
        /// With --test: also check that a TLS server answers for each
        /// HTTPS destination's name.
        #[arg(long, requires = "test")]
        tls: bool,
        /// With --test: seconds to wait for each destination.
        #[arg(long, default_value_t = 5.0, requires = "test")]
        timeout: f64,
        /// With --test: connect to ADDR:PORT for HOST (any port of it) or
        /// HOST:PORT instead of resolving it (like curl's --resolve);
        /// repeatable.
        #[arg(long, value_name = "HOST[:PORT]=ADDR:PORT", requires = "test")]
        resolve: Vec<String>,
        /// With --test: do not use DNS; names without --resolve fail.
        #[arg(long, hide = true, requires = "test")]
        offline: bool,
    },
    /// Write a profile as the local configuration of this machine, for testing.
    Apply {
        /// The profile.
        profile: String,
        /// The policy set (default: `policies` if it exists, else `.`).
        #[arg(long, short)]
        path: Option<PathBuf>,
        /// The configLibrary directory (default: the platform's, e.g.
        /// `~/Library/Application Support/Claude-3p/configLibrary`).
        #[arg(long, value_name = "DIR")]
        config_library: Option<PathBuf>,
        /// Apply even though a managed configuration is present (the app
        /// ignores local configuration while it is).
        #[arg(long)]
        force: bool,
        /// Managed configuration files to look for instead of the platform's
        /// (for tests).
        #[arg(long, hide = true, value_name = "FILE")]
        managed_file: Vec<PathBuf>,
    },
    /// Turn a deployed or exported configuration into policy source.
    Import {
        /// A .mobileconfig (signed or not), a managed-preferences plist, a
        /// .reg file, a Linux managed-settings.json, a configuration-library
        /// entry or a flat bootstrap response.
        file: PathBuf,
        /// The profile name (default: derived from the file name).
        #[arg(long)]
        name: Option<String>,
    },
    /// What a device would apply, given the configuration sources on it.
    Effective(effective::EffectiveArgs),
    /// Print the effective configuration of a profile.
    Show {
        /// The profile.
        profile: String,
        /// The policy set (default: `policies` if it exists, else `.`).
        #[arg(long, short)]
        path: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show which statements set, appended to or removed from a key.
    Trace {
        /// The profile.
        profile: String,
        /// The key (or `meta.FIELD`).
        key: String,
        /// The policy set (default: `policies` if it exists, else `.`).
        #[arg(long, short)]
        path: Option<PathBuf>,
    },
    /// Compare the effective configuration of two versions of a policy set.
    #[command(
        after_help = "Forms: `polc diff OLD NEW` compares two policy sets; `polc diff --base REV [PATH]` compares the working tree's PATH with PATH at git revision REV.\n\nExit codes: 0 nothing changes, 1 something changes (or a version has errors), 2 usage or I/O error."
    )]
    Diff {
        /// OLD and NEW policy sets; with --base, the one policy set (default:
        /// `policies` if it exists, else `.`).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Compare the working tree with this git revision (a commit, branch or tag).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = diff::Format::Human)]
        format: diff::Format,
    },
    /// Rewrite policy files in the canonical layout.
    Fmt {
        /// Directories of .policy files (searched recursively) or files.
        /// Defaults to `policies` if it exists, else `.`.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Write nothing: list the files that would change (exit 1 if any).
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code (e.g. `C0201` or `unknown-key`).
    Explain {
        /// The code; without it, list every code.
        code: Option<String>,
    },
    /// List the schema's keys by section, or document one key.
    Schema {
        /// A key name.
        key: Option<String>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// Formats of diagnostics.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum DiagFormat {
    /// For people: source excerpts, labels, notes and help (stderr).
    Human,
    /// A JSON array, one object per diagnostic (stdout).
    Json,
    /// A SARIF 2.1.0 log, for GitHub code scanning (stdout).
    Sarif,
    /// GitHub Actions workflow commands, shown as annotations (stdout).
    Github,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum EgressFormat {
    Txt,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Runs the command line.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { OK });
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    match execute(&cli, color) {
        Ok(code) | Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Message(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(USAGE)
        }
    }
}

fn out(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`polc show x | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

pub(crate) fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Loads the schema, reporting a broken schema file like a policy problem.
/// Why a command stopped early.
enum Failure {
    /// A usage or I/O error, printed as `error: ...` (exit 2).
    Message(String),
    /// Diagnostics were printed already; exit with this code.
    Exit(u8),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Message(message)
    }
}

/// Loads the schema, reporting a broken schema file like a policy problem.
fn schema(cli: &Cli, color: bool) -> Result<Schema, Failure> {
    let Some(path) = &cli.schema else {
        return Ok(Schema::builtin());
    };
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read schema file `{}`: {e}", path.display()))?;
    let name = path.display().to_string();
    let mut files = SourceSet::new(Vec::new());
    let id = files.add(name, bytes.clone());
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut diags = polc::diag::Diagnostics::new();
    match Schema::load(&text, id, &mut diags) {
        Some(s) => Ok(s),
        None => {
            err(&polc::render::human(&files, &diags.into_sorted(), color));
            Err(Failure::Exit(USAGE))
        }
    }
}

fn execute(cli: &Cli, color: bool) -> Result<u8, Failure> {
    match &cli.command {
        Command::Explain { code } => Ok(explain(code.as_deref())?),
        Command::Diff {
            paths,
            base,
            format,
        } => diff::run(cli, color, paths, base.as_deref(), *format),
        Command::Effective(args) => effective::run(&schema(cli, color)?, args),
        Command::Fmt { paths, check } => fmt::run(paths, *check, color),
        Command::Schema { key } => {
            let schema = schema(cli, color)?;
            match key {
                None => out(&polc::schema::doc::overview(&schema))?,
                Some(k) => match polc::schema::doc::key_page(&schema, k) {
                    Some(page) => out(&page)?,
                    None => {
                        let hint = polc::suggest::did_you_mean(
                            k,
                            schema.keys().iter().map(|d| d.name.as_str()),
                        )
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                        return Err(format!("no key `{k}` in the schema{hint}").into());
                    }
                },
            }
            Ok(OK)
        }
        Command::Check {
            path,
            format,
            deny_warnings,
            timings,
        } => {
            let started = std::time::Instant::now();
            let schema = schema(cli, color)?;
            let set = load::policy_set(path.as_deref())?;
            let loaded = started.elapsed();
            let compilation = polc::compile(&set.sources, &schema, &set.host);
            if *timings {
                print_timings(loaded, &compilation.timings, &[]);
            }
            print_diagnostics(
                *format,
                &set.sources,
                &compilation.secret_spans,
                &compilation.diagnostics,
                color,
            )?;
            let warnings = compilation
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Warning);
            let code = if compilation.has_errors() || (*deny_warnings && warnings) {
                PROBLEMS
            } else {
                OK
            };
            // The process ends right after this: freeing every profile's
            // effective configuration one allocation at a time would only
            // delay the exit (by tens of milliseconds for 10,000 profiles).
            std::mem::forget(compilation);
            Ok(code)
        }
        Command::Build {
            path,
            out: out_dir,
            format,
            deny_warnings,
            sign_cert,
            sign_key,
            sign_chain,
            timings,
        } => {
            let started = std::time::Instant::now();
            let schema = schema(cli, color)?;
            let signer = match (sign_cert, sign_key) {
                (Some(cert), Some(key)) => {
                    Some(sign::OpensslSigner::new(cert, key, sign_chain.as_deref())?)
                }
                _ => None,
            };
            let schema = &schema;
            std::thread::scope(|scope| {
                // The templates depend on the schema alone: rendered while
                // the policy set loads and compiles.
                let templates = scope.spawn(|| polc::emit::build::templates(schema));
                let set = load::policy_set(path.as_deref())?;
                let loaded = started.elapsed();
                let compilation = polc::compile(&set.sources, schema, &set.host);
                let compiled = std::time::Instant::now();
                let mut diagnostics = compilation.diagnostics.clone();
                let warnings = diagnostics.iter().any(|d| d.severity == Severity::Warning);
                let format_diagnostics = |diagnostics: &[Diagnostic]| {
                    print_diagnostics(
                        *format,
                        &set.sources,
                        &compilation.secret_spans,
                        diagnostics,
                        color,
                    )
                };
                // With --deny-warnings, the warnings about the values
                // `env()` reads are looked for before anything is written
                // (the build finds them too, but only as it writes).
                let mut refuse = compilation.has_errors() || (*deny_warnings && warnings);
                if *deny_warnings && !refuse {
                    let found = polc::emit::encode::env_warnings(&compilation, schema, &set.host);
                    refuse = !found.is_empty();
                    let mut all = polc::diag::Diagnostics::new();
                    all.extend(diagnostics.drain(..).chain(found));
                    diagnostics = all.into_sorted();
                }
                if refuse {
                    format_diagnostics(&diagnostics)?;
                    err("error: nothing was written\n");
                    return Ok(PROBLEMS);
                }
                let staging = output::Staging::new(out_dir)?;
                let options = polc::emit::build::Options {
                    signer: signer.as_ref().map(|s| s as &dyn polc::emit::build::Signer),
                };
                let templates = templates
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                let build =
                    |sink: &(dyn Fn(&[polc::emit::Artifact]) -> Result<(), String> + Sync)| {
                        polc::emit::build::build_with(
                            &compilation,
                            schema,
                            &set.host,
                            &options,
                            templates.clone(),
                            sink,
                        )
                    };
                // Over an earlier output, first see whether it already holds
                // exactly what this build writes: then nothing is touched (no
                // file gets a new time, no inode is allocated or freed). The
                // first file that differs ends that pass.
                let mut up_to_date = false;
                let mut outcome = None;
                if staging.may_be_up_to_date() {
                    match build(&|batch| staging.compare_all(batch)) {
                        Ok(built) => {
                            up_to_date = true;
                            outcome = Some(Ok(built));
                        }
                        Err(polc::emit::build::BuildError::Sink(_)) => {}
                        Err(e) => outcome = Some(Err(e)),
                    }
                }
                let outcome = outcome.unwrap_or_else(|| build(&|batch| staging.write_all(batch)));
                // The warnings about the values `env()` read come with the
                // build's outcome; sorted with the compiler's diagnostics.
                // (With --deny-warnings there are none: `env_warnings`, which
                // asks the same check, found none before the build.)
                let (outcome, env_diagnostics) = match outcome {
                    Ok(built) => (Ok(built.entries), built.warnings),
                    Err(polc::emit::build::BuildError::Diagnostics(found)) => (Err(None), found),
                    Err(polc::emit::build::BuildError::Sink(why)) => (Err(Some(why)), Vec::new()),
                };
                if !env_diagnostics.is_empty() {
                    let mut all = polc::diag::Diagnostics::new();
                    all.extend(diagnostics.drain(..).chain(env_diagnostics));
                    diagnostics = all.into_sorted();
                }
                match outcome {
                    Ok(entries) => {
                        let written = std::time::Instant::now();
                        if up_to_date {
                            staging.discard();
                        } else {
                            staging.commit()?;
                        }
                        if *timings {
                            print_timings(
                                loaded,
                                &compilation.timings,
                                &[
                                    ("render and write", written - compiled),
                                    ("replace the output", written.elapsed()),
                                ],
                            );
                        }
                        format_diagnostics(&diagnostics)?;
                        let concrete = compilation
                            .resolved
                            .ids()
                            .any(|id| !compilation.resolved.profile(id).is_abstract);
                        if !concrete {
                            err(
                                "note: the policy set has no concrete profile, so only the schema's templates were written\n",
                            );
                        }
                        let files = entries.len() + 1;
                        if up_to_date {
                            err(&format!(
                                "{} is up to date: its {files} files are what this build writes, so none was rewritten\n",
                                out_dir.display()
                            ));
                        } else {
                            err(&format!("wrote {files} files to {}\n", out_dir.display()));
                        }
                        std::mem::forget(compilation);
                        Ok(OK)
                    }
                    Err(None) => {
                        staging.discard();
                        format_diagnostics(&diagnostics)?;
                        err("error: nothing was written\n");
                        Ok(PROBLEMS)
                    }
                    Err(Some(why)) => {
                        staging.discard();
                        Err(why.into())
                    }
                }
            })
        }
        Command::Egress {
            profile,
            path,
            format,
            test,
            tls,
            timeout,
            resolve,
            offline,
        } => {
            let (schema, _set, compilation, id) =
                compile_profile(cli, color, path.as_deref(), profile)?;
            if compilation.resolved.effective[id.index()].is_none() {
                return Ok(PROBLEMS);
            }
            let list = polc::egress::allowlist(&compilation.resolved, id, &schema);
            if *test {
                let mut fixed = std::collections::BTreeMap::new();
                for r in resolve {
                    let (host, addr) = connectivity::parse_resolve(r)?;
                    fixed.insert(host, addr);
                }
                if !(timeout.is_finite() && *timeout > 0.0) {
                    return Err(format!(
                        "--timeout must be a positive number of seconds, not {timeout}"
                    )
                    .into());
                }
                let settings = connectivity::Settings {
                    timeout: std::time::Duration::from_secs_f64(*timeout),
                    tls: *tls,
                    resolve: fixed,
                    offline: *offline,
                };
                let results = connectivity::run(&connectivity::plan(&list), &settings);
                out(&connectivity::table(&results))?;
                return Ok(if results.iter().any(|(_, s)| s.failed()) {
                    PROBLEMS
                } else {
                    OK
                });
            }
            match format {
                EgressFormat::Txt => out(&polc::egress::to_text(profile, &list))?,
                EgressFormat::Json => out(&polc::egress::to_json(profile, &list))?,
            }
            Ok(if compilation.has_errors() {
                PROBLEMS
            } else {
                OK
            })
        }
        Command::Apply {
            profile,
            path,
            config_library,
            force,
            managed_file,
        } => {
            let (schema, set, compilation, id) =
                compile_profile(cli, color, path.as_deref(), profile)?;
            if compilation.has_errors() {
                err("error: nothing was applied\n");
                return Ok(PROBLEMS);
            }
            if compilation.resolved.profile(id).is_abstract {
                return Err(format!(
                    "profile `{profile}` is abstract: only concrete profiles can be applied"
                )
                .into());
            }
            let encoded = match polc::emit::encode(&compilation.resolved, id, &schema, &set.host) {
                Ok(p) => p,
                Err(errors) => {
                    err(&polc::render::human(&set.sources, &errors, color));
                    err("error: nothing was applied\n");
                    return Ok(PROBLEMS);
                }
            };
            let managed = if managed_file.is_empty() {
                apply::managed_files(&schema.file().domain)
            } else {
                managed_file.clone()
            };
            if let Some(found) = managed.iter().find(|f| f.exists())
                && !*force
            {
                return Err(format!(
                        "a managed configuration is present ({}): the app ignores local configuration while it is; remove it or pass --force",
                        found.display()
                    ).into());
            }
            let dir = match config_library {
                Some(d) => d.clone(),
                None => apply::default_config_library()?,
            };
            let written = apply::write_entry(&dir, &encoded)?;
            err(&format!(
                "applied `{profile}` as {}; quit and relaunch Claude to load it\n",
                written.display()
            ));
            Ok(OK)
        }
        Command::Import { file, name } => {
            let schema = schema(cli, color)?;
            let bytes = std::fs::read(file)
                .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
            let name = name.clone().unwrap_or_else(|| profile_name_from(file));
            if !polc::resolve::eval::valid_profile_name(&name) {
                return Err(format!(
                    "`{name}` is not a valid profile name: {}",
                    polc::resolve::eval::PROFILE_NAME_RULE
                )
                .into());
            }
            let empty = SourceSet::new(Vec::new());
            // A manifest, an allowlist, a template: read, but an empty
            // profile would look like a successful import. What the import
            // found (unknown keys, settings the app does not apply) says why.
            let read = polc::import::read(&bytes, &schema.file().domain)
                .map_err(|why| (why, Vec::new()))
                .and_then(
                    |imported| match polc::import::no_setting(&imported, &schema) {
                        None => Ok(imported),
                        Some(refused) => Err((refused.why, refused.diagnostics)),
                    },
                );
            match read {
                Err((why, found)) => {
                    let mut diagnostics = vec![Diagnostic::new(
                        Code::ImportUnreadable,
                        format!("cannot import `{}`: {why}", file.display()),
                    )];
                    diagnostics.extend(found);
                    err(&polc::render::human(&empty, &diagnostics, color));
                    Ok(PROBLEMS)
                }
                Ok(imported) => {
                    let result = polc::import::to_policy(&imported, &name, &schema);
                    out(&result.source)?;
                    err(&polc::render::human(&empty, &result.diagnostics, color));
                    Ok(
                        if result
                            .diagnostics
                            .iter()
                            .any(|d| d.severity == Severity::Error)
                        {
                            PROBLEMS
                        } else {
                            OK
                        },
                    )
                }
            }
        }
        Command::Show {
            profile,
            path,
            format,
        } => {
            let (schema, set, compilation, id) =
                compile_profile(cli, color, path.as_deref(), profile)?;
            match format {
                Format::Human => out(&polc::inspect::show_text(
                    &compilation.resolved,
                    id,
                    &schema,
                    &set.sources,
                ))?,
                Format::Json => {
                    let v = polc::inspect::show_json(&compilation.resolved, id, &schema);
                    out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    ))?;
                }
            }
            Ok(if compilation.has_errors() {
                PROBLEMS
            } else {
                OK
            })
        }
        Command::Trace { profile, key, path } => {
            let (schema, set, compilation, id) =
                compile_profile(cli, color, path.as_deref(), profile)?;
            check_traced_key(&schema, &compilation, id, key)?;
            out(&polc::inspect::trace_text(
                &compilation.resolved,
                id,
                key,
                &schema,
                &set.sources,
            ))?;
            Ok(if compilation.has_errors() {
                PROBLEMS
            } else {
                OK
            })
        }
    }
}

/// Refuses to trace a key that neither the schema nor any profile the
/// traced one replays knows: "not set" would hide a misspelling.
fn check_traced_key(
    schema: &Schema,
    compilation: &polc::Compilation,
    id: polc::resolve::ProfileId,
    key: &str,
) -> Result<(), Failure> {
    let meta_field = |k: &str| {
        k.strip_prefix(polc::resolve::META_PREFIX)
            .is_some_and(|f| polc::check::meta::FIELDS.iter().any(|m| m.name == f))
    };
    let resolved = &compilation.resolved;
    let set_here = resolved.linearization[id.index()].iter().any(|p| {
        resolved
            .profile(*p)
            .statements
            .iter()
            .any(|s| &*s.key == key)
    });
    if schema.key(key).is_some()
        || schema.key_by_alias(key).is_some()
        || meta_field(key)
        || set_here
    {
        return Ok(());
    }
    let meta_names: Vec<String> = polc::check::meta::FIELDS
        .iter()
        .map(|m| format!("{}{}", polc::resolve::META_PREFIX, m.name))
        .collect();
    // `identifier` for `meta.identifier`, else the nearest name.
    let hint = meta_names
        .iter()
        .find(|n| n.strip_prefix(polc::resolve::META_PREFIX) == Some(key))
        .cloned()
        .or_else(|| {
            polc::suggest::did_you_mean(
                key,
                schema
                    .keys()
                    .iter()
                    .map(|d| d.name.as_str())
                    .chain(meta_names.iter().map(String::as_str)),
            )
            .map(String::from)
        })
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(format!("no key `{key}` in the schema, and no profile sets it{hint}").into())
}

/// Loads the schema and the policy set, compiles it, finds a profile and
/// prints the errors (secrets masked): what `show`, `trace`, `egress` and
/// `apply` start with.
fn compile_profile(
    cli: &Cli,
    color: bool,
    path: Option<&std::path::Path>,
    profile: &str,
) -> Result<
    (
        Schema,
        load::PolicySet,
        polc::Compilation,
        polc::resolve::ProfileId,
    ),
    Failure,
> {
    let schema = schema(cli, color)?;
    let set = load::policy_set(path)?;
    let compilation = polc::compile(&set.sources, &schema, &set.host);
    let id = find_profile(&compilation, profile)?;
    report_errors(
        &set.sources.redacted(&compilation.secret_spans),
        &compilation.diagnostics,
        color,
    );
    Ok((schema, set, compilation, id))
}

/// Prints how long loading, each compiler stage and the steps `after` took
/// (`--timings`, to stderr).
fn print_timings(
    loaded: std::time::Duration,
    compiled: &[(&str, std::time::Duration)],
    after: &[(&str, std::time::Duration)],
) {
    let mut text = String::new();
    for (stage, took) in [("load", loaded)].iter().chain(compiled).chain(after) {
        text.push_str(&format!(
            "{:>8.1} ms  {stage}\n",
            took.as_secs_f64() * 1000.0
        ));
    }
    err(&text);
}

/// Prints diagnostics in a format: human text on stderr (secrets masked in
/// the quoted source lines), machine formats on stdout.
fn print_diagnostics(
    format: DiagFormat,
    sources: &SourceSet,
    secret_spans: &[polc::span::Span],
    diagnostics: &[Diagnostic],
    color: bool,
) -> Result<(), String> {
    match format {
        DiagFormat::Human => {
            err(&polc::render::human(
                &sources.redacted(secret_spans),
                diagnostics,
                color,
            ));
            Ok(())
        }
        DiagFormat::Json => out(&polc::render::json(sources, diagnostics)),
        DiagFormat::Sarif => out(&polc::render::sarif(sources, diagnostics)),
        DiagFormat::Github => out(&polc::render::github(sources, diagnostics)),
    }
}

/// Errors only (show/trace are about values; `check` reports the rest).
fn report_errors(sources: &SourceSet, diags: &[Diagnostic], color: bool) {
    let errors: Vec<Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        err(&polc::render::human(sources, &errors, color));
    }
}

fn find_profile(c: &polc::Compilation, name: &str) -> Result<polc::resolve::ProfileId, String> {
    c.resolved.find(name).ok_or_else(|| {
        let hint = polc::suggest::did_you_mean(name, c.resolved.by_name.keys().map(|k| &**k))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        format!("no profile named `{name}`{hint}")
    })
}

fn explain(code: Option<&str>) -> Result<u8, String> {
    match code {
        None => {
            let mut text = String::new();
            for c in Code::ALL {
                text.push_str(&format!(
                    "{}  {:<8} {}\n",
                    c.as_str(),
                    c.default_severity().as_str(),
                    c.name()
                ));
            }
            out(&text)?;
            Ok(OK)
        }
        Some(c) => match Code::parse(c) {
            Some(code) => {
                out(code.explanation())?;
                Ok(OK)
            }
            None => Err(format!(
                "unknown diagnostic code `{c}`; `polc explain` lists them"
            )),
        },
    }
}

/// A valid profile name from a file name: lowercase, other characters `-`.
fn profile_name_from(file: &std::path::Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    if name.is_empty() {
        "imported".to_string()
    } else {
        name.to_string()
    }
}
