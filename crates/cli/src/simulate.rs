//! One simulated run of checked inputs under a seed, judged: what `run`, `sweep`, `compare`
//! and `test` share.

use meshtwin_config::run_check::scenario_error;
use meshtwin_config::{ConfigError, RunInputs};
use meshtwin_model::event::TraceLevel;
use meshtwin_model::run::RunResult;
use meshtwin_report::explain::Context;
use meshtwin_report::summary::{judge, Judged};
use meshtwin_sim::recorder::{Recorder, DEFAULT_TRACE_CAP};
use meshtwin_sim::Substrate;

/// Run `inputs` under `seed` with the pods on `substrate`, keeping the trace `trace` keeps,
/// and judge the run against the scenario's expectations. The only error is input the checks
/// could not see alone (e.g. a load URL the world cannot resolve). Every Envoy counter
/// identity the run broke is printed as a warning.
pub fn simulate_on(
    inputs: &RunInputs,
    seed: u64,
    substrate: Substrate,
    trace: TraceLevel,
) -> Result<(RunResult, Judged), ConfigError> {
    let recorder = Recorder::with_level(trace, DEFAULT_TRACE_CAP);
    simulate_recorded(inputs, seed, substrate, recorder)
}

/// Like [`simulate_on`], the trace going to `recorder` (`meshtwin run`'s full trace streams
/// to its file: [`Recorder::streaming`]).
pub fn simulate_recorded(
    inputs: &RunInputs,
    seed: u64,
    substrate: Substrate,
    recorder: Recorder,
) -> Result<(RunResult, Judged), ConfigError> {
    let mut sc = inputs.scenario.clone();
    sc.seed = seed;
    let r = meshtwin_sim::run_recorded(
        substrate,
        recorder,
        &inputs.topology,
        &inputs.policies,
        &sc,
        &inputs.timeline_policies,
    )
    .map_err(|e| scenario_error(&sc.file, "loads", e.to_string()))?;
    for v in &r.violations {
        eprintln!("warning: invariant violated (a bug in meshtwin): {v}");
    }
    let judged = judge(&sc, &inputs.topology, &r);
    Ok((r, judged))
}

/// The trace a many-run command keeps by default: `failures` (memory holds only failed
/// requests' events), or `full` when an expectation of `sc` reads every request's events.
pub fn bounded_level(sc: &meshtwin_model::scenario::Scenario) -> TraceLevel {
    use meshtwin_model::scenario::Metric;
    let needs_full = sc
        .expectations
        .iter()
        .any(|e| matches!(e.metric, Metric::Reached { .. } | Metric::FailoverMs { .. }));
    if needs_full {
        TraceLevel::Full
    } else {
        TraceLevel::Failures
    }
}

/// What explanations of a run of `inputs` read: the topology and the policies in force over
/// time.
pub fn explain_context(inputs: &RunInputs) -> Context<'_> {
    Context {
        topology: &inputs.topology,
        policies: &inputs.policies,
        timeline: &inputs.timeline_policies,
    }
}
