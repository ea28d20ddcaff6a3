//! Tests of `remap`: url() scanning, resolution, versioned URLs, `@embed`.

use super::*;
use base64::Engine as _;

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
        // A url() of a missing file is said in every case that has one
        // (`a_missing_url_target_is_said`); the table counts the others.
        let others: Vec<&String> = got
            .warnings
            .iter()
            .filter(|w| !w.contains(" does not exist "))
            .collect();
        assert_eq!(
            others.len(),
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
            let b64 =
                base64::engine::general_purpose::STANDARD.encode("<?xml version=\"1.0\"?><t>é</t>");
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

#[test]
fn a_missing_url_target_is_said() {
    let mut files = fixture();
    let base = RemapBase {
        local_dir: LOCAL,
        remote_dir: "/w/extensions/Demo/resources",
    };
    let got = remap(
        "a { background: url(images/missing.png); }",
        &base,
        &mut files,
    );
    assert_eq!(
        got.warnings,
        [
            "url(images/missing.png): extensions/Demo/resources/images/missing.png does not exist \
          (the URL is kept without a version)"
        ]
    );
}
