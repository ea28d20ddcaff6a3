//! Vue single-file components in `packageFiles`, split as ResourceLoader's
//! `VueComponentParser` splits them: the `<script>` becomes the package
//! file's script with `module.exports.template` appended, the `<template>`'s
//! HTML is re-serialized (minified outside debug mode), and the `<style>`
//! (CSS or Less) joins the module's stylesheet.
//!
//! Parsing is HTML5's (html5ever), as RemexHtml's is on MediaWiki's side, so
//! tag and attribute names are lower-cased and a self-closed `<foo />` that is
//! not a void element stays open: the template MediaWiki gives is the one a
//! browser would build.

use std::cell::Cell;

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts, create_element};
use html5ever::{LocalName, QualName, TokenizerResult, local_name, ns};
use markup5ever_rcdom::{Handle, NodeData, RcDom};

/// A component's parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The `<script>`'s text, trimmed.
    pub script: String,
    /// The `<template>`'s HTML, minified (comments dropped, whitespace collapsed).
    pub template: String,
    /// The `<template>`'s HTML as written (for `debug` requests).
    pub template_debug: String,
    /// The `<style>`'s text, trimmed, and whether it is Less.
    pub style: Option<(String, bool)>,
}

impl Component {
    /// The package file's script: the component's script, then its template
    /// (as ResourceLoader writes it, PHP's `json_encode` and all).
    pub fn script(&self, debug: bool) -> String {
        let template = if debug {
            debug_layout(&php_json_string(&self.template_debug))
        } else {
            php_json_string(&self.template)
        };
        format!("{};\nmodule.exports.template = {template};", self.script)
    }
}

/// Splits a `.vue` file; the error says what is wrong with it.
pub fn parse(source: &str) -> Result<Component, String> {
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(source);
    let head = child_element(&dom.document, &local_name!("html"))
        .and_then(|html| child_element(&html, &local_name!("head")))
        .ok_or("the parsed file has no <head>")?;
    let mut script = None;
    let mut template = false;
    let mut style = None;
    for node in head.children.borrow().iter() {
        let NodeData::Element { name, attrs, .. } = &node.data else {
            continue;
        };
        let tag = &*name.local;
        if !matches!(tag, "script" | "template" | "style") {
            continue;
        }
        let attrs = attrs.borrow();
        let seen = match tag {
            "script" => script.is_some(),
            "template" => template,
            _ => style.is_some(),
        };
        if seen {
            return Err(format!("more than one <{tag}> tag"));
        }
        let allowed: &[&str] = if tag == "style" { &["lang"] } else { &[] };
        if let Some(a) = attrs.iter().find(|a| !allowed.contains(&&*a.name.local)) {
            return Err(format!(
                "<{tag}> may not have the {} attribute",
                a.name.local
            ));
        }
        match tag {
            "script" => script = Some(php_trim(&text_content(node)).to_string()),
            "template" => template = true,
            _ => {
                let lang = attrs
                    .iter()
                    .find(|a| &*a.name.local == "lang")
                    .map_or("css", |a| &*a.value);
                let less = match lang {
                    "css" => false,
                    "less" => true,
                    other => {
                        return Err(format!(
                            "<style lang=\"{other}\"> is invalid, lang must be \"css\" or \"less\""
                        ));
                    }
                };
                style = Some((php_trim(&text_content(node)).to_string(), less));
            }
        }
    }
    let script = script.ok_or("no <script> tag found")?;
    if !template {
        return Err("no <template> tag found".into());
    }
    let (template, template_debug) = template_html(source)?;
    Ok(Component {
        script,
        template,
        template_debug,
        style,
    })
}

fn child_element(parent: &Handle, tag: &LocalName) -> Option<Handle> {
    parent
        .children
        .borrow()
        .iter()
        .find(|n| matches!(&n.data, NodeData::Element { name, .. } if name.local == *tag))
        .cloned()
}

fn text_content(node: &Handle) -> String {
    let mut out = String::new();
    for child in node.children.borrow().iter() {
        match &child.data {
            NodeData::Text { contents } => out.push_str(&contents.borrow()),
            NodeData::Element { .. } => out.push_str(&text_content(child)),
            _ => {}
        }
    }
    out
}

/// PHP's `trim`: spaces, tabs, newlines, carriage returns, NUL and vertical tabs.
fn php_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
}

