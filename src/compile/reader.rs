//! A reader that records every path a build asks for, found or not.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::remap::FileLookup;
use crate::files::{ContentHash, Entry, FileStore};

/// Wraps the store for one build; what it recorded is the build's `files`.
pub struct Recorder<'a> {
    store: &'a FileStore,
    /// path -> content hash, `None` where the path was looked for and absent.
    pub reads: BTreeMap<String, Option<ContentHash>>,
    /// Indirect path -> the listed stylesheet whose build first reached it.
    pub via: BTreeMap<String, String>,
    /// The listed stylesheet being built, if any.
    pub context: Option<String>,
    /// What the build found wrong without failing, each once.
    pub warnings: Vec<String>,
}

impl<'a> Recorder<'a> {
    pub fn new(store: &'a FileStore) -> Recorder<'a> {
        Recorder {
            store,
            reads: BTreeMap::new(),
            via: BTreeMap::new(),
            context: None,
            warnings: Vec::new(),
        }
    }

    pub fn read(&mut self, path: &str) -> Option<Arc<[u8]>> {
        self.lookup_hashed(path).map(|(_, bytes)| bytes)
    }

    /// The store the reads go to.
    pub fn store(&self) -> &'a FileStore {
        self.store
    }

    /// The content hash of `path` without recording the look-up.
    pub fn peek(&self, path: &str) -> Option<ContentHash> {
        self.store.get(path).hash().copied()
    }

    /// Records a look-up whose answer is known (a compile replayed from cache).
    pub fn note(&mut self, path: &str, hash: Option<ContentHash>) {
        self.reads.insert(path.to_string(), hash);
        if let Some(style) = &self.context
            && style != path
            && !self.via.contains_key(path)
        {
            self.via.insert(path.to_string(), style.clone());
        }
    }

    /// Reads a text file, without a UTF-8 byte order mark.
    pub fn read_text(&mut self, path: &str) -> Option<String> {
        self.read(path).map(|b| text(&b))
    }

    /// Notes a warning (once).
    pub fn warn(&mut self, warning: String) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// A source file as text, or the module's error: "file not found", or
    /// why it is there but unreadable, or where its bytes stop being UTF-8
    /// (served as they are, they would turn into U+FFFD).
    pub fn read_source(&mut self, path: &str) -> Result<String, String> {
        let Some(bytes) = self.read(path) else {
            let why = self
                .explain(path)
                .unwrap_or_else(|| "file not found".into());
            return Err(format!("{path}: {why}"));
        };
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(text(&bytes)),
            Err(e) => Err(format!(
                "{path}: not valid UTF-8 (at byte {})",
                e.valid_up_to()
            )),
        }
    }

    /// Why a path that reads as absent is there but unreadable (as the
    /// store recorded it, so the reason is part of the version).
    pub fn explain(&self, path: &str) -> Option<String> {
        match self.store.get(path) {
            Entry::Unreadable { reason, .. } => Some(reason.to_string()),
            _ => None,
        }
    }
}

impl FileLookup for Recorder<'_> {
    fn lookup(&mut self, path: &str) -> Option<Arc<[u8]>> {
        self.read(path)
    }

    fn lookup_hashed(&mut self, path: &str) -> Option<(ContentHash, Arc<[u8]>)> {
        let entry = self.store.get(path);
        self.note(path, entry.hash().copied());
        match entry {
            Entry::Present { hash, bytes } => Some((hash, bytes)),
            Entry::Absent | Entry::Unreadable { .. } => None,
        }
    }
}

/// Bytes as text: lossy UTF-8 without a leading byte order mark.
pub fn text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}
