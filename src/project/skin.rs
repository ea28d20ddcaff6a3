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

/// Each feature's core stylesheets (core-relative) by media type, in output
/// order: core's own table when it can be read (its `SkinModule.php`), so
/// the features are those of the core at hand; else MediaWiki 1.39's.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    pub features: Vec<(String, MediaFiles)>,
}

/// (media type, core-relative stylesheets) of one feature, in order.
pub type MediaFiles = Vec<(String, Vec<String>)>;

/// Where core defines its SkinModule.
pub const CORE_SKIN_MODULE: &str = "includes/ResourceLoader/SkinModule.php";

impl FeatureTable {
    /// MediaWiki 1.39's table.
    pub fn builtin() -> FeatureTable {
        FeatureTable {
            features: FEATURE_FILES
                .iter()
                .map(|(name, files)| {
                    let files = files
                        .iter()
                        .map(|(media, names)| {
                            let paths = names.iter().map(|n| format!("{SKINNING}/{n}")).collect();
                            (media.to_string(), paths)
                        })
                        .collect();
                    (name.to_string(), files)
                })
                .collect(),
        }
    }

    /// The `FEATURE_FILES` constant of core's `SkinModule.php` (a PHP array
    /// of string keys and lists of strings); None when it is not there. A
    /// `content-media` left empty (MediaWiki ≥ 1.41 fills it in code) gets
    /// the files that code adds by default.
    pub fn parse(php: &str) -> Option<FeatureTable> {
        let start = php.find("FEATURE_FILES = [")? + "FEATURE_FILES = ".len();
        let tokens = php_tokens(&php[start..]);
        let mut features: Vec<(String, MediaFiles)> = Vec::new();
        let mut depth = 0;
        let mut key: Option<String> = None;
        for token in tokens {
            match token {
                Token::Open => {
                    depth += 1;
                    match (depth, key.take()) {
                        (2, Some(name)) => features.push((name, Vec::new())),
                        (3, Some(media)) => features.last_mut()?.1.push((media, Vec::new())),
                        (1, None) => {}
                        _ => return None,
                    }
                }
                Token::Close => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Token::Arrow => {}
                Token::Text(t) if depth == 3 => features.last_mut()?.1.last_mut()?.1.push(t),
                Token::Text(t) => key = Some(t),
            }
        }
        if features.is_empty() || depth != 0 {
            return None;
        }
        for (name, files) in &mut features {
            if name == "content-media" && files.is_empty() {
                for (media, file) in [
                    ("all", "content.media-common.less"),
                    ("screen", "content.media-screen.less"),
                    ("print", "content.media-print.less"),
                ] {
                    files.push((media.to_string(), vec![format!("{SKINNING}/{file}")]));
                }
            }
        }
        Some(FeatureTable { features })
    }
}

enum Token {
    Open,
    Close,
    Arrow,
    Text(String),
}

/// The tokens of a PHP array literal that matter here: brackets, `=>` and
/// single-quoted strings; comments, commas and whitespace skipped.
fn php_tokens(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '[' => {
                depth += 1;
                out.push(Token::Open);
            }
            ']' => {
                out.push(Token::Close);
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            '=' if chars.peek() == Some(&'>') => {
                chars.next();
                out.push(Token::Arrow);
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' => {
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => text.extend(chars.next()),
                        '\'' => break,
                        c => text.push(c),
                    }
                }
                out.push(Token::Text(text));
            }
            _ => {}
        }
    }
    out
}

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
    pub fn of(info: &Map<String, Value>, table: &FeatureTable) -> Result<Skin, String> {
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
        // Cores whose table has no `interface` (MediaWiki ≥ 1.41) drop it and
        // `legacy` whatever their value, and read `elements` (1.39 checked a
        // misspelt `element`) as asking for `content-links` too.
        if !table.features.iter().any(|(f, _)| f == "interface") {
            if !list_mode
                && let Some(v) = map.iter().find(|(n, _)| n == "elements").map(|(_, v)| *v)
                && !map.iter().any(|(n, _)| n == "content-links")
            {
                map.push(("content-links".into(), v));
            }
            map.retain(|(n, _)| n != "interface" && n != "legacy");
        }
        for (name, _) in &map {
            if !table.features.iter().any(|(f, _)| f == name) {
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
    pub fn styles(&self, core: &str, own: Vec<Style>, table: &FeatureTable) -> Vec<Style> {
        let mut groups: Vec<(String, Vec<Style>)> = Vec::new();
        let mut add = |media: &str, style: Style| match groups.iter_mut().find(|(m, _)| m == media)
        {
            Some((_, list)) => list.push(style),
            None => groups.push((media.to_string(), vec![style])),
        };
        for (feature, files) in &table.features {
            if !self.has(feature) {
                continue;
            }
            for (media, names) in files {
                for rel in names {
                    add(
                        media,
                        Style {
                            path: paths::join(core, rel),
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
        Skin::of(v.as_object().unwrap(), &FeatureTable::builtin()).unwrap()
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
        assert!(
            Skin::of(
                json!({"features": ["nope"]}).as_object().unwrap(),
                &FeatureTable::builtin()
            )
            .is_err()
        );
    }

    #[test]
    fn feature_styles_come_first_grouped_by_media() {
        let s = skin(json!({"features": ["logo", "toc"]}));
        let own = vec![Style {
            path: "skin/a.less".into(),
            media: "screen".into(),
            url: "/skins/S/a.less".into(),
        }];
        let styles = s.styles("core", own, &FeatureTable::builtin());
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
    fn cores_own_feature_table_is_read_from_its_php() {
        let php = r#"
    private const FEATURE_FILES = [
        'logo' => [
            // Applies the logo.
            'all' => [ 'resources/src/mediawiki.skinning/logo.less' ],
            'print' => [ 'resources/src/mediawiki.skinning/logo-print.less' ],
        ],
        // Placeholder for dynamic definition in getFeatureFilePaths()
        'content-media' => [],
        'toc' => [
            'all' => [ 'resources/src/mediawiki.skinning/toc/common.less' ],
        ],
    ];
    private const OTHER = [ 'x' => 'y' ];"#;
        let table = FeatureTable::parse(php).unwrap();
        let names: Vec<&str> = table.features.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["logo", "content-media", "toc"]);
        assert_eq!(
            table.features[0].1[1],
            (
                "print".to_string(),
                vec!["resources/src/mediawiki.skinning/logo-print.less".to_string()]
            )
        );
        assert_eq!(table.features[1].1.len(), 3);
        assert_eq!(
            table.features[2].1[0].1,
            ["resources/src/mediawiki.skinning/toc/common.less"]
        );
        assert!(FeatureTable::parse("<?php class X {}").is_none());
        // MediaWiki 1.39's own file gives the built-in table.
        if let Ok(php) =
            std::fs::read_to_string("/usr/share/mediawiki/includes/ResourceLoader/SkinModule.php")
        {
            assert_eq!(FeatureTable::parse(&php).unwrap(), FeatureTable::builtin());
        }
    }

    #[test]
    fn messages_become_less_strings() {
        assert_eq!(less_message("hide"), "\"hide\"");
        assert_eq!(less_message("it's \"x\"\\"), "\"it\\'s \\\"x\\\"\\\\\"");
        assert_eq!(less_message("a\nb"), "\"a\\a b\"");
    }
}
