//! Where the proxy reports what it did: access logs and pool events, stamped with the
//! platform's time. The twin records them into `trace.jsonl`; the real sidecar can print them.

use std::time::Duration;

use meshtwin_model::event::EventKind;

/// Receives the proxy's events.
pub trait Observer {
    fn event(&self, now: Duration, kind: EventKind);
}

/// Drops everything.
pub struct NullObserver;

impl Observer for NullObserver {
    fn event(&self, _now: Duration, _kind: EventKind) {}
}
