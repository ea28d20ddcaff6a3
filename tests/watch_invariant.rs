//! The central invariant, on the real filesystem with the real watcher:
//! whenever edits settle, the registry the daemon holds (`/registry.json` of
//! `rldev serve`: version, state, error and files of every module) equals
//! `rldev hashes` run from scratch on the same tree; the diffs it printed,
//! applied to its first registry, give the same versions, states and errors;
//! and a round of touches and identical saves prints no diff at all.
//!
//! A seeded, reproducible random sequence of edits, as real work makes them:
//! modifies, creates, deletes, renames, atomic saves, 200-file bursts,
//! `@import`s added and removed, SVG edits, Less errors, touches, identical
//! saves and manifest edits; a folder renamed away and back (at once, and
//! after the daemon has rebuilt without it); a shared file broken and fixed;
//! a branch switch between two git branches that differ in 50 files and a
//! folder; a symlinked folder retargeted (to a folder inside the root, and to
//! one outside); a folder deleted and put back; the root itself deleted and
//! recreated; the less.js processes killed twice during a rebuild of every
//! module. Every fifth round (and the last)
//! the reference is computed without the compile cache.
//!
//! `RLDEV_SOAK_ROUNDS` (default 200) and `RLDEV_SOAK_SEED` choose the run;
//! `scripts/soak` runs 5000 and prints the figures. A failure prints the seed
//! and a shrunk sequence of edits that still fails (the shortest failing tail,
//! then edits removed one at a time while it keeps failing, for up to 3 minutes).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Held;
use common::serve::Server;

const MODULES: usize = 6;
const LIB_FILES: usize = 50;
const LINK_MODULE: &str = "ext.s.link";

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
    m.insert(
        LINK_MODULE.into(),
        serde_json::json!({"styles": ["link.less"]}),
    );
    serde_json::json!({
        "ResourceFileModulePaths": {"localBasePath": "resources", "remoteExtPath": "S/resources"},
        "ResourceModules": m
    })
    .to_string()
}

fn less_module(i: usize, variant: usize) -> String {
    match variant % 6 {
        0 => format!(
            "@import \"shared/theme.less\";\n.m{i} {{ color: @brand; width: @l{}; .icon(); }}\n",
            i * 7 % LIB_FILES
        ),
        1 => format!(
            "@import \"shared/colors.less\";\n.m{i} {{ color: @brand; background: url(icons/i{}.svg); }}\n",
            i % 3
        ),
        2 => format!(".m{i} {{ color: red; }}\n"),
        3 => format!(".m{i} {{ color: @undefined-{i}; }}\n"),
        4 => format!("@import \"linked/vars.less\";\n.m{i} {{ color: @lv; }}\n"),
        // A file outside the root, by a relative path.
        _ => format!("@import \"../../outside/alt0/vars.less\";\n.m{i} {{ color: @lv; }}\n"),
    }
}

fn svg(n: u64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"#{:06x}\"/></svg>\n",
        n % 0xffffff
    )
}

const THEME: &str = "@import \"colors.less\";\n@import \"mixins.less\";\n\
                     @import \"../lib/index.less\";\n@import (optional) \"../branchonly/b.less\";\n";
const COLORS: &str = "@brand: #36c;\n";

fn lib_file(k: usize, branch: char) -> String {
    let px = if branch == 'a' { k } else { k + 100 };
    format!("@l{k}: {px}px;\n")
}

fn mixins(n: u64) -> String {
    format!(".icon() {{ background: url(icons/i{}.svg); }}\n", n % 2)
}

