//! The less.js process: one compile at a time over NDJSON on stdin/stdout.
//!
//! The protocol is described at the top of `server/server.mjs`. Node never
//! reads files itself: it sends the candidate paths of every file it needs,
//! and we answer with the first one that exists, through the build's recorder.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use super::cache::CompileCache;
use super::setup::LessSetup;
use super::{LessCompiler, LessError, LessJob};
use crate::compile::remap::FileLookup;
use crate::paths;

/// The less.js process's heap limit, in MiB.
const NODE_HEAP_MIB: usize = 2048;

pub struct NodeLess {
    setup: LessSetup,
    root: PathBuf,
    process: Option<Process>,
    next_id: u64,
    /// Why the process last failed to start, and when: compiles fail fast for a
    /// moment instead of spawning a process per stylesheet.
    start_failure: Option<(String, Instant)>,
    cache: Option<Arc<dyn CompileCache>>,
}

/// How long a failed start is remembered before trying again.
const START_RETRY: Duration = Duration::from_secs(2);

struct Process {
    child: Child,
    /// `None` only while dropping.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Content keys this process holds in its blob store, and their total size.
    sent: HashSet<String>,
    sent_bytes: usize,
}

/// When the process's blob store would pass this, it is told to forget it all.
const BLOB_STORE_LIMIT: usize = 64 << 20;

impl Drop for Process {
    /// Closing stdin asks the process to exit; one that does not is killed.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Deserialize)]
struct Message {
    op: String,
    #[serde(default)]
    candidates: Vec<String>,
    css: Option<String>,
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    message: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
}

/// Why a conversation with the process broke (it died, or spoke nonsense).
struct Broken(String);

impl NodeLess {
    pub fn new(setup: LessSetup, root: PathBuf, cache: Option<Arc<dyn CompileCache>>) -> NodeLess {
        NodeLess {
            cache,
            setup,
            root,
            process: None,
            next_id: 0,
            start_failure: None,
        }
    }

    /// The running process's id, if one is running (tests kill it to check restarts).
    pub fn process_id(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.child.id())
    }

    fn start(&self) -> Result<Process, Broken> {
        // The server reads no file by itself, so its working folder is only
        // where it starts: the script's folder, which exists (the project
        // folder may be deleted or moved, and Node.js will not start there).
        let folder = self
            .setup
            .script
            .parent()
            .unwrap_or(std::path::Path::new("/"));
        let mut child = Command::new(&self.setup.node)
            // A bounded heap: a compile that needs more fails (the module
            // shows it) instead of taking the machine's memory.
            .arg(format!("--max-old-space-size={NODE_HEAP_MIB}"))
            .arg(&self.setup.script)
            .current_dir(folder)
            .env("RLDEV_LESS_MODULES", &self.setup.modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Broken(format!("cannot start {}: {e}", self.setup.node.display())))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut p = Process {
            child,
            stdin,
            stdout,
            sent: HashSet::new(),
            sent_bytes: 0,
        };
        match read_message(&mut p)? {
            m if m.op == "ready" => Ok(p),
            m => Err(Broken(format!(
                "less.js process said {:?} before ready",
                m.op
            ))),
        }
    }

    /// Starts the process if it is not running (at most once per START_RETRY
    /// after a failed start).
    fn ensure_started(&mut self) -> Result<(), Broken> {
        if self.process.is_none() {
            if let Some((why, when)) = &self.start_failure
                && when.elapsed() < START_RETRY
            {
                return Err(Broken(why.clone()));
            }
            match self.start() {
                Ok(p) => {
                    self.process = Some(p);
                    self.start_failure = None;
                }
                Err(Broken(why)) => {
                    self.start_failure = Some((why.clone(), Instant::now()));
                    return Err(Broken(why));
                }
            }
        }
        Ok(())
    }

    /// One flip conversation (see `flip()` in `server/flip.mjs`).
    fn converse_flip(&mut self, css: &str) -> Result<Result<String, String>, Broken> {
        self.ensure_started()?;
        self.next_id += 1;
        let p = self.process.as_mut().expect("started above");
        send(p, &json!({"op": "flip", "id": self.next_id, "css": css}))?;
        let m = read_message(p)?;
        match (m.op.as_str(), m.css, m.error) {
            ("done", _, Some(e)) => Ok(Err(e.message)),
            ("done", Some(css), None) => Ok(Ok(css)),
            (other, _, _) => Err(Broken(format!("unexpected message {other:?} from less.js"))),
        }
    }

