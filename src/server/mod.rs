//! The HTTP server of `rldev serve`: routes, caching headers, safety checks.
//! Handlers read immutable [`Snapshot`]s that the daemon loop publishes.

pub mod contexts;
pub mod hub;
pub mod image;
pub mod live;
pub mod load;
pub mod proxy;
pub mod run;
pub mod safety;
pub mod startup;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::{broadcast, watch};

use crate::compile::remap::short_md5;
pub use live::{Live, Snapshot};
use load::{Caching, Only};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub hub: broadcast::Sender<Arc<str>>,
    /// The names a request's `Host` may give besides `localhost` and
    /// loopback addresses: the bound host; bound to every address
    /// (`0.0.0.0`), also the machine's own addresses and `--allow-host`'s.
    pub hosts: Arc<[String]>,
    /// The wiki rldev stands in front of (`serve --proxy`).
    pub proxy: Option<Arc<proxy::Proxy>>,
}

/// How long a request waits for the first full build or for a module's rebuild.
const BUILD_WAIT: Duration = Duration::from_secs(60);

pub fn app(state: AppState) -> Router {
    let router = if state.proxy.is_some() {
        // The wiki's paths are the wiki's: rldev's own routes move under
        // OWN_PREFIX; `/load` stays for the image URLs of rldev's CSS.
        let own = proxy::OWN_PREFIX;
        Router::new()
            .route(&format!("{own}/ws"), get(hub::ws))
            .route(&format!("{own}/registry.json"), get(registry))
            .route(&format!("{own}/load"), get(load))
            .route("/load", get(load))
            .fallback(proxy::handle)
    } else {
        standalone()
    };
    router
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .with_state(state)
}

fn standalone() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/startup", get(startup))
        .route("/registry.json", get(registry))
        .route("/load", get(load))
        .route("/load.php", get(load))
        .route("/ws", get(hub::ws))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .fallback(asset)
}

/// Refuses requests whose `Host` is not this server (DNS rebinding). Two
/// `Host` headers are a bad request (RFC 9112); a request line in absolute
/// form names the authority to check, whatever `Host` says.
async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.headers().get_all(header::HOST).iter().count() > 1 {
        return (
            StatusCode::BAD_REQUEST,
            no_store(),
            "rldev: more than one Host header\n",
        )
            .into_response();
    }
    let host = match req.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok()),
    };
    match host {
        Some(h) if safety::host_allowed(h, &state.hosts) => next.run(req).await,
        _ => (
            StatusCode::FORBIDDEN,
            no_store(),
            "rldev: this Host is not served (only the bound host, localhost and loopback addresses)\n",
        )
            .into_response(),
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 1] {
    [(header::CACHE_CONTROL, "no-store")]
}

impl AppState {
    /// The newest snapshot for which `ok` holds, waiting for the daemon up to
    /// [`BUILD_WAIT`]; after that, the newest one.
    pub async fn snapshot_when(&self, ok: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
        let mut rx = self.snapshots.clone();
        let wait = rx.wait_for(|s| s.ready && ok(s));
        match tokio::time::timeout(BUILD_WAIT, wait).await {
            Ok(Ok(s)) => s.clone(),
            _ => self.snapshots.borrow().clone(),
        }
    }

    pub async fn ready_snapshot(&self) -> Arc<Snapshot> {
        self.snapshot_when(|_| true).await
    }
}

#[derive(serde::Deserialize)]
struct PageQuery {
    modules: Option<String>,
}

async fn page(State(state): State<AppState>, Query(q): Query<PageQuery>) -> Response {
    let snap = state.ready_snapshot().await;
    let modules: Vec<String> = q
        .modules
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        startup::page_html(&snap, &modules),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct StartupQuery {
    /// The page's target, as load.php's `target=` (MediaWiki ≤ 1.40 registers
    /// only the modules for it): `desktop` unless given.
    target: Option<String>,
}

/// `GET /startup[?target=mobile]`.
async fn startup(State(state): State<AppState>, Query(q): Query<StartupQuery>) -> Response {
    let snap = state.ready_snapshot().await;
    let target = q.target.as_deref().unwrap_or("desktop");
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        startup::startup_js(&snap, target),
    )
        .into_response()
}

