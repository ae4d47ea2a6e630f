//! `meshtwin run --real` agrees with the twin on mechanism. The circuit-breaking and the
//! outlier-ejection scenarios (shortened to a few seconds, `tests/fixtures/real/`) run both in
//! the twin and on real loopback sockets in real time; per compared load, both runs show the
//! same set of Envoy response flags and 503 shares within 15 points, and the mechanism's
//! counter — pending overflows, enforced ejections — is non-zero in both. Real runs vary from
//! run to run, so nothing here is exact but what the mechanism fixes (the circuit breaker's
//! shares are compared on paced loads; at full speed they are a race, see the fixture).

mod common;

use std::collections::BTreeSet;
use std::sync::Mutex;

use common::{run_scenario, TempDir};
use serde_json::Value;

const CIRCUIT_BREAKING: &str = "tests/fixtures/real/istio-circuit-breaking.yaml";
const EJECTION: &str = "tests/fixtures/real/kubesphere-ratings-ejection.yaml";

/// Real runs one at a time: each takes its duration of wall-clock time, and a machine's cores
/// shared by two would only add noise.
static REAL_RUNS: Mutex<()> = Mutex::new(());

/// The summary.json of `meshtwin run SCENARIO` (with `--real` when `real`).
fn summary(scenario: &str, real: bool, dir: &TempDir) -> Value {
    let out = dir.join(if real { "real" } else { "twin" });
    let got = if real {
        let _one = REAL_RUNS.lock().unwrap_or_else(|e| e.into_inner());
        run_scenario(scenario, &out, &["--real", "--report"])
    } else {
        run_scenario(scenario, &out, &[])
    };
    assert!(
        got.code == 0 || got.code == 1,
        "the run ran (its expectations are checked below, as a comparison)\n{}",
        got.transcript()
    );
    if real {
        let report = std::fs::read_to_string(out.join("report.md")).expect("report.md written");
        assert!(
            report.contains(" · seed 1 · real sockets (not deterministic)\n"),
            "the report says the run was real:\n{report}"
        );
    }
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    serde_json::from_str(&text).expect("summary.json parses")
}

fn load<'a>(s: &'a Value, name: &str) -> &'a Value {
    (s["loads"].as_array().expect("loads"))
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no load {name}"))
}

/// The response-flag sets the load's calls had (`-` for none).
fn flag_sets(s: &Value, name: &str) -> BTreeSet<String> {
    let flags = load(s, name)["flags"].as_object().expect("flags");
    flags.keys().cloned().collect()
}

/// The load's share of 503s.
fn share_503(s: &Value, name: &str) -> f64 {
    let l = load(s, name);
    let requests = l["requests"].as_u64().expect("requests");
    assert!(requests > 0, "load {name} made no call");
    l["codes"]["503"].as_u64().unwrap_or(0) as f64 / requests as f64
}

fn counter(s: &Value, proxy: &str, stat: &str) -> u64 {
    s["proxies"][proxy]["counters"][stat].as_u64().unwrap_or(0)
}

/// Both runs of `scenario` agree on mechanism, load by load; each one's `stat` of `proxy` is
/// non-zero. Returns (twin, real) for further checks.
fn agree(scenario: &str, loads: &[&str], proxy: &str, stat: &str) -> (Value, Value) {
    let dir = TempDir::new("real_vs_twin", scenario.rsplit('/').next().unwrap());
    let twin = summary(scenario, false, &dir);
    let real = summary(scenario, true, &dir);
    assert_eq!(
        twin.get("platform"),
        None,
        "a twin run's summary names no platform"
    );
    assert_eq!(real["platform"], "real", "a real run's summary says so");
    for name in loads {
        assert_eq!(
            flag_sets(&twin, name),
            flag_sets(&real, name),
            "load {name}: the same response flags in the twin and on real sockets"
        );
        let (t, r) = (share_503(&twin, name), share_503(&real, name));
        assert!(
            (t - r).abs() <= 0.15,
            "load {name}: 503 share {t:.3} in the twin, {r:.3} on real sockets (±0.15 allowed)"
        );
    }
    for (which, s) in [("twin", &twin), ("real", &real)] {
        assert!(counter(s, proxy, stat) > 0, "{which}: {proxy} {stat} is 0");
    }
    (twin, real)
}

