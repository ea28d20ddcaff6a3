//! `rldev serve` in a real headless Chromium (through chromedriver and
//! fantoccini): modules run, a Less edit swaps styles without a reload, a JS
//! edit reloads, a Less error shows the overlay and its fix removes it, a
//! server restart with nothing changed reloads nothing, and a module whose file
//! appears after the page loaded it runs (no stale "missing" or error kept).
//!
//! Needs `chromium` and `chromedriver` (Debian: apt-get install chromium
//! chromium-driver); without them each test says so on stderr and passes.
//! `RLDEV_CHROMIUM` and `RLDEV_CHROMEDRIVER` name other binaries.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::serve::Server;
use fantoccini::{Client, ClientBuilder};
use futures_util::FutureExt;
use serde_json::{Value, json};

/// How long a page gets to show what a step expects.
const WAIT: Duration = Duration::from_secs(10);
/// How long a server gets to print `ready` (a cold less.js start in a debug build).
const READY: Duration = Duration::from_secs(60);

/// One browser at a time: this machine may have two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------- the project

const MANIFEST: &str = r#"{
	"name": "Live",
	"manifest_version": 2,
	"ResourceFileModulePaths": {
		"localBasePath": "resources",
		"remoteExtPath": "Live/resources"
	},
	"ResourceModules": {
		"ext.live.base": {
			"styles": [ "base.less" ]
		},
		"ext.live.app": {
			"scripts": [ "app.js" ],
			"styles": [ "app.less" ],
			"dependencies": [ "ext.live.base" ]
		}
	}
}
"#;

const COLORS: &str = "@box-color: rgb(10, 20, 30);\n";
const COLORS_EDITED: &str = "@box-color: rgb(200, 0, 100);\n";
const BASE_LESS: &str = "@import 'colors.less';\n\n#box {\n\tcolor: @box-color;\n}\n";
const APP_LESS: &str = "// The box's border.\n#box {\n\tborder-top: 3px solid rgb(1, 2, 3);\n}\n";
/// A syntax error on line 3 (less.js: "Expected ')'" at 3:15).
const APP_LESS_BROKEN: &str = "// The box's border.\n#box {\n\tborder-top: (;\n}\n";

fn app_js(version: &str) -> String {
    format!(
        "( function () {{\n\
         \tvar box = document.createElement( 'div' );\n\
         \tbox.id = 'box';\n\
         \tbox.textContent = '{version}';\n\
         \tdocument.body.appendChild( box );\n\
         \twindow.__marks = ( window.__marks || [] ).concat( 'app {version}' );\n\
         }}() );\n"
    )
}

fn project(root: &Path) {
    common::write(root, "extension.json", MANIFEST);
    common::write(root, "resources/colors.less", COLORS);
    common::write(root, "resources/base.less", BASE_LESS);
    common::write(root, "resources/app.less", APP_LESS);
    common::write(root, "resources/app.js", &app_js("v1"));
}

// ------------------------------------------------------------------ the tests

#[tokio::test]
async fn live_reload_in_chromium() {
    let _serial = SERIAL.lock().await;
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    project(&dir.path().join("project"));
    run(&tools, dir.path(), live_reload_steps).await;
}

