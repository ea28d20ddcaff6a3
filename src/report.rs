//! The only writer to stdout: the registry and diffs, for people or as JSON.

use std::io::{self, IsTerminal, Write};

use crate::registry::{Cause, Diff, Registry, State};

/// How output looks: coloured on a terminal, plain when piped or with `NO_COLOR`.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && io::stdout().is_terminal(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// The registry as an aligned table (name, version, state), then the errors
/// (paths as `paths` shows them).
pub fn registry_table(reg: &Registry, style: Style, paths: &Paths) -> String {
    let width = reg
        .modules
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, e) in &reg.modules {
        let state = match e.state {
            State::Ready => style.paint("32", "ready"),
            State::Error => style.paint("31", "error"),
        };
        out.push_str(&format!("{name:<width$}  {}  {state}\n", e.version));
    }
    let errors: Vec<_> = reg
        .modules
        .iter()
        .filter_map(|(n, e)| e.error.as_ref().map(|m| (n, m)))
        .collect();
    if !errors.is_empty() {
        out.push('\n');
        for (name, message) in errors {
            out.push_str(&format!(
                "{} {name}: {}\n",
                style.paint("31", "error"),
                paths.message(message)
            ));
        }
    }
    out
}

/// The registry as JSON, exactly as `GET /registry.json` serves it.
pub fn registry_json(reg: &Registry) -> String {
    serde_json::to_string_pretty(reg).expect("a registry always serialises")
}

/// The registry as JSON with the definitions' warnings (an addition to
/// INTERFACE.md's shape), when there are any.
pub fn registry_json_with(reg: &Registry, warnings: &[String]) -> String {
    if warnings.is_empty() {
        return registry_json(reg);
    }
    let mut v = serde_json::to_value(reg).expect("a registry always serialises");
    v.as_object_mut()
        .expect("a registry is an object")
        .insert("warnings".into(), serde_json::json!(warnings));
    serde_json::to_string_pretty(&v).expect("JSON values serialise")
}

/// One warning about the definitions, for people.
pub fn warning_line(warning: &str, style: Style) -> String {
    format!("{} {warning}\n", style.paint("33", "warning:"))
}

/// Writes to stdout; a closed pipe (`rldev hashes | head`) is not an error.
pub fn emit(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints the daemon's events: for people, or NDJSON (`--json`).
pub struct Printer {
    json: bool,
    style: Style,
    /// How people see paths: relative to the current folder.
    paths: Paths,
    /// Modules entering or leaving `error`, said together once the builds
    /// of a batch are done (a broken shared file breaks its modules one
    /// build at a time: one line says it for all).
    pending: std::cell::RefCell<indexmap::IndexMap<String, crate::registry::StateChange>>,
}

/// Project-relative paths as the current folder sees them (JSON keeps them
/// project-relative, as INTERFACE.md has them).
#[derive(Debug, Clone, Default)]
pub struct Paths {
    /// The project root relative to the current folder (`""`: the same).
    root: String,
}

impl Paths {
    /// For a project at `root` seen from `cwd`.
    pub fn new(root: &std::path::Path, cwd: &std::path::Path) -> Paths {
        Paths {
            root: crate::paths::relative_to(cwd, root),
        }
    }

    /// For a project at `root` seen from the current folder.
    pub fn from_cwd(root: &std::path::Path) -> Paths {
        let Ok(cwd) = std::env::current_dir() else {
            return Paths::default();
        };
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let cwd = cwd.canonicalize().unwrap_or(cwd);
        Paths::new(&root, &cwd)
    }

    pub fn show(&self, path: &str) -> String {
        crate::paths::join(&self.root, path)
    }

    /// A message that starts with a project-relative path (`file:3:5: …`).
    fn message(&self, text: &str) -> String {
        match text.split_once(':') {
            Some((head, rest))
                if !self.root.is_empty() && !head.contains(' ') && head.contains('.') =>
            {
                format!("{}:{rest}", self.show(head))
            }
            _ => text.to_string(),
        }
    }
}

#[derive(serde::Serialize)]
struct Ready<'a> {
    event: &'static str,
    seq: u64,
    modules: usize,
    ms: u128,
    /// `serve` only: where the development page is.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    /// `serve` bound to every address: the URLs other machines use.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    network: &'a [String],
}

