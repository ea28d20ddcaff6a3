//! Compiles kept across runs, valid only while every path they looked up is unchanged.
//!
//! A less.js compile is a function of its job and of the answers to the file
//! look-ups it made. An entry records those answers (path -> content hash, or
//! absent); replaying it is exact when every recorded path still answers the
//! same, because the compile would then make the same look-ups and produce the
//! same result. This is how MediaWiki keeps its Less compile cache too.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::{LessError, LessJob};
use crate::version::BUILD_FORMAT;

/// One finished compile and the look-ups it made, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedCompile {
    /// Path -> hex SHA-1 of the content, `None` where the path was absent.
    pub reads: Vec<(String, Option<String>)>,
    pub result: Result<String, LessError>,
}

pub trait CompileCache: Send + Sync {
    /// The key of a job: everything that can change its result but the files it reads.
    fn key(&self, job: &LessJob) -> String;
    fn get(&self, key: &str) -> Option<CachedCompile>;
    fn put(&self, key: &str, entry: &CachedCompile);
}

/// The key of a job for a compiler: everything the job hands to less.js, the
/// compiler's fingerprint (see `setup::LessSetup::fingerprint`: the server
/// script, the installed packages, the settings it reads), and the build
/// format. A change to any of them makes every key new, so an entry made by
/// another compiler is never replayed.
pub fn job_key(compiler: &str, job: &LessJob) -> String {
    let mut h = Sha1::new();
    let text = serde_json::json!({
        "format": BUILD_FORMAT,
        "compiler": compiler,
        "path": job.path,
        "source": job.source,
        "import_paths": job.import_paths,
        "prefixes": job.prefixes,
        "vars": job.vars,
    });
    h.update(text.to_string().as_bytes());
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Entries as files under a folder per project root (absolute paths can
/// appear in less.js's messages, so a tree in another folder has its own).
pub struct DiskCache {
    dir: PathBuf,
    compiler: String,
}

impl DiskCache {
    /// `compiler`: the fingerprint of the compiler whose results it keeps.
    pub fn new(cache_dir: &Path, root: &Path, compiler: &str) -> DiskCache {
        let root_key = hex(&Sha1::digest(root.to_string_lossy().as_bytes()));
        DiskCache {
            dir: cache_dir.join("compiled").join(&root_key[..12]),
            compiler: compiler.to_string(),
        }
    }

    fn file(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }
}

impl CompileCache for DiskCache {
    fn key(&self, job: &LessJob) -> String {
        job_key(&self.compiler, job)
    }

    fn get(&self, key: &str) -> Option<CachedCompile> {
        let bytes = std::fs::read(self.file(key)).ok()?;
        // A damaged entry is a miss, never an error.
        serde_json::from_slice(&bytes).ok()
    }

    fn put(&self, key: &str, entry: &CachedCompile) {
        let target = self.file(key);
        let tmp = self.dir.join(format!(
            ".{key}.{}.{:?}.tmp",
            std::process::id(),
            std::thread::current().id()
        ));
        let written = std::fs::create_dir_all(&self.dir)
            .and_then(|_| std::fs::write(&tmp, serde_json::to_vec(entry).expect("json")))
            .and_then(|_| std::fs::rename(&tmp, &target));
        if let Err(e) = written {
            tracing::debug!("cannot keep a compile in {}: {e}", self.dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn every_input_of_a_compile_is_in_its_key() {
        let vars = BTreeMap::from([("a".to_string(), "1".to_string())]);
        let paths = ["lib".to_string()];
        let prefixes = [("p/".to_string(), "lib".to_string())];
        let job = LessJob {
            path: "a.less",
            source: ".a{}",
            import_paths: &paths,
            prefixes: &prefixes,
            vars: &vars,
        };
        let base = job_key("compiler-1", &job);
        assert_ne!(job_key("compiler-2", &job), base, "another compiler");
        let other_vars = BTreeMap::new();
        let variants = [
            LessJob {
                path: "b.less",
                ..job
            },
            LessJob {
                source: ".b{}",
                ..job
            },
            LessJob {
                import_paths: &[],
                ..job
            },
            LessJob {
                prefixes: &[],
                ..job
            },
            LessJob {
                vars: &other_vars,
                ..job
            },
        ];
        for v in &variants {
            assert_ne!(job_key("compiler-1", v), base);
        }
    }
}
