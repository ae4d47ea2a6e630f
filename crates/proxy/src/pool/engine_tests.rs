//! The pool engine against the rules of `source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase::newStreamImpl` and `source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase`.

use meshtwin_model::event::PoolEvent;
use meshtwin_model::policy::Thresholds;

use super::engine::*;
use crate::breaker::ResourceManager;

fn shared(max_connections: u64, max_pending: u64, max_requests: u64) -> ClusterShared {
    ClusterShared::new(ResourceManager::new(&Thresholds {
        max_connections,
        max_pending_requests: max_pending,
        max_requests,
        max_retries: 3,
        track_remaining: false,
    }))
}

fn http1(mrpc: Option<u32>) -> PoolEngine {
    PoolEngine::new(PoolConfig {
        concurrency: 1,
        max_requests_per_connection: mrpc,
        enforce_max_requests: true,
        http2: false,
        host: 0,
    })
}

fn connects(actions: &[Action]) -> Vec<CxId> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Connect(cx) => Some(*cx),
            _ => None,
        })
        .collect()
}

fn attaches(actions: &[Action]) -> Vec<(PendingId, CxId)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Attach { pending, cx } => Some((*pending, *cx)),
            _ => None,
        })
        .collect()
}

fn pending_id(r: NewStream) -> PendingId {
    match r {
        NewStream::Pending(p) => p,
        other => panic!("expected a pending stream, got {other:?}"),
    }
}

#[test]
fn a_pool_with_no_connection_opens_one_even_over_max_connections() {
    let mut sh = shared(1, 10, 100);
    let (mut worker0, mut worker1) = (http1(None), http1(None));
    let (r0, a0) = worker0.new_stream(&mut sh);
    pending_id(r0);
    assert_eq!(connects(&a0).len(), 1);
    let (r1, a1) = worker1.new_stream(&mut sh);
    pending_id(r1);
    assert_eq!(
        connects(&a1).len(),
        1,
        "the second worker's empty pool still connects"
    );
    assert!(a1.contains(&Action::Event(
        PoolEvent::CxCreateOverLimit,
        Some(connects(&a1)[0])
    )));
    assert_eq!(sh.stats.cluster.upstream_cx_overflow, 1);
    assert_eq!(
        sh.rm.connections.count(),
        2,
        "upstream_cx_active may exceed max_connections"
    );
    assert_eq!(sh.stats.cluster.upstream_cx_active.value(), 2);
}

#[test]
fn max_connections_makes_requests_wait_not_fail() {
    let mut sh = shared(1, 10, 100);
    let mut pool = http1(None);
    let (_, a) = pool.new_stream(&mut sh);
    assert_eq!(connects(&a).len(), 1);
    let (r, a) = pool.new_stream(&mut sh);
    pending_id(r);
    assert!(
        connects(&a).is_empty(),
        "a pool that has a connection does not exceed the limit"
    );
    assert_eq!(sh.stats.cluster.upstream_cx_overflow, 1);
    assert_eq!(sh.stats.cluster.upstream_rq_pending_overflow, 0);
    assert_eq!(pool.pending_count(), 2);
}

