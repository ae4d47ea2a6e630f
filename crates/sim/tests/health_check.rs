//! Active health checking in the twin (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`): a proxy checks `/ping` on each endpoint on its
//! own connections; when one endpoint's health endpoint answers 503 the check marks it
//! unhealthy at once and traffic avoids it; when it answers 200 again, two passes bring it
//! back. A small world of three hosts with hand-written backends whose `/ping` status depends
//! on virtual time (the scenario format has no failure timeline yet).

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtwin_model::event::EventKind;
use meshtwin_model::policy::{HealthCheck, LbPolicy, PoolSettings, UpstreamProtocol};
use meshtwin_model::topology::Protocol;
use meshtwin_proxy::config::*;
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::platform::Platform;
use meshtwin_proxy::router_filter::plain_routes;
use meshtwin_proxy::Proxy;
use meshtwin_sim::clock::Clock;
use meshtwin_sim::network::{HostId, Network, Substrate};
use meshtwin_sim::platform::{Core, SimPlatform};
use meshtwin_sim::scheduler::run_until;

const FAIL_FROM: Duration = Duration::from_secs(70);
const FAIL_UNTIL: Duration = Duration::from_secs(90);
const END: Duration = Duration::from_secs(110);

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

#[derive(Default)]
struct Events(RefCell<Vec<(Duration, EventKind)>>);

impl Observer for Events {
    fn event(&self, now: Duration, kind: EventKind) {
        self.0.borrow_mut().push((now, kind));
    }
}

/// A backend named `name`; with `flaky`, its `/ping` answers 503 in [FAIL_FROM, FAIL_UNTIL).
fn backend(p: SimPlatform, name: &'static str, flaky: bool) {
    let q = p.clone();
    p.spawn(Box::pin(async move {
        let listener = q.bind(SocketAddr::new(q_ip(&q), 80)).await.unwrap();
        loop {
            let Ok((s, _)) = q.accept(&listener).await else {
                continue;
            };
            let r = q.clone();
            q.spawn(Box::pin(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let now = r.now();
                    async move {
                        let failing = flaky && (FAIL_FROM..FAIL_UNTIL).contains(&now);
                        let status = if req.uri().path() == "/ping" && failing {
                            503
                        } else {
                            200
                        };
                        let mut resp = Response::new(Full::new(Bytes::from_static(b"ok")));
                        *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        resp.headers_mut()
                            .insert("x-served-by", name.parse().unwrap());
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .auto_date_header(false)
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            }));
        }
    }));
}

thread_local! {
    static HOST_IPS: RefCell<Vec<(HostId, IpAddr)>> = const { RefCell::new(Vec::new()) };
}

fn q_ip(p: &SimPlatform) -> IpAddr {
    HOST_IPS.with(|h| h.borrow().iter().find(|(id, _)| *id == p.host).unwrap().1)
}

fn proxy_config() -> ProxyConfig {
    let hc = HealthCheck {
        protocol: Protocol::Http,
        path: Some("/ping".into()),
        port: None,
        interval: Duration::from_secs(5),
        timeout: Duration::from_secs(2),
        healthy_threshold: 2,
        unhealthy_threshold: 2,
    };
    ProxyConfig {
        node: "client".into(),
        workers: 1,
        envoy: Default::default(),
        processing_delay: Duration::ZERO,
        accept_delay: Duration::ZERO,
        listeners: vec![ListenerConfig {
            idle_timeout: None,
            name: "egress".into(),
            address: SocketAddr::new(ip(1), 15001),
            stat_prefix: "egress".into(),
            server_name: "envoy".into(),
            kind: ListenerKind::Http {
                codec: Codec::Http1,
                routes: plain_routes("all", "backend"),
            },
        }],
        clusters: vec![ClusterConfig {
            name: "backend".into(),
            endpoints: vec![
                Endpoint::new(SocketAddr::new(ip(2), 80), "b0"),
                Endpoint::new(SocketAddr::new(ip(3), 80), "b1"),
            ]
            .into(),
            protocol: UpstreamProtocol::Http1,
            pool: PoolSettings::appmesh_default(),
            lb_policy: LbPolicy::RoundRobin,
            outlier_detection: None,
            locality_weights: Default::default(),
            health_check: Some(hc),
        }],
    }
}

