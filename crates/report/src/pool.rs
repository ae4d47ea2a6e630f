//! The pool-behaviour panels drawn for a run: per proxy and upstream cluster, Envoy's open
//! upstream connections, pending requests, and requests refused by the circuit breaker (503 UO)
//! per second, from the trace's [`EventKind::Pool`] events.

use crate::plot::{Panel, YAxis};
use crate::timeseries::{bucket_counts, nice_bucket_ms, per_second, Series};
use meshtwin_model::event::{EventKind, PoolEvent, TraceEvent};
use meshtwin_model::trace::EventSource;
use std::collections::BTreeMap;

/// Overflow-rate buckets in a plot: about this many ...
const OVERFLOW_BUCKETS: usize = 50;
/// ... each at most 1 s wide, unless that would make more than this many.
const MAX_OVERFLOW_BUCKETS: usize = 3600;

/// The overflow bucket for a span: about [`OVERFLOW_BUCKETS`] buckets of 1, 2 or 5 × 10^k ms,
/// never wider than 1 s — except over spans longer than an hour, where the width grows so
/// that at most [`MAX_OVERFLOW_BUCKETS`] buckets cover the span (a run of hundreds of hours
/// still gets a plot).
fn overflow_bucket_ms(span_ms: f64) -> f64 {
    let b = nice_bucket_ms(span_ms, OVERFLOW_BUCKETS).min(1000.0);
    if span_ms / b > MAX_OVERFLOW_BUCKETS as f64 {
        nice_bucket_ms(span_ms, MAX_OVERFLOW_BUCKETS)
    } else {
        b
    }
}

/// Per proxy and cluster (`"<proxy> -> <cluster>"`, in name order), three step panels over
/// `[from_ms, to_ms]`:
/// 1. "upstream connections (active)": the pool event's cluster-wide `connections`;
/// 2. "pending requests": its `pending`;
/// 3. "overflows per second": `rq_pending_overflow` + `rq_overflow` events in 1 s buckets.
///
/// Gauge series start at 0 at `from_ms`, keep the value after the last event at each instant,
/// record only changes, and end with a point at `to_ms`. Events outside the span are ignored.
pub fn pool_panels(events: &(impl EventSource + ?Sized), from_ms: f64, to_ms: f64) -> Vec<Panel> {
    let mut spans = PoolPanels::new(vec![(from_ms, to_ms)]);
    for e in events.events() {
        spans.visit(&e);
    }
    spans.panels().remove(0)
}

/// [`pool_panels`] over several spans, built in one walk: [`PoolPanels::visit`] each event in
/// order, then [`PoolPanels::panels`].
pub struct PoolPanels {
    spans: Vec<(f64, f64)>,
    /// Per span, per (proxy, cluster).
    pools: Vec<BTreeMap<(String, String), PoolTrace>>,
}

impl PoolPanels {
    /// Panels over each of `spans` (`(from_ms, to_ms)`).
    pub fn new(spans: Vec<(f64, f64)>) -> Self {
        let pools = spans.iter().map(|_| BTreeMap::new()).collect();
        Self { spans, pools }
    }

    /// The trace's next event.
    pub fn visit(&mut self, ev: &TraceEvent) {
        let EventKind::Pool {
            proxy,
            cluster,
            event,
            connections,
            pending,
            ..
        } = &ev.kind
        else {
            return;
        };
        for (&(from_ms, to_ms), pools) in self.spans.iter().zip(&mut self.pools) {
            if !(from_ms..=to_ms).contains(&ev.t_ms) {
                continue;
            }
            let pool = pools
                .entry((proxy.to_string(), cluster.to_string()))
                .or_insert_with(|| PoolTrace::new(from_ms));
            pool.connections.sample(ev.t_ms, *connections as f64);
            pool.pending.sample(ev.t_ms, *pending as f64);
            if matches!(event, PoolEvent::RqPendingOverflow | PoolEvent::RqOverflow) {
                pool.overflows_t_ms.push(ev.t_ms);
            }
        }
    }

