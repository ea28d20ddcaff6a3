//! The real binary on temp trees: output shapes and exit codes scripts rely on.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn rldev(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const EXT: &str = r#"{"name": "T", "manifest_version": 2,
 "ResourceFileModulePaths": {"localBasePath": "resources", "remoteExtPath": "T/resources"},
 "ResourceModules": {
  "ext.t.greeting": {"scripts": ["greeting.js"], "styles": ["greeting.css"], "dependencies": ["ext.t.base"]},
  "ext.t.base": {"scripts": ["base.js"]}
 }}"#;

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "extension.json", EXT);
    common::write(dir.path(), "resources/greeting.js", "var g;\n");
    common::write(
        dir.path(),
        "resources/greeting.css",
        ".g { background: url(wave.svg); }\n",
    );
    common::write(dir.path(), "resources/wave.svg", "<svg/>\n");
    common::write(dir.path(), "resources/base.js", "var b;\n");
    dir
}

#[test]
fn json_registry_has_the_interface_shape() {
    let dir = tree();
    let out = rldev(dir.path(), &["hashes", "extension.json", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["seq"], 0);
    let g = &v["modules"]["ext.t.greeting"];
    assert_eq!(g["dependencies"], serde_json::json!(["ext.t.base"]));
    assert_eq!(g["state"], "ready");
    assert_eq!(g["group"], serde_json::Value::Null);
    assert_eq!(g["error"], serde_json::Value::Null);
    assert_eq!(
        g["files"],
        serde_json::json!([
            "resources/greeting.css",
            "resources/greeting.js",
            "resources/wave.svg"
        ])
    );
    let version = g["version"].as_str().unwrap();
    assert_eq!(version.len(), 8);
    assert!(
        version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    // The folder works as well as the file, and gives the same answer.
    let again = rldev(dir.path(), &["hashes", ".", "--json"]);
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn human_table_and_exit_one_on_module_error() {
    let dir = tree();
    std::fs::remove_file(dir.path().join("resources/base.js")).unwrap();
    let out = rldev(dir.path(), &["hashes", "extension.json"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("ext.t.greeting  ") && lines[0].ends_with("  ready"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("ext.t.base      ") && lines[1].ends_with("  error"),
        "{stdout}"
    );
    assert!(
        stdout.contains("error ext.t.base: resources/base.js: file not found"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "no colour when piped");
}

#[test]
fn malformed_manifest_exits_two_with_position() {
    let dir = tree();
    common::write(
        dir.path(),
        "extension.json",
        "{\n  \"ResourceModules\": {,\n}",
    );
    let out = rldev(dir.path(), &["hashes", "extension.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("extension.json:2:23:"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn malformed_toml_and_bad_paths_exit_two() {
    let dir = tree();
    common::write(
        dir.path(),
        "rldev.toml",
        "manifests = [\"extension.json\"\nskin = 1\n",
    );
    let out = rldev(dir.path(), &["hashes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("rldev.toml:2:"),
        "{}",
        text(&out.stderr)
    );

    let out = rldev(dir.path(), &["hashes", "no/such/thing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no/such/thing"),
        "{}",
        text(&out.stderr)
    );

    let out = rldev(dir.path(), &["hashes", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));

    let empty = tempfile::tempdir().unwrap();
    let out = rldev(empty.path(), &["hashes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no rldev.toml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_manifest_is_an_unreadable_project() {
    let dir = tree();
    common::write(
        dir.path(),
        "rldev.toml",
        "manifests = [\"extension.json\", \"missing\"]\n",
    );
    let out = rldev(dir.path(), &["hashes"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a manifest that is not there is an unreadable project"
    );
    assert!(text(&out.stderr).contains("missing"));
}

#[test]
fn the_sample_project_builds_and_its_php_example_is_in_error() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::copy_dir(
        &repo.join("sample-modules"),
        &dir.path().join("sample-modules"),
    );
    std::fs::copy(repo.join("rldev.toml"), dir.path().join("rldev.toml")).unwrap();
    // The README's first command: every module builds, exit 0.
    let out = rldev(dir.path(), &["hashes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let modules = v["modules"].as_object().unwrap();
    assert!(modules.len() >= 8);
    assert!(modules.values().all(|m| m["state"] == "ready"), "{v}");
    // Its example of modules that need PHP: listed in error, exit 1.
    let php = rldev(
        dir.path(),
        &["hashes", "sample-modules/extensions/NeedsPHP", "--json"],
    );
    assert_eq!(php.status.code(), Some(1), "{}", text(&php.stderr));
    let p: serde_json::Value = serde_json::from_slice(&php.stdout).unwrap();
    let broken: Vec<&str> = p["modules"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| {
            m["state"] == "error" && m["error"].as_str().unwrap().contains("PHP callback")
        })
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(broken, ["ext.needsphp.languages"]);
    // A CodexModule is built in Rust, from core's Codex: without core, it says so.
    let codex = p["modules"]["ext.needsphp.codex"]["error"]
        .as_str()
        .unwrap();
    assert!(codex.contains("--core PATH"), "{codex}");
    let files = |name: &str| -> Vec<String> {
        modules[name]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    let demo = "sample-modules/extensions/Demo/";
    let greeting = files("ext.demo.greeting");
    for f in [
        "resources/shared/theme.less",
        "resources/shared/colors.less",
        "resources/shared/mixins.less",
        "resources/icons/chevron.svg",
        "i18n/de.json",
        "i18n/en.json",
        "resources/greeting/phrases.json",
    ] {
        assert!(
            greeting.contains(&format!("{demo}{f}")),
            "greeting lacks {f}: {greeting:?}"
        );
    }
    // Found through the skin's SkinLessImportPaths, and injected by ResourceModuleSkinStyles.
    let notify = files("ext.demo.notify");
    assert!(notify.contains(
        &"sample-modules/skins/Plain/resources/mediawiki.less/mediawiki.skin.variables.less".into()
    ));
    assert!(
        notify.contains(
            &"sample-modules/skins/Plain/resources/skinStyles/ext.demo.notify.less".into()
        )
    );
    // Prefix mapping and the configured import path.
    let theme = files("ext.demo.theme");
    assert!(
        theme.contains(&"sample-modules/core/tokens/tokens.less".into()),
        "{theme:?}"
    );
}

/// A MediaWiki core folder of the shape rldev reads, and an extension beside
/// it (under `ext/`) that imports `mediawiki.mixins` as extensions do and
/// uses a core message.
fn core_and_extension() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "core/resources/src/mediawiki.less/mediawiki.mixins.less",
        ".mixin-clearfix() { clear: both; }\n",
    );
    common::write(root, "core/includes/Defines.php", "<?php\n");
    common::write(
        root,
        "core/languages/i18n/en.json",
        r#"{"unknown-error": "Unknown error."}"#,
    );
    common::write(
        root,
        "ext/extension.json",
        r#"{"name": "C", "ResourceModules": {"ext.c": {
            "styles": ["c.less"], "messages": ["unknown-error"]}}}"#,
    );
    common::write(
        root,
        "core/resources/lib/codex-design-tokens/theme-wikimedia-ui.less",
        "@color-base: #202122;\n",
    );
    common::write(
        root,
        "ext/c.less",
        "@import 'mediawiki.mixins';\n\
         @import 'mediawiki.skin.codex-design-tokens/theme-wikimedia-ui';\n\
         .c { .mixin-clearfix(); color: @color-base; }\n",
    );
    dir
}

fn module_json(out: &Output) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["modules"]["ext.c"].clone()
}

#[test]
fn core_given_by_flag_toml_or_environment_provides_imports_and_messages() {
    let dir = core_and_extension();
    let root = dir.path();
    // Without core: the import is not found.
    let out = rldev(&root.join("ext"), &["hashes", ".", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let m = module_json(&out);
    assert!(m["error"].as_str().unwrap().contains("wasn't found"), "{m}");

    let out = rldev(
        &root.join("ext"),
        &["hashes", ".", "--json", "--core", "../core"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let m = module_json(&out);
    let files: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"../core/resources/src/mediawiki.less/mediawiki.mixins.less"),
        "{files:?}"
    );
    assert!(
        files.contains(&"../core/languages/i18n/en.json"),
        "{files:?}"
    );
    // Core's import prefixes (MediaWiki ≥ 1.41), `.less` appended as there.
    assert!(
        files.contains(&"../core/resources/lib/codex-design-tokens/theme-wikimedia-ui.less"),
        "{files:?}"
    );
    let by_flag = m["version"].clone();

    // The same from rldev.toml, with an absolute path, and from MW_INSTALL_PATH.
    let toml = format!(
        "manifests = [\".\"]\ncore = \"{}\"\n",
        root.join("core").display()
    );
    common::write(&root.join("ext"), "rldev.toml", &toml);
    let out = rldev(&root.join("ext"), &["hashes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(module_json(&out)["version"], by_flag);
    std::fs::remove_file(root.join("ext/rldev.toml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rldev"))
        .args(["hashes", ".", "--json"])
        .current_dir(root.join("ext"))
        .env("MW_INSTALL_PATH", root.join("core"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(module_json(&out)["version"], by_flag);

    let out = rldev(&root.join("ext"), &["hashes", ".", "--core", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--core nowhere: no such folder"));
}

#[test]
fn core_is_found_around_an_extension_and_named_when_missing() {
    let dir = core_and_extension();
    let root = dir.path();
    // Without core: the message says how to give it.
    let out = rldev(&root.join("ext"), &["hashes", ".", "--json"]);
    let m = module_json(&out);
    assert!(m["error"].as_str().unwrap().contains("--core PATH"), "{m}");
    // The same extension inside core's extensions folder: core is found.
    let inside = root.join("core/extensions/C");
    std::fs::create_dir_all(&inside).unwrap();
    for f in ["extension.json", "c.less"] {
        std::fs::copy(root.join("ext").join(f), inside.join(f)).unwrap();
    }
    let out = rldev(&inside, &["hashes", ".", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(module_json(&out)["state"], "ready");
}

#[test]
fn inside_an_extension_no_path_is_needed() {
    let dir = core_and_extension();
    let inside = dir.path().join("core/extensions/C");
    std::fs::create_dir_all(&inside).unwrap();
    for f in ["extension.json", "c.less"] {
        std::fs::copy(dir.path().join("ext").join(f), inside.join(f)).unwrap();
    }
    // No rldev.toml, no path: the extension of this folder, its core found.
    let out = rldev(&inside, &["hashes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(module_json(&out)["state"], "ready");
    let empty = tempfile::tempdir().unwrap();
    let out = rldev(empty.path(), &["hashes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no rldev.toml, extension.json or skin.json"));
}

/// Definitions checked as ResourceLoader checks them: an unknown key, a
/// dependency nobody declares and a cycle are each said once (table and
/// `--json`), and nothing stops the build; a script that does not parse is
/// its module's error, with file, line, column and the line with a caret.
#[test]
fn definition_warnings_and_script_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "extension.json",
        r#"{"name": "W", "manifest_version": 2,
 "ResourceFileModulePaths": {"localBasePath": "resources", "remoteExtPath": "W/resources"},
 "ResourceModules": {
  "ext.w.a": {"scripts": ["a.js"], "scirpts": ["x.js"], "dependencies": ["ext.w.b", "ext.w.nobody"]},
  "ext.w.b": {"scripts": ["b.js"], "dependencies": ["ext.w.a"]},
  "ext.w.bad": {"packageFiles": ["bad.js"]}
 }}"#,
    );
    common::write(dir.path(), "resources/a.js", "var a = 1;\n");
    common::write(dir.path(), "resources/b.js", "var b = 2;\n");
    common::write(
        dir.path(),
        "resources/bad.js",
        "module.exports = {\n\tx: 1,,\n};\n",
    );
    let out = rldev(dir.path(), &["hashes", "extension.json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for expected in [
        "warning: extension.json: module ext.w.a: unknown key \"scirpts\" (did you mean \"scripts\"?); it is ignored",
        "warning: dependency \"ext.w.nobody\" of ext.w.a: no manifest here declares it",
        "warning: dependency cycle: ext.w.a → ext.w.b → ext.w.a",
        "resources/bad.js:2:7: JavaScript syntax error:",
        "2 | \tx: 1,,",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in\n{stdout}");
    }
    let json = rldev(dir.path(), &["hashes", "extension.json", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(3), "{v}");
    assert_eq!(v["modules"]["ext.w.a"]["state"], "ready");
    assert_eq!(v["modules"]["ext.w.bad"]["state"], "error");
}

/// SkinLessImportPaths, so `mediawiki.skin.variables.less` is that skin's.
#[test]
fn a_skin_next_to_core_gives_its_less_import_path() {
    let dir = core_and_extension();
    let root = dir.path();
    common::write(
        root,
        "core/skins/Vector/skin.json",
        r#"{"name": "Vector", "SkinLessImportPaths": {"vector-2022": "resources/mediawiki.less/vector-2022"},
            "ResourceModules": {"skins.vector.x": {"styles": ["x.css"]}}}"#,
    );
    common::write(
        root,
        "core/skins/Vector/resources/mediawiki.less/vector-2022/mediawiki.skin.variables.less",
        "@skin-color: #36c;\n",
    );
    let inside = root.join("core/extensions/S");
    common::write(
        &inside,
        "extension.json",
        r#"{"name": "S", "ResourceModules": {"ext.s": {"styles": ["s.less"]}}}"#,
    );
    common::write(
        &inside,
        "s.less",
        "@import 'mediawiki.skin.variables.less';\n.s { color: @skin-color; }\n",
    );
    common::write(
        &inside,
        "rldev.toml",
        "manifests = [\"extension.json\"]\nskin = \"vector-2022\"\n",
    );
    let out = rldev(&inside, &["hashes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["modules"]["ext.s"]["files"].to_string();
    assert!(
        files.contains(
            "skins/Vector/resources/mediawiki.less/vector-2022/mediawiki.skin.variables.less"
        ),
        "{files}"
    );
    // The skin's own modules are not the project's.
    assert!(v["modules"].get("skins.vector.x").is_none(), "{v}");
}

/// Bad input gets a clear word (issue 12's table): a module definition that
/// is not an object, bytes that are not UTF-8, a `url()` whose file does not
/// exist, a FIFO and a symlink loop as Less imports, a Less file over the
/// size limit; unreadable files say so (as a user other than root).
#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "extension.json",
        r#"{"ResourceModules": {
            "ext.string": "not an object",
            "ext.utf8js": {"scripts": ["latin1.js"]},
            "ext.utf8less": {"styles": ["latin1.less"]},
            "ext.url": {"styles": ["url.css"]},
            "ext.fifo": {"styles": ["fifo-import.less"]},
            "ext.loop": {"styles": ["loop-import.less"]},
            "ext.big": {"styles": ["big.less"]},
            "ext.fine": {"scripts": ["fine.js"]}
        }}"#,
    );
    std::fs::write(root.join("latin1.js"), b"var caf\xe9 = 1;\n").unwrap();
    std::fs::write(root.join("latin1.less"), b".a { content: 'caf\xe9'; }\n").unwrap();
    common::write(root, "url.css", ".u { background: url(gone.png); }\n");
    common::write(root, "fifo-import.less", "@import 'pipe.less';\n");
    assert!(
        Command::new("mkfifo")
            .arg(root.join("pipe.less"))
            .status()
            .unwrap()
            .success()
    );
    common::write(root, "loop-import.less", "@import 'loop.less';\n");
    std::os::unix::fs::symlink("loop.less", root.join("loop.less")).unwrap();
    common::write(root, "big.less", &".b { color: red; }\n".repeat(250_000));
    common::write(root, "fine.js", "var fine;\n");
    let out = rldev(root, &["hashes", "--json", "extension.json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["modules"];
    let error = |name: &str| m[name]["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error("ext.string").contains(
            "ResourceModules.ext.string: a module definition must be an object, not a string"
        ),
        "{}",
        error("ext.string")
    );
    assert_eq!(
        error("ext.utf8js"),
        "latin1.js: not valid UTF-8 (at byte 7)"
    );
    assert_eq!(
        error("ext.utf8less"),
        "latin1.less: not valid UTF-8 (at byte 18)"
    );
    assert_eq!(m["ext.url"]["state"], "ready");
    assert_eq!(
        m["ext.url"]["warnings"][0],
        "url.css: url(gone.png): gone.png does not exist (the URL is kept without a version)"
    );
    assert!(
        error("ext.fifo").contains("pipe.less: not a regular file (a FIFO)"),
        "{}",
        error("ext.fifo")
    );
    assert!(
        error("ext.loop").contains("loop.less: a symlink loop"),
        "{}",
        error("ext.loop")
    );
    assert!(
        error("ext.big").contains("over the limit of 4096 KiB ([less] max_file_kib in rldev.toml)"),
        "{}",
        error("ext.big")
    );
    assert_eq!(m["ext.fine"]["state"], "ready");
    // The table says the warning too.
    let table = text(&rldev(root, &["hashes", "extension.json"]).stdout);
    assert!(
        table.contains("warning: ext.url: url.css: url(gone.png): gone.png does not exist"),
        "{table}"
    );
    // Permission denied: only a user other than root is refused.
    let uid = Command::new("id").arg("-u").output().unwrap();
    if text(&uid.stdout).trim() != "0" {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("fine.js"), std::fs::Permissions::from_mode(0o000))
            .unwrap();
        let out = rldev(root, &["hashes", "--json", "extension.json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            v["modules"]["ext.fine"]["error"],
            "fine.js: permission denied"
        );
    } else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"(running as root, whom no permission stops: the permission-denied case runs only as another user)\n",
        );
    }
}

/// Messages follow MediaWiki's language fallback chain, from core's
/// `languages/messages/Messages<Code>.php`: `de-at` falls back to `de`
/// before `en`.
#[test]
fn messages_follow_the_language_fallback_chain() {
    let dir = core_and_extension();
    let root = dir.path();
    common::write(
        root,
        "core/languages/messages/MessagesDe_at.php",
        "<?php\n\n$fallback = 'de';\n",
    );
    common::write(
        root,
        "core/languages/i18n/de.json",
        r#"{"unknown-error": "Unbekannter Fehler."}"#,
    );
    common::write(
        root,
        "ext/rldev.toml",
        "manifests = [\"extension.json\"]\nlanguage = \"de-at\"\ncore = \"../core\"\n",
    );
    let out = rldev(&root.join("ext"), &["hashes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let files = module_json(&out)["files"].to_string();
    assert!(files.contains("core/languages/i18n/de.json"), "{files}");
    // Without the language file, de-at falls back to en alone.
    std::fs::remove_file(root.join("core/languages/messages/MessagesDe_at.php")).unwrap();
    let out = rldev(&root.join("ext"), &["hashes", "--json"]);
    let files = module_json(&out)["files"].to_string();
    assert!(!files.contains("de.json"), "{files}");
}

/// An image's `lang` entries follow the language's strict fallback chain,
/// as `Image::getPath` does: `de-at` takes the `de` image.
#[test]
fn image_lang_entries_follow_the_fallback_chain() {
    let dir = core_and_extension();
    let root = dir.path();
    common::write(
        root,
        "core/languages/messages/MessagesDe_at.php",
        "<?php\n$fallback = 'de';\n",
    );
    common::write(
        root,
        "ext/extension.json",
        r#"{"name": "C", "ResourceModules": {"ext.icons": {
            "class": "MediaWiki\\ResourceLoader\\ImageModule",
            "selector": ".icon-{name}",
            "images": {"bold": {"file": {"default": "b.svg", "lang": {"de": "f.svg"}}}}}}}"#,
    );
    common::write(
        root,
        "ext/b.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    );
    common::write(
        root,
        "ext/f.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>\n",
    );
    common::write(
        root,
        "ext/rldev.toml",
        "manifests = [\"extension.json\"]\nlanguage = \"de-at\"\ncore = \"../core\"\n",
    );
    let out = rldev(&root.join("ext"), &["hashes", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["modules"]["ext.icons"]["files"].to_string();
    assert!(files.contains("f.svg") && !files.contains("b.svg"), "{v}");
}
