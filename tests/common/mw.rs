//! The MediaWiki side of `tests/mw_compare.rs`: a throwaway wiki from
//! `scripts/mw-wiki` (stopped on drop), plain HTTP GETs, the startup
//! module's registry, load.php answers split per module (by
//! `mw_split.mjs` in Node) and CSS printed alike by lightningcss.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use lightningcss::stylesheet::{ParserOptions, PrinterOptions, StyleSheet};
use serde_json::Value;

/// Where Debian's `mediawiki` package puts MediaWiki.
pub const IP: &str = "/usr/share/mediawiki";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A wiki started by `scripts/mw-wiki start --background`; stopped (its
/// `php -S` ended) when dropped.
pub struct Wiki {
    /// `http://127.0.0.1:PORT/w/`
    pub url: String,
    /// The bundled extensions and skins mw-wiki left out, as it says why.
    pub skipped: BTreeMap<String, String>,
    /// The password of the wiki's `Admin`.
    pub password: String,
    dir: PathBuf,
}

impl Wiki {
    /// Starts a wiki in `dir` (a new folder) with the extra `mw-wiki start`
    /// arguments `args` (e.g. `--extensions none`), on a free loopback port.
    pub fn start(dir: &Path, args: &[&str]) -> Result<Wiki, String> {
        let out = Command::new(repo().join("scripts/mw-wiki"))
            .args(["start", "--background", "--dir"])
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("scripts/mw-wiki: {e}"))?;
        // From here on the folder may hold a running server: stop it on drop.
        let mut wiki = Wiki {
            url: String::new(),
            skipped: BTreeMap::new(),
            password: String::new(),
            dir: dir.to_path_buf(),
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ready: Option<Value> = stdout.lines().find_map(|l| serde_json::from_str(l).ok());
        match ready.as_ref().and_then(|r| r["url"].as_str()) {
            Some(url) if out.status.success() => {
                wiki.url = url.to_string();
                let password = ready.as_ref().and_then(|r| r["password"].as_str());
                wiki.password = password.unwrap_or_default().to_string();
                let skipped = ready.as_ref().map(|r| &r["skipped"]);
                for (name, why) in skipped.and_then(Value::as_object).into_iter().flatten() {
                    let why = why.as_str().unwrap_or_default().to_string();
                    wiki.skipped.insert(name.clone(), why);
                }
                Ok(wiki)
            }
            _ => Err(format!(
                "scripts/mw-wiki start failed ({}):\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    }

    /// `GET load.php?QUERY` (the body of a 200 answer).
    pub fn load(&self, query: &str) -> Result<String, String> {
        get(&format!("{}load.php?{query}", self.url))
    }
}

impl Drop for Wiki {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/mw-wiki"))
            .args(["stop", "--dir"])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `GET url` (`http://127.0.0.1:PORT/path`) over HTTP/1.1: the body of a
/// 200 answer, else an error with the status and the start of the body.
pub fn get(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {url}"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).map_err(|e| format!("{url}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("{url}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("{url}: {e}"))?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{url}: not an HTTP answer"))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body).ok_or_else(|| format!("{url}: a broken chunked body"))?
    } else {
        body.to_string()
    };
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        let status = head.lines().next().unwrap_or_default();
        let start: String = body.chars().take(500).collect();
        return Err(format!("{url}: {status}\n{start}"));
    }
    Ok(body)
}

fn dechunk(mut body: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        body = rest.get(size + 2..)?;
    }
}

/// Percent-encodes what a query value cannot hold as is.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Module names packed as load.php reads them (`a.b,c|d`): grouped by the
/// text before the last dot, in order of first appearance.
pub fn pack(names: &[&str]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for name in names {
        let (prefix, suffix) = name.rsplit_once('.').unwrap_or(("", name));
        match groups.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, suffixes)) => suffixes.push(suffix),
            None => groups.push((prefix, vec![suffix])),
        }
    }
    groups
        .iter()
        .map(|(prefix, suffixes)| match *prefix {
            "" => suffixes.join(","),
            p => format!("{p}.{}", suffixes.join(",")),
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// One entry of the startup module's `mw.loader.register([...])`, with
/// dependency indexes turned back into names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub name: String,
    pub dependencies: Vec<String>,
    /// MediaWiki's group id: 0 user, 1 private, others numbered in order of
    /// first appearance.
    pub group: Option<i64>,
}

/// The registry of a startup module's JavaScript (minified or debug): the
/// array of the last `mw.loader.register([` call, in order.
pub fn startup_registry(js: &str) -> Result<Vec<Registered>, String> {
    const CALL: &str = "mw.loader.register([";
    let at = js
        .rfind(CALL)
        .ok_or("no mw.loader.register([...]) in the startup module")?;
    let array = &js[at + CALL.len() - 1..];
    let entries: Vec<Value> = serde_json::Deserializer::from_str(array)
        .into_iter()
        .next()
        .ok_or("an empty register call")?
        .map_err(|e| format!("the register array: {e}"))?;
    let names: Vec<String> = entries
        .iter()
        .map(|e| e[0].as_str().unwrap_or_default().to_string())
        .collect();
    Ok(entries
        .iter()
        .zip(&names)
        .map(|(entry, name)| {
            let dependencies = entry[2]
                .as_array()
                .map(|deps| {
                    deps.iter()
                        .map(|d| match d.as_u64() {
                            Some(i) => names[i as usize].clone(),
                            None => d.as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Registered {
                name: name.clone(),
                dependencies,
                group: entry[3].as_i64(),
            }
        })
        .collect())
}

/// What a load.php answer holds, per module (see `mw_split.mjs`).
#[derive(Debug, Default)]
pub struct Split {
    pub modules: BTreeMap<String, Value>,
    pub states: BTreeMap<String, String>,
    pub errors: Vec<String>,
}

/// Splits a load.php answer (JavaScript) into its modules with Node.js.
pub fn split_load(js: &str) -> Result<Split, String> {
    let mut child = Command::new("node")
        .arg(repo().join("tests/common/mw_split.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    let mut stdin = child.stdin.take().expect("a piped stdin");
    let input = js.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| format!("node: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "mw_split.mjs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let strings = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, s)| (k.clone(), s.as_str().unwrap_or_default().to_string()))
            .collect()
    };
    Ok(Split {
        modules: v["modules"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, m)| (k.clone(), m.clone()))
            .collect(),
        states: strings(&v["states"]),
        errors: v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect(),
    })
}

/// CSS normalized alike on both sides: first MediaWiki's own minifier
/// (`CSSMin::minify`: comments dropped, whitespace runs made one space, the
/// space after `,` `:` `;` and around braces and brackets dropped), so that
/// what it erases from MediaWiki's answer is erased from rldev's too; then
/// parsed and printed minified by lightningcss (with error recovery, the
/// parse rldev's build uses), which writes numbers, colours and shorthands
/// one way; then every `url()` that names a file under `url_base` +
/// `extensions/`, `skins/` or `resources/` is written from that folder on
/// (`extensions/Cite/a.svg?1e9de`), so that MediaWiki's `/w/extensions/...`
/// and rldev's `/extensions/...` compare. `?hash` suffixes stay.
pub fn normalize_css(css: &str, url_base: &str) -> Result<String, String> {
    let minified = css_min(css);
    let options = ParserOptions {
        error_recovery: true,
        ..ParserOptions::default()
    };
    let sheet = StyleSheet::parse(&minified, options).map_err(|e| e.to_string())?;
    let printed = sheet
        .to_css(PrinterOptions {
            minify: true,
            ..PrinterOptions::default()
        })
        .map_err(|e| e.to_string())?;
    Ok(map_urls(&printed.code, url_base))
}

/// MediaWiki's `CSSMin::minify` (wikimedia/minify 2.x): rldev's own port,
/// which image modules use.
pub use rldev::compile::image::css_min;

pub fn map_urls(css: &str, url_base: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("url(") {
        let (before, after) = rest.split_at(at + "url(".len());
        out.push_str(before);
        let quote = after.starts_with(['"', '\'']);
        let url = &after[usize::from(quote)..];
        // An image module's fallback URL: MediaWiki's `/w/load.php?…` and
        // rldev's `/load?…` both become `load?…`, without `version=` (each
        // side's own hash of the module).
        let load = [format!("{url_base}load.php?"), format!("{url_base}load?")]
            .iter()
            .find_map(|p| url.strip_prefix(p.as_str()));
        if let Some(query) = load {
            if quote {
                out.push_str(&after[..1]);
            }
            let end = query.find([')', '"', '\'']).unwrap_or(query.len());
            let kept: Vec<&str> = query[..end]
                .split('&')
                .filter(|pair| !pair.starts_with("version="))
                .collect();
            out.push_str("load?");
            out.push_str(&kept.join("&"));
            rest = &query[end..];
            continue;
        }
        let mapped = url.strip_prefix(url_base).filter(|u| {
            ["extensions/", "skins/", "resources/"]
                .iter()
                .any(|folder| u.starts_with(folder))
        });
        if quote {
            out.push_str(&after[..1]);
        }
        rest = mapped.unwrap_or(url);
    }
    out.push_str(rest);
    out
}
