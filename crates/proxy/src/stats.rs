//! Envoy-named statistics: counters and gauges per cluster and per HTTP connection manager.
//!
//! Stats are plain fields (cheap to bump on the hot path) and are rendered under Envoy's names
//! (`cluster.<name>.upstream_rq_pending_overflow`, `http.<prefix>.downstream_cx_active`) only
//! when a snapshot is taken. Every gauge remembers the highest value it reached.

use std::collections::BTreeMap;
use std::ops::Range;

pub use crate::stats_snapshot::{StatsSnapshot, StatsWriter};

mod cluster_scope;

/// A gauge that also remembers its maximum.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Gauge {
    value: u64,
    max: u64,
}

impl Gauge {
    pub fn inc(&mut self) {
        self.set(self.value + 1);
    }

    pub fn dec(&mut self) {
        assert!(self.value > 0, "gauge underflow");
        self.value -= 1;
    }

    pub fn set(&mut self, v: u64) {
        self.value = v;
        self.max = self.max.max(v);
    }

    pub fn value(&self) -> u64 {
        self.value
    }

    pub fn max(&self) -> u64 {
        self.max
    }
}

/// The indices of `names` in name order.
fn name_order(names: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| names[i]);
    order
}

macro_rules! stat_struct {
    ($(#[$m:meta])* $name:ident { counters: [$($c:ident),* $(,)?], gauges: [$($g:ident),* $(,)?] $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Default, Clone, PartialEq, Eq)]
        pub struct $name {
            $(pub $c: u64,)*
            $(pub $g: Gauge,)*
        }

        impl $name {
            // Names by `stat_name` (one exact allocation), not `format!`: a proxy's
            // snapshot names thousands of stats and formatting took most of its time.
            const COUNTER_NAMES: &'static [&'static str] = &[$(stringify!($c)),*];
            const GAUGE_NAMES: &'static [&'static str] = &[$(stringify!($g)),*];

            /// The indices of the counters' and of the gauges' names in name order.
            fn order() -> &'static (Vec<usize>, Vec<usize>) {
                static ORDER: std::sync::OnceLock<(Vec<usize>, Vec<usize>)> =
                    std::sync::OnceLock::new();
                ORDER.get_or_init(|| {
                    (name_order(Self::COUNTER_NAMES), name_order(Self::GAUGE_NAMES))
                })
            }

            /// Write the stats in name order (so that a snapshot of them is mostly sorted
            /// already: see [`StatsWriter`]).
            #[allow(dead_code)]
            fn write_fields(&self, prefix: &str, out: &mut StatsWriter) {
                self.write_counters(prefix, out, 0..Self::COUNTER_NAMES.len());
                self.write_gauges(prefix, out, 0..Self::GAUGE_NAMES.len());
            }

            /// How many of the counters' names sort below `name`: where stats of another
            /// part of a scope named `name` fall among these, in name order.
            #[allow(dead_code)]
            fn counter_rank(name: &str) -> usize {
                let names = Self::COUNTER_NAMES;
                Self::order().0.partition_point(|&i| names[i] < name)
            }

            /// How many of the gauges' names sort below `name` (as [`Self::counter_rank`]).
            #[allow(dead_code)]
            fn gauge_rank(name: &str) -> usize {
                let names = Self::GAUGE_NAMES;
                Self::order().1.partition_point(|&i| names[i] < name)
            }

            /// Write, in name order, the counters of name ranks `ranks` (see
            /// [`Self::counter_rank`]): a scope that puts other stats among these writes
            /// them in pieces, so that it comes out in name order.
            #[allow(dead_code)]
            fn write_counters(&self, prefix: &str, out: &mut StatsWriter, ranks: Range<usize>) {
                let names = Self::COUNTER_NAMES;
                let values: &[u64] = &[$(self.$c),*];
                for &i in &Self::order().0[ranks] {
                    out.counter_in(prefix, names[i], values[i]);
                }
            }

            /// Write, in name order, the gauges of name ranks `ranks` (as
            /// [`Self::write_counters`]).
            #[allow(dead_code, unused_variables)]
            fn write_gauges(&self, prefix: &str, out: &mut StatsWriter, ranks: Range<usize>) {
                let names = Self::GAUGE_NAMES;
                let gauges: &[&Gauge] = &[$(&self.$g),*];
                for &i in &Self::order().1[ranks] {
                    out.gauge_in(prefix, names[i], gauges[i]);
                }
            }

            /// Add `other`'s counters to these (gauges untouched).
            #[allow(dead_code, unused_variables)]
            pub fn add_counters(&mut self, other: &Self) {
                $(self.$c += other.$c;)*
            }
        }
    };
}

