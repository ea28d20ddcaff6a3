//! Runs every `tests/cases/hashes/*.case`: a tree, then edits, each followed by
//! a from-scratch registry that must change exactly as the case says. Every
//! case also runs in a second folder, which must give identical versions.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Case, Step};
use rldev::commands::compute_registry;
use rldev::disk::locate;
use rldev::registry::{Registry, State};

/// The registry from scratch, computed twice: through the compile cache (kept
/// beside the tree, so later steps replay earlier compiles) and without it.
/// Both must be identical, whatever the cache held.
fn registry(root: &Path) -> Registry {
    let located = locate(&[root.to_path_buf()]).expect("locate");
    let cache = root.parent().unwrap().join("compile-cache");
    let compute = |dir: Option<&Path>| match compute_registry(&located, dir) {
        Ok(r) => r,
        Err(e) => panic!("registry: {}", e.0),
    };
    let cached = compute(Some(&cache));
    assert_eq!(
        cached,
        compute(None),
        "the compile cache changed the registry"
    );
    cached
}

fn versions(r: &Registry) -> BTreeMap<String, String> {
    r.modules
        .iter()
        .map(|(k, v)| (k.clone(), v.version.clone()))
        .collect()
}

fn run(case: &Case) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    case.write_tree(&root);
    let mut current = registry(&root);

    // The same tree elsewhere gives the same versions.
    let elsewhere = tempfile::tempdir().unwrap();
    let other = elsewhere.path().join("somewhere/else");
    case.write_tree(&other);
    assert_eq!(
        versions(&registry(&other)),
        versions(&current),
        "{}: versions depend on the folder",
        case.name
    );

    let mut marks: BTreeMap<String, Registry> = BTreeMap::new();
    let mut previous = current.clone();
    for (i, step) in case.steps.iter().enumerate() {
        let at = format!("{} step {} ({})", case.name, i + 1, step.words.join(" "));
        apply(&root, step, &mut current, &mut previous, &mut marks, &at);
    }
}

fn apply(
    root: &Path,
    step: &Step,
    current: &mut Registry,
    previous: &mut Registry,
    marks: &mut BTreeMap<String, Registry>,
    at: &str,
) {
    let w: Vec<&str> = step.words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["write", path] => common::write(root, path, &step.body),
        ["delete", path] => std::fs::remove_file(root.join(path)).unwrap(),
        ["rename", from, to] => std::fs::rename(root.join(from), root.join(to)).unwrap(),
        ["touch", path] => {
            let f = std::fs::File::options()
                .append(true)
                .open(root.join(path))
                .unwrap();
            f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
                .unwrap();
        }
        ["mark", label] => {
            marks.insert(label.to_string(), current.clone());
            return;
        }
        ["expect", "changed", names @ ..] => {
            let before = versions(previous);
            let after = versions(current);
            let changed: Vec<&str> = after
                .iter()
                .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
                .map(|(k, _)| k.as_str())
                .collect();
            let mut want: Vec<&str> = names.to_vec();
            want.sort();
            assert_eq!(changed, want, "{at}: changed modules");
            *previous = current.clone();
            return;
        }
        ["expect", "same-as", label] => {
            assert_eq!(versions(current), versions(&marks[*label]), "{at}");
            return;
        }
        ["expect", "state", name, state, rest @ ..] => {
            let m = current
                .modules
                .get(*name)
                .unwrap_or_else(|| panic!("{at}: no module {name}"));
            let want = if *state == "ready" {
                State::Ready
            } else {
                State::Error
            };
            assert_eq!(
                m.state, want,
                "{at}: state of {name} (error: {:?})",
                m.error
            );
            for needle in rest {
                let err = m.error.as_deref().unwrap_or("");
                assert!(err.contains(needle), "{at}: error {err:?} lacks {needle:?}");
            }
            return;
        }
        ["expect", "files", name, files @ ..] => {
            let m = current
                .modules
                .get(*name)
                .unwrap_or_else(|| panic!("{at}: no module {name}"));
            assert_eq!(m.files, files.to_vec(), "{at}: files of {name}");
            return;
        }
        ["expect", "modules", names @ ..] => {
            let have: Vec<&str> = current.modules.keys().map(String::as_str).collect();
            assert_eq!(have, names.to_vec(), "{at}: modules");
            return;
        }
        _ => panic!("{at}: unknown step"),
    }
    // An edit: recompute from scratch. `expect changed` compares with the
    // registry at the previous `expect changed` (or the start).
    *current = registry(root);
}

#[test]
fn hashes_cases() {
    let cases = common::cases("hashes");
    assert!(cases.len() >= 5, "the case files are missing");
    for case in &cases {
        run(case);
    }
}
