//! Command-line definitions (clap) only.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rldev",
    version,
    about = "A development daemon for ResourceLoader-style front-end modules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute every module's version once and print the registry.
    /// Exit 0: all modules built; 1: some module is in state error; 2: bad usage or unreadable project.
    Hashes {
        /// Manifests, folders holding one, or an rldev.toml (default: ./rldev.toml).
        paths: Vec<PathBuf>,
        /// Print the registry as JSON.
        #[arg(long)]
        json: bool,
        /// A MediaWiki core folder (its Less import path, Codex tokens and
        /// messages); overrides rldev.toml's `core`.
        #[arg(long, env = "MW_INSTALL_PATH", value_name = "PATH")]
        core: Option<PathBuf>,
    },
    /// Print the registry once ready, then one diff per settled batch of file changes; runs until interrupted.
    Watch {
        /// Manifests, folders holding one, or an rldev.toml (default: ./rldev.toml).
        paths: Vec<PathBuf>,
        /// Print NDJSON events (`ready`, then `diff`).
        #[arg(long)]
        json: bool,
        /// A MediaWiki core folder (its Less import path, Codex tokens and
        /// messages); overrides rldev.toml's `core`.
        #[arg(long, env = "MW_INSTALL_PATH", value_name = "PATH")]
        core: Option<PathBuf>,
    },
    /// Everything `watch` does, plus the development server (HTTP and WebSocket).
    Serve {
        /// Manifests, folders holding one, or an rldev.toml (default: ./rldev.toml).
        paths: Vec<PathBuf>,
        /// Address to bind (default: rldev.toml's [server] host, else
        /// 127.0.0.1); 0.0.0.0 serves other machines too.
        #[arg(long)]
        host: Option<String>,
        /// Bound to every address, another name a request may give as its
        /// Host (e.g. a name of this machine on the LAN); repeatable.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_host: Vec<String>,
        /// Port (default: rldev.toml's [server] port, else 8080; 0 picks a free one).
        #[arg(long)]
        port: Option<u16>,
        /// Print NDJSON events (`ready` with the URL, then `diff`).
        #[arg(long)]
        json: bool,
        /// A MediaWiki core folder (its Less import path, Codex tokens and
        /// messages); overrides rldev.toml's `core`.
        #[arg(long, env = "MW_INSTALL_PATH", value_name = "PATH")]
        core: Option<PathBuf>,
        /// Stand in front of this wiki (its script path, e.g.
        /// http://127.0.0.1:8080/w/): its pages, with rldev's modules live
        /// (default: rldev.toml's [server] proxy).
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
    },
}
