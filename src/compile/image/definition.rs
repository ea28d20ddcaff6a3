//! The image module's definition as the PHP classes complete it before
//! any image is read: OOUI's theme files merged per skin, a `data` file
//! merged in, the options (`Options`) checked as ImageModule checks them.

use serde_json::{Map, Value};

use super::*;

/// The definition as `loadFromDefinition` completes it: OOUI theme files
/// merged in (the module's own keys win), then a `data` file's keys under
/// the module's.
pub(super) fn definition(
    m: &ImageModule,
    reader: &mut Recorder,
) -> Result<Map<String, Value>, String> {
    let mut options = m.options.clone();
    if m.class != ImageClass::Image {
        let themes_module = match m.class {
            ImageClass::OouiIconPack => {
                if !options.get("icons").is_some_and(truthy) {
                    return Err("Parameter 'icons' must be given.".into());
                }
                "icons".to_string()
            }
            _ => options
                .get("themeImages")
                .map(php_string)
                .unwrap_or_default(),
        };
        let mut ooui = Map::new();
        for (skin, theme) in &m.themes {
            let data = match ooui_definition(m, reader, theme, &themes_module)? {
                Some(data) if !data.is_empty() => data,
                _ => continue,
            };
            for (key, value) in data {
                if key == "images" || key == "variants" {
                    let per_skin = ooui.entry(key).or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(per_skin) = per_skin {
                        per_skin.insert(skin.clone(), value);
                    }
                } else if let Some(seen) = ooui.get(&key) {
                    if *seen != value {
                        return Err(format!(
                            "Mismatched OOUI theme images definition: key '{key}' of theme '{theme}' for module '{themes_module}' does not match other themes"
                        ));
                    }
                } else {
                    ooui.insert(key, value);
                }
            }
        }
        if themes_module.starts_with("icons") {
            ooui.insert(
                "selectorWithoutVariant".into(),
                ".oo-ui-icon-{name}, .mw-ui-icon-{name}:before".into(),
            );
            ooui.insert(
                "selectorWithVariant".into(),
                ".oo-ui-image-{variant}.oo-ui-icon-{name}, .mw-ui-icon-{name}-{variant}:before"
                    .into(),
            );
        }
        for (key, value) in ooui {
            options.entry(key).or_insert(value);
        }
    }
    if let Some(data) = options.get("data").filter(|v| !v.is_null()) {
        let path = paths::join(&m.local_base, &php_string(data));
        let source = reader
            .read_text(&path)
            .ok_or_else(|| format!("{path}: file not found (the module's data)"))?;
        let Value::Object(mut merged) = parse_json(&path, &source)? else {
            return Err(format!("{path}: the module's data must be a JSON object"));
        };
        for (key, value) in options {
            merged.insert(key, value);
        }
        options = merged;
    }
    Ok(options)
}

/// OOUIImageModule::loadOOUIDefinition (and OOUIIconPackModule's): one
/// theme's images and variants, image paths made relative to the base.
pub(super) fn ooui_definition(
    m: &ImageModule,
    reader: &mut Recorder,
    theme: &str,
    themes_module: &str,
) -> Result<Option<Map<String, Value>>, String> {
    if m.class == ImageClass::OouiIconPack {
        let mut merged = Map::new();
        for module in OOUI_IMAGES_MODULES
            .iter()
            .filter(|m| m.starts_with("icons"))
        {
            if let Some(data) = read_ooui_json(m, reader, &theme_images_path(theme, module)?)? {
                replace_recursive(&mut merged, &data);
            }
        }
        let icons: Vec<String> = match m.options.get("icons") {
            Some(Value::Array(list)) => list.iter().map(php_string).collect(),
            Some(Value::Object(map)) => map.values().map(php_string).collect(),
            Some(other) => vec![php_string(other)],
            None => Vec::new(),
        };
        match merged.get_mut("images") {
            Some(Value::Object(images)) => images.retain(|name, _| icons.contains(name)),
            _ => return Err(format!("no OOUI icons found for theme {theme}")),
        }
        return Ok(Some(merged));
    }
    let path = if themes_module.is_empty() {
        // The older form: `rootPath`/<theme, lower case>/`name`.json.
        let option = |key: &str| m.options.get(key).map(php_string).unwrap_or_default();
        format!(
            "{}/{}/{}.json",
            option("rootPath"),
            theme.to_lowercase(),
            option("name")
        )
    } else {
        theme_images_path(theme, themes_module)?
    };
    read_ooui_json(m, reader, &path)
}

/// Where core's themes keep a module's image definitions (OOUIModule's
/// `$builtinThemePaths`).
pub(super) fn theme_images_path(theme: &str, module: &str) -> Result<String, String> {
    if !OOUI_IMAGES_MODULES.contains(&module) {
        return Err(format!("Invalid OOUI images module '{module}'"));
    }
    let folder = match theme {
        "WikimediaUI" => "wikimediaui",
        "Apex" => "apex",
        _ => {
            return Err(format!(
                "OOUI theme {theme}: rldev knows only core's themes (WikimediaUI, Apex), not OOUIThemePaths"
            ));
        }
    };
    Ok(format!("resources/lib/ooui/themes/{folder}/{module}.json"))
}

