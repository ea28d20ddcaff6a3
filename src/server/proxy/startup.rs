//! The wiki's startup module, rewritten: in its `mw.loader.register([...])`
//! each of rldev's modules carries rldev's version (so the page fetches
//! exactly what changed, at URLs that name it), modules of rldev's manifests
//! that the wiki does not load are added, and rldev's live client follows
//! the call. Never cached: rldev's versions move with every edit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{CLIENT_JS, OWN_PREFIX, Proxy, forward};

/// What the live client shares with rldev's standalone client.
const COMMON_JS: &str = include_str!("../client/common.js");
use crate::server::AppState;
use crate::server::live::Snapshot;

/// The registration call, as the startup module ends (the loader's own code
/// before it calls `register` with one name).
const REGISTER: &str = "mw.loader.register([";

/// Whether a startup module's loader takes `mw.loader.implement` (MediaWiki
/// 1.39 and 1.40) rather than `mw.loader.impl` (1.41 and later).
pub fn uses_implement(js: &str) -> bool {
    !(js.contains("impl:function") || js.contains("impl: function"))
}

/// What the client needs besides the wiki's page.
pub struct Settings<'a> {
    pub load_php: &'a str,
    pub skin: &'a str,
    pub language: &'a str,
    /// The startup request's `target=` (`desktop` unless given).
    pub target: &'a str,
}

/// The rewritten script and the wiki's own versions (of modules rldev does
/// not own), or `None` when the script has no `register` call to rewrite.
pub fn rewrite(
    js: &str,
    snap: &Snapshot,
    settings: &Settings,
) -> Option<(String, HashMap<String, String>)> {
    let start = js.rfind(REGISTER)? + REGISTER.len() - 1;
    let mut stream = serde_json::Deserializer::from_str(&js[start..]).into_iter::<Value>();
    let mut entries = match stream.next()? {
        Ok(Value::Array(entries)) => entries,
        _ => return None,
    };
    let end = start + stream.byte_offset();
    let rest = js[end..].strip_prefix(");")?;
    let mut wiki = HashMap::new();
    let mut seen = HashSet::new();
    for entry in &mut entries {
        let Some(fields) = entry.as_array_mut() else {
            continue;
        };
        let (Some(name), Some(version)) = (
            fields.first().and_then(Value::as_str).map(str::to_string),
            fields.get(1).and_then(Value::as_str).map(str::to_string),
        ) else {
            continue;
        };
        let es6 = version.ends_with('!');
        match snap
            .registry
            .modules
            .get(&name)
            .filter(|_| snap.builds(&name))
        {
            Some(mine) => {
                fields[1] = json!(format!("{}{}", mine.version, if es6 { "!" } else { "" }));
            }
            None => {
                wiki.insert(name.clone(), version.trim_end_matches('!').to_string());
            }
        }
        seen.insert(name);
    }
    for (name, e) in &snap.registry.modules {
        if seen.contains(name)
            || !snap.builds(name)
            || e.group.as_deref() == Some("noscript")
            || !snap.registered_for(name, settings.target)
        {
            continue;
        }
        // Dependencies by name (the loader resolves numbers only).
        let group = match e.group.as_deref() {
            Some("user") => json!(0),
            Some("private") => json!(1),
            _ => Value::Null,
        };
        entries.push(json!([name, e.version, e.dependencies, group]));
    }
    let parts: serde_json::Map<String, Value> = snap
        .registry
        .modules
        .keys()
        .filter_map(|n| snap.current(n).map(|r| (n.clone(), json!(r.parts))))
        .collect();
    let errors: serde_json::Map<String, Value> = snap
        .registry
        .modules
        .iter()
        .filter(|(n, _)| snap.builds(n))
        .filter_map(|(n, e)| e.error.as_ref().map(|m| (n.clone(), json!(m))))
        .collect();
    let client = CLIENT_JS.replace("__RLDEV_COMMON__", COMMON_JS).replace(
        "__RLDEV__",
        &script_json(&json!({
            "ws": format!("{OWN_PREFIX}/ws"),
            "seq": snap.registry.seq,
            "errors": errors,
            "parts": parts,
            // Modules that need PHP: the wiki's, whatever rldev's registry says.
            "wiki": snap.php_only.iter().collect::<Vec<_>>(),
            "load": settings.load_php,
            "skin": settings.skin,
            "lang": settings.language,
        })),
    );
    let out = format!(
        "{}{});\n{client}\n{rest}",
        &js[..start],
        script_json(&Value::Array(entries)),
    );
    Some((out, wiki))
}

fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003C")
        .replace('>', "\\u003E")
        .replace('&', "\\u0026")
}

