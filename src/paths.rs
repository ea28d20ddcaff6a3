//! Project-relative paths: always `/`-separated, normalised, never absolute.
//!
//! Everything the core hashes, stores or prints names a file by its path
//! relative to the project root. A path outside the root keeps its leading
//! `../` segments, so the same tree in another folder gives the same strings.

use std::path::{Component, Path, PathBuf};

/// Joins `rel` onto the directory `dir` (both project-relative) and
/// normalises the result: `.` segments vanish, `..` pops a segment where it
/// can. `dir` may be `""` for the project root.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return normalize(rel.trim_start_matches('/'));
    }
    if dir.is_empty() {
        normalize(rel)
    } else {
        normalize(&format!("{dir}/{rel}"))
    }
}

/// Normalises a relative `/`-separated path (backslashes count as `/`).
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(last) if *last != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

/// The directory part of a relative path (`""` for a file at the root).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Whether `path` is `dir` or lies below it (every path lies below the root, `""`).
pub fn is_at_or_below(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Turns an absolute filesystem path into a project-relative one.
pub fn relative_to(root: &Path, abs: &Path) -> String {
    let root: Vec<Component> = root.components().collect();
    let abs: Vec<Component> = abs.components().collect();
    let common = root.iter().zip(&abs).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); root.len() - common];
    parts.extend(
        abs[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    normalize(&parts.join("/"))
}

/// Turns a project-relative path back into an absolute one under `root`.
pub fn absolute(root: &Path, rel: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                p.pop();
            }
            s => p.push(s),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(join("a/b", "../c.svg"), "a/c.svg");
        assert_eq!(join("", "./x/./y.less"), "x/y.less");
        assert_eq!(join("a", "../../z"), "../z");
        assert_eq!(join("a", "/root.png"), "root.png");
        assert_eq!(parent("a/b/c.less"), "a/b");
        assert_eq!(parent("c.less"), "");
        assert!(is_at_or_below("a/b.json", "a"));
        assert!(is_at_or_below("a", "a"));
        assert!(is_at_or_below("a", ""));
        assert!(!is_at_or_below("ab/c", "a"));
    }

    #[test]
    fn relative_and_back() {
        let root = Path::new("/w/proj");
        assert_eq!(relative_to(root, Path::new("/w/proj/a/b.js")), "a/b.js");
        assert_eq!(
            relative_to(root, Path::new("/w/core/x.less")),
            "../core/x.less"
        );
        assert_eq!(
            absolute(root, "../core/x.less"),
            PathBuf::from("/w/core/x.less")
        );
    }
}
