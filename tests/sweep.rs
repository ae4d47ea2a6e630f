//! `meshtwin sweep`: one scenario under many seeds, each expectation reported as a
//! distribution with how often it held.

mod common;

use common::meshtwin;

#[test]
fn a_sweep_reports_every_expectation_over_the_seeds_and_is_reproducible() {
    let args = [
        "sweep",
        "scenarios/istio-circuit-breaking.yaml",
        "--from",
        "3",
        "--seeds",
        "4",
    ];
    let a = meshtwin(args);
    assert_eq!(a.code, 0, "{}", a.transcript());
    assert!(a.stdout.contains("seeds 3..=6 (4 runs)"), "{}", a.stdout);
    // Eight expectations in the scenario, one line each.
    let lines: Vec<&str> = a.stdout.lines().filter(|l| l.contains("/4 held")).collect();
    assert_eq!(lines.len(), 8, "{}", a.stdout);
    assert!(lines
        .iter()
        .any(|l| l.contains("c=3: share of 503s") && l.contains("95 % CI")));
    // Every 503 is an overflow in every run.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  4/4 held · c=2: every 503 is a local overflow")),
        "{}",
        a.stdout
    );
    let b = meshtwin(args);
    assert_eq!(a.stdout, b.stdout, "same seeds, same distribution");
}

#[test]
fn a_sweep_of_a_bad_scenario_exits_2() {
    let r = meshtwin([
        "sweep",
        "tests/fixtures/bad/does-not-exist.yaml",
        "--seeds",
        "2",
    ]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.contains("does-not-exist.yaml:1:"), "{}", r.stderr);
}
