//! What every pool of one cluster shares (the resources and stats of Envoy's
//! `ClusterInfoImpl`, which `crate::cluster_info::ClusterInfo` owns): the circuit breakers, the
//! stats scope, the id counters of connections and queued requests, and each host's
//! `rq_active` (Envoy's per-host gauge, shared by every worker's pools of the host).

use crate::breaker::ResourceManager;
use crate::stats::ClusterStatSet;

/// What every pool of one cluster shares: its circuit breakers, stats, id counters and
/// per-host active streams.
#[derive(Debug)]
pub struct ClusterShared {
    pub rm: ResourceManager,
    pub stats: ClusterStatSet,
    next_id: u64,
    /// Streams attached now, by host id (hosts past the end have none): what least-request
    /// picks read, one index away.
    rq_active: Vec<u64>,
}

impl ClusterShared {
    pub fn new(rm: ResourceManager) -> Self {
        let mut s = Self {
            rm,
            stats: ClusterStatSet::default(),
            next_id: 1,
            rq_active: Vec::new(),
        };
        s.sync_breaker_gauges();
        s
    }

    /// Streams attached to host `host`'s pools now, over every worker.
    pub fn host_rq_active(&self, host: usize) -> u64 {
        self.rq_active.get(host).copied().unwrap_or(0)
    }

    pub(crate) fn host_stream_attached(&mut self, host: usize) {
        if self.rq_active.len() <= host {
            self.rq_active.resize(host + 1, 0);
        }
        self.rq_active[host] += 1;
    }

    pub(crate) fn host_streams_ended(&mut self, host: usize, n: u64) {
        if n > 0 {
            self.rq_active[host] -= n;
        }
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Refresh the `circuit_breakers.default.*_open` gauges (and `remaining_*` with
    /// `track_remaining`) from the resource counts.
    pub fn sync_breaker_gauges(&mut self) {
        let rm = &self.rm;
        let b = &mut self.stats.breakers_default;
        b.cx_open.set(rm.connections.open());
        b.rq_pending_open.set(rm.pending_requests.open());
        b.rq_open.set(rm.requests.open());
        b.rq_retry_open.set(rm.retries.open());
        b.cx_pool_open.set(rm.connection_pools.open());
        if rm.track_remaining {
            let r = self
                .stats
                .remaining_default
                .get_or_insert_with(Default::default);
            r.remaining_cx.set(rm.connections.remaining());
            r.remaining_pending.set(rm.pending_requests.remaining());
            r.remaining_rq.set(rm.requests.remaining());
            r.remaining_retries.set(rm.retries.remaining());
            r.remaining_cx_pools.set(rm.connection_pools.remaining());
        }
    }

    /// A worker made a connection pool for a host (`max_connection_pools`). `false`, counting
    /// `upstream_cx_pool_overflow`, when the breaker refuses it (Envoy's
    /// `ClusterEntry::httpConnPoolImpl`); with the twin's unlimited `max_connection_pools` it
    /// never does.
    pub fn try_create_pool(&mut self) -> bool {
        if !self.rm.connection_pools.can_create() {
            self.stats.cluster.upstream_cx_pool_overflow += 1;
            return false;
        }
        self.rm.connection_pools.inc();
        self.sync_breaker_gauges();
        true
    }
}
