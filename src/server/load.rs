//! load.php semantics (pure): packed module names, the request's parameters,
//! the caching decision and the JavaScript or CSS body.

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use super::live::{Rendered, Snapshot};
use crate::project::Context;
use crate::version;

/// Expands a packed `modules=` value (RESOURCELOADER.md §4.2, expandModuleNames).
pub fn expand(packed: &str) -> Vec<String> {
    let mut out = Vec::new();
    for group in packed.split('|') {
        if !group.contains(',') {
            out.push(group.to_string());
            continue;
        }
        match group.rfind('.') {
            None => out.extend(group.split(',').map(str::to_string)),
            Some(dot) => {
                let prefix = &group[..dot];
                out.extend(
                    group[dot + 1..]
                        .split(',')
                        .map(|suffix| format!("{prefix}.{suffix}")),
                );
            }
        }
    }
    out
}

/// Packs names as the client does (RESOURCELOADER.md §4.2, buildModulesString):
/// suffixes grouped by prefix in order of first appearance. Callers sort.
pub fn pack<S: AsRef<str>>(names: &[S]) -> String {
    let mut groups: IndexMap<&str, Vec<&str>> = IndexMap::new();
    for name in names {
        let name = name.as_ref();
        let (prefix, suffix) = match name.rfind('.') {
            Some(dot) => (&name[..dot], &name[dot + 1..]),
            None => ("", name),
        };
        groups.entry(prefix).or_default().push(suffix);
    }
    groups
        .iter()
        .map(|(prefix, suffixes)| {
            let joined = suffixes.join(",");
            if prefix.is_empty() {
                joined
            } else {
                format!("{prefix}.{joined}")
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// What `only=` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    All,
    Scripts,
    Styles,
}

/// The parameters of a `/load` request that change its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub modules: Vec<String>,
    pub only: Only,
    /// `Some` (even empty) when the request is versioned.
    pub version: Option<String>,
    pub debug: bool,
    /// `lang=`, `skin=`, `dir=` (what is not given is rldev.toml's).
    pub context: Context,
    /// Who reads the answer: rldev's own client, or a wiki's `mw.loader`
    /// (set by the proxy, never by the query).
    pub dialect: Dialect,
}

/// The loader an answer is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// rldev's client (`/startup`): `mw.loader.impl`.
    #[default]
    Rldev,
    /// A wiki's own loader behind the proxy: `mw.loader.impl` (MediaWiki
    /// 1.41 and later) or `mw.loader.implement` (1.39 and 1.40), and each
    /// module's CSS between two empty marker rules, so that the live client
    /// can find and replace exactly that module's rules in a stylesheet
    /// shared with other modules.
    Wiki { implement: bool },
}

impl Dialect {
    fn marks(self) -> bool {
        matches!(self, Dialect::Wiki { .. })
    }
}

/// The empty rule that opens (`begin`) or closes (`end`) a module's CSS in
/// an answer for a wiki's loader; the live client looks for these selectors.
pub fn css_mark(edge: &str, name: &str) -> String {
    let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
    format!("html[data-rldev=\"{edge} {quoted}\"]{{}}")
}

/// A module's CSS blocks as a wiki's loader gets them: marks around them,
/// unless the CSS opens with `@import` (which must stay first; the loader
/// gives it a stylesheet of its own, and the live client reloads instead).
fn marked(name: &str, css: &[String]) -> Vec<String> {
    let mut out = css.to_vec();
    if out.is_empty() || out[0].trim_start().starts_with("@import") {
        return out;
    }
    out[0] = format!("{}\n{}", css_mark("begin", name), out[0]);
    let last = out.len() - 1;
    out[last] = format!("{}\n{}", out[last], css_mark("end", name));
    out
}

impl Request {
    /// From query pairs, already percent-decoded.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Request {
        let mut r = Request {
            modules: Vec::new(),
            only: Only::All,
            version: None,
            debug: false,
            context: Context::default(),
            dialect: Dialect::Rldev,
        };
        for (key, value) in pairs {
            match key {
                "modules" if !value.is_empty() => r.modules = expand(value),
                "only" => {
                    r.only = match value {
                        "scripts" => Only::Scripts,
                        "styles" => Only::Styles,
                        _ => Only::All,
                    }
                }
                "version" => r.version = Some(value.to_string()),
                "debug" => r.debug = matches!(value, "true" | "1" | "2"),
                "lang" if !value.is_empty() => r.context.language = Some(value.to_string()),
                "skin" if !value.is_empty() => r.context.skin = Some(value.to_string()),
                "dir" => match value {
                    "rtl" => r.context.rtl = Some(true),
                    "ltr" => r.context.rtl = Some(false),
                    _ => {}
                },
                _ => {}
            }
        }
        r
    }
}

