//! The trace: one [`TraceEvent`] per line of `trace.jsonl`, in virtual-time order.
//!
//! - [`fields`]: the closed sets of values events carry (outlier and health-check actions,
//!   outlier reasons, app-call results, load phases, timeline actions).
//! - [`flags`]: Envoy's response flags.
//! - [`level`]: how much of the trace a run keeps (`--trace full|failures|none`).
//! - [`name`]: the names pool and access-log events share with their emitter.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod fields;
mod flags;
mod level;
mod name;

pub use fields::{
    AppCallResult, FaultAction, HealthAction, LoadPhase, OutlierAction, OutlierReason,
};
pub use flags::{ResponseFlag, ResponseFlags};
pub use level::{is_failure, request_id, TraceLevel};
pub use name::Name;

/// One event at a virtual time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Virtual milliseconds since the run started (microsecond precision).
    pub t_ms: f64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A load generator's call completed (or failed at the socket: status 0).
    Request {
        load: String,
        src_pod: String,
        request_id: String,
        /// Pod whose app produced the response, when one did.
        upstream_pod: Option<String>,
        status: u16,
        /// Response flags set by the first proxy on the path (`-` when none).
        flags: ResponseFlags,
        latency_ms: f64,
        /// Whether the client had to open a new socket for this call.
        new_socket: bool,
        /// What the answering app's page reported (`x-app-notes`), e.g. an error text.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// A proxy finished a downstream request (Envoy's access log).
    AccessLog {
        proxy: Name,
        listener: Name,
        cluster: Name,
        upstream_host: Option<Name>,
        request_id: String,
        status: u16,
        flags: ResponseFlags,
        duration_ms: f64,
    },
    /// A connection-pool / circuit-breaker decision (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`).
    Pool {
        proxy: Name,
        cluster: Name,
        worker: u32,
        event: PoolEvent,
        /// Upstream connection id within the proxy, when the event concerns one.
        cx: Option<u64>,
        /// Cluster-wide open connections (connecting, ready, busy and draining) after the event.
        connections: u64,
        /// Cluster-wide pending requests after the event.
        pending: u64,
    },
    /// One attempt of an app's call to another service.
    AppCall {
        pod: String,
        request_id: String,
        /// Authority the app called (`reviews:9080`).
        host: String,
        path: String,
        /// 1 for the first try.
        attempt: u32,
        /// Response status, 0 when there was none.
        status: u16,
        result: AppCallResult,
        duration_ms: f64,
    },
    /// The outlier detector ejected or brought back a host (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl`).
    Outlier {
        proxy: String,
        cluster: String,
        host: String,
        action: OutlierAction,
        /// Envoy's ejection type (`consecutive_5xx`, ...) or the unejection cause.
        reason: OutlierReason,
        /// How long the ejection lasts, for `ejected`.
        ejection_ms: Option<f64>,
    },
    /// A load generator started or stopped.
    Load { load: String, phase: LoadPhase },
    /// A proxy's cluster received its endpoint set (at start and on every control-plane
    /// push): what `istioctl proxy-config endpoints` shows, before health and outlier state.
    Endpoints {
        proxy: String,
        cluster: String,
        /// Shared by every proxy given the same list (`Arc`: serialized as a list).
        endpoints: Arc<[EndpointInfo]>,
    },
    /// The priority load of a proxy's cluster changed (`source/common/upstream/load_balancer_impl.cc` `LoadBalancerBase::recalculatePerPriorityState`): percent of traffic per
    /// priority, and the healthy percentage that produced it.
    PriorityLoad {
        proxy: String,
        cluster: String,
        /// Percent of traffic per priority (healthy, then degraded, summed).
        load: Vec<u32>,
        /// Healthy hosts per priority, in percent of that priority's hosts.
        healthy_percent: Vec<u32>,
        /// Whether each priority is in panic.
        panic: Vec<bool>,
        /// What changed it: `first pick`, `endpoints pushed`, `<host> ejected`,
        /// `<host> unejected`, `<host> failed health check`, `<host> passed health check`.
        #[serde(default)]
        reason: String,
    },
    /// An active health check changed a host's health status (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`).
    HealthCheck {
        proxy: String,
        cluster: String,
        host: String,
        action: HealthAction,
        /// What caused it (`threshold`, `timeout`, `status 503`, `connection failure`, ...).
        reason: String,
    },
    /// A fault or change from the scenario's timeline was applied (crash, scale, error rate,
    /// port change, partition, latency, policy apply / delete, ...).
    Fault {
        /// Index in the scenario's `timeline`.
        index: usize,
        /// The action (`crash`, `scale`, `apply`, ...).
        action: FaultAction,
        /// What it applies to (pod, workload, policy file, locality pair).
        target: String,
        /// Human-readable details.
        detail: String,
    },
    /// The control plane pushed new configuration to a proxy (it takes effect now).
    ConfigPush {
        proxy: String,
        /// What changed (`endpoints`, `policies`, ...).
        reason: String,
    },
}

