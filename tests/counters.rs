//! Envoy's counters add up in the bundled scenarios where they once did not: each test reads
//! one proxy's `stats.txt` section after a real run and checks the identity Envoy keeps
//! (`CodeStatsImpl::chargeBasicResponseStat`, `reportUpstreamCxDestroy`,
//! `ConnectionManagerImpl::ActiveStream::onResetStream`). The invariant checker checks every
//! identity of every run; these pin the figures of the cases that were wrong.

mod common;

use std::collections::BTreeMap;

use common::{read, run_scenario, TempDir};

/// One proxy's stats (counters and gauges) from a run of `scenario`.
fn stats_of(scenario: &str, pod: &str) -> BTreeMap<String, u64> {
    let tmp = TempDir::new("counters", pod);
    let out = tmp.join("out");
    let got = run_scenario(scenario, &out, &[]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    let text = String::from_utf8(read(&out.join("stats.txt"))).expect("UTF-8");
    let mut section = false;
    let mut stats = BTreeMap::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("# proxy ") {
            section = p == pod;
        } else if let (true, Some((name, value))) = (section, line.rsplit_once(": ")) {
            stats.insert(name.to_string(), value.parse().expect("a stat's value"));
        }
    }
    assert!(!stats.is_empty(), "no stats of {pod} in {scenario}");
    stats
}

fn get(stats: &BTreeMap<String, u64>, name: &str) -> u64 {
    stats.get(name).copied().unwrap_or(0)
}

fn classes(stats: &BTreeMap<String, u64>, prefix: &str) -> u64 {
    (1..=5).map(|c| get(stats, &format!("{prefix}{c}xx"))).sum()
}

#[test]
fn a_mirror_cluster_counts_each_shadow_as_a_completed_request() {
    let s = stats_of("scenarios/istio-mirroring.yaml", "sleep-0");
    let c = "cluster.outbound|8000|v2|httpbin.default.svc.cluster.local.upstream_rq_";
    assert_eq!(get(&s, &format!("{c}completed")), 20);
    assert_eq!(classes(&s, c), 20);
}

#[test]
fn an_edge_gateway_that_retries_charges_each_request_once_and_each_retried_response_under_retry() {
    let s = stats_of(
        "scenarios/tetrate-edge-automatic-scale-service.yaml",
        "edgegw-0",
    );
    let c = "cluster.outbound|80||bookinfo.tse.tetratelabs.io.";
    let completed = get(&s, &format!("{c}upstream_rq_completed"));
    assert_eq!(completed, classes(&s, &format!("{c}upstream_rq_")));
    let retried = get(&s, &format!("{c}retry.upstream_rq_completed"));
    assert!(retried > 0, "the scenario retries 5xx responses");
    assert_eq!(retried, classes(&s, &format!("{c}retry.upstream_rq_")));
}

#[test]
fn connections_of_an_external_service_are_destroyed_on_one_side_or_still_active() {
    let s = stats_of("scenarios/istio-external-failover.yaml", "sleep-0");
    let c = "cluster.outbound|80||mydb.com.upstream_cx_";
    let (total, destroy) = (
        get(&s, &format!("{c}total")),
        get(&s, &format!("{c}destroy")),
    );
    assert_eq!(total - destroy, get(&s, &format!("{c}active")));
    assert_eq!(
        destroy,
        get(&s, &format!("{c}destroy_local")) + get(&s, &format!("{c}destroy_remote"))
    );
    assert!(
        destroy > 0,
        "the invalid port's connect failure destroys one"
    );
}

#[test]
fn tcp_proxy_connections_are_destroyed_on_the_side_that_ended_first() {
    let s = stats_of(
        "scenarios/istio-tcp-traffic-shifting-all-v1.yaml",
        "istio-ingressgateway-0",
    );
    let c = "cluster.outbound|9000|v1|tcp-echo.istio-io-tcp-traffic-shifting.svc.cluster.local.upstream_cx_";
    let destroy = get(&s, &format!("{c}destroy"));
    assert_eq!(destroy, 10);
    assert_eq!(
        destroy,
        get(&s, &format!("{c}destroy_local")) + get(&s, &format!("{c}destroy_remote"))
    );
}

#[test]
fn requests_the_client_abandoned_end_as_downstream_resets() {
    let s = stats_of("scenarios/istio-fault-delay.yaml", "reviews-v2-0");
    let h = "http.inbound_0.0.0.0_9080.downstream_rq_";
    let total = get(&s, &format!("{h}total"));
    assert_eq!(total, 10);
    assert_eq!(
        get(&s, &format!("{h}rx_reset")),
        10,
        "every call timed out first"
    );
    assert_eq!(
        total,
        get(&s, &format!("{h}completed"))
            + get(&s, &format!("{h}rx_reset"))
            + get(&s, &format!("{h}active"))
    );
}
