//! The engine: file changes and build results in, registry diffs out (pure).
//!
//! A module's version is a function of its definition and of the content of
//! every path its last build looked up. So when files change, the engine
//! recomputes the affected versions at once from the new content hashes,
//! without waiting for a compile, and asks for rebuilds. A rebuild may find a
//! different set of files (an `@import` added or removed); only then does its
//! result move the version again. A build that read content older than the
//! engine knows of is discarded and asked for again, so once no build is
//! outstanding the registry equals a computation from scratch.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use indexmap::IndexMap;

use crate::compile::Built;
use crate::files::ContentHash;
use crate::project::ModuleDef;
use crate::registry::{Cause, Change, Diff, Entry, Registry, State, StateChange};

/// What a build found: every path it looked up, and its first problem.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildFacts {
    /// Path -> content hash as the build read it (`None`: absent).
    pub reads: BTreeMap<String, Option<ContentHash>>,
    /// Indirect path -> the listed stylesheet through which it was reached.
    pub via: BTreeMap<String, String>,
    pub error: Option<String>,
    /// What the build found wrong without failing.
    pub warnings: Vec<String>,
    /// The compiler failed: this is no result, and `reads` may be partial.
    pub transient: Option<String>,
}

impl From<&Built> for BuildFacts {
    fn from(b: &Built) -> BuildFacts {
        BuildFacts {
            reads: b.reads.clone(),
            via: b.via.clone(),
            error: b.error.clone(),
            warnings: b.warnings.clone(),
            transient: b.transient.clone(),
        }
    }
}

impl From<Built> for BuildFacts {
    fn from(b: Built) -> BuildFacts {
        BuildFacts {
            reads: b.reads,
            via: b.via,
            error: b.error,
            warnings: b.warnings,
            transient: b.transient,
        }
    }
}

/// A build the engine asks for; its result must come back with the same generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    pub module: String,
    pub generation: u64,
}

