//! Module definitions, resolved to project-relative paths: what a build needs.

use std::collections::BTreeMap;

use serde::Serialize;

/// One entry of `ResourceModules`, after defaults and base paths are applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleDef {
    pub name: String,
    /// The manifest that declared it (project-relative).
    #[serde(skip)]
    pub origin: String,
    /// Sorted and de-duplicated, as ResourceLoader does.
    #[serde(skip)]
    pub dependencies: Vec<String>,
    #[serde(skip)]
    pub group: Option<String>,
    pub kind: ModuleKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    File(Box<FileModule>),
    /// ImageModule, OOUIImageModule, OOUIIconPackModule: CSS made from images.
    Image(Box<super::image::ImageModule>),
    /// A definition rldev cannot build (a PHP class, a PHP callback); the reason is shown as its error.
    Unsupported(String),
}

/// A FileModule: everything here can change the output, and all of it is hashed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileModule {
    /// Project-relative folder the module's paths are relative to.
    pub local_base: String,
    /// URL folder the module's files are served from (e.g. `/extensions/Demo/resources`).
    pub remote_base: String,
    pub scripts: Vec<String>,
    pub styles: Vec<Style>,
    pub package_files: Option<Vec<PackageFile>>,
    /// Alias -> project-relative path.
    pub templates: Vec<(String, String)>,
    /// Sorted and de-duplicated keys.
    pub messages: Vec<String>,
    /// Language files searched for messages, in lookup order (present or not).
    pub message_files: Vec<String>,
    pub skip_function: Option<String>,
    pub less_vars: BTreeMap<String, String>,
    /// Less search path after the importing file's folder (project-relative folders).
    pub less_import_paths: Vec<String>,
    /// Less import prefixes -> project-relative folders.
    pub less_prefixes: Vec<(String, String)>,
    /// Where the `Callback` package files run, when there are any.
    pub php: Option<PhpEnv>,
    /// The largest Less stylesheet compiled, in bytes (`[less] max_file_kib`).
    pub less_max_bytes: usize,
    /// Message keys given to the stylesheets as Less variables `@msg-<key>`
    /// (LessVarFileModule's `lessMessages`).
    pub less_messages: Vec<String>,
    /// SkinModule's `logo` feature: the logo whose `.mw-wiki-logo` rule
    /// ends the module's CSS.
    pub logo: Option<Logo>,
    /// Styles made right-to-left (an rtl language, and no `noflip`).
    pub flip: bool,
    pub deprecated: Option<String>,
    /// Core's CodexModule: Codex's files for its components join the
    /// module's own at build time.
    pub codex: Option<super::codex::Codex>,
}

/// A logo image: the file (project-relative) and the URL it is served at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Logo {
    pub path: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Style {
    pub path: String,
    /// `all` unless given.
    pub media: String,
    /// The URL the file is served from; its `url()`s resolve against its folder.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageFile {
    /// The virtual path `require()` uses.
    pub name: String,
    pub kind: PackageKind,
    pub main: bool,
    pub source: PackageSource,
    /// A `.vue` file's `<style>`: compiled as a stylesheet at this path and URL.
    pub style: Option<Style>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    Script,
    /// JSON: the file's value (a `.json` file, `"type": "data"`).
    Data,
    /// The file's text as one string (`"type": "text"`, e.g. a template).
    Text,
    /// A Vue single-file component: script, template and style.
    Vue,
}

impl PackageKind {
    /// A file that runs (and so may be the main file).
    pub fn is_script(self) -> bool {
        matches!(self, PackageKind::Script | PackageKind::Vue)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageSource {
    /// Project-relative path of a file on disk.
    File(String),
    /// Literal JS source (script) or JSON value (data).
    Content(serde_json::Value),
    /// Core's `CodexModule::getIcons` callback: the named icons (all when
    /// `None`) of core's `codex-icons.json`, in that file's order.
    CodexIcons {
        file: String,
        names: Option<Vec<String>>,
    },
    /// A PHP callback (`callback`, `callbackParam`), run in MediaWiki core
    /// by `crate::php`; the module's `php` says where.
    Callback(PhpCall),
}

/// One packageFiles `callback`: `Class::method` (without a leading `\\`) and
/// its `callbackParam`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhpCall {
    pub callback: String,
    pub param: Option<serde_json::Value>,
}

/// What a module's PHP callbacks run in: MediaWiki core booted with the
/// module's own manifest loaded, for one request context. All of it is part
/// of the definition, so of the version; the PHP files read are the build's
/// reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhpEnv {
    /// Core's folder (project-relative).
    pub core: String,
    /// The manifest that declares the module (project-relative).
    pub manifest: String,
    /// The request's language (`lang`).
    pub language: String,
    /// The wiki's language (`$wgLanguageCode`: rldev.toml's `language`).
    pub content_language: String,
    pub skin: Option<String>,
}

/// ResourceLoader::isValidModuleName.
pub fn valid_module_name(name: &str) -> bool {
    name.len() <= 255
        && !name.contains(['|', ',', '!'])
        && !name.starts_with("./")
        && !name.starts_with("../")
}
