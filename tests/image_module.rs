//! Image modules (ImageModule, OOUIImageModule, OOUIIconPackModule) against
//! what MediaWiki 1.39 gives: the recolouring and data URIs of every SVG of
//! Debian's `mediawiki` package compared with PHP's own (skipped without
//! PHP or the package), and fixture modules whose expected CSS is
//! MediaWiki's load.php answer for them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rldev::build::svg;
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
