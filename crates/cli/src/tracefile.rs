//! Reading a run's trace back (for `meshtwin trace`, `endpoints` and `explain`): given the
//! file or the run's output directory, with the trace level the run kept (from the
//! `summary.json` beside it).

use std::path::{Path, PathBuf};

use meshtwin_model::event::{TraceEvent, TraceLevel};

/// A trace read back.
pub struct TraceFile {
    /// The file read (`<dir>/trace.jsonl` when given a directory).
    pub path: PathBuf,
    pub events: Vec<TraceEvent>,
    /// The run's virtual duration from the `summary.json` beside the trace, when there is one.
    pub duration_ms: Option<f64>,
    /// What the run kept (`summary.json`'s `trace.level`; full when it says nothing).
    pub level: TraceLevel,
}

impl TraceFile {
    /// Why a request may be missing from this trace: empty for a full trace.
    pub fn level_note(&self) -> String {
        match self.level {
            TraceLevel::Full => String::new(),
            level => format!(
                " (the run kept `--trace {level}`: only the events of requests that failed are \
                 in it; run again with `--trace full` for every request)"
            ),
        }
    }
}

/// The `summary.json` in `dir`, when there is one that parses.
fn summary(dir: Option<&Path>) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir?.join("summary.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Reads `path` (a trace.jsonl, or a directory holding one); the error is a complete
/// `file:line: message`.
pub fn read_trace(path: &Path) -> Result<TraceFile, String> {
    let path = if path.is_dir() {
        path.join("trace.jsonl")
    } else {
        path.to_path_buf()
    };
    let summary = summary(path.parent());
    let level = summary
        .as_ref()
        .and_then(|v| v["trace"]["level"].as_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    if level == TraceLevel::None && !path.exists() {
        return Err(format!(
            "{}:1: the run kept `--trace none` and wrote no trace; run again with \
             `--trace full` or `--trace failures`",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}:1: cannot read file: {e}", path.display()))?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let e = serde_json::from_str::<TraceEvent>(line)
            .map_err(|e| format!("{}:{}: not a trace event: {e}", path.display(), i + 1))?;
        events.push(e);
    }
    let duration_ms = summary.as_ref().and_then(|v| v["duration_ms"].as_f64());
    Ok(TraceFile {
        path,
        events,
        duration_ms,
        level,
    })
}
