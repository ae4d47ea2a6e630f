//! A full trace streamed to its file as the run produces it ([`TraceWriter`], buffered,
//! zstd-compressed when asked), then read back one event at a time for every consumer that
//! runs after the simulation ([`StreamedTrace`], an [`EventSource`]). Memory holds the write
//! buffer and the event being read, never the trace.
//!
//! The bytes are those `meshtwin run` wrote when it kept the trace in memory and wrote it at
//! the end: the same lines ([`meshtwin_model::trace::write_line`]) in the same order, and for
//! `trace.jsonl.zst` the same zstd stream (level [`ZSTD_LEVEL`], one frame, no flush
//! before the end).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use meshtwin_model::event::TraceEvent;
use meshtwin_model::trace::{write_line, EventSource};

/// The trace's file name in a run's output directory.
pub const PLAIN: &str = "trace.jsonl";
/// The compressed trace's file name.
pub const COMPRESSED: &str = "trace.jsonl.zst";
/// The zstd level of `trace.jsonl.zst` (zstd's default).
pub const ZSTD_LEVEL: i32 = 3;

/// Where the lines go: the file through a buffer, or a zstd encoder over it.
enum Sink {
    Plain(BufWriter<File>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

/// Writes a trace to its file as events arrive. A write that fails is kept and ends the
/// writing; [`TraceWriter::finish`] hands it on, so the run that produced it writes nothing.
pub struct TraceWriter {
    path: PathBuf,
    compressed: bool,
    sink: Option<Sink>,
    written: u64,
    error: Option<String>,
}

impl TraceWriter {
    /// A new trace file in `dir`: `trace.jsonl`, or `trace.jsonl.zst` when `compressed`.
    pub fn create(dir: &Path, compressed: bool) -> io::Result<Self> {
        let path = dir.join(if compressed { COMPRESSED } else { PLAIN });
        let file = BufWriter::new(File::create(&path)?);
        let sink = if compressed {
            Sink::Zstd(zstd::stream::write::Encoder::new(file, ZSTD_LEVEL)?)
        } else {
            Sink::Plain(file)
        };
        Ok(Self {
            path,
            compressed,
            sink: Some(sink),
            written: 0,
            error: None,
        })
    }

    /// Append `e` as one line.
    pub fn write(&mut self, e: &TraceEvent) {
        let Some(sink) = &mut self.sink else { return };
        let done = match sink {
            Sink::Plain(w) => write_line(e, w),
            Sink::Zstd(w) => write_line(e, w),
        };
        match done {
            Ok(()) => self.written += 1,
            Err(err) => self.fail(err),
        }
    }

    fn fail(&mut self, err: io::Error) {
        self.error = Some(format!("cannot write {}: {err}", self.path.display()));
        self.sink = None;
    }

    /// Flush and close the file (ending the zstd frame), and read it back from now on.
    pub fn finish(mut self) -> StreamedTrace {
        if let Some(sink) = self.sink.take() {
            let file = match sink {
                Sink::Plain(w) => w.into_inner().map_err(|e| e.into_error()),
                Sink::Zstd(w) => w
                    .finish()
                    .and_then(|w| w.into_inner().map_err(|e| e.into_error())),
            };
            if let Err(err) = file.and_then(|f| f.sync_all()) {
                self.fail(err);
            }
        }
        StreamedTrace {
            path: self.path,
            compressed: self.compressed,
            len: self.written,
            failure: Mutex::new(self.error),
        }
    }
}

/// A trace file written by a [`TraceWriter`] (or any `trace.jsonl[.zst]`), walked by reading
/// it again from the start.
#[derive(Debug)]
pub struct StreamedTrace {
    path: PathBuf,
    compressed: bool,
    len: u64,
    /// The first write or read that failed.
    failure: Mutex<Option<String>>,
}

impl StreamedTrace {
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, why: String) {
        if let Ok(mut f) = self.failure.lock() {
            f.get_or_insert(why);
        }
    }

    fn reader(&self) -> io::Result<Box<dyn BufRead + '_>> {
        let file = File::open(&self.path)?;
        Ok(if self.compressed {
            Box::new(BufReader::new(zstd::stream::read::Decoder::new(file)?))
        } else {
            Box::new(BufReader::new(file))
        })
    }
}

/// Reads events one line at a time, reporting a bad line or read to its trace.
struct Lines<'a> {
    trace: &'a StreamedTrace,
    reader: Box<dyn BufRead + 'a>,
    line: String,
    number: u64,
}

impl Iterator for Lines<'_> {
    type Item = TraceEvent;

    fn next(&mut self) -> Option<TraceEvent> {
        self.line.clear();
        self.number += 1;
        let at = |what: String| format!("{}:{}: {what}", self.trace.path.display(), self.number);
        match self.reader.read_line(&mut self.line) {
            Ok(0) => None,
            Ok(_) => match serde_json::from_str(&self.line) {
                Ok(e) => Some(e),
                Err(e) => {
                    self.trace.fail(at(format!("not a trace event: {e}")));
                    None
                }
            },
            Err(e) => {
                self.trace.fail(at(format!("cannot read: {e}")));
                None
            }
        }
    }
}

impl EventSource for StreamedTrace {
    fn events(&self) -> Box<dyn Iterator<Item = Cow<'_, TraceEvent>> + '_> {
        match self.reader() {
            Ok(reader) => Box::new(
                Lines {
                    trace: self,
                    reader,
                    line: String::new(),
                    number: 0,
                }
                .map(Cow::Owned),
            ),
            Err(e) => {
                self.fail(format!("{}: cannot read: {e}", self.path.display()));
                Box::new(std::iter::empty())
            }
        }
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }
}
