//! `polc egress PROFILE --test` against listeners on loopback (never outside
//! hosts): every status of the table.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

/// A listener that answers each connection with `reply` after reading the
/// first bytes (or never, when `reply` is `None`).
fn listener(reply: Option<&'static [u8]>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
                match reply {
                    Some(bytes) => {
                        let _ = s.write_all(bytes);
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(5)),
                }
            });
        }
    });
    port
}

fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn egress_test_reports_every_status() {
    let dir = std::env::temp_dir().join(format!("polc-egress-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("p.policy"),
        r#"profile p {
  inferenceProvider        = "gateway"
  inferenceGatewayBaseUrl  = "https://llm.test.example"
  inferenceCredentialKind  = "interactive"
  disableEssentialTelemetry    = true
  disableNonessentialTelemetry = true
  disableNonessentialServices  = true
  disableAutoUpdates           = true
  isClaudeCodeForDesktopEnabled = false
  coworkEgressAllowedHosts = ["tls-ok.test.example", "tls-bad.test.example", "silent.test.example", "refused.test.example", "unknown.test.example", "*.wild.test.example"]
  meta { identifier = "com.acme.p" }
}
"#,
    )
    .unwrap();
    // A ServerHello record header (handshake record, ServerHello message).
    let tls_ok = listener(Some(&[22, 3, 3, 0, 4, 2, 0, 0, 0]));
    let tls_bad = listener(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let silent = listener(None);
    let refused = closed_port();
    let resolve = |host: &str, port: u16| format!("{host}=127.0.0.1:{port}");
    let run = |tls: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
        cmd.args([
            "egress",
            "p",
            "--path",
            dir.to_str().unwrap(),
            "--test",
            "--offline",
            "--timeout",
            "1",
        ]);
        if tls {
            cmd.arg("--tls");
        }
        for r in [
            resolve("llm.test.example", tls_ok),
            resolve("downloads.claude.ai", tls_ok),
            resolve("tls-ok.test.example", tls_ok),
            resolve("tls-bad.test.example", tls_bad),
            resolve("silent.test.example", silent),
            resolve("refused.test.example", refused),
        ] {
            cmd.args(["--resolve", &r]);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let status_of = |table: &str, host: &str| -> String {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(host))
            .unwrap_or_else(|| panic!("{host} missing:\n{table}"));
        // destination, protocol, status
        let rest = line[host.len()..].trim_start();
        let (protocol, status) = rest.split_once(' ').unwrap();
        assert_eq!(protocol, "https", "{line}");
        status.trim().to_string()
    };
    let (code, table) = run(false);
    assert_eq!(code, 1, "{table}");
    assert_eq!(status_of(&table, "llm.test.example:443"), "ok");
    assert_eq!(
        status_of(&table, "tls-bad.test.example:443"),
        "ok",
        "TCP only without --tls"
    );
    assert_eq!(status_of(&table, "refused.test.example:443"), "refused");
    assert_eq!(status_of(&table, "unknown.test.example:443"), "DNS failure");
    assert_eq!(
        status_of(&table, "*.wild.test.example:443"),
        "skipped (wildcard)"
    );
    let (code, table) = run(true);
    assert_eq!(code, 1, "{table}");
    assert_eq!(status_of(&table, "tls-ok.test.example:443"), "ok");
    assert_eq!(
        status_of(&table, "tls-bad.test.example:443"),
        "TLS failure (the answer is not TLS)"
    );
    assert_eq!(status_of(&table, "silent.test.example:443"), "timed out");
    assert!(
        table.ends_with("3 reachable, 4 failed, 1 skipped\n"),
        "{table}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn egress_test_passes_when_every_host_answers() {
    let dir = std::env::temp_dir().join(format!("polc-egress-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("p.policy"),
        r#"profile p {
  inferenceProvider        = "gateway"
  inferenceGatewayBaseUrl  = "https://llm.test.example"
  inferenceCredentialKind  = "interactive"
  disableEssentialTelemetry    = true
  disableNonessentialTelemetry = true
  disableNonessentialServices  = true
  disableAutoUpdates           = true
  isClaudeCodeForDesktopEnabled = false
  meta { identifier = "com.acme.p" }
}
"#,
    )
    .unwrap();
    let port = listener(Some(&[22, 3, 3, 0, 4, 2, 0, 0, 0]));
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args([
            "egress",
            "p",
            "--path",
            dir.to_str().unwrap(),
            "--test",
            "--tls",
            "--offline",
            "--timeout",
            "2",
        ])
        .args(["--resolve", &format!("llm.test.example=127.0.0.1:{port}")])
        .args([
            "--resolve",
            &format!("downloads.claude.ai=127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{table}");
    assert!(
        table.ends_with("2 reachable, 0 failed, 0 skipped\n"),
        "{table}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The TLS probe is a real ClientHello: a real TLS server (OpenSSL's
/// `s_server`, on loopback) answers it with a ServerHello.
#[test]
fn tls_probe_works_against_a_real_tls_server() {
    if !common::require("openssl", common::have_command("openssl")) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("polc-egress-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let o = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=llm.test.example",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success());
    let port = closed_port();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it listens.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::fs::write(
        dir.join("p.policy"),
        "profile p {\n  inferenceProvider = \"gateway\"\n  inferenceGatewayBaseUrl = \"https://llm.test.example\"\n  inferenceCredentialKind = \"interactive\"\n  meta { identifier = \"com.acme.p\" }\n}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args([
            "egress",
            "p",
            "--path",
            dir.to_str().unwrap(),
            "--test",
            "--tls",
            "--offline",
            "--timeout",
            "3",
        ])
        .args(["--resolve", &format!("llm.test.example=127.0.0.1:{port}")])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let table = String::from_utf8(out.stdout).unwrap();
    let line = table
        .lines()
        .find(|l| l.starts_with("llm.test.example:443 "))
        .unwrap();
    assert!(line.ends_with(" ok"), "{table}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A collector and a proxy on other ports than 443, and an SSH host: the
/// probe connects to the port each destination names (a `--resolve` entry
/// for `HOST:PORT` applies to that port only), checks TLS only where the
/// destination is HTTPS, and skips what is not one host.
#[test]
fn egress_test_probes_the_port_and_protocol_of_each_destination() {
    let dir = std::env::temp_dir().join(format!("polc-egress-ports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("p.policy"),
        r#"profile p {
  inferenceProvider        = "gateway"
  inferenceGatewayBaseUrl  = "https://llm.test.example"
  inferenceCredentialKind  = "interactive"
  disableEssentialTelemetry    = true
  disableNonessentialTelemetry = true
  disableNonessentialServices  = true
  disableAutoUpdates           = true
  isClaudeCodeForDesktopEnabled = false
  otlpEndpoint             = "https://otel.test.example:4318"
  egressProxyUrl           = "http://proxy.test.example:8080"
  coworkEgressAllowedHosts = ["*", "*.corp.test.example:8443"]
  sshHostAllowlist         = ["build.test.example"]
  meta { identifier = "com.acme.p" }
}
"#,
    )
    .unwrap();
    let tls = listener(Some(&[22, 3, 3, 0, 4, 2, 0, 0, 0]));
    // Not TLS: a plain-HTTP proxy and an SSH server pass with TCP alone.
    let proxy = listener(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let ssh = listener(Some(b"SSH-2.0-test\r\n"));
    let run = |otel: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args([
                "egress",
                "p",
                "--path",
                dir.to_str().unwrap(),
                "--test",
                "--tls",
                "--offline",
                "--timeout",
                "2",
            ])
            .args(["--resolve", &format!("llm.test.example=127.0.0.1:{tls}")])
            .args(["--resolve", &format!("downloads.claude.ai=127.0.0.1:{tls}")])
            .args(["--resolve", &format!("{otel}=127.0.0.1:{tls}")])
            .args([
                "--resolve",
                &format!("proxy.test.example:8080=127.0.0.1:{proxy}"),
            ])
            .args([
                "--resolve",
                &format!("build.test.example:22=127.0.0.1:{ssh}"),
            ])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    let (code, table) = run("otel.test.example:4318");
    assert_eq!(
        table,
        "destination               protocol  status\n\
         *.corp.test.example:8443  https     skipped (wildcard)\n\
         build.test.example:22     ssh       ok\n\
         downloads.claude.ai:443   https     ok\n\
         llm.test.example:443      https     ok\n\
         otel.test.example:4318    https     ok\n\
         proxy.test.example:8080   http      ok\n\
         \n\
         5 reachable, 0 failed, 1 skipped\n"
    );
    assert_eq!(code, 0);
    // An address for port 443 only: the collector is not probed there.
    let (code, table) = run("otel.test.example:443");
    assert!(
        table.contains("\notel.test.example:4318    https     DNS failure\n"),
        "{table}"
    );
    assert_eq!(code, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
