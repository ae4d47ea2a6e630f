//! The connection-pool state machine of one (worker, host, protocol), as Envoy's
//! `ConnPoolImplBase` (`source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase::newStreamImpl`, `source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase`). Synchronous: the async driver feeds it events
//! and carries out the [`Action`]s it returns.
//!
//! Connections move Connecting → Ready ⇄ Busy → Draining → closed. Pending requests are
//! attached oldest first whenever a connection is ready. The cluster-wide resource manager
//! (shared by every worker's pools) lives in [`ClusterShared`].

use std::collections::{BTreeMap, VecDeque};

use meshtwin_model::event::PoolEvent;

pub use super::action::{Action, NewStream, PoolFailure};
pub use super::shared::ClusterShared;

/// Identifies an upstream connection within a cluster.
pub type CxId = u64;
/// Identifies a queued request within a cluster.
pub type PendingId = u64;

/// A connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CxState {
    Connecting,
    Ready,
    Busy,
    Draining,
}

#[derive(Debug, Clone)]
struct Client {
    state: CxState,
    active: u32,
    /// Streams this connection may still carry over its lifetime (`None`: unlimited).
    remaining: Option<u32>,
    /// Concurrent streams (1 for HTTP/1).
    concurrency: u32,
}

impl Client {
    fn unused_capacity(&self) -> u32 {
        let by_concurrency = self.concurrency.saturating_sub(self.active);
        match self.remaining {
            Some(r) => by_concurrency.min(r),
            None => by_concurrency,
        }
    }
}

/// Settings of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Concurrent streams per connection: 1 for HTTP/1, `max_concurrent_streams` for HTTP/2.
    pub concurrency: u32,
    /// `max_requests_per_connection` (`None`: unlimited).
    pub max_requests_per_connection: Option<u32>,
    /// HTTP pools enforce `max_requests` at attach; the TCP pool does not.
    pub enforce_max_requests: bool,
    pub http2: bool,
    /// The pool's host: its id in the cluster, under which [`ClusterShared`] counts the
    /// host's `rq_active` over every worker's pool.
    pub host: usize,
}

/// One pool's state.
#[derive(Debug)]
pub struct PoolEngine {
    cfg: PoolConfig,
    clients: BTreeMap<CxId, Client>,
    /// Ready connections, most recently readied first (Envoy's `ready_clients_.front()`).
    ready: VecDeque<CxId>,
    /// Oldest request first.
    pending: VecDeque<PendingId>,
    connecting_capacity: u64,
    active_streams: u64,
}

impl PoolEngine {
    pub fn new(cfg: PoolConfig) -> Self {
        Self {
            cfg,
            clients: BTreeMap::new(),
            ready: VecDeque::new(),
            pending: VecDeque::new(),
            connecting_capacity: 0,
            active_streams: 0,
        }
    }

    /// Number of connections in any state (connecting, ready, busy, draining).
    pub fn connection_count(&self) -> usize {
        self.clients.len()
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Streams attached to this pool's connections now (the host's share of `rq_active`).
    pub fn active_streams(&self) -> u64 {
        self.active_streams
    }

    pub fn state_of(&self, cx: CxId) -> Option<CxState> {
        self.clients.get(&cx).map(|c| c.state)
    }

    /// A request wants a stream (`newStreamImpl`).
    pub fn new_stream(&mut self, sh: &mut ClusterShared) -> (NewStream, Vec<Action>) {
        let mut out = Vec::new();
        let result = if let Some(&cx) = self.ready.front() {
            if self.attach(cx, sh, &mut out) {
                NewStream::Attached(cx)
            } else {
                NewStream::Overflow
            }
        } else if !sh.rm.pending_requests.can_create() {
            sh.stats.cluster.upstream_rq_pending_overflow += 1;
            out.push(Action::Event(PoolEvent::RqPendingOverflow, None));
            NewStream::Overflow
        } else {
            let id = sh.next_id();
            self.pending.push_back(id);
            sh.rm.pending_requests.inc();
            sh.stats.cluster.upstream_rq_pending_total += 1;
            sh.stats.cluster.upstream_rq_pending_active.inc();
            out.push(Action::Event(PoolEvent::RqPending, None));
            self.try_create_connections(sh, &mut out);
            NewStream::Pending(id)
        };
        sh.sync_breaker_gauges();
        (result, out)
    }

