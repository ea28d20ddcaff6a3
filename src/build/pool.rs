//! Builds many modules on as many threads as there are Less compilers.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Built, build};
use crate::files::FileStore;
use crate::less::LessCompiler;
use crate::project::ModuleDef;

/// Builds every module, each thread with its own compiler; results in `defs` order.
pub fn build_all(
    defs: &[&ModuleDef],
    store: &FileStore,
    compilers: &mut [Box<dyn LessCompiler>],
) -> Vec<Built> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Built>>> = Mutex::new(vec![None; defs.len()]);
    std::thread::scope(|scope| {
        for compiler in compilers.iter_mut() {
            let (next, results) = (&next, &results);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(def) = defs.get(i) else { break };
                    let built = build(def, store, compiler.as_mut());
                    results.lock().expect("results lock")[i] = Some(built);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|b| b.expect("every module was built"))
        .collect()
}
