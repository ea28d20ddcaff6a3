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

/// The registry as an aligned table (name, version, state), then the errors.
pub fn registry_table(reg: &Registry, style: Style) -> String {
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
                "{} {name}: {message}\n",
                style.paint("31", "error")
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
        }
    }

    fn line(&self, text: String) {
        let _ = emit(&(text + "\n"));
    }

    /// The registry once every module is built (`url`: where `serve` listens).
    pub fn ready(&self, reg: &Registry, took: std::time::Duration, url: Option<&str>) {
        if self.json {
            let ready = Ready {
                event: "ready",
                seq: reg.seq,
                modules: reg.modules.len(),
                ms: took.as_millis(),
                url,
            };
            self.line(serde_json::to_string(&ready).expect("json"));
        } else {
            let _ = emit(&registry_table(reg, self.style));
            self.line(format!(
                "{} {} modules in {} ms; watching for changes",
                self.style.paint("1", "ready:"),
                reg.modules.len(),
                took.as_millis()
            ));
            if let Some(url) = url {
                self.line(format!("serving {}", self.style.paint("1", url)));
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
        for line in diff_lines(diff, self.style) {
            self.line(line);
        }
    }

    pub fn summary(&self, files: usize, modules: usize, took: std::time::Duration) {
        if !self.json {
            let text = format!(
                "{files} file(s), {modules} module(s), {} ms",
                took.as_millis()
            );
            self.line(self.style.paint("2", &text));
        }
    }
}

/// A diff for people: a line per changed module with its causes, and a line
/// per module entering or leaving `error`.
pub fn diff_lines(diff: &Diff, style: Style) -> Vec<String> {
    let mut out = Vec::new();
    for (name, c) in &diff.changed {
        let causes: Vec<String> = c
            .causes
            .iter()
            .map(|cause| match cause {
                Cause::File(p) => p.clone(),
                Cause::Via { path, via } => format!("{path} via {via}"),
                Cause::Found(p) => format!("{p} (now used)"),
                Cause::Dropped(p) => format!("{p} (no longer used)"),
            })
            .collect();
        out.push(format!(
            "{name}  {} → {}  {}",
            style.paint("2", &c.from),
            style.paint("1", &c.to),
            causes.join(", ")
        ));
    }
    for (name, v) in &diff.added {
        out.push(format!("{} {name}  {v}", style.paint("32", "+")));
    }
    for name in &diff.removed {
        out.push(format!("{} {name}", style.paint("31", "-")));
    }
    for (name, s) in &diff.states {
        match (&s.state, &s.error) {
            (State::Error, Some(e)) => {
                out.push(format!("{} {name}: {e}", style.paint("31", "error")))
            }
            _ => out.push(format!(
                "{} {name}: builds again",
                style.paint("32", "fixed")
            )),
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
        let lines = diff_lines(&d, Style { color: false });
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
