//! A module's packageFiles `callback`s, run in MediaWiki core by php-cli.
//!
//! One PHP process per build of a module with callbacks: `callbacks.php`
//! boots core as a maintenance script (a settings file of its own, no
//! database, the module's manifest loaded through core's ExtensionRegistry)
//! and calls each callback with a ResourceLoader context for the module's
//! language and skin, as FileModule::getPackageFiles does. PHP reads no file
//! itself: its `file` stream wrapper asks us for every path it includes,
//! reads or tests, and we answer from the content store through the build's
//! recorder. So the PHP files a callback ran, the JSON files it read and the
//! paths it found missing are the build's reads, and the bytes PHP ran are
//! the bytes hashed. Folders are the exception: a folder reads as absent
//! (as everywhere in the store), and whether it is a folder is looked up on
//! the disk, unrecorded.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::reader::Recorder;
use super::remap::FileLookup;
use crate::files::ContentHash;
use crate::project::{FileModule, PackageKind, PackageSource, PhpCall, PhpEnv};

/// The PHP side (protocol at its top).
const SCRIPT: &str = include_str!("callbacks.php");

/// How long one module's callbacks may run, boot included, unless
/// `RLDEV_PHP_TIME_LIMIT` (seconds) says otherwise.
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn time_limit() -> Duration {
    std::env::var("RLDEV_PHP_TIME_LIMIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(TIME_LIMIT, Duration::from_secs)
}

/// `m` with each `Callback` package file replaced by what its callback
/// returned (a value, or a file for a FilePath), or by `null` with the
/// module's error noted.
pub fn expand(
    name: &str,
    m: &FileModule,
    reader: &mut Recorder,
    errors: &mut Vec<String>,
) -> FileModule {
    let mut out = m.clone();
    let (Some(env), Some(files)) = (&m.php, out.package_files.as_mut()) else {
        return out;
    };
    let calls: Vec<&PhpCall> = m
        .package_files
        .iter()
        .flatten()
        .filter_map(|f| match &f.source {
            PackageSource::Callback(c) => Some(c),
            _ => None,
        })
        .collect();
    let answers = run(name, env, m, &calls, reader);
    let mut answers = match answers {
        Ok(answers) => answers.into_iter(),
        Err(e) => {
            errors.push(format!("{}: {e}", env.manifest));
            Vec::new().into_iter()
        }
    };
    for f in files.iter_mut() {
        let PackageSource::Callback(call) = &f.source else {
            continue;
        };
        let what = format!("packageFiles entry {} (callback {})", f.name, call.callback);
        f.source = match answers.next() {
            Some(Answer::File(path)) => PackageSource::File(path),
            Some(Answer::Value(v)) => match (f.kind, &v) {
                (PackageKind::Data, _) | (_, Value::String(_)) => PackageSource::Content(v),
                _ => {
                    errors.push(format!("{what}: returned {v}, not a string"));
                    PackageSource::Content(Value::Null)
                }
            },
            Some(Answer::Error(e)) => {
                errors.push(format!("{what}: {e}"));
                PackageSource::Content(Value::Null)
            }
            None => PackageSource::Content(Value::Null),
        };
    }
    out.php = None;
    out
}

/// What one callback gave.
#[derive(Clone)]
enum Answer {
    Value(Value),
    /// A FilePath: the file (project-relative) is the package file.
    File(String),
    Error(String),
}

#[derive(Deserialize)]
struct Message {
    op: String,
    path: Option<String>,
    #[serde(default)]
    results: Vec<WireResult>,
    /// Names this core lacks that were stood in for (empty hook interfaces,
    /// classes aliased to their older global names).
    #[serde(default, rename = "stoodIn")]
    stood_in: Vec<String>,
    message: Option<String>,
    file: Option<String>,
    line: Option<u64>,
}

#[derive(Deserialize)]
struct WireResult {
    value: Option<Value>,
    file: Option<String>,
    error: Option<String>,
    line: Option<u64>,
}

fn run(
    name: &str,
    env: &PhpEnv,
    m: &FileModule,
    calls: &[&PhpCall],
    reader: &mut Recorder,
) -> Result<Vec<Answer>, String> {
    let store = reader.store();
    let abs = |rel: &str| -> Result<String, String> {
        store
            .absolute(rel)
            .map(|p| p.to_string_lossy().into_owned())
            .ok_or_else(|| "PHP callbacks need the project on disk".to_string())
    };
    let request = json!({
        "core": abs(&env.core)?,
        "manifest": abs(&env.manifest)?,
        "calls": calls.iter().map(|c| json!({"callback": c.callback, "param": c.param})).collect::<Vec<_>>(),
        "module": name,
        "lang": env.language,
        "contentLang": env.content_language,
        "skin": env.skin.as_deref().unwrap_or("fallback"),
        "localBasePath": abs(&m.local_base)?,
        "remoteBasePath": m.remote_base,
        "scriptPath": "",
    });
    let key = request.to_string();
    if let Some(answers) = replay(&key, reader) {
        return Ok(answers);
    }
    let mut seen = Seen::default();
    let answers = converse(&request, env, &abs(&env.core)?, reader, &mut seen)?;
    remember(key, seen, &answers);
    Ok(answers)
}

/// What PHP was told in one run, to tell whether a run would go the same
/// way again: each file asked for with its content hash (`None`: absent),
/// and for each absent one whether a folder was there.
#[derive(Default, Clone)]
struct Seen {
    reads: Vec<(String, Option<ContentHash>)>,
    folders: Vec<(PathBuf, bool)>,
    warnings: Vec<String>,
}

struct Remembered {
    seen: Seen,
    answers: Vec<Answer>,
}

/// Remembered runs by request (the request's JSON), the newest last.
type Memo = Mutex<Vec<(String, Arc<Remembered>)>>;

/// The runs remembered in this process; at most `MEMO_RUNS`.
fn memo() -> &'static Memo {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

const MEMO_RUNS: usize = 64;

/// The answers of a remembered run of the same request, if PHP would be
/// told exactly the same today: every file it asked for has the content it
/// had (or is still absent, and a folder or not as it was). Its reads and
/// warnings are noted as a run would note them. PHP's answers are a
/// function of what it is told (a callback that reads the clock or a
/// database is not, and is not supported either way).
fn replay(key: &str, reader: &mut Recorder) -> Option<Vec<Answer>> {
    let remembered = {
        let memo = memo().lock().expect("php memo");
        memo.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, r)| Arc::clone(r))?
    };
    let store = reader.store();
    let same = remembered
        .seen
        .reads
        .iter()
        .all(|(path, hash)| store.get(path).hash() == hash.as_ref())
        && remembered
            .seen
            .folders
            .iter()
            .all(|(abs, folder)| abs.is_dir() == *folder);
    if !same {
        return None;
    }
    for (path, hash) in &remembered.seen.reads {
        reader.note(path, *hash);
    }
    for w in &remembered.seen.warnings {
        reader.warn(w.clone());
    }
    Some(remembered.answers.clone())
}