/// Runs git in the tree; panics on failure.
fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.org", "-c", "user.name=t"])
        .args([
            "-c",
            "advice.detachedHead=false",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .current_dir(root)
        .output()
        .expect("git must be installed to run this test");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The folders the symlink `resources/linked` can lead to: one outside the
/// root, one inside it (next to the link).
fn link_targets(base: &Path) -> [PathBuf; 2] {
    [base.join("outside/alt0"), base.join("tree/resources/alt1")]
}

/// The tree, as a git repository on branch `a`; branch `b` differs in the 50
/// files of `lib/` and has the folder `branchonly/`.
fn write_tree(base: &Path) -> PathBuf {
    let root = base.join("tree");
    common::write(&root, "extension.json", &manifest(MODULES, false));
    for i in 0..MODULES {
        common::write(
            &root,
            &format!("resources/m{i}.js"),
            &format!("var m{i} = 0;\n"),
        );
        common::write(&root, &format!("resources/m{i}.less"), &less_module(i, i));
    }
    common::write(&root, "resources/shared/theme.less", THEME);
    common::write(&root, "resources/shared/colors.less", COLORS);
    common::write(&root, "resources/shared/mixins.less", &mixins(0));
    let index: String = (0..LIB_FILES)
        .map(|k| format!("@import \"l{k}.less\";\n"))
        .collect();
    common::write(&root, "resources/lib/index.less", &index);
    for k in 0..LIB_FILES {
        common::write(
            &root,
            &format!("resources/lib/l{k}.less"),
            &lib_file(k, 'a'),
        );
    }
    for k in 0..3 {
        common::write(&root, &format!("resources/icons/i{k}.svg"), &svg(k));
    }
    common::write(
        &root,
        "resources/link.less",
        "@import \"linked/vars.less\";\n.l { color: @lv; }\n",
    );
    let targets = link_targets(base);
    for (k, t) in targets.iter().enumerate() {
        common::write(t, "vars.less", &format!("@lv: #{k}{k}{k};\n"));
    }
    std::os::unix::fs::symlink(&targets[0], root.join("resources/linked")).unwrap();
    git(&root, &["init", "-q", "-b", "a"]);
    common::write(
        &root,
        ".git/info/exclude",
        "resources/linked\nresources/alt1/\n",
    );
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "a"]);
    git(&root, &["checkout", "-q", "-b", "b"]);
    for k in 0..LIB_FILES {
        common::write(
            &root,
            &format!("resources/lib/l{k}.less"),
            &lib_file(k, 'b'),
        );
    }
    common::write(
        &root,
        "resources/branchonly/b.less",
        ".branch-b { color: green; }\n",
    );
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "b"]);
    git(&root, &["checkout", "-q", "a"]);
    root
}

/// One edit, as data, so that a failing sequence can be replayed and shrunk.
#[derive(Debug, Clone, Copy)]
struct Edit {
    kind: usize,
    i: usize,
    n: u64,
}

const KINDS: usize = 22;
/// Edits that change no content: a round of only these must print no diff.
const NO_OP_KINDS: [usize; 2] = [9, 12];

fn random_edit(rng: &mut Rng) -> Edit {
    let i = rng.below(MODULES);
    let n = rng.next();
    Edit {
        kind: rng.below(KINDS),
        i,
        n,
    }
}

/// What an edit does, in words (for the failure report).
fn describe(e: Edit) -> String {
    let Edit { kind, i, n } = e;
    match kind {
        0 => format!("modify resources/m{i}.js"),
        1 => format!("rewrite resources/m{i}.less (variant {})", n % 6),
        2 => format!("rewrite resources/icons/i{}.svg", n % 3),
        3 => format!("delete resources/m{i}.js"),
        4 => format!("delete resources/icons/i{}.svg", n % 3),
        5 => format!("atomic save of resources/m{i}.less (variant {})", n % 6),
        6 => format!("rename resources/m{i}.js away, or back"),
        7 => "a burst of 200 writes".into(),
        8 => format!("colors.less import edit ({})", n % 6),
        9 => "touch colors.less".into(),
        10 => format!(
            "manifest: {} modules, extra script {}",
            MODULES - (n % 2) as usize,
            n.is_multiple_of(3)
        ),
        11 => format!("mixins.less url edit ({})", n % 2),
        12 => format!("identical save of resources/m{i}.less (atomic: {})", n % 2),
        13 => "rename resources/shared away and back at once".into(),
        14 => "rename resources/shared away, wait 1.2 s, back".into(),
        15 => format!(
            "break colors.less, wait {} ms, fix it",
            if n.is_multiple_of(2) { 0 } else { 600 }
        ),
        16 => "switch to the other git branch".into(),
        17 => format!(
            "retarget resources/linked to alt{} ({})",
            n % 2,
            if n % 4 < 2 {
                "rm + ln"
            } else {
                "atomic rename"
            }
        ),
        18 => format!(
            "{} alt{}/vars.less",
            if n % 5 == 0 { "delete" } else { "edit" },
            n % 2
        ),
        19 => format!(
            "delete resources/{} and put it back{}",
            if n.is_multiple_of(2) { "icons" } else { "lib" },
            if n % 3 == 0 { " changed" } else { "" }
        ),
        20 => "edit colors.less, kill the less.js processes twice, 120 ms apart".into(),
        _ => format!(
            "delete the root and recreate it with the same files ({} ms later)",
            n % 400
        ),
    }
}

