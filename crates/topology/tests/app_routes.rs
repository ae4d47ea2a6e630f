//! `app.routes`: an app's behaviour by path and method, read as written, every mistake located.

use std::time::Duration;

use meshtwin_model::topology::{AppBehaviour, LatencyDist, PathMatch};
use meshtwin_topology::parse_topology;

const SERVICES: &str = "services:\n  - name: s\n    selector: {app: w}\n    ports: [{name: http, port: 8000, targetPort: 80}]\n";

/// One workload `w` whose `app:` body is `app` (indented under the workload), behind service s.
fn topology(app: &str) -> String {
    let body: String = app
        .lines()
        .map(|l| format!("                  {l}\n"))
        .collect();
    format!(
        "name: t\nregions:\n  - name: r\n    zones:\n      - name: z\n        clusters:\n          - name: c\n            workloads:\n              - name: w\n                labels: {{app: w}}\n                app:\n{body}{SERVICES}"
    )
}

fn app(body: &str) -> AppBehaviour {
    let t = parse_topology("topologies/x.yaml", &topology(body))
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    t.workloads[0].app.clone().expect("an app")
}

fn message(body: &str) -> String {
    match parse_topology("topologies/x.yaml", &topology(body)) {
        Ok(t) => panic!("expected an error, got {t:?}"),
        Err(e) => e.to_string(),
    }
}

const P: &str = "topologies/x.yaml";
const A: &str = "regions[0].zones[0].clusters[0].workloads[0].app";

#[test]
fn routes_read_in_order_with_only_the_fields_they_set() {
    let a = app("port: 80\nerrorStatus: 502\nroutes:\n  - {prefix: /ping}\n  - {path: /get, methods: [GET, HEAD], errorRate: 1, errorStatus: 503}\n  - {prefix: /slow, latency: 40ms, responseBytes: 9, calls: []}\n  - {methods: [POST], calls: [{host: s, port: 8000, path: /x}]}\n");
    assert_eq!(a.routes.len(), 4);
    assert_eq!(a.routes[0].path, PathMatch::Prefix("/ping".into()));
    assert_eq!(a.routes[0].error_rate, None);
    assert_eq!(a.routes[1].path, PathMatch::Exact("/get".into()));
    assert_eq!(a.routes[1].methods, vec!["GET".to_string(), "HEAD".into()]);
    assert_eq!(
        (a.routes[1].error_rate, a.routes[1].error_status),
        (Some(1.0), Some(503))
    );
    assert_eq!(
        a.routes[2].latency,
        Some(LatencyDist::Fixed {
            value: Duration::from_millis(40)
        })
    );
    assert_eq!(a.routes[2].calls, Some(vec![]));
    assert_eq!(a.routes[3].path, PathMatch::Prefix("/".into()));
    assert_eq!(
        a.routes[3].calls.as_ref().map(|c| c[0].path.as_str()),
        Some("/x")
    );
}

#[test]
fn a_request_gets_the_first_matching_route_and_the_app_fills_what_it_leaves_out() {
    let a = app("port: 80\nerrorRate: 0.25\nerrorStatus: 502\nlatency: 3ms\ncalls: [{host: s, port: 8000}]\nroutes:\n  - {prefix: /ping, errorRate: 0}\n  - {prefix: /get, methods: [GET], errorStatus: 503, calls: []}\n  - {prefix: /g, errorRate: 1}\n");
    let ping = a.for_request("GET", "/ping?verbose=1");
    assert_eq!((ping.error_rate, ping.error_status), (0.0, 502));
    assert_eq!(ping.calls.len(), 1, "a route without calls makes the app's");
    let get = a.for_request("GET", "/get/1");
    assert_eq!((get.error_rate, get.error_status), (0.25, 503));
    assert!(get.calls.is_empty(), "`calls: []` makes none");
    // A POST to /get is not the GET route's: the next route that matches (/g) wins.
    let post = a.for_request("POST", "/get");
    assert_eq!((post.error_rate, post.error_status), (1.0, 502));
    // Nothing matches /other: the app's own behaviour.
    let other = a.for_request("GET", "/other");
    assert_eq!((other.error_rate, other.error_status), (0.25, 502));
    assert_eq!(
        other.latency,
        &LatencyDist::Fixed {
            value: Duration::from_millis(3)
        }
    );
}

#[test]
fn an_app_without_routes_serves_every_request_as_before() {
    let a = app("port: 80\nerrorRate: 0.5\n");
    assert!(a.routes.is_empty());
    let s = a.for_request("DELETE", "/anything");
    assert_eq!(
        (s.error_rate, s.error_status, s.response_bytes),
        (0.5, 500, 256)
    );
    // Nothing about routes is written for such an app: outputs that embed the topology stay
    // as they were.
    let yaml = serde_json::to_string(&a).expect("serialises");
    assert!(!yaml.contains("routes"), "{yaml}");
}

#[test]
fn an_unknown_route_field_is_located_and_the_nearest_field_suggested() {
    assert_eq!(
        message("port: 80\nroutes:\n  - {prefix: /get, erorRate: 1}\n"),
        format!(
            "{P}:14: {A}.routes[0].erorRate: unknown field; did you mean errorRate? (expected \
             one of: prefix, path, methods, latency, errorRate, errorStatus, responseBytes, calls)"
        )
    );
    assert_eq!(
        message("port: 80\nroutes:\n  - {prefix: /get, colour: red}\n"),
        format!(
            "{P}:14: {A}.routes[0].colour: unknown field (expected one of: prefix, path, \
             methods, latency, errorRate, errorStatus, responseBytes, calls)"
        )
    );
}

#[test]
fn route_shapes_are_checked() {
    assert_eq!(
        message("port: 80\nroutes:\n  - {prefix: /a, path: /a}\n"),
        format!("{P}:14: {A}.routes[0]: set `prefix` or `path`, not both")
    );
    assert_eq!(
        message("port: 80\nroutes:\n  - {prefix: get}\n"),
        format!("{P}:14: {A}.routes[0].prefix: must start with '/'")
    );
    assert_eq!(
        message("port: 80\nroutes:\n  - {path: /get?x=1}\n"),
        format!("{P}:14: {A}.routes[0].path: is matched without the query string: leave out `?…`")
    );
    assert_eq!(
        message("port: 80\nroutes:\n  - {methods: [get]}\n"),
        format!(
            "{P}:14: {A}.routes[0].methods[0]: unknown value \"get\" (expected one of: GET, \
             HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH)"
        )
    );
    assert_eq!(
        message("port: 80\nroutes:\n  - {errorRate: 2}\n"),
        format!("{P}:14: {A}.routes[0].errorRate: must be a probability between 0 and 1")
    );
    assert_eq!(
        message("port: 80\nroutes: [{prefix: /}]\ntcpEcho: one\n"),
        format!("{P}:14: {A}.tcpEcho: a tcpEcho app only echoes: it has no HTTP routes")
    );
}

#[test]
fn a_route_call_to_an_unknown_service_is_located_at_the_route() {
    assert_eq!(
        message("port: 80\nroutes:\n  - {prefix: /, calls: [{host: s, port: 8000}, {host: nosuch, port: 80}]}\n"),
        "topologies/x.yaml:9: workload w: app.routes[0].calls[1].host: no service 'nosuch' in the topology"
    );
}
