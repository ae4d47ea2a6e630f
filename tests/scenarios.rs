//! Every bundled scenario, end to end. `meshtwin test scenarios/` runs each once: it meets its
//! expectations and matches its golden digest in `scenarios/__digests__/` — the one record of
//! the bundled scenarios' behaviour, checked the way users check theirs. Its outputs are a
//! pure function of (scenario, seed): two runs write the same bytes, and their trace is the
//! one the digest hashes. The reference results R1 (Istio circuit breaking) and R3 (App Mesh
//! connection pools) are also checked field by field from summary.json.

mod common;

use std::path::Path;

use common::{
    bundled_scenarios, json, list_dir, meshtwin, read, run_scenario, sha256_hex, summary, Bundled,
    TempDir,
};
use serde_json::Value;

/// The files that must be byte-identical between two runs with the same seed. Any other
/// data file a run writes (`*.json`, `*.jsonl`, `*.txt`) is compared too.
const DETERMINISTIC_FILES: &[&str] = &["summary.json", "trace.jsonl", "stats.txt", "pool.json"];

/// Run `sc` into `dir` and insist that it ran (exit 0, or 1 when an expectation failed):
/// the determinism tests judge the outputs, not the verdicts.
fn run_into(sc: &Bundled, dir: &Path, extra: &[&str]) {
    let got = run_scenario(&sc.path, dir, extra);
    assert!(
        got.code == 0 || got.code == 1,
        "{} did not run\n{}",
        sc.path,
        got.transcript()
    );
}

/// The data files of a run's output directory (not the rendered plots).
fn data_files(dir: &Path) -> Vec<String> {
    list_dir(dir)
        .into_iter()
        .filter(|f| f.ends_with(".json") || f.ends_with(".jsonl") || f.ends_with(".txt"))
        .collect()
}

/// The golden digest of a bundled scenario.
fn digest(sc: &Bundled) -> Value {
    json(&common::workspace_root().join(format!("scenarios/__digests__/{}.json", sc.name)))
}

#[test]
fn every_bundled_scenario_meets_its_expectations_and_matches_its_digest() {
    let tmp = TempDir::new("bundled_digests", "junit");
    let junit = tmp.join("junit.xml");
    let got = meshtwin([
        "test".as_ref(),
        "scenarios/".as_ref(),
        "--junit".as_ref(),
        junit.as_os_str(),
    ]);
    assert_eq!(got.code, 0, "\n{}", got.transcript());
    let xml = String::from_utf8(read(&junit)).expect("UTF-8");
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let cases: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").expect("a testcase has a name"))
        .collect();
    let bundled: Vec<String> = bundled_scenarios().into_iter().map(|s| s.name).collect();
    assert_eq!(cases, bundled, "one passing testcase per bundled scenario");
}

#[test]
fn every_digest_in_scenarios_is_a_bundled_scenarios_and_together_they_stay_small() {
    let bundled: Vec<String> = bundled_scenarios()
        .into_iter()
        .map(|s| format!("{}.json", s.name))
        .collect();
    let dir = common::workspace_root().join("scenarios/__digests__");
    let digests = list_dir(&dir);
    let stale: Vec<&String> = digests.iter().filter(|d| !bundled.contains(d)).collect();
    assert!(
        stale.is_empty(),
        "digests of no bundled scenario: {stale:?}"
    );
    let bytes: usize = digests.iter().map(|d| read(&dir.join(d)).len()).sum();
    assert!(
        bytes < 200_000,
        "the bundled digests are {bytes} bytes: too much to review in a pull request"
    );
}

#[test]
fn every_bundled_scenario_writes_byte_identical_outputs_and_the_trace_its_digest_hashes() {
    for sc in bundled_scenarios() {
        let tmp = TempDir::new("byte_identical", &sc.name);
        let (a, b) = (tmp.join("a"), tmp.join("b"));
        run_into(&sc, &a, &[]);
        run_into(&sc, &b, &[]);
        let files = data_files(&a);
        for required in DETERMINISTIC_FILES {
            assert!(
                files.iter().any(|f| f == required),
                "{}: no {required} in {files:?}",
                sc.name
            );
        }
        assert_eq!(files, data_files(&b), "{}: different files", sc.name);
        for f in &files {
            assert!(
                read(&a.join(f)) == read(&b.join(f)),
                "{}: {f} differs between two runs with the same seed",
                sc.name
            );
        }
        assert_eq!(
            sha256_hex(&a.join("trace.jsonl")),
            digest(&sc)["trace"]["sha256"],
            "{}: trace.jsonl is not the trace its golden digest hashes",
            sc.name
        );
    }
}

