//! The one loop that owns the state: file events and build results in,
//! diffs out to the report. Builds run on worker threads beside it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::commands::{Fatal, compile_cache_dir, less_compilers};
use crate::compile::Built;
use crate::compile::pool::Workers;
use crate::disk::{DiskSource, Located};
use crate::engine::{BuildFacts, Engine, Outcome};
use crate::files::FileStore;
use crate::paths;
use crate::project::Project;
use crate::registry::Diff;
use crate::report::Printer;
use crate::server::Live;
use crate::server::contexts::Contexts;
use crate::watch::{Notice, Watcher};

/// Everything the loop reacts to.
pub enum Event {
    Watch(Notice),
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
/// After a build failed in the compiler (beyond its own retries), when to try again.
const RETRY_BROKEN: Duration = Duration::from_secs(5);

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
    /// The root with symlinks resolved: the store's real paths are relative to it.
    real_root: PathBuf,
    /// Folders newly watched, to be looked at again in the next batch.
    recheck: Vec<PathBuf>,
    /// When to build again the modules whose compiler failed.
    retry_at: Option<Instant>,
    /// How many outside folders the store had when they were last watched.
    outside_watched: usize,
    /// `serve`: what the server reads, and its URL.
    serving: Option<Serving>,
}

/// What `serve` adds to the loop: snapshots and hub messages for the server.
pub struct Serving {
    pub live: Live,
    pub url: String,
    /// Bound to every address: the URLs of this machine's other addresses.
    pub network: Option<Vec<String>>,
}

