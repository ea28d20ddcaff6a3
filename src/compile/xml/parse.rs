//! The parser of `xml`: libxml2's `xmlParseDocument` with default options,
//! as far as SVG icons need it (see the folder's header for what is modelled
//! and what is refused).

use super::*;

pub(super) struct Parser<'a, 'd> {
    pub(super) s: &'a str,
    pub(super) i: usize,
    pub(super) doc: &'d mut Document,
    /// Namespace declarations in scope, innermost last.
    pub(super) scope: Vec<NsId>,
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

    pub(super) fn document(mut self) -> Result<(), String> {
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
