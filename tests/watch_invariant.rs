//! The central invariant, on the real filesystem with the real watcher:
//! whenever edits settle, the registry `rldev watch` holds equals `rldev
//! hashes` run from scratch on the same tree.
//!
//! A seeded, reproducible random sequence of edits: modifies, creates,
//! deletes, renames, atomic saves, 200-file bursts, `@import`s added and
//! removed, SVG edits, Less errors, touches and manifest edits. The watch
//! registry is rebuilt from its NDJSON output. `RLDEV_SOAK_ROUNDS` (default
//! 200) and `RLDEV_SOAK_SEED` choose the run; `scripts/soak` runs 5000.
//! A failure prints the seed and a shrunk sequence of edits that still fails
//! (edits removed one at a time while it keeps failing, for up to 3 minutes).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MODULES: usize = 6;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn manifest(modules: usize, extra_script: bool) -> String {
    let mut m = serde_json::Map::new();
    for i in 0..modules {
        let mut scripts = vec![format!("m{i}.js")];
        if extra_script && i == 0 {
            scripts.push("extra.js".into());
        }
        m.insert(
            format!("ext.s.m{i}"),
            serde_json::json!({"scripts": scripts, "styles": [format!("m{i}.less")]}),
        );
    }
    serde_json::json!({
        "ResourceFileModulePaths": {"localBasePath": "resources", "remoteExtPath": "S/resources"},
        "ResourceModules": m
    })
    .to_string()
}

fn less_module(i: usize, variant: usize) -> String {
    match variant % 4 {
        0 => format!("@import \"shared/theme.less\";\n.m{i} {{ color: @brand; .icon(); }}\n"),
        1 => format!(
            "@import \"shared/colors.less\";\n.m{i} {{ color: @brand; background: url(icons/i{}.svg); }}\n",
            i % 3
        ),
        2 => format!(".m{i} {{ color: red; }}\n"),
        _ => format!(".m{i} {{ color: @undefined-{i}; }}\n"),
    }
}

fn svg(n: u64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"#{:06x}\"/></svg>\n",
        n % 0xffffff
    )
}

fn write_tree(root: &Path) {
    common::write(root, "extension.json", &manifest(MODULES, false));
    for i in 0..MODULES {
        common::write(
            root,
            &format!("resources/m{i}.js"),
            &format!("var m{i} = 0;\n"),
        );
        common::write(root, &format!("resources/m{i}.less"), &less_module(i, i));
    }
    common::write(
        root,
        "resources/shared/theme.less",
        "@import \"colors.less\";\n@import \"mixins.less\";\n",
    );
    common::write(root, "resources/shared/colors.less", "@brand: #36c;\n");
    common::write(
        root,
        "resources/shared/mixins.less",
        ".icon() { background: url(icons/i0.svg); }\n",
    );
    for k in 0..3 {
        common::write(root, &format!("resources/icons/i{k}.svg"), &svg(k));
    }
}

/// One edit, as data, so that a failing sequence can be replayed and shrunk.
#[derive(Debug, Clone, Copy)]
struct Edit {
    kind: usize,
    i: usize,
    n: u64,
}

fn random_edit(rng: &mut Rng) -> Edit {
    let i = rng.below(MODULES);
    let n = rng.next();
    Edit {
        kind: rng.below(12),
        i,
        n,
    }
}