    /// The connection finished its handshake.
    pub fn on_connected(&mut self, cx: CxId, sh: &mut ClusterShared) -> Vec<Action> {
        let mut out = Vec::new();
        let client = self.clients.get_mut(&cx).expect("connected client exists");
        assert_eq!(
            client.state,
            CxState::Connecting,
            "only a connecting client connects"
        );
        self.connecting_capacity -= u64::from(client.unused_capacity());
        out.push(Action::Event(PoolEvent::CxConnected, Some(cx)));
        if client.unused_capacity() > 0 {
            client.state = CxState::Ready;
            self.ready.push_front(cx);
            self.on_upstream_ready(sh, &mut out);
        } else {
            client.state = CxState::Busy;
        }
        sh.sync_breaker_gauges();
        out
    }

    /// The connection closed before its handshake completed: every pending request of this
    /// pool fails with `reason` (`purgePendingStreams`), then the connection's resources are
    /// released.
    pub fn on_connect_failed(
        &mut self,
        cx: CxId,
        reason: PoolFailure,
        sh: &mut ClusterShared,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let c = &mut sh.stats.cluster;
        c.upstream_cx_connect_fail += 1;
        if reason == PoolFailure::Timeout {
            c.upstream_cx_connect_timeout += 1;
        }
        // The close event behind the failure (`reportUpstreamCxDestroy`): the peer refused
        // or reset it (remote), or we gave up or failed (local; the connect timeout closes it).
        if reason == PoolFailure::RemoteConnectionFailure {
            c.upstream_cx_destroy_remote += 1;
        } else {
            c.upstream_cx_destroy_local += 1;
        }
        out.push(Action::Event(PoolEvent::CxConnectFail, Some(cx)));
        while let Some(p) = self.pending.pop_front() {
            self.release_pending(sh);
            sh.stats.cluster.upstream_rq_pending_failure_eject += 1;
            out.push(Action::Event(PoolEvent::RqPendingFailureEject, None));
            out.push(Action::Fail { pending: p, reason });
        }
        self.release_client(cx, true, sh, &mut out);
        sh.sync_breaker_gauges();
        out
    }

    /// A stream on `cx` finished (`onStreamClosed`). With `delay_attach` (HTTP/1 after a
    /// response) pending requests are not attached now: the driver calls
    /// [`PoolEngine::on_upstream_ready_deferred`] later in the same event-loop turn.
    pub fn on_stream_done(
        &mut self,
        cx: CxId,
        delay_attach: bool,
        sh: &mut ClusterShared,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        // The connection may already be gone (closed by the peer — a pod scaled away — before
        // the stream's end was seen): closing it released its streams' counts.
        let Some(client) = self.clients.get_mut(&cx) else {
            return out;
        };
        self.active_streams -= 1;
        sh.host_streams_ended(self.cfg.host, 1);
        sh.rm.requests.dec();
        sh.stats.cluster.upstream_rq_active.dec();
        client.active -= 1;
        if client.state == CxState::Draining && client.active == 0 {
            out.push(Action::Close(cx));
        } else if client.state == CxState::Busy && client.unused_capacity() > 0 {
            client.state = CxState::Ready;
            self.ready.push_front(cx);
            if !delay_attach {
                self.on_upstream_ready(sh, &mut out);
            }
        }
        sh.sync_breaker_gauges();
        out
    }

    /// The deferred `onUpstreamReady` scheduled after an HTTP/1 response.
    pub fn on_upstream_ready_deferred(&mut self, sh: &mut ClusterShared) -> Vec<Action> {
        let mut out = Vec::new();
        self.on_upstream_ready(sh, &mut out);
        sh.sync_breaker_gauges();
        out
    }

