//! Checks of what a bootstrap response can carry.
//!
//! A profile with `meta { delivery = "bootstrap" }` is split by `polc build`
//! into a device profile (the `.mobileconfig` and the `.reg`: the keys a
//! response may not carry, and the app-behavior keys) and a bootstrap
//! response (`bootstrap.json`: the rest). Which key goes where is decided
//! by the build ([`crate::emit::build::on_device`],
//! [`crate::emit::build::in_response`]), and the checks ask the same
//! functions, so they follow the build.
//!
//! The app applies a response while the schema's bootstrap URL key is set
//! and fetching is not turned off, whatever the delivery; it then replaces
//! every bootstrap-settable key, so what matters is what the response
//! carries. It drops, value by value:
//! - every URL whose host is a loopback host (C0218);
//! - without the bootstrap OIDC key, a value of a key marked
//!   `bootstrap_origin_pinned` whose origin is not the bootstrap URL's
//!   (C0219).
//!
//! A profile delivered by bootstrap that never fetches (no bootstrap URL,
//! or fetching turned off) is reported too (C0217).

use super::format::{self, url_host};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::resolve::EffValue;
use crate::schema::Schema;
use crate::schema::model::{Format, KeyDef, TypeDef};
use crate::span::Span;
use crate::value::{Val, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The bootstrap facts of one profile's effective configuration.
pub struct Bootstrap<'a> {
    /// The schema's bootstrap URL key.
    pub url_key: &'a str,
    /// Its value, when set.
    pub url: Option<&'a EffValue>,
    /// The schema's bootstrap-enabled key and its value, when it is `false`.
    pub disabled: Option<(&'a str, &'a EffValue)>,
    /// The schema's bootstrap OIDC key, and whether it is set.
    pub oidc: Option<(&'a str, bool)>,
    /// `meta.delivery = "bootstrap"`: the statement that says so.
    pub delivery: Option<Span>,
}

impl Bootstrap<'_> {
    /// Whether the device fetches and applies a response: the URL is set and
    /// fetching is not turned off.
    #[must_use]
    pub fn fetched(&self) -> bool {
        self.url.is_some() && self.disabled.is_none()
    }

    /// The origin of the bootstrap URL, when it is a literal URL.
    fn origin(&self) -> Option<Origin> {
        self.url
            .and_then(|ev| ev.value.as_str())
            .and_then(Origin::of)
    }
}

/// A concrete profile delivered by bootstrap that no device ever fetches.
pub fn check_fetched(b: &Bootstrap<'_>, profile: &str, name_span: Span, diags: &mut Diagnostics) {
    let Some(delivery) = b.delivery else { return };
    let url = b.url_key;
    let note = format!(
        "with `meta.delivery = \"bootstrap\"` the device profile carries only the keys a response may not carry and the app-behavior keys; the rest is in `bootstrap.json`, which devices fetch from `{url}`"
    );
    if b.url.is_none() {
        diags.push(
            Diagnostic::new(
                Code::BootstrapNotFetched,
                format!("delivered by bootstrap, but `{url}` is not set: devices never fetch the configuration"),
            )
            .primary(name_span, format!("`{url}` is not set in `{profile}`"))
            .secondary(delivery, "`meta.delivery` is `bootstrap` here")
            .note(note)
            .help(format!("set `{url}` to the address that serves this profile's `bootstrap.json`, or remove `delivery = \"bootstrap\"` to put every key in the device profile")),
        );
    } else if let Some((enabled, ev)) = b.disabled {
        diags.push(
            Diagnostic::new(
                Code::BootstrapNotFetched,
                format!("delivered by bootstrap, but `{enabled}` is false: devices never fetch the configuration"),
            )
            .primary(ev.last_span(), "the app keeps the URL but skips the fetch")
            .secondary(delivery, "`meta.delivery` is `bootstrap` here")
            .note(note)
            .help(format!("remove `{enabled} = false`, or remove `delivery = \"bootstrap\"` to put every key in the device profile while bootstrap is off")),
        );
    }
}

