//! The graph from synthetic traces: hops from clients without a sidecar, requests that reached
//! no host, failover by priority, scaled-up replicas; and its layout.

use std::collections::BTreeMap;

use meshtwin_model::event::{EndpointInfo, EventKind, TraceEvent};

use super::layout::{depths, layout};
use super::*;

fn place(workload: &str, zone: &str) -> Place {
    Place {
        workload: workload.into(),
        namespace: "default".into(),
        cluster: "c1".into(),
        region: "r1".into(),
        zone: zone.into(),
    }
}

fn pods() -> BTreeMap<String, Place> {
    [
        ("curl-0", place("curl", "z1")),
        ("app-0", place("app", "z1")),
        ("db-0", place("db", "z1")),
        ("db-remote-0", place("db-remote", "z2")),
    ]
    .into_iter()
    .map(|(p, pl)| (p.to_string(), pl))
    .collect()
}

fn at(t_ms: f64, kind: EventKind) -> TraceEvent {
    TraceEvent { t_ms, kind }
}

fn log(
    t: f64,
    proxy: &str,
    cluster: &str,
    host: Option<&str>,
    id: &str,
    status: u16,
) -> TraceEvent {
    at(
        t,
        EventKind::AccessLog {
            proxy: proxy.into(),
            listener: "l".into(),
            cluster: cluster.into(),
            upstream_host: host.map(Into::into),
            request_id: id.into(),
            status,
            flags: meshtwin_model::event::ResponseFlags::none(),
            duration_ms: t / 100.0,
        },
    )
}

fn request(t: f64, id: &str, status: u16, upstream: Option<&str>) -> TraceEvent {
    at(
        t,
        EventKind::Request {
            load: "l".into(),
            src_pod: "curl-0".into(),
            request_id: id.into(),
            upstream_pod: upstream.map(str::to_string),
            status,
            flags: meshtwin_model::event::ResponseFlags::none(),
            latency_ms: 1.0,
            new_socket: false,
            notes: vec![],
        },
    )
}

const DB: &str = "outbound|5432||db.default.svc.cluster.local";

fn endpoints(t: f64) -> TraceEvent {
    let ep = |host: &str, priority| EndpointInfo {
        address: "10.0.0.9:5432".into(),
        host: host.into(),
        locality: "r1/z1".into(),
        priority,
    };
    at(
        t,
        EventKind::Endpoints {
            proxy: "app-0".into(),
            cluster: DB.into(),
            endpoints: vec![ep("db-0", 0), ep("db-remote-0", 1)].into(),
        },
    )
}

fn trace() -> Vec<TraceEvent> {
    vec![
        endpoints(0.0),
        // curl (no sidecar) → app → db.
        log(10.0, "app-0", DB, Some("db-0"), "a", 200),
        log(11.0, "app-0", "inbound|80||", Some("app-0"), "a", 200),
        request(12.0, "a", 200, Some("app-0")),
        // db-0 ejected; the next call fails over to the remote replica.
        at(
            20.0,
            EventKind::Outlier {
                proxy: "app-0".into(),
                cluster: DB.into(),
                host: "db-0".into(),
                action: meshtwin_model::event::OutlierAction::Ejected,
                reason: meshtwin_model::event::OutlierReason::Consecutive5xx,
                ejection_ms: Some(30_000.0),
            },
        ),
        log(30.0, "app-0", DB, Some("db-remote-0"), "b", 200),
        log(31.0, "app-0", "inbound|80||", Some("app-0"), "b", 200),
        request(32.0, "b", 200, Some("app-0")),
        // Refused before a host was picked: both db workloads are behind the cluster.
        log(40.0, "app-0", DB, None, "c", 503),
        log(41.0, "app-0", "inbound|80||", Some("app-0"), "c", 503),
        request(42.0, "c", 503, Some("app-0")),
        // A socket failure no proxy saw.
        request(50.0, "d", 0, None),
        // A replica a timeline scale added.
        log(60.0, "app-3", DB, Some("db-0"), "e", 200),
        request(61.0, "e", 200, Some("app-3")),
    ]
}

