//! One failed request → the mechanism that failed it and the settings behind it.
//!
//! The hop that caused the failure is the innermost proxy (first to finish) that set response
//! flags; without flags, the innermost hop that answered an error (the app's own status). Its
//! flags name the mechanism, as Envoy sets them (`source/common/stream_info/utility.cc`
//! `ResponseFlagUtils`, `source/common/router/router.cc`):
//!
//! - `UO`: the circuit breaker refused the request — a full pending queue (`rq_pending_overflow`,
//!   `max_pending_requests` with every allowed connection busy) or too many active requests
//!   (`rq_overflow`, `max_requests`);
//! - `UH`: no healthy host — ejected by outlier detection, failed active health checks, or no
//!   endpoints at all;
//! - `UF` / `URX`: connection failure / retries exhausted; `UT`: the route (or per-try) timeout;
//! - `FI` / `DI`: the fault filter's abort / delay; `NR`: no route; `UC` / `DC`: the upstream /
//!   downstream connection closed first.

use meshtwin_model::event::ResponseFlag;
use meshtwin_model::origin::{Origin, Setting};

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Topology;

use super::index::{Req, TraceIndex};
use super::resolve::{cluster_policy, policies_at, route_rules, ClusterPolicy, RouteRule};
use super::{Context, Diagnosis, Hop, Site};

mod flags;
mod health;
mod pool;

/// The hop that caused a failed request, if any proxy saw it.
pub fn origin_hop<'i>(idx: &'i TraceIndex, req: &Req) -> Option<&'i Hop> {
    let hops = idx.hops(&req.request_id);
    hops.iter()
        .find(|h| !h.flags.is_empty())
        .or_else(|| hops.iter().find(|h| h.status >= 400 || h.status == 0))
}

/// Diagnose one failed request of a load.
pub fn diagnose_request(idx: &TraceIndex, ctx: &Context<'_>, req: &Req) -> Diagnosis {
    match origin_hop(idx, req) {
        Some(hop) => diagnose_hop(idx, ctx, hop),
        None if req.status == 0 => Diagnosis {
            mechanism: "no response: the load generator's call failed at the socket, before \
                        any proxy answered"
                .into(),
            settings: Vec::new(),
            hosts: Vec::new(),
            site: None,
            note: None,
        },
        None => Diagnosis {
            mechanism: format!(
                "the upstream app answered {}{}",
                req.status,
                req.upstream_pod
                    .as_ref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
            settings: Vec::new(),
            hosts: req.upstream_pod.iter().cloned().collect(),
            site: None,
            note: None,
        },
    }
}

/// What a hop's diagnosis draws on: the trace, the hop, and the settings of its cluster and
/// of the routes to it at that time.
pub(super) struct Facts<'i> {
    pub idx: &'i TraceIndex,
    pub hop: &'i Hop,
    pub cluster: Option<ClusterPolicy>,
    pub rules: Vec<RouteRule>,
}

impl Facts<'_> {
    /// The cluster's origins of `settings`, in that order.
    pub fn on(&self, settings: &[Setting]) -> Vec<Origin> {
        pool_settings(self.cluster.as_ref(), settings)
    }

    /// The routes' origins of `settings`, rule by rule, without repeats.
    pub fn route(&self, settings: &[Setting]) -> Vec<Origin> {
        let mut out = Vec::new();
        for r in &self.rules {
            for s in settings {
                if let Some(o) = r.origins.get(*s) {
                    push_unique(&mut out, o.clone());
                }
            }
        }
        out
    }
}

/// The flags in the order they decide the mechanism: the one that refused or cut the request
/// first wins; `URX` and `DI` then add to it.
const PRECEDENCE: [ResponseFlag; 10] = [
    ResponseFlag::UO,
    ResponseFlag::UH,
    ResponseFlag::NR,
    ResponseFlag::FI,
    ResponseFlag::UT,
    ResponseFlag::UF,
    ResponseFlag::UC,
    ResponseFlag::URX,
    ResponseFlag::DC,
    ResponseFlag::DI,
];