/// How a response may be cached (INTERFACE.md "Caching").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The version asked for is the current one and nothing is wrong: days, immutable.
    Long,
    /// Anything else: never stored.
    NoStore,
}

impl Caching {
    pub fn header(self) -> &'static str {
        match self {
            Caching::Long => "public, max-age=2592000, s-maxage=2592000, immutable",
            Caching::NoStore => "no-store",
        }
    }
}

/// What the server knows about the requested modules before building anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The combined version of the known modules, in request order.
    pub combined: String,
    pub etag: String,
    pub caching: Caching,
    /// Requested names the registry does not know.
    pub missing: Vec<String>,
    /// Requested modules in state `error`.
    pub errors: Vec<String>,
    /// Requested modules of the `private` group, which ResourceLoader never
    /// serves to a web request (a page embeds them).
    pub private: Vec<String>,
}

pub fn plan(req: &Request, snap: &Snapshot) -> Plan {
    let mut versions = Vec::new();
    let mut missing = Vec::new();
    let mut errors = Vec::new();
    let mut private = Vec::new();
    for name in &req.modules {
        match snap.registry.modules.get(name) {
            Some(entry) if entry.group.as_deref() == Some("private") => {
                private.push(name.clone());
            }
            Some(entry) => {
                versions.push(entry.version.as_str());
                if entry.error.is_some() {
                    errors.push(name.clone());
                }
            }
            None => missing.push(name.clone()),
        }
    }
    let combined = version::combined(versions);
    let faulty = !missing.is_empty() || !errors.is_empty() || !private.is_empty();
    let etag = if faulty {
        format!("W/\"{combined}_with_errors\"")
    } else {
        format!("W/\"{combined}\"")
    };
    let caching = match &req.version {
        Some(v) if *v == combined && !faulty && !req.debug => Caching::Long,
        _ => Caching::NoStore,
    };
    Plan {
        combined,
        etag,
        caching,
        missing,
        errors,
        private,
    }
}

/// ResourceLoader's refusal of private modules, first in the answer: a
/// comment, and in a script answer the same text on the console.
fn private_refusal(plan: &Plan, script: bool) -> String {
    if plan.private.is_empty() {
        return String::new();
    }
    let text = plan
        .private
        .iter()
        .map(|name| format!("Cannot build private module \"{name}\""))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut out = format!("/*\n{}\n*/\n", text.replace("*/", "* /"));
    if script {
        let _ = writeln!(
            out,
            "if (window.console && console.error) {{ console.error({}); }}",
            json(&text)
        );
    }
    out
}

/// Whether an `If-None-Match` value holds this ETag: `*`, or an entry of the
/// list equal to it by RFC 9110's weak comparison (`"x"` matches `W/"x"`).
pub fn not_modified(if_none_match: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.strip_prefix("W/").unwrap_or(t).to_string();
    let ours = opaque(etag);
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || opaque(t) == ours)
}

fn json<T: Serialize + ?Sized>(v: &T) -> String {
    let s = serde_json::to_string(v).expect("JSON values serialise");
    // As ResourceLoader: no raw `<`, `>`, `&` inside a script (JSON_HEX_TAG | JSON_HEX_AMP).
    s.replace('<', "\\u003C")
        .replace('>', "\\u003E")
        .replace('&', "\\u0026")
}

