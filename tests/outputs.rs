//! A run's output directory is replaced whole: no stale file of an earlier run survives, a
//! directory meshtwin did not write is never touched, an unusable `--out` is refused before
//! the simulation, and concurrent runs into one `--out` never mix their files.

mod common;

use std::process::{Command, Stdio};

use common::{list_dir, meshtwin, summary, workspace_root, TempDir};

#[test]
fn running_again_after_removing_a_load_leaves_no_file_of_the_removed_load() {
    let tmp = TempDir::new("outputs", "stale");
    let out = tmp.join("out");
    let out_s = out.display().to_string();
    let full = meshtwin([
        "run",
        "scenarios/istio-circuit-breaking.yaml",
        "-q",
        "--out",
        &out_s,
    ]);
    assert_eq!(full.code, 0, "{}", full.transcript());
    assert!(list_dir(&out).contains(&"pool-c3.svg".to_string()));
    let again = meshtwin([
        "run",
        "tests/fixtures/outputs/c2-only.yaml",
        "-q",
        "--out",
        &out_s,
    ]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    let files = list_dir(&out);
    assert!(!files.iter().any(|f| f.starts_with("pool-c3")), "{files:?}");
    assert!(files.contains(&"pool-c2.svg".to_string()), "{files:?}");
    // The run lists what it wrote.
    assert!(
        again.stdout.contains(&format!(
            "wrote {out_s}/: config_dump.json, explanations.json, fortio-c2.json, graph.svg, inputs.json, latency.json"
        )),
        "{}",
        again.stdout
    );
    // No staging directory is left beside it.
    assert_eq!(tmp.entries(), ["out"]);
}

#[test]
fn a_directory_meshtwin_did_not_write_or_a_file_is_refused_before_simulating() {
    let tmp = TempDir::new("outputs", "refused");
    let mine = tmp.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let r = meshtwin(["run", "-q", "--out", mine.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        r.stderr.contains("holds files meshtwin did not write"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("replay:"),
        "refused before the run started: {}",
        r.stdout
    );
    assert_eq!(list_dir(&mine), ["notes.txt"]);
    let file = tmp.join("file");
    std::fs::write(&file, "x").unwrap();
    let r = meshtwin(["run", "-q", "--out", file.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(
        r.stderr.contains("exists and is not a directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn concurrent_runs_into_one_directory_never_mix_their_files() {
    let tmp = TempDir::new("outputs", "concurrent");
    let out = tmp.join("out");
    let handles: Vec<_> = (1..=4)
        .map(|seed| {
            Command::new(env!("CARGO_BIN_EXE_meshtwin"))
                .current_dir(workspace_root())
                .args(["run", "-q", "--seed", &seed.to_string(), "--out"])
                .arg(&out)
                .stdout(Stdio::null())
                .spawn()
                .expect("meshtwin starts")
        })
        .collect();
    for mut h in handles {
        assert!(
            h.wait().unwrap().success(),
            "every concurrent run writes its set"
        );
    }
    let seed = summary(&out)["seed"].as_u64().unwrap();
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    let stats = std::fs::read_to_string(out.join("stats.txt")).unwrap();
    // The set in place is one run's: its trace and stats are what that seed writes alone.
    let alone = tmp.join("alone");
    let r = meshtwin([
        "run",
        "-q",
        "--seed",
        &seed.to_string(),
        "--out",
        alone.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(trace == std::fs::read_to_string(alone.join("trace.jsonl")).unwrap());
    assert!(stats == std::fs::read_to_string(alone.join("stats.txt")).unwrap());
    assert_eq!(tmp.entries(), ["alone", "out"]);
}

#[test]
fn an_interrupted_run_exits_130_and_leaves_the_previous_outputs_as_they_were() {
    let (tmp, out, before) = first_run("interrupted");
    // A long comparison into the same directory, interrupted while it runs.
    let child = spawn(
        &[
            "compare",
            "scenarios/istio-circuit-breaking.yaml",
            "--seeds",
            "100000",
        ],
        &out,
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let stderr = interrupt(child);
    assert!(
        stderr.contains("interrupted; outputs left as they were"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("trace.jsonl")).unwrap(), before);
    assert_eq!(tmp.entries(), ["out"], "no staging directory left");
}

/// A directory `tmp/out` holding a first run's outputs, and that run's trace.
fn first_run(name: &str) -> (TempDir, std::path::PathBuf, Vec<u8>) {
    let tmp = TempDir::new("outputs", name);
    let out = tmp.join("out");
    let first = meshtwin(["run", "-q", "--out", out.to_str().unwrap()]);
    assert_eq!(first.code, 0, "{}", first.transcript());
    let before = std::fs::read(out.join("trace.jsonl")).unwrap();
    (tmp, out, before)
}

/// `meshtwin <args> --out <out>` started in the background.
fn spawn(args: &[&str], out: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_meshtwin"))
        .current_dir(workspace_root())
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshtwin starts")
}

/// Send `child` SIGINT; it must exit 130. Its stderr.
fn interrupt(child: std::process::Child) -> String {
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(130));
    String::from_utf8_lossy(&done.stderr).into_owned()
}

#[test]
fn a_run_interrupted_while_its_trace_streams_leaves_the_previous_outputs_and_no_partial_trace() {
    let (tmp, out, before) = first_run("interrupted-stream");
    // Ten virtual minutes at 1,000 rps: the trace outgrows memory and is written into the
    // staging directory beside --out while the run goes.
    let child = spawn(
        &["run", "examples/memory/ten-minutes-1000rps.yaml", "-q"],
        &out,
    );
    let streamed = |tmp: &TempDir| {
        let staged = tmp
            .entries()
            .into_iter()
            .find(|e| e.starts_with(".out.partial-"))?;
        let len = std::fs::metadata(tmp.join(&staged).join("trace.jsonl"))
            .ok()?
            .len();
        (len > 0).then_some(len)
    };
    let mut seen = None;
    for _ in 0..600 {
        seen = streamed(&tmp);
        if seen.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        seen.is_some(),
        "no trace being written beside {}",
        out.display()
    );
    interrupt(child);
    assert_eq!(std::fs::read(out.join("trace.jsonl")).unwrap(), before);
    assert_eq!(tmp.entries(), ["out"], "no staging directory left");
}
