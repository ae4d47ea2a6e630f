//! Records the trace: every event any proxy, app or load generator reports, in the order they
//! happen in virtual time. A full trace is either kept in memory up to a fixed cap, or streamed
//! whole to its file as events arrive ([`Recorder::streaming`], [`crate::trace_stream`]: no
//! cap, memory holds only the write buffer); a `failures` or `none` trace keeps only what its
//! level keeps ([`crate::trace_filter`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use meshtwin_model::event::{EventKind, Name, ResponseFlags, TraceEvent, TraceLevel};
use meshtwin_proxy::observer::Observer;

use crate::trace_filter::FailureFilter;
use crate::trace_stream::TraceWriter;

/// The most events a trace keeps; past it, events are counted but not stored.
pub const DEFAULT_TRACE_CAP: usize = meshtwin_model::limits::MAX_TRACE_EVENTS;

/// The trace being written.
pub struct Recorder {
    events: RefCell<Vec<TraceEvent>>,
    dropped: RefCell<u64>,
    cap: usize,
    level: TraceLevel,
    /// What a `failures` or `none` trace keeps (`None` for a full trace).
    filter: Option<RefCell<FailureFilter>>,
    /// The file a streamed full trace goes to (`None` when the trace is kept in memory).
    stream: Option<RefCell<TraceWriter>>,
    /// request id → (proxy, flags) of every access-log entry not yet claimed by a load.
    flags_by_request: RefCell<BTreeMap<String, Vec<(Name, ResponseFlags)>>>,
    /// request id → the pod whose TCP app answered it, not yet claimed by a load.
    served: RefCell<BTreeMap<String, String>>,
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
            flags_by_request: RefCell::new(BTreeMap::new()),
            served: RefCell::new(BTreeMap::new()),
        }
    }

    /// A full trace written to `file` as events arrive, every event (no cap), none kept.
    pub fn streaming(file: TraceWriter) -> Self {
        Self {
            stream: Some(RefCell::new(file)),
            ..Self::new(0)
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
        self.served.borrow_mut().remove(request_id)
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
            self.flags_by_request
                .borrow_mut()
                .entry(request_id.clone())
                .or_default()
                .push((proxy.clone(), flags.clone()));
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
        if let Some(file) = &self.stream {
            file.borrow_mut().write(&event);
            return;
        }
        let mut events = self.events.borrow_mut();
        if events.len() < self.cap {
            events.push(event);
        } else {
            *self.dropped.borrow_mut() += 1;
        }
    }

    /// The flags `proxy` logged for `request_id` and every proxy that logged it, and forget
    /// that request's entries.
    pub fn take_flags(
        &self,
        request_id: &str,
        proxy: Option<&str>,
    ) -> (ResponseFlags, BTreeSet<String>) {
        let entries = self
            .flags_by_request
            .borrow_mut()
            .remove(request_id)
            .unwrap_or_default();
        let flags = proxy
            .and_then(|p| entries.iter().find(|(name, _)| name == p))
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        (
            flags,
            entries.into_iter().map(|(name, _)| name.into()).collect(),
        )
    }

    /// The calls of load `load` as the events kept so far record them, in completion order
    /// ([`meshtwin_model::calls::traced_calls`]).
    pub fn traced_calls(&self, load: &str) -> Vec<meshtwin_model::run::CallRecord> {
        meshtwin_model::calls::traced_calls(&*self.events.borrow(), load)
    }

    /// The trace: the events kept in virtual-time order (none when streamed), the streamed
    /// file closed and ready to be read back (when streamed), and how many events the cap
    /// dropped.
    pub fn into_trace(self) -> Trace {
        if let Some(filter) = self.filter {
            let (events, dropped) = filter.into_inner().finish();
            return Trace {
                events,
                streamed: None,
                dropped,
            };
        }
        let streamed = self.stream.map(|file| {
            Arc::new(file.into_inner().finish()) as Arc<dyn meshtwin_model::trace::EventSource>
        });
        Trace {
            events: self.events.into_inner(),
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
