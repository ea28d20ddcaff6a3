//! Core's `CodexModule` at build time (MediaWiki 1.45's rules): Codex's
//! build manifest says which script and style files the listed components
//! need; they join the module as `_codex/…` package files behind a
//! synthetic `codex.js`, and as stylesheets taken as they are. Every file is
//! read through the recorder, so the version covers the manifest, the
//! message keys and each Codex file.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::reader::Recorder;
use crate::paths;
use crate::project::codex::Codex;
use crate::project::{FileModule, PackageFile, PackageKind, PackageSource, Style};

/// The module with Codex's files, scripts and message keys added.
pub fn expand(
    m: &FileModule,
    codex: &Codex,
    reader: &mut Recorder,
    errors: &mut Vec<String>,
) -> FileModule {
    let mut out = m.clone();
    if codex.has_messages() {
        let path = paths::join(&codex.dir, "messageKeys.json");
        match read_json(reader, &path) {
            Ok(Value::Array(keys)) => {
                out.messages
                    .extend(keys.iter().filter_map(Value::as_str).map(str::to_string));
                out.messages.sort();
                out.messages.dedup();
            }
            Ok(_) => errors.push(format!("{path}: not a list of message keys")),
            Err(e) => errors.push(e),
        }
    }
    let mut scripts: Vec<PackageFile> = Vec::new();
    let mut styles: Vec<String> = Vec::new();
    if !codex.components.is_empty() {
        match components(codex, reader) {
            Ok(needed) => {
                if !codex.style_only {
                    scripts.push(script_file(
                        "codex.js",
                        synthetic_exports(codex, &needed.exports),
                    ));
                    for file in &needed.scripts {
                        scripts.push(PackageFile {
                            name: format!("_codex/{file}"),
                            kind: PackageKind::Script,
                            main: false,
                            source: PackageSource::File(paths::join(
                                &codex.dir,
                                &format!("modules/{file}"),
                            )),
                            style: None,
                        });
                    }
                }
                if !codex.script_only {
                    styles.extend(needed.styles.iter().map(|f| format!("modules/{f}")));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if codex.full_library {
        if !codex.style_only {
            scripts.push(PackageFile {
                name: "codex.js".into(),
                kind: PackageKind::Script,
                main: false,
                source: PackageSource::File(paths::join(&codex.dir, "codex.umd.cjs")),
                style: None,
            });
        }
        if !codex.script_only {
            let file = if codex.rtl {
                "codex.style-rtl.css"
            } else {
                "codex.style.css"
            };
            styles.push(file.to_string());
        }
    }
    if !scripts.is_empty() {
        let files = out.package_files.get_or_insert_with(Vec::new);
        if !files.iter().any(|f| f.main) {
            scripts[0].main = true;
        }
        // Later entries of the same name replace earlier ones in place, as
        // PHP's keyed array does.
        for f in scripts {
            match files.iter_mut().find(|e| e.name == f.name) {
                Some(e) => {
                    let main = e.main;
                    *e = f;
                    e.main = main;
                }
                None => files.push(f),
            }
        }
    }
    let at = codex.styles_at.min(out.styles.len());
    let mut seen = std::collections::HashSet::new();
    let added: Vec<Style> = styles
        .into_iter()
        .filter(|rel| seen.insert(rel.clone()))
        .map(|rel| Style {
            path: paths::join(&codex.dir, &rel),
            media: "all".into(),
            url: format!("/resources/lib/codex/{rel}"),
        })
        .collect();
    out.styles.splice(at..at, added);
    out
}

/// Is this stylesheet one of Codex's own (taken as it is: CodexModule
/// bypasses Less, flipping and URL remapping for the Codex folder)?
pub fn is_codex_file(m: &FileModule, path: &str) -> bool {
    m.codex
        .as_ref()
        .is_some_and(|c| path.starts_with(&format!("{}/", c.dir)))
}

fn script_file(name: &str, source: String) -> PackageFile {
    PackageFile {
        name: name.into(),
        kind: PackageKind::Script,
        main: false,
        source: PackageSource::Content(Value::String(source)),
        style: None,
    }
}

fn read_json(reader: &mut Recorder, path: &str) -> Result<Value, String> {
    let text = reader
        .read_text(path)
        .ok_or_else(|| format!("{path}: file not found (CodexModule needs MediaWiki ≥ 1.41)"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}:{}:{}: {e}", e.line(), e.column()))
}

/// What the listed components need.
struct Needed {
    /// Each listed component and its file.
    exports: Vec<(String, String)>,
    /// Script files in load order, each once.
    scripts: Vec<String>,
    /// Style files in the same order (repeats are dropped later).
    styles: Vec<String>,
}

type FileTable = HashMap<String, (Vec<String>, Vec<String>)>;

/// Reads the direction's build manifest and gathers, for each listed
/// component, the files it imports (depth first) and then its own.
fn components(codex: &Codex, reader: &mut Recorder) -> Result<Needed, String> {
    let name = if codex.rtl {
        "manifest-rtl.json"
    } else {
        "manifest.json"
    };
    let path = paths::join(&codex.dir, &format!("modules/{name}"));
    let Value::Object(manifest) = read_json(reader, &path)? else {
        return Err(format!("{path}: not a Codex build manifest"));
    };
    let file_of = |key: &str| -> Option<String> {
        manifest.get(key)?.get("file")?.as_str().map(str::to_string)
    };
    // File -> (its styles, the files it imports); component -> its file.
    let mut files: FileTable = HashMap::new();
    let mut entries: HashMap<String, String> = HashMap::new();
    for entry in manifest.values() {
        let Some(file) = entry.get("file").and_then(Value::as_str) else {
            continue;
        };
        let list = |k: &str| -> Vec<String> {
            entry
                .get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let imports = list("imports").iter().filter_map(|k| file_of(k)).collect();
        files.insert(file.to_string(), (list("css"), imports));
        if entry.get("isEntry").and_then(Value::as_bool) == Some(true) {
            let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
            entries.insert(stem.to_string(), file.to_string());
        }
    }
    let mut needed = Needed {
        exports: Vec::new(),
        scripts: Vec::new(),
        styles: Vec::new(),
    };
    let mut visiting = HashSet::new();
    for component in &codex.components {
        let file = entries.get(component).ok_or_else(|| {
            format!(
                "\"{component}\" is not an export of Codex ({path}) and cannot be in codexComponents"
            )
        })?;
        needed.exports.push((component.clone(), file.clone()));
        gather(file, &files, &mut needed, &mut visiting);
    }
    let mut seen = HashSet::new();
    needed.scripts.retain(|f| seen.insert(f.clone()));
    Ok(needed)
}

fn gather(file: &str, files: &FileTable, needed: &mut Needed, visiting: &mut HashSet<String>) {
    let (css, imports) = files.get(file).cloned().unwrap_or_default();
    visiting.insert(file.to_string());
    for dep in &imports {
        if !needed.scripts.contains(dep) && !visiting.contains(dep) {
            gather(dep, files, needed, visiting);
        }
    }
    needed.scripts.push(file.to_string());
    needed.styles.extend(css);
}

/// CodexModule's `codex.js` as MediaWiki 1.45 writes it: the listed
/// components, each required from its file, behind a Proxy that names the
/// module when code asks for a component the definition does not list.
fn synthetic_exports(codex: &Codex, exports: &[(String, String)]) -> String {
    // Html::encodeJsVar: JSON, slashes as they are, `<`, `>`, `&` escaped.
    let quote = |s: &str| {
        serde_json::to_string(s)
            .expect("strings serialise")
            .replace('<', "\\u003C")
            .replace('>', "\\u003E")
            .replace('&', "\\u0026")
    };
    let mut seen = HashSet::new();
    let object: Vec<String> = exports
        .iter()
        .filter(|(c, _)| seen.insert(c.as_str()))
        .map(|(c, file)| {
            format!(
                "{}:require( {} )",
                quote(c),
                quote(&format!("./_codex/{file}"))
            )
        })
        .collect();
    format!(
        "module.exports = new Proxy( {{{}}}, {{\n\
         \tget( target, prop ) {{\n\
         \t\tif ( !( prop in target ) ) {{\n\
         \t\t\tthrow new Error(\n\
         \t\t\t\t`Codex component \"${{prop}}\" ` +\n\
         \t\t\t\t'is not listed in the \"codexComponents\" array ' +\n\
         \t\t\t\t'of the \"{}\" module in your module definition file'\n\
         \t\t\t);\n\
         \t\t}}\n\
         \t\treturn target[ prop ];\n\
         \t}}\n\
         }} );\n",
        object.join(","),
        codex.module
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_js_is_mediawikis_text() {
        let codex = Codex {
            dir: "core/resources/lib/codex".into(),
            components: vec!["CdxButton".into()],
            full_library: false,
            style_only: false,
            script_only: false,
            rtl: false,
            module: "ext.demo".into(),
            styles_at: 0,
        };
        let js = synthetic_exports(&codex, &[("CdxButton".into(), "CdxButton.cjs".into())]);
        assert_eq!(
            js,
            "module.exports = new Proxy( {\"CdxButton\":require( \"./_codex/CdxButton.cjs\" )}, {\n\
             \tget( target, prop ) {\n\
             \t\tif ( !( prop in target ) ) {\n\
             \t\t\tthrow new Error(\n\
             \t\t\t\t`Codex component \"${prop}\" ` +\n\
             \t\t\t\t'is not listed in the \"codexComponents\" array ' +\n\
             \t\t\t\t'of the \"ext.demo\" module in your module definition file'\n\
             \t\t\t);\n\
             \t\t}\n\
             \t\treturn target[ prop ];\n\
             \t}\n\
             } );\n"
        );
    }
}
