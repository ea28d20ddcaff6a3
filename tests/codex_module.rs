//! Core's CodexModule (MediaWiki 1.45's rules) on a small Codex tree: the
//! components' files from Codex's build manifest, in dependency order, the
//! synthetic `codex.js`, Codex's message keys, `vue` as a dependency, the
//! `-rtl` manifest right to left, Codex's CSS taken as it is.

use rldev::compile::{PackageOutput, Script, build};
use rldev::files::{FileStore, MemorySource};
use rldev::less::Unavailable;
use rldev::project::{Inputs, ModuleDef, Project};

const MANIFEST: &str = r#"{
  "_Icon.js": {"file": "Icon.js", "imports": ["_constants.js"], "css": ["Icon.css"]},
  "_constants.js": {"file": "constants.js"},
  "src/components/button/Button.vue": {"file": "CdxButton.cjs", "isEntry": true,
     "imports": ["_Icon.js", "_constants.js"], "css": ["CdxButton.css"]},
  "src/components/icon/Icon.vue": {"file": "CdxIcon.cjs", "isEntry": true,
     "imports": ["_Icon.js"], "css": ["CdxIcon.css"]}
}"#;

fn project(language: &str, module: &str) -> (Project, FileStore) {
    let src = MemorySource::default();
    src.insert(
        "rldev.toml",
        format!(
            "manifests = [\"ext/extension.json\"]\ncore = \"core\"\nlanguage = \"{language}\"\n"
        )
        .as_str(),
    );
    src.insert(
        "ext/extension.json",
        format!(r#"{{"manifest_version": 2, "ResourceModules": {{"m": {module}}}}}"#).as_str(),
    );
    src.insert(
        "ext/init.js",
        "const { CdxButton } = require( './codex.js' );",
    );
    src.insert("ext/own.css", ".own { margin-left: 1px; }");
    let lib = "core/resources/lib/codex";
    src.insert(&format!("{lib}/modules/manifest.json"), MANIFEST);
    src.insert(
        &format!("{lib}/modules/manifest-rtl.json"),
        MANIFEST.replace(".css\"", "-rtl.css\"").as_str(),
    );
    for f in ["Icon.js", "constants.js", "CdxButton.cjs", "CdxIcon.cjs"] {
        src.insert(&format!("{lib}/modules/{f}"), format!("/* {f} */").as_str());
    }
    for f in ["Icon", "CdxButton", "CdxIcon"] {
        src.insert(
            &format!("{lib}/modules/{f}.css"),
            format!(".{f} {{ margin-left: 2px }}").as_str(),
        );
        src.insert(
            &format!("{lib}/modules/{f}-rtl.css"),
            format!(".{f} {{ margin-right: 2px }}").as_str(),
        );
    }
    src.insert(
        &format!("{lib}/messageKeys.json"),
        r#"["cdx-button-label", "cdx-close"]"#,
    );
    src.insert(
        "core/languages/i18n/en.json",
        r#"{"cdx-close": "Close", "ok": "OK"}"#,
    );
    let project = Project::load(&Inputs::Config("rldev.toml".into()), &src).unwrap();
    (project, FileStore::new(Box::new(src)))
}

fn module(p: &Project) -> &ModuleDef {
    p.modules.iter().find(|m| m.name == "m").unwrap()
}

const COMPONENTS: &str = r#"{"class": "MediaWiki\\ResourceLoader\\CodexModule",
    "localBasePath": "", "remoteExtPath": "Ext",
    "packageFiles": ["init.js"], "styles": ["own.css"], "messages": ["ok"],
    "codexComponents": ["CdxButton", "CdxIcon"]}"#;

