//! `meshtwin sweep`: run one scenario under many seeds and report, per expectation, how its
//! metric is distributed and how often it held — timing-dependent outcomes (the Istio
//! circuit-breaking task's 503 share) are distributions, not single numbers. Seeds run in
//! parallel; the report is the same whatever the thread count. With `--shard I/N` only every
//! N-th seed runs and its verdicts go to `shard.json`; `meshtwin merge` reports the N shards
//! as one sweep ([`summarise`]).

use std::path::{Path, PathBuf};

use meshtwin_config::RunInputs;
use meshtwin_report::confidence::Estimate;
use meshtwin_report::expect::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::exit;
use crate::inputs::{load_inputs, scenario_or_default};
use crate::parallel;
use crate::shard::{Shard, ShardArgs, ShardFile};
use crate::simulate::{bounded_level, simulate_on};
use meshtwin_model::event::TraceLevel;
use meshtwin_sim::Substrate;

/// What `meshtwin sweep` was asked.
pub struct SweepArgs {
    pub scenario: Option<PathBuf>,
    pub first: u64,
    pub count: u64,
    pub jobs: usize,
    /// Runs in which every expectation must hold (default: all of them).
    pub min_hold: Option<u64>,
    pub out: Option<PathBuf>,
    pub shard: ShardArgs,
    /// The trace each run keeps (default: [`bounded_level`]).
    pub trace: Option<TraceLevel>,
}

/// What every seed's verdicts are summarised against: the same in every shard of a sweep.
#[derive(Debug, Serialize, Deserialize)]
pub struct SweepContext {
    pub scenario: String,
    pub first: u64,
    pub seeds: Vec<u64>,
    pub min_hold: u64,
    /// Each expectation's name and band, in the scenario's order.
    pub expectations: Vec<(String, Option<f64>, Option<f64>)>,
}

impl SweepContext {
    /// The context of a sweep of `inputs` over `seeds` (the first being `first`).
    pub fn of(inputs: &RunInputs, first: u64, seeds: Vec<u64>, min_hold: u64) -> Self {
        Self {
            scenario: inputs.scenario.name.clone(),
            first,
            seeds,
            min_hold,
            expectations: (inputs.scenario.expectations.iter())
                .map(|e| (e.name.clone(), e.min, e.max))
                .collect(),
        }
    }
}

/// Run `inputs` under each (index, seed) on `jobs` threads, each keeping a `trace` trace:
/// each seed's verdicts with its index, in the order given.
pub fn run_seeds(
    inputs: &RunInputs,
    seeds: &[(usize, u64)],
    jobs: usize,
    trace: TraceLevel,
) -> Result<Vec<(usize, Vec<Verdict>)>, String> {
    let runs = parallel::map(
        seeds,
        jobs,
        "sweep",
        |&(_, seed)| {
            simulate_on(inputs, seed, Substrate::default(), trace).map(|(_, j)| j.verdicts)
        },
        &|_, _| {},
    );
    (seeds.iter().zip(runs))
        .map(|((i, _), r)| r.map(|v| (*i, v)).map_err(|e| e.to_string()))
        .collect()
}

/// One expectation's line: how often it held and its value's distribution, or why it had none.
fn expectation_line(held: u64, runs: u64, name: &str, values: &[f64], why: Option<&str>) -> String {
    let head = format!("{held:>3}/{runs} held · {name}: ");
    match Estimate::of(values) {
        Some(e) => format!(
            "{head}mean {:.4} ± {:.4} (95 % CI, Student's t), sd {:.4}, range [{:.4}, {:.4}]{}",
            e.mean,
            e.half_width(),
            e.sd,
            e.min,
            e.max,
            if values.len() < runs as usize {
                format!(" ({} run(s) had no value)", runs as usize - values.len())
            } else {
                String::new()
            }
        ),
        None => format!(
            "{head}no value in any run ({})",
            why.unwrap_or("no reason given")
        ),
    }
}

