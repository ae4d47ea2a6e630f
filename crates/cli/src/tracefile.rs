//! Reading a run's `trace.jsonl` back (for `meshtwin trace` and `meshtwin endpoints`): given
//! the file or the run's output directory.

use std::path::{Path, PathBuf};

use meshtwin_model::event::TraceEvent;

/// A trace read back.
pub struct TraceFile {
    /// The file read (`<dir>/trace.jsonl` when given a directory).
    pub path: PathBuf,
    pub events: Vec<TraceEvent>,
    /// The run's virtual duration from the `summary.json` beside the trace, when there is one.
    pub duration_ms: Option<f64>,
}

/// Reads `path` (a trace.jsonl, or a directory holding one); the error is a complete
/// `file:line: message`.
pub fn read_trace(path: &Path) -> Result<TraceFile, String> {
    let path = if path.is_dir() {
        path.join("trace.jsonl")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}:1: cannot read file: {e}", path.display()))?;
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let e = serde_json::from_str::<TraceEvent>(line)
            .map_err(|e| format!("{}:{}: not a trace event: {e}", path.display(), i + 1))?;
        events.push(e);
    }
    let duration_ms = path
        .parent()
        .and_then(|d| std::fs::read_to_string(d.join("summary.json")).ok())
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["duration_ms"].as_f64());
    Ok(TraceFile {
        path,
        events,
        duration_ms,
    })
}
