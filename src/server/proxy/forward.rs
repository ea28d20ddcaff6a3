//! Pass-through: a request goes to the wiki with its method, headers, body
//! and cookies, and the answer comes back with its status, headers,
//! compression and streaming. What changes: the wiki gets its own `Host`
//! (and `Origin`/`Referer` naming it, where they named rldev), hop-by-hop
//! headers stop here, and a redirect or a page that names the wiki's own
//! origin names rldev's instead, so that a login, an edit or a preview
//! stays on rldev.

use std::io::{Read, Write};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use http_body_util::{BodyExt, Limited};

use super::{Proxy, READ_LIMIT, Upstream};

/// Headers about one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers that `Connection` names are hop-by-hop too.
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
    headers.remove(header::UPGRADE);
}

/// One request to the wiki and its answer back.
pub async fn pass(proxy: &Proxy, req: Request, ours: &str) -> Response {
    let (mut parts, body) = req.into_parts();
    let up = &proxy.upstream;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match format!("{}{path}", up.origin).parse() {
        Ok(uri) => uri,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "rldev: a URL the wiki cannot take\n",
            )
                .into_response();
        }
    };
    parts.version = axum::http::Version::HTTP_11;
    to_wiki(&mut parts.headers, up, ours);
    match proxy.client.request(Request::from_parts(parts, body)).await {
        Ok(answer) => back(answer, up, ours).await,
        Err(e) => wiki_down(up, &describe_error(&e)),
    }
}

/// The request's headers as the wiki must see them.
fn to_wiki(headers: &mut HeaderMap, up: &Upstream, ours: &str) {
    strip_hop_by_hop(headers);
    if let Ok(host) = HeaderValue::from_str(&up.authority) {
        headers.insert(header::HOST, host);
    }
    // A form posted from rldev's page says it came from rldev; the wiki
    // checks that it came from itself.
    for name in [header::ORIGIN, header::REFERER] {
        let Some(value) = headers.get(&name).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        let mine = format!("http://{ours}");
        if value == mine || value.starts_with(&format!("{mine}/")) {
            let theirs = format!("{}{}", up.origin, &value[mine.len()..]);
            if let Ok(v) = HeaderValue::from_str(&theirs) {
                headers.insert(name, v);
            }
        }
    }
}

/// The wiki's answer as the browser gets it.
async fn back(
    answer: axum::http::Response<hyper::body::Incoming>,
    up: &Upstream,
    ours: &str,
) -> Response {
    let (mut parts, body) = answer.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if let Some(location) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        && let Some(moved) = rewrite(location.as_bytes(), up, ours)
        && let Ok(v) = HeaderValue::from_bytes(&moved)
    {
        parts.headers.insert(header::LOCATION, v);
    }
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let encoding = parts
        .headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let readable = matches!(
        encoding.as_deref(),
        None | Some("identity" | "gzip" | "x-gzip")
    );
    if !names_urls(&parts.headers) || !readable || length.is_some_and(|n| n > READ_LIMIT) {
        // Streamed as it comes.
        return Response::from_parts(parts, Body::new(body));
    }
    let bytes = match Limited::new(body, READ_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return wiki_down(up, &format!("reading its answer: {e}")),
    };
    let gzipped = matches!(encoding.as_deref(), Some("gzip" | "x-gzip"));
    let plain = if gzipped {
        let mut out = Vec::new();
        if GzDecoder::new(bytes.as_ref())
            .read_to_end(&mut out)
            .is_err()
        {
            return Response::from_parts(parts, Body::from(bytes));
        }
        out
    } else {
        bytes.to_vec()
    };
    let Some(rewritten) = rewrite(&plain, up, ours) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let body = if gzipped {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        let _ = encoder.write_all(&rewritten);
        encoder.finish().unwrap_or_default()
    } else {
        rewritten
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    // The bytes differ from the wiki's, so its validator would lie.
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(Bytes::from(body)))
}

