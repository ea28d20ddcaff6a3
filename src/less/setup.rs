//! Finding Node.js and the pinned less.js, installing less.js once if it is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use sha1::{Digest, Sha1};

/// The pinned less.js version; `package.json` and its lock file pin the same.
pub const LESS_VERSION: &str = "4.9.1";
/// The Less compile server's files (`server/`, see `server/server.mjs`), by
/// name in that folder. A test checks that the list is the folder's content.
const SERVER_FILES: &[(&str, &str)] = &[
    ("server.mjs", include_str!("server/server.mjs")),
    ("load-less.mjs", include_str!("server/load-less.mjs")),
    ("module-state.mjs", include_str!("server/module-state.mjs")),
    ("io.mjs", include_str!("server/io.mjs")),
    ("session.mjs", include_str!("server/session.mjs")),
    ("files.mjs", include_str!("server/files.mjs")),
    ("parse-cache.mjs", include_str!("server/parse-cache.mjs")),
    ("pure.mjs", include_str!("server/pure.mjs")),
    ("tree-plan.mjs", include_str!("server/tree-plan.mjs")),
    ("functions.mjs", include_str!("server/functions.mjs")),
    (
        "render-options.mjs",
        include_str!("server/render-options.mjs"),
    ),
    ("compile.mjs", include_str!("server/compile.mjs")),
    ("flip.mjs", include_str!("server/flip.mjs")),
];
/// The file of `SERVER_FILES` that node runs.
const SERVER_ENTRY: &str = "server.mjs";
const PACKAGE_JSON: &str = include_str!("../../package.json");
const PACKAGE_LOCK: &str = include_str!("../../package-lock.json");

/// How to start the less.js process.
#[derive(Debug, Clone)]
pub struct LessSetup {
    pub node: PathBuf,
    /// The server's entry file, in its folder in the cache folder.
    pub script: PathBuf,
    /// A `node_modules` folder holding `less`.
    pub modules: PathBuf,
    /// Hex SHA-1 of everything on this side that can change a compile's
    /// result: the server's files (names and contents), the installed
    /// packages (npm's record of the installed tree, with each package's
    /// version and integrity), and the settings the server reads from the
    /// environment. Node.js's own version is not in it.
    pub fingerprint: String,
}

/// The environment variables the server reads that change how it compiles.
const SERVER_SETTINGS: [&str; 2] = ["RLDEV_LESS_CACHE", "RLDEV_LESS_PURE"];

fn fingerprint(modules: &Path) -> String {
    let installed = std::fs::read(modules.join(".package-lock.json"))
        .or_else(|_| std::fs::read(modules.join("less").join("package.json")))
        .unwrap_or_default();
    let mut h = Sha1::new();
    h.update(server_digest());
    h.update(b"\0");
    h.update(&installed);
    for name in SERVER_SETTINGS {
        let value = std::env::var(name).unwrap_or_default();
        h.update(format!("\0{name}={value}").as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-1 over the server's files: each one's name and length, then its contents.
fn server_digest() -> [u8; 20] {
    let mut h = Sha1::new();
    for (name, contents) in SERVER_FILES {
        h.update(format!("{name}\0{}\0", contents.len()).as_bytes());
        h.update(contents.as_bytes());
    }
    h.finalize().into()
}

/// Finds `node` and less.js, installing less.js into the cache folder with npm
/// the first time (saying so on stderr). The error is a sentence a person can act on.
pub fn locate() -> Result<LessSetup, String> {
    let node = find_node().ok_or_else(|| {
        "Less needs Node.js and `node` is not on PATH: install Node.js 18 or newer \
         (Debian: apt-get install nodejs npm) or set RLDEV_NODE to its path"
            .to_string()
    })?;
    let cache = cache_dir();
    let modules = find_modules(&cache)?;
    let script = write_script(&cache)?;
    Ok(LessSetup {
        node,
        script,
        fingerprint: fingerprint(&modules),
        modules,
    })
}

pub fn find_node() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RLDEV_NODE") {
        return Some(PathBuf::from(p));
    }
    which("node")
}

pub fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// `RLDEV_CACHE_DIR`, else `$XDG_CACHE_HOME/rldev`, else `~/.cache/rldev`.
pub fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("RLDEV_CACHE_DIR") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("rldev");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("rldev"),
        None => std::env::temp_dir().join("rldev-cache"),
    }
}