pub fn sweep_command(args: SweepArgs) -> u8 {
    let invalid = |message: String| {
        eprintln!("error: {message}");
        exit::INVALID_INPUT
    };
    let shard = match args.shard.resolve() {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    if shard.is_some() && args.out.is_none() {
        return invalid("--shard needs --out DIR: the shard writes shard.json there".into());
    }
    let path = match scenario_or_default(args.scenario) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let inputs = match load_inputs(&path) {
        Ok(i) => i,
        Err(e) => return invalid(e.to_string()),
    };
    crate::inputs::print_warnings(&inputs.warnings);
    let count = args.count.max(1);
    let min_hold = args.min_hold.unwrap_or(count);
    if min_hold > count {
        return invalid(format!(
            "--min-hold {min_hold} is more than the {count} run(s) of the sweep"
        ));
    }
    let seeds: Vec<u64> = (args.first..args.first + count).collect();
    let mine: Vec<(usize, u64)> = (seeds.iter().enumerate())
        .filter(|(i, _)| shard.is_none_or(|s| s.takes(*i)))
        .map(|(i, s)| (i, *s))
        .collect();
    let trace = args
        .trace
        .unwrap_or_else(|| bounded_level(&inputs.scenario));
    let per_seed = match run_seeds(&inputs, &mine, args.jobs, trace) {
        Ok(v) => v,
        Err(e) => return invalid(e),
    };
    let context = SweepContext::of(&inputs, args.first, seeds, min_hold);
    match (shard, args.out) {
        (Some(shard), Some(out)) => write_shard(&out, shard, context, per_seed),
        (_, out) => {
            let per_seed: Vec<Vec<Verdict>> = per_seed.into_iter().map(|(_, v)| v).collect();
            summarise(&context, &per_seed, out.as_deref())
        }
    }
}

/// A shard's seeds' verdicts into `out/shard.json`.
fn write_shard(
    out: &Path,
    shard: Shard,
    context: SweepContext,
    results: Vec<(usize, Vec<Verdict>)>,
) -> u8 {
    let (n, total) = (results.len(), context.seeds.len());
    let file = ShardFile {
        format: crate::shard::FORMAT,
        command: "sweep".into(),
        shard,
        items: total,
        context,
        results,
    };
    match crate::shard::write(out, &file) {
        Ok(()) => {
            println!(
                "meshtwin sweep · scenario {} · shard {shard}: {n} of {total} seeds · wrote {}",
                file.context.scenario,
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

/// What a sweep reports: one line per expectation, `sweep.json`'s text, and whether every
/// expectation held in at least `min_hold` runs.
pub struct SweepReport {
    pub lines: Vec<String>,
    pub json: String,
    pub ok: bool,
}

/// The report of `per_seed`'s verdicts (a function of them alone: the same whatever ran them).
pub fn report(ctx: &SweepContext, per_seed: &[Vec<Verdict>]) -> SweepReport {
    let count = ctx.seeds.len() as u64;
    let mut lines = vec![format!(
        "meshtwin sweep · scenario {} · seeds {}..={} ({} runs)",
        ctx.scenario,
        ctx.first,
        ctx.first + count - 1,
        count
    )];
    let mut rows = Vec::new();
    let mut ok = true;
    for (i, (name, min, max)) in ctx.expectations.iter().enumerate() {
        let verdicts: Vec<&Verdict> = per_seed.iter().map(|v| &v[i]).collect();
        let values: Vec<f64> = verdicts.iter().filter_map(|v| v.value).collect();
        let held = verdicts.iter().filter(|v| v.pass).count() as u64;
        let why = verdicts
            .iter()
            .find(|v| v.value.is_none())
            .map(|v| v.detail.as_str());
        lines.push(expectation_line(held, count, name, &values, why));
        ok &= held >= ctx.min_hold;
        let est = Estimate::of(&values);
        rows.push(json!({
            "name": name, "min": min, "max": max, "held": held, "runs": count,
            "mean": est.map(|e| e.mean), "ci95": est.map(|e| e.ci95), "sd": est.map(|e| e.sd),
            "lowest": est.map(|e| e.min), "highest": est.map(|e| e.max), "values": values,
        }));
    }
    let doc = json!({"scenario": ctx.scenario, "seeds": ctx.seeds, "expectations": rows});
    let json = serde_json::to_string_pretty(&doc).expect("sweep serializes") + "\n";
    SweepReport { lines, json, ok }
}

/// Print every expectation's distribution over the seeds and write `out/sweep.json`: what a
/// sweep reports, whether its seeds ran on this machine or in shards (`meshtwin merge`).
pub fn summarise(ctx: &SweepContext, per_seed: &[Vec<Verdict>], out: Option<&Path>) -> u8 {
    let r = report(ctx, per_seed);
    for line in &r.lines {
        println!("{line}");
    }
    if let Some(out) = out {
        if let Err(e) = std::fs::create_dir_all(out)
            .and_then(|_| std::fs::write(out.join("sweep.json"), &r.json))
        {
            eprintln!("error: cannot write {}: {e}", out.display());
            return exit::INVALID_INPUT;
        }
    }
    if r.ok {
        exit::OK
    } else {
        println!(
            "an expectation held in fewer than {} of {} runs (--min-hold)",
            ctx.min_hold,
            ctx.seeds.len()
        );
        exit::FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expectation_with_no_value_in_any_run_says_why_instead_of_printing_infinities() {
        let line = expectation_line(0, 3, "failover", &[], Some("load 'a' made no call"));
        assert_eq!(
            line,
            "  0/3 held · failover: no value in any run (load 'a' made no call)"
        );
    }

    #[test]
    fn runs_without_a_value_are_counted_beside_the_distribution() {
        let line = expectation_line(2, 3, "p", &[1.0, 3.0], None);
        assert!(line.contains("mean 2.0000"), "{line}");
        assert!(line.ends_with("(1 run(s) had no value)"), "{line}");
    }
}
