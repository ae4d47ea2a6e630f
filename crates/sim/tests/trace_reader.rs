//! The one reader of a trace file (`TraceLines`, under both a streamed run's trace and the
//! commands that read a trace back): every event in order, plain or zstd-compressed, and every
//! error a complete `file:line: what is wrong` that ends the walk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::trace::EventSource;
use meshtwin_sim::trace_stream::{StreamedTrace, TraceLines, TraceWriter};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("trace_reader")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn event(t_ms: f64, proxy: &str) -> TraceEvent {
    TraceEvent {
        t_ms,
        kind: EventKind::Endpoints {
            proxy: proxy.into(),
            cluster: "outbound|80||a".into(),
            endpoints: Arc::from(Vec::new()),
        },
    }
}

/// Three events written by the run's writer into `dir` (compressed when asked).
fn written(dir: &Path, compressed: bool) -> (PathBuf, Vec<TraceEvent>) {
    let events: Vec<TraceEvent> = (0..3).map(|i| event(i as f64, &format!("p-{i}"))).collect();
    let mut w = TraceWriter::create(dir, compressed).unwrap();
    events.iter().for_each(|e| w.write(e));
    let trace = w.finish();
    assert_eq!(trace.failure(), None);
    (trace.path().to_path_buf(), events)
}

#[test]
fn a_written_trace_reads_back_event_for_event_plain_and_compressed() {
    for compressed in [false, true] {
        let (path, events) = written(&scratch(&format!("ok-{compressed}")), compressed);
        let read: Result<Vec<TraceEvent>, String> = TraceLines::open(&path).unwrap().collect();
        assert_eq!(read.unwrap(), events, "compressed: {compressed}");
        let opened = StreamedTrace::open(&path).unwrap();
        assert_eq!(opened.len(), 3);
        let walked: Vec<TraceEvent> = opened.events().map(|e| e.into_owned()).collect();
        assert_eq!(walked, events);
        assert_eq!(opened.failure(), None);
    }
}

#[test]
fn a_line_that_is_not_an_event_is_named_by_its_number_and_ends_the_walk() {
    let dir = scratch("bad-line");
    let (path, events) = written(&dir, false);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    text = format!("{}\n{{\"t_ms\": 1}}\n{}\n", lines[0], lines[1]);
    std::fs::write(&path, text).unwrap();
    let read: Vec<Result<TraceEvent, String>> = TraceLines::open(&path).unwrap().collect();
    assert_eq!(read.len(), 2, "the walk stops at the bad line: {read:?}");
    assert_eq!(read[0].as_ref().unwrap(), &events[0]);
    let why = read[1].as_ref().unwrap_err();
    assert!(
        why.starts_with(&format!("{}:2: not a trace event: ", path.display())),
        "{why}"
    );
    // Counting the lines does not parse them; a walk stops at the bad one and says why.
    let opened = StreamedTrace::open(&path).unwrap();
    assert_eq!(opened.events().count(), 1);
    assert_eq!(opened.failure().as_deref(), Some(why.as_str()));
}

#[test]
fn a_missing_or_unreadable_file_cannot_be_read_at_its_first_line() {
    let dir = scratch("unreadable");
    let missing = dir.join("trace.jsonl");
    let why = TraceLines::open(&missing).err().unwrap();
    assert!(
        why.starts_with(&format!("{}:1: cannot read file: ", missing.display())),
        "{why}"
    );
    assert_eq!(StreamedTrace::open(&missing).unwrap_err(), why);
    // A `.zst` that is not zstd: the first read fails.
    let bogus = dir.join("trace.jsonl.zst");
    std::fs::write(&bogus, "not compressed\n").unwrap();
    let why = StreamedTrace::open(&bogus).unwrap_err();
    assert!(
        why.starts_with(&format!("{}:1: cannot read file: ", bogus.display())),
        "{why}"
    );
}
