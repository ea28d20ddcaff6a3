//! Rules of ResourceLoader's FileModule that rldev follows, each found by
//! comparing rldev with MediaWiki 1.39's own load.php (see scripts/mw-compare).

use rldev::compile::{Built, PackageOutput, Script, build};
use rldev::files::{FileStore, MemorySource};
use rldev::less::Unavailable;
use rldev::project::{Inputs, Project};
use serde_json::Value;

/// The project of one `extension.json` (with `files` beside it), each module built.
fn built(manifest: &str, files: &[(&str, &str)]) -> Vec<(String, Vec<String>, Built)> {
    let src = MemorySource::default();
    src.insert("extension.json", manifest);
    for (path, text) in files {
        src.insert(path, *text);
    }
    let project = Project::load(&Inputs::Manifests(vec!["extension.json".into()]), &src).unwrap();
    let store = FileStore::new(Box::new(src));
    project
        .modules
        .iter()
        .map(|def| {
            let b = build(def, &store, &mut Unavailable("unused".into()));
            (def.name.clone(), def.dependencies.clone(), b)
        })
        .collect()
}

#[test]
fn package_files_may_be_one_string_and_text_entries_are_strings() {
    let modules = built(
        r#"{"ResourceModules": {
            "one": {"packageFiles": "init.js"},
            "text": {"packageFiles": ["init.js",
                {"name": "card.mustache", "file": "card.mustache", "type": "text"}]}}}"#,
        &[
            ("init.js", "module.exports = 1;"),
            ("card.mustache", "<div>{{x}}</div>\n"),
        ],
    );
    let (_, _, one) = &modules[0];
    assert_eq!(one.error, None);
    let Script::Package { main, files } = &one.output.script else {
        panic!("a package: {:?}", one.output.script);
    };
    assert_eq!(main, "init.js");
    assert_eq!(files.len(), 1);
    let (_, _, text) = &modules[1];
    assert_eq!(text.error, None);
    let Script::Package { files, .. } = &text.output.script else {
        panic!("a package: {:?}", text.output.script);
    };
    assert_eq!(
        files[1],
        (
            "card.mustache".to_string(),
            PackageOutput::Data(Value::String("<div>{{x}}</div>\n".into()))
        )
    );
}

#[test]
fn scripts_run_in_resourceloaders_order_each_once() {
    let modules = built(
        r#"{"ResourceModules": {"m": {
            "scripts": ["a.js", "b.js"],
            "languageScripts": {"en": "en.js", "de": ["de.js"]},
            "skinScripts": {"default": "skin.js"},
            "debugScripts": ["debug.js", "a.js"]}}}"#,
        &[
            ("a.js", "a();"),
            ("b.js", "b();"),
            ("en.js", "en();"),
            ("de.js", "de();"),
            ("skin.js", "skin();"),
            ("debug.js", "debug();"),
        ],
    );
    let Script::Plain(js) = &modules[0].2.output.script else {
        panic!("plain scripts");
    };
    assert_eq!(js, "a();\nb();\nen();\nskin();\ndebug();\n");
}

#[test]
fn a_message_that_exists_nowhere_is_left_out_of_the_blob() {
    let modules = built(
        r#"{"MessagesDirs": {"T": ["i18n"]},
            "ResourceModules": {"m": {"scripts": ["a.js"], "messages": ["t-here", "t-nowhere"]}}}"#,
        &[("a.js", "1;"), ("i18n/en.json", r#"{"t-here": "Here"}"#)],
    );
    let (_, _, m) = &modules[0];
    assert_eq!(m.error, None);
    let keys: Vec<&str> = m.output.messages.keys().map(String::as_str).collect();
    assert_eq!(keys, ["t-here"]);
}

#[test]
fn messages_get_the_whitespace_fixes_of_mediawikis_message_cache() {
    let modules = built(
        r#"{"MessagesDirs": {"T": ["i18n"]},
            "ResourceModules": {"m": {"scripts": ["a.js"], "messages": ["t-sep"]}}}"#,
        &[
            ("a.js", "1;"),
            (
                "i18n/en.json",
                r#"{"t-sep": ",&#32;a&nbsp;b&#160;c&shy;d"}"#,
            ),
        ],
    );
    assert_eq!(
        modules[0].2.output.messages["t-sep"],
        ", a\u{a0}b\u{a0}c\u{ad}d"
    );
}

