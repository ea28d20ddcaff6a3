//! The load test of `rldev serve` (run by `scripts/load`, not by `cargo
//! test`: it is `#[ignore]`d and takes a minute). On a synthetic tree of N
//! modules sharing one variables file, C WebSocket clients follow every
//! diff while S more clients connect and never read; E edits of the shared
//! file come at R per second. It prints how long after the last edit every
//! reading client held the server's final registry, the server's RSS, and
//! how many clients' final registries differ from `/registry.json` (0).
//!
//! RLDEV_LOAD_N (1000), RLDEV_LOAD_CLIENTS (100), RLDEV_LOAD_STALLED (20),
//! RLDEV_LOAD_EDITS (300), RLDEV_LOAD_RATE (20 per second).

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::serve::Server;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn registry(port: u16) -> (u64, HashMap<String, String>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /registry.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let body = raw.split_once("\r\n\r\n").unwrap().1;
    // The body may be chunked: the JSON object is between the first `{` and the last `}`.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    let v: Value = serde_json::from_str(json).unwrap();
    let versions = v["modules"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, e)| (k.clone(), e["version"].as_str().unwrap().to_string()))
        .collect();
    (v["seq"].as_u64().unwrap_or(0), versions)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// What one reading client holds, and when it last changed.
#[derive(Default)]
struct Held {
    versions: HashMap<String, String>,
    changed_at: Option<Instant>,
}

fn apply(held: &mut Held, msg: &Value) {
    match msg["event"].as_str() {
        Some("hello") | Some("snapshot") => {
            held.versions = msg["registry"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .unwrap_or_default();
        }
        Some("diff") => {
            for (name, c) in msg["changed"].as_object().into_iter().flatten() {
                held.versions
                    .insert(name.clone(), c["to"].as_str().unwrap_or("").to_string());
            }
            for (name, v) in msg["added"].as_object().into_iter().flatten() {
                held.versions
                    .insert(name.clone(), v.as_str().unwrap_or("").to_string());
            }
            for name in msg["removed"].as_array().into_iter().flatten() {
                held.versions.remove(name.as_str().unwrap_or(""));
            }
        }
        _ => return,
    }
    held.changed_at = Some(Instant::now());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load test: scripts/load runs it"]
async fn load() {
    let n = setting("RLDEV_LOAD_N", 1000);
    let clients = setting("RLDEV_LOAD_CLIENTS", 100);
    let stalled = setting("RLDEV_LOAD_STALLED", 20);
    let edits = setting("RLDEV_LOAD_EDITS", 300);
    let rate = setting("RLDEV_LOAD_RATE", 20).max(1);
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let gen_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-tree");
    assert!(
        Command::new(gen_tree)
            .arg(n.to_string())
            .arg(&tree)
            .status()
            .unwrap()
            .success()
    );
    let cache = dir.path().join("cache");
    let started = Instant::now();
    let mut server = Server::start(
        &tree,
        &["extension.json"],
        0,
        &cache,
        Duration::from_secs(600),
    );
    println!("ready after {:.2} s", started.elapsed().as_secs_f64());
    let port = server.port;
    let url = format!("ws://127.0.0.1:{port}/ws");

    let held: Vec<Arc<Mutex<Held>>> = (0..clients).map(|_| Arc::default()).collect();
    for h in &held {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        let h = h.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = ws.next().await {
                if let Ok(msg) = serde_json::from_str::<Value>(text.as_str()) {
                    apply(&mut h.lock().unwrap(), &msg);
                }
            }
        });
    }
    // Connected, never read: their socket buffers fill.
    let mut idle = Vec::new();
    for _ in 0..stalled {
        idle.push(tokio_tungstenite::connect_async(&url).await.unwrap().0);
    }

    let vars = tree.join("resources/vars.less");
    let original = std::fs::read_to_string(&vars).unwrap();
    let gap = Duration::from_secs_f64(1.0 / rate as f64);
    let burst = Instant::now();
    for e in 1..=edits {
        let fan = e % 250 + 1;
        std::fs::write(
            &vars,
            original.replace("@fan: 0;", &format!("@fan: {fan};")),
        )
        .unwrap();
        let next = burst + gap * e as u32;
        tokio::time::sleep_until(next.into()).await;
    }
    let last_edit = Instant::now();
    let rss_peak = rss_kib(server.pid());

    // Converged: every reading client holds the registry the server serves,
    // and the server's registry stays the same for 3 s.
    let deadline = last_edit + Duration::from_secs(120);
    let mut stable_since: Option<(Instant, u64)> = None;
    let mut converged_at = None;
    loop {
        let (seq, current) = registry(port);
        let all = held.iter().all(|h| h.lock().unwrap().versions == current);
        match stable_since {
            Some((_, s)) if s == seq => {}
            _ => stable_since = Some((Instant::now(), seq)),
        }
        if all && converged_at.is_none() {
            converged_at = held
                .iter()
                .filter_map(|h| h.lock().unwrap().changed_at)
                .max();
        }
        if !all {
            converged_at = None;
        }
        let steady = stable_since.is_some_and(|(t, _)| t.elapsed() > Duration::from_secs(3));
        if (all && steady) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, last) = registry(port);
    let differ = held
        .iter()
        .filter(|h| h.lock().unwrap().versions != last)
        .count();
    let took = converged_at.map(|t| t.saturating_duration_since(last_edit));
    println!(
        "## rldev serve under load: N={n}, {clients} clients following, {stalled} stalled, \
         {edits} edits of the shared file at {rate}/s"
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    match took {
        Some(t) => println!(
            "| last edit → every client holds the final registry | {:.2} s |",
            t.as_secs_f64()
        ),
        None => {
            println!("| last edit → every client holds the final registry | not within 120 s |")
        }
    }
    println!("| RSS right after the burst | {} MiB |", rss_peak / 1024);
    println!("| RSS at the end | {} MiB |", rss_kib(server.pid()) / 1024);
    println!("| clients whose final registry differs | {differ} |");
    drop(idle);
    let _ = server.drain();
    assert_eq!(differ, 0, "every reading client converges");
}
