//! WebSocket fan-out: every tab gets `hello`, then every diff; a tab that
//! falls behind gets a full snapshot instead of silence; a closed tab's task
//! ends and costs nothing.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::{AppState, safety};

/// `GET /ws`: refuses an upgrade from a foreign page (`Origin`).
pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if !safety::origin_allowed(origin, &state.hosts) {
        return (
            StatusCode::FORBIDDEN,
            "rldev: WebSocket from a foreign origin refused\n",
        )
            .into_response();
    }
    match upgrade {
        Ok(upgrade) => upgrade.on_upgrade(move |socket| client(socket, state)),
        Err(rejection) => rejection.into_response(),
    }
}

/// `hello` or `snapshot`: the whole registry as name -> version.
fn registry_message(event: &str, seq: u64, versions: IndexMap<String, String>) -> String {
    json!({"event": event, "seq": seq, "registry": versions}).to_string()
}

async fn client(mut socket: WebSocket, state: AppState) {
    // Subscribe before reading the snapshot: no diff can fall between the two.
    let mut diffs = state.hub.subscribe();
    let snap = state.ready_snapshot().await;
    let hello = registry_message("hello", snap.registry.seq, snap.versions());
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            next = diffs.recv() => {
                let text: Arc<str> = match next {
                    Ok(text) => text,
                    Err(RecvError::Lagged(_)) => {
                        let snap = state.snapshots.borrow().clone();
                        Arc::from(registry_message("snapshot", snap.registry.seq, snap.versions()))
                    }
                    Err(RecvError::Closed) => return,
                };
                if socket.send(Message::Text(text.as_ref().into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = answer(&state, text.as_str())
                        && socket.send(Message::Text(reply.into())).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A client's message: `sync` (the versions it has loaded) gets a diff to the current ones.
fn answer(state: &AppState, text: &str) -> Option<String> {
    let msg: Value = serde_json::from_str(text).ok()?;
    if msg.get("event")?.as_str()? != "sync" {
        return None;
    }
    let versions: IndexMap<String, String> = msg
        .get("versions")?
        .as_object()?
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    let snap = state.snapshots.borrow().clone();
    Some(snap.sync_diff(&versions).to_string())
}
