//! The failure timeline in the twin: crash / restart, partition / heal, degraded links, scaling
//! with the control plane's push delay, app behaviour changes. Each entry is traced as a
//! `fault` event and changes what the requests around it see.

mod common;

use std::time::Duration;

use common::*;
use meshtwin_model::event::{EventKind, TraceEvent};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{TimelineAction, TimelineEvent};

fn paced(name: &str, qps: f64, secs: u64) -> meshtwin_model::scenario::LoadSpec {
    meshtwin_model::scenario::LoadSpec {
        qps,
        calls: None,
        duration: Some(Duration::from_secs(secs)),
        ..fortio(name, 1000, 1, 0)
    }
}

fn at(ms: u64, action: TimelineAction) -> TimelineEvent {
    TimelineEvent {
        at: Duration::from_millis(ms),
        action,
        line: 1,
    }
}

/// (start ms, status, latency ms) of every call, in completion order.
fn calls(events: &[TraceEvent]) -> Vec<(f64, u16, f64)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Request {
                status, latency_ms, ..
            } => Some((e.t_ms - latency_ms, *status, *latency_ms)),
            _ => None,
        })
        .collect()
}

/// (time, size) of every endpoint set fortio's sidecar got for httpbin.
fn endpoint_sets(events: &[TraceEvent]) -> Vec<(f64, usize)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Endpoints {
                proxy,
                cluster,
                endpoints,
            } if proxy == "fortio-0" && cluster.starts_with("outbound|8000||") => {
                Some((e.t_ms, endpoints.len()))
            }
            _ => None,
        })
        .collect()
}

