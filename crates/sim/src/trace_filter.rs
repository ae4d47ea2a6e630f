//! The trace a `failures` or `none` run keeps, decided as events arrive (see
//! [`meshtwin_model::event::TraceLevel`]): a request's events wait, in arrival order, until
//! its load's `request` event closes it, then are kept if any of them failed and forgotten
//! otherwise. Memory holds the kept events and the requests still in flight, not every event.

use std::collections::BTreeMap;

use meshtwin_model::event::{is_failure, request_id, EventKind, TraceEvent, TraceLevel};

/// The events of one request not yet closed.
#[derive(Default)]
struct Open {
    failed: bool,
    /// (arrival number, event).
    events: Vec<(u64, TraceEvent)>,
}

/// Keeps what a `failures` (or `none`) trace keeps.
pub struct FailureFilter {
    level: TraceLevel,
    next: u64,
    /// (arrival number, event) of every event kept so far, in arrival order per request.
    kept: Vec<(u64, TraceEvent)>,
    open: BTreeMap<String, Open>,
    cap: usize,
    dropped: u64,
}

impl FailureFilter {
    /// `level` is `failures` or `none`; at most `cap` events are kept.
    pub fn new(level: TraceLevel, cap: usize) -> Self {
        Self {
            level,
            next: 0,
            kept: Vec::new(),
            open: BTreeMap::new(),
            cap,
            dropped: 0,
        }
    }

    pub fn record(&mut self, event: TraceEvent) {
        let seq = self.next;
        self.next += 1;
        let Some(id) = request_id(&event.kind) else {
            if self.level.keeps_alone(&event.kind) {
                self.keep(seq, event);
            }
            return;
        };
        if self.level == TraceLevel::None {
            return;
        }
        let closes = matches!(event.kind, EventKind::Request { .. });
        let failed = is_failure(&event.kind);
        let open = self.open.entry(id.to_string()).or_default();
        open.failed |= failed;
        open.events.push((seq, event));
        if closes {
            let id = request_id(&open.events.last().expect("just pushed").1.kind)
                .expect("a request event has an id")
                .to_string();
            let done = self.open.remove(&id).expect("just opened");
            self.close(done);
        }
    }

    fn close(&mut self, open: Open) {
        if open.failed {
            for (seq, e) in open.events {
                self.keep(seq, e);
            }
        }
    }

    fn keep(&mut self, seq: u64, event: TraceEvent) {
        if self.kept.len() < self.cap {
            self.kept.push((seq, event));
        } else {
            self.dropped += 1;
        }
    }

    /// The kept events in arrival (virtual-time) order, and how many the cap dropped. A
    /// request still open at the end (no load closed it) is judged by the events it has.
    pub fn finish(mut self) -> (Vec<TraceEvent>, u64) {
        for open in std::mem::take(&mut self.open).into_values() {
            self.close(open);
        }
        self.kept.sort_by_key(|(seq, _)| *seq);
        (
            self.kept.into_iter().map(|(_, e)| e).collect(),
            self.dropped,
        )
    }
}