#[test]
fn templates_bring_the_template_modules_their_extensions_need() {
    let modules = built(
        r#"{"ResourceModules": {
            "list": {"scripts": ["a.js"], "dependencies": ["z.other"],
                     "templates": ["t/a.mustache", "t/b.html"]},
            "map": {"scripts": ["a.js"], "templates": {"card.mustache": "t/a.mustache"}},
            "none": {"scripts": ["a.js"], "dependencies": ["b", "a", "b"]}}}"#,
        &[
            ("a.js", "1;"),
            ("t/a.mustache", "<p></p>"),
            ("t/b.html", "<p></p>"),
        ],
    );
    let deps = |i: usize| modules[i].1.clone();
    assert_eq!(
        deps(0),
        [
            "z.other",
            "mediawiki.template",
            "mediawiki.template.mustache"
        ]
    );
    assert_eq!(
        deps(1),
        ["mediawiki.template", "mediawiki.template.mustache"]
    );
    assert_eq!(deps(2), ["a", "b"]);
}

#[test]
fn a_deprecated_module_warns_in_resourceloaders_words() {
    let modules = built(
        r#"{"ResourceModules": {
            "old": {"scripts": ["a.js"], "deprecated": "Use new instead."},
            "older": {"scripts": ["a.js"], "deprecated": true}}}"#,
        &[("a.js", "1;")],
    );
    assert_eq!(
        modules[0].2.output.deprecated.as_deref(),
        Some("This page is using the deprecated ResourceLoader module \"old\".\nUse new instead.")
    );
    assert_eq!(
        modules[1].2.output.deprecated.as_deref(),
        Some("This page is using the deprecated ResourceLoader module \"older\".")
    );
}

mod served {
    //! What load.php and the startup module answer, on a hand-made snapshot.

    use std::collections::HashMap;
    use std::sync::Arc;

    use indexmap::IndexMap;
    use rldev::registry::{Entry, Registry, State};
    use rldev::server::Snapshot;
    use rldev::server::live::Rendered;
    use rldev::server::load::{Request, plan, script_body, styles_body};
    use rldev::server::startup::{page_html, register_entries};
    use serde_json::json;

