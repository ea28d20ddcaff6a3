//! Rewriting of `url()` references in compiled stylesheets (CSSMin::remap): versioned URLs and `@embed` data URIs.
//!
//! Pure: files are read through [`FileLookup`], which also lets the caller record every file a
//! stylesheet refers to. Behaviour follows RESOURCELOADER.md §7.1; choices made where that text
//! is silent are noted at the item they concern.

use std::collections::HashMap;
use std::sync::Arc;

use crate::paths;

mod data_uri;

use data_uri::{data_uri, image_mime_type};
pub use data_uri::{readable, short_md5};

/// Files this size or larger are never embedded (a data URI must be smaller).
pub const EMBED_SIZE_LIMIT: usize = 32_768;

/// Where a stylesheet lives, for resolving its url()s.
pub struct RemapBase<'a> {
    /// Project-relative folder of the style file that was compiled ("" = root), e.g. "extensions/Demo/resources".
    pub local_dir: &'a str,
    /// URL folder of that file, e.g. "/extensions/Demo/resources" (no trailing slash; "" means the site root).
    /// A full base such as "https://host/w/res" or "//host/w/res" also works: its scheme and host are kept.
    pub remote_dir: &'a str,
}

/// Looks a project-relative path up: Some(bytes) if the file exists. The caller records every call
/// (that is how rldev learns every image a stylesheet depends on, found or not).
pub trait FileLookup {
    fn lookup(&mut self, path: &str) -> Option<Arc<[u8]>>;

    /// `lookup`, with the SHA-1 of the bytes (a lookup that knows it already
    /// says so, rather than hash the bytes again).
    fn lookup_hashed(&mut self, path: &str) -> Option<(crate::files::ContentHash, Arc<[u8]>)> {
        use sha1::Digest;
        self.lookup(path)
            .map(|bytes| (sha1::Sha1::digest(&bytes).into(), bytes))
    }
}

/// The rewritten stylesheet and anything worth telling the developer (e.g. an `@embed` that was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remapped {
    pub css: String,
    pub warnings: Vec<String>,
}

/// Rewrites every `url()` of `css` outside comments and strings.
///
/// Scanning notes (where §7.1 / CSSMin leave room):
/// - a declaration ends at `;`, `{` or `}` outside comments, strings and `url()` (CSSMin does not
///   count `}`, so it skips e.g. an `@import url()` that follows a closing brace; this does not);
/// - quoted strings are skipped, so `content: "url(x)"` is left alone (CSSMin would rewrite it);
/// - `url(` matches case-insensitively, but not as the tail of a longer name (`myurl(`);
/// - CSS escapes in the url value are decoded; a `url()` that does not parse (no closing `)`,
///   empty value, a quote or `(` inside an unquoted url) is left as it was;
/// - each distinct file is looked up once per call, in order of first use.
pub fn remap(css: &str, base: &RemapBase, files: &mut dyn FileLookup) -> Remapped {
    let mut remapper = Remapper {
        local_dir: base.local_dir,
        remote: RemoteBase::parse(base.remote_dir),
        files,
        cache: HashMap::new(),
        warnings: Vec::new(),
    };
    let bytes = css.as_bytes();
    let mut out = String::with_capacity(css.len());
    let mut decl = Decl::new();
    // Output offset of a `/* @embed */` directly before the current position (only whitespace since).
    let mut pending_embed: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let end = css[i + 2..].find("*/").map_or(css.len(), |p| i + 2 + p + 2);
            if is_embed_comment(&css[i..end]) {
                // The comment takes the whitespace after it along, so removing it removes both.
                let ws_end = skip_whitespace(bytes, end);
                let start = out.len();
                out.push_str(&css[i..ws_end]);
                if decl.leading && decl.embed_all.is_none() {
                    decl.embed_all = Some((start, out.len()));
                }
                decl.leading = false;
                pending_embed = Some(start);
                i = ws_end;
            } else {
                out.push_str(&css[i..end]);
                pending_embed = None;
                i = end;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => {
                let (end, _) = scan_string(bytes, i);
                out.push_str(&css[i..end]);
                decl.leading = false;
                pending_embed = None;
                i = end;
            }
            b';' | b'{' | b'}' => {
                out.push(b as char);
                decl = Decl::new();
                pending_embed = None;
                i += 1;
            }
            b'u' | b'U' if starts_url_function(bytes, i) => {
                let Some((value, end)) = parse_url(css, i) else {
                    out.push(b as char);
                    decl.leading = false;
                    pending_embed = None;
                    i += 1;
                    continue;
                };
                let mut embed = decl.embed_all_active;
                if let Some((s, e)) = decl.embed_all.take() {
                    out.replace_range(s..e, "");
                    decl.embed_all_active = true;
                    embed = true;
                    pending_embed = match pending_embed {
                        Some(p) if p == s => None,
                        Some(p) if p >= e => Some(p - (e - s)),
                        other => other,
                    };
                }
                if let Some(p) = pending_embed.take() {
                    out.truncate(p);
                    embed = true;
                }
                let url = remapper.remap_one(&value, embed);
                push_url_value(&mut out, &url);
                decl.leading = false;
                i = end;
            }
            _ => {
                let c = css[i..].chars().next().unwrap_or('\u{fffd}');
                out.push(c);
                if !c.is_ascii_whitespace() {
                    decl.leading = false;
                    pending_embed = None;
                }
                i += c.len_utf8().max(1);
            }
        }
    }
    Remapped {
        css: out,
        warnings: remapper.warnings,
    }
}