    fn converse(
        &mut self,
        job: &LessJob,
        files: &mut dyn FileLookup,
    ) -> Result<Result<String, LessError>, Broken> {
        self.ensure_started()?;
        self.next_id += 1;
        let id = self.next_id;
        let abs = |p: &str| {
            paths::absolute(&self.root, p)
                .to_string_lossy()
                .into_owned()
        };
        let request = json!({
            "op": "compile",
            "id": id,
            "file": abs(job.path),
            "source": job.source,
            "paths": job.import_paths.iter().map(|p| abs(p)).collect::<Vec<_>>(),
            "prefixes": job.prefixes.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(format!("{}/", abs(v))))).collect::<serde_json::Map<_, _>>(),
            "vars": job.vars,
        });
        let root = self.root.clone();
        let p = self.process.as_mut().expect("started above");
        if p.sent_bytes > BLOB_STORE_LIMIT {
            send(p, &json!({"op": "forget"}))?;
            p.sent.clear();
            p.sent_bytes = 0;
        }
        send(p, &request)?;
        loop {
            let m = read_message(p)?;
            match m.op.as_str() {
                "read" => {
                    let mut reply = json!({"op": "file", "id": id, "index": null});
                    for (i, candidate) in m.candidates.iter().enumerate() {
                        let rel = paths::relative_to(&root, std::path::Path::new(candidate));
                        if let Some((hash, bytes)) = files.lookup_hashed(&rel) {
                            // The key the bytes are known by in the process's blob store.
                            let key = super::cache::hex(&hash);
                            reply = json!({"op": "file", "id": id, "index": i, "key": key});
                            if !p.sent.contains(&key) {
                                reply["contents_b64"] = STANDARD.encode(&bytes).into();
                                p.sent_bytes += bytes.len();
                                p.sent.insert(key);
                            }
                            break;
                        }
                    }
                    send(p, &reply)?;
                }
                "done" => {
                    return Ok(match (m.css, m.error) {
                        (_, Some(e)) => Err(LessError {
                            file: Some(e.file.map_or_else(
                                || job.path.to_string(),
                                |f| paths::relative_to(&root, std::path::Path::new(&f)),
                            )),
                            line: e.line,
                            column: e.column,
                            message: e.message,
                            internal: false,
                            transient: false,
                        }),
                        (Some(css), None) => Ok(css),
                        (None, None) => Ok(String::new()),
                    });
                }
                other => return Err(Broken(format!("unexpected message {other:?} from less.js"))),
            }
        }
    }
}

fn send(p: &mut Process, value: &serde_json::Value) -> Result<(), Broken> {
    let mut line = serde_json::to_vec(value).expect("json");
    line.push(b'\n');
    let stdin = p.stdin.as_mut().expect("stdin is open until drop");
    stdin
        .write_all(&line)
        .and_then(|_| stdin.flush())
        .map_err(|e| Broken(format!("less.js process is gone ({e})")))
}

fn read_message(p: &mut Process) -> Result<Message, Broken> {
    let mut line = String::new();
    match p.stdout.read_line(&mut line) {
        Ok(0) => Err(Broken("less.js process exited".into())),
        Ok(_) => serde_json::from_str(&line)
            .map_err(|e| Broken(format!("bad message from less.js: {e}"))),
        Err(e) => Err(Broken(format!("cannot read from less.js: {e}"))),
    }
}

impl LessCompiler for NodeLess {
    /// The process exits (its heap is most of rldev's memory); the next compile starts another.
    fn idle(&mut self) {
        self.process = None;
    }

    fn cache(&self) -> Option<&dyn CompileCache> {
        self.cache.as_deref()
    }

    fn flip(&mut self, css: &str, path: &str) -> Result<String, LessError> {
        let mut last = String::new();
        for _ in 0..2 {
            match self.converse_flip(css) {
                Ok(Ok(css)) => return Ok(css),
                Ok(Err(message)) => {
                    return Err(LessError {
                        file: Some(path.to_string()),
                        line: None,
                        column: None,
                        message: format!("CSSJanus failed: {message}"),
                        internal: false,
                        transient: false,
                    });
                }
                Err(Broken(why)) => {
                    self.process = None;
                    last = why;
                    if self.start_failure.is_some() {
                        break;
                    }
                }
            }
        }
        Err(LessError {
            file: Some(path.to_string()),
            line: None,
            column: None,
            message: format!("less.js failed: {last}"),
            internal: true,
            transient: true,
        })
    }

    fn compile(&mut self, job: &LessJob, files: &mut dyn FileLookup) -> Result<String, LessError> {
        // A process that died is restarted, and the compile tried once more.
        let mut last = String::new();
        for _ in 0..2 {
            match self.converse(job, files) {
                Ok(result) => return result,
                Err(Broken(why)) => {
                    self.process = None;
                    last = why;
                    // A process that could not even start will not start on a second try.
                    if self.start_failure.is_some() {
                        break;
                    }
                    tracing::warn!("{last}; restarting less.js");
                }
            }
        }
        Err(LessError {
            file: Some(job.path.to_string()),
            line: None,
            column: None,
            message: format!("less.js failed: {last}"),
            internal: true,
            transient: true,
        })
    }
}
