//! The startup module (the client, the registry as `register` entries, the
//! live connection) and the development page (pure).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::live::Snapshot;
use crate::registry::Entry;

/// The browser client: loader, live reload, error overlay.
pub const CLIENT_JS: &str = concat!(
    include_str!("client/loader.js"),
    include_str!("client/common.js"),
    include_str!("client/live.js"),
    include_str!("client/mw.js")
);

/// `register` entries as RESOURCELOADER.md §3.2: `[name, version, deps, group,
/// source, skip]`, dependencies as indexes when registered here, trailing
/// empty values dropped, for a page of `target` (`desktop`, `mobile`).
pub fn register_entries(snap: &Snapshot, target: &str) -> Vec<Value> {
    // As ResourceLoader's startup module: modules of the `noscript` group
    // are left out (only HTML uses them, never the loader), so are those
    // whose targets lack the page's when core filters by target, and a
    // dependency implied by another dependency is dropped.
    let reg: Vec<(&String, &Entry)> = snap
        .registry
        .modules
        .iter()
        .filter(|(_, e)| e.group.as_deref() != Some("noscript"))
        .filter(|(n, _)| snap.registered_for(n, target))
        .collect();
    let index: HashMap<&str, usize> = reg
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let direct: HashMap<&str, &[String]> = reg
        .iter()
        .map(|(n, e)| (n.as_str(), e.dependencies.as_slice()))
        .collect();
    let mut implied = Implied::new(&direct);
    let mut groups: HashMap<&str, usize> = HashMap::from([("user", 0), ("private", 1)]);
    let mut entries = Vec::with_capacity(reg.len());
    for (name, e) in reg {
        let deps: Vec<Value> = implied
            .unresolved(&e.dependencies)
            .iter()
            .map(|d| index.get(d).map_or_else(|| json!(d), |i| json!(i)))
            .collect();
        let group = e.group.as_deref().map(|g| {
            let next = groups.len();
            *groups.entry(g).or_insert(next)
        });
        let skip = snap.current(name).and_then(|r| r.skip_function.clone());
        let mut entry = vec![
            json!(name),
            json!(e.version),
            json!(deps),
            json!(group),
            Value::Null,
            json!(skip),
        ];
        while entry.len() > 2
            && entry
                .last()
                .is_some_and(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty))
        {
            entry.pop();
        }
        entries.push(Value::Array(entry));
    }
    entries
}

/// ResourceLoader's registry optimisation (StartUpModule's
/// compileUnresolvedDependencies): of a module's dependencies, those that
/// another of them already brings, directly or not, are left out; a cycle
/// leaves the list as it is.
struct Implied<'a> {
    direct: &'a HashMap<&'a str, &'a [String]>,
    /// Every module each one brings, once known (None: part of a cycle).
    all: HashMap<&'a str, Option<Vec<&'a str>>>,
}

impl<'a> Implied<'a> {
    fn new(direct: &'a HashMap<&'a str, &'a [String]>) -> Implied<'a> {
        Implied {
            direct,
            all: HashMap::new(),
        }
    }

    fn unresolved(&mut self, deps: &'a [String]) -> Vec<&'a str> {
        let mut out: Vec<&str> = deps.iter().map(String::as_str).collect();
        for dep in deps {
            match self.brought_by(dep, &mut Vec::new()) {
                Some(brought) => out.retain(|d| !brought.contains(d)),
                None => return deps.iter().map(String::as_str).collect(),
            }
        }
        out
    }

    /// Everything `name` brings; None when a cycle is reached.
    fn brought_by(&mut self, name: &'a str, path: &mut Vec<&'a str>) -> Option<Vec<&'a str>> {
        if let Some(known) = self.all.get(name) {
            return known.clone();
        }
        let Some(deps) = self.direct.get(name).copied() else {
            return Some(Vec::new()); // unknown here: only an optimisation
        };
        path.push(name);
        let mut flat: Vec<&str> = deps.iter().map(String::as_str).collect();
        for dep in deps {
            if path.contains(&dep.as_str()) {
                path.pop();
                return None;
            }
            let Some(more) = self.brought_by(dep, path) else {
                path.pop();
                return None;
            };
            flat.extend(more);
        }
        path.pop();
        self.all.insert(name, Some(flat.clone()));
        Some(flat)
    }
}

fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003C")
        .replace('>', "\\u003E")
        .replace('&', "\\u0026")
}

/// `GET /startup`: the client, every module registered, the live connection started.
pub fn startup_js(snap: &Snapshot, target: &str) -> String {
    let errors: serde_json::Map<String, Value> = snap
        .registry
        .modules
        .iter()
        .filter_map(|(n, e)| e.error.as_ref().map(|m| (n.clone(), json!(m))))
        .collect();
    let start = json!({
        "seq": snap.registry.seq,
        "ws": "/ws",
        "errors": errors,
    });
    format!(
        "{CLIENT_JS}\nmw.loader.register({});\nmw.loader.rldev.start({});\n",
        script_json(&Value::Array(register_entries(snap, target))),
        script_json(&start)
    )
}

/// `GET /`: a page that loads `modules` (every module when empty) and stays
/// live. As a MediaWiki page would: `noscript` modules come as a stylesheet
/// link (the loader does not know them), `private` ones are left out (a
/// page embeds them; load.php refuses them).
pub fn page_html(snap: &Snapshot, modules: &[String]) -> String {
    let names: Vec<&str> = if modules.is_empty() {
        snap.registry.modules.keys().map(String::as_str).collect()
    } else {
        modules.iter().map(String::as_str).collect()
    };
    let group = |name: &str| {
        snap.registry
            .modules
            .get(name)
            .and_then(|e| e.group.as_deref())
    };
    let (noscript, loaded): (Vec<&str>, Vec<&str>) = names
        .into_iter()
        .filter(|n| group(n) != Some("private"))
        .partition(|n| group(n) == Some("noscript"));
    let links: String = noscript
        .iter()
        .map(|n| {
            format!(
                "<link rel=\"stylesheet\" href=\"/load?modules={}&amp;only=styles\">\n",
                percent_encode(n)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>rldev</title>\n\
         {links}<script src=\"/startup\"></script>\n</head>\n<body>\n\
         <script>mw.loader.load({});</script>\n</body>\n</html>\n",
        script_json(&json!(loaded))
    )
}

/// A module name as a query value (names are ASCII without spaces in
/// practice; anything else is escaped).
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
