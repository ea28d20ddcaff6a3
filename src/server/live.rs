//! What the daemon publishes for the server: immutable snapshots (registry
//! and build outputs, read by HTTP handlers) and the hub's messages (diffs,
//! sent once the builds they announce are done, with the parts that changed).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};

use super::contexts::Contexts;
use crate::compile::{Built, Script};
use crate::files::FileStore;
use crate::project::{ModuleKind, Project};
use crate::registry::{Diff, Registry};
use crate::version;

/// A short hash of each part of a module's output: equal hashes, equal part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Parts {
    pub script: String,
    pub styles: String,
    pub messages: String,
    pub templates: String,
}

impl Parts {
    /// The names of the parts that differ.
    pub fn changed(&self, other: &Parts) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.script != other.script {
            out.push("script");
        }
        if self.styles != other.styles {
            out.push("styles");
        }
        if self.messages != other.messages {
            out.push("messages");
        }
        if self.templates != other.templates {
            out.push("templates");
        }
        out
    }
}

/// One module's output at one version, in the shapes `/load` sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub version: String,
    pub error: Option<String>,
    /// The script as `impl` carries it (a function or a package bundle).
    pub script: Option<String>,
    /// The script for `debug` requests, where it differs (Vue templates as written).
    pub debug_script: Option<String>,
    /// Plain scripts only: the concatenated source, for `only=scripts`.
    pub plain_source: Option<String>,
    /// One CSS string per media block; `all` is not wrapped.
    pub styles: Vec<String>,
    pub messages: IndexMap<String, String>,
    pub templates: IndexMap<String, String>,
    pub skip_function: Option<String>,
    pub deprecated: Option<String>,
    /// An image module's images (`/load?image=`).
    pub images: Vec<crate::compile::image::ImageFile>,
    pub parts: Parts,
}

impl Rendered {
    pub fn new(version: &str, built: &Built) -> Rendered {
        let o = &built.output;
        let styles: Vec<String> = o
            .styles
            .iter()
            .filter(|b| !b.css.is_empty())
            .map(|b| {
                if b.media == "all" {
                    b.css.clone()
                } else {
                    format!("@media {}{{{}}}", b.media, b.css)
                }
            })
            .collect();
        let script = o.script.to_js(false);
        // Only a Vue template reads differently in debug mode.
        let debug_script = if o.script.has_vue() {
            o.script.to_js(true).filter(|d| Some(d) != script.as_ref())
        } else {
            None
        };
        let plain_source = match &o.script {
            Script::Plain(s) => Some(s.clone()),
            _ => None,
        };
        let parts = Parts {
            script: match &debug_script {
                None => version::hash(script.as_deref().unwrap_or("").as_bytes()),
                Some(d) => hash_json(&(&script, d)),
            },
            styles: hash_json(&styles),
            messages: hash_json(&o.messages),
            templates: hash_json(&o.templates),
        };
        Rendered {
            version: version.to_string(),
            error: built.error.clone(),
            script,
            debug_script,
            plain_source,
            styles,
            messages: o.messages.clone(),
            templates: o.templates.clone(),
            skip_function: o.skip_function.clone(),
            deprecated: o.deprecated.clone(),
            images: o.images.clone(),
            parts,
        }
    }
}

/// The version encoding over a value's JSON: equal values, equal hashes.
fn hash_json<T: Serialize>(value: &T) -> String {
    version::hash(
        serde_json::to_string(value)
            .expect("JSON values serialise")
            .as_bytes(),
    )
}

/// How many past outputs per module are kept, to name the parts a diff changed.
const HISTORY: usize = 4;

/// The state every HTTP handler reads: never mutated, replaced as a whole.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// False until the first full build: handlers wait for it.
    pub ready: bool,
    pub registry: Arc<Registry>,
    /// Module -> its latest outputs, oldest first (the last may lag the registry).
    pub outputs: Arc<HashMap<String, Vec<Arc<Rendered>>>>,
    /// URL folder -> project-relative folder, longest first (assets).
    pub mounts: Arc<Vec<(String, String)>>,
    /// The daemon's content store: assets are served from the bytes rldev
    /// hashed, never read again from a path (which a symlink could move).
    pub files: Option<Arc<FileStore>>,
    /// Builds for other request contexts than rldev.toml's.
    pub contexts: Option<Arc<Contexts>>,
    /// Modules whose output PHP makes: an extension's class (`error` here),
    /// or a packageFiles callback (built here in core's PHP, with core's
    /// default settings). Behind the proxy the wiki answers them, with its
    /// own settings and database.
    pub php_only: Arc<HashSet<String>>,
    /// Each module's targets, when core's startup module registers a module
    /// only for the request's target (MediaWiki 1.40 and older).
    pub targets: Option<Arc<std::collections::BTreeMap<String, Vec<String>>>>,
}

