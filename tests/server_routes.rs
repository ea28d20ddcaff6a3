//! Router tests without a socket (`tower::ServiceExt::oneshot`): every route,
//! status and caching rule, on a hand-made snapshot.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use indexmap::IndexMap;
use rldev::disk::DiskSource;
use rldev::files::FileStore;
use rldev::registry::{Entry, Registry, State};
use rldev::server::live::{Parts, Rendered};
use rldev::server::{AppState, Snapshot, app};
use rldev::version;
use tokio::sync::{broadcast, watch};
use tower::ServiceExt;

fn entry(version: &str, deps: &[&str], error: Option<&str>, files: &[&str]) -> Entry {
    Entry {
        version: version.into(),
        dependencies: deps.iter().map(|d| d.to_string()).collect(),
        group: None,
        state: if error.is_some() {
            State::Error
        } else {
            State::Ready
        },
        error: error.map(str::to_string),
        // Sorted, as the registry keeps them.
        files: {
            let mut f: Vec<String> = files.iter().map(|f| f.to_string()).collect();
            f.sort();
            f
        },
        warnings: Vec::new(),
    }
}

fn rendered(version: &str, script: Option<&str>, css: &[&str]) -> Arc<Rendered> {
    Arc::new(Rendered {
        version: version.into(),
        script: script.map(|s| format!("function($,jQuery,require,module){{{s}}}")),
        plain_source: script.map(str::to_string),
        styles: css.iter().map(|c| c.to_string()).collect(),
        messages: IndexMap::from([("hi".to_string(), "Hello <b>".to_string())]),
        parts: Parts {
            script: "s".into(),
            styles: "c".into(),
            messages: "m".into(),
            templates: "t".into(),
        },
        ..Rendered::default()
    })
}

/// Three modules: `ext.a` (script and styles), `ext.b` (depends on a), `ext.bad` (Less error).
fn snapshot() -> Snapshot {
    let mut modules = IndexMap::new();
    modules.insert(
        "ext.a".into(),
        entry(
            "AAAAAAAA",
            &[],
            None,
            &["res/a.js", "res/a.css", "res/i.svg"],
        ),
    );
    modules.insert(
        "ext.b".into(),
        entry("BBBBBBBB", &["ext.a"], None, &["res/b.js"]),
    );
    modules.insert(
        "ext.bad".into(),
        entry(
            "CCCCCCCC",
            &[],
            Some("res/bad.less:3:5: Unrecognised input"),
            &["res/bad.less"],
        ),
    );
    let mut outputs = HashMap::new();
    outputs.insert(
        "ext.a".into(),
        vec![rendered(
            "AAAAAAAA",
            Some("window.a=1;"),
            &[".a{color:red}"],
        )],
    );
    outputs.insert(
        "ext.b".into(),
        vec![rendered("BBBBBBBB", Some("window.b=1;"), &[])],
    );
    outputs.insert("ext.bad".into(), vec![rendered("CCCCCCCC", None, &[])]);
    Snapshot {
        ready: true,
        registry: Arc::new(Registry { seq: 3, modules }),
        outputs: Arc::new(outputs),
        mounts: Arc::new(vec![("/extensions/T".into(), "".into())]),
        ..Snapshot::default()
    }
}

