//! Compile isolation of `server.mjs`: runs `scripts/less-sequence.mjs`, random
//! sequences of compiles and file edits through one long-lived server process,
//! each compile compared with a fresh plain less.js process. The number of
//! compiles is the script's default unless `RLDEV_LESS_SEQUENCE_COUNT` is set
//! (the soak run sets thousands).

use std::process::Command;

#[test]
fn every_compile_of_the_long_lived_server_matches_a_fresh_less_process() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("node")
        .arg("scripts/less-sequence.mjs")
        .current_dir(root)
        .output()
        .expect("node must be installed to run the tests");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("less-sequence:"))
        .unwrap_or("");
    assert!(summary.ends_with(", 0 mismatches"), "{summary}");
}
