//! `meshtwin test [PATH…]`: every scenario (and each of its `seeds:`) run on worker threads,
//! each passing when its expectations hold and its run matches its golden digest
//! (`__digests__/<stem>.json` beside it); `--update` writes the digests instead.
//!
//! Exit codes: 0 every case passed; 2 some case had invalid input (a scenario, topology or
//! policy file the loader rejects, a digest file that is not one, nothing to test) — this wins
//! over failures, since an input error leaves that case untested; else 1 when an expectation
//! failed, a digest differs or is missing.
//!
//! With `--shard I/N` only every N-th case runs and the outcomes go to `shard.json` in
//! `--out` (exit 0 once written); `meshtwin merge` reports the N shards as one run
//! ([`finish_merged`]), with the exit code above.

mod case;
mod discover;
mod print;

use std::path::{Path, PathBuf};

use meshtwin_config::RunInputs;
use serde::{Deserialize, Serialize};

use crate::exit;
use crate::inputs::load_inputs;
use crate::parallel;
use crate::shard::{Shard, ShardArgs, ShardFile};
use case::{Ended, Job};

/// What `meshtwin test` was asked.
pub struct TestArgs {
    pub paths: Vec<PathBuf>,
    pub jobs: usize,
    pub update: bool,
    pub junit: Option<PathBuf>,
    pub filter: Option<String>,
    pub shard: ShardArgs,
    /// With a shard: where shard.json goes.
    pub out: Option<PathBuf>,
    /// The trace each run keeps; with less than `full` the digests' trace figures are not
    /// compared ([`meshtwin_report::digest::DigestDiff::without_trace`]).
    pub trace: meshtwin_model::event::TraceLevel,
}

/// A scenario file: loaded, or why not.
struct File {
    path: PathBuf,
    inputs: Result<RunInputs, String>,
}

impl File {
    /// Whether `--filter PATTERN` selects it: PATTERN is part of its path or its name.
    fn selected(&self, filter: Option<&str>) -> bool {
        filter.is_none_or(|f| {
            self.path.to_string_lossy().contains(f)
                || self
                    .inputs
                    .as_ref()
                    .is_ok_and(|i| i.scenario.name.contains(f))
        })
    }
}

/// One case's outcome, with what identifies it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Outcome {
    pub file: PathBuf,
    /// `None` for a file that did not load.
    pub name: Option<String>,
    pub seed: Option<u64>,
    /// Whether the scenario lists `seeds:` (the seed is then part of the case's name).
    pub seeded: bool,
    pub digest: Option<PathBuf>,
    pub ended: Ended,
    pub seconds: f64,
}

/// What every shard of one `meshtwin test` shares: every case, in order (`file` or
/// `file@seed`), and whether JUnit XML was asked for.
#[derive(Debug, Serialize, Deserialize)]
pub struct TestContext {
    pub cases: Vec<String>,
    pub junit: bool,
}

