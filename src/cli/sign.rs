//! Signing configuration profiles with the system's OpenSSL.
//!
//! A pure-Rust CMS stack would add dozens of crates to every build for an
//! optional feature; `openssl smime` (OpenSSL, or LibreSSL on macOS) is on
//! every admin machine. Signatures carry no signed attributes (no signing
//! time), so with an RSA key the output is the same bytes every time.

use polc::emit::build::Signer;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Signs with `openssl smime -sign`.
pub struct OpensslSigner {
    cert: PathBuf,
    key: PathBuf,
    chain: Option<PathBuf>,
}

impl OpensslSigner {
    /// Checks that the files are readable and that `openssl` runs.
    pub fn new(cert: &Path, key: &Path, chain: Option<&Path>) -> Result<Self, String> {
        for f in [Some(cert), Some(key), chain].into_iter().flatten() {
            std::fs::metadata(f).map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
        }
        Command::new("openssl")
            .arg("version")
            .output()
            .map_err(|e| format!("signing needs the `openssl` command: {e}"))?;
        Ok(OpensslSigner {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            chain: chain.map(Path::to_path_buf),
        })
    }
}

impl Signer for OpensslSigner {
    fn sign(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let mut cmd = Command::new("openssl");
        cmd.args([
            "smime",
            "-sign",
            "-binary",
            "-nodetach",
            "-noattr",
            "-outform",
            "DER",
            "-md",
            "sha256",
        ])
        .arg("-signer")
        .arg(&self.cert)
        .arg("-inkey")
        .arg(&self.key);
        if let Some(chain) = &self.chain {
            cmd.arg("-certfile").arg(chain);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run openssl: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("cannot write to openssl")?;
        let input = bytes.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child
            .wait_with_output()
            .map_err(|e| format!("openssl failed: {e}"))?;
        writer
            .join()
            .map_err(|_| "cannot write to openssl".to_string())?
            .map_err(|e| format!("cannot write to openssl: {e}"))?;
        if !out.status.success() || out.stdout.is_empty() {
            return Err(format!(
                "openssl: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out.stdout)
    }
}
