//! The one loop that owns the state: file events and build results in,
//! diffs out to the report. Builds run on worker threads beside it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::build::Built;
use crate::build::pool::Workers;
use crate::commands::{Fatal, compile_cache_dir, less_compilers};
use crate::disk::{DiskSource, Located};
use crate::engine::{BuildFacts, Engine, Outcome};
use crate::files::{ContentHash, FileStore};
use crate::less::cache::{CompileCache, DiskCache};
use crate::paths;
use crate::project::Project;
use crate::registry::Diff;
use crate::report::Printer;
use crate::server::Live;
use crate::watch::Watcher;

/// Everything the loop reacts to.
pub enum Event {
    /// The OS says these paths (files or folders) may have changed.
    Paths(Vec<PathBuf>),
    /// Events were lost: look at every known path again.
    Rescan,
    WatchError(String),
    Built {
        module: String,
        generation: u64,
        built: Box<Built>,
    },
}

/// A burst settles when no event came for this long...
const QUIET: Duration = Duration::from_millis(5);
/// ...or when it has lasted this long.
const MAX_BATCH: Duration = Duration::from_millis(1000);
/// While the project root is gone, how often to look for its return.
const ROOT_POLL: Duration = Duration::from_millis(250);

struct Daemon {
    located: Located,
    project: Project,
    engine: Engine,
    store: Arc<FileStore>,
    workers: Workers,
    watcher: Watcher,
    printer: Printer,
    seq: u64,
    ready: bool,
    /// The root folder was deleted: its watch is gone until it is back.
    root_lost: bool,
    /// `serve`: what the server reads, and its URL.
    serving: Option<Serving>,
}

/// What `serve` adds to the loop: snapshots and hub messages for the server.
pub struct Serving {
    pub live: Live,
    pub url: String,
}

/// `rldev watch`: prints the registry once ready, then a diff per settled batch; runs until killed.
pub fn watch(located: Located, json: bool) -> Result<i32, Fatal> {
    let source = DiskSource {
        root: located.root.clone(),
    };
    let project = Project::load(&located.inputs, &source).map_err(|e| Fatal(e.to_string()))?;
    run(located, project, json, None)
}

/// The loop of `watch` and `serve` (with `serving`), on a loaded project.
pub fn run(
    located: Located,
    project: Project,
    json: bool,
    mut serving: Option<Serving>,
) -> Result<i32, Fatal> {
    let started = Instant::now();
    let source = DiskSource {
        root: located.root.clone(),
    };
    let (tx, rx) = channel();
    let mut watcher = Watcher::start(tx.clone()).map_err(Fatal)?;
    watcher.watch(&located.root, true);
    let store = Arc::new(FileStore::new(Box::new(source)));
    let cache = compile_cache_dir()
        .map(|d| Arc::new(DiskCache::new(&d, &located.root)) as Arc<dyn CompileCache>);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let compilers = less_compilers(&located.root, cores, cache);
    let workers = Workers::start(compilers, store.clone(), built_sender(tx));
    let (engine, builds) = Engine::new(project.modules.clone());
    if let Some(s) = &mut serving {
        s.live.mounts(mounts(&project));
    }
    let mut d = Daemon {
        located,
        project,
        engine,
        store,
        workers,
        watcher,
        printer: Printer::new(json),
        seq: 0,
        ready: false,
        root_lost: false,
        serving,
    };
    d.request(Outcome {
        builds,
        ..Outcome::default()
    });
    d.run(rx, started);
    Ok(0)
}

fn built_sender(tx: Sender<Event>) -> impl Fn(String, u64, Built) + Send + Sync + 'static {
    let tx = std::sync::Mutex::new(tx);
    move |module, generation, built| {
        let _ = tx.lock().expect("sender lock").send(Event::Built {
            module,
            generation,
            built: Box::new(built),
        });
    }
}

