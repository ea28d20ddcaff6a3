//! `rldev watch --json` on a real tree: no diff for a touch or an identical
//! save; a 500-file burst settles into one diff (or a few) that leave the
//! registry equal to `rldev hashes`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const N: usize = 500;

fn tree(root: &Path) {
    let mut modules = serde_json::Map::new();
    for i in 0..N {
        modules.insert(
            format!("m{i}"),
            serde_json::json!({"scripts": [format!("m{i}.js")]}),
        );
        common::write(root, &format!("m{i}.js"), &format!("var m{i} = 0;\n"));
    }
    common::write(
        root,
        "extension.json",
        &serde_json::json!({"ResourceModules": modules}).to_string(),
    );
}

/// The watch process, killed when the test ends, passing or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lines(root: &Path) -> (Killed, Receiver<serde_json::Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["watch", "--json", "extension.json"])
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    (Killed(child), rx)
}

fn hashes(root: &Path) -> BTreeMap<String, String> {
    common::hashes_versions(root, None)
}

#[test]
fn touch_and_identical_save_give_no_diff_and_a_burst_settles_into_few_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tree(root);
    let mut registry = hashes(root);
    let (_child, rx) = lines(root);
    let ready = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(ready["event"], "ready");
    assert_eq!(ready["modules"], N);

    // Touch, identical save, atomic identical save: nothing.
    let f = std::fs::File::options()
        .append(true)
        .open(root.join("m1.js"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    common::write(root, "m2.js", "var m2 = 0;\n");
    common::write(root, "m3.tmp", "var m3 = 0;\n");
    std::fs::rename(root.join("m3.tmp"), root.join("m3.js")).unwrap();
    assert!(
        rx.recv_timeout(Duration::from_millis(800)).is_err(),
        "a diff for unchanged content"
    );

    // A burst over every module (a checkout rewriting 500 files).
    for i in 0..N {
        common::write(root, &format!("m{i}.js"), &format!("var m{i} = 1;\n"));
    }
    let mut diffs = 0;
    while let Ok(d) = rx.recv_timeout(Duration::from_millis(1500)) {
        assert_eq!(d["event"], "diff");
        diffs += 1;
        for (m, c) in d["changed"].as_object().unwrap() {
            assert_eq!(registry.get(m).map(String::as_str), c["from"].as_str());
            registry.insert(m.clone(), c["to"].as_str().unwrap().to_string());
        }
    }
    assert!((1..=3).contains(&diffs), "{diffs} diffs for one burst");
    assert_eq!(
        registry,
        hashes(root),
        "the burst left the registry consistent"
    );
}

#[test]
fn a_root_deleted_and_recreated_is_watched_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    common::write(
        &root,
        "extension.json",
        r#"{"ResourceModules": {"a": {"scripts": ["a.js"]}}}"#,
    );
    common::write(&root, "a.js", "var a = 0;\n");
    let mut registry = hashes(&root);
    let (_child, rx) = lines(&root);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(60)).unwrap()["event"],
        "ready"
    );
    // Delete the whole tree, then write it again, changed.
    std::fs::remove_dir_all(&root).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    common::write(
        &root,
        "extension.json",
        r#"{"ResourceModules": {"a": {"scripts": ["a.js"]}}}"#,
    );
    common::write(&root, "a.js", "var a = 1;\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while registry != hashes(&root) && std::time::Instant::now() < deadline {
        if let Ok(d) = rx.recv_timeout(Duration::from_millis(500)) {
            for (m, c) in d["changed"].as_object().unwrap() {
                registry.insert(m.clone(), c["to"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(registry, hashes(&root));
    // And it is still watched: a later edit reaches the registry.
    common::write(&root, "a.js", "var a = 2;\n");
    let want = hashes(&root)["a"].clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let d = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("a diff after the root came back");
        if d["changed"]["a"]["to"] == want.as_str() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no diff to {want}; last {d}"
        );
    }
}

#[test]
fn a_symlinked_folder_inside_the_root_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (root, outside) = (dir.path().join("root"), dir.path().join("outside"));
    common::write(&outside, "s.js", "var s = 0;\n");
    common::write(
        &root,
        "extension.json",
        r#"{"ResourceModules": {"s": {"scripts": ["linked/s.js"]}}}"#,
    );
    std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
    let (_child, rx) = lines(&root);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(60)).unwrap()["event"],
        "ready"
    );
    common::write(&outside, "s.js", "var s = 1;\n");
    let d = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("a diff through the symlink");
    assert_eq!(
        d["changed"]["s"]["causes"],
        serde_json::json!(["linked/s.js"])
    );
    assert_eq!(d["changed"]["s"]["to"], hashes(&root)["s"].as_str());
}

