//! The twin's pod models on real loopback sockets (the `RealPlatform` seam), each pod on its
//! own loopback address as `meshtwin run --real` will place them: app models behind a
//! sidecar built from the proxy core, driven by the fortio-style load generator. The load
//! sees the twin's mechanisms on real sockets: with a one-connection, one-pending circuit
//! breaker, calls answered 200 by the app and the others 503 with Envoy's `UO` flag, counted
//! as pending overflows, fortio reconnecting after each 503; with outlier detection, a pod
//! answering 503 ejected after its third consecutive failure.

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::event::ResponseFlag;
use meshtwin_model::policy::{
    LbPolicy, OutlierDetection, PoolSettings, Thresholds, UpstreamProtocol,
};
use meshtwin_model::scenario::LoadSpec;
use meshtwin_model::topology::{AppBehaviour, LatencyDist};
use meshtwin_proxy::config::*;
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::router_filter::plain_routes;
use meshtwin_proxy::stats::StatsSnapshot;
use meshtwin_proxy::Proxy;
use meshtwin_sim::app::{spawn_app, App};
use meshtwin_sim::loadgen::{spawn_load, CallRecord, LoadOutcome, LoadTarget};
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
fn sidecar_config(
    listen: SocketAddr,
    apps: &[(String, SocketAddr)],
    thresholds: Thresholds,
) -> ProxyConfig {
    ProxyConfig {
        node: SIDECAR.into(),
        workers: 1,
        envoy: Default::default(),
        processing_delay: Duration::ZERO,
        accept_delay: Duration::ZERO,
        listeners: vec![ListenerConfig {
            idle_timeout: None,
            name: "outbound".into(),
            address: listen,
            stat_prefix: "outbound_0.0.0.0_15001".into(),
            server_name: "envoy".into(),
            kind: ListenerKind::Http {
                codec: Codec::Http1,
                routes: plain_routes("httpbin", "httpbin"),
            },
        }],
        clusters: vec![ClusterConfig {
            name: "httpbin".into(),
            endpoints: apps
                .iter()
                .map(|(pod, addr)| Endpoint::new(*addr, pod))
                .collect(),
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

/// httpbin pod `pod`'s model, behaving as `behaviour`.
fn httpbin(
    platform: RealPlatform,
    pod: &str,
    behaviour: AppBehaviour,
    observer: Rc<dyn Observer>,
) -> App<RealPlatform> {
    App {
        platform,
        pod: pod.into(),
        behaviour: Rc::new(RefCell::new(Rc::new(behaviour))),
        rng: RefCell::new(ChaCha8Rng::seed_from_u64(1)),
        workers: Semaphore::new(Semaphore::MAX_PERMITS),
        resolver: Rc::new(|_: &str, _: u16| None),
        observer,
        http2: false,
    }
}

/// An app that spends `ms` on each call, then answers `status` (200: succeeds).
fn answering(ms: u64, status: u16) -> AppBehaviour {
    AppBehaviour {
        latency: LatencyDist::Fixed {
            value: Duration::from_millis(ms),
        },
        error_rate: if status == 200 { 0.0 } else { 1.0 },
        error_status: status,
        ..AppBehaviour::default()
    }
}

/// The pods on loopback: httpbin's (each on its own address, 127.0.1.2 on) behind the
/// client's sidecar (127.0.1.1), whose cluster has `thresholds` and `outlier`.
struct Mesh {
    apps: Vec<AppBehaviour>,
    thresholds: Thresholds,
    outlier: Option<OutlierDetection>,
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

/// Run the mesh's pods and the load on loopback until every call has ended.
/// The load's outcome, its calls as the trace records them and the sidecar's stats.
async fn run(
    mesh: Mesh,
    connections: u32,
    calls: u64,
) -> (LoadOutcome, Vec<CallRecord>, StatsSnapshot) {
    let platform = RealPlatform::new();
    let recorder = Rc::new(Recorder::new(100_000));
    let observer: Rc<dyn Observer> = Rc::new(RecorderObserver(recorder.clone()));
    let mut pods = Vec::new();
    for (i, behaviour) in mesh.apps.into_iter().enumerate() {
        let pod = format!("httpbin-{i}");
        let addr = free_addr(Ipv4Addr::new(127, 0, 1, 2 + i as u8));
        let app = httpbin(platform.clone(), &pod, behaviour, observer.clone());
        spawn_app(app, addr);
        pods.push((pod, addr));
    }
    let sidecar_addr = free_addr(Ipv4Addr::new(127, 0, 1, 1));
    let mut cfg = sidecar_config(sidecar_addr, &pods, mesh.thresholds);
    cfg.clusters[0].outlier_detection = mesh.outlier;
    let proxy = Proxy::new(cfg, platform.clone(), observer, 1);
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
        if outcome.borrow().calls.len() == calls {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = proxy.stats();
    let o = outcome.borrow().clone();
    let traced = recorder.traced_calls("fortio");
    (o, traced, stats)
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
        let (o, calls, stats) = run(
            Mesh {
                apps: vec![answering(40, 200)],
                thresholds: Thresholds::ISTIO_DEFAULT,
                outlier: None,
            },
            2,
            10,
        )
        .await;
        assert_eq!(calls.len(), 10);
        assert!(calls.iter().all(|c| c.status == 200), "{:?}", calls);
        assert!(calls
            .iter()
            .all(|c| c.upstream_pod.as_deref() == Some("httpbin-0")));
        assert!(calls.iter().all(|c| c.flags.is_empty()));
        // The app spends 40 ms on each call; the load ends no sooner.
        assert!(calls.iter().all(|c| c.latency >= Duration::from_millis(40)));
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
        let (o, calls, stats) = run(
            Mesh {
                apps: vec![answering(40, 200)],
                thresholds,
                outlier: None,
            },
            3,
            30,
        )
        .await;
        assert_eq!(calls.len(), 30);
        let ok = calls.iter().filter(|c| c.status == 200).count();
        let overflowed: Vec<_> = calls.iter().filter(|c| c.status == 503).collect();
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
            calls.iter().filter(|c| c.new_socket).count() as u64,
            o.sockets_used
        );
    });
}

#[test]
fn consecutive_503s_eject_the_failing_pod_on_real_sockets() {
    run_local(async {
        // The outlier-detection walkthrough's rule: three consecutive 5xx eject for 30 s.
        let outlier = OutlierDetection {
            consecutive_5xx: Some(3),
            consecutive_gateway_failure: None,
            consecutive_local_origin_failure: None,
            split_external_local_origin_errors: false,
            interval: Duration::from_secs(1),
            base_ejection_time: Duration::from_secs(30),
            max_ejection_time: None,
            max_ejection_percent: 100,
            enforcing_consecutive_5xx: 100,
            enforcing_consecutive_gateway_failure: 0,
            enforcing_success_rate: 0,
            healthy_panic_threshold: Some(0),
        };
        let (_, calls, stats) = run(
            Mesh {
                apps: vec![answering(5, 503), answering(5, 200)],
                thresholds: Thresholds::ISTIO_DEFAULT,
                outlier: Some(outlier),
            },
            1,
            20,
        )
        .await;
        assert_eq!(calls.len(), 20);
        let failed: Vec<_> = calls.iter().filter(|c| c.status == 503).collect();
        // Round robin sends every other call to httpbin-0 until its third 503 ejects it;
        // httpbin-1 answers everything after.
        assert_eq!(failed.len(), 3, "{:?}", calls);
        assert!(failed
            .iter()
            .all(|c| c.upstream_pod.as_deref() == Some("httpbin-0") && c.flags.is_empty()));
        let last_failure = calls.iter().rposition(|c| c.status == 503).unwrap();
        assert!(calls[last_failure + 1..]
            .iter()
            .all(|c| c.status == 200 && c.upstream_pod.as_deref() == Some("httpbin-1")));
        let p = "cluster.httpbin.outlier_detection.";
        assert_eq!(
            stats.counters[&format!("{p}ejections_enforced_consecutive_5xx")],
            1
        );
        assert_eq!(stats.gauges[&format!("{p}ejections_active")], 1);
    });
}