stat_struct!(
    /// `cluster.<name>.*` under Envoy's names (`include/envoy/upstream/upstream.h`
    /// `ALL_CLUSTER_TRAFFIC_STATS` / `ALL_CLUSTER_LB_STATS`). `lb_local_cluster_not_ok` and
    /// `lb_zone_*` belong to Envoy's zone-aware routing (`ZoneAwareLoadBalancerBase` in
    /// `source/common/upstream/load_balancer_impl.cc`), which runs only with a bootstrap
    /// `cluster_manager.local_cluster_name`; Istio's and App Mesh's sidecars have none (Istio's
    /// locality load balancing is priorities and locality weights instead), so, as in their
    /// Envoys, they stay 0. `upstream_cx_pool_overflow` counts pools `max_connection_pools`
    /// refused (unlimited unless set; neither mesh sets it).
    ClusterStats {
        counters: [
            upstream_cx_total, upstream_cx_http1_total, upstream_cx_http2_total,
            upstream_cx_connect_fail, upstream_cx_connect_timeout, upstream_cx_overflow,
            upstream_cx_max_requests, upstream_cx_close_notify, upstream_cx_none_healthy,
            upstream_cx_destroy, upstream_cx_destroy_local, upstream_cx_destroy_remote,
            upstream_cx_destroy_with_active_rq, upstream_cx_destroy_local_with_active_rq,
            upstream_cx_destroy_remote_with_active_rq, upstream_cx_idle_timeout,
            upstream_rq_total, upstream_rq_pending_total, upstream_rq_pending_overflow,
            upstream_rq_pending_failure_eject, upstream_rq_cancelled,
            upstream_rq_timeout, upstream_rq_per_try_timeout, upstream_rq_retry,
            upstream_rq_retry_overflow, upstream_rq_retry_success, upstream_rq_retry_limit_exceeded,
            upstream_cx_pool_overflow, lb_healthy_panic, lb_local_cluster_not_ok,
            lb_recalculate_zone_structures, lb_zone_cluster_too_small, lb_zone_no_capacity_left,
            lb_zone_number_differs, lb_zone_routing_all_directly, lb_zone_routing_sampled,
            lb_zone_routing_cross_zone,
        ],
        gauges: [upstream_cx_active, upstream_rq_active, upstream_rq_pending_active],
    }
);

stat_struct!(
    /// `circuit_breakers.<priority>.remaining_*` of one cluster priority, published only with
    /// `track_remaining` (Envoy's `ALL_CLUSTER_CIRCUIT_BREAKERS_STATS` `REMAINING_GAUGE`s,
    /// `max - count`, floored at 0).
    RemainingGauges {
        counters: [],
        gauges: [remaining_cx, remaining_pending, remaining_rq, remaining_retries, remaining_cx_pools],
    }
);

stat_struct!(
    /// `circuit_breakers.<priority>.*` open gauges of one cluster priority.
    BreakerGauges {
        counters: [],
        gauges: [cx_open, rq_pending_open, rq_open, rq_retry_open, cx_pool_open],
    }
);

