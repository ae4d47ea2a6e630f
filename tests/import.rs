//! `meshtwin import kubernetes`, end to end: a hand-written `kubectl get -A -o yaml` dump of a
//! two-zone Bookinfo cluster imports, `meshtwin validate` accepts the result and the starter
//! scenario runs as written with exit 0; standard input works; bad input exits 2 and writes
//! nothing; an output directory in use is not overwritten unless asked.

mod common;

use std::process::{Command, Stdio};

use common::{meshtwin, workspace_root, TempDir};

const BOOKINFO: &str = "tests/fixtures/import/bookinfo-two-zones.yaml";
const APPMESH: &str = "tests/fixtures/import/appmesh-shop-no-pods.yaml";

fn import(args: &[&str]) -> common::Outcome {
    let mut all = vec!["import", "kubernetes"];
    all.extend_from_slice(args);
    meshtwin(all)
}

#[test]
fn an_imported_cluster_validates_and_its_starter_scenario_runs() {
    let tmp = TempDir::new("import", "bookinfo");
    let dir = tmp.join("mesh");
    let dir_s = dir.to_str().expect("a UTF-8 temp path");
    let got = import(&[BOOKINFO, "--out", dir_s]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    assert!(
        got.stdout
            .contains("topology.yaml: 12 workloads (12 pods) in 2 zone(s), 6 services"),
        "{}",
        got.transcript()
    );
    // Skipped objects are listed with their reason.
    for line in [
        "skipped 12 object(s):",
        "a mesh control plane",
        "Deployment istio-system/istiod (tests/fixtures/import/bookinfo-two-zones.yaml:",
        "Deployment kube-system/coredns",
    ] {
        assert!(
            got.stderr.contains(line),
            "no `{line}`\n{}",
            got.transcript()
        );
    }
    assert_eq!(
        common::list_dir(&dir),
        ["policies", "scenario.yaml", "topology.yaml"]
    );
    let scenario = dir.join("scenario.yaml");
    let scenario_s = scenario.to_str().expect("a UTF-8 temp path");
    let valid = meshtwin(["validate", scenario_s]);
    assert_eq!(valid.code, 0, "{}", valid.transcript());
    let out = tmp.join("run");
    let run = common::run_scenario(scenario_s, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("PASS bookinfo-gateway-8080: every call answered 200: 1.0000"),
        "{}",
        run.transcript()
    );
    let summary = common::summary(&out);
    let load = &summary["loads"][0];
    assert_eq!(load["requests"], 100, "{load}");
    // The gateway pod, in eu-west-1a, passed every call to productpage.
    assert!(load.to_string().contains("productpage-v1-0"), "{load}");
}

#[test]
fn standard_input_is_read_and_clusters_come_from_the_flags() {
    let tmp = TempDir::new("import", "stdin");
    let dir = tmp.join("mesh");
    let text = std::fs::read(workspace_root().join(APPMESH)).expect("the fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtwin"))
        .current_dir(workspace_root())
        .args([
            "import",
            "kubernetes",
            BOOKINFO,
            "--cluster",
            "west",
            "-",
            "--out",
        ])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshtwin starts");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &text).expect("write stdin");
    let out = child.wait_with_output().expect("meshtwin ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let topo = std::fs::read_to_string(dir.join("topology.yaml")).expect("topology.yaml");
    assert!(topo.contains("from cluster cluster-1: tests/fixtures/import/bookinfo-two-zones.yaml; cluster west: <stdin>"), "{topo}");
    assert!(topo.contains("          - name: west\n"), "{topo}");
    assert!(
        topo.contains("# Deployment shop/frontend (<stdin>:"),
        "{topo}"
    );
}

#[test]
fn bad_input_exits_2_with_a_located_error_and_writes_nothing() {
    let tmp = TempDir::new("import", "bad");
    let bad = tmp.join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n",
    )
    .expect("write the fixture");
    let dir = tmp.join("mesh");
    let got = import(&[
        bad.to_str().expect("UTF-8"),
        "--out",
        dir.to_str().expect("UTF-8"),
    ]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr.contains(
            "bad.yaml:6: Deployment web: spec.replicas: expected an integer, found \"three\""
        ),
        "{}",
        got.transcript()
    );
    assert_eq!(tmp.entries(), ["bad.yaml"], "wrote something");
    let missing = import(&["no-such-dump.yaml"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("no-such-dump.yaml:1: cannot read file: No such file or directory"),
        "{}",
        missing.transcript()
    );
    let dangling = import(&[BOOKINFO, "--cluster", "west"]);
    assert_eq!(dangling.code, 2);
    assert!(
        dangling
            .stderr
            .contains("--cluster west: no files follow it"),
        "{}",
        dangling.transcript()
    );
}

#[test]
fn an_output_directory_in_use_is_kept_unless_forced() {
    let tmp = TempDir::new("import", "force");
    let dir = tmp.join("mesh");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let d = dir.to_str().expect("UTF-8");
    let refused = import(&[APPMESH, "--out", d]);
    assert_eq!(refused.code, 2, "{}", refused.transcript());
    assert!(
        refused.stderr.contains("exists and is not empty"),
        "{}",
        refused.transcript()
    );
    assert_eq!(common::list_dir(&dir), ["notes.txt"]);
    let forced = import(&[APPMESH, "--out", d, "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.transcript());
    assert_eq!(
        common::list_dir(&dir),
        ["notes.txt", "policies", "scenario.yaml", "topology.yaml"]
    );
    assert_eq!(
        tmp.entries(),
        ["mesh"],
        "the staging directory was left behind"
    );
}

#[test]
fn a_calls_file_makes_the_imported_apps_call_each_other() {
    let tmp = TempDir::new("import", "calls");
    let dir = tmp.join("mesh");
    let dir_s = dir.to_str().expect("a UTF-8 temp path");
    let calls = "tests/fixtures/import/bookinfo-calls.yaml";
    let got = import(&[BOOKINFO, "--calls", calls, "--out", dir_s]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    let topo = std::fs::read_to_string(dir.join("topology.yaml")).unwrap();
    assert!(
        topo.contains(
            "- {host: reviews, port: 9080, path: \"/reviews/0\", timeout: 3s, retries: 1}"
        ),
        "{topo}"
    );
    let scenario = dir.join("scenario.yaml");
    let out = tmp.join("run");
    let run = common::run_scenario(scenario.to_str().unwrap(), &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    // productpage called details and reviews, and reviews-v3 (a fifth of the reviews calls,
    // by the VirtualService; v2 only serves `end-user: jason`) called ratings.
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    let called = |pod: &str, host: &str| {
        trace.lines().any(|l| {
            l.contains("\"kind\":\"app_call\"")
                && l.contains(&format!("\"pod\":\"{pod}"))
                && l.contains(&format!("\"host\":\"{host}"))
        })
    };
    assert!(
        called("productpage-v1", "details"),
        "no productpage → details call"
    );
    assert!(
        called("productpage-v1", "reviews"),
        "no productpage → reviews call"
    );
    assert!(
        called("reviews-v3", "ratings"),
        "no reviews-v3 → ratings call"
    );
    // A workload whose pods run in two zones calls from both.
    let v2 = "{host: ratings, port: 9080, path: \"/ratings/0\", timeout: 10s, retries: 0}";
    assert_eq!(topo.matches(v2).count(), 2, "{topo}");
}

#[test]
fn a_mistake_in_the_calls_file_is_located_and_nothing_is_written() {
    let tmp = TempDir::new("import", "bad-calls");
    let calls = tmp.join("calls.yaml");
    std::fs::write(
        &calls,
        "calls:\n  - {from: productpage-v1, to: details}\n  - {from: productpage-v1, to: reviewz}\n",
    )
    .unwrap();
    let dir = tmp.join("mesh");
    let got = import(&[
        BOOKINFO,
        "--calls",
        calls.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr.contains("calls.yaml:3: calls[1].to: no Service 'reviewz' in namespace bookinfo; Services there: details, productpage, ratings, reviews"),
        "{}",
        got.stderr
    );
    assert!(!dir.exists());
}

#[test]
fn calls_are_learned_from_a_sidecars_access_log() {
    let tmp = TempDir::new("import", "access-log");
    let dir = tmp.join("mesh");
    let log = "productpage-v1=tests/fixtures/import/productpage-istio-proxy.log";
    let got = import(&[
        BOOKINFO,
        "--access-log",
        log,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(got.code, 0, "{}", got.transcript());
    let topo = std::fs::read_to_string(dir.join("topology.yaml")).unwrap();
    for call in [
        "- {host: details, port: 9080, path: \"/details/0\", retries: 0}",
        "- {host: reviews, port: 9080, path: \"/reviews/0\", retries: 0}",
    ] {
        assert!(topo.contains(call), "no `{call}` in\n{topo}");
    }
    let out = tmp.join("run");
    let run = common::run_scenario(dir.join("scenario.yaml").to_str().unwrap(), &out, &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    assert!(trace
        .lines()
        .any(|l| l.contains("\"kind\":\"app_call\"") && l.contains("\"host\":\"details")));
}
