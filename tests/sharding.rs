//! Sharded many-run commands: `sweep`, `compare` and `test` with `--shard I/N` (or
//! `--shard-from-env N` and `JOB_COMPLETION_INDEX`) each run a subset, and `meshtwin merge`
//! puts the shards back into exactly what one machine writes. The shipped Kubernetes Indexed
//! Job and GitHub Actions examples name these commands correctly — the Job's pods and its
//! merge step are run here as Kubernetes would run them.

mod common;

use std::path::Path;
use std::process::Command;

use common::{meshtwin, read, workspace_root, Outcome, TempDir};
use meshtwin_config::source::{parse_documents, Node, Value};

/// `meshtwin ARGS…` in the workspace root with `JOB_COMPLETION_INDEX` set (or removed).
fn meshtwin_with_index(index: Option<usize>, args: &[String]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meshtwin"));
    cmd.current_dir(workspace_root()).args(args);
    match index {
        Some(i) => cmd.env("JOB_COMPLETION_INDEX", i.to_string()),
        None => cmd.env_remove("JOB_COMPLETION_INDEX"),
    };
    let output = cmd.output().expect("the meshtwin binary starts");
    Outcome {
        code: output.status.code().expect("meshtwin exited by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn ok(got: &Outcome) {
    assert_eq!(got.code, 0, "{}", got.transcript());
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn path(p: &Path) -> String {
    p.to_str().expect("a UTF-8 path").to_string()
}

const SCENARIO: &str = "scenarios/kubesphere-ratings-breaker.yaml";

#[test]
fn four_sweep_shards_merged_are_the_unsharded_sweep_byte_for_byte() {
    let tmp = TempDir::new("sharding", "sweep");
    let sweep = |extra: &[&str], out: &Path| {
        let mut args = strings(&["sweep", SCENARIO, "--seeds", "9", "--jobs", "2"]);
        args.extend(strings(extra));
        args.extend(["--out".to_string(), path(out)]);
        meshtwin_with_index(None, &args)
    };
    let one = sweep(&[], &tmp.join("one"));
    ok(&one);
    let mut dirs = Vec::new();
    for i in 0..4 {
        let dir = tmp.join(&format!("shard-{i}"));
        let got = sweep(&["--shard", &format!("{i}/4")], &dir);
        ok(&got);
        assert!(
            got.stdout.contains(&format!(
                "shard {i}/4: {} of 9 seeds",
                if i == 0 { 3 } else { 2 }
            )),
            "seed indices i with i % 4 == I: {}",
            got.stdout
        );
        dirs.push(path(&dir));
    }
    // Any order of directories gives the same result.
    dirs.reverse();
    let mut args = vec!["merge".to_string()];
    args.extend(dirs);
    args.extend(["--out".to_string(), path(&tmp.join("merged"))]);
    let merged = meshtwin_with_index(None, &args);
    assert_eq!(merged.code, one.code, "{}", merged.transcript());
    assert_eq!(
        read(&tmp.join("merged/sweep.json")),
        read(&tmp.join("one/sweep.json")),
        "merged sweep.json differs from the unsharded one"
    );
    assert_eq!(
        merged.stdout, one.stdout,
        "the merged report prints as the unsharded one"
    );
}

#[test]
fn test_shards_from_the_indexed_jobs_variable_merge_into_the_same_junit() {
    let tmp = TempDir::new("sharding", "test");
    let filter = [
        "test",
        "scenarios/",
        "--filter",
        "istio-fault",
        "--jobs",
        "1",
    ];
    let mut args = strings(&filter);
    args.extend(["--junit".into(), path(&tmp.join("one.xml"))]);
    ok(&meshtwin_with_index(None, &args));
    let mut dirs = Vec::new();
    for i in 0..3 {
        let dir = tmp.join(&format!("shard-{i}"));
        let mut args = strings(&filter);
        args.extend(strings(&[
            "--junit",
            "junit.xml",
            "--shard-from-env",
            "3",
            "--out",
        ]));
        args.push(path(&dir));
        ok(&meshtwin_with_index(Some(i), &args));
        dirs.push(path(&dir));
    }
    let mut args = vec!["merge".to_string()];
    args.extend(dirs);
    args.extend(["--out".to_string(), path(&tmp.join("merged"))]);
    let merged = meshtwin_with_index(None, &args);
    ok(&merged);
    assert!(
        merged
            .stdout
            .contains("meshtwin test: 2 passed, 0 failed, 0 error(s) (2 case(s)"),
        "{}",
        merged.transcript()
    );
    // JUnit's `time` is each case's wall-clock time: the rest is the same document.
    let untimed = |p: &Path| {
        let xml = String::from_utf8(read(p)).expect("UTF-8");
        xml.split("time=\"")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('"').map_or(part, |(_, rest)| rest)
                }
            })
            .collect::<String>()
    };
    assert_eq!(
        untimed(&tmp.join("merged/junit.xml")),
        untimed(&tmp.join("one.xml"))
    );
}