/// One request through the proxy every 100 ms from 1 s: (sent at, served by).
fn client(p: SimPlatform, served: Rc<RefCell<Vec<(Duration, String)>>>) {
    let q = p.clone();
    p.spawn(Box::pin(async move {
        q.sleep(Duration::from_secs(1)).await;
        loop {
            let at = q.now();
            let s = q.connect(SocketAddr::new(ip(1), 15001)).await.unwrap();
            let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
                .await
                .unwrap();
            q.spawn(Box::pin(async move {
                let _ = conn.await;
            }));
            let req = Request::get("/")
                .header("host", "backend")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let resp = send.send_request(req).await.unwrap();
            let by = resp
                .headers()
                .get("x-served-by")
                .map(|v| v.to_str().unwrap().to_string());
            let _ = resp.into_body().collect().await;
            served.borrow_mut().push((at, by.unwrap_or_default()));
            drop(send);
            q.sleep(Duration::from_millis(100)).await;
        }
    }));
}

#[test]
fn a_failing_health_endpoint_takes_its_host_out_of_rotation_until_it_passes_twice() {
    for substrate in [Substrate::Fabric, Substrate::TurmoilNet] {
        health_checks_on(substrate);
    }
}

fn health_checks_on(substrate: Substrate) {
    let ips: Vec<IpAddr> = (1..=3).map(ip).collect();
    let clock = Rc::new(Clock::default());
    let (mut network, ids) = Network::new(
        substrate,
        clock.clone(),
        &ips,
        Box::new(|_, _| Duration::from_micros(100)),
    );
    let hosts: Vec<_> = ids.into_iter().zip(ips).collect();
    HOST_IPS.with(|h| *h.borrow_mut() = hosts.clone());
    let core = Rc::new(Core::new(clock, &network));
    let platform = |i: usize| SimPlatform {
        core: core.clone(),
        host: hosts[i].0,
    };
    let events = Rc::new(Events::default());
    let proxy = Proxy::new(proxy_config(), platform(0), events.clone(), 1);
    let p = proxy.clone();
    platform(0).spawn(Box::pin(async move { p.start().await.unwrap() }));
    backend(platform(1), "b0", false);
    backend(platform(2), "b1", true);
    let served = Rc::new(RefCell::new(Vec::new()));
    client(platform(0), served.clone());
    run_until(&core, &mut network, END, || false);

    let hc: Vec<(Duration, String, String, String)> = events
        .0
        .borrow()
        .iter()
        .filter_map(|(t, e)| match e {
            EventKind::HealthCheck {
                host,
                action,
                reason,
                ..
            } => Some((*t, host.clone(), action.to_string(), reason.clone())),
            _ => None,
        })
        .collect();
    // Both hosts pass their first check at once. The cluster has carried no traffic yet, so
    // the next check is `no_traffic_interval` (60 s) later; from then on every 5 s. b1 fails
    // at the first check after 70 s (an unexpected status fails a healthy host at once), and
    // after 90 s needs two passes.
    let b1: Vec<_> = hc.iter().filter(|e| e.1 == "b1").collect();
    assert_eq!(b1.len(), 3, "{hc:?}");
    assert_eq!(
        (b1[0].2.as_str(), b1[0].3.as_str()),
        ("healthy", "first check")
    );
    let (down, up) = (b1[1].0, b1[2].0);
    assert_eq!(
        (b1[1].2.as_str(), b1[1].3.as_str()),
        ("unhealthy", "status 503")
    );
    assert!(
        down >= FAIL_FROM && down < FAIL_FROM + Duration::from_secs(6),
        "{down:?}"
    );
    assert_eq!(
        (b1[2].2.as_str(), b1[2].3.as_str()),
        ("healthy", "2 consecutive successes")
    );
    assert!(
        up >= FAIL_UNTIL + Duration::from_secs(5) && up < FAIL_UNTIL + Duration::from_secs(11),
        "{up:?}"
    );

    let served = served.borrow();
    let by = |from: Duration, to: Duration| -> Vec<&str> {
        served
            .iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .map(|(_, b)| b.as_str())
            .collect()
    };
    let before = by(Duration::from_secs(1), FAIL_FROM);
    assert!(before.len() > 600);
    assert!(
        before.contains(&"b0") && before.contains(&"b1"),
        "round robin over both"
    );
    let during = by(down + Duration::from_millis(1), up);
    assert!(
        during.len() > 100 && during.iter().all(|b| *b == "b0"),
        "traffic avoids b1"
    );
    let after = by(up + Duration::from_millis(1), END);
    assert!(after.contains(&"b1"), "b1 is back in rotation");

    let stats = proxy.stats();
    let c = |n: &str| stats.counters[&format!("cluster.backend.health_check.{n}")];
    assert_eq!(c("failure"), c("attempt") - c("success"));
    assert_eq!(c("network_failure"), 0);
    assert!(c("failure") >= 4, "b1 fails every check in [70 s, 90 s)");
    // 1 check per host at 0 s, then one per host every 5 s from 60 s.
    assert_eq!(c("attempt"), 2 * (1 + 10));
    assert_eq!(stats.gauges["cluster.backend.health_check.healthy"], 2);
    // Health checks do not go through the cluster's pools: only the client's requests count.
    let rq = stats.counters["cluster.backend.upstream_rq_total"];
    let n = served.len() as u64;
    assert!(
        rq == n || rq == n + 1,
        "{rq} pool requests for {n} client requests"
    );
    core.exec.shutdown();
    drop(network);
}