/// State of the declaration being scanned.
struct Decl {
    /// Only whitespace and (non-`@embed`) comments so far.
    leading: bool,
    /// Output range of a leading `/* @embed */` (plus the whitespace after it), not yet removed.
    embed_all: Option<(usize, usize)>,
    /// A leading `@embed` was found and removed: embed every url of this declaration.
    embed_all_active: bool,
}

impl Decl {
    fn new() -> Self {
        Decl {
            leading: true,
            embed_all: None,
            embed_all_active: false,
        }
    }
}

/// `/*` `@embed` `*/` with any whitespace around the word.
fn is_embed_comment(comment: &str) -> bool {
    comment
        .strip_prefix("/*")
        .and_then(|c| c.strip_suffix("*/"))
        .is_some_and(|inner| inner.trim_ascii() == "@embed")
}

fn skip_whitespace(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// End of the quoted string starting at `start`, and whether it was closed: after its closing
/// quote, or at an unescaped newline / the end of input (as CSS tokenises a "bad string").
fn scan_string(bytes: &[u8], start: usize) -> (usize, bool) {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return (i, false),
            c if c == quote => return (i + 1, true),
            _ => i += 1,
        }
    }
    (bytes.len(), false)
}

/// `url(` (any case) at `i`, not preceded by a name character.
fn starts_url_function(bytes: &[u8], i: usize) -> bool {
    let is_name =
        |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'\\' || b >= 0x80;
    bytes.len() >= i + 4
        && bytes[i..i + 3].eq_ignore_ascii_case(b"url")
        && bytes[i + 3] == b'('
        && (i == 0 || !is_name(bytes[i - 1]))
}

/// Parses `url(…)` at `start`: the decoded value and the offset after `)`.
fn parse_url(css: &str, start: usize) -> Option<(String, usize)> {
    let bytes = css.as_bytes();
    let i = skip_whitespace(bytes, start + 4);
    let (raw, after) = match *bytes.get(i)? {
        b'"' | b'\'' => {
            let (end, closed) = scan_string(bytes, i);
            if !closed {
                return None;
            }
            (&css[i + 1..end - 1], skip_whitespace(bytes, end))
        }
        _ => {
            let mut j = i;
            while j < bytes.len() && bytes[j] != b')' {
                match bytes[j] {
                    b'\\' => j += 2,
                    b'"' | b'\'' | b'(' | b'{' | b'}' => return None,
                    _ => j += 1,
                }
            }
            if j >= bytes.len() {
                return None;
            }
            (
                css[i..j].trim_end_matches(|c: char| c.is_ascii_whitespace()),
                j,
            )
        }
    };
    if bytes.get(after) != Some(&b')') {
        return None;
    }
    let value = css_unescape(raw);
    if value.is_empty() {
        return None;
    }
    Some((value, after + 1))
}

/// Decodes CSS escapes: `\` + 1-6 hex digits (+ one optional whitespace), `\` + newline
/// (a line continuation, dropped), `\` + any other character (that character).
fn css_unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            None => {}
            Some('\n') | Some('\x0c') => {
                chars.next();
            }
            Some('\r') => {
                chars.next();
                chars.next_if_eq(&'\n');
            }
            Some(h) if h.is_ascii_hexdigit() => {
                let mut code = 0u32;
                let mut digits = 0;
                while digits < 6 {
                    let Some(d) = chars.peek().and_then(|c| c.to_digit(16)) else {
                        break;
                    };
                    code = code * 16 + d;
                    digits += 1;
                    chars.next();
                }
                if chars.next_if_eq(&'\r').is_some() {
                    chars.next_if_eq(&'\n');
                } else {
                    chars.next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\x0c'));
                }
                out.push(
                    char::from_u32(code)
                        .filter(|&c| c != '\0')
                        .unwrap_or('\u{fffd}'),
                );
            }
            Some(other) => {
                chars.next();
                out.push(other);
            }
        }
    }
    out
}

/// Writes `url(…)`: bare when every character is in `[\w:@/~.%+;,?&=-]` (ASCII `\w`), else
/// double-quoted with `\` and `"` escaped (control characters as CSS hex escapes, so a decoded
/// newline cannot break the string).
fn push_url_value(out: &mut String, url: &str) {
    let bare = url
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_:@/~.%+;,?&=-".contains(&b));
    if bare {
        out.push_str("url(");
        out.push_str(url);
        out.push(')');
        return;
    }
    out.push_str("url(\"");
    for c in url.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:x} ", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("\")");
}

