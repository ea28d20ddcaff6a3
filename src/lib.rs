//! rldev: a development daemon for ResourceLoader-style front-end modules.
//!
//! The map: `project` reads manifests into module definitions, `files` holds
//! file contents by hash, `build` turns a definition into output and the set
//! of files it read, `version` hashes that into a version, `registry` holds
//! the versions and their diffs. `less` speaks to the less.js process.

pub mod cli;
pub mod commands;
pub mod compile;
pub mod daemon;
pub mod disk;
pub mod engine;
pub mod files;
pub mod less;
pub mod paths;
pub mod project;
pub mod registry;
pub mod report;
pub mod server;
pub mod version;
pub mod watch;
