//! Envoy's names that expectations use, for checking them before a run: the cluster
//! statistics (`cluster.<name>.<stat>`) of `counter` / `gaugeMax`, and the response flags of
//! `flagFraction` (`source/common/stream_info/utility.h` `ResponseFlagUtils`). A misspelt name
//! would read as "no value" (or 0) instead of failing where it is written. The lists are Envoy's own:
//! `envoy/upstream/upstream.h` (`ALL_CLUSTER_TRAFFIC_STATS`, `ALL_CLUSTER_LB_STATS`,
//! `ALL_CLUSTER_ENDPOINT_STATS`, `ALL_CLUSTER_CONFIG_UPDATE_STATS`,
//! `ALL_CLUSTER_LOAD_REPORT_STATS`, `ALL_CLUSTER_CIRCUIT_BREAKERS_STATS`),
//! `source/common/upstream/outlier_detection_impl.h` (`ALL_OUTLIER_DETECTION_STATS`) and
//! `source/common/upstream/health_checker_impl.h` (`ALL_HEALTH_CHECKER_STATS`); per-code
//! counters (`upstream_rq_503`, `upstream_rq_5xx`) are charged by
//! `source/common/http/codes.cc` `CodeStatsImpl::chargeResponseStat`. Envoy has stats the twin
//! does not count: those are valid names whose expectations have no value.

use crate::suggest::nearest;

/// Envoy's response flags, as access logs print them (`%RESPONSE_FLAGS%`).
pub const RESPONSE_FLAGS: &[&str] = &[
    "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE", "DC",
    "URX", "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF", "DO", "DR",
];

/// Envoy's fixed cluster stat names (without the `cluster.<name>.` prefix).
pub const CLUSTER_STATS: &[&str] = &[
    // ALL_CLUSTER_TRAFFIC_STATS
    "bind_errors",
    "original_dst_host_invalid",
    "retry_or_shadow_abandoned",
    "upstream_cx_close_notify",
    "upstream_cx_connect_attempts_exceeded",
    "upstream_cx_connect_fail",
    "upstream_cx_connect_timeout",
    "upstream_cx_connect_with_0_rtt",
    "upstream_cx_destroy",
    "upstream_cx_destroy_local",
    "upstream_cx_destroy_local_with_active_rq",
    "upstream_cx_destroy_remote",
    "upstream_cx_destroy_remote_with_active_rq",
    "upstream_cx_destroy_with_active_rq",
    "upstream_cx_http1_total",
    "upstream_cx_http2_total",
    "upstream_cx_http3_total",
    "upstream_cx_idle_timeout",
    "upstream_cx_max_duration_reached",
    "upstream_cx_max_requests",
    "upstream_cx_none_healthy",
    "upstream_cx_overflow",
    "upstream_cx_pool_overflow",
    "upstream_cx_protocol_error",
    "upstream_cx_rx_bytes_total",
    "upstream_cx_total",
    "upstream_cx_tx_bytes_total",
    "upstream_flow_control_backed_up_total",
    "upstream_flow_control_drained_total",
    "upstream_flow_control_paused_reading_total",
    "upstream_flow_control_resumed_reading_total",
    "upstream_internal_redirect_failed_total",
    "upstream_internal_redirect_succeeded_total",
    "upstream_rq_cancelled",
    "upstream_rq_completed",
    "upstream_rq_maintenance_mode",
    "upstream_rq_max_duration_reached",
    "upstream_rq_pending_failure_eject",
    "upstream_rq_pending_overflow",
    "upstream_rq_pending_total",
    "upstream_rq_0rtt",
    "upstream_rq_per_try_timeout",
    "upstream_rq_per_try_idle_timeout",
    "upstream_rq_retry",
    "upstream_rq_retry_backoff_exponential",
    "upstream_rq_retry_backoff_ratelimited",
    "upstream_rq_retry_limit_exceeded",
    "upstream_rq_retry_overflow",
    "upstream_rq_retry_success",
    "upstream_rq_rx_reset",
    "upstream_rq_timeout",
    "upstream_rq_total",
    "upstream_rq_tx_reset",
    "upstream_http3_broken",
    "upstream_cx_active",
    "upstream_cx_rx_bytes_buffered",
    "upstream_cx_tx_bytes_buffered",
    "upstream_rq_active",
    "upstream_rq_pending_active",
    "upstream_cx_connect_ms",
    "upstream_cx_length_ms",
    "upstream_rq_time",
    // ALL_CLUSTER_LOAD_REPORT_STATS
    "upstream_rq_dropped",
    "upstream_rq_drop_overload",
    // ALL_CLUSTER_LB_STATS
    "lb_healthy_panic",
    "lb_local_cluster_not_ok",
    "lb_recalculate_zone_structures",
    "lb_subsets_created",
    "lb_subsets_fallback",
    "lb_subsets_fallback_panic",
    "lb_subsets_removed",
    "lb_subsets_selected",
    "lb_zone_cluster_too_small",
    "lb_zone_no_capacity_left",
    "lb_zone_number_differs",
    "lb_zone_routing_all_directly",
    "lb_zone_routing_cross_zone",
    "lb_zone_routing_sampled",
    "lb_subsets_active",
    // ALL_CLUSTER_ENDPOINT_STATS
    "max_host_weight",
    "membership_change",
    "membership_degraded",
    "membership_excluded",
    "membership_healthy",
    "membership_total",
    // ALL_CLUSTER_CONFIG_UPDATE_STATS
    "assignment_stale",
    "assignment_timeout_received",
    "assignment_use_cached",
    "update_attempt",
    "update_empty",
    "update_failure",
    "update_no_rebuild",
    "update_success",
    "version",
    "warming_state",
    // ALL_OUTLIER_DETECTION_STATS, under `outlier_detection.`
    "outlier_detection.ejections_consecutive_5xx",
    "outlier_detection.ejections_detected_consecutive_5xx",
    "outlier_detection.ejections_detected_consecutive_gateway_failure",
    "outlier_detection.ejections_detected_success_rate",
    "outlier_detection.ejections_detected_failure_percentage",
    "outlier_detection.ejections_enforced_consecutive_5xx",
    "outlier_detection.ejections_enforced_consecutive_gateway_failure",
    "outlier_detection.ejections_enforced_success_rate",
    "outlier_detection.ejections_enforced_failure_percentage",
    "outlier_detection.ejections_detected_consecutive_local_origin_failure",
    "outlier_detection.ejections_enforced_consecutive_local_origin_failure",
    "outlier_detection.ejections_detected_local_origin_success_rate",
    "outlier_detection.ejections_enforced_local_origin_success_rate",
    "outlier_detection.ejections_detected_local_origin_failure_percentage",
    "outlier_detection.ejections_enforced_local_origin_failure_percentage",
    "outlier_detection.ejections_enforced_total",
    "outlier_detection.ejections_overflow",
    "outlier_detection.ejections_success_rate",
    "outlier_detection.ejections_total",
    "outlier_detection.ejections_active",
    // ALL_HEALTH_CHECKER_STATS, under `health_check.`
    "health_check.attempt",
    "health_check.success",
    "health_check.failure",
    "health_check.passive_failure",
    "health_check.network_failure",
    "health_check.verify_cluster",
    "health_check.healthy",
    "health_check.degraded",
];

