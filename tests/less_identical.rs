//! The parse cache in `server.mjs` must give CSS byte-identical to plain
//! less.js: runs `scripts/less-identical.mjs` (fixtures, a synthetic tree, and
//! less.js's published test inputs when npm can fetch them).

use std::process::Command;

#[test]
fn parse_cache_output_is_identical_to_plain_less() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("node")
        .arg("scripts/less-identical.mjs")
        .current_dir(root)
        .env("RLDEV_LESS_BENCH_MODULES", "0")
        .output()
        .expect("node must be installed to run the tests");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.contains("passed"))
        .unwrap_or("");
    assert!(last.ends_with(" 0 failed"), "{last}");
}
