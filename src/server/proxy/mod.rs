//! `rldev serve --proxy URL`: rldev in front of a real wiki.
//!
//! Every request goes to the wiki as it came, and its answer comes back as
//! it went (`forward`), but for three things: the wiki's `load.php` answers
//! the modules of rldev's manifests from rldev's builds and the others from
//! the wiki, in one answer (`merge`); the startup module carries rldev's
//! versions and its live client (`startup`); and absolute URLs of the wiki's
//! own origin point back at rldev. Assets that rldev's CSS references come
//! from rldev's content store, as in standalone mode.

mod forward;
mod merge;
mod startup;

use std::collections::HashMap;
use std::sync::RwLock;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use http_body_util::{BodyExt, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::AppState;
use super::load::Dialect;

/// The live client the startup module carries (see its header).
const CLIENT_JS: &str = include_str!("client.js");

/// Where rldev's own routes live in proxy mode, out of the wiki's way.
pub const OWN_PREFIX: &str = "/__rldev";

/// A body rldev reads whole (to rewrite URLs in it, or to merge it) may be
/// this large; larger ones are refused (merge) or passed on as they are.
const READ_LIMIT: usize = 64 << 20;

/// The wiki rldev stands in front of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// `http://host:port`.
    pub origin: String,
    /// `host:port`: the wiki's own `Host`.
    pub authority: String,
    /// The wiki's script path with a final `/` (`/w/`): `load.php` is there.
    pub base: String,
}

impl Upstream {
    /// `http://127.0.0.1:8080/w/` (the folder of `index.php`; a URL of
    /// `index.php` or `load.php` itself is taken as its folder).
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("proxy {url:?}: not a URL ({e})"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(format!(
                    "proxy {url:?}: only an http:// wiki can be proxied, not {other}://"
                ));
            }
            None => {
                return Err(format!(
                    "proxy {url:?}: give the wiki's URL, e.g. http://127.0.0.1:8080/w/"
                ));
            }
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("proxy {url:?}: no host"))?
            .as_str()
            .to_string();
        let mut base = uri.path().to_string();
        if base.ends_with(".php") {
            base.truncate(base.rfind('/').map_or(0, |i| i + 1));
        }
        if !base.ends_with('/') {
            base.push('/');
        }
        Ok(Upstream {
            origin: format!("http://{authority}"),
            authority,
            base,
        })
    }

    pub fn load_php(&self) -> String {
        format!("{}load.php", self.base)
    }
}

/// What the proxy learnt from the wiki's startup module.
#[derive(Debug, Default)]
struct Wiki {
    /// Each module's version there (without the ES6 `!`).
    versions: HashMap<String, String>,
    /// Whether its loader takes `mw.loader.implement` (1.39, 1.40) rather
    /// than `mw.loader.impl`; `None` until a startup module was seen.
    implement: Option<bool>,
}

/// The proxy's state, shared by every request.
pub struct Proxy {
    pub upstream: Upstream,
    client: Client<HttpConnector, Body>,
    wiki: RwLock<Wiki>,
}

/// An answer of the wiki, read whole.
struct Fetched {
    status: StatusCode,
    body: Bytes,
}

impl Proxy {
    pub fn new(upstream: Upstream) -> Proxy {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Proxy {
            upstream,
            client: Client::builder(TokioExecutor::new()).build(connector),
            wiki: RwLock::new(Wiki::default()),
        }
    }

    /// The loader dialect of the wiki, from its startup module (fetched once
    /// if no page has loaded it through rldev yet).
    async fn dialect(&self) -> Dialect {
        let known = self.wiki.read().expect("not poisoned").implement;
        let implement = match known {
            Some(implement) => implement,
            None => {
                let path = format!(
                    "{}?modules=startup&only=scripts&raw=1",
                    self.upstream.load_php()
                );
                match self.fetch(&path, &HeaderMap::new()).await {
                    Ok(f) => {
                        let implement = startup::uses_implement(&String::from_utf8_lossy(&f.body));
                        self.wiki.write().expect("not poisoned").implement = Some(implement);
                        implement
                    }
                    Err(_) => true,
                }
            }
        };
        Dialect::Wiki { implement }
    }

    /// Keeps what a startup module of the wiki said.
    fn learn(&self, versions: HashMap<String, String>, implement: bool) {
        let mut wiki = self.wiki.write().expect("not poisoned");
        wiki.versions = versions;
        wiki.implement = Some(implement);
    }

    /// The wiki's versions of `names`, as its last startup module gave them.
    fn wiki_versions(&self, names: &[String]) -> Vec<Option<String>> {
        let wiki = self.wiki.read().expect("not poisoned");
        names
            .iter()
            .map(|n| wiki.versions.get(n).cloned())
            .collect()
    }

    /// GETs `path_and_query` from the wiki with the browser's headers (its
    /// cookies, language, user agent), uncompressed and never conditional,
    /// and reads the answer whole.
    async fn fetch(&self, path_and_query: &str, from: &HeaderMap) -> Result<Fetched, String> {
        let mut headers = from.clone();
        forward::strip_hop_by_hop(&mut headers);
        for name in [
            header::ACCEPT_ENCODING,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::RANGE,
            header::CONTENT_LENGTH,
        ] {
            headers.remove(name);
        }
        headers.insert(
            header::HOST,
            self.upstream
                .authority
                .parse()
                .map_err(|_| "the wiki's host is not a header value".to_string())?,
        );
        let uri: Uri = format!("{}{path_and_query}", self.upstream.origin)
            .parse()
            .map_err(|e| format!("{path_and_query}: {e}"))?;
        let mut request = axum::http::Request::new(Body::empty());
        *request.method_mut() = Method::GET;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| forward::describe_error(&e))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, READ_LIMIT)
            .collect()
            .await
            .map_err(|e| format!("reading the wiki's answer: {e}"))?
            .to_bytes();
        Ok(Fetched {
            status: parts.status,
            body,
        })
    }
}

/// Every request that is not one of rldev's own routes.
pub async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let Some(proxy) = state.proxy.clone() else {
        return super::refused_not_found();
    };
    // `check_host` let only a loopback or the bound host through.
    let ours = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    if get && req.uri().path() == proxy.upstream.load_php() {
        return merge::load(&state, &proxy, req, &ours).await;
    }
    if get && let Some(answer) = super::known_asset(&state, req.uri()).await {
        return answer;
    }
    forward::pass(&proxy, req, &ours).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        let u = Upstream::parse("http://127.0.0.1:8080/w/").unwrap();
        assert_eq!(u.origin, "http://127.0.0.1:8080");
        assert_eq!(u.authority, "127.0.0.1:8080");
        assert_eq!(u.load_php(), "/w/load.php");
        assert_eq!(
            Upstream::parse("http://wiki.test/w/index.php")
                .unwrap()
                .base,
            "/w/"
        );
        assert_eq!(Upstream::parse("http://wiki.test").unwrap().base, "/");
        assert!(
            Upstream::parse("https://wiki.test/")
                .unwrap_err()
                .contains("only an http://")
        );
        assert!(Upstream::parse("wiki.test").is_err());
    }
}