#[test]
fn the_shard_index_variable_is_required_and_checked() {
    let args = strings(&[
        "sweep",
        SCENARIO,
        "--seeds",
        "2",
        "--shard-from-env",
        "2",
        "--out",
        "/nonexistent/x",
    ]);
    let unset = meshtwin_with_index(None, &args);
    assert_eq!(unset.code, 2);
    assert!(
        unset.stderr.contains("JOB_COMPLETION_INDEX is not set"),
        "{}",
        unset.transcript()
    );
    let beyond = meshtwin_with_index(Some(2), &args);
    assert_eq!(beyond.code, 2);
    assert!(
        beyond.stderr.contains("I must be below N (2)"),
        "{}",
        beyond.transcript()
    );
    let no_out = meshtwin(["sweep", SCENARIO, "--shard", "0/2"]);
    assert_eq!(no_out.code, 2);
    assert!(
        no_out.stderr.contains("--shard needs --out DIR"),
        "{}",
        no_out.transcript()
    );
}

#[test]
fn two_compare_shards_merged_are_the_unsharded_compare_json() {
    let tmp = TempDir::new("sharding", "compare");
    let base = [
        "compare",
        "scenarios/istio-upgrade-default-retry.yaml",
        "--candidate-istio",
        "1.24",
        "--seeds",
        "3",
    ];
    let mut one = strings(&base);
    one.extend(["--out".into(), path(&tmp.join("one"))]);
    ok(&meshtwin_with_index(None, &one));
    for i in 0..2 {
        let mut args = strings(&base);
        args.extend(["--shard".into(), format!("{i}/2"), "--out".into()]);
        args.push(path(&tmp.join(&format!("s{i}"))));
        ok(&meshtwin_with_index(None, &args));
    }
    let merged = meshtwin([
        "merge",
        &path(&tmp.join("s0")),
        &path(&tmp.join("s1")),
        "--out",
        &path(&tmp.join("merged")),
    ]);
    ok(&merged);
    assert_eq!(
        read(&tmp.join("merged/compare.json")),
        read(&tmp.join("one/compare.json"))
    );
}

#[test]
fn merge_names_a_missing_a_repeated_or_a_foreign_shard() {
    let tmp = TempDir::new("sharding", "mistakes");
    let shard = |i: usize, seeds: &str, dir: &str| {
        let args = strings(&[
            "sweep",
            SCENARIO,
            "--seeds",
            seeds,
            "--shard",
            &format!("{i}/2"),
            "--out",
            &path(&tmp.join(dir)),
        ]);
        ok(&meshtwin_with_index(None, &args));
        path(&tmp.join(dir))
    };
    let (a0, a1, b1) = (
        shard(0, "3", "a0"),
        shard(1, "3", "a1"),
        shard(1, "4", "b1"),
    );
    let out = path(&tmp.join("merged"));
    let merge = |dirs: &[&str]| {
        let mut args = vec!["merge".to_string()];
        args.extend(strings(dirs));
        args.extend(["--out".to_string(), out.clone()]);
        meshtwin_with_index(None, &args)
    };
    let missing = merge(&[&a0]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("missing shard(s) 1/2"),
        "{}",
        missing.transcript()
    );
    let twice = merge(&[&a0, &a0, &a1]);
    assert_eq!(twice.code, 2);
    assert!(
        twice.stderr.contains("are both shard 0/2"),
        "{}",
        twice.transcript()
    );
    let foreign = merge(&[&a0, &b1]);
    assert_eq!(foreign.code, 2);
    assert!(
        foreign.stderr.contains("is not a shard of the same run"),
        "{}",
        foreign.transcript()
    );
    assert!(
        !tmp.join("merged").exists(),
        "nothing written on a failed merge"
    );
}

/// `node` at a dotted path (`spec.template.spec.containers[0].args`).
fn at<'a>(node: &'a Node, dotted: &str) -> &'a Node {
    let mut n = node;
    for part in dotted.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (
                k,
                Some(i.trim_end_matches(']').parse::<usize>().expect("an index")),
            ),
            None => (part, None),
        };
        n = match &n.value {
            Value::Map(m) => m.get(key).unwrap_or_else(|| panic!("no {key} in {dotted}")),
            _ => panic!("{dotted}: {key} is not under a mapping"),
        };
        if let Some(i) = index {
            n = match &n.value {
                Value::Seq(items) => &items[i],
                _ => panic!("{dotted}: {key} is not a list"),
            };
        }
    }
    n
}

fn text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn list(node: &Node) -> Vec<String> {
    match &node.value {
        Value::Seq(items) => items.iter().map(text).collect(),
        other => panic!("not a list: {other:?}"),
    }
}

/// The Job documents of an example file.
fn jobs(file: &str) -> Vec<Node> {
    let p = workspace_root().join(file);
    let docs = parse_documents(file, &String::from_utf8(read(&p)).expect("UTF-8")).expect("YAML");
    docs.into_iter()
        .map(|d| d.root)
        .filter(|r| text(at(r, "kind")) == "Job")
        .collect()
}

