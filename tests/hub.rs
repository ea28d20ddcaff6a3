//! The hub in process, on a real socket (port 0) with a `tokio-tungstenite`
//! client: a client that falls behind gets a full snapshot, never silence;
//! closed clients cost nothing.

use std::sync::Arc;
use std::time::Duration;

mod common;

use common::ws::next_json;
use indexmap::IndexMap;
use rldev::registry::{Entry, Registry, State};
use rldev::server::{AppState, Snapshot, app};
use tokio::sync::{broadcast, watch};

fn snapshot(seq: u64, version: &str) -> Arc<Snapshot> {
    let mut modules = IndexMap::new();
    modules.insert(
        "ext.a".to_string(),
        Entry {
            version: version.into(),
            dependencies: vec![],
            group: None,
            state: State::Ready,
            error: None,
            files: vec![],
            warnings: Vec::new(),
        },
    );
    Arc::new(Snapshot {
        ready: true,
        registry: Arc::new(Registry { seq, modules }),
        ..Snapshot::default()
    })
}

#[tokio::test]
async fn a_client_that_falls_behind_gets_a_snapshot() {
    let (snapshots, rx) = watch::channel(snapshot(1, "AAAAAAAA"));
    let (hub, _) = broadcast::channel(4);
    let state = AppState {
        snapshots: rx,
        hub: hub.clone(),
        hosts: Arc::from(["127.0.0.1".to_string()]),
        proxy: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    let url = format!("ws://127.0.0.1:{port}/ws");

    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["event"], "hello");
    assert_eq!(hello["registry"]["ext.a"], "AAAAAAAA");
    assert_eq!(hub.receiver_count(), 1);

    // One diff arrives as sent.
    hub.send(Arc::from(r#"{"event":"diff","seq":2}"#)).unwrap();
    assert_eq!(next_json(&mut ws).await["seq"], 2);

    // Far more than the channel holds, while the client does not read.
    snapshots.send_replace(snapshot(40, "ZZZZZZZZ"));
    for seq in 3..40 {
        hub.send(Arc::from(
            format!(r#"{{"event":"diff","seq":{seq}}}"#).as_str(),
        ))
        .unwrap();
    }
    let first = next_json(&mut ws).await;
    assert_eq!(first["event"], "snapshot", "{first}");
    assert_eq!(first["seq"], 40);
    assert_eq!(first["registry"]["ext.a"], "ZZZZZZZZ");

    // A closed client's task ends: no receiver is left behind.
    drop(ws);
    for _ in 0..50 {
        if hub.receiver_count() == 0 {
            break;
        }
        let _ = hub.send(Arc::from(r#"{"event":"diff","seq":41}"#));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hub.receiver_count(), 0);
}
