//! `--trace failures` and `none`: the recorder keeps, as events arrive, exactly what the level
//! keeps, and the run itself (every call, every stat) is the full run's.

mod common;

use std::collections::BTreeSet;

use common::*;
use meshtwin_model::event::{is_failure, request_id, TraceLevel};
use meshtwin_sim::{RunResult, Substrate};

fn run(level: TraceLevel) -> RunResult {
    let sc = scenario(
        1,
        vec![fortio("c2", 1000, 2, 20), fortio("c3", 10_000, 3, 30)],
    );
    meshtwin_sim::run_traced(
        Substrate::default(),
        level,
        &httpbin_topology(),
        &circuit_breaker_policy(),
        &sc,
        &Default::default(),
    )
    .expect("valid scenario")
}

#[test]
fn a_failures_trace_is_the_full_trace_of_failed_requests_and_of_no_request() {
    let full = run(TraceLevel::Full);
    let failures = run(TraceLevel::Failures);
    // The request ids any of whose events failed, read from the full trace.
    let failed: BTreeSet<&str> = full
        .events
        .iter()
        .filter(|e| is_failure(&e.kind))
        .filter_map(|e| request_id(&e.kind))
        .collect();
    assert!(
        !failed.is_empty(),
        "the circuit-breaking task fails requests"
    );
    let expected: Vec<_> = full
        .events
        .iter()
        .filter(|e| match request_id(&e.kind) {
            Some(id) => failed.contains(id),
            None => TraceLevel::Failures.keeps_alone(&e.kind),
        })
        .cloned()
        .collect();
    assert!(expected.len() < full.events.len() / 2);
    assert_eq!(failures.events, expected);
    assert_eq!(failures.trace_level, TraceLevel::Failures);
}

#[test]
fn the_trace_level_changes_no_call_and_no_stat() {
    let full = run(TraceLevel::Full);
    for level in [TraceLevel::Failures, TraceLevel::None] {
        let r = run(level);
        assert_eq!(r.loads, full.loads, "{level}");
        assert_eq!(r.proxies, full.proxies, "{level}");
    }
}

#[test]
fn a_none_run_keeps_only_the_events_of_no_request() {
    let full = run(TraceLevel::Full);
    let none = run(TraceLevel::None);
    let expected: Vec<_> = full
        .events
        .iter()
        .filter(|e| request_id(&e.kind).is_none() && TraceLevel::None.keeps_alone(&e.kind))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(none.events, expected);
}
