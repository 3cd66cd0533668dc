//! `polc egress PROFILE --test`: can this machine reach every destination
//! of the profile's allowlist?
//!
//! Each destination's host is resolved and a TCP connection to its port
//! (443 for HTTPS unless the allowlist names another, the URL's port for a
//! proxy or collector, 22 for SSH) is opened, in parallel, each with a
//! timeout. With `--tls`, a TLS ClientHello carrying the host name (SNI) is
//! sent to each HTTPS destination and a ServerHello is expected back: this
//! shows that a TLS server answers for that name through the firewall
//! (which filters by SNI); certificates are not validated. Plain-HTTP and
//! SSH destinations get the TCP connection only. Wildcard entries, and
//! hosts read with `env()`, cannot be tested and are skipped.

use polc::egress::{Allowlist, Endpoint, Protocol};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Every destination of the allowlist once, in its sorted order.
pub fn plan(list: &Allowlist) -> Vec<Endpoint> {
    list.endpoints().into_iter().cloned().collect()
}

/// `host:port` as the table shows it, the port always written (the host
/// alone when its port is not known).
fn probed(e: &Endpoint) -> String {
    match e.port {
        Some(port) => format!("{}:{port}", e.host),
        None => e.host.clone(),
    }
}

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
    /// Nothing to connect to: a wildcard entry, or a host read from the
    /// environment (the reason).
    Skipped(&'static str),
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
            Status::Skipped(why) => format!("skipped ({why})"),
        }
    }

    /// Whether the host counts as failed.
    pub fn failed(&self) -> bool {
        !matches!(self, Status::Ok | Status::Skipped(_))
    }
}

/// How to test.
pub struct Settings {
    /// Per-host timeout (resolution, connection and TLS each).
    pub timeout: Duration,
    /// Also check TLS.
    pub tls: bool,
    /// Fixed addresses for names (`HOST=ADDR:PORT` for any port of HOST,
    /// `HOST:PORT=ADDR:PORT` for that port only; like curl's `--resolve`).
    pub resolve: BTreeMap<String, SocketAddr>,
    /// Resolve only through `resolve`; any other name is a DNS failure
    /// (for tests that must not reach outside hosts).
    pub offline: bool,
}

/// Parses `HOST=ADDR:PORT` or `HOST:PORT=ADDR:PORT`.
pub fn parse_resolve(s: &str) -> Result<(String, SocketAddr), String> {
    let (host, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected HOST=ADDR:PORT or HOST:PORT=ADDR:PORT"))?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("`{s}`: `{addr}` is not an address with a port"))?;
    if let Some((name, port)) = host.rsplit_once(':')
        && (name.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0))
    {
        return Err(format!("`{s}`: `{host}` is not HOST or HOST:PORT"));
    }
    Ok((host.to_ascii_lowercase(), addr))
}

fn test_one(target: &Endpoint, s: &Settings) -> Status {
    if target.is_wildcard() {
        return Status::Skipped("wildcard");
    }
    let Some(port) = target.port.filter(|_| !target.is_from_env()) else {
        return Status::Skipped("read from the environment");
    };
    let host = &target.host;
    let name = host.to_ascii_lowercase();
    let fixed = s
        .resolve
        .get(&format!("{name}:{port}"))
        .or_else(|| s.resolve.get(&name));
    let addrs: Vec<SocketAddr> = if let Some(addr) = fixed {
        vec![*addr]
    } else if let Some(ip) = ip_literal(host) {
        vec![SocketAddr::new(ip, port)]
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
                return if s.tls && target.protocol == Protocol::Https {
                    tls_check(stream, host, s.timeout)
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

/// The address a host names itself, if it is an IP literal (`10.0.0.5`,
/// `[::1]`): connected to without a lookup, and never sent as SNI.
fn ip_literal(host: &str) -> Option<std::net::IpAddr> {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse()
        .ok()
}

/// Sends a ClientHello with SNI and reads the first record: a handshake
/// record whose first message is a ServerHello means a TLS server answered.
fn tls_check(mut stream: TcpStream, host: &str, timeout: Duration) -> Status {
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    // Server names only: an IP address is never a server name (RFC 6066).
    let name = if ip_literal(host).is_some() { "" } else { host };
    if let Err(e) = stream.write_all(&client_hello(name)) {
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

/// A TLS 1.2-compatible ClientHello (also offering TLS 1.3) with SNI
/// (none when `host` is empty).
fn client_hello(host: &str) -> Vec<u8> {
    fn u16be(n: usize) -> [u8; 2] {
        u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes()
    }
    let name = host.as_bytes();
    let mut ext = Vec::new();
    // server_name
    if !name.is_empty() {
        let mut sni = Vec::new();
        sni.push(0);
        sni.extend(u16be(name.len()));
        sni.extend(name);
        ext.extend([0, 0]);
        ext.extend(u16be(sni.len() + 2));
        ext.extend(u16be(sni.len()));
        ext.extend(&sni);
    }
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

/// Tests every destination in parallel (at most 16 at a time), showing
/// progress on a terminal. Results in the order of `targets`.
pub fn run(targets: &[Endpoint], s: &Settings) -> Vec<(Endpoint, Status)> {
    let done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Status>>> = Mutex::new(vec![None; targets.len()]);
    let progress = std::io::stderr().is_terminal();
    let workers = targets.len().clamp(1, 16);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(target) = targets.get(i) else { break };
                    let status = test_one(target, s);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(status);
                    }
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if progress {
                        let _ = write!(
                            std::io::stderr(),
                            "\rtesting destinations: {n}/{}",
                            targets.len()
                        );
                    }
                }
            });
        }
    });
    if progress {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    let results = results.into_inner().unwrap_or_default();
    targets
        .iter()
        .cloned()
        .zip(
            results
                .into_iter()
                .map(|r| r.unwrap_or(Status::Error("not tested".into()))),
        )
        .collect()
}

