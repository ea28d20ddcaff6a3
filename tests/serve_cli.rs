//! `rldev serve` as a real process on a temp tree: seed 000 through `/load`
//! (missing file -> not cacheable; file appears -> new version, cacheable),
//! and the WebSocket with a `tokio-tungstenite` client (`hello`, then diffs
//! that say which part of the output changed, and `sync`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use common::serve::Server;
use common::ws::next_json;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(60);

/// A GET over a plain socket: (status, lower-cased headers, body).
fn get(port: u16, path: &str) -> (u16, String, String) {
    get_as(port, "127.0.0.1", path)
}

/// A GET naming `host` in its `Host` header.
fn get_as(port: u16, host: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn registry(port: u16) -> Value {
    serde_json::from_str(&get(port, "/registry.json").2).unwrap()
}

fn version(port: u16, module: &str) -> String {
    registry(port)["modules"][module]["version"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A project of one module, `ext.a` (a script).
fn one_module() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "extension.json",
        r#"{"ResourceModules": {"ext.a": {"scripts": ["a.js"]}}}"#,
    );
    common::write(dir.path(), "a.js", "var a;\n");
    dir
}

fn cache_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Seed 000: a page asks for a module while its file is missing; the answer
/// says so and is not cacheable; the file appears; the diff carries a new
/// version; the new URL returns the module and is cacheable.
#[test]
fn seed_000_a_missing_file_is_never_cached_and_its_arrival_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "extension.json",
        &json!({"ResourceModules": {"ext.late": {"scripts": ["late.js"]}}}).to_string(),
    );
    let cache = cache_dir();
    let mut server = Server::start(root, &["extension.json"], 0, cache.path(), WAIT);
    let port = server.port;
    let reg = registry(port);
    assert_eq!(reg["modules"]["ext.late"]["state"], "error", "{reg}");
    let v1 = version(port, "ext.late");
    let combined1 = rldev::version::combined([v1.as_str()]);
    let (status, head, body) = get(port, &format!("/load?modules=ext.late&version={combined1}"));
    assert_eq!(status, 200);
    assert!(head.contains("cache-control: no-store"), "{head}");
    assert!(body.contains("\"ext.late\":\"error\""), "{body}");
    assert!(
        body.contains("late.js"),
        "the answer names the missing file: {body}"
    );
    let (_, head, body) = get(port, "/load?modules=ext.unknown");
    assert!(head.contains("cache-control: no-store"));
    assert!(body.contains("\"ext.unknown\":\"missing\""), "{body}");

    common::write(root, "late.js", "window.late = 1;\n");
    let diff = server.next_event(WAIT, |e| {
        e["event"] == "diff" && e["changed"]["ext.late"].is_object()
    });
    let v2 = diff["changed"]["ext.late"]["to"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(diff["changed"]["ext.late"]["from"], v1.as_str());
    assert_ne!(v1, v2);
    let combined2 = rldev::version::combined([v2.as_str()]);
    let (status, head, body) = get(port, &format!("/load?modules=ext.late&version={combined2}"));
    assert_eq!(status, 200);
    assert!(head.contains("immutable"), "{head}");
    assert!(body.contains(&format!("ext.late@{v2}")), "{body}");
    assert!(body.contains("window.late = 1;"), "{body}");
    // The old URL still answers with current content, but never for long.
    let (_, head, body) = get(port, &format!("/load?modules=ext.late&version={combined1}"));
    assert!(head.contains("cache-control: no-store"), "{head}");
    assert!(body.contains(&format!("ext.late@{v2}")));
}

