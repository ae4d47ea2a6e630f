//! `UO`: which circuit-breaker limit refused the request (the trace's pool events: `rq_pending_overflow`
//! when the pending queue was full — Envoy's `ConnPoolImplBase::newStreamImpl` — and
//! `rq_overflow` when `max_requests` was reached at attach).

use meshtwin_model::event::PoolEvent;
use meshtwin_model::origin::Setting;

use super::{values, with, Facts};
use crate::explain::Diagnosis;

/// `UO`: which limit refused the request, from the pool's events while it was being handled.
pub(super) fn overflow(f: &Facts<'_>) -> Diagnosis {
    let (idx, hop) = (f.idx, f.hop);
    let on = |s: &[Setting]| f.on(s);
    let from = hop.t_ms - hop.duration_ms - 1.0;
    let events = idx.pool_events(&hop.proxy, &hop.cluster, from, hop.t_ms);
    let pending = events.contains(&PoolEvent::RqPendingOverflow);
    let active = events.contains(&PoolEvent::RqOverflow);
    if active && !pending {
        let s = on(&[Setting::MaxRequests]);
        return with(
            format!(
                "too many active requests (UO): {} refused the request locally — {} already had \
                 its limit of requests in flight{}",
                hop.proxy,
                hop.cluster,
                values(&s)
            ),
            s,
        );
    }
    let pending_limits = [
        Setting::MaxPendingRequests,
        Setting::MaxConnections,
        Setting::MaxRequestsPerConnection,
    ];
    if pending {
        let s = on(&pending_limits);
        return with(
            format!(
                "pending queue full (UO): {} refused the request locally — {} had its pending \
                 queue full while every allowed connection was busy{}",
                hop.proxy,
                hop.cluster,
                values(&s)
            ),
            s,
        );
    }
    let mut limits = pending_limits.to_vec();
    limits.push(Setting::MaxRequests);
    let s = on(&limits);
    with(
        format!(
            "circuit breaker overflow (UO): {} refused the request locally at {} (the trace \
             holds no pool event saying which limit){}",
            hop.proxy,
            hop.cluster,
            values(&s)
        ),
        s,
    )
}
