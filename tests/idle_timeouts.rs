//! App Mesh idle timeouts reach the proxies: a route's `timeout.idle` is the client Envoy's
//! route `idle_timeout`, a virtual node listener's `timeout.http.idle` its own Envoy's ingress
//! `stream_idle_timeout`. Either answers a request that sees no byte for that long 408 with
//! flag `SI` (`source/common/http/conn_manager_impl.cc` `ActiveStream::onIdleTimeout`), on
//! the virtual clock. The app is howto-k8s-timeout-policy's colorapp, silent for 45 s. Over
//! TCP, a `tcpRoute`'s `timeout.idle` is the client's `tcp_proxy` `idle_timeout` and a `tcp`
//! listener's `timeout.tcp.idle` the server's: the connection is closed with no answer
//! (`source/common/tcp_proxy/tcp_proxy.cc` `Filter::onIdleTimeout`); there redis-server
//! answers each line after 2 s.

mod common;

use std::path::Path;

use common::{run_scenario, TempDir};
use serde_json::Value;

fn events(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("trace.jsonl"))
        .expect("trace written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect()
}

/// Run the fixture scenario `name` and return its trace and `stats.txt`.
fn run(name: &str) -> (Vec<Value>, String) {
    let dir = TempDir::new("idle", name);
    let out = dir.join("out");
    let scenario = format!("tests/fixtures/idle/{name}-scenario.yaml");
    let r = run_scenario(&scenario, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let stats = std::fs::read_to_string(out.join("stats.txt")).expect("stats written");
    (events(&out), stats)
}

fn of_kind<'a>(ev: &'a [Value], kind: &str) -> Vec<&'a Value> {
    ev.iter().filter(|e| e["kind"] == kind).collect()
}

fn ms(v: &Value, field: &str) -> f64 {
    v[field].as_f64().expect("a duration")
}

#[test]
fn a_route_idle_timeout_answers_408_si_at_the_clients_envoy_after_it() {
    let (ev, stats) = run("route-idle-10s");
    let calls = of_kind(&ev, "request");
    assert_eq!(calls.len(), 4);
    for c in &calls {
        assert_eq!(
            (c["status"].as_u64(), c["flags"].as_str()),
            (Some(408), Some("SI"))
        );
        let latency = ms(c, "latency_ms");
        assert!((10_000.0..10_010.0).contains(&latency), "{latency} ms");
    }
    let logs = of_kind(&ev, "access_log");
    let front: Vec<_> = logs.iter().filter(|l| l["proxy"] == "front-0").collect();
    assert_eq!(front.len(), 4);
    assert!(front
        .iter()
        .all(|l| l["status"] == 408 && l["flags"] == "SI"));
    // front's Envoy reset its upstream request: colorapp's Envoys see their client go (DC).
    let server: Vec<_> = logs.iter().filter(|l| l["proxy"] != "front-0").collect();
    assert_eq!(server.len(), 4);
    assert!(server
        .iter()
        .all(|l| l["status"] == 0 && l["flags"] == "DC"));
    assert!(
        stats.contains("http.egress.downstream_rq_idle_timeout: 4"),
        "{stats}"
    );
}

#[test]
fn a_route_idle_timeout_longer_than_the_apps_pause_lets_every_call_through() {
    let (ev, stats) = run("route-idle-50s");
    let calls = of_kind(&ev, "request");
    assert_eq!(calls.len(), 4);
    for c in &calls {
        assert_eq!(c["status"].as_u64(), Some(200));
        let latency = ms(c, "latency_ms");
        assert!((45_000.0..45_010.0).contains(&latency), "{latency} ms");
    }
    assert!(
        stats.contains("http.egress.downstream_rq_idle_timeout: 0"),
        "{stats}"
    );
}

#[test]
fn a_listener_idle_timeout_answers_408_si_at_the_servers_envoy_and_the_client_passes_it_on() {
    let (ev, stats) = run("listener-idle-10s");
    let calls = of_kind(&ev, "request");
    assert_eq!(calls.len(), 4);
    for c in &calls {
        assert_eq!(c["status"].as_u64(), Some(408));
        let latency = ms(c, "latency_ms");
        assert!((10_000.0..10_010.0).contains(&latency), "{latency} ms");
    }
    let logs = of_kind(&ev, "access_log");
    for l in &logs {
        let at_server = l["proxy"] != "front-0";
        // The 408 is colorapp's Envoy's own (SI); front's forwards it, with no flag.
        let flags = if at_server { "SI" } else { "-" };
        assert_eq!(
            (l["status"].as_u64(), l["flags"].as_str()),
            (Some(408), Some(flags)),
            "{l}"
        );
    }
    assert_eq!(logs.len(), 8);
    // Two calls went to each colorapp replica (the route splits 1:1).
    assert_eq!(
        stats
            .matches("http.ingress.downstream_rq_idle_timeout: 2")
            .count(),
        2,
        "{stats}"
    );
}

/// The calls of a TCP fixture: (code, latency) each, and the sum of the `stat` counters.
fn tcp_run(name: &str, stat: &str) -> (Vec<(u64, f64)>, u64) {
    let (ev, stats) = run(name);
    let calls = of_kind(&ev, "request")
        .iter()
        .map(|c| (c["status"].as_u64().expect("code"), ms(c, "latency_ms")))
        .collect();
    let total = stats
        .lines()
        .filter_map(|l| {
            l.strip_prefix(stat)?
                .strip_prefix(": ")?
                .parse::<u64>()
                .ok()
        })
        .sum();
    (calls, total)
}

#[test]
fn a_tcp_route_idle_timeout_closes_the_clients_connection_before_the_answer() {
    let (calls, timeouts) = tcp_run("tcp-route-idle-1s", "tcp.egress.idle_timeout");
    assert_eq!(calls.len(), 8);
    for (code, latency) in &calls {
        // Closed without an answer: the twin's code 0, after the 1 s idle timeout.
        assert_eq!(*code, 0);
        assert!((1000.0..1010.0).contains(latency), "{latency} ms");
    }
    assert_eq!(timeouts, 8);
}

#[test]
fn a_tcp_route_idle_timeout_longer_than_the_pause_lets_every_answer_through() {
    let (calls, timeouts) = tcp_run("tcp-route-idle-3s", "tcp.egress.idle_timeout");
    assert_eq!(calls.len(), 8);
    for (code, latency) in &calls {
        assert_eq!(*code, 200);
        assert!((2000.0..2010.0).contains(latency), "{latency} ms");
    }
    assert_eq!(timeouts, 0);
}

#[test]
fn a_tcp_listener_idle_timeout_closes_the_connection_at_the_servers_envoy() {
    let (calls, timeouts) = tcp_run("tcp-listener-idle-1s", "tcp.ingress.idle_timeout");
    assert_eq!(calls.len(), 8);
    for (code, latency) in &calls {
        assert_eq!(*code, 0);
        assert!((1000.0..1010.0).contains(latency), "{latency} ms");
    }
    // Every connection timed out at one of the two redis-server Envoys.
    assert_eq!(timeouts, 8);
}
