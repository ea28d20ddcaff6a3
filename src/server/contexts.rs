//! `/load` for another request context than rldev.toml's (ResourceLoader's
//! `lang=`, `skin=`, `dir=`): the requested modules built on demand, from
//! the daemon's content store, by a compiler of their own.
//!
//! Exact as the daemon's registry is: a module is built again unless its
//! definition (resolved for that context) is the same and every file its
//! last build read still has the same content in the store, which the daemon
//! keeps current from file events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;

use super::live::{Rendered, Snapshot};
use crate::compile::{Built, build};
use crate::disk::{DiskSource, Located};
use crate::files::FileStore;
use crate::less::LessCompiler;
use crate::project::{Context, ModuleDef, Project, is_rtl};
use crate::registry::{Entry, Registry};

/// The builder of other contexts, shared by the HTTP handlers.
pub struct Contexts {
    located: Located,
    store: Arc<FileStore>,
    /// rldev.toml's own context: requests for it use the daemon's snapshot.
    configured: Context,
    compiler: Mutex<Box<dyn LessCompiler>>,
    /// (context, module) -> its last build there.
    builds: Mutex<HashMap<(Context, String), Arc<Kept>>>,
}

impl std::fmt::Debug for Contexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contexts")
            .field("configured", &self.configured)
            .finish_non_exhaustive()
    }
}

/// A module's build in one context, with what it was made of.
struct Kept {
    def: ModuleDef,
    built: Built,
    entry: Entry,
    rendered: Arc<Rendered>,
}

impl Contexts {
    /// `skin` and `language` are rldev.toml's (the language as the project
    /// resolved it).
    pub fn new(
        located: Located,
        store: Arc<FileStore>,
        skin: Option<String>,
        language: String,
        compiler: Box<dyn LessCompiler>,
    ) -> Contexts {
        let rtl = is_rtl(&language);
        Contexts {
            located,
            store,
            configured: Context {
                skin,
                language: Some(language),
                rtl: Some(rtl),
            },
            compiler: Mutex::new(compiler),
            builds: Mutex::new(HashMap::new()),
        }
    }

    /// The full context a request names: what it leaves out is rldev.toml's,
    /// and the direction follows the language unless `dir=` says otherwise.
    pub fn complete(&self, asked: &Context) -> Context {
        let language = asked.language.clone().or(self.configured.language.clone());
        let rtl = asked
            .rtl
            .or_else(|| language.as_deref().map(is_rtl))
            .or(self.configured.rtl);
        Context {
            skin: asked.skin.clone().or(self.configured.skin.clone()),
            language,
            rtl,
        }
    }

    /// rldev.toml's context.
    pub fn configured(&self) -> &Context {
        &self.configured
    }

    /// Whether `asked` is another context than the daemon's.
    pub fn is_other(&self, asked: &Context) -> bool {
        self.complete(asked) != self.configured
    }

    /// A snapshot holding the requested modules built in `context`, for the
    /// `/load` answer (names the project does not have are left out: the
    /// answer says `missing`). Err: the project cannot be loaded.
    pub fn snapshot(&self, asked: &Context, names: &[String]) -> Result<Snapshot, String> {
        let context = self.complete(asked);
        let source = DiskSource::new(&self.located.root);
        let project = Project::load_in(
            &self.located.inputs,
            self.located.core.as_deref(),
            &context,
            &source,
        )
        .map_err(|e| e.to_string())?;
        let mut modules = IndexMap::new();
        let mut outputs = HashMap::new();
        for name in names {
            let Some(def) = project.modules.iter().find(|d| &d.name == name) else {
                continue;
            };
            let kept = self.built(&context, def);
            modules.insert(name.clone(), kept.entry.clone());
            outputs.insert(name.clone(), vec![kept.rendered.clone()]);
        }
        Ok(Snapshot {
            ready: true,
            registry: Arc::new(Registry { seq: 0, modules }),
            outputs: Arc::new(outputs),
            ..Snapshot::default()
        })
    }

    /// The module's build in `context`: the kept one while it is still
    /// exact, else a new one.
    fn built(&self, context: &Context, def: &ModuleDef) -> Arc<Kept> {
        let key = (context.clone(), def.name.clone());
        if let Some(kept) = self.builds.lock().expect("builds lock").get(&key)
            && kept.def == *def
            && self.unchanged(&kept.built)
        {
            return kept.clone();
        }
        let built = {
            let mut compiler = self.compiler.lock().expect("compiler lock");
            build(def, &self.store, compiler.as_mut())
        };
        let kept = Arc::new(kept(def, built));
        // A compiler failure is no result to keep.
        if kept.built.transient.is_none() {
            self.builds
                .lock()
                .expect("builds lock")
                .insert(key, kept.clone());
        }
        kept
    }

    /// Whether every path the build read still has the content it read.
    fn unchanged(&self, built: &Built) -> bool {
        built.reads.iter().all(|(path, hash)| {
            self.store
                .peek(path)
                .is_some_and(|e| e.hash() == hash.as_ref())
        })
    }
}

fn kept(def: &ModuleDef, built: Built) -> Kept {
    let error = built.transient.clone().or(built.error.clone());
    let lookups = built.reads.iter().map(|(p, h)| (p.as_str(), h.as_ref()));
    let entry = Entry::of(def, lookups, error);
    let version = entry.version.clone();
    let rendered = Arc::new(Rendered::new(&version, &built));
    Kept {
        def: def.clone(),
        built,
        entry,
        rendered,
    }
}
