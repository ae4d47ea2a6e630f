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
//! format, times in ms since start). With `--admin`, Envoy-style admin endpoints: `GET /stats`
//! (the stats.txt format) and `POST /quitquitquit` (stop, exit 0).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_proxy::config::{ListenerKind, ProxyConfig};
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::platform::Platform;
use meshtwin_proxy::Proxy;
use meshtwin_report::stats::{stats_txt, ProxyStats};
use meshtwin_xds::{self as xds, MeshView, OUTBOUND_PORT};
use tokio::sync::Notify;

use crate::exit;
use crate::inputs::load_inputs;

/// Trace events as JSON lines on stdout.
struct StdoutObserver;

impl Observer for StdoutObserver {
    fn event(&self, now: Duration, kind: EventKind) {
        let e = TraceEvent {
            t_ms: now.as_micros() as f64 / 1000.0,
            kind,
        };
        if let Ok(line) = serde_json::to_string(&e) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

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
        c.endpoints
            .retain_mut(|e| match endpoints.get(&e.hostname) {
                Some(a) => {
                    e.address = *a;
                    true
                }
                None => false,
            });
    }
    cfg
}

/// Serve the admin endpoints until `POST /quitquitquit`.
async fn admin(
    platform: RealPlatform,
    addr: SocketAddr,
    proxy: Rc<Proxy<RealPlatform>>,
    quit: Rc<Notify>,
) {
    let Ok(listener) = platform.bind(addr).await else {
        eprintln!("error: cannot bind the admin address {addr}");
        quit.notify_one();
        return;
    };
    loop {
        let Ok((stream, _)) = platform.accept(&listener).await else {
            continue;
        };
        let (proxy, quit) = (proxy.clone(), quit.clone());
        platform.spawn(Box::pin(async move {
            let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (proxy, quit) = (proxy.clone(), quit.clone());
                async move {
                    let (status, body) = match (req.method().as_str(), req.uri().path()) {
                        ("GET", "/stats") => {
                            let s = proxy.stats();
                            let stats = BTreeMap::from([(
                                proxy.cfg.node.clone(),
                                ProxyStats {
                                    counters: s.counters,
                                    gauges: s.gauges,
                                    gauges_max: s.gauges_max,
                                },
                            )]);
                            (200, stats_txt(&stats))
                        }
                        ("POST", "/quitquitquit") => {
                            quit.notify_one();
                            (200, "OK\n".to_string())
                        }
                        _ => (404, "GET /stats, POST /quitquitquit\n".to_string()),
                    };
                    let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        }));
    }
}

/// `meshtwin proxy`.
pub fn proxy_command(
    scenario: &Path,
    pod: &str,
    listen: SocketAddr,
    endpoints: &[String],
    admin_addr: Option<SocketAddr>,
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
    run_real(cfg, admin_addr)
}

#[allow(
    clippy::disallowed_methods,
    reason = "the real sidecar owns its runtime (tokio's current-thread runtime and LocalSet)"
)]
fn run_real(cfg: ProxyConfig, admin_addr: Option<SocketAddr>) -> u8 {
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
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let platform = RealPlatform::new();
        let proxy = Proxy::new(cfg, platform.clone(), Rc::new(StdoutObserver), 1);
        if let Err(e) = proxy.start().await {
            eprintln!("error: cannot listen: {e}");
            return exit::INVALID_INPUT;
        }
        let quit = Rc::new(Notify::new());
        if let Some(a) = admin_addr {
            platform.spawn(Box::pin(admin(
                platform.clone(),
                a,
                proxy.clone(),
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
    })
}
