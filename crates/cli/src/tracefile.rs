//! Reading a run's trace back (for `meshtwin trace`, `endpoints` and `explain`): given the
//! file (`trace.jsonl`, or `trace.jsonl.zst` zstd-compressed) or the run's output directory,
//! with the trace level the run kept (from the `summary.json` beside it); and compressing a
//! written trace ([`compress`]). The file is read by the run's own reader
//! ([`meshtwin_sim::trace_stream::TraceLines`]), one event at a time: a command walks it as
//! often as it needs, and never holds it.

use std::path::{Path, PathBuf};

use meshtwin_model::event::TraceLevel;
use meshtwin_model::trace::EventSource;
use meshtwin_sim::trace_stream::StreamedTrace;

/// A trace read back.
pub struct TraceFile {
    /// The file read (`<dir>/trace.jsonl` when given a directory).
    pub path: PathBuf,
    /// Its events, walked from the file.
    pub events: StreamedTrace,
    /// The run's virtual duration from the `summary.json` beside the trace, when there is one.
    pub duration_ms: Option<f64>,
    /// What the run kept (`summary.json`'s `trace.level`; full when it says nothing).
    pub level: TraceLevel,
}

impl TraceFile {
    /// `value`, computed from walks of the events, when every walk read the whole file; the
    /// first line that could not be read or parsed otherwise.
    pub fn complete<T>(&self, value: T) -> Result<T, String> {
        match self.events.failure() {
            None => Ok(value),
            Some(why) => Err(why),
        }
    }

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
        let plain = path.join("trace.jsonl");
        let zst = path.join(COMPRESSED);
        if !plain.exists() && zst.exists() {
            zst
        } else {
            plain
        }
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
    let events = StreamedTrace::open(&path)?;
    let duration_ms = summary.as_ref().and_then(|v| v["duration_ms"].as_f64());
    Ok(TraceFile {
        path,
        events,
        duration_ms,
        level,
    })
}

use meshtwin_sim::trace_stream::{COMPRESSED, ZSTD_LEVEL};

/// Replace `dir`'s trace.jsonl (when the run wrote one) with trace.jsonl.zst, streamed.
pub fn compress(dir: &Path) -> std::io::Result<()> {
    let plain = dir.join("trace.jsonl");
    if !plain.exists() {
        return Ok(());
    }
    let input = std::fs::File::open(&plain)?;
    let output = std::io::BufWriter::new(std::fs::File::create(dir.join(COMPRESSED))?);
    zstd::stream::copy_encode(input, output, ZSTD_LEVEL)?;
    std::fs::remove_file(plain)
}
