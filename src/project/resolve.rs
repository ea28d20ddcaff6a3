//! One `ResourceModules` entry -> a [`ModuleDef`], as ResourceLoader's FileModule reads it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::codex::{self, Codex};
use super::manifest::{Manifest, string_list};
use super::module::*;
use super::skin::{Skin, TOC_LESS_MESSAGES};
use crate::paths;

/// What every module of a project shares when it is resolved.
pub struct Settings<'a> {
    pub skin: Option<&'a str>,
    /// Message language files in lookup order (all manifests' `MessagesDirs`).
    pub message_files: &'a [String],
    /// Config values from every manifest's `config`.
    pub config: &'a BTreeMap<String, Value>,
    pub less_import_paths: &'a [String],
    pub less_prefixes: &'a [(String, String)],
    pub less_vars: Option<&'a BTreeMap<String, String>>,
    pub less_max_bytes: usize,
    /// `ResourceModuleSkinStyles` of the chosen skin that name this module.
    pub injected_skin_styles: Vec<(&'a Manifest, &'a str, &'a Value)>,
    /// MediaWiki core's folder, when known (project-relative).
    pub core: Option<&'a str>,
    /// The language is written right to left: styles are flipped.
    pub rtl: bool,
    pub language: &'a str,
    /// The wiki's language (rldev.toml's), whatever the request's.
    pub content_language: &'a str,
    /// The language's strict fallback chain (as its language file lists it).
    pub language_fallbacks: &'a [String],
    /// `SkinOOUIThemes` of every manifest (skin -> OOUI theme).
    pub skin_themes: &'a indexmap::IndexMap<String, String>,
    /// Core's SkinModule features (or MediaWiki 1.39's).
    pub skin_features: &'a super::skin::FeatureTable,
}

/// The classes that are plain file modules.
const FILE_MODULE_CLASSES: &[&str] = &[
    "MediaWiki\\ResourceLoader\\FileModule",
    "ResourceLoaderFileModule",
    "FileModule",
    "MediaWiki\\ResourceLoader\\LessVarFileModule",
    "ResourceLoaderLessVarFileModule",
];

/// Core's SkinModule (a file module with `features`, see `skin.rs`).
const SKIN_MODULE_CLASSES: &[&str] = &[
    "MediaWiki\\ResourceLoader\\SkinModule",
    "ResourceLoaderSkinModule",
];

/// The logo a wiki gets from MediaWiki's installer (`$wgLogos['1x']`).
const DEFAULT_LOGO: &str = "resources/assets/change-your-logo.svg";