impl Daemon {
    fn run(&mut self, rx: Receiver<Event>, started: Instant) {
        let mut batch: BTreeSet<PathBuf> = BTreeSet::new();
        let mut rescan = false;
        let mut batch_start = Instant::now();
        let mut last_path = Instant::now();
        loop {
            // A batch settles after QUIET without file events (build results
            // do not count), or after MAX_BATCH in all.
            let deadline = (!batch.is_empty() || rescan)
                .then(|| (last_path + QUIET).min(batch_start + MAX_BATCH));
            if deadline.is_some_and(|d| Instant::now() >= d) {
                let paths = std::mem::take(&mut batch);
                self.apply_batch(paths, std::mem::take(&mut rescan), batch_start);
                continue;
            }
            let event = match rx.try_recv() {
                Ok(e) => e,
                Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => {
                    // Caught up: now the server may see the new state.
                    self.publish_snapshot();
                    let wait = match deadline {
                        Some(d) => Some(d.saturating_duration_since(Instant::now())),
                        None if self.root_lost => Some(ROOT_POLL),
                        None => None,
                    };
                    let next = match wait {
                        Some(w) => rx.recv_timeout(w),
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match next {
                        Ok(e) => e,
                        Err(RecvTimeoutError::Timeout) => {
                            if deadline.is_none() {
                                self.look_for_lost_root(&mut rescan, &mut batch_start);
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            match event {
                Event::Paths(paths) => {
                    if batch.is_empty() && !rescan {
                        batch_start = Instant::now();
                    }
                    last_path = Instant::now();
                    batch.extend(paths);
                }
                Event::Rescan => {
                    if batch.is_empty() && !rescan {
                        batch_start = Instant::now();
                    }
                    last_path = Instant::now();
                    rescan = true;
                }
                Event::WatchError(e) => eprintln!("rldev: watching: {e}"),
                Event::Built {
                    module,
                    generation,
                    built,
                } => {
                    let out =
                        self.engine
                            .built(&module, generation, BuildFacts::from(built.as_ref()));
                    if out.accepted
                        && let Some(s) = &mut self.serving
                        && let Some(e) = self.engine.registry().modules.get(&module)
                    {
                        s.live.built(&module, &e.version, &built);
                    }
                    self.publish(out, None);
                }
            }
            if !self.ready && self.engine.settled() {
                self.ready = true;
                let url = self.serving.as_ref().map(|s| s.url.as_str());
                self.printer
                    .ready(self.engine.registry(), started.elapsed(), url);
            }
        }
    }

    /// While the root folder is gone: when it is back (deleted and recreated),
    /// watch it again and look at everything.
    fn look_for_lost_root(&mut self, rescan: &mut bool, batch_start: &mut Instant) {
        if self.root_lost && self.located.root.is_dir() {
            self.watcher.forget(&self.located.root);
            self.watcher.watch(&self.located.root, true);
            self.root_lost = false;
            *rescan = true;
            *batch_start = Instant::now();
        }
    }

    /// `serve`: hands the server the current state (a no-op when nothing changed).
    fn publish_snapshot(&mut self) {
        if let Some(s) = &mut self.serving {
            s.live.publish(self.engine.registry(), self.seq, self.ready);
        }
    }

    /// Re-reads every path of a settled batch (and every known path under a
    /// folder in it), hands the new hashes to the engine, and reloads the
    /// project when a definition file changed.
    fn apply_batch(&mut self, paths: BTreeSet<PathBuf>, rescan: bool, started: Instant) {
        let root = &self.located.root;
        // Hidden files and folders (.git, editor swap files) are never module files.
        let mut rel: BTreeSet<String> = paths
            .iter()
            .map(|p| paths::relative_to(root, p))
            .filter(|p| !p.split('/').any(|seg| seg.starts_with('.') && seg != ".."))
            .collect();
        if rescan {
            let known: Vec<String> = self.engine.dependencies().map(str::to_string).collect();
            rel.extend(known);
            rel.extend(self.project.definition_files.iter().cloned());
        } else {
            // A folder renamed, deleted or created: every known path under it.
            // Only paths that are neither known nor a file can be such a folder.
            let dirs: Vec<String> = rel
                .iter()
                .filter(|p| !self.engine.depends_on(p) && !paths::absolute(root, p).is_file())
                .map(|d| format!("{d}/"))
                .collect();
            if !dirs.is_empty() {
                let under: Vec<String> = self
                    .engine
                    .dependencies()
                    .filter(|k| dirs.iter().any(|d| k.starts_with(d.as_str())))
                    .map(str::to_string)
                    .collect();
                rel.extend(under);
            }
        }
        let mut changes: Vec<(String, Option<ContentHash>)> = Vec::new();
        for p in &rel {
            self.store.refresh(p);
            changes.push((p.clone(), self.store.get(p).hash().copied()));
        }
        let mut out = self.engine.files(&changes);
        let definition_changed = rel
            .iter()
            .find(|p| self.project.definition_files.contains(p))
            .cloned();
        if let Some(file) = definition_changed {
            let source = DiskSource { root: root.clone() };
            match Project::load(&self.located.inputs, &source) {
                Ok(project) => {
                    let more = self.engine.project(project.modules.clone(), &file);
                    out.diff.then(more.diff);
                    out.builds.extend(more.builds);
                    if let Some(s) = &mut self.serving {
                        s.live.mounts(mounts(&project));
                    }
                    self.project = project;
                }
                Err(e) => eprintln!("rldev: {e} (keeping the previous definitions)"),
            }
        }
        tracing::debug!(files = rel.len(), since_first_event = ?started.elapsed(), "batch applied");
        self.publish(out, Some((rel.len(), started)));
        self.watch_outside();
        if !self.located.root.is_dir() {
            self.root_lost = true;
        }
    }

    /// Files outside the root (import paths elsewhere) are watched through their folders.
    fn watch_outside(&mut self) {
        let outside: BTreeSet<String> = self
            .engine
            .dependencies()
            .filter(|p| p.starts_with("../"))
            .map(|p| paths::parent(p).to_string())
            .collect();
        for dir in outside {
            let abs = paths::absolute(&self.located.root, &dir);
            self.watcher.watch(&abs, false);
        }
    }

    fn request(&mut self, out: Outcome) {
        for b in out.builds {
            if let Some(def) = self.engine.definition(&b.module) {
                self.workers.request(def.clone(), b.generation);
            }
        }
    }

    fn publish(&mut self, out: Outcome, batch: Option<(usize, Instant)>) {
        let mut diff: Diff = out.diff.clone();
        self.request(out);
        if !self.ready {
            return;
        }
        if !diff.is_empty() {
            self.seq += 1;
            diff.seq = self.seq;
            // The server sees the new registry before anyone reads the diff line.
            if let Some(s) = &mut self.serving {
                s.live.diff(&diff);
            }
            self.publish_snapshot();
            self.printer.diff(&diff);
        }
        if let Some((files, started)) = batch
            && !diff.is_empty()
        {
            self.printer.summary(
                files,
                diff.changed.len() + diff.added.len() + diff.removed.len(),
                started.elapsed(),
            );
        }
    }
}

/// URL folder -> project-relative folder of every file module (where assets are served from).
fn mounts(project: &Project) -> Vec<(String, String)> {
    project
        .modules
        .iter()
        .filter_map(|m| match &m.kind {
            crate::project::ModuleKind::File(f) => {
                Some((f.remote_base.clone(), f.local_base.clone()))
            }
            crate::project::ModuleKind::Unsupported(_) => None,
        })
        .collect()
}
