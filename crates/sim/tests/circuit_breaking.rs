//! The Istio circuit-breaking task inside the twin (`source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase::onUpstreamReady`, reference R1): the 503s come
//! from the pending queue overflowing while the draining connection holds the only slot.

mod common;

use common::*;
use meshtwin_model::event::{EventKind, PoolEvent};
use meshtwin_sim::RunResult;

const OUTBOUND: &str = "outbound|8000||httpbin.default.svc.cluster.local";

fn run(seed: u64) -> RunResult {
    let sc = scenario(
        seed,
        vec![fortio("c2", 1000, 2, 20), fortio("c3", 10_000, 3, 30)],
    );
    meshtwin_sim::run(&httpbin_topology(), &circuit_breaker_policy(), &sc).expect("valid scenario")
}

fn share_503(r: &RunResult, load: usize) -> f64 {
    let calls = r.traced_calls(&r.loads[load].0.name);
    calls.iter().filter(|c| c.status == 503).count() as f64 / calls.len() as f64
}

#[test]
fn every_503_is_a_local_pending_overflow_at_the_client_sidecar() {
    let r = run(1);
    let n503: usize = r
        .loads
        .iter()
        .map(|(_, _, o)| o.calls.with_status(503) as usize)
        .sum();
    assert!(n503 > 0, "the task produces 503s");
    for (spec, _, _) in &r.loads {
        for c in r
            .traced_calls(&spec.name)
            .iter()
            .filter(|c| c.status == 503)
        {
            assert_eq!(
                c.flags,
                meshtwin_model::event::ResponseFlag::UO.into(),
                "call {} must be a local overflow",
                c.request_id
            );
            assert_eq!(c.upstream_pod, None, "an overflow never reaches httpbin");
        }
    }
    let client = &r.proxies["fortio-0"];
    assert_eq!(
        client.counters[&format!("cluster.{OUTBOUND}.upstream_rq_pending_overflow")],
        n503 as u64
    );
    assert_eq!(
        client.counters[&format!("cluster.{OUTBOUND}.upstream_rq_503")],
        n503 as u64
    );
    // The server side never overflowed: httpbin's inbound cluster saw only successes.
    let server = &r.proxies["httpbin-0"];
    assert_eq!(
        server.counters["cluster.inbound|80||.upstream_rq_pending_overflow"],
        0
    );
}

#[test]
fn the_trace_shows_the_draining_connection_blocking_a_new_one() {
    let r = run(1);
    let pool_events: Vec<(PoolEvent, u64, u64)> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Pool {
                proxy,
                event,
                connections,
                pending,
                ..
            } if proxy == "fortio-0" => Some((*event, *connections, *pending)),
            _ => None,
        })
        .collect();
    // maxRequestsPerConnection 1: every attach drains its connection.
    let attached = pool_events
        .iter()
        .filter(|e| e.0 == PoolEvent::RqAttached)
        .count();
    let draining = pool_events
        .iter()
        .filter(|e| e.0 == PoolEvent::CxDraining)
        .count();
    assert_eq!(attached, draining);
    assert_eq!(
        attached,
        50 - r
            .loads
            .iter()
            .map(|l| l.2.calls.with_status(503) as usize)
            .sum::<usize>()
    );
    // A pending request wanted a connection while the draining one still counted.
    assert!(pool_events
        .iter()
        .any(|e| e.0 == PoolEvent::CxOverflow && e.1 >= 1));
    // Each overflow happened with the single pending slot taken.
    for e in pool_events
        .iter()
        .filter(|e| e.0 == PoolEvent::RqPendingOverflow)
    {
        assert_eq!(e.2, 1, "pending queue full (max 1) at every overflow");
    }
}

#[test]
fn share_of_503s_over_many_seeds_falls_in_the_published_bands() {
    // R1: c=2 between 0 and 25 %, c=3 between 30 and 75 % (published: 5-20 % and 63-70 %).
    let seeds = 1..=24u64;
    let n = seeds.clone().count() as f64;
    let (mut c2, mut c3) = (0.0, 0.0);
    for seed in seeds {
        let r = run(seed);
        c2 += share_503(&r, 0);
        c3 += share_503(&r, 1);
    }
    let (c2, c3) = (c2 / n, c3 / n);
    assert!(
        (0.02..=0.25).contains(&c2),
        "mean 503 share at c=2 was {c2:.3}"
    );
    assert!(
        (0.30..=0.75).contains(&c3),
        "mean 503 share at c=3 was {c3:.3}"
    );
    assert!(
        c3 > c2 * 1.5,
        "more clients contend for the same slot: {c2:.3} vs {c3:.3}"
    );
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let a = run(7);
    let b = run(7);
    let c = run(8);
    assert_eq!(a.events, b.events);
    assert_eq!(a.proxies, b.proxies);
    assert_ne!(a.events, c.events);
}

#[test]
fn a_shared_listen_socket_puts_every_fortio_connection_on_one_worker() {
    use meshtwin_model::topology::ListenerBalance;
    let mut topo = httpbin_topology();
    topo.envoy.listener_balance = Some(ListenerBalance::SharedSocket);
    let sc = scenario(3, vec![fortio("c3", 1000, 3, 30)]);
    let r = meshtwin_sim::run(&topo, &circuit_breaker_policy(), &sc).expect("valid scenario");
    let workers: std::collections::BTreeSet<u32> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Pool { proxy, worker, .. } if proxy == "fortio-0" => Some(*worker),
            _ => None,
        })
        .collect();
    assert_eq!(
        workers.len(),
        1,
        "one worker's pool serves every connection: {workers:?}"
    );
    // With one pool and one connection slot, the third client loses almost every time.
    assert!(share_503(&r, 0) > 0.5);
}