fn remember(key: String, seen: Seen, answers: &[Answer]) {
    let mut memo = memo().lock().expect("php memo");
    memo.retain(|(k, _)| *k != key);
    if memo.len() >= MEMO_RUNS {
        memo.remove(0);
    }
    let answers = answers.to_vec();
    memo.push((key, Arc::new(Remembered { seen, answers })));
}

/// One PHP process: the request, its reads, its answers.
fn converse(
    request: &Value,
    env: &PhpEnv,
    core: &str,
    reader: &mut Recorder,
    seen: &mut Seen,
) -> Result<Vec<Answer>, String> {
    let php = find_php()?;
    let script = script_path()?;
    let mut child = Command::new(&php)
        .args(["-d", "display_errors=stderr", "-d", "log_errors=0"])
        .args(["-d", "memory_limit=1024M", "-d", "opcache.enable_cli=0"])
        .arg(&script)
        .current_dir(core)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", php.display()))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let stderr = child.stderr.take().expect("piped stderr");
    let stderr = std::thread::spawn(move || last_lines(stderr));
    let child = Arc::new(Mutex::new(child));
    let limit = time_limit();
    let (stop, timed_out) = watchdog(Arc::clone(&child), limit);

    let mut talk = || -> Result<Vec<Answer>, String> {
        send(&mut stdin, request)?;
        loop {
            let mut line = String::new();
            match stdout.read_line(&mut line) {
                Ok(0) => return Err("PHP exited".into()),
                Ok(_) => {}
                Err(e) => return Err(format!("cannot read from PHP: {e}")),
            }
            let message: Message =
                serde_json::from_str(&line).map_err(|e| format!("bad message from PHP: {e}"))?;
            match message.op.as_str() {
                "read" => {
                    let path = message.path.unwrap_or_default();
                    answer_read(&mut stdin, &path, reader, seen)?;
                }
                "done" => {
                    if !message.stood_in.is_empty() {
                        let warning = format!(
                            "{}: MediaWiki core at {} lacks {} (the extension is for a newer \
                             core); stand-ins let its classes load (an empty hook interface, \
                             or the class under its older global name)",
                            env.manifest,
                            env.core,
                            message.stood_in.join(", ")
                        );
                        reader.warn(warning.clone());
                        seen.warnings.push(warning);
                    }
                    return Ok(message
                        .results
                        .into_iter()
                        .map(|r| answer(r, reader))
                        .collect());
                }
                "fatal" => {
                    let at = place(reader, message.file.as_deref(), message.line);
                    return Err(format!(
                        "PHP fatal error: {}{at}",
                        message.message.unwrap_or_default()
                    ));
                }
                other => return Err(format!("unexpected message {other:?} from PHP")),
            }
        }
    };
    let result = talk();
    drop(stop);
    drop(stdin);
    {
        let mut child = child.lock().expect("php child");
        let _ = child.kill();
        let _ = child.wait();
    }
    let stderr = stderr.join().unwrap_or_default();
    if timed_out.load(Ordering::SeqCst) {
        return Err(format!(
            "PHP ran over {} s and was stopped",
            limit.as_secs()
        ));
    }
    result.map_err(|e| match stderr.trim() {
        "" => e,
        said => format!("{e}: {said}"),
    })
}