/// Whether `modules` holds exactly the pinned packages: npm's record of the
/// install there is the one `package-lock.json` gives (less.js and CSSJanus
/// at their pinned versions).
fn has_pinned_packages(modules: &Path) -> bool {
    let pinned: Option<serde_json::Value> = serde_json::from_str(PACKAGE_LOCK).ok();
    let installed: Option<serde_json::Value> =
        std::fs::read_to_string(modules.join(".package-lock.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok());
    match (pinned, installed) {
        (Some(p), Some(i)) => p["packages"].as_object().is_some_and(|pkgs| {
            pkgs.iter()
                .filter(|(k, _)| !k.is_empty())
                .all(|(k, v)| i["packages"][k]["version"] == v["version"])
        }),
        _ => false,
    }
}

fn find_modules(cache: &Path) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("RLDEV_LESS_MODULES") {
        return Ok(PathBuf::from(p));
    }
    // A checkout of rldev: its own node_modules (`npm ci`, as scripts/test
    // runs it), installed there the first time, so the first command and the
    // tests install once.
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
    let is_this_checkout = std::fs::read_to_string(checkout.join("package-lock.json"))
        .is_ok_and(|lock| lock == PACKAGE_LOCK);
    if is_this_checkout {
        let modules = checkout.join("node_modules");
        if !has_pinned_packages(&modules) {
            install_in_checkout(checkout)?;
        }
        return Ok(modules);
    }
    let dir = cache.join(format!("node-{}", lock_digest()));
    let modules = dir.join("node_modules");
    if has_pinned_packages(&modules) {
        return Ok(modules);
    }
    install(&dir)?;
    Ok(modules)
}

/// 8 hex digits of the lock file's SHA-1: the cache folder of this install.
fn lock_digest() -> String {
    Sha1::digest(PACKAGE_LOCK.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `npm ci` in rldev's own checkout.
fn install_in_checkout(checkout: &Path) -> Result<(), String> {
    eprintln!(
        "rldev: installing less {LESS_VERSION} with npm into {} (once)",
        checkout.join("node_modules").display()
    );
    let npm =
        which("npm").ok_or("less.js is not installed and `npm` is not on PATH to install it")?;
    let out = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(checkout)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot install less.js: npm ci in {} exited with {}: {}",
            checkout.display(),
            out.status,
            npm_message(&out.stderr)
        ));
    }
    Ok(())
}

/// `npm ci` of the pinned package into a fresh folder, renamed into place when complete.
fn install(dir: &Path) -> Result<(), String> {
    eprintln!(
        "rldev: installing less {LESS_VERSION} with npm into {} (once)",
        dir.display()
    );
    let npm =
        which("npm").ok_or("less.js is not installed and `npm` is not on PATH to install it")?;
    install_with(&npm, dir)
}

/// [`install`] with this `npm`.
fn install_with(npm: &Path, dir: &Path) -> Result<(), String> {
    let parent = dir.parent().expect("cache folder has a parent");
    let staging = parent.join(format!("node-{}.{}.tmp", lock_digest(), std::process::id()));
    let fail = |e: String| format!("cannot install less.js into {}: {e}", staging.display());
    std::fs::create_dir_all(&staging).map_err(|e| fail(e.to_string()))?;
    std::fs::write(staging.join("package.json"), PACKAGE_JSON).map_err(|e| fail(e.to_string()))?;
    std::fs::write(staging.join("package-lock.json"), PACKAGE_LOCK)
        .map_err(|e| fail(e.to_string()))?;
    // npm's output is kept, not shown: its notices are not rldev's output,
    // and its message is the error's when it fails.
    let out = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&staging)
        .stdin(std::process::Stdio::null())
        .output();
    let failed = match out {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "npm ci exited with {}: {}",
            out.status,
            npm_message(&out.stderr)
        )),
        Err(e) => Some(format!("cannot run npm: {e}")),
    };
    if let Some(why) = failed {
        // Nothing half-installed stays behind.
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("cannot install less.js ({why})"));
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&staging, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        fail(e.to_string())
    })
}

/// The end of what npm wrote on failure (its error lines, not its notices).
fn npm_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with("npm notice") && !l.starts_with("npm warn"))
        .collect();
    let tail = &lines[lines.len().saturating_sub(12)..];
    if tail.is_empty() {
        "(npm said nothing)".to_string()
    } else {
        tail.join("\n")
    }
}

/// The embedded server, written once per content into a folder of the cache
/// folder named by its digest (`less-server-<8 hex>/`); returns its entry file.
/// The files are written into a temporary folder that is then renamed into
/// place, so no process runs a half-written folder. A folder already there is
/// reused when it holds the same files, else replaced.
fn write_script(cache: &Path) -> Result<PathBuf, String> {
    let digest = server_digest();
    let dir = cache.join(format!(
        "less-server-{:02x}{:02x}{:02x}{:02x}",
        digest[0], digest[1], digest[2], digest[3]
    ));
    let entry = dir.join(SERVER_ENTRY);
    if holds_server(&dir) {
        return Ok(entry);
    }
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", dir.display());
    // Unique per process and call: threads of one process may get here at once.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = format!(
        "{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let staging = cache.join(format!(".less-server.{unique}.tmp"));
    let written = write_server_files(&staging);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(fail(e));
    }
    if std::fs::rename(&staging, &dir).is_ok() {
        return Ok(entry);
    }
    // Another process put its folder there first, or the one there differs.
    if holds_server(&dir) {
        let _ = std::fs::remove_dir_all(&staging);
        return Ok(entry);
    }
    let stale = cache.join(format!(".less-server.{unique}.old"));
    let _ = std::fs::rename(&dir, &stale);
    let placed = std::fs::rename(&staging, &dir);
    let _ = std::fs::remove_dir_all(&stale);
    match placed {
        Ok(()) => Ok(entry),
        Err(_) if holds_server(&dir) => {
            let _ = std::fs::remove_dir_all(&staging);
            Ok(entry)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(fail(e))
        }
    }
}

