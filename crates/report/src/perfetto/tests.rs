use super::*;
use meshtwin_model::event::{EventKind, TraceEvent};

fn access_log(t_ms: f64, proxy: &str, duration_ms: f64, status: u16, flags: &str) -> TraceEvent {
    TraceEvent {
        t_ms,
        kind: EventKind::AccessLog {
            proxy: proxy.into(),
            listener: "0.0.0.0_8000".into(),
            cluster: "outbound|8000||httpbin.default.svc.cluster.local".into(),
            upstream_host: Some("10.0.0.2:80".into()),
            request_id: format!("r{t_ms}"),
            status,
            flags: flags.parse().expect("response flags"),
            duration_ms,
        },
    }
}

fn parse(events: &[TraceEvent]) -> Vec<Value> {
    let v: Value = serde_json::from_str(&perfetto_json(events, &[])).unwrap();
    v["traceEvents"].as_array().unwrap().clone()
}

fn thread_names(events: &[Value]) -> Vec<(u64, u64, String)> {
    events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            let name = e["args"]["name"].as_str().unwrap().to_string();
            (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap(), name)
        })
        .collect()
}

#[test]
fn overlapping_requests_of_one_proxy_spread_over_lanes_and_sequential_ones_share_one() {
    // Two requests overlap (0–10 ms, 5–15 ms); the third starts after the first ended.
    let events = [
        access_log(10.0, "fortio-0", 10.0, 200, "-"),
        access_log(15.0, "fortio-0", 10.0, 503, "UO"),
        access_log(30.0, "fortio-0", 5.0, 200, "-"),
    ];
    let out = parse(&events);
    let threads = thread_names(&out);
    assert_eq!(
        threads,
        [
            (1, 1, "faults and loads".to_string()),
            (2, 1, "sidecar".to_string()),
            (2, 2, "sidecar #2".to_string())
        ]
    );
    let slices: Vec<(i64, i64, u64, &str)> = out
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| {
            (
                e["ts"].as_i64().unwrap(),
                e["dur"].as_i64().unwrap(),
                e["tid"].as_u64().unwrap(),
                e["name"].as_str().unwrap(),
            )
        })
        .collect();
    let c = "outbound|8000||httpbin.default.svc.cluster.local";
    assert_eq!(
        slices,
        [
            (0, 10_000, 1, format!("{c} 200").as_str()),
            (5_000, 10_000, 2, format!("{c} 503 UO").as_str()),
            (25_000, 5_000, 1, format!("{c} 200").as_str()),
        ]
    );
}

#[test]
fn ejections_are_instant_events_on_the_proxy_and_faults_global_on_the_timeline() {
    let events = [
        TraceEvent {
            t_ms: 2.5,
            kind: EventKind::Outlier {
                proxy: "client-0".into(),
                cluster: "c".into(),
                host: "10.0.0.3:80".into(),
                action: "ejected".parse().unwrap(),
                reason: "consecutive_5xx".parse().unwrap(),
                ejection_ms: Some(30_000.0),
            },
        },
        TraceEvent {
            t_ms: 1.0,
            kind: EventKind::Fault {
                index: 0,
                action: "crash".parse().unwrap(),
                target: "server-1".into(),
                detail: String::new(),
            },
        },
    ];
    let out = parse(&events);
    let ejection = out.iter().find(|e| e["cat"] == "outlier").unwrap();
    assert_eq!(
        (
            &ejection["ph"],
            &ejection["s"],
            &ejection["ts"],
            &ejection["pid"]
        ),
        (&json!("i"), &json!("t"), &json!(2500), &json!(2))
    );
    assert_eq!(ejection["name"], "ejected 10.0.0.3:80 (consecutive_5xx)");
    let fault = out.iter().find(|e| e["cat"] == "fault").unwrap();
    assert_eq!((&fault["s"], &fault["pid"]), (&json!("g"), &json!(1)));
    assert_eq!(fault["name"], "crash server-1");
}

#[test]
fn an_app_retry_and_a_timeout_are_named_on_the_apps_thread() {
    let call = |t_ms: f64, attempt: u32, result: &str| TraceEvent {
        t_ms,
        kind: EventKind::AppCall {
            pod: "productpage-0".into(),
            request_id: "r1".into(),
            host: "reviews:9080".into(),
            path: "/reviews".into(),
            attempt,
            status: 0,
            result: result.parse().unwrap(),
            duration_ms: 10.0,
        },
    };
    let out = parse(&[call(10.0, 1, "timeout"), call(20.0, 2, "connection_error")]);
    let names: Vec<&str> = out
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "reviews:9080/reviews: timeout",
            "reviews:9080/reviews try 2: connection_error"
        ]
    );
    assert!(thread_names(&out).contains(&(2, 1, "app".to_string())));
}