/// Kills the child once `limit` passes, unless the sender is dropped first.
fn watchdog(child: Arc<Mutex<Child>>, limit: Duration) -> (mpsc::Sender<()>, Arc<AtomicBool>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let fired = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&fired);
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
            flag.store(true, Ordering::SeqCst);
            let _ = child.lock().expect("php child").kill();
        }
    });
    (stop, fired)
}

/// One file for PHP, through the recorder: `{"size":N}` and the bytes, or
/// `{"dir":true}`, or `{"absent":true}`.
fn answer_read(
    stdin: &mut impl Write,
    path: &str,
    reader: &mut Recorder,
    seen: &mut Seen,
) -> Result<(), String> {
    let abs = Path::new(path);
    let found = match reader.store().relative(abs) {
        Some(rel) => {
            let found = reader.lookup_hashed(&rel);
            // As the recorder noted it (an unreadable file: its reason's hash).
            let noted = reader.reads.get(&rel).copied().flatten();
            seen.reads.push((rel, noted));
            found.map(|(_, bytes)| bytes)
        }
        None => None,
    };
    let folder = found.is_none() && abs.is_dir();
    if found.is_none() {
        seen.folders.push((abs.to_path_buf(), folder));
    }
    let mut reply = match &found {
        Some(bytes) => serde_json::to_vec(&json!({"size": bytes.len()})),
        None if folder => serde_json::to_vec(&json!({"dir": true})),
        None => serde_json::to_vec(&json!({"absent": true})),
    }
    .expect("json");
    reply.push(b'\n');
    if let Some(bytes) = &found {
        reply.extend_from_slice(bytes);
    }
    stdin
        .write_all(&reply)
        .and_then(|_| stdin.flush())
        .map_err(|e| format!("PHP is gone ({e})"))
}

fn answer(r: WireResult, reader: &Recorder) -> Answer {
    if let Some(e) = r.error {
        return Answer::Error(format!("{e}{}", place(reader, r.file.as_deref(), r.line)));
    }
    if let Some(file) = r.file {
        return match reader.store().relative(Path::new(&file)) {
            Some(rel) => Answer::File(rel),
            None => Answer::Error(format!("returned a FilePath outside the project: {file}")),
        };
    }
    Answer::Value(r.value.unwrap_or(Value::Null))
}

/// ` at FILE:LINE`, the file project-relative.
fn place(reader: &Recorder, file: Option<&str>, line: Option<u64>) -> String {
    let Some(file) = file else {
        return String::new();
    };
    let file = reader
        .store()
        .relative(Path::new(file))
        .unwrap_or_else(|| file.to_string());
    match line {
        Some(line) => format!(" at {file}:{line}"),
        None => format!(" at {file}"),
    }
}

fn send(stdin: &mut impl Write, value: &Value) -> Result<(), String> {
    let mut line = serde_json::to_vec(value).expect("json");
    line.push(b'\n');
    stdin
        .write_all(&line)
        .and_then(|_| stdin.flush())
        .map_err(|e| format!("PHP is gone ({e})"))
}

/// What PHP wrote on stderr that says why it stopped: the last line that
/// is not part of a backtrace (MediaWiki prints the exception, then the
/// frames), without MediaWiki's `[request id] [no req]` prefix.
fn last_lines(mut stderr: impl Read) -> String {
    let mut all = Vec::new();
    let _ = stderr.read_to_end(&mut all);
    let text = String::from_utf8_lossy(&all);
    let said = text
        .lines()
        .map(str::trim)
        .rfind(|l| {
            !l.is_empty()
                && !l.starts_with('#')
                && !l.starts_with("Backtrace:")
                && !l.starts_with("from ")
        })
        .unwrap_or_default();
    match said
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("[no req]"))
    {
        Some((_, message)) => message.trim().to_string(),
        None => said.to_string(),
    }
}

/// `RLDEV_PHP`, else `php` on PATH.
fn find_php() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("RLDEV_PHP") {
        return Ok(PathBuf::from(p));
    }
    crate::less::setup::which("php").ok_or_else(|| {
        "a packageFiles callback runs in PHP and `php` is not on PATH: install PHP 8 \
         (Debian: apt-get install php-cli) or set RLDEV_PHP to its path"
            .to_string()
    })
}

/// `callbacks.php` in the cache folder, under a name of its content hash
/// (written aside and renamed into place, once per process).
fn script_path() -> Result<PathBuf, String> {
    static PATH: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PATH.get_or_init(|| {
        use sha1::{Digest, Sha1};
        let hash = crate::less::cache::hex(&Sha1::digest(SCRIPT.as_bytes())[..8]);
        let dir = crate::less::setup::cache_dir();
        let path = dir.join(format!("php-callbacks-{hash}.php"));
        if std::fs::read(&path).is_ok_and(|b| b == SCRIPT.as_bytes()) {
            return Ok(path);
        }
        let aside = dir.join(format!("php-callbacks-{hash}.php.{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&aside, SCRIPT))
            .and_then(|_| std::fs::rename(&aside, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    })
    .clone()
}
