//! `meshtwin endpoints` and the ejection outputs, end to end: one of httpbin's two endpoints
//! always answers 503 with outlier detection on (tests/fixtures/ejection); the view, the
//! ejections plot data and summary.json must all show that endpoint ejected and the other
//! serving.

mod common;

use std::path::Path;

use common::{meshtwin, read, run_scenario, summary, Outcome, TempDir};
use serde_json::Value;

const SCENARIO: &str = "tests/fixtures/ejection/scenario.yaml";

fn endpoints(dir: &Path, args: &[&str]) -> Outcome {
    let mut all = vec!["endpoints".to_string(), dir.to_string_lossy().into_owned()];
    all.extend(args.iter().map(|s| s.to_string()));
    meshtwin(all)
}

/// `(HOST, OUTLIER CHECK)` per row of `-o wide` output for fortio-0's httpbin cluster.
fn outlier_checks(out: &Outcome) -> Vec<(String, String)> {
    assert_eq!(out.code, 0, "{}", out.transcript());
    let mut lines = out.stdout.lines();
    let header = lines.next().expect("a header");
    assert!(
        header.starts_with("ENDPOINT") && header.contains("OUTLIER CHECK"),
        "{header}"
    );
    lines
        .filter(|l| l.contains("httpbin.default"))
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            (cells[cells.len() - 1].to_string(), cells[2].to_string())
        })
        .collect()
}

#[test]
fn the_failing_endpoint_shows_failed_from_its_ejection_on_and_the_other_ok() {
    let tmp = TempDir::new("endpoints", "view");
    let out = tmp.join("run");
    let run = run_scenario(SCENARIO, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let s = summary(&out);
    let ej = s["ejections"].as_array().expect("an ejections list");
    assert_eq!(ej.len(), 1, "{ej:?}");
    assert_eq!(ej[0]["host"], "httpbin-bad-0");
    assert_eq!(ej[0]["proxy"], "fortio-0");
    assert_eq!(ej[0]["reason"], "consecutive_5xx");
    assert_eq!(ej[0]["unejected_at_ms"], Value::Null);
    let t_us = (ej[0]["ejected_at_ms"].as_f64().unwrap() * 1000.0).round() as u64;

    let end = endpoints(&out, &["--proxy", "fortio-0", "-o", "wide"]);
    let expected_end = vec![
        ("httpbin-bad-0".to_string(), "FAILED".to_string()),
        ("httpbin-good-0".to_string(), "OK".to_string()),
    ];
    assert_eq!(outlier_checks(&end), expected_end, "{}", end.stdout);
    let at_ejection = endpoints(
        &out,
        &[
            "--proxy",
            "fortio-0",
            "-o",
            "wide",
            "--at",
            &format!("{t_us}us"),
        ],
    );
    assert_eq!(outlier_checks(&at_ejection), expected_end);
    let just_before = format!("{}us", t_us - 1);
    let before = endpoints(
        &out,
        &["--proxy", "fortio-0", "-o", "wide", "--at", &just_before],
    );
    assert!(
        outlier_checks(&before).iter().all(|(_, c)| c == "OK"),
        "{}",
        before.stdout
    );
    // The trace file itself works as well as its directory; without --proxy every proxy is
    // listed with a PROXY column.
    let all = meshtwin(["endpoints", &out.join("trace.jsonl").to_string_lossy()]);
    assert_eq!(all.code, 0, "{}", all.transcript());
    assert!(all.stdout.starts_with("PROXY "), "{}", all.stdout);
    assert!(all
        .stdout
        .lines()
        .any(|l| l.starts_with("fortio-0 ") && l.contains("FAILED")));
}

#[test]
fn json_output_gives_istioctls_cluster_statuses_with_the_failed_outlier_check() {
    let tmp = TempDir::new("endpoints", "json");
    let out = tmp.join("run");
    let run = run_scenario(SCENARIO, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let got = endpoints(&out, &["--proxy", "fortio-0", "-o", "json"]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    let v: Value = serde_json::from_str(&got.stdout).unwrap();
    let cluster = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().contains("httpbin.default"))
        .unwrap_or_else(|| panic!("no httpbin cluster in {v}"));
    assert!(cluster.get("proxy").is_none(), "one proxy: no proxy field");
    let hosts: Vec<(&str, bool)> = cluster["hostStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert!(h["address"]["socketAddress"]["portValue"].is_u64(), "{h}");
            assert_eq!(h["healthStatus"]["edsHealthStatus"], "HEALTHY");
            let failed = h["healthStatus"]["failedOutlierCheck"] == true;
            (h["hostname"].as_str().unwrap(), failed)
        })
        .collect();
    assert_eq!(hosts, [("httpbin-bad-0", true), ("httpbin-good-0", false)]);
}

#[test]
fn the_ejections_plot_data_has_the_interval_and_the_failover_plot_marks_it() {
    let tmp = TempDir::new("endpoints", "plots");
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    for dir in [&a, &b] {
        let run = run_scenario(SCENARIO, dir, &[]);
        assert_eq!(run.code, 0, "{}", run.transcript());
    }
    let s = summary(&a);
    let ejected_at = &s["ejections"][0]["ejected_at_ms"];
    let data: Value = serde_json::from_slice(&read(&a.join("ejections.json"))).unwrap();
    let lanes = data["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 1);
    assert!(lanes[0]["name"]
        .as_str()
        .unwrap()
        .ends_with("httpbin-bad-0"));
    let interval = &lanes[0]["intervals"][0];
    assert_eq!(&interval["ejected_at_ms"], ejected_at);
    assert_eq!(interval["unejected_at_ms"], Value::Null);
    assert_eq!(interval["source"], "outlier");
    let failover: Value = serde_json::from_slice(&read(&a.join("failover.json"))).unwrap();
    let markers = failover["markers"].as_array().unwrap();
    assert!(markers
        .iter()
        .any(|m| m["kind"] == "ejection" && &m["t_ms"] == ejected_at));
    // Two zones: each locality's share is plotted, and every bucket's shares sum to 1.
    let panel = &failover["panels"][0];
    assert_eq!(panel["series"].as_array().unwrap().len(), 2);
    for f in [
        "ejections.json",
        "failover.json",
        "ejections.svg",
        "failover.svg",
    ] {
        assert!(
            read(&a.join(f)) == read(&b.join(f)),
            "{f} differs between runs"
        );
    }
    // A load whose traffic moved names where it went; the good endpoint is in zone-b.
    let f = &s["loads"][0]["failover"];
    assert!(f.is_null() || f["to_locality"] == "region-1/zone-b", "{f}");
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let tmp = TempDir::new("endpoints", "errors");
    let out = tmp.join("run");
    assert_eq!(run_scenario(SCENARIO, &out, &[]).code, 0);
    let cases: [(&[&str], &str); 4] = [
        (
            &["--proxy", "nope-0"],
            "no proxy named 'nope-0' in the trace; proxies: fortio-0",
        ),
        (&["--at", "soon"], "--at: invalid duration \"soon\""),
        (
            &["--at", "11s"],
            "after the end of the run (10000 ms virtual)",
        ),
        (
            &["--cluster", "outbound|1||x"],
            "--cluster: no cluster 'outbound|1||x'",
        ),
    ];
    for (args, message) in cases {
        let got = endpoints(&out, args);
        assert_eq!(got.code, 2, "{args:?}: {}", got.transcript());
        assert!(got.stderr.contains(message), "{args:?}: {}", got.stderr);
    }
    let missing = endpoints(&tmp.join("nothing-here"), &[]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("nothing-here:1: cannot read file"),
        "{}",
        missing.stderr
    );
}