/// The `mw.loader.impl(...)` line of one module, trailing empty parts dropped;
/// with `only_script`, the script alone (as ResourceLoader answers
/// `only=scripts` for a module whose script is a package bundle). For a
/// wiki of MediaWiki 1.39 or 1.40, `mw.loader.implement(...)` with the
/// same parts but the deprecation notice, which those versions put inside
/// the script.
fn impl_line(name: &str, r: &Rendered, only_script: bool, debug: bool, dialect: Dialect) -> String {
    let script = match (&r.debug_script, debug) {
        (Some(d), true) => Some(d),
        _ => r.script.as_ref(),
    };
    let mut parts: Vec<String> = vec![
        json(&format!("{name}@{}", r.version)),
        script.cloned().unwrap_or_else(|| "null".into()),
    ];
    let empty = |s: &str| matches!(s, "null" | "{}" | "[]");
    let implement = dialect == Dialect::Wiki { implement: true };
    let call = |parts: &[String]| {
        if implement {
            format!("mw.loader.implement({});\n", parts.join(","))
        } else {
            format!(
                "mw.loader.impl(function(){{return[{}];}});\n",
                parts.join(",")
            )
        }
    };
    if only_script {
        return call(&parts);
    }
    let styles = if dialect.marks() {
        marked(name, &r.styles)
    } else {
        r.styles.clone()
    };
    parts.push(if styles.is_empty() {
        "{}".into()
    } else {
        format!("{{\"css\":{}}}", json(&styles))
    });
    parts.push(json(&r.messages));
    parts.push(json(&r.templates));
    if !implement {
        parts.push(match &r.deprecated {
            Some(d) => json(d),
            None => "null".into(),
        });
    }
    while parts.len() > 1 && empty(parts.last().expect("not empty")) {
        parts.pop();
    }
    call(&parts)
}

/// The JavaScript answer: one `impl` per built module in request order, the
/// part hashes for live reload, then the states of missing and broken modules.
pub fn script_body(req: &Request, snap: &Snapshot, plan: &Plan) -> String {
    let mut out = private_refusal(plan, true);
    let mut parts = IndexMap::new();
    let mut states: IndexMap<&str, &str> = IndexMap::new();
    for name in &plan.missing {
        states.insert(name, "missing");
    }
    for name in &req.modules {
        if plan.missing.contains(name) || plan.errors.contains(name) || plan.private.contains(name)
        {
            continue;
        }
        let Some(r) = snap.current(name) else {
            continue;
        };
        if req.only == Only::Scripts {
            // The script alone: raw when it is plain JavaScript (or none),
            // else the bundle in an `impl`; ready either way, as
            // ResourceLoader marks every module of an only=scripts answer.
            match (&r.plain_source, &r.script) {
                (Some(src), _) => {
                    out.push_str(src);
                    out.push('\n');
                }
                (None, Some(_)) => out.push_str(&impl_line(name, r, true, req.debug, req.dialect)),
                (None, None) => {}
            }
            states.insert(name, "ready");
            continue;
        }
        out.push_str(&impl_line(name, r, false, req.debug, req.dialect));
        parts.insert(name.as_str(), &r.parts);
    }
    if !parts.is_empty() {
        let _ = writeln!(
            out,
            "mw.loader.rldev&&mw.loader.rldev.parts({});",
            json(&parts)
        );
    }
    for name in &plan.errors {
        states.insert(name, "error");
    }
    if !states.is_empty() {
        let _ = writeln!(out, "mw.loader.state({});", json(&states));
    }
    if req.dialect.marks() && !plan.errors.is_empty() {
        // The live client's overlay (proxy mode) learns of broken modules as
        // the page asks for them.
        let broken: IndexMap<&str, &str> = plan
            .errors
            .iter()
            .map(|name| {
                let message = snap
                    .registry
                    .modules
                    .get(name)
                    .and_then(|e| e.error.as_deref());
                (name.as_str(), message.unwrap_or("error"))
            })
            .collect();
        let _ = writeln!(
            out,
            "mw.loader.rldev&&mw.loader.rldev.errors&&mw.loader.rldev.errors({});",
            json(&broken)
        );
    }
    for name in &plan.errors {
        let message = snap
            .registry
            .modules
            .get(name)
            .and_then(|e| e.error.clone())
            .unwrap_or_default();
        let text = format!("rldev: module {name} is in error: {message}");
        let _ = writeln!(
            out,
            "/* {} */\nif(window.console&&console.error){{console.error({});}}",
            text.replace("*/", "* /"),
            json(&text)
        );
    }
    if req.modules.is_empty() {
        out.push_str("/* rldev: no modules were requested. */\n");
    }
    out
}

