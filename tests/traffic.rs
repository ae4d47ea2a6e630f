//! The traffic-management walkthroughs' timing results come from the mechanism: Bookinfo's
//! own timeouts and retry, the mesh's route timeout and fault — and the trace shows every
//! attempt (R4, R5).

mod common;

use common::{run_scenario, TempDir};
use serde_json::Value;

fn events(out: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("trace.jsonl"))
        .expect("trace written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect()
}

/// `app_call` events of `pod` for request `id`.
fn attempts<'a>(events: &'a [Value], pod: &str, id: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "app_call" && e["pod"] == pod && e["request_id"] == id)
        .collect()
}

#[test]
fn a_7s_ratings_delay_ends_jasons_page_after_productpages_two_3s_tries() {
    let dir = TempDir::new("traffic", "delay");
    let out = dir.join("out");
    let r = run_scenario("scenarios/istio-fault-delay.yaml", &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let ev = events(&out);
    let jason: Vec<&Value> = ev
        .iter()
        .filter(|e| e["kind"] == "request" && e["load"] == "jason")
        .collect();
    assert!(!jason.is_empty());
    for call in jason {
        let id = call["request_id"].as_str().expect("id");
        let tries: Vec<&Value> = attempts(&ev, "productpage-v1-0", id)
            .into_iter()
            .filter(|a| a["host"] == "reviews:9080")
            .collect();
        assert_eq!(tries.len(), 2, "productpage tries reviews twice for {id}");
        for t in &tries {
            assert_eq!(t["result"], "timeout");
            assert_eq!(t["duration_ms"].as_f64(), Some(3000.0));
        }
        // The delay was injected at reviews-v2's sidecar on its way to ratings (DI).
        assert!(ev.iter().any(|e| e["kind"] == "access_log"
            && e["proxy"] == "reviews-v2-0"
            && e["request_id"] == id
            && e["flags"].as_str().is_some_and(|f| f.contains("DI"))));
        let latency = call["latency_ms"].as_f64().expect("latency");
        assert!((6000.0..6100.0).contains(&latency), "{id}: {latency} ms");
    }
}

#[test]
fn a_half_second_route_timeout_gives_a_page_in_about_one_second_with_two_504s() {
    let dir = TempDir::new("traffic", "timeout");
    let out = dir.join("out");
    let r = run_scenario("scenarios/istio-request-timeout-0.5s.yaml", &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let ev = events(&out);
    let first = ev
        .iter()
        .find(|e| e["kind"] == "request")
        .expect("a page load");
    let id = first["request_id"].as_str().expect("id");
    // productpage's sidecar times each try out at 0.5 s: 504 UT, twice.
    let timeouts: Vec<&Value> = ev
        .iter()
        .filter(|e| {
            e["kind"] == "access_log"
                && e["proxy"] == "productpage-v1-0"
                && e["request_id"] == id
                && e["status"] == 504
                && e["flags"] == "UT"
        })
        .collect();
    assert_eq!(timeouts.len(), 2, "two tries, each cut at 0.5 s");
    for t in timeouts {
        let d = t["duration_ms"].as_f64().expect("duration");
        assert!((500.0..510.0).contains(&d), "{d} ms");
    }
    let tries = attempts(&ev, "productpage-v1-0", id);
    assert_eq!(
        tries
            .iter()
            .filter(|a| a["result"] == "error_status" && a["status"] == 504)
            .count(),
        2
    );
}
