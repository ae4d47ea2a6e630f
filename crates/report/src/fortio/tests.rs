//! Tests of the fortio summary against fortio's own output in the Istio circuit-breaking
//! walkthrough (`fortio load -c 2 -qps 0 -n 20`, 16 × 200 and 4 × 503, six sockets).

use super::*;
use serde_json::json;

/// Twenty durations (ms) filling fortio's buckets exactly as the walkthrough's histogram does:
/// 3 in ]min, 1], 11 in ]2, 3], 2 in ]3, 4], then one each in ]5, 6], ]8, 9], ]12, 14] and
/// ]16, max].
fn walkthrough_latencies_ms() -> Vec<f64> {
    vec![
        2.2, 0.313105, 2.5, 2.7, 0.6, 17.104987, 2.1, 2.9, 3.4, 2.3, 0.8, 2.4, 8.5, 2.6, 13.0, 2.8,
        3.6, 2.05, 5.5, 2.95,
    ]
}

fn walkthrough_load() -> LoadResult {
    LoadResult {
        name: "c2".into(),
        src_pod: "fortio-0".into(),
        url: "http://httpbin:8000/get".into(),
        connections: 2,
        qps_target: 0.0,
        calls: 20,
        codes: [(200, 16), (503, 4)].into_iter().collect(),
        latencies: Latencies::of_ms(&walkthrough_latencies_ms()),
        sockets_used: 6,
        start_ms: 1000.0,
        end_ms: 1051.51929,
        requested_duration_ms: None,
        cut_short: Vec::new(),
        hit_call_limit: false,
    }
}

#[test]
fn threads_stopped_at_the_deadline_print_fortios_warning_before_the_summary() {
    let mut load = walkthrough_load();
    load.qps_target = 1000.0;
    load.requested_duration_ms = Some(5000.0);
    load.cut_short = vec![
        CutShort {
            thread: 0,
            done: 212,
            planned: 625,
        },
        CutShort {
            thread: 7,
            done: 209,
            planned: 625,
        },
    ];
    let text = fortio_text(&load);
    let lines: Vec<&str> = text.lines().take(4).collect();
    assert_eq!(
        lines[1..],
        [
            "[W] T000 warning only did 212 out of 625 calls before reaching 5s",
            "[W] T007 warning only did 209 out of 625 calls before reaching 5s",
            "Ended after 51.51929ms : 20 calls. qps=388.2",
        ]
    );
    assert!(!fortio_text(&walkthrough_load()).contains("warning"));
}

#[test]
fn a_load_stopped_at_the_call_limit_says_so() {
    let mut load = walkthrough_load();
    load.hit_call_limit = true;
    assert!(fortio_text(&load).lines().nth(1).is_some_and(|l| l
        == "[W] meshtwin: stopped at the limit of 1000000 calls for a load at full speed (qps 0) with a duration"));
}

#[test]
fn percentiles_interpolate_inside_buckets_on_known_data() {
    let samples: Vec<f64> = (1..=10).map(f64::from).collect();
    let p = percentiles(&Latencies::of_ms(&samples)).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(p.p50, 5.0), "{p:?}");
    assert!(close(p.p75, 7.5), "{p:?}");
    assert!(close(p.p90, 9.0), "{p:?}");
    assert!(close(p.p99, 9.9), "{p:?}");
    assert!(close(p.p99_9, 9.99), "{p:?}");
}

#[test]
fn percentiles_of_no_calls_are_none() {
    assert_eq!(percentiles(&Latencies::default()), None);
}

#[test]
fn percentiles_match_fortio_on_the_walkthrough_histogram() {
    let text = fortio_text(&walkthrough_load());
    let from_fortio = "\
# range, mid point, percentile, count
>= 0.000313105 <= 0.001 , 0.000656552 , 15.00, 3
> 0.002 <= 0.003 , 0.0025 , 70.00, 11
> 0.003 <= 0.004 , 0.0035 , 80.00, 2
> 0.005 <= 0.006 , 0.0055 , 85.00, 1
> 0.008 <= 0.009 , 0.0085 , 90.00, 1
> 0.012 <= 0.014 , 0.013 , 95.00, 1
> 0.016 <= 0.017105 , 0.0165525 , 100.00, 1
# target 50% 0.00263636
# target 75% 0.0035
# target 90% 0.009
# target 99% 0.016884
# target 99.9% 0.0170829
";
    assert!(text.contains(from_fortio), "{text}");
}

#[test]
fn fortio_text_prints_sockets_and_codes_like_fortio() {
    let text = fortio_text(&walkthrough_load());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Fortio-style summary for load c2 (fortio-0 -> http://httpbin:8000/get), \
         2 connections, max qps, 20 calls"
    );
    assert_eq!(lines[1], "Ended after 51.51929ms : 20 calls. qps=388.2");
    let tail = &lines[lines.len() - 4..];
    assert_eq!(
        tail,
        [
            "Sockets used: 6 (for perfect keepalive, would be 2)",
            "Code 200 : 16 (80.0 %)",
            "Code 503 : 4 (20.0 %)",
            "All done 20 calls (plus 0 warmup) 4.016 ms avg, 388.2 qps",
        ]
    );
}

#[test]
fn fortio_text_prints_aggregated_function_time_in_seconds() {
    let text = fortio_text(&walkthrough_load());
    assert!(
        text.contains(
            "Aggregated Function Time : count 20 avg 0.0040159046 +/- 0.004104 \
             min 0.000313105 max 0.017104987 sum 0.080318092\n"
        ),
        "{text}"
    );
}

#[test]
fn socket_failures_print_as_code_minus_one_first() {
    let mut load = walkthrough_load();
    load.codes = [(0, 2), (200, 14), (503, 4)].into_iter().collect();
    load.qps_target = 100.0;
    let text = fortio_text(&load);
    assert!(
        text.contains(", 2 connections, 100 qps, 20 calls\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "Code  -1 : 2 (10.0 %)\n\
             Code 200 : 14 (70.0 %)\n\
             Code 503 : 4 (20.0 %)\n"
        ),
        "{text}"
    );
}

#[test]
fn fortio_text_without_calls_says_no_data() {
    let mut load = walkthrough_load();
    load.calls = 0;
    load.codes.clear();
    load.latencies = Latencies::default();
    load.end_ms = load.start_ms;
    let text = fortio_text(&load);
    assert!(text.contains("Ended after 0s : 0 calls. qps=0\n"), "{text}");
    assert!(
        text.contains("Aggregated Function Time : no data\n"),
        "{text}"
    );
    assert!(!text.contains("# target"), "{text}");
}

#[test]
fn load_json_has_counts_percentiles_and_qps() {
    let mut load = walkthrough_load();
    load.codes.insert(0, 1);
    let json = load_json(&load);
    assert_eq!(
        json,
        json!({
            "name": "c2",
            "requests": 20,
            "codes": {"-1": 1, "200": 16, "503": 4},
            "latency_ms": {
                "min": 0.313105,
                "avg": 4.015905,
                "p50": 2.636364,
                "p75": 3.5,
                "p90": 9.0,
                "p99": 16.88399,
                "p99_9": 17.082887,
                "max": 17.104987,
            },
            "qps": 388.204108,
            "sockets_used": 6,
        })
    );
    let keys: Vec<&String> = json["codes"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["-1", "200", "503"]);
}

#[test]
fn load_json_of_no_calls_has_null_latencies() {
    let mut load = walkthrough_load();
    load.calls = 0;
    load.latencies = Latencies::default();
    let json = load_json(&load);
    assert_eq!(json["latency_ms"]["p50"], Value::Null);
    assert_eq!(json["requests"], 0);
}
