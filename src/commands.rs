//! What each command does, on top of the library; `main` maps the result to an exit code.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::compile::pool::build_all;
use crate::disk::{DiskSource, Located};
use crate::engine::{BuildFacts, Engine};
use crate::files::FileStore;
use crate::less::cache::{CompileCache, DiskCache};
use crate::less::node::NodeLess;
use crate::less::{LessCompiler, Unavailable, setup};
use crate::project::{ModuleDef, ModuleKind, PackageKind, Project};
use crate::registry::{Registry, State};
use crate::report;
use std::sync::Arc;

/// Exit codes scripts can rely on.
pub const EXIT_OK: i32 = 0;
pub const EXIT_MODULE_ERROR: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// A failure that stops the command before any module is built.
pub struct Fatal(pub String);

/// The compile cache folder: `RLDEV_COMPILE_CACHE=0` turns it off (for cold benchmarks).
pub fn compile_cache_dir() -> Option<PathBuf> {
    match std::env::var("RLDEV_COMPILE_CACHE").as_deref() {
        Ok("0") => None,
        _ => Some(setup::cache_dir()),
    }
}

/// Loads the project and builds every module once: the registry from scratch.
/// With a cache folder, compiles whose inputs are unchanged are replayed from it.
pub fn compute_registry(located: &Located, cache_dir: Option<&Path>) -> Result<Registry, Fatal> {
    let source = DiskSource::new(&located.root);
    let project = Project::load_with_core(&located.inputs, located.core.as_deref(), &source)
        .map_err(|e| Fatal(e.to_string()))?;
    check_less_setup(&project)?;
    registry_of(located, &project, source, cache_dir)
}

/// The registry of a loaded project, every module built once.
fn registry_of(
    located: &Located,
    project: &Project,
    source: DiskSource,
    cache_dir: Option<&Path>,
) -> Result<Registry, Fatal> {
    let store = FileStore::new(Box::new(source));
    let mut compilers = less_compilers(&located.root, count_less(project), cache_dir);
    // The engine from scratch: every module built once, against one content store.
    let (mut engine, requests) = Engine::new(project.modules.clone());
    let (requests, defs): (Vec<_>, Vec<ModuleDef>) = requests
        .into_iter()
        .filter_map(|r| engine.definition(&r.module).cloned().map(|d| (r, d)))
        .unzip();
    let defs: Vec<&ModuleDef> = defs.iter().collect();
    // Each result is taken as it comes, while the other modules build.
    let mut failure = None;
    build_all(&defs, &store, &mut compilers, |i, b| {
        // A compiler that fails beyond its retries is no module's result.
        // (There is no use building the rest: stop at once.)
        if let Some(why) = &b.transient {
            failure = Some(why.clone());
            return ControlFlow::Break(());
        }
        let request = &requests[i];
        engine.built(&request.module, request.generation, BuildFacts::from(b));
        ControlFlow::Continue(())
    });
    if let Some(why) = failure {
        return Err(Fatal(format!("the Less compiler keeps failing: {why}")));
    }
    debug_assert!(engine.settled());
    Ok(engine.registry().clone())
}

/// Modules whose styles need the Node process: Less stylesheets, `.vue`
/// files (their `<style>` may be Less), and any styles to flip right to left.
pub fn count_less(project: &Project) -> usize {
    project
        .modules
        .iter()
        .filter(|m| match &m.kind {
            ModuleKind::File(f) => {
                let vue = f
                    .package_files
                    .iter()
                    .flatten()
                    .any(|p| p.kind == PackageKind::Vue);
                vue || f.styles.iter().any(|s| s.path.ends_with(".less"))
                    || (f.flip && !f.styles.is_empty())
            }
            ModuleKind::Image(_) | ModuleKind::Unsupported(_) => false,
        })
        .count()
}

/// A failed install of less.js (no network, an npm error) is a setup
/// error (exit 2), said with npm's own message. Without Node.js at all, the
/// modules that need it are in `error` saying so, and the others build.
pub fn check_less_setup(project: &Project) -> Result<(), Fatal> {
    if count_less(project) == 0 || setup::find_node().is_none() {
        return Ok(());
    }
    setup::locate().map(|_| ()).map_err(Fatal)
}

/// One compiler per core (at least one), each its own less.js process,
/// started on first use, sharing the compile cache in `cache_dir` (if any);
/// where less.js cannot be had, a compiler that says why.
pub fn less_compilers(
    root: &Path,
    less_modules: usize,
    cache_dir: Option<&Path>,
) -> Vec<Box<dyn LessCompiler>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n = cores.min(less_modules.max(1));
    if less_modules == 0 {
        return vec![Box::new(Unavailable("no Less here".into()))];
    }
    match setup::locate() {
        Ok(s) => {
            let cache = cache_dir.map(|d| {
                Arc::new(DiskCache::new(d, root, &s.fingerprint)) as Arc<dyn CompileCache>
            });
            (0..n)
                .map(|_| {
                    let c = NodeLess::new(s.clone(), root.to_path_buf(), cache.clone());
                    Box::new(c) as Box<dyn LessCompiler>
                })
                .collect()
        }
        Err(why) => {
            eprintln!("rldev: {why}");
            vec![Box::new(Unavailable(why))]
        }
    }
}

/// `rldev hashes`.
pub fn hashes(located: &Located, json: bool) -> Result<i32, Fatal> {
    let source = DiskSource::new(&located.root);
    let project = Project::load_with_core(&located.inputs, located.core.as_deref(), &source)
        .map_err(|e| Fatal(e.to_string()))?;
    check_less_setup(&project)?;
    let registry = registry_of(located, &project, source, compile_cache_dir().as_deref())?;
    let text = if json {
        report::registry_json_with(&registry, &project.warnings) + "\n"
    } else {
        let paths = report::Paths::from_cwd(&located.root);
        let mut text = report::registry_table(&registry, report::Style::detect(), &paths);
        let built = registry
            .modules
            .iter()
            .flat_map(|(m, e)| e.warnings.iter().map(move |w| format!("{m}: {w}")));
        for w in project.warnings.iter().cloned().chain(built) {
            text.push_str(&report::warning_line(&w, report::Style::detect()));
        }
        text
    };
    report::emit(&text).map_err(|e| Fatal(format!("cannot write to stdout: {e}")))?;
    let broken = registry.modules.values().any(|m| m.state == State::Error);
    Ok(if broken { EXIT_MODULE_ERROR } else { EXIT_OK })
}