/// `load.php?modules=startup…`: the wiki's, rewritten.
pub async fn answer(state: &AppState, proxy: &Arc<Proxy>, req: Request, ours: &str) -> Response {
    let _ = ours;
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let fetched = match proxy.fetch(&path, req.headers()).await {
        Ok(f) => f,
        Err(e) => return forward::wiki_down(&proxy.upstream, &e),
    };
    let text = String::from_utf8_lossy(&fetched.body).into_owned();
    if fetched.status != StatusCode::OK {
        return (fetched.status, [(header::CACHE_CONTROL, "no-store")], text).into_response();
    }
    let snap = state.ready_snapshot().await;
    let configured = snap.contexts.as_ref().map(|c| c.configured().clone());
    let configured = configured.unwrap_or_default();
    let load_php = proxy.upstream.load_php();
    let target = path
        .split_once('?')
        .into_iter()
        .flat_map(|(_, q)| q.split('&'))
        .find_map(|pair| pair.strip_prefix("target="))
        .unwrap_or("desktop")
        .to_string();
    let settings = Settings {
        load_php: &load_php,
        skin: configured.skin.as_deref().unwrap_or(""),
        language: configured.language.as_deref().unwrap_or(""),
        target: &target,
    };
    let implement = uses_implement(&text);
    let body = match rewrite(&text, &snap, &settings) {
        Some((js, versions)) => {
            proxy.learn(versions, implement);
            js
        }
        None => {
            tracing::warn!(
                "proxy: the wiki's startup module has no mw.loader.register([...]) call; rldev's versions are not in it"
            );
            text
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use indexmap::IndexMap;

    use super::*;
    use crate::registry::{Entry, Registry, State};

    fn entry(version: &str, deps: &[&str], error: Option<&str>) -> Entry {
        Entry {
            version: version.into(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            group: None,
            state: if error.is_some() {
                State::Error
            } else {
                State::Ready
            },
            error: error.map(str::to_string),
            files: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// rldev builds `ext.a` and `ext.new`; `ext.php` needs PHP.
    fn snapshot() -> Snapshot {
        let mut modules = IndexMap::new();
        modules.insert("ext.a".to_string(), entry("AAAAAAAA", &[], None));
        modules.insert(
            "ext.new".to_string(),
            entry("NNNNNNNN", &["ext.a", "jquery"], None),
        );
        modules.insert(
            "ext.php".to_string(),
            entry("PPPPPPPP", &[], Some("needs PHP")),
        );
        Snapshot {
            ready: true,
            registry: Arc::new(Registry { seq: 4, modules }),
            php_only: Arc::new(["ext.php".to_string()].into()),
            targets: None,
            ..Snapshot::default()
        }
    }

    const STARTUP: &str = "(function(){var mw={loader:{implement:function(){},\
        register:function(m){}}};mw.loader.register(name);\
        mw.loader.register([[\"jquery\",\"abcde\"],[\"ext.a\",\"x1y2z!\",[0]],[\"ext.php\",\"q9q9q\"]]);\
        mw.config.set(window.RLCONF||{});}());";

    #[test]
    fn rldevs_versions_replace_the_wikis_and_its_new_modules_follow() {
        let settings = Settings {
            load_php: "/w/load.php",
            skin: "vector",
            language: "en",
            target: "desktop",
        };
        let (js, wiki) = rewrite(STARTUP, &snapshot(), &settings).unwrap();
        // ext.a: rldev's version, the ES6 mark kept; jquery and ext.php: the
        // wiki's; ext.new: added, its dependencies by name.
        assert!(js.contains(
            "mw.loader.register([[\"jquery\",\"abcde\"],[\"ext.a\",\"AAAAAAAA!\",[0]],\
             [\"ext.php\",\"q9q9q\"],[\"ext.new\",\"NNNNNNNN\",[\"ext.a\",\"jquery\"],null]]);\n"
        ));
        // The one-name call of the loader's own code is left alone.
        assert!(js.contains("mw.loader.register(name);"));
        // The live client follows the call, the rest of the script after it.
        let client = js.find("rldev's live client").unwrap();
        assert!(client > js.find("[\"ext.new\"").unwrap());
        assert!(js.ends_with("mw.config.set(window.RLCONF||{});}());"));
        assert!(js.contains("\"wiki\":[\"ext.php\"]"));
        let mut wiki: Vec<_> = wiki.into_iter().collect();
        wiki.sort();
        assert_eq!(
            wiki,
            [
                ("ext.php".to_string(), "q9q9q".to_string()),
                ("jquery".to_string(), "abcde".to_string())
            ]
        );
        assert_eq!(
            rewrite("mw.loader.register(x);", &snapshot(), &settings),
            None
        );
    }

    #[test]
    fn the_loader_dialect_comes_from_the_startup_module() {
        assert!(uses_implement(
            "mw.loader={implement:function(module,script){}}"
        ));
        assert!(!uses_implement("mw.loader={impl:function(declarator){}}"));
        assert!(!uses_implement(
            "mw.loader = { impl: function ( declarator ) {} }"
        ));
    }

    /// With a core that registers by target, a module rldev adds follows
    /// the wiki request's `target=`, as the wiki's own modules do.
    #[test]
    fn added_modules_follow_the_requests_target() {
        let mut snap = snapshot();
        let only_mobile = [("ext.new".to_string(), vec!["mobile".to_string()])];
        snap.targets = Some(Arc::new(only_mobile.into_iter().collect()));
        let rewritten = |target: &str| {
            let settings = Settings {
                load_php: "/w/load.php",
                skin: "vector",
                language: "en",
                target,
            };
            rewrite(STARTUP, &snap, &settings).unwrap().0
        };
        assert!(!rewritten("desktop").contains("\"ext.new\""));
        assert!(rewritten("mobile").contains("[\"ext.new\",\"NNNNNNNN\""));
    }
}
