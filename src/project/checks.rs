//! Definitions checked as ResourceLoader checks them, reported once per
//! project load (the terminal, and `warnings` in `--json`): a key no module
//! class of the definition reads (`scirpts`), a dependency that no manifest
//! of the project and not MediaWiki core declares, a dependency cycle. None
//! of these stops a build: the modules build as written.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::manifest::{Manifest, string_list};
use super::module::ModuleDef;

/// Keys a module definition of one of the classes rldev builds may have
/// (ResourceLoader's FileModule and its subclasses in core, ImageModule,
/// the OOUI modules, CodexModule).
const KNOWN_KEYS: &[&str] = &[
    // Module, FileModule
    "class",
    "factory",
    "localBasePath",
    "remoteBasePath",
    "remoteExtPath",
    "remoteSkinPath",
    "scripts",
    "debugScripts",
    "languageScripts",
    "skinScripts",
    "styles",
    "skinStyles",
    "packageFiles",
    "dependencies",
    "messages",
    "templates",
    "group",
    "deprecated",
    "debugRaw",
    "targets",
    "noflip",
    "es6",
    "skipFunction",
    "skipStructureTest",
    "lessMessages",
    // SkinModule
    "features",
    // ImageModule, OOUIImageModule, OOUIIconPackModule
    "images",
    "icons",
    "variants",
    "prefix",
    "selector",
    "selectorWithoutVariant",
    "selectorWithVariant",
    "useDataURI",
    "defaultColor",
    "data",
    "themeImages",
    "themeStyles",
    "rootPath",
    "name",
    // CodexModule
    "codexComponents",
    "codexStyleOnly",
    "codexScriptOnly",
    "codexFullLibrary",
];

/// Module classes whose keys are checked: core's own (any other class is
/// an extension's PHP, which may read any key).
fn checked_class(class: Option<&str>) -> bool {
    let Some(class) = class else {
        return true;
    };
    let short = class.rsplit('\\').next().unwrap_or(class);
    let short = short.strip_prefix("ResourceLoader").unwrap_or(short);
    matches!(
        short,
        "FileModule"
            | "LessVarFileModule"
            | "SkinModule"
            | "ImageModule"
            | "OOUIImageModule"
            | "OOUIIconPackModule"
            | "OOUIFileModule"
            | "CodexModule"
    )
}

/// The modules MediaWiki core declares, from its `resources/Resources.php`
/// (each top-level `'name' => ` line), plus the startup module.
pub fn core_module_names(resources_php: &str) -> HashSet<String> {
    let mut names: HashSet<String> = resources_php
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("\t'")?;
            let (name, after) = rest.split_once('\'')?;
            after
                .trim_start()
                .starts_with("=>")
                .then(|| name.to_string())
        })
        .collect();
    names.insert("startup".into());
    names
}

/// Every warning for these manifests and their resolved modules. `core`:
/// core's module names, when core is known.
pub fn warnings(
    manifests: &[Manifest],
    modules: &[ModuleDef],
    core: Option<&HashSet<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for m in manifests {
        for (name, info) in &m.modules {
            let Value::Object(info) = info else {
                continue;
            };
            if !checked_class(info.get("class").and_then(Value::as_str)) {
                continue;
            }
            // `@…` keys are comments, by the convention of MediaWiki's JSON files.
            for key in info.keys().filter(|k| !k.starts_with('@')) {
                if !KNOWN_KEYS.contains(&key.as_str()) {
                    let hint = closest(key)
                        .map(|k| format!(" (did you mean \"{k}\"?)"))
                        .unwrap_or_default();
                    out.push(format!(
                        "{}: module {name}: unknown key \"{key}\"{hint}; it is ignored",
                        m.path
                    ));
                }
            }
        }
    }
    // The dependencies as written (not those rldev implies, e.g. a
    // template's `mediawiki.template`).
    let declared: HashSet<&str> = modules.iter().map(|d| d.name.as_str()).collect();
    let mut unknown: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for m in manifests {
        for (name, info) in &m.modules {
            let written = info
                .get("dependencies")
                .map(string_list)
                .unwrap_or_default();
            for dep in written {
                let in_core = core.is_some_and(|c| c.contains(&dep));
                if !declared.contains(dep.as_str()) && !in_core {
                    let dependants = unknown.entry(dep).or_default();
                    if !dependants.contains(&name.as_str()) {
                        dependants.push(name);
                    }
                }
            }
        }
    }
    for (dep, dependants) in unknown {
        let nobody = if core.is_some() {
            "no manifest here and not MediaWiki core declares it"
        } else {
            "no manifest here declares it (if core does, give core: --core PATH)"
        };
        out.push(format!(
            "dependency \"{dep}\" of {}: {nobody}",
            dependants.join(", ")
        ));
    }
    for cycle in cycles(modules) {
        out.push(format!(
            "dependency cycle: {} (ResourceLoader refuses to load these modules)",
            cycle.join(" → ")
        ));
    }
    out
}