#[derive(serde::Serialize)]
struct DiffEvent<'a> {
    event: &'static str,
    #[serde(flatten)]
    diff: &'a Diff,
}

impl Printer {
    pub fn new(json: bool) -> Printer {
        Printer {
            json,
            style: Style::detect(),
            paths: Paths::default(),
            pending: Default::default(),
        }
    }

    /// Paths printed relative to the current folder, for a project at `root`.
    pub fn relative_to_cwd(mut self, root: &std::path::Path) -> Printer {
        self.paths = Paths::from_cwd(root);
        self
    }

    fn line(&self, text: String) {
        let _ = emit(&(text + "\n"));
    }

    /// The registry once every module is built; for `serve`, where: `url`
    /// (this machine) and `network` (others; `None`: not exposed).
    pub fn ready(
        &self,
        reg: &Registry,
        took: std::time::Duration,
        url: Option<&str>,
        network: Option<&[String]>,
    ) {
        if self.json {
            let ready = Ready {
                network: network.unwrap_or_default(),
                event: "ready",
                seq: reg.seq,
                modules: reg.modules.len(),
                ms: took.as_millis(),
                url,
            };
            self.line(serde_json::to_string(&ready).expect("json"));
        } else {
            let _ = emit(&registry_table(reg, self.style, &self.paths));
            let broken = reg
                .modules
                .values()
                .filter(|e| e.state == State::Error)
                .count();
            let errors = if broken > 0 {
                self.style.paint("31", &format!(" ({broken} in error)"))
            } else {
                String::new()
            };
            self.line(format!(
                "{} {} modules{errors} in {} ms; watching for changes",
                self.style.paint("1", "ready:"),
                reg.modules.len(),
                took.as_millis()
            ));
            if let Some(url) = url {
                self.line(format!("serving {}", self.style.paint("1", url)));
                match network {
                    None => self.line(self.style.paint(
                        "2",
                        "  Network: not exposed (--host 0.0.0.0 serves other machines)",
                    )),
                    Some(urls) => {
                        for u in urls {
                            self.line(format!("  Network: {}", self.style.paint("1", u)));
                        }
                    }
                }
            }
        }
    }

    /// Warnings about the definitions (at start, and new ones when they are
    /// reloaded): a line each, or `{"event":"warning","message":…}`.
    pub fn warnings(&self, warnings: &[String]) {
        for w in warnings {
            if self.json {
                self.line(serde_json::json!({"event": "warning", "message": w}).to_string());
            } else {
                let _ = emit(&warning_line(w, self.style));
            }
        }
    }

    pub fn diff(&self, diff: &Diff) {
        if self.json {
            let event = DiffEvent {
                event: "diff",
                diff,
            };
            self.line(serde_json::to_string(&event).expect("json"));
            return;
        }
        let changes = Diff {
            states: indexmap::IndexMap::new(),
            ..diff.clone()
        };
        for line in diff_lines(&changes, self.style, &self.paths) {
            self.line(line);
        }
        let mut pending = self.pending.borrow_mut();
        for (name, s) in &diff.states {
            pending.shift_remove(name);
            pending.insert(name.clone(), s.clone());
        }
    }

    /// Says the modules that entered or left `error`, grouped by error;
    /// `settled`: every build asked for is done (else they wait).
    pub fn flush(&self, settled: bool) {
        if !settled || self.pending.borrow().is_empty() {
            return;
        }
        let states = std::mem::take(&mut *self.pending.borrow_mut());
        let diff = Diff {
            states,
            ..Diff::default()
        };
        for line in diff_lines(&diff, self.style, &self.paths) {
            self.line(line);
        }
    }

    /// The end of a batch: the time of day, what changed, how long it took.
    pub fn summary(&self, files: usize, modules: usize, took: std::time::Duration) {
        if !self.json {
            let plural = |n: usize, one: &str| {
                if n == 1 {
                    format!("1 {one}")
                } else {
                    format!("{n} {one}s")
                }
            };
            let text = format!(
                "{} {}, {}, {} ms",
                chrono::Local::now().format("%H:%M:%S"),
                plural(files, "file"),
                plural(modules, "module"),
                took.as_millis()
            );
            self.line(self.style.paint("2", &text));
        }
    }
}

/// More modules than this with the same causes (or the same error) get one
/// line between them.
const GROUP_OVER: usize = 3;

