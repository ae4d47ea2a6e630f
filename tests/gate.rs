//! `meshtwin test` as a user's CI gate, end to end, on copies of bundled scenarios: digests
//! written with `--update` match from any working directory; a policy change fails the gate
//! with a diff naming each load, code and counter that moved; JUnit XML parses with one
//! testcase per scenario; a bad scenario among good ones exits 2 with its located error while
//! the others still run; seeds, tolerances, missing digests and empty selections.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_tree, json, meshtwin_in, workspace_root, Outcome, TempDir};

/// A copy of the bundled mesh — `topologies/`, `policies/` and the named `scenarios/` with
/// their golden digests — under a temp dir.
struct Mesh {
    tmp: TempDir,
}

impl Mesh {
    fn new(test: &str, scenarios: &[&str]) -> Self {
        let tmp = TempDir::new("gate", test);
        let root = workspace_root();
        let mesh = tmp.join("mesh");
        copy_tree(&root.join("topologies"), &mesh.join("topologies"));
        copy_tree(&root.join("policies"), &mesh.join("policies"));
        fs::create_dir_all(mesh.join("scenarios/__digests__")).expect("mkdir");
        for s in scenarios {
            let file = format!("scenarios/{s}.yaml");
            fs::copy(root.join(&file), mesh.join(&file)).expect("copy a scenario");
            let digest = format!("scenarios/__digests__/{s}.json");
            fs::copy(root.join(&digest), mesh.join(&digest)).expect("copy a digest");
        }
        Mesh { tmp }
    }

    /// The temp dir the mesh is in (the copy's parent).
    fn parent(&self) -> PathBuf {
        self.tmp.join("")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.join("mesh").join(rel)
    }

    /// `meshtwin ARGS...` in `dir`.
    fn run(&self, dir: &Path, args: &[&str]) -> Outcome {
        meshtwin_in(dir, args)
    }

    fn write(&self, rel: &str, text: &str) {
        fs::write(self.path(rel), text).expect("write a file");
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).expect("read a file")
    }
}

fn assert_code(got: &Outcome, code: i32) {
    assert_eq!(got.code, code, "\n{}", got.transcript());
    assert!(!got.stderr.contains("panicked"), "\n{}", got.transcript());
}

#[test]
fn digests_written_with_update_match_from_the_copys_parent_and_from_another_directory() {
    let mesh = Mesh::new(
        "cwd",
        &["istio-circuit-breaking", "istio-external-failover"],
    );
    fs::remove_dir_all(mesh.path("scenarios/__digests__")).expect("rm the copied digests");
    let parent = mesh.parent();
    assert_code(
        &mesh.run(&parent, &["test", "mesh/scenarios", "--update"]),
        0,
    );
    let written = mesh.read("scenarios/__digests__/istio-external-failover.json");
    let bundled = fs::read_to_string(
        workspace_root().join("scenarios/__digests__/istio-external-failover.json"),
    )
    .expect("the bundled digest");
    assert_eq!(
        written, bundled,
        "a digest written elsewhere is the bundled one (no paths in it, even of the timeline's policy files)"
    );
    let got = mesh.run(&parent, &["test", "mesh/scenarios"]);
    assert_code(&got, 0);
    assert!(got
        .stdout
        .contains("meshtwin test: 2 passed, 0 failed, 0 error(s)"));
    let abs = mesh.path("scenarios");
    let elsewhere = mesh.path("topologies");
    assert_code(&mesh.run(&elsewhere, &["test", abs.to_str().unwrap()]), 0);
    assert_code(&mesh.run(&mesh.path("scenarios"), &["test"]), 0);
}

/// `label: old → new` of the line starting with `label: ` in `out`.
fn change(out: &str, label: &str) -> (u64, u64) {
    let line = out
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no change of `{label}` in\n{out}"));
    let (old, new) = line.split_once(" → ").expect("old → new");
    (old.parse().expect("a count"), new.parse().expect("a count"))
}

