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

struct Parser<'a, 'd> {
    s: &'a str,
    i: usize,
    doc: &'d mut Document,
    /// Namespace declarations in scope, innermost last.
    scope: Vec<NsId>,
}

impl Parser<'_, '_> {
    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {token:?}")))
        }
    }

    fn error(&self, what: &str) -> String {
        let line = self.s[..self.i].matches('\n').count() + 1;
        format!("not well-formed XML at line {line}: {what}")
    }

    /// Skips whitespace; whether there was any.
    fn space(&mut self) -> bool {
        let n = self
            .rest()
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        self.i += n;
        n > 0
    }

    fn name(&mut self) -> Result<String, String> {
        let n = self
            .rest()
            .char_indices()
            .find(|&(_, c)| !is_name_char(c))
            .map_or(self.rest().len(), |(i, _)| i);
        let name = self.rest()[..n].to_string();
        match name.chars().next() {
            Some(c) if is_name_start(c) => {
                self.i += n;
                Ok(name)
            }
            _ => Err(self.error("expected a name")),
        }
    }

    /// Text up to `end`, which is consumed.
    fn until(&mut self, end: &str, what: &str) -> Result<String, String> {
        match self.rest().find(end) {
            Some(n) => {
                let text = self.rest()[..n].to_string();
                if let Err(c) = text.chars().try_for_each(check_char) {
                    return Err(self.error(&format!("character {c:?} in {what}")));
                }
                self.i += n + end.len();
                Ok(text)
            }
            None => Err(self.error(&format!("unterminated {what}"))),
        }
    }

    fn add(&mut self, parent: Option<NodeId>, kind: Kind) -> NodeId {
        let id = self.doc.nodes.len();
        self.doc.nodes.push(Node { parent, kind });
        id
    }

    fn document(mut self) -> Result<(), String> {
        if self.rest().starts_with("<?xml") && self.rest()[5..].starts_with([' ', '\t', '\n']) {
            self.i += 5;
            let decl = self.until("?>", "XML declaration")?;
            for (key, value) in pseudo_attributes(&decl).map_err(|e| self.error(&e))? {
                match key.as_str() {
                    "version" => self.doc.version = value,
                    "encoding" => self.doc.encoding = Some(value),
                    "standalone" => self.doc.standalone = Some(value == "yes"),
                    _ => return Err(self.error(&format!("{key} in the XML declaration"))),
                }
            }
        }
        if let Some(enc) = &self.doc.encoding
            && !enc.eq_ignore_ascii_case("utf-8")
        {
            return Err(format!("encoding {enc:?}: rldev reads UTF-8 XML only"));
        }
        let mut doctype = false;
        loop {
            self.space();
            if self.rest().starts_with("<!DOCTYPE") {
                if doctype {
                    return Err(self.error("a second DOCTYPE"));
                }
                doctype = true;
                let kind = self.doctype()?;
                let id = self.add(None, kind);
                self.doc.prolog.push(id);
            } else if let Some(kind) = self.misc()? {
                let id = self.add(None, kind);
                self.doc.prolog.push(id);
            } else if self.rest().starts_with('<') {
                self.doc.root = self.element(None, 0)?;
                break;
            } else {
                return Err(self.error("no root element"));
            }
        }
        loop {
            self.space();
            if self.rest().is_empty() {
                return Ok(());
            }
            match self.misc()? {
                Some(kind) => {
                    let id = self.add(None, kind);
                    self.doc.epilog.push(id);
                }
                None => return Err(self.error("extra content after the root element")),
            }
        }
    }

    /// A comment or a processing instruction, if one starts here.
    fn misc(&mut self) -> Result<Option<Kind>, String> {
        if self.eat("<!--") {
            let text = self.until("-->", "comment")?;
            if text.contains("--") || text.ends_with('-') {
                return Err(self.error("`--` in a comment"));
            }
            return Ok(Some(Kind::Comment(text)));
        }
        if self.eat("<?") {
            let target = self.name()?;
            if target.eq_ignore_ascii_case("xml") {
                return Err(self.error("an XML declaration out of place"));
            }
            let data = if self.eat("?>") {
                String::new()
            } else if self.space() {
                self.until("?>", "processing instruction")?
            } else {
                return Err(self.error("a processing instruction's target"));
            };
            return Ok(Some(Kind::Pi(target, data)));
        }
        Ok(None)
    }

    fn doctype(&mut self) -> Result<Kind, String> {
        self.expect("<!DOCTYPE")?;
        if !self.space() {
            return Err(self.error("DOCTYPE without a name"));
        }
        let name = self.name()?;
        let spaced = self.space();
        let (mut public, mut system) = (None, None);
        if spaced && self.eat("PUBLIC") {
            self.space();
            public = Some(self.literal()?);
            self.space();
            system = Some(self.literal()?);
        } else if spaced && self.eat("SYSTEM") {
            self.space();
            system = Some(self.literal()?);
        }
        self.space();
        if self.eat("[") {
            let subset = self.until("]", "DOCTYPE")?;
            if !subset.trim().is_empty() {
                return Err("a DOCTYPE with an internal subset: rldev does not read DTDs".into());
            }
            self.space();
        }
        self.expect(">")?;
        Ok(Kind::Doctype {
            name,
            public,
            system,
        })
    }

    fn literal(&mut self) -> Result<String, String> {
        let quote = match self.rest().chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Err(self.error("expected a quoted literal")),
        };
        self.i += 1;
        self.until(&quote.to_string(), "literal")
    }

    /// The namespace in scope for `prefix` (`None`: the default one; an
    /// empty default URI undeclares it).
    fn lookup(&self, prefix: Option<&str>) -> Option<NsId> {
        let found = self
            .scope
            .iter()
            .rev()
            .copied()
            .find(|&d| self.doc.namespaces[d].prefix.as_deref() == prefix);
        match (prefix, found) {
            (Some("xml"), _) => Some(XML_NS),
            (None, Some(d)) if self.doc.namespaces[d].href.is_empty() => None,
            (_, found) => found,
        }
    }

    /// An element and its content; the name's prefix and the attributes'
    /// resolved as libxml2's SAX2 does (an undeclared prefix stays part of
    /// the name, with no namespace).
    fn element(&mut self, parent: Option<NodeId>, depth: usize) -> Result<NodeId, String> {
        if depth >= MAX_DEPTH {
            return Err(self.error("elements nested too deep"));
        }
        self.expect("<")?;
        let qname = self.name()?;
        let mut attributes: Vec<(String, String)> = Vec::new();
        let mut ns_defs = Vec::new();
        let empty = loop {
            let spaced = self.space();
            if self.eat("/>") {
                break true;
            }
            if self.eat(">") {
                break false;
            }
            if !spaced {
                return Err(self.error("attributes must be separated by whitespace"));
            }
            let key = self.name()?;
            self.space();
            self.expect("=")?;
            self.space();
            let value = self.attribute_value()?;
            if attributes.iter().any(|(k, _)| *k == key) {
                return Err(self.error(&format!("attribute {key} given twice")));
            }
            attributes.push((key, value));
        };
        let scope_len = self.scope.len();
        let mut plain = Vec::new();
        for (key, value) in attributes {
            let prefix = if key == "xmlns" {
                None
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                if p == "xml" {
                    continue;
                }
                Some(p.to_string())
            } else {
                plain.push((key, value));
                continue;
            };
            let id = self.doc.namespaces.len();
            self.doc.namespaces.push(Ns {
                prefix,
                href: value,
            });
            ns_defs.push(id);
            self.scope.push(id);
        }
        let (name, ns) = self.resolve(&qname, false);
        let attributes = plain
            .into_iter()
            .map(|(key, value)| {
                let (name, ns) = self.resolve(&key, true);
                Attribute { name, ns, value }
            })
            .collect();
        let id = self.add(
            parent,
            Kind::Element(Element {
                name,
                ns,
                ns_defs,
                attributes,
                children: Vec::new(),
            }),
        );
        if !empty {
            self.content(id, &qname, depth)?;
        }
        self.scope.truncate(scope_len);
        Ok(id)
    }

    /// A qualified name -> (local name, namespace); unprefixed attributes
    /// have none.
    fn resolve(&self, qname: &str, attribute: bool) -> (String, Option<NsId>) {
        match qname.split_once(':') {
            Some((prefix, local)) if !prefix.is_empty() && !local.is_empty() => {
                match self.lookup(Some(prefix)) {
                    Some(ns) => (local.to_string(), Some(ns)),
                    None => (qname.to_string(), None),
                }
            }
            _ if attribute => (qname.to_string(), None),
            _ => (qname.to_string(), self.lookup(None)),
        }
    }

    fn attribute_value(&mut self) -> Result<String, String> {
        let quote = match self.rest().chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => return Err(self.error("an attribute value must be quoted")),
        };
        self.i += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return Err(self.error("unterminated attribute value"));
            };
            match c {
                c if c == quote => {
                    self.i += 1;
                    return Ok(value);
                }
                '<' => return Err(self.error("`<` in an attribute value")),
                '&' => value.push(self.reference()?),
                '\t' | '\n' => {
                    self.i += 1;
                    value.push(' ');
                }
                c => {
                    check_char(c).map_err(|c| self.error(&format!("character {c:?}")))?;
                    self.i += c.len_utf8();
                    value.push(c);
                }
            }
        }
    }

    /// A character or predefined entity reference at `&`.
    fn reference(&mut self) -> Result<char, String> {
        self.expect("&")?;
        let Some(end) = self.rest().find(';') else {
            return Err(self.error("unterminated reference"));
        };
        let body = self.rest()[..end].to_string();
        let c = match body.as_str() {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => {
                let code = if let Some(hex) = body.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = body.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    return Err(self.error(&format!("entity &{body}; is not defined")));
                };
                code.and_then(char::from_u32)
                    .filter(|&c| check_char(c).is_ok())
            }
        };
        match c {
            Some(c) => {
                self.i += end + 1;
                Ok(c)
            }
            None => Err(self.error(&format!("invalid reference &{body};"))),
        }
    }

    fn content(&mut self, id: NodeId, qname: &str, depth: usize) -> Result<(), String> {
        let mut text = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return Err(self.error(&format!("element {qname} is not closed")));
            };
            if c == '&' {
                text.push(self.reference()?);
                continue;
            }
            if c != '<' {
                if self.rest().starts_with("]]>") {
                    return Err(self.error("`]]>` in text"));
                }
                check_char(c).map_err(|c| self.error(&format!("character {c:?}")))?;
                self.i += c.len_utf8();
                text.push(c);
                continue;
            }
            if !text.is_empty() {
                let t = self.add(Some(id), Kind::Text(std::mem::take(&mut text)));
                self.push_child(id, t);
            }
            if self.eat("</") {
                let name = self.name()?;
                if name != qname {
                    return Err(self.error(&format!("</{name}> closes <{qname}>")));
                }
                self.space();
                return self.expect(">");
            }
            let child = if self.eat("<![CDATA[") {
                let data = self.until("]]>", "CDATA section")?;
                self.add(Some(id), Kind::CData(data))
            } else if let Some(kind) = self.misc()? {
                self.add(Some(id), kind)
            } else if self.rest().starts_with("<!") {
                return Err(self.error("a declaration inside an element"));
            } else {
                self.element(Some(id), depth + 1)?
            };
            self.push_child(id, child);
        }
    }

    fn push_child(&mut self, parent: NodeId, child: NodeId) {
        if let Some(e) = self.doc.element_mut(parent) {
            e.children.push(child);
        }
    }
}

/// The `key="value"` pairs of an XML declaration.
fn pseudo_attributes(decl: &str) -> Result<Vec<(String, String)>, String> {
    let malformed = || "a malformed XML declaration".to_string();
    let mut out = Vec::new();
    let mut rest = decl.trim_start();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').ok_or_else(malformed)?;
        let after = after.trim_start();
        let quote = after
            .chars()
            .next()
            .filter(|q| matches!(q, '"' | '\''))
            .ok_or_else(malformed)?;
        let (value, tail) = after[1..].split_once(quote).ok_or_else(malformed)?;
        out.push((key.trim().to_string(), value.to_string()));
        rest = tail.trim_start();
    }
    Ok(out)
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':' || (!c.is_ascii() && !c.is_whitespace())
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || matches!(c, '-' | '.')
}

/// XML 1.0's `Char` production.
fn check_char(c: char) -> Result<(), char> {
    match c as u32 {
        0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF => Ok(()),
        _ => Err(c),
    }
}
