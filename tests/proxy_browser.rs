//! `rldev serve --proxy` in front of Debian's MediaWiki 1.39, in headless
//! Chromium. The wiki (scripts/mw-wiki: SQLite in a temporary folder,
//! `php -S` on a loopback port) loads a small extension of the test's own
//! and a copy of Vector; rldev's manifests are the same two. Through rldev:
//! the Main Page runs with no module in error and the extension's module
//! (which needs core's `$` and `mw.util`) ready; an edit to the extension's
//! Less, and one to a Less file that Vector's styles import, restyle the
//! page without a reload; a script edit reloads it with the console line
//! saying why; broken Less shows the overlay and the fix removes it; logging
//! in and saving an edit work through the proxy.
//!
//! Needs chromium, chromedriver, php-cli, php-sqlite3 and Debian's
//! `mediawiki` package (`.ci/run` installs them); without them the test
//! says so on stderr and passes.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::browser::{Browser, CONSOLE_HOOK, Page, Tools};
use common::mw::Wiki;
use common::serve::Server;
use futures_util::FutureExt;

const WAIT: Duration = Duration::from_secs(15);
const READY: Duration = Duration::from_secs(120);

const MANIFEST: &str = r#"{
	"name": "ProxyDemo",
	"type": "other",
	"manifest_version": 2,
	"AutoloadClasses": { "ProxyDemoHooks": "ProxyDemoHooks.php" },
	"Hooks": { "BeforePageDisplay": "ProxyDemoHooks::onBeforePageDisplay" },
	"ResourceFileModulePaths": {
		"localBasePath": "resources",
		"remoteExtPath": "ProxyDemo/resources"
	},
	"ResourceModules": {
		"ext.proxyDemo": {
			"scripts": [ "demo.js" ],
			"styles": [ "demo.less" ],
			"dependencies": [ "mediawiki.util" ]
		},
		"ext.proxyDemo.styles": {
			"styles": [ "head.less" ]
		}
	}
}
"#;

const HOOKS: &str = "<?php
class ProxyDemoHooks {
	public static function onBeforePageDisplay( $out, $skin ) {
		$out->addModules( [ 'ext.proxyDemo' ] );
		$out->addModuleStyles( [ 'ext.proxyDemo.styles' ] );
	}
}
";

fn demo_js(version: &str) -> String {
    format!(
        "$( function () {{\n\
         \tvar box = $( '<div>' ).attr( 'id', 'proxy-demo' ).text( '{version} ' + mw.util.wikiUrlencode( 'A B' ) );\n\
         \t$( document.body ).prepend( box );\n\
         \twindow.__demo = ( window.__demo || [] ).concat( '{version}' );\n\
         }} );\n"
    )
}

const DEMO_LESS: &str = "@demo-color: rgb(10, 20, 30);\n#proxy-demo {\n\tcolor: @demo-color;\n}\n";
const DEMO_LESS_EDITED: &str =
    "@demo-color: rgb(200, 0, 100);\n#proxy-demo {\n\tcolor: @demo-color;\n}\n";
/// A syntax error on line 3.
const DEMO_LESS_BROKEN: &str = "@demo-color: rgb(200, 0, 100);\n#proxy-demo {\n\tcolor: (;\n}\n";
const HEAD_LESS: &str = "#proxy-demo {\n\tborder-top: 3px solid rgb(1, 2, 3);\n}\n";
/// A Less file that Vector's `skins.vector.styles` imports (in `@media screen`).
const VECTOR_FILE: &str = "resources/skins.vector.styles/components/Footer.less";

fn extension(root: &Path) {
    let ext = root.join("extensions/ProxyDemo");
    common::write(&ext, "extension.json", MANIFEST);
    common::write(&ext, "ProxyDemoHooks.php", HOOKS);
    common::write(&ext, "resources/demo.js", &demo_js("v1"));
    common::write(&ext, "resources/demo.less", DEMO_LESS);
    common::write(&ext, "resources/head.less", HEAD_LESS);
}

