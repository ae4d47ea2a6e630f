//! `meshtwin explain`: why a run's requests failed — per failure class the mechanism, the
//! settings behind it cited where they were written, when it happened and an example — or, for
//! one request id, that request's hops and diagnosis.

use std::path::{Path, PathBuf};

use meshtwin_report::explain::render::{render_explanations, render_request};
use meshtwin_report::explain::{explain_request, Explanation};
use meshtwin_report::simulated::Simulated;

use crate::exit;
use crate::inputs::load_inputs;
use crate::simulate::explain_context;
use crate::tracefile::read_trace;

/// What `meshtwin explain` was asked.
pub struct ExplainArgs {
    pub dir: PathBuf,
    pub load: Option<String>,
    pub code: Option<u16>,
    pub request: Option<String>,
    /// The scenario to cite settings from for one request (default: the one the run recorded).
    pub scenario: Option<PathBuf>,
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}:1: cannot read file: {e} (is {} the output directory of `meshtwin run`?)",
            path.display(),
            path.parent().unwrap_or(Path::new(".")).display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn explain_command(args: ExplainArgs) -> u8 {
    let result = match &args.request {
        None => classes(&args),
        Some(id) => request(&args, id),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
}

fn classes(args: &ExplainArgs) -> Result<String, String> {
    let all: Vec<Explanation> = read(&args.dir.join("explanations.json"))?;
    let picked: Vec<Explanation> = all
        .into_iter()
        .filter(|e| args.load.as_ref().is_none_or(|l| e.loads.contains_key(l)))
        .filter(|e| args.code.is_none_or(|c| e.code == c))
        .collect();
    if picked.is_empty() {
        return Ok("no failed request matches: every request answered as expected\n".into());
    }
    Ok(render_explanations(&picked))
}

fn request(args: &ExplainArgs, id: &str) -> Result<String, String> {
    let simulated: Simulated = read(&args.dir.join("inputs.json"))?;
    let scenario = args
        .scenario
        .clone()
        .unwrap_or_else(|| PathBuf::from(&simulated.file));
    let inputs = load_inputs(&scenario).map_err(|e| e.to_string())?;
    let trace = read_trace(&args.dir)?;
    let found = explain_request(&trace.events, &explain_context(&inputs), id);
    trace
        .complete(found)?
        .map(|r| render_request(&r))
        .ok_or_else(|| {
            format!(
                "no request '{id}' in {}{}",
                trace.path.display(),
                trace.level_note()
            )
        })
}
