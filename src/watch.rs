//! notify -> paths: an event source that only sends messages.
//!
//! Every event is reduced to "look at this path again"; what changed is
//! decided by content hashes in the daemon, so event kinds (atomic saves,
//! renames, delete-then-create) need no special cases here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use notify::{Config, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::daemon::Event;

/// The folders being watched, by the OS's notifications or, past the
/// inotify limit, by polling.
pub struct Watcher {
    native: RecommendedWatcher,
    poll: Option<PollWatcher>,
    tx: Sender<Event>,
    watched: HashSet<PathBuf>,
}

impl Watcher {
    pub fn start(tx: Sender<Event>) -> Result<Watcher, String> {
        let native = notify::recommended_watcher(forward(tx.clone()))
            .map_err(|e| format!("cannot watch files: {e}"))?;
        Ok(Watcher {
            native,
            poll: None,
            tx,
            watched: HashSet::new(),
        })
    }

    /// Watches `dir` (recursively or not), once. A folder that does not exist
    /// yet is watched through its nearest existing ancestor.
    pub fn watch(&mut self, dir: &Path, recursive: bool) {
        let mut dir = dir.to_path_buf();
        while !dir.is_dir() {
            if !dir.pop() {
                return;
            }
        }
        if !self.watched.insert(dir.clone()) {
            return;
        }
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        if let Err(e) = self.native.watch(&dir, mode) {
            if is_watch_limit(&e) {
                eprintln!(
                    "rldev: the inotify watch limit is reached; polling {} instead (every 500 ms). \
                     To raise the limit: sudo sysctl fs.inotify.max_user_watches=524288",
                    dir.display()
                );
                self.poll_fallback(&dir, mode);
            } else {
                tracing::warn!("cannot watch {}: {e}", dir.display());
            }
        }
    }

    /// Drops a watch (its folder was deleted), so that `watch` can set it up again.
    pub fn forget(&mut self, dir: &Path) {
        if self.watched.remove(dir) {
            let _ = self.native.unwatch(dir);
            if let Some(p) = self.poll.as_mut() {
                let _ = p.unwatch(dir);
            }
        }
    }

    fn poll_fallback(&mut self, dir: &Path, mode: RecursiveMode) {
        if self.poll.is_none() {
            let config = Config::default().with_poll_interval(Duration::from_millis(500));
            match PollWatcher::new(forward(self.tx.clone()), config) {
                Ok(p) => self.poll = Some(p),
                Err(e) => {
                    eprintln!("rldev: cannot poll either: {e}");
                    return;
                }
            }
        }
        if let Some(p) = self.poll.as_mut()
            && let Err(e) = p.watch(dir, mode)
        {
            eprintln!("rldev: cannot poll {}: {e}", dir.display());
        }
    }
}

fn is_watch_limit(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => matches!(io.raw_os_error(), Some(28) | Some(24)),
        _ => false,
    }
}

fn forward(tx: Sender<Event>) -> impl Fn(notify::Result<notify::Event>) + Send + 'static {
    move |res| {
        let event = match res {
            Ok(e) if e.need_rescan() => Event::Rescan,
            // Opening or reading a file changes nothing; and the daemon's own
            // reads would otherwise come back as events, forever.
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => return,
            Ok(e) => Event::Paths(e.paths),
            Err(e) if is_watch_limit(&e) => Event::WatchError(
                "the inotify watch limit is reached: sudo sysctl fs.inotify.max_user_watches=524288".into(),
            ),
            Err(e) => Event::WatchError(e.to_string()),
        };
        let _ = tx.send(event);
    }
}