#[test]
fn raising_max_pending_requests_fails_the_gate_naming_loads_codes_and_counters() {
    let mesh = Mesh::new(
        "policy_change",
        &["istio-circuit-breaking", "istio-mirroring"],
    );
    let policy = "policies/istio/httpbin-circuit-breaking.yaml";
    let text = mesh.read(policy);
    assert!(text.contains("http1MaxPendingRequests: 1 "));
    mesh.write(
        policy,
        &text.replace(
            "http1MaxPendingRequests: 1 ",
            "http1MaxPendingRequests: 10 ",
        ),
    );
    let junit = mesh.parent().join("junit.xml");
    let got = mesh.run(
        &mesh.path(""),
        &["test", "scenarios", "--junit", junit.to_str().unwrap()],
    );
    assert_code(&got, 1);
    let out = &got.stdout;
    let golden = json(&mesh.path("scenarios/__digests__/istio-circuit-breaking.json"));
    for load in ["c2", "c3"] {
        let (old, new) = change(out, &format!("load {load} · code 503"));
        assert_eq!(
            old, golden["loads"][load]["codes"]["503"],
            "{load}: old 503s"
        );
        assert!(new < old, "{load}: more pending slots, fewer 503s\n{out}");
    }
    let stat =
        "cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow";
    let (old, new) = change(out, &format!("proxy fortio-0 · {stat}"));
    assert_eq!(old, golden["proxies"]["fortio-0"][stat]);
    assert!(new < old, "fewer pending overflows\n{out}");
    assert!(out.contains(
        "accept this behaviour: meshtwin test scenarios/istio-circuit-breaking.yaml --update"
    ));
    assert!(out.contains("ok        scenarios/istio-mirroring.yaml · seed 1"));

    let xml = fs::read_to_string(&junit).expect("the JUnit file");
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(names, ["istio-circuit-breaking", "istio-mirroring"]);
    let failure = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("the changed scenario's testcase has a failure");
    assert!(failure
        .text()
        .unwrap_or("")
        .contains(&format!("proxy fortio-0 · {stat}: {old} → {new}")));
    assert!(
        cases[1].children().all(|n| !n.is_element()),
        "the other passed"
    );
    assert!(cases[0].attribute("time").unwrap().parse::<f64>().unwrap() > 0.0);
    let suite = doc.root_element();
    assert_eq!(
        (
            suite.attribute("tests"),
            suite.attribute("failures"),
            suite.attribute("errors")
        ),
        (Some("2"), Some("1"), Some("0"))
    );

    // The workflow: update, and the new digest is the one that passes.
    assert_code(
        &mesh.run(&mesh.path(""), &["test", "scenarios", "--update"]),
        1,
    );
    let again = mesh.run(
        &mesh.path(""),
        &["test", "scenarios", "--filter", "mirroring"],
    );
    assert_code(&again, 0);
}

#[test]
fn a_bad_scenario_among_good_ones_exits_2_with_its_located_error_while_the_others_run() {
    let mesh = Mesh::new(
        "bad_among_good",
        &["istio-circuit-breaking", "istio-mirroring"],
    );
    let good = mesh.read("scenarios/istio-circuit-breaking.yaml");
    let line = 1 + good
        .lines()
        .position(|l| l.trim() == "from: fortio")
        .expect("a load from fortio");
    mesh.write(
        "scenarios/broken.yaml",
        &good.replacen("from: fortio", "from: nosuchpod", 1),
    );
    let junit = mesh.parent().join("junit.xml");
    // The whole copy: topologies and policies are YAML too, and are skipped.
    let got = mesh.run(
        &mesh.parent(),
        &["test", "mesh", "--junit", junit.to_str().unwrap()],
    );
    assert_code(&got, 2);
    let error = format!(
        "ERROR     mesh/scenarios/broken.yaml: mesh/scenarios/broken.yaml:{line}: loads[0].from: no pod or workload named 'nosuchpod'"
    );
    assert!(
        got.stdout.contains(&error),
        "no `{error}`\n{}",
        got.transcript()
    );
    assert!(got
        .stdout
        .contains("ok        mesh/scenarios/istio-circuit-breaking.yaml · seed 1"));
    assert!(got
        .stdout
        .contains("ok        mesh/scenarios/istio-mirroring.yaml · seed 1"));
    assert!(got
        .stdout
        .contains("meshtwin test: 2 passed, 0 failed, 1 error(s) (3 case(s)"));
    let xml = fs::read_to_string(&junit).expect("the JUnit file");
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let errors: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .filter_map(|n| n.attribute("message"))
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains(&format!("broken.yaml:{line}: loads[0].from")));
}