    /// A connected connection closed (drained, idle, or closed by the peer).
    /// `local`: we closed it. `active_streams`: streams still on it (reset).
    pub fn on_closed(&mut self, cx: CxId, local: bool, sh: &mut ClusterShared) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(client) = self.clients.get(&cx) else {
            return out;
        };
        let with_active = client.active > 0;
        let c = &mut sh.stats.cluster;
        if local {
            c.upstream_cx_destroy_local += 1;
        } else {
            c.upstream_cx_destroy_remote += 1;
        }
        if with_active {
            c.upstream_cx_destroy_with_active_rq += 1;
            if local {
                c.upstream_cx_destroy_local_with_active_rq += 1;
            } else {
                c.upstream_cx_destroy_remote_with_active_rq += 1;
            }
        }
        self.release_client(cx, false, sh, &mut out);
        sh.sync_breaker_gauges();
        out
    }

    /// The downstream gave up on a queued request.
    pub fn cancel_pending(&mut self, pending: PendingId, sh: &mut ClusterShared) -> bool {
        let Some(pos) = self.pending.iter().position(|p| *p == pending) else {
            return false;
        };
        self.pending.remove(pos);
        self.release_pending(sh);
        sh.stats.cluster.upstream_rq_cancelled += 1;
        sh.sync_breaker_gauges();
        true
    }

    fn release_pending(&mut self, sh: &mut ClusterShared) {
        sh.rm.pending_requests.dec();
        sh.stats.cluster.upstream_rq_pending_active.dec();
    }

    fn release_client(
        &mut self,
        cx: CxId,
        was_connecting: bool,
        sh: &mut ClusterShared,
        out: &mut Vec<Action>,
    ) {
        let client = self.clients.remove(&cx).expect("released client exists");
        if was_connecting || client.state == CxState::Connecting {
            self.connecting_capacity -= u64::from(client.unused_capacity());
        }
        self.ready.retain(|c| *c != cx);
        self.active_streams -= u64::from(client.active);
        sh.host_streams_ended(self.cfg.host, u64::from(client.active));
        for _ in 0..client.active {
            sh.rm.requests.dec();
            sh.stats.cluster.upstream_rq_active.dec();
        }
        sh.rm.connections.dec();
        sh.stats.cluster.upstream_cx_active.dec();
        sh.stats.cluster.upstream_cx_destroy += 1;
        out.push(Action::Event(PoolEvent::CxClosed, Some(cx)));
        if !self.pending.is_empty() {
            self.try_create_connections(sh, out);
        }
    }

    /// Attach pending requests, oldest first, while a ready connection exists.
    fn on_upstream_ready(&mut self, sh: &mut ClusterShared, out: &mut Vec<Action>) {
        while let (Some(&cx), false) = (self.ready.front(), self.pending.is_empty()) {
            let p = self.pending.pop_front().expect("checked non-empty");
            self.release_pending(sh);
            if self.attach(cx, sh, out) {
                out.push(Action::Attach { pending: p, cx });
            } else {
                out.push(Action::Fail {
                    pending: p,
                    reason: PoolFailure::Overflow,
                });
            }
        }
    }

    /// `attachStreamToClient`: false when `max_requests` refused it.
    fn attach(&mut self, cx: CxId, sh: &mut ClusterShared, out: &mut Vec<Action>) -> bool {
        if self.cfg.enforce_max_requests && !sh.rm.requests.can_create() {
            sh.stats.cluster.upstream_rq_pending_overflow += 1;
            out.push(Action::Event(PoolEvent::RqOverflow, Some(cx)));
            return false;
        }
        let client = self.clients.get_mut(&cx).expect("attached client exists");
        client.active += 1;
        if let Some(r) = client.remaining.as_mut() {
            *r -= 1;
        }
        out.push(Action::Event(PoolEvent::RqAttached, Some(cx)));
        if client.remaining == Some(0) {
            sh.stats.cluster.upstream_cx_max_requests += 1;
            client.state = CxState::Draining;
            self.ready.retain(|c| *c != cx);
            out.push(Action::Event(PoolEvent::CxDraining, Some(cx)));
        } else if client.unused_capacity() == 0 {
            client.state = CxState::Busy;
            self.ready.retain(|c| *c != cx);
        }
        self.active_streams += 1;
        sh.host_stream_attached(self.cfg.host);
        sh.rm.requests.inc();
        sh.stats.cluster.upstream_rq_total += 1;
        sh.stats.cluster.upstream_rq_active.inc();
        true
    }

    /// `tryCreateNewConnections`: up to three attempts while more requests are queued than
    /// connecting connections can carry.
    fn try_create_connections(&mut self, sh: &mut ClusterShared, out: &mut Vec<Action>) {
        for _ in 0..3 {
            if self.pending.len() as u64 <= self.connecting_capacity {
                return;
            }
            let can_create = sh.rm.connections.can_create();
            if !can_create {
                sh.stats.cluster.upstream_cx_overflow += 1;
                out.push(Action::Event(PoolEvent::CxOverflow, None));
                if !self.clients.is_empty() {
                    return;
                }
            }
            let cx = sh.next_id();
            let client = Client {
                state: CxState::Connecting,
                active: 0,
                remaining: self.cfg.max_requests_per_connection,
                concurrency: self.cfg.concurrency,
            };
            self.connecting_capacity += u64::from(client.unused_capacity());
            self.clients.insert(cx, client);
            sh.rm.connections.inc();
            let c = &mut sh.stats.cluster;
            c.upstream_cx_total += 1;
            c.upstream_cx_active.inc();
            if self.cfg.http2 {
                c.upstream_cx_http2_total += 1;
            } else {
                c.upstream_cx_http1_total += 1;
            }
            let ev = if can_create {
                PoolEvent::CxCreate
            } else {
                PoolEvent::CxCreateOverLimit
            };
            out.push(Action::Event(ev, Some(cx)));
            out.push(Action::Connect(cx));
            if !can_create {
                return;
            }
        }
    }
}