/// Applies an edit; returns what it did, for the failure report.
fn edit(root: &Path, e: Edit) -> String {
    let r = |p: &str| root.join(p);
    let Edit { kind, i, n } = e;
    match kind {
        0 => {
            let p = format!("resources/m{i}.js");
            common::write(root, &p, &format!("var m{i} = {};\n", n % 5));
            format!("modify {p}")
        }
        1 => {
            let p = format!("resources/m{i}.less");
            common::write(root, &p, &less_module(i, n as usize));
            format!("rewrite {p} (variant {})", n % 4)
        }
        2 => {
            let p = format!("resources/icons/i{}.svg", n % 3);
            common::write(root, &p, &svg(n % 7));
            format!("svg {p}")
        }
        3 => {
            let p = format!("resources/m{i}.js");
            let _ = std::fs::remove_file(r(&p));
            format!("delete {p}")
        }
        4 => {
            let p = format!("resources/icons/i{}.svg", n % 3);
            let _ = std::fs::remove_file(r(&p));
            format!("delete {p}")
        }
        5 => {
            // Atomic save: write a temporary file, rename it over the target.
            let p = format!("resources/m{i}.less");
            common::write(root, "resources/.m.less.tmp", &less_module(i, n as usize));
            std::fs::rename(r("resources/.m.less.tmp"), r(&p)).unwrap();
            format!("atomic save {p}")
        }
        6 => {
            // Rename away and back under another name.
            let p = format!("resources/m{i}.js");
            if r(&p).exists() {
                std::fs::rename(r(&p), r("resources/moved.js")).unwrap();
                format!("rename {p} -> resources/moved.js")
            } else if r("resources/moved.js").exists() {
                std::fs::rename(r("resources/moved.js"), r(&p)).unwrap();
                format!("rename resources/moved.js -> {p}")
            } else {
                common::write(root, &p, "var again;\n");
                format!("create {p}")
            }
        }
        7 => {
            // A burst of 200 writes over a few files, some identical.
            for k in 0..200u64 {
                let j = (k as usize + i) % MODULES;
                common::write(
                    root,
                    &format!("resources/m{j}.js"),
                    &format!("var m{j} = {};\n", (n + k) % 3),
                );
            }
            "burst of 200 writes".into()
        }
        8 => {
            let text = if n.is_multiple_of(2) {
                "@brand: #36c;\n"
            } else {
                "@brand: #000;\n@import \"extra-colors.less\";\n"
            };
            common::write(root, "resources/shared/colors.less", text);
            if n.is_multiple_of(3) {
                common::write(root, "resources/shared/extra-colors.less", "@extra: 1;\n");
            } else {
                let _ = std::fs::remove_file(r("resources/shared/extra-colors.less"));
            }
            format!("colors.less import edit ({})", n % 6)
        }
        9 => {
            let f = std::fs::File::options()
                .append(true)
                .open(r("resources/shared/colors.less"))
                .unwrap();
            f.set_modified(std::time::SystemTime::now()).unwrap();
            "touch colors.less".into()
        }
        10 => {
            let modules = MODULES - (n % 2) as usize;
            common::write(
                root,
                "extension.json",
                &manifest(modules, n.is_multiple_of(3)),
            );
            common::write(root, "resources/extra.js", "var extra;\n");
            format!(
                "manifest: {modules} modules, extra script {}",
                n.is_multiple_of(3)
            )
        }
        _ => {
            let text = if n.is_multiple_of(2) {
                ".icon() { background: url(icons/i0.svg); }\n"
            } else {
                ".icon() { background: url(icons/i1.svg); }\n"
            };
            common::write(root, "resources/shared/mixins.less", text);
            format!("mixins.less url edit ({})", n % 2)
        }
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rldev")
}

fn hashes(root: &Path, cache: &Path) -> BTreeMap<String, String> {
    common::hashes_versions(root, Some(cache))
}

struct Watch {
    child: Child,
    registry: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `rldev watch --json`, applying its diffs to `initial`.
fn watch(root: &Path, cache: &Path, initial: BTreeMap<String, String>) -> Watch {
    let mut child = Command::new(bin())
        .args(["watch", "--json", "extension.json"])
        .current_dir(root)
        .env("RLDEV_CACHE_DIR", cache)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let registry = Arc::new(Mutex::new(initial));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reg = registry.clone();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { return };
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let mut r = reg.lock().unwrap();
            match v["event"].as_str() {
                Some("ready") => {
                    let _ = ready_tx.send(());
                }
                Some("diff") => {
                    for (m, c) in v["changed"].as_object().unwrap() {
                        assert_eq!(
                            r.get(m).map(String::as_str),
                            c["from"].as_str(),
                            "diff `from` of {m}"
                        );
                        r.insert(m.clone(), c["to"].as_str().unwrap().to_string());
                    }
                    for (m, ver) in v["added"].as_object().unwrap() {
                        r.insert(m.clone(), ver.as_str().unwrap().to_string());
                    }
                    for m in v["removed"].as_array().unwrap() {
                        r.remove(m.as_str().unwrap());
                    }
                }
                _ => panic!("unexpected line {line}"),
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("watch became ready");
    Watch { child, registry }
}

/// The edits of each round, from the seed.
fn plan(seed: u64, rounds: usize) -> Vec<Vec<Edit>> {
    let mut rng = Rng(seed.max(1));
    (0..rounds)
        .map(|_| {
            (0..1 + rng.below(3))
                .map(|_| random_edit(&mut rng))
                .collect()
        })
        .collect()
}

/// A fresh tree and watch process; the rounds applied one by one, each followed
/// by the check. `Err((round, what differs))` at the first round that fails.
fn check(rounds: &[Vec<Edit>], patience: Duration) -> Result<(), (usize, String)> {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().join("tree");
    let cache = dir.path().join("cache");
    write_tree(&root);
    let initial = hashes(&root, &cache);
    let w = watch(&root, &cache, initial);
    for (round, edits) in rounds.iter().enumerate() {
        for e in edits {
            edit(&root, *e);
        }
        // Settled: the watch registry equals a from-scratch one (retrying while builds finish).
        let deadline = Instant::now() + patience;
        loop {
            std::thread::sleep(Duration::from_millis(120));
            let expected = hashes(&root, &cache);
            let have = w.registry.lock().unwrap().clone();
            if have == expected {
                break;
            }
            if Instant::now() > deadline {
                let diff: Vec<String> = expected
                    .iter()
                    .filter(|(k, v)| have.get(*k) != Some(*v))
                    .map(|(k, v)| format!("{k}: watch {:?}, hashes {v}", have.get(k)))
                    .chain(
                        have.keys()
                            .filter(|k| !expected.contains_key(*k))
                            .map(|k| format!("{k}: only in watch")),
                    )
                    .collect();
                return Err((round, diff.join("\n  ")));
            }
        }
    }
    Ok(())
}

/// Removes edits one at a time while the sequence still fails, within a time budget.
fn shrink(mut rounds: Vec<Vec<Edit>>, budget: Duration) -> Vec<Vec<Edit>> {
    let start = Instant::now();
    let mut r = rounds.len();
    while r > 0 && start.elapsed() < budget {
        r -= 1;
        let mut k = rounds[r].len();
        while k > 0 && start.elapsed() < budget {
            k -= 1;
            let mut candidate = rounds.clone();
            candidate[r].remove(k);
            candidate.retain(|edits| !edits.is_empty());
            if check(&candidate, Duration::from_secs(8)).is_err() {
                rounds = candidate;
                r = r.min(rounds.len());
                break;
            }
        }
    }
    rounds
}

fn describe(rounds: &[Vec<Edit>]) -> String {
    let scratch = tempfile::tempdir().unwrap();
    write_tree(scratch.path());
    let mut lines = Vec::new();
    for (round, edits) in rounds.iter().enumerate() {
        for e in edits {
            lines.push(format!("round {round}: {} {e:?}", edit(scratch.path(), *e)));
        }
    }
    lines.join("\n  ")
}

fn run(seed: u64, rounds: usize) {
    let planned = plan(seed, rounds);
    if let Err((round, diff)) = check(&planned, Duration::from_secs(20)) {
        let failing = planned[..=round].to_vec();
        let minimal = shrink(failing.clone(), Duration::from_secs(180));
        panic!(
            "seed {seed}: after round {round} the watch registry differs from `rldev hashes`:\n  {diff}\n\
             a smaller sequence that still fails ({} of {} edits):\n  {}",
            minimal.iter().map(Vec::len).sum::<usize>(),
            failing.iter().map(Vec::len).sum::<usize>(),
            describe(&minimal)
        );
    }
}

#[test]
fn watch_registry_equals_hashes_whenever_edits_settle() {
    let rounds = std::env::var("RLDEV_SOAK_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("RLDEV_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261122);
    run(seed, rounds);
}
