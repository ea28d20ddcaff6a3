//! Versions: a canonical summary -> SHA-1 -> the first 8 characters of URL-safe base64.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::files::ContentHash;
use crate::project::ModuleDef;

/// Names the build format. Change it whenever the same inputs would build
/// different output (bundle format, CSS printer, Less version, remap rules).
pub const BUILD_FORMAT: &str = "rldev-build-1;less-4.9.1;lightningcss-1.0.0-alpha.72";

/// 8 characters of URL-safe base64 of the SHA-1 of `bytes`.
pub fn hash(bytes: &[u8]) -> String {
    let digest = Sha1::digest(bytes);
    let mut s = URL_SAFE_NO_PAD.encode(digest);
    s.truncate(8);
    s
}

/// The combined version of a request: the same encoding over the concatenated
/// versions, in the order the `modules=` parameter expands to.
pub fn combined<'a>(versions: impl IntoIterator<Item = &'a str>) -> String {
    let joined: String = versions.into_iter().collect();
    hash(joined.as_bytes())
}

/// Everything a module's output depends on, in a canonical form.
#[derive(Serialize)]
struct Summary<'a> {
    format: &'a str,
    definition: &'a ModuleDef,
    /// Sorted by path; `null` marks a path that was looked for and not found.
    files: Vec<(&'a str, Option<String>)>,
}

/// A module's version from its definition and the content hash of every file
/// its build read or looked for (`None` = absent). No mtimes, no absolute paths.
pub fn module_version<'a>(
    def: &ModuleDef,
    files: impl IntoIterator<Item = (&'a str, Option<&'a ContentHash>)>,
) -> String {
    let mut files: Vec<(&str, Option<String>)> =
        files.into_iter().map(|(p, h)| (p, h.map(hex))).collect();
    files.sort();
    files.dedup();
    let summary = Summary {
        format: BUILD_FORMAT,
        definition: def,
        files,
    };
    hash(&serde_json::to_vec(&summary).expect("a summary always serialises"))
}

fn hex(h: &ContentHash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_test_vector() {
        let s = br#"{"_class":"ResourceLoaderTestModule","_cacheEpoch":"20140101000000"}"#;
        assert_eq!(hash(s), "XyCC-PSK");
    }

    #[test]
    fn combined_is_order_sensitive() {
        assert_ne!(
            combined(["aaaaaaaa", "bbbbbbbb"]),
            combined(["bbbbbbbb", "aaaaaaaa"])
        );
        assert_eq!(combined(["ab", "c"]), hash(b"abc"));
    }
}
