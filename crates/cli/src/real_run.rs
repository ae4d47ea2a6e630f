//! `meshtwin run --real`: the scenario's pods on real loopback sockets in real time
//! (`meshtwin_sim::real`), judged and written like a twin run. Refuses scenarios longer than
//! [`MAX_REAL_DURATION`]; warns of what the real platform cannot do.

use meshtwin_config::run_check::scenario_error;
use meshtwin_config::{ConfigError, ConfigWarning, RunInputs};
use meshtwin_model::event::TraceLevel;
use meshtwin_model::run::RunResult;
use meshtwin_report::summary::{judge, Judged};
use meshtwin_sim::real::{ignored_entries, run_real, RealError, MAX_REAL_DURATION};

/// The scenario of `inputs` as a real run takes it: an error when it is longer than the
/// real-time limit, else what the real run will not do, as warnings.
pub fn check_real(inputs: &RunInputs) -> Result<Vec<ConfigWarning>, ConfigError> {
    let sc = &inputs.scenario;
    if sc.duration > MAX_REAL_DURATION {
        return Err(scenario_error(
            &sc.file,
            "duration",
            RealError::TooLong(sc.duration).to_string(),
        ));
    }
    let located = |path: &str, message: String| {
        let at = scenario_error(&sc.file, path, message);
        ConfigWarning {
            file: at.file,
            line: at.line,
            object: None,
            path: at.path,
            message: at.message,
        }
    };
    let mut warnings: Vec<ConfigWarning> = ignored_entries(sc)
        .into_iter()
        .map(|(i, what)| {
            located(
                &format!("timeline[{i}]"),
                format!(
                    "ignored by --real: a {what} entry drops or delays packets between pods, \
                     which the twin's simulated network does and loopback sockets cannot"
                ),
            )
        })
        .collect();
    let l = inputs.topology.latency;
    warnings.push(located(
        "topology",
        format!(
            "--real adds none of the topology's link latency (same zone {:?}, cross zone {:?}, \
             cross region {:?}): its pods talk over loopback",
            l.same_zone, l.cross_zone, l.cross_region
        ),
    ));
    Ok(warnings)
}

/// Run `inputs` under `seed` on real sockets and judge the run against the scenario's
/// expectations, as [`crate::simulate::simulate_on`] does for the twin.
pub fn simulate_real(
    inputs: &RunInputs,
    seed: u64,
    trace: TraceLevel,
) -> Result<(RunResult, Judged), String> {
    let mut sc = inputs.scenario.clone();
    sc.seed = seed;
    let r = run_real(
        trace,
        &inputs.topology,
        &inputs.policies,
        &sc,
        &inputs.timeline_policies,
    )
    .map_err(|e| match e {
        RealError::TooLong(_) => scenario_error(&sc.file, "duration", e.to_string()).to_string(),
        RealError::Sim(_) => scenario_error(&sc.file, "loads", e.to_string()).to_string(),
        RealError::Runtime(_) | RealError::Listen(_) => e.to_string(),
    })?;
    for v in &r.violations {
        eprintln!("warning: invariant violated (a bug in meshtwin): {v}");
    }
    let judged = judge(&sc, &inputs.topology, &r);
    Ok((r, judged))
}
