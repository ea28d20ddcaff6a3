//! notify -> paths: an event source that only sends messages.
//!
//! Every event is reduced to "look at this path again"; what changed is
//! decided by content hashes in the daemon, so event kinds (atomic saves,
//! renames, delete-then-create) need no special cases here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{Config, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

/// What the watcher tells its owner.
pub enum Notice {
    /// The OS says these paths (files or folders) may have changed.
    Paths(Vec<PathBuf>),
    /// Events were lost: look at every known path again.
    Rescan,
    Error(String),
}

/// Where notices go.
type Sink = Arc<dyn Fn(Notice) + Send + Sync>;

/// The folders being watched, by the OS's notifications or, past the
/// inotify limit, by polling. Symlinks are not followed by the OS watches:
/// each real folder is watched once, under one name, and the owner watches
/// the real folders of the files it reads through symlinks (the content
/// store knows them).
pub struct Watcher {
    native: RecommendedWatcher,
    poll: Option<PollWatcher>,
    sink: Sink,
    watched: HashSet<PathBuf>,
}

impl Watcher {
    pub fn start(sink: impl Fn(Notice) + Send + Sync + 'static) -> Result<Watcher, String> {
        let sink: Sink = Arc::new(sink);
        let config = Config::default().with_follow_symlinks(false);
        let native = RecommendedWatcher::new(forward(sink.clone()), config)
            .map_err(|e| format!("cannot watch files: {e}"))?;
        Ok(Watcher {
            native,
            poll: None,
            sink,
            watched: HashSet::new(),
        })
    }

    /// Watches `dir` (recursively or not), once. A folder that does not exist
    /// yet is watched through its nearest existing ancestor. Returns the
    /// folder newly watched, if any: what changed in it before the watch was
    /// in place is only seen by looking at it again.
    pub fn watch(&mut self, dir: &Path, recursive: bool) -> Option<PathBuf> {
        let mut dir = dir.to_path_buf();
        while !dir.is_dir() {
            if !dir.pop() {
                return None;
            }
        }
        self.watch_folder(dir, recursive)
    }

    /// Watches the root folder and everything below it; false when it is not
    /// there (no ancestor is watched in its place).
    pub fn watch_root(&mut self, root: &Path) -> bool {
        root.is_dir() && self.watch_folder(root.to_path_buf(), true).is_some()
    }

    fn watch_folder(&mut self, dir: PathBuf, recursive: bool) -> Option<PathBuf> {
        if !self.watched.insert(dir.clone()) {
            return None;
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
                // Gone meanwhile, most likely: the caller looks for it again.
                tracing::warn!("cannot watch {}: {e}", dir.display());
                self.watched.remove(&dir);
                return None;
            }
        }
        Some(dir)
    }

    /// Drops the watches of folders that these paths name and that are gone
    /// (deleted or moved away): the OS dropped them, and `watch` must be able
    /// to set them up again when the folder is back.
    /// True when it dropped one.
    pub fn forget_gone(&mut self, paths: &std::collections::BTreeSet<PathBuf>) -> bool {
        let mut any = false;
        for p in paths {
            if self.watched.contains(p) && !p.is_dir() {
                self.forget(p);
                any = true;
            }
        }
        any
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
            let config = Config::default()
                .with_poll_interval(Duration::from_millis(500))
                .with_follow_symlinks(false);
            match PollWatcher::new(forward(self.sink.clone()), config) {
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

fn forward(sink: Sink) -> impl Fn(notify::Result<notify::Event>) + Send + 'static {
    move |res| {
        let notice = match res {
            Ok(e) if e.need_rescan() => Notice::Rescan,
            // Opening or reading a file changes nothing; and the daemon's own
            // reads would otherwise come back as events, forever.
            Ok(e) if matches!(e.kind, notify::EventKind::Access(_)) => return,
            Ok(e) => Notice::Paths(e.paths),
            Err(e) if is_watch_limit(&e) => Notice::Error(
                "the inotify watch limit is reached: sudo sysctl fs.inotify.max_user_watches=524288".into(),
            ),
            Err(e) => Notice::Error(e.to_string()),
        };
        sink(notice);
    }
}
