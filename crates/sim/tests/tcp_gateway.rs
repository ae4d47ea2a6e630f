//! An Istio ingress gateway pod (`istioGateway`) configured from `Gateway` resources: TCP
//! connections on its 31400 routed by a weighted `tcp:` rule to tcp-echo v1 / v2, each
//! connection's cluster picked once (istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`; reference result R6), and an HTTP server
//! routing to httpbin through the bound VirtualService.

mod common;

use std::collections::BTreeMap;

use common::scenario;
use common::tcp_echo::{load, policies, policies_with, topology};
use meshtwin_sim::loadgen::CallRecord;
use meshtwin_sim::run;

/// The load's sockets and its calls, as the trace records them.
fn nc(v1_weight: u32, calls: u64, seed: u64) -> (u64, Vec<CallRecord>) {
    let sc = scenario(
        seed,
        vec![load(
            "nc",
            "tcp://istio-ingressgateway.istio-system:31400",
            calls,
        )],
    );
    let r = run(&topology(), &policies(v1_weight), &sc).unwrap();
    (
        r.loads[0].2.sockets_used,
        r.traced_calls(&r.loads[0].0.name),
    )
}

#[test]
fn each_tcp_connection_through_the_gateway_goes_to_v1_or_v2_per_the_weights() {
    let (sockets_used, calls) = nc(80, 300, 1);
    assert_eq!(calls.len(), 300);
    assert_eq!(sockets_used, 300, "one connection per call");
    let mut by_pod: BTreeMap<String, u32> = BTreeMap::new();
    for c in &calls {
        assert_eq!(c.status, 200, "{c:?}");
        let pod = c.upstream_pod.clone().expect("the answering pod is known");
        // The answer is the echo of the call's line, prefixed by the version that answered.
        let prefix = if pod.starts_with("tcp-echo-v1") {
            "one"
        } else {
            "two"
        };
        assert_eq!(c.notes, vec![format!("{prefix} {}", c.request_id)]);
        *by_pod.entry(pod).or_default() += 1;
    }
    let v2 = by_pod.get("tcp-echo-v2-0").copied().unwrap_or(0);
    assert!(
        (45..=75).contains(&v2),
        "v2 answered {v2} of 300: {by_pod:?}"
    );
    assert_eq!(by_pod.values().sum::<u32>(), 300);
}

#[test]
fn the_gateway_counts_each_connection_on_its_tcp_proxy_and_the_picked_cluster() {
    let sc = scenario(
        3,
        vec![load(
            "nc",
            "tcp://istio-ingressgateway.istio-system:31400",
            50,
        )],
    );
    let r = run(&topology(), &policies(80), &sc).unwrap();
    let gw = &r.proxies["istio-ingressgateway-0"].counters;
    assert_eq!(gw["tcp.tcp-echo.shift.downstream_cx_total"], 50);
    let cx = |subset: &str| {
        gw[&format!(
            "cluster.outbound|9000|{subset}|tcp-echo.shift.svc.cluster.local.upstream_cx_total"
        )]
    };
    let v2_calls = r.loads[0].2.calls.by_upstream[&Some("tcp-echo-v2-0".to_string())];
    assert_eq!(cx("v2"), v2_calls);
    assert_eq!(cx("v1") + cx("v2"), 50);
    // Each sidecar's inbound is a tcp_proxy too (the service port is opaque TCP).
    let v1 = &r.proxies["tcp-echo-v1-0"].counters;
    assert_eq!(v1["tcp.inbound|9000||.downstream_cx_total"], cx("v1"));
}

#[test]
fn a_100_0_split_sends_every_connection_to_v1() {
    let (_, calls) = nc(100, 40, 2);
    assert!(calls
        .iter()
        .all(|c| c.upstream_pod.as_deref() == Some("tcp-echo-v1-0")));
}

#[test]
fn the_same_seed_picks_the_same_version_for_every_connection() {
    let pods = |(_, calls): (u64, Vec<CallRecord>)| -> Vec<Option<String>> {
        calls.into_iter().map(|c| c.upstream_pod).collect()
    };
    assert_eq!(pods(nc(50, 60, 9)), pods(nc(50, 60, 9)));
    assert_ne!(pods(nc(50, 60, 9)), pods(nc(50, 60, 10)));
}

#[test]
fn an_http_server_of_the_gateway_routes_by_the_bound_virtual_service() {
    let sc = scenario(
        1,
        vec![load(
            "web",
            "http://istio-ingressgateway.istio-system:80/get",
            10,
        )],
    );
    let r = run(&topology(), &policies(80), &sc).unwrap();
    let calls = r.traced_calls(&r.loads[0].0.name);
    assert_eq!(calls.len(), 10);
    for c in &calls {
        assert_eq!(c.status, 200, "{c:?}");
        assert_eq!(c.upstream_pod.as_deref(), Some("httpbin-0"));
    }
    // Server port 80 is the gateway Service's 80 → targetPort 8080: istiod's listener there.
    let gw = &r.proxies["istio-ingressgateway-0"].counters;
    assert_eq!(gw["http.outbound_0.0.0.0_8080.downstream_rq_total"], 10);
}

#[test]
fn over_max_connections_the_gateway_closes_the_connection_at_once_with_no_queue() {
    // Two nc clients connect at the same instant to a v1 subset allowing one connection:
    // tcp_proxy's limit is hard (`source/common/tcp_proxy/tcp_proxy.cc` `Filter::initializeUpstreamConnection`), so one of them is closed unanswered.
    let mut l = load("nc", "tcp://istio-ingressgateway.istio-system:31400", 2);
    l.connections = 2;
    l.qps = 0.0;
    let r = run(
        &topology(),
        &policies_with(100, Some(1)),
        &scenario(1, vec![l]),
    )
    .unwrap();
    let codes: Vec<u16> = r
        .traced_calls(&r.loads[0].0.name)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    let gw = &r.proxies["istio-ingressgateway-0"].counters;
    assert_eq!(
        gw["cluster.outbound|9000|v1|tcp-echo.shift.svc.cluster.local.upstream_cx_overflow"],
        1
    );
    let uo = r.events.iter().any(|e| {
        matches!(&e.kind, meshtwin_model::event::EventKind::AccessLog { proxy, flags, .. }
            if proxy == "istio-ingressgateway-0"
                && flags.contains(meshtwin_model::event::ResponseFlag::UO))
    });
    assert!(uo, "the gateway's access log says UO");
}