pub fn resolve(manifest: &Manifest, name: &str, info: &Value, s: &Settings) -> ModuleDef {
    let original = info;
    let mut info = match info {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    // ResourceFileModulePaths are merged in with PHP's `+=`: the module's own keys win.
    for (k, v) in &manifest.file_module_paths {
        info.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let mut dependencies = sorted_unique(
        info.get("dependencies")
            .map(string_list)
            .unwrap_or_default(),
    );
    if let Some(templates) = info.get("templates") {
        template_dependencies(templates, &mut dependencies);
    }
    let group = info
        .get("group")
        .and_then(Value::as_str)
        .map(str::to_string);
    let image = super::image::Context {
        skin: s.skin,
        language: s.language,
        language_fallbacks: s.language_fallbacks,
        rtl: s.rtl,
        core: s.core,
        skin_themes: s.skin_themes,
    };
    let kind = if !valid_module_name(name) {
        ModuleKind::Unsupported(format!("invalid module name {name:?}"))
    } else if !original.is_object() {
        ModuleKind::Unsupported(format!(
            "{}: ResourceModules.{name}: a module definition must be an object, not {}",
            manifest.path,
            json_kind(original)
        ))
    } else if let Some(kind) = super::image::module_kind(manifest, &info, &image) {
        kind
    } else {
        match file_module(manifest, name, &info, s) {
            Ok(m) => ModuleKind::File(Box::new(m)),
            Err(reason) => ModuleKind::Unsupported(reason),
        }
    };
    if let ModuleKind::File(m) = &kind
        && m.codex.as_ref().is_some_and(Codex::needs_vue)
    {
        dependencies = sorted_unique([dependencies, vec!["vue".to_string()]].concat());
    }
    // An image module reads neither (ResourceLoader's Module stubs them).
    let (dependencies, group) = match kind {
        ModuleKind::Image(_) => (Vec::new(), None),
        _ => (dependencies, group),
    };
    ModuleDef {
        name: name.to_string(),
        origin: manifest.path.clone(),
        dependencies,
        group,
        kind,
    }
}

/// What a JSON value is, in words.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where a module's files are, on disk and as URLs.
struct Base {
    local: String,
    remote: String,
}

impl Base {
    fn of(manifest: &Manifest, info: &Map<String, Value>) -> Base {
        let local = match info.get("localBasePath").and_then(Value::as_str) {
            Some(p) => paths::join(&manifest.dir, p),
            None => manifest.dir.clone(),
        };
        let s = |k: &str| info.get(k).and_then(Value::as_str);
        // Later wins: remoteExtPath, then remoteSkinPath, then remoteBasePath.
        let mut remote = String::new();
        if let Some(p) = s("remoteExtPath") {
            remote = format!("/extensions/{p}");
        }
        if let Some(p) = s("remoteSkinPath") {
            remote = format!("/skins/{p}");
        }
        if let Some(p) = s("remoteBasePath") {
            remote = p.to_string();
        }
        Base {
            local,
            remote: remote.trim_end_matches('/').to_string(),
        }
    }

    fn path(&self, rel: &str) -> String {
        paths::join(&self.local, rel)
    }

    fn style(&self, rel: &str, media: &str) -> Style {
        let url_path = paths::join(self.remote.trim_start_matches('/'), rel);
        Style {
            path: self.path(rel),
            media: media.to_string(),
            url: format!("/{url_path}"),
        }
    }
}

fn file_module(
    manifest: &Manifest,
    name: &str,
    info: &Map<String, Value>,
    s: &Settings,
) -> Result<FileModule, String> {
    let class = info.get("class").and_then(Value::as_str);
    let skin_module = class.is_some_and(|c| SKIN_MODULE_CLASSES.contains(&c));
    let codex = match class {
        Some(c) if codex::CLASSES.contains(&c) => Some(Codex::of(name, info, s.core, s.rtl)?),
        _ => None,
    };
    if let Some(class) = class
        && !FILE_MODULE_CLASSES.contains(&class)
        && !skin_module
        && codex.is_none()
    {
        return Err(format!(
            "class {class} needs PHP; rldev builds only file modules"
        ));
    }
    if info.contains_key("factory") {
        return Err("a `factory` needs PHP; rldev builds only file modules".into());
    }
    let base = Base::of(manifest, info);
    let list = |key: &str| -> Vec<String> {
        info.get(key)
            .map(string_list)
            .unwrap_or_default()
            .iter()
            .map(|p| base.path(p))
            .collect()
    };
    // In execution order, each file once: scripts, languageScripts (the
    // language's, else English's), skinScripts, debugScripts (rldev serves
    // scripts as load.php's debug mode does: unminified, with these).
    let mut scripts = list("scripts");
    let language_scripts = info.get("languageScripts").and_then(Value::as_object);
    let for_language = language_scripts
        .and_then(|m| m.get(s.language).or_else(|| m.get("en")))
        .map(string_list)
        .unwrap_or_default();
    scripts.extend(for_language.iter().map(|p| base.path(p)));
    scripts.extend(
        pick(info.get("skinScripts"), s.skin)
            .iter()
            .map(|p| base.path(p)),
    );
    scripts.extend(list("debugScripts"));
    let mut seen = std::collections::HashSet::new();
    scripts.retain(|p| seen.insert(p.clone()));
    let mut styles = styles_of(&base, info.get("styles"));
    let mut codex = codex;
    if let Some(c) = codex.as_mut() {
        c.styles_at = styles.len();
    }
    let own_skin_styles = info.get("skinStyles").and_then(Value::as_object);
    let skin_has_own = s
        .skin
        .is_some_and(|skin| own_skin_styles.is_some_and(|m| m.contains_key(skin)));
    let mut skin_styles = match own_skin_styles {
        Some(m) => match s.skin.and_then(|k| m.get(k)).or_else(|| m.get("default")) {
            Some(v) => styles_of(&base, Some(v)),
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    for (skin_manifest, key, value) in &s.injected_skin_styles {
        let skin_base = Base::of(skin_manifest, &skin_manifest.file_module_paths);
        let injected = styles_of(&skin_base, Some(value));
        if key.starts_with('+') {
            skin_styles.extend(injected);
        } else if !skin_has_own {
            skin_styles = injected;
        }
    }
    styles.extend(skin_styles);
    let mut less_messages: Vec<String> = info
        .get("lessMessages")
        .map(string_list)
        .unwrap_or_default();
    let mut deprecated = match info.get("deprecated") {
        Some(Value::String(m)) => Some(m.clone()),
        Some(Value::Bool(true)) => Some(String::new()),
        _ => None,
    };
    let mut logo = None;
    let mut less_vars = s.less_vars.cloned().unwrap_or_default();
    if skin_module {
        let core = s.core.ok_or(
            "a SkinModule needs MediaWiki core for its features: give --core PATH or core in rldev.toml",
        )?;
        let skin = Skin::of(info, s.skin_features)?;
        styles = skin.styles(core, styles, s.skin_features);
        if skin.has("toc") {
            less_messages.extend(TOC_LESS_MESSAGES.iter().map(|m| m.to_string()));
        }
        // SkinModule's Less variables: with no wordmark among the logos
        // (as the installer configures them), only `logo-enabled`, false.
        // less.php writes PHP's false as an empty value, which less.js cannot
        // parse; core's stylesheets only compare it with 1, so `false`
        // gives the same CSS.
        less_vars.insert("logo-enabled".into(), "false".into());
        if skin.has("logo") {
            logo = Some(Logo {
                path: paths::join(core, DEFAULT_LOGO),
                url: format!("/{DEFAULT_LOGO}"),
            });
        }
        if skin.deprecated.is_some() {
            deprecated = skin.deprecated;
        }
    }

    let package_files = match info.get("packageFiles") {
        Some(v) => {
            if !scripts.is_empty() {
                return Err("packageFiles cannot be combined with scripts".into());
            }
            Some(package_files(&base, v, s.config, s.core)?)
        }
        None => None,
    };
    let templates = match info.get("templates") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(alias, p)| p.as_str().map(|p| (alias.clone(), base.path(p))))
            .collect(),
        Some(v) => string_list(v)
            .into_iter()
            .map(|p| (p.clone(), base.path(&p)))
            .collect(),
        None => Vec::new(),
    };
    let messages = sorted_unique(info.get("messages").map(string_list).unwrap_or_default());
    let codex_messages = codex.as_ref().is_some_and(Codex::has_messages);
    let message_files = if messages.is_empty() && less_messages.is_empty() && !codex_messages {
        Vec::new()
    } else {
        s.message_files.to_vec()
    };
    let php = php_env(manifest, package_files.as_deref(), s);
    Ok(FileModule {
        local_base: base.local.clone(),
        remote_base: base.remote.clone(),
        scripts,
        styles,
        package_files,
        templates,
        messages,
        message_files,
        skip_function: info
            .get("skipFunction")
            .and_then(Value::as_str)
            .map(|p| base.path(p)),
        less_vars,
        less_import_paths: s.less_import_paths.to_vec(),
        less_prefixes: s.less_prefixes.to_vec(),
        php,
        less_max_bytes: s.less_max_bytes,
        less_messages,
        logo,
        flip: s.rtl && !info.get("noflip").and_then(Value::as_bool).unwrap_or(false),
        deprecated,
        codex,
    })
}

/// `{skin: paths, default: paths}` -> the chosen skin's entry, else `default`.
fn pick(v: Option<&Value>, skin: Option<&str>) -> Vec<String> {
    let Some(Value::Object(m)) = v else {
        return Vec::new();
    };
    skin.and_then(|k| m.get(k))
        .or_else(|| m.get("default"))
        .map(string_list)
        .unwrap_or_default()
}

/// `styles`: a path, a list of paths, or `{path: {"media": …}}`.
fn styles_of(base: &Base, v: Option<&Value>) -> Vec<Style> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(path, opts)| {
                let media = opts.get("media").and_then(Value::as_str).unwrap_or("all");
                base.style(path, media)
            })
            .collect(),
        Some(v) => string_list(v)
            .iter()
            .map(|p| base.style(p, "all"))
            .collect(),
        None => Vec::new(),
    }
}

