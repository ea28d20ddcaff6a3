//! Image modules, the build side: MediaWiki 1.39's ImageModule,
//! OOUIImageModule and OOUIIconPackModule (includes/ResourceLoader/) done
//! again in Rust, for the skin and language of the definition.
//!
//! The definition is completed as the PHP classes complete it (OOUI's theme
//! files merged per skin, a `data` file merged in), then each image of the
//! skin gets a rule for itself and one per variant: a fallback URL to
//! `/load?…&format=rasterized`, then the image as a data URI (SVGs recoloured
//! as `Image::variantize` does, see `svg.rs`) or, with `useDataURI: false`, a
//! `/load?…&format=original` URL. The rules are minified as CSSMin::minify
//! minifies them, so the CSS is load.php's text but for the URLs. Every file
//! is read through the `Recorder`, and every read comes before the CSS is
//! written: the `version=` in the URLs is the module's version (combined, as
//! ResourceLoader's `makeVersionQuery`). Each image and variant is also kept
//! in the output for the server's `/load?image=`.
//! An image's `lang` entries are matched on the language, then on its strict
//! fallback chain, as `Image::getPath` does.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::reader::Recorder;
use super::styles::MediaBlock;
use super::svg;
use super::{Output, parse_json};
use crate::paths;
use crate::project::ModuleDef;
use crate::project::image::{ImageClass, ImageModule};

mod definition;

use definition::{Options, definition, entries};

/// One image of the module in one variant, as `load.php?image=` answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFile {
    pub name: String,
    /// `None`: the image without a variant.
    pub variant: Option<String>,
    pub mime: &'static str,
    pub data: Arc<[u8]>,
}

/// OOUIModule's `$knownImagesModules`.
const OOUI_IMAGES_MODULES: &[&str] = &[
    "indicators",
    "icons-accessibility",
    "icons-alerts",
    "icons-content",
    "icons-editing-advanced",
    "icons-editing-citation",
    "icons-editing-core",
    "icons-editing-list",
    "icons-editing-styling",
    "icons-interactions",
    "icons-layout",
    "icons-location",
    "icons-media",
    "icons-moderation",
    "icons-movement",
    "icons-user",
    "icons-wikimedia",
];

