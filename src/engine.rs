//! The engine: module definitions and build results -> the registry.

use crate::build::Built;
use crate::project::ModuleDef;
use crate::registry::{Entry, State};
use crate::version;

/// The registry entry of a built module.
pub fn entry(def: &ModuleDef, built: &Built) -> Entry {
    let version = version::module_version(
        def,
        built.reads.iter().map(|(p, h)| (p.as_str(), h.as_ref())),
    );
    Entry {
        version,
        dependencies: def.dependencies.clone(),
        group: def.group.clone(),
        state: if built.error.is_some() {
            State::Error
        } else {
            State::Ready
        },
        error: built.error.clone(),
        files: built
            .reads
            .iter()
            .filter(|(_, h)| h.is_some())
            .map(|(p, _)| p.clone())
            .collect(),
    }
}
