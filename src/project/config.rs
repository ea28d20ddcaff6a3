//! `rldev.toml`: the settings MediaWiki keeps in PHP config.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ProjectError;

/// The parsed `rldev.toml`. Every key is optional; paths are relative to the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub manifests: Vec<String>,
    pub skin: Option<String>,
    pub language: Option<String>,
    /// A MediaWiki core folder (a git checkout or Debian's tree): its Less
    /// import path, Codex design tokens and `languages/i18n` messages.
    pub core: Option<String>,
    #[serde(default)]
    pub less: LessConfig,
    #[serde(default)]
    pub server: ServerConfig,
    /// Per-module settings, e.g. `[modules."ext.demo.theme".less_vars]`.
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleSettings>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessConfig {
    #[serde(default)]
    pub import_paths: Vec<String>,
    /// Import prefix -> folder, as MediaWiki maps `mediawiki.skin.codex/`.
    #[serde(default)]
    pub prefixes: BTreeMap<String, String>,
    /// The largest Less file compiled, in KiB (default 4096): a larger one
    /// is its module's error, not minutes of less.js and gigabytes.
    pub max_file_kib: Option<usize>,
}

/// `[less] max_file_kib` when not given.
pub const DEFAULT_LESS_MAX_FILE_KIB: usize = 4096;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The wiki to stand in front of (`serve --proxy`).
    pub proxy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSettings {
    /// Less variables given to this module's stylesheets (`modifyVars`).
    #[serde(default)]
    pub less_vars: BTreeMap<String, String>,
}

impl Config {
    /// Parses `rldev.toml` text; `path` only names the file in errors.
    pub fn parse(path: &str, text: &str) -> Result<Config, ProjectError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_column(text, s.start))
                .unwrap_or((1, 1));
            ProjectError::Syntax {
                path: path.to_string(),
                line,
                column,
                message: e.message().to_string(),
            }
        })
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let c = Config::parse(
            "rldev.toml",
            r##"
manifests = ["a", "b/skin.json"]
skin = "vector-2022"
language = "de"
[less]
import_paths = ["core/less"]
[less.prefixes]
"mediawiki.skin.codex/" = "core/codex/"
[server]
host = "127.0.0.1"
port = 9000
[modules."ext.a".less_vars]
accent = "#36c"
"##,
        )
        .unwrap();
        assert_eq!(c.manifests, ["a", "b/skin.json"]);
        assert_eq!(c.server.port, Some(9000));
        assert_eq!(c.less.prefixes["mediawiki.skin.codex/"], "core/codex/");
        assert_eq!(c.modules["ext.a"].less_vars["accent"], "#36c");
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = Config::parse("rldev.toml", "skin = \"a\"\nport = = 3\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("rldev.toml:2:"), "{text}");
    }
}