/// A known key one or two edits away from `key`, if one is.
fn closest(key: &str) -> Option<&'static str> {
    KNOWN_KEYS
        .iter()
        .map(|k| {
            let d = strsim::damerau_levenshtein(&key.to_lowercase(), &k.to_lowercase());
            (d, *k)
        })
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Each dependency cycle among the project's modules once, as the path from
/// its first module (in registration order) back to it.
fn cycles(modules: &[ModuleDef]) -> Vec<Vec<String>> {
    let deps: HashMap<&str, &[String]> = modules
        .iter()
        .map(|d| (d.name.as_str(), d.dependencies.as_slice()))
        .collect();
    let mut done: HashSet<&str> = HashSet::new();
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut seen_sets: HashSet<Vec<String>> = HashSet::new();
    for def in modules {
        let mut path: Vec<&str> = Vec::new();
        visit(&def.name, &deps, &mut path, &mut done, &mut |cycle| {
            let mut key: Vec<String> = cycle.iter().map(|s| s.to_string()).collect();
            key.sort();
            if seen_sets.insert(key) {
                let mut shown: Vec<String> = cycle.iter().map(|s| s.to_string()).collect();
                shown.push(cycle[0].to_string());
                found.push(shown);
            }
        });
    }
    found
}

fn visit<'a>(
    name: &'a str,
    deps: &HashMap<&'a str, &'a [String]>,
    path: &mut Vec<&'a str>,
    done: &mut HashSet<&'a str>,
    report: &mut dyn FnMut(&[&'a str]),
) {
    if let Some(at) = path.iter().position(|n| *n == name) {
        report(&path[at..]);
        return;
    }
    if done.contains(name) {
        return;
    }
    let Some(next) = deps.get(name) else {
        return;
    };
    path.push(name);
    for dep in next.iter() {
        visit(dep, deps, path, done, report);
    }
    path.pop();
    done.insert(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::module::ModuleKind;

    fn def(name: &str, deps: &[&str]) -> ModuleDef {
        ModuleDef {
            name: name.into(),
            origin: "extension.json".into(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            group: None,
            kind: ModuleKind::Unsupported(String::new()),
        }
    }

    #[test]
    fn unknown_keys_dependencies_and_cycles() {
        let manifest = Manifest::parse(
            "extension.json",
            br#"{"ResourceModules": {
                "ext.a": {"scirpts": ["a.js"], "@note": "a comment", "dependencies": ["ext.b", "mediawiki.util", "ext.gone"]},
                "ext.c": {"dependencies": ["ext.gone", "ext.a"]},
                "ext.php": {"class": "MyExt\\Module", "anything": 1}
            }}"#,
        )
        .unwrap();
        let modules = [
            def("ext.a", &["ext.b", "mediawiki.util", "ext.gone"]),
            def("ext.b", &["ext.c"]),
            def("ext.c", &["ext.a", "ext.gone"]),
        ];
        let core =
            core_module_names("return [\n\t'mediawiki.util' => [\n\t\t'x' => 1,\n\t],\n];\n");
        let w = warnings(&[manifest], &modules, Some(&core));
        assert_eq!(
            w,
            [
                "extension.json: module ext.a: unknown key \"scirpts\" (did you mean \"scripts\"?); it is ignored",
                "dependency \"ext.gone\" of ext.a, ext.c: no manifest here and not MediaWiki core declares it",
                "dependency cycle: ext.a → ext.b → ext.c → ext.a (ResourceLoader refuses to load these modules)",
            ]
        );
    }
}