async fn live_reload_steps(s: &mut Session) {
    // 1. The page runs the modules: base's style, app's script and style.
    s.open("/").await;
    s.wait(
        "app v1 ran and #box has its styles",
        "return (window.__marks || []).includes('app v1') && !!document.getElementById('box')
            && getComputedStyle(document.getElementById('box')).color === 'rgb(10, 20, 30)'
            && getComputedStyle(document.getElementById('box')).borderTopColor === 'rgb(1, 2, 3)'",
    )
    .await;

    // 2. A Less edit (an imported file) swaps the style in place: no reload.
    s.js("window.__kept = 1; return null").await;
    common::write(&s.root, "resources/colors.less", COLORS_EDITED);
    s.wait(
        "#box's color to become rgb(200, 0, 100) from the edited colors.less",
        "return getComputedStyle(document.getElementById('box')).color === 'rgb(200, 0, 100)'",
    )
    .await;
    s.check(
        "no reload for a style change (window.__kept still 1), one style element per module",
        "return window.__kept === 1
            && document.querySelectorAll('style[data-rldev-module=\"ext.live.base\"]').length === 1",
    )
    .await;

    // 3. A JS edit reloads the page, which runs the new code.
    common::write(&s.root, "resources/app.js", &app_js("v2"));
    s.wait(
        "a reload (window.__kept gone) that ran app v2",
        "return window.__kept === undefined && (window.__marks || []).includes('app v2')
            && !(window.__marks || []).includes('app v1')
            && document.getElementById('box').textContent === 'v2'",
    )
    .await;
    s.check(
        "the reloaded page has the edited colour",
        "return getComputedStyle(document.getElementById('box')).color === 'rgb(200, 0, 100)'",
    )
    .await;

    // 4. A Less syntax error shows the overlay, naming the file and line; the fix removes it.
    s.js("window.__kept = 1; return null").await;
    common::write(&s.root, "resources/app.less", APP_LESS_BROKEN);
    s.wait(
        "#rldev-overlay naming ext.live.app and resources/app.less:3",
        "var o = document.getElementById('rldev-overlay');
         return !!o && o.innerText.includes('ext.live.app') && o.innerText.includes('resources/app.less:3:')",
    )
    .await;
    common::write(&s.root, "resources/app.less", APP_LESS);
    s.wait(
        "#rldev-overlay gone (or hidden) once app.less is fixed",
        "var o = document.getElementById('rldev-overlay');
         return !o || !o.isConnected || getComputedStyle(o).display === 'none'",
    )
    .await;
    // The fix restores the output the page already runs: nothing to reload.
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.check(
        "no reload after the fix (window.__kept still 1), #box keeps its border",
        "return window.__kept === 1
            && getComputedStyle(document.getElementById('box')).borderTopColor === 'rgb(1, 2, 3)'",
    )
    .await;

    // 5. The server restarts on the same port with nothing changed: the client
    // reconnects and reloads nothing.
    s.js(CONSOLE_HOOK).await;
    s.js("window.__kept = 5; return null").await;
    let port = s.server.as_ref().unwrap().port;
    s.server.take().unwrap().kill();
    s.server = Some(Server::start(
        &s.root,
        &["extension.json"],
        port,
        &s.cache,
        READY,
    ));
    s.wait(
        "the console lines of the lost connection and of its return (or a reload, caught below)",
        "var logs = window.__logs || [];
        return window.__kept !== 5
            || (logs.some(function (l) { return l.includes('[rldev] connection to rldev lost'); })
                && logs.some(function (l) { return l.includes('[rldev] connection to rldev is back'); }))",
    )
    .await;
    // A reload would come after the hello (or the answer to a sync): give it time.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.check(
        "no reload after a restart with no change (window.__kept still 5, no '[rldev] reloading')",
        "return window.__kept === 5
            && !(window.__logs || []).some(function (l) { return l.includes('[rldev] reloading'); })",
    )
    .await;
}

/// Seed 000 (a module requested before its file was deployed stayed "missing"
/// for an hour): a page that loaded a module while its file was absent gets it
/// once the file appears, and a module added to the manifest later loads too.
#[tokio::test]
async fn a_module_whose_file_appears_later_runs() {
    let _serial = SERIAL.lock().await;
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    project(&root);
    let with_late = MANIFEST.replace(
        "\t\t\"ext.live.app\": {",
        "\t\t\"ext.live.late\": {\n\t\t\t\"scripts\": [ \"late.js\" ]\n\t\t},\n\t\t\"ext.live.app\": {",
    );
    common::write(&root, "extension.json", &with_late);
    run(&tools, dir.path(), async |s| {
        late_file_steps(s, &with_late).await
    })
    .await;
}

