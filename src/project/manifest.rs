//! `extension.json` / `skin.json`: ResourceModules and the keys that shape them.

use indexmap::IndexMap;
use serde_json::Value;

use super::ProjectError;

/// The parts of one manifest that rldev uses, still in manifest terms.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Project-relative path of the manifest file.
    pub path: String,
    /// Project-relative folder holding it.
    pub dir: String,
    pub modules: IndexMap<String, Value>,
    /// `ResourceFileModulePaths`: defaults merged into every module.
    pub file_module_paths: serde_json::Map<String, Value>,
    /// `MessagesDirs`, project-relative folders.
    pub messages_dirs: Vec<String>,
    /// `config` defaults: name -> value.
    pub config: IndexMap<String, Value>,
    /// `SkinLessImportPaths`: skin -> project-relative folder.
    pub skin_less_import_paths: IndexMap<String, String>,
    /// `SkinOOUIThemes`: skin -> OOUI theme (`WikimediaUI`, `Apex`).
    pub skin_ooui_themes: IndexMap<String, String>,
    /// `ResourceModuleSkinStyles`: skin -> (module or `+module`) -> styles.
    pub skin_styles: IndexMap<String, serde_json::Map<String, Value>>,
}

impl Manifest {
    pub fn parse(path: &str, text: &[u8]) -> Result<Manifest, ProjectError> {
        let json: Value = serde_json::from_slice(text).map_err(|e| ProjectError::Syntax {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
        let Value::Object(mut root) = json else {
            return Err(ProjectError::Invalid {
                path: path.to_string(),
                message: "a manifest must be a JSON object".into(),
            });
        };
        let dir = crate::paths::parent(path).to_string();
        let rel = |p: &str| crate::paths::join(&dir, p);
        let config_prefix_v2 = root.get("manifest_version").and_then(Value::as_u64) == Some(2);
        let config_prefix = root.get("config_prefix").cloned();
        // Each object is taken out of the manifest, not copied (a manifest
        // may declare thousands of modules).
        let mut object = |key: &str| match root.remove(key) {
            Some(Value::Object(m)) => Ok(m),
            None | Some(Value::Null) => Ok(serde_json::Map::new()),
            Some(_) => Err(ProjectError::Invalid {
                path: path.to_string(),
                message: format!("`{key}` must be an object"),
            }),
        };
        let modules = object("ResourceModules")?.into_iter().collect();
        let file_module_paths = object("ResourceFileModulePaths")?;
        let mut messages_dirs = Vec::new();
        for (_, dirs) in object("MessagesDirs")? {
            for d in string_list(&dirs) {
                messages_dirs.push(rel(&d));
            }
        }
        // The name a setting goes by in ResourceLoader's Config: its global
        // ($wg + key by default; `config_prefix`, or `_prefix` in version 1)
        // without the leading "wg".
        let config_table = object("config")?;
        let prefix = config_prefix
            .as_ref()
            .or_else(|| config_table.get("_prefix"))
            .and_then(Value::as_str)
            .unwrap_or("wg");
        let prefix = prefix.strip_prefix("wg").unwrap_or(prefix).to_string();
        let config = config_table
            .into_iter()
            .filter(|(k, _)| !k.starts_with('@') && k != "_prefix")
            .map(|(k, v)| (format!("{prefix}{k}"), v))
            .map(|(k, v)| {
                // manifest_version 2 wraps each value: {"value": …, "description": …}.
                let value = match (&v, config_prefix_v2) {
                    (Value::Object(o), true) => o.get("value").cloned().unwrap_or(Value::Null),
                    _ => v,
                };
                (k, value)
            })
            .collect();
        let skin_less_import_paths = object("SkinLessImportPaths")?
            .into_iter()
            .filter_map(|(skin, p)| p.as_str().map(|p| (skin, rel(p))))
            .collect();
        let skin_ooui_themes = object("SkinOOUIThemes")?
            .into_iter()
            .filter_map(|(skin, t)| t.as_str().map(|t| (skin, t.to_string())))
            .collect();
        let skin_styles = object("ResourceModuleSkinStyles")?
            .into_iter()
            .filter_map(|(skin, v)| match v {
                Value::Object(m) => Some((skin, m)),
                _ => None,
            })
            .collect();
        Ok(Manifest {
            path: path.to_string(),
            dir,
            modules,
            file_module_paths,
            messages_dirs,
            config,
            skin_less_import_paths,
            skin_ooui_themes,
            skin_styles,
        })
    }
}

/// serde_json appends " at line L column C"; the caller prints the position itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A string or a list of strings (the shape of many manifest keys).
pub fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = Manifest::parse("ext/extension.json", b"{\n  \"a\": 1,\n  oops\n}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ext/extension.json:3:3: key must be a string"
        );
    }

    #[test]
    fn reads_paths_relative_to_manifest() {
        let m = Manifest::parse(
            "skins/Plain/skin.json",
            br#"{"manifest_version": 2, "MessagesDirs": {"Plain": ["i18n"]},
                "config": {"PlainX": {"value": 3}},
                "SkinLessImportPaths": {"plain": "resources/mediawiki.less"},
                "ResourceModules": {"a": {}, "b": {}}}"#,
        )
        .unwrap();
        assert_eq!(m.messages_dirs, ["skins/Plain/i18n"]);
        assert_eq!(m.config["PlainX"], 3);
        assert_eq!(
            m.skin_less_import_paths["plain"],
            "skins/Plain/resources/mediawiki.less"
        );
        assert_eq!(m.modules.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn settings_go_by_their_global_name_without_wg() {
        let m = Manifest::parse(
            "skins/C/skin.json",
            br#"{"manifest_version": 2, "config_prefix": "wgCitizen",
                "config": {"TableOfContentsCollapseAtCount": {"value": 28}}}"#,
        )
        .unwrap();
        assert_eq!(m.config["CitizenTableOfContentsCollapseAtCount"], 28);
        let v1 = Manifest::parse(
            "extensions/O/extension.json",
            br#"{"config": {"_prefix": "egOld", "Flag": true}}"#,
        )
        .unwrap();
        assert_eq!(v1.config["egOldFlag"], true);
    }
}