/// What a hop's flags say, with the settings of its cluster and routes at that time.
pub fn diagnose_hop(idx: &TraceIndex, ctx: &Context<'_>, hop: &Hop) -> Diagnosis {
    let policies = policies_at(ctx, idx, hop.t_ms);
    let f = Facts {
        idx,
        hop,
        cluster: cluster_policy(ctx.topology, policies, &hop.proxy, &hop.cluster),
        rules: route_rules(ctx.topology, policies, &hop.proxy, &hop.cluster),
    };
    let flags = &hop.flags;
    let primary = PRECEDENCE.into_iter().find(|p| flags.contains(*p));
    let mut d = match primary {
        Some(ResponseFlag::UO) => pool::overflow(&f),
        Some(ResponseFlag::UH) => health::no_healthy(&f),
        Some(flag) => flags::mechanism(&f, flag),
        None if flags.is_empty() => Diagnosis {
            hosts: hop.upstream_host.iter().cloned().collect(),
            ..simple(format!(
                "the upstream app answered {} ({})",
                hop.status,
                hop.upstream_host.as_deref().unwrap_or("the upstream")
            ))
        },
        None => simple(format!("response flags {} set by {}", hop.flags, hop.proxy)),
    };
    if flags.contains(ResponseFlag::URX) && primary != Some(ResponseFlag::URX) {
        d.mechanism.push_str(", then retries exhausted (URX)");
        let mut more = f.route(&[Setting::RetryAttempts, Setting::RetryOn]);
        more.extend(f.on(&[Setting::MaxRetries]));
        for o in more {
            push_unique(&mut d.settings, o);
        }
    }
    if flags.contains(ResponseFlag::DI) && primary != Some(ResponseFlag::DI) {
        d.mechanism.push_str(", after an injected delay (DI)");
        for o in f.route(&[Setting::FaultDelay, Setting::FaultDelayPercentage]) {
            push_unique(&mut d.settings, o);
        }
    }
    use ResponseFlag as F;
    let needs_settings = matches!(
        primary,
        Some(F::UO | F::UH | F::FI | F::UT | F::UF | F::URX | F::DI)
    );
    if needs_settings && f.cluster.is_none() {
        d.note = Some(unresolved(ctx.topology, policies, hop));
    }
    d.site = Some(Site {
        proxy: hop.proxy.clone(),
        cluster: hop.cluster.clone(),
    });
    if d.hosts.is_empty() {
        d.hosts = hop.upstream_host.iter().cloned().collect();
    }
    d
}

pub(super) fn simple(mechanism: String) -> Diagnosis {
    with(mechanism, Vec::new())
}

pub(super) fn with(mechanism: String, settings: Vec<Origin>) -> Diagnosis {
    Diagnosis {
        mechanism,
        settings,
        hosts: Vec::new(),
        site: None,
        note: None,
    }
}

pub(super) fn push_unique(list: &mut Vec<Origin>, o: Origin) {
    if !list.contains(&o) {
        list.push(o);
    }
}

/// The cluster's origins for `settings`, in that order.
pub(super) fn pool_settings(cluster: Option<&ClusterPolicy>, settings: &[Setting]) -> Vec<Origin> {
    let Some(c) = cluster else {
        return Vec::new();
    };
    settings
        .iter()
        .filter_map(|s| c.origins.get(*s).cloned())
        .collect()
}

/// ` (field value, field value)`, or nothing.
pub(super) fn values(settings: &[Origin]) -> String {
    if settings.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = settings
        .iter()
        .map(|o| format!("{} {}", o.field, o.value))
        .collect();
    format!(" ({})", parts.join(", "))
}

/// The service a cluster leads to: `ratings` for `outbound|9080||ratings.ns.svc.cluster.local`.
pub fn service_of(cluster: &str) -> String {
    match cluster.rsplit('|').next() {
        Some(host) if cluster.contains('|') && !host.is_empty() => {
            host.split('.').next().unwrap_or(host).to_string()
        }
        _ => cluster.to_string(),
    }
}

/// Why a hop's cluster has no policy to cite.
fn unresolved(topo: &Topology, policies: &MeshPolicies, hop: &Hop) -> String {
    let tsb = policies.tsb_gateways.iter().any(|g| {
        topo.pods().iter().any(|p| {
            p.name == hop.proxy
                && g.namespace == p.namespace
                && g.labels.iter().all(|(k, v)| p.labels.get(k) == Some(v))
        })
    });
    if tsb {
        format!(
            "{} is a Tetrate Service Bridge gateway: TSB generates its clusters and routes, so no \
             written setting stands behind {}",
            hop.proxy, hop.cluster
        )
    } else {
        format!(
            "{} on {} does not trace back to a policy meshtwin knows",
            hop.cluster, hop.proxy
        )
    }
}