    fn entry(deps: &[&str], group: Option<&str>) -> Entry {
        Entry {
            version: "VVVVVVVV".into(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            group: group.map(str::to_string),
            state: State::Ready,
            error: None,
            files: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// `base`; `mid` needs base; `top` needs base and mid (base is implied);
    /// `pkg` is a package with CSS and messages; `priv` is private;
    /// `nojs` is of the noscript group.
    fn snapshot() -> Snapshot {
        let mut modules = IndexMap::new();
        modules.insert("base".to_string(), entry(&[], None));
        modules.insert("mid".to_string(), entry(&["base"], None));
        modules.insert(
            "top".to_string(),
            entry(&["base", "mid", "elsewhere"], None),
        );
        modules.insert("pkg".to_string(), entry(&[], None));
        modules.insert("priv".to_string(), entry(&[], Some("private")));
        modules.insert("nojs".to_string(), entry(&[], Some("noscript")));
        let mut outputs = HashMap::new();
        for name in modules.keys() {
            let pkg = name == "pkg";
            let r = Rendered {
                version: "VVVVVVVV".into(),
                script: Some(if pkg {
                    r#"{"main":"a.js","files":{"a.js":function(require,module,exports){x();}}}"#
                        .into()
                } else {
                    format!("function($,jQuery,require,module){{{name}();}}")
                }),
                plain_source: (!pkg).then(|| format!("{name}();")),
                styles: vec![format!(".{name}{{color:red}}")],
                messages: IndexMap::from([("m".to_string(), "M".to_string())]),
                ..Rendered::default()
            };
            outputs.insert(name.clone(), vec![Arc::new(r)]);
        }
        Snapshot {
            ready: true,
            registry: Arc::new(Registry { seq: 1, modules }),
            outputs: Arc::new(outputs),
            ..Snapshot::default()
        }
    }

    fn load(query: &[(&str, &str)]) -> String {
        let snap = snapshot();
        let req = Request::from_query(query.iter().copied());
        let p = plan(&req, &snap);
        if query.contains(&("only", "styles")) {
            styles_body(&req, &snap, &p)
        } else {
            script_body(&req, &snap, &p)
        }
    }

    #[test]
    fn only_scripts_carries_the_script_alone() {
        let body = load(&[("modules", "pkg|base"), ("only", "scripts")]);
        assert!(
            body.contains(r#"mw.loader.impl(function(){return["pkg@VVVVVVVV",{"main":"a.js""#),
            "{body}"
        );
        assert!(body.contains("base();\n"), "{body}");
        assert!(!body.contains("color:red"), "{body}");
        assert!(!body.contains("\"M\""), "{body}");
        assert!(
            body.contains(r#"mw.loader.state({"pkg":"ready","base":"ready"});"#),
            "{body}"
        );
    }

    #[test]
    fn a_private_module_is_refused_as_resourceloader_refuses_it() {
        let body = load(&[("modules", "priv|base")]);
        assert!(
            body.starts_with("/*\nCannot build private module \"priv\"\n*/\n"),
            "{body}"
        );
        assert!(
            body.contains("console.error(\"Cannot build private module \\\"priv\\\"\")"),
            "{body}"
        );
        assert!(!body.contains("priv();"), "{body}");
        assert!(body.contains("base@VVVVVVVV"), "{body}");
        let css = load(&[("modules", "priv"), ("only", "styles")]);
        assert_eq!(css, "/*\nCannot build private module \"priv\"\n*/\n");
        let snap = snapshot();
        let req = Request::from_query([("modules", "priv"), ("version", "x")]);
        assert_eq!(plan(&req, &snap).caching.header(), "no-store");
    }

    #[test]
    fn startup_leaves_out_noscript_modules_and_implied_dependencies() {
        let entries = register_entries(&snapshot(), "desktop");
        let names: Vec<&str> = entries.iter().map(|e| e[0].as_str().unwrap()).collect();
        assert_eq!(names, ["base", "mid", "top", "pkg", "priv"]);
        // top: base comes with mid (index 1); an unknown name stays a name.
        assert_eq!(entries[2], json!(["top", "VVVVVVVV", [1, "elsewhere"]]));
        assert_eq!(entries[1], json!(["mid", "VVVVVVVV", [0]]));
    }

    /// MediaWiki 1.40 and older: a startup module registers the modules of
    /// its `target` only.
    #[test]
    fn startup_registers_a_module_for_its_targets_when_core_filters_by_target() {
        let mut snap = snapshot();
        let targets = [("mid", vec!["mobile"]), ("pkg", vec!["desktop", "mobile"])]
            .into_iter()
            .map(|(n, t)| (n.to_string(), t.into_iter().map(str::to_string).collect()))
            .chain(["base", "top", "priv"].map(|n| (n.to_string(), vec!["desktop".to_string()])))
            .collect();
        snap.targets = Some(Arc::new(targets));
        let names = |snap: &Snapshot, target: &str| -> Vec<String> {
            register_entries(snap, target)
                .iter()
                .map(|e| e[0].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&snap, "desktop"), ["base", "top", "pkg", "priv"]);
        assert_eq!(names(&snap, "mobile"), ["mid", "pkg"]);
        snap.targets = None;
        assert_eq!(
            names(&snap, "mobile"),
            ["base", "mid", "top", "pkg", "priv"]
        );
    }

    #[test]
    fn the_page_links_noscript_styles_and_skips_private_modules() {
        let html = page_html(&snapshot(), &[]);
        assert!(
            html.contains("<link rel=\"stylesheet\" href=\"/load?modules=nojs&amp;only=styles\">"),
            "{html}"
        );
        assert!(
            html.contains(r#"mw.loader.load(["base","mid","top","pkg"]);"#),
            "{html}"
        );
    }
}

#[test]
fn styles_of_a_right_to_left_language_are_flipped_unless_noflip() {
    use rldev::disk::DiskSource;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, t: &str| std::fs::write(root.join(p), t).unwrap();
    write(
        "extension.json",
        r#"{"ResourceModules": {"r.a": {"styles": ["a.less"]},
            "r.n": {"styles": ["b.css"], "noflip": true}}}"#,
    );
    write(
        "a.less",
        ".a { float: left; margin: 1px 2px 3px 4px; background: url(arrow-ltr.svg); }\n\
         /* @noflip */ .keep { left: 0; }\n",
    );
    write("b.css", ".b { text-align: left; }\n");
    write("arrow-ltr.svg", "<svg/>");
    write("arrow-rtl.svg", "<svg id='r'/>");
    write("rldev.toml", "manifests = [\".\"]\nlanguage = \"he\"\n");
    let source = DiskSource::new(root);
    let project = Project::load(&Inputs::Config("rldev.toml".into()), &source).unwrap();
    let store = FileStore::new(Box::new(DiskSource::new(root)));
    let mut compilers = rldev::commands::less_compilers(root, 1, None);
    let css = |i: usize, less: &mut dyn rldev::less::LessCompiler| {
        let b = build(&project.modules[i], &store, less);
        assert_eq!(b.error, None);
        b.output
            .styles
            .iter()
            .map(|s| s.css.clone())
            .collect::<String>()
    };
    let a = css(0, compilers[0].as_mut());
    assert!(a.contains("float:right"), "{a}");
    assert!(a.contains("margin:1px 4px 3px 2px"), "{a}");
    assert!(a.contains("url(/arrow-rtl.svg?"), "{a}");
    assert!(a.contains(".keep{left:0}"), "{a}");
    let n = css(1, compilers[0].as_mut());
    assert!(n.contains("text-align:left"), "{n}");
}

/// Targets are read as ResourceLoader 1.39 reads them (a file module's own,
/// else `desktop`; an image module both), and only for a core whose startup
/// module filters by them.
#[test]
fn targets_count_only_with_a_core_whose_startup_filters_by_them() {
    let src = MemorySource::default();
    src.insert(
        "ext/extension.json",
        r#"{"ResourceModules": {
            "m.mobile": {"scripts": ["a.js"], "targets": ["mobile"]},
            "m.both": {"scripts": ["a.js"], "targets": ["mobile", "desktop", "mobile"]},
            "m.plain": {"scripts": ["a.js"]},
            "m.icons": {"class": "MediaWiki\\ResourceLoader\\ImageModule", "images": {}, "targets": ["mobile"]}
        }}"#,
    );
    src.insert("core/includes/Defines.php", "<?php\n");
    src.insert("rldev.toml", "manifests = [\"ext\"]\ncore = \"core\"\n");
    let load = || Project::load(&Inputs::Config("rldev.toml".into()), &src).unwrap();
    assert_eq!(
        load().targets,
        None,
        "a core without a startup module that filters"
    );
    src.insert(
        "core/includes/ResourceLoader/StartUpModule.php",
        "<?php\n$moduleTargets = $module->getTargets();\n",
    );
    let project = load();
    let targets = project.targets.expect("1.39's startup filters by target");
    let of = |n: &str| targets[n].join(",");
    assert_eq!(of("m.mobile"), "mobile");
    assert_eq!(of("m.both"), "desktop,mobile");
    assert_eq!(of("m.plain"), "desktop");
    assert_eq!(of("m.icons"), "desktop,mobile");
    assert!(
        project
            .definition_files
            .contains(&"core/includes/ResourceLoader/StartUpModule.php".to_string())
    );
}