#[test]
fn the_kubernetes_indexed_job_runs_as_n_shards_and_its_merge_step_writes_the_sweep() {
    let shards = jobs("examples/kubernetes/sweep-indexed-job.yaml");
    let [job] = shards.as_slice() else {
        panic!("one Job")
    };
    assert_eq!(text(at(job, "spec.completionMode")), "Indexed");
    let n: usize = text(at(job, "spec.completions")).parse().expect("a count");
    let container = at(job, "spec.template.spec.containers[0]");
    assert_eq!(list(at(container, "command")), ["meshtwin"]);
    let args = list(at(container, "args"));
    assert_eq!(args[0], "sweep");
    let flag = |name: &str| {
        args[args
            .iter()
            .position(|a| a == name)
            .unwrap_or_else(|| panic!("no {name}"))
            + 1]
        .clone()
    };
    assert_eq!(
        flag("--shard-from-env"),
        n.to_string(),
        "--shard-from-env N is the Job's completions"
    );
    assert!(
        flag("--out").contains("$(JOB_COMPLETION_INDEX)"),
        "each pod writes its own directory"
    );
    let mount = text(at(container, "volumeMounts[0].mountPath"));
    assert_eq!(
        text(at(container, "workingDir")),
        "/work",
        "the image holds the repository's files in /work"
    );

    // Run each pod as Kubernetes would: JOB_COMPLETION_INDEX set, $(VAR) expanded in args,
    // the shared volume a temporary directory, the working directory the repository.
    let tmp = TempDir::new("sharding", "kubernetes");
    let volume = path(&tmp.join("results"));
    let on_volume = |a: &str| a.replacen(&mount, &volume, 1);
    for i in 0..n {
        let args: Vec<String> = args
            .iter()
            .map(|a| on_volume(&a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string())))
            .collect();
        ok(&meshtwin_with_index(Some(i), &args));
    }
    let merges = jobs("examples/kubernetes/sweep-merge-job.yaml");
    let [merge] = merges.as_slice() else {
        panic!("one Job")
    };
    let container = at(merge, "spec.template.spec.containers[0]");
    assert_eq!(list(at(container, "command")), ["meshtwin"]);
    let margs = list(at(container, "args"));
    assert_eq!(margs[0], "merge");
    let shard_dirs: Vec<String> = (0..n).map(|i| format!("{mount}/shard-{i}")).collect();
    assert_eq!(
        margs[1..=n],
        shard_dirs[..],
        "the merge step reads every shard"
    );
    let margs: Vec<String> = margs.iter().map(|a| on_volume(a)).collect();
    let merged = meshtwin_with_index(None, &margs);

    // The same sweep on one machine.
    let mut one: Vec<String> = Vec::new();
    let mut skip = false;
    for a in &args {
        if skip {
            skip = false;
        } else if a == "--shard-from-env" || a == "--out" {
            skip = true;
        } else {
            one.push(a.clone());
        }
    }
    one.extend(["--out".to_string(), path(&tmp.join("one"))]);
    let unsharded = meshtwin_with_index(None, &one);
    // A sweep's exit code is its verdict (1: an expectation held in fewer runs than
    // --min-hold): the merge step's is the same, and so is its report.
    assert!(unsharded.code <= 1, "{}", unsharded.transcript());
    assert_eq!(merged.code, unsharded.code, "{}", merged.transcript());
    assert_eq!(merged.stdout, unsharded.stdout);
    let merged_out = margs[margs.len() - 1].clone();
    assert_eq!(
        read(&Path::new(&merged_out).join("sweep.json")),
        read(&tmp.join("one/sweep.json")),
        "the merge step writes the unsharded sweep.json"
    );
}

#[test]
fn the_github_actions_example_runs_one_shard_per_matrix_entry_and_merges_them_all() {
    let file = "examples/github-actions/sweep-matrix.yml";
    let docs = parse_documents(
        file,
        &String::from_utf8(read(&workspace_root().join(file))).expect("UTF-8"),
    )
    .expect("YAML");
    let root = &docs[0].root;
    let matrix = list(at(root, "jobs.shard.strategy.matrix.shard"));
    let n = matrix.len();
    assert_eq!(matrix, (0..n).map(|i| i.to_string()).collect::<Vec<_>>());
    let runs = |job: &str| -> Vec<String> {
        match &at(root, &format!("jobs.{job}.steps")).value {
            Value::Seq(steps) => steps
                .iter()
                .filter_map(|s| match &s.value {
                    Value::Map(m) => m.get("run").map(text),
                    _ => None,
                })
                .collect(),
            _ => panic!("steps is a list"),
        }
    };
    let sweep = runs("shard")
        .into_iter()
        .find(|r| r.contains(" sweep "))
        .expect("a sweep step");
    assert!(
        sweep.contains(&format!("--shard ${{{{ matrix.shard }}}}/{n}")),
        "{sweep}"
    );
    assert!(
        sweep.contains("--out shards/shard-${{ matrix.shard }}"),
        "{sweep}"
    );
    let merge = runs("merge")
        .into_iter()
        .find(|r| r.contains(" merge "))
        .expect("a merge step");
    for i in 0..n {
        assert!(
            merge.contains(&format!("shards/shard-{i} ")),
            "{merge} reads shard {i}"
        );
    }
    assert_eq!(text(at(root, "jobs.merge.needs")), "shard");
}