#[test]
fn components_bring_their_files_in_dependency_order() {
    let (p, store) = project("en", COMPONENTS);
    let m = module(&p);
    assert_eq!(m.dependencies, ["vue"]);
    let built = build(m, &store, &mut Unavailable("no Less".into()));
    assert_eq!(built.error, None);
    let Script::Package { main, files } = &built.output.script else {
        panic!("a package module");
    };
    assert_eq!(main, "init.js");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "init.js",
            "codex.js",
            "_codex/constants.js",
            "_codex/Icon.js",
            "_codex/CdxButton.cjs",
            "_codex/CdxIcon.cjs"
        ]
    );
    let PackageOutput::Script(codex_js) = &files[1].1 else {
        panic!("codex.js is a script");
    };
    assert!(codex_js.starts_with(
        "module.exports = new Proxy( {\"CdxButton\":require( \"./_codex/CdxButton.cjs\" ),\
         \"CdxIcon\":require( \"./_codex/CdxIcon.cjs\" )}, {\n\tget( target, prop ) {"
    ));
    assert!(codex_js.contains("'of the \"m\" module in your module definition file'"));
    // Own styles first, then Codex's, each once, taken as they are.
    let css: Vec<&str> = built.output.styles.iter().map(|b| b.css.as_str()).collect();
    assert_eq!(
        css,
        [
            ".own{margin-left:1px}\n.Icon{margin-left:2px}\n.CdxButton{margin-left:2px}\n.CdxIcon{margin-left:2px}"
        ]
    );
    // Codex's message keys join the module's; missing ones are left out.
    let messages: Vec<(&str, &str)> = built
        .output
        .messages
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(messages, [("cdx-close", "Close"), ("ok", "OK")]);
    // Every Codex file read is a dependency of the version.
    for f in [
        "modules/manifest.json",
        "messageKeys.json",
        "modules/CdxIcon.cjs",
        "modules/Icon.css",
    ] {
        assert!(
            built
                .reads
                .contains_key(&format!("core/resources/lib/codex/{f}")),
            "{f}"
        );
    }
}

#[test]
fn right_to_left_takes_codex_rtl_files_unflipped() {
    let (p, store) = project("he", COMPONENTS);
    let built = build(
        module(&p),
        &store,
        &mut Unavailable("no flipping here".into()),
    );
    // The module's own stylesheet needs flipping (and the compiler is
    // missing here); Codex's come from manifest-rtl.json, not flipped.
    assert!(built.error.unwrap().contains("own.css"));
    assert!(
        built
            .reads
            .contains_key("core/resources/lib/codex/modules/manifest-rtl.json")
    );
    let css = built
        .output
        .styles
        .iter()
        .map(|b| b.css.clone())
        .collect::<String>();
    assert_eq!(
        css,
        ".Icon{margin-right:2px}\n.CdxButton{margin-right:2px}\n.CdxIcon{margin-right:2px}"
    );
}

#[test]
fn style_only_has_no_scripts_and_no_vue() {
    let definition = r#"{"class": "MediaWiki\\ResourceLoader\\CodexModule", "localBasePath": "",
        "codexComponents": ["CdxIcon"], "codexStyleOnly": true}"#;
    let (p, store) = project("en", definition);
    let m = module(&p);
    assert!(m.dependencies.is_empty());
    let built = build(m, &store, &mut Unavailable("unused".into()));
    assert_eq!(built.error, None);
    assert_eq!(built.output.script, Script::None);
    assert!(built.output.messages.is_empty());
}

#[test]
fn unknown_component_and_bad_definitions_are_the_modules_error() {
    let unknown = r#"{"class": "MediaWiki\\ResourceLoader\\CodexModule", "localBasePath": "",
        "packageFiles": ["init.js"], "codexComponents": ["CdxNope"]}"#;
    assert!(error_of(unknown).contains("\"CdxNope\" is not an export of Codex"));
    let both = r#"{"class": "MediaWiki\\ResourceLoader\\CodexModule",
        "codexComponents": ["CdxIcon"], "codexFullLibrary": true}"#;
    assert!(error_of(both).contains("both codexFullLibrary and codexComponents"));
}

/// The error of module `m` defined as `definition`.
fn error_of(definition: &str) -> String {
    let (p, store) = project("en", definition);
    let built = build(module(&p), &store, &mut Unavailable("unused".into()));
    built.error.expect("the module is in error")
}
