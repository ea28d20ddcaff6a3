//! Just enough of libxml2 2.9's DOM, as PHP 8.2's `DOMDocument` drives it,
//! to recolour an SVG exactly as MediaWiki does (see `svg.rs`): a parser
//! (`loadXML` with default options), `appendChild` with PHP's namespace
//! reconciliation, and the serializer (`saveXML`).
//!
//! What is modelled because it shows in the output: line ends made `\n`;
//! attribute values normalised (tab and newline as spaces) and written with
//! double quotes; namespace declarations written before the attributes;
//! empty elements as `<x/>`; references resolved and only `<`, `>`, `&`
//! (and in attributes `"`, tab, newline, carriage return) escaped; without a
//! declared encoding every non-ASCII character as `&#xHEX;`; elements and
//! attributes named by their namespace's prefix, and a node moved out of
//! the scope of a namespace it uses declaring it anew (libxml2's
//! `xmlReconciliateNs`). Refused with an error (libxml2 reads them; no icon
//! uses them): a DOCTYPE with an internal subset, an entity other than the
//! five predefined ones, an encoding other than UTF-8.

use std::fmt::Write as _;

mod parse;

use parse::Parser;

pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The `xml` prefix's namespace: always in scope, never declared.
const XML_NS: NsId = 0;
/// libxml2's default limit on element depth.
const MAX_DEPTH: usize = 256;

pub type NodeId = usize;
pub type NsId = usize;

pub struct Ns {
    pub prefix: Option<String>,
    pub href: String,
}

pub enum Kind {
    Element(Element),
    /// Character data, references resolved.
    Text(String),
    CData(String),
    Comment(String),
    Pi(String, String),
    Doctype {
        name: String,
        public: Option<String>,
        system: Option<String>,
    },
}

pub struct Element {
    /// The local name (the qualified name when its prefix is undeclared).
    pub name: String,
    pub ns: Option<NsId>,
    /// Namespace declarations on this element, in order.
    pub ns_defs: Vec<NsId>,
    pub attributes: Vec<Attribute>,
    pub children: Vec<NodeId>,
}

pub struct Attribute {
    pub name: String,
    pub ns: Option<NsId>,
    pub value: String,
}

pub struct Node {
    pub parent: Option<NodeId>,
    pub kind: Kind,
}

/// A parsed document: nodes and namespaces in arenas.
pub struct Document {
    version: String,
    encoding: Option<String>,
    standalone: Option<bool>,
    /// Comments, processing instructions and the DOCTYPE around the root.
    prolog: Vec<NodeId>,
    pub root: NodeId,
    epilog: Vec<NodeId>,
    pub nodes: Vec<Node>,
    pub namespaces: Vec<Ns>,
}