/// Where an edit happens: the tree, the link targets, the daemon's process.
struct World<'a> {
    base: &'a Path,
    root: &'a Path,
    daemon: u32,
}

impl World<'_> {
    fn edit(&self, e: Edit) {
        let root = self.root;
        let r = |p: &str| root.join(p);
        let Edit { kind, i, n } = e;
        match kind {
            0 => common::write(
                root,
                &format!("resources/m{i}.js"),
                &format!("var m{i} = {};\n", n % 5),
            ),
            1 => common::write(
                root,
                &format!("resources/m{i}.less"),
                &less_module(i, n as usize),
            ),
            2 => common::write(
                root,
                &format!("resources/icons/i{}.svg", n % 3),
                &svg(n % 7),
            ),
            3 => {
                let _ = std::fs::remove_file(r(&format!("resources/m{i}.js")));
            }
            4 => {
                let _ = std::fs::remove_file(r(&format!("resources/icons/i{}.svg", n % 3)));
            }
            5 => {
                common::write(root, "resources/.m.less.tmp", &less_module(i, n as usize));
                std::fs::rename(
                    r("resources/.m.less.tmp"),
                    r(&format!("resources/m{i}.less")),
                )
                .unwrap();
            }
            6 => {
                let p = format!("resources/m{i}.js");
                if r(&p).exists() {
                    std::fs::rename(r(&p), r("resources/moved.js")).unwrap();
                } else if r("resources/moved.js").exists() {
                    std::fs::rename(r("resources/moved.js"), r(&p)).unwrap();
                } else {
                    common::write(root, &p, "var again;\n");
                }
            }
            7 => {
                for k in 0..200u64 {
                    let j = (k as usize + i) % MODULES;
                    common::write(
                        root,
                        &format!("resources/m{j}.js"),
                        &format!("var m{j} = {};\n", (n + k) % 3),
                    );
                }
            }
            8 => {
                let text = if n.is_multiple_of(2) {
                    COLORS
                } else {
                    "@brand: #000;\n@import \"extra-colors.less\";\n"
                };
                common::write(root, "resources/shared/colors.less", text);
                if n.is_multiple_of(3) {
                    common::write(root, "resources/shared/extra-colors.less", "@extra: 1;\n");
                } else {
                    let _ = std::fs::remove_file(r("resources/shared/extra-colors.less"));
                }
            }
            9 => {
                if let Ok(f) = std::fs::File::options()
                    .append(true)
                    .open(r("resources/shared/colors.less"))
                {
                    f.set_modified(std::time::SystemTime::now()).unwrap();
                }
            }
            10 => {
                let modules = MODULES - (n % 2) as usize;
                common::write(
                    root,
                    "extension.json",
                    &manifest(modules, n.is_multiple_of(3)),
                );
                common::write(root, "resources/extra.js", "var extra;\n");
            }
            11 => common::write(root, "resources/shared/mixins.less", &mixins(n)),
            12 => {
                let p = format!("resources/m{i}.less");
                if let Ok(text) = std::fs::read_to_string(r(&p)) {
                    if n.is_multiple_of(2) {
                        common::write(root, &p, &text);
                    } else {
                        common::write(root, "resources/.same.tmp", &text);
                        std::fs::rename(r("resources/.same.tmp"), r(&p)).unwrap();
                    }
                }
            }
            13 | 14 => {
                let (from, to) = (r("resources/shared"), r("resources/shared_x"));
                if std::fs::rename(&from, &to).is_ok() {
                    if kind == 14 {
                        std::thread::sleep(Duration::from_millis(1200));
                    }
                    std::fs::rename(&to, &from).unwrap();
                }
            }
            15 => {
                let p = "resources/shared/colors.less";
                if let Ok(before) = std::fs::read_to_string(r(p)) {
                    common::write(root, p, "@brand: #36c\n.broken {\n");
                    if !n.is_multiple_of(2) {
                        std::thread::sleep(Duration::from_millis(600));
                    }
                    common::write(root, p, &before);
                }
            }
            16 => {
                let head = std::fs::read_to_string(r(".git/HEAD")).unwrap();
                let other = if head.trim().ends_with("/a") {
                    "b"
                } else {
                    "a"
                };
                git(root, &["checkout", "-q", "-f", other]);
            }
            17 => {
                let target = &link_targets(self.base)[(n % 2) as usize];
                let link = r("resources/linked");
                if n % 4 < 2 {
                    let _ = std::fs::remove_file(&link);
                    std::os::unix::fs::symlink(target, &link).unwrap();
                } else {
                    let tmp = r("resources/.linked.tmp");
                    let _ = std::fs::remove_file(&tmp);
                    std::os::unix::fs::symlink(target, &tmp).unwrap();
                    std::fs::rename(&tmp, &link).unwrap();
                }
            }
            18 => {
                let target = &link_targets(self.base)[(n % 2) as usize];
                if n % 5 == 0 {
                    let _ = std::fs::remove_file(target.join("vars.less"));
                } else {
                    common::write(target, "vars.less", &format!("@lv: #{:03x};\n", n % 0xfff));
                }
            }
            19 => {
                let folder = if n.is_multiple_of(2) { "icons" } else { "lib" };
                let dir = r(&format!("resources/{folder}"));
                let saved: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
                    .map(|d| {
                        d.map_while(Result::ok)
                            .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default();
                let _ = std::fs::remove_dir_all(&dir);
                std::thread::sleep(Duration::from_millis(n % 300));
                std::fs::create_dir_all(&dir).unwrap();
                for (k, (path, mut bytes)) in saved.into_iter().enumerate() {
                    if n % 3 == 0 && k == 0 {
                        bytes.extend_from_slice(b"\n/* changed */\n");
                    }
                    std::fs::write(path, bytes).unwrap();
                }
            }
            20 => {
                common::write(
                    root,
                    "resources/shared/colors.less",
                    &format!("@brand: #{:03x};\n", n % 0xfff),
                );
                std::thread::sleep(Duration::from_millis(15 + n % 40));
                kill_compilers(self.daemon);
                std::thread::sleep(Duration::from_millis(120));
                kill_compilers(self.daemon);
            }
            _ => {
                // Gone (moved out of sight), then a copy in its place: every
                // file and folder is new, with the same content.
                let gone = self.base.join("gone");
                std::fs::rename(root, &gone).unwrap();
                std::thread::sleep(Duration::from_millis(n % 400));
                let status = Command::new("cp")
                    .arg("-a")
                    .arg(&gone)
                    .arg(root)
                    .status()
                    .unwrap();
                assert!(status.success(), "cp -a");
                std::fs::remove_dir_all(&gone).unwrap();
            }
        }
    }
}

/// `kill -9` of every less.js process (node) the daemon started.
fn kill_compilers(daemon: u32) {
    for pid in children(daemon) {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "node" {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.map_while(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok())
                == Some(parent)
        })
        .collect()
}

/// The daemon's registry: version, state and error of each module, with files.
fn served(server: &Server) -> BTreeMap<String, (Held, Vec<String>)> {
    registry_of(&serde_json::from_str(&server.get("/registry.json")).unwrap())
}

fn registry_of(v: &serde_json::Value) -> BTreeMap<String, (Held, Vec<String>)> {
    v["modules"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, m)| {
            let held = Held {
                version: m["version"].as_str().unwrap().to_string(),
                state: m["state"].as_str().unwrap().to_string(),
                error: m["error"].as_str().map(str::to_string),
            };
            let files = m["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (k.clone(), (held, files))
        })
        .collect()
}

/// `rldev hashes --json` from scratch, with files.
fn from_scratch(
    root: &Path,
    cache: &Path,
    compile_cache: bool,
) -> BTreeMap<String, (Held, Vec<String>)> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rldev"));
    cmd.args(["hashes", "--json", "extension.json"])
        .current_dir(root)
        .env("RLDEV_CACHE_DIR", cache);
    if !compile_cache {
        cmd.env("RLDEV_COMPILE_CACHE", "0");
    }
    let out = cmd.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    registry_of(&v)
}