    /// Each span's panels, in the order of the spans.
    pub fn panels(self) -> Vec<Vec<Panel>> {
        (self.spans.into_iter().zip(self.pools))
            .map(|((from_ms, to_ms), pools)| span_panels(&pools, from_ms, to_ms))
            .collect()
    }
}

/// The three panels of one span's pools.
fn span_panels(
    pools: &BTreeMap<(String, String), PoolTrace>,
    from_ms: f64,
    to_ms: f64,
) -> Vec<Panel> {
    let name = |(proxy, cluster): &(String, String)| format!("{proxy} -> {cluster}");
    let gauge = |key, samples: &Gauge| Series {
        name: name(key),
        points: samples.points(to_ms),
    };
    let bucket = overflow_bucket_ms(to_ms - from_ms);
    let panel = |title: &str, y_label: &str, y_axis, series| Panel {
        title: title.to_string(),
        y_label: y_label.to_string(),
        series,
        step: true,
        y_axis,
    };
    vec![
        panel(
            "upstream connections (active)",
            "connections",
            YAxis::Count,
            pools
                .iter()
                .map(|(k, p)| gauge(k, &p.connections))
                .collect(),
        ),
        panel(
            "pending requests",
            "requests",
            YAxis::Count,
            pools.iter().map(|(k, p)| gauge(k, &p.pending)).collect(),
        ),
        panel(
            &format!("overflows per second ({bucket} ms buckets)"),
            "requests / s",
            YAxis::Auto,
            pools
                .iter()
                .map(|(k, p)| Series {
                    name: name(k),
                    points: per_second(
                        &bucket_counts(&p.overflows_t_ms, bucket, from_ms, to_ms),
                        bucket,
                    ),
                })
                .collect(),
        ),
    ]
}

/// One pool's gauges and overflow times (overflows are rare: the circuit breaker's refusals).
struct PoolTrace {
    connections: Gauge,
    pending: Gauge,
    overflows_t_ms: Vec<f64>,
}

impl PoolTrace {
    fn new(from: f64) -> Self {
        Self {
            connections: Gauge::new(from),
            pending: Gauge::new(from),
            overflows_t_ms: Vec::new(),
        }
    }
}

/// A gauge's step points, built as its samples arrive (memory holds its changes, not its
/// samples): 0 at `from`, the last value at each instant when it changed, and the final value
/// again at the end.
struct Gauge {
    /// The points that changed the value, settled.
    changes: Vec<(f64, f64)>,
    /// The latest instant's last value, not yet settled (a later sample at the same instant
    /// replaces it).
    latest: (f64, f64),
}

impl Gauge {
    fn new(from: f64) -> Self {
        Self {
            changes: Vec::new(),
            latest: (from, 0.0),
        }
    }

    fn sample(&mut self, t: f64, v: f64) {
        if self.latest.0 == t {
            self.latest.1 = v;
        } else {
            Self::settle(&mut self.changes, self.latest);
            self.latest = (t, v);
        }
    }

    /// Keep `p` when it changes the value (the first point always stays).
    fn settle(changes: &mut Vec<(f64, f64)>, p: (f64, f64)) {
        if changes.last().is_none_or(|last| last.1 != p.1) {
            changes.push(p);
        }
    }

