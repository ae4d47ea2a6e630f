//! What each trace event becomes in the trace-event export: a slice on a pod's thread, an
//! instant event, or nothing. Every slice and instant carries the trace event itself (as in
//! `trace.jsonl`) as its `args`.

use meshtwin_model::event::{AppCallResult, EventKind, PoolEvent, ResponseFlags, TraceEvent};

/// A thread within a pod's process, in the order threads are listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Role {
    Sidecar,
    App,
    Load(String, u64),
}

impl Role {
    /// The thread's name in lane `lane` (from 0).
    pub(super) fn label(&self, lane: usize) -> String {
        let base = match self {
            Role::Sidecar => "sidecar".to_string(),
            Role::App => "app".to_string(),
            Role::Load(name, conn) => format!("load {name} connection {conn}"),
        };
        if lane == 0 {
            base
        } else {
            format!("{base} #{}", lane + 1)
        }
    }
}

/// A complete slice before its lane is known; its `args` are its event's (serialized when
/// written).
pub(super) struct Slice<'e> {
    pub pod: String,
    pub role: Role,
    pub start_us: i64,
    pub dur_us: i64,
    pub name: String,
    pub cat: &'static str,
    pub args: &'e EventKind,
}

/// An instant event on a pod's sidecar thread (`pod` = `Some`) or on the timeline.
pub(super) struct Instant<'e> {
    pub pod: Option<String>,
    pub ts_us: i64,
    pub name: String,
    pub cat: &'static str,
    pub args: &'e EventKind,
}

/// Virtual milliseconds as whole microseconds.
pub(super) fn us(ms: f64) -> i64 {
    (ms * 1000.0).round() as i64
}

fn status_flags(status: u16, flags: &ResponseFlags) -> String {
    let status = if status == 0 {
        "no response".to_string()
    } else {
        status.to_string()
    };
    if flags.is_empty() {
        status
    } else {
        format!("{status} {flags}")
    }
}

/// The connection a load's call ran on, from its request id (`<load>-<connection>-<n>`).
fn connection_of(request_id: &str) -> u64 {
    request_id
        .rsplit('-')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The slice `e` becomes: a load's call, a sidecar's request (its access log) or one try of
/// an app's call, ending at the event's time.
pub(super) fn slice_of(e: &TraceEvent) -> Option<Slice<'_>> {
    let (pod, role, dur_ms, name, cat): (&str, Role, f64, String, &str) = match &e.kind {
        EventKind::Request {
            load,
            src_pod,
            request_id,
            status,
            flags,
            latency_ms,
            ..
        } => (
            src_pod,
            Role::Load(load.clone(), connection_of(request_id)),
            *latency_ms,
            format!("{load} {}", status_flags(*status, flags)),
            "request",
        ),
        EventKind::AccessLog {
            proxy,
            cluster,
            status,
            flags,
            duration_ms,
            ..
        } => (
            proxy,
            Role::Sidecar,
            *duration_ms,
            format!("{cluster} {}", status_flags(*status, flags)),
            "access_log",
        ),
        EventKind::AppCall {
            pod,
            host,
            path,
            attempt,
            status,
            result,
            duration_ms,
            ..
        } => {
            let try_ = if *attempt > 1 {
                format!(" try {attempt}")
            } else {
                String::new()
            };
            let outcome = if *result == AppCallResult::Ok {
                status.to_string()
            } else {
                result.to_string()
            };
            (
                pod,
                Role::App,
                *duration_ms,
                format!("{host}{path}{try_}: {outcome}"),
                "app_call",
            )
        }
        _ => return None,
    };
    let (end, dur) = (us(e.t_ms), us(dur_ms).max(0));
    Some(Slice {
        pod: pod.to_string(),
        role,
        start_us: end - dur,
        dur_us: dur,
        name,
        cat,
        args: &e.kind,
    })
}

/// The instant event `e` becomes: an ejection or return, a health-check change, a
/// configuration push or a circuit-breaker overflow on the proxy; a fault or a load's start
/// or stop on the timeline.
pub(super) fn instant_of(e: &TraceEvent) -> Option<Instant<'_>> {
    let (pod, name, cat): (Option<&str>, String, &str) = match &e.kind {
        EventKind::Outlier {
            proxy,
            host,
            action,
            reason,
            ..
        } => (
            Some(proxy),
            format!("{action} {host} ({reason})"),
            "outlier",
        ),
        EventKind::HealthCheck {
            proxy,
            host,
            action,
            reason,
            ..
        } => (
            Some(proxy),
            format!("health check: {host} {action} ({reason})"),
            "health_check",
        ),
        EventKind::ConfigPush { proxy, reason } => (
            Some(proxy),
            format!("config push ({reason})"),
            "config_push",
        ),
        EventKind::Pool {
            proxy,
            cluster,
            event,
            ..
        } if matches!(
            event,
            PoolEvent::RqPendingOverflow | PoolEvent::RqOverflow | PoolEvent::CxOverflow
        ) =>
        {
            let event = serde_json::to_value(event).expect("pool events serialize");
            let event = event.as_str().unwrap_or_default().to_string();
            (Some(proxy), format!("{event} {cluster}"), "pool")
        }
        EventKind::Fault { action, target, .. } => (None, format!("{action} {target}"), "fault"),
        EventKind::Load { load, phase } => (None, format!("load {load} {phase}"), "load"),
        _ => return None,
    };
    Some(Instant {
        pod: pod.map(str::to_string),
        ts_us: us(e.t_ms),
        name,
        cat,
        args: &e.kind,
    })
}
