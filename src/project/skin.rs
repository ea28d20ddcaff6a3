//! ResourceLoader's SkinModule: a file module whose `features` add MediaWiki
//! core's skinning stylesheets before the module's own, with the `toc`
//! feature's interface messages as Less variables, and the logo's CSS.
//! The rules are those of MediaWiki 1.39's `SkinModule.php`.

use serde_json::{Map, Value};

use super::module::Style;
use crate::paths;

/// A feature's core stylesheets: (media type, file names under `SKINNING`).
type FeatureFiles = &'static [(&'static str, &'static [&'static str])];

/// Each feature's core stylesheets by media type, in output order.
const FEATURE_FILES: &[(&str, FeatureFiles)] = &[
    ("accessibility", &[("all", &["accessibility.less"])]),
    ("normalize", &[("all", &["normalize.less"])]),
    (
        "logo",
        &[("all", &["logo.less"]), ("print", &["logo-print.less"])],
    ),
    (
        "content-media",
        &[
            ("all", &["content.thumbnails-common.less"]),
            ("screen", &["content.thumbnails-screen.less"]),
            ("print", &["content.thumbnails-print.less"]),
        ],
    ),
    ("content-links", &[("screen", &["content.links.less"])]),
    (
        "content-links-external",
        &[("screen", &["content.externallinks.less"])],
    ),
    (
        "content-body",
        &[
            ("screen", &["content.body.less"]),
            ("print", &["content.body-print.less"]),
        ],
    ),
    (
        "content-tables",
        &[
            ("screen", &["content.tables.less"]),
            ("print", &["content.tables-print.less"]),
        ],
    ),
    ("interface", &[]),
    (
        "interface-category",
        &[
            ("screen", &["interface.category.less"]),
            ("print", &["interface.category-print.less"]),
        ],
    ),
    (
        "interface-core",
        &[
            ("screen", &["interface.less"]),
            ("print", &["interface-print.less"]),
        ],
    ),
    (
        "interface-edit-section-links",
        &[("screen", &["interface-edit-section-links.less"])],
    ),
    (
        "interface-indicators",
        &[("screen", &["interface-indicators.less"])],
    ),
    (
        "interface-site-notice",
        &[("screen", &["interface-site-notice.less"])],
    ),
    (
        "interface-subtitle",
        &[("screen", &["interface-subtitle.less"])],
    ),
    ("interface-message-box", &[("all", &["messageBoxes.less"])]),
    (
        "interface-user-message",
        &[("screen", &["interface-user-message.less"])],
    ),
    (
        "elements",
        &[
            ("screen", &["elements.less"]),
            ("print", &["elements-print.less"]),
        ],
    ),
    ("legacy", &[]),
    (
        "i18n-ordered-lists",
        &[("screen", &["i18n-ordered-lists.less"])],
    ),
    (
        "i18n-all-lists-margins",
        &[("screen", &["i18n-all-lists-margins.less"])],
    ),
    ("i18n-headings", &[("screen", &["i18n-headings.less"])]),
    (
        "toc",
        &[
            ("all", &["toc/common.css"]),
            ("screen", &["toc/screen.less"]),
            ("print", &["toc/print.css"]),
        ],
    ),
];

/// Where the feature files are, under core.
const SKINNING: &str = "resources/src/mediawiki.skinning";

/// Features on when `features` is a map and does not name them.
const DEFAULT_FEATURES_SPECIFIED: &[&str] =
    &["accessibility", "content-body", "interface-core", "toc"];

/// The `toc` feature's messages, as Less variables.
pub const TOC_LESS_MESSAGES: &[&str] = &["hidetoc", "showtoc"];

/// What a SkinModule adds to a file module.
#[derive(Debug)]
pub struct Skin {
    /// Enabled features, in the order they were resolved.
    pub features: Vec<String>,
    /// Deprecation text for old feature names (as the module's `deprecated`).
    pub deprecated: Option<String>,
}

impl Skin {
    /// Reads `features` (a list, a map of name -> on, or absent: only `logo`).
    pub fn of(info: &Map<String, Value>) -> Result<Skin, String> {
        let (mut map, list_mode): (Vec<(String, bool)>, bool) = match info.get("features") {
            None => (vec![("logo".into(), true)], true),
            Some(Value::Array(items)) => (
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|f| (f.to_string(), true))
                    .collect(),
                true,
            ),
            Some(Value::Object(m)) => (
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_bool().unwrap_or(false)))
                    .collect(),
                false,
            ),
            Some(_) => return Err("features must be a list or an object".into()),
        };
        let deprecated = compatibility(&mut map, !list_mode);
        for (name, _) in &map {
            if !FEATURE_FILES.iter().any(|(f, _)| f == name) {
                return Err(format!("feature '{name}' is not recognised"));
            }
        }
        if !list_mode {
            for d in DEFAULT_FEATURES_SPECIFIED {
                if !map.iter().any(|(k, _)| k == d) {
                    map.push((d.to_string(), true));
                }
            }
        }
        Ok(Skin {
            features: map
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(k, _)| k)
                .collect(),
            deprecated,
        })
    }

    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// The core stylesheets of the enabled features followed by the module's
    /// own, grouped by media type in the order ResourceLoader outputs them
    /// (each type where it first appears, features before the module's files).
    pub fn styles(&self, core: &str, own: Vec<Style>) -> Vec<Style> {
        let mut groups: Vec<(String, Vec<Style>)> = Vec::new();
        let mut add = |media: &str, style: Style| match groups.iter_mut().find(|(m, _)| m == media)
        {
            Some((_, list)) => list.push(style),
            None => groups.push((media.to_string(), vec![style])),
        };
        for (feature, files) in FEATURE_FILES {
            if !self.has(feature) {
                continue;
            }
            for (media, names) in *files {
                for name in *names {
                    let rel = format!("{SKINNING}/{name}");
                    add(
                        media,
                        Style {
                            path: paths::join(core, &rel),
                            media: media.to_string(),
                            url: format!("/{rel}"),
                        },
                    );
                }
            }
        }
        for style in own {
            let media = style.media.clone();
            add(&media, style);
        }
        groups.into_iter().flat_map(|(_, list)| list).collect()
    }
}

