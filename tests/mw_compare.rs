//! rldev against the real MediaWiki: Debian's `mediawiki` package (1.39)
//! served by `scripts/mw-wiki`, and `rldev serve` on the same bundled
//! extensions and skins. For every module both register it compares the
//! startup registry (dependencies, group), the `only=styles` CSS, and the
//! script, messages and templates of the `mw.loader.implement` form, in
//! three request contexts (vector/en, `lang=he`, `skin=monobook`). Prints
//! a table and every difference; fails on a difference that
//! `tests/mw_compare_known.toml` does not list, and on a listed one that is
//! gone. Skipped (with a line saying so) without MediaWiki or PHP.
//! `scripts/mw-compare` runs it with the output shown.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::mw::{self, Registered, Wiki};
use common::serve::Server;
use serde::Deserialize;
use serde_json::Value;

const KNOWN: &str = "tests/mw_compare_known.toml";
/// The skin both sides build for (MediaWiki's `skin=`, rldev's `skin`).
const SKIN: &str = "vector";
/// The request parameters of every load.php request (without `lang=`
/// MediaWiki answers in qqx).
const MW_QUERY: &str = "skin=vector&lang=en";
/// Every module's first build, less.js included, on a busy machine.
const READY_WITHIN: Duration = Duration::from_secs(180);

/// What is compared; `Error` and `Only` are a module's, not a part's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// rldev registers the module but cannot build it (state `error`).
    Error,
    /// Registered by one side only.
    Only,
    Registry,
    Styles,
    Scripts,
    Messages,
    Templates,
}

const PARTS: [Kind; 5] = [
    Kind::Registry,
    Kind::Styles,
    Kind::Scripts,
    Kind::Messages,
    Kind::Templates,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Error => "error",
            Kind::Only => "only",
            Kind::Registry => "registry",
            Kind::Styles => "styles",
            Kind::Scripts => "scripts",
            Kind::Messages => "messages",
            Kind::Templates => "templates",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        [Kind::Error, Kind::Only]
            .into_iter()
            .chain(PARTS)
            .find(|k| k.name() == name)
    }
}

/// Every difference found: (module, kind) -> a short reason.
type Differences = BTreeMap<(String, Kind), String>;

#[test]
fn rldev_matches_mediawiki() {
    if let Some(why) = missing_mediawiki() {
        // Straight to stderr: the test harness would hold back a println!.
        let _ = writeln!(std::io::stderr(), "mw_compare: SKIPPED: {why}");
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();

    // The wiki with every bundled extension and skin, and one with none
    // (the names it registers are core's: the rest of the first wiki's
    // names come from extensions and skins).
    let core_dir = tmp.path().join("core");
    let core = std::thread::spawn(move || {
        Wiki::start(&core_dir, &["--extensions", "none", "--skins", "none"])
    });
    let fixture = fixture_extension();
    let wiki = Wiki::start(
        &tmp.path().join("wiki"),
        &["--extra-extension", fixture.to_str().unwrap()],
    );
    // Both started (or failed) before either can panic: each stops on drop.
    let core = core.join().unwrap();
    let (wiki, core) = match (wiki, core) {
        (Ok(wiki), Ok(core)) => (wiki, core),
        (Err(e), _) | (_, Err(e)) => panic!("{e}"),
    };

    let project = tmp.path().join("project");
    write_project(&project, &wiki.skipped);
    let rldev = Server::start(
        &project,
        &["rldev.toml"],
        0,
        &tmp.path().join("cache"),
        READY_WITHIN,
    );

    let startup = |w: &Wiki| {
        let js = w
            .load(&format!("modules=startup&only=scripts&raw=1&{MW_QUERY}"))
            .unwrap_or_else(|e| panic!("{e}"));
        mw::startup_registry(&js).unwrap_or_else(|e| panic!("{e}"))
    };
    let registered = startup(&wiki);
    let core_names: BTreeSet<String> = startup(&core).into_iter().map(|r| r.name).collect();
    drop(core);
    let registry: Value = serde_json::from_str(&rldev.get("/registry.json")).unwrap();
    let ours = registry["modules"].as_object().unwrap();

    // What rldev's own startup module registers (for a desktop page, as
    // the wiki's): the registry less what a startup leaves out.
    let our_startup =
        mw::startup_registry(&rldev.get("/startup")).unwrap_or_else(|e| panic!("{e}"));

    let mut found = Differences::new();
    let mw_names: BTreeSet<&str> = registered.iter().map(|r| r.name.as_str()).collect();
    for name in our_startup
        .iter()
        .map(|r| &r.name)
        .filter(|n| !mw_names.contains(n.as_str()))
    {
        let why = "registered by rldev only".to_string();
        found.insert((name.clone(), Kind::Only), why);
    }
    for r in &registered {
        if !ours.contains_key(&r.name) && !core_names.contains(&r.name) {
            let why = "registered by MediaWiki only (not core's: an extension's PHP)".to_string();
            found.insert((r.name.clone(), Kind::Only), why);
        }
    }
    let both: Vec<&str> = registered
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| ours.contains_key(*n))
        .collect();
    let mut ready = Vec::new();
    for name in &both {
        match ours[*name]["state"].as_str() {
            Some("ready") => ready.push(*name),
            _ => {
                let error = ours[*name]["error"].as_str().unwrap_or("(no message)");
                found.insert((name.to_string(), Kind::Error), error.to_string());
            }
        }
    }

    compare_registry(&registered, ours, &ready, &mut found);
    for context in contexts() {
        compare_styles_in(&wiki, &rldev, &ready, &mut found, context);
        compare_implement_in(&wiki, &rldev, &ready, &mut found, context);
    }

    print_report(&found, both.len(), ready.len());
    println!(
        "mw_compare: {} modules compared in {:.1} s",
        both.len(),
        started.elapsed().as_secs_f64()
    );
    check_known(&found);
}

