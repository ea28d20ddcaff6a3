//! The only writer to stdout: the registry and diffs, for people or as JSON.

use std::io::{self, IsTerminal, Write};

use crate::registry::{Registry, State};

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

/// Writes to stdout; a closed pipe (`rldev hashes | head`) is not an error.
pub fn emit(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