stat_struct!(
    /// `http.<stat_prefix>.*` of one HTTP connection manager (listener).
    HcmStats {
        counters: [
            downstream_cx_total, downstream_cx_http1_total, downstream_cx_http2_total,
            downstream_cx_destroy, downstream_rq_total, downstream_rq_completed,
            downstream_rq_rx_reset,
            downstream_rq_1xx, downstream_rq_2xx, downstream_rq_3xx, downstream_rq_4xx,
            downstream_rq_5xx, no_route, no_cluster,
        ],
        gauges: [downstream_cx_active, downstream_rq_active],
    }
);

stat_struct!(
    /// `tcp.<stat_prefix>.*` of one TCP proxy (listener).
    TcpStats {
        counters: [
            downstream_cx_total, downstream_cx_no_route, downstream_cx_rx_bytes_total,
            downstream_cx_tx_bytes_total,
        ],
        gauges: [],
    }
);

impl TcpStats {
    pub fn write(&self, stat_prefix: &str, out: &mut StatsWriter) {
        self.write_fields(&["tcp.", stat_prefix, "."].concat(), out);
    }
}

/// What the router charges per request when it ends (`Filter::chargeUpstreamCode` through
/// `CodeStatsImpl::chargeBasicResponseStat`): `upstream_rq_completed` together with the
/// status's `upstream_rq_<code>` and `upstream_rq_<N>xx`. A response that was retried is
/// charged the same way under `retry.` (`Filter::onUpstreamHeaders`), not as a completion.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CodeStats {
    completed: u64,
    by_code: BTreeMap<u16, u64>,
    retried: BTreeMap<u16, u64>,
}

impl CodeStats {
    /// A request ended with `code` (an upstream response or the router's local reply).
    pub fn charge(&mut self, code: u16) {
        self.completed += 1;
        *self.by_code.entry(code).or_default() += 1;
    }

    /// An attempt's response with `code` was retried.
    pub fn charge_retried(&mut self, code: u16) {
        *self.retried.entry(code).or_default() += 1;
    }

    /// Requests charged so far (`upstream_rq_completed`).
    pub fn completed(&self) -> u64 {
        self.completed
    }
}

/// `upstream_rq_<code>` and `upstream_rq_<N>xx` of `codes`, in name order for three-digit
/// codes: each class follows its codes (`upstream_rq_503` < `upstream_rq_5xx`).
fn write_codes(codes: &BTreeMap<u16, u64>, prefix: &str, out: &mut StatsWriter) {
    let mut class: Option<(u16, u64)> = None;
    for (&code, &n) in codes {
        match &mut class {
            Some((c, total)) if *c == code / 100 => *total += n,
            _ => {
                if let Some((c, total)) = class {
                    out.counter(format!("{prefix}upstream_rq_{c}xx"), total);
                }
                class = Some((code / 100, n));
            }
        }
        out.counter(format!("{prefix}upstream_rq_{code}"), n);
    }
    if let Some((c, total)) = class {
        out.counter(format!("{prefix}upstream_rq_{c}xx"), total);
    }
}

/// Everything one cluster counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClusterStatSet {
    pub cluster: ClusterStats,
    pub breakers_default: BreakerGauges,
    pub breakers_high: BreakerGauges,
    /// The DEFAULT priority's `remaining_*`, when its thresholds track them (Istio's do; the
    /// HIGH priority keeps Envoy's defaults, which do not).
    pub remaining_default: Option<RemainingGauges>,
    pub codes: CodeStats,
}

