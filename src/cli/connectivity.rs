//! `polc egress PROFILE --test`: can this machine reach every host of the
//! profile's allowlist?
//!
//! Each host is resolved and a TCP connection to port 443 (or the port the
//! allowlist names) is opened, in parallel, each with a timeout. With
//! `--tls`, a TLS ClientHello carrying the host name (SNI) is sent and a
//! ServerHello is expected back: this shows that a TLS server answers for
//! that name through the firewall (which filters by SNI); certificates are
//! not validated. Wildcard entries cannot be tested and are skipped.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The outcome for one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Connected (and, with `--tls`, the TLS server answered).
    Ok,
    /// The name did not resolve.
    DnsFailure,
    /// The connection was refused.
    Refused,
    /// No answer within the timeout.
    TimedOut,
    /// TCP connected but no TLS server answered for the name.
    TlsFailure(String),
    /// Another connection error.
    Error(String),
    /// A wildcard entry: nothing to connect to.
    Skipped,
}

impl Status {
    fn text(&self) -> String {
        match self {
            Status::Ok => "ok".into(),
            Status::DnsFailure => "DNS failure".into(),
            Status::Refused => "refused".into(),
            Status::TimedOut => "timed out".into(),
            Status::TlsFailure(why) => format!("TLS failure ({why})"),
            Status::Error(why) => format!("error ({why})"),
            Status::Skipped => "skipped (wildcard)".into(),
        }
    }

    /// Whether the host counts as failed.
    pub fn failed(&self) -> bool {
        !matches!(self, Status::Ok | Status::Skipped)
    }
}

/// How to test.
pub struct Settings {
    /// Per-host timeout (resolution, connection and TLS each).
    pub timeout: Duration,
    /// Also check TLS.
    pub tls: bool,
    /// Fixed addresses for names (`HOST=ADDR:PORT`, like curl's `--resolve`).
    pub resolve: BTreeMap<String, SocketAddr>,
    /// Resolve only through `resolve`; any other name is a DNS failure
    /// (for tests that must not reach outside hosts).
    pub offline: bool,
}

/// Parses `HOST=ADDR:PORT`.
pub fn parse_resolve(s: &str) -> Result<(String, SocketAddr), String> {
    let (host, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected HOST=ADDR:PORT"))?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("`{s}`: `{addr}` is not an address with a port"))?;
    Ok((host.to_ascii_lowercase(), addr))
}

/// Splits an allowlist entry into host and port (443 unless given).
fn host_port(entry: &str) -> (String, u16) {
    match entry.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h.to_string(), p.parse().unwrap_or(443)),
        _ => (entry.to_string(), 443),
    }
}

fn test_one(entry: &str, s: &Settings) -> Status {
    if entry.contains('*') {
        return Status::Skipped;
    }
    let (host, port) = host_port(entry);
    let addrs: Vec<SocketAddr> = if let Some(addr) = s.resolve.get(&host.to_ascii_lowercase()) {
        vec![*addr]
    } else if s.offline {
        return Status::DnsFailure;
    } else {
        match (host.as_str(), port).to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(_) => return Status::DnsFailure,
        }
    };
    if addrs.is_empty() {
        return Status::DnsFailure;
    }
    let mut last = Status::DnsFailure;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, s.timeout) {
            Ok(stream) => {
                return if s.tls {
                    tls_check(stream, &host, s.timeout)
                } else {
                    Status::Ok
                };
            }
            Err(e) => {
                last = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => Status::Refused,
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                        Status::TimedOut
                    }
                    _ => Status::Error(e.to_string()),
                };
            }
        }
    }
    last
}

/// Sends a ClientHello with SNI and reads the first record: a handshake
/// record whose first message is a ServerHello means a TLS server answered.
fn tls_check(mut stream: TcpStream, host: &str, timeout: Duration) -> Status {
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    if let Err(e) = stream.write_all(&client_hello(host)) {
        return Status::TlsFailure(format!("cannot send the ClientHello: {e}"));
    }
    let mut header = [0u8; 6];
    match stream.read_exact(&mut header) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Status::TimedOut;
        }
        Err(_) => return Status::TlsFailure("the connection closed".into()),
    }
    match (header[0], header[5]) {
        (22, 2) => Status::Ok,
        (21, _) => Status::TlsFailure("the server sent an alert".into()),
        _ => Status::TlsFailure("the answer is not TLS".into()),
    }
}

