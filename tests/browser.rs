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

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::browser::{self, Browser, Page, Tools};
use common::serve::Server;
use futures_util::FutureExt;

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
    s.js(browser::CONSOLE_HOOK).await;
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

/// A JavaScript syntax error is contained to its module: one bad file among
/// five modules of one batch, the other four run, the bad one is `error` and
/// the overlay shows the line with a caret.
#[tokio::test]
async fn a_script_syntax_error_breaks_only_its_module() {
    let _serial = SERIAL.lock().await;
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let mut modules = Vec::new();
    for i in 1..=5 {
        modules.push(format!(
            "\"ext.syntax.m{i}\": {{ \"scripts\": [ \"m{i}.js\" ] }}"
        ));
        let body = if i == 3 {
            "window.__marks = ( window.__marks || [] ).concat( 'm3' );\nvar = ;\n".to_string()
        } else {
            format!("window.__marks = ( window.__marks || [] ).concat( 'm{i}' );\n")
        };
        common::write(&root, &format!("resources/m{i}.js"), &body);
    }
    common::write(
        &root,
        "extension.json",
        &format!(
            "{{ \"name\": \"Syntax\", \"manifest_version\": 2,\n\
             \"ResourceFileModulePaths\": {{ \"localBasePath\": \"resources\", \"remoteExtPath\": \"Syntax/resources\" }},\n\
             \"ResourceModules\": {{ {} }} }}\n",
            modules.join(",\n")
        ),
    );
    run(&tools, dir.path(), async |s| {
        s.open("/").await;
        s.wait(
            "m1, m2, m4 and m5 ran; m3 is error; the overlay frames line 2 of m3.js",
            "var o = document.getElementById('rldev-overlay');
             var marks = (window.__marks || []).slice().sort().join();
             return marks === 'm1,m2,m4,m5' && mw.loader.getState('ext.syntax.m3') === 'error'
                && ['ext.syntax.m1', 'ext.syntax.m2', 'ext.syntax.m4', 'ext.syntax.m5'].every(function (n) {
                    return mw.loader.getState(n) === 'ready'; })
                && !!o && o.innerText.includes('resources/m3.js:2:5')
                && o.innerText.includes('2 | var = ;') && o.innerText.includes('^')",
        )
        .await;
    })
    .await;
}

/// Another site's page cannot read a module's code with
/// `<script src=…/load?modules=…>`: the browser says `Sec-Fetch-Site:
/// cross-site` and rldev refuses; rldev's own page loads the same URL.
#[tokio::test]
async fn another_sites_page_cannot_load_module_code() {
    let _serial = SERIAL.lock().await;
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    project(&dir.path().join("project"));
    run(&tools, dir.path(), async |s| {
        // The page at http://localhost:PORT/ is another site than 127.0.0.1.
        let port = s.server.as_ref().unwrap().port;
        let page = format!("http://localhost:{port}/");
        s.browser.client.goto(&page).await.unwrap();
        s.wait(
            "the page ran",
            "return (window.__marks || []).includes('app v1')",
        )
        .await;
        let probe = |host: &str| {
            format!(
                "var done = arguments[0];
                 var el = document.createElement('script');
                 el.src = 'http://{host}:{port}/load?modules=ext.live.app&only=scripts';
                 el.onload = function () {{ done('loaded'); }};
                 el.onerror = function () {{ done('refused'); }};
                 document.head.appendChild(el);"
            )
        };
        let cross = s
            .browser
            .client
            .execute_async(&probe("127.0.0.1"), vec![])
            .await
            .unwrap();
        assert_eq!(cross, "refused", "a cross-site script request is refused");
        let same = s
            .browser
            .client
            .execute_async(&probe("localhost"), vec![])
            .await
            .unwrap();
        assert_eq!(same, "loaded", "the page's own origin still loads it");
    })
    .await;
}

/// Standalone, a module that needs a module of core (here `mediawiki.util`)
/// runs without it, and the page says so, naming `--proxy`.
#[tokio::test]
async fn an_unserved_dependency_is_named_on_the_page() {
    let _serial = SERIAL.lock().await;
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    project(&root);
    let manifest = MANIFEST.replace(
        "\"dependencies\": [ \"ext.live.base\" ]",
        "\"dependencies\": [ \"ext.live.base\", \"mediawiki.util\" ]",
    );
    assert_ne!(manifest, MANIFEST);
    common::write(&root, "extension.json", &manifest);
    run(&tools, dir.path(), async |s| {
        s.open("/").await;
        s.wait(
            "app v1 ran, and #rldev-notice names the missing dependency and --proxy",
            "var n = document.getElementById('rldev-notice');
             return (window.__marks || []).includes('app v1') && !!n
                && n.innerText.includes('ext.live.app → mediawiki.util')
                && n.innerText.includes('rldev serve --proxy')",
        )
        .await;
    })
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
        self.goto(&self.url(path)).await;
    }
}

impl Page for Session {
    fn browser(&self) -> &Browser {
        &self.browser
    }

    fn snapshot(&self) -> &str {
        SNAPSHOT
    }

    fn more(&self) -> String {
        self.server
            .as_ref()
            .map_or("(no server running)".to_string(), Server::stderr_tail)
    }

    fn patience(&self) -> Duration {
        WAIT
    }
}
