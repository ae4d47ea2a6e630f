//! A whole scenario on real loopback sockets (`meshtwin_sim::real`), with each pod's places
//! on ports of 127.0.0.1 — the plan used where 127.0.0.1 is the only loopback address — and a
//! scenario over the real-time limit refused before anything starts.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use meshtwin_model::event::TraceLevel;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::run::RunPlatform;
use meshtwin_sim::real::addresses::Layout;
use meshtwin_sim::real::{run_real, run_real_on, RealError, MAX_REAL_DURATION};

#[test]
fn on_ports_of_127_0_0_1_every_call_reaches_httpbin_through_both_sidecars() {
    let mut sc = scenario(1, vec![fortio("c1", 100, 1, 20)]);
    sc.duration = Duration::from_millis(1500);
    let r = run_real_on(
        Layout::Ports,
        TraceLevel::Full,
        &httpbin_topology(),
        &MeshPolicies::default(),
        &sc,
        &BTreeMap::new(),
    )
    .expect("a short scenario runs");
    assert_eq!(r.platform, RunPlatform::Real);
    let calls = &r.loads[0].2.calls;
    assert_eq!(calls.len(), 20, "fortio -n 20 makes 20 calls");
    assert_eq!(calls.with_status(200), 20, "{calls:?}");
    assert_eq!(
        calls.by_upstream.get(&Some("httpbin-0".to_string())),
        Some(&20),
        "{calls:?}"
    );
    // Both sidecars saw every call: fortio's outbound, httpbin's inbound.
    let rq = |pod: &str, cluster: &str| {
        r.proxies[pod].counters[&format!("cluster.{cluster}.upstream_rq_200")]
    };
    assert_eq!(
        rq(
            "fortio-0",
            "outbound|8000||httpbin.default.svc.cluster.local"
        ),
        20
    );
    assert_eq!(rq("httpbin-0", "inbound|80||"), 20);
    assert!(r.violations.is_empty(), "{:?}", r.violations);
}

#[test]
fn a_scenario_longer_than_the_limit_is_refused() {
    let mut sc = scenario(1, vec![fortio("c1", 100, 1, 20)]);
    sc.duration = MAX_REAL_DURATION + Duration::from_millis(1);
    let e = run_real(
        TraceLevel::Full,
        &httpbin_topology(),
        &MeshPolicies::default(),
        &sc,
        &BTreeMap::new(),
    )
    .unwrap_err();
    assert!(matches!(e, RealError::TooLong(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "60.001 s is longer than --real's limit of 60 s: a real run takes its scenario's duration in wall-clock time"
    );
}

#[test]
fn a_pod_that_cannot_listen_fails_the_run_naming_the_address() {
    let Layout::Addresses { block, _lock } = Layout::detect(7) else {
        panic!("Linux routes all of 127/8 to lo");
    };
    // Another program holds both pods' localhost:15001 (their sidecars' outbound listeners).
    let taken: Vec<std::net::TcpListener> = [3, 5]
        .iter()
        .map(|j| {
            std::net::TcpListener::bind((std::net::Ipv4Addr::new(127, block, 0, *j), 15001))
                .unwrap()
        })
        .collect();
    let mut sc = scenario(1, vec![fortio("c1", 100, 1, 5)]);
    sc.duration = Duration::from_millis(500);
    let e = run_real_on(
        Layout::Addresses { block, _lock },
        TraceLevel::Full,
        &httpbin_topology(),
        &MeshPolicies::default(),
        &sc,
        &BTreeMap::new(),
    )
    .unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, RealError::Listen(_)), "{message}");
    assert!(
        message.contains(&format!(
            "httpbin-0 cannot listen on 127.0.0.1:15001 (at 127.{block}.0.3:15001)"
        )),
        "{message}"
    );
    drop(taken);
}