/// The `<template>`'s contents, parsed as a fragment in a `<template>`
/// context from the tokens between the first top-level `<template>` and its
/// end tag (RemexHtml's filtering dispatcher): everything else in the file is
/// tokenized but never reaches the tree. Minified, then as written.
fn template_html(source: &str) -> Result<(String, String), String> {
    let sink = RcDom::default();
    let context = create_element(
        &sink,
        QualName::new(None, ns!(html), local_name!("template")),
        Vec::new(),
    );
    let builder = TreeBuilder::new_for_fragment(sink, context, None, TreeBuilderOpts::default());
    let filter = Filter {
        inner: builder,
        depth: Cell::new(0),
        seen: Cell::new(false),
        twice: Cell::new(false),
    };
    let tokenizer = Tokenizer::new(filter, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(source));
    while let TokenizerResult::Script(_) = tokenizer.feed(&input) {}
    tokenizer.end();
    if tokenizer.sink.twice.get() {
        return Err("more than one <template> tag".into());
    }
    // Serialized while the tree lives: dropping an RcDom empties its nodes.
    let dom = &tokenizer.sink.inner.sink;
    let root =
        child_element(&dom.document, &local_name!("html")).ok_or("no <template> tag found")?;
    let html = |minify| php_trim(&children_html(&root, minify)).to_string();
    Ok((html(true), html(false)))
}

/// Passes on only the tokens inside the outermost `<template>` element.
struct Filter {
    inner: TreeBuilder<Handle, RcDom>,
    depth: Cell<u32>,
    seen: Cell<bool>,
    twice: Cell<bool>,
}

impl TokenSink for Filter {
    type Handle = Handle;

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<Handle> {
        let inside = self.depth.get() > 0;
        match &token {
            Token::TagToken(tag) if tag.name == local_name!("template") => match tag.kind {
                TagKind::StartTag => {
                    if !inside && self.seen.get() {
                        self.twice.set(true);
                    }
                    self.depth.set(self.depth.get() + 1);
                    self.seen.set(true);
                    if !inside {
                        return TokenSinkResult::Continue;
                    }
                }
                TagKind::EndTag => {
                    self.depth.set(self.depth.get().saturating_sub(1));
                    if self.depth.get() == 0 {
                        return TokenSinkResult::Continue;
                    }
                }
            },
            Token::EOFToken => return self.inner.process_token(token, line),
            Token::DoctypeToken(_) | Token::ParseError(_) => return TokenSinkResult::Continue,
            _ if !inside => return TokenSinkResult::Continue,
            _ => {}
        }
        self.inner.process_token(token, line)
    }