/// The same world with the cluster replaced at 30 s (a push with another load-balancing
/// policy): the old cluster's checks stop, the new one checks every host at once (new hosts
/// start `FAILED_ACTIVE_HC`) and then every 5 s (the scope has seen traffic), and the
/// `health_check.*` counters continue.
#[test]
fn a_replaced_cluster_stops_its_health_checks_and_its_replacement_takes_over() {
    const PUSH: Duration = Duration::from_secs(30);
    let ips: Vec<IpAddr> = (1..=3).map(ip).collect();
    let clock = Rc::new(Clock::default());
    let (mut network, ids) = Network::new(
        Substrate::Fabric,
        clock.clone(),
        &ips,
        Box::new(|_, _| Duration::from_micros(100)),
    );
    let hosts: Vec<_> = ids.into_iter().zip(ips).collect();
    HOST_IPS.with(|h| *h.borrow_mut() = hosts.clone());
    let core = Rc::new(Core::new(clock, &network));
    let platform = |i: usize| SimPlatform {
        core: core.clone(),
        host: hosts[i].0,
    };
    let events = Rc::new(Events::default());
    let proxy = Proxy::new(proxy_config(), platform(0), events.clone(), 1);
    let p = proxy.clone();
    let q = platform(0);
    platform(0).spawn(Box::pin(async move {
        p.start().await.unwrap();
        q.sleep(PUSH).await;
        let mut cfg = proxy_config();
        cfg.clusters[0].lb_policy = LbPolicy::Random;
        p.apply(&cfg, 2);
    }));
    backend(platform(1), "b0", false);
    backend(platform(2), "b1", true);
    let served = Rc::new(RefCell::new(Vec::new()));
    client(platform(0), served.clone());
    run_until(&core, &mut network, END, || false);

    let b1: Vec<(Duration, String, String)> = events
        .0
        .borrow()
        .iter()
        .filter_map(|(t, e)| match e {
            EventKind::HealthCheck {
                host,
                action,
                reason,
                ..
            } if host == "b1" && *t >= PUSH => Some((*t, action.to_string(), reason.clone())),
            _ => None,
        })
        .collect();
    let what: Vec<(&str, &str)> = b1.iter().map(|e| (e.1.as_str(), e.2.as_str())).collect();
    assert_eq!(
        what,
        [
            ("healthy", "first check"),
            ("unhealthy", "status 503"),
            ("healthy", "2 consecutive successes")
        ],
        "one checker after the push: {b1:?}"
    );
    assert!(
        b1[0].0 - PUSH < Duration::from_millis(1),
        "checked at once: {b1:?}"
    );

    let stats = proxy.stats();
    let c = |n: &str| stats.counters[&format!("cluster.backend.health_check.{n}")];
    // The old cluster's first checks of both hosts at 0 s, then the new one's every 5 s from
    // the push to the end (at most 17 rounds).
    let attempts = c("attempt");
    assert!(
        (2 * (1 + 15)..=2 * (1 + 17)).contains(&attempts),
        "{attempts} health-check attempts"
    );
    assert_eq!(c("failure"), attempts - c("success"));
    core.exec.shutdown();
    drop(network);
}