#[test]
fn each_seed_runs_against_its_own_digest() {
    let mesh = Mesh::new("seeds", &[]);
    let sc = fs::read_to_string(workspace_root().join("scenarios/istio-circuit-breaking.yaml"))
        .expect("the bundled scenario");
    mesh.write(
        "scenarios/breaker.yaml",
        &sc.replace("seed: 1\n", "seeds: [1, 2]\n"),
    );
    let got = mesh.run(&mesh.path(""), &["test", "scenarios", "--update"]);
    // Expectations hold or not per seed; the digests are written either way.
    assert!(got.code == 0 || got.code == 1, "\n{}", got.transcript());
    let one = json(&mesh.path("scenarios/__digests__/breaker.seed-1.json"));
    let two = json(&mesh.path("scenarios/__digests__/breaker.seed-2.json"));
    assert_eq!(
        (one["seed"].as_u64(), two["seed"].as_u64()),
        (Some(1), Some(2))
    );
    assert_ne!(one["trace"]["sha256"], two["trace"]["sha256"]);
    let bundled = json(&workspace_root().join("scenarios/__digests__/istio-circuit-breaking.json"));
    assert_eq!(one["trace"], bundled["trace"], "seed 1 is the bundled run");
    let junit = mesh.parent().join("junit.xml");
    let again = mesh.run(
        &mesh.path(""),
        &["test", "scenarios", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(again.code, got.code, "\n{}", again.transcript());
    let xml = fs::read_to_string(&junit).expect("the JUnit file");
    assert!(xml.contains("name=\"istio-circuit-breaking (seed 1)\""));
    assert!(xml.contains("name=\"istio-circuit-breaking (seed 2)\""));
}

#[test]
fn a_tolerance_lets_a_latency_move_within_it_and_no_further() {
    let mesh = Mesh::new("tolerance", &["istio-circuit-breaking"]);
    let digest = "scenarios/__digests__/istio-circuit-breaking.json";
    let mut golden = json(&mesh.path(digest));
    let p99 = golden["loads"]["c2"]["latency_ms"]["p99"]
        .as_f64()
        .expect("a p99");
    golden["loads"]["c2"]["latency_ms"]["p99"] = (p99 * 1.04).into();
    mesh.write(digest, &serde_json::to_string_pretty(&golden).unwrap());
    let strict = mesh.run(&mesh.path(""), &["test", "scenarios"]);
    assert_code(&strict, 1);
    assert!(
        strict.stdout.contains("load c2 · latency p99: "),
        "{}",
        strict.stdout
    );
    let sc = "scenarios/istio-circuit-breaking.yaml";
    let text = mesh.read(sc);
    mesh.write(
        sc,
        &format!("{text}digest:\n  tolerance:\n    p99_ms: 5%\n"),
    );
    let loose = mesh.run(&mesh.path(""), &["test", "scenarios"]);
    assert_code(&loose, 0);
    assert!(loose
        .stdout
        .contains("1 figure(s) moved within digest.tolerance"));
    mesh.write(
        sc,
        &format!("{text}digest:\n  tolerance:\n    p99_ms: 3%\n"),
    );
    assert_code(&mesh.run(&mesh.path(""), &["test", "scenarios"]), 1);
}

#[test]
fn a_scenario_without_a_digest_fails_and_says_how_to_write_one() {
    let mesh = Mesh::new("missing", &["istio-circuit-breaking"]);
    fs::remove_file(mesh.path("scenarios/__digests__/istio-circuit-breaking.json")).unwrap();
    let got = mesh.run(
        &mesh.path(""),
        &["test", "scenarios/istio-circuit-breaking.yaml"],
    );
    assert_code(&got, 1);
    assert!(got
        .stdout
        .contains("no digest at scenarios/__digests__/istio-circuit-breaking.json"));
    assert!(got.stdout.contains(
        "accept this behaviour: meshtwin test scenarios/istio-circuit-breaking.yaml --update"
    ));
}

#[test]
fn a_digest_that_is_not_one_is_invalid_input() {
    let mesh = Mesh::new("corrupt", &["istio-circuit-breaking"]);
    mesh.write(
        "scenarios/__digests__/istio-circuit-breaking.json",
        "{\n<<<<<<< HEAD\n",
    );
    let got = mesh.run(&mesh.path(""), &["test", "scenarios"]);
    assert_code(&got, 2);
    assert!(got
        .stdout
        .contains("scenarios/__digests__/istio-circuit-breaking.json: line 2: not JSON"));
}

#[test]
fn nothing_to_test_is_invalid_input() {
    let mesh = Mesh::new("nothing", &["istio-mirroring"]);
    let none = mesh.run(&mesh.path(""), &["test", "topologies"]);
    assert_code(&none, 2);
    assert!(none
        .stderr
        .contains("error: no scenario (a YAML file with `topology:` and `loads:`) in topologies"));
    let filtered = mesh.run(
        &mesh.path(""),
        &["test", "scenarios", "--filter", "nomatch"],
    );
    assert_code(&filtered, 2);
    assert!(filtered
        .stderr
        .contains("error: --filter \"nomatch\" selects none of the 1 scenario(s) found"));
    let missing = mesh.run(&mesh.path(""), &["test", "no-such-dir"]);
    assert_code(&missing, 2);
    assert!(missing
        .stdout
        .contains("ERROR     no-such-dir: cannot read no-such-dir: "));
}

#[test]
fn a_digest_no_scenario_writes_is_pointed_out() {
    let mesh = Mesh::new("stale", &["istio-mirroring"]);
    mesh.write("scenarios/__digests__/renamed.json", "{}");
    let got = mesh.run(&mesh.path(""), &["test", "scenarios"]);
    assert_code(&got, 0);
    assert!(got.stdout.contains(
        "note: scenarios/__digests__/renamed.json is the digest of no scenario or seed here"
    ));
    let twice = mesh.run(
        &mesh.path(""),
        &["test", "scenarios", "scenarios/istio-mirroring.yaml"],
    );
    assert!(
        twice.stdout.contains("(1 case(s)"),
        "a file named twice runs once\n{}",
        twice.stdout
    );
}
