//! Records the trace: every event any proxy, app or load generator reports, in the order they
//! happen in virtual time, up to a fixed cap.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::event::{EventKind, ResponseFlags, TraceEvent};
use meshtwin_proxy::observer::Observer;

/// The most events a trace keeps; past it, events are counted but not stored.
pub const DEFAULT_TRACE_CAP: usize = meshtwin_model::limits::MAX_TRACE_EVENTS;

/// The trace being written.
pub struct Recorder {
    events: RefCell<Vec<TraceEvent>>,
    dropped: RefCell<u64>,
    cap: usize,
    /// request id → (proxy, flags) of every access-log entry not yet claimed by a load.
    flags_by_request: RefCell<BTreeMap<String, Vec<(String, ResponseFlags)>>>,
    /// request id → the pod whose TCP app answered it, not yet claimed by a load.
    served: RefCell<BTreeMap<String, String>>,
}

impl Recorder {
    pub fn new(cap: usize) -> Self {
        Self {
            events: RefCell::new(Vec::new()),
            dropped: RefCell::new(0),
            cap,
            flags_by_request: RefCell::new(BTreeMap::new()),
            served: RefCell::new(BTreeMap::new()),
        }
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
        if let EventKind::AccessLog {
            proxy,
            request_id,
            flags,
            ..
        } = &kind
        {
            self.flags_by_request
                .borrow_mut()
                .entry(request_id.clone())
                .or_default()
                .push((proxy.clone(), flags.clone()));
        }
        let mut events = self.events.borrow_mut();
        if events.len() < self.cap {
            events.push(TraceEvent {
                t_ms: now.as_micros() as f64 / 1000.0,
                kind,
            });
        } else {
            *self.dropped.borrow_mut() += 1;
        }
    }

    /// The flags `proxy` logged for `request_id`, and forget that request's entries.
    pub fn take_flags(&self, request_id: &str, proxy: Option<&str>) -> ResponseFlags {
        let entries = self.flags_by_request.borrow_mut().remove(request_id);
        let (Some(entries), Some(p)) = (entries, proxy) else {
            return ResponseFlags::none();
        };
        entries
            .into_iter()
            .find(|(name, _)| name == p)
            .map(|(_, f)| f)
            .unwrap_or_default()
    }

    pub fn into_events(self) -> (Vec<TraceEvent>, u64) {
        (self.events.into_inner(), self.dropped.into_inner())
    }
}

/// Lets proxies report into a shared recorder.
pub struct RecorderObserver(pub std::rc::Rc<Recorder>);

impl Observer for RecorderObserver {
    fn event(&self, now: Duration, kind: EventKind) {
        self.0.record(now, kind);
    }
}
