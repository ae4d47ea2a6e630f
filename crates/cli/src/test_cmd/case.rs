//! One case of `meshtwin test`: a scenario run under one seed, judged against its
//! expectations and compared with (or, with `--update`, written as) its golden digest.

use std::path::{Path, PathBuf};

use meshtwin_config::RunInputs;
use meshtwin_report::digest::diff::{diff, DigestDiff};
use meshtwin_report::digest::Digest;
use meshtwin_report::output::write_atomic;
use serde::{Deserialize, Serialize};

use crate::simulate::simulate_on;
use meshtwin_model::event::TraceLevel;
use meshtwin_sim::Substrate;

/// A case to run: a loaded scenario and a seed.
pub struct Job<'a> {
    pub file: &'a Path,
    pub inputs: &'a RunInputs,
    pub seed: u64,
    /// Where its golden digest lives.
    pub digest: PathBuf,
}

/// What became of the golden digest.
#[derive(Debug, Serialize, Deserialize)]
pub enum DigestState {
    /// The run matches it.
    Matches(DigestDiff),
    /// The run differs from it.
    Differs(DigestDiff),
    /// There is none (run `--update` to write it).
    Missing,
    /// `--update` wrote it: `true` when it is new or changed.
    Written { changed: bool, existed: bool },
}

/// How a case ended.
#[derive(Debug, Serialize, Deserialize)]
pub enum Ended {
    /// It ran: the expectations that failed (`name: detail`) and the digest's state.
    Ran {
        failed_expectations: Vec<String>,
        digest: DigestState,
    },
    /// It could not run, or its digest could not be read or written: invalid input.
    Error(String),
}

impl Ended {
    /// Whether the case passed: every expectation held and the digest matches (or was
    /// written).
    pub fn passed(&self) -> bool {
        match self {
            Ended::Ran {
                failed_expectations,
                digest,
            } => {
                failed_expectations.is_empty()
                    && matches!(
                        digest,
                        DigestState::Matches(_) | DigestState::Written { .. }
                    )
            }
            Ended::Error(_) => false,
        }
    }
}

/// Run `job` keeping the trace `trace` keeps; with `update`, write its digest instead of
/// comparing with it (only the full trace's figures are compared).
pub fn run(job: &Job<'_>, update: bool, trace: TraceLevel) -> Ended {
    let (result, judged) = match simulate_on(job.inputs, job.seed, Substrate::default(), trace) {
        Ok(r) => r,
        Err(e) => return Ended::Error(e.to_string()),
    };
    // A broken counter identity fails the case like an expectation.
    let failed_expectations = judged
        .verdicts
        .iter()
        .filter(|v| !v.pass)
        .map(|v| format!("{}: {}", v.name, v.detail))
        .chain(result.violations.iter().map(|v| format!("invariant: {v}")))
        .collect();
    let fresh = Digest::build(&judged.summary, result.trace());
    drop(result);
    let digest = if update {
        match write(&job.digest, &fresh) {
            Ok(state) => state,
            Err(e) => return Ended::Error(e),
        }
    } else {
        match compare(job, &fresh, trace) {
            Ok(state) => state,
            Err(e) => return Ended::Error(e),
        }
    };
    Ended::Ran {
        failed_expectations,
        digest,
    }
}

fn compare(job: &Job<'_>, fresh: &Digest, trace: TraceLevel) -> Result<DigestState, String> {
    let text = match std::fs::read_to_string(&job.digest) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DigestState::Missing),
        Err(e) => return Err(format!("cannot read {}: {e}", job.digest.display())),
    };
    let golden = Digest::from_text(&text).map_err(|e| {
        format!(
            "{}: {e} (rewrite it with `meshtwin test {} --update`)",
            job.digest.display(),
            job.file.display()
        )
    })?;
    let mut d = diff(&golden, &fresh.reread(), &job.inputs.scenario.digest);
    if !trace.is_full() {
        d = d.without_trace();
    }
    Ok(if d.matches() {
        DigestState::Matches(d)
    } else {
        DigestState::Differs(d)
    })
}

fn write(path: &Path, fresh: &Digest) -> Result<DigestState, String> {
    let text = fresh.to_text();
    let old = std::fs::read_to_string(path).ok();
    if old.as_deref() == Some(text.as_str()) {
        return Ok(DigestState::Written {
            changed: false,
            existed: true,
        });
    }
    let dir = path.parent().unwrap_or_else(|| Path::new(""));
    std::fs::create_dir_all(dir)
        .and_then(|_| write_atomic(path, text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(DigestState::Written {
        changed: true,
        existed: old.is_some(),
    })
}
