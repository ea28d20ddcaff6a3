//! Core's `CodexModule` (MediaWiki ≥ 1.41), the definition side: a file
//! module plus Codex's own files from core's `resources/lib/codex`.
//!
//! Which files a list of components needs is in Codex's build manifest
//! (`modules/manifest.json`, `manifest-rtl.json` right to left), read at
//! build time through the recorder (see `compile/codex.rs`), so an edit there
//! moves the version like any other file.

use serde::Serialize;
use serde_json::{Map, Value};

use super::manifest::string_list;
use crate::paths;

/// The class names of core's CodexModule.
pub const CLASSES: &[&str] = &[
    "MediaWiki\\ResourceLoader\\CodexModule",
    "ResourceLoaderCodexModule",
];

/// Where core keeps Codex (`CodexModule::CODEX_DEFAULT_LIBRARY_DIR`).
const LIBRARY_DIR: &str = "resources/lib/codex";

/// A CodexModule's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Codex {
    /// Core's Codex folder (project-relative): its style files are taken as
    /// they are, neither flipped nor remapped.
    pub dir: String,
    /// `codexComponents`, in the definition's order.
    pub components: Vec<String>,
    /// `codexFullLibrary`: the whole library, one script and one stylesheet.
    pub full_library: bool,
    /// `codexStyleOnly`: no scripts (and no `vue` dependency).
    pub style_only: bool,
    /// `codexScriptOnly`: no stylesheets.
    pub script_only: bool,
    /// Right to left: Codex's `-rtl` files.
    pub rtl: bool,
    /// The module's name, which the synthetic `codex.js` quotes.
    pub module: String,
    /// Codex's stylesheets go after this many of the module's own (before
    /// its skin styles, as CodexModule appends them to `styles`).
    pub styles_at: usize,
}

impl Codex {
    /// The options of a CodexModule definition, refused where CodexModule's
    /// constructor throws.
    pub fn of(
        name: &str,
        info: &Map<String, Value>,
        core: Option<&str>,
        rtl: bool,
    ) -> Result<Codex, String> {
        let core = core.ok_or(
            "a CodexModule takes Codex from MediaWiki core (≥ 1.41): give core's folder with \
             --core PATH, core in rldev.toml or MW_INSTALL_PATH",
        )?;
        let components = match info.get("codexComponents") {
            None => Vec::new(),
            Some(v @ Value::Array(list)) if !list.is_empty() => string_list(v),
            Some(_) => {
                return Err("codexComponents must be omitted or a list of at least one \
                            component name"
                    .into());
            }
        };
        let flag = |key: &str| info.get(key).and_then(Value::as_bool).unwrap_or(false);
        let full_library = flag("codexFullLibrary");
        if info.contains_key("codexFullLibrary") && info.contains_key("codexComponents") {
            return Err(
                "a CodexModule cannot have both codexFullLibrary and codexComponents".into(),
            );
        }
        let depends_on_codex = info
            .get("dependencies")
            .map(string_list)
            .unwrap_or_default()
            .iter()
            .any(|d| d == "@wikimedia/codex");
        if depends_on_codex {
            return Err("a CodexModule cannot depend on @wikimedia/codex: list the \
                        components it uses in codexComponents"
                .into());
        }
        Ok(Codex {
            dir: paths::join(core, LIBRARY_DIR),
            components,
            full_library,
            style_only: flag("codexStyleOnly"),
            script_only: flag("codexScriptOnly"),
            rtl,
            module: name.to_string(),
            styles_at: 0,
        })
    }

    /// CodexModule adds `vue` to the dependencies of a module with
    /// components and scripts.
    pub fn needs_vue(&self) -> bool {
        !self.style_only && !self.components.is_empty()
    }

    /// Codex's message keys (`messageKeys.json`) join the module's messages.
    pub fn has_messages(&self) -> bool {
        self.full_library || self.needs_vue()
    }
}