/// A TLS 1.2-compatible ClientHello (also offering TLS 1.3) with SNI.
fn client_hello(host: &str) -> Vec<u8> {
    fn u16be(n: usize) -> [u8; 2] {
        u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes()
    }
    let name = host.as_bytes();
    let mut ext = Vec::new();
    // server_name
    let mut sni = Vec::new();
    sni.push(0);
    sni.extend(u16be(name.len()));
    sni.extend(name);
    ext.extend([0, 0]);
    ext.extend(u16be(sni.len() + 2));
    ext.extend(u16be(sni.len()));
    ext.extend(&sni);
    // supported_groups: x25519, secp256r1
    ext.extend([0, 10, 0, 6, 0, 4, 0, 29, 0, 23]);
    // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256
    ext.extend([0, 13, 0, 8, 0, 6, 4, 3, 8, 4, 4, 1]);
    // supported_versions: TLS 1.3, TLS 1.2
    ext.extend([0, 43, 0, 5, 4, 3, 4, 3, 3]);
    // ec_point_formats: uncompressed
    ext.extend([0, 11, 0, 2, 1, 0]);
    // key_share (TLS 1.3): an X25519 share. The probe stops at the
    // ServerHello, so the share need not come from a real key pair.
    ext.extend([0, 51, 0, 38, 0, 36, 0, 29, 0, 32]);
    ext.extend([0x09; 32]);
    let mut body = vec![3, 3];
    // A fixed "random": this probe sets up no session.
    body.extend([0x5A; 32]);
    body.push(0); // no session id
    // Cipher suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
    // ECDHE-ECDSA/RSA-AES128-GCM-SHA256.
    body.extend([0, 8, 0x13, 0x01, 0x13, 0x02, 0xC0, 0x2B, 0xC0, 0x2F]);
    body.extend([1, 0]); // null compression
    body.extend(u16be(ext.len()));
    body.extend(ext);
    let mut hs = vec![1];
    hs.extend(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes()[1..]);
    hs.extend(body);
    let mut record = vec![22, 3, 1];
    record.extend(u16be(hs.len()));
    record.extend(hs);
    record
}

/// Tests every host in parallel (at most 16 at a time), showing progress on
/// a terminal. Results in the order of `hosts`.
pub fn run(hosts: &[&str], s: &Settings) -> Vec<(String, Status)> {
    let done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Status>>> = Mutex::new(vec![None; hosts.len()]);
    let progress = std::io::stderr().is_terminal();
    let workers = hosts.len().clamp(1, 16);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(host) = hosts.get(i) else { break };
                    let status = test_one(host, s);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(status);
                    }
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if progress {
                        let _ = write!(std::io::stderr(), "\rtesting hosts: {n}/{}", hosts.len());
                    }
                }
            });
        }
    });
    if progress {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    let results = results.into_inner().unwrap_or_default();
    hosts
        .iter()
        .map(|h| (*h).to_string())
        .zip(
            results
                .into_iter()
                .map(|r| r.unwrap_or(Status::Error("not tested".into()))),
        )
        .collect()
}

/// The results as a table.
pub fn table(results: &[(String, Status)]) -> String {
    let width = results
        .iter()
        .map(|(h, _)| h.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!("{:<width$}  status\n", "host");
    for (h, s) in results {
        out.push_str(&format!("{h:<width$}  {}\n", s.text()));
    }
    let failed = results.iter().filter(|(_, s)| s.failed()).count();
    let skipped = results
        .iter()
        .filter(|(_, s)| *s == Status::Skipped)
        .count();
    out.push_str(&format!(
        "\n{} reachable, {failed} failed, {skipped} skipped\n",
        results.len() - failed - skipped
    ));
    out
}