/// Writes every file of `SERVER_FILES` into a new folder `dir`.
fn write_server_files(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, contents) in SERVER_FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, contents)?;
    }
    Ok(())
}

/// Whether `dir` holds every file of `SERVER_FILES` with the same contents.
fn holds_server(dir: &Path) -> bool {
    SERVER_FILES.iter().all(|(name, contents)| {
        std::fs::read(dir.join(name)).is_ok_and(|bytes| bytes == contents.as_bytes())
    })
}

#[cfg(test)]
mod tests {

    /// npm fails (no network): the error is npm's message, its notices
    /// are left out, and no staging folder stays behind.
    #[test]
    fn a_failed_install_says_npms_error_and_leaves_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let npm = dir.path().join("npm");
        std::fs::write(
            &npm,
            "#!/bin/sh\necho 'npm notice New minor version' >&2\n\
             echo 'npm error code ENOTFOUND' >&2\n\
             echo 'npm error network request to https://registry.npmjs.org/less failed' >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&cache).unwrap();
        let e = super::install_with(&npm, &cache.join("node-x")).unwrap_err();
        assert!(e.contains("npm error code ENOTFOUND"), "{e}");
        assert!(e.contains("registry.npmjs.org/less failed"), "{e}");
        assert!(!e.contains("npm notice"), "{e}");
        let left: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
        assert!(
            left.is_empty(),
            "nothing left in the cache folder: {left:?}"
        );
    }

    #[test]
    fn an_install_counts_only_with_every_pinned_version() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_pinned_packages(dir.path()));
        std::fs::write(dir.path().join(".package-lock.json"), PACKAGE_LOCK).unwrap();
        assert!(has_pinned_packages(dir.path()));
        let older = PACKAGE_LOCK.replacen("\"version\": \"2.1.0\"", "\"version\": \"2.0.1\"", 1);
        assert_ne!(older, PACKAGE_LOCK, "the lock pins cssjanus 2.1.0");
        std::fs::write(dir.path().join(".package-lock.json"), older).unwrap();
        assert!(!has_pinned_packages(dir.path()));
    }

    use super::*;

    #[test]
    fn the_fingerprint_follows_the_installed_packages_and_the_settings() {
        let dir = std::env::temp_dir().join(format!("rldev-fp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("less")).unwrap();
        let lock = dir.join(".package-lock.json");
        std::fs::write(
            &lock,
            r#"{"packages":{"node_modules/less":{"version":"4.9.1"}}}"#,
        )
        .unwrap();
        let first = fingerprint(&dir);
        assert_eq!(fingerprint(&dir), first, "a function of its inputs");
        std::fs::write(
            &lock,
            r#"{"packages":{"node_modules/less":{"version":"4.9.2"}}}"#,
        )
        .unwrap();
        let other_less = fingerprint(&dir);
        assert_ne!(other_less, first);
        // Without npm's record, less.js's own package.json stands for it.
        std::fs::remove_file(&lock).unwrap();
        std::fs::write(dir.join("less/package.json"), r#"{"version":"4.9.1"}"#).unwrap();
        let unrecorded = fingerprint(&dir);
        assert_ne!(unrecorded, other_less);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_embedded_files_are_the_server_folder() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/less/server");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SERVER_FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(
            embedded, on_disk,
            "SERVER_FILES lists every file of src/less/server/"
        );
        assert!(SERVER_FILES.iter().any(|(n, _)| *n == SERVER_ENTRY));
    }

    #[test]
    fn the_server_folder_is_written_once_and_repaired() {
        let cache = tempfile::tempdir().unwrap();
        let entry = write_script(cache.path()).unwrap();
        assert_eq!(entry.file_name().unwrap(), SERVER_ENTRY);
        let dir = entry.parent().unwrap().to_path_buf();
        assert!(holds_server(&dir));
        assert_eq!(write_script(cache.path()).unwrap(), entry, "reused");
        // A folder that differs is replaced.
        std::fs::write(dir.join("io.mjs"), "changed").unwrap();
        std::fs::remove_file(dir.join("flip.mjs")).unwrap();
        assert_eq!(write_script(cache.path()).unwrap(), entry);
        assert!(holds_server(&dir));
        // Many writers at once all get the complete folder, and leave nothing else.
        let fresh = tempfile::tempdir().unwrap();
        let entries: Vec<PathBuf> = std::thread::scope(|s| {
            let writers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| write_script(fresh.path()).unwrap()))
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert!(
            entries
                .iter()
                .all(|e| e == &entries[0] && holds_server(e.parent().unwrap()))
        );
        for cache in [cache.path(), fresh.path()] {
            let names: Vec<_> = std::fs::read_dir(cache)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names.len(), 1, "only the server folder: {names:?}");
        }
    }
}
