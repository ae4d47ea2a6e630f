//! `meshtwin bench`: what it simulates, checked by the counts a simulation produces (never by
//! its speed, which `bench` measures and nothing asserts). The benchmark's worlds are a
//! regression snapshot of their own: the README's figures and every closing note's "the
//! 324-pod run makes the same calls, non-200s, ejections, hops and trace events" rest on these
//! counts, so a change that moves one must say why.

mod common;

use common::meshtwin;
use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    let got = meshtwin(args);
    assert_eq!(got.code, 0, "{}", got.transcript());
    serde_json::from_str(&got.stdout).unwrap_or_else(|e| panic!("{e}: {}", got.transcript()))
}

/// The counts of one `--world` run, in the JSON's order.
fn counts(world: &Value) -> Vec<(&'static str, u64)> {
    let names = [
        "pods",
        "proxies",
        "zones",
        "loads",
        "calls",
        "not_200",
        "ejections",
        "proxy_hops",
        "trace_events",
        "dropped_events",
    ];
    names
        .iter()
        .map(|n| {
            (
                *n,
                world[n].as_u64().unwrap_or_else(|| panic!("{n}: {world}")),
            )
        })
        .collect()
}

#[test]
fn the_108_and_324_pod_worlds_make_the_same_calls_faults_hops_and_trace_events_as_before() {
    let one = json_of(&["bench", "--world", "one-region", "--json"]);
    assert_eq!(
        counts(&one["world"]),
        [
            ("pods", 108),
            ("proxies", 98),
            ("zones", 2),
            ("loads", 10),
            ("calls", 8000),
            ("not_200", 0),
            ("ejections", 15),
            ("proxy_hops", 22375),
            ("trace_events", 59525),
            ("dropped_events", 0),
        ]
    );
    let full = json_of(&["bench", "--world", "full", "--json"]);
    assert_eq!(
        counts(&full["world"]),
        [
            ("pods", 324),
            ("proxies", 294),
            ("zones", 6),
            ("loads", 30),
            ("calls", 24000),
            ("not_200", 19),
            ("ejections", 20),
            ("proxy_hops", 67172),
            ("trace_events", 178082),
            ("dropped_events", 0),
        ]
    );
    // The loads run from 1 s to 21 s of virtual time, the timeline to 25 s.
    assert_eq!(full["world"]["virtual_s"].as_f64(), Some(25.0));
    let build = full["build"].as_str();
    assert!(
        matches!(build, Some("debug" | "release" | "pgo")),
        "{build:?}"
    );
}

#[test]
fn the_path_bench_proxies_every_request_through_both_sidecars_and_checks_its_goal() {
    let r = json_of(&["bench", "--path-only", "--requests", "400", "--json"]);
    let m = &r["fabric"]["meshed"];
    assert_eq!(m["requests"].as_u64(), Some(400), "{r}");
    assert_eq!(m["proxy_hops"].as_u64(), Some(800), "{r}");
    assert!(r["fabric"]["echo_round_trips_per_wall_s"].as_f64() > Some(0.0));
    // Only what it measured: no world, no sweep, no paced path.
    for absent in ["regions", "one_region", "sweep", "paced", "turmoil_net"] {
        assert!(r[absent].is_null(), "{absent}: {r}");
    }
    let goals: Vec<&str> = (r["must_show"].as_array().expect("goals"))
        .iter()
        .filter_map(|g| g["figure"].as_str())
        .collect();
    assert_eq!(
        goals,
        ["2-pod meshed path / bare echo over the same hops (fabric)"]
    );
}

#[test]
fn the_path_world_is_the_2_pod_path_simulated_once_and_alone() {
    let r = json_of(&["bench", "--world", "path", "--requests", "300", "--json"]);
    let p = &r["path"];
    assert_eq!(p["requests"].as_u64(), Some(300), "{r}");
    assert_eq!(p["proxy_hops"].as_u64(), Some(600), "{r}");
    assert!(p["virtual_s"].as_f64() > Some(0.0), "{r}");
    // One simulation and nothing else: no echo, no goals, no multi-region world.
    let keys: Vec<&str> = (r.as_object().expect("an object").keys())
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["build", "path"], "{r}");
    let text = meshtwin(["bench", "--world", "path", "--requests", "300"]);
    assert_eq!(text.code, 0, "{}", text.transcript());
    assert!(
        text.stdout.contains("300 requests (600 proxy hops)"),
        "{}",
        text.transcript()
    );
}