async fn registry(State(state): State<AppState>) -> Response {
    let snap = state.ready_snapshot().await;
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        crate::report::registry_json(&snap.registry) + "\n",
    )
        .into_response()
}

async fn load(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    load_with(&state, pairs, headers, load::Dialect::Rldev).await
}

/// What a `/load` request gets, before the caching headers: the request,
/// the snapshot it was answered from and its plan.
enum Loaded {
    Answer(Response),
    Built {
        req: load::Request,
        snap: Arc<Snapshot>,
        plan: load::Plan,
    },
}

async fn load_built(
    state: &AppState,
    pairs: &[(String, String)],
    headers: &HeaderMap,
    dialect: load::Dialect,
) -> Loaded {
    let mut req = load::Request::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    req.dialect = dialect;
    // Every requested module that is known must be built at its current
    // version (its state, too, comes from that build).
    let snap = state
        .snapshot_when(|s| {
            req.modules
                .iter()
                .all(|m| !s.registry.modules.contains_key(m) || s.current(m).is_some())
        })
        .await;
    // Another context than rldev.toml's (`lang=`, `skin=`, `dir=`): built
    // on demand, exact as the registry is.
    let snap = match &snap.contexts {
        Some(contexts) if contexts.is_other(&req.context) => {
            let contexts = contexts.clone();
            let (context, names) = (req.context.clone(), req.modules.clone());
            let built = tokio::task::spawn_blocking(move || contexts.snapshot(&context, &names))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
            match built {
                Ok(other) => Arc::new(other),
                Err(e) => {
                    return Loaded::Answer(
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            no_store(),
                            format!(
                                "/* rldev: cannot build for this context: {} */\n",
                                e.replace("*/", "* /")
                            ),
                        )
                            .into_response(),
                    );
                }
            }
        }
        _ => snap,
    };
    let plan = load::plan(&req, &snap);
    if let Some(answer) = image::answer(pairs, &req, &snap, &plan, headers) {
        return Loaded::Answer(answer);
    }
    Loaded::Built { req, snap, plan }
}

/// A script answer asked for by another site's page (`Sec-Fetch-Site:
/// cross-site`, which browsers send) is refused: any page could otherwise
/// include `<script src=…/load?modules=…>` with its own `mw.loader.impl` and
/// read a developer's unreleased code. Stylesheets and images stay open, as
/// are requests of rldev's own pages (`same-origin`), of the same site, and
/// of no page at all (a typed URL, curl).
pub(crate) fn cross_site_script(
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Option<Response> {
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())?;
    let styles = pairs.iter().any(|(k, v)| k == "only" && v == "styles");
    let image = pairs.iter().any(|(k, _)| k == "image");
    if site != "cross-site" || styles || image {
        return None;
    }
    Some(
        (
            StatusCode::FORBIDDEN,
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "/* rldev: module code is not served to another site's page (Sec-Fetch-Site: cross-site) */\n",
        )
            .into_response(),
    )
}

fn load_body(req: &load::Request, snap: &Snapshot, plan: &load::Plan) -> String {
    match req.only {
        Only::Styles => load::styles_body(req, snap, plan),
        _ => load::script_body(req, snap, plan),
    }
}

