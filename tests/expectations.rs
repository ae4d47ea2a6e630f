//! A scenario whose expectation cannot hold: `meshtwin run` exits 1, says which expectation
//! failed, prints a command that replays the run, and still writes every output.

mod common;

use common::{meshtwin, read, run_scenario, summary, Outcome, TempDir};

/// The circuit-breaking scenario expecting no 503 at c=3.
const IMPOSSIBLE: &str = "tests/fixtures/impossible-expectation.yaml";
const IMPOSSIBLE_NAME: &str = "c=3: no 503 at all (impossible)";

/// The command after `replay: ` on stdout, split into arguments.
fn replay_args(got: &Outcome) -> Vec<String> {
    let line = got
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no `replay:` line\n{}", got.transcript()));
    let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    assert_eq!(args.first().map(String::as_str), Some("meshtwin"), "{line}");
    args[1..].to_vec()
}

#[test]
fn an_impossible_expectation_exits_1_and_prints_fail_and_a_replay_command() {
    let tmp = TempDir::new("impossible_exit", "run");
    let got = run_scenario(IMPOSSIBLE, &tmp.join("out"), &[]);
    let transcript = got.transcript();
    assert_eq!(
        got.code, 1,
        "a failed expectation must exit 1\n{transcript}"
    );
    assert!(!got.stderr.contains("panicked"), "{transcript}");
    assert!(
        got.stdout
            .lines()
            .any(|l| l.starts_with(&format!("FAIL {IMPOSSIBLE_NAME}: "))),
        "no FAIL line for the impossible expectation\n{transcript}"
    );
    let fails = got.stdout.lines().filter(|l| l.starts_with("FAIL")).count();
    assert_eq!(
        fails, 1,
        "only the impossible expectation fails\n{transcript}"
    );
    let replay = replay_args(&got);
    assert!(
        replay.windows(2).any(|w| w == ["--seed", "1"]),
        "the replay command does not pin the seed: {replay:?}"
    );
}

#[test]
fn the_replay_command_pins_a_seed_given_on_the_command_line() {
    let tmp = TempDir::new("impossible_seed", "run");
    let got = run_scenario(IMPOSSIBLE, &tmp.join("out"), &["--seed", "7"]);
    assert_eq!(got.code, 1, "{}", got.transcript());
    let replay = replay_args(&got);
    assert!(
        replay.windows(2).any(|w| w == ["--seed", "7"]),
        "the replay command does not carry --seed 7: {replay:?}"
    );
}

#[test]
fn a_run_with_a_failed_expectation_still_writes_its_outputs() {
    let tmp = TempDir::new("impossible_outputs", "run");
    let out = tmp.join("out");
    let got = run_scenario(IMPOSSIBLE, &out, &[]);
    assert_eq!(got.code, 1, "{}", got.transcript());
    for f in ["summary.json", "trace.jsonl", "stats.txt", "pool.json"] {
        assert!(!read(&out.join(f)).is_empty(), "{f} is empty");
    }
    let s = summary(&out);
    assert_eq!(s["passed"], false, "summary.json passed");
    let verdicts = s["expectations"]
        .as_array()
        .expect("expectations is a list");
    let failed: Vec<&str> = verdicts
        .iter()
        .filter(|v| v["pass"] == false)
        .map(|v| v["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(failed, [IMPOSSIBLE_NAME]);
}

#[test]
fn the_replay_command_reproduces_the_failed_run_exactly() {
    let tmp = TempDir::new("impossible_replay", "run");
    let first = tmp.join("first");
    let got = run_scenario(IMPOSSIBLE, &first, &[]);
    assert_eq!(got.code, 1, "{}", got.transcript());
    // Replay into another directory: everything but `--out DIR` as printed.
    let mut args = replay_args(&got);
    let out_at = args
        .iter()
        .position(|a| a == "--out")
        .expect("the replay command names its --out");
    args.drain(out_at..out_at + 2);
    let again = tmp.join("again");
    args.extend([
        "--out".to_string(),
        again.display().to_string(),
        "-q".into(),
    ]);
    let replayed = meshtwin(&args);
    assert_eq!(replayed.code, 1, "{}", replayed.transcript());
    for f in ["summary.json", "trace.jsonl", "stats.txt"] {
        assert!(
            read(&first.join(f)) == read(&again.join(f)),
            "{f} differs between the run and its replay"
        );
    }
}

/// `priorityLoad` / `priorityPanic` read the client's `priority_load` trace events: the load
/// per priority before and after the failing P0 pod is ejected, and a clear reason when no
/// event precedes the asked time.
#[test]
fn priority_expectations_follow_the_traced_priority_load() {
    let tmp = TempDir::new("priority_load", "run");
    let got = run_scenario(
        "tests/fixtures/ejection/priority-load.yaml",
        &tmp.join("out"),
        &[],
    );
    let transcript = got.transcript();
    assert_eq!(got.code, 1, "{transcript}");
    for pass in [
        "PASS P0 takes everything when the load starts: 100.0000",
        "PASS P1 takes everything at the end: 100.0000",
        "PASS no panic: Istio's threshold is 0: 0.0000",
    ] {
        assert!(
            got.stdout.lines().any(|l| l.starts_with(pass)),
            "{transcript}"
        );
    }
    assert!(
        got.stdout.lines().any(|l| l
            == "FAIL nothing traced before the load starts: proxy fortio-0 traced no priority \
                load for cluster outbound|8000||httpbin.default.svc.cluster.local by 500 ms"),
        "{transcript}"
    );
}

#[test]
fn priority_expectations_read_a_single_priority_cluster_whose_load_never_changed() {
    let tmp = TempDir::new("single_priority", "run");
    let got = run_scenario("tests/fixtures/single-priority.yaml", &tmp.join("out"), &[]);
    let t = got.transcript();
    assert_eq!(got.code, 0, "{t}");
    for pass in [
        "P0 takes everything: 100.0000",
        "P1 carries nothing: 0.0000",
        "P0 is not in panic: 0.0000",
    ] {
        assert!(got.stdout.contains(&format!("PASS {pass}")), "{pass}\n{t}");
    }
}