#[test]
fn edges_follow_the_calls_with_marks_for_ejection_and_failover() {
    let g = build::service_graph(&trace(), &pods());
    let edges: Vec<(&str, &str, u64, u64)> = g
        .edges()
        .into_iter()
        .map(|(a, b, e)| (a, b, e.requests, e.errors))
        .collect();
    assert_eq!(
        edges,
        [
            ("app", "db", 2, 0),
            ("app", "db (service)", 1, 1),
            ("app", "db-remote", 1, 0),
            ("curl", "app", 4, 1),
        ]
    );
    let db = g.edge("app", "db").unwrap();
    assert_eq!(db.ejected_hosts.iter().collect::<Vec<_>>(), ["db-0"]);
    assert!(db.ejected());
    assert_eq!(db.failover_requests, 0);
    assert_eq!(g.edge("app", "db-remote").unwrap().failover_requests, 1);
    let service = &g.graph[g.node("db (service)").unwrap()];
    assert_eq!(service.kind, NodeKind::Service);
    assert_eq!(service.group.label(), "mesh");
    assert_eq!(g.unattributed, 1, "the socket failure");
    assert_eq!(g.edge("curl", "app").unwrap().error_share(), 0.25);
}

#[test]
fn p99_is_the_nearest_rank_percentile() {
    let e = Edge {
        latencies_ms: (1..=200).map(f64::from).collect(),
        ..Edge::default()
    };
    assert_eq!(e.p99_ms(), Some(198.0));
    assert_eq!(Edge::default().p99_ms(), None);
}

#[test]
fn columns_follow_call_depth_and_bands_the_groups() {
    let g = build::service_graph(&trace(), &pods());
    let d = depths(&g);
    let depth_of = |n: &str| d[&g.node(n).unwrap()];
    assert_eq!(
        ["curl", "app", "db", "db-remote", "db (service)"].map(depth_of),
        [0, 1, 2, 2, 2]
    );
    let l = layout(&g);
    let labels: Vec<String> = l.bands.iter().map(|b| b.group.label()).collect();
    assert_eq!(labels, ["mesh", "r1 / z1 / c1", "r1 / z2 / c1"]);
    let x = |n: &str| l.nodes[&g.node(n).unwrap()].0;
    assert!(x("curl") < x("app") && x("app") < x("db"));
    assert_eq!(x("db"), x("db-remote"));
    // Bands do not overlap and hold their nodes.
    for w in l.bands.windows(2) {
        assert!(w[0].y + w[0].height < w[1].y);
    }
    let y = |n: &str| l.nodes[&g.node(n).unwrap()].1;
    assert!(y("db-remote") > l.bands[2].y && y("db-remote") < l.bands[2].y + l.bands[2].height);
}

#[test]
fn edge_colours_and_labels_say_what_happened() {
    assert_eq!(svg::edge_color(0.0), "#7f7f7f");
    assert_eq!(svg::edge_color(1.0), "#bd0026");
    let g = build::service_graph(&trace(), &pods());
    let label = svg::edge_label(g.edge("app", "db").unwrap());
    assert_eq!(label, ["2 req · 0% err · p99 0.6 ms", "ejected: db-0"]);
    assert_eq!(
        svg::edge_label(g.edge("app", "db-remote").unwrap())[1],
        "failover 1"
    );
    let shares = [0.0, 0.0004, 0.006, 0.35].map(svg::percent);
    assert_eq!(shares, ["0%", "<0.1%", "0.6%", "35%"]);
    assert_eq!(svg::escape("a<b & 'c'"), "a&lt;b &amp; &apos;c&apos;");
}

#[test]
fn a_long_list_of_ejected_hosts_names_the_first_and_counts_the_others() {
    let edge = Edge {
        requests: 29,
        errors: 29,
        ejected_hosts: (0..29).map(|i| format!("r7-71-p0-bad-{i}")).collect(),
        ..Edge::default()
    };
    assert_eq!(
        svg::edge_label(&edge)[1],
        "ejected: r7-71-p0-bad-0 and 28 more"
    );
    let two = Edge {
        ejected_hosts: ["db-0".to_string(), "db-1".to_string()].into(),
        ..Edge::default()
    };
    assert_eq!(svg::edge_label(&two)[1], "ejected: db-0, db-1");
}

#[test]
fn the_legend_wraps_to_the_drawings_width() {
    let one_row = legend::legend_items(2000.0);
    assert!(one_row.iter().all(|p| p.row == 0));
    let narrow = legend::legend_items(648.0);
    assert_eq!(narrow.last().map(|p| p.row), Some(1));
    assert_eq!(narrow.first().map(|p| p.row), Some(0));
}