/// The snapshot with a content store over `root` that has read every file
/// some module depends on, as the daemon's has once it built them.
fn state(root: &Path) -> AppState {
    let mut snap = snapshot();
    let store = FileStore::new(Box::new(DiskSource::new(root)));
    for entry in snap.registry.modules.values() {
        for file in &entry.files {
            store.get(file);
        }
    }
    snap.files = Some(Arc::new(store));
    let (_tx, rx) = watch::channel(Arc::new(snap));
    // The sender may go: handlers keep reading the last snapshot.
    std::mem::forget(_tx);
    let (hub, _) = broadcast::channel(8);
    AppState {
        snapshots: rx,
        hub,
        hosts: Arc::from(["127.0.0.1".to_string()]),
        proxy: None,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn get_with(root: &Path, uri: &str, extra: &[(&str, &str)]) -> Answer {
    let mut req = Request::builder()
        .uri(uri)
        .header(header::HOST, "127.0.0.1:8080");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = app(state(root))
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(uri: &str) -> Answer {
    let dir = tempfile::tempdir().unwrap();
    get_with(dir.path(), uri, &[]).await
}

fn cache(a: &Answer) -> &str {
    a.headers[header::CACHE_CONTROL].to_str().unwrap()
}

fn combined(vs: &[&str]) -> String {
    version::combined(vs.iter().copied())
}

#[tokio::test]
async fn load_with_the_current_version_is_cached_long_with_a_weak_etag() {
    let v = combined(&["AAAAAAAA", "BBBBBBBB"]);
    let a = get(&format!("/load?modules=ext.a,b&version={v}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        cache(&a).contains("max-age=2592000") && cache(&a).contains("immutable"),
        "{}",
        cache(&a)
    );
    assert_eq!(a.headers[header::ETAG], format!("W/\"{v}\"").as_str());
    assert_eq!(
        a.headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let first = a.body.find("ext.a@AAAAAAAA").unwrap();
    let second = a.body.find("ext.b@BBBBBBBB").unwrap();
    assert!(first < second, "request order: {}", a.body);
    assert!(a.body.contains("mw.loader.impl(function(){return[\"ext.a@AAAAAAAA\",function($,jQuery,require,module){window.a=1;},{\"css\":[\".a{color:red}\"]},{\"hi\":\"Hello \\u003Cb\\u003E\"}];});"), "{}", a.body);
    assert!(!a.body.contains("mw.loader.state"), "{}", a.body);
}

#[tokio::test]
async fn load_without_or_with_another_version_is_not_stored() {
    for uri in [
        "/load?modules=ext.a",
        "/load?modules=ext.a&version=",
        "/load?modules=ext.a&version=XXXXXXXX",
    ] {
        let a = get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert_eq!(cache(&a), "no-store", "{uri}");
        assert!(
            a.body.contains("ext.a@AAAAAAAA"),
            "{uri}: current content all the same"
        );
    }
    let v = combined(&["AAAAAAAA"]);
    let debug = get(&format!("/load?modules=ext.a&version={v}&debug=1")).await;
    assert_eq!(cache(&debug), "no-store");
}

#[tokio::test]
async fn an_unknown_module_is_missing_inside_a_response_that_is_not_stored() {
    let v = combined(&["AAAAAAAA"]);
    let a = get(&format!("/load?modules=ext.a|ext.nope&version={v}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(cache(&a), "no-store");
    assert!(a.body.contains("ext.a@AAAAAAAA"));
    assert!(
        a.body
            .contains("mw.loader.state({\"ext.nope\":\"missing\"});"),
        "{}",
        a.body
    );
    assert!(
        a.headers[header::ETAG]
            .to_str()
            .unwrap()
            .ends_with("_with_errors\"")
    );
}

#[tokio::test]
async fn a_module_in_error_gets_the_error_state_and_its_message() {
    let v = combined(&["CCCCCCCC"]);
    let a = get(&format!("/load?modules=ext.bad&version={v}")).await;
    assert_eq!(cache(&a), "no-store");
    assert!(
        a.body.contains("mw.loader.state({\"ext.bad\":\"error\"});"),
        "{}",
        a.body
    );
    assert!(a.body.contains("res/bad.less:3:5"), "{}", a.body);
    assert!(
        !a.body.contains("ext.bad@"),
        "no impl for a broken module: {}",
        a.body
    );
}

#[tokio::test]
async fn if_none_match_answers_304_and_a_cached_error_never_revalidates() {
    let v = combined(&["AAAAAAAA"]);
    let etag = format!("W/\"{v}\"");
    let a = get_with(
        tempfile::tempdir().unwrap().path(),
        &format!("/load?modules=ext.a&version={v}"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_MODIFIED);
    assert!(a.body.is_empty());
    assert!(cache(&a).contains("immutable"));
    let other = get_with(
        tempfile::tempdir().unwrap().path(),
        "/load?modules=ext.a",
        &[("if-none-match", "W/\"XXXXXXXX\"")],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    let bad = combined(&["CCCCCCCC"]);
    let fixed_looking = get_with(
        tempfile::tempdir().unwrap().path(),
        "/load?modules=ext.bad",
        &[("if-none-match", &format!("W/\"{bad}\""))],
    )
    .await;
    assert_eq!(
        fixed_looking.status,
        StatusCode::OK,
        "an error response's tag is not the clean one"
    );
    let debug = get_with(
        tempfile::tempdir().unwrap().path(),
        &format!("/load?modules=ext.a&version={v}&debug=1"),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(debug.status, StatusCode::OK, "debug never answers 304");
}

#[tokio::test]
async fn only_styles_is_css_with_problems_in_a_leading_comment() {
    let a = get("/load?modules=ext.a|ext.bad|ext.nope&only=styles").await;
    assert_eq!(a.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(a.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(cache(&a), "no-store");
    assert!(
        a.body.starts_with(
            "/* Problematic modules: {\"ext.nope\":\"missing\",\"ext.bad\":\"error\"} */\n"
        ),
        "{}",
        a.body
    );
    assert!(a.body.contains(".a{color:red}"));
}

#[tokio::test]
async fn only_scripts_is_raw_script_then_ready_states() {
    let a = get("/load?modules=ext.a&only=scripts").await;
    assert!(a.body.starts_with("window.a=1;\n"), "{}", a.body);
    assert!(
        a.body.contains("mw.loader.state({\"ext.a\":\"ready\"});"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn empty_modules_is_a_comment() {
    let a = get("/load?modules=").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.starts_with("/*"), "{}", a.body);
}

#[tokio::test]
async fn startup_registers_every_module_with_indexed_dependencies() {
    let a = get("/startup").await;
    assert_eq!(cache(&a), "no-store");
    assert!(a.body.contains("mw.loader.register([[\"ext.a\",\"AAAAAAAA\"],[\"ext.b\",\"BBBBBBBB\",[0]],[\"ext.bad\",\"CCCCCCCC\"]]);"), "{}", a.body);
    assert!(a.body.contains("mw.loader.rldev.start({"), "{}", a.body);
    assert!(
        a.body
            .contains("\"errors\":{\"ext.bad\":\"res/bad.less:3:5: Unrecognised input\"}"),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn the_page_loads_every_module_or_those_asked_for() {
    let a = get("/").await;
    assert_eq!(a.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(a.body.contains("<script src=\"/startup\"></script>"));
    assert!(
        a.body
            .contains("mw.loader.load([\"ext.a\",\"ext.b\",\"ext.bad\"]);"),
        "{}",
        a.body
    );
    let some = get("/?modules=ext.b").await;
    assert!(
        some.body.contains("mw.loader.load([\"ext.b\"]);"),
        "{}",
        some.body
    );
}

#[tokio::test]
async fn the_registry_is_served_current_and_never_stored() {
    let a = get("/registry.json").await;
    assert_eq!(cache(&a), "no-store");
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["seq"], 3);
    assert_eq!(v["modules"]["ext.b"]["version"], "BBBBBBBB");
}

#[tokio::test]
async fn a_foreign_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("evil.example:8080", StatusCode::FORBIDDEN),
        ("127.0.0.1.evil.example", StatusCode::FORBIDDEN),
        ("localhost:8080", StatusCode::OK),
        ("[::1]:8080", StatusCode::OK),
        ("127.0.0.1", StatusCode::OK),
    ];
    for (host, status) in cases {
        let req = Request::builder()
            .uri("/registry.json")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        let res = app(state(dir.path())).oneshot(req).await.unwrap();
        assert_eq!(res.status(), status, "{host}");
    }
}

#[tokio::test]
async fn two_host_headers_or_a_foreign_absolute_request_line_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let twice = Request::builder()
        .uri("/registry.json")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::HOST, "evil.example")
        .body(Body::empty())
        .unwrap();
    let res = app(state(dir.path())).oneshot(twice).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The request line's authority is the one checked, not Host.
    for (uri, status) in [
        ("http://evil.example/registry.json", StatusCode::FORBIDDEN),
        ("http://127.0.0.1:8080/registry.json", StatusCode::OK),
    ] {
        let req = Request::builder()
            .uri(uri)
            .header(header::HOST, "127.0.0.1:8080")
            .body(Body::empty())
            .unwrap();
        let res = app(state(dir.path())).oneshot(req).await.unwrap();
        assert_eq!(res.status(), status, "{uri}");
    }
}

#[tokio::test]
async fn a_websocket_upgrade_from_a_foreign_origin_is_refused() {
    let a = get_with(
        tempfile::tempdir().unwrap().path(),
        "/ws",
        &[
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("origin", "http://evil.example"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

/// A project root with one served image, a file outside it and a symlink to
/// it that no module uses, and a used stylesheet that is a symlink to a file
/// outside the root.
fn asset_tree() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(root.join("res")).unwrap();
    std::fs::write(root.join("res/i.svg"), "<svg/>").unwrap();
    std::fs::write(outer.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(outer.path().join("secret.txt"), root.join("res/leak.svg")).unwrap();
    std::fs::create_dir_all(outer.path().join("shared")).unwrap();
    std::fs::write(outer.path().join("shared/a.css"), ".shared{}").unwrap();
    std::os::unix::fs::symlink(outer.path().join("shared/a.css"), root.join("res/a.css")).unwrap();
    (outer, root)
}

#[tokio::test]
async fn a_file_a_module_depends_on_is_served_wherever_a_symlink_puts_it() {
    let (_outer, root) = asset_tree();
    let a = get_with(&root, "/extensions/T/res/a.css", &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, ".shared{}");
}

#[tokio::test]
async fn assets_are_the_bytes_rldev_hashed_not_a_new_read() {
    let (_outer, root) = asset_tree();
    let state = state(&root);
    // The file changes after rldev read it: until the daemon reads it again
    // (and rebuilds), the bytes served are those its versions were made of.
    std::fs::write(root.join("res/i.svg"), "<svg>new</svg>").unwrap();
    let res = app(state)
        .oneshot(
            Request::builder()
                .uri("/extensions/T/res/i.svg")
                .header(header::HOST, "127.0.0.1:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&body[..], b"<svg/>");
}

#[tokio::test]
async fn assets_are_served_at_their_css_url_and_cached_only_for_their_hash() {
    let (_outer, root) = asset_tree();
    let hash = rldev::compile::remap::short_md5(b"<svg/>");
    let a = get_with(&root, &format!("/extensions/T/res/i.svg?{hash}"), &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "<svg/>");
    assert_eq!(a.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(cache(&a).contains("immutable"));
    let old = get_with(&root, "/extensions/T/res/i.svg?00000", &[]).await;
    assert_eq!(cache(&old), "no-store");
    let unknown = get_with(&root, "/extensions/T/res/other.svg", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_file_outside_the_root_is_served_whatever_the_encoding() {
    let (_outer, root) = asset_tree();
    for uri in [
        "/extensions/T/../secret.txt",
        "/extensions/T/%2e%2e/secret.txt",
        "/extensions/T/%2E%2E%2Fsecret.txt",
        "/extensions/T/%252e%252e/secret.txt",
        "/extensions/T/..%5csecret.txt",
        "/extensions/T/res%2f..%2f..%2fsecret.txt",
        "/extensions/T/res/leak.svg",
        "/../secret.txt",
        "/secret.txt",
    ] {
        let a = get_with(&root, uri, &[]).await;
        assert!(
            a.status == StatusCode::FORBIDDEN || a.status == StatusCode::NOT_FOUND,
            "{uri}: {} {}",
            a.status,
            a.body
        );
        assert!(!a.body.contains("secret"), "{uri} leaked the file");
    }
    // `..` inside module names is only a name: never a path.
    let a = get_with(&root, "/load?modules=../../secret.txt", &[]).await;
    assert!(
        a.body.contains("\"../../secret.txt\":\"missing\""),
        "{}",
        a.body
    );
    assert!(!a.body.contains("secret\n"));
}
