//! The endpoint view from synthetic traces: membership, ejection, unejection, health checks.

use super::*;
use meshtwin_model::event::{EndpointInfo, TraceEvent};

const C: &str = "outbound|80||mydb.com";

fn ep(address: &str, host: &str, locality: &str, priority: u32) -> EndpointInfo {
    EndpointInfo {
        address: address.into(),
        host: host.into(),
        locality: locality.into(),
        priority,
    }
}

fn at(t_ms: f64, kind: EventKind) -> TraceEvent {
    TraceEvent { t_ms, kind }
}

fn endpoints(t_ms: f64, eps: Vec<EndpointInfo>) -> TraceEvent {
    at(
        t_ms,
        EventKind::Endpoints {
            proxy: "sleep-0".into(),
            cluster: C.into(),
            endpoints: eps.into(),
        },
    )
}

/// An outlier event; `action` as the trace writes it.
fn outlier(t_ms: f64, host: &str, action: &str) -> TraceEvent {
    let action: meshtwin_model::event::OutlierAction = action.parse().unwrap();
    at(
        t_ms,
        EventKind::Outlier {
            proxy: "sleep-0".into(),
            cluster: C.into(),
            host: host.into(),
            action,
            reason: meshtwin_model::event::OutlierReason::Consecutive5xx,
            ejection_ms: (action == meshtwin_model::event::OutlierAction::Ejected)
                .then_some(60_000.0),
        },
    )
}

fn health(t_ms: f64, host: &str, action: &str) -> TraceEvent {
    at(
        t_ms,
        EventKind::HealthCheck {
            proxy: "sleep-0".into(),
            cluster: C.into(),
            host: host.into(),
            action: action.parse().unwrap(),
            reason: "threshold".into(),
        },
    )
}

fn two_regions() -> Vec<EndpointInfo> {
    vec![
        ep("52.94.12.144:80", "us-west", "us-west", 1),
        ep("52.119.226.80:80", "us-east", "us-east1", 0),
    ]
}

/// `(address, STATUS, OUTLIER CHECK)` per row.
fn view(events: &[TraceEvent], t: f64) -> Vec<(String, &'static str, &'static str)> {
    endpoint_view(events, t)
        .into_iter()
        .map(|r| (r.address.clone(), r.status(), r.outlier_check()))
        .collect()
}

fn row(a: &str, status: &'static str, check: &'static str) -> (String, &'static str, &'static str) {
    (a.to_string(), status, check)
}

#[test]
fn an_ejection_shows_failed_from_its_time_on_and_ok_again_after_unejection() {
    let events = vec![
        endpoints(0.0, two_regions()),
        outlier(30_000.0, "us-east", "ejected"),
        outlier(90_000.0, "us-east", "unejected"),
    ];
    let before = view(&events, 29_999.0);
    assert_eq!(
        before,
        vec![
            row("52.119.226.80:80", "HEALTHY", "OK"),
            row("52.94.12.144:80", "HEALTHY", "OK"),
        ]
    );
    assert_eq!(
        view(&events, 30_000.0),
        vec![
            row("52.119.226.80:80", "HEALTHY", "FAILED"),
            row("52.94.12.144:80", "HEALTHY", "OK"),
        ]
    );
    assert_eq!(view(&events, 95_000.0), before);
}

#[test]
fn rows_sort_by_address_text_then_port_as_istioctl_does() {
    let events = vec![endpoints(
        0.0,
        vec![
            ep("10.0.0.2:9080", "b", "", 0),
            ep("10.0.0.10:80", "c", "", 0),
            ep("10.0.0.2:80", "a", "", 0),
        ],
    )];
    let order: Vec<String> = endpoint_view(&events, 0.0)
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert_eq!(order, ["10.0.0.10:80", "10.0.0.2:80", "10.0.0.2:9080"]);
}