/// What one input did: the diff (possibly empty; `seq` is 0 until published)
/// and the builds to run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diff: Diff,
    pub builds: Vec<BuildRequest>,
    /// For `built`: the build was taken as the module's current output.
    pub accepted: bool,
    /// For `built`: warnings the module did not have before (module, text).
    pub warnings: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct Known {
    /// The paths the last accepted build looked up.
    reads: BTreeSet<String>,
    /// For indirect ones: the listed stylesheet they were reached through.
    via: BTreeMap<String, String>,
    /// The generation of the build the engine waits for, if any.
    wanted: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Engine {
    defs: IndexMap<String, ModuleDef>,
    known: HashMap<String, Known>,
    /// The latest content hash of every path seen in a change or a build.
    hashes: HashMap<String, Option<ContentHash>>,
    /// Path -> the modules whose last build looked it up.
    users: HashMap<String, BTreeSet<String>>,
    registry: Registry,
    generation: u64,
    /// Modules whose last build failed in the compiler, not in their files.
    broken: BTreeSet<String>,
    /// How many modules have a build outstanding (`Known::wanted`).
    outstanding: usize,
    /// A new entry was added at the end of the registry: it is put in
    /// registration order once no build is outstanding (one sort after a
    /// full build, not one per module).
    unsorted: bool,
}

impl Engine {
    /// An engine for these modules; every one of them needs a first build.
    pub fn new(defs: Vec<ModuleDef>) -> (Engine, Vec<BuildRequest>) {
        let mut engine = Engine::default();
        let outcome = engine.project(defs, "");
        (engine, outcome.builds)
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn definition(&self, module: &str) -> Option<&ModuleDef> {
        self.defs.get(module)
    }

    /// True when no build is outstanding: the registry is then final for the current content.
    pub fn settled(&self) -> bool {
        self.outstanding == 0
    }

    /// Whether some module depends on `path`.
    pub fn depends_on(&self, path: &str) -> bool {
        self.users.contains_key(path)
    }

    /// Every path some module depends on (present or absent).
    pub fn dependencies(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// Whether some module's last build failed in the compiler.
    pub fn has_broken(&self) -> bool {
        !self.broken.is_empty()
    }

    /// Asks again for every module whose last build failed in the compiler.
    pub fn retry_broken(&mut self) -> Outcome {
        let mut out = Outcome::default();
        for module in std::mem::take(&mut self.broken) {
            if self.known.get(&module).is_some_and(|k| k.wanted.is_none()) {
                out.builds.push(self.want(&module));
            }
        }
        out
    }

    /// A settled batch of file changes: path -> new content hash (`None`: gone).
    pub fn files(&mut self, changes: &[(String, Option<ContentHash>)]) -> Outcome {
        let mut causes: BTreeMap<String, Vec<Cause>> = BTreeMap::new();
        for (path, hash) in changes {
            if self.hashes.get(path) == Some(hash) {
                continue; // an unchanged hash is a no-op
            }
            self.hashes.insert(path.clone(), *hash);
            for module in self.users.get(path).into_iter().flatten() {
                let cause = match self.known[module].via.get(path) {
                    Some(via) => Cause::Via {
                        path: path.clone(),
                        via: via.clone(),
                    },
                    None => Cause::File(path.clone()),
                };
                causes.entry(module.clone()).or_default().push(cause);
            }
        }
        let mut out = Outcome::default();
        for (module, causes) in causes {
            self.republish(&module, causes, &mut out.diff);
            out.builds.push(self.want(&module));
        }
        out
    }

    /// A build finished. Results for a superseded request are ignored; a build
    /// that read older content than the engine knows of is asked for again.
    pub fn built(&mut self, module: &str, generation: u64, facts: BuildFacts) -> Outcome {
        let mut out = Outcome::default();
        if self.known.get(module).and_then(|k| k.wanted) != Some(generation) {
            return out;
        }
        let stale = facts
            .reads
            .iter()
            .any(|(p, h)| self.hashes.get(p).is_some_and(|known| known != h));
        if stale && facts.transient.is_none() {
            out.builds.push(self.want(module));
            return out;
        }
        for (p, h) in &facts.reads {
            self.hashes.entry(p.clone()).or_insert(*h);
        }
        let mut new_reads: BTreeSet<String> = facts.reads.keys().cloned().collect();
        let mut error = facts.error;
        let mut via = facts.via;
        if let Some(why) = facts.transient {
            // No result: the module keeps every dependency known so far (a
            // partial build must not drop one), shows why it is not built,
            // and is asked for again later (`retry_broken`).
            let known = &self.known[module];
            new_reads.extend(known.reads.iter().cloned());
            for (p, v) in &known.via {
                via.entry(p.clone()).or_insert_with(|| v.clone());
            }
            error = Some(format!(
                "{why} (the compiler failed, not this module: rldev builds it again)"
            ));
            self.broken.insert(module.to_string());
        } else {
            self.broken.remove(module);
        }
        out.accepted = true;
        let known = self.known.get_mut(module).expect("checked above");
        known.wanted = None;
        self.outstanding -= 1;
        known.via = via;
        let old_reads = std::mem::replace(&mut known.reads, new_reads.clone());
        for p in old_reads.difference(&new_reads) {
            if let Some(u) = self.users.get_mut(p) {
                u.remove(module);
                if u.is_empty() {
                    self.users.remove(p);
                }
            }
        }
        for p in new_reads.difference(&old_reads) {
            self.users
                .entry(p.clone())
                .or_default()
                .insert(module.to_string());
        }
        let mut entry = self.entry(module, error);
        entry.warnings = facts.warnings;
        let before: &[String] = self
            .registry
            .modules
            .get(module)
            .map_or(&[], |e| e.warnings.as_slice());
        out.warnings = entry
            .warnings
            .iter()
            .filter(|w| !before.contains(w))
            .map(|w| (module.to_string(), w.clone()))
            .collect();
        match self.registry.modules.get(module) {
            None => {
                out.diff
                    .added
                    .insert(module.to_string(), entry.version.clone());
                if let Some(e) = &entry.error {
                    out.diff
                        .states
                        .insert(module.to_string(), state_change(State::Error, Some(e)));
                }
            }
            Some(old) => {
                if old.version != entry.version {
                    let mut causes: Vec<Cause> = new_reads
                        .difference(&old_reads)
                        .map(|p| Cause::Found(p.clone()))
                        .chain(
                            old_reads
                                .difference(&new_reads)
                                .map(|p| Cause::Dropped(p.clone())),
                        )
                        .collect();
                    causes.sort();
                    out.diff.changed.insert(
                        module.to_string(),
                        Change {
                            from: old.version.clone(),
                            to: entry.version.clone(),
                            causes,
                        },
                    );
                }
                if old.error != entry.error {
                    out.diff.states.insert(
                        module.to_string(),
                        state_change(entry.state, entry.error.as_ref()),
                    );
                }
            }
        }
        // An existing entry keeps its place; a new one is sorted in once no
        // build is outstanding.
        if self
            .registry
            .modules
            .insert(module.to_string(), entry)
            .is_none()
        {
            self.unsorted = true;
        }
        if self.unsorted && self.settled() {
            self.sort_registry();
        }
        out
    }

    /// The project was (re)loaded: modules added, removed or redefined.
    /// `cause` names the definition file that changed.
    pub fn project(&mut self, defs: Vec<ModuleDef>, cause: &str) -> Outcome {
        let mut out = Outcome::default();
        let new: IndexMap<String, ModuleDef> =
            defs.into_iter().map(|d| (d.name.clone(), d)).collect();
        let removed: Vec<String> = self
            .defs
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        for name in removed {
            self.broken.remove(&name);
            if let Some(k) = self.known.remove(&name) {
                if k.wanted.is_some() {
                    self.outstanding -= 1;
                }
                for p in k.reads {
                    if let Some(u) = self.users.get_mut(&p) {
                        u.remove(&name);
                        if u.is_empty() {
                            self.users.remove(&p);
                        }
                    }
                }
            }
            if self.registry.modules.shift_remove(&name).is_some() {
                out.diff.removed.push(name);
            }
        }
        let old = std::mem::replace(&mut self.defs, new);
        let names: Vec<String> = self.defs.keys().cloned().collect();
        for name in names {
            match old.get(&name) {
                Some(d) if *d == self.defs[&name] => {}
                Some(_) => {
                    let causes = vec![Cause::File(cause.to_string())];
                    self.republish(&name, causes, &mut out.diff);
                    out.builds.push(self.want(&name));
                }
                None => {
                    self.known.insert(name.clone(), Known::default());
                    out.builds.push(self.want(&name));
                }
            }
        }
        self.sort_registry();
        out
    }

    /// Asks for a new build of `module`; earlier requests are superseded.
    fn want(&mut self, module: &str) -> BuildRequest {
        self.generation += 1;
        let known = self.known.entry(module.to_string()).or_default();
        if known.wanted.is_none() {
            self.outstanding += 1;
        }
        known.wanted = Some(self.generation);
        BuildRequest {
            module: module.to_string(),
            generation: self.generation,
        }
    }

    /// Recomputes a published module's version from its known reads and the
    /// current hashes, and puts a change in the diff when it moved.
    fn republish(&mut self, module: &str, causes: Vec<Cause>, diff: &mut Diff) {
        let Some(old) = self.registry.modules.get(module) else {
            return;
        };
        let mut entry = self.entry(module, old.error.clone());
        entry.warnings = old.warnings.clone();
        if entry.version != old.version {
            diff.changed.insert(
                module.to_string(),
                Change {
                    from: old.version.clone(),
                    to: entry.version.clone(),
                    causes,
                },
            );
        }
        self.registry.modules.insert(module.to_string(), entry);
    }

    /// The registry entry of `module` from its definition, known reads and current hashes.
    fn entry(&self, module: &str, error: Option<String>) -> Entry {
        let reads = &self.known[module].reads;
        let lookups = reads
            .iter()
            .map(|p| (p.as_str(), self.hashes.get(p).and_then(Option::as_ref)));
        Entry::of(&self.defs[module], lookups, error)
    }

    /// Keeps the registry in registration order.
    fn sort_registry(&mut self) {
        self.unsorted = false;
        let defs = &self.defs;
        self.registry
            .modules
            .sort_by_cached_key(|k, _| defs.get_index_of(k).unwrap_or(usize::MAX));
    }
}

fn state_change(state: State, error: Option<&String>) -> StateChange {
    StateChange {
        state,
        error: error.cloned(),
    }
}