#[test]
fn draining_connection_still_counts_and_the_next_request_overflows_the_pending_slot() {
    // The Istio circuit-breaking task: maxConnections 1, http1MaxPendingRequests 1,
    // maxRequestsPerConnection 1 (`source/common/conn_pool/conn_pool_base.cc` `ConnPoolImplBase::onUpstreamReady`).
    let mut sh = shared(1, 1, u64::from(u32::MAX));
    let mut pool = http1(Some(1));
    let (ra, a) = pool.new_stream(&mut sh);
    let a_id = pending_id(ra);
    let cx1 = connects(&a)[0];
    let a = pool.on_connected(cx1, &mut sh);
    assert_eq!(attaches(&a), vec![(a_id, cx1)]);
    assert_eq!(pool.state_of(cx1), Some(CxState::Draining));
    assert_eq!(sh.stats.cluster.upstream_cx_max_requests, 1);

    // B queues: the draining connection holds the only connection slot.
    let (rb, a) = pool.new_stream(&mut sh);
    let b_id = pending_id(rb);
    assert!(connects(&a).is_empty());
    assert_eq!(sh.stats.cluster.upstream_cx_overflow, 1);
    assert_eq!(sh.stats.breakers_default.rq_pending_open.value(), 1);

    // C finds the pending slot taken: local 503 UO.
    let (rc, _) = pool.new_stream(&mut sh);
    assert_eq!(rc, NewStream::Overflow);
    assert_eq!(sh.stats.cluster.upstream_rq_pending_overflow, 1);

    // A's response completes: the draining connection closes and frees the slot for B.
    let a = pool.on_stream_done(cx1, true, &mut sh);
    assert_eq!(a, vec![Action::Close(cx1)]);
    let a = pool.on_closed(cx1, true, &mut sh);
    let cx2 = connects(&a)[0];
    assert_eq!(sh.stats.cluster.upstream_cx_destroy_local, 1);
    let a = pool.on_connected(cx2, &mut sh);
    assert_eq!(attaches(&a), vec![(b_id, cx2)]);
    assert_eq!(sh.stats.cluster.upstream_rq_pending_total, 2);
    assert_eq!(sh.stats.cluster.upstream_cx_http1_total, 2);
}

#[test]
fn pending_requests_attach_oldest_first() {
    let mut sh = shared(1, 10, 100);
    let mut pool = http1(None);
    let ids: Vec<PendingId> = (0..3)
        .map(|_| pending_id(pool.new_stream(&mut sh).0))
        .collect();
    let cx = 1 + ids[0]; // the connection was allocated right after the first request
    let a = pool.on_connected(cx, &mut sh);
    assert_eq!(attaches(&a), vec![(ids[0], cx)]);
    let a = pool.on_stream_done(cx, false, &mut sh);
    assert_eq!(attaches(&a), vec![(ids[1], cx)]);
    let a = pool.on_stream_done(cx, false, &mut sh);
    assert_eq!(attaches(&a), vec![(ids[2], cx)]);
}

#[test]
fn http1_attach_after_a_response_is_deferred() {
    let mut sh = shared(1, 10, 100);
    let mut pool = http1(None);
    let first = pending_id(pool.new_stream(&mut sh).0);
    let cx = first + 1;
    pool.on_connected(cx, &mut sh);
    let second = pending_id(pool.new_stream(&mut sh).0);
    let a = pool.on_stream_done(cx, true, &mut sh);
    assert!(
        attaches(&a).is_empty(),
        "nothing attaches inside the response callback"
    );
    let a = pool.on_upstream_ready_deferred(&mut sh);
    assert_eq!(attaches(&a), vec![(second, cx)]);
}

#[test]
fn a_connect_failure_purges_every_pending_request_of_the_pool() {
    let mut sh = shared(1, 10, 100);
    let mut pool = http1(None);
    let ids: Vec<PendingId> = (0..3)
        .map(|_| pending_id(pool.new_stream(&mut sh).0))
        .collect();
    let cx = ids[0] + 1;
    let a = pool.on_connect_failed(cx, PoolFailure::RemoteConnectionFailure, &mut sh);
    let failed: Vec<PendingId> = a
        .iter()
        .filter_map(|x| match x {
            Action::Fail { pending, reason } => {
                assert_eq!(*reason, PoolFailure::RemoteConnectionFailure);
                Some(*pending)
            }
            _ => None,
        })
        .collect();
    assert_eq!(failed, ids);
    assert_eq!(sh.stats.cluster.upstream_rq_pending_failure_eject, 3);
    assert_eq!(sh.stats.cluster.upstream_cx_connect_fail, 1);
    assert_eq!(sh.rm.connections.count(), 0);
    assert_eq!(sh.rm.pending_requests.count(), 0);
    assert!(connects(&a).is_empty());
}