fn package_files(
    base: &Base,
    v: &Value,
    config: &BTreeMap<String, Value>,
    core: Option<&str>,
) -> Result<Vec<PackageFile>, String> {
    // A single entry may stand for the list, as ResourceLoader reads it.
    let items = match v {
        Value::Array(items) => items.as_slice(),
        Value::String(_) => std::slice::from_ref(v),
        _ => return Err("packageFiles must be a list".into()),
    };
    let mut out = Vec::new();
    for item in items {
        let (name, entry) = match item {
            Value::String(p) => (p.clone(), None),
            Value::Object(o) => match o.get("name").and_then(Value::as_str) {
                Some(n) => (n.to_string(), Some(o)),
                None => return Err("a packageFiles entry has no name".into()),
            },
            _ => return Err("a packageFiles entry must be a string or an object".into()),
        };
        let get = |k: &str| entry.and_then(|o| o.get(k));
        // A `versionCallback` is left out: rldev's version is of the output.
        let callback = match get("callback") {
            Some(v) => Some(callback_name(v).ok_or_else(|| {
                format!("packageFiles entry {name}: a callback must be a string or a [class, method] pair")
            })?),
            None if get("versionCallback").is_some() => {
                return Err(format!(
                    "packageFiles entry {name}: a versionCallback needs a callback"
                ));
            }
            None => None,
        };
        let codex_icons = callback.as_deref().is_some_and(is_codex_icons);
        let mut kind = if name.ends_with(".json") {
            PackageKind::Data
        } else if name.to_ascii_lowercase().ends_with(".vue") {
            PackageKind::Vue
        } else {
            PackageKind::Script
        };
        match get("type").and_then(Value::as_str) {
            Some("data") => kind = PackageKind::Data,
            Some("script") => kind = PackageKind::Script,
            Some("text") => kind = PackageKind::Text,
            Some(other) => return Err(format!("packageFiles entry {name}: unknown type {other}")),
            None => {}
        }
        let source = if codex_icons {
            kind = PackageKind::Data;
            let Some(core) = core else {
                return Err(format!(
                    "packageFiles entry {name}: CodexModule::getIcons reads MediaWiki core's \
                     codex-icons.json (give core's folder with --core PATH, core in rldev.toml \
                     or MW_INSTALL_PATH)"
                ));
            };
            PackageSource::CodexIcons {
                file: paths::join(core, CODEX_ICONS),
                names: get("callbackParam").map(string_list),
            }
        } else if let Some(callback) = callback {
            let Some(_) = core else {
                return Err(format!(
                    "packageFiles entry {name}: its PHP callback runs in MediaWiki core: give \
                     core's folder with --core PATH, core in rldev.toml or MW_INSTALL_PATH"
                ));
            };
            PackageSource::Callback(PhpCall {
                callback,
                param: get("callbackParam").cloned(),
            })
        } else if let Some(content) = get("content") {
            PackageSource::Content(content.clone())
        } else if let Some(vars) = get("config") {
            kind = PackageKind::Data;
            PackageSource::Content(config_values(&name, vars, config)?)
        } else {
            let file = get("file").and_then(Value::as_str).unwrap_or(&name);
            PackageSource::File(base.path(file))
        };
        let main = get("main").and_then(Value::as_bool).unwrap_or(false);
        // As ResourceLoader: the style's relative URLs resolve against the entry's name.
        let style = (kind == PackageKind::Vue).then(|| base.style(&name, "all"));
        out.push(PackageFile {
            name,
            kind,
            main,
            source,
            style,
        });
    }
    let main = out
        .iter()
        .position(|f| f.main)
        .or_else(|| out.iter().position(|f| f.kind.is_script()));
    match main {
        Some(i) if out[i].kind.is_script() => {
            for (j, f) in out.iter_mut().enumerate() {
                f.main = i == j;
            }
            Ok(out)
        }
        _ => Err("packageFiles has no main script file".into()),
    }
}

