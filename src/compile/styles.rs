//! Stylesheets: Less compiled, `url()`s remapped, then parsed and printed by lightningcss.

use lightningcss::stylesheet::{ParserOptions, PrinterOptions, StyleSheet};

use super::reader::Recorder;
use super::remap::{FileLookup, RemapBase, remap};
use crate::less::cache::{self, CachedCompile};
use crate::less::{LessCompiler, LessError, LessJob};
use crate::paths;
use crate::project::{FileModule, Style};

/// One media block of a module's CSS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaBlock {
    pub media: String,
    pub css: String,
}

/// Why a stylesheet has no CSS.
pub enum StyleError {
    /// The stylesheet's own problem (a missing file, a Less error), naming the file.
    Module(String),
    /// The compiler failed: no result at all, worth another try.
    Compiler(String),
}

/// The module's CSS, its first error (naming its file), and the first
/// compiler failure (then the build is no result: see [`super::Built::transient`]).
pub struct Styles {
    pub blocks: Vec<MediaBlock>,
    pub error: Option<String>,
    pub compiler_failure: Option<String>,
}

/// Builds every stylesheet of the module.
pub fn build_styles(
    module: &FileModule,
    reader: &mut Recorder,
    less: &mut dyn LessCompiler,
) -> Styles {
    let mut blocks: Vec<MediaBlock> = Vec::new();
    let mut first_error = None;
    let mut compiler_failure = None;
    for style in &module.styles {
        reader.context = Some(style.path.clone());
        let result = build_one(module, style, reader, less);
        reader.context = None;
        match result {
            Ok(css) => append(&mut blocks, &style.media, css),
            Err(StyleError::Module(e)) => {
                first_error.get_or_insert(e);
            }
            Err(StyleError::Compiler(e)) => {
                compiler_failure.get_or_insert(e);
            }
        }
    }
    blocks.retain(|b| !b.css.is_empty());
    Styles {
        blocks,
        error: first_error,
        compiler_failure,
    }
}

/// Adds a stylesheet's CSS to its media's block (after what is there), or
/// as a new block.
pub fn append(blocks: &mut Vec<MediaBlock>, media: &str, css: String) {
    match blocks.iter_mut().find(|b| b.media == media) {
        Some(b) => {
            b.css.push('\n');
            b.css.push_str(&css);
        }
        None => blocks.push(MediaBlock {
            media: media.to_string(),
            css,
        }),
    }
}

fn build_one(
    module: &FileModule,
    style: &Style,
    reader: &mut Recorder,
    less: &mut dyn LessCompiler,
) -> Result<String, StyleError> {
    let source = reader
        .read_source(&style.path)
        .map_err(StyleError::Module)?;
    if super::codex::is_codex_file(module, &style.path) {
        return print(&style.path, &source).map_err(StyleError::Module);
    }
    process(
        module,
        style,
        &source,
        style.path.ends_with(".less"),
        reader,
        less,
    )
}

/// A stylesheet's text as ResourceLoader's `processStyle` makes it: Less
/// compiled (when `is_less`), flipped for right-to-left, `url()`s remapped
/// against `style`'s folder, then printed. Also for a `.vue` file's `<style>`.
pub fn process(
    module: &FileModule,
    style: &Style,
    source: &str,
    is_less: bool,
    reader: &mut Recorder,
    less: &mut dyn LessCompiler,
) -> Result<String, StyleError> {
    let css = if is_less {
        if source.len() > module.less_max_bytes {
            return Err(StyleError::Module(format!(
                "{}: {} KiB of Less, over the limit of {} KiB ([less] max_file_kib in rldev.toml)",
                style.path,
                source.len().div_ceil(1024),
                module.less_max_bytes / 1024
            )));
        }
        let job = LessJob {
            path: &style.path,
            source,
            import_paths: &module.less_import_paths,
            prefixes: &module.less_prefixes,
            vars: &module.less_vars,
        };
        compile(&job, reader, less).map_err(|e| match e.transient {
            true => StyleError::Compiler(e.to_string()),
            false => StyleError::Module(with_unreadable(
                with_core_hint(e.to_string(), module),
                reader,
            )),
        })?
    } else {
        source.to_string()
    };
    // As ResourceLoader: flipped after compiling, before URLs are remapped.
    let css = if module.flip {
        less.flip(&css, &style.path)
            .map_err(|e| match e.transient {
                true => StyleError::Compiler(e.to_string()),
                false => StyleError::Module(e.to_string()),
            })?
    } else {
        css
    };
    let base = RemapBase {
        local_dir: paths::parent(&style.path),
        remote_dir: paths::parent(&style.url),
    };
    let remapped = remap(&css, &base, reader);
    for w in remapped.warnings {
        reader.warn(format!("{}: {w}", style.path));
    }
    print(&style.path, &remapped.css).map_err(StyleError::Module)
}

