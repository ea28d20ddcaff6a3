//! A WebSocket client's next JSON message, for the hub and serve tests.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::{Error, Message};

/// The next text message as JSON (other frames skipped); panics after 60 s.
pub async fn next_json<S>(ws: &mut S) -> Value
where
    S: Stream<Item = Result<Message, Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("a WebSocket message in time")
            .expect("the socket is open")
            .expect("no WebSocket error");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).expect("JSON");
        }
    }
}
