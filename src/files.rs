//! The content store: project-relative path -> bytes and content hash, or absent.
//!
//! The store is the only way the core sees file contents. Reads go through a
//! [`Source`] (the disk, or a map in tests); every answer is kept, so one
//! build and the version computed from it see the same bytes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sha1::{Digest, Sha1};

/// Where file contents come from. Paths are project-relative with `/`.
pub trait Source: Send + Sync {
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// SHA-1 of a file's content.
pub type ContentHash = [u8; 20];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Present { hash: ContentHash, bytes: Arc<[u8]> },
    Absent,
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

    pub fn bytes(&self) -> Option<&Arc<[u8]>> {
        match self {
            Entry::Present { bytes, .. } => Some(bytes),
            Entry::Absent => None,
        }
    }

    pub fn hash(&self) -> Option<&ContentHash> {
        match self {
            Entry::Present { hash, .. } => Some(hash),
            Entry::Absent => None,
        }
    }
}

/// Path -> entry, filled on demand from a source. Shared by the build threads.
pub struct FileStore {
    source: Box<dyn Source>,
    entries: RwLock<HashMap<String, Entry>>,
}

impl FileStore {
    pub fn new(source: Box<dyn Source>) -> FileStore {
        FileStore {
            source,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The entry for `path`, read from the source the first time it is asked for.
    pub fn get(&self, path: &str) -> Entry {
        if let Some(e) = self.entries.read().expect("store lock").get(path) {
            return e.clone();
        }
        let entry = Entry::from_bytes(self.source.read(path));
        self.entries
            .write()
            .expect("store lock")
            .entry(path.to_string())
            .or_insert(entry)
            .clone()
    }

    /// Re-reads `path` from the source; true when its content (or presence) changed.
    /// An unchanged hash is a no-op.
    pub fn refresh(&self, path: &str) -> bool {
        let entry = Entry::from_bytes(self.source.read(path));
        let mut map = self.entries.write().expect("store lock");
        match map.get(path) {
            Some(old) if old.hash() == entry.hash() => false,
            _ => {
                map.insert(path.to_string(), entry);
                true
            }
        }
    }
}

/// A source over an in-memory map, for tests and for the engine's data-driven cases.
#[derive(Default, Clone)]
pub struct MemorySource(pub Arc<RwLock<HashMap<String, Vec<u8>>>>);

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

    #[test]
    fn unchanged_content_is_no_change() {
        let src = MemorySource::default();
        src.insert("a.js", "x");
        let store = FileStore::new(Box::new(src.clone()));
        assert!(store.get("a.js").bytes().is_some());
        assert!(!store.refresh("a.js"));
        src.insert("a.js", "y");
        assert!(store.refresh("a.js"));
        src.remove("a.js");
        assert!(store.refresh("a.js"));
        assert_eq!(store.get("a.js"), Entry::Absent);
    }
}
