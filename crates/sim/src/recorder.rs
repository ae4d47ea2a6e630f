//! Records the trace: every event any proxy, app or load generator reports, in the order they
//! happen in virtual time. A full trace is either kept in memory up to a fixed cap, or written
//! whole to its file ([`Recorder::streaming`], [`crate::trace_stream`]: no cap): held in memory
//! while it is small, and streamed to the file as events arrive once it outgrows
//! [`SPILL_AFTER`] events, memory then holding only the write buffer. A `failures` or `none`
//! trace keeps only what its level keeps ([`crate::trace_filter`]).

use std::cell::RefCell;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::sync::Arc;
use std::time::Duration;

use meshtwin_model::event::{EventKind, Name, ResponseFlags, TraceEvent, TraceLevel};
use meshtwin_proxy::observer::Observer;

use crate::trace_filter::FailureFilter;
use crate::trace_stream::TraceWriter;

/// The most events a trace keeps; past it, events are counted but not stored.
pub const DEFAULT_TRACE_CAP: usize = meshtwin_model::limits::MAX_TRACE_EVENTS;

/// Events a trace written to its file is also held in memory for (≈ 40 MB): a trace that
/// stays under it is read from memory afterwards — every consumer walks it, some more than
/// once, and reading it back means parsing the file again each time —; one that outgrows it
/// is written out and, from then on, streamed, so memory stays flat however long the run.
pub const SPILL_AFTER: usize = 200_000;

/// A trace's file, and when the trace goes there.
struct Spill {
    file: TraceWriter,
    /// Events held in memory before the trace is streamed to the file instead.
    after: usize,
    /// Whether it was: events then go straight to the file.
    spilled: bool,
}

impl Spill {
    /// Write `events`, the ones held in memory so far, to the file.
    fn write_held(&mut self, events: &[TraceEvent]) {
        for e in events {
            self.file.write(e);
        }
    }
}

/// Request id → what is held for it until a load claims it.
type InFlight<V> = indexmap::IndexMap<String, V, BuildHasherDefault<DefaultHasher>>;

/// The trace being written.
pub struct Recorder {
    events: RefCell<Vec<TraceEvent>>,
    dropped: RefCell<u64>,
    cap: usize,
    level: TraceLevel,
    /// What a `failures` or `none` trace keeps (`None` for a full trace).
    filter: Option<RefCell<FailureFilter>>,
    /// The file a full trace is written to (`None` when the trace is kept in memory only).
    stream: Option<RefCell<Spill>>,
    /// request id → (proxy, flags) of every access-log entry not yet claimed by a load. Only
    /// looked up, never iterated: hashed (SipHash with fixed keys, no OS randomness), as a
    /// B-tree compared every id's long common prefix at each level, twice per hop.
    flags_by_request: RefCell<InFlight<Vec<(Name, ResponseFlags)>>>,
    /// request id → the pod whose TCP app answered it, not yet claimed by a load.
    served: RefCell<InFlight<String>>,
}

impl Recorder {
    /// A full trace of at most `cap` events.
    pub fn new(cap: usize) -> Self {
        Self::with_level(TraceLevel::Full, cap)
    }

    /// A trace that keeps what `level` keeps, at most `cap` events.
    pub fn with_level(level: TraceLevel, cap: usize) -> Self {
        Self {
            events: RefCell::new(Vec::new()),
            dropped: RefCell::new(0),
            cap,
            level,
            filter: (!level.is_full()).then(|| RefCell::new(FailureFilter::new(level, cap))),
            stream: None,
            flags_by_request: RefCell::default(),
            served: RefCell::default(),
        }
    }

    /// A full trace written to `file`, every event (no cap): held in memory too up to
    /// [`SPILL_AFTER`] events, streamed to the file as they arrive past that.
    pub fn streaming(file: TraceWriter) -> Self {
        Self::streaming_after(file, SPILL_AFTER)
    }

    /// [`Recorder::streaming`] that streams once the trace outgrows `after` events (0: every
    /// event goes straight to the file).
    pub fn streaming_after(file: TraceWriter, after: usize) -> Self {
        Self {
            stream: Some(RefCell::new(Spill {
                file,
                after,
                spilled: false,
            })),
            ..Self::new(usize::MAX)
        }
    }

