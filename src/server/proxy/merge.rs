//! The wiki's `load.php` behind the proxy. A request that names none of
//! rldev's modules passes through. Otherwise its module list is cut into
//! runs, each of rldev's modules only or of the wiki's only, in request
//! order; rldev answers its runs from its builds, the wiki each of its own
//! (one request per run, at once), and the answers are joined in order, so
//! the result is ResourceLoader's order (for CSS, the cascade order).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Proxy, forward, startup};
use crate::server::AppState;
use crate::server::load::{self, Dialect};

/// A run of the request: consecutive modules answered by one side.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    pub ours: bool,
    pub modules: Vec<String>,
}

pub fn runs(modules: &[String], ours: impl Fn(&str) -> bool) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for name in modules {
        let mine = ours(name);
        match out.last_mut() {
            Some(run) if run.ours == mine => run.modules.push(name.clone()),
            _ => out.push(Run {
                ours: mine,
                modules: vec![name.clone()],
            }),
        }
    }
    out
}

/// MediaWiki's `fnv132` (`mediawiki.loader.js`, `ResourceLoader::makeHash`):
/// FNV-1 32-bit over UTF-16 code units, in base 36, cut or padded to 5.
pub fn fnv132(text: &str) -> String {
    let mut hash: u32 = 0x811C_9DC5;
    for unit in text.encode_utf16() {
        hash = hash
            .wrapping_add(hash << 1)
            .wrapping_add(hash << 4)
            .wrapping_add(hash << 7)
            .wrapping_add(hash << 8)
            .wrapping_add(hash << 24);
        hash ^= u32::from(unit);
    }
    let mut digits = Vec::new();
    let mut n = hash;
    loop {
        digits.push(char::from_digit(n % 36, 36).expect("a base-36 digit"));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let text: String = digits.iter().rev().take(5).collect();
    format!("{text:0>5}")
}

/// The query with `modules=` naming `names` (packed) and no `version=`.
fn query_for(pairs: &[(String, String)], names: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "modules" && k != "version")
        .cloned()
        .collect();
    out.insert(0, ("modules".into(), load::pack(names)));
    out
}

/// What one run gave.
struct Part {
    body: String,
    /// Each module's version in this answer (`None`: unknown, so the whole
    /// answer is not cacheable).
    versions: Vec<Option<String>>,
    faulty: bool,
}

pub async fn load(state: &AppState, proxy: &Arc<Proxy>, req: Request, ours: &str) -> Response {
    let query = req.uri().query().unwrap_or("").to_string();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let modules = get("modules").map(load::expand).unwrap_or_default();
    if modules == ["startup"] {
        return startup::answer(state, proxy, req, ours).await;
    }
    let snap = state.ready_snapshot().await;
    // A module that needs PHP is the wiki's to answer.
    let mine = |m: &str| snap.builds(m);
    if !modules.iter().any(|m| mine(m)) {
        return forward::pass(proxy, req, ours).await;
    }
    if let Some(refusal) = crate::server::cross_site_script(&pairs, req.headers()) {
        return refusal;
    }
    let dialect = proxy.dialect().await;
    if get("image").is_some() {
        // An image of one of rldev's image modules.
        return crate::server::load_with(state, pairs, req.headers().clone(), dialect).await;
    }
    let styles = get("only") == Some("styles");
    let headers = req.headers().clone();
    let mut tasks = Vec::new();
    for run in runs(&modules, mine) {
        let sub = query_for(&pairs, &run.modules);
        let (state, proxy, headers) = (state.clone(), proxy.clone(), headers.clone());
        tasks.push(tokio::spawn(async move {
            if run.ours {
                ours_part(&state, sub, &run.modules, dialect).await
            } else {
                wiki_part(&proxy, sub, &run.modules, &headers).await
            }
        }));
    }
    let mut body = String::new();
    let mut versions = Vec::new();
    let mut faulty = false;
    for task in tasks {
        let part = match task.await {
            Ok(part) => part,
            Err(e) => Part {
                body: format!("/* rldev: {e} */\n"),
                versions: vec![None],
                faulty: true,
            },
        };
        body.push_str(&part.body);
        if !part.body.is_empty() && !part.body.ends_with('\n') {
            body.push('\n');
        }
        versions.extend(part.versions);
        faulty |= part.faulty;
    }
    // The loader's `version=` is fnv132 of the versions it knows, in order:
    // cacheable only when that names exactly this answer.
    let combined = versions
        .iter()
        .map(|v| v.as_deref())
        .collect::<Option<Vec<&str>>>()
        .map(|v| fnv132(&v.concat()));
    let caching = match (get("version"), &combined) {
        (Some(asked), Some(combined))
            if asked == combined
                && !faulty
                && get("debug").is_none_or(|d| d == "false" || d == "0") =>
        {
            load::Caching::Long
        }
        _ => load::Caching::NoStore,
    };
    let mut head = HeaderMap::new();
    head.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if styles {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        }),
    );
    head.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(caching.header()),
    );
    (StatusCode::OK, head, Body::from(body)).into_response()
}

async fn ours_part(
    state: &AppState,
    pairs: Vec<(String, String)>,
    names: &[String],
    dialect: Dialect,
) -> Part {
    match crate::server::load_text(state, pairs, dialect).await {
        Ok((body, versions, faulty)) => Part {
            body,
            versions: versions.into_iter().map(Some).collect(),
            faulty,
        },
        Err(e) => Part {
            body: format!("/* rldev: {} */\n", e.replace("*/", "* /")),
            versions: names.iter().map(|_| None).collect(),
            faulty: true,
        },
    }
}

async fn wiki_part(
    proxy: &Proxy,
    pairs: Vec<(String, String)>,
    names: &[String],
    headers: &HeaderMap,
) -> Part {
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let path = format!("{}?{query}", proxy.upstream.load_php());
    let known = proxy.wiki_versions(names);
    match proxy.fetch(&path, headers).await {
        Ok(f) if f.status == StatusCode::OK => Part {
            body: String::from_utf8_lossy(&f.body).into_owned(),
            versions: known,
            faulty: false,
        },
        Ok(f) => Part {
            body: format!(
                "/* rldev: the wiki answered {} for {} */\n",
                f.status,
                load::pack(names).replace("*/", "* /")
            ),
            versions: known,
            faulty: true,
        },
        Err(e) => Part {
            body: format!(
                "/* rldev: the wiki does not answer: {} */\n",
                e.replace("*/", "* /")
            ),
            versions: known,
            faulty: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv132_is_mediawikis() {
        // Values from mediawiki.loader.js's fnv132 in Node.
        assert_eq!(fnv132(""), "ztntf");
        assert_eq!(fnv132("abc"), "irc6k");
        assert_eq!(fnv132("10nt617bnj"), "g1ykr");
        assert_eq!(fnv132("p9z7xigkdh11mbx"), "ihjb4");
    }

    #[test]
    fn runs_keep_request_order() {
        let names: Vec<String> = ["a", "x.b", "x.c", "d", "x.e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = runs(&names, |n| n.starts_with("x."));
        let shape: Vec<(bool, usize)> = r.iter().map(|r| (r.ours, r.modules.len())).collect();
        assert_eq!(shape, [(false, 1), (true, 2), (false, 1), (true, 1)]);
    }
}
