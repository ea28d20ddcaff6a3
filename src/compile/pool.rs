//! Builds many modules on as many threads as there are Less compilers.

use std::ops::ControlFlow;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use indexmap::IndexMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Built, build};
use crate::files::FileStore;
use crate::less::LessCompiler;
use crate::project::ModuleDef;

/// Builds every module, each thread with its own compiler, and hands each
/// result (with its index in `defs`) to `each` on the calling thread as it
/// comes. When `each` breaks, no further build starts.
pub fn build_all(
    defs: &[&ModuleDef],
    store: &FileStore,
    compilers: &mut [Box<dyn LessCompiler>],
    mut each: impl FnMut(usize, Built) -> ControlFlow<()>,
) {
    let next = AtomicUsize::new(0);
    let (done, results) = std::sync::mpsc::channel::<(usize, Built)>();
    std::thread::scope(|scope| {
        for compiler in compilers.iter_mut() {
            let (next, done) = (&next, done.clone());
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(def) = defs.get(i) else { break };
                    let built = build_retrying(def, store, compiler.as_mut(), || false)
                        .expect("never superseded");
                    if done.send((i, built)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        // This thread takes each result as it comes, while the builds go on.
        for (i, built) in results {
            if each(i, built).is_break() {
                // Dropping the receiver stops every builder at its next send.
                break;
            }
        }
    });
}

/// Pauses before each new attempt of a build whose compiler failed (its
/// process died): three more tries over about 1.3 s, then the failure is
/// reported as such (see `Built::transient`).
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(250),
    Duration::from_millis(1000),
];

/// Builds `def`, and again after a pause while the compiler fails. `None`
/// when `superseded` says, before a new attempt, that a newer request for the
/// module makes this one moot.
fn build_retrying(
    def: &ModuleDef,
    store: &FileStore,
    compiler: &mut dyn LessCompiler,
    superseded: impl Fn() -> bool,
) -> Option<Built> {
    let mut built = build(def, store, compiler);
    for pause in RETRY_PAUSES {
        let Some(why) = &built.transient else { break };
        if superseded() {
            return None;
        }
        tracing::warn!(module = def.name, "{why}; building it again in {pause:?}");
        std::thread::sleep(pause);
        built = build(def, store, compiler);
    }
    Some(built)
}

/// A queue of build requests for the daemon: one pending entry per module,
/// a newer request replacing an older one, served by one thread per compiler.
pub struct Workers {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Queue {
    pending: IndexMap<String, (u64, ModuleDef)>,
    closed: bool,
}

impl Workers {
    /// Starts the threads; each finished build is handed to `done`.
    pub fn start(
        compilers: Vec<Box<dyn LessCompiler>>,
        store: Arc<FileStore>,
        done: impl Fn(String, u64, Built) + Send + Sync + 'static,
    ) -> Workers {
        let queue: Arc<(Mutex<Queue>, Condvar)> = Arc::default();
        let done = Arc::new(done);
        let threads = compilers
            .into_iter()
            .map(|mut compiler| {
                let (queue, store, done) = (queue.clone(), store.clone(), done.clone());
                std::thread::spawn(move || {
                    let mut busy = false;
                    loop {
                        match next(&queue, busy) {
                            Next::Job(module, generation, def) => {
                                let started = std::time::Instant::now();
                                let superseded = || {
                                    let q = queue.0.lock().expect("queue lock");
                                    q.pending.contains_key(&module)
                                };
                                let built =
                                    build_retrying(&def, &store, compiler.as_mut(), superseded);
                                tracing::debug!(module, ms = ?started.elapsed(), "built");
                                if let Some(built) = built {
                                    done(module, generation, built);
                                }
                                busy = true;
                            }
                            Next::Idle => {
                                compiler.idle();
                                busy = false;
                            }
                            Next::Closed => return,
                        }
                    }
                })
            })
            .collect();
        Workers { queue, threads }
    }

    pub fn request(&self, def: ModuleDef, generation: u64) {
        let (lock, ready) = &*self.queue;
        lock.lock()
            .expect("queue lock")
            .pending
            .insert(def.name.clone(), (generation, def));
        ready.notify_one();
    }
}

/// How long a worker waits with nothing to do before its compiler is told it is idle.
const IDLE_AFTER: Duration = Duration::from_secs(10);

enum Next {
    Job(String, u64, ModuleDef),
    /// Nothing came for `IDLE_AFTER` since the last job.
    Idle,
    Closed,
}

fn next(queue: &(Mutex<Queue>, Condvar), busy: bool) -> Next {
    let (lock, ready) = queue;
    let mut q = lock.lock().expect("queue lock");
    loop {
        if q.closed {
            return Next::Closed;
        }
        if let Some((module, (generation, def))) = q.pending.shift_remove_index(0) {
            return Next::Job(module, generation, def);
        }
        if busy {
            let (guard, timeout) = ready.wait_timeout(q, IDLE_AFTER).expect("queue lock");
            q = guard;
            if timeout.timed_out() && q.pending.is_empty() && !q.closed {
                return Next::Idle;
            }
        } else {
            q = ready.wait(q).expect("queue lock");
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let (lock, ready) = &*self.queue;
        lock.lock().expect("queue lock").closed = true;
        ready.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
