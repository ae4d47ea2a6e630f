//! `meshtwin proxy`: the proxy core as a real sidecar on real sockets (the `RealPlatform`
//! seam). It takes one pod's configuration exactly as the twin's control plane builds it from
//! a scenario's topology and policies — clusters, DestinationRule pools, outlier detection,
//! VirtualService routes, retries, timeouts, faults — and maps it onto this machine:
//!
//! - the pod's outbound listener (iptables capture in the mesh) listens on `--listen`;
//! - each upstream endpoint named with `--endpoint <pod>=<ip:port>` is that address; the
//!   others are left out of their clusters (so a route to them answers 503 "no healthy
//!   upstream", as Envoy does for an empty cluster);
//! - inbound listeners (the pod IP) are not opened.
//!
//! Access logs and every other trace event go to stdout as JSON lines (the trace.jsonl
//! format, times in ms since start), through a bounded queue that drops rather than block
//! (see [`crate::access_log`]). With `--admin`, Envoy-style admin endpoints: `GET /stats`
//! (the stats.txt format; `?filter=REGEX`, `?format=json`), `GET /stats/prometheus` and
//! `POST /quitquitquit` (stop, exit 0) — see `admin_stats.rs`.
//!
//! Real clients are held to Envoy's downstream defaults
//! ([`meshtwin_proxy::downstream::DownstreamLimits::envoy`]), and the listeners stop taking
//! connections before the file descriptors run out ([`connection_budget`]).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_proxy::config::{Endpoint, ListenerKind, ProxyConfig};
use meshtwin_proxy::downstream::{accept_backoff, DownstreamLimits};
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::platform::Platform;
use meshtwin_proxy::Proxy;
use meshtwin_report::stats::ProxyStats;
use meshtwin_xds::{self as xds, MeshView, OUTBOUND_PORT};
use tokio::sync::Notify;

use crate::access_log::StdoutLog;
use crate::args::Command;
use crate::exit;
use crate::inputs::load_inputs;

/// Parse `pod=ip:port` mappings.
fn endpoint_map(items: &[String]) -> Result<BTreeMap<String, SocketAddr>, String> {
    items
        .iter()
        .map(|item| {
            let (pod, addr) = item
                .split_once('=')
                .ok_or_else(|| format!("--endpoint {item:?}: expected <pod>=<ip:port>"))?;
            let addr: SocketAddr = addr
                .parse()
                .map_err(|_| format!("--endpoint {item:?}: {addr:?} is not an ip:port"))?;
            Ok((pod.to_string(), addr))
        })
        .collect()
}

/// The pod's configuration mapped onto real addresses (see the module doc).
fn real_config(
    mut cfg: ProxyConfig,
    listen: SocketAddr,
    endpoints: &BTreeMap<String, SocketAddr>,
) -> ProxyConfig {
    let outbound = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), OUTBOUND_PORT);
    cfg.listeners.retain(|l| l.address == outbound);
    for l in &mut cfg.listeners {
        l.address = listen;
    }
    for c in &mut cfg.clusters {
        c.endpoints = (c.endpoints.iter())
            .filter_map(|e| {
                let address = *endpoints.get(e.hostname.as_str())?;
                Some(Endpoint {
                    address,
                    ..e.clone()
                })
            })
            .collect();
    }
    cfg
}

/// Serve the admin endpoints on `listener` until `POST /quitquitquit`. The admin listener is
/// outside the global connection limit (Envoy's admin sets `ignore_global_conn_limit`) and
/// backs off on failed accepts like the proxy's own listeners.
async fn admin(
    platform: RealPlatform,
    listener: tokio::net::TcpListener,
    proxy: Rc<Proxy<RealPlatform>>,
    log: Rc<StdoutLog>,
    quit: Rc<Notify>,
) {
    let mut failures = 0u32;
    loop {
        let stream = match platform.accept(&listener).await {
            Ok((stream, _)) => stream,
            Err(_) => {
                platform.sleep(accept_backoff(failures)).await;
                failures = failures.saturating_add(1);
                continue;
            }
        };
        failures = 0;
        let (proxy, log, quit) = (proxy.clone(), log.clone(), quit.clone());
        platform.spawn(Box::pin(async move {
            let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (status, body) = admin_answer(&req, &proxy, &log, &quit);
                let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
                std::future::ready(Ok::<_, Infallible>(resp))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        }));
    }
}

/// One admin request's status and body.
fn admin_answer(
    req: &hyper::Request<hyper::body::Incoming>,
    proxy: &Proxy<RealPlatform>,
    log: &StdoutLog,
    quit: &Notify,
) -> (u16, String) {
    match (req.method().as_str(), req.uri().path()) {
        ("GET", path @ ("/stats" | "/stats/prometheus")) => {
            let mut s = proxy.stats();
            s.counters
                .insert("access_log.written".into(), log.written());
            s.counters
                .insert("access_log.dropped".into(), log.dropped());
            let stats = ProxyStats {
                counters: s.counters,
                gauges: s.gauges,
                gauges_max: s.gauges_max,
            };
            let q = req.uri().query();
            crate::admin_stats::stats_response(path, q, &proxy.cfg.node, stats)
                .map(|(status, _, body)| (status, body))
                .unwrap_or((404, String::new()))
        }
        ("POST", "/quitquitquit") => {
            quit.notify_one();
            (200, "OK\n".to_string())
        }
        _ => (
            404,
            "GET /stats[?filter=REGEX&format=json|prometheus], \
             GET /stats/prometheus, POST /quitquitquit\n"
                .to_string(),
        ),
    }
}

