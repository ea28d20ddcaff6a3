//! The content store: project-relative path -> bytes and content hash, or absent.
//!
//! The store is the only way the core sees file contents. Reads go through a
//! [`Source`] (the disk, or a map in tests); every answer is kept, so one
//! build and the version computed from it see the same bytes.
//!
//! Invariant: no answer comes from an entry that was not re-read after
//! anything above it changed. A file event names a path; [`FileStore::refresh_under`]
//! re-reads every entry at or below it, whether or not some module uses the
//! entry today (an entry that dropped out of every build while its folder was
//! gone must not come back stale). Where the store tracks the real location
//! of its entries ([`FileStore::tracking`]), an event at the real location of
//! a path reached through a symlink re-reads that path too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sha1::{Digest, Sha1};

/// Where file contents come from. Paths are project-relative with `/`.
pub trait Source: Send + Sync {
    fn read(&self, path: &str) -> Option<Vec<u8>>;

    /// An absolute path as a project-relative one (with `../` segments when
    /// it lies outside the root); `None` when the source has no such paths.
    fn relative(&self, _abs: &std::path::Path) -> Option<String> {
        None
    }

    /// A project-relative path as an absolute one; `None` when the source
    /// is not a folder on disk.
    fn absolute(&self, _path: &str) -> Option<std::path::PathBuf> {
        None
    }

    /// Where `path` really is, as a path relative to the real root folder
    /// (symlinks resolved; for a path that does not exist, its nearest
    /// existing ancestor resolved and the rest appended). `None` when the
    /// source has no symlinks.
    fn real_path(&self, _path: &str) -> Option<String> {
        None
    }

    /// `read`, and when there are no bytes, why: `Err(None)` when `path`
    /// does not exist, `Err(Some(reason))` when it is there but unreadable
    /// ("permission denied", "not a regular file (a FIFO)", "a symlink
    /// loop"). A source that can tell overrides it, with one look at the
    /// path for both answers.
    fn read_explained(&self, path: &str) -> Result<Vec<u8>, Option<String>> {
        self.read(path).ok_or(None)
    }
}

/// SHA-1 of a file's content.
pub type ContentHash = [u8; 20];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Present {
        hash: ContentHash,
        bytes: Arc<[u8]>,
    },
    Absent,
    /// There, but not readable (`Source::read_explained` says why). Its hash is
    /// that of the reason, so a version moves, and the module is built
    /// again, when the reason changes (fixed permissions, a FIFO replaced):
    /// the error a build gives is always the current one.
    Unreadable {
        hash: ContentHash,
        reason: Arc<str>,
    },
}

impl Entry {
    pub fn from_bytes(bytes: Option<Vec<u8>>) -> Entry {
        match bytes {
            Some(b) => Entry::Present {
                hash: Sha1::digest(&b).into(),
                bytes: b.into(),
            },
            None => Entry::Absent,
        }
    }

    /// An unreadable path, with why.
    pub fn unreadable(reason: String) -> Entry {
        let mut h = Sha1::new();
        h.update(b"\0rldev: unreadable\0");
        h.update(reason.as_bytes());
        Entry::Unreadable {
            hash: h.finalize().into(),
            reason: reason.into(),
        }
    }

    pub fn bytes(&self) -> Option<&Arc<[u8]>> {
        match self {
            Entry::Present { bytes, .. } => Some(bytes),
            Entry::Absent | Entry::Unreadable { .. } => None,
        }
    }

    pub fn hash(&self) -> Option<&ContentHash> {
        match self {
            Entry::Present { hash, .. } | Entry::Unreadable { hash, .. } => Some(hash),
            Entry::Absent => None,
        }
    }
}

/// A path's new content hash after a re-read (`None`: absent).
pub type Change = (String, Option<ContentHash>);

