//! Where a run's trace is read from: every consumer (summary, expectations, plots, reports,
//! invariants, explanations) walks an [`EventSource`] from the first event to the last, and
//! never learns whether the events are held in memory (a `Vec`, as `sweep`, `compare` and
//! `test` keep them) or read back one at a time from the file `meshtwin run` streamed them to.
//! A consumer that needs more than one pass asks for another; one that needs random access
//! keeps only what it needs; consumers of one pass each can share one walk
//! ([`walk_together`]). Also the one serialization of a `trace.jsonl` line
//! ([`write_line`]).

use std::borrow::Cow;
use std::io::{self, Write};

use crate::event::TraceEvent;

/// A trace that can be walked, in virtual-time order, as often as a consumer needs.
pub trait EventSource: std::fmt::Debug + Send + Sync {
    /// Every event, first to last: borrowed from memory, or parsed from a file as the walk
    /// reaches it (each walk reads the file again). A file that cannot be read ends the walk
    /// early and is reported by [`EventSource::failure`].
    fn events(&self) -> Box<dyn Iterator<Item = Cow<'_, TraceEvent>> + '_>;

    /// How many events the trace holds.
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Why a walk (or the writing of the file walked) stopped short, if one did: whatever was
    /// computed from this trace is then incomplete and must not be written.
    fn failure(&self) -> Option<String> {
        None
    }
}

impl EventSource for [TraceEvent] {
    fn events(&self) -> Box<dyn Iterator<Item = Cow<'_, TraceEvent>> + '_> {
        Box::new(self.iter().map(Cow::Borrowed))
    }

    fn len(&self) -> u64 {
        <[TraceEvent]>::len(self) as u64
    }
}

impl EventSource for Vec<TraceEvent> {
    fn events(&self) -> Box<dyn Iterator<Item = Cow<'_, TraceEvent>> + '_> {
        self.as_slice().events()
    }

    fn len(&self) -> u64 {
        Vec::len(self) as u64
    }
}

impl<const N: usize> EventSource for [TraceEvent; N] {
    fn events(&self) -> Box<dyn Iterator<Item = Cow<'_, TraceEvent>> + '_> {
        self.as_slice().events()
    }

    fn len(&self) -> u64 {
        N as u64
    }
}

/// Walks `events` once, handing each event to every consumer in turn: consumers that each
/// need one pass share one reading of a streamed trace (each pass parses the whole file).
pub fn walk_together(
    events: &(impl EventSource + ?Sized),
    consumers: &mut [&mut dyn FnMut(&TraceEvent)],
) {
    for e in events.events() {
        for consume in consumers.iter_mut() {
            consume(&e);
        }
    }
}

/// One line of `trace.jsonl`: the event as JSON, then `\n`.
pub fn write_line(e: &TraceEvent, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer(&mut *w, e).map_err(io::Error::other)?;
    w.write_all(b"\n")
}
