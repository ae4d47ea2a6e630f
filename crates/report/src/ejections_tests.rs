//! Ejected intervals from synthetic traces.

use super::*;
use meshtwin_model::event::{EndpointInfo, TraceEvent};

fn ev(t_ms: f64, kind: EventKind) -> TraceEvent {
    TraceEvent { t_ms, kind }
}

fn outlier(t_ms: f64, host: &str, action: &str, reason: &str) -> TraceEvent {
    ev(
        t_ms,
        EventKind::Outlier {
            proxy: "fortio-0".into(),
            cluster: "c".into(),
            host: host.into(),
            action: action.parse().unwrap(),
            reason: reason.parse().unwrap(),
            ejection_ms: None,
        },
    )
}

fn health(t_ms: f64, host: &str, action: &str) -> TraceEvent {
    ev(
        t_ms,
        EventKind::HealthCheck {
            proxy: "fortio-0".into(),
            cluster: "c".into(),
            host: host.into(),
            action: action.parse().unwrap(),
            reason: "status 503".into(),
        },
    )
}

fn endpoints(t_ms: f64, hosts: &[&str]) -> TraceEvent {
    ev(
        t_ms,
        EventKind::Endpoints {
            proxy: "fortio-0".into(),
            cluster: "c".into(),
            endpoints: hosts
                .iter()
                .enumerate()
                .map(|(i, h)| EndpointInfo {
                    address: format!("10.0.0.{}:80", i + 1),
                    host: h.to_string(),
                    locality: String::new(),
                    priority: 0,
                })
                .collect(),
        },
    )
}

/// `(host, source, from, to)` per interval.
fn spans(events: &[TraceEvent]) -> Vec<(String, Source, f64, Option<f64>)> {
    ejections(events)
        .into_iter()
        .map(|e| (e.host, e.source, e.ejected_at_ms, e.unejected_at_ms))
        .collect()
}

#[test]
fn an_ejection_lasts_until_its_unejection_and_a_second_one_is_a_new_interval() {
    let events = vec![
        endpoints(0.0, &["a", "b"]),
        outlier(1_000.0, "a", "ejected", "consecutive_5xx"),
        outlier(1_500.0, "b", "not_enforced", "consecutive_5xx"),
        outlier(31_000.0, "a", "unejected", "Timer"),
        outlier(40_000.0, "a", "ejected", "consecutive_5xx"),
    ];
    let all = ejections(&events);
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].ejected_at_ms, all[0].unejected_at_ms),
        (1_000.0, Some(31_000.0))
    );
    assert_eq!(all[0].reason, "consecutive_5xx");
    assert_eq!(all[0].end_reason.as_deref(), Some("Timer"));
    assert_eq!(
        (all[1].ejected_at_ms, all[1].unejected_at_ms),
        (40_000.0, None)
    );
    assert!(has_host_health_events(&events));
    assert!(!has_host_health_events(&events[..1]));
}

#[test]
fn health_check_failures_are_intervals_of_their_own() {
    let events = vec![
        endpoints(0.0, &["a"]),
        health(2_000.0, "a", "unhealthy"),
        outlier(2_500.0, "a", "ejected", "consecutive_5xx"),
        health(9_000.0, "a", "healthy"),
    ];
    assert_eq!(
        spans(&events),
        vec![
            ("a".into(), Source::Outlier, 2_500.0, None),
            ("a".into(), Source::HealthCheck, 2_000.0, Some(9_000.0)),
        ]
    );
}

#[test]
fn a_host_removed_while_ejected_ends_its_interval_at_the_push() {
    let events = vec![
        endpoints(0.0, &["a", "b"]),
        outlier(1_000.0, "a", "ejected", "consecutive_5xx"),
        outlier(1_000.0, "b", "ejected", "consecutive_5xx"),
        endpoints(5_000.0, &["b"]),
    ];
    let all = ejections(&events);
    assert_eq!(all[0].unejected_at_ms, Some(5_000.0));
    assert_eq!(all[0].end_reason.as_deref(), Some("removed"));
    assert_eq!(all[1].unejected_at_ms, None);
}

#[test]
fn lanes_group_intervals_per_proxy_cluster_and_host() {
    let events = vec![
        outlier(1.0, "b", "ejected", "consecutive_5xx"),
        outlier(2.0, "a", "ejected", "consecutive_5xx"),
        outlier(3.0, "a", "unejected", "Timer"),
        outlier(4.0, "a", "ejected", "consecutive_5xx"),
    ];
    let l = lanes(&ejections(&events));
    let names: Vec<&str> = l.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["fortio-0 → c → a", "fortio-0 → c → b"]);
    assert_eq!(l[0].intervals.len(), 2);
}