#[derive(Default)]
struct Entries {
    by_path: BTreeMap<String, Slot>,
    /// Real path -> the paths stored under another name that lead there (symlinks).
    aliases: BTreeMap<String, BTreeSet<String>>,
    /// The real folders outside the root (`../…`) that some entry is in, ever.
    outside: BTreeSet<String>,
}

struct Slot {
    entry: Entry,
    /// The real path, when tracked and different from the key.
    real: Option<String>,
}

/// Path -> entry, filled on demand from a source. Shared by the build threads.
pub struct FileStore {
    source: Box<dyn Source>,
    track_real_paths: bool,
    entries: RwLock<Entries>,
    /// Moves when a refresh begins, before it looks at which paths are
    /// stored: a first read made outside the lock is kept only if no refresh
    /// began while it was being made.
    refreshes: AtomicU64,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").finish_non_exhaustive()
    }
}

impl FileStore {
    /// A store for one computation: nothing changes under it.
    pub fn new(source: Box<dyn Source>) -> FileStore {
        FileStore {
            source,
            track_real_paths: false,
            entries: RwLock::default(),
            refreshes: AtomicU64::new(0),
        }
    }

    /// A store that is told of file events: it also notes where each path
    /// really is, so that an event at a symlink's target reaches the paths
    /// read through the symlink.
    pub fn tracking(source: Box<dyn Source>) -> FileStore {
        FileStore {
            track_real_paths: true,
            ..FileStore::new(source)
        }
    }

    /// `path` on disk, when the source is a folder on disk.
    pub fn absolute(&self, path: &str) -> Option<std::path::PathBuf> {
        self.source.absolute(path)
    }

    /// An absolute path as a key of this store, when the source has such paths.
    pub fn relative(&self, abs: &std::path::Path) -> Option<String> {
        self.source.relative(abs)
    }

    /// The entry for `path` if it was read already; never reads.
    pub fn peek(&self, path: &str) -> Option<Entry> {
        let entries = self.entries.read().expect("store lock");
        entries.by_path.get(path).map(|slot| slot.entry.clone())
    }

    /// The entry for `path`, read from the source the first time it is asked for.
    pub fn get(&self, path: &str) -> Entry {
        if let Some(slot) = self.entries.read().expect("store lock").by_path.get(path) {
            return slot.entry.clone();
        }
        // The first read happens outside the lock, so builds on other threads
        // are not held up by the disk. It is kept only if no refresh began
        // since before it started: a refresh after an event either sees
        // this entry in place, or began before it is put in place, and then
        // the path is read again under the lock. Either way a read from
        // before an event is never left behind unnoticed.
        let before = self.refreshes.load(Ordering::SeqCst);
        let slot = self.read_slot(path);
        let mut entries = self.entries.write().expect("store lock");
        if let Some(slot) = entries.by_path.get(path) {
            return slot.entry.clone();
        }
        let slot = if self.refreshes.load(Ordering::SeqCst) == before {
            slot
        } else {
            self.read_slot(path)
        };
        let entry = slot.entry.clone();
        entries.insert(path.to_string(), slot);
        entry
    }