#[test]
fn a_failed_connection_is_destroyed_on_the_side_that_closed_it() {
    for (reason, local, remote) in [
        (PoolFailure::RemoteConnectionFailure, 0, 1),
        (PoolFailure::LocalConnectionFailure, 1, 0),
        (PoolFailure::Timeout, 1, 0),
    ] {
        let mut sh = shared(1, 10, 100);
        let mut pool = http1(None);
        let cx = pending_id(pool.new_stream(&mut sh).0) + 1;
        pool.on_connect_failed(cx, reason, &mut sh);
        let c = &sh.stats.cluster;
        assert_eq!(
            (
                c.upstream_cx_destroy,
                c.upstream_cx_destroy_local,
                c.upstream_cx_destroy_remote
            ),
            (1, local, remote),
            "{reason:?}"
        );
        assert_eq!(
            c.upstream_cx_total - c.upstream_cx_destroy,
            c.upstream_cx_active.value()
        );
    }
}

#[test]
fn http2_max_requests_refuses_at_attach_without_queueing() {
    let mut sh = shared(1024, 1024, 1);
    let mut pool = PoolEngine::new(PoolConfig {
        concurrency: 100,
        max_requests_per_connection: None,
        enforce_max_requests: true,
        http2: true,
        host: 0,
    });
    let first = pending_id(pool.new_stream(&mut sh).0);
    let cx = first + 1;
    pool.on_connected(cx, &mut sh);
    assert_eq!(sh.rm.requests.count(), 1);
    let (r, _) = pool.new_stream(&mut sh);
    assert_eq!(
        r,
        NewStream::Overflow,
        "the (N+1)th concurrent stream is refused at once"
    );
    assert_eq!(sh.stats.cluster.upstream_rq_pending_overflow, 1);
    assert_eq!(sh.stats.cluster.upstream_rq_pending_total, 1);
    assert_eq!(sh.stats.cluster.upstream_cx_http2_total, 1);
}

#[test]
fn cx_open_gauge_reports_at_capacity() {
    let mut sh = shared(2, 10, 100);
    let (mut p0, mut p1) = (http1(None), http1(None));
    p0.new_stream(&mut sh);
    assert_eq!(sh.stats.breakers_default.cx_open.value(), 0);
    p1.new_stream(&mut sh);
    assert_eq!(sh.stats.breakers_default.cx_open.value(), 1);
}

#[test]
fn cancelling_a_pending_request_frees_its_slot() {
    let mut sh = shared(1, 1, 100);
    let mut pool = http1(None);
    let p = pending_id(pool.new_stream(&mut sh).0);
    assert!(pool.cancel_pending(p, &mut sh));
    assert_eq!(sh.rm.pending_requests.count(), 0);
    assert_eq!(sh.stats.cluster.upstream_rq_cancelled, 1);
    assert!(!pool.cancel_pending(p, &mut sh));
}

/// An HTTP/2 pool of host `host`.
fn http2_of(host: usize) -> PoolEngine {
    PoolEngine::new(PoolConfig {
        concurrency: 100,
        max_requests_per_connection: None,
        enforce_max_requests: true,
        http2: true,
        host,
    })
}

#[test]
fn a_hosts_rq_active_counts_the_streams_of_its_pools_on_every_worker() {
    let mut sh = shared(1024, 1024, 1024);
    let (mut a0, mut a1, mut b) = (http2_of(0), http2_of(0), http2_of(2));
    let cx_a0 = pending_id(a0.new_stream(&mut sh).0) + 1;
    a0.on_connected(cx_a0, &mut sh);
    a0.new_stream(&mut sh);
    let cx_a1 = pending_id(a1.new_stream(&mut sh).0) + 1;
    a1.on_connected(cx_a1, &mut sh);
    let cx_b = pending_id(b.new_stream(&mut sh).0) + 1;
    b.on_connected(cx_b, &mut sh);
    let counts = |sh: &ClusterShared| (0..4).map(|h| sh.host_rq_active(h)).collect::<Vec<_>>();
    assert_eq!(a0.active_streams() + a1.active_streams(), 3);
    assert_eq!(counts(&sh), vec![3, 0, 1, 0]);
    a0.on_stream_done(cx_a0, false, &mut sh);
    assert_eq!(counts(&sh), vec![2, 0, 1, 0]);
    a0.on_closed(cx_a0, false, &mut sh);
    assert_eq!(
        counts(&sh),
        vec![1, 0, 1, 0],
        "a closed connection's streams end"
    );
    b.on_closed(cx_b, true, &mut sh);
    assert_eq!(counts(&sh), vec![1, 0, 0, 0]);
}