/// Checks one key of a profile whose device fetches a response that
/// carries the key.
pub fn check_served(
    b: &Bootstrap<'_>,
    def: &KeyDef,
    ev: &EffValue,
    schema: &Schema,
    diags: &mut Diagnostics,
) {
    let Some(url_ev) = b.url else { return };
    let mut found = Vec::new();
    let mut path = def.name.clone();
    loopback_urls(
        &ev.value, &def.ty, schema, &mut path, def.secret, &mut found,
    );
    for (path, v, host) in &found {
        let label = match host {
            Some(h) => {
                format!("`{h}` is a loopback host: the app drops it from a served configuration")
            }
            None => "a loopback host: the app drops it from a served configuration".into(),
        };
        diags.push(
            Diagnostic::new(
                Code::LoopbackInBootstrap,
                format!("the bootstrap response carries a loopback URL in `{path}`"),
            )
            .primary(v.span, label)
            .secondary(url_ev.last_span(), format!("`{}` is set here: devices apply the response", b.url_key))
            .note("the app refuses loopback hosts (127.0.0.1 and the rest of 127.0.0.0/8, localhost, [::1]) in every URL of a bootstrap response: it drops the value (in a list, its entry) as if it were not set")
            .help(format!("use a host the device reaches over the network; a service on the device itself can only be configured by device management, in a profile without `{}`", b.url_key)),
        );
    }
    if !def.bootstrap_origin_pinned || !found.is_empty() {
        return;
    }
    if b.oidc.is_some_and(|(_, set)| set) {
        return;
    }
    let (Some(boot), Some(value)) = (b.origin(), ev.value.as_str()) else {
        return;
    };
    let Some(origin) = Origin::of(value) else {
        return;
    };
    if origin == boot {
        return;
    }
    let key = &def.name;
    let url_key = b.url_key;
    let (label, boot_label, help_target) = if def.secret {
        (
            "another origin: the app drops it from the response".to_string(),
            "the bootstrap origin".to_string(),
            "the bootstrap origin".to_string(),
        )
    } else {
        (
            format!("origin `{origin}`: the app drops it from the response"),
            format!("the bootstrap origin is `{boot}`"),
            format!("`{boot}`"),
        )
    };
    let (note, help) = match b.oidc {
        Some((oidc, _)) => (
            format!(
                "without `{oidc}` (device-code or header sign-in), the app accepts a served `{key}` only on the origin (scheme, host and port) of `{url_key}`, and drops it otherwise as if it were not set"
            ),
            format!(
                "serve the endpoint from {help_target}, or sign in to the bootstrap endpoint with `{oidc}`, which turns origin pinning off"
            ),
        ),
        None => (
            format!(
                "the app accepts a served `{key}` only on the origin (scheme, host and port) of `{url_key}`, and drops it otherwise as if it were not set"
            ),
            format!("serve the endpoint from {help_target}"),
        ),
    };
    diags.push(
        Diagnostic::new(
            Code::BootstrapOriginMismatch,
            format!("served `{key}` is not on the origin of `{url_key}`"),
        )
        .primary(ev.value.span, label)
        .secondary(url_ev.value.span, boot_label)
        .note(note)
        .help(help),
    );
}

/// Every URL-valued string inside `v` (by the formats of its type) whose
/// host is a loopback host: (path, value, host unless secret).
fn loopback_urls<'v>(
    v: &'v Val,
    ty: &TypeDef,
    schema: &Schema,
    path: &mut String,
    secret: bool,
    found: &mut Vec<(String, &'v Val, Option<String>)>,
) {
    match (&v.kind, ty) {
        (_, TypeDef::Union { variants }) => {
            if let Some(t) = variants.iter().find(|t| same_shape(v, t)) {
                loopback_urls(v, t, schema, path, secret, found);
            }
        }
        (
            Value::Str(s),
            TypeDef::String {
                format: Some(Format::HttpsUrl | Format::HttpUrl | Format::HttpsOrigin),
                ..
            },
        ) => {
            if let Some(host) = url_host(s).filter(|h| is_loopback_host(h)) {
                found.push((path.clone(), v, (!secret).then_some(host)));
            }
        }
        (Value::List(items), TypeDef::List { items: ty, .. }) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                loopback_urls(item, ty, schema, path, secret, found);
                path.truncate(len);
            }
        }
        (Value::Object(fields), TypeDef::Map { values, .. }) => {
            for f in fields.iter() {
                let len = path.len();
                path.push('.');
                path.push_str(&f.name);
                loopback_urls(&f.value, values, schema, path, secret, found);
                path.truncate(len);
            }
        }
        (Value::Object(fields), TypeDef::Object { name }) => {
            let Some(object) = schema.object_type(name) else {
                return;
            };
            for f in fields.iter() {
                let Some(def) = object.fields.iter().find(|d| d.name == *f.name) else {
                    continue;
                };
                let len = path.len();
                path.push('.');
                path.push_str(&f.name);
                loopback_urls(&f.value, &def.ty, schema, path, secret || def.secret, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a value has the shape of a type (list, object or scalar).
fn same_shape(v: &Val, ty: &TypeDef) -> bool {
    match &v.kind {
        Value::List(_) => matches!(ty, TypeDef::List { .. }),
        Value::Object(_) => matches!(ty, TypeDef::Object { .. } | TypeDef::Map { .. }),
        _ => matches!(ty, TypeDef::String { .. }),
    }
}

/// Whether the host of a URL (as [`url_host`] gives it: lowercase, IPv6
/// in brackets) is a loopback host once parsed as the app parses URLs (the
/// WHATWG URL standard): `localhost`, an IPv4 address in 127.0.0.0/8 in any
/// of the forms the standard accepts (`127.1`, `0x7f.0.0.1`,
/// `2130706433`), or the IPv6 loopback `[::1]` however written.
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    whatwg_ipv4(&host).is_some_and(|a| a.is_loopback())
}

/// The WHATWG URL standard's IPv4 parser: one to four parts separated by
/// dots (one trailing dot allowed), each decimal, octal (leading `0`) or
/// hexadecimal (`0x`); the last part fills the remaining bytes. `None` when
/// the host is not an IPv4 address.
fn whatwg_ipv4(host: &str) -> Option<Ipv4Addr> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts
        .iter()
        .map(|p| ipv4_number(p))
        .collect::<Option<_>>()?;
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 255) {
        return None;
    }
    let rest_bits = 8 * (4 - u32::try_from(init.len()).ok()?);
    if *last >= 1u64 << rest_bits {
        return None;
    }
    let mut address = *last;
    for (i, n) in init.iter().enumerate() {
        address += n << (24 - 8 * u32::try_from(i).ok()?);
    }
    u32::try_from(address).ok().map(Ipv4Addr::from)
}