    fn end(&self) {
        self.inner.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "menuitem", "meta", "param", "source", "track", "wbr",
];
const PREFIX_LF: &[&str] = &["pre", "textarea", "listing"];
const RAW_TEXT: &[&str] = &[
    "style",
    "script",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
    "noscript",
];

/// A node's children as RemexHtml's `HtmlFormatter` writes them; `minify`
/// drops comments, collapses whitespace runs to a space and trims each
/// element's contents, except directly inside `<pre>`, `<textarea>`, `<listing>`.
fn children_html(node: &Handle, minify: bool) -> String {
    let (in_html, parent_name) = match &node.data {
        NodeData::Element { name, .. } => (name.ns == ns!(html), name.local.to_string()),
        _ => (true, String::new()),
    };
    let keeps_space = in_html && PREFIX_LF.contains(&parent_name.as_str());
    let raw = in_html && RAW_TEXT.contains(&parent_name.as_str());
    let template_contents = match &node.data {
        NodeData::Element {
            template_contents, ..
        } => template_contents.borrow().clone(),
        _ => None,
    };
    let holder = template_contents.as_ref().unwrap_or(node);
    let mut out = String::new();
    for child in holder.children.borrow().iter() {
        match &child.data {
            NodeData::Text { contents } => {
                let text = contents.borrow();
                let text = if minify && !keeps_space {
                    super::collapse_runs(&text, |c| matches!(c, ' ' | '\r' | '\n' | '\t'))
                } else {
                    text.to_string()
                };
                if raw {
                    out.push_str(&text);
                } else {
                    escape(&text, false, &mut out);
                }
            }
            NodeData::Comment { contents } if !minify => {
                out.push_str("<!--");
                out.push_str(contents);
                out.push_str("-->");
            }
            NodeData::Element { name, attrs, .. } => {
                let tag = &*name.local;
                let html = name.ns == ns!(html);
                out.push('<');
                out.push_str(tag);
                for a in attrs.borrow().iter() {
                    out.push(' ');
                    if let Some(prefix) = &a.name.prefix {
                        out.push_str(prefix);
                        out.push(':');
                    }
                    out.push_str(&a.name.local);
                    out.push_str("=\"");
                    escape(&a.value, true, &mut out);
                    out.push('"');
                }
                out.push('>');
                if html && VOID.contains(&tag) {
                    continue;
                }
                let mut contents = children_html(child, minify);
                if minify && !(html && PREFIX_LF.contains(&tag)) {
                    contents = contents.trim_matches([' ', '\r', '\n', '\t']).to_string();
                }
                if html && PREFIX_LF.contains(&tag) && contents.starts_with('\n') {
                    out.push('\n');
                }
                out.push_str(&contents);
                out.push_str("</");
                out.push_str(tag);
                out.push('>');
            }
            _ => {}
        }
    }
    out
}

fn escape(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            '"' if attribute => out.push_str("&quot;"),
            '<' if !attribute => out.push_str("&lt;"),
            '>' if !attribute => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// A string as PHP's `json_encode` writes it with no flags: `/` escaped,
/// everything outside ASCII as `\uXXXX`.
pub fn php_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e && c != '\u{7f}' => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// ResourceLoader's debug layout of an encoded template: each `\n` not after
/// a backslash becomes a space and a line continuation, each `\t` a tab.
fn debug_layout(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = String::with_capacity(encoded.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'n') && (i == 0 || bytes[i - 1] != b'\\')
        {
            out.push_str(" \\\n");
            i += 2;
        } else {
            let c = encoded[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out.replace("\\t", "\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SFC: &str = "<template>\n  <div class=\"a\" @click=\"go\" :itemCount=\"n\">\n    <!-- note -->\n    <cdx-icon :icon=\"i\" />   <span>x &amp; y</span>\n    <pre>\n\n kept  </pre>\n  </div>\n</template>\n\n<script>\n// @vue/component\nmodule.exports = { name: 'A' };\n</script>\n\n<style lang=\"less\">\n.a { color: red; }\n</style>\n";

    #[test]
    fn splits_a_component() {
        let c = parse(SFC).unwrap();
        assert_eq!(
            c.script,
            "// @vue/component\nmodule.exports = { name: 'A' };"
        );
        assert_eq!(c.style, Some((".a { color: red; }".into(), true)));
        // Names lower-cased; `<cdx-icon />` is not void, so it holds what follows.
        assert_eq!(
            c.template,
            "<div class=\"a\" @click=\"go\" :itemcount=\"n\"><cdx-icon :icon=\"i\"><span>x &amp; y</span> <pre>\n\n kept  </pre></cdx-icon></div>"
        );
        assert_eq!(
            c.template_debug,
            "<div class=\"a\" @click=\"go\" :itemcount=\"n\">\n    <!-- note -->\n    <cdx-icon :icon=\"i\">   <span>x &amp; y</span>\n    <pre>\n\n kept  </pre>\n  </cdx-icon></div>"
        );
    }

    #[test]
    fn script_carries_the_template_as_resourceloader_writes_it() {
        let c = Component {
            script: "module.exports = {};".into(),
            template: "<p>é</p>".into(),
            template_debug: "<p>\n\té</p>".into(),
            style: None,
        };
        assert_eq!(
            c.script(false),
            "module.exports = {};;\nmodule.exports.template = \"<p>\\u00e9<\\/p>\";"
        );
        assert_eq!(
            c.script(true),
            "module.exports = {};;\nmodule.exports.template = \"<p> \\\n\t\\u00e9<\\/p>\";"
        );
    }

    #[test]
    fn refuses_what_resourceloader_refuses() {
        let no_template = "<script>x</script>";
        assert_eq!(parse(no_template).unwrap_err(), "no <template> tag found");
        let two = "<template><p></p></template><template></template><script>x</script>";
        assert_eq!(parse(two).unwrap_err(), "more than one <template> tag");
        let scoped = "<template><p></p></template><script>x</script><style scoped>a{}</style>";
        assert_eq!(
            parse(scoped).unwrap_err(),
            "<style> may not have the scoped attribute"
        );
        let sass = "<template><p></p></template><script>x</script><style lang=\"scss\"></style>";
        assert!(parse(sass).unwrap_err().contains("lang must be"));
    }
}