/// rldev's own test extension, loaded by both sides: it uses what no
/// bundled extension of MediaWiki 1.39 does (Vue single-file components,
/// `CodexModule::getIcons`).
fn fixture_extension() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mw_fixtures/RldevFixture")
}

/// Why the comparison cannot run here, if it cannot.
fn missing_mediawiki() -> Option<String> {
    if !Path::new(mw::IP).join("includes/Defines.php").is_file() {
        return Some(format!(
            "no MediaWiki in {} (apt-get install mediawiki php-sqlite3 php-cli)",
            mw::IP
        ));
    }
    let php = std::process::Command::new("php")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    (!php).then(|| "no php on PATH (apt-get install php-cli php-sqlite3)".to_string())
}

/// An rldev project for what the wiki loads: an `rldev.toml` naming the
/// manifest of every bundled extension and skin the wiki loaded (absolute
/// paths), with the settings MediaWiki keeps in PHP: the skin, the language
/// and MediaWiki core (`core`: its Less import folder and its messages).
fn write_project(dir: &Path, skipped: &BTreeMap<String, String>) {
    std::fs::create_dir_all(dir).unwrap();
    let mut manifests = Vec::new();
    for (folder, manifest) in [("extensions", "extension.json"), ("skins", "skin.json")] {
        let real = Path::new(mw::IP).join(folder);
        let mut paths: Vec<String> = std::fs::read_dir(&real)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| real.join(n).join(manifest).is_file() && !skipped.contains_key(n))
            .map(|n| format!("  \"{}\",\n", real.join(n).join(manifest).display()))
            .collect();
        paths.sort();
        manifests.extend(paths);
    }
    let fixture = fixture_extension().join("extension.json");
    manifests.push(format!("  \"{}\",\n", fixture.display()));
    let toml = format!(
        "# Written by tests/mw_compare.rs: MediaWiki's bundled extensions and skins.\n\
         manifests = [\n{}]\n\
         skin = \"{SKIN}\"\n\
         language = \"en\"\n\
         core = \"{}\"\n",
        manifests.concat(),
        mw::IP
    );
    std::fs::write(dir.join("rldev.toml"), toml).unwrap();
}