/// The results as a table: destination (`host:port`), protocol, status.
pub fn table(results: &[(Endpoint, Status)]) -> String {
    let rows: Vec<(String, &str, String)> = results
        .iter()
        .map(|(t, s)| (probed(t), t.protocol.name(), s.text()))
        .collect();
    let width = rows
        .iter()
        .map(|(d, _, _)| d.len())
        .max()
        .unwrap_or(0)
        .max("destination".len());
    let mut out = format!("{:<width$}  protocol  status\n", "destination");
    for (d, p, s) in &rows {
        out.push_str(&format!("{d:<width$}  {p:<8}  {s}\n"));
    }
    let failed = results.iter().filter(|(_, s)| s.failed()).count();
    let skipped = results
        .iter()
        .filter(|(_, s)| matches!(s, Status::Skipped(_)))
        .count();
    out.push_str(&format!(
        "\n{} reachable, {failed} failed, {skipped} skipped\n",
        results.len() - failed - skipped
    ));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn target(host: &str, port: Option<u16>, protocol: Protocol) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            protocol,
        }
    }

    #[test]
    fn an_ip_address_is_connected_to_without_a_lookup_and_never_sent_as_sni() {
        assert_eq!(ip_literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("10.0.0.5"), Some("10.0.0.5".parse().unwrap()));
        assert_eq!(ip_literal("example.com"), None);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = Settings {
            timeout: Duration::from_secs(5),
            tls: false,
            resolve: BTreeMap::new(),
            offline: true,
        };
        let status = test_one(&target("127.0.0.1", Some(port), Protocol::Https), &s);
        assert!(matches!(status, Status::Ok), "{status:?}");
        // No server_name extension (type 0, then the list) without a name.
        let with = client_hello("a.example");
        let without = client_hello("");
        assert_eq!(with.len() - without.len(), 4 + 5 + "a.example".len());
    }

    #[test]
    fn resolve_keys_are_a_host_or_a_host_and_port() {
        assert_eq!(
            parse_resolve("Otel.Example:4318=127.0.0.1:9").map(|(h, a)| (h, a.to_string())),
            Ok(("otel.example:4318".to_string(), "127.0.0.1:9".to_string()))
        );
        assert!(parse_resolve("otel.example:x=127.0.0.1:9").is_err());
        assert!(parse_resolve(":4318=127.0.0.1:9").is_err());
        assert!(parse_resolve("otel.example=127.0.0.1").is_err());
    }

    #[test]
    fn wildcards_and_environment_hosts_are_skipped_without_a_lookup() {
        let s = Settings {
            timeout: Duration::from_millis(10),
            tls: false,
            resolve: BTreeMap::new(),
            offline: true,
        };
        assert_eq!(
            test_one(&target("*.acme.example", Some(443), Protocol::Https), &s),
            Status::Skipped("wildcard")
        );
        assert_eq!(
            test_one(&target("<env:GW>", None, Protocol::Https), &s),
            Status::Skipped("read from the environment")
        );
        assert_eq!(
            test_one(
                &target("otel.acme.example", Some(4318), Protocol::Https),
                &s
            ),
            Status::DnsFailure
        );
    }

    #[test]
    fn the_table_names_each_port_and_protocol() {
        let results = vec![
            (
                target("otel.acme.example", Some(4318), Protocol::Https),
                Status::Ok,
            ),
            (
                target("proxy.acme.example", Some(8080), Protocol::Http),
                Status::Refused,
            ),
            (
                target("*.acme.example", Some(443), Protocol::Https),
                Status::Skipped("wildcard"),
            ),
        ];
        assert_eq!(
            table(&results),
            "destination              protocol  status\n\
             otel.acme.example:4318   https     ok\n\
             proxy.acme.example:8080  http      refused\n\
             *.acme.example:443       https     skipped (wildcard)\n\
             \n1 reachable, 1 failed, 1 skipped\n"
        );
    }
}
