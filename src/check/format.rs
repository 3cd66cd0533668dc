//! The named string formats of the schema.

use crate::schema::model::Format;

/// Why a value does not have its format; `Credentials` is reported with its
/// own code.
#[derive(Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The value does not have the format; the text says what is expected.
    Invalid(String),
    /// A URL with `user:password@`.
    Credentials,
}

/// A human description of a format, for messages and docs.
#[must_use]
pub fn describe(format: Format) -> &'static str {
    match format {
        Format::HttpsUrl => "an https:// URL",
        Format::HttpUrl => "an http:// or https:// URL",
        Format::HttpsOrigin => "an https:// origin (scheme, host and optional port, no path)",
        Format::HostPattern => {
            "a hostname, `*.domain` wildcard, IP address or `*`, with an optional `:port`"
        }
        Format::Hostname => "a hostname",
        Format::Uuid => "a UUID like `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (no braces)",
        Format::AbsolutePath => "an absolute path",
        Format::WorkspacePath => {
            "an absolute path, a path starting with `~`, or one starting with a `%VAR%` token"
        }
        Format::Color => "a colour `#RRGGBB`",
        Format::AwsRegion => "an AWS region such as `us-west-2`",
        Format::GcpProject => "a GCP project id (lowercase letters, digits, `.`, `:` and `-`)",
        Format::GcpLocation => {
            "a Vertex AI location: a region such as `us-east5`, or `eu`, `us` or `global`"
        }
        Format::AwsAccountId => "a 12-digit AWS account id",
        Format::Sha1Hex => "a full 40-character commit SHA",
        Format::Sha256Hex => "a 64-character hexadecimal SHA-256",
        Format::HeaderName => "an HTTP header name",
        Format::GithubRepo => "a GitHub repository `owner/name`",
        Format::MarketplaceName => {
            "a marketplace name (letters, digits, `.`, `_`, `-`; not `unknown`, `org` or `org-provisioned`)"
        }
        Format::HostList => "space-separated hostnames",
        Format::AppVersion => "an app version such as `1.40609.0`",
    }
}

/// Whether a string with `${profile}` in it is checked for `format` (with
/// placeholder names, [`crate::check::types::template_problems`]): formats
/// in which a profile's name (`[a-z0-9][a-z0-9._-]*`) can only be a host
/// label, a port or address part, or a segment of a path or a name, so that
/// a template that fails with a one-letter and with a one-digit name fails
/// with every name. The fixed-shape formats (a colour, a UUID, a hash, an
/// account id, a region, a version), which some name could complete, are
/// not.
#[must_use]
pub fn template_checkable(format: Format) -> bool {
    match format {
        Format::HttpsUrl
        | Format::HttpUrl
        | Format::HttpsOrigin
        | Format::HostPattern
        | Format::Hostname
        | Format::HostList
        | Format::AbsolutePath
        | Format::WorkspacePath
        | Format::HeaderName
        | Format::GithubRepo
        | Format::MarketplaceName => true,
        Format::Uuid
        | Format::Color
        | Format::AwsRegion
        | Format::GcpProject
        | Format::GcpLocation
        | Format::AwsAccountId
        | Format::Sha1Hex
        | Format::Sha256Hex
        | Format::AppVersion => false,
    }
}

