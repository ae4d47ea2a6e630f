//! What `meshtwin test` reads from a scenario — `seeds:` and `digest: {tolerance: …}` — and
//! every mistake in them located.

use std::path::Path;

use meshtwin_config::parse_scenario;
use meshtwin_model::scenario::{DigestFigure, Scenario, Tolerance};

const HEAD: &str = "\
name: s
topology: ../topologies/t.yaml
duration: 20s
loads:
  - {name: c2, from: fortio, url: 'http://httpbin:8000/get', calls: 5}
";

fn parse(extra: &str) -> Scenario {
    parse_scenario(Path::new("scenarios/x.yaml"), &format!("{HEAD}{extra}"))
        .unwrap_or_else(|e| panic!("{e}"))
        .value
}

fn message(extra: &str) -> String {
    match parse_scenario(Path::new("scenarios/x.yaml"), &format!("{HEAD}{extra}")) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn without_seeds_the_test_runs_the_scenarios_seed_alone() {
    let s = parse("seed: 7\n");
    assert!(s.seeds.is_empty());
    assert_eq!(s.test_seeds(), vec![7]);
}

#[test]
fn seeds_are_run_in_the_order_written_and_the_first_is_runs_default() {
    let s = parse("seeds: [3, 1, 2]\n");
    assert_eq!(s.test_seeds(), vec![3, 1, 2]);
    assert_eq!(s.seed, 3, "meshtwin run without --seed runs the first seed");
    let both = parse("seed: 9\nseeds: [3, 1]\n");
    assert_eq!((both.seed, both.test_seeds()), (9, vec![3, 1]));
}

#[test]
fn seeds_must_be_a_non_empty_list_of_distinct_non_negative_integers() {
    assert_eq!(
        message("seeds: []\n"),
        "scenarios/x.yaml:6: seeds: expected at least one seed (leave `seeds` out to run `seed` alone)"
    );
    assert_eq!(
        message("seeds: 3\n"),
        "scenarios/x.yaml:6: seeds: expected a list, found 3"
    );
    assert_eq!(
        message("seeds:\n  - 1\n  - -2\n"),
        "scenarios/x.yaml:8: seeds[1]: must be >= 0"
    );
    assert_eq!(
        message("seeds:\n  - 1\n  - 2\n  - 1\n"),
        "scenarios/x.yaml:9: seeds[2]: seed 1 is listed twice (also seeds[0]); seeds[2] would repeat its run"
    );
    assert_eq!(
        message("seeds: [1, two]\n"),
        "scenarios/x.yaml:6: seeds[1]: expected an integer, found \"two\""
    );
}

#[test]
fn tolerances_are_shares_or_amounts_per_figure() {
    let s = parse("digest:\n  tolerance:\n    p99_ms: 5%\n    codes: 2\n    latency_ms: 0.5\n");
    let t = &s.digest.tolerance;
    assert_eq!(t[&DigestFigure::P99Ms], Tolerance::Percent(5.0));
    assert_eq!(t[&DigestFigure::Codes], Tolerance::Absolute(2.0));
    assert_eq!(t[&DigestFigure::LatencyMs], Tolerance::Absolute(0.5));
    assert_eq!(t.len(), 3);
    assert!(parse("").digest.tolerance.is_empty());
}

#[test]
fn a_share_allows_that_share_of_the_golden_value_either_way() {
    let five = Tolerance::Percent(5.0);
    assert!(five.allows(100.0, 105.0) && five.allows(100.0, 95.0));
    assert!(!five.allows(100.0, 105.5) && !five.allows(0.0, 0.1));
    let two = Tolerance::Absolute(2.0);
    assert!(two.allows(0.0, 2.0) && !two.allows(10.0, 12.5));
}

#[test]
fn digest_mistakes_are_located() {
    assert_eq!(
        message("digest:\n  tolerance:\n    p98_ms: 5%\n"),
        "scenarios/x.yaml:8: digest.tolerance.p98_ms: unknown figure (expected one of: requests, \
         codes, flags, reached, counters, latency_ms, min_ms, avg_ms, p50_ms, p75_ms, p90_ms, \
         p99_ms, p99_9_ms, max_ms, failover_ms, ejection_ms, priority_load_ms)"
    );
    assert_eq!(
        message("digest:\n  tolerance:\n    p99_ms: five%\n"),
        "scenarios/x.yaml:8: digest.tolerance.p99_ms: expected a share like 5% or an amount like 2 \
         (calls, counts or ms), found \"five%\""
    );
    assert_eq!(
        message("digest:\n  tolerance:\n    p99_ms: -1\n"),
        "scenarios/x.yaml:8: digest.tolerance.p99_ms: expected a share like 5% or an amount like 2 \
         (calls, counts or ms): must be >= 0"
    );
    assert_eq!(
        message("digest:\n  tolerance:\n    codes: [1]\n"),
        "scenarios/x.yaml:8: digest.tolerance.codes: expected a share like 5% or an amount like 2 \
         (calls, counts or ms), found a list"
    );
    assert_eq!(
        message("digest:\n  tolerances: {p99_ms: 5%}\n"),
        "scenarios/x.yaml:7: digest.tolerances: unknown field; did you mean tolerance? (expected one of: tolerance)"
    );
}
