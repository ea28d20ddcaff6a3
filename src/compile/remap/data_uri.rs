//! The two encodings a remapped `url()` carries: the short MD5 version query
//! of a file URL and the data URI of an `@embed`ded file (CSSMin's rules).

use base64::Engine as _;
use md5::{Digest, Md5};

use super::skip_whitespace;

/// The first 5 hex digits of the MD5 of `data` (the version query of a file URL).
pub fn short_md5(data: &[u8]) -> String {
    let digest = Md5::digest(data);
    let mut hex: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
    hex.truncate(5);
    hex
}

/// MIME type by extension (case-insensitive), else by PNG/GIF/JPEG magic bytes.
pub(super) fn image_mime_type(path: &str, data: &[u8]) -> Option<&'static str> {
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
pub(super) fn data_uri(mime: &str, data: &[u8]) -> String {
    match readable(strip_xml_declaration(data)) {
        Some(encoded) => format!("data:{mime},{encoded}"),
        None => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(data);
            format!("data:{mime};base64,{b64}")
        }
    }
}

/// The readable URL encoding of a data URI's text, as CSSMin writes it, or
/// `None` when `text` is not text (empty, or not only tab, CR, LF and
/// printable ASCII): every byte percent-encoded as PHP's `rawurlencode`
/// (upper-case hex) but letters, digits, `-_.~`, and `/`, `:`, `=` and
/// space kept; tab, CR and LF as spaces; runs of spaces made one and the
/// ends trimmed.
pub fn readable(text: &[u8]) -> Option<String> {
    let is_text = !text.is_empty()
        && text
            .iter()
            .all(|&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e));
    if !is_text {
        return None;
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
    Some(encoded)
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