/// `meshtwin proxy`.
pub fn proxy_command(
    scenario: &Path,
    pod: &str,
    listen: SocketAddr,
    endpoints: &[String],
    admin_addr: Option<SocketAddr>,
    limits: DownstreamLimits,
) -> u8 {
    let inputs = match load_inputs(scenario) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    crate::inputs::print_warnings(&inputs.warnings);
    let map = match endpoint_map(endpoints) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let pods = inputs.topology.pods();
    let ips: BTreeMap<String, Ipv4Addr> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), Ipv4Addr::from(0x0A00_0001u32 + i as u32)))
        .collect();
    let view = MeshView {
        topo: &inputs.topology,
        pods: &pods,
        ips: &ips,
        policies: &inputs.policies,
        cache: None,
    };
    let Some(p) = pods.iter().find(|p| p.name == pod) else {
        eprintln!(
            "error: no pod named '{pod}' in topology {}",
            inputs.topology.name
        );
        return exit::INVALID_INPUT;
    };
    if let Some(unknown) = map.keys().find(|k| !pods.iter().any(|p| &p.name == *k)) {
        eprintln!(
            "error: --endpoint {unknown}=…: no pod named '{unknown}' in topology {}",
            inputs.topology.name
        );
        return exit::INVALID_INPUT;
    }
    let Some(cfg) = xds::proxy_config(&view, p) else {
        eprintln!("error: pod '{pod}' has no proxy (sidecar: none)");
        return exit::INVALID_INPUT;
    };
    if !cfg
        .listeners
        .iter()
        .any(|l| matches!(l.kind, ListenerKind::Http { .. }) && l.address.port() == OUTBOUND_PORT)
    {
        eprintln!("error: pod '{pod}' has no outbound listener to run as a sidecar");
        return exit::INVALID_INPUT;
    }
    let cfg = real_config(cfg, listen, &map);
    run_real(cfg, admin_addr, limits)
}

/// Connections over which the proxy stops accepting: half of the file descriptors left
/// after a reserve for the admin endpoint, stdio, the listeners and the runtime (each
/// downstream connection may hold one upstream connection). `None` if the limit is unknown.
fn connection_budget() -> Option<u64> {
    const RESERVE: u64 = 32;
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft: u64 = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(soft.saturating_sub(RESERVE).max(2) / 2)
}

#[allow(
    clippy::disallowed_methods,
    reason = "the real sidecar owns its runtime (tokio's current-thread runtime and LocalSet)"
)]
fn run_real(cfg: ProxyConfig, admin_addr: Option<SocketAddr>, mut limits: DownstreamLimits) -> u8 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let log = match StdoutLog::start() {
        Ok(l) => Rc::new(l),
        Err(e) => {
            eprintln!("error: cannot start the access log writer: {e}");
            return exit::INVALID_INPUT;
        }
    };
    if limits.max_connections.is_none() {
        limits.max_connections = connection_budget();
    }
    let local = tokio::task::LocalSet::new();
    let code = local.block_on(&rt, async {
        let platform = RealPlatform::new();
        // The admin address first: a port in use is an error before anything listens.
        let admin_listener = match admin_addr {
            Some(a) => match platform.bind(a).await {
                Ok(l) => Some(l),
                Err(e) => {
                    eprintln!("error: --admin {a}: cannot listen: {e}");
                    return exit::INVALID_INPUT;
                }
            },
            None => None,
        };
        let proxy = Proxy::new(cfg, platform.clone(), log.clone(), 1);
        proxy.set_downstream_limits(limits);
        if let Err(e) = proxy.start().await {
            eprintln!("error: cannot listen: {e}");
            return exit::INVALID_INPUT;
        }
        let quit = Rc::new(Notify::new());
        if let Some(l) = admin_listener {
            platform.spawn(Box::pin(admin(
                platform.clone(),
                l,
                proxy.clone(),
                log.clone(),
                quit.clone(),
            )));
        }
        eprintln!(
            "meshtwin proxy: {} listening on {}{}",
            proxy.cfg.node,
            proxy
                .cfg
                .listeners
                .iter()
                .map(|l| l.address.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            admin_addr
                .map(|a| format!(", admin on {a}"))
                .unwrap_or_default()
        );
        quit.notified().await;
        exit::OK
    });
    log.drain(Duration::from_secs(1));
    code
}

/// `meshtwin proxy`: the downstream limits from their flags (`0s` turns a timeout off; an
/// absent flag keeps Envoy's default), then [`proxy_command`].
pub fn dispatch(command: Box<Command>) -> Result<u8, Box<Command>> {
    let Command::Proxy {
        scenario,
        pod,
        listen,
        endpoints,
        admin,
        request_headers_timeout,
        idle_timeout,
        stream_idle_timeout,
        max_connections,
    } = *command
    else {
        return Err(command);
    };
    let mut limits = DownstreamLimits::envoy();
    let set = |flag: Option<std::time::Duration>, default| match flag {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None => default,
    };
    limits.request_headers_timeout = set(request_headers_timeout, limits.request_headers_timeout);
    limits.idle_timeout = set(idle_timeout, limits.idle_timeout);
    limits.stream_idle_timeout = set(stream_idle_timeout, limits.stream_idle_timeout);
    limits.max_connections = max_connections;
    Ok(proxy_command(
        &scenario, &pod, listen, &endpoints, admin, limits,
    ))
}