async fn late_file_steps(s: &mut Session, manifest: &str) {
    s.open("/").await;
    s.wait(
        "app v1 ran, and the overlay names ext.live.late and its missing late.js",
        "var o = document.getElementById('rldev-overlay');
         return (window.__marks || []).includes('app v1')
            && !!o && o.innerText.includes('ext.live.late') && o.innerText.includes('late.js')",
    )
    .await;
    s.check(
        "ext.live.late is not ready while late.js is absent",
        "return mw.loader.getState('ext.live.late') !== 'ready' && window.__late === undefined",
    )
    .await;

    // The file appears: the module, in error when the page loaded it, never
    // ran, so the page reloads and runs it; no stale response is reused.
    common::write(&s.root, "resources/late.js", "window.__late = 1;\n");
    s.wait(
        "a reload that ran late.js (window.__late === 1), overlay gone",
        "var o = document.getElementById('rldev-overlay');
         return window.__late === 1 && mw.loader.getState('ext.live.late') === 'ready'
            && (!o || !o.isConnected || getComputedStyle(o).display === 'none')",
    )
    .await;

    // A module added to the manifest (with its file) while the page is open:
    // a page opened afterwards loads it.
    common::write(&s.root, "resources/new.js", "window.__new = 1;\n");
    let with_new = manifest.replace(
        "\t\t\"ext.live.app\": {",
        "\t\t\"ext.live.new\": {\n\t\t\t\"scripts\": [ \"new.js\" ]\n\t\t},\n\t\t\"ext.live.app\": {",
    );
    common::write(&s.root, "extension.json", &with_new);
    s.server.as_mut().unwrap().next_event(WAIT, |e| {
        e["event"] == "diff" && e["added"].get("ext.live.new").is_some()
    });
    s.open("/").await;
    s.wait(
        "a new page that ran ext.live.new (window.__new === 1)",
        "return window.__new === 1 && mw.loader.getState('ext.live.new') === 'ready'",
    )
    .await;
}

// --------------------------------------------------------------- the harness

/// Wraps the page's console so that later lines (e.g. `[rldev] connected`)
/// can be read back from `window.__logs`.
const CONSOLE_HOOK: &str = "
if (!window.__logs) {
    window.__logs = [];
    ['log', 'info', 'warn', 'error', 'debug'].forEach(function (k) {
        var f = console[k];
        console[k] = function () {
            window.__logs.push(k + ': ' + Array.prototype.map.call(arguments, String).join(' '));
            return f.apply(console, arguments);
        };
    });
}
return null;";

/// What a failure message shows of the page.
const SNAPSHOT: &str = "
var o = document.getElementById('rldev-overlay');
var b = document.getElementById('box');
var states = {};
if (window.mw && mw.loader && mw.loader.getState) {
    ['ext.live.base', 'ext.live.app', 'ext.live.late', 'ext.live.new'].forEach(function (n) {
        try { states[n] = mw.loader.getState(n); } catch (e) { states[n] = String(e); }
    });
}
return JSON.stringify({
    url: location.href,
    title: document.title,
    readyState: document.readyState,
    overlay: o ? o.innerText : null,
    box: b ? { text: b.textContent, color: getComputedStyle(b).color,
               borderTopColor: getComputedStyle(b).borderTopColor } : null,
    marks: window.__marks === undefined ? null : window.__marks,
    kept: window.__kept === undefined ? null : window.__kept,
    states: states,
    styles: Array.prototype.map.call(document.querySelectorAll('style[data-rldev-module]'),
        function (s) { return s.getAttribute('data-rldev-module') + ': ' + s.textContent.slice(0, 200); }),
    logs: (window.__logs || []).slice(-15)
}, null, 1);";

