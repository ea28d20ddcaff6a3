//! What a request may reach: `Host` and `Origin` checks against DNS
//! rebinding, and the mapping from an asset URL to a file inside the root.

use std::net::IpAddr;

/// Whether a `Host` header names this server: one of `names` (the bound
/// host; bound to every address, the machine's own addresses and the names
/// of `--allow-host`), `localhost` or a loopback address (any port: the
/// socket already chose it).
pub fn host_allowed(host_header: &str, names: &[String]) -> bool {
    let host = strip_port(host_header.trim());
    if host.is_empty() {
        return false;
    }
    let host = host.to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    names.iter().any(|n| {
        let n = n.to_ascii_lowercase();
        n == host || n.trim_start_matches('[').trim_end_matches(']') == bare
    }) || host == "localhost"
        || host.ends_with(".localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host:port` -> `host`; `[::1]:8080` -> `[::1]`; a bare IPv6 address stays whole.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rfind(':') {
        Some(i) if host[..i].contains(':') => host, // bare IPv6
        Some(i) if host[i + 1..].chars().all(|c| c.is_ascii_digit()) => &host[..i],
        _ => host,
    }
}

/// Whether a WebSocket upgrade's `Origin` is a page of this server (or absent:
/// not a browser).
pub fn origin_allowed(origin: Option<&str>, names: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    !rest.contains('/') && host_allowed(rest, names)
}

/// Why an asset is not served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not under any module's URL folder, or not a file some module uses.
    NotFound,
    /// Tries to leave the project root.
    Forbidden,
}

/// Maps an asset URL path (still percent-encoded, as received) to a
/// project-relative file: under a mount, free of `..`, backslashes, NUL and
/// encoded separators, and one that some module depends on (`known`).
pub fn asset_path(
    raw_path: &str,
    mounts: &[(String, String)],
    known: impl Fn(&str) -> bool,
) -> Result<String, Refused> {
    let decoded = percent_decode(raw_path).ok_or(Refused::Forbidden)?;
    // Decoding once more must change nothing: a double-encoded `%252e%252e`
    // is refused rather than guessed at.
    if decoded.contains('%') && percent_decode(&decoded).is_some_and(|d| d != decoded) {
        return Err(Refused::Forbidden);
    }
    if decoded.contains('\\') || decoded.contains('\0') {
        return Err(Refused::Forbidden);
    }
    let segments: Vec<&str> = decoded.split('/').collect();
    if segments.iter().any(|s| *s == ".." || *s == ".") {
        return Err(Refused::Forbidden);
    }
    let path = decoded.trim_start_matches('/');
    for (url, local) in mounts {
        let url = url.trim_matches('/');
        let rest = if url.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(url).and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rest) = rest {
            let rel = crate::paths::join(local, rest);
            if rel.starts_with("../") || rel == ".." {
                return Err(Refused::Forbidden);
            }
            if known(&rel) {
                return Ok(rel);
            }
        }
    }
    Err(Refused::NotFound)
}

/// `%XX` decoding; `None` when the result is not UTF-8 or an escape is malformed.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Vec<String> {
        vec!["127.0.0.1".to_string()]
    }

    #[test]
    fn hosts() {
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "127.0.0.2",
            "app.localhost:1",
        ] {
            assert!(host_allowed(ok, &local()), "{ok}");
        }
        for bad in [
            "evil.com:8080",
            "127.0.0.1.evil.com",
            "",
            "192.168.1.5:8080",
        ] {
            assert!(!host_allowed(bad, &local()), "{bad}");
        }
        assert!(host_allowed(
            "192.168.1.5:8080",
            &["192.168.1.5".to_string()]
        ));
    }

    #[test]
    fn origins() {
        assert!(origin_allowed(None, &local()));
        assert!(origin_allowed(Some("http://127.0.0.1:8080"), &local()));
        assert!(origin_allowed(Some("http://localhost:3000"), &local()));
        assert!(!origin_allowed(Some("http://evil.com"), &local()));
        assert!(!origin_allowed(Some("null"), &local()));
    }

    fn mounts() -> Vec<(String, String)> {
        vec![("/extensions/Demo".into(), "sample".into())]
    }

    #[test]
    fn asset_paths() {
        let known = |p: &str| p == "sample/icons/a.svg";
        assert_eq!(
            asset_path("/extensions/Demo/icons/a.svg", &mounts(), known),
            Ok("sample/icons/a.svg".into())
        );
        assert_eq!(
            asset_path("/extensions/Demo/icons/%61.svg", &mounts(), known),
            Ok("sample/icons/a.svg".into())
        );
        assert_eq!(
            asset_path("/extensions/Demo/icons/b.svg", &mounts(), known),
            Err(Refused::NotFound)
        );
        for bad in [
            "/extensions/Demo/../../etc/passwd",
            "/extensions/Demo/%2e%2e/%2e%2e/etc/passwd",
            "/extensions/Demo/%252e%252e/%252e%252e/etc/passwd",
            "/extensions/Demo/..%5c..%5cetc/passwd",
            "/extensions/Demo/icons\\..\\..\\x",
            "/extensions/Demo/%00",
            "/extensions/Demo/%zz",
        ] {
            assert_eq!(
                asset_path(bad, &mounts(), |_| true),
                Err(Refused::Forbidden),
                "{bad}"
            );
        }
    }
}