/// Core's icon list, read by `CodexModule::getIcons`.
const CODEX_ICONS: &str = "resources/lib/codex-icons/codex-icons.json";

/// Where the module's PHP callbacks run, if it has any.
fn php_env(manifest: &Manifest, files: Option<&[PackageFile]>, s: &Settings) -> Option<PhpEnv> {
    if !files?
        .iter()
        .any(|f| matches!(f.source, PackageSource::Callback(_)))
    {
        return None;
    }
    Some(PhpEnv {
        core: s.core?.to_string(),
        manifest: manifest.path.clone(),
        language: s.language.to_string(),
        content_language: s.content_language.to_string(),
        skin: s.skin.map(str::to_string),
    })
}

/// A `callback` as PHP names it: `Class::method` from a string or a
/// `[class, method]` pair, without a leading `\\`.
fn callback_name(callback: &Value) -> Option<String> {
    let text = match callback {
        Value::String(s) => s.clone(),
        Value::Array(parts) if parts.len() == 2 && parts.iter().all(Value::is_string) => parts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("::"),
        _ => return None,
    };
    Some(text.trim_start_matches('\\').to_string())
}

/// A callback naming core's `CodexModule::getIcons`, under its namespaced
/// or pre-1.39 class name.
fn is_codex_icons(callback: &str) -> bool {
    matches!(
        callback,
        "MediaWiki\\ResourceLoader\\CodexModule::getIcons" | "ResourceLoaderCodexModule::getIcons"
    )
}