impl Snapshot {
    /// Whether rldev answers this module behind the proxy (it is in the
    /// registry and PHP does not make it).
    pub fn builds(&self, name: &str) -> bool {
        self.registry.modules.contains_key(name) && !self.php_only.contains(name)
    }

    /// Whether a startup module for `target` (`desktop` unless the request
    /// says otherwise) registers this module: always, unless core's startup
    /// filters by target and the module's targets lack it.
    pub fn registered_for(&self, name: &str, target: &str) -> bool {
        self.targets
            .as_ref()
            .and_then(|t| t.get(name))
            .is_none_or(|targets| targets.iter().any(|t| t == target))
    }

    /// The output of the module's current version, once it is built.
    pub fn current(&self, name: &str) -> Option<&Arc<Rendered>> {
        let entry = self.registry.modules.get(name)?;
        let last = self.outputs.get(name)?.last()?;
        (last.version == entry.version).then_some(last)
    }

    /// The output the module had at `version`, if still remembered.
    pub fn at(&self, name: &str, version: &str) -> Option<&Arc<Rendered>> {
        self.outputs
            .get(name)?
            .iter()
            .rev()
            .find(|r| r.version == version)
    }

    /// name -> version, as `hello` carries it.
    pub fn versions(&self) -> IndexMap<String, String> {
        self.registry.versions()
    }

    /// The hub's answer to a client's `sync`: a diff from the versions it has
    /// loaded to the current ones.
    pub fn sync_diff(&self, theirs: &IndexMap<String, String>) -> Value {
        let mut diff = Diff {
            seq: self.registry.seq,
            ..Diff::default()
        };
        for (name, v) in theirs {
            match self.registry.modules.get(name) {
                Some(e) => {
                    if e.version != *v {
                        diff.changed.insert(
                            name.clone(),
                            crate::registry::Change {
                                from: v.clone(),
                                to: e.version.clone(),
                                causes: Vec::new(),
                            },
                        );
                    }
                    if let Some(err) = &e.error {
                        diff.states.insert(
                            name.clone(),
                            crate::registry::StateChange {
                                state: e.state,
                                error: Some(err.clone()),
                            },
                        );
                    }
                }
                None => diff.removed.push(name.clone()),
            }
        }
        self.diff_message(&diff)
    }

    /// A diff as the hub sends it: each change gets the part hashes of the new
    /// output and, when the old output is remembered, the parts that changed.
    pub fn diff_message(&self, diff: &Diff) -> Value {
        let mut v = serde_json::to_value(diff).expect("a diff serialises");
        v.as_object_mut()
            .expect("a diff is an object")
            .insert("event".into(), json!("diff"));
        if let Some(changed) = v.get_mut("changed").and_then(Value::as_object_mut) {
            for (name, change) in changed.iter_mut() {
                let Some(c) = diff.changed.get(name) else {
                    continue;
                };
                let new = self.at(name, &c.to).filter(|r| r.error.is_none());
                let obj = change.as_object_mut().expect("a change is an object");
                obj.insert("output".into(), new.map_or(Value::Null, |r| json!(r.parts)));
                let old = self.at(name, &c.from);
                if let (Some(new), Some(old)) = (new, old) {
                    obj.insert("parts".into(), json!(new.parts.changed(&old.parts)));
                }
                // New CSS rides along, so a page can swap it without a request.
                if let Some(new) = new
                    && old.is_none_or(|o| o.parts.styles != new.parts.styles)
                {
                    obj.insert("styles".into(), json!(new.styles));
                }
            }
        }
        v
    }
}

/// A client that falls this far behind gets a snapshot instead of the diffs.
pub const HUB_CAPACITY: usize = 256;

/// A diff waits this long for all its builds before the built part goes out.
const PARTIAL_AFTER: Duration = Duration::from_millis(100);

/// The daemon's side: keeps outputs, publishes snapshots, sends diffs to the hub.
pub struct Live {
    snapshot: Snapshot,
    outputs: HashMap<String, Vec<Arc<Rendered>>>,
    /// A diff not yet sent: some module it names is still being built.
    pending: Option<(Diff, Instant)>,
    dirty: bool,
    snapshots: watch::Sender<Arc<Snapshot>>,
    hub: broadcast::Sender<Arc<str>>,
}

