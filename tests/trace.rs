//! `meshtwin trace`: the call tree of one request, read back from a run's trace.jsonl.

mod common;

use common::meshtwin;

#[test]
fn the_call_tree_of_a_request_shows_every_hop_nested_under_the_load_call() {
    let dir = std::env::temp_dir().join(format!("meshtwin-e2e-trace-{}", std::process::id()));
    let out = dir.to_string_lossy().to_string();
    let run = meshtwin([
        "run",
        "scenarios/istio-circuit-breaking.yaml",
        "--out",
        &out,
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let trace = format!("{out}/trace.jsonl");
    // c2-0-5: a call that went through (or overflowed) fortio's sidecar.
    let t = meshtwin(["trace", &trace, "c2-0-5"]);
    assert_eq!(t.code, 0, "{}", t.transcript());
    let lines: Vec<&str> = t.stdout.lines().collect();
    assert!(lines[0].contains("request c2-0-5"), "{}", t.stdout);
    assert!(lines[1].contains("c2 from fortio-0"), "{}", t.stdout);
    assert!(
        lines.iter().any(|l| l.contains(
            "fortio-0 [virtualOutbound] → outbound|8000||httpbin.default.svc.cluster.local"
        )),
        "{}",
        t.stdout
    );
    // The load call is the root: every other span is indented under it.
    let indent = |l: &str| {
        l.split("ms")
            .nth(2)
            .map(|r| r.len() - r.trim_start().len())
            .unwrap_or(0)
    };
    assert!(
        lines[2..].iter().all(|l| indent(l) > indent(lines[1])),
        "{}",
        t.stdout
    );
    let missing = meshtwin(["trace", &trace, "no-such-request"]);
    assert_eq!(missing.code, 2, "{}", missing.transcript());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failures_trace_keeps_the_verdicts_and_says_why_a_request_that_succeeded_is_missing() {
    let base = std::env::temp_dir().join(format!("meshtwin-e2e-levels-{}", std::process::id()));
    let dir = |level: &str| base.join(level).to_string_lossy().to_string();
    let verdicts = |stdout: &str| -> Vec<String> {
        stdout
            .lines()
            .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
            .map(str::to_string)
            .collect()
    };
    let mut runs = Vec::new();
    for level in ["full", "failures", "none"] {
        let out = dir(level);
        let r = meshtwin([
            "run",
            "scenarios/istio-circuit-breaking.yaml",
            "--out",
            &out,
            "-q",
            "--trace",
            level,
        ]);
        assert_eq!(r.code, 0, "{}", r.transcript());
        runs.push(verdicts(&r.stdout));
    }
    assert!(!runs[0].is_empty());
    assert_eq!(runs[1], runs[0], "--trace failures");
    assert_eq!(runs[2], runs[0], "--trace none");
    let summary = std::fs::read_to_string(format!("{}/summary.json", dir("failures"))).unwrap();
    assert!(summary.contains("\"level\": \"failures\""), "{summary}");
    let full_summary = std::fs::read_to_string(format!("{}/summary.json", dir("full"))).unwrap();
    assert!(!full_summary.contains("\"level\""), "{full_summary}");
    assert!(!std::path::Path::new(&format!("{}/trace.jsonl", dir("none"))).exists());
    // c2-0-0, the first call, went through: a failures trace does not hold it.
    let failed = meshtwin(["trace", &dir("failures"), "c2-0-0"]);
    assert_eq!(failed.code, 2, "{}", failed.transcript());
    assert!(
        failed.stderr.contains("the run kept `--trace failures`"),
        "{}",
        failed.transcript()
    );
    let none = meshtwin(["trace", &dir("none"), "c2-0-0"]);
    assert_eq!(none.code, 2, "{}", none.transcript());
    assert!(
        none.stderr.contains("`--trace none`"),
        "{}",
        none.transcript()
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_compressed_trace_reads_back_like_the_plain_one() {
    let base = std::env::temp_dir().join(format!("meshtwin-e2e-zst-{}", std::process::id()));
    let dir = |name: &str| base.join(name).to_string_lossy().to_string();
    for (name, extra) in [("plain", None), ("zst", Some("--trace-compress"))] {
        let out = dir(name);
        let mut args = vec![
            "run",
            "scenarios/istio-circuit-breaking.yaml",
            "--out",
            &out,
            "-q",
        ];
        args.extend(extra);
        let r = meshtwin(args);
        assert_eq!(r.code, 0, "{}", r.transcript());
    }
    let zst = format!("{}/trace.jsonl.zst", dir("zst"));
    assert!(std::path::Path::new(&zst).exists());
    assert!(!std::path::Path::new(&format!("{}/trace.jsonl", dir("zst"))).exists());
    let plain = std::fs::read(format!("{}/trace.jsonl", dir("plain"))).unwrap();
    assert!(std::fs::metadata(&zst).unwrap().len() * 4 < plain.len() as u64);
    for target in [dir("zst"), zst.clone()] {
        let from_zst = meshtwin(["trace", &target, "c2-0-5"]);
        let from_plain = meshtwin(["trace", &dir("plain"), "c2-0-5"]);
        assert_eq!(from_zst.code, 0, "{}", from_zst.transcript());
        assert_eq!(from_zst.stdout, from_plain.stdout);
    }
    let endpoints_zst = meshtwin(["endpoints", &dir("zst")]);
    let endpoints_plain = meshtwin(["endpoints", &dir("plain")]);
    assert_eq!(endpoints_zst.code, 0, "{}", endpoints_zst.transcript());
    assert_eq!(endpoints_zst.stdout, endpoints_plain.stdout);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_trace_line_that_is_not_an_event_is_an_error_naming_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("meshtwin-e2e-badline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trace.jsonl");
    std::fs::write(
        &path,
        "{\"t_ms\":0.0,\"kind\":\"endpoints\",\"proxy\":\"p-0\",\"cluster\":\"c\",\"endpoints\":[]}\n\
         {\"t_ms\":1.0,\"kind\":\"no_such_kind\"}\n",
    )
    .unwrap();
    let file = path.to_string_lossy().to_string();
    for args in [vec!["trace", &file, "c2-0-0"], vec!["endpoints", &file]] {
        let got = meshtwin(args.clone());
        assert_eq!(got.code, 2, "{args:?}: {}", got.transcript());
        assert!(
            got.stderr
                .contains(&format!("error: {file}:2: not a trace event: ")),
            "{args:?}: {}",
            got.stderr
        );
        assert!(got.stdout.is_empty(), "{args:?}: {}", got.stdout);
    }
    let zst = dir.join("trace.jsonl.zst");
    std::fs::write(&zst, "not zstd").unwrap();
    let zst = zst.to_string_lossy().to_string();
    let got = meshtwin(["trace", &zst, "c2-0-0"]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr
            .contains(&format!("error: {zst}:1: cannot read file: ")),
        "{}",
        got.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