/// A diff for people: a line per changed module with its causes (one line
/// for many modules with the same causes: `vars.less → 1000 modules`), and a
/// line per module entering or leaving `error` (one for many with the same
/// error, as a broken shared file gives).
pub fn diff_lines(diff: &Diff, style: Style, paths: &Paths) -> Vec<String> {
    let mut out = Vec::new();
    // Grouped by the files that changed (a shared file reaches each module
    // through its own stylesheet: the `via` differs, the cause is the same).
    let mut groups: indexmap::IndexMap<String, Vec<&str>> = indexmap::IndexMap::new();
    for (name, c) in &diff.changed {
        let files: Vec<String> = c
            .causes
            .iter()
            .map(|cause| paths.show(cause.path()))
            .collect();
        groups.entry(files.join(", ")).or_default().push(name);
    }
    for (files, names) in &groups {
        if names.len() > GROUP_OVER {
            out.push(format!(
                "{files} → {} modules ({}, …)",
                names.len(),
                names[..GROUP_OVER].join(", ")
            ));
            continue;
        }
        for name in names {
            let c = &diff.changed[*name];
            let causes: Vec<String> = c
                .causes
                .iter()
                .map(|cause| match cause {
                    Cause::File(p) => paths.show(p),
                    Cause::Via { path, via } => {
                        format!("{} via {}", paths.show(path), paths.show(via))
                    }
                    Cause::Found(p) => format!("{} (now used)", paths.show(p)),
                    Cause::Dropped(p) => format!("{} (no longer used)", paths.show(p)),
                })
                .collect();
            out.push(format!(
                "{name}  {} → {}  {}",
                style.paint("2", &c.from),
                style.paint("1", &c.to),
                causes.join(", ")
            ));
        }
    }
    for (name, v) in &diff.added {
        out.push(format!("{} {name}  {v}", style.paint("32", "+")));
    }
    for name in &diff.removed {
        out.push(format!("{} {name}", style.paint("31", "-")));
    }
    let mut errors: indexmap::IndexMap<String, Vec<&str>> = indexmap::IndexMap::new();
    let mut fixed = Vec::new();
    for (name, s) in &diff.states {
        match (&s.state, &s.error) {
            (State::Error, Some(e)) => errors.entry(paths.message(e)).or_default().push(name),
            _ => fixed.push(name.as_str()),
        }
    }
    for (error, names) in &mut errors {
        names.sort_unstable();
        let label = style.paint("31", "error");
        if names.len() > 1 {
            let shown = names.len().min(GROUP_OVER);
            let more = if names.len() > shown { ", …" } else { "" };
            out.push(format!(
                "{label} {error}\n  in {} modules: {}{more}",
                names.len(),
                names[..shown].join(", ")
            ));
        } else {
            out.push(format!("{label} {}: {error}", names[0]));
        }
    }
    fixed.sort_unstable();
    if fixed.len() > GROUP_OVER {
        out.push(format!(
            "{} {} modules build again ({}, …)",
            style.paint("32", "fixed"),
            fixed.len(),
            fixed[..GROUP_OVER].join(", ")
        ));
    } else {
        for name in fixed {
            out.push(format!(
                "{} {name}: builds again",
                style.paint("32", "fixed")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Change, StateChange};

    #[test]
    fn diff_lines_for_people() {
        let mut d = Diff::default();
        d.changed.insert(
            "ext.demo.greeting".into(),
            Change {
                from: "XyCC-PSK".into(),
                to: "b2Qm_7aA".into(),
                causes: vec![Cause::Via {
                    path: "icons/wave.svg".into(),
                    via: "styles/base.less".into(),
                }],
            },
        );
        d.states.insert(
            "ext.demo.theme".into(),
            StateChange {
                state: State::Error,
                error: Some("theme.less:3:5: oops".into()),
            },
        );
        let lines = diff_lines(&d, Style { color: false }, &Paths::default());
        assert_eq!(
            lines,
            [
                "ext.demo.greeting  XyCC-PSK → b2Qm_7aA  icons/wave.svg via styles/base.less",
                "error ext.demo.theme: theme.less:3:5: oops",
            ]
        );
        // In JSON a cause is its path, as INTERFACE.md has it.
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json["changed"]["ext.demo.greeting"]["causes"][0],
            "icons/wave.svg"
        );
    }
}