#[test]
fn a_root_replaced_by_a_copy_at_once_is_watched_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let gone = dir.path().join("gone");
    let mut modules = serde_json::Map::new();
    for i in 0..20 {
        modules.insert(
            format!("m{i}"),
            serde_json::json!({"scripts": [format!("lib/m{i}.js")]}),
        );
        common::write(&root, &format!("lib/m{i}.js"), "var m = 0;\n");
    }
    common::write(
        &root,
        "extension.json",
        &serde_json::json!({"ResourceModules": modules}).to_string(),
    );
    let (_child, rx) = lines(&root);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(60)).unwrap()["event"],
        "ready"
    );
    for k in 1..=8u64 {
        // Moved out of sight, a copy in its place k ms later (while the
        // daemon may be looking), then an edit in the copy.
        std::fs::rename(&root, &gone).unwrap();
        std::thread::sleep(Duration::from_millis(k));
        let copied = Command::new("cp").arg("-a").arg(&gone).arg(&root).status();
        assert!(copied.unwrap().success());
        std::fs::remove_dir_all(&gone).unwrap();
        common::write(&root, "lib/m0.js", &format!("var m = {k};\n"));
        let want = hashes(&root)["m0"].clone();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let d = rx
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("round {k}: no diff after the root was replaced"));
            if d["changed"]["m0"]["to"] == want.as_str() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {k}: no diff to {want}; last {d}"
            );
        }
    }
}

/// `watch` for people, run from the folder above the project: paths as seen
/// from there, one line for many modules with the same cause and one for the
/// same error, a time and the counts on each batch, modules in error
/// counted on the `ready` line.
#[test]
fn terminal_lines_group_shared_causes_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    let mut modules = serde_json::Map::new();
    for i in 0..5 {
        modules.insert(
            format!("ext.m{i}"),
            serde_json::json!({"styles": [format!("m{i}.less")]}),
        );
        common::write(
            &root,
            &format!("m{i}.less"),
            &format!("@import 'vars.less';\n.m{i} {{ color: @c; }}\n"),
        );
    }
    modules.insert("ext.js".into(), serde_json::json!({"scripts": ["bad.js"]}));
    common::write(&root, "bad.js", "var = ;\n");
    common::write(&root, "vars.less", "@c: red;\n");
    common::write(
        &root,
        "extension.json",
        &serde_json::json!({"ResourceModules": modules}).to_string(),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["watch", "proj/extension.json"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let _guard = Killed(child);
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |what: &dyn Fn(&str) -> bool, seen: &mut Vec<String>| {
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) {
            seen.push(line.clone());
            if what(&line) {
                return;
            }
        }
        panic!("no such line in:\n{}", seen.join("\n"));
    };
    let mut seen = Vec::new();
    wait_for(
        &|l| l.starts_with("ready: 6 modules (1 in error) in "),
        &mut seen,
    );
    assert!(
        seen.iter().any(
            |l| l == "error ext.js: proj/bad.js:1:5: JavaScript syntax error: Unexpected token"
        ),
        "{seen:?}"
    );
    common::write(&root, "vars.less", "@c: blue;\n");
    let mut seen = Vec::new();
    wait_for(&|l| l.contains(" 1 file, 5 modules, "), &mut seen);
    assert!(
        seen.iter()
            .any(|l| l.starts_with("proj/vars.less via proj/m0.less")
                || l == "proj/vars.less → 5 modules (ext.m0, ext.m1, ext.m2, …)"),
        "{seen:?}"
    );
    let time = seen.last().unwrap().split(' ').next().unwrap().to_string();
    assert!(
        time.len() == 8 && time.chars().filter(|c| *c == ':').count() == 2,
        "a time of day first: {seen:?}"
    );
    common::write(&root, "vars.less", "@c: (;\n");
    let mut seen = Vec::new();
    wait_for(
        &|l| l.starts_with("  in 5 modules: ext.m0, ext.m1, ext.m2, …"),
        &mut seen,
    );
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("error ")).count(),
        1,
        "one error line for the shared file: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("error proj/vars.less:1:")),
        "{seen:?}"
    );
}
