//! packageFiles callbacks run in MediaWiki core (Debian's package, as
//! tests/mw_compare.rs uses): under `rldev serve`, an edit of any file PHP
//! read (a class the callback calls, a JSON file it reads, a message) moves
//! the version and the answer, and the registry stays equal to `rldev hashes`
//! from scratch; a PHP error is the module's error, naming the file and line,
//! and the other modules stay ready.

mod common;

use std::path::Path;
use std::time::Duration;

use common::mw;
use common::serve::Server;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(90);
const MODULE: &str = "ext.rldevFixture.callbacks";

/// Why the test cannot run here (no MediaWiki or no php), if it cannot.
fn missing() -> Option<String> {
    let php = std::process::Command::new("php")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !Path::new(mw::IP).join("includes/Defines.php").is_file() || !php {
        return Some(format!(
            "needs MediaWiki in {} and php (apt-get install mediawiki php-cli)",
            mw::IP
        ));
    }
    None
}

/// The test extension (tests/mw_fixtures/RldevFixture) copied into a temp
/// folder, with an rldev.toml naming Debian's core.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mw_fixtures/RldevFixture");
    common::copy_dir(&fixture, dir.path());
    common::write(
        dir.path(),
        "rldev.toml",
        &format!(
            "manifests = [\"extension.json\"]\nskin = \"vector\"\nlanguage = \"en\"\ncore = \"{}\"\n",
            mw::IP
        ),
    );
    dir
}

/// The project and a cache folder, or `None` (said on stderr) when the
/// test cannot run here.
fn setup() -> Option<(tempfile::TempDir, tempfile::TempDir)> {
    if let Some(why) = missing() {
        eprintln!("php_callbacks: SKIPPED: {why}");
        return None;
    }
    Some((project(), tempfile::tempdir().unwrap()))
}

fn registry(server: &Server) -> Value {
    serde_json::from_str(&server.get("/registry.json")).unwrap()
}

/// Module -> version, state, error and files of a registry or of
/// `hashes --json`.
fn held(modules: &Value) -> Vec<(String, String, String, String, String)> {
    modules
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, m)| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            let files = m["files"].to_string();
            (name.clone(), s("version"), s("state"), s("error"), files)
        })
        .collect()
}

/// `rldev hashes --json rldev.toml` from scratch.
fn from_scratch(root: &Path, cache: &Path) -> Value {
    hashes(root, cache, &[])
}

/// `rldev hashes --json rldev.toml` with more environment variables.
fn hashes(root: &Path, cache: &Path, envs: &[(&str, &str)]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["hashes", "--json", "rldev.toml"])
        .current_dir(root)
        .env("RLDEV_CACHE_DIR", cache)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Edits `path` (replacing `from` by `to`), waits for the module's diff,
