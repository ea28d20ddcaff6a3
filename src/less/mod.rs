//! Less compilation behind a trait; the real compiler is less.js in a Node process.

pub mod cache;
pub mod node;
pub mod setup;

use std::collections::BTreeMap;
use std::fmt;

use crate::compile::remap::FileLookup;

/// One stylesheet to compile. Paths are project-relative.
pub struct LessJob<'a> {
    pub path: &'a str,
    pub source: &'a str,
    /// Searched after the importing file's folder.
    pub import_paths: &'a [String],
    /// Import prefix -> folder.
    pub prefixes: &'a [(String, String)],
    /// Given to less.js as `modifyVars`.
    pub vars: &'a BTreeMap<String, String>,
}

/// A compile error, at the place less.js reported it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LessError {
    /// Project-relative file, when known.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    /// Not the stylesheet's fault (no Node.js, the process died): never cached.
    #[serde(default)]
    pub internal: bool,
    /// The compiler itself failed (its process died or broke the protocol):
    /// the compile is no result at all, and may succeed when tried again.
    #[serde(default)]
    pub transient: bool,
}

impl fmt::Display for LessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(col) = self.column {
                    write!(f, ":{col}")?;
                }
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Compiles Less. Every file the compiler reads, it reads through `files`,
/// so the bytes compiled are the bytes hashed and every lookup is recorded.
pub trait LessCompiler: Send {
    fn compile(&mut self, job: &LessJob, files: &mut dyn FileLookup) -> Result<String, LessError>;

    /// CSS made right-to-left (CSSJanus, as ResourceLoader flips the styles
    /// of an rtl language); `path` names the stylesheet in errors.
    fn flip(&mut self, css: &str, path: &str) -> Result<String, LessError> {
        let _ = css;
        Err(LessError {
            file: Some(path.to_string()),
            line: None,
            column: None,
            message: "this compiler cannot make CSS right-to-left".into(),
            internal: true,
            transient: false,
        })
    }

    /// Nothing to compile for a while: release what can be restarted on demand.
    fn idle(&mut self) {}

    /// Where earlier compiles are kept, if anywhere.
    fn cache(&self) -> Option<&dyn cache::CompileCache> {
        None
    }
}

/// A compiler that always fails with one message (e.g. "Node.js not found"),
/// so modules with Less are `error` and the others still build.
pub struct Unavailable(pub String);

impl LessCompiler for Unavailable {
    fn compile(&mut self, job: &LessJob, _: &mut dyn FileLookup) -> Result<String, LessError> {
        Err(LessError {
            file: Some(job.path.to_string()),
            line: None,
            column: None,
            message: self.0.clone(),
            internal: true,
            transient: false,
        })
    }

    fn flip(&mut self, _: &str, path: &str) -> Result<String, LessError> {
        Err(LessError {
            file: Some(path.to_string()),
            line: None,
            column: None,
            message: self.0.clone(),
            internal: true,
            transient: false,
        })
    }
}