/// One part of a WHATWG IPv4 address.
fn ipv4_number(part: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if part.is_empty() {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// A URL's origin: scheme, host and port (the scheme's default port when
/// none is written), lowercase.
#[derive(Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// The origin of an `http(s)://` URL; `None` for anything else.
    #[must_use]
    pub fn of(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return None,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let host = format::host_of_authority(authority);
        if host.is_empty() {
            return None;
        }
        let after = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let port = match after.strip_prefix(host).and_then(|p| p.strip_prefix(':')) {
            Some("") | None => default,
            Some(p) => p.parse().ok()?,
        };
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port: (port != default).then_some(port),
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_as_the_app_parses_them() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.0.0.1.",
            "127.1",
            "127.0.1",
            "0x7f.0.0.1",
            "0x7F.1",
            "0177.0.0.1",
            "2130706433",
            "127.255.255.254",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "[0000::0001]",
        ] {
            assert!(is_loopback_host(host), "{host} is loopback");
        }
        for host in [
            "localhost.",
            "localhost.example.com",
            "mylocalhost",
            "128.0.0.1",
            "10.0.0.1",
            "0.0.0.0",
            "126.255.255.255",
            "[::]",
            "[::2]",
            "[::ffff:7f00:1]",
            "127.0.0.1.1",
            "127.0.0.256",
            "127.0x.0.1z",
            "0x",
            "",
            "[::1",
            "llm.example.com",
            "127.example.com",
            "+127.0.0.1",
            "99999999999999999999999",
        ] {
            assert!(!is_loopback_host(host), "{host} is not loopback");
        }
    }

    #[test]
    fn whatwg_ipv4_forms() {
        assert_eq!(whatwg_ipv4("127.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(whatwg_ipv4("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(whatwg_ipv4("10.0.258"), Some(Ipv4Addr::new(10, 0, 1, 2)));
        assert_eq!(whatwg_ipv4("0"), Some(Ipv4Addr::new(0, 0, 0, 0)));
        assert_eq!(
            whatwg_ipv4("4294967295"),
            Some(Ipv4Addr::new(255, 255, 255, 255))
        );
        assert_eq!(whatwg_ipv4("4294967296"), None);
        assert_eq!(whatwg_ipv4("1.2.3.4.5"), None);
        assert_eq!(whatwg_ipv4("1..3"), None);
        assert_eq!(whatwg_ipv4("08"), None);
        assert_eq!(whatwg_ipv4("example"), None);
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let o = |u: &str| Origin::of(u).map(|o| o.to_string());
        assert_eq!(
            o("https://Boot.Example.com/bootstrap?x=1"),
            Some("https://boot.example.com".into())
        );
        assert_eq!(
            o("https://boot.example.com:443/"),
            Some("https://boot.example.com".into())
        );
        assert_eq!(
            o("HTTP://boot.example.com:80"),
            Some("http://boot.example.com".into())
        );
        assert_eq!(
            o("https://boot.example.com:8443/x"),
            Some("https://boot.example.com:8443".into())
        );
        assert_eq!(o("https://[::1]:8443"), Some("https://[::1]:8443".into()));
        assert_eq!(o("ftp://boot.example.com"), None);
        assert_eq!(o("https://"), None);
        assert_eq!(o("https://boot.example.com:99999"), None);
        assert_eq!(o("boot.example.com"), None);
        assert_eq!(
            Origin::of("https://a.example.com/x"),
            Origin::of("https://A.example.com:443/y")
        );
        assert_ne!(
            Origin::of("https://a.example.com"),
            Origin::of("http://a.example.com")
        );
        assert_ne!(
            Origin::of("https://a.example.com"),
            Origin::of("https://a.example.com:8443")
        );
        assert_ne!(
            Origin::of("https://a.example.com"),
            Origin::of("https://b.a.example.com")
        );
    }
}
