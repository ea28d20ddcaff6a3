//! The startup module (the client, the registry as `register` entries, the
//! live connection) and the development page (pure).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::live::Snapshot;

/// The browser client: loader, live reload, error overlay.
pub const CLIENT_JS: &str = include_str!("client.js");

/// `register` entries as RESOURCELOADER.md §3.2: `[name, version, deps, group,
/// source, skip]`, dependencies as indexes when registered here, trailing
/// empty values dropped.
pub fn register_entries(snap: &Snapshot) -> Vec<Value> {
    let reg = &snap.registry.modules;
    let index: HashMap<&str, usize> = reg
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut groups: HashMap<&str, usize> = HashMap::from([("user", 0), ("private", 1)]);
    let mut entries = Vec::with_capacity(reg.len());
    for (name, e) in reg {
        let deps: Vec<Value> = e
            .dependencies
            .iter()
            .map(|d| index.get(d.as_str()).map_or_else(|| json!(d), |i| json!(i)))
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

fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003C")
        .replace('>', "\\u003E")
        .replace('&', "\\u0026")
}

/// `GET /startup`: the client, every module registered, the live connection started.
pub fn startup_js(snap: &Snapshot) -> String {
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
        script_json(&Value::Array(register_entries(snap))),
        script_json(&start)
    )
}

/// `GET /`: a page that loads `modules` (every module when empty) and stays live.
pub fn page_html(snap: &Snapshot, modules: &[String]) -> String {
    let names: Vec<&str> = if modules.is_empty() {
        snap.registry.modules.keys().map(String::as_str).collect()
    } else {
        modules.iter().map(String::as_str).collect()
    };
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>rldev</title>\n\
         <script src=\"/startup\"></script>\n</head>\n<body>\n\
         <script>mw.loader.load({});</script>\n</body>\n</html>\n",
        script_json(&json!(names))
    )
}
