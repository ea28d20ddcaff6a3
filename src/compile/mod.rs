//! Module output: scripts, package files, styles, messages, templates.
//!
//! A build reads only through a [`Recorder`], so it returns, beside the
//! output, every file it read and every path it looked for and did not find.

pub mod codex;
pub mod image;
pub mod js;
pub mod php;
pub mod pool;
pub mod reader;
pub mod remap;
pub mod styles;
pub mod svg;
pub mod vue;
pub mod xml;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::Value;

use crate::files::{ContentHash, FileStore};
use crate::less::LessCompiler;
use crate::project::skin::less_message;
use crate::project::{FileModule, Logo, ModuleDef, ModuleKind, PackageKind, PackageSource};
pub use reader::Recorder;
pub use styles::MediaBlock;

/// The result of building one module.
#[derive(Debug, Clone)]
pub struct Built {
    /// Every path the build looked up -> content hash (`None`: absent).
    pub reads: BTreeMap<String, Option<ContentHash>>,
    /// Indirect path -> the listed stylesheet through which it was reached.
    pub via: BTreeMap<String, String>,
    /// The first problem, naming the file (and line and column where known).
    pub error: Option<String>,
    /// The compiler failed (its process died): this build is no result, and
    /// `reads` holds only what it read before the failure.
    pub transient: Option<String>,
    /// What the build found wrong without failing (each once, in order).
    pub warnings: Vec<String>,
    pub output: Output,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub script: Script,
    pub styles: Vec<MediaBlock>,
    pub messages: IndexMap<String, String>,
    /// Alias -> template source.
    pub templates: IndexMap<String, String>,
    pub skip_function: Option<String>,
    pub deprecated: Option<String>,
    /// An image module's images, each variant, as `load.php?image=` serves them.
    pub images: Vec<image::ImageFile>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Script {
    #[default]
    None,
    /// Plain scripts, concatenated, each ending in a newline.
    Plain(String),
    /// packageFiles: the main file's name and every file, in order.
    Package {
        main: String,
        files: Vec<(String, PackageOutput)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum PackageOutput {
    Script(String),
    Data(Value),
    /// A Vue component: its script with the template (minified unless debug).
    Vue(Box<vue::Component>),
}

impl Script {
    /// Has a Vue file, whose template differs in debug mode.
    pub fn has_vue(&self) -> bool {
        match self {
            Script::Package { files, .. } => files
                .iter()
                .any(|(_, f)| matches!(f, PackageOutput::Vue(_))),
            _ => false,
        }
    }

    /// The script as ResourceLoader's `impl` carries it: a function for plain
    /// scripts, a `{main, files}` bundle of CommonJS-style functions and JSON
    /// values for packageFiles, `None` when the module has no script.
    /// `debug` keeps Vue templates as written (ResourceLoader's debug mode).
    pub fn to_js(&self, debug: bool) -> Option<String> {
        let quote = |s: &str| serde_json::to_string(s).expect("a string serialises");
        match self {
            Script::None => None,
            Script::Plain(source) => Some(format!("function($,jQuery,require,module){{{source}}}")),
            Script::Package { main, files } => {
                let entries: Vec<String> = files
                    .iter()
                    .map(|(name, out)| {
                        let value = match out {
                            PackageOutput::Script(src) => {
                                format!("function(require,module,exports){{{src}\n}}")
                            }
                            PackageOutput::Data(v) => v.to_string(),
                            PackageOutput::Vue(c) => {
                                format!("function(require,module,exports){{{}\n}}", c.script(debug))
                            }
                        };
                        format!("{}:{value}", quote(name))
                    })
                    .collect();
                Some(format!(
                    "{{\"main\":{},\"files\":{{{}}}}}",
                    quote(main),
                    entries.join(",")
                ))
            }
        }
    }
}

/// Builds a module. Never fails: problems become `error`, and the build goes
/// on so that `reads` holds every file the module depends on.
pub fn build(def: &ModuleDef, store: &FileStore, less: &mut dyn LessCompiler) -> Built {
    let mut reader = Recorder::new(store);
    let (output, error, transient) = match &def.kind {
        ModuleKind::Unsupported(reason) => (Output::default(), Some(reason.clone()), None),
        ModuleKind::File(m) => build_file_module(&def.name, m, &mut reader, less),
        ModuleKind::Image(m) => {
            let (output, error) = image::build(def, m, &mut reader);
            (output, error, None)
        }
    };
    Built {
        reads: reader.reads,
        via: reader.via,
        error,
        transient,
        warnings: reader.warnings,
        output,
    }
}

fn build_file_module(
    name: &str,
    m: &FileModule,
    reader: &mut Recorder,
    less: &mut dyn LessCompiler,
) -> (Output, Option<String>, Option<String>) {
    let mut errors: Vec<String> = Vec::new();
    let mut out = Output::default();
    let expanded;
    let m = match &m.codex {
        Some(c) => {
            expanded = codex::expand(m, c, reader, &mut errors);
            &expanded
        }
        None => m,
    };
    let with_php;
    let m = match &m.php {
        Some(_) => {
            with_php = php::expand(name, m, reader, &mut errors);
            &with_php
        }
        None => m,
    };
    if !m.scripts.is_empty() {
        let mut joined = String::new();
        for path in &m.scripts {
            let source = need(reader, &mut errors, path);
            if let Err(e) = js::check(path, &source, js::Kind::Script) {
                errors.push(e);
            }
            joined.push_str(&source);
            if !joined.ends_with('\n') {
                joined.push('\n');
            }
        }
        out.script = Script::Plain(joined);
    }
    // `.vue` files' `<style>`s: each file's stylesheet, source and language.
    let mut vue_styles: Vec<(crate::project::Style, String, bool)> = Vec::new();
    if let Some(files) = &m.package_files {
        let mut built = Vec::new();
        let mut main = String::new();
        for f in files {
            if f.main {
                main = f.name.clone();
            }
            let value = match (&f.source, f.kind) {
                (PackageSource::File(path), PackageKind::Script) => {
                    let source = need(reader, &mut errors, path);
                    if let Err(e) = js::check(path, &source, js::Kind::PackageFile) {
                        errors.push(e);
                    }
                    PackageOutput::Script(source)
                }
                (PackageSource::File(path), PackageKind::Data) => {
                    let source = need(reader, &mut errors, path);
                    match parse_json(path, &source) {
                        Ok(v) => PackageOutput::Data(v),
                        Err(e) => {
                            errors.push(e);
                            PackageOutput::Data(Value::Null)
                        }
                    }
                }
                (PackageSource::Content(v), PackageKind::Script) => {
                    PackageOutput::Script(v.as_str().map_or_else(|| v.to_string(), str::to_string))
                }
                (PackageSource::File(path), PackageKind::Text) => {
                    PackageOutput::Data(Value::String(need(reader, &mut errors, path)))
                }
                (PackageSource::Content(v), PackageKind::Data | PackageKind::Text) => {
                    PackageOutput::Data(v.clone())
                }
                (PackageSource::CodexIcons { file, names }, _) => {
                    let source = need(reader, &mut errors, file);
                    match parse_json(file, &source) {
                        Ok(Value::Object(all)) => PackageOutput::Data(Value::Object(
                            all.into_iter()
                                .filter(|(k, _)| names.as_ref().is_none_or(|n| n.contains(k)))
                                .collect(),
                        )),
                        Ok(_) => {
                            errors.push(format!("{file}: not a JSON object of icons"));
                            PackageOutput::Data(Value::Null)
                        }
                        Err(e) => {
                            errors.push(e);
                            PackageOutput::Data(Value::Null)
                        }
                    }
                }
                // `php::expand` replaced every callback.
                (PackageSource::Callback(_), PackageKind::Script) => {
                    PackageOutput::Script(String::new())
                }
                (PackageSource::Callback(_), _) => PackageOutput::Data(Value::Null),
                (source, PackageKind::Vue) => {
                    let (path, text) = match source {
                        PackageSource::File(path) => {
                            (path.as_str(), need(reader, &mut errors, path))
                        }
                        PackageSource::Content(v) => {
                            (f.name.as_str(), v.as_str().unwrap_or_default().to_string())
                        }
                        // Matched above: the icons are data, callbacks expanded.
                        PackageSource::CodexIcons { .. } | PackageSource::Callback(_) => {
                            (f.name.as_str(), String::new())
                        }
                    };
                    match vue::parse(&text) {
                        Ok(c) => {
                            if let (Some((css, is_less)), Some(style)) = (&c.style, &f.style) {
                                vue_styles.push((style.clone(), css.clone(), *is_less));
                            }
                            PackageOutput::Vue(Box::new(c))
                        }
                        Err(e) => {
                            errors.push(format!("{path}: {e}"));
                            PackageOutput::Script(String::new())
                        }
                    }
                }
            };
            built.push((f.name.clone(), value));
        }
        out.script = Script::Package { main, files: built };
    }
    for (alias, path) in &m.templates {
        let source = need(reader, &mut errors, path);
        out.templates.insert(alias.clone(), source);
    }
    if let Some(path) = &m.skip_function {
        out.skip_function = Some(need(reader, &mut errors, path));
    }
    out.deprecated = m
        .deprecated
        .as_deref()
        .map(|info| deprecation_warning(name, info));
    let tables = match message_tables(m, reader) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    out.messages = messages(&m.messages, &tables);
    let styles = if m.less_messages.is_empty() {
        styles::build_styles(m, reader, less)
    } else {
        // LessVarFileModule: each message as `@msg-<key>`, `⧼key⧽` when missing.
        let mut with_messages = m.clone();
        for key in &m.less_messages {
            let text = lookup(&tables, key).unwrap_or_else(|| format!("⧼{key}⧽"));
            with_messages
                .less_vars
                .insert(format!("msg-{key}"), less_message(&text));
        }
        styles::build_styles(&with_messages, reader, less)
    };
    out.styles = styles.blocks;
    errors.extend(styles.error);
    let mut compiler_failure = styles.compiler_failure;
    for (style, source, is_less) in &vue_styles {
        reader.context = Some(style.path.clone());
        let result = styles::process(m, style, source, *is_less, reader, less);
        reader.context = None;
        match result {
            Ok(css) if css.is_empty() => {}
            Ok(css) => styles::append(&mut out.styles, "all", css),
            Err(styles::StyleError::Module(e)) => errors.push(e),
            Err(styles::StyleError::Compiler(e)) => {
                compiler_failure.get_or_insert(e);
            }
        }
    }
    if let Some(logo) = &m.logo {
        logo_rule(logo, reader, &mut out.styles);
    }
    (out, errors.into_iter().next(), compiler_failure)
}

/// `text` with each run of characters for which `is_space` holds made one space.
pub fn collapse_runs(text: &str, is_space: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if is_space(c) {
            if !in_run {
                out.push(' ');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

/// ResourceLoader's warning for a `deprecated` module, the definition's
/// text (if any) on a line of its own.
fn deprecation_warning(name: &str, info: &str) -> String {
    let mut warning =
        format!("This page is using the deprecated ResourceLoader module \"{name}\".");
    if !info.is_empty() {
        warning.push('\n');
        warning.push_str(info);
    }
    warning
}

/// Reads a file the definition lists; a missing one is an error naming it.
fn need(reader: &mut Recorder, errors: &mut Vec<String>, path: &str) -> String {
    reader.read_source(path).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    })
}

/// The module's language files that exist, parsed, in lookup order.
fn message_tables(
    m: &FileModule,
    reader: &mut Recorder,
) -> Result<Vec<serde_json::Map<String, Value>>, String> {
    let mut tables = Vec::new();
    for path in &m.message_files {
        if let Some(source) = reader.read_text(path) {
            match parse_json(path, &source)? {
                Value::Object(o) => tables.push(o),
                _ => return Err(format!("{path}: a message file must hold a JSON object")),
            }
        }
    }
    Ok(tables)
}

/// A message's text: the first language file that has it, with the
/// whitespace entities MediaWiki's MessageCache replaces replaced.
fn lookup(tables: &[serde_json::Map<String, Value>], key: &str) -> Option<String> {
    let text = tables
        .iter()
        .find_map(|t| t.get(key).and_then(Value::as_str))?;
    Some(
        text.replace("&#32;", " ")
            .replace("&nbsp;", "\u{00A0}")
            .replace("&#160;", "\u{00A0}")
            .replace("&shy;", "\u{00AD}"),
    )
}

/// Looks every message key up in the language files, first file first; a key
/// found nowhere is left out, as MediaWiki's message blobs leave it (so that
/// `mw.message(key).exists()` is false and the client shows `⧼key⧽`).
fn messages(
    keys: &[String],
    tables: &[serde_json::Map<String, Value>],
) -> IndexMap<String, String> {
    keys.iter()
        .filter_map(|key| lookup(tables, key).map(|text| (key.clone(), text)))
        .collect()
}

/// SkinModule's logo rule, after the module's other `all` CSS: the logo's
/// URL carries the first 5 hex digits of its MD5, as MediaWiki's
/// `transformResourcePath` writes it (no hash when the file is missing).
fn logo_rule(logo: &Logo, reader: &mut Recorder, blocks: &mut Vec<MediaBlock>) {
    let url = match reader.read(&logo.path) {
        Some(bytes) => format!("{}?{}", logo.url, remap::short_md5(&bytes)),
        None => logo.url.clone(),
    };
    let rule = format!(".mw-wiki-logo {{ background-image: url({url}); }}");
    match blocks.iter_mut().find(|b| b.media == "all") {
        Some(b) => {
            b.css.push('\n');
            b.css.push_str(&rule);
        }
        None => blocks.push(MediaBlock {
            media: "all".into(),
            css: rule,
        }),
    }
}

fn parse_json(path: &str, source: &str) -> Result<Value, String> {
    serde_json::from_str(source).map_err(|e| {
        let msg = e.to_string();
        let msg = msg
            .rsplit_once(" at line ")
            .map_or(msg.as_str(), |(m, _)| m);
        format!("{path}:{}:{}: {msg}", e.line(), e.column())
    })
}