impl ClusterStatSet {
    /// Add the counters (and per-code counters) of an earlier cluster of the same name, whose
    /// stats scope this one continues; gauges stay this cluster's own.
    /// Continue `earlier`, a cluster of the same name a push replaced: its counters (codes
    /// and retried codes included) add to these, and so do the connections and requests it
    /// still carries (`upstream_cx_active`, `upstream_rq_active`, `upstream_rq_pending_active`)
    /// — Envoy's stats are shared by name, so `upstream_cx_total − upstream_cx_destroy =
    /// upstream_cx_active` holds across the push.
    pub fn add_earlier(&mut self, earlier: &ClusterStatSet) {
        self.cluster.add_counters(&earlier.cluster);
        self.codes.completed += earlier.codes.completed;
        for (code, n) in &earlier.codes.by_code {
            *self.codes.by_code.entry(*code).or_default() += n;
        }
        for (code, n) in &earlier.codes.retried {
            *self.codes.retried.entry(*code).or_default() += n;
        }
        let c = &mut self.cluster;
        let e = &earlier.cluster;
        c.upstream_cx_active
            .set(c.upstream_cx_active.value() + e.upstream_cx_active.value());
        c.upstream_rq_active
            .set(c.upstream_rq_active.value() + e.upstream_rq_active.value());
        c.upstream_rq_pending_active
            .set(c.upstream_rq_pending_active.value() + e.upstream_rq_pending_active.value());
    }

    /// Add `cluster.<name>.*` to a snapshot (see [`ClusterStatSet::write_scope`]).
    pub fn write(&self, name: &str, out: &mut StatsWriter) {
        let prefix = ["cluster.", name, "."].concat();
        self.write_scope(&prefix, out, None, None);
    }
}

impl HcmStats {
    /// Count a response sent downstream by its class.
    pub fn charge_response(&mut self, code: u16) {
        self.downstream_rq_completed += 1;
        match code / 100 {
            1 => self.downstream_rq_1xx += 1,
            2 => self.downstream_rq_2xx += 1,
            3 => self.downstream_rq_3xx += 1,
            4 => self.downstream_rq_4xx += 1,
            _ => self.downstream_rq_5xx += 1,
        }
    }

    pub fn write(&self, stat_prefix: &str, out: &mut StatsWriter) {
        self.write_fields(&["http.", stat_prefix, "."].concat(), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_remember_their_maximum() {
        let mut g = Gauge::default();
        g.inc();
        g.inc();
        g.dec();
        assert_eq!((g.value(), g.max()), (1, 2));
    }

    #[test]
    fn cluster_stats_render_under_envoy_names() {
        let mut s = ClusterStatSet::default();
        s.cluster.upstream_rq_pending_overflow = 21;
        s.codes.charge(503);
        s.codes.charge(200);
        s.breakers_default.cx_open.set(1);
        let mut out = StatsWriter::default();
        s.write("outbound|8000||httpbin.default.svc.cluster.local", &mut out);
        let out = out.finish();
        let p = "cluster.outbound|8000||httpbin.default.svc.cluster.local.";
        assert_eq!(
            out.counters[&format!("{p}upstream_rq_pending_overflow")],
            21
        );
        assert_eq!(out.counters[&format!("{p}upstream_rq_503")], 1);
        assert_eq!(out.counters[&format!("{p}upstream_rq_5xx")], 1);
        assert_eq!(out.counters[&format!("{p}upstream_rq_2xx")], 1);
        assert_eq!(out.counters[&format!("{p}upstream_rq_completed")], 2);
        assert!(!out
            .counters
            .contains_key(&format!("{p}retry.upstream_rq_completed")));
        assert_eq!(
            out.gauges[&format!("{p}circuit_breakers.default.cx_open")],
            1
        );
    }

    #[test]
    fn a_retried_response_is_charged_under_retry_and_not_as_a_completion() {
        let mut s = ClusterStatSet::default();
        s.codes.charge_retried(503);
        s.codes.charge(200);
        let mut out = StatsWriter::default();
        s.write("c", &mut out);
        let out = out.finish();
        let c = |n: &str| out.counters[&format!("cluster.c.{n}")];
        assert_eq!((c("upstream_rq_completed"), c("upstream_rq_2xx")), (1, 1));
        assert!(!out.counters.contains_key("cluster.c.upstream_rq_5xx"));
        assert_eq!(c("retry.upstream_rq_completed"), 1);
        assert_eq!(
            (c("retry.upstream_rq_503"), c("retry.upstream_rq_5xx")),
            (1, 1)
        );
    }
}
