//! The cluster's `retries` circuit breaker (`max_retries`) as Envoy's
//! `RetryStateImpl::shouldRetry` consults it: a request's previous retry gives its resource
//! back (`resetRetry`) before the next retry asks for one, and a retry cut short by the
//! route's global timeout gives it back too.

mod common;

use common::*;
use meshtwin_model::policy::Thresholds;
use meshtwin_sim::RunResult;

const OUTBOUND: &str = "cluster.outbound|8000||httpbin.default.svc.cluster.local";

/// 20 sequential calls to an httpbin answering every request with 500, the client's sidecar
/// retrying 5xx under a `max_retries: 1` breaker, with the extra request `headers`.
fn always_failing(headers: &[(&str, &str)]) -> RunResult {
    let mut topo = httpbin_topology();
    let app = topo.workloads[0].app.as_mut().unwrap();
    app.error_rate = 1.0;
    app.error_status = 500;
    let mut load = fortio("c1", 1000, 1, 20);
    load.headers = [("x-envoy-retry-on", "5xx")]
        .iter()
        .chain(headers)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut policies = circuit_breaker_policy();
    policies.destination_rules[0].traffic_policy.pool = meshtwin_model::policy::PoolSettings {
        thresholds: Thresholds {
            max_retries: 1,
            ..Thresholds::ISTIO_DEFAULT
        },
        ..meshtwin_model::policy::PoolSettings::istio_default()
    };
    meshtwin_sim::run(&topo, &policies, &scenario(3, vec![load])).unwrap()
}

fn counter(r: &RunResult, name: &str) -> u64 {
    r.proxies["fortio-0"].counters[&format!("{OUTBOUND}.{name}")]
}

#[test]
fn one_requests_retries_follow_each_other_under_a_breaker_of_one() {
    let r = always_failing(&[("x-envoy-max-retries", "2")]);
    assert_eq!(counter(&r, "upstream_rq_retry"), 40, "two retries per call");
    assert_eq!(counter(&r, "upstream_rq_retry_overflow"), 0);
    assert_eq!(counter(&r, "upstream_rq_retry_limit_exceeded"), 20);
    assert!(r
        .traced_calls(&r.loads[0].0.name)
        .iter()
        .all(|c| c.flags.to_string() == "URX"));
    assert!(r.violations.is_empty(), "{:?}", r.violations);
}

#[test]
fn a_retry_cut_short_by_the_global_timeout_gives_its_resource_back() {
    // The first attempt fails within 4 ms; its retry waits out a back-off of up to 25 ms
    // and takes 1–3 ms more, which the 5 ms route timeout mostly cuts short.
    let r = always_failing(&[("x-envoy-upstream-rq-timeout-ms", "5")]);
    assert!(counter(&r, "upstream_rq_retry") >= 20, "every call retried");
    assert_eq!(
        counter(&r, "upstream_rq_timeout"),
        20,
        "every call timed out"
    );
    // Had a cut-short retry kept its resource, the next call's retry would overflow.
    assert_eq!(counter(&r, "upstream_rq_retry_overflow"), 0);
}