/// The registry the printed diffs make of the first one.
struct Replayed {
    modules: BTreeMap<String, Held>,
    diffs: usize,
}

impl Replayed {
    fn apply(&mut self, v: &serde_json::Value) -> Result<(), String> {
        if v["event"] != "diff" {
            return Ok(());
        }
        self.diffs += 1;
        for (m, c) in v["changed"].as_object().unwrap() {
            let held = self
                .modules
                .get_mut(m)
                .ok_or_else(|| format!("a change of unknown {m}: {v}"))?;
            if c["from"].as_str() != Some(held.version.as_str()) {
                return Err(format!(
                    "{m}: `from` is not the version held ({}): {v}",
                    held.version
                ));
            }
            held.version = c["to"].as_str().unwrap().to_string();
        }
        for (m, ver) in v["added"].as_object().unwrap() {
            let held = Held {
                version: ver.as_str().unwrap().to_string(),
                state: "ready".into(),
                error: None,
            };
            self.modules.insert(m.clone(), held);
        }
        for m in v["removed"].as_array().unwrap() {
            self.modules.remove(m.as_str().unwrap());
        }
        if let Some(states) = v["states"].as_object() {
            for (m, s) in states {
                let held = self
                    .modules
                    .get_mut(m)
                    .ok_or_else(|| format!("a state of unknown {m}: {v}"))?;
                held.state = s["state"].as_str().unwrap().to_string();
                held.error = s["error"].as_str().map(str::to_string);
            }
        }
        Ok(())
    }
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

/// What a run showed.
#[derive(Debug, Default)]
struct Figures {
    rounds: usize,
    edits: usize,
    no_op_rounds: usize,
    uncached_checks: usize,
    diffs: usize,
}

/// A fresh tree and daemon; the rounds applied one by one, each followed by
/// the check. `Err((round, what differs))` at the first round that fails.
fn check(rounds: &[Vec<Edit>], patience: Duration) -> Result<Figures, (usize, String)> {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    let root = write_tree(base);
    let cache = base.join("cache");
    let mut server = Server::start(
        &root,
        &["extension.json"],
        0,
        &cache,
        Duration::from_secs(60),
    );
    let first: BTreeMap<String, Held> = served(&server)
        .into_iter()
        .map(|(k, (held, _))| (k, held))
        .collect();
    let mut replayed = Replayed {
        modules: first,
        diffs: 0,
    };
    let world = World {
        base,
        root: &root,
        daemon: server.pid(),
    };
    let mut figures = Figures::default();
    for (round, edits) in rounds.iter().enumerate() {
        let fail = |what: String| Err((round, what));
        let no_op = edits.iter().all(|e| NO_OP_KINDS.contains(&e.kind));
        let diffs_before = replayed.diffs;
        for e in edits {
            world.edit(*e);
        }
        figures.edits += edits.len();
        if no_op {
            // Well past a settle: nothing may have been printed.
            std::thread::sleep(Duration::from_millis(300));
            figures.no_op_rounds += 1;
        }
        let uncached = round % 5 == 4 || round + 1 == rounds.len();
        let deadline = Instant::now() + patience;
        loop {
            std::thread::sleep(Duration::from_millis(120));
            for event in server.drain() {
                if let Err(e) = replayed.apply(&event) {
                    return fail(e);
                }
            }
            if no_op && replayed.diffs != diffs_before {
                return fail(format!(
                    "a diff after only touches and identical saves ({} diffs)",
                    replayed.diffs - diffs_before
                ));
            }
            let expected = from_scratch(&root, &cache, true);
            let held = served(&server);
            let versions_of =
                |r: &BTreeMap<String, (Held, Vec<String>)>| -> BTreeMap<String, Held> {
                    r.iter().map(|(k, (h, _))| (k.clone(), h.clone())).collect()
                };
            let settled = held == expected && versions_of(&held) == replayed.modules;
            if settled {
                if uncached {
                    let scratch = from_scratch(&root, &cache, false);
                    if scratch != held {
                        return fail(format!(
                            "settled, but not as without the compile cache:\n  {}",
                            differences(&scratch, &held)
                        ));
                    }
                    figures.uncached_checks += 1;
                }
                break;
            }
            if Instant::now() > deadline {
                let mut what = differences(&expected, &held);
                if versions_of(&held) != replayed.modules {
                    what.push_str(&format!(
                        "\n  the printed diffs give {:?}",
                        replayed.modules
                    ));
                }
                return fail(format!("{what}\n{}", server.stderr_tail()));
            }
        }
        figures.rounds += 1;
    }
    figures.diffs = replayed.diffs;
    drop(server);
    Ok(figures)
}

fn differences(
    expected: &BTreeMap<String, (Held, Vec<String>)>,
    held: &BTreeMap<String, (Held, Vec<String>)>,
) -> String {
    expected
        .iter()
        .filter(|(k, v)| held.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}: daemon {:?}\n      hashes {v:?}", held.get(k)))
        .chain(
            held.keys()
                .filter(|k| !expected.contains_key(*k))
                .map(|k| format!("{k}: only in the daemon")),
        )
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// A shorter sequence that still fails, within a time budget: first the
/// shortest tail of 1, 2, 4 ... rounds that fails on a fresh tree, then
/// edits removed one at a time while it keeps failing.
fn shrink(mut rounds: Vec<Vec<Edit>>, budget: Duration) -> Vec<Vec<Edit>> {
    let start = Instant::now();
    let mut tail = 1;
    while tail < rounds.len() && start.elapsed() < budget / 2 {
        let candidate = rounds[rounds.len() - tail..].to_vec();
        if check(&candidate, Duration::from_secs(12)).is_err() {
            rounds = candidate;
            break;
        }
        tail *= 2;
    }
    let mut r = rounds.len();
    while r > 0 && start.elapsed() < budget {
        r -= 1;
        let mut k = rounds[r].len();
        while k > 0 && start.elapsed() < budget {
            k -= 1;
            let mut candidate = rounds.clone();
            candidate[r].remove(k);
            candidate.retain(|edits| !edits.is_empty());
            if check(&candidate, Duration::from_secs(12)).is_err() {
                rounds = candidate;
                r = r.min(rounds.len());
                break;
            }
        }
    }
    rounds
}

fn listing(rounds: &[Vec<Edit>]) -> String {
    let mut lines = Vec::new();
    for (round, edits) in rounds.iter().enumerate() {
        for e in edits {
            lines.push(format!("round {round}: {} {e:?}", describe(*e)));
        }
    }
    lines.join("\n  ")
}

#[test]
fn the_daemon_registry_equals_hashes_whenever_edits_settle() {
    let rounds = std::env::var("RLDEV_SOAK_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("RLDEV_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261202);
    let planned = plan(seed, rounds);
    let started = Instant::now();
    match check(&planned, Duration::from_secs(25)) {
        Ok(f) => println!(
            "watch invariant: seed {seed}: {} rounds, {} edits, {} diffs; 0 mismatches; \
             {} rounds of only touches and identical saves, 0 spurious diffs; \
             {} checks without the compile cache; {:.0} s",
            f.rounds,
            f.edits,
            f.diffs,
            f.no_op_rounds,
            f.uncached_checks,
            started.elapsed().as_secs_f64()
        ),
        Err((round, diff)) => {
            let failing = planned[..=round].to_vec();
            let minimal = shrink(failing.clone(), Duration::from_secs(180));
            panic!(
                "seed {seed}: after round {round} the daemon differs from `rldev hashes`:\n  {diff}\n\
                 a smaller sequence that still fails ({} of {} edits):\n  {}",
                minimal.iter().map(Vec::len).sum::<usize>(),
                failing.iter().map(Vec::len).sum::<usize>(),
                listing(&minimal)
            );
        }
    }
}