/// The remote folder split into a scheme-and-host prefix (may be empty) and a path.
struct RemoteBase {
    origin: String,
    path: String,
}

impl RemoteBase {
    fn parse(remote_dir: &str) -> Self {
        let remote = remote_dir.trim_end_matches('/');
        let authority_start = if remote.starts_with("//") {
            Some(2)
        } else if let Some(colon) = scheme_len(remote) {
            remote[colon..].starts_with("//").then_some(colon + 2)
        } else {
            None
        };
        match authority_start {
            Some(a) => {
                let path_start = remote[a..].find('/').map_or(remote.len(), |p| a + p);
                RemoteBase {
                    origin: remote[..path_start].to_string(),
                    path: remote[path_start..].to_string(),
                }
            }
            None => RemoteBase {
                origin: String::new(),
                path: remote.to_string(),
            },
        }
    }
}

/// Length of a leading `scheme:` (including the colon), if any.
fn scheme_len(url: &str) -> Option<usize> {
    let bytes = url.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))?;
    (bytes[n] == b':').then_some(n + 1)
}

struct Remapper<'a, 'f> {
    local_dir: &'a str,
    remote: RemoteBase,
    files: &'f mut dyn FileLookup,
    cache: HashMap<String, Option<Arc<[u8]>>>,
    warnings: Vec<String>,
}

impl Remapper<'_, '_> {
    fn lookup(&mut self, path: &str) -> Option<Arc<[u8]>> {
        if let Some(hit) = self.cache.get(path) {
            return hit.clone();
        }
        let found = self.files.lookup(path);
        self.cache.insert(path.to_string(), found.clone());
        found
    }

    /// The new URL for one url() value.
    fn remap_one(&mut self, value: &str, embed: bool) -> String {
        // Anchors, `scheme:` (incl. data:) and protocol-relative URLs pass through.
        if value.starts_with('#') || value.starts_with("//") || scheme_len(value).is_some() {
            return value.to_string();
        }
        // Root-relative: unchanged unless the remote base names a host.
        if value.starts_with('/') {
            return format!("{}{}", self.remote.origin, value);
        }
        // Relative. The query is dropped (as CSSMin does); the fragment is kept after the
        // version query (CSSMin would instead fail to find the file and keep the bare URL).
        let (before_fragment, fragment) = match value.find('#') {
            Some(h) => (&value[..h], &value[h..]),
            None => (value, ""),
        };
        let path = before_fragment.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return value.to_string();
        }
        let mut url = self.remote.origin.clone();
        url.push_str(&remove_dot_segments(&format!(
            "{}/{}",
            self.remote.path, path
        )));
        let local = paths::join(self.local_dir, &percent_decode(path));
        if let Some(data) = self.lookup(&local) {
            if embed && let Some(uri) = self.embed(&local, &data, fragment) {
                return uri;
            }
            url.push('?');
            url.push_str(&short_md5(&data));
        } else {
            // Kept as ResourceLoader keeps it (no version), and said.
            self.warnings.push(format!(
                "url({value}): {local} does not exist (the URL is kept without a version)"
            ));
        }
        url.push_str(fragment);
        url
    }

    /// A data URI for an existing file, or None (with a warning) when it cannot be embedded.
    fn embed(&mut self, local: &str, data: &[u8], fragment: &str) -> Option<String> {
        if !fragment.is_empty() {
            self.warnings.push(format!(
                "@embed: {local}{fragment} not embedded: a data URI cannot keep the fragment"
            ));
            return None;
        }
        if data.len() >= EMBED_SIZE_LIMIT {
            self.warnings.push(format!(
                "@embed: {local} not embedded: {} bytes, data URIs are limited to files under {EMBED_SIZE_LIMIT} bytes",
                data.len()
            ));
            return None;
        }
        let Some(mime) = image_mime_type(local, data) else {
            self.warnings.push(format!(
                "@embed: {local} not embedded: not a known image type"
            ));
            return None;
        };
        Some(data_uri(mime, data))
    }
}

/// RFC 3986 dot-segment removal; `..` above the top is dropped.
fn remove_dot_segments(path: &str) -> String {
    let (absolute, body) = match path.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, path),
    };
    let segments: Vec<&str> = body.split('/').collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (k, seg) in segments.iter().enumerate() {
        let last = k + 1 == segments.len();
        match *seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => {
                out.push(s);
                continue;
            }
        }
        if last {
            // "a/.." and "a/." name a folder: keep the trailing slash.
            out.push("");
        }
    }
    let joined = out.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `%XX` decoded, for finding the file a URL path names. Undecodable results (not UTF-8) keep
/// the path as written.
fn percent_decode(path: &str) -> String {
    if !path.contains('%') {
        return path.to_string();
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Some(v) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| path.to_string())
}

#[cfg(test)]
mod tests;