/// Starts `rldev serve` on `dir/project` and a browser, runs `steps`, and
/// closes the browser whether they pass or not.
async fn run(tools: &Tools, dir: &Path, steps: impl AsyncFnOnce(&mut Session)) {
    let root = dir.join("project");
    let cache = dir.join("cache");
    let server = Server::start(&root, &["extension.json"], 0, &cache, READY);
    let browser = Browser::start(tools, dir).await;
    let mut s = Session {
        browser,
        server: Some(server),
        root,
        cache,
    };
    let outcome = std::panic::AssertUnwindSafe(steps(&mut s))
        .catch_unwind()
        .await;
    s.browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The browser, the server and the project of one test.
struct Session {
    browser: Browser,
    server: Option<Server>,
    root: PathBuf,
    cache: PathBuf,
}

impl Session {
    fn url(&self, path: &str) -> String {
        let base = &self.server.as_ref().expect("no server running").url;
        format!("{}{}", base.trim_end_matches('/'), path)
    }

    async fn open(&self, path: &str) {
        let url = self.url(path);
        if let Err(e) = self.browser.client.goto(&url).await {
            panic!("{}", self.report(&format!("cannot open {url}: {e}")).await);
        }
    }

    /// Runs `script` (a function body that returns a value) in the page.
    async fn js(&self, script: &str) -> Value {
        match self.browser.client.execute(script, vec![]).await {
            Ok(v) => v,
            Err(e) => panic!(
                "{}",
                self.report(&format!("script failed: {e}\n{script}")).await
            ),
        }
    }

    /// Polls `script` until it returns a truthy value (script errors, e.g.
    /// during a reload, count as not yet); fails after [`WAIT`].
    async fn wait(&self, expected: &str, script: &str) -> Value {
        let end = Instant::now() + WAIT;
        loop {
            let last_error = match self.browser.client.execute(script, vec![]).await {
                Ok(v) if truthy(&v) => return v,
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            };
            if Instant::now() >= end {
                let why =
                    last_error.map_or(String::new(), |e| format!(" (last script error: {e})"));
                let what = format!("waited {WAIT:?} for: {expected}{why}");
                panic!("{}", self.report(&what).await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts `script` returns a truthy value now.
    async fn check(&self, expected: &str, script: &str) {
        let v = self.js(script).await;
        if !truthy(&v) {
            panic!("{}", self.report(&format!("expected: {expected}")).await);
        }
    }

    /// A failure message: `what`, the page's state, its console and the server's stderr.
    async fn report(&self, what: &str) -> String {
        let page = match self.browser.client.execute(SNAPSHOT, vec![]).await {
            Ok(Value::String(s)) => s,
            Ok(v) => v.to_string(),
            Err(e) => format!("(cannot read the page: {e})"),
        };
        let server = self
            .server
            .as_ref()
            .map_or("(no server running)".to_string(), Server::stderr_tail);
        let console = self.browser.console_tail();
        format!("{what}\n--- the page ---\n{page}\n{console}\n{server}")
    }
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false)) && v != &json!(0) && v != &json!("")
}

/// Where chromium and chromedriver are; `None` (after saying so) when absent.
struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Tools {
    fn find() -> Option<Tools> {
        let find = |var: &str, names: &[&str]| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_file())
                .or_else(|| names.iter().find_map(|n| which(n)))
        };
        let chromium = find(
            "RLDEV_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        );
        let chromedriver = find("RLDEV_CHROMEDRIVER", &["chromedriver"]);
        match (chromium, chromedriver) {
            (Some(chromium), Some(chromedriver)) => Some(Tools {
                chromium,
                chromedriver,
            }),
            (chromium, _) => {
                let missing = if chromium.is_none() {
                    "chromium"
                } else {
                    "chromedriver"
                };
                // Past the test harness's capture, so that a passing run still says it.
                let line = format!(
                    "skipped: {missing} not found (apt-get install chromium chromium-driver)\n"
                );
                let _ = std::io::stderr().write_all(line.as_bytes());
                None
            }
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A headless Chromium driven through chromedriver. Closing the session ends
/// Chromium; on a panic the guard kills what is left.
struct Browser {
    client: Client,
    _driver: Driver,
}

impl Browser {
    async fn start(tools: &Tools, tmp: &Path) -> Browser {
        let profile = tmp.join("chromium-profile");
        let log = tmp.join("chromedriver.log");
        std::fs::create_dir_all(&profile).unwrap();
        let port = free_port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg("--enable-chrome-logs")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display()));
        let driver = Driver {
            child,
            profile: profile.clone(),
            log,
        };
        let end = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < end,
                "chromedriver did not listen on port {port} within {WAIT:?}\n{}",
                driver.console_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--enable-logging=stderr",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start a chromium session: {e}\n{}",
                    driver.console_tail()
                )
            });
        Browser {
            client,
            _driver: driver,
        }
    }

    fn console_tail(&self) -> String {
        self._driver.console_tail()
    }

    async fn close(&self) {
        let _ = self.client.clone().close().await;
    }
}

/// The chromedriver process: killed on drop, with any Chromium process still
/// running on this test's profile folder.
struct Driver {
    child: Child,
    profile: PathBuf,
    log: PathBuf,
}

impl Driver {
    /// The browser's console lines (Chromium logs them to stderr, which
    /// chromedriver passes on) and the last lines of chromedriver's log.
    fn console_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(":CONSOLE")).collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("--- browser console (last 20 lines) ---\n{tail}")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in processes_using(&self.profile) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

/// Processes whose command line names `profile` (Chromium started for this test).
fn processes_using(profile: &Path) -> Vec<u32> {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        String::from_utf8_lossy(&cmd)
            .split('\0')
            .any(|a| a == needle)
            .then_some(pid)
    })
    .collect()
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
