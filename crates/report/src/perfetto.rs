//! `trace.perfetto.json`: the trace as Chrome trace-event JSON (the "Trace Event Format"
//! that ui.perfetto.dev and chrome://tracing open), on the run's virtual clock in
//! microseconds.
//!
//! - One process per pod with a proxy or an event (`process_name` = the pod), and one for the
//!   run's timeline.
//! - In a pod, the sidecar's requests (Envoy's access log: cluster, status, response flags
//!   such as `URX` for retried or `UT` for timed-out upstream requests), the app's calls to
//!   other services (one slice per try, `try 2` being a retry, `timeout` when the app gave up)
//!   and each load connection's calls are complete (`"ph":"X"`) slices on threads named
//!   `sidecar`, `app` and `load <name> connection <n>`. Slices on one thread must nest, and a
//!   proxy serves requests concurrently, so concurrent slices spread over lanes:
//!   `sidecar`, `sidecar #2`, … (each slice goes to the first lane free at its start).
//! - Outlier ejections and returns, health-check changes, configuration pushes and
//!   circuit-breaker overflows are instant events (`"ph":"i"`) on the pod's `sidecar` thread;
//!   the scenario's faults and the loads' starts and stops are global instant events on the
//!   `timeline` process.
//!
//! Events come in a fixed order (metadata, then by time), so the file is byte-identical for
//! the same run.

use std::collections::BTreeMap;

use meshtwin_model::event::{EventKind, PoolEvent, TraceEvent};
use serde_json::{json, Value};

/// A thread within a pod's process, in the order threads are listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Sidecar,
    App,
    Load(String, u64),
}

