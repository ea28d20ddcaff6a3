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
    /// One line naming the file (and line and column where known); a
    /// JavaScript syntax error adds the line and a caret on the lines after.
    pub error: Option<String>,
    /// Sorted; every file the output depends on.
    pub files: Vec<String>,
    /// What the build found wrong without failing (a `url()` naming a file
    /// that does not exist); an extension of INTERFACE.md, absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Entry {
    /// A module's entry from its definition, every path its build looked up
    /// with the content hash it has (`None`: absent) and its error, if any.
    pub fn of<'a>(
        def: &crate::project::ModuleDef,
        lookups: impl IntoIterator<Item = (&'a str, Option<&'a crate::files::ContentHash>)>,
        error: Option<String>,
    ) -> Entry {
        let lookups: Vec<_> = lookups.into_iter().collect();
        Entry {
            version: crate::version::module_version(def, lookups.iter().copied()),
            dependencies: def.dependencies.clone(),
            group: def.group.clone(),
            state: if error.is_some() {
                State::Error
            } else {
                State::Ready
            },
            error,
            files: lookups
                .iter()
                .filter(|(_, h)| h.is_some())
                .map(|(p, _)| p.to_string())
                .collect(),
            warnings: Vec::new(),
        }
    }
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
    /// The same, for a file reached through a listed stylesheet (`via`).
    Via { path: String, via: String },
    /// A rebuild found the module now depends on this file.
    Found(String),
    /// A rebuild found the module no longer depends on this file.
    Dropped(String),
}

impl Cause {
    pub fn path(&self) -> &str {
        match self {
            Cause::File(p) | Cause::Found(p) | Cause::Dropped(p) | Cause::Via { path: p, .. } => p,
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
    /// This diff followed by `next`, as one: a module changed twice goes from
    /// its first `from` to its last `to` (and vanishes if that is no change).
    pub fn then(&mut self, next: Diff) {
        for (name, c) in next.changed {
            match self.changed.get_mut(&name) {
                Some(first) => {
                    first.to = c.to;
                    for cause in c.causes {
                        if !first.causes.contains(&cause) {
                            first.causes.push(cause);
                        }
                    }
                }
                None => match self.added.get_mut(&name) {
                    Some(v) => *v = c.to,
                    None => {
                        self.changed.insert(name, c);
                    }
                },
            }
        }
        self.changed.retain(|_, c| c.from != c.to);
        for name in next.removed {
            self.changed.shift_remove(&name);
            self.states.shift_remove(&name);
            if self.added.shift_remove(&name).is_none() {
                self.removed.push(name);
            }
        }
        for (name, v) in next.added {
            self.removed.retain(|r| *r != name);
            self.added.insert(name, v);
        }
        self.states.extend(next.states);
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(from: &str, to: &str, cause: &str) -> Change {
        Change {
            from: from.into(),
            to: to.into(),
            causes: vec![Cause::File(cause.into())],
        }
    }

    #[test]
    fn two_diffs_make_one() {
        let mut a = Diff::default();
        a.changed.insert("m".into(), change("A", "B", "x.less"));
        a.changed.insert("n".into(), change("N1", "N2", "x.less"));
        let mut b = Diff::default();
        b.changed
            .insert("m".into(), change("B", "C", "extension.json"));
        b.changed.insert("n".into(), change("N2", "N1", "y.less"));
        b.removed.push("gone".into());
        a.then(b);
        assert_eq!(a.changed.len(), 1, "n went back to where it was");
        let m = &a.changed["m"];
        assert_eq!((m.from.as_str(), m.to.as_str()), ("A", "C"));
        assert_eq!(
            m.causes,
            [
                Cause::File("x.less".into()),
                Cause::File("extension.json".into())
            ]
        );
        assert_eq!(a.removed, ["gone"]);
    }
}