/// and checks that the registry equals a computation from scratch.
fn edit(server: &mut Server, root: &Path, cache: &Path, path: &str, from: &str, to: &str) -> Value {
    let file = root.join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    std::fs::write(&file, text.replace(from, to)).unwrap();
    server.next_event(WAIT, |e| {
        e["event"] == "diff" && e["changed"][MODULE].is_object()
    });
    // Whatever else the batch brings, the registry settles to the fresh answer.
    let fresh = held(&from_scratch(root, cache)["modules"]);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let now = registry(server);
        if held(&now["modules"]) == fresh {
            return now["modules"][MODULE].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after editing {path}: the registry {now} is not the fresh {fresh:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn load(server: &Server) -> String {
    server.get(&format!("/load?modules={MODULE}&only=scripts"))
}

#[test]
fn an_edit_of_any_file_php_read_moves_the_version_and_the_answer() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let root = dir.path();
    let mut server = Server::start(root, &["rldev.toml"], 0, cache.path(), WAIT);
    let first = registry(&server)["modules"][MODULE].clone();
    assert_eq!(first["state"], "ready", "{first}");
    let files: Vec<&str> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for read in [
        "includes/Callbacks.php",
        "includes/Helper.php",
        "data/extra.json",
        "i18n/en.json",
    ] {
        assert!(
            files.contains(&read),
            "{read} is not among the files: {files:?}"
        );
    }
    // Core's PHP that ran is there too.
    assert!(
        files.iter().any(|f| f.ends_with("includes/Setup.php")),
        "{files:?}"
    );
    let body = load(&server);
    assert!(body.contains(r#""helper":"helper-1""#), "{body}");
    assert!(body.contains(r#"module.exports = "helper-1";"#), "{body}");
    assert!(body.contains(r#""message":"Hello from PHP""#), "{body}");

    let mut version = first["version"].as_str().unwrap().to_string();
    let steps = [
        (
            "includes/Helper.php",
            "'helper-1'",
            "'helper-2'",
            r#""helper":"helper-2""#,
        ),
        (
            "data/extra.json",
            "\"teal\"",
            "\"olive\"",
            r#""colour":"olive""#,
        ),
        (
            "i18n/en.json",
            "Hello from PHP",
            "Hello again",
            r#""message":"Hello again""#,
        ),
        (
            "extension.json",
            "\"value\": \"hi\"",
            "\"value\": \"hey\"",
            r#""greeting":"hey""#,
        ),
    ];
    for (path, from, to, expected) in steps {
        let now = edit(&mut server, root, cache.path(), path, from, to);
        assert_eq!(now["state"], "ready", "after editing {path}: {now}");
        let moved = now["version"].as_str().unwrap().to_string();
        assert_ne!(moved, version, "after editing {path}");
        version = moved;
        let body = load(&server);
        assert!(body.contains(expected), "after editing {path}: {body}");
    }
}

#[test]
fn a_php_error_is_the_modules_error_and_the_others_build() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let root = dir.path();
    let mut server = Server::start(root, &["rldev.toml"], 0, cache.path(), WAIT);

    // A syntax error in a class the callback loads: PHP's fatal error, with its place.
    let now = edit(
        &mut server,
        root,
        cache.path(),
        "includes/Helper.php",
        "return 'helper-1';",
        "return 'helper-1'",
    );
    assert_eq!(now["state"], "error", "{now}");
    let error = now["error"].as_str().unwrap();
    assert!(error.contains("syntax error"), "{error}");
    assert!(error.contains("includes/Helper.php:"), "{error}");
    assert_eq!(
        registry(&server)["modules"]["ext.rldevFixture.vue"]["state"],
        "ready"
    );

    // Fixed: ready again. Then a callback that throws: the exception, its place.
    let now = edit(
        &mut server,
        root,
        cache.path(),
        "includes/Helper.php",
        "return 'helper-1'",
        "return 'helper-1';",
    );
    assert_eq!(now["state"], "ready", "{now}");
    let now = edit(
        &mut server,
        root,
        cache.path(),
        "includes/Callbacks.php",
        "return 'module.exports = '",
        "throw new \\RuntimeException( 'no script today' );\n\t\treturn 'module.exports = '",
    );
    assert_eq!(now["state"], "error", "{now}");
    let error = now["error"].as_str().unwrap();
    assert!(
        error.contains("callback/script.js")
            && error.contains("RuntimeException: no script today")
            && error.contains("includes/Callbacks.php:"),
        "{error}"
    );

    // A value JSON cannot carry.
    let now = edit(
        &mut server,
        root,
        cache.path(),
        "includes/Callbacks.php",
        "'greeting' => $config->get( 'RldevFixtureGreeting' ),",
        "'greeting' => NAN,",
    );
    let error = now["error"].as_str().unwrap();
    assert!(
        error.contains("callback/data.json") && error.contains("returned what JSON cannot encode"),
        "{error}"
    );
}

/// No PHP to run: the module's error says so, naming the program; the
/// other modules build.
#[test]
fn without_php_the_module_says_so() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let registry = hashes(
        dir.path(),
        cache.path(),
        &[("RLDEV_PHP", "/nonexistent/php")],
    );
    let error = registry["modules"][MODULE]["error"].as_str().unwrap();
    assert!(error.contains("cannot start /nonexistent/php"), "{error}");
    assert_eq!(
        registry["modules"]["ext.rldevFixture.vue"]["state"],
        "ready"
    );
}

/// A PHP run is remembered with what PHP was told: a rebuild for an edit
/// that no file PHP read saw (the module's own script) replays it without
/// starting PHP; an edit of a file PHP read starts PHP again.
#[test]
fn a_rebuild_that_php_would_see_the_same_replays_its_answers() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let root = dir.path();
    // `php` behind a script that counts its starts.
    let starts = cache.path().join("php-starts");
    let php = cache.path().join("php");
    std::fs::write(
        &php,
        format!(
            "#!/bin/sh\necho start >> '{}'\nexec php \"$@\"\n",
            starts.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&php, std::fs::Permissions::from_mode(0o755)).unwrap();
    let count = || {
        std::fs::read_to_string(&starts)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let mut server = Server::start_with(
        root,
        &["rldev.toml"],
        0,
        cache.path(),
        WAIT,
        &[("RLDEV_PHP", php.as_os_str())],
    );
    assert_eq!(count(), 1);

    let now = edit(
        &mut server,
        root,
        cache.path(),
        "resources/callback/init.js",
        "picked: picked",
        "picked: picked, again: 1",
    );
    assert_eq!(now["state"], "ready", "{now}");
    assert!(load(&server).contains("again: 1"));
    assert_eq!(count(), 1, "the script's edit started PHP");

    let now = edit(
        &mut server,
        root,
        cache.path(),
        "includes/Helper.php",
        "'helper-1'",
        "'helper-3'",
    );
    assert_eq!(now["state"], "ready", "{now}");
    assert!(load(&server).contains(r#""helper":"helper-3""#));
    assert_eq!(count(), 2);

    // The script's edit undone: PHP would be told what it was told last.
    let now = edit(
        &mut server,
        root,
        cache.path(),
        "resources/callback/init.js",
        ", again: 1",
        "",
    );
    assert_eq!(now["state"], "ready", "{now}");
    assert_eq!(count(), 2);
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// Seeded random edits of what the callbacks read (a class they call, a
/// class whose file appears and goes, a JSON file, a message, a syntax error
/// and its fix), of what they do not (the module's script), and touches and
/// identical saves. After each round the registry equals `rldev hashes` from
/// scratch, so a remembered PHP run is replayed only when a fresh one would
/// give the same; a round of touches and identical saves prints no diff.
/// `RLDEV_PHP_SOAK_ROUNDS` (default 12) and `RLDEV_PHP_SOAK_SEED` choose the run.
#[test]
fn php_edits_in_any_order_settle_to_the_fresh_answer() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let root = dir.path();
    let env = |k: &str, default: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = env("RLDEV_PHP_SOAK_ROUNDS", 12);
    let seed = env("RLDEV_PHP_SOAK_SEED", 20261203);
    let mut rng = Rng(seed.max(1));
    // The data callback also asks for a class whose file may be missing
    // (the autoloader's look for it is a read of an absent file).
    let callbacks = root.join("includes/Callbacks.php");
    let text = std::fs::read_to_string(&callbacks).unwrap();
    std::fs::write(
        &callbacks,
        text.replace(
            "'helper' => Helper::value(),",
            "'helper' => Helper::value(),\n\t\t\t'extra_class' => class_exists( Extra::class ) ? Extra::value() : null,",
        ),
    )
    .unwrap();
    let class = |name: &str, value: &str| {
        format!(
            "<?php\nnamespace RldevFixture;\n\nclass {name} {{\n\tpublic static function value(): string {{\n\t\treturn '{value}';\n\t}}\n}}\n"
        )
    };
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).unwrap();
    let started = std::time::Instant::now();
    let mut server = Server::start(root, &["rldev.toml"], 0, cache.path(), WAIT);
    let mut log = Vec::new();
    let (mut diffs, mut no_ops) = (0, 0);
    for round in 0..rounds {
        let mut no_op = true;
        for _ in 0..1 + rng.below(2) {
            let token = format!("v{}", rng.below(1000));
            let kind = rng.below(9);
            log.push(format!("{kind}:{token}"));
            match kind {
                0 => write("includes/Helper.php", &class("Helper", &token)),
                1 => {
                    // An atomic save: a temporary file renamed over.
                    write("includes/.Helper.php.tmp", &class("Helper", &token));
                    std::fs::rename(
                        root.join("includes/.Helper.php.tmp"),
                        root.join("includes/Helper.php"),
                    )
                    .unwrap();
                }
                2 => {
                    let extra = root.join("includes/Extra.php");
                    match extra.exists() {
                        true => std::fs::remove_file(extra).unwrap(),
                        false => write("includes/Extra.php", &class("Extra", &token)),
                    }
                }
                3 => write("data/extra.json", &format!("{{\"colour\": \"{token}\"}}")),
                4 => write(
                    "i18n/en.json",
                    &format!("{{\"rldevfixture-hello\": \"Hello {token}\"}}"),
                ),
                5 => write(
                    "resources/callback/init.js",
                    &format!("// {token}\nmodule.exports = require( './data.json' );\n"),
                ),
                6 => write(
                    "includes/Helper.php",
                    "<?php\nnamespace RldevFixture;\nclass Helper {\n",
                ),
                7 => {
                    let path = root.join("includes/Callbacks.php");
                    let same = std::fs::read(&path).unwrap();
                    std::fs::write(&path, same).unwrap();
                }
                _ => {
                    let path = root.join("data/extra.json");
                    let now = std::time::SystemTime::now();
                    std::fs::File::options()
                        .append(true)
                        .open(&path)
                        .unwrap()
                        .set_modified(now)
                        .unwrap();
                }
            }
            no_op &= kind >= 7;
        }
        if no_op {
            no_ops += 1;
            std::thread::sleep(Duration::from_millis(400));
            let diffs: Vec<Value> = server
                .drain()
                .into_iter()
                .filter(|e| e["event"] == "diff")
                .collect();
            assert!(
                diffs.is_empty(),
                "seed {seed} round {round} ({log:?}): a diff after touches and identical saves: {diffs:?}"
            );
        }
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            std::thread::sleep(Duration::from_millis(150));
            let fresh = held(&from_scratch(root, cache.path())["modules"]);
            let now = registry(&server);
            if held(&now["modules"]) == fresh {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "seed {seed} round {round} ({log:?}): the registry {now} is not the fresh {fresh:?}"
            );
        }
        diffs += server
            .drain()
            .iter()
            .filter(|e| e["event"] == "diff")
            .count();
    }
    println!(
        "php callbacks: seed {seed}: {rounds} rounds, {} edits, {diffs} diffs; 0 mismatches; \
         {no_ops} rounds of only touches and identical saves, 0 spurious diffs; {} s",
        log.len(),
        started.elapsed().as_secs()
    );
}

/// An extension written for a newer core: its manifest requires one, its
/// class implements a hook interface this core lacks and names a class by
/// the namespaced name this core has only as a global class. The callback
/// runs all the same, and the module's warning names each stand-in.
#[test]
fn an_extension_for_a_newer_core_runs_with_stand_ins() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let root = dir.path();
    common::write(
        root,
        "includes/Future.php",
        "<?php\nnamespace RldevFixture;\n\n\
         use MediaWiki\\Hook\\RldevNotInThisCoreHook;\n\
         use MediaWiki\\Language\\MessageLocalizer;\n\n\
         class Future implements RldevNotInThisCoreHook {\n\
         \tpublic static function data( MessageLocalizer $ml ): array {\n\
         \t\treturn [ 'hello' => $ml->msg( 'rldevfixture-hello' )->text() ];\n\
         \t}\n}\n",
    );
    common::write(
        root,
        "resources/future/init.js",
        "module.exports = require( './data.json' );\n",
    );
    let path = root.join("extension.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["requires"]["MediaWiki"] = ">= 9.0.0".into();
    manifest["ResourceModules"]["ext.rldevFixture.future"] = serde_json::json!({
        "packageFiles": ["future/init.js", {"name": "future/data.json", "callback": "RldevFixture\\Future::data"}]
    });
    std::fs::write(&path, manifest.to_string()).unwrap();

    let server = Server::start(root, &["rldev.toml"], 0, cache.path(), WAIT);
    let module = &registry(&server)["modules"]["ext.rldevFixture.future"];
    assert_eq!(module["state"], "ready", "{module}");
    let body = server.get("/load?modules=ext.rldevFixture.future&only=scripts");
    assert!(
        body.contains(r#""future/data.json":{"hello":"Hello from PHP"}"#),
        "{body}"
    );
    let warnings = module["warnings"].to_string();
    assert!(
        warnings.contains(r"MediaWiki\\Hook\\RldevNotInThisCoreHook")
            && warnings.contains(r"MediaWiki\\Language\\MessageLocalizer (as MessageLocalizer)"),
        "{warnings}"
    );
}

/// A callback that never returns is stopped (`RLDEV_PHP_TIME_LIMIT`,
/// 60 s by default), and says so; the other modules build.
#[test]
fn a_callback_that_never_returns_is_stopped() {
    let Some((dir, cache)) = setup() else {
        return;
    };
    let root = dir.path();
    let path = root.join("includes/Callbacks.php");
    let text = std::fs::read_to_string(&path).unwrap();
    let looping = text.replace(
        "return 'module.exports = '",
        "while ( true ) {\n\t\t}\n\t\treturn 'module.exports = '",
    );
    assert_ne!(looping, text);
    std::fs::write(&path, looping).unwrap();
    let registry = hashes(root, cache.path(), &[("RLDEV_PHP_TIME_LIMIT", "3")]);
    let error = registry["modules"][MODULE]["error"].as_str().unwrap();
    assert!(
        error.contains("PHP ran over 3 s and was stopped"),
        "{error}"
    );
    assert_eq!(
        registry["modules"]["ext.rldevFixture.vue"]["state"],
        "ready"
    );
}