    /// The step points, ending at `to`.
    fn points(&self, to: f64) -> Vec<(f64, f64)> {
        let mut changes = self.changes.clone();
        Self::settle(&mut changes, self.latest);
        let last_value = changes.last().map_or(0.0, |p| p.1);
        if changes.last().is_some_and(|p| p.0 < to) {
            changes.push((to, last_value));
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshtwin_model::event::TraceEvent;

    fn pool(
        t_ms: f64,
        cluster: &str,
        event: PoolEvent,
        connections: u64,
        pending: u64,
    ) -> TraceEvent {
        TraceEvent {
            t_ms,
            kind: EventKind::Pool {
                proxy: "fortio-0".into(),
                cluster: cluster.into(),
                worker: 0,
                event,
                cx: None,
                connections,
                pending,
            },
        }
    }

    #[test]
    fn gauges_step_through_changes_and_hold_to_the_end() {
        let events = [
            pool(1.0, "httpbin", PoolEvent::RqPending, 0, 1),
            pool(1.0, "httpbin", PoolEvent::CxCreate, 1, 1),
            pool(2.0, "httpbin", PoolEvent::RqPendingOverflow, 1, 1),
            pool(3.0, "httpbin", PoolEvent::RqAttached, 1, 0),
            pool(1500.0, "httpbin", PoolEvent::RqOverflow, 1, 0),
            pool(1600.0, "httpbin", PoolEvent::CxClosed, 0, 0),
        ];
        let panels = pool_panels(&events, 0.0, 2000.0);
        let titles: Vec<&str> = panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "upstream connections (active)",
                "pending requests",
                "overflows per second (50 ms buckets)"
            ]
        );
        let points = |i: usize| panels[i].series[0].points.clone();
        assert_eq!(panels[0].series[0].name, "fortio-0 -> httpbin");
        assert_eq!(
            points(0),
            vec![(0.0, 0.0), (1.0, 1.0), (1600.0, 0.0), (2000.0, 0.0)]
        );
        assert_eq!(
            points(1),
            vec![(0.0, 0.0), (1.0, 1.0), (3.0, 0.0), (2000.0, 0.0)]
        );
        // A 2 s span gets 50 ms buckets: one overflow each in [0, 50) and [1500, 1550).
        let rates = points(2);
        assert_eq!(rates.len(), 40);
        assert_eq!(rates[0], (0.0, 20.0));
        assert_eq!(rates[30], (1500.0, 20.0));
        let total: f64 = rates.iter().map(|(_, r)| r * 0.05).sum();
        assert!((total - 2.0).abs() < 1e-9);
    }

    #[test]
    fn overflow_buckets_shrink_with_the_span() {
        assert_eq!(overflow_bucket_ms(30.0), 1.0);
        assert_eq!(overflow_bucket_ms(2000.0), 50.0);
        assert_eq!(overflow_bucket_ms(600_000.0), 1000.0);
        assert_eq!(overflow_bucket_ms(3_600_000.0), 1000.0);
        assert_eq!(overflow_bucket_ms(7_200_000.0), 2000.0);
    }

    #[test]
    fn a_run_of_hundreds_of_hours_gets_wider_buckets_instead_of_a_panic() {
        let hours_300 = 300.0 * 3_600_000.0;
        let events = [
            pool(1.0, "httpbin", PoolEvent::RqPendingOverflow, 1, 1),
            pool(hours_300 - 1.0, "httpbin", PoolEvent::RqOverflow, 1, 0),
        ];
        let panels = pool_panels(&events, 0.0, hours_300);
        let rates = &panels[2].series[0].points;
        assert!(
            rates.len() <= MAX_OVERFLOW_BUCKETS,
            "{} buckets",
            rates.len()
        );
        assert_eq!(panels[2].title, "overflows per second (500000 ms buckets)");
        let bucket_s = 500.0;
        let total: f64 = rates.iter().map(|(_, r)| r * bucket_s).sum();
        assert!((total - 2.0).abs() < 1e-9);
    }

    #[test]
    fn each_cluster_gets_its_own_series_in_name_order() {
        let events = [
            pool(1.0, "reviews", PoolEvent::CxCreate, 1, 0),
            pool(2.0, "httpbin", PoolEvent::CxCreate, 1, 0),
        ];
        let panels = pool_panels(&events, 0.0, 10.0);
        let names: Vec<&str> = panels[0].series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["fortio-0 -> httpbin", "fortio-0 -> reviews"]);
    }
}
