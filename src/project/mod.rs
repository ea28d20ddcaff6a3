//! A project: `rldev.toml` plus manifests -> module definitions (pure: bytes in, values out).

pub mod checks;
pub mod codex;
pub mod config;
pub mod image;
pub mod manifest;
pub mod module;
pub mod resolve;
pub mod skin;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::files::Source;
use crate::paths;
pub use config::Config;
pub use manifest::Manifest;
pub use module::*;

/// A project that cannot be loaded at all (as opposed to one broken module).
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: cannot read it (does it exist?)")]
    Unreadable { path: String },
}

/// The request context of ResourceLoader (`skin=`, `lang=`, `dir=`) where it
/// differs from rldev.toml's; the default is rldev.toml's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Context {
    pub skin: Option<String>,
    pub language: Option<String>,
    /// `dir=`: written right to left or not, whatever the language.
    pub rtl: Option<bool>,
}

/// What to load, relative to the project root.
#[derive(Debug, Clone)]
pub enum Inputs {
    /// An `rldev.toml` (project-relative path).
    Config(String),
    /// Manifest files or folders holding one, with no `rldev.toml`.
    Manifests(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Project {
    pub config: Config,
    /// Project-relative files the project definition was read from (toml and manifests).
    pub definition_files: Vec<String>,
    pub manifests: Vec<Manifest>,
    /// In registration order; a name registered twice keeps the later definition.
    pub modules: Vec<ModuleDef>,
    pub language: String,
    /// MediaWiki core's folder, project-relative, when given.
    pub core: Option<String>,
    /// What the definitions get wrong but does not stop a build (see `checks`).
    pub warnings: Vec<String>,
    /// Each module's `targets`, when core's startup module registers a
    /// module only for the request's `target` (MediaWiki 1.40 and older:
    /// `desktop` unless asked otherwise); `None` when it registers all.
    pub targets: Option<BTreeMap<String, Vec<String>>>,
}

impl Project {
    pub fn load(inputs: &Inputs, source: &dyn Source) -> Result<Project, ProjectError> {
        Project::load_with_core(inputs, None, source)
    }

    /// As [`Project::load`], with MediaWiki core's folder given from outside
    /// (project-relative; it wins over rldev.toml's `core`).
    pub fn load_with_core(
        inputs: &Inputs,
        core: Option<&str>,
        source: &dyn Source,
    ) -> Result<Project, ProjectError> {
        Project::load_in(inputs, core, &Context::default(), source)
    }

    /// As [`Project::load_with_core`], its modules resolved for `context`
    /// instead of rldev.toml's skin and language.
    pub fn load_in(
        inputs: &Inputs,
        core: Option<&str>,
        context: &Context,
        source: &dyn Source,
    ) -> Result<Project, ProjectError> {
        let mut definition_files = Vec::new();
        let (config, manifest_paths) = match inputs {
            Inputs::Config(path) => {
                let bytes = source
                    .read(path)
                    .ok_or_else(|| ProjectError::Unreadable { path: path.clone() })?;
                definition_files.push(path.clone());
                let text = String::from_utf8_lossy(&bytes);
                let config = Config::parse(path, &text)?;
                let dir = paths::parent(path);
                let manifests = config
                    .manifests
                    .iter()
                    .map(|m| config_path(dir, m, source))
                    .collect();
                (config, manifests)
            }
            Inputs::Manifests(list) => (Config::default(), list.clone()),
        };
        let mut manifests = Vec::new();
        for path in manifest_paths {
            let (file, bytes) = find_manifest(&path, source)?;
            definition_files.push(file.clone());
            manifests.push(Manifest::parse(&file, &bytes)?);
        }
        let mut config = config;
        if let Some(skin) = &context.skin {
            config.skin = Some(skin.clone());
        }
        let language = context
            .language
            .clone()
            .or_else(|| config.language.clone())
            .unwrap_or_else(|| "en".into());
        let rtl = context.rtl.unwrap_or_else(|| is_rtl(&language));
        let config_dir = match inputs {
            Inputs::Config(path) => paths::parent(path),
            Inputs::Manifests(_) => "",
        };
        // Paths in rldev.toml: relative to its folder, or absolute.
        for p in &mut config.less.import_paths {
            *p = config_path(config_dir, p, source);
        }
        for folder in config.less.prefixes.values_mut() {
            *folder = config_path(config_dir, folder, source);
        }
        let core = core.map(str::to_string).or_else(|| {
            config
                .core
                .as_deref()
                .map(|c| config_path(config_dir, c, source))
        });
        // An rldev.toml where MediaWiki keeps extensions and skins
        // (`<core>/extensions/X/rldev.toml`): core is that checkout, as for a
        // manifest given there.
        let core = core.or_else(|| match inputs {
            Inputs::Config(_) => {
                let around = paths::join(config_dir, "../..");
                source
                    .read(&paths::join(&around, "includes/Defines.php"))
                    .is_some()
                    .then_some(around)
            }
            Inputs::Manifests(_) => None,
        });
        // Core's SkinModule feature table, when core has one to read.
        let skin_features = core
            .as_deref()
            .map(|c| paths::join(c, skin::CORE_SKIN_MODULE))
            .and_then(|path| {
                let table =
                    skin::FeatureTable::parse(&String::from_utf8_lossy(&source.read(&path)?))?;
                definition_files.push(path);
                Some(table)
            })
            .unwrap_or_else(skin::FeatureTable::builtin);
        // A skin named in rldev.toml whose manifest is not one of the
        // project's: the skin of that name next to core (`<core>/skins/X`)
        // gives its SkinLessImportPaths, so `mediawiki.skin.variables.less`
        // is that skin's, as on a wiki with it installed.
        let mut with_core_skin = manifests.clone();
        if let (Some(core), Some(skin)) = (core.as_deref(), config.skin.as_deref())
            && !manifests
                .iter()
                .any(|m| m.skin_less_import_paths.contains_key(skin))
            && let Some(found) = core_skin(core, skin, source)
        {
            definition_files.push(found.path.clone());
            with_core_skin.push(found);
        }
        let fallbacks = fallback_chain(&language, core.as_deref(), source, &mut definition_files);
        let modules = resolve_modules(
            &config,
            &with_core_skin,
            &language,
            &fallbacks,
            rtl,
            core.as_deref(),
            &skin_features,
        );
        let core_modules = core.as_deref().and_then(|c| {
            let php = source.read(&paths::join(c, "resources/Resources.php"))?;
            Some(checks::core_module_names(&String::from_utf8_lossy(&php)))
        });
        let warnings = checks::warnings(&manifests, &modules, core_modules.as_ref());
        let targets = match core.as_deref() {
            Some(c) if filters_by_target(c, source, &mut definition_files) => {
                Some(targets(&manifests, &modules))
            }
            _ => None,
        };
        Ok(Project {
            config,
            definition_files,
            manifests,
            modules,
            language,
            core,
            warnings,
            targets,
        })
    }
}

/// Core's startup module, read to tell whether it registers a module only
/// for its targets (`getTargets()`: MediaWiki 1.40 and older).
const CORE_STARTUP_MODULE: &str = "includes/ResourceLoader/StartUpModule.php";

fn filters_by_target(core: &str, source: &dyn Source, definition_files: &mut Vec<String>) -> bool {
    let path = paths::join(core, CORE_STARTUP_MODULE);
    let Some(php) = source.read(&path) else {
        return false;
    };
    definition_files.push(path);
    String::from_utf8_lossy(&php).contains("->getTargets()")
}

/// Each module's targets as ResourceLoader 1.39 has them: a file module's
/// `targets` (sorted, once each), `desktop` when it has none; an image
/// module targets both (it does not read the key).
fn targets(manifests: &[Manifest], modules: &[ModuleDef]) -> BTreeMap<String, Vec<String>> {
    let mut given: std::collections::HashMap<&str, Option<&Value>> = Default::default();
    for m in manifests {
        for (name, info) in &m.modules {
            given.insert(name.as_str(), info.get("targets"));
        }
    }
    modules
        .iter()
        .map(|def| {
            let targets = match (&def.kind, given.get(def.name.as_str()).copied().flatten()) {
                (ModuleKind::Image(_), _) => vec!["desktop".into(), "mobile".into()],
                (_, Some(t)) => {
                    let mut t = manifest::string_list(t);
                    t.sort();
                    t.dedup();
                    t
                }
                (_, None) => vec!["desktop".into()],
            };
            (def.name.clone(), targets)
        })
        .collect()
}

/// The manifest of the skin `skin` among core's skins, reduced to its
/// `SkinLessImportPaths` (its modules, messages and settings are not the
/// project's). Skins are found by their folder's usual name.
fn core_skin(core: &str, skin: &str, source: &dyn Source) -> Option<Manifest> {
    let base = skin.split('-').next().unwrap_or(skin);
    let known = match base {
        "vector" => "Vector",
        "monobook" => "MonoBook",
        "minerva" => "MinervaNeue",
        "timeless" => "Timeless",
        _ => "",
    };
    let mut capitalized = base.to_string();
    if let Some(first) = capitalized.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    [known.to_string(), capitalized]
        .into_iter()
        .filter(|name| !name.is_empty())
        .find_map(|name| {
            let path = paths::join(core, &format!("skins/{name}/skin.json"));
            let bytes = source.read(&path)?;
            let m = Manifest::parse(&path, &bytes).ok()?;
            m.skin_less_import_paths
                .contains_key(skin)
                .then(|| Manifest {
                    modules: Default::default(),
                    messages_dirs: Vec::new(),
                    config: Default::default(),
                    skin_styles: Default::default(),
                    skin_ooui_themes: Default::default(),
                    file_module_paths: Default::default(),
                    ..m
                })
        })
}

/// A path written in rldev.toml (in the folder `dir`): relative to it, or
/// absolute.
fn config_path(dir: &str, path: &str, source: &dyn Source) -> String {
    if std::path::Path::new(path).is_absolute()
        && let Some(rel) = source.relative(std::path::Path::new(path))
    {
        return rel;
    }
    paths::join(dir, path)
}

/// A manifest path is the file itself, or a folder holding `extension.json` or `skin.json`.
fn find_manifest(path: &str, source: &dyn Source) -> Result<(String, Vec<u8>), ProjectError> {
    if path.ends_with(".json") {
        return source
            .read(path)
            .map(|b| (path.to_string(), b))
            .ok_or_else(|| ProjectError::Unreadable { path: path.into() });
    }
    for name in ["extension.json", "skin.json"] {
        let file = paths::join(path, name);
        if let Some(b) = source.read(&file) {
            return Ok((file, b));
        }
    }
    Err(ProjectError::Invalid {
        path: path.to_string(),
        message: "no extension.json or skin.json here".into(),
    })
}

/// Where MediaWiki core keeps what every module's build may use, relative
/// to its folder: the Less import folder load.php adds after a skin's
/// (`mediawiki.mixins`, `mediawiki.skin.variables.less` defaults), the
/// import prefixes it maps to core's Codex libraries (MediaWiki ≥ 1.41;
/// `mediawiki.skin.codex/` from 1.43), and the message folders.
const CORE_LESS_IMPORT_PATHS: &[&str] = &["resources/src/mediawiki.less"];
const CORE_LESS_PREFIXES: &[(&str, &str)] = &[
    ("mediawiki.skin.codex/", "resources/lib/codex"),
    (
        "mediawiki.skin.codex-design-tokens/",
        "resources/lib/codex-design-tokens",
    ),
    ("@wikimedia/codex-icons/", "resources/lib/codex-icons"),
];
/// Core's message folders, as LocalisationCache lists them.
const CORE_MESSAGES_DIRS: &[&str] = &[
    "languages/i18n",
    "languages/i18n/exif",
    "includes/api/i18n",
    "includes/Rest/i18n",
    "resources/lib/ooui/i18n",
    "includes/libs/ParamValidator/i18n",
];

/// Languages written right to left: those whose language file sets `$rtl`
/// in MediaWiki 1.39 (languages/messages/Messages*.php), and those that fall
/// back to one of them (`aeb`, `ks`, `skr`, `ug`).
const RTL_LANGUAGES: &[&str] = &[
    "aeb", "aeb-arab", "ar", "arc", "arq", "ary", "arz", "azb", "bcc", "bgn", "bqi", "ckb", "dv",
    "en-rtl", "fa", "glk", "he", "khw", "kk-arab", "kk-cn", "ks", "ks-arab", "ku-arab", "lki",
    "lrc", "luz", "ms-arab", "mzn", "nqo", "pnb", "ps", "sd", "sdh", "skr", "skr-arab", "ug",
    "ug-arab", "ur", "yi",
];

/// Whether `language` is written right to left.
pub fn is_rtl(language: &str) -> bool {
    RTL_LANGUAGES.contains(&language.to_ascii_lowercase().as_str())
}

/// A language's fallbacks, as MediaWiki has them.
struct Fallbacks {
    /// Where messages are looked up, in order (`fallbackSequence`): the
    /// language, the `$fallback` list of core's
    /// `languages/messages/Messages<Code>.php` (read as a definition file),
    /// then `en`. Without core: the language, then `en`.
    messages: Vec<String>,
    /// The list alone (LanguageFallback::STRICT: neither the language nor an
    /// `en` that was not listed), for an image's `lang` entries.
    strict: Vec<String>,
}

fn fallback_chain(
    language: &str,
    core: Option<&str>,
    source: &dyn Source,
    definition_files: &mut Vec<String>,
) -> Fallbacks {
    let mut strict: Vec<String> = Vec::new();
    if let Some(core) = core
        && language != "en"
    {
        let mut name = language.replace('-', "_");
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let path = paths::join(core, &format!("languages/messages/Messages{name}.php"));
        if let Some(php) = source.read(&path) {
            definition_files.push(path);
            let php = String::from_utf8_lossy(&php);
            let listed = php.lines().find_map(|line| {
                let rest = line.trim_start().strip_prefix("$fallback")?;
                let rest = rest.trim_start().strip_prefix('=')?.trim_start();
                let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                let body = &rest[1..];
                Some(body[..body.find(quote)?].to_string())
            });
            for code in listed.iter().flat_map(|l| l.split(',')) {
                let code = code.trim().to_string();
                if !code.is_empty() && code != language && !strict.contains(&code) {
                    strict.push(code);
                }
            }
        }
    }
    let mut messages = vec![language.to_string()];
    messages.extend(strict.iter().cloned());
    if !messages.iter().any(|c| c == "en") {
        messages.push("en".into());
    }
    Fallbacks { messages, strict }
}

fn resolve_modules(
    config: &Config,
    manifests: &[Manifest],
    language: &str,
    fallbacks: &Fallbacks,
    rtl: bool,
    core: Option<&str>,
    skin_features: &skin::FeatureTable,
) -> Vec<ModuleDef> {
    let skin = config.skin.as_deref();
    let languages = &fallbacks.messages;
    let strict = &fallbacks.strict;
    let core_messages: Vec<String> = core
        .into_iter()
        .flat_map(|c| CORE_MESSAGES_DIRS.iter().map(move |d| paths::join(c, d)))
        .collect();
    let message_files: Vec<String> = languages
        .iter()
        .flat_map(|lang| {
            manifests
                .iter()
                .flat_map(|m| m.messages_dirs.iter())
                .chain(core_messages.iter())
                .map(move |d| paths::join(d, &format!("{lang}.json")))
        })
        .collect();
    let mut config_values = BTreeMap::new();
    for m in manifests {
        for (k, v) in &m.config {
            config_values.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    // A skin's own import folder is searched before the configured ones, as MediaWiki does.
    let mut import_paths: Vec<String> = skin
        .into_iter()
        .flat_map(|s| {
            manifests
                .iter()
                .filter_map(move |m| m.skin_less_import_paths.get(s))
        })
        .cloned()
        .collect();
    import_paths.extend(config.less.import_paths.iter().map(|p| paths::normalize(p)));
    if let Some(core) = core {
        import_paths.extend(CORE_LESS_IMPORT_PATHS.iter().map(|p| paths::join(core, p)));
    }
    let mut prefixes: Vec<(String, String)> = config
        .less
        .prefixes
        .iter()
        .map(|(k, v)| (k.clone(), paths::normalize(v)))
        .collect();
    // Core's prefixes, unless rldev.toml maps the same one.
    for (prefix, folder) in core.map_or(&[][..], |_| CORE_LESS_PREFIXES) {
        if !prefixes.iter().any(|(k, _)| k == prefix) {
            let folder = paths::join(core.expect("core's prefixes only with core"), folder);
            prefixes.push((prefix.to_string(), folder));
        }
    }

    let mut skin_themes = indexmap::IndexMap::new();
    for (skin, theme) in manifests.iter().flat_map(|m| &m.skin_ooui_themes) {
        skin_themes
            .entry(skin.clone())
            .or_insert_with(|| theme.clone());
    }

    let mut modules: Vec<ModuleDef> = Vec::new();
    // name -> its place in `modules` (a name registered again keeps its place).
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for m in manifests {
        for (name, info) in &m.modules {
            let injected = skin
                .into_iter()
                .flat_map(|s| {
                    manifests
                        .iter()
                        .filter_map(move |sm| sm.skin_styles.get(s).map(|t| (sm, t)))
                })
                .flat_map(|(sm, table)| {
                    table.iter().filter_map(move |(key, v)| {
                        (key.trim_start_matches('+') == name).then_some((sm, key.as_str(), v))
                    })
                })
                .collect();
            let settings = resolve::Settings {
                skin,
                message_files: &message_files,
                config: &config_values,
                less_import_paths: &import_paths,
                less_prefixes: &prefixes,
                less_vars: config.modules.get(name).map(|s| &s.less_vars),
                less_max_bytes: config
                    .less
                    .max_file_kib
                    .unwrap_or(config::DEFAULT_LESS_MAX_FILE_KIB)
                    .saturating_mul(1024),
                injected_skin_styles: injected,
                core,
                rtl,
                language,
                content_language: config.language.as_deref().unwrap_or("en"),
                language_fallbacks: strict,
                skin_themes: &skin_themes,
                skin_features,
            };
            let def = resolve::resolve(m, name, info, &settings);
            match at.get(&def.name) {
                Some(&i) => modules[i] = def,
                None => {
                    at.insert(def.name.clone(), modules.len());
                    modules.push(def);
                }
            }
        }
    }
    modules
}
