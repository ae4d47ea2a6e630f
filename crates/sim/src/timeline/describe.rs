//! How a timeline entry reads in the trace's `fault` events: (action, target, detail).

use meshtwin_model::event::FaultAction;
use meshtwin_model::scenario::TimelineAction;

/// (action, target, detail) of a timeline entry for the trace.
pub(super) fn describe(a: &TimelineAction) -> (FaultAction, String, String) {
    match a {
        TimelineAction::Apply { policy } => {
            (FaultAction::Apply, policy.as_written.clone(), String::new())
        }
        TimelineAction::Delete { policy } => (
            FaultAction::Delete,
            policy.as_written.clone(),
            String::new(),
        ),
        TimelineAction::App {
            workload,
            error_rate,
            error_status,
            latency,
        } => {
            let mut d = Vec::new();
            if let Some(r) = error_rate {
                d.push(format!("errorRate {r}"));
            }
            if let Some(s) = error_status {
                d.push(format!("errorStatus {s}"));
            }
            if let Some(l) = latency {
                d.push(format!("latency {}ms", l.as_secs_f64() * 1000.0));
            }
            (FaultAction::App, workload.clone(), d.join(", "))
        }
        TimelineAction::Scale { workload, replicas } => (
            FaultAction::Scale,
            workload.clone(),
            format!("replicas {replicas}"),
        ),
        TimelineAction::Crash { pod } => (FaultAction::Crash, pod.clone(), String::new()),
        TimelineAction::Restart { pod } => (FaultAction::Restart, pod.clone(), String::new()),
        TimelineAction::Partition { from, to, one_way } => (
            FaultAction::Partition,
            format!("{from} -> {to}"),
            if *one_way { "one way" } else { "both ways" }.into(),
        ),
        TimelineAction::Link {
            from,
            to,
            latency,
            loss,
            one_way,
        } => (
            FaultAction::Link,
            format!("{from} -> {to}"),
            format!(
                "+{}ms, loss {loss}{}",
                latency.as_secs_f64() * 1000.0,
                if *one_way { ", one way" } else { "" }
            ),
        ),
        TimelineAction::Heal => (FaultAction::Heal, String::new(), String::new()),
    }
}