impl Live {
    pub fn new(snapshots: watch::Sender<Arc<Snapshot>>, hub: broadcast::Sender<Arc<str>>) -> Live {
        Live {
            snapshot: Snapshot::default(),
            outputs: HashMap::new(),
            pending: None,
            dirty: false,
            snapshots,
            hub,
        }
    }

    /// The engine accepted a build: it is the module's output at `version`.
    pub fn built(&mut self, module: &str, version: &str, built: &Built) {
        let list = self.outputs.entry(module.to_string()).or_default();
        list.retain(|r| r.version != version);
        list.push(Arc::new(Rendered::new(version, built)));
        if list.len() > HISTORY {
            list.remove(0);
        }
        self.dirty = true;
    }

    /// The builder of other request contexts.
    pub fn contexts(&mut self, contexts: Arc<Contexts>) {
        self.snapshot.contexts = Some(contexts);
        self.dirty = true;
    }

    /// The content store whose bytes assets are served from.
    pub fn files(&mut self, store: Arc<FileStore>) {
        self.snapshot.files = Some(store);
        self.dirty = true;
    }

    /// The project (re)loaded: where its files are served from, and which
    /// modules need PHP.
    pub fn project(&mut self, project: &Project) {
        let php_only = project
            .modules
            .iter()
            .filter(|m| match &m.kind {
                ModuleKind::Unsupported(_) => true,
                ModuleKind::File(f) => f.php.is_some(),
                ModuleKind::Image(_) => false,
            })
            .map(|m| m.name.clone())
            .collect();
        self.snapshot.php_only = Arc::new(php_only);
        self.snapshot.targets = project.targets.clone().map(Arc::new);
        let mut mounts = mounts(project);
        mounts.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        mounts.dedup();
        self.snapshot.mounts = Arc::new(mounts);
        self.dirty = true;
    }

    /// A published diff (its `seq` set): sent to the hub once its builds are done.
    pub fn diff(&mut self, diff: &Diff) {
        for name in &diff.removed {
            self.outputs.remove(name);
        }
        match &mut self.pending {
            Some((pending, _)) => pending.then(diff.clone()),
            None => self.pending = Some((diff.clone(), Instant::now())),
        }
        if let Some((p, _)) = &mut self.pending {
            p.seq = diff.seq;
        }
        self.dirty = true;
    }

    /// Publishes a new snapshot if anything changed, then sends what of the
    /// pending diff is built.
    pub fn publish(&mut self, registry: &Registry, seq: u64, ready: bool) {
        if !ready || (!self.dirty && self.snapshot.ready) {
            // Handlers wait for the first full build; until then nothing to show.
            return;
        }
        self.dirty = false;
        // The registry changes only with a diff (a new seq), or on becoming ready.
        if !self.snapshot.ready || self.snapshot.registry.seq != seq {
            let mut registry = registry.clone();
            registry.seq = seq;
            self.snapshot.registry = Arc::new(registry);
        }
        self.snapshot.ready = true;
        self.snapshot.outputs = Arc::new(self.outputs.clone());
        self.snapshots.send_replace(Arc::new(self.snapshot.clone()));
        self.flush();
    }

    fn flush(&mut self) {
        let Some((mut diff, since)) = self.pending.take() else {
            return;
        };
        let snap = &self.snapshot;
        let built =
            |name: &str| !snap.registry.modules.contains_key(name) || snap.current(name).is_some();
        let names: Vec<String> = diff
            .changed
            .keys()
            .chain(diff.added.keys())
            .chain(diff.states.keys())
            .cloned()
            .collect();
        let (done, waiting): (Vec<String>, Vec<String>) = names.into_iter().partition(|n| built(n));
        if waiting.is_empty() {
            tracing::debug!(seq = diff.seq, waited = ?since.elapsed(), "diff sent to the hub");
            let message = snap.diff_message(&diff);
            self.send(&message);
            return;
        }
        if since.elapsed() < PARTIAL_AFTER || done.is_empty() {
            self.pending = Some((diff, since));
            return;
        }
        // A long rebuild (a shared file): send what is built, keep the rest.
        let mut part = Diff {
            seq: diff.seq,
            removed: std::mem::take(&mut diff.removed),
            ..Diff::default()
        };
        for name in done {
            if let Some(c) = diff.changed.shift_remove(&name) {
                part.changed.insert(name.clone(), c);
            }
            if let Some(v) = diff.added.shift_remove(&name) {
                part.added.insert(name.clone(), v);
            }
            if let Some(s) = diff.states.shift_remove(&name) {
                part.states.insert(name, s);
            }
        }
        // More of this seq follows: a client applies each part as it comes
        // (the parts name disjoint modules) and knows the diff is whole at
        // the message without `more`.
        let mut message = snap.diff_message(&part);
        message["more"] = Value::Bool(true);
        self.send(&message);
        self.pending = Some((diff, Instant::now()));
    }

