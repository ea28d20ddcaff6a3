//! Image modules (ImageModule, OOUIImageModule, OOUIIconPackModule) against
//! what MediaWiki 1.39 gives: the recolouring and data URIs of every SVG of
//! Debian's `mediawiki` package compared with PHP's own (skipped without
//! PHP or the package), and fixture modules whose expected CSS is
//! MediaWiki's load.php answer for them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rldev::compile::{Built, build, svg};
use rldev::disk::DiskSource;
use rldev::files::FileStore;
use rldev::less::Unavailable;
use rldev::project::{Context, Inputs, Project};
use serde_json::Value;

const MEDIAWIKI: &str = "/usr/share/mediawiki";

fn svgs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            svgs_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "svg") {
            out.push(path);
        }
    }
}

/// Every SVG of MediaWiki core and its bundled extensions and skins, and
/// the fixtures here: recoloured (`Image::variantize`) and encoded as a data
/// URI (`CSSMin::encodeStringAsDataURI`) by rldev exactly as by PHP.
#[test]
fn svgs_are_recoloured_as_mediawiki_does() {
    let php_ok = Command::new("php")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !php_ok || !Path::new(MEDIAWIKI).join("includes").is_dir() {
        let _ = writeln!(
            std::io::stderr(),
            "image_module: SKIPPED: needs php and MediaWiki in {MEDIAWIKI}"
        );
        return;
    }
    let mut files = Vec::new();
    svgs_under(Path::new(MEDIAWIKI), &mut files);
    svgs_under(Path::new("tests/image_module"), &mut files);
    files.sort();
    assert!(files.len() > 100, "only {} SVGs found", files.len());
    let color = "#3\"6c";
    let mut php = Command::new("php")
        .args(["tests/image_module/variantize.php", color, MEDIAWIKI])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("php runs");
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let mut stdin = php.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
    let out = php.wait_with_output().expect("php answers");
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "php failed");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let php: Value = serde_json::from_str(line).unwrap();
        let file = php["file"].as_str().unwrap();
        let bytes = std::fs::read(file).unwrap();
        if svg::data_uri(&bytes, "image/svg+xml") != php["raw_uri"].as_str().unwrap() {
            failures.push(format!("{file}: data URI of the file differs"));
        }
        let ours = svg::variantize(&bytes, color);
        match (&ours, php.get("svg").and_then(Value::as_str)) {
            (Ok(ours), Some(theirs)) => {
                use base64::Engine;
                let theirs = base64::engine::general_purpose::STANDARD
                    .decode(theirs)
                    .unwrap();
                if *ours != theirs {
                    failures.push(format!(
                        "{file}: recoloured differently:\nPHP:   {}\nrldev: {}",
                        String::from_utf8_lossy(&theirs),
                        String::from_utf8_lossy(ours)
                    ));
                } else if svg::data_uri(ours, "image/svg+xml") != php["uri"].as_str().unwrap() {
                    failures.push(format!("{file}: data URI of the recoloured SVG differs"));
                }
            }
            (Err(e), Some(_)) => failures.push(format!("{file}: PHP reads it, rldev: {e}")),
            (Ok(_), None) => failures.push(format!("{file}: PHP refuses it, rldev reads it")),
            (Err(_), None) => {}
        }
        checked += 1;
    }
    assert_eq!(checked, files.len(), "PHP answered for every file");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The fixture extension's folder, its modules and the contexts each is
/// compared in: `expected/<module>.<lang>.css` is MediaWiki 1.39's answer to
/// `load.php?modules=<module>&only=styles&skin=vector&lang=<lang>` with the
/// extension installed (`scripts/mw-wiki start --extensions none --skins
/// Vector,MonoBook --extra-extension tests/image_module/ImageFixtures`).
const FIXTURES: &str = "tests/image_module";
const EXPECTED: &[(&str, &str)] = &[
    ("ext.imageFixtures.prefix", "en"),
    ("ext.imageFixtures.prefix", "he"),
    ("ext.imageFixtures.skins", "en"),
    ("ext.imageFixtures.selector", "en"),
    ("ext.imageFixtures.ooui", "en"),
    ("ext.imageFixtures.ooui", "he"),
    ("ext.imageFixtures.iconPack", "en"),
];

/// The fixture project for skin `vector` and `lang`, with MediaWiki core
/// when it is installed.
fn fixture_project(lang: &str) -> (PathBuf, Project) {
    let root = std::env::current_dir().unwrap().join(FIXTURES);
    let core = Path::new(MEDIAWIKI)
        .join("resources")
        .is_dir()
        .then(|| rldev::paths::relative_to(&root, Path::new(MEDIAWIKI)));
    let context = Context {
        skin: Some("vector".into()),
        language: Some(lang.into()),
        rtl: None,
    };
    let project = Project::load_in(
        &Inputs::Manifests(vec!["ImageFixtures".into()]),
        core.as_deref(),
        &context,
        &DiskSource::new(&root),
    )
    .unwrap();
    (root, project)
}