/// The body of a `/load` answer for the proxy's merge, with the version of
/// each requested module in it and whether any could not be delivered.
pub(crate) async fn load_text(
    state: &AppState,
    pairs: Vec<(String, String)>,
    dialect: load::Dialect,
) -> Result<(String, Vec<String>, bool), String> {
    match load_built(state, &pairs, &HeaderMap::new(), dialect).await {
        Loaded::Answer(_) => Err("rldev cannot answer this request".into()),
        Loaded::Built { req, snap, plan } => {
            let versions = req
                .modules
                .iter()
                .map(|m| {
                    snap.registry
                        .modules
                        .get(m)
                        .map_or_else(String::new, |e| e.version.clone())
                })
                .collect();
            let faulty =
                !plan.missing.is_empty() || !plan.errors.is_empty() || !plan.private.is_empty();
            Ok((load_body(&req, &snap, &plan), versions, faulty))
        }
    }
}

/// `/load` (and the proxy's `load.php` for an image): the answer with its
/// caching headers.
pub(crate) async fn load_with(
    state: &AppState,
    pairs: Vec<(String, String)>,
    headers: HeaderMap,
    dialect: load::Dialect,
) -> Response {
    if let Some(refusal) = cross_site_script(&pairs, &headers) {
        return refusal;
    }
    let (req, snap, plan) = match load_built(state, &pairs, &headers, dialect).await {
        Loaded::Answer(answer) => return answer,
        Loaded::Built { req, snap, plan } => (req, snap, plan),
    };
    let mut head = HeaderMap::new();
    let content_type = if req.only == Only::Styles {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    head.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    head.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(plan.caching.header()),
    );
    if let Ok(etag) = HeaderValue::from_str(&plan.etag) {
        head.insert(header::ETAG, etag);
    }
    if req.only == Only::Styles {
        head.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if !req.debug && inm.is_some_and(|v| load::not_modified(v, &plan.etag)) {
        return (StatusCode::NOT_MODIFIED, head).into_response();
    }
    (head, load_body(&req, &snap, &plan)).into_response()
}

/// Images and other files the built CSS references, under their module's URL folder.
async fn asset(State(state): State<AppState>, uri: Uri) -> Response {
    let snap = state.ready_snapshot().await;
    asset_answer(&snap, &uri).unwrap_or_else(|r| {
        let (status, text) = match r {
            safety::Refused::Forbidden => (
                StatusCode::FORBIDDEN,
                "rldev: refused: outside the project\n",
            ),
            safety::Refused::NotFound => (StatusCode::NOT_FOUND, "rldev: not found\n"),
        };
        (status, no_store(), text).into_response()
    })
}

/// In proxy mode: the answer for a file rldev's CSS references, or `None`
/// for every other path (the wiki's).
pub(crate) async fn known_asset(state: &AppState, uri: &Uri) -> Option<Response> {
    let snap = state.ready_snapshot().await;
    asset_answer(&snap, uri).ok()
}

pub(crate) fn refused_not_found() -> Response {
    (StatusCode::NOT_FOUND, no_store(), "rldev: not found\n").into_response()
}

fn asset_answer(snap: &Snapshot, uri: &Uri) -> Result<Response, safety::Refused> {
    // `files` lists are sorted: a binary search each, no set built per request.
    let known = |p: &str| {
        snap.registry
            .modules
            .values()
            .any(|e| e.files.binary_search_by(|f| f.as_str().cmp(p)).is_ok())
    };
    let rel = safety::asset_path(uri.path(), &snap.mounts, known)?;
    // The bytes rldev hashed for this path (a file some module depends on,
    // wherever a symlink put it), never a second read of the path: what was
    // checked is what is served, and the `?hash` in the CSS names these bytes.
    let store = snap.files.as_ref().ok_or(safety::Refused::NotFound)?;
    let bytes = store
        .peek(&rel)
        .and_then(|e| e.bytes().cloned())
        .ok_or(safety::Refused::NotFound)?;
    // `?<hash>` as the CSS carries it: cacheable only while it names this content.
    let caching = match uri.query() {
        Some(q) if q == short_md5(&bytes) => Caching::Long,
        _ => Caching::NoStore,
    };
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, content_type(&rel))
        .header(header::CACHE_CONTROL, caching.header())
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(bytes.to_vec()))
        .expect("static headers are valid"))
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "css" => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}