/// Whether an answer of this type can name URLs that must be rewritten
/// (pages, API answers, feeds); scripts, styles and images pass untouched.
fn names_urls(headers: &HeaderMap) -> bool {
    let Some(kind) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let kind = kind
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    kind == "text/html"
        || kind == "application/json"
        || kind == "text/xml"
        || kind == "application/xml"
        || kind.ends_with("+xml")
}

/// `text` with every `//wiki-host:port` (also JSON's `\/\/`) naming rldev's
/// host instead; `None` when there is none.
pub fn rewrite(text: &[u8], up: &Upstream, ours: &str) -> Option<Vec<u8>> {
    let pairs = [
        (format!("//{}", up.authority), format!("//{ours}")),
        (format!("\\/\\/{}", up.authority), format!("\\/\\/{ours}")),
    ];
    let mut out: Option<Vec<u8>> = None;
    for (from, to) in &pairs {
        let current = out.as_deref().unwrap_or(text);
        if let Some(replaced) = replace_all(current, from.as_bytes(), to.as_bytes()) {
            out = Some(replaced);
        }
    }
    out
}

/// `haystack` with each `from` not followed by more of a host name or port
/// (`//127.0.0.1:80` must not match `//127.0.0.1:8080`) replaced.
fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    let mut any = false;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            let next = haystack.get(i + from.len()).copied();
            let continues = next
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b':');
            if !continues {
                out.extend_from_slice(to);
                i += from.len();
                any = true;
                continue;
            }
        }
        out.push(haystack[i]);
        i += 1;
    }
    any.then_some(out)
}

/// A connection error in words (hyper's outer error says only "client error").
pub fn describe_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// 502: the wiki does not answer. rldev keeps running; the page says what
/// to do.
pub fn wiki_down(up: &Upstream, why: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rldev: the wiki does not answer</title></head>\n\
         <body style=\"font:15px/1.5 sans-serif;margin:2em\">\n\
         <h1>The wiki does not answer</h1>\n\
         <p>rldev forwards this page to <code>{origin}{base}</code>, which gave no answer: <code>{why}</code>.</p>\n\
         <p>Start the wiki (or give its URL with <code>rldev serve --proxy URL</code>), then reload. rldev is still running.</p>\n\
         </body></html>\n",
        origin = escape(&up.origin),
        base = escape(&up.base),
        why = escape(why),
    );
    tracing::warn!("proxy: {}{} does not answer: {why}", up.origin, up.base);
    (
        StatusCode::BAD_GATEWAY,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> Upstream {
        Upstream::parse("http://127.0.0.1:8080/w/").unwrap()
    }

    #[test]
    fn urls_of_the_wiki_name_rldev() {
        let text = br#"<a href="http://127.0.0.1:8080/w/index.php">x</a> "\/\/127.0.0.1:8080\/w" //127.0.0.1:80800 //127.0.0.1:8080"#;
        let out = rewrite(text, &up(), "localhost:3000").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"<a href="http://localhost:3000/w/index.php">x</a> "\/\/localhost:3000\/w" //127.0.0.1:80800 //localhost:3000"#
        );
        assert_eq!(rewrite(b"//127.0.0.1:80/", &up(), "x"), None);
    }

    #[test]
    fn requests_reach_the_wiki_with_its_own_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        h.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        h.insert(
            header::REFERER,
            "http://127.0.0.1:3000/w/index.php?title=X".parse().unwrap(),
        );
        h.insert(header::CONNECTION, "keep-alive, x-private".parse().unwrap());
        h.insert("x-private", "1".parse().unwrap());
        h.insert(header::COOKIE, "a=b".parse().unwrap());
        to_wiki(&mut h, &up(), "127.0.0.1:3000");
        assert_eq!(h[header::HOST], "127.0.0.1:8080");
        assert_eq!(h[header::ORIGIN], "http://127.0.0.1:8080");
        assert_eq!(
            h[header::REFERER],
            "http://127.0.0.1:8080/w/index.php?title=X"
        );
        assert_eq!(h[header::COOKIE], "a=b");
        assert!(h.get("x-private").is_none() && h.get(header::CONNECTION).is_none());
    }
}