    fn send(&self, message: &Value) {
        let text: Arc<str> = Arc::from(message.to_string());
        // No receivers is fine: no tab is open.
        let _ = self.hub.send(text);
    }
}

/// URL folder -> project-relative folder of every file module (where assets are served from).
fn mounts(project: &Project) -> Vec<(String, String)> {
    let core = project
        .core
        .as_ref()
        .map(|c| ("/resources".to_string(), crate::paths::join(c, "resources")));
    project
        .modules
        .iter()
        .filter_map(|m| match &m.kind {
            ModuleKind::File(f) => Some((f.remote_base.clone(), f.local_base.clone())),
            ModuleKind::Image(_) | ModuleKind::Unsupported(_) => None,
        })
        .chain(core)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{MediaBlock, Output};
    use crate::registry::{Change, Entry, State};

    fn registry(versions: &[(&str, &str)]) -> Registry {
        let modules = versions
            .iter()
            .map(|(n, v)| {
                let e = Entry {
                    version: v.to_string(),
                    dependencies: vec![],
                    group: None,
                    state: State::Ready,
                    error: None,
                    files: vec![],
                    warnings: Vec::new(),
                };
                (n.to_string(), e)
            })
            .collect();
        Registry { seq: 0, modules }
    }

    fn built(css: &str) -> Built {
        Built {
            reads: Default::default(),
            via: Default::default(),
            error: None,
            transient: None,
            warnings: Vec::new(),
            output: Output {
                styles: vec![MediaBlock {
                    media: "all".into(),
                    css: css.into(),
                }],
                ..Output::default()
            },
        }
    }

    fn change(from: &str, to: &str) -> Change {
        Change {
            from: from.into(),
            to: to.into(),
            causes: vec![],
        }
    }

    #[test]
    fn a_diff_waits_for_its_builds_and_says_which_part_changed() {
        let (snapshots, _keep) = watch::channel(Arc::new(Snapshot::default()));
        let (hub, mut rx) = broadcast::channel(16);
        let mut live = Live::new(snapshots, hub);
        live.built("a", "A1", &built(".a{color:red}"));
        live.built("b", "B1", &built(".b{color:red}"));
        live.publish(&registry(&[("a", "A1"), ("b", "B1")]), 0, true);

        let mut diff = Diff {
            seq: 1,
            ..Diff::default()
        };
        diff.changed.insert("a".into(), change("A1", "A2"));
        diff.changed.insert("b".into(), change("B1", "B2"));
        live.diff(&diff);
        let now = registry(&[("a", "A2"), ("b", "B2")]);
        live.publish(&now, 1, true);
        assert!(rx.try_recv().is_err(), "nothing is built yet");

        // One build done, and the diff has waited long enough: that part goes ahead.
        live.built("a", "A2", &built(".a{color:blue}"));
        std::thread::sleep(PARTIAL_AFTER);
        live.publish(&now, 1, true);
        let first: Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(first["changed"]["a"]["parts"], json!(["styles"]));
        assert_eq!(first["changed"]["a"]["styles"], json!([".a{color:blue}"]));
        assert!(first["changed"].get("b").is_none(), "{first}");
        assert_eq!(first["more"], json!(true), "more of seq 1 follows");

        // The rest once built.
        live.built("b", "B2", &built(".b{color:red}"));
        live.publish(&now, 1, true);
        let rest: Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
        assert_eq!(
            rest["changed"]["b"]["parts"],
            json!([]),
            "same output: {rest}"
        );
        assert!(rest["changed"].get("a").is_none(), "{rest}");
        assert_eq!(rest["seq"], first["seq"]);
        assert!(rest.get("more").is_none(), "the last part of seq 1: {rest}");
        assert!(rx.try_recv().is_err());
    }
}
