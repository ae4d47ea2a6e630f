//! One downstream request as the HTTP connection manager holds it (Envoy's
//! `ConnectionManagerImpl::ActiveStream` with its `StreamInfo`): the request's own record of
//! what the router chose, its downstream counters from arrival to end, and the one place its
//! access-log entry is written — when it is answered, or when the downstream abandons it (the
//! stream is dropped unanswered, at any point after its headers: flag `DC`, status 0).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::event::{EventKind, Name};

use crate::local_reply::{ResponseFlag, ResponseFlags};
use crate::platform::Platform;
use crate::proxy::Proxy;
use crate::stats::HcmStats;

/// What a request's access-log entry says of it, filled in by the router filter as it goes
/// (Envoy's `StreamInfo`: `%UPSTREAM_CLUSTER%`, `%UPSTREAM_HOST%`, `%RESPONSE_FLAGS%`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The upstream cluster chosen so far (empty before a route chose one).
    pub cluster: Name,
    /// The host of the latest upstream attempt.
    pub upstream_host: Option<Name>,
    pub flags: ResponseFlags,
}

/// A downstream request in progress on one listener.
pub(crate) struct ActiveStream<P: Platform> {
    proxy: Rc<Proxy<P>>,
    /// The listener it arrived on, and that listener's connection-manager stats.
    listener: Name,
    stats: Rc<RefCell<HcmStats>>,
    request_id: String,
    received: Duration,
    /// The request's own record (the router filter writes it).
    pub info: StreamInfo,
    /// Until the stream ends; then its access-log entry has been written.
    open: bool,
}

impl<P: Platform> ActiveStream<P> {
    /// A request whose headers just arrived (`downstream_rq_total`); it counts as active
    /// until it is answered or abandoned.
    pub fn new(
        proxy: Rc<Proxy<P>>,
        listener: Name,
        stats: Rc<RefCell<HcmStats>>,
        request_id: String,
        received: Duration,
    ) -> Self {
        {
            let mut s = stats.borrow_mut();
            s.downstream_rq_total += 1;
            s.downstream_rq_active.inc();
        }
        Self {
            proxy,
            listener,
            stats,
            request_id,
            received,
            info: StreamInfo::default(),
            open: true,
        }
    }

    /// The request was answered with `status` (`downstream_rq_<N>xx`, `no_route`,
    /// `no_cluster`); writes its access-log entry.
    pub fn answered(mut self, status: u16) {
        {
            let mut s = self.stats.borrow_mut();
            s.downstream_rq_active.dec();
            s.charge_response(status);
            if self.info.flags.contains(ResponseFlag::NR) {
                s.no_route += 1;
            }
            if self.info.flags.contains(ResponseFlag::NC) {
                s.no_cluster += 1;
            }
        }
        self.end(status);
    }

    /// Write the access-log entry and close the stream.
    fn end(&mut self, status: u16) {
        self.open = false;
        let p = &self.proxy;
        let now = p.platform.now();
        p.observer.event(
            now,
            EventKind::AccessLog {
                proxy: p.node(),
                listener: self.listener.clone(),
                cluster: std::mem::take(&mut self.info.cluster),
                upstream_host: self.info.upstream_host.take(),
                request_id: std::mem::take(&mut self.request_id),
                status,
                flags: self.info.flags.clone(),
                duration_ms: ms(now.saturating_sub(self.received)),
            },
        );
    }
}

impl<P: Platform> Drop for ActiveStream<P> {
    /// Dropped unanswered: the downstream went away first (Envoy's flag `DC`, code 0, and
    /// `downstream_rq_rx_reset`, which `ActiveStream::onResetStream` charges when the
    /// connection's streams are reset).
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        {
            let mut s = self.stats.borrow_mut();
            s.downstream_rq_active.dec();
            s.downstream_rq_rx_reset += 1;
        }
        self.info.flags.set(ResponseFlag::DC);
        self.end(0);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}