#[test]
fn a_tight_circuit_breaker_overflows_alike_in_the_twin_and_on_real_sockets() {
    let (twin, real) = agree(
        CIRCUIT_BREAKING,
        &["p2", "p3"],
        "fortio-0",
        "cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow",
    );
    let local_overflow = BTreeSet::from(["-".to_string(), "UO".to_string()]);
    for s in [&twin, &real] {
        // Paced, every beat overflows all but the request waiting for its connection.
        assert_eq!(flag_sets(s, "p3"), local_overflow);
        // At full speed the share is a race (see the fixture), but every 503 is a local
        // overflow, and three loops starting together always overflow.
        for load in ["c2", "c3"] {
            assert!(flag_sets(s, load).is_subset(&local_overflow), "{load}");
        }
        assert!(
            flag_sets(s, "c3").contains("UO"),
            "{:?}",
            flag_sets(s, "c3")
        );
        assert_eq!(load(s, "c3")["requests"], 30, "fortio -n 30 makes 30 calls");
    }
}

#[test]
fn consecutive_503s_eject_ratings_alike_in_the_twin_and_on_real_sockets() {
    let (twin, real) = agree(
        EJECTION,
        &["before", "failing", "ejected"],
        "reviews-v2-0",
        "cluster.outbound|9080||ratings.demo-namespace.svc.cluster.local.outlier_detection.ejections_enforced_total",
    );
    for s in [&twin, &real] {
        assert_eq!(
            share_503(s, "before"),
            0.0,
            "before the failure every call succeeds"
        );
        // The app's own 503s (no flag) until the fifth ejects ratings, then Envoy's UH.
        assert_eq!(
            flag_sets(s, "failing"),
            BTreeSet::from(["-".to_string(), "UH".to_string()])
        );
        assert_eq!(
            share_503(s, "ejected"),
            1.0,
            "ejected for 180 s: every call fails"
        );
    }
}

#[test]
fn a_real_run_refuses_a_scenario_longer_than_its_limit_and_writes_nothing() {
    let dir = TempDir::new("real_vs_twin", "too-long");
    let out = dir.join("out");
    let got = run_scenario(
        "scenarios/kubesphere-ratings-ejection.yaml",
        &out,
        &["--real"],
    );
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr.contains(
            "error: scenarios/kubesphere-ratings-ejection.yaml:20: duration: 200 s is longer than \
             --real's limit of 60 s: a real run takes its scenario's duration in wall-clock time"
        ),
        "{}",
        got.transcript()
    );
    assert!(!out.exists(), "nothing written");
}

/// The trace's events of `kind`.
fn events(trace: &str, kind: &str) -> Vec<Value> {
    (trace.lines())
        .map(|l| serde_json::from_str::<Value>(l).expect("a trace line parses"))
        .filter(|e| e["kind"] == kind)
        .collect()
}

#[test]
fn a_crash_and_a_restart_happen_in_real_time_and_a_partition_is_ignored_with_a_warning() {
    let dir = TempDir::new("real_vs_twin", "crash");
    let out = dir.join("out");
    let got = {
        let _one = REAL_RUNS.lock().unwrap_or_else(|e| e.into_inner());
        run_scenario("tests/fixtures/real/crash-restart.yaml", &out, &["--real"])
    };
    assert_eq!(got.code, 0, "{}", got.transcript());
    assert!(
        got.stderr.contains(
            "tests/fixtures/real/crash-restart.yaml:14: timeline[2]: ignored by --real: a \
             partition entry drops or delays packets between pods"
        ),
        "{}",
        got.transcript()
    );
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).expect("trace.jsonl");
    let faults = events(&trace, "fault");
    let actions: Vec<&str> = faults
        .iter()
        .map(|f| f["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["crash", "restart"],
        "the partition is not applied"
    );
    let at = |i: usize| faults[i]["t_ms"].as_f64().unwrap();
    let (crash, restart) = (at(0), at(1));
    assert!((1000.0..1500.0).contains(&crash), "crash at {crash} ms");
    assert!(
        (2000.0..2500.0).contains(&restart),
        "restart at {restart} ms"
    );
    let pushes: Vec<f64> = (events(&trace, "config_push").iter())
        .map(|e| e["t_ms"].as_f64().unwrap())
        .collect();
    assert!(
        pushes.iter().any(|t| *t > crash && *t < restart) && pushes.iter().any(|t| *t > restart),
        "a push after each: {pushes:?}"
    );
    let calls = events(&trace, "request");
    let status_at = |from: f64, to: f64| -> BTreeSet<u64> {
        (calls.iter())
            .filter(|c| (from..to).contains(&c["t_ms"].as_f64().unwrap()))
            .map(|c| c["status"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        status_at(0.0, crash),
        BTreeSet::from([200]),
        "up before the crash"
    );
    let dead = status_at(crash + 50.0, restart);
    assert!(!dead.is_empty() && !dead.contains(&200), "dead: {dead:?}");
    assert!(
        status_at(pushes[pushes.len() - 1] + 50.0, 3000.0).contains(&200),
        "answering again after the restart's push"
    );
}
