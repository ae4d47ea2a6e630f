//! `meshtwin explain`: a run's failure classes explained by their mechanism and the settings
//! behind them, cited by file and line; one request's hops and diagnosis.

mod common;

use common::{meshtwin, TempDir};

fn run(scenario: &str, out: &std::path::Path) {
    let r = meshtwin(["run", scenario, "-q", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn circuit_breaking_503s_are_the_full_pending_queue_citing_its_line() {
    let tmp = TempDir::new("explain", "cb");
    let out = tmp.join("out");
    run("scenarios/istio-circuit-breaking.yaml", &out);
    let r = meshtwin(["explain", out.to_str().unwrap(), "--code", "503"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(
        r.stdout
            .starts_with("503 UO — 21 requests (load c2 3, c3 18)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("pending queue full (UO)"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "policies/istio/httpbin-circuit-breaking.yaml:18 spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1"
        ),
        "{}",
        r.stdout
    );
    // Only c2's classes.
    let c2 = meshtwin(["explain", out.to_str().unwrap(), "--load", "c2"]);
    assert!(c2.stdout.contains("(load c2 3, c3 18)"), "{}", c2.stdout);
    let none = meshtwin(["explain", out.to_str().unwrap(), "--code", "504"]);
    assert_eq!(none.code, 0, "{}", none.transcript());
    assert!(
        none.stdout.starts_with("no failed request matches"),
        "{}",
        none.stdout
    );
    // One request: its hops, and the diagnosis at the proxy that overflowed.
    let example = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("example: request "))
        .expect("an example request")
        .to_string();
    let one = meshtwin(["explain", out.to_str().unwrap(), &example]);
    assert_eq!(one.code, 0, "{}", one.transcript());
    assert!(one.stdout.contains(&example), "{}", one.stdout);
    assert!(
        one.stdout.contains("pending queue full (UO)"),
        "{}",
        one.stdout
    );
    let missing = meshtwin(["explain", out.to_str().unwrap(), "c9-0-0"]);
    assert_eq!(missing.code, 2, "{}", missing.transcript());
}

#[test]
fn ratings_uh_is_outlier_ejection_citing_its_settings() {
    let tmp = TempDir::new("explain", "ejection");
    let out = tmp.join("out");
    run("scenarios/kubesphere-ratings-ejection.yaml", &out);
    let r = meshtwin(["explain", out.to_str().unwrap(), "--code", "503"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(
        r.stdout.contains(
            "no healthy upstream (UH): ratings ejected by outlier detection (consecutive5xxErrors 5, baseEjectionTime 180s)"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ratings-circuit-breaking.yaml:29 spec.trafficPolicy.outlierDetection.baseEjectionTime: 180s"), "{}", r.stdout);
    let bad = meshtwin(["explain", tmp.join("nothing").to_str().unwrap()]);
    assert_eq!(bad.code, 2, "{}", bad.transcript());
    assert!(
        bad.stderr.contains("explanations.json:1: cannot read file"),
        "{}",
        bad.stderr
    );
}