impl EventKind {
    /// The event's `kind` in `trace.jsonl` (`request`, `pool`, `outlier`, …).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Request { .. } => "request",
            EventKind::AccessLog { .. } => "access_log",
            EventKind::Pool { .. } => "pool",
            EventKind::AppCall { .. } => "app_call",
            EventKind::Outlier { .. } => "outlier",
            EventKind::Load { .. } => "load",
            EventKind::Endpoints { .. } => "endpoints",
            EventKind::PriorityLoad { .. } => "priority_load",
            EventKind::HealthCheck { .. } => "health_check",
            EventKind::Fault { .. } => "fault",
            EventKind::ConfigPush { .. } => "config_push",
        }
    }
}

/// One endpoint of a cluster as a proxy knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// `ip:port`.
    pub address: String,
    /// The pod (or external host name) behind it.
    pub host: String,
    /// `region/zone/subzone` (empty parts omitted at the end).
    pub locality: String,
    pub priority: u32,
}

/// The pool events the trace records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolEvent {
    /// A request was queued (`upstream_rq_pending_total`).
    RqPending,
    /// A request was refused because the pending queue was full (503 UO).
    RqPendingOverflow,
    /// A request was refused by `max_requests` at attach (503 UO).
    RqOverflow,
    /// A request was bound to a connection.
    RqAttached,
    /// A connection was started.
    CxCreate,
    /// A connection was started although `max_connections` was reached, because this pool had
    /// no connection at all.
    CxCreateOverLimit,
    /// `max_connections` blocked a connection a pending request wanted (`upstream_cx_overflow`).
    CxOverflow,
    CxConnected,
    CxConnectFail,
    /// A connection hit `max_requests_per_connection` and drains (still counted).
    CxDraining,
    CxClosed,
    /// A pending request failed because its pool's connection attempt failed.
    RqPendingFailureEject,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn every_kinds_name_is_its_kind_in_trace_jsonl() {
        let kinds = vec![
            EventKind::Request {
                load: s("l"),
                src_pod: s("p"),
                request_id: s("r"),
                upstream_pod: None,
                status: 200,
                flags: ResponseFlags::none(),
                latency_ms: 1.0,
                new_socket: false,
                notes: vec![],
            },
            EventKind::AccessLog {
                proxy: s("p").into(),
                listener: s("l").into(),
                cluster: s("c").into(),
                upstream_host: None,
                request_id: s("r"),
                status: 200,
                flags: ResponseFlags::none(),
                duration_ms: 1.0,
            },
            EventKind::Pool {
                proxy: s("p").into(),
                cluster: s("c").into(),
                worker: 0,
                event: PoolEvent::CxCreate,
                cx: None,
                connections: 1,
                pending: 0,
            },
            EventKind::AppCall {
                pod: s("p"),
                request_id: s("r"),
                host: s("h"),
                path: s("/"),
                attempt: 1,
                status: 200,
                result: AppCallResult::Ok,
                duration_ms: 1.0,
            },
            EventKind::Outlier {
                proxy: s("p"),
                cluster: s("c"),
                host: s("h"),
                action: OutlierAction::Ejected,
                reason: OutlierReason::Consecutive5xx,
                ejection_ms: None,
            },
            EventKind::Load {
                load: s("l"),
                phase: LoadPhase::Start,
            },
            EventKind::Endpoints {
                proxy: s("p"),
                cluster: s("c"),
                endpoints: Arc::from([]),
            },
            EventKind::PriorityLoad {
                proxy: s("p"),
                cluster: s("c"),
                load: vec![100],
                healthy_percent: vec![100],
                panic: vec![false],
                reason: s("first pick"),
            },
            EventKind::HealthCheck {
                proxy: s("p"),
                cluster: s("c"),
                host: s("h"),
                action: HealthAction::Healthy,
                reason: s("threshold"),
            },
            EventKind::Fault {
                index: 0,
                action: FaultAction::Crash,
                target: s("p"),
                detail: s(""),
            },
            EventKind::ConfigPush {
                proxy: s("p"),
                reason: s("endpoints"),
            },
        ];
        for kind in kinds {
            let name = kind.name();
            let line = serde_json::to_value(TraceEvent { t_ms: 0.0, kind }).unwrap();
            assert_eq!(line["kind"], name);
        }
    }
}