    /// The level this trace keeps.
    pub fn level(&self) -> TraceLevel {
        self.level
    }

    /// A TCP app answered the line `request_id` (see [`crate::tcp_echo`]).
    pub fn note_served(&self, request_id: &str, pod: &str) {
        self.served
            .borrow_mut()
            .insert(request_id.to_string(), pod.to_string());
    }

    /// The pod that answered `request_id` over TCP, and forget it.
    pub fn take_served(&self, request_id: &str) -> Option<String> {
        self.served.borrow_mut().swap_remove(request_id)
    }

    pub fn record(&self, now: Duration, kind: EventKind) {
        // A TCP proxy's entries carry no request id and no load claims them: not held.
        if let EventKind::AccessLog {
            proxy,
            request_id,
            flags,
            ..
        } = &kind
        {
            if request_id.is_empty() {
                return self.store(now, kind);
            }
            // The request's later hops find its entry: its id is copied once.
            let entry = (proxy.clone(), flags.clone());
            let mut by_request = self.flags_by_request.borrow_mut();
            match by_request.get_mut(request_id.as_str()) {
                Some(entries) => entries.push(entry),
                None => {
                    by_request.insert(request_id.clone(), vec![entry]);
                }
            }
        }
        self.store(now, kind);
    }

    fn store(&self, now: Duration, kind: EventKind) {
        let event = TraceEvent {
            t_ms: now.as_micros() as f64 / 1000.0,
            kind,
        };
        if let Some(filter) = &self.filter {
            filter.borrow_mut().record(event);
            return;
        }
        let mut events = self.events.borrow_mut();
        if let Some(stream) = &self.stream {
            let s = &mut *stream.borrow_mut();
            if !s.spilled && events.len() >= s.after {
                s.write_held(&std::mem::take(&mut *events));
                s.spilled = true;
            }
            if s.spilled {
                s.file.write(&event);
                return;
            }
        }
        if events.len() < self.cap {
            events.push(event);
        } else {
            *self.dropped.borrow_mut() += 1;
        }
    }

    /// The flags `proxy` logged for `request_id` and every proxy that logged it, and forget
    /// that request's entries.
    pub fn take_flags(&self, request_id: &str, proxy: Option<&str>) -> (ResponseFlags, Vec<Name>) {
        let entries = self
            .flags_by_request
            .borrow_mut()
            .swap_remove(request_id)
            .unwrap_or_default();
        let flags = proxy
            .and_then(|p| entries.iter().find(|(name, _)| name == p))
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        (flags, entries.into_iter().map(|(name, _)| name).collect())
    }

    /// The calls of load `load` as the events kept so far record them, in completion order
    /// ([`meshtwin_model::calls::traced_calls`]).
    pub fn traced_calls(&self, load: &str) -> Vec<meshtwin_model::run::CallRecord> {
        meshtwin_model::calls::traced_calls(&*self.events.borrow(), load)
    }

    /// The trace: the events held in virtual-time order (none once it spilled to its file),
    /// its file closed and ready to be read back (when it has one), and how many events the
    /// cap dropped.
    pub fn into_trace(self) -> Trace {
        if let Some(filter) = self.filter {
            let (events, dropped) = filter.into_inner().finish();
            return Trace {
                events,
                streamed: None,
                dropped,
            };
        }
        let events = self.events.into_inner();
        // A trace that never outgrew memory is written out now, and stays in memory for its
        // readers.
        let streamed = self.stream.map(|stream| {
            let mut s = stream.into_inner();
            if !s.spilled {
                s.write_held(&events);
            }
            Arc::new(s.file.finish()) as Arc<dyn meshtwin_model::trace::EventSource>
        });
        Trace {
            events,
            streamed,
            dropped: self.dropped.into_inner(),
        }
    }
}

/// What a [`Recorder`] hands over at the end of a run (the trace fields of a
/// [`meshtwin_model::run::RunResult`]).
pub struct Trace {
    pub events: Vec<TraceEvent>,
    pub streamed: Option<Arc<dyn meshtwin_model::trace::EventSource>>,
    pub dropped: u64,
}

/// Lets proxies report into a shared recorder.
pub struct RecorderObserver(pub std::rc::Rc<Recorder>);

impl Observer for RecorderObserver {
    fn event(&self, now: Duration, kind: EventKind) {
        self.0.record(now, kind);
    }
}
