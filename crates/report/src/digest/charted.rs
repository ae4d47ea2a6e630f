//! Which Envoy counters a digest keeps: those people chart and alert on when a policy
//! changes — overflows, retries, ejections, connect failures, timeouts, requests with no
//! healthy host, 5xx, failed health checks — chosen by stat suffix (Envoy's names:
//! `envoy/upstream/upstream.h` `ALL_CLUSTER_TRAFFIC_STATS`,
//! `source/common/upstream/outlier_detection_impl.h` `ALL_OUTLIER_DETECTION_STATS`,
//! `source/common/http/conn_manager_config.h` `ALL_HTTP_CONN_MAN_STATS`). Totals that move
//! with any load change (`upstream_rq_total`, `upstream_cx_total`) are left out: the loads'
//! own figures say that, and the trace hash catches the rest.

use std::collections::BTreeMap;

use meshtwin_model::run::ProxyStats;

/// Counter name suffixes kept (after the cluster's or listener's stat prefix).
pub const CHARTED: &[&str] = &[
    // circuit breakers
    "upstream_rq_pending_overflow",
    "upstream_cx_overflow",
    "upstream_rq_retry_overflow",
    // retries
    "upstream_rq_retry",
    "upstream_rq_retry_success",
    "upstream_rq_retry_limit_exceeded",
    // outlier detection
    "outlier_detection.ejections_enforced_total",
    "outlier_detection.ejections_overflow",
    // connect failures and resets
    "upstream_cx_connect_fail",
    "upstream_cx_connect_timeout",
    "upstream_cx_destroy_local_with_active_rq",
    "upstream_cx_destroy_remote_with_active_rq",
    "upstream_rq_pending_failure_eject",
    // timeouts
    "upstream_rq_timeout",
    "upstream_rq_per_try_timeout",
    // no host to send to, or picks over every host because too few are healthy
    "upstream_cx_none_healthy",
    "lb_healthy_panic",
    // errors
    "upstream_rq_5xx",
    "downstream_rq_5xx",
    "no_route",
    "no_cluster",
    "downstream_cx_no_route",
    // active health checks
    "health_check.failure",
    "health_check.network_failure",
];

/// Whether the counter `name` is one a digest keeps.
pub fn is_charted(name: &str) -> bool {
    CHARTED.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|prefix| prefix.ends_with('.'))
    })
}

/// A proxy's non-zero charted counters.
pub fn counters(stats: &ProxyStats) -> BTreeMap<String, u64> {
    (stats.counters.iter())
        .filter(|(name, v)| **v > 0 && is_charted(name))
        .map(|(name, v)| (name.clone(), *v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_kept_by_their_suffix_after_a_stat_prefix() {
        let c = "cluster.outbound|8000||httpbin.default.svc.cluster.local";
        assert!(is_charted(&format!("{c}.upstream_rq_pending_overflow")));
        assert!(is_charted(&format!(
            "{c}.outlier_detection.ejections_enforced_total"
        )));
        assert!(is_charted("http.ingress.downstream_rq_5xx"));
        assert!(!is_charted(&format!("{c}.upstream_rq_total")));
        // A suffix must be a whole stat name, not the tail of another one.
        assert!(!is_charted(&format!("{c}.xupstream_rq_retry")));
        assert!(!is_charted("upstream_rq_retry"));
    }

    #[test]
    fn zero_counters_are_left_out() {
        let mut stats = ProxyStats::default();
        stats
            .counters
            .insert("cluster.a.upstream_rq_retry".into(), 0);
        stats
            .counters
            .insert("cluster.a.upstream_rq_timeout".into(), 2);
        stats
            .counters
            .insert("cluster.a.upstream_rq_total".into(), 9);
        let kept: Vec<(String, u64)> = counters(&stats).into_iter().collect();
        assert_eq!(kept, vec![("cluster.a.upstream_rq_timeout".to_string(), 2)]);
    }
}
