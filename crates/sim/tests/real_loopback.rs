//! The twin's pod models on real loopback sockets (the `RealPlatform` seam), each pod on its
//! own loopback address as `meshtwin run --real` will place them: an app model behind a
//! sidecar built from the proxy core, driven by the fortio-style load generator. With a
//! one-connection, one-pending circuit breaker, the load sees the twin's mechanism on real
//! sockets: some calls answered 200 by the app, the others 503 with Envoy's `UO` flag, the
//! pending-overflow counter counting them, and fortio reconnecting after each 503.

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::event::ResponseFlag;
use meshtwin_model::policy::{LbPolicy, PoolSettings, Thresholds, UpstreamProtocol};
use meshtwin_model::scenario::LoadSpec;
use meshtwin_model::topology::{AppBehaviour, LatencyDist};
use meshtwin_proxy::config::*;
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::router::config::{Action, Route, RouteTable, VirtualHost};
use meshtwin_proxy::router::matcher::RouteMatch;
use meshtwin_proxy::router_filter::plain_route;
use meshtwin_proxy::stats::StatsSnapshot;
use meshtwin_proxy::Proxy;
use meshtwin_sim::app::{spawn_app, App};
use meshtwin_sim::loadgen::{spawn_load, LoadOutcome, LoadTarget};
use meshtwin_sim::recorder::{Recorder, RecorderObserver};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::Semaphore;

const SIDECAR: &str = "fortio-sidecar";

/// A free port on loopback address `ip` (Linux routes all of 127/8 to `lo`).
fn free_addr(ip: Ipv4Addr) -> SocketAddr {
    let l = std::net::TcpListener::bind((ip, 0)).unwrap();
    l.local_addr().unwrap()
}

/// The client pod's sidecar: its outbound listener routes everything to the app's cluster,
/// held to `thresholds`.
fn sidecar_config(listen: SocketAddr, app: SocketAddr, thresholds: Thresholds) -> ProxyConfig {
    ProxyConfig {
        node: SIDECAR.into(),
        workers: 1,
        envoy: Default::default(),
        processing_delay: Duration::ZERO,
        accept_delay: Duration::ZERO,
        listeners: vec![ListenerConfig {
            name: "outbound".into(),
            address: listen,
            stat_prefix: "outbound_0.0.0.0_15001".into(),
            server_name: "envoy".into(),
            kind: ListenerKind::Http {
                codec: Codec::Http1,
                routes: RouteTable {
                    virtual_hosts: vec![VirtualHost {
                        name: "httpbin".into(),
                        domains: vec!["*".into()],
                        routes: vec![Route {
                            name: "default".into(),
                            matcher: RouteMatch::prefix("/"),
                            action: Action::Route(plain_route("httpbin")),
                            fault: None,
                        }],
                    }],
                },
            },
        }],
        clusters: vec![ClusterConfig {
            name: "httpbin".into(),
            endpoints: vec![Endpoint::new(app, "httpbin-0")],
            protocol: UpstreamProtocol::Http1,
            pool: PoolSettings {
                thresholds,
                max_requests_per_connection: Some(1),
                ..PoolSettings::istio_default()
            },
            lb_policy: LbPolicy::RoundRobin,
            outlier_detection: None,
            locality_weights: Default::default(),
            health_check: None,
        }],
    }
}

/// httpbin's model: every call takes `latency`.
fn httpbin(
    platform: RealPlatform,
    latency: Duration,
    observer: Rc<dyn Observer>,
) -> App<RealPlatform> {
    App {
        platform,
        pod: "httpbin-0".into(),
        behaviour: Rc::new(RefCell::new(AppBehaviour {
            latency: LatencyDist::Fixed { value: latency },
            ..AppBehaviour::default()
        })),
        rng: RefCell::new(ChaCha8Rng::seed_from_u64(1)),
        workers: Semaphore::new(Semaphore::MAX_PERMITS),
        resolver: Rc::new(|_: &str, _: u16| None),
        observer,
        http2: false,
    }
}

/// fortio `-c connections -n calls -qps 0` to `http://httpbin:8000/get` through the sidecar.
fn fortio(connections: u32, calls: u64) -> LoadSpec {
    LoadSpec {
        name: "fortio".into(),
        from: "fortio-0".into(),
        start: Duration::ZERO,
        connections,
        qps: 0.0,
        calls: Some(calls),
        duration: None,
        url: "http://httpbin:8000/get".into(),
        method: "GET".into(),
        headers: Default::default(),
        timeout: Duration::from_secs(3),
    }
}