impl Role {
    fn label(&self, lane: usize) -> String {
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

/// A complete slice before its lane is known.
struct Slice {
    pod: String,
    role: Role,
    start_us: i64,
    dur_us: i64,
    name: String,
    cat: &'static str,
    args: Value,
}

/// An instant event on a pod's sidecar thread (`pod` = `Some`) or on the timeline.
struct Instant {
    pod: Option<String>,
    ts_us: i64,
    name: String,
    cat: &'static str,
    args: Value,
}

fn us(ms: f64) -> i64 {
    (ms * 1000.0).round() as i64
}

fn status_flags(status: u16, flags: &str) -> String {
    let status = if status == 0 {
        "no response".to_string()
    } else {
        status.to_string()
    };
    if flags.is_empty() || flags == "-" {
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

/// A slice ending at `t_ms` that lasted `dur_ms`.
#[allow(clippy::too_many_arguments)]
fn slice(
    pod: &str,
    role: Role,
    t_ms: f64,
    dur_ms: f64,
    name: String,
    cat: &'static str,
    args: Value,
) -> Slice {
    let (end, dur) = (us(t_ms), us(dur_ms).max(0));
    Slice {
        pod: pod.to_string(),
        role,
        start_us: end - dur,
        dur_us: dur,
        name,
        cat,
        args,
    }
}

fn instant(pod: Option<&str>, t_ms: f64, name: String, cat: &'static str, args: Value) -> Instant {
    Instant {
        pod: pod.map(str::to_string),
        ts_us: us(t_ms),
        name,
        cat,
        args,
    }
}

/// The slice or instant event `e` becomes, if any.
fn convert(e: &TraceEvent, slices: &mut Vec<Slice>, instants: &mut Vec<Instant>) {
    let t = e.t_ms;
    match &e.kind {
        EventKind::Request {
            load,
            src_pod,
            request_id,
            upstream_pod,
            status,
            flags,
            latency_ms,
            new_socket,
            ..
        } => slices.push(slice(
            src_pod,
            Role::Load(load.clone(), connection_of(request_id)),
            t,
            *latency_ms,
            format!("{load} {}", status_flags(*status, flags)),
            "request",
            json!({"request_id": request_id, "upstream_pod": upstream_pod, "status": status,
                   "flags": flags, "new_socket": new_socket}),
        )),
        EventKind::AccessLog {
            proxy,
            listener,
            cluster,
            upstream_host,
            request_id,
            status,
            flags,
            duration_ms,
        } => slices.push(slice(
            proxy,
            Role::Sidecar,
            t,
            *duration_ms,
            format!("{cluster} {}", status_flags(*status, flags)),
            "access_log",
            json!({"request_id": request_id, "listener": listener, "cluster": cluster,
                   "upstream_host": upstream_host, "status": status, "flags": flags}),
        )),
        EventKind::AppCall {
            pod,
            request_id,
            host,
            path,
            attempt,
            status,
            result,
            duration_ms,
        } => {
            let try_ = if *attempt > 1 {
                format!(" try {attempt}")
            } else {
                String::new()
            };
            slices.push(slice(
                pod,
                Role::App,
                t,
                *duration_ms,
                format!(
                    "{host}{path}{try_}: {}",
                    if result == "ok" {
                        status.to_string()
                    } else {
                        result.clone()
                    }
                ),
                "app_call",
                json!({"request_id": request_id, "host": host, "path": path, "attempt": attempt,
                       "status": status, "result": result}),
            ));
        }
        EventKind::Outlier {
            proxy,
            cluster,
            host,
            action,
            reason,
            ejection_ms,
        } => instants.push(instant(
            Some(proxy),
            t,
            format!("{action} {host} ({reason})"),
            "outlier",
            json!({"cluster": cluster, "host": host, "action": action, "reason": reason,
                       "ejection_ms": ejection_ms}),
        )),
        EventKind::HealthCheck {
            proxy,
            cluster,
            host,
            action,
            reason,
        } => instants.push(instant(
            Some(proxy),
            t,
            format!("health check: {host} {action} ({reason})"),
            "health_check",
            json!({"cluster": cluster, "host": host, "action": action, "reason": reason}),
        )),
        EventKind::ConfigPush { proxy, reason } => instants.push(instant(
            Some(proxy),
            t,
            format!("config push ({reason})"),
            "config_push",
            json!({"reason": reason}),
        )),
        EventKind::Pool {
            proxy,
            cluster,
            event,
            connections,
            pending,
            ..
        } if matches!(
            event,
            PoolEvent::RqPendingOverflow | PoolEvent::RqOverflow | PoolEvent::CxOverflow
        ) =>
        {
            instants.push(instant(
                Some(proxy),
                t,
                format!("{} {cluster}", pool_event_name(event)),
                "pool",
                json!({"cluster": cluster, "connections": connections, "pending": pending}),
            ))
        }
        EventKind::Fault {
            index,
            action,
            target,
            detail,
        } => instants.push(instant(
            None,
            t,
            format!("{action} {target}"),
            "fault",
            json!({"index": index, "action": action, "target": target, "detail": detail}),
        )),
        EventKind::Load { load, phase } => instants.push(instant(
            None,
            t,
            format!("load {load} {phase}"),
            "load",
            json!({"load": load, "phase": phase}),
        )),
        _ => {}
    }
}

/// The pool event's name in the trace (`rq_pending_overflow`, …).
fn pool_event_name(e: &PoolEvent) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Spreads `slices` (of one pod and role) over lanes: in start order, each to the first lane
/// whose last slice has ended. Returns each slice's lane, by index into `slices`.
fn lanes(slices: &[&Slice]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..slices.len()).collect();
    order.sort_by_key(|&i| (slices[i].start_us, slices[i].start_us + slices[i].dur_us, i));
    let mut ends: Vec<i64> = Vec::new();
    let mut lane = vec![0; slices.len()];
    for i in order {
        let (start, end) = (slices[i].start_us, slices[i].start_us + slices[i].dur_us);
        let free = ends.iter().position(|&e| e <= start);
        let l = free.unwrap_or_else(|| {
            ends.push(0);
            ends.len() - 1
        });
        ends[l] = end;
        lane[i] = l;
    }
    lane
}

/// `trace.perfetto.json` of the run's trace `events` (see the module doc); every pod in
/// `proxies` gets its process and `sidecar` thread, even with nothing on it.
pub fn perfetto_json(events: &[TraceEvent], proxies: &[&str]) -> String {
    let (mut slices, mut instants) = (Vec::new(), Vec::new());
    for e in events {
        convert(e, &mut slices, &mut instants);
    }
    // Every pod with a slice or an instant gets a process; the timeline is process 1.
    let mut pods: BTreeMap<&str, BTreeMap<(Role, usize), u64>> = BTreeMap::new();
    let mut by_track: BTreeMap<(&str, &Role), Vec<usize>> = BTreeMap::new();
    for (i, s) in slices.iter().enumerate() {
        by_track.entry((&s.pod, &s.role)).or_default().push(i);
    }
    let mut lane_of = vec![0usize; slices.len()];
    for ((pod, role), idx) in &by_track {
        let refs: Vec<&Slice> = idx.iter().map(|&i| &slices[i]).collect();
        for (k, l) in lanes(&refs).into_iter().enumerate() {
            lane_of[idx[k]] = l;
            pods.entry(pod).or_default().insert(((*role).clone(), l), 0);
        }
    }
    let instant_pods = instants.iter().filter_map(|i| i.pod.as_deref());
    for p in instant_pods.chain(proxies.iter().copied()) {
        pods.entry(p).or_default().insert((Role::Sidecar, 0), 0);
    }
    let mut meta = vec![
        json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "timeline"}}),
        json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "faults and loads"}}),
    ];
    let mut pid_of: BTreeMap<&str, u64> = BTreeMap::new();
    for (k, (pod, threads)) in pods.iter_mut().enumerate() {
        let pid = k as u64 + 2;
        pid_of.insert(pod, pid);
        meta.push(
            json!({"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": pod}}),
        );
        meta.push(json!({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0, "args": {"sort_index": pid}}));
        for (t, ((role, lane), tid)) in threads.iter_mut().enumerate() {
            *tid = t as u64 + 1;
            meta.push(
                json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": *tid,
                             "args": {"name": role.label(*lane)}}),
            );
            meta.push(
                json!({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": *tid,
                             "args": {"sort_index": *tid}}),
            );
        }
    }
    let mut timed: Vec<(i64, usize, Value)> = Vec::new();
    for (i, s) in slices.iter().enumerate() {
        let pid = pid_of[s.pod.as_str()];
        let tid = pods[s.pod.as_str()][&(s.role.clone(), lane_of[i])];
        timed.push((
            s.start_us,
            timed.len(),
            json!({"name": s.name, "cat": s.cat, "ph": "X",
            "ts": s.start_us, "dur": s.dur_us, "pid": pid, "tid": tid, "args": s.args}),
        ));
    }
    for i in &instants {
        let v = match &i.pod {
            Some(p) => json!({"name": i.name, "cat": i.cat, "ph": "i", "s": "t", "ts": i.ts_us,
                "pid": pid_of[p.as_str()], "tid": pods[p.as_str()][&(Role::Sidecar, 0)],
                "args": i.args}),
            None => json!({"name": i.name, "cat": i.cat, "ph": "i", "s": "g", "ts": i.ts_us,
                "pid": 1, "tid": 1, "args": i.args}),
        };
        timed.push((i.ts_us, timed.len(), v));
    }
    timed.sort_by_key(|(ts, seq, _)| (*ts, *seq));
    let lines: Vec<String> = meta
        .iter()
        .chain(timed.iter().map(|(_, _, v)| v))
        .map(|v| serde_json::to_string(v).expect("trace events serialize"))
        .collect();
    format!(
        "{{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n{}\n]}}\n",
        lines.join(",\n")
    )
}

#[cfg(test)]
#[path = "perfetto_tests.rs"]
mod tests;
