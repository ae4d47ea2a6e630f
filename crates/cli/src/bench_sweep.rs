//! The sweep part of `meshtwin bench`: one sweep of a bundled scenario run with `--jobs 1`
//! and with `--jobs 2` (the same seeds, the same code as `meshtwin sweep`), each the median of
//! three runs, and whether both reported byte-identical text and `sweep.json`.

use std::path::Path;

use serde::Serialize;

use crate::inputs::load_inputs;
use crate::simulate::bounded_level;
use crate::sweep::{report, run_seeds, SweepContext, SweepReport};

/// The scenario the bench sweeps (path from the repository root).
pub const SCENARIO: &str = "scenarios/istio-upgrade-default-retry.yaml";

/// What the sweep measurement found.
#[derive(Debug, Serialize)]
pub struct SweepFigures {
    pub scenario: String,
    pub seeds: u64,
    pub jobs_1_wall_s: f64,
    pub jobs_2_wall_s: f64,
    /// `jobs_1_wall_s / jobs_2_wall_s`.
    pub speedup: f64,
    /// The two sweeps printed the same lines and wrote the same `sweep.json`, byte for byte.
    pub identical: bool,
}

/// Sweep `scenario` over seeds `1..=seeds` with one and with two worker threads, timing each
/// with `timed` (median of its runs). `Err` says why it could not run (no such file, ...).
pub fn measure(
    scenario: &Path,
    seeds: u64,
    timed: impl Fn(&mut dyn FnMut() -> SweepReport) -> (std::time::Duration, SweepReport),
) -> Result<SweepFigures, String> {
    let inputs = load_inputs(scenario).map_err(|e| e.to_string())?;
    let seeds: Vec<u64> = (1..=seeds.max(1)).collect();
    let indexed: Vec<(usize, u64)> = seeds.iter().copied().enumerate().collect();
    let context = SweepContext::of(&inputs, 1, seeds.clone(), seeds.len() as u64);
    // The trace `meshtwin sweep` keeps by default.
    let trace = bounded_level(&inputs.scenario);
    let mut err = None;
    let mut sweep = |jobs: usize| {
        timed(&mut || match run_seeds(&inputs, &indexed, jobs, trace) {
            Ok(per_seed) => {
                let v: Vec<_> = per_seed.into_iter().map(|(_, v)| v).collect();
                report(&context, &v)
            }
            Err(e) => {
                err = Some(e);
                SweepReport {
                    lines: Vec::new(),
                    json: String::new(),
                    ok: false,
                }
            }
        })
    };
    let (one, a) = sweep(1);
    let (two, b) = sweep(2);
    if let Some(e) = err {
        return Err(e);
    }
    Ok(SweepFigures {
        scenario: scenario.display().to_string(),
        seeds: seeds.len() as u64,
        jobs_1_wall_s: one.as_secs_f64(),
        jobs_2_wall_s: two.as_secs_f64(),
        speedup: one.as_secs_f64() / two.as_secs_f64(),
        identical: a.lines == b.lines && a.json == b.json,
    })
}

/// The figures as one line of text.
pub fn print(f: &SweepFigures) {
    println!(
        "sweep of {} over {} seeds: --jobs 1 {:.3} s, --jobs 2 {:.3} s wall = {:.2}× faster; \
         outputs {}",
        f.scenario,
        f.seeds,
        f.jobs_1_wall_s,
        f.jobs_2_wall_s,
        f.speedup,
        if f.identical {
            "byte-identical"
        } else {
            "DIFFERENT"
        }
    );
}