#[test]
fn another_seed_changes_every_bundled_scenarios_trace() {
    for sc in bundled_scenarios() {
        let tmp = TempDir::new("another_seed", &sc.name);
        let seed2 = tmp.join("seed2");
        run_into(&sc, &seed2, &["--seed", "2"]);
        assert_ne!(
            sha256_hex(&seed2.join("trace.jsonl")),
            digest(&sc)["trace"]["sha256"],
            "{}: --seed 2 gives the trace of the scenario's seed",
            sc.name
        );
        assert_eq!(summary(&seed2)["seed"], 2, "{}: summary.json seed", sc.name);
    }
}

fn bundled_summary(test: &str, name: &str) -> Value {
    let sc = bundled_scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no bundled scenario {name}"));
    let tmp = TempDir::new(test, name);
    let a = tmp.join("a");
    run_into(&sc, &a, &[]);
    summary(&a)
}

/// `summary.loads[name]`.
fn load<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["loads"]
        .as_array()
        .expect("loads is a list")
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no load {name} in summary.json"))
}

/// `map[key]` as a count; absent keys count 0.
fn count(map: &Value, key: &str) -> u64 {
    map.get(key).map_or(0, |v| v.as_u64().expect("a count"))
}

#[test]
fn istio_circuit_breaking_503s_are_all_local_overflows_counted_by_fortios_sidecar() {
    let s = bundled_summary("istio_overflows", "istio-circuit-breaking");
    let mut total_503 = 0;
    for name in ["c2", "c3"] {
        let l = load(&s, name);
        let flags = l["flags"].as_object().expect("flags is a map");
        let keys: Vec<&str> = flags.keys().map(String::as_str).collect();
        assert!(
            keys.iter().all(|k| *k == "-" || *k == "UO"),
            "{name}: flags other than - and UO: {keys:?}"
        );
        let n_503 = count(&l["codes"], "503");
        assert_eq!(count(&l["flags"], "UO"), n_503, "{name}: UO calls vs 503s");
        total_503 += n_503;
    }
    assert!(total_503 > 0, "the breaker never tripped");
    let overflow = &s["proxies"]["fortio-0"]["counters"]
        ["cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow"];
    assert_eq!(
        overflow.as_u64(),
        Some(total_503),
        "upstream_rq_pending_overflow"
    );
}

#[test]
fn appmesh_connection_pools_cap_the_gateways_and_greens_connections() {
    const GW_CLUSTER: &str = "cluster.cds_ingress_howto-k8s-connection-pools_ingress-gw_howto-k8s-connection-pools_self_redirect_http_15001";
    const GREEN_CLUSTER: &str =
        "cluster.cds_ingress_howto-k8s-connection-pools_green_howto-k8s-connection-pools_http_8080";
    let s = bundled_summary("appmesh_gauges", "appmesh-connection-pools");
    let gauge_max = |pod: &str, stat: &str| {
        s["proxies"][pod]["gauges_max"][stat]
            .as_u64()
            .unwrap_or_else(|| panic!("{pod} has no gauge {stat}"))
    };
    let got = [
        gauge_max("ingress-gw-0", "http.ingress.downstream_cx_active"),
        gauge_max("ingress-gw-0", &format!("{GW_CLUSTER}.upstream_cx_active")),
        gauge_max(
            "ingress-gw-0",
            &format!("{GW_CLUSTER}.circuit_breakers.default.cx_open"),
        ),
        gauge_max("green-0", "http.ingress.downstream_cx_active"),
        gauge_max("green-0", &format!("{GREEN_CLUSTER}.upstream_cx_active")),
        gauge_max(
            "green-0",
            &format!("{GREEN_CLUSTER}.circuit_breakers.default.cx_open"),
        ),
    ];
    // Gateway: fortio's 10 connections in, maxConnections 5 out, breaker open.
    // Green: fortio's 20 connections in, maxConnections 10 out, breaker open.
    assert_eq!(got, [10, 5, 1, 20, 10, 1]);
}