impl Document {
    /// `DOMDocument::loadXML` with default options; an error where libxml2
    /// would fail (or where rldev does not follow it, see the file's head).
    pub fn parse(bytes: &[u8]) -> Result<Document, String> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            format!(
                "not UTF-8 at byte {} (rldev reads UTF-8 XML only)",
                e.valid_up_to()
            )
        })?;
        // XML's end-of-line handling, before anything else.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut doc = Document {
            version: "1.0".into(),
            encoding: None,
            standalone: None,
            prolog: Vec::new(),
            root: 0,
            epilog: Vec::new(),
            nodes: Vec::new(),
            namespaces: vec![Ns {
                prefix: Some("xml".into()),
                href: XML_NAMESPACE.into(),
            }],
        };
        Parser {
            s: &text,
            i: 0,
            doc: &mut doc,
            scope: Vec::new(),
        }
        .document()?;
        Ok(doc)
    }

    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.nodes[id].kind {
            Kind::Element(e) => Some(e),
            _ => None,
        }
    }

    fn element_mut(&mut self, id: NodeId) -> Option<&mut Element> {
        match &mut self.nodes[id].kind {
            Kind::Element(e) => Some(e),
            _ => None,
        }
    }

    /// The qualified name as written out (`tagName`).
    pub fn tag_name(&self, id: NodeId) -> Option<String> {
        let e = self.element(id)?;
        Some(self.qualified(e.ns, &e.name))
    }

    fn qualified(&self, ns: Option<NsId>, name: &str) -> String {
        match ns.and_then(|n| self.namespaces[n].prefix.as_deref()) {
            Some(prefix) => format!("{prefix}:{name}"),
            None => name.to_string(),
        }
    }

    /// `createElementNS(uri, name)` (a name without prefix): a detached
    /// element in the namespace in scope, else declaring it itself.
    pub fn create_element_ns(&mut self, uri: &str, name: &str) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            parent: None,
            kind: Kind::Element(Element {
                name: name.to_string(),
                ns: None,
                ns_defs: Vec::new(),
                attributes: Vec::new(),
                children: Vec::new(),
            }),
        });
        let ns = self
            .search_ns_by_href(id, uri)
            .unwrap_or_else(|| self.new_ns(id, uri, None));
        self.element_mut(id).expect("an element").ns = Some(ns);
        id
    }

    /// `setAttribute(name, value)` of an attribute the element lacks.
    pub fn set_attribute(&mut self, id: NodeId, name: &str, value: &str) {
        if let Some(e) = self.element_mut(id) {
            e.attributes.push(Attribute {
                name: name.to_string(),
                ns: None,
                value: value.to_string(),
            });
        }
    }

    /// `DOMNode::appendChild` (PHP 8.2): `child` moved to the end of
    /// `parent`'s children, then PHP's `dom_reconcile_ns` on it.
    pub fn append_child(&mut self, parent: NodeId, child: NodeId) {
        if let Some(old) = self.nodes[child].parent
            && let Some(e) = self.element_mut(old)
        {
            e.children.retain(|&c| c != child);
        }
        self.nodes[child].parent = Some(parent);
        if let Some(e) = self.element_mut(parent) {
            e.children.push(child);
        }
        self.reconcile_moved(child);
    }

    /// PHP's `dom_reconcile_ns`: a declaration of the moved element that
    /// its new parent already has in scope (for a default one: the same
    /// URI under any prefix) is dropped, then `xmlReconciliateNs`.
    fn reconcile_moved(&mut self, node: NodeId) {
        let Some(e) = self.element(node) else {
            return;
        };
        let parent = self.nodes[node].parent;
        let defs = e.ns_defs.clone();
        let mut kept = Vec::new();
        for d in defs {
            let found = parent.and_then(|p| self.search_ns_by_href(p, &self.namespaces[d].href));
            let redundant = found.is_some_and(|f| {
                self.namespaces[d].prefix.is_none()
                    || self.namespaces[f].prefix == self.namespaces[d].prefix
            });
            if !redundant {
                kept.push(d);
            }
        }
        self.element_mut(node).expect("an element").ns_defs = kept;
        self.reconciliate_ns(node);
    }

    /// libxml2's `xmlReconciliateNs`: every namespace used in the subtree
    /// (elements' and attributes') bound to the one with its URI in scope
    /// at `tree`, else to a new declaration on `tree`.
    fn reconciliate_ns(&mut self, tree: NodeId) {
        let mut cache: Vec<(NsId, NsId)> = Vec::new();
        let mut stack = vec![tree];
        while let Some(node) = stack.pop() {
            let Some(e) = self.element(node) else {
                continue;
            };
            let mut used: Vec<Option<NsId>> = vec![e.ns];
            used.extend(e.attributes.iter().map(|a| a.ns));
            let children = e.children.clone();
            let mut mapped = Vec::with_capacity(used.len());
            for ns in used {
                mapped.push(ns.map(|old| {
                    if let Some(&(_, new)) = cache.iter().find(|(o, _)| *o == old) {
                        return new;
                    }
                    match self.new_reconciled_ns(tree, old) {
                        Some(new) => {
                            cache.push((old, new));
                            new
                        }
                        None => old,
                    }
                }));
            }
            let e = self.element_mut(node).expect("an element");
            e.ns = mapped[0];
            for (a, ns) in e.attributes.iter_mut().zip(&mapped[1..]) {
                a.ns = *ns;
            }
            stack.extend(children.into_iter().rev());
        }
    }

    /// libxml2's `xmlNewReconciledNs`.
    fn new_reconciled_ns(&mut self, tree: NodeId, ns: NsId) -> Option<NsId> {
        let href = self.namespaces[ns].href.clone();
        if let Some(def) = self.search_ns_by_href(tree, &href) {
            return Some(def);
        }
        let base: String = match &self.namespaces[ns].prefix {
            Some(p) => p.chars().take(20).collect(),
            None => "default".into(),
        };
        let mut prefix = base.clone();
        let mut counter = 1;
        while self.search_ns(tree, Some(&prefix)).is_some() {
            if counter > 1000 {
                return None;
            }
            prefix = format!("{base}{counter}");
            counter += 1;
        }
        Some(self.new_ns(tree, &href, Some(prefix)))
    }

    fn new_ns(&mut self, node: NodeId, href: &str, prefix: Option<String>) -> NsId {
        let id = self.namespaces.len();
        self.namespaces.push(Ns {
            prefix,
            href: href.to_string(),
        });
        if let Some(e) = self.element_mut(node) {
            e.ns_defs.push(id);
        }
        id
    }

    /// libxml2's `xmlSearchNsByHref`: the nearest declaration of `href`
    /// whose prefix is not shadowed below it (the `xml` one for its URI).
    fn search_ns_by_href(&self, node: NodeId, href: &str) -> Option<NsId> {
        if href == XML_NAMESPACE {
            return Some(XML_NS);
        }
        let orig = node;
        let mut cur = Some(node);
        while let Some(n) = cur {
            if let Some(e) = self.element(n) {
                let own = (orig != n).then_some(e.ns).flatten();
                for d in e.ns_defs.iter().copied().chain(own) {
                    let ns = &self.namespaces[d];
                    if ns.href == href && self.ns_in_scope(orig, n, ns.prefix.as_deref()) {
                        return Some(d);
                    }
                }
            }
            cur = self.nodes[n].parent;
        }
        None
    }

    /// libxml2's `xmlNsInScope`: no declaration of `prefix` between `node`
    /// and `ancestor` (`ancestor` excluded).
    fn ns_in_scope(&self, node: NodeId, ancestor: NodeId, prefix: Option<&str>) -> bool {
        let mut cur = Some(node);
        while let Some(n) = cur {
            if n == ancestor {
                return true;
            }
            if let Some(e) = self.element(n)
                && e.ns_defs
                    .iter()
                    .any(|&d| self.namespaces[d].prefix.as_deref() == prefix)
            {
                return false;
            }
            cur = self.nodes[n].parent;
        }
        false
    }

    /// libxml2's `xmlSearchNs`: the declaration in scope for `prefix`.
    fn search_ns(&self, node: NodeId, prefix: Option<&str>) -> Option<NsId> {
        if prefix == Some("xml") {
            return Some(XML_NS);
        }
        let orig = node;
        let mut cur = Some(node);
        while let Some(n) = cur {
            if let Some(e) = self.element(n) {
                let own = (orig != n).then_some(e.ns).flatten();
                if let Some(d) = e
                    .ns_defs
                    .iter()
                    .copied()
                    .chain(own)
                    .find(|&d| self.namespaces[d].prefix.as_deref() == prefix)
                {
                    return Some(d);
                }
            }
            cur = self.nodes[n].parent;
        }
        None
    }

    /// `DOMDocument::saveXML()` without options.
    pub fn serialize(&self) -> String {
        let ascii = self.encoding.is_none();
        let mut out = format!("<?xml version=\"{}\"", self.version);
        if let Some(enc) = &self.encoding {
            let _ = write!(out, " encoding=\"{enc}\"");
        }
        match self.standalone {
            Some(true) => out.push_str(" standalone=\"yes\""),
            Some(false) => out.push_str(" standalone=\"no\""),
            None => {}
        }
        out.push_str("?>\n");
        let top = self
            .prolog
            .iter()
            .chain(std::iter::once(&self.root))
            .chain(&self.epilog);
        for &node in top {
            self.write_node(&mut out, node, ascii);
            out.push('\n');
        }
        out
    }

    fn write_node(&self, out: &mut String, node: NodeId, ascii: bool) {
        match &self.nodes[node].kind {
            Kind::Element(e) => self.write_element(out, e, ascii),
            Kind::Text(t) => escape(out, t, false, ascii),
            Kind::CData(t) => {
                out.push_str("<![CDATA[");
                out.push_str(t);
                out.push_str("]]>");
            }
            Kind::Comment(t) => {
                out.push_str("<!--");
                out.push_str(t);
                out.push_str("-->");
            }
            Kind::Pi(target, data) => {
                out.push_str("<?");
                out.push_str(target);
                if !data.is_empty() {
                    out.push(' ');
                    out.push_str(data);
                }
                out.push_str("?>");
            }
            Kind::Doctype {
                name,
                public,
                system,
            } => {
                out.push_str("<!DOCTYPE ");
                out.push_str(name);
                if let Some(public) = public {
                    out.push_str(" PUBLIC ");
                    quoted(out, public);
                    out.push(' ');
                    quoted(out, system.as_deref().unwrap_or(""));
                } else if let Some(system) = system {
                    out.push_str(" SYSTEM ");
                    quoted(out, system);
                }
                out.push('>');
            }
        }
    }

    fn write_element(&self, out: &mut String, e: &Element, ascii: bool) {
        let name = self.qualified(e.ns, &e.name);
        out.push('<');
        out.push_str(&name);
        for &d in &e.ns_defs {
            let ns = &self.namespaces[d];
            match &ns.prefix {
                Some(p) => {
                    out.push_str(" xmlns:");
                    out.push_str(p);
                }
                None => out.push_str(" xmlns"),
            }
            out.push('=');
            quoted(out, &ns.href);
        }
        for a in &e.attributes {
            out.push(' ');
            out.push_str(&self.qualified(a.ns, &a.name));
            out.push_str("=\"");
            escape(out, &a.value, true, ascii);
            out.push('"');
        }
        if e.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for &child in &e.children {
            self.write_node(out, child, ascii);
        }
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
}

/// libxml2's `xmlBufWriteQuotedString`: double quotes, or single quotes
/// around a value holding `"`, the text unescaped.
fn quoted(out: &mut String, s: &str) {
    if !s.contains('"') {
        let _ = write!(out, "\"{s}\"");
    } else if !s.contains('\'') {
        let _ = write!(out, "'{s}'");
    } else {
        let _ = write!(out, "\"{}\"", s.replace('"', "&quot;"));
    }
}

/// Text or an attribute value as libxml2 escapes it; `ascii`: no encoding
/// declared, so non-ASCII characters become hexadecimal references.
fn escape(out: &mut String, s: &str, attribute: bool, ascii: bool) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if ascii && !c.is_ascii() => {
                let _ = write!(out, "&#x{:X};", c as u32);
            }
            c => out.push(c),
        }
    }
}