fn styled_tree(root: &Path) {
    common::write(
        root,
        "extension.json",
        &json!({"ResourceModules": {
            "ext.a": {"scripts": ["a.js"], "styles": ["a.less"], "messages": []},
            "ext.b": {"scripts": ["b.js"], "dependencies": ["ext.a"]}
        }})
        .to_string(),
    );
    common::write(root, "a.js", "window.a = 1;\n");
    common::write(root, "b.js", "window.b = 1;\n");
    common::write(root, "a.less", "@c: red;\n.a { color: @c; }\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_hello_then_diffs_that_name_the_changed_part() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    styled_tree(&root);
    let cache = cache_dir();
    let server = {
        let root = root.clone();
        let cache = cache.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Server::start(&root, &["extension.json"], 0, &cache, WAIT)
        })
        .await
        .unwrap()
    };
    let url = format!("ws://127.0.0.1:{}/ws", server.port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["event"], "hello");
    assert_eq!(hello["seq"], 0);
    let va = hello["registry"]["ext.a"].as_str().unwrap().to_string();
    assert!(hello["registry"]["ext.b"].is_string(), "{hello}");

    // Only the stylesheet changes: the diff says `styles`.
    common::write(&root, "a.less", "@c: blue;\n.a { color: @c; }\n");
    let diff = next_json(&mut ws).await;
    assert_eq!(diff["event"], "diff", "{diff}");
    let change = &diff["changed"]["ext.a"];
    assert_eq!(change["from"], va.as_str(), "{diff}");
    assert_eq!(change["causes"], json!(["a.less"]));
    assert_eq!(change["parts"], json!(["styles"]), "{diff}");
    assert!(change["output"]["styles"].is_string(), "{diff}");
    let css = change["styles"][0].as_str().unwrap_or_default();
    assert!(
        css.starts_with(".a{color:"),
        "the new CSS rides along: {diff}"
    );
    assert!(
        diff["changed"].get("ext.b").is_none(),
        "a dependant's version does not move: {diff}"
    );

    // The script changes: the diff says `script`.
    common::write(&root, "a.js", "window.a = 2;\n");
    let diff = next_json(&mut ws).await;
    assert_eq!(
        diff["changed"]["ext.a"]["parts"],
        json!(["script"]),
        "{diff}"
    );
    let va3 = diff["changed"]["ext.a"]["to"].as_str().unwrap().to_string();

    // Break the stylesheet: the module enters error with file:line:column.
    common::write(&root, "a.less", "@c: blue;\n.a { color: @c;\n");
    let diff = next_json(&mut ws).await;
    let state = &diff["states"]["ext.a"];
    assert_eq!(state["state"], "error", "{diff}");
    assert!(
        state["error"].as_str().unwrap().contains("a.less:"),
        "{diff}"
    );
    assert!(diff["changed"]["ext.a"]["output"].is_null(), "{diff}");

    // Fixed again (same bytes as before): back to the earlier version, ready.
    common::write(&root, "a.less", "@c: blue;\n.a { color: @c; }\n");
    let diff = next_json(&mut ws).await;
    assert_eq!(diff["changed"]["ext.a"]["to"], va3.as_str(), "{diff}");
    assert_eq!(diff["states"]["ext.a"]["state"], "ready", "{diff}");

    // A reconnecting page says what it has: only real differences come back.
    ws.send(Message::Text(
        json!({"event": "sync", "versions": {"ext.a": va, "ext.b": hello["registry"]["ext.b"]}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["event"], "diff");
    assert_eq!(reply["changed"]["ext.a"]["from"], va.as_str(), "{reply}");
    assert_eq!(reply["changed"]["ext.a"]["to"], va3.as_str(), "{reply}");
    assert_eq!(
        reply["changed"]["ext.a"]["parts"],
        json!(["script", "styles"]),
        "{reply}"
    );
    assert!(reply["changed"].get("ext.b").is_none(), "{reply}");
    ws.send(Message::Text(
        json!({"event": "sync", "versions": {"ext.a": va3}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["changed"], json!({}), "nothing differs: {reply}");

    // A second tab gets a hello with the current registry; closing it costs nothing.
    let (mut ws2, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let hello2 = next_json(&mut ws2).await;
    assert_eq!(hello2["registry"]["ext.a"], va3.as_str());
    let port = server.port;
    let current = tokio::task::spawn_blocking(move || registry(port))
        .await
        .unwrap();
    assert_eq!(hello2["seq"], current["seq"]);
    drop(ws2);
    common::write(&root, "b.js", "window.b = 2;\n");
    let diff = next_json(&mut ws).await;
    assert_eq!(
        diff["changed"]["ext.b"]["parts"],
        json!(["script"]),
        "{diff}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_cannot_open_the_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    styled_tree(&root);
    let cache = cache_dir();
    let server = {
        let cache = cache.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            Server::start(&root, &["extension.json"], 0, &cache, WAIT)
        })
        .await
        .unwrap()
    };
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://127.0.0.1:{}/ws", server.port)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    let mut ok = format!("ws://127.0.0.1:{}/ws", server.port)
        .into_client_request()
        .unwrap();
    ok.headers_mut().insert(
        "origin",
        format!("http://localhost:{}", server.port).parse().unwrap(),
    );
    assert!(tokio_tungstenite::connect_async(ok).await.is_ok());
}

/// `/load` for another language, skin or direction than rldev.toml's is built
/// on demand, and stays exact: an edit is in the next answer.
#[test]
fn load_answers_other_contexts_built_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| {
        if let Some(parent) = root.join(p).parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(root.join(p), t).unwrap();
    };
    write(
        "skin.json",
        r#"{"name": "S", "ValidSkinNames": {"s": "S"},
            "MessagesDirs": {"S": ["i18n"]},
            "ResourceModules": {"m": {"styles": ["a.less"], "messages": ["hi"],
              "skinStyles": {"other": ["other.css"]}}}}"#,
    );
    write("a.less", ".a { float: left; }\n");
    write("other.css", ".o { color: red; }\n");
    write("i18n/en.json", r#"{"hi": "Hello"}"#);
    write("i18n/de.json", r#"{"hi": "Hallo"}"#);
    let cache = tempfile::tempdir().unwrap();
    let server = Server::start(root, &["skin.json"], 0, cache.path(), WAIT);
    let css = |q: &str| server.get(&format!("/load?modules=m&only=styles{q}"));
    assert!(css("").contains("float:left"), "{}", css(""));
    assert!(
        css("&lang=he").contains("float:right"),
        "{}",
        css("&lang=he")
    );
    assert!(css("&lang=he&dir=ltr").contains("float:left"));
    assert!(css("&dir=rtl").contains("float:right"));
    assert!(
        css("&skin=other").contains(".o{color:red}"),
        "{}",
        css("&skin=other")
    );
    assert!(!css("").contains(".o{"));
    let js = server.get("/load?modules=m&lang=de");
    assert!(js.contains("\"hi\":\"Hallo\""), "{js}");

    write("a.less", ".a { float: left; margin-left: 3px; }\n");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let now = css("&lang=he");
        if now.contains("margin-right:3px") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never showed: {now}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A busy port from rldev.toml moves to the next free one, saying so; the
/// same port given with `--port` is an error (exit 2).
#[test]
fn a_busy_port_moves_on_unless_given_with_port() {
    use std::io::BufRead;
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "extension.json", r#"{"ResourceModules": {}}"#);
    common::write(
        root,
        "rldev.toml",
        &format!("manifests = [\".\"]\n[server]\nport = {port}\n"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["serve", "--json"])
        .current_dir(root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let url = ready["url"].as_str().unwrap();
    assert!(!url.contains(&format!(":{port}/")), "{url}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("port {port} is in use")),
        "{stderr}"
    );

    let strict = std::process::Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["serve", "--json", "--port", &port.to_string()])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(2));
    drop(busy);
}

/// `--host 0.0.0.0`: the `ready` event lists the Network URLs (the
/// machine's addresses and `--allow-host`'s names), and a request naming one
/// of those names is served while a foreign name is still refused.
#[test]
fn bound_to_every_address_serves_own_addresses_and_allowed_names() {
    let dir = one_module();
    let root = dir.path();
    let cache = cache_dir();
    let mut server = Server::start(
        root,
        &[
            "extension.json",
            "--host",
            "0.0.0.0",
            "--allow-host",
            "devbox.lan",
        ],
        0,
        cache.path(),
        WAIT,
    );
    assert!(
        server.url.starts_with("http://localhost:"),
        "{}",
        server.url
    );
    let port = server.port;
    let network: Vec<&str> = server.ready["network"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        network.contains(&format!("http://devbox.lan:{port}/").as_str()),
        "{}",
        server.ready
    );
    let _ = server.drain();
    assert_eq!(get_as(port, "devbox.lan", "/registry.json").0, 200);
    assert_eq!(get_as(port, "localhost", "/registry.json").0, 200);
    assert_eq!(get_as(port, "evil.example", "/registry.json").0, 403);
}

/// A client that never finishes its request head is dropped (within the
/// server's head timeout, 10 s), while other requests are served meanwhile.
#[test]
fn a_half_sent_request_is_dropped() {
    let dir = one_module();
    let root = dir.path();
    let cache = cache_dir();
    let server = Server::start(root, &["extension.json"], 0, cache.path(), WAIT);
    let port = server.port;
    let started = std::time::Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(slow, "GET /registry.json HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    assert_eq!(get(port, "/registry.json").0, 200);
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    let closed = slow.read_to_end(&mut rest);
    assert!(
        closed.is_ok(),
        "the server closes the connection: {closed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "closed after {:?}",
        started.elapsed()
    );
}
