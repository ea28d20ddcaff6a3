//! The less.js process: restarted when it dies; no Node.js is a module error, never a crash.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rldev::compile::remap::FileLookup;
use rldev::less::node::NodeLess;
use rldev::less::{LessCompiler, LessJob, setup};

struct Files(BTreeMap<String, Arc<[u8]>>);

impl FileLookup for Files {
    fn lookup(&mut self, path: &str) -> Option<Arc<[u8]>> {
        self.0.get(path).cloned()
    }
}

fn compile(less: &mut NodeLess, files: &mut Files) -> String {
    let vars = BTreeMap::new();
    let job = LessJob {
        path: "a.less",
        source: "@import \"b.less\";\n.a { color: @c; }\n",
        import_paths: &[],
        prefixes: &[],
        vars: &vars,
    };
    less.compile(&job, files).expect("compiles")
}

#[test]
fn a_dead_process_is_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let mut less = NodeLess::new(setup::locate().unwrap(), dir.path().to_path_buf(), None);
    let mut files = Files(BTreeMap::from([(
        "b.less".to_string(),
        Arc::from(&b"@c: red;"[..]),
    )]));
    let first = compile(&mut less, &mut files);
    assert!(first.contains("color: red"), "{first}");
    let pid = less.process_id().expect("running");
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(compile(&mut less, &mut files), first);
    assert_ne!(less.process_id(), Some(pid), "a new process");
}

#[test]
fn without_node_less_modules_are_errors_and_the_rest_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "extension.json",
        r#"{"ResourceModules": {"a": {"styles": ["a.less"]}, "b": {"scripts": ["b.js"], "styles": ["b.css"]}}}"#,
    );
    common::write(root, "a.less", ".a { color: red; }\n");
    common::write(root, "b.js", "var b;\n");
    common::write(root, "b.css", ".b { color: red; }\n");
    let out = Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["hashes", "--json", "extension.json"])
        .current_dir(root)
        .env_remove("RLDEV_NODE")
        .env("PATH", Path::new("/nonexistent"))
        .env("RLDEV_COMPILE_CACHE", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["modules"]["b"]["state"], "ready");
    assert_eq!(v["modules"]["a"]["state"], "error");
    let err = v["modules"]["a"]["error"].as_str().unwrap();
    assert!(
        err.starts_with("a.less: ") && err.contains("install Node.js"),
        "{err}"
    );
}

#[test]
fn hashes_stops_at_a_compiler_that_keeps_failing() {
    // A `node` that dies at once, and notes each start: `hashes` gives up
    // after the first module's retries instead of retrying every module.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let modules: Vec<String> = (0..40)
        .map(|i| format!(r#""m{i}": {{"styles": ["m{i}.less"]}}"#))
        .collect();
    common::write(
        root,
        "extension.json",
        &format!(r#"{{"ResourceModules": {{{}}}}}"#, modules.join(",")),
    );
    for i in 0..40 {
        common::write(root, &format!("m{i}.less"), ".m { color: red; }\n");
    }
    let starts = root.join("starts.log");
    let node = root.join("node");
    common::write(
        root,
        "node",
        &format!("#!/bin/sh\necho start >> '{}'\nexit 3\n", starts.display()),
    );
    std::fs::set_permissions(&node, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["hashes", "--json", "extension.json"])
        .current_dir(root)
        .env("RLDEV_NODE", &node)
        .env("RLDEV_COMPILE_CACHE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the Less compiler keeps failing"),
        "{stderr}"
    );
    let started = std::fs::read_to_string(&starts).unwrap().lines().count();
    // The first module's tries on each compiler (3 here); with every module
    // tried, 22 (a start that failed is not repeated for a while).
    assert!(started <= 10, "{started} starts");
}
