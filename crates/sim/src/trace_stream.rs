//! A full trace streamed to its file as the run produces it ([`TraceWriter`], buffered,
//! zstd-compressed when asked), then read back one event at a time for every consumer that
//! runs after the simulation ([`StreamedTrace`], an [`EventSource`]). Memory holds the write
//! buffer and the event being read, never the trace. [`TraceLines`] is the one reader and
//! parser of a trace file, for the run and for the commands that read a run's trace back
//! (`trace`, `endpoints`, `explain`).
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
            len: self.written,
            failure: Mutex::new(self.error),
        }
    }
}

/// A trace file written by a [`TraceWriter`] (or any `trace.jsonl[.zst]`, [`StreamedTrace::open`]),
/// walked by reading it again from the start with the one reader, [`TraceLines`].
#[derive(Debug)]
pub struct StreamedTrace {
    path: PathBuf,
    len: u64,
    /// The first write or read that failed.
    failure: Mutex<Option<String>>,
}

impl StreamedTrace {
    /// A trace file already written (`trace.jsonl`, or zstd-compressed when its name ends in
    /// `.zst`), to be walked as often as needed. Counting its events reads it once; a file that
    /// cannot be read, or a line that is not an event, is the `file:line: what is wrong`.
    pub fn open(path: &Path) -> Result<Self, String> {
        let mut len = 0;
        for line in TraceLines::open(path)?.unparsed() {
            line?;
            len += 1;
        }
        Ok(Self {
            path: path.to_path_buf(),
            len,
            failure: Mutex::new(None),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, why: String) {
        if let Ok(mut f) = self.failure.lock() {
            f.get_or_insert(why);
        }
    }
}

/// Whether `path` names a zstd-compressed trace.
fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "zst")
}

/// The one reader of a trace file: its events one line at a time, parsed as the walk reaches
/// them, decompressed when the name ends in `.zst`. Every error is a complete
/// `file:line: what is wrong` (`cannot read file: …`, or `not a trace event: …`), and ends the
/// walk.
pub struct TraceLines {
    path: PathBuf,
    reader: Box<dyn BufRead + Send>,
    line: String,
    number: u64,
    done: bool,
}

impl TraceLines {
    /// Open `path` at its first event.
    pub fn open(path: &Path) -> Result<Self, String> {
        let cannot = |e: io::Error| format!("{}:1: cannot read file: {e}", path.display());
        let file = File::open(path).map_err(cannot)?;
        let reader: Box<dyn BufRead + Send> = if is_compressed(path) {
            Box::new(BufReader::new(
                zstd::stream::read::Decoder::new(file).map_err(cannot)?,
            ))
        } else {
            Box::new(BufReader::new(file))
        };
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            line: String::new(),
            number: 0,
            done: false,
        })
    }

    /// The next line's text (without parsing it), `None` at the end.
    fn next_line(&mut self) -> Option<Result<&str, String>> {
        if self.done {
            return None;
        }
        self.line.clear();
        self.number += 1;
        match self.reader.read_line(&mut self.line) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => Some(Ok(&self.line)),
            Err(e) => {
                self.done = true;
                Some(Err(self.at(format!("cannot read file: {e}"))))
            }
        }
    }

    fn at(&self, what: String) -> String {
        format!("{}:{}: {what}", self.path.display(), self.number)
    }

    /// The lines read but not parsed (for counting them): `Err` when the file cannot be read.
    fn unparsed(mut self) -> impl Iterator<Item = Result<(), String>> {
        std::iter::from_fn(move || self.next_line().map(|l| l.map(drop)))
    }
}

impl Iterator for TraceLines {
    type Item = Result<TraceEvent, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let parsed = match self.next_line()? {
            Ok(line) => serde_json::from_str(line),
            Err(e) => return Some(Err(e)),
        };
        Some(parsed.map_err(|e| {
            self.done = true;
            self.at(format!("not a trace event: {e}"))
        }))
    }
}

impl EventSource for StreamedTrace {
    /// The events, until the first that cannot be read (then [`EventSource::failure`] says
    /// where and why).
    fn events(&self) -> Box<dyn Iterator<Item = Cow<'_, TraceEvent>> + '_> {
        match TraceLines::open(&self.path) {
            Ok(lines) => Box::new(lines.map_while(|e| match e {
                Ok(e) => Some(Cow::Owned(e)),
                Err(why) => {
                    self.fail(why);
                    None
                }
            })),
            Err(why) => {
                self.fail(why);
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
