//! Shared by the integration tests: case files (a tree plus steps) and temp trees.

#![allow(dead_code)]

pub mod browser;
pub mod mw;
pub mod serve;
pub mod ws;

use std::path::{Path, PathBuf};

/// A case file: an initial tree (`-- path --` sections), then steps (`>>> command`).
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub files: Vec<(String, String)>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// The command line after `>>> `, split on spaces (quotes keep spaces).
    pub words: Vec<String>,
    /// The text below the command, up to the next `>>>` (for `write`).
    pub body: String,
}

impl Case {
    pub fn parse(name: &str, text: &str) -> Case {
        let mut files: Vec<(String, String)> = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut body: Option<&mut String> = None;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim_end_matches('\n');
            if let Some(path) = trimmed
                .strip_prefix("-- ")
                .and_then(|l| l.strip_suffix(" --"))
            {
                files.push((path.to_string(), String::new()));
                body = Some(&mut files.last_mut().unwrap().1);
            } else if let Some(cmd) = trimmed.strip_prefix(">>> ") {
                steps.push(Step {
                    words: split_words(cmd),
                    body: String::new(),
                });
                body = Some(&mut steps.last_mut().unwrap().body);
            } else if let Some(b) = body.as_mut() {
                b.push_str(line);
            }
        }
        Case {
            name: name.to_string(),
            files,
            steps,
        }
    }

    pub fn write_tree(&self, root: &Path) {
        for (path, content) in &self.files {
            write(root, path, content);
        }
    }
}

fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn write(root: &Path, path: &str, content: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Every case file in `tests/cases/<dir>`, sorted.
pub fn cases(dir: &str) -> Vec<Case> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("{}: {e}", base.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            Case::parse(&name, &std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

/// Copies a folder recursively (for running the sample in a temp folder).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `rldev hashes --json` from scratch on `root` (the real binary): module -> version.
/// `cache` is the folder for rldev's caches; `None` keeps the default.
pub fn hashes_versions(
    root: &Path,
    cache: Option<&Path>,
) -> std::collections::BTreeMap<String, String> {
    hashes_json(root, cache, true)["modules"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, m)| (k.clone(), m["version"].as_str().unwrap().to_string()))
        .collect()
}

/// What the registry says of a module: version, state and error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub version: String,
    pub state: String,
    pub error: Option<String>,
}

/// `rldev hashes --json` from scratch: module -> version, state and error.
/// `compile_cache: false` compiles every stylesheet anew.
pub fn hashes_registry(
    root: &Path,
    cache: Option<&Path>,
    compile_cache: bool,
) -> std::collections::BTreeMap<String, Held> {
    hashes_json(root, cache, compile_cache)["modules"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, m)| {
            let held = Held {
                version: m["version"].as_str().unwrap().to_string(),
                state: m["state"].as_str().unwrap().to_string(),
                error: m["error"].as_str().map(str::to_string),
            };
            (k.clone(), held)
        })
        .collect()
}

fn hashes_json(root: &Path, cache: Option<&Path>, compile_cache: bool) -> serde_json::Value {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rldev"));
    cmd.args(["hashes", "--json", "extension.json"])
        .current_dir(root);
    if let Some(c) = cache {
        cmd.env("RLDEV_CACHE_DIR", c);
    }
    if !compile_cache {
        cmd.env("RLDEV_COMPILE_CACHE", "0");
    }
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}