    /// Re-reads every stored path at or below each of `events` (project-relative
    /// paths of files or folders, as events name them), and every stored path
    /// whose real location is at or below one of them. Returns each re-read
    /// path with its hash now.
    pub fn refresh_under(&self, events: &[String]) -> Vec<Change> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let keys: BTreeSet<String> = {
            let entries = self.entries.read().expect("store lock");
            let mut keys = BTreeSet::new();
            for event in events {
                let real = self.source.real_path(event);
                for prefix in std::iter::once(event).chain(real.as_ref()) {
                    keys.extend(under(&entries.by_path, prefix).cloned());
                    for (_, aliased) in under_map(&entries.aliases, prefix) {
                        keys.extend(aliased.iter().cloned());
                    }
                }
            }
            keys
        };
        keys.into_iter().map(|k| self.reread(k)).collect()
    }

    /// Re-reads every stored path (events were lost, or the root came back).
    pub fn refresh_all(&self) -> Vec<Change> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let keys: Vec<String> = self
            .entries
            .read()
            .expect("store lock")
            .by_path
            .keys()
            .cloned()
            .collect();
        keys.into_iter().map(|k| self.reread(k)).collect()
    }

    /// The real folders outside the root (`../…`, relative to the real root)
    /// that hold a stored path, or did: the folders to watch besides the
    /// root. The set only grows, so its size tells whether it changed.
    pub fn folders_outside(&self) -> Vec<String> {
        let entries = self.entries.read().expect("store lock");
        entries.outside.iter().cloned().collect()
    }

    /// How many folders [`FileStore::folders_outside`] would list.
    pub fn folders_outside_count(&self) -> usize {
        self.entries.read().expect("store lock").outside.len()
    }

    fn reread(&self, path: String) -> Change {
        let mut entries = self.entries.write().expect("store lock");
        let slot = self.read_slot(&path);
        let hash = slot.entry.hash().copied();
        entries.insert(path.clone(), slot);
        (path, hash)
    }

    fn read_slot(&self, path: &str) -> Slot {
        let real = if self.track_real_paths {
            self.source.real_path(path).filter(|r| r != path)
        } else {
            None
        };
        let entry = match self.source.read_explained(path) {
            Ok(bytes) => Entry::from_bytes(Some(bytes)),
            Err(None) => Entry::Absent,
            Err(Some(reason)) => Entry::unreadable(reason),
        };
        Slot { entry, real }
    }
}

impl Entries {
    fn insert(&mut self, path: String, slot: Slot) {
        let real = slot.real.as_deref().unwrap_or(&path);
        if real.starts_with("../") {
            self.outside.insert(crate::paths::parent(real).to_string());
        }
        if let Some(new) = &slot.real {
            self.aliases
                .entry(new.clone())
                .or_default()
                .insert(path.clone());
        }
        if let Some(old) = self.by_path.insert(path.clone(), slot)
            && let Some(old_real) = old.real
            && self.by_path[&path].real.as_ref() != Some(&old_real)
            && let Some(set) = self.aliases.get_mut(&old_real)
        {
            set.remove(&path);
            if set.is_empty() {
                self.aliases.remove(&old_real);
            }
        }
    }
}

/// The keys of `map` equal to `prefix` or below it as a folder (`prefix/…`).
/// The empty prefix (the root itself) covers every key.
fn under<'a, V>(map: &'a BTreeMap<String, V>, prefix: &str) -> impl Iterator<Item = &'a String> {
    under_map(map, prefix).map(|(k, _)| k)
}

fn under_map<'a, V>(
    map: &'a BTreeMap<String, V>,
    prefix: &str,
) -> impl Iterator<Item = (&'a String, &'a V)> {
    let folder = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let exact = map.get_key_value(prefix).filter(|_| !prefix.is_empty());
    let below = map
        .range(folder.clone()..)
        .take_while(move |(k, _)| k.starts_with(&folder));
    exact.into_iter().chain(below)
}

/// A source over an in-memory map, for tests and for the engine's data-driven cases.
#[derive(Default, Clone)]
pub struct MemorySource(pub Arc<RwLock<BTreeMap<String, Vec<u8>>>>);

impl MemorySource {
    pub fn insert(&self, path: &str, bytes: impl Into<Vec<u8>>) {
        self.0
            .write()
            .unwrap()
            .insert(path.to_string(), bytes.into());
    }

    pub fn remove(&self, path: &str) {
        self.0.write().unwrap().remove(path);
    }
}

impl Source for MemorySource {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.0.read().unwrap().get(path).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn store(src: &MemorySource) -> FileStore {
        FileStore::tracking(Box::new(src.clone()))
    }