/// Checks `value` against `format`.
///
/// # Errors
/// When the value does not have the format.
pub fn check(format: Format, value: &str) -> Result<(), FormatError> {
    let ok = match format {
        Format::HttpsUrl => return url(value, &["https"], false),
        Format::HttpUrl => return url(value, &["http", "https"], false),
        Format::HttpsOrigin => return url(value, &["https"], true),
        Format::HostPattern => host_pattern(value),
        Format::Hostname => hostname(value),
        Format::Uuid => uuid(value),
        Format::AbsolutePath => absolute_path(value),
        Format::WorkspacePath => {
            absolute_path(value)
                || value == "~"
                || value.starts_with("~/")
                || value.starts_with("~\\")
                || percent_token(value)
        }
        Format::Color => {
            value.len() == 7
                && value.starts_with('#')
                && value[1..].bytes().all(|b| b.is_ascii_hexdigit())
        }
        Format::AwsRegion => aws_region(value),
        Format::GcpProject => gcp_project(value),
        Format::GcpLocation => matches!(value, "eu" | "us" | "global") || gcp_region(value),
        Format::AwsAccountId => value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()),
        Format::Sha1Hex => value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        Format::Sha256Hex => value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        Format::HeaderName => {
            !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        }
        Format::GithubRepo => match value.split_once('/') {
            Some((o, n)) => {
                !o.is_empty()
                    && !n.is_empty()
                    && !n.contains('/')
                    && [o, n].iter().all(|p| {
                        p.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                    })
            }
            None => false,
        },
        Format::MarketplaceName => {
            let b = value.as_bytes();
            !b.is_empty()
                && b.len() <= 128
                && b[0].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
                && !matches!(value, "unknown" | "org" | "org-provisioned")
        }
        Format::HostList => value.split_whitespace().all(hostname) && !value.trim().is_empty(),
        Format::AppVersion => {
            let parts: Vec<&str> = value.split('.').collect();
            (2..=4).contains(&parts.len())
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(FormatError::Invalid(describe(format).to_string()))
    }
}

fn url(value: &str, schemes: &[&str], origin_only: bool) -> Result<(), FormatError> {
    let expected = || {
        FormatError::Invalid(
            describe(match (schemes.len(), origin_only) {
                (_, true) => Format::HttpsOrigin,
                (1, false) => Format::HttpsUrl,
                _ => Format::HttpUrl,
            })
            .to_string(),
        )
    };
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(expected());
    };
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(expected());
    }
    if url_userinfo(value).is_some() {
        return Err(FormatError::Credentials);
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if origin_only && !(rest[end..].is_empty() || &rest[end..] == "/") {
        return Err(expected());
    }
    let host = host_of_authority(authority);
    if host.is_empty() || !(hostname(host) || ip(host) || host.starts_with('[')) {
        return Err(expected());
    }
    if let Some(port) = authority
        .strip_prefix(host)
        .and_then(|p| p.strip_prefix(':'))
        && port.parse::<u16>().is_err()
    {
        return Err(expected());
    }
    if value.chars().any(char::is_whitespace) {
        return Err(expected());
    }
    Ok(())
}

/// The byte range, in `value`, of a URL's user information (`user:password`
/// in `scheme://user:password@host/path`), when it has one. The checker
/// reports such a URL (C0206) and [`crate::redact`] masks it, both by this
/// one reading of the authority.
#[must_use]
pub fn url_userinfo(value: &str) -> Option<std::ops::Range<usize>> {
    let (scheme, rest) = value.split_once("://")?;
    let start = scheme.len() + 3;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    Some(start..start + at)
}

/// What may be the user information of a URL that is not valid (its
/// authority broken by a `/`, `?` or `#` that a password holds,
/// `https://user:pa/ss@host`): everything between `://` and the last `@`,
/// when it holds a `:`. Used only where the URL is invalid anyway, to mask
/// what could be a password and to say so (C0206); a valid URL's user
/// information is [`url_userinfo`].
#[must_use]
pub fn url_userinfo_loose(value: &str) -> Option<std::ops::Range<usize>> {
    let (scheme, rest) = value.split_once("://")?;
    let start = scheme.len() + 3;
    let at = rest.rfind('@')?;
    rest[..at].contains(':').then_some(start..start + at)
}

/// The host part of a URL's authority (no user info, no port).
#[must_use]
pub fn host_of_authority(authority: &str) -> &str {
    let a = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if a.starts_with('[') {
        return a.find(']').map_or(a, |i| &a[..=i]);
    }
    a.rsplit_once(':').map_or(a, |(h, _)| h)
}