/// SkinModule's renames of old feature names; `add_unspecified` for the
/// map form. Returns the deprecation text, if any.
fn compatibility(map: &mut Vec<(String, bool)>, add_unspecified: bool) -> Option<String> {
    let mut messages = String::new();
    let get =
        |map: &Vec<(String, bool)>, k: &str| map.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    let set = |map: &mut Vec<(String, bool)>, k: &str, v: bool| match map
        .iter_mut()
        .find(|(n, _)| n == k)
    {
        Some(e) => e.1 = v,
        None => map.push((k.to_string(), v)),
    };
    let remove = |map: &mut Vec<(String, bool)>, k: &str| map.retain(|(n, _)| n != k);
    if let Some(v) = get(map, "content") {
        set(map, "content-media", v);
        remove(map, "content");
        messages.push_str(
            "[1.37] The use of the `content` feature with ResourceLoaderSkinModule is deprecated. \
             Use `content-media` instead. ",
        );
    }
    if let Some(v) = get(map, "content-thumbnails") {
        set(map, "content-media", v);
        messages.push_str(
            "[1.37] The use of the `content-thumbnails` feature with ResourceLoaderSkinModule is \
             deprecated. Use `content-media` instead. ",
        );
        remove(map, "content-thumbnails");
    }
    if add_unspecified
        && let Some(v) = get(map, "content-links")
        && get(map, "content-links-external").is_none()
    {
        set(map, "content-links-external", v);
    }
    if get(map, "legacy") == Some(true) {
        messages.push_str(
            "[1.37] The use of the `legacy` feature with ResourceLoaderSkinModule is deprecated\
             (T89981) and is a NOOP since 1.39 (T304325). This should be urgently omited to retain \
             compatibility with future MediaWiki versions",
        );
    }
    if add_unspecified
        && let Some(v) = get(map, "element")
        && get(map, "content-links").is_none()
    {
        set(map, "content-links", v);
    }
    if let Some(v) = get(map, "content-parser-output") {
        set(map, "content-body", v);
        remove(map, "content-parser-output");
    }
    if get(map, "interface") == Some(true) {
        remove(map, "interface");
        for f in [
            "interface-core",
            "interface-indicators",
            "interface-subtitle",
            "interface-user-message",
            "interface-site-notice",
            "interface-edit-section-links",
        ] {
            set(map, f, true);
        }
    }
    (!messages.is_empty()).then(|| {
        messages
            .push_str("More information can be found at [[mw:Manual:ResourceLoaderSkinModule]]. ");
        messages
    })
}

/// A message as a Less string, as LessVarFileModule writes it (CSSMin's
/// string serialisation, single quotes escaped for interpolation).
pub fn less_message(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\{:x} ", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn skin(v: Value) -> Skin {
        Skin::of(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn features_as_resourceloader_reads_them() {
        assert_eq!(skin(json!({})).features, ["logo"]);
        assert_eq!(skin(json!({"features": ["toc"]})).features, ["toc"]);
        // The map form adds the defaults it does not name, and expands `interface`.
        let s = skin(json!({"features": {"normalize": true, "interface": true, "toc": false}}));
        assert_eq!(
            s.features,
            [
                "normalize",
                "interface-core",
                "interface-indicators",
                "interface-subtitle",
                "interface-user-message",
                "interface-site-notice",
                "interface-edit-section-links",
                "accessibility",
                "content-body"
            ]
        );
        assert!(s.deprecated.is_none());
        let old = skin(json!({"features": {"content": true}}));
        assert!(old.has("content-media"));
        assert!(
            old.deprecated
                .unwrap()
                .starts_with("[1.37] The use of the `content` feature")
        );
        assert!(Skin::of(json!({"features": ["nope"]}).as_object().unwrap()).is_err());
    }

    #[test]
    fn feature_styles_come_first_grouped_by_media() {
        let s = skin(json!({"features": ["logo", "toc"]}));
        let own = vec![Style {
            path: "skin/a.less".into(),
            media: "screen".into(),
            url: "/skins/S/a.less".into(),
        }];
        let styles = s.styles("core", own);
        let listed: Vec<(&str, &str)> = styles
            .iter()
            .map(|s| (s.media.as_str(), s.path.as_str()))
            .collect();
        assert_eq!(
            listed,
            [
                ("all", "core/resources/src/mediawiki.skinning/logo.less"),
                (
                    "all",
                    "core/resources/src/mediawiki.skinning/toc/common.css"
                ),
                (
                    "print",
                    "core/resources/src/mediawiki.skinning/logo-print.less"
                ),
                (
                    "print",
                    "core/resources/src/mediawiki.skinning/toc/print.css"
                ),
                (
                    "screen",
                    "core/resources/src/mediawiki.skinning/toc/screen.less"
                ),
                ("screen", "skin/a.less"),
            ]
        );
    }

    #[test]
    fn messages_become_less_strings() {
        assert_eq!(less_message("hide"), "\"hide\"");
        assert_eq!(less_message("it's \"x\"\\"), "\"it\\'s \\\"x\\\"\\\\\"");
        assert_eq!(less_message("a\nb"), "\"a\\a b\"");
    }
}