fn build_module(root: &Path, project: &Project, name: &str) -> Built {
    let def = project.modules.iter().find(|d| d.name == name).unwrap();
    let store = FileStore::new(Box::new(DiskSource::new(root)));
    build(
        def,
        &store,
        &mut Unavailable("image modules compile no Less".into()),
    )
}

/// load.php URLs and rldev's `/load` ones named alike, versions left out
/// (each side hashes its own way).
fn without_versions(css: &str) -> String {
    let css = css.replace("url(/w/load.php?", "url(/load?");
    let mut out = String::new();
    let mut rest = css.as_str();
    while let Some(at) = rest.find("&version=") {
        out.push_str(&rest[..at]);
        out.push_str("&version=V");
        let after = &rest[at + "&version=".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// rldev's CSS for each fixture module equals MediaWiki's, but for the
/// version in `/load` URLs; the icon pack only with MediaWiki core here.
#[test]
fn fixture_modules_give_mediawikis_css() {
    let mut failures = Vec::new();
    for (module, lang) in EXPECTED {
        let (root, project) = fixture_project(lang);
        let built = build_module(&root, &project, module);
        if module.ends_with("iconPack") && !Path::new(MEDIAWIKI).join("resources").is_dir() {
            assert!(built.error.unwrap().contains("needs MediaWiki core"));
            continue;
        }
        let css: String = built.output.styles.iter().map(|b| b.css.as_str()).collect();
        let expected =
            std::fs::read_to_string(root.join(format!("expected/{module}.{lang}.css"))).unwrap();
        let (ours, theirs) = (without_versions(&css), without_versions(&expected));
        if ours != theirs {
            let at = ours
                .bytes()
                .zip(theirs.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(theirs.len()));
            let around = |s: &str| s[at.saturating_sub(80)..(at + 80).min(s.len())].to_string();
            failures.push(format!(
                "{module} ({lang}) differs at byte {at}:\n  MediaWiki: {}\n  rldev:     {}",
                around(&theirs),
                around(&ours)
            ));
        }
        // `accent` asks for a variant the module lacks: MediaWiki ignores it.
        let expected_error = None::<String>;
        assert_eq!(built.error, expected_error, "{module} ({lang})");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The files a build read are exactly those of the context: the data file
/// and the image files the skin and language pick.
#[test]
fn a_build_reads_the_files_of_its_context() {
    let (root, project) = fixture_project("he");
    let built = build_module(&root, &project, "ext.imageFixtures.prefix");
    let files: Vec<&str> = built.reads.keys().map(String::as_str).collect();
    assert_eq!(
        files,
        [
            "ImageFixtures/images/accent.svg",
            "ImageFixtures/images/add.svg",
            "ImageFixtures/images/arrow-rtl.svg",
            "ImageFixtures/images/data.json",
            "ImageFixtures/images/dot.png",
            "ImageFixtures/images/flag-he.svg",
        ]
    );
    let (root, project) = fixture_project("en");
    let built = build_module(&root, &project, "ext.imageFixtures.skins");
    let files: Vec<&str> = built.reads.keys().map(String::as_str).collect();
    assert_eq!(
        files,
        [
            "ImageFixtures/images/accent.svg",
            "ImageFixtures/images/arrow-ltr.svg"
        ]
    );
}

/// Each image in each variant is kept for `/load?image=`: an SVG recoloured
/// as in its data URI, a PNG as it is.
#[test]
fn images_are_kept_for_load_image_requests() {
    let (root, project) = fixture_project("en");
    let built = build_module(&root, &project, "ext.imageFixtures.prefix");
    let images: Vec<(String, Option<String>)> = built
        .output
        .images
        .iter()
        .map(|i| (i.name.clone(), i.variant.clone()))
        .collect();
    let pair = |n: &str, v: Option<&str>| (n.to_string(), v.map(str::to_string));
    assert_eq!(
        images,
        [
            pair("add", None),
            pair("add", Some("invert")),
            pair("add", Some("progressive")),
            pair("arrow", None),
            pair("arrow", Some("invert")),
            pair("flag", None),
            pair("flag", Some("invert")),
            pair("dot", None),
            pair("dot", Some("invert")),
            pair("accent", None),
            pair("accent", Some("invert")),
            pair("accent", Some("destructive")),
        ]
    );
    let add = &built.output.images[2];
    assert_eq!(add.mime, "image/svg+xml");
    let text = String::from_utf8_lossy(&add.data);
    assert!(text.contains("<g fill=\"#36c\">"), "{text}");
    let dot = &built.output.images[7];
    assert_eq!(dot.mime, "image/png");
    assert_eq!(
        &*dot.data,
        std::fs::read(root.join("ImageFixtures/images/dot.png")).unwrap()
    );
}

/// `/load?modules=…&image=…` answers with the image from the module's
/// current output, the URLs its CSS holds included.
#[tokio::test]
async fn load_answers_image_requests() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use rldev::registry::{Entry, Registry, State};
    use rldev::server::live::Rendered;
    use rldev::server::{AppState, Snapshot, app};
    use std::collections::HashMap;
    use std::sync::Arc;
    use tower::ServiceExt;

    let module = "ext.imageFixtures.prefix";
    let (root, project) = fixture_project("en");
    let def = project.modules.iter().find(|d| d.name == module).unwrap();
    let built = build_module(&root, &project, module);
    let version = rldev::version::module_version(
        def,
        built.reads.iter().map(|(p, h)| (p.as_str(), h.as_ref())),
    );
    let entry = Entry {
        version: version.clone(),
        dependencies: Vec::new(),
        group: None,
        state: State::Ready,
        error: None,
        files: built.reads.keys().cloned().collect(),
        warnings: Vec::new(),
    };
    let snap = Snapshot {
        ready: true,
        registry: Arc::new(Registry {
            seq: 0,
            modules: [(module.to_string(), entry)].into_iter().collect(),
        }),
        outputs: Arc::new(HashMap::from([(
            module.to_string(),
            vec![Arc::new(Rendered::new(&version, &built))],
        )])),
        ..Snapshot::default()
    };
    let (tx, rx) = tokio::sync::watch::channel(Arc::new(snap));
    let state = AppState {
        snapshots: rx,
        hub: tokio::sync::broadcast::channel(8).0,
        hosts: Arc::from(["127.0.0.1".to_string()]),
        proxy: None,
    };
    let get = |uri: String, etag: Option<String>| {
        let router = app(state.clone());
        async move {
            let mut req = Request::builder()
                .uri(uri)
                .header(header::HOST, "127.0.0.1:8080");
            if let Some(etag) = etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            let res = router
                .oneshot(req.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let (status, headers) = (res.status(), res.headers().clone());
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, headers, body.to_vec())
        }
    };
    let image = |name: &str, variant: Option<&str>| {
        built
            .output
            .images
            .iter()
            .find(|i| i.name == name && i.variant.as_deref() == variant)
            .unwrap()
            .data
            .to_vec()
    };
    let header = |h: &axum::http::HeaderMap, k: header::HeaderName| {
        h.get(k).unwrap().to_str().unwrap().to_string()
    };

    // Every URL the CSS names answers with its image, cached long (its
    // version is the module's).
    let css = &built.output.styles[0].css;
    let urls: Vec<&str> = css
        .split("url(")
        .skip(1)
        .filter(|u| u.starts_with("/load?"))
        .map(|u| &u[..u.find(')').unwrap()])
        .collect();
    assert_eq!(urls.len(), 12, "a rasterized fallback URL per rule");
    for url in &urls {
        let (status, headers, _) = get(url.to_string(), None).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(
            header(&headers, header::CACHE_CONTROL).contains("immutable"),
            "{url}"
        );
    }
    let base = format!("/load?modules={module}");
    let (status, headers, body) = get(
        format!("{base}&image=add&variant=progressive&format=original"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CONTENT_TYPE), "image/svg+xml");
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-store");
    assert_eq!(
        header(&headers, header::CONTENT_DISPOSITION),
        "inline;filename*=UTF-8''add.svg"
    );
    assert_eq!(body, image("add", Some("progressive")));
    // Rasterized: the same SVG. An unknown variant: the image without one.
    let (_, _, body) = get(
        format!("{base}&image=add&variant=progressive&format=rasterized"),
        None,
    )
    .await;
    assert_eq!(body, image("add", Some("progressive")));
    let (_, _, body) = get(format!("{base}&image=add&variant=nope"), None).await;
    assert_eq!(body, image("add", None));
    let (status, headers, body) = get(format!("{base}&image=dot"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CONTENT_TYPE), "image/png");
    assert_eq!(body, image("dot", None));
    let etag = header(&headers, header::ETAG);
    let (status, _, body) = get(format!("{base}&image=dot"), Some(etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    let (status, headers, _) = get(format!("{base}&image=nope"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-store");
    let (status, _, _) = get(format!("{base},ext.other&image=add"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    drop(tx);
}

/// ImageModule takes no `dependencies` and no `group` from its definition
/// (ResourceLoader's Module stubs them): MediaWiki's startup lists
/// `ext.imageFixtures.selector` without the ones its definition names.
#[test]
fn an_image_module_has_no_dependencies_and_no_group() {
    let (_, project) = fixture_project("en");
    let def = project
        .modules
        .iter()
        .find(|d| d.name == "ext.imageFixtures.selector")
        .unwrap();
    assert!(def.dependencies.is_empty());
    assert_eq!(def.group, None);
}
