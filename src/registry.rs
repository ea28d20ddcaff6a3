//! The registry (every module's version, state and files) and diffs between two of them.

use indexmap::IndexMap;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Ready,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub version: String,
    pub dependencies: Vec<String>,
    pub group: Option<String>,
    pub state: State,
    /// One line naming the file (and line and column where known).
    pub error: Option<String>,
    /// Sorted; every file the output depends on.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Registry {
    pub seq: u64,
    pub modules: IndexMap<String, Entry>,
}

/// Why a module's version changed. In JSON each cause is the path it names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// A file the module depends on changed, appeared or disappeared.
    File(String),
    /// A rebuild found the module now depends on this file.
    Found(String),
    /// A rebuild found the module no longer depends on this file.
    Dropped(String),
}

impl Cause {
    pub fn path(&self) -> &str {
        match self {
            Cause::File(p) | Cause::Found(p) | Cause::Dropped(p) => p,
        }
    }
}

impl Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.path())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub from: String,
    pub to: String,
    pub causes: Vec<Cause>,
}

/// A module entering or leaving `error` (an extension of the interface's diff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateChange {
    pub state: State,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub seq: u64,
    pub changed: IndexMap<String, Change>,
    pub added: IndexMap<String, String>,
    pub removed: Vec<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub states: IndexMap<String, StateChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.states.is_empty()
    }
}

impl Registry {
    /// name -> version, the shape the WebSocket `hello` carries.
    pub fn versions(&self) -> IndexMap<String, String> {
        self.modules
            .iter()
            .map(|(k, v)| (k.clone(), v.version.clone()))
            .collect()
    }
}
