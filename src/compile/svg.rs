//! SVG images as MediaWiki 1.39's `Image` writes them: `variantize` (the
//! file parsed by PHP's DOM, every child of the root moved into a
//! `<g fill="colour">`, the first `<title>` put back at the root, then
//! `saveXML`; the DOM side is `xml.rs`) and CSSMin's
//! `encodeStringAsDataURI`. Checked against PHP on every SVG of MediaWiki
//! 1.39 and its bundled extensions and skins (`tests/image_module.rs`).

use super::xml::Document;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// `Image::variantize`: the SVG with every child of its root inside
/// `<g fill="color">` (the first `<title>` child put back before it), as
/// PHP's `DOMDocument::saveXML` writes it.
pub fn variantize(svg: &[u8], color: &str) -> Result<Vec<u8>, String> {
    let mut doc = Document::parse(svg)?;
    let root = doc.root;
    let wrapper = doc.create_element_ns(SVG_NS, "g");
    let mut title = None;
    while let Some(&node) = doc.element(root).and_then(|e| e.children.first()) {
        if title.is_none() && doc.tag_name(node).as_deref() == Some("title") {
            title = Some(node);
        }
        doc.append_child(wrapper, node);
    }
    if let Some(title) = title {
        doc.append_child(root, title);
    }
    doc.append_child(root, wrapper);
    doc.set_attribute(wrapper, "fill", color);
    Ok(doc.serialize().into_bytes())
}

/// CSSMin::encodeStringAsDataURI (wikimedia/minify 2.x): every `<?xml…?>`
/// (on one line) removed; then, when only tab, CR, LF and printable ASCII
/// remain, URL-encoded with spaces, `/`, `:` and `=` kept readable, tab, CR
/// and LF as spaces, runs of spaces made one and the ends trimmed; anything
/// else base64 (of the contents without the declarations).
pub fn data_uri(contents: &[u8], mime: &str) -> String {
    let contents = strip_xml_declarations(contents);
    match super::remap::readable(&contents) {
        Some(encoded) => format!("data:{mime},{encoded}"),
        None => {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&contents);
            format!("data:{mime};base64,{b64}")
        }
    }
}

/// PHP's `preg_replace('/<\?xml.*?\?>/', '', $s)`: `.` is any byte but `\n`.
fn strip_xml_declarations(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(b"<?xml") {
            let body = &s[i + 5..];
            let close = body.windows(2).position(|w| w == b"?>");
            let line_end = body.iter().position(|&b| b == b'\n');
            if let Some(c) = close
                && line_end.is_none_or(|n| n > c)
            {
                i += 5 + c + 2;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(svg: &str) -> String {
        String::from_utf8(variantize(svg.as_bytes(), "#36c").unwrap()).unwrap()
    }

    #[test]
    fn children_go_into_a_group_and_the_title_stays() {
        assert_eq!(
            v(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\">\n\t<title>bold</title>\n\t<path d=\"M0\" />\n</svg>\n"
            ),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\"><title>bold</title><g fill=\"#36c\">\n\t\n\t<path d=\"M0\"/>\n</g></svg>\n"
        );
    }

    /// Each expected text is what PHP 8.2 with libxml2 2.9.14 gave.
    #[test]
    fn serializes_as_libxml2() {
        assert_eq!(
            v(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c1 -->\n<svg width=\"20\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns=\"http://www.w3.org/2000/svg\" a='x\"y' b=\"t\tn\nr\r&#10;&#9;&amp;&lt;&gt;&apos;é\">\r\n<title>T &amp; &lt;x&gt; é</title><g></g><path d=\"M0\"\n/><![CDATA[ a<b ]]><?pi x?><!--in--></svg>\n<!-- after -->"
            ),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c1 -->\n<svg xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" a=\"x&quot;y\" b=\"t n r &#10;&#9;&amp;&lt;&gt;'é\"><title>T &amp; &lt;x&gt; é</title><g fill=\"#36c\">\n<g/><path d=\"M0\"/><![CDATA[ a<b ]]><?pi x?><!--in--></g></svg>\n<!-- after -->\n"
        );
        assert_eq!(
            v(
                "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>é &#233; \r x</title><p a=\"é&#x9;\"/></svg>"
            ),
            "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><title>&#xE9; &#xE9; \n x</title><g fill=\"#36c\"><p a=\"&#xE9;&#9;\"/></g></svg>\n"
        );
        assert_eq!(
            v("<svg><title>x</title></svg>"),
            "<?xml version=\"1.0\"?>\n<svg><title>x</title><g xmlns=\"http://www.w3.org/2000/svg\" fill=\"#36c\"/></svg>\n"
        );
        assert_eq!(
            v(
                "<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"><svg:title>x</svg:title><svg:path/></svg:svg>"
            ),
            "<?xml version=\"1.0\"?>\n<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"><svg:g fill=\"#36c\"><svg:title>x</svg:title><svg:path/></svg:g></svg:svg>\n"
        );
        assert_eq!(
            v(
                "<?xml version=\"1.0\" standalone=\"no\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
            ),
            "<?xml version=\"1.0\" standalone=\"no\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg xmlns=\"http://www.w3.org/2000/svg\"><g fill=\"#36c\"/></svg>\n"
        );
    }

    #[test]
    fn refuses_what_is_not_well_formed() {
        for bad in [
            "<svg><path></svg>",
            "<svg a=\"1\"b=\"2\"/>",
            "<svg>&nbsp;</svg>",
            "<svg a=\"<\"/>",
            "<svg/><x/>",
            "<svg><!-- a -- b --></svg>",
            "",
        ] {
            assert!(variantize(bad.as_bytes(), "#000").is_err(), "{bad}");
        }
    }

    #[test]
    fn data_uris_as_cssmin_writes_them() {
        assert_eq!(
            data_uri(
                b"<?xml version=\"1.0\"?>\n<svg a=\"b\">\n\t<p d=\"M1,2\"/>  </svg>\n",
                "image/svg+xml"
            ),
            "data:image/svg+xml,%3Csvg a=%22b%22%3E %3Cp d=%22M1%2C2%22/%3E %3C/svg%3E"
        );
        // Non-ASCII: base64 of the text without its declaration.
        assert_eq!(
            data_uri("<?xml version=\"1.0\"?>é".as_bytes(), "image/svg+xml"),
            "data:image/svg+xml;base64,w6k="
        );
        // A declaration split by a newline is not one.
        assert_eq!(
            data_uri(b"<?xml\n?>", "image/svg+xml"),
            "data:image/svg+xml,%3C%3Fxml %3F%3E"
        );
        assert_eq!(data_uri(b"", "image/png"), "data:image/png;base64,");
    }
}
