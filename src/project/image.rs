//! Image modules, the definition side: ResourceLoader's ImageModule,
//! OOUIImageModule and OOUIIconPackModule entries -> an [`ImageModule`].
//!
//! Resolution stays pure: it only records where the module's files are and
//! the context its CSS is for (skin, language, OOUI themes). Everything read
//! from disk (a `data` JSON file, OOUI's theme definitions, the images) is
//! read by the build (`compile/image.rs`) through its `Recorder`.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use super::manifest::Manifest;
use super::module::ModuleKind;
use crate::paths;

/// Which of core's image module classes a module is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageClass {
    /// `ImageModule`: `images` and `variants` in the definition (or `data`).
    Image,
    /// `OOUIImageModule`: images and variants from OOUI theme files
    /// (`themeImages`, or the older `rootPath` + `name`).
    OouiImage,
    /// `OOUIIconPackModule`: the named `icons` from core's OOUI icon files.
    OouiIconPack,
}

/// An image module: everything here can change the output, and all of it is hashed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageModule {
    pub class: ImageClass,
    /// Project-relative folder the definition's paths are relative to
    /// (MediaWiki core's for an icon pack).
    pub local_base: String,
    /// The definition as written (`images`, `variants`, selectors, `data`, …).
    pub options: Map<String, Value>,
    /// The skin the CSS is for (`None`: the `default` entries).
    pub skin: Option<String>,
    /// The language the CSS is for (an image's `lang` entries; the `lang`
    /// of its URLs).
    pub language: String,
    /// Its fallbacks as the language file lists them (MediaWiki's strict
    /// chain, `en` not added): an image's `lang` entries are tried in this
    /// order after the language's own.
    pub language_fallbacks: Vec<String>,
    /// The direction is right to left (an image's `rtl` entry).
    pub rtl: bool,
    /// OOUI: skin -> theme, `default` first (`SkinOOUIThemes` of the
    /// manifests after MediaWiki's built-in `default: WikimediaUI`).
    pub themes: Vec<(String, String)>,
}

/// The class names of the three, as MediaWiki 1.39 and later know them.
const CLASSES: &[(&str, ImageClass)] = &[
    ("MediaWiki\\ResourceLoader\\ImageModule", ImageClass::Image),
    ("ResourceLoaderImageModule", ImageClass::Image),
    (
        "MediaWiki\\ResourceLoader\\OOUIImageModule",
        ImageClass::OouiImage,
    ),
    ("ResourceLoaderOOUIImageModule", ImageClass::OouiImage),
    (
        "MediaWiki\\ResourceLoader\\OOUIIconPackModule",
        ImageClass::OouiIconPack,
    ),
    ("ResourceLoaderOOUIIconPackModule", ImageClass::OouiIconPack),
];

/// What image modules of a project share when they are resolved.
pub struct Context<'a> {
    pub skin: Option<&'a str>,
    pub language: &'a str,
    /// The language's strict fallback chain (see `ImageModule`).
    pub language_fallbacks: &'a [String],
    pub rtl: bool,
    /// MediaWiki core's folder, when known (project-relative).
    pub core: Option<&'a str>,
    /// `SkinOOUIThemes` of every manifest, in load order.
    pub skin_themes: &'a IndexMap<String, String>,
}

/// The module kind of an image module entry (`None`: not one); an icon pack
/// without core is `Unsupported`, with the reason.
pub fn module_kind(
    manifest: &Manifest,
    info: &Map<String, Value>,
    cx: &Context,
) -> Option<ModuleKind> {
    let class_name = info.get("class").and_then(Value::as_str)?;
    let class = CLASSES
        .iter()
        .find(|(name, _)| *name == class_name)
        .map(|(_, class)| *class)?;
    let local_base = match class {
        // OOUIIconPackModule ignores `localBasePath`: its files are core's.
        ImageClass::OouiIconPack => match cx.core {
            Some(core) => core.to_string(),
            None => {
                return Some(ModuleKind::Unsupported(format!(
                    "class {class_name} needs MediaWiki core (--core or rldev.toml core)"
                )));
            }
        },
        _ => match info.get("localBasePath").and_then(Value::as_str) {
            Some(p) => paths::join(&manifest.dir, p),
            None => manifest.dir.clone(),
        },
    };
    let mut themes = vec![("default".to_string(), "WikimediaUI".to_string())];
    if class != ImageClass::Image {
        for (skin, theme) in cx.skin_themes {
            if !themes.iter().any(|(s, _)| s == skin) {
                themes.push((skin.clone(), theme.clone()));
            }
        }
    }
    Some(ModuleKind::Image(Box::new(ImageModule {
        class,
        local_base,
        options: info.clone(),
        skin: cx.skin.map(str::to_string),
        language: cx.language.to_string(),
        language_fallbacks: cx.language_fallbacks.to_vec(),
        rtl: cx.rtl,
        themes: if class == ImageClass::Image {
            Vec::new()
        } else {
            themes
        },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(info: Value, core: Option<&str>) -> Option<ModuleKind> {
        let manifest = Manifest {
            dir: "extensions/X".into(),
            ..Manifest::default()
        };
        let themes: IndexMap<String, String> =
            [("monobook".to_string(), "Apex".to_string())].into();
        let cx = Context {
            skin: Some("vector"),
            language: "en",
            language_fallbacks: &[],
            rtl: false,
            core,
            skin_themes: &themes,
        };
        module_kind(&manifest, info.as_object().unwrap(), &cx)
    }

    #[test]
    fn knows_the_three_classes_by_both_names() {
        assert!(kind(json!({"class": "ResourceLoaderFileModule"}), None).is_none());
        assert!(kind(json!({}), None).is_none());
        let Some(ModuleKind::Image(m)) = kind(
            json!({"class": "MediaWiki\\ResourceLoader\\ImageModule", "localBasePath": "img"}),
            None,
        ) else {
            panic!("an image module")
        };
        assert_eq!(m.local_base, "extensions/X/img");
        assert!(m.themes.is_empty());
        let Some(ModuleKind::Image(m)) =
            kind(json!({"class": "ResourceLoaderOOUIImageModule"}), None)
        else {
            panic!("an OOUI image module")
        };
        assert_eq!(m.class, ImageClass::OouiImage);
        assert_eq!(m.local_base, "extensions/X");
        assert_eq!(
            m.themes,
            [
                ("default".to_string(), "WikimediaUI".to_string()),
                ("monobook".to_string(), "Apex".to_string())
            ]
        );
    }

    #[test]
    fn an_icon_pack_reads_core() {
        let info = json!({"class": "ResourceLoaderOOUIIconPackModule", "localBasePath": "x"});
        let Some(ModuleKind::Image(m)) = kind(info.clone(), Some("../core")) else {
            panic!("an icon pack")
        };
        assert_eq!(m.local_base, "../core");
        assert_eq!(
            kind(info, None),
            Some(ModuleKind::Unsupported(
                "class ResourceLoaderOOUIIconPackModule needs MediaWiki core (--core or rldev.toml core)"
                    .into()
            ))
        );
    }
}