/// An import less.js "wasn't found" because a candidate is there but
/// unreadable (permission denied, a FIFO, a symlink loop): the message says
/// what each such candidate is.
fn with_unreadable(message: String, reader: &Recorder) -> String {
    if !message.contains(" wasn't found") {
        return message;
    }
    let unreadable: Vec<String> = reader
        .reads
        .keys()
        .filter_map(|p| reader.explain(p).map(|why| format!("{p}: {why}")))
        .collect();
    if unreadable.is_empty() {
        message
    } else {
        format!("{message} ({})", unreadable.join("; "))
    }
}

/// A missing `mediawiki.*` import in a project without MediaWiki core: the
/// message says how to give it.
fn with_core_hint(message: String, module: &FileModule) -> String {
    let has_core = module
        .less_import_paths
        .iter()
        .any(|p| p.ends_with("resources/src/mediawiki.less"));
    if !has_core && message.contains(" wasn't found") && message.contains("'mediawiki.") {
        format!(
            "{message} (an import of MediaWiki core: give core's folder with --core PATH, \
             core in rldev.toml or MW_INSTALL_PATH)"
        )
    } else {
        message
    }
}

/// Compiles through the compile cache when the compiler has one: an entry is
/// replayed only when every path it looked up still answers the same, and
/// then its look-ups are recorded as the compile would have recorded them.
fn compile(
    job: &LessJob,
    reader: &mut Recorder,
    less: &mut dyn LessCompiler,
) -> Result<String, LessError> {
    let key = less.cache().map(|c| c.key(job));
    if let Some(entry) = less.cache().zip(key.as_ref()).and_then(|(c, k)| c.get(k)) {
        let unchanged = entry
            .reads
            .iter()
            .all(|(path, hash)| reader.peek(path).map(|h| cache::hex(&h)) == *hash);
        if unchanged {
            for (path, _) in &entry.reads {
                let hash = reader.peek(path);
                reader.note(path, hash);
            }
            return entry.result;
        }
    }
    let mut logged = Logged {
        reader,
        log: Vec::new(),
    };
    let result = less.compile(job, &mut logged);
    let reads = logged.log;
    let internal = matches!(&result, Err(e) if e.internal);
    if let (Some(c), Some(key), false) = (less.cache(), &key, internal) {
        c.put(
            key,
            &CachedCompile {
                reads,
                result: result.clone(),
            },
        );
    }
    result
}

/// Passes look-ups to the recorder and keeps their answers, in order, for the cache.
struct Logged<'r, 'a> {
    reader: &'r mut Recorder<'a>,
    log: Vec<(String, Option<String>)>,
}

impl FileLookup for Logged<'_, '_> {
    fn lookup(&mut self, path: &str) -> Option<std::sync::Arc<[u8]>> {
        self.lookup_hashed(path).map(|(_, bytes)| bytes)
    }

    fn lookup_hashed(
        &mut self,
        path: &str,
    ) -> Option<(crate::files::ContentHash, std::sync::Arc<[u8]>)> {
        let found = self.reader.lookup_hashed(path);
        let hash = self.reader.reads[path].map(|h| cache::hex(&h));
        self.log.push((path.to_string(), hash));
        found
    }
}

/// Parses and prints CSS minified; a syntax error names the file, line and column.
pub fn print(path: &str, css: &str) -> Result<String, String> {
    let options = ParserOptions {
        filename: path.to_string(),
        error_recovery: true,
        ..ParserOptions::default()
    };
    let sheet = StyleSheet::parse(css, options).map_err(|e| located(path, &e))?;
    let printed = sheet
        .to_css(PrinterOptions {
            minify: true,
            ..PrinterOptions::default()
        })
        .map_err(|e| located(path, &e))?;
    Ok(printed.code)
}

fn located<T: std::fmt::Display>(path: &str, e: &lightningcss::error::Error<T>) -> String {
    match &e.loc {
        Some(loc) => format!("{path}:{}:{}: {}", loc.line + 1, loc.column, e.kind),
        None => format!("{path}: {}", e.kind),
    }
}