fn skip(what: &str) {
    let line = format!("skipped: {what}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

#[tokio::test]
async fn a_real_wiki_through_the_proxy() {
    let Some(tools) = Tools::find() else { return };
    if !Path::new(common::mw::IP)
        .join("includes/Defines.php")
        .is_file()
    {
        return skip(
            "Debian's mediawiki package is not installed (apt-get install mediawiki php-sqlite3 php-cli)",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    extension(&root);
    common::copy_dir(
        &Path::new(common::mw::IP).join("skins/Vector"),
        &root.join("skins/Vector"),
    );
    let wiki = Wiki::start(
        &dir.path().join("wiki"),
        &[
            "--extensions",
            "none",
            "--skins",
            "none",
            "--extra-skin",
            root.join("skins/Vector").to_str().unwrap(),
            "--extra-extension",
            root.join("extensions/ProxyDemo").to_str().unwrap(),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let password = wiki.password.clone();
    common::write(
        &root,
        "rldev.toml",
        &format!(
            "manifests = [\"skins/Vector/skin.json\", \"extensions/ProxyDemo/extension.json\"]\n\
             core = \"{}\"\nskin = \"vector-2022\"\n\n[server]\nproxy = \"{}\"\n",
            common::mw::IP,
            wiki.url
        ),
    );
    let cache = dir.path().join("cache");
    let server = Server::start(&root, &[], 0, &cache, READY);
    let browser = Browser::start(&tools, dir.path()).await;
    let mut s = Session {
        browser,
        server: Some(server),
        root,
        cache,
        password,
    };
    let outcome = std::panic::AssertUnwindSafe(steps(&mut s))
        .catch_unwind()
        .await;
    s.browser.close().await;
    drop(wiki);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn steps(s: &mut Session) {
    // 1. The Main Page through rldev: no module in error, the extension's
    // module ready, its styles (from mw.loader and from the head's <link>).
    s.open("/w/index.php?title=Main_Page").await;
    s.wait(
        "ext.proxyDemo ready, #proxy-demo with both modules' styles",
        "var b = document.getElementById('proxy-demo');
         return mw.loader.getState('ext.proxyDemo') === 'ready' && !!b
            && b.textContent === 'v1 A_B'
            && getComputedStyle(b).color === 'rgb(10, 20, 30)'
            && getComputedStyle(b).borderTopColor === 'rgb(1, 2, 3)'",
    )
    .await;
    s.check(
        "no module of the page in error",
        "return Object.keys(mw.loader.moduleRegistry).filter(function (n) {
            return mw.loader.getState(n) === 'error'; }).length === 0",
    )
    .await;
    // The batch that brought ext.proxyDemo (with the wiki's modules) names
    // its content in `version=`, as the loader computes it: cacheable.
    s.wait(
        "the load.php batch of ext.proxyDemo answers with a long Cache-Control",
        "var done = arguments[arguments.length - 1];
         var batch = performance.getEntriesByType('resource').map(function (e) { return e.name; })
            .filter(function (u) { return u.includes('ext.proxyDemo') && u.includes('version='); })[0];
         if (!batch) { return false; }
         var x = new XMLHttpRequest(); x.open('GET', batch, false); x.send();
         return x.status === 200 && /immutable/.test(x.getResponseHeader('Cache-Control'))
            && x.responseText.includes('mw.loader.implement(\"ext.proxyDemo@')
            && x.responseText.includes('mw.loader.implement(\"jquery@');",
    )
    .await;
    s.js(CONSOLE_HOOK).await;

    // 2. The extension's Less: restyled in place.
    s.js("window.__kept = 1; return null").await;
    common::write(&s.ext(), "resources/demo.less", DEMO_LESS_EDITED);
    s.wait(
        "#proxy-demo's colour to become rgb(200, 0, 100)",
        "return getComputedStyle(document.getElementById('proxy-demo')).color === 'rgb(200, 0, 100)'",
    )
    .await;

    // 3. A Less file Vector's styles import (they came by <link>): in place too.
    let vector = s.root.join("skins/Vector");
    let mut footer = std::fs::read_to_string(vector.join(VECTOR_FILE)).unwrap();
    footer.push_str("\n#proxy-demo {\n\toutline: 2px solid rgb(4, 5, 6);\n}\n");
    common::write(&vector, VECTOR_FILE, &footer);
    s.wait(
        "#proxy-demo's outline from Vector's edited Footer.less",
        "return getComputedStyle(document.getElementById('proxy-demo')).outlineColor === 'rgb(4, 5, 6)'",
    )
    .await;
    s.check(
        "no reload for style changes (window.__kept still 1), the other styles kept",
        "var b = document.getElementById('proxy-demo');
         return window.__kept === 1 && getComputedStyle(b).borderTopColor === 'rgb(1, 2, 3)'
            && getComputedStyle(b).color === 'rgb(200, 0, 100)'",
    )
    .await;

    // 4. Broken Less: the overlay names the module and the file; the fix removes it.
    common::write(&s.ext(), "resources/demo.less", DEMO_LESS_BROKEN);
    s.wait(
        "#rldev-overlay naming ext.proxyDemo and demo.less:3",
        "var o = document.getElementById('rldev-overlay');
         return !!o && o.innerText.includes('ext.proxyDemo') && o.innerText.includes('demo.less:3:')",
    )
    .await;
    common::write(&s.ext(), "resources/demo.less", DEMO_LESS_EDITED);
    s.wait(
        "#rldev-overlay gone once demo.less is fixed",
        "return !document.getElementById('rldev-overlay')",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.check(
        "no reload after the fix (window.__kept still 1)",
        "return window.__kept === 1",
    )
    .await;

    // 5. rldev restarts on the same port with nothing changed: the client
    // reconnects, compares versions and reloads nothing.
    s.js("window.__kept = 5; return null").await;
    let server = s.server.take().expect("rldev runs");
    let port = server.port;
    server.kill();
    s.server = Some(Server::start(&s.root, &[], port, &s.cache, READY));
    s.wait(
        "the console lines of the lost connection and of its return",
        "var logs = window.__logs || [];
         return logs.some(function (l) { return l.includes('[rldev] connection to rldev lost'); })
            && logs.some(function (l) { return l.includes('[rldev] connection to rldev is back'); })",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.check(
        "no reload after a restart with no change (window.__kept still 5)",
        "return window.__kept === 5
            && !(window.__logs || []).some(function (l) { return l.includes('[rldev] reloading'); })",
    )
    .await;

    // 6. A script edit reloads the page, with the console line saying why.
    common::write(&s.ext(), "resources/demo.js", &demo_js("v2"));
    s.wait(
        "a reload (window.__kept gone) that ran demo.js v2",
        "var b = document.getElementById('proxy-demo');
         return window.__kept === undefined && !!b && b.textContent === 'v2 A_B'
            && (window.__demo || []).join() === 'v2'",
    )
    .await;
    let logs = s.browser.console_tail();
    assert!(
        logs.contains("[rldev] reloaded after: ext.proxyDemo: script changed"),
        "the reloaded page says why\n{logs}"
    );

    // 7. Logging in and saving an edit, through the proxy.
    s.open("/w/index.php?title=Special:UserLogin").await;
    s.wait(
        "the login form",
        "return !!document.getElementById('wpName1')",
    )
    .await;
    let login = format!(
        "document.getElementById('wpName1').value = 'Admin';
         document.getElementById('wpPassword1').value = {};
         document.getElementById('wpLoginAttempt').click(); return null",
        serde_json::to_string(&s.password).unwrap()
    );
    s.js(&login).await;
    s.wait(
        "logged in as Admin",
        "return window.mw && mw.config.get('wgUserName') === 'Admin'",
    )
    .await;
    s.open("/w/index.php?title=Proxy_test&action=edit").await;
    s.wait(
        "the edit form",
        "return !!document.getElementById('wpTextbox1')",
    )
    .await;
    s.js(
        "document.getElementById('wpTextbox1').value = 'Saved through rldev.';
         document.getElementById('wpSave').click(); return null",
    )
    .await;
    s.wait(
        "the saved page, shown through rldev",
        "return mw.config.get('wgPageName') === 'Proxy_test' && mw.config.get('wgAction') === 'view'
            && document.getElementById('mw-content-text').innerText.includes('Saved through rldev.')",
    )
    .await;
    s.check(
        "still on rldev's origin",
        &format!(
            "return location.origin === {}",
            serde_json::to_string(s.origin().trim_end_matches('/')).unwrap()
        ),
    )
    .await;
}

struct Session {
    browser: Browser,
    server: Option<Server>,
    root: PathBuf,
    cache: PathBuf,
    password: String,
}

/// What a failure message shows of the page.
const SNAPSHOT: &str = "
var o = document.getElementById('rldev-overlay');
var b = document.getElementById('proxy-demo');
var states = {};
if (window.mw && mw.loader) {
    ['ext.proxyDemo', 'ext.proxyDemo.styles', 'skins.vector.styles', 'mediawiki.util'].forEach(function (n) {
        try { states[n] = mw.loader.getState(n); } catch (e) { states[n] = String(e); }
    });
}
return JSON.stringify({
    url: location.href,
    title: document.title,
    overlay: o ? o.innerText : null,
    demo: b ? { text: b.textContent, color: getComputedStyle(b).color,
                border: getComputedStyle(b).borderTopColor, outline: getComputedStyle(b).outlineColor } : null,
    kept: window.__kept === undefined ? null : window.__kept,
    states: states,
    logs: (window.__logs || []).slice(-15)
}, null, 1);";

impl Session {
    fn ext(&self) -> PathBuf {
        self.root.join("extensions/ProxyDemo")
    }

    /// rldev's URL (`http://127.0.0.1:PORT/w/`): its origin and the wiki's path.
    fn origin(&self) -> String {
        let url = &self.server.as_ref().expect("rldev runs").url;
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let end = url[after_scheme..]
            .find('/')
            .map_or(url.len(), |i| after_scheme + i);
        url[..end].to_string()
    }

    async fn open(&self, path: &str) {
        self.goto(&format!("{}{path}", self.origin())).await;
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
            .map_or_else(String::new, Server::stderr_tail)
    }

    fn patience(&self) -> Duration {
        WAIT
    }
}
