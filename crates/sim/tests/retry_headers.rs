//! `x-envoy-retry-on` / `x-envoy-max-retries` sent by the client (`source/common/router/retry_state_impl.cc` `RetryStateImpl`): the client's
//! sidecar merges them into the route's retry policy (Istio's default route here) and
//! consumes them.

mod common;

use common::{fortio, httpbin_topology, scenario};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_sim::run;

/// 200 sequential calls to an httpbin failing half its requests with 500; `headers` on each.
fn failures_and_retries(headers: &[(&str, &str)]) -> (u64, u64) {
    let mut topo = httpbin_topology();
    let app = topo.workloads[0].app.as_mut().unwrap();
    app.error_rate = 0.5;
    app.error_status = 500;
    let mut load = fortio("c1", 1000, 1, 200);
    load.headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let r = run(&topo, &MeshPolicies::default(), &scenario(4, vec![load])).unwrap();
    let calls = &r.loads[0].2.calls;
    let failed = calls.len() - calls.with_status(200);
    let retries = r.proxies["fortio-0"].counters
        ["cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_retry"];
    (failed, retries)
}

#[test]
fn the_clients_retry_headers_make_its_sidecar_retry_500s() {
    // Istio's default route retries connect failures and gRPC codes, not a 500.
    let (plain, plain_retries) = failures_and_retries(&[]);
    assert_eq!(plain_retries, 0);
    assert!((70..=130).contains(&plain), "{plain} of 200 failed");
    // Istio's default 2 retries, now on 5xx too: about 0.5^3 = 12.5 % fail.
    let (two, _) = failures_and_retries(&[("x-envoy-retry-on", "5xx")]);
    assert!((8..=45).contains(&two), "{two} of 200 failed");
    // Five retries: about 0.5^6 ≈ 1.6 %.
    let (five, retries) =
        failures_and_retries(&[("x-envoy-retry-on", "5xx"), ("x-envoy-max-retries", "5")]);
    assert!(five <= 10, "{five} of 200 failed");
    assert!(retries >= 150, "{retries} retries");
}