/// ALL_CLUSTER_CIRCUIT_BREAKERS_STATS, under `circuit_breakers.<default|high>.`.
const BREAKER_GAUGES: &[&str] = &[
    "cx_open",
    "cx_pool_open",
    "rq_open",
    "rq_pending_open",
    "rq_retry_open",
    "remaining_cx",
    "remaining_cx_pools",
    "remaining_pending",
    "remaining_retries",
    "remaining_rq",
];

/// Whether `stat` (after `cluster.<name>.`) is one of Envoy's cluster stats, or else the one it
/// resembles, if any.
pub fn check_cluster_stat(stat: &str) -> Result<(), Option<String>> {
    if CLUSTER_STATS.contains(&stat) || per_code(stat) || stat.starts_with("zone.") {
        return Ok(());
    }
    // `internal.` / `external.` / `canary.` split the per-code and completion stats.
    if let Some(rest) = ["internal.", "external.", "canary."]
        .iter()
        .find_map(|p| stat.strip_prefix(p))
    {
        if per_code(rest) || rest == "upstream_rq_completed" || rest == "upstream_rq_time" {
            return Ok(());
        }
    }
    if let Some(rest) = ["circuit_breakers.default.", "circuit_breakers.high."]
        .iter()
        .find_map(|p| stat.strip_prefix(p))
    {
        if BREAKER_GAUGES.contains(&rest) {
            return Ok(());
        }
        let prefix = &stat[..stat.len() - rest.len()];
        return Err(nearest(rest, BREAKER_GAUGES.iter().copied()).map(|n| format!("{prefix}{n}")));
    }
    Err(nearest(stat, CLUSTER_STATS.iter().copied()).map(str::to_string))
}

/// `upstream_rq_<code>` (100-599) or `upstream_rq_<1-5>xx`.
fn per_code(stat: &str) -> bool {
    let Some(code) = stat.strip_prefix("upstream_rq_") else {
        return false;
    };
    let b = code.as_bytes();
    match b {
        [c, b'x', b'x'] => (b'1'..=b'5').contains(c),
        [_, _, _] => code.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::check_cluster_stat;

    #[test]
    fn envoys_cluster_stats_are_known_and_a_misspelt_one_is_not() {
        for ok in [
            "upstream_rq_pending_overflow",
            "upstream_rq_503",
            "upstream_rq_5xx",
            "outlier_detection.ejections_active",
            "circuit_breakers.default.rq_pending_open",
            "external.upstream_rq_200",
        ] {
            assert_eq!(check_cluster_stat(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_cluster_stat("upstream_rq_pending_overflw"),
            Err(Some("upstream_rq_pending_overflow".into()))
        );
        assert_eq!(
            check_cluster_stat("circuit_breakers.high.rq_opn"),
            Err(Some("circuit_breakers.high.rq_open".into()))
        );
        assert!(check_cluster_stat("upstream_rq_600").is_err());
        assert!(check_cluster_stat("bananas").is_err());
    }
}
