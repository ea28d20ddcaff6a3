//! `rldev serve`: binds the socket, runs the daemon loop on its own thread
//! and the HTTP server on tokio.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use super::live::HUB_CAPACITY;
use super::proxy::{Proxy, Upstream};
use super::{AppState, Live, Snapshot, app};
use crate::commands::Fatal;
use crate::daemon::{self, Serving};
use crate::disk::{DiskSource, Located};
use crate::project::Project;

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8080;

/// What `rldev serve` was asked for on its command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub host: Option<String>,
    /// `--allow-host`: more names for `Host`, bound to every address.
    pub allow_hosts: Vec<String>,
    pub port: Option<u16>,
    pub json: bool,
    pub proxy: Option<String>,
}

/// Runs until interrupted. A busy port or an unreadable project stops start-up.
pub fn serve(located: Located, options: Options) -> Result<i32, Fatal> {
    let Options {
        host,
        allow_hosts,
        port,
        json,
        proxy,
    } = options;
    let source = DiskSource::new(&located.root);
    let project = Project::load_with_core(&located.inputs, located.core.as_deref(), &source)
        .map_err(|e| Fatal(e.to_string()))?;
    crate::commands::check_less_setup(&project)?;
    let host = host
        .or_else(|| project.config.server.host.clone())
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    // As Vite: a busy port moves to the next free one, with a message;
    // a port given with --port stays strict.
    let strict = port.is_some();
    let port = port.or(project.config.server.port).unwrap_or(DEFAULT_PORT);
    let listener = bind(&host, port, strict)?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Fatal(format!("socket: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Fatal(format!("socket: {e}")))?;
    let upstream = proxy
        .or_else(|| project.config.server.proxy.clone())
        .map(|url| Upstream::parse(&url))
        .transpose()
        .map_err(Fatal)?;
    // In front of a wiki, the page to open is the wiki's.
    let path = upstream.as_ref().map_or("/", |u| u.base.as_str());
    let url_of = |ip: std::net::IpAddr| {
        if ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.to_string()
        }
    };
    // Bound to every address: this machine is `localhost` in the URL, and
    // its own addresses (and --allow-host's names) pass the Host check.
    let everywhere = addr.ip().is_unspecified();
    let url_host = if everywhere {
        "localhost".to_string()
    } else {
        url_of(addr.ip())
    };
    let mut hosts = vec![host.clone()];
    let network = everywhere.then(|| {
        let own: Vec<std::net::IpAddr> = if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.ip())
            .filter(|ip| !ip.is_loopback() && (addr.is_ipv6() || ip.is_ipv4()))
            .collect();
        hosts.extend(own.iter().map(|ip| ip.to_string()));
        hosts.extend(allow_hosts.iter().cloned());
        own.iter()
            .map(|ip| url_of(*ip))
            .chain(allow_hosts.iter().cloned())
            .map(|h| format!("http://{h}:{}{path}", addr.port()))
            .collect::<Vec<_>>()
    });
    if !everywhere && !allow_hosts.is_empty() {
        hosts.extend(allow_hosts.iter().cloned());
    }
    let url = format!("http://{url_host}:{}{path}", addr.port());

    let (snapshots_tx, snapshots_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (hub, _) = broadcast::channel(HUB_CAPACITY);
    let state = AppState {
        snapshots: snapshots_rx,
        hub: hub.clone(),
        hosts: Arc::from(hosts),
        proxy: upstream.map(|u| Arc::new(Proxy::new(u))),
    };
    let serving = Serving {
        live: Live::new(snapshots_tx, hub),
        url,
        network,
    };
    let daemon = std::thread::Builder::new()
        .name("rldev-daemon".into())
        .spawn(move || daemon::run(located, project, json, Some(serving)))
        .map_err(|e| Fatal(format!("cannot start the daemon thread: {e}")))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Fatal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Fatal(format!("socket: {e}")))?;
        accept(listener, app(state)).await;
        Ok::<(), Fatal>(())
    })?;
    let _ = daemon.join();
    Ok(0)
}

/// How long a client gets to send a request's head; a connection that has
/// sent nothing whole by then is closed (a half-sent request holds nothing).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many connections at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 512;

/// Serves `router` on every accepted connection (HTTP/1.1 with upgrades,
/// for the WebSocket), with a bounded time to receive a request head and a
/// bounded number of connections.
async fn accept(listener: tokio::net::TcpListener, router: axum::Router) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;

    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait, then go on.
                tracing::warn!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT);
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

/// Listens on `host:port`, or (unless `strict`) the first free port of the
/// next 20 when it is in use.
fn bind(host: &str, port: u16, strict: bool) -> Result<TcpListener, Fatal> {
    let tries = if strict || port == 0 { 1 } else { 21 };
    let mut last = None;
    for candidate in (port..=u16::MAX).take(tries) {
        match TcpListener::bind((host, candidate)) {
            Ok(l) => {
                if candidate != port {
                    eprintln!("rldev: port {port} is in use, serving on port {candidate} instead");
                }
                return Ok(l);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => {
                return Err(Fatal(format!("cannot listen on {host}:{candidate}: {e}")));
            }
        }
    }
    let e = last.map_or_else(String::new, |e| e.to_string());
    Err(Fatal(format!(
        "cannot listen on {host}:{port}: {e} (another server running? \
         --port 0 picks a free port)"
    )))
}
