//! Outputs other tools read: `stats.prom` parses with a published Prometheus text-format
//! parser and holds every stat of `stats.txt` under Envoy's tag-extracted names;
//! `fortio-<load>.json` decodes into fortio's own result types' field names with the run's
//! figures; `trace.perfetto.json` is valid trace-event JSON with one process per proxy; all
//! are byte-identical for the same seed; `meshtwin proxy-config` shows a proxy's configuration
//! as istioctl does.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{json, meshtwin, read, run_scenario, scrape, summary, TempDir};
use serde::Deserialize;
use serde_json::{json, Value};

/// `stats.txt` as (pod, stat name) → value.
fn stats_txt(text: &str) -> BTreeMap<(String, String), u64> {
    let mut pod = String::new();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("# proxy ") {
            pod = p.to_string();
        } else if let Some((name, v)) = line.rsplit_once(": ") {
            out.insert((pod.clone(), name.to_string()), v.parse().unwrap());
        }
    }
    out
}

#[test]
fn stats_prom_parses_and_holds_every_stat_under_envoys_prometheus_names() {
    let tmp = TempDir::new("tool_outputs", "prom");
    let out = tmp.join("out");
    let r = run_scenario("scenarios/istio-circuit-breaking.yaml", &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let prom = String::from_utf8(read(&out.join("stats.prom"))).unwrap();
    let parsed = scrape(&prom);
    let txt = stats_txt(&String::from_utf8(read(&out.join("stats.txt"))).unwrap());
    assert_eq!(parsed.samples.len(), txt.len(), "one sample per stat");
    let cluster = "outbound|8000||httpbin.default.svc.cluster.local";
    let overflow = parsed
        .samples
        .iter()
        .find(|s| {
            s.metric == "envoy_cluster_upstream_rq_pending_overflow"
                && s.labels.get("envoy_cluster_name") == Some(cluster)
                && s.labels.get("pod") == Some("fortio-0")
        })
        .unwrap_or_else(|| panic!("no pending overflow sample in\n{prom}"));
    let want = txt[&(
        "fortio-0".to_string(),
        format!("cluster.{cluster}.upstream_rq_pending_overflow"),
    )];
    assert!(want > 0, "the walkthrough overflows the pending queue");
    assert_eq!(
        overflow.value,
        prometheus_parse::Value::Counter(want as f64)
    );
    let code_503 = parsed
        .samples
        .iter()
        .find(|s| {
            s.metric == "envoy_cluster_upstream_rq"
                && s.labels.get("envoy_response_code") == Some("503")
                && s.labels.get("envoy_cluster_name") == Some(cluster)
        })
        .expect("a 503 series");
    let want = txt[&(
        "fortio-0".to_string(),
        format!("cluster.{cluster}.upstream_rq_503"),
    )];
    assert_eq!(
        code_503.value,
        prometheus_parse::Value::Counter(want as f64)
    );
    // Each family's TYPE line comes once.
    let types: Vec<&str> = prom.lines().filter(|l| l.starts_with("# TYPE ")).collect();
    let unique: BTreeSet<&str> = types.iter().map(|l| l.split(' ').nth(2).unwrap()).collect();
    assert_eq!(types.len(), unique.len());
}

/// fortio's `stats.HistogramData` (`stats/stats.go`), field for field.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case, dead_code)]
struct HistogramData {
    Count: i64,
    Min: f64,
    Max: f64,
    Sum: f64,
    Avg: f64,
    StdDev: f64,
    Data: Option<Vec<Bucket>>,
    #[serde(default)]
    Percentiles: Vec<Percentile>,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct Bucket {
    Start: f64,
    End: f64,
    Percent: f64,
    Count: i64,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct Percentile {
    Percentile: f64,
    Value: f64,
}

/// The fields of fortio's `fhttp.HTTPRunnerResults` (with `periodic.RunnerResults` and
/// `HTTPOptions` embedded) that its report UI and `fortio report` read, with Go's JSON types.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case, dead_code)]
struct HttpRunnerResults {
    RunType: String,
    Labels: String,
    StartTime: String,
    RequestedQPS: String,
    RequestedDuration: String,
    ActualQPS: f64,
    ActualDuration: i64,
    NumThreads: i64,
    Version: String,
    DurationHistogram: HistogramData,
    ErrorsDurationHistogram: HistogramData,
    Exactly: i64,
    Jitter: bool,
    Uniform: bool,
    NoCatchUp: bool,
    RunID: i64,
    ID: String,
    RetCodes: BTreeMap<String, i64>,
    URL: String,
    HTTPReqTimeOut: i64,
    Sizes: Option<HistogramData>,
    HeaderSizes: Option<HistogramData>,
    Sockets: Vec<i64>,
    SocketCount: i64,
    AbortOn: i64,
}

#[test]
fn each_loads_fortio_json_decodes_into_fortios_result_fields_with_the_runs_figures() {
    let tmp = TempDir::new("tool_outputs", "fortio");
    let out = tmp.join("out");
    let r = run_scenario("scenarios/istio-circuit-breaking.yaml", &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let s = summary(&out);
    for load in s["loads"].as_array().unwrap() {
        let name = load["name"].as_str().unwrap();
        let bytes = read(&out.join(format!("fortio-{name}.json")));
        let f: HttpRunnerResults = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(f.RunType, "HTTP");
        assert_eq!(f.ID, name);
        let requests = load["requests"].as_i64().unwrap();
        let h = &f.DurationHistogram;
        assert_eq!(h.Count, requests);
        let data = h.Data.as_ref().unwrap();
        assert_eq!(data.iter().map(|b| b.Count).sum::<i64>(), requests);
        assert!((data.last().unwrap().Percent - 100.0).abs() < 1e-9);
        assert!(data.windows(2).all(|w| w[0].End <= w[1].Start + 1e-12));
        // Seconds in fortio's JSON, milliseconds in summary.json.
        let lat = &load["latency_ms"];
        let close = |s: f64, ms: &Value| (s * 1000.0 - ms.as_f64().unwrap()).abs() < 1e-6;
        assert!(
            close(h.Min, &lat["min"]) && close(h.Max, &lat["max"]),
            "{lat}"
        );
        let p: BTreeMap<String, f64> = h
            .Percentiles
            .iter()
            .map(|p| (p.Percentile.to_string(), p.Value))
            .collect();
        assert!(
            close(p["50"], &lat["p50"]) && close(p["99.9"], &lat["p99_9"]),
            "{p:?}"
        );
        let codes: BTreeMap<String, i64> = load["codes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
            .collect();
        assert_eq!(f.RetCodes, codes);
        let errors: i64 = codes
            .iter()
            .filter(|(c, _)| !c.starts_with('2'))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(f.ErrorsDurationHistogram.Count, errors);
        assert!((f.ActualQPS - load["qps"].as_f64().unwrap()).abs() < 1e-3);
        assert_eq!(f.SocketCount, load["sockets_used"].as_i64().unwrap());
        assert_eq!(f.Sockets.iter().sum::<i64>(), f.SocketCount);
        assert_eq!(f.RequestedDuration, format!("exactly {requests} calls"));
        assert!(
            f.StartTime.starts_with("1970-01-01T00:00:"),
            "{}",
            f.StartTime
        );
        assert!(f.Sizes.is_none() && f.HeaderSizes.is_none());
    }
}

/// Checks one trace event's required fields per the Trace Event Format; returns its phase.
fn check_event(e: &Value) -> String {
    let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph: {e}"));
    assert!(e["name"].is_string(), "{e}");
    assert!(e["pid"].is_u64() && e["tid"].is_u64(), "{e}");
    match ph {
        "X" => {
            assert!(e["ts"].is_i64() && e["dur"].as_i64().unwrap() >= 0, "{e}");
            assert!(e["cat"].is_string(), "{e}");
        }
        "i" => {
            assert!(e["ts"].is_i64(), "{e}");
            assert!(["g", "p", "t"].contains(&e["s"].as_str().unwrap()), "{e}");
        }
        "M" => assert!(e["args"].is_object(), "{e}"),
        other => panic!("unexpected phase {other}: {e}"),
    }
    ph.to_string()
}

#[test]
fn the_perfetto_export_is_trace_event_json_with_one_process_per_proxy() {
    let tmp = TempDir::new("tool_outputs", "perfetto");
    let out = tmp.join("out");
    let r = run_scenario("scenarios/istio-fault-delay.yaml", &out, &[]);
    assert!(r.code == 0 || r.code == 1, "{}", r.transcript());
    let trace = json(&out.join("trace.perfetto.json"));
    let events = trace["traceEvents"].as_array().unwrap();
    let mut processes: BTreeMap<u64, String> = BTreeMap::new();
    let mut threads: BTreeMap<(u64, u64), String> = BTreeMap::new();
    let mut slices: BTreeMap<(u64, u64), Vec<(i64, i64)>> = BTreeMap::new();
    for e in events {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        match check_event(e).as_str() {
            "M" if e["name"] == "process_name" => {
                let name = e["args"]["name"].as_str().unwrap().to_string();
                assert!(processes.insert(pid, name).is_none(), "{e}");
            }
            "M" if e["name"] == "thread_name" => {
                let name = e["args"]["name"].as_str().unwrap().to_string();
                assert!(threads.insert((pid, tid), name).is_none(), "{e}");
            }
            "X" => slices.entry((pid, tid)).or_default().push((
                e["ts"].as_i64().unwrap(),
                e["ts"].as_i64().unwrap() + e["dur"].as_i64().unwrap(),
            )),
            _ => {}
        }
    }
    // Every event's thread is named; slices on one thread never overlap.
    for e in events.iter().filter(|e| e["ph"] != "M") {
        let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        assert!(threads.contains_key(&key), "unnamed thread for {e}");
    }
    for (key, mut s) in slices {
        s.sort();
        assert!(s.windows(2).all(|w| w[0].1 <= w[1].0), "overlap on {key:?}");
    }
    // One process per proxy, each with a sidecar thread.
    let stats = json(&out.join("summary.json"));
    let proxies: Vec<&String> = stats["proxies"].as_object().unwrap().keys().collect();
    let names: Vec<&String> = processes.values().collect();
    for p in &proxies {
        assert_eq!(
            names.iter().filter(|n| *n == p).count(),
            1,
            "{p}: {names:?}"
        );
        let pid = processes.iter().find(|(_, n)| n == p).unwrap().0;
        assert_eq!(threads.get(&(*pid, 1)).map(String::as_str), Some("sidecar"));
    }
    // The walkthrough's timeouts and retries are visible on productpage's app thread.
    let app_slices: Vec<&str> = events
        .iter()
        .filter(|e| e["cat"] == "app_call")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        app_slices.iter().any(|n| n.ends_with(": timeout")),
        "{app_slices:?}"
    );
    assert!(
        app_slices.iter().any(|n| n.contains(" try 2")),
        "{app_slices:?}"
    );
    // One slice per access-log line of the trace.
    let jsonl = String::from_utf8(read(&out.join("trace.jsonl"))).unwrap();
    let logs = jsonl
        .lines()
        .filter(|l| l.contains("\"kind\":\"access_log\""))
        .count();
    let x = events.iter().filter(|e| e["cat"] == "access_log").count();
    assert_eq!(x, logs);
}

#[test]
fn the_tool_outputs_are_byte_identical_for_the_same_seed() {
    let tmp = TempDir::new("tool_outputs", "determinism");
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    for out in [&a, &b] {
        let r = run_scenario("scenarios/kubesphere-ratings-ejection.yaml", out, &[]);
        assert_eq!(r.code, 0, "{}", r.transcript());
    }
    for f in [
        "stats.prom",
        "trace.perfetto.json",
        "fortio-before.json",
        "fortio-ejected.json",
    ] {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f} differs");
    }
    // The ejection shows as an instant event on reviews-v2's sidecar.
    let trace = json(&a.join("trace.perfetto.json"));
    let ejected = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cat"] == "outlier" && e["ph"] == "i")
        .count();
    assert!(ejected > 0);
}

#[test]
fn proxy_config_shows_the_destination_rule_on_fortios_httpbin_cluster_as_istioctl_does() {
    let tmp = TempDir::new("tool_outputs", "proxy_config");
    let out = tmp.join("out");
    let r = run_scenario("scenarios/istio-circuit-breaking.yaml", &out, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let dir = out.to_string_lossy().into_owned();
    let pc = |args: &[&str]| {
        let mut all = vec!["proxy-config", args[0], &dir, "--proxy", "fortio-0.default"];
        all.extend(&args[1..]);
        meshtwin(all)
    };
    let table = pc(&["cluster"]);
    assert_eq!(table.code, 0, "{}", table.transcript());
    let mut lines = table.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["SERVICE", "FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE"]
    );
    assert!(
        lines.any(|l| l.split_whitespace().collect::<Vec<_>>()
            == [
                "httpbin.default.svc.cluster.local",
                "8000",
                "-",
                "outbound",
                "EDS"
            ]),
        "{}",
        table.stdout
    );
    let json_out = pc(&["cluster", "-o", "json"]);
    assert_eq!(json_out.code, 0, "{}", json_out.transcript());
    let clusters: Value = serde_json::from_str(&json_out.stdout).unwrap();
    let httpbin = clusters
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "outbound|8000||httpbin.default.svc.cluster.local")
        .expect("httpbin's cluster");
    // The walkthrough's DestinationRule, as Envoy's config dump names it.
    let t = &httpbin["circuit_breakers"]["thresholds"][0];
    assert_eq!(
        (&t["max_connections"], &t["max_pending_requests"]),
        (&json!(1), &json!(1))
    );
    let http = &httpbin["typed_extension_protocol_options"]
        ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]["common_http_protocol_options"];
    assert_eq!(http["max_requests_per_connection"], 1);
    let od = &httpbin["outlier_detection"];
    assert_eq!(
        (&od["interval"], &od["base_ejection_time"]),
        (&json!("1s"), &json!("180s"))
    );
    assert_eq!(od["max_ejection_percent"], 100);

    let listeners = pc(&["listener"]);
    assert_eq!(listeners.code, 0, "{}", listeners.transcript());
    assert!(
        listeners.stdout.starts_with("ADDRESSES "),
        "{}",
        listeners.stdout
    );
    assert!(listeners.stdout.contains("Route: "), "{}", listeners.stdout);
    let routes = pc(&["route"]);
    assert!(
        routes.stdout.lines().any(|l| l.contains("httpbin:8000")),
        "{}",
        routes.stdout
    );
    let endpoints = pc(&["endpoint", "-o", "json"]);
    assert_eq!(endpoints.code, 0, "{}", endpoints.transcript());
    let v: Value = serde_json::from_str(&endpoints.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == httpbin["name"]));

    let unknown = meshtwin(["proxy-config", "cluster", &dir, "--proxy", "nobody"]);
    assert_eq!(unknown.code, 2, "{}", unknown.transcript());
    assert!(
        unknown.stderr.contains("proxies: fortio-0"),
        "{}",
        unknown.stderr
    );
}
