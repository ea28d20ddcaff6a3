//! `rldev serve --json` as a child process: its NDJSON events on a channel,
//! its stderr kept for failure messages, killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `rldev serve --json`; killed (and reaped) on drop.
pub struct Server {
    child: Child,
    events: Receiver<serde_json::Value>,
    stderr: Arc<Mutex<String>>,
    /// `http://127.0.0.1:PORT/` from the `ready` event.
    pub url: String,
    pub port: u16,
    /// The whole `ready` event.
    pub ready: serde_json::Value,
}

impl Server {
    /// Starts `rldev serve --json --port PORT ARGS...` in `root` and waits (up to
    /// `timeout`) for its `ready` event. `cache` is `RLDEV_CACHE_DIR`.
    pub fn start(root: &Path, args: &[&str], port: u16, cache: &Path, timeout: Duration) -> Server {
        Server::start_with(root, args, port, cache, timeout, &[])
    }

    /// `start`, with more environment variables for the server.
    pub fn start_with(
        root: &Path,
        args: &[&str],
        port: u16,
        cache: &Path,
        timeout: Duration,
        envs: &[(&str, &std::ffi::OsStr)],
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rldev"))
            .args(["serve", "--json", "--port", &port.to_string()])
            .args(args)
            .current_dir(root)
            .envs(envs.iter().copied())
            .env("RLDEV_CACHE_DIR", cache)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start rldev serve: {e}"));
        let (tx, events) = channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let v = serde_json::from_str(&line)
                    .unwrap_or_else(|e| serde_json::json!({"event": "unparsed", "line": line, "error": e.to_string()}));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let kept = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            kept.lock()
                .unwrap()
                .push_str("\n(stderr closed: the server has exited)\n");
        });
        let mut server = Server {
            child,
            events,
            stderr,
            url: String::new(),
            port: 0,
            ready: serde_json::Value::Null,
        };
        let ready = server.next_event(timeout, |e| e["event"] == "ready");
        let Some(url) = ready["url"].as_str() else {
            panic!(
                "the ready event has no \"url\": {ready}\n{}",
                server.stderr_tail()
            );
        };
        server.url = url.to_string();
        server.ready = ready.clone();
        // `http://HOST:PORT/` (in proxy mode, the wiki's path follows).
        let authority = url.split('/').nth(2).unwrap_or("");
        server.port = authority
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in the ready url {url:?}"));
        server
    }

    /// The next event for which `pick` holds (earlier ones are dropped); panics
    /// with the server's stderr when none comes within `timeout` or it exits.
    pub fn next_event(
        &mut self,
        timeout: Duration,
        pick: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let end = Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) if pick(&v) => return v,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!(
                    "rldev serve: no expected event within {timeout:?}\n{}",
                    self.stderr_tail()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait();
                    panic!(
                        "rldev serve stopped ({status:?}) before the expected event\n{}",
                        self.stderr_tail()
                    )
                }
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET path` over plain HTTP/1.1: the body of a 200 answer (panics otherwise).
    pub fn get(&self, path: &str) -> String {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", self.stderr_tail()));
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            return dechunk(body);
        }
        body.to_string()
    }

    /// Every event printed so far, without waiting.
    pub fn drain(&mut self) -> Vec<serde_json::Value> {
        self.events.try_iter().collect()
    }

    /// The last lines the server wrote to stderr, for failure messages.
    pub fn stderr_tail(&self) -> String {
        let all = self.stderr.lock().unwrap();
        let lines: Vec<&str> = all.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("--- rldev serve stderr (last 30 lines) ---\n{tail}\n---")
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The body of a chunked HTTP answer.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("a chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("a hex chunk size");
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}