    #[test]
    fn a_refresh_reports_every_path_below_an_event() {
        let src = MemorySource::default();
        src.insert("a/x.less", "x");
        let s = store(&src);
        assert!(s.get("a/x.less").bytes().is_some());
        assert_eq!(s.get("a/y.less"), Entry::Absent);
        assert_eq!(s.get("ab.less"), Entry::Absent);
        src.insert("a/y.less", "y");
        let changes = s.refresh_under(&["a".to_string()]);
        let paths: Vec<&str> = changes.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["a/x.less", "a/y.less"], "not ab.less");
        assert!(s.get("a/y.less").bytes().is_some());
    }

    #[test]
    fn an_entry_no_build_asks_for_any_more_is_still_refreshed() {
        // The folder goes away and comes back: the absent answer read
        // meanwhile must not outlive its return.
        let src = MemorySource::default();
        src.insert("shared/mixins.less", "m");
        let s = store(&src);
        s.get("shared/mixins.less");
        src.remove("shared/mixins.less");
        s.refresh_under(&["shared".to_string()]);
        assert_eq!(s.get("shared/mixins.less"), Entry::Absent);
        src.insert("shared/mixins.less", "m");
        s.refresh_under(&["shared".to_string()]);
        assert!(s.get("shared/mixins.less").bytes().is_some());
    }

    #[test]
    fn the_root_covers_everything() {
        let src = MemorySource::default();
        let s = store(&src);
        s.get("a.js");
        s.get("b/c.js");
        src.insert("b/c.js", "c");
        assert_eq!(s.refresh_under(&[String::new()]).len(), 2);
        assert_eq!(s.refresh_all().len(), 2);
    }

    /// A source where `link/` is a symlink to `real/`.
    struct Linked(MemorySource);

    impl Source for Linked {
        fn read(&self, path: &str) -> Option<Vec<u8>> {
            self.0.read(&self.real_path(path).unwrap())
        }
        fn real_path(&self, path: &str) -> Option<String> {
            Some(match path.strip_prefix("link/") {
                Some(rest) => format!("real/{rest}"),
                None => path.to_string(),
            })
        }
    }

    #[test]
    fn an_event_at_a_symlink_target_reaches_the_path_read_through_it() {
        let src = MemorySource::default();
        src.insert("real/x.less", "1");
        let s = FileStore::tracking(Box::new(Linked(src.clone())));
        let first = s.get("link/x.less");
        src.insert("real/x.less", "2");
        let changes = s.refresh_under(&["real/x.less".to_string()]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, "link/x.less");
        assert_ne!(s.get("link/x.less"), first);
    }

    /// A source whose first read of a path waits until the test lets it
    /// finish, with the bytes the path had when the read began.
    struct Slow {
        inner: MemorySource,
        started: std::sync::mpsc::Sender<()>,
        finish: Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl Source for Slow {
        fn read(&self, path: &str) -> Option<Vec<u8>> {
            let bytes = self.inner.read(path);
            self.started.send(()).ok();
            self.finish.lock().unwrap().recv().ok();
            bytes
        }
    }

    #[test]
    fn a_first_read_that_straddles_a_refresh_is_read_again() {
        use std::sync::mpsc::channel;
        let src = MemorySource::default();
        src.insert("vars.less", "old");
        let (started, on_start) = channel();
        let (finish, on_finish) = channel();
        let s = Arc::new(FileStore::tracking(Box::new(Slow {
            inner: src.clone(),
            started,
            finish: Mutex::new(on_finish),
        })));
        let reader = {
            let s = s.clone();
            std::thread::spawn(move || s.get("vars.less"))
        };
        on_start.recv().unwrap();
        // The file changes while the first read is under way; its event is
        // handled before that read is in the store, so the refresh has no
        // entry to re-read.
        src.insert("vars.less", "new");
        assert!(s.refresh_under(&["vars.less".to_string()]).is_empty());
        finish.send(()).unwrap(); // the first read gives "old"
        finish.send(()).unwrap(); // the read again, under the lock
        let entry = reader.join().unwrap();
        assert_eq!(entry.bytes().map(|b| b.to_vec()), Some(b"new".to_vec()));
        assert_eq!(s.get("vars.less"), entry);
    }
}
