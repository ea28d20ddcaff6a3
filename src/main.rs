//! Parse the command line, start logging, run, map the outcome to an exit code.

use clap::Parser;
use rldev::cli::{Cli, Command};
use rldev::commands::{self, EXIT_USAGE};
use rldev::disk;

/// The project of the command-line paths, with `--core` (or `MW_INSTALL_PATH`).
fn locate(
    paths: &[std::path::PathBuf],
    core: &Option<std::path::PathBuf>,
) -> Result<disk::Located, commands::Fatal> {
    let mut located = disk::locate(paths).map_err(commands::Fatal)?;
    if let Some(core) = core {
        located.set_core(core).map_err(commands::Fatal)?;
    }
    Ok(located)
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RLDEV_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let result = match &cli.command {
        Command::Hashes { paths, json, core } => {
            locate(paths, core).and_then(|located| commands::hashes(&located, *json))
        }
        Command::Watch { paths, json, core } => {
            locate(paths, core).and_then(|located| rldev::daemon::watch(located, *json))
        }
        Command::Serve {
            paths,
            host,
            allow_host,
            port,
            json,
            core,
            proxy,
        } => locate(paths, core).and_then(|located| {
            let options = rldev::server::run::Options {
                host: host.clone(),
                allow_hosts: allow_host.clone(),
                port: *port,
                json: *json,
                proxy: proxy.clone(),
            };
            rldev::server::run::serve(located, options)
        }),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(commands::Fatal(message)) => {
            eprintln!("rldev: {message}");
            std::process::exit(EXIT_USAGE);
        }
    }
}
