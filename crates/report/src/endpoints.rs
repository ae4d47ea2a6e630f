//! The endpoint view: what `istioctl proxy-config endpoints <pod>` prints, reconstructed from
//! the trace at any virtual time (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`, `source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`).
//!
//! Per (proxy, cluster) the membership is the last `endpoints` event at or before the time;
//! each host's outlier state (`FAILED_OUTLIER_CHECK`) follows its `outlier` ejected /
//! unejected events, and its active health-check state (`FAILED_ACTIVE_HC`) its
//! `health_check` events. As in Envoy, a host that stays in the set across an update (same
//! name and address) keeps its state; a host that leaves, or comes back at another address,
//! starts healthy and not ejected.
//!
//! istioctl's STATUS column is the EDS health status; the twin's control plane sends every
//! endpoint as HEALTHY, so STATUS here shows the active health check instead (UNHEALTHY once
//! a check failed the host) — the only health the twin's proxies can lose.

use std::collections::BTreeMap;

use meshtwin_model::event::{EndpointInfo, EventKind, HealthAction, OutlierAction};
use meshtwin_model::trace::EventSource;

/// One row of the view.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRow {
    pub proxy: String,
    pub cluster: String,
    /// `ip:port`.
    pub address: String,
    /// Pod or external host name.
    pub host: String,
    pub locality: String,
    pub priority: u32,
    /// Failed active health checking (STATUS UNHEALTHY).
    pub failed_active_hc: bool,
    /// Ejected by outlier detection (OUTLIER CHECK FAILED).
    pub failed_outlier_check: bool,
}

impl EndpointRow {
    /// istioctl's STATUS column.
    pub fn status(&self) -> &'static str {
        if self.failed_active_hc {
            "UNHEALTHY"
        } else {
            "HEALTHY"
        }
    }

    /// istioctl's OUTLIER CHECK column.
    pub fn outlier_check(&self) -> &'static str {
        if self.failed_outlier_check {
            "FAILED"
        } else {
            "OK"
        }
    }
}

/// A host's state within one (proxy, cluster).
#[derive(Debug, Clone, Default)]
struct HostState {
    info: Option<EndpointInfo>,
    failed_active_hc: bool,
    failed_outlier_check: bool,
}

type ClusterKey = (String, String);

/// The endpoints of every (proxy, cluster) at `at_ms` (events with `t_ms <= at_ms` apply, in
/// trace order), sorted as istioctl sorts: by proxy, then IP address text, port, cluster.
pub fn endpoint_view(events: &(impl EventSource + ?Sized), at_ms: f64) -> Vec<EndpointRow> {
    let mut clusters: BTreeMap<ClusterKey, BTreeMap<String, HostState>> = BTreeMap::new();
    for e in events.events().filter(|e| e.t_ms <= at_ms) {
        match &e.kind {
            EventKind::Endpoints {
                proxy,
                cluster,
                endpoints,
            } => {
                let old = clusters
                    .remove(&(proxy.clone(), cluster.clone()))
                    .unwrap_or_default();
                let hosts = new_endpoint_set(&old, endpoints);
                clusters.insert((proxy.clone(), cluster.clone()), hosts);
            }
            EventKind::Outlier {
                proxy,
                cluster,
                host,
                action,
                ..
            } => {
                if let Some(s) = host_state(&mut clusters, proxy, cluster, host) {
                    match action {
                        OutlierAction::Ejected => s.failed_outlier_check = true,
                        OutlierAction::Unejected => s.failed_outlier_check = false,
                        OutlierAction::NotEnforced | OutlierAction::Overflow => {}
                    }
                }
            }
            EventKind::HealthCheck {
                proxy,
                cluster,
                host,
                action,
                ..
            } => {
                if let Some(s) = host_state(&mut clusters, proxy, cluster, host) {
                    s.failed_active_hc = *action == HealthAction::Unhealthy;
                }
            }
            _ => {}
        }
    }
    let mut rows: Vec<EndpointRow> = clusters
        .into_iter()
        .flat_map(|((proxy, cluster), hosts)| {
            hosts.into_values().filter_map(move |s| {
                let info = s.info?;
                Some(EndpointRow {
                    proxy: proxy.clone(),
                    cluster: cluster.clone(),
                    address: info.address,
                    host: info.host,
                    locality: info.locality,
                    priority: info.priority,
                    failed_active_hc: s.failed_active_hc,
                    failed_outlier_check: s.failed_outlier_check,
                })
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        let (a_ip, a_port) = split_address(&a.address);
        let (b_ip, b_port) = split_address(&b.address);
        (&a.proxy, a_ip, a_port, &a.cluster).cmp(&(&b.proxy, b_ip, b_port, &b.cluster))
    });
    rows
}

/// A cluster's hosts after its endpoint set is replaced by `endpoints`: a host still at the
/// same address keeps its health flags, every other host starts healthy.
fn new_endpoint_set(
    old: &BTreeMap<String, HostState>,
    endpoints: &[EndpointInfo],
) -> BTreeMap<String, HostState> {
    endpoints
        .iter()
        .map(|ep| {
            let kept = old
                .get(&ep.host)
                .filter(|s| s.info.as_ref().map(|i| &i.address) == Some(&ep.address))
                .cloned()
                .unwrap_or_default();
            let state = HostState {
                info: Some(ep.clone()),
                ..kept
            };
            (ep.host.clone(), state)
        })
        .collect()
}

/// The state of a host the (proxy, cluster) currently has; `None` for a host it does not
/// know (an event before the endpoint set, or about a host already removed).
fn host_state<'a>(
    clusters: &'a mut BTreeMap<ClusterKey, BTreeMap<String, HostState>>,
    proxy: &str,
    cluster: &str,
    host: &str,
) -> Option<&'a mut HostState> {
    clusters
        .get_mut(&(proxy.to_string(), cluster.to_string()))?
        .get_mut(host)
}

/// `ip:port` as (ip text, port number); no port sorts first.
fn split_address(a: &str) -> (&str, u32) {
    match a.rsplit_once(':') {
        Some((ip, port)) => (ip, port.parse().unwrap_or(0)),
        None => (a, 0),
    }
}

/// Every proxy with at least one `endpoints` event at or before `at_ms`, sorted.
pub fn proxies_at(events: &(impl EventSource + ?Sized), at_ms: f64) -> Vec<String> {
    let mut out: Vec<String> = events
        .events()
        .filter(|e| e.t_ms <= at_ms)
        .filter_map(|e| match &e.kind {
            EventKind::Endpoints { proxy, .. } => Some(proxy.clone()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Aligns `rows` of cells as Go's `tabwriter` with istioctl's settings (padding 5, spaces):
/// every column but the last is as wide as its widest cell plus five spaces.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        for (c, cell) in r.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < r.len() {
                let pad = widths[c] + 5 - cell.chars().count();
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "endpoints_tests.rs"]
mod tests;