fn faults(events: &[TraceEvent]) -> Vec<(f64, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Fault { action, .. } => Some((e.t_ms, action.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_crashed_pod_fails_every_call_until_it_restarts() {
    let topo = httpbin_topology();
    let mut sc = scenario(1, vec![paced("f", 10.0, 9)]);
    sc.duration = Duration::from_secs(12);
    sc.timeline = vec![
        at(
            3000,
            TimelineAction::Crash {
                pod: "httpbin-0".into(),
            },
        ),
        at(
            6000,
            TimelineAction::Restart {
                pod: "httpbin-0".into(),
            },
        ),
    ];
    let r = meshtwin_sim::run(&topo, &MeshPolicies::default(), &sc).unwrap();
    assert_eq!(
        faults(&r.events),
        vec![(3000.0, "crash".into()), (6000.0, "restart".into())]
    );
    // The pod is not ready while crashed: it leaves fortio's endpoint set at the push
    // (100 ms) and rejoins at the push after the restart.
    assert_eq!(
        endpoint_sets(&r.events),
        vec![(0.0, 1), (3100.0, 0), (6100.0, 1)]
    );
    let c = calls(&r.events);
    let during: Vec<_> = c
        .iter()
        .filter(|(t, ..)| (3100.0..5900.0).contains(t))
        .collect();
    assert!(during.len() >= 20, "{during:?}");
    assert!(during.iter().all(|(_, s, _)| *s == 503), "{during:?}");
    let before_after = c
        .iter()
        .filter(|(t, ..)| *t < 2900.0 || *t > 6100.0)
        .collect::<Vec<_>>();
    assert!(before_after.len() >= 40);
    assert!(
        before_after.iter().all(|(_, s, _)| *s == 200),
        "{before_after:?}"
    );
}

#[test]
fn a_partition_stalls_calls_and_healing_lets_new_ones_through() {
    let topo = httpbin_topology();
    let mut sc = scenario(1, vec![paced("f", 10.0, 12)]);
    sc.duration = Duration::from_secs(16);
    sc.timeline = vec![
        at(
            3000,
            TimelineAction::Partition {
                from: "fortio".into(),
                to: "httpbin".into(),
                one_way: false,
            },
        ),
        at(5000, TimelineAction::Heal),
    ];
    let r = meshtwin_sim::run(&topo, &MeshPolicies::default(), &sc).unwrap();
    let c = calls(&r.events);
    // The call in flight when the partition starts never gets an answer: fortio's 3 s timeout.
    assert!(
        c.iter()
            .any(|(t, s, l)| *t >= 2900.0 && *t < 5000.0 && *s != 200 && *l >= 2900.0),
        "{c:?}"
    );
    // Calls started well after the heal succeed.
    let late: Vec<_> = c.iter().filter(|(t, ..)| *t > 9000.0).collect();
    assert!(late.len() >= 20, "{c:?}");
    assert!(late.iter().all(|(_, s, _)| *s == 200), "{late:?}");
}

#[test]
fn a_degraded_link_adds_its_latency_both_ways() {
    let topo = httpbin_topology();
    let mut sc = scenario(1, vec![paced("f", 10.0, 8)]);
    sc.duration = Duration::from_secs(10);
    sc.timeline = vec![at(
        5000,
        TimelineAction::Link {
            from: "fortio".into(),
            to: "httpbin".into(),
            latency: Duration::from_millis(50),
            loss: 0.0,
            one_way: false,
        },
    )];
    let r = meshtwin_sim::run(&topo, &MeshPolicies::default(), &sc).unwrap();
    let c = calls(&r.events);
    let mean = |lo: f64, hi: f64| {
        let v: Vec<f64> = c
            .iter()
            .filter(|(t, ..)| (lo..hi).contains(t))
            .map(|(_, _, l)| *l)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (before, after) = (mean(1000.0, 4900.0), mean(5100.0, 9000.0));
    // One round trip between the two sidecars crosses the link twice: +100 ms (less the
    // sampling noise of the app's 1–3 ms service time between the two windows).
    assert!(
        after - before >= 97.0,
        "before {before} ms, after {after} ms"
    );
    assert!(
        after - before < 130.0,
        "before {before} ms, after {after} ms"
    );
}

#[test]
fn scaling_to_zero_empties_the_endpoint_set_at_the_push_and_scaling_back_refills_it() {
    let topo = httpbin_topology();
    let mut sc = scenario(1, vec![paced("f", 10.0, 10)]);
    sc.duration = Duration::from_secs(12);
    sc.control_plane.push_delay = Duration::from_millis(500);
    sc.timeline = vec![
        at(
            3000,
            TimelineAction::Scale {
                workload: "httpbin".into(),
                replicas: 0,
            },
        ),
        at(
            6000,
            TimelineAction::Scale {
                workload: "httpbin".into(),
                replicas: 1,
            },
        ),
    ];
    let r = meshtwin_sim::run(&topo, &MeshPolicies::default(), &sc).unwrap();
    // fortio's sidecar gets the empty set at 3.5 s and the pod back at 6.5 s.
    assert_eq!(
        endpoint_sets(&r.events),
        vec![(0.0, 1), (3500.0, 0), (6500.0, 1)]
    );
    let c = calls(&r.events);
    // With the set empty: "no healthy upstream" from fortio's own sidecar.
    let empty: Vec<_> = c
        .iter()
        .filter(|(t, ..)| (3600.0..6400.0).contains(t))
        .collect();
    assert!(
        empty.iter().all(|(_, s, _)| *s == 503) && empty.len() >= 20,
        "{empty:?}"
    );
    let back: Vec<_> = c.iter().filter(|(t, ..)| *t > 6600.0).collect();
    assert!(
        back.iter().all(|(_, s, _)| *s == 200) && back.len() >= 30,
        "{back:?}"
    );
}

#[test]
fn an_app_change_takes_effect_at_once() {
    let topo = httpbin_topology();
    let mut sc = scenario(1, vec![paced("f", 10.0, 6)]);
    sc.duration = Duration::from_secs(8);
    sc.timeline = vec![at(
        4000,
        TimelineAction::App {
            workload: "httpbin".into(),
            error_rate: Some(1.0),
            error_status: Some(500),
            latency: None,
        },
    )];
    let r = meshtwin_sim::run(&topo, &MeshPolicies::default(), &sc).unwrap();
    let c = calls(&r.events);
    assert!(c
        .iter()
        .filter(|(t, ..)| *t < 3900.0)
        .all(|(_, s, _)| *s == 200));
    let after: Vec<_> = c.iter().filter(|(t, ..)| *t > 4000.0).collect();
    assert!(
        after.len() >= 20 && after.iter().all(|(_, s, _)| *s == 500),
        "{after:?}"
    );
}