/// `rldev watch`: prints the registry once ready, then a diff per settled batch; runs until killed.
pub fn watch(located: Located, json: bool) -> Result<i32, Fatal> {
    let source = DiskSource::new(&located.root);
    let project = Project::load_with_core(&located.inputs, located.core.as_deref(), &source)
        .map_err(|e| Fatal(e.to_string()))?;
    crate::commands::check_less_setup(&project)?;
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
    let source = DiskSource::new(&located.root);
    let (tx, rx) = channel();
    let to_loop = std::sync::Mutex::new(tx.clone());
    let mut watcher = Watcher::start(move |n| {
        let _ = to_loop.lock().expect("sender lock").send(Event::Watch(n));
    })
    .map_err(Fatal)?;
    watcher.watch_root(&located.root);
    let store = Arc::new(FileStore::tracking(Box::new(source)));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let compilers = less_compilers(&located.root, cores, compile_cache_dir().as_deref());
    let workers = Workers::start(compilers, store.clone(), built_sender(tx));
    let (engine, builds) = Engine::new(project.modules.clone());
    if let Some(s) = &mut serving {
        s.live.files(store.clone());
        s.live.project(&project);
        // Other request contexts (`/load?lang=…`) get a compiler of their
        // own, started on first use.
        let compiler = less_compilers(&located.root, 1, compile_cache_dir().as_deref())
            .pop()
            .expect("at least one compiler");
        s.live.contexts(Arc::new(Contexts::new(
            located.clone(),
            store.clone(),
            project.config.skin.clone(),
            project.language.clone(),
            compiler,
        )));
    }
    let located_root = located.root.clone();
    let mut d = Daemon {
        located,
        project,
        engine,
        store,
        workers,
        watcher,
        printer: Printer::new(json).relative_to_cwd(&located_root),
        seq: 0,
        ready: false,
        root_lost: false,
        real_root: std::fs::canonicalize(&located_root).unwrap_or(located_root),
        recheck: Vec::new(),
        retry_at: None,
        outside_watched: 0,
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
            // A project without modules is ready before any build comes back.
            self.check_ready(started);
            if !self.recheck.is_empty() {
                if batch.is_empty() && !rescan {
                    batch_start = Instant::now();
                }
                last_path = Instant::now();
                batch.extend(self.recheck.drain(..));
            }
            // A batch settles after QUIET without file events (build results
            // do not count), or after MAX_BATCH in all.
            let deadline = (!batch.is_empty() || rescan)
                .then(|| (last_path + QUIET).min(batch_start + MAX_BATCH));
            if deadline.is_some_and(|d| Instant::now() >= d) {
                let paths = std::mem::take(&mut batch);
                self.apply_batch(paths, std::mem::take(&mut rescan), batch_start);
                continue;
            }
            if self.retry_at.is_some_and(|t| Instant::now() >= t) {
                self.retry_at = None;
                let out = self.engine.retry_broken();
                self.request(out);
            }
            let event = match rx.try_recv() {
                Ok(e) => e,
                Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => {
                    // Caught up: now the server may see the new state, and
                    // folders that builds found outside the root are watched.
                    self.publish_snapshot();
                    self.watch_real_folders();
                    if !self.recheck.is_empty() {
                        continue;
                    }
                    let wake = match deadline {
                        Some(d) => Some(d),
                        None if self.root_lost => Some(Instant::now() + ROOT_POLL),
                        None => None,
                    };
                    let wake = match (wake, self.retry_at) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    let wait = wake.map(|w| w.saturating_duration_since(Instant::now()));
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
                Event::Watch(Notice::Paths(paths)) => {
                    if batch.is_empty() && !rescan {
                        batch_start = Instant::now();
                    }
                    last_path = Instant::now();
                    batch.extend(paths);
                }
                Event::Watch(Notice::Rescan) => {
                    if batch.is_empty() && !rescan {
                        batch_start = Instant::now();
                    }
                    last_path = Instant::now();
                    rescan = true;
                }
                Event::Watch(Notice::Error(e)) => eprintln!("rldev: watching: {e}"),
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
                    if out.accepted
                        && let Some(why) = &built.transient
                        && self.retry_at.is_none()
                    {
                        eprintln!(
                            "rldev: the Less compiler keeps failing ({why}); \
                             building the modules it failed again in {} s",
                            RETRY_BROKEN.as_secs()
                        );
                        self.retry_at = Some(Instant::now() + RETRY_BROKEN);
                    }
                    let warnings: Vec<String> = out
                        .warnings
                        .iter()
                        .map(|(m, w)| format!("{m}: {w}"))
                        .collect();
                    if self.ready {
                        self.printer.warnings(&warnings);
                    }
                    self.publish(out, None);
                }
            }
            self.check_ready(started);
            self.printer.flush(self.engine.settled());
        }
    }

    /// Says `ready` once every module is built (at once when there is none).
    fn check_ready(&mut self, started: Instant) {
        if !self.ready && self.engine.settled() {
            self.ready = true;
            let url = self.serving.as_ref().map(|s| s.url.as_str());
            let network = self.serving.as_ref().and_then(|s| s.network.as_deref());
            self.printer
                .ready(self.engine.registry(), started.elapsed(), url, network);
            self.printer.warnings(&self.project.warnings);
            let built: Vec<String> = self
                .engine
                .registry()
                .modules
                .iter()
                .flat_map(|(m, e)| e.warnings.iter().map(move |w| format!("{m}: {w}")))
                .collect();
            self.printer.warnings(&built);
        }
    }

    /// While the root folder is gone: when it is back (deleted and recreated),
    /// watch it again and look at everything.
    fn look_for_lost_root(&mut self, rescan: &mut bool, batch_start: &mut Instant) {
        if self.root_lost && self.located.root.is_dir() {
            self.rewatch_root();
            *rescan = true;
            *batch_start = Instant::now();
        }
    }

    /// Drops the root's watch and watches what stands there now; when nothing
    /// does, the root is lost until `look_for_lost_root` sees it back.
    fn rewatch_root(&mut self) {
        let root = &self.located.root;
        self.watcher.forget(root);
        self.root_lost = !self.watcher.watch_root(root);
    }

    /// `serve`: hands the server the current state (a no-op when nothing changed).
    fn publish_snapshot(&mut self) {
        if let Some(s) = &mut self.serving {
            s.live.publish(self.engine.registry(), self.seq, self.ready);
        }
    }

    /// Re-reads every stored path at or below a path of a settled batch
    /// (all of them after lost events), hands the new hashes to the engine,
    /// and reloads the project when a definition file changed.
    fn apply_batch(&mut self, paths: BTreeSet<PathBuf>, rescan: bool, started: Instant) {
        if self.watcher.forget_gone(&paths) {
            self.outside_watched = 0; // to be watched again when back
        }
        // An event of the root folder itself: it was moved or deleted, and
        // what stands there now (if anything) is another folder, which its
        // watch does not see. Watch that one, and look at everything.
        let root_event = paths.contains(&self.located.root);
        if root_event {
            self.rewatch_root();
        }
        let rescan = rescan || root_event;
        let root = &self.located.root;
        let events: Vec<String> = paths.iter().map(|p| paths::relative_to(root, p)).collect();
        let changes = if rescan {
            self.store.refresh_all()
        } else {
            self.store.refresh_under(&events)
        };
        let mut out = self.engine.files(&changes);
        let definition_changed = self
            .project
            .definition_files
            .iter()
            .find(|f| rescan || events.iter().any(|e| paths::is_at_or_below(f, e)))
            .cloned();
        if let Some(file) = definition_changed {
            let source = DiskSource::new(root);
            match Project::load_with_core(
                &self.located.inputs,
                self.located.core.as_deref(),
                &source,
            ) {
                Ok(project) => {
                    let more = self.engine.project(project.modules.clone(), &file);
                    out.diff.then(more.diff);
                    out.builds.extend(more.builds);
                    if let Some(s) = &mut self.serving {
                        s.live.project(&project);
                    }
                    // Each warning once: those the previous definitions had were said.
                    if self.ready {
                        let new: Vec<String> = project
                            .warnings
                            .iter()
                            .filter(|w| !self.project.warnings.contains(w))
                            .cloned()
                            .collect();
                        self.printer.warnings(&new);
                    }
                    self.project = project;
                }
                Err(e) => eprintln!("rldev: {e} (keeping the previous definitions)"),
            }
        }
        // Hidden files and folders (.git, editor swap files) are not counted.
        let seen = events
            .iter()
            .filter(|p| !p.split('/').any(|seg| seg.starts_with('.') && seg != ".."))
            .count();
        tracing::debug!(files = seen, reread = changes.len(), since_first_event = ?started.elapsed(), "batch applied");
        self.publish(out, Some((seen, started)));
        if !self.located.root.is_dir() {
            self.root_lost = true;
        }
    }

    /// Files whose real location is outside the root (import paths elsewhere,
    /// symlinks leading out) are watched through their real folders. A folder
    /// newly watched is looked at again: it may have changed before its watch.
    fn watch_real_folders(&mut self) {
        if self.store.folders_outside_count() == self.outside_watched {
            return;
        }
        let folders = self.store.folders_outside();
        self.outside_watched = folders.len();
        for dir in folders {
            let abs = paths::absolute(&self.real_root, &dir);
            if let Some(watched) = self.watcher.watch(&abs, false) {
                self.recheck.push(watched);
            }
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
        if let Some((seen, started)) = batch
            && !diff.is_empty()
        {
            // The files that moved a version (an editor's temporary file or
            // backup never does); a definition change names none.
            let causes: std::collections::HashSet<&str> = diff
                .changed
                .values()
                .flat_map(|c| c.causes.iter().map(|cause| cause.path()))
                .collect();
            let files = if causes.is_empty() {
                seen
            } else {
                causes.len()
            };
            self.printer.summary(
                files,
                diff.changed.len() + diff.added.len() + diff.removed.len(),
                started.elapsed(),
            );
        }
    }
}