/// The CSS answer (`only=styles`): each module's CSS, after a comment naming
/// modules that could not be delivered.
pub fn styles_body(req: &Request, snap: &Snapshot, plan: &Plan) -> String {
    let mut out = private_refusal(plan, false);
    if !plan.missing.is_empty() || !plan.errors.is_empty() {
        let mut problems: IndexMap<&str, &str> = IndexMap::new();
        for n in &plan.missing {
            problems.insert(n, "missing");
        }
        for n in &plan.errors {
            problems.insert(n, "error");
        }
        let _ = writeln!(
            out,
            "/* Problematic modules: {} */",
            json(&problems).replace("*/", "* /")
        );
    }
    for name in &req.modules {
        if plan.errors.contains(name) || plan.private.contains(name) {
            continue;
        }
        if let Some(r) = snap.current(name) {
            let styles = if req.dialect.marks() {
                marked(name, &r.styles)
            } else {
                r.styles.clone()
            };
            for css in &styles {
                out.push_str(css);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wikis_loader_gets_each_modules_css_between_marks() {
        let css = vec![
            ".a{color:red}".to_string(),
            "@media print{.a{color:#000}}".to_string(),
        ];
        assert_eq!(
            marked("ext.\"q\"", &css),
            [
                "html[data-rldev=\"begin ext.\\\"q\\\"\"]{}\n.a{color:red}",
                "@media print{.a{color:#000}}\nhtml[data-rldev=\"end ext.\\\"q\\\"\"]{}"
            ]
        );
        // An @import must stay first: no marks (the client reloads instead).
        let imports = vec!["@import url(x.css);.a{}".to_string()];
        assert_eq!(marked("ext.a", &imports), imports);
        assert!(marked("ext.a", &[]).is_empty());
    }

    #[test]
    fn expands_packed_names_as_resourceloader() {
        assert_eq!(
            expand("foo|foo.baz,bar|baz.quux"),
            ["foo", "foo.baz", "foo.bar", "baz.quux"]
        );
        assert_eq!(expand("jquery,mediawiki.util"), ["jquery,mediawiki.util"]);
        assert_eq!(expand("a,b"), ["a", "b"]);
        assert_eq!(expand("foo|"), ["foo", ""]);
        assert_eq!(expand("foo.bar,"), ["foo.bar", "foo."]);
        assert_eq!(
            expand("ext.demo.a,b|jquery"),
            ["ext.demo.a", "ext.demo.b", "jquery"]
        );
    }

    #[test]
    fn packs_names_as_the_client() {
        assert_eq!(
            pack(&["foo", "foo.baz", "baz.quux", "foo.bar"]),
            "foo|foo.baz,bar|baz.quux"
        );
        assert_eq!(
            pack(&["ext.demo.a", "ext.demo.b", "jquery"]),
            "ext.demo.a,b|jquery"
        );
        let names = ["a.b.c", "a.b.d", "x", "y"];
        assert_eq!(expand(&pack(&names)), names);
    }

    #[test]
    fn if_none_match_is_a_weak_list_match() {
        assert!(not_modified("W/\"abc\"", "W/\"abc\""));
        assert!(not_modified("\"abc\"", "W/\"abc\""));
        assert!(not_modified("\"zz\", \"abc\"", "W/\"abc\""));
        assert!(not_modified("\"x\", W/\"abc\"", "W/\"abc\""));
        assert!(!not_modified("W/\"abcd\"", "W/\"abc\""));
        assert!(!not_modified("W/\"abc_with_errors\"", "W/\"abc\""));
    }
}
