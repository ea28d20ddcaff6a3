//! A headless Chromium driven through chromedriver (fantoccini), for the
//! browser tests: finding the binaries, starting and closing a session,
//! running and polling scripts in the page.
//!
//! Needs `chromium` and `chromedriver` (Debian: apt-get install chromium
//! chromium-driver); `RLDEV_CHROMIUM` and `RLDEV_CHROMEDRIVER` name other
//! binaries.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// How long chromedriver gets to listen.
const START: Duration = Duration::from_secs(10);

/// Wraps the page's console so that later lines (e.g. `[rldev] connected`)
/// can be read back from `window.__logs`.
pub const CONSOLE_HOOK: &str = "
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

pub fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false)) && v != &json!(0) && v != &json!("")
}

/// Where chromium and chromedriver are; `None` (after saying so) when absent.
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Tools {
    pub fn find() -> Option<Tools> {
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
pub struct Browser {
    pub client: Client,
    _driver: Driver,
}

impl Browser {
    pub async fn start(tools: &Tools, tmp: &Path) -> Browser {
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
        let end = Instant::now() + START;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < end,
                "chromedriver did not listen on port {port} within {START:?}\n{}",
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

    pub fn console_tail(&self) -> String {
        self._driver.console_tail()
    }

    /// Runs `script` (a function body that returns a value) in the page.
    pub async fn js(&self, script: &str) -> Result<Value, String> {
        self.client
            .execute(script, vec![])
            .await
            .map_err(|e| format!("script failed: {e}\n{script}"))
    }

    /// Polls `script` until it returns a truthy value (script errors, e.g.
    /// during a reload, count as not yet); Err after `wait`, saying what was
    /// expected.
    pub async fn wait(
        &self,
        wait: Duration,
        expected: &str,
        script: &str,
    ) -> Result<Value, String> {
        let end = Instant::now() + wait;
        loop {
            let last_error = match self.client.execute(script, vec![]).await {
                Ok(v) if truthy(&v) => return Ok(v),
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            };
            if Instant::now() >= end {
                let why =
                    last_error.map_or(String::new(), |e| format!(" (last script error: {e})"));
                return Err(format!("waited {wait:?} for: {expected}{why}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Err unless `script` returns a truthy value now.
    pub async fn check(&self, expected: &str, script: &str) -> Result<(), String> {
        let v = self.js(script).await?;
        if truthy(&v) {
            Ok(())
        } else {
            Err(format!("expected: {expected}"))
        }
    }

    pub async fn close(&self) {
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

/// A test's session with a page: what a failure message shows besides what
/// was expected; every step that fails panics with that message.
#[allow(async_fn_in_trait)]
pub trait Page {
    fn browser(&self) -> &Browser;
    /// A script returning a string: the page's state for a failure message.
    fn snapshot(&self) -> &str;
    /// More for a failure message (the server's stderr).
    fn more(&self) -> String;
    /// How long `wait` polls.
    fn patience(&self) -> Duration;

    /// A failure message: `what`, the page's state, its console and `more`.
    async fn report(&self, what: &str) -> String {
        let page = match self.browser().client.execute(self.snapshot(), vec![]).await {
            Ok(Value::String(s)) => s,
            Ok(v) => v.to_string(),
            Err(e) => format!("(cannot read the page: {e})"),
        };
        format!(
            "{what}\n--- the page ---\n{page}\n{}\n{}",
            self.browser().console_tail(),
            self.more()
        )
    }

    async fn goto(&self, url: &str) {
        if let Err(e) = self.browser().client.goto(url).await {
            panic!("{}", self.report(&format!("cannot open {url}: {e}")).await);
        }
    }

    /// Runs `script` (a function body that returns a value) in the page.
    async fn js(&self, script: &str) -> Value {
        match self.browser().js(script).await {
            Ok(v) => v,
            Err(e) => panic!("{}", self.report(&e).await),
        }
    }

    /// Polls `script` until it returns a truthy value; fails after `patience`.
    async fn wait(&self, expected: &str, script: &str) -> Value {
        match self.browser().wait(self.patience(), expected, script).await {
            Ok(v) => v,
            Err(e) => panic!("{}", self.report(&e).await),
        }
    }

    /// Asserts `script` returns a truthy value now.
    async fn check(&self, expected: &str, script: &str) {
        if let Err(e) = self.browser().check(expected, script).await {
            panic!("{}", self.report(&e).await);
        }
    }
}
