//! Expectations judged on hand-made runs: a metric with no value fails and says so.

use std::time::Duration;

use meshtwin_model::event::TraceLevel;
use meshtwin_model::run::{CallRecord, LoadOutcome, RunResult};
use meshtwin_model::scenario::{Expectation, LoadSpec, Metric};

use super::*;

fn call(status: u16, flags: &str) -> CallRecord {
    CallRecord {
        request_id: "l-0-0".into(),
        end: Duration::ZERO,
        status,
        latency: Duration::from_millis(1),
        new_socket: false,
        upstream_pod: None,
        flags: flags.parse().expect("response flags"),
        notes: Vec::new(),
    }
}

fn run(calls: Vec<CallRecord>) -> RunResult {
    let spec = LoadSpec {
        name: "l".into(),
        from: "fortio".into(),
        start: Duration::ZERO,
        connections: 1,
        qps: 0.0,
        calls: Some(calls.len() as u64),
        duration: None,
        url: "http://httpbin:8000/get".into(),
        method: "GET".into(),
        headers: Default::default(),
        timeout: Duration::from_secs(3),
    };
    let mut outcome = LoadOutcome::default();
    calls.iter().for_each(|c| outcome.calls.add(c));
    RunResult {
        loads: vec![(spec, "fortio-0".into(), outcome)],
        ..RunResult::default()
    }
}

fn judge(r: &RunResult, metric: Metric, min: Option<f64>, max: Option<f64>) -> Verdict {
    let e = Expectation {
        name: "e".into(),
        metric,
        min,
        max,
    };
    evaluate(&[e], r, &[], &Reach::new(), &BTreeMap::new()).remove(0)
}

fn uo_share_of_503s() -> Metric {
    Metric::FlagFraction {
        load: "l".into(),
        code: 503,
        flag: "UO".into(),
    }
}

#[test]
fn the_flag_share_of_a_code_no_call_had_is_no_value_and_fails_saying_so() {
    let r = run(vec![call(200, "-"), call(200, "-")]);
    let v = judge(&r, uo_share_of_503s(), Some(0.9), None);
    assert_eq!(v.value, None);
    assert!(!v.pass);
    assert!(v.detail.starts_with("no value: "), "{}", v.detail);
    assert!(
        v.detail.contains("no call of load 'l' was answered 503"),
        "{}",
        v.detail
    );
}

#[test]
fn the_flag_share_of_a_code_that_occurred_is_a_number() {
    let r = run(vec![call(503, "UO"), call(503, "URX"), call(200, "-")]);
    let v = judge(&r, uo_share_of_503s(), Some(0.5), Some(0.5));
    assert_eq!(v.value, Some(0.5));
    assert!(v.pass, "{}", v.detail);
}

#[test]
fn a_share_of_a_load_that_made_no_call_is_no_value() {
    let r = run(Vec::new());
    let metric = Metric::CodeFraction {
        load: "l".into(),
        code: 200,
    };
    let v = judge(&r, metric, None, Some(1.0));
    assert!(!v.pass && v.value.is_none());
    assert!(
        v.detail.starts_with("no value: load 'l' made no call"),
        "{}",
        v.detail
    );
}

#[test]
fn a_load_the_run_does_not_have_is_an_error_not_no_value() {
    let r = run(Vec::new());
    let metric = Metric::Requests {
        load: "other".into(),
    };
    let v = judge(&r, metric, Some(1.0), None);
    assert!(!v.pass);
    assert_eq!(v.detail, "no load named 'other'");
}

#[test]
fn reach_and_failover_are_not_measured_from_a_trace_that_kept_only_failures() {
    let mut r = run(vec![call(200, "-")]);
    let reached = Metric::Reached {
        load: "l".into(),
        workload: "httpbin".into(),
    };
    let failover = Metric::FailoverMs { load: "l".into() };
    for level in [TraceLevel::Failures, TraceLevel::None] {
        r.trace_level = level;
        for m in [reached.clone(), failover.clone()] {
            let v = judge(&r, m, Some(0.0), None);
            assert!(!v.pass && v.value.is_none());
            assert!(
                v.detail
                    .contains(&format!("not measured: this metric reads every request's trace events, and the run kept `--trace {level}`")),
                "{}",
                v.detail
            );
        }
    }
    r.trace_level = TraceLevel::Full;
    assert!(!judge(&r, reached, Some(0.0), None)
        .detail
        .contains("not measured"));
}