/// `config: ["Var"]` or `{alias: "Var"}` -> a JSON object of the config values.
fn config_values(
    name: &str,
    vars: &Value,
    config: &BTreeMap<String, Value>,
) -> Result<Value, String> {
    let pairs: Vec<(String, String)> = match vars {
        Value::Object(m) => m
            .iter()
            .filter_map(|(alias, var)| var.as_str().map(|v| (alias.clone(), v.to_string())))
            .collect(),
        v => string_list(v).into_iter().map(|v| (v.clone(), v)).collect(),
    };
    let mut out = Map::new();
    for (alias, var) in pairs {
        match config.get(&var) {
            Some(value) => {
                out.insert(alias, value.clone());
            }
            None => {
                return Err(format!(
                    "packageFiles entry {name}: config variable {var} is not in any manifest's config"
                ));
            }
        }
    }
    Ok(Value::Object(out))
}

/// What a module with `templates` depends on besides its own list, as
/// ResourceLoader's FileModule appends it: `mediawiki.template`, then the
/// compiler of each template's extension (`mediawiki.template.mustache`),
/// except for `.html`.
fn template_dependencies(templates: &Value, dependencies: &mut Vec<String>) {
    dependencies.push("mediawiki.template".into());
    let aliases: Vec<String> = match templates {
        Value::Object(m) => m.keys().cloned().collect(),
        v => string_list(v),
    };
    for alias in aliases {
        let suffix = alias.rsplit('.').next().unwrap_or_default();
        let compiler = format!("mediawiki.template.{suffix}");
        if suffix != "html" && !dependencies.contains(&compiler) {
            dependencies.push(compiler);
        }
    }
}

fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}
