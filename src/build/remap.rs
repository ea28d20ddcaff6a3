//! Rewriting of `url()` references in compiled stylesheets (CSSMin::remap): versioned URLs and `@embed` data URIs.
//!
//! Pure: files are read through [`FileLookup`], which also lets the caller record every file a
//! stylesheet refers to. Behaviour follows RESOURCELOADER.md §7.1; choices made where that text
//! is silent are noted at the item they concern.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use md5::{Digest, Md5};

use crate::paths;

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

/// The first 5 hex digits of the MD5 of `data` (the version query of a file URL).
pub fn short_md5(data: &[u8]) -> String {
    let digest = Md5::digest(data);
    let mut hex: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
    hex.truncate(5);
    hex
}

/// MIME type by extension (case-insensitive), else by PNG/GIF/JPEG magic bytes.
fn image_mime_type(path: &str, data: &[u8]) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some((_, ext)) = name.rsplit_once('.') {
        let by_ext = match ext.to_ascii_lowercase().as_str() {
            "gif" => Some("image/gif"),
            "jpe" | "jpeg" | "jpg" => Some("image/jpeg"),
            "png" => Some("image/png"),
            "tif" | "tiff" => Some("image/tiff"),
            "xbm" => Some("image/x-xbitmap"),
            "svg" => Some("image/svg+xml"),
            _ => None,
        };
        if by_ext.is_some() {
            return by_ext;
        }
    }
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if data.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// The data URI for a file's content.
///
/// Text (after dropping a leading XML declaration, only tab, CR, LF and printable ASCII remain,
/// and something does) is URL-encoded readably: every byte is percent-encoded as PHP's
/// `rawurlencode` would (all but `A-Za-z0-9-_.~`, upper-case hex), except that space, `/`, `:`
/// and `=` stay literal and tab, CR and LF become spaces; then runs of spaces collapse to one and
/// a leading or trailing space is dropped. This is the set CSSMin keeps readable. `<`, `>`, `"`,
/// `#`, `%` and friends stay encoded, so the URI never needs escaping inside `url("…")`.
///
/// Anything else is base64 of the file exactly as stored (declaration included: it may name the
/// encoding that non-ASCII content needs).
fn data_uri(mime: &str, data: &[u8]) -> String {
    let text = strip_xml_declaration(data);
    let is_text = !text.is_empty()
        && text
            .iter()
            .all(|&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e));
    if !is_text {
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        return format!("data:{mime};base64,{b64}");
    }
    let mut encoded = String::with_capacity(text.len() * 2);
    for &b in text {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b':'
            | b'=' => encoded.push(b as char),
            b' ' | b'\t' | b'\n' | b'\r' => {
                if !encoded.is_empty() && !encoded.ends_with(' ') {
                    encoded.push(' ');
                }
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    if encoded.ends_with(' ') {
        encoded.pop();
    }
    format!("data:{mime},{encoded}")
}

/// `data` without an XML declaration (`<?xml` + whitespace … `?>`) at its start (leading
/// whitespace allowed); unchanged if there is none.
fn strip_xml_declaration(data: &[u8]) -> &[u8] {
    let start = skip_whitespace(data, 0);
    let rest = &data[start..];
    if rest.len() > 5
        && rest.starts_with(b"<?xml")
        && rest[5].is_ascii_whitespace()
        && let Some(end) = rest.windows(2).position(|w| w == b"?>")
    {
        return &rest[end + 2..];
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files by project-relative path; records every path asked for.
    struct MapFiles {
        files: HashMap<String, Arc<[u8]>>,
        asked: Vec<String>,
    }

    impl FileLookup for MapFiles {
        fn lookup(&mut self, path: &str) -> Option<Arc<[u8]>> {
            self.asked.push(path.to_string());
            self.files.get(path).cloned()
        }
    }

    const SVG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\">\n\t<path d=\"M0 0h20v20H0z\"/>\n</svg>\n";

    fn fixture() -> MapFiles {
        let mut files: HashMap<String, Arc<[u8]>> = HashMap::new();
        let mut add = |path: &str, data: &[u8]| {
            files.insert(path.to_string(), Arc::from(data));
        };
        let r = "extensions/Demo/resources";
        add(&format!("{r}/images/a.png"), b"fake png a");
        add(&format!("{r}/images/b.gif"), b"fake gif b");
        add("extensions/Demo/icons/x.svg", SVG.as_bytes());
        add(&format!("{r}/fonts/demo.woff2"), b"woff2 data");
        add(&format!("{r}/fonts/demo.woff"), b"woff data");
        add(&format!("{r}/images/dot.png"), b"\x89PNG\r\n\x1a\ntiny");
        add(
            &format!("{r}/images/sniffed"),
            b"GIF89a\x01\x00\x01\x00\x80",
        );
        add(&format!("{r}/images/big.png"), &[0u8; 40_000]);
        add(&format!("{r}/readme.txt"), b"hello");
        add(&format!("{r}/images/my icon.png"), b"space");
        MapFiles {
            files,
            asked: Vec::new(),
        }
    }

    const LOCAL: &str = "extensions/Demo/resources";
    const REMOTE: &str = "/w/extensions/Demo/resources";

    // Expected version queries, from `printf '%s' CONTENT | md5sum | cut -c1-5`.
    // a.png "fake png a" -> 079be; b.gif "fake gif b" -> 43430; x.svg (SVG above) -> 5b860;
    // demo.woff2 "woff2 data" -> c1150; demo.woff "woff data" -> 29a49; readme.txt "hello" -> 5d414;
    // "my icon.png" "space" -> ff236; big.png (40000 zero bytes, `head -c 40000 /dev/zero`) -> 4e0a2.
    // base64 (`printf … | base64`), sniffed is GIF89a\x01\x00\x01\x00\x80: dot.png -> iVBORw0KGgp0aW55; sniffed -> R0lGODlhAQABAIA=.

    /// The readable encoding of SVG, worked out by hand from the rules in `data_uri`.
    const SVG_URI: &str = "data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%2220%22 height=%2220%22%3E %3Cpath d=%22M0 0h20v20H0z%22/%3E %3C/svg%3E";

    struct Case {
        name: &'static str,
        remote: &'static str,
        css: &'static str,
        want: String,
        lookups: &'static [&'static str],
        warnings: usize,
    }

    fn case(
        name: &'static str,
        css: &'static str,
        want: &str,
        lookups: &'static [&'static str],
    ) -> Case {
        Case {
            name,
            remote: REMOTE,
            css,
            want: want.to_string(),
            lookups,
            warnings: 0,
        }
    }

    const A: &str = "extensions/Demo/resources/images/a.png";
    const B: &str = "extensions/Demo/resources/images/b.gif";
    const X: &str = "extensions/Demo/icons/x.svg";
    const DOT: &str = "extensions/Demo/resources/images/dot.png";

    fn cases() -> Vec<Case> {
        let a = "url(/w/extensions/Demo/resources/images/a.png?079be)";
        let b = "url(/w/extensions/Demo/resources/images/b.gif?43430)";
        vec![
            case(
                "unquoted",
                "a { background: url(images/a.png); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "single quotes",
                "a { background: url('images/a.png'); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "double quotes",
                "a { background: url(\"images/a.png\"); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "inner spaces",
                "a { background: url( images/a.png ); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "inner spaces around quotes",
                "a { background: url(  \"images/a.png\"\t); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "uppercase URL(",
                "a { background: URL(images/a.png); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "query dropped",
                "a { background: url(images/a.png?v=3); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "query dropped, fragment kept",
                "a { background: url(images/a.png?v=3#top); }",
                "a { background: url(\"/w/extensions/Demo/resources/images/a.png?079be#top\"); }",
                &[A],
            ),
            case(
                "dot segments",
                "a { background: url(./images/../images/a.png); }",
                &format!("a {{ background: {a}; }}"),
                &[A],
            ),
            case(
                "remote, protocol-relative, data, anchor, root-relative",
                "a { background: url(https://example.org/a.png); b: url('//cdn.example.org/b.png'); \
                 c: url(\"data:image/gif;base64,R0lGOD==\"); filter: url(#svg-filter); d: url(/static/x.png?v=1); }",
                "a { background: url(https://example.org/a.png); b: url(//cdn.example.org/b.png); \
                 c: url(data:image/gif;base64,R0lGOD==); filter: url(\"#svg-filter\"); d: url(/static/x.png?v=1); }",
                &[],
            ),
            case(
                "comments keep their url()",
                "/* url(images/a.png) */ a { /* see url(images/dot.png) */ background: url(images/b.gif); }",
                &format!(
                    "/* url(images/a.png) */ a {{ /* see url(images/dot.png) */ background: {b}; }}"
                ),
                &[B],
            ),
            case(
                "strings are not urls",
                "a::before { content: \"url(images/a.png)\"; }",
                "a::before { content: \"url(images/a.png)\"; }",
                &[],
            ),
            case(
                "other function names",
                "a { background: myurl(images/a.png); }",
                "a { background: myurl(images/a.png); }",
                &[],
            ),
            case(
                "@embed before a declaration with two urls",
                ".i {\n\t/* @embed */\n\tbackground-image: url(images/dot.png), url(../icons/x.svg);\n}",
                &format!(
                    ".i {{\n\tbackground-image: url(data:image/png;base64,iVBORw0KGgp0aW55), url(\"{SVG_URI}\");\n}}"
                ),
                &[DOT, X],
            ),
            case(
                "@embed after another comment",
                ".i { /* note */ /* @embed */ background: url(images/dot.png); }",
                ".i { /* note */ background: url(data:image/png;base64,iVBORw0KGgp0aW55); }",
                &[DOT],
            ),
            case(
                "@embed before one url",
                ".i { background: url(images/a.png), /* @embed */ url(images/dot.png); }",
                &format!(".i {{ background: {a}, url(data:image/png;base64,iVBORw0KGgp0aW55); }}"),
                &[A, DOT],
            ),
            case(
                "@embed by content sniffing",
                ".i { background: /*@embed*/url(images/sniffed); }",
                ".i { background: url(data:image/gif;base64,R0lGODlhAQABAIA=); }",
                &["extensions/Demo/resources/images/sniffed"],
            ),
            case(
                "@embed of a remote url drops the comment only",
                ".i { /* @embed */ background: url(https://example.org/a.png); }",
                ".i { background: url(https://example.org/a.png); }",
                &[],
            ),
            case(
                "@embed of a missing file",
                ".i { /* @embed */ background: url(images/missing.png); }",
                ".i { background: url(/w/extensions/Demo/resources/images/missing.png); }",
                &["extensions/Demo/resources/images/missing.png"],
            ),
            case(
                "@embed without url stays",
                "a { /* @embed */ color: red; }",
                "a { /* @embed */ color: red; }",
                &[],
            ),
            case(
                "@embed scope ends with the declaration",
                ".i { /* @embed */ background: url(images/dot.png); border-image: url(images/a.png); }",
                &format!(
                    ".i {{ background: url(data:image/png;base64,iVBORw0KGgp0aW55); border-image: {a}; }}"
                ),
                &[DOT, A],
            ),
            Case {
                warnings: 1,
                ..case(
                    "@embed of too large a file",
                    ".i { /* @embed */ background: url(images/big.png); }",
                    ".i { background: url(/w/extensions/Demo/resources/images/big.png?4e0a2); }",
                    &["extensions/Demo/resources/images/big.png"],
                )
            },
            Case {
                warnings: 1,
                ..case(
                    "@embed of a non-image",
                    ".i { /* @embed */ background: url(readme.txt); }",
                    ".i { background: url(/w/extensions/Demo/resources/readme.txt?5d414); }",
                    &["extensions/Demo/resources/readme.txt"],
                )
            },
            Case {
                warnings: 1,
                ..case(
                    "@embed with a fragment",
                    ".i { /* @embed */ background: url(../icons/x.svg#star); }",
                    ".i { background: url(\"/w/extensions/Demo/icons/x.svg?5b860#star\"); }",
                    &[X],
                )
            },
            case(
                "semicolon inside an unquoted data url",
                "a { b: url(data:image/png;base64,AAAA); c: url(images/a.png) }",
                &format!("a {{ b: url(data:image/png;base64,AAAA); c: {a} }}"),
                &[A],
            ),
            case(
                "missing file",
                "a { background: url(images/missing.png); }",
                "a { background: url(/w/extensions/Demo/resources/images/missing.png); }",
                &["extensions/Demo/resources/images/missing.png"],
            ),
            case(
                "../ beyond the remote root",
                "a { background: url(../../../../../images/top.png); }",
                "a { background: url(/images/top.png); }",
                &["../../images/top.png"],
            ),
            case(
                "several urls in one declaration, one file looked up once",
                "a { background: url(images/a.png) no-repeat, url(\"images/b.gif\"), url(images/a.png); }",
                &format!("a {{ background: {a} no-repeat, {b}, {a}; }}"),
                &[A, B],
            ),
            case(
                "@font-face src",
                "@font-face {\n  font-family: Demo;\n  src: url(fonts/demo.woff2) format(\"woff2\"),\n    url('fonts/demo.woff') format(\"woff\");\n}",
                "@font-face {\n  font-family: Demo;\n  src: url(/w/extensions/Demo/resources/fonts/demo.woff2?c1150) format(\"woff2\"),\n    url(/w/extensions/Demo/resources/fonts/demo.woff?29a49) format(\"woff\");\n}",
                &[
                    "extensions/Demo/resources/fonts/demo.woff2",
                    "extensions/Demo/resources/fonts/demo.woff",
                ],
            ),
            case(
                "@import after a rule",
                "a { color: red; }\n@import url(images/a.png);",
                &format!("a {{ color: red; }}\n@import {a};"),
                &[A],
            ),
            case(
                "percent-encoded name",
                "a { background: url(images/my%20icon.png); }",
                "a { background: url(/w/extensions/Demo/resources/images/my%20icon.png?ff236); }",
                &["extensions/Demo/resources/images/my icon.png"],
            ),
            case(
                "characters that need quoting",
                "a { background: url('images/a b.png'); b: url(\"images/we\\\"ird.png\"); }",
                "a { background: url(\"/w/extensions/Demo/resources/images/a b.png\"); \
                 b: url(\"/w/extensions/Demo/resources/images/we\\\"ird.png\"); }",
                &[
                    "extensions/Demo/resources/images/a b.png",
                    "extensions/Demo/resources/images/we\"ird.png",
                ],
            ),
            case(
                "unclosed or empty url() left alone",
                "a { b: url(); c: url(images/a.png",
                "a { b: url(); c: url(images/a.png",
                &[],
            ),
            Case {
                remote: "",
                ..case(
                    "remote root",
                    "a { background: url(../icons/x.svg); }",
                    "a { background: url(/icons/x.svg?5b860); }",
                    &[X],
                )
            },
            Case {
                remote: "https://wiki.example/w/extensions/Demo/resources/",
                ..case(
                    "full remote base",
                    "a { b: url(../icons/x.svg); c: url(/static/y.png); }",
                    "a { b: url(https://wiki.example/w/extensions/Demo/icons/x.svg?5b860); c: url(https://wiki.example/static/y.png); }",
                    &[X],
                )
            },
        ]
    }

    #[test]
    fn table() {
        for c in cases() {
            let mut files = fixture();
            let base = RemapBase {
                local_dir: LOCAL,
                remote_dir: c.remote,
            };
            let got = remap(c.css, &base, &mut files);
            assert_eq!(got.css, c.want, "css of case {:?}", c.name);
            assert_eq!(files.asked, c.lookups, "lookups of case {:?}", c.name);
            assert_eq!(
                got.warnings.len(),
                c.warnings,
                "warnings of case {:?}: {:?}",
                c.name,
                got.warnings
            );
        }
    }

    #[test]
    fn too_large_warning_names_the_file() {
        let mut files = fixture();
        let base = RemapBase {
            local_dir: LOCAL,
            remote_dir: REMOTE,
        };
        let got = remap(
            "a { /* @embed */ b: url(images/big.png) }",
            &base,
            &mut files,
        );
        assert_eq!(got.warnings.len(), 1);
        assert!(
            got.warnings[0].contains("extensions/Demo/resources/images/big.png"),
            "{:?}",
            got.warnings
        );
    }

    #[test]
    fn embed_size_limit_is_exclusive() {
        let mut files = fixture();
        for n in [EMBED_SIZE_LIMIT - 1, EMBED_SIZE_LIMIT] {
            files
                .files
                .insert(format!("{LOCAL}/edge.png"), Arc::from(vec![0u8; n]));
            let base = RemapBase {
                local_dir: LOCAL,
                remote_dir: REMOTE,
            };
            let got = remap("a { /* @embed */ b: url(edge.png) }", &base, &mut files);
            let embedded = got.css.starts_with("a { b: url(data:image/png;base64,AAAA");
            assert_eq!(
                embedded,
                n < EMBED_SIZE_LIMIT,
                "size {n}: {}",
                &got.css[..40]
            );
            assert_eq!(got.warnings.len(), usize::from(n >= EMBED_SIZE_LIMIT));
        }
    }

    #[test]
    fn text_outside_urls_is_untouched() {
        let css = "/* héllo */\n.a > .b::after{content:'; { }';color:#fff}\n@media (min-width: 10px) { .c { margin: 0 } }\n";
        let mut files = fixture();
        let base = RemapBase {
            local_dir: LOCAL,
            remote_dir: REMOTE,
        };
        let got = remap(css, &base, &mut files);
        assert_eq!(got.css, css);
        assert!(files.asked.is_empty());
    }

    #[test]
    fn short_md5_matches_md5sum() {
        // printf 'fake png a' | md5sum -> 079be...; printf '' | md5sum -> d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(short_md5(b"fake png a"), "079be");
        assert_eq!(short_md5(b""), "d41d8");
    }

    #[test]
    fn readable_svg_encoding() {
        assert_eq!(data_uri("image/svg+xml", SVG.as_bytes()), SVG_URI);
        // Non-ASCII text goes to base64, declaration included.
        assert_eq!(
            data_uri(
                "image/svg+xml",
                "<?xml version=\"1.0\"?><t>é</t>".as_bytes()
            ),
            {
                let b64 = base64::engine::general_purpose::STANDARD
                    .encode("<?xml version=\"1.0\"?><t>é</t>");
                format!("data:image/svg+xml;base64,{b64}")
            }
        );
        // Characters outside the readable set stay encoded, runs of whitespace become one space.
        assert_eq!(
            data_uri("image/svg+xml", b"  a#b%c  \r\n d&e "),
            "data:image/svg+xml,a%23b%25c d%26e"
        );
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(css_unescape(r"a\20 b\.png"), "a b.png");
        assert_eq!(css_unescape(r"\41\42"), "AB");
        assert_eq!(css_unescape("a\\\nb"), "ab");
    }

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dot_segments("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(remove_dot_segments("/a/b/.."), "/a/");
        assert_eq!(remove_dot_segments("/../../x"), "/x");
    }
}