/// Builds the module's CSS and images; the first problem is its error.
pub fn build(def: &ModuleDef, m: &ImageModule, reader: &mut Recorder) -> (Output, Option<String>) {
    let mut errors = Vec::new();
    let images = match definition(m, reader).and_then(|d| Options::of(&d, m.skin.as_deref())) {
        Ok(options) => {
            let images = images(&def.name, m, &options, &mut errors);
            Some((options, images))
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut out = Output::default();
    if let Some((options, images)) = images {
        // Read every image before anything is written: the URLs carry the
        // module's version, a function of every file the build read.
        let read: Vec<(Image, Arc<[u8]>)> = images
            .into_iter()
            .filter_map(|image| match reader.read(&image.path) {
                Some(bytes) => Some((image, bytes)),
                None => {
                    errors.push(format!("{}: file not found", image.path));
                    None
                }
            })
            .collect();
        let version = crate::version::combined([crate::version::module_version(
            def,
            reader.reads.iter().map(|(p, h)| (p.as_str(), h.as_ref())),
        )
        .as_str()]);
        let mut rules = Vec::new();
        for (image, bytes) in &read {
            let url = |variant: Option<&str>, format: &str| {
                load_url(def, m, image, variant, format, &version)
            };
            let mut variants: Vec<Option<&(String, String)>> = vec![None];
            variants.extend(image.variants.iter().map(Some));
            for variant in variants {
                let name = variant.map(|(name, _)| name.as_str());
                let data = match image_data(image, bytes, variant, &options) {
                    Ok(data) => data,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                let primary = if options.use_data_uri {
                    svg::data_uri(&data, image.mime)
                } else {
                    url(name, "original")
                };
                let template = match name {
                    Some(_) => &options.selector_with_variant,
                    None => &options.selector_without_variant,
                };
                let selector = selector(template, &options.prefix, &image.name, name);
                rules.push(format!(
                    "{selector} {{\n\tbackground-image: {};\n\tbackground-image: linear-gradient(transparent, transparent), {};\n}}",
                    url_value(&url(name, "rasterized")),
                    url_value(&primary)
                ));
                out.images.push(ImageFile {
                    name: image.name.clone(),
                    variant: name.map(str::to_string),
                    mime: image.mime,
                    data,
                });
            }
        }
        let css = css_min(&rules.join("\n"));
        if !css.is_empty() {
            out.styles.push(MediaBlock {
                media: "all".into(),
                css,
            });
        }
    }
    (out, errors.into_iter().next())
}

/// One image of the skin, as `Image`'s constructor checks it.
struct Image {
    name: String,
    /// Project-relative path of the file for the context.
    path: String,
    /// `svg`, `png`, `gif` or `jpg`.
    extension: String,
    mime: &'static str,
    /// The variants it has: name -> colour, in the module's order.
    variants: Vec<(String, String)>,
    /// Its file depends on direction or language: URLs carry `lang`.
    varies_on_language: bool,
}

/// The skin's images; an image that cannot be made is an error and left out.
fn images(module: &str, m: &ImageModule, o: &Options, errors: &mut Vec<String>) -> Vec<Image> {
    let global: Vec<&str> = o
        .variants
        .iter()
        .filter(|(_, config)| config.get("global").is_some_and(truthy))
        .map(|(name, _)| name.as_str())
        .collect();
    let mut out = Vec::new();
    for (name, options) in &o.images {
        let is_array = matches!(options, Value::Object(_) | Value::Array(_));
        let descriptor = if is_array {
            options.get("file").cloned().unwrap_or(Value::Null)
        } else {
            options.clone()
        };
        let mut allowed: Vec<String> = match options.get("variants") {
            Some(v) if is_array => entries(v).iter().map(|(_, v)| php_string(v)).collect(),
            _ => Vec::new(),
        };
        allowed.extend(global.iter().map(|s| s.to_string()));
        let variants = o
            .variants
            .iter()
            .filter(|(name, _)| allowed.contains(name))
            .map(|(name, config)| {
                let color = config.get("color").map(php_string).unwrap_or_default();
                (name.clone(), color)
            })
            .collect();
        match image(module, m, name, descriptor) {
            Ok((path, extension, varies_on_language)) => out.push(Image {
                name: name.clone(),
                path,
                mime: mime_type(&extension),
                extension,
                variants,
                varies_on_language,
            }),
            Err(e) => errors.push(e),
        }
    }
    out
}

/// An image's descriptor (a path, or paths by `lang`, `ltr`/`rtl` and
/// `default`) -> its path for the context, its extension, and whether it
/// varies on language.
fn image(
    module: &str,
    m: &ImageModule,
    name: &str,
    mut descriptor: Value,
) -> Result<(String, String, bool), String> {
    if let Some(Value::Object(langs)) = descriptor.get_mut("lang") {
        // "en,de,fr": one entry per language (an entry of its own wins).
        let lists: Vec<String> = langs.keys().filter(|k| k.contains(',')).cloned().collect();
        for list in lists {
            if let Some(path) = langs.shift_remove(&list) {
                for lang in list.split(',') {
                    langs
                        .entry(lang.to_string())
                        .or_insert_with(|| path.clone());
                }
            }
        }
    }
    if let Value::Object(d) = &mut descriptor {
        d.shift_remove("deprecated");
    }
    let mut extensions: Vec<String> = Vec::new();
    leaves(&descriptor, &mut |leaf| {
        let ext = extension(&paths::join(&m.local_base, &php_string(leaf)));
        if !extensions.contains(&ext) {
            extensions.push(ext);
        }
    });
    if extensions.len() != 1 {
        return Err(format!(
            "File type for different image files of '{name}' not the same in module '{module}'"
        ));
    }
    let extension = extensions.remove(0);
    if !["svg", "png", "gif", "jpg"].contains(&extension.as_str()) {
        return Err(format!(
            "Invalid file type for image files of '{name}' (valid: svg, png, gif, jpg) in module '{module}'"
        ));
    }
    let set = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(php_string);
    let file = match &descriptor {
        Value::Object(d) => std::iter::once(&m.language)
            .chain(&m.language_fallbacks)
            .find_map(|lang| set(d.get("lang").and_then(|l| l.get(lang))))
            .or_else(|| set(d.get(if m.rtl { "rtl" } else { "ltr" })))
            .or_else(|| set(d.get("default")))
            .ok_or_else(|| format!("image '{name}': No matching path found"))?,
        other => php_string(other),
    };
    let varies = ["ltr", "rtl", "lang"]
        .iter()
        .any(|k| descriptor.get(k).is_some_and(|v| !v.is_null()));
    Ok((paths::join(&m.local_base, &file), extension, varies))
}

fn leaves(v: &Value, f: &mut impl FnMut(&Value)) {
    match v {
        Value::Object(map) => map.values().for_each(|v| leaves(v, f)),
        Value::Array(list) => list.iter().for_each(|v| leaves(v, f)),
        leaf => f(leaf),
    }
}

/// PHP's `pathinfo($path, PATHINFO_EXTENSION)`.
fn extension(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.rsplit_once('.')
        .map(|(_, ext)| ext.to_string())
        .unwrap_or_default()
}

/// `Image::FILE_TYPES` (`image/jpg` as MediaWiki writes it).
fn mime_type(extension: &str) -> &'static str {
    match extension {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        _ => "image/jpg",
    }
}

/// Image::getImageData for the `original` format: an SVG recoloured for
/// its variant, else with the module's default colour, else as it is.
fn image_data(
    image: &Image,
    bytes: &Arc<[u8]>,
    variant: Option<&(String, String)>,
    o: &Options,
) -> Result<Arc<[u8]>, String> {
    if image.extension != "svg" {
        return Ok(bytes.clone());
    }
    let color = match variant {
        Some((name, color)) if truthy(&Value::String(name.clone())) => Some(color.as_str()),
        _ => o
            .default_color
            .as_deref()
            .filter(|c| truthy(&Value::String(c.to_string()))),
    };
    match color {
        Some(color) => svg::variantize(bytes, color)
            .map(Arc::from)
            .map_err(|e| format!("{}: {e}", image.path)),
        None => Ok(bytes.clone()),
    }
}

/// The `/load` URL of an image (Image::getUrl with rldev's `/load`).
fn load_url(
    def: &ModuleDef,
    m: &ImageModule,
    image: &Image,
    variant: Option<&str>,
    format: &str,
    version: &str,
) -> String {
    let mut query: Vec<(&str, &str)> = vec![("modules", &def.name), ("image", &image.name)];
    if let Some(variant) = variant {
        query.push(("variant", variant));
    }
    query.push(("format", format));
    if image.varies_on_language {
        query.push(("lang", &m.language));
    }
    if let Some(skin) = &m.skin {
        query.push(("skin", skin));
    }
    query.push(("version", version));
    let mut url = String::from("/load?");
    for (i, (key, value)) in query.iter().enumerate() {
        if i > 0 {
            url.push('&');
        }
        let _ = write!(url, "{}={}", urlencode(key), urlencode(value));
    }
    url
}

/// `strtr($template, ['{prefix}' => …, '{name}' => …, '{variant}' => …])`:
/// one pass, replaced text is not looked at again.
fn selector(template: &str, prefix: &str, name: &str, variant: Option<&str>) -> String {
    let mut out = String::with_capacity(template.len() + name.len());
    let mut rest = template;
    'scan: while !rest.is_empty() {
        for (token, value) in [
            ("{prefix}", prefix),
            ("{name}", name),
            ("{variant}", variant.unwrap_or("")),
        ] {
            if let Some(after) = rest.strip_prefix(token) {
                out.push_str(value);
                rest = after;
                continue 'scan;
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// PHP's `urlencode`: `A-Za-z0-9-_.` kept, space as `+`, the rest `%XX`.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// CSSMin::buildUrlValue: `url(…)` bare when every character is in
/// `[\w:@/~.%+;,?&=-]`, else double-quoted with `\` and `"` escaped.
fn url_value(url: &str) -> String {
    let bare = !url.is_empty()
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_:@/~.%+;,?&=-".contains(&b));
    if bare {
        format!("url({url})")
    } else {
        format!(
            "url(\"{}\")",
            url.replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}

/// CSSMin::minify: whitespace runs made one space, comments dropped, the
/// space around punctuation dropped, ends trimmed (strings and URLs are not
/// spared: that is MediaWiki's output).
pub fn css_min(css: &str) -> String {
    let spaced = super::collapse_runs(css, |c| {
        matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
    });
    let mut bare = String::with_capacity(spaced.len());
    let mut rest = spaced.as_str();
    while let Some(open) = rest.find("/*") {
        match rest[open + 2..].find("*/") {
            Some(close) => {
                bare.push_str(&rest[..open]);
                rest = &rest[open + 2 + close + 2..];
            }
            None => break,
        }
    }
    bare.push_str(rest);
    let pairs = [
        ("; ", ";"),
        (": ", ":"),
        (" {", "{"),
        ("{ ", "{"),
        (", ", ","),
        ("} ", "}"),
        (";}", "}"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
    ];
    let replaced = pairs
        .iter()
        .fold(bare, |text, (from, to)| text.replace(from, to));
    replaced
        .trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B'])
        .to_string()
}

/// PHP's truthiness.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !(s.is_empty() || s == "0"),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// PHP's `(string)` of a JSON value.
fn php_string(v: &Value) -> String {
    match v {
        Value::Null | Value::Bool(false) => String::new(),
        Value::Bool(true) => "1".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => "Array".into(),
    }
}

/// PHP's `dirname` of a relative path.
fn php_dirname(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => path[..i].to_string(),
        None => ".".into(),
    }
}

/// PHP's `array_replace_recursive($base, $other)`, in place.
fn replace_recursive(base: &mut Map<String, Value>, other: &Map<String, Value>) {
    for (key, value) in other {
        match base.get_mut(key) {
            Some(existing) => replace_value(existing, value),
            None => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

fn replace_value(existing: &mut Value, value: &Value) {
    match (existing, value) {
        (Value::Object(a), Value::Object(b)) => replace_recursive(a, b),
        (Value::Array(a), Value::Array(b)) => {
            for (i, v) in b.iter().enumerate() {
                match a.get_mut(i) {
                    Some(e) => replace_value(e, v),
                    None => a.push(v.clone()),
                }
            }
        }
        (existing, value) => *existing = value.clone(),
    }
}

#[cfg(test)]
mod tests;
