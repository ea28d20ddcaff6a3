//! `serve --proxy`'s pass-through, against a small HTTP server of the
//! test's own standing in for the wiki's web server: a POST with its body, a
//! redirect to the wiki's origin, several `Set-Cookie`s, a gzipped answer
//! kept as it is, a gzipped page whose URLs are rewritten, a 304, a large
//! body that streams, and a wiki that is down (a 502 page; rldev goes on).

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use http_body_util::BodyExt;
use rldev::server::proxy::{Proxy, Upstream};
use rldev::server::{AppState, Snapshot, app};
use serde_json::json;
use tokio::sync::{Notify, broadcast, watch};
use tower::ServiceExt;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// The wiki's web server: answers under `/w/`, on a loopback port.
async fn wiki(release: Arc<Notify>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let authority = listener.local_addr().unwrap().to_string();
    let origin = format!("http://{authority}");
    let page_origin = origin.clone();
    let redirect_origin = origin.clone();
    let router = Router::new()
        .route(
            "/w/echo",
            post(|headers: HeaderMap, body: Bytes| async move {
                let h =
                    |n: header::HeaderName| headers.get(n).map(|v| v.to_str().unwrap().to_string());
                // Plain text: JSON would have the wiki's origin rewritten.
                let seen = json!({
                    "body": String::from_utf8_lossy(&body),
                    "host": h(header::HOST),
                    "origin": h(header::ORIGIN),
                    "cookie": h(header::COOKIE),
                    "type": h(header::CONTENT_TYPE),
                });
                ([(header::CONTENT_TYPE, "text/plain")], seen.to_string())
            }),
        )
        .route(
            "/w/redirect",
            get(move || async move {
                (
                    StatusCode::FOUND,
                    [(
                        header::LOCATION,
                        format!("{redirect_origin}/w/index.php?title=Main_Page"),
                    )],
                )
            }),
        )
        .route(
            "/w/cookies",
            get(|| async {
                let mut r = "set".into_response();
                r.headers_mut()
                    .append(header::SET_COOKIE, "a=1; path=/; HttpOnly".parse().unwrap());
                r.headers_mut()
                    .append(header::SET_COOKIE, "b=2; path=/".parse().unwrap());
                r
            }),
        )
        .route(
            "/w/script.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(b"var answer = 42;\n"),
                )
            }),
        )
        .route(
            "/w/page",
            get(move || async move {
                let html = format!("<a href=\"{page_origin}/w/index.php\">home</a>");
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=UTF-8"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(html.as_bytes()),
                )
            }),
        )
        .route(
            "/w/cached",
            get(|headers: HeaderMap| async move {
                if headers
                    .get(header::IF_NONE_MATCH)
                    .is_some_and(|v| v == "\"v1\"")
                {
                    (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"v1\"")]).into_response()
                } else {
                    ([(header::ETAG, "\"v1\"")], "fresh").into_response()
                }
            }),
        )
        .route(
            "/w/large",
            get(move || async move {
                // The first megabyte at once; the rest only once the test has
                // read the first through rldev: a proxy that buffered would hang.
                let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
                tokio::spawn(async move {
                    tx.send(Ok(Bytes::from(vec![b'a'; 1 << 20]))).await.unwrap();
                    release.notified().await;
                    for _ in 0..7 {
                        tx.send(Ok(Bytes::from(vec![b'b'; 1 << 20]))).await.unwrap();
                    }
                });
                let stream = tokio_stream_from(rx);
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("{origin}/w/")
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// rldev in proxy mode in front of `url`, with no modules of its own.
fn rldev(url: &str) -> Router {
    let snap = Snapshot {
        ready: true,
        ..Snapshot::default()
    };
    let (tx, rx) = watch::channel(Arc::new(snap));
    std::mem::forget(tx);
    app(AppState {
        snapshots: rx,
        hub: broadcast::channel(8).0,
        hosts: Arc::from(["127.0.0.1".to_string()]),
        proxy: Some(Arc::new(Proxy::new(Upstream::parse(url).unwrap()))),
    })
}

const OURS: &str = "127.0.0.1:3000";

fn request(method: &str, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, OURS)
}

async fn body_of(r: Response) -> Vec<u8> {
    r.into_body().collect().await.unwrap().to_bytes().to_vec()
}

#[tokio::test]
async fn pass_through() {
    let release = Arc::new(Notify::new());
    let url = wiki(release.clone()).await;
    let wiki_authority = url
        .trim_start_matches("http://")
        .trim_end_matches("/w/")
        .to_string();
    let rldev = rldev(&url);

    // A POST: method, body, cookies and type reach the wiki, with its own Host
    // and an Origin naming it.
    let r = rldev
        .clone()
        .oneshot(
            request("POST", "/w/echo")
                .header(header::COOKIE, "session=s1")
                .header(header::ORIGIN, format!("http://{OURS}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("wpTextbox1=Hello&wpSave=1"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let echo: serde_json::Value = serde_json::from_slice(&body_of(r).await).unwrap();
    assert_eq!(echo["body"], "wpTextbox1=Hello&wpSave=1");
    assert_eq!(echo["host"], wiki_authority.as_str());
    assert_eq!(echo["origin"], format!("http://{wiki_authority}"));
    assert_eq!(echo["cookie"], "session=s1");
    assert_eq!(echo["type"], "application/x-www-form-urlencoded");

    // A redirect to the wiki's origin points back at rldev.
    let r = rldev
        .clone()
        .oneshot(request("GET", "/w/redirect").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()[header::LOCATION],
        format!("http://{OURS}/w/index.php?title=Main_Page")
    );

    // Every Set-Cookie comes back.
    let r = rldev
        .clone()
        .oneshot(request("GET", "/w/cookies").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookies: Vec<_> = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(cookies, ["a=1; path=/; HttpOnly", "b=2; path=/"]);

    // A gzipped script comes back as the wiki sent it, still compressed.
    let r = rldev
        .clone()
        .oneshot(request("GET", "/w/script.js").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(body_of(r).await, gzip(b"var answer = 42;\n"));

    // A gzipped page naming the wiki's origin: still gzip, naming rldev's.
    let r = rldev
        .clone()
        .oneshot(request("GET", "/w/page").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
    let html = String::from_utf8(gunzip(&body_of(r).await)).unwrap();
    assert_eq!(
        html,
        format!("<a href=\"http://{OURS}/w/index.php\">home</a>")
    );

    // A conditional request gets the wiki's 304.
    let r = rldev
        .clone()
        .oneshot(
            request("GET", "/w/cached")
                .header(header::IF_NONE_MATCH, "\"v1\"")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()[header::ETAG], "\"v1\"");

    // A large body streams: its first megabyte arrives before the wiki sends the rest.
    let r = rldev
        .clone()
        .oneshot(request("GET", "/w/large").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let mut body = r.into_body();
    let mut got = 0usize;
    while got < 1 << 20 {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("the first megabyte arrives while the wiki holds the rest")
            .unwrap()
            .unwrap();
        got += frame.into_data().map_or(0, |d| d.len());
    }
    release.notify_one();
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!(got + rest.len(), 8 << 20);
    assert!(rest.iter().all(|&b| b == b'b'));
}

#[tokio::test]
async fn a_wiki_that_is_down_gets_a_502_page_and_rldev_goes_on() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rldev = rldev(&format!("http://127.0.0.1:{port}/w/"));
    for _ in 0..2 {
        let r = rldev
            .clone()
            .oneshot(request("GET", "/w/index.php").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        let page = String::from_utf8(body_of(r).await).unwrap();
        assert!(page.contains("The wiki does not answer"), "{page}");
        assert!(
            page.contains(&format!("http://127.0.0.1:{port}/w/")),
            "{page}"
        );
    }
    // rldev's own routes still answer.
    let r = rldev
        .oneshot(
            request("GET", "/__rldev/registry.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
