//! How a timeline entry reads in the trace's `fault` events: (action, target, detail).

use meshtwin_model::scenario::TimelineAction;

/// (action, target, detail) of a timeline entry for the trace.
pub(super) fn describe(a: &TimelineAction) -> (&'static str, String, String) {
    match a {
        TimelineAction::Apply { policy } => ("apply", policy.as_written.clone(), String::new()),
        TimelineAction::Delete { policy } => ("delete", policy.as_written.clone(), String::new()),
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
            ("app", workload.clone(), d.join(", "))
        }
        TimelineAction::Scale { workload, replicas } => {
            ("scale", workload.clone(), format!("replicas {replicas}"))
        }
        TimelineAction::Crash { pod } => ("crash", pod.clone(), String::new()),
        TimelineAction::Restart { pod } => ("restart", pod.clone(), String::new()),
        TimelineAction::Partition { from, to, one_way } => (
            "partition",
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
            "link",
            format!("{from} -> {to}"),
            format!(
                "+{}ms, loss {loss}{}",
                latency.as_secs_f64() * 1000.0,
                if *one_way { ", one way" } else { "" }
            ),
        ),
        TimelineAction::Heal => ("heal", String::new(), String::new()),
    }
}