#[test]
fn nothing_is_known_before_the_first_endpoint_set() {
    let events = vec![endpoints(5.0, two_regions())];
    assert!(endpoint_view(&events, 4.999).is_empty());
    assert!(proxies_at(&events, 4.999).is_empty());
    assert_eq!(proxies_at(&events, 5.0), ["sleep-0"]);
}

#[test]
fn a_host_keeps_its_ejection_across_a_push_that_keeps_it_and_loses_it_when_it_moves() {
    let mut moved = two_regions();
    moved[1].address = "52.119.226.80:81".into();
    let mut grown = two_regions();
    grown.push(ep("52.95.0.1:80", "eu", "eu-west1", 2));
    let events = vec![
        endpoints(0.0, two_regions()),
        outlier(10_000.0, "us-east", "ejected"),
        endpoints(20_000.0, grown),
        endpoints(30_000.0, moved),
    ];
    assert_eq!(
        view(&events, 25_000.0),
        vec![
            row("52.119.226.80:80", "HEALTHY", "FAILED"),
            row("52.94.12.144:80", "HEALTHY", "OK"),
            row("52.95.0.1:80", "HEALTHY", "OK"),
        ]
    );
    // The port change makes a new host: not ejected, and the third endpoint is gone.
    assert_eq!(
        view(&events, 30_000.0),
        vec![
            row("52.119.226.80:81", "HEALTHY", "OK"),
            row("52.94.12.144:80", "HEALTHY", "OK"),
        ]
    );
}

#[test]
fn a_removed_host_that_comes_back_starts_healthy() {
    let events = vec![
        endpoints(0.0, two_regions()),
        outlier(1_000.0, "us-east", "ejected"),
        health(1_500.0, "us-east", "unhealthy"),
        endpoints(2_000.0, two_regions()[..1].to_vec()),
        // About a host no longer in the set: ignored.
        outlier(2_500.0, "us-east", "unejected"),
        endpoints(3_000.0, two_regions()),
    ];
    assert_eq!(
        view(&events, 2_500.0),
        vec![row("52.94.12.144:80", "HEALTHY", "OK")]
    );
    assert_eq!(
        view(&events, 3_000.0),
        vec![
            row("52.119.226.80:80", "HEALTHY", "OK"),
            row("52.94.12.144:80", "HEALTHY", "OK"),
        ]
    );
}

#[test]
fn active_health_checks_drive_status_independently_of_the_outlier_check() {
    let events = vec![
        endpoints(0.0, two_regions()),
        health(1_000.0, "us-west", "unhealthy"),
        outlier(1_500.0, "us-west", "ejected"),
        outlier(1_600.0, "us-west", "not_enforced"),
        health(4_000.0, "us-west", "healthy"),
    ];
    assert_eq!(
        view(&events, 1_200.0)[1],
        row("52.94.12.144:80", "UNHEALTHY", "OK")
    );
    assert_eq!(
        view(&events, 2_000.0)[1],
        row("52.94.12.144:80", "UNHEALTHY", "FAILED")
    );
    assert_eq!(
        view(&events, 4_000.0)[1],
        row("52.94.12.144:80", "HEALTHY", "FAILED")
    );
}

#[test]
fn rows_carry_locality_priority_and_host_for_the_wide_view() {
    let r = &endpoint_view(&[endpoints(0.0, two_regions())], 0.0)[0];
    assert_eq!(
        (r.proxy.as_str(), r.cluster.as_str(), r.host.as_str()),
        ("sleep-0", C, "us-east")
    );
    assert_eq!((r.locality.as_str(), r.priority), ("us-east1", 0));
}

#[test]
fn tabwrite_pads_every_column_but_the_last_by_five_spaces() {
    let cells = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let text = tabwrite(&[
        cells(&["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"]),
        cells(&["52.119.226.80:81", "HEALTHY", "FAILED", C]),
    ]);
    assert_eq!(
        text,
        "ENDPOINT             STATUS      OUTLIER CHECK     CLUSTER\n\
         52.119.226.80:81     HEALTHY     FAILED            outbound|80||mydb.com\n"
    );
}