/// Dependencies and group of each module. MediaWiki's startup lists
/// dependencies after removing those another dependency already brings
/// (transitively); rldev's direct list goes through the same reduction, on
/// MediaWiki's graph, before the two are compared as sets. MediaWiki writes
/// groups as numbers: 0 user, 1 private, then numbered in order of first
/// use; a number stands for the name rldev gives the first module with it.
fn compare_registry(
    registered: &[Registered],
    ours: &serde_json::Map<String, Value>,
    ready: &[&str],
    found: &mut Differences,
) {
    let graph: HashMap<&str, &[String]> = registered
        .iter()
        .map(|r| (r.name.as_str(), r.dependencies.as_slice()))
        .collect();
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(n) = todo.pop() {
            for d in graph.get(n.as_str()).copied().unwrap_or_default() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let mut group_names: HashMap<i64, Option<String>> = HashMap::from([
        (0, Some("user".to_string())),
        (1, Some("private".to_string())),
    ]);
    for r in registered
        .iter()
        .filter(|r| ready.contains(&r.name.as_str()))
    {
        let module = &ours[&r.name];
        let direct: Vec<String> = module["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_string))
            .collect();
        let reached: Vec<BTreeSet<String>> = direct.iter().map(|d| reach(d)).collect();
        let reduced: BTreeSet<&String> = direct
            .iter()
            .filter(|d| !reached.iter().any(|set| set.contains(*d)))
            .collect();
        let theirs: BTreeSet<&String> = r.dependencies.iter().collect();
        let mut reasons = Vec::new();
        if reduced != theirs {
            let only = |a: &BTreeSet<&String>, b: &BTreeSet<&String>| {
                a.difference(b)
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            reasons.push(format!(
                "dependencies: MediaWiki only [{}], rldev only [{}]",
                only(&theirs, &reduced),
                only(&reduced, &theirs)
            ));
        }
        let group = module["group"].as_str().map(str::to_string);
        let expected = match r.group {
            None => None,
            Some(id) => group_names
                .entry(id)
                .or_insert_with(|| group.clone())
                .clone(),
        };
        if group != expected {
            reasons.push(format!(
                "group: MediaWiki {} ({:?}), rldev {group:?}",
                r.group.map_or("null".to_string(), |g| g.to_string()),
                expected
            ));
        }
        if !reasons.is_empty() {
            found.insert((r.name.clone(), Kind::Registry), reasons.join("; "));
        }
    }
}

/// The other request contexts whose output is compared too, as
/// (MediaWiki's query, rldev's, the suffix of the module name in reports and
/// in tests/mw_compare_known.toml): a right-to-left language (styles flipped
/// by CSSJanus) and another skin (its skinStyles), which rldev builds on
/// demand.
const OTHER_CONTEXTS: &[(&str, &str, &str)] = &[
    ("skin=vector&lang=he", "&lang=he", " [lang=he]"),
    (
        "skin=monobook&lang=en",
        "&skin=monobook",
        " [skin=monobook]",
    ),
];

/// Every request context compared: the wiki's own, then `OTHER_CONTEXTS`.
fn contexts() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    std::iter::once((MW_QUERY, "", "")).chain(OTHER_CONTEXTS.iter().copied())
}

/// `only=styles`, one request per module on each side (the answer to a
/// batch is the modules' CSS joined with nothing to split it at), both
/// printed by lightningcss with their asset URLs named alike.
fn compare_styles_in(
    wiki: &Wiki,
    rldev: &Server,
    ready: &[&str],
    found: &mut Differences,
    (mw_query, our_query, suffix): (&str, &str, &str),
) {
    for name in ready {
        let module = mw::encode(name);
        let theirs = wiki.load(&format!("modules={module}&only=styles&{mw_query}"));
        let ours = rldev.get(&format!("/load?modules={module}&only=styles{our_query}"));
        let reason = match theirs {
            Err(e) => Some(format!("MediaWiki: {e}")),
            Ok(css) if css.contains("Problematic modules") => {
                Some(format!("MediaWiki: {}", first_line(&css)))
            }
            Ok(css) => {
                let theirs = mw::normalize_css(&css, "/w/");
                let ours = mw::normalize_css(&ours, "/");
                match (theirs, ours) {
                    (Ok(a), Ok(b)) => first_difference(&a, &b),
                    (Err(e), _) => Some(format!("lightningcss cannot read MediaWiki's CSS: {e}")),
                    (_, Err(e)) => Some(format!("lightningcss cannot read rldev's CSS: {e}")),
                }
            }
        };
        if let Some(reason) = reason {
            found.insert((format!("{name}{suffix}"), Kind::Styles), reason);
        }
    }
}

/// Scripts, messages and templates: one request per side for every module
/// in the `mw.loader.implement` form, unminified (`debug=2` on both sides:
/// MediaWiki 1.39 minifies otherwise, and `debug=1` answers with file
/// URLs), split per module by running the answer against a recording
/// `mw.loader` in Node. A script is compared as the text of its function
/// body (each package file's, and the data files as JSON) with the
/// whitespace at both ends trimmed: MediaWiki's debug wrapper adds a line.
/// Messages and templates compare as JSON objects (no object and an empty
/// one are the same).
fn compare_implement_in(
    wiki: &Wiki,
    rldev: &Server,
    ready: &[&str],
    found: &mut Differences,
    (mw_query, our_query, suffix): (&str, &str, &str),
) {
    let mut sorted = ready.to_vec();
    sorted.sort();
    let modules = mw::encode(&mw::pack(&sorted));
    let theirs = wiki
        .load(&format!("modules={modules}&debug=2&{mw_query}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let ours = rldev.get(&format!("/load?modules={modules}&debug=2{our_query}"));
    let theirs = mw::split_load(&theirs).unwrap_or_else(|e| panic!("MediaWiki's answer: {e}"));
    let ours = mw::split_load(&ours).unwrap_or_else(|e| panic!("rldev's answer: {e}"));
    for name in ready {
        let (Some(a), Some(b)) = (theirs.modules.get(*name), ours.modules.get(*name)) else {
            let side = |s: &mw::Split| match s.modules.contains_key(*name) {
                true => "implemented".to_string(),
                false => format!("state {:?}", s.states.get(*name)),
            };
            let why = format!(
                "MediaWiki: {} ({}); rldev: {}",
                side(&theirs),
                theirs
                    .errors
                    .join(" ")
                    .chars()
                    .take(200)
                    .collect::<String>(),
                side(&ours)
            );
            for kind in [Kind::Scripts, Kind::Messages, Kind::Templates] {
                found.insert((format!("{name}{suffix}"), kind), why.clone());
            }
            continue;
        };
        let compared = [
            (Kind::Scripts, script(&a["script"]), script(&b["script"])),
            (
                Kind::Messages,
                object(&a["messages"]),
                object(&b["messages"]),
            ),
            (
                Kind::Templates,
                object(&a["templates"]),
                object(&b["templates"]),
            ),
        ];
        for (kind, a, b) in compared {
            if let Some(reason) = value_difference(&a, &b) {
                found.insert((format!("{name}{suffix}"), kind), reason);
            }
        }
    }
}

/// A script as `mw_split.mjs` gives it, with function bodies trimmed.
fn script(v: &Value) -> Value {
    let mut v = v.clone();
    let trim = |f: &mut Value| {
        if let Some(body) = f.get_mut("body") {
            *body = Value::from(body.as_str().unwrap_or_default().trim());
        }
    };
    trim(&mut v);
    if let Some(files) = v.get_mut("files").and_then(Value::as_object_mut) {
        files.values_mut().for_each(trim);
    }
    v
}

fn object(v: &Value) -> Value {
    match v {
        Value::Null => Value::Object(Default::default()),
        v => v.clone(),
    }
}

/// Where two values differ: the first differing key of an object (its
/// path, and how many more keys differ), and within a string its first
/// differing bytes.
fn value_difference(a: &Value, b: &Value) -> Option<String> {
    if a == b {
        return None;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            let differing: Vec<String> = keys
                .into_iter()
                .filter_map(|k| match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => value_difference(p, q).map(|d| format!("{k}: {d}")),
                    (Some(_), None) => Some(format!("{k}: only in MediaWiki")),
                    (None, _) => Some(format!("{k}: only in rldev")),
                })
                .collect();
            let more = match differing.len() {
                0 | 1 => String::new(),
                n => format!(" (and {} more keys)", n - 1),
            };
            differing.first().map(|first| format!("{first}{more}"))
        }
        (Value::String(x), Value::String(y)) => first_difference(x, y),
        (a, b) => first_difference(&a.to_string(), &b.to_string()),
    }
}

/// The first differing bytes of two texts, with a little context.
fn first_difference(a: &str, b: &str) -> Option<String> {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or(a.len().min(b.len()));
    if a.len() == b.len() && at == a.len() {
        return None;
    }
    let from = floor(a, at.saturating_sub(25));
    let show = |s: &str| -> String {
        let s = &s[from.min(s.len())..];
        let s: String = s.chars().take(70).collect();
        format!("{:?}", s)
    };
    Some(format!(
        "at byte {at}: MediaWiki {} / rldev {}",
        show(a),
        show(b)
    ))
}

/// The largest char boundary of `s` at or below `i`.
fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn first_line(s: &str) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    line.chars().take(200).collect()
}

/// The table (one row per part compared) and every difference.
fn print_report(found: &Differences, both: usize, ready: usize) {
    let count = |kind: Kind| found.keys().filter(|(_, k)| *k == kind).count();
    let errors = count(Kind::Error);
    let only = count(Kind::Only);
    println!();
    println!(
        "{:<10} {:>8} {:>6} {:>9} {:>11} {:>11}",
        "kind", "compared", "equal", "different", "rldev error", "only in one"
    );
    for kind in PARTS {
        let different = count(kind);
        let only = match kind {
            Kind::Registry => only.to_string(),
            _ => "-".to_string(),
        };
        println!(
            "{:<10} {:>8} {:>6} {:>9} {:>11} {:>11}",
            kind.name(),
            both,
            ready - different,
            different,
            errors,
            only
        );
    }
    println!();
    for ((module, kind), reason) in found {
        println!("{:<9} {module}: {reason}", kind.name());
    }
    println!();
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFile {
    #[serde(default)]
    lessphp: Vec<Known>,
    #[serde(default)]
    todo: Vec<Known>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Known {
    kind: String,
    reason: String,
    modules: Vec<String>,
}

/// Fails on a difference the known file does not list, and on a listed one
/// that no longer differs.
fn check_known(found: &Differences) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KNOWN);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{KNOWN}: {e}"));
    let file: KnownFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{KNOWN}: {e}"));
    let mut known: BTreeMap<(String, Kind), &str> = BTreeMap::new();
    for (group, entries) in [("lessphp", &file.lessphp), ("todo", &file.todo)] {
        for entry in entries {
            let kind = Kind::parse(&entry.kind).unwrap_or_else(|| {
                panic!("{KNOWN}: [[{group}]] has an unknown kind {:?}", entry.kind)
            });
            for module in &entry.modules {
                let key = (module.clone(), kind);
                if known.insert(key, &entry.reason).is_some() {
                    panic!("{KNOWN}: {module} ({}) is listed twice", entry.kind);
                }
            }
        }
    }
    let new: Vec<String> = found
        .iter()
        .filter(|(key, _)| !known.contains_key(*key))
        .map(|((module, kind), reason)| format!("  {} {module}: {reason}", kind.name()))
        .collect();
    let gone: Vec<String> = known
        .iter()
        .filter(|(key, _)| !found.contains_key(*key))
        .map(|((module, kind), reason)| format!("  {} {module} ({reason})", kind.name()))
        .collect();
    let mut failures = Vec::new();
    if !new.is_empty() {
        failures.push(format!(
            "{} difference(s) from MediaWiki not listed in {KNOWN} (fix rldev, or list \
             them with a reason if they are expected):\n{}",
            new.len(),
            new.join("\n")
        ));
    }
    if !gone.is_empty() {
        failures.push(format!(
            "{} listed difference(s) no longer differ: delete them from {KNOWN}:\n{}",
            gone.len(),
            gone.join("\n")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn asset_urls_are_named_from_the_extension_folder() {
    let css =
        "a{b:url(/w/extensions/X/i.svg?12345)}c{d:url(\"/w/skins/Y/j k.png\")}e{f:url(/w/x.png)}";
    assert_eq!(
        mw::map_urls(css, "/w/"),
        "a{b:url(extensions/X/i.svg?12345)}c{d:url(\"skins/Y/j k.png\")}e{f:url(/w/x.png)}"
    );
}

#[test]
fn module_names_pack_by_their_last_dot() {
    assert_eq!(mw::pack(&["a.b.c", "a.b.d", "e", "f"]), "a.b.c,d|e,f");
}

#[test]
fn texts_differ_at_their_first_differing_byte() {
    assert_eq!(first_difference("same", "same"), None);
    assert_eq!(
        first_difference("a{color:red}", "a{color:blue}"),
        Some("at byte 8: MediaWiki \"a{color:red}\" / rldev \"a{color:blue}\"".to_string())
    );
}

#[test]
fn css_is_minified_as_mediawiki_does() {
    assert_eq!(
        mw::css_min("/*! licence */\n.a ,  .b {\n\tclip: rect( 1px, 2px );\n}\n/* x */ .c { }"),
        ".a ,.b{clip:rect(1px,2px)} .c{}"
    );
}

#[test]
fn registries_compare_after_mediawikis_reduction_and_by_group_name() {
    let entry = |name: &str, deps: &[&str], group: Option<i64>| Registered {
        name: name.to_string(),
        dependencies: deps.iter().map(|d| d.to_string()).collect(),
        group,
    };
    let registered = [
        entry("x", &["a", "t.m"], Some(2)),
        entry("y", &["b"], Some(2)),
        entry("z", &["a"], None),
        entry("a", &["b"], None),
        entry("b", &[], None),
        entry("t.m", &["t"], None),
    ];
    let ours = serde_json::json!({
        "x": {"dependencies": ["a", "b", "t"], "group": "g"},
        "y": {"dependencies": ["b"], "group": "h"},
        "z": {"dependencies": ["b", "a"], "group": null},
    });
    let mut found = Differences::new();
    compare_registry(
        &registered,
        ours.as_object().unwrap(),
        &["x", "y", "z"],
        &mut found,
    );
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|((m, _), reason)| (m.as_str(), reason.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("x", "dependencies: MediaWiki only [t.m], rldev only [t]"),
            ("y", "group: MediaWiki 2 (Some(\"g\")), rldev Some(\"h\")"),
        ]
    );
}