/// OOUIImageModule::readJSONFile: `None` when there is no such file; each
/// image's `file` made relative to the module's base.
pub(super) fn read_ooui_json(
    m: &ImageModule,
    reader: &mut Recorder,
    data_path: &str,
) -> Result<Option<Map<String, Value>>, String> {
    let path = paths::join(&m.local_base, data_path);
    let Some(source) = reader.read_text(&path) else {
        return Ok(None);
    };
    let Value::Object(mut data) = parse_json(&path, &source)? else {
        return Err(format!("{path}: must hold a JSON object"));
    };
    let dir = php_dirname(data_path);
    match data.get_mut("images") {
        Some(Value::Object(images)) => {
            for image in images.values_mut() {
                if let Some(file) = image.get_mut("file") {
                    prefix_leaves(file, &dir);
                }
            }
        }
        _ => return Err(format!("{path}: no `images`")),
    }
    Ok(Some(data))
}

pub(super) fn prefix_leaves(v: &mut Value, dir: &str) {
    match v {
        Value::Object(map) => map.values_mut().for_each(|v| prefix_leaves(v, dir)),
        Value::Array(list) => list.iter_mut().for_each(|v| prefix_leaves(v, dir)),
        other => *other = Value::String(format!("{dir}/{}", php_string(other))),
    }
}

/// The module's settings once its definition is complete.
pub(super) struct Options {
    /// The skin's images (name -> `{file, variants}` or a path).
    pub(super) images: Vec<(String, Value)>,
    /// The skin's variants (name -> `{color, global}`).
    pub(super) variants: Vec<(String, Value)>,
    pub(super) default_color: Option<String>,
    pub(super) use_data_uri: bool,
    pub(super) prefix: String,
    pub(super) selector_without_variant: String,
    pub(super) selector_with_variant: String,
}

impl Options {
    /// ImageModule::loadFromDefinition's checks and defaults, then the
    /// skin's entries of `images` and `variants` (else their `default`).
    pub(super) fn of(d: &Map<String, Value>, skin: Option<&str>) -> Result<Options, String> {
        let given = |key: &str| d.get(key).is_some_and(truthy);
        let (prefix, selector) = (given("prefix"), given("selector"));
        let (without, with) = (
            given("selectorWithoutVariant"),
            given("selectorWithVariant"),
        );
        if without && !with {
            return Err("Given 'selectorWithoutVariant' but no 'selectorWithVariant'.".into());
        }
        if with && !without {
            return Err("Given 'selectorWithVariant' but no 'selectorWithoutVariant'.".into());
        }
        if selector && with {
            return Err(
                "Incompatible 'selector' and 'selectorWithVariant'+'selectorWithoutVariant' given."
                    .into(),
            );
        }
        if !prefix && !selector && !with {
            return Err(
                "None of 'prefix', 'selector' or 'selectorWithVariant'+'selectorWithoutVariant' given."
                    .into(),
            );
        }
        let mut o = Options {
            images: Vec::new(),
            variants: Vec::new(),
            default_color: None,
            use_data_uri: true,
            prefix: String::new(),
            selector_without_variant: ".{prefix}-{name}".into(),
            selector_with_variant: ".{prefix}-{name}-{variant}".into(),
        };
        let (mut images, mut variants) = (Vec::new(), Vec::new());
        for (key, value) in d {
            match key.as_str() {
                "images" | "variants" => {
                    let per_skin = per_skin(value)?;
                    if key == "images" {
                        images = per_skin;
                    } else {
                        variants = per_skin;
                    }
                }
                "useDataURI" => o.use_data_uri = truthy(value),
                "defaultColor" => o.default_color = Some(php_string(value)),
                "prefix" => o.prefix = php_string(value),
                "selectorWithoutVariant" => o.selector_without_variant = php_string(value),
                "selectorWithVariant" => o.selector_with_variant = php_string(value),
                "selector" => {
                    o.selector_without_variant = php_string(value);
                    o.selector_with_variant = php_string(value);
                }
                _ => {}
            }
        }
        let pick = |per_skin: &[(String, Value)]| -> Vec<(String, Value)> {
            let set = |name: &str| {
                per_skin
                    .iter()
                    .find(|(k, v)| k == name && !v.is_null())
                    .map(|(_, v)| entries(v))
            };
            skin.and_then(set)
                .or_else(|| set("default"))
                .unwrap_or_default()
        };
        o.images = pick(&images);
        o.variants = pick(&variants);
        Ok(o)
    }
}

/// `images` or `variants`: per skin, or (without a `default` key) one set
/// for every skin.
pub(super) fn per_skin(v: &Value) -> Result<Vec<(String, Value)>, String> {
    if !matches!(v, Value::Object(_) | Value::Array(_)) {
        return Err(format!(
            "Invalid list error. '{}' given, array expected.",
            php_string(v)
        ));
    }
    let wrapped = match v.get("default") {
        Some(d) if !d.is_null() => entries(v),
        _ => vec![("default".to_string(), v.clone())],
    };
    for (_, set) in &wrapped {
        if !matches!(set, Value::Object(_) | Value::Array(_)) {
            return Err(format!(
                "Invalid list error. '{}' given, array expected.",
                php_string(set)
            ));
        }
    }
    Ok(wrapped)
}

/// A PHP array's entries: an object's, or a list's by index.
pub(super) fn entries(v: &Value) -> Vec<(String, Value)> {
    match v {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    }
}