/// The host of a URL, lowercased, or `None` when it is not a URL.
#[must_use]
pub fn url_host(value: &str) -> Option<String> {
    let (_, rest) = value.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = host_of_authority(&rest[..end]);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A DNS hostname: labels of letters, digits and `-`, separated by dots.
#[must_use]
pub fn hostname(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn ip(value: &str) -> bool {
    value.parse::<std::net::Ipv4Addr>().is_ok()
}

fn host_pattern(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    let (host, port) = match value.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (value, None),
    };
    if let Some(p) = port
        && p.parse::<u16>().map_or(true, |n| n == 0)
    {
        return false;
    }
    let host = host.strip_prefix("*.").unwrap_or(host);
    hostname(host) || ip(host)
}

fn uuid(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn absolute_path(value: &str) -> bool {
    let b = value.as_bytes();
    value.starts_with('/')
        || value.starts_with("\\\\")
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && (b[2] == b'\\' || b[2] == b'/'))
}

fn percent_token(value: &str) -> bool {
    value.starts_with('%') && value[1..].find('%').is_some_and(|i| i > 0)
}

fn aws_region(value: &str) -> bool {
    // Like `us-west-2`, `ap-northeast-1`, `us-gov-west-1`, `eu-central-2`.
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

fn gcp_region(value: &str) -> bool {
    // Like `us-east5`, `europe-west4`, `asia-southeast1`.
    let Some((area, rest)) = value.split_once('-') else {
        return false;
    };
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_lowercase());
    !area.is_empty()
        && area.bytes().all(|b| b.is_ascii_lowercase())
        && digits.len() < rest.len()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

fn gcp_project(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b".:-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(
            check(Format::HttpsUrl, "https://llm.example.com/v1"),
            Ok(())
        );
        assert_eq!(
            check(Format::HttpsUrl, "https://llm.example.com:8443"),
            Ok(())
        );
        assert!(check(Format::HttpsUrl, "http://llm.example.com").is_err());
        assert_eq!(
            check(Format::HttpsUrl, "https://u:p@llm.example.com"),
            Err(FormatError::Credentials)
        );
        assert_eq!(check(Format::HttpUrl, "http://127.0.0.1:8080"), Ok(()));
        assert!(check(Format::HttpsOrigin, "https://x.example.com/path").is_err());
        assert_eq!(check(Format::HttpsOrigin, "https://x.example.com"), Ok(()));
        assert_eq!(
            check(Format::HostPattern, "*.corp.example.com:8443"),
            Ok(())
        );
        assert_eq!(check(Format::HostPattern, "*"), Ok(()));
        assert!(check(Format::HostPattern, "http://x").is_err());
        assert_eq!(
            check(Format::Uuid, "00000000-0000-4000-8000-000000000001"),
            Ok(())
        );
        assert!(check(Format::Uuid, "{00000000-0000-4000-8000-000000000001}").is_err());
        assert_eq!(check(Format::Color, "#F5f5F5"), Ok(()));
        assert!(check(Format::Color, "F5F5F5").is_err());
        assert_eq!(check(Format::AwsRegion, "us-gov-west-1"), Ok(()));
        assert!(check(Format::AwsRegion, "useast1").is_err());
        assert_eq!(check(Format::GcpLocation, "europe-west4"), Ok(()));
        assert_eq!(check(Format::GcpLocation, "global"), Ok(()));
        assert!(check(Format::GcpLocation, "Europe").is_err());
        assert_eq!(check(Format::GcpProject, "acme-prod:42"), Ok(()));
        assert!(check(Format::GcpProject, "Acme").is_err());
        assert_eq!(check(Format::AbsolutePath, "C:\\Tools\\helper.exe"), Ok(()));
        assert!(check(Format::AbsolutePath, "helper.sh").is_err());
        assert_eq!(check(Format::WorkspacePath, "%OneDrive%\\Projects"), Ok(()));
        assert_eq!(check(Format::Sha1Hex, &"a".repeat(40)), Ok(()));
        assert_eq!(check(Format::AppVersion, "1.40609.0"), Ok(()));
        assert!(check(Format::MarketplaceName, "org").is_err());
        assert_eq!(
            url_host("https://User@LLM.example.com:443/x"),
            Some("llm.example.com".into())
        );
    }
}