pub fn test_command(args: TestArgs) -> u8 {
    let invalid = |message: String| {
        eprintln!("error: {message}");
        exit::INVALID_INPUT
    };
    let shard = match args.shard.resolve() {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    match (&shard, &args.out, args.update) {
        (Some(_), None, _) => {
            return invalid("--shard needs --out DIR: the shard writes shard.json there".into())
        }
        (Some(_), _, true) => {
            return invalid("--update writes digests beside the scenarios: run it unsharded".into())
        }
        (None, Some(_), _) => return invalid("--out is where a --shard run writes".into()),
        _ => {}
    }
    if args.update && !args.trace.is_full() {
        return invalid(format!(
            "--update writes digests of the full trace: run it without --trace {}",
            args.trace
        ));
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files: Vec<File> = discover::scenario_files(&paths)
        .into_iter()
        .map(|found| match found {
            Ok(path) => {
                let inputs = load_inputs(&path).map_err(|e| e.to_string());
                File { path, inputs }
            }
            Err((path, why)) => File {
                path,
                inputs: Err(why),
            },
        })
        .collect();
    let total = files.len();
    files.retain(|f| f.selected(args.filter.as_deref()));
    if files.is_empty() {
        match &args.filter {
            Some(f) => {
                eprintln!("error: --filter {f:?} selects none of the {total} scenario(s) found")
            }
            None => eprintln!(
                "error: no scenario (a YAML file with `topology:` and `loads:`) in {}",
                show_paths(&paths)
            ),
        }
        return exit::INVALID_INPUT;
    }
    let jobs = jobs_of(&files);
    if let (Some(shard), Some(out)) = (shard, &args.out) {
        return run_shard(&jobs, &args, shard, out);
    }
    let (outcomes, lines_printed) = run_all(&jobs, &args);
    print::report(&outcomes, args.update, !lines_printed);
    if args.filter.is_none() {
        note_stale_digests(&paths, &files, &outcomes);
    }
    finish(&outcomes, args.junit.as_deref())
}

/// Write the JUnit XML when asked; the exit code the outcomes give.
fn finish(outcomes: &[Outcome], junit: Option<&Path>) -> u8 {
    if let Some(path) = junit {
        if let Err(e) = print::write_junit(path, outcomes) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::INVALID_INPUT;
        }
        println!("wrote JUnit XML to {}", path.display());
    }
    if outcomes.iter().any(|o| matches!(o.ended, Ended::Error(_))) {
        exit::INVALID_INPUT
    } else if outcomes.iter().all(|o| o.ended.passed()) {
        exit::OK
    } else {
        exit::FAILED
    }
}

/// A shard's cases, run and written to `out/shard.json`.
fn run_shard(jobs: &[Result<Job<'_>, &File>], args: &TestArgs, shard: Shard, out: &Path) -> u8 {
    let context = TestContext {
        cases: jobs.iter().map(case_id).collect(),
        junit: args.junit.is_some(),
    };
    let mine: Vec<usize> = (0..jobs.len()).filter(|i| shard.takes(*i)).collect();
    let outcomes = parallel::map(
        &mine,
        args.jobs,
        "meshtwin test",
        |i| run_one(&jobs[*i], false, args.trace),
        &|_, _| {},
    );
    for o in &outcomes {
        println!("{}", print::case_line(o, false));
    }
    let file = ShardFile {
        format: crate::shard::FORMAT,
        command: "test".into(),
        shard,
        items: jobs.len(),
        context,
        results: mine.into_iter().zip(outcomes).collect(),
    };
    match crate::shard::write(out, &file) {
        Ok(()) => {
            println!(
                "meshtwin test · shard {shard}: {} of {} case(s) · wrote {}",
                file.results.len(),
                jobs.len(),
                out.join(crate::shard::FILE).display()
            );
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
}

/// A case's identity in a shard file: its scenario file, and its seed when it ran.
fn case_id(job: &Result<Job<'_>, &File>) -> String {
    match job {
        Ok(j) => format!("{}@{}", j.file.display(), j.seed),
        Err(f) => f.path.display().to_string(),
    }
}

/// The outcomes of every shard of one `meshtwin test`, reported as that run: the case lines,
/// the details of every case that did not pass, the counts, and `out/junit.xml` when the
/// shards were asked for JUnit XML.
pub fn finish_merged(ctx: TestContext, outcomes: Vec<Outcome>, out: &Path) -> u8 {
    print::report(&outcomes, false, true);
    let junit = ctx.junit.then(|| out.join("junit.xml"));
    finish(&outcomes, junit.as_deref())
}

/// Point out digests beside the scenarios that no case wrote or read — only for scenarios
/// found by searching a directory PATH (a scenario named alone says nothing about its
/// neighbours' digests), and only when every file loaded (a file that did not has digests no
/// case names).
fn note_stale_digests(paths: &[PathBuf], files: &[File], outcomes: &[Outcome]) {
    if files.iter().any(|f| f.inputs.is_err()) {
        return;
    }
    let dirs: Vec<&PathBuf> = paths.iter().filter(|p| p.is_dir()).collect();
    let scenarios: Vec<PathBuf> = files
        .iter()
        .filter(|f| dirs.iter().any(|d| f.path.starts_with(d)))
        .map(|f| f.path.clone())
        .collect();
    let expected: Vec<PathBuf> = outcomes.iter().filter_map(|o| o.digest.clone()).collect();
    for stale in discover::stale_digests(&scenarios, &expected) {
        println!(
            "note: {} is the digest of no scenario or seed here (renamed, removed, or a seed \
             no longer listed): delete it",
            stale.display()
        );
    }
}

fn show_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

fn error_outcome(file: PathBuf, why: String) -> Outcome {
    Outcome {
        file,
        name: None,
        seed: None,
        seeded: false,
        digest: None,
        ended: Ended::Error(why),
        seconds: 0.0,
    }
}

/// Every case of `files`, in file then seed order (a file that did not load is one case).
fn jobs_of(files: &[File]) -> Vec<Result<Job<'_>, &File>> {
    let mut jobs: Vec<Result<Job<'_>, &File>> = Vec::new();
    for f in files {
        match &f.inputs {
            Ok(inputs) => {
                let sc = &inputs.scenario;
                let seeded = !sc.seeds.is_empty();
                for seed in sc.test_seeds() {
                    let digest = discover::digest_path(&f.path, seeded.then_some(seed));
                    jobs.push(Ok(Job {
                        file: &f.path,
                        inputs,
                        seed,
                        digest,
                    }));
                }
            }
            Err(_) => jobs.push(Err(f)),
        }
    }
    jobs
}

/// Every case on `args.jobs` threads; outcomes in case order. Without a progress bar (a
/// log, not a terminal), each case's line is printed as it finishes: the second value says
/// so.
fn run_all(jobs: &[Result<Job<'_>, &File>], args: &TestArgs) -> (Vec<Outcome>, bool) {
    let print_lines = !parallel::progress_shown(jobs.len());
    let outcomes = parallel::map(
        jobs,
        args.jobs,
        "meshtwin test",
        |job| run_one(job, args.update, args.trace),
        &|_, outcome: &Outcome| {
            if print_lines {
                println!("{}", print::case_line(outcome, args.update));
            }
        },
    );
    (outcomes, print_lines)
}

fn run_one(
    job: &Result<Job<'_>, &File>,
    update: bool,
    trace: meshtwin_model::event::TraceLevel,
) -> Outcome {
    let job = match job {
        Ok(job) => job,
        Err(f) => {
            let why = f.inputs.as_ref().err().cloned().unwrap_or_default();
            return error_outcome(f.path.clone(), why);
        }
    };
    let (ended, seconds) = timed(|| case::run(job, update, trace));
    let sc = &job.inputs.scenario;
    Outcome {
        file: job.file.to_path_buf(),
        name: Some(sc.name.clone()),
        seed: Some(job.seed),
        seeded: !sc.seeds.is_empty(),
        digest: Some(job.digest.clone()),
        ended,
        seconds,
    }
}

/// `f`'s result and the wall-clock seconds it took (for JUnit's `time`; never in a digest).
#[allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "JUnit reports each case's wall-clock time"
)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t0 = std::time::Instant::now();
    let r = f();
    (r, t0.elapsed().as_secs_f64())
}

/// The scenario's directory as JUnit's `classname`.
pub fn classname(file: &Path) -> String {
    match file.parent().map(|p| p.display().to_string()) {
        Some(dir) if !dir.is_empty() => dir,
        _ => ".".to_string(),
    }
}
