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
    // c=2's 503 share is a distribution: it held in 3 of these 4 runs (which runs depends on
    // the proxies' random streams), so the sweep fails
    // under the default --min-hold (every run) and says why.
    assert_eq!(a.code, 1, "{}", a.transcript());
    assert!(
        a.stdout
            .contains("an expectation held in fewer than 4 of 4 runs (--min-hold)"),
        "{}",
        a.stdout
    );
    assert!(a.stdout.contains("seeds 3..=6 (4 runs)"), "{}", a.stdout);
    assert!(
        a.stdout.contains("  3/4 held · c=2: share of 503s"),
        "{}",
        a.stdout
    );
    // Eight expectations in the scenario, one line each.
    let lines: Vec<&str> = a.stdout.lines().filter(|l| l.contains("/4 held")).collect();
    assert_eq!(lines.len(), 8, "{}", a.stdout);
    assert!(lines
        .iter()
        .any(|l| l.contains("c=3: share of 503s") && l.contains("95 % CI, Student's t")));
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
fn a_sweep_passes_with_a_lower_min_hold_and_does_not_depend_on_the_thread_count() {
    let sweep = |jobs: &str| {
        meshtwin([
            "sweep",
            "scenarios/istio-circuit-breaking.yaml",
            "--from",
            "3",
            "--seeds",
            "4",
            "--min-hold",
            "2",
            "--jobs",
            jobs,
        ])
    };
    let one = sweep("1");
    assert_eq!(one.code, 0, "{}", one.transcript());
    let two = sweep("2");
    assert_eq!(one.stdout, two.stdout, "1 and 2 worker threads");
}

#[test]
fn a_min_hold_above_the_run_count_is_invalid_input() {
    let r = meshtwin([
        "sweep",
        "scenarios/istio-circuit-breaking.yaml",
        "--seeds",
        "2",
        "--min-hold",
        "3",
    ]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.contains("--min-hold 3"), "{}", r.stderr);
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