/// Run the app, the sidecar and the load on loopback until every call has ended.
async fn run(thresholds: Thresholds, connections: u32, calls: u64) -> (LoadOutcome, StatsSnapshot) {
    let platform = RealPlatform::new();
    let recorder = Rc::new(Recorder::new(100_000));
    let observer: Rc<dyn Observer> = Rc::new(RecorderObserver(recorder.clone()));
    let app_addr = free_addr(Ipv4Addr::new(127, 0, 1, 2));
    let sidecar_addr = free_addr(Ipv4Addr::new(127, 0, 1, 1));
    spawn_app(
        httpbin(
            platform.clone(),
            Duration::from_millis(40),
            observer.clone(),
        ),
        app_addr,
    );
    let proxy = Proxy::new(
        sidecar_config(sidecar_addr, app_addr, thresholds),
        platform.clone(),
        observer,
        1,
    );
    proxy.start().await.unwrap();
    let outcome = Rc::new(RefCell::new(LoadOutcome::default()));
    let target = LoadTarget {
        connect: vec![sidecar_addr],
        authority: "httpbin:8000".into(),
        path: "/get".into(),
        first_hop_proxy: Some(SIDECAR.into()),
        tcp: false,
    };
    spawn_load(
        fortio(connections, calls),
        "fortio-0".into(),
        target,
        platform,
        recorder.clone(),
        outcome.clone(),
    );
    for _ in 0..600 {
        if outcome.borrow().calls.len() as u64 == calls {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = proxy.stats();
    let o = outcome.borrow().clone();
    (o, stats)
}

fn run_local<F: std::future::Future<Output = ()>>(f: F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&rt, f);
}

#[test]
fn the_app_model_answers_every_call_through_a_real_sidecar() {
    run_local(async {
        let (o, stats) = run(Thresholds::ISTIO_DEFAULT, 2, 10).await;
        assert_eq!(o.calls.len(), 10);
        assert!(o.calls.iter().all(|c| c.status == 200), "{:?}", o.calls);
        assert!(o
            .calls
            .iter()
            .all(|c| c.upstream_pod.as_deref() == Some("httpbin-0")));
        assert!(o.calls.iter().all(|c| c.flags.is_empty()));
        // The app spends 40 ms on each call; the load ends no sooner.
        assert!(o
            .calls
            .iter()
            .all(|c| c.latency >= Duration::from_millis(40)));
        // fortio keeps each connection alive after a 200: one socket per connection.
        assert_eq!(o.sockets_used, 2);
        assert_eq!(stats.counters["cluster.httpbin.upstream_rq_200"], 10);
    });
}

#[test]
fn a_tight_circuit_breaker_answers_503_uo_on_real_sockets() {
    run_local(async {
        let thresholds = Thresholds {
            max_connections: 1,
            max_pending_requests: 1,
            ..Thresholds::ISTIO_DEFAULT
        };
        let (o, stats) = run(thresholds, 3, 30).await;
        assert_eq!(o.calls.len(), 30);
        let ok = o.calls.iter().filter(|c| c.status == 200).count();
        let overflowed: Vec<_> = o.calls.iter().filter(|c| c.status == 503).collect();
        assert!(ok > 0, "some calls reach the app");
        assert!(
            !overflowed.is_empty(),
            "three loops on one connection and one pending slot overflow"
        );
        assert_eq!(ok + overflowed.len(), 30);
        assert!(overflowed
            .iter()
            .all(|c| c.flags.contains(ResponseFlag::UO) && c.upstream_pod.is_none()));
        assert_eq!(
            stats.counters["cluster.httpbin.upstream_rq_pending_overflow"],
            overflowed.len() as u64
        );
        // fortio drops its connection after every non-200 and opens a new one for the next
        // call (a loop's last call opens none).
        let reconnects = overflowed
            .iter()
            .filter(|c| !c.request_id.ends_with("-9"))
            .count();
        assert_eq!(o.sockets_used, 3 + reconnects as u64);
        assert_eq!(
            o.calls.iter().filter(|c| c.new_socket).count() as u64,
            o.sockets_used
        );
    });
}
