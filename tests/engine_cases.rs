//! Runs every `tests/cases/engine/*.case` against the pure engine: no
//! filesystem and no compiler. Contents are labels (`a.js=v2` means the file
//! now holds "v2"; `absent` means it is gone); builds are answered by the case.
//!
//! Steps:
//! - `start`: load the manifests written above into an engine;
//! - `files PATH=LABEL ...`: a settled batch of file changes;
//! - `built MODULE PATH=LABEL ... [via:PATH=STYLE] [error=TEXT] [transient=TEXT]`: answers
//!   the latest build request for MODULE (`via:` names the listed stylesheet an indirect file
//!   was reached through; `transient`: the compiler failed during the build);
//!   `built MODULE@previous ...` answers the one before (superseded);
//! - `retry`: the modules whose compiler failed are asked for again;
//! - `manifest PATH` with a body: the manifest changes and the project is reloaded;
//! - `expect diff` with a body: the diff of the last step, one line per fact
//!   (`changed M <- causes`, `added M`, `removed M`, `state M error|ready`),
//!   causes as `path`, `+found` or `-dropped`; an empty body means no diff;
//! - `expect builds M ...`: the modules the last step asked to build;
//! - `expect settled` / `expect version M same-as LABEL` / `mark LABEL`.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::Case;
use rldev::engine::{BuildFacts, BuildRequest, Engine, Outcome};
use rldev::files::{ContentHash, MemorySource};
use rldev::project::{Inputs, Project};
use rldev::registry::Cause;
use sha1::{Digest, Sha1};

fn content(label: &str) -> Option<ContentHash> {
    (label != "absent").then(|| Sha1::digest(label.as_bytes()).into())
}

fn render(out: &Outcome) -> Vec<String> {
    let d = &out.diff;
    let mut lines = Vec::new();
    for (m, c) in &d.changed {
        let causes: Vec<String> = c
            .causes
            .iter()
            .map(|c| match c {
                Cause::File(p) => p.clone(),
                Cause::Via { path, via } => format!("{path} via {via}"),
                Cause::Found(p) => format!("+{p}"),
                Cause::Dropped(p) => format!("-{p}"),
            })
            .collect();
        lines.push(format!("changed {m} <- {}", causes.join(" ")));
    }
    lines.extend(d.added.keys().map(|m| format!("added {m}")));
    lines.extend(d.removed.iter().map(|m| format!("removed {m}")));
    for (m, s) in &d.states {
        let state = serde_json::to_value(s.state).unwrap();
        lines.push(format!("state {m} {}", state.as_str().unwrap()));
    }
    lines.sort();
    lines
}

struct Run {
    source: MemorySource,
    engine: Option<Engine>,
    requests: HashMap<String, Vec<u64>>,
    last: Outcome,
    marks: HashMap<String, String>,
}

impl Run {
    fn engine(&mut self) -> &mut Engine {
        self.engine.as_mut().expect("`start` first")
    }

    fn take(&mut self, out: Outcome) {
        for BuildRequest { module, generation } in &out.builds {
            self.requests
                .entry(module.clone())
                .or_default()
                .push(*generation);
        }
        self.last = out;
    }

    fn project(&self) -> Project {
        Project::load(
            &Inputs::Manifests(vec!["extension.json".into()]),
            &self.source,
        )
        .unwrap()
    }
}

fn run(case: &Case) {
    let source = MemorySource::default();
    for (p, c) in &case.files {
        source.insert(p, c.as_bytes());
    }
    let mut r = Run {
        source,
        engine: None,
        requests: HashMap::new(),
        last: Outcome::default(),
        marks: HashMap::new(),
    };
    for (i, step) in case.steps.iter().enumerate() {
        let at = format!("{} step {} ({})", case.name, i + 1, step.words.join(" "));
        let w: Vec<&str> = step.words.iter().map(String::as_str).collect();
        match w.as_slice() {
            ["start"] => {
                let (engine, builds) = Engine::new(r.project().modules);
                r.engine = Some(engine);
                r.take(Outcome {
                    builds,
                    ..Outcome::default()
                });
            }
            ["files", changes @ ..] => {
                let batch: Vec<(String, Option<ContentHash>)> = changes
                    .iter()
                    .map(|c| {
                        let (p, l) = c.split_once('=').unwrap();
                        (p.to_string(), content(l))
                    })
                    .collect();
                let out = r.engine().files(&batch);
                r.take(out);
            }
            ["built", module, facts @ ..] => {
                let (module, back) = match module.split_once('@') {
                    Some((m, "previous")) => (m, 2),
                    _ => (*module, 1),
                };
                let gens = &r.requests[module];
                let generation = gens[gens.len() - back];
                let mut f = BuildFacts::default();
                let mut reads = BTreeMap::new();
                for fact in facts {
                    let (k, v) = fact.split_once('=').unwrap();
                    if k == "error" {
                        f.error = Some(v.to_string());
                    } else if k == "transient" {
                        f.transient = Some(v.to_string());
                    } else if let Some(path) = k.strip_prefix("via:") {
                        f.via.insert(path.to_string(), v.to_string());
                    } else {
                        reads.insert(k.to_string(), content(v));
                    }
                }
                f.reads = reads;
                let out = r.engine().built(module, generation, f);
                r.take(out);
            }
            ["retry"] => {
                let out = r.engine().retry_broken();
                r.take(out);
            }
            ["manifest", path] => {
                r.source.insert(path, step.body.as_bytes());
                let defs = r.project().modules;
                let out = r.engine().project(defs, path);
                r.take(out);
            }
            ["expect", "diff"] => {
                let mut want: Vec<String> = step
                    .body
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
                want.sort();
                assert_eq!(render(&r.last), want, "{at}");
            }
            ["expect", "builds", modules @ ..] => {
                let mut have: Vec<&str> = r.last.builds.iter().map(|b| b.module.as_str()).collect();
                have.sort();
                assert_eq!(have, modules.to_vec(), "{at}");
            }
            ["expect", "settled"] => assert!(r.engine().settled(), "{at}"),
            ["expect", "unsettled"] => assert!(!r.engine().settled(), "{at}"),
            ["mark", label] => {
                let versions = serde_json::to_string(&r.engine().registry().versions()).unwrap();
                r.marks.insert(label.to_string(), versions);
            }
            ["expect", "same-as", label] => {
                let versions = serde_json::to_string(&r.engine().registry().versions()).unwrap();
                assert_eq!(versions, r.marks[*label], "{at}");
            }
            ["expect", "files", module, files @ ..] => {
                let have = &r.engine().registry().modules[*module].files;
                assert_eq!(have, &files.to_vec(), "{at}");
            }
            _ => panic!("{at}: unknown step"),
        }
    }
}

#[test]
fn engine_cases() {
    let cases = common::cases("engine");
    assert!(cases.len() >= 4, "the case files are missing");
    for case in &cases {
        run(case);
    }
}
