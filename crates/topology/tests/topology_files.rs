//! Topology files: what they lower to, and every mistake located.

use std::path::Path;
use std::time::Duration;

use meshtwin_model::topology::{LatencyDist, LinkLatency, Protocol, Sidecar};
use meshtwin_topology::{load_topology, parse_topology};

/// One workload `w` (entry at line 8) in region r / zone z / cluster c, plus `extra` after it.
fn with_workload(workload: &str, extra: &str) -> String {
    format!(
        "name: t\nregions:\n  - name: r\n    zones:\n      - name: z\n        clusters:\n          - name: c\n            workloads:\n              - name: w\n{workload}{extra}"
    )
}

fn message(text: &str) -> String {
    match parse_topology("topologies/x.yaml", text) {
        Ok(t) => panic!("expected an error, got {t:?}"),
        Err(e) => e.to_string(),
    }
}

const W: &str = "                ";

#[test]
fn the_bundled_topologies_lower_to_their_snapshots() {
    for name in ["appmesh-colors", "bookinfo", "httpbin"] {
        let t = load_topology(Path::new(&format!("../../topologies/{name}.yaml")))
            .unwrap_or_else(|e| panic!("{e}"))
            .value;
        insta::assert_yaml_snapshot!(name, t);
    }
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let t = parse_topology(
        "x.yaml",
        &with_workload(&format!("{W}app: {{port: 80}}\n"), ""),
    )
    .unwrap()
    .value;
    assert_eq!(t.latency, LinkLatency::default());
    let w = &t.workloads[0];
    assert_eq!(
        (w.namespace.as_str(), w.replicas, &w.sidecar),
        ("default", 1, &Sidecar::None)
    );
    assert_eq!(
        (
            w.locality.region.as_str(),
            w.locality.zone.as_str(),
            w.cluster.as_str()
        ),
        ("r", "z", "c")
    );
    let app = w.app.as_ref().unwrap();
    assert_eq!(
        app.latency,
        LatencyDist::Fixed {
            value: Duration::from_millis(1)
        }
    );
    assert_eq!(
        (
            app.error_rate,
            app.error_status,
            app.concurrency,
            app.response_bytes
        ),
        (0.0, 500, None, 256)
    );
    assert_eq!(w.source.line, 9);
}

#[test]
fn sidecars_and_latencies_read_in_every_form() {
    let cases = [
        ("sidecar: istio", Sidecar::Istio { concurrency: 2 }),
        (
            "sidecar: {istio: {concurrency: 4}}",
            Sidecar::Istio { concurrency: 4 },
        ),
        (
            "sidecar: {appMesh: {mesh: m, virtualNode: green}}",
            Sidecar::AppMesh {
                mesh: "m".into(),
                virtual_node: "green".into(),
                concurrency: 2,
            },
        ),
        (
            "sidecar: {appMeshGateway: {mesh: m, virtualGateway: gw, concurrency: 1}}",
            Sidecar::AppMeshGateway {
                mesh: "m".into(),
                virtual_gateway: "gw".into(),
                concurrency: 1,
            },
        ),
        ("sidecar: none", Sidecar::None),
    ];
    for (line, want) in cases {
        let t = parse_topology("x.yaml", &with_workload(&format!("{W}{line}\n"), ""))
            .unwrap()
            .value;
        assert_eq!(t.workloads[0].sidecar, want, "{line}");
    }
    let ms = Duration::from_millis;
    for (latency, want) in [
        ("2ms", LatencyDist::Fixed { value: ms(2) }),
        ("{fixed: 3ms}", LatencyDist::Fixed { value: ms(3) }),
        (
            "{uniform: [1ms, 3ms]}",
            LatencyDist::Uniform {
                min: ms(1),
                max: ms(3),
            },
        ),
        (
            "{exponential: 2ms}",
            LatencyDist::Exponential { mean: ms(2) },
        ),
    ] {
        let w = format!("{W}app: {{port: 80, latency: {latency}}}\n");
        let t = parse_topology("x.yaml", &with_workload(&w, ""))
            .unwrap()
            .value;
        assert_eq!(
            t.workloads[0].app.as_ref().unwrap().latency,
            want,
            "{latency}"
        );
    }
}

#[test]
fn service_protocols_follow_istios_port_naming() {
    let services = "services:
  - name: s
    selector: {app: w}
    ports:
      - {name: http-web, port: 1}
      - {name: http2, port: 2}
      - {name: grpc, port: 3}
      - {name: grpc-web, port: 4}
      - {name: tcp-db, port: 5}
      - {name: mongo, port: 6}
      - {port: 7}
      - {name: custom, port: 8, protocol: grpc}
";
    let t = parse_topology(
        "x.yaml",
        &with_workload(&format!("{W}labels: {{app: w}}\n"), services),
    )
    .unwrap()
    .value;
    let protocols: Vec<Protocol> = t.services[0].ports.iter().map(|p| p.protocol).collect();
    use Protocol::*;
    assert_eq!(protocols, [Http, Http2, Grpc, Http, Tcp, Tcp, Http, Grpc]);
    assert_eq!(t.services[0].ports[0].target_port, 1);
    assert_eq!(t.services[0].namespace, "default");
}

#[test]
fn duplicate_workload_names_are_an_error() {
    let text = with_workload("", "              - name: w\n");
    assert_eq!(
        message(&text),
        "topologies/x.yaml:10: regions[0].zones[0].clusters[0].workloads[1].name: duplicate workload \
         name \"w\" (first at line 9): pod names `<workload>-<i>` must be unique in the topology"
    );
}

#[test]
fn negative_replicas_are_an_error() {
    assert_eq!(
        message(&with_workload(&format!("{W}replicas: -1\n"), "")),
        "topologies/x.yaml:10: regions[0].zones[0].clusters[0].workloads[0].replicas: must be >= 0"
    );
    let t = parse_topology("x.yaml", &with_workload(&format!("{W}replicas: 0\n"), "")).unwrap();
    assert_eq!((t.value.workloads[0].replicas, t.warnings.len()), (0, 0));
}

#[test]
fn a_target_port_no_selected_app_listens_on_is_an_error() {
    let services = "services:\n  - name: s\n    selector: {app: w}\n    ports: [{name: http, port: 8000, targetPort: 81}]\n";
    let text = with_workload(
        &format!("{W}labels: {{app: w}}\n{W}app: {{port: 80}}\n"),
        services,
    );
    assert_eq!(
        message(&text),
        "topologies/x.yaml:15: services[0].ports[0].targetPort: no selected pod's app listens on port 81 \
         (selected apps: w on 80)"
    );
}

#[test]
fn services_that_select_nothing_or_only_appless_pods_are_fine() {
    let services = "services:
  - {name: nothing, selector: {app: nobody}, ports: [{port: 1}]}
  - {name: headless, ports: [{port: 2}]}
  - {name: loadgen, selector: {app: w}, ports: [{port: 8080}]}
";
    let t = parse_topology(
        "x.yaml",
        &with_workload(&format!("{W}labels: {{app: w}}\n"), services),
    )
    .unwrap();
    assert_eq!(t.value.services.len(), 3);
}

#[test]
fn duplicate_services_are_an_error() {
    let services = "services:\n  - {name: s, ports: [{port: 1}]}\n  - {name: s, namespace: default, ports: [{port: 2}]}\n";
    assert_eq!(
        message(&with_workload("", services)),
        "topologies/x.yaml:12: services[1].name: duplicate service s.default (first at line 11)"
    );
}

#[test]
fn unknown_fields_are_errors() {
    assert_eq!(
        message(&with_workload(&format!("{W}replica: 2\n"), "")),
        "topologies/x.yaml:10: regions[0].zones[0].clusters[0].workloads[0].replica: unknown field; \
         did you mean replicas? (expected one of: name, namespace, replicas, labels, sidecar, app, subzone, dns)"
    );
    assert_eq!(
        message(&with_workload(&format!("{W}app: {{port: 80, errorrate: 0.1}}\n"), "")),
        "topologies/x.yaml:10: regions[0].zones[0].clusters[0].workloads[0].app.errorrate: unknown field; \
         did you mean errorRate? (expected one of: port, latency, errorRate, errorStatus, concurrency, responseBytes, calls, routes, tcpEcho)"
    );
}

#[test]
fn sidecar_shapes_are_checked() {
    let p = "regions[0].zones[0].clusters[0].workloads[0].sidecar";
    assert_eq!(
        message(&with_workload(&format!("{W}sidecar: linkerd\n"), "")),
        format!(
            "topologies/x.yaml:10: {p}: unknown sidecar \"linkerd\" (expected none, istio, \
                 {{istio: {{...}}}}, {{appMesh: {{...}}}}, {{appMeshGateway: {{...}}}} or istioGateway)"
        )
    );
    assert_eq!(
        message(&with_workload(&format!("{W}sidecar: appMesh\n"), "")),
        format!(
            "topologies/x.yaml:10: {p}: appMesh needs its mesh and virtual node: \
                 {{appMesh: {{mesh: ..., virtualNode: ...}}}}"
        )
    );
    assert_eq!(
        message(&with_workload(
            &format!("{W}sidecar: {{appMesh: {{mesh: m}}}}\n"),
            ""
        )),
        format!("topologies/x.yaml:10: {p}.appMesh: missing field `virtualNode`")
    );
    assert_eq!(
        message(&with_workload(
            &format!("{W}sidecar: {{istio: {{}}, appMesh: {{}}}}\n"),
            ""
        )),
        format!(
            "topologies/x.yaml:10: {p}: expected exactly one of istio, appMesh, appMeshGateway, istioGateway"
        )
    );
    assert_eq!(
        message(&with_workload(
            &format!("{W}sidecar: {{appMeshGateway: {{mesh: m, virtualGateway: g}}}}\n{W}app: {{port: 1}}\n"),
            ""
        )),
        "topologies/x.yaml:11: regions[0].zones[0].clusters[0].workloads[0].app: a virtual gateway pod \
         is only an Envoy: it runs no app"
    );
    assert_eq!(
        message(&with_workload(
            &format!("{W}sidecar: istioGateway\n{W}app: {{port: 1}}\n"),
            ""
        )),
        "topologies/x.yaml:11: regions[0].zones[0].clusters[0].workloads[0].app: an Istio gateway \
         pod is only an Envoy: it runs no app"
    );
}

#[test]
fn an_istio_gateway_pod_and_a_tcp_echo_app_are_read() {
    let t = parse_topology(
        "topologies/x.yaml",
        &with_workload(
            &format!("{W}sidecar: {{istioGateway: {{concurrency: 4}}}}\n"),
            "",
        ),
    )
    .unwrap()
    .value;
    assert_eq!(
        t.workloads[0].sidecar,
        Sidecar::IstioGateway { concurrency: 4 }
    );
    let t = parse_topology(
        "topologies/x.yaml",
        &with_workload(&format!("{W}app: {{port: 9000, tcpEcho: one}}\n"), ""),
    )
    .unwrap()
    .value;
    assert_eq!(
        t.workloads[0].app.as_ref().unwrap().tcp_echo.as_deref(),
        Some("one")
    );
    let p = "regions[0].zones[0].clusters[0].workloads[0].app.tcpEcho";
    assert_eq!(
        message(&with_workload(
            &format!("{W}app: {{port: 9000, tcpEcho: one, calls: [{{host: a, port: 1}}]}}\n"),
            ""
        )),
        format!("topologies/x.yaml:10: {p}: a tcpEcho app only echoes: it makes no calls")
    );
}

#[test]
fn app_shapes_are_checked() {
    let p = "regions[0].zones[0].clusters[0].workloads[0].app";
    assert_eq!(
        message(&with_workload(&format!("{W}app: {{latency: 2ms}}\n"), "")),
        format!("topologies/x.yaml:10: {p}: missing field `port`")
    );
    assert_eq!(
        message(&with_workload(
            &format!("{W}app: {{port: 80, errorRate: 1.5}}\n"),
            ""
        )),
        format!("topologies/x.yaml:10: {p}.errorRate: must be a probability between 0 and 1")
    );
    assert_eq!(
        message(&with_workload(
            &format!("{W}app: {{port: 80, latency: {{uniform: [3ms, 1ms]}}}}\n"),
            ""
        )),
        format!("topologies/x.yaml:10: {p}.latency.uniform[1]: max is below min")
    );
    assert_eq!(
        message(&with_workload(&format!("{W}app: {{port: 80, latency: {{normal: 2ms}}}}\n"), "")),
        format!("topologies/x.yaml:10: {p}.latency.normal: unknown field (expected one of: fixed, uniform, exponential)")
    );
    assert_eq!(
        message(&with_workload(&format!("{W}app: {{port: 70000}}\n"), "")),
        format!("topologies/x.yaml:10: {p}.port: must be <= 65535")
    );
}

#[test]
fn a_missing_topology_file_is_an_error() {
    assert_eq!(
        load_topology(Path::new("topologies/nope.yaml"))
            .unwrap_err()
            .to_string(),
        "topologies/nope.yaml:1: cannot read file: No such file or directory"
    );
}

#[test]
fn app_calls_read_with_their_timeouts_retries_and_error_text() {
    let services = "services:\n  - name: s\n    selector: {app: w}\n    ports: [{name: http, port: 8000, targetPort: 80}]\n";
    let text = with_workload(
        &format!(
            "{W}labels: {{app: w}}\n{W}app:\n{W}  port: 80\n{W}  calls:\n{W}    - {{host: s, port: 8000, path: /x, timeout: 2500ms, retries: 1, propagate: [end-user], onError: oops}}\n"
        ),
        services,
    );
    let t = parse_topology("topologies/x.yaml", &text)
        .expect("valid")
        .value;
    let call = &t.workloads[0].app.as_ref().expect("app").calls[0];
    assert_eq!(
        (call.host.as_str(), call.port, call.path.as_str()),
        ("s", 8000, "/x")
    );
    assert_eq!(call.timeout, Some(Duration::from_millis(2500)));
    assert_eq!((call.retries, call.on_error.as_str()), (1, "oops"));
    assert_eq!(call.propagate, vec!["end-user".to_string()]);
}

#[test]
fn an_app_call_must_be_sendable_as_an_http_request() {
    let call = |fields: &str| {
        with_workload(
            &format!(
                "{W}app:\n{W}  port: 80\n{W}  calls:\n{W}    - {{host: w, port: 80, {fields}}}\n"
            ),
            "services:\n  - {name: w, selector: {app: w}, ports: [{port: 80}]}\n",
        )
    };
    assert_eq!(
        message(&call("path: /a b")),
        "topologies/x.yaml:13: regions[0].zones[0].clusters[0].workloads[0].app.calls[0].path: \
         ' ' cannot appear in a URL's path as it is sent: percent-encode it"
    );
    assert_eq!(
        message(&call("propagate: [end-user, 'x user']")),
        "topologies/x.yaml:13: regions[0].zones[0].clusters[0].workloads[0].app.calls[0]\
         .propagate[1]: \"x user\" is not an HTTP header name (letters, digits and \
         !#$%&'*+-.^_`|~ only)"
    );
}

#[test]
fn an_app_call_to_an_unknown_service_is_an_error() {
    let text = with_workload(
        &format!("{W}app:\n{W}  port: 80\n{W}  calls: [{{host: nosuch, port: 80}}]\n"),
        "services: []\n",
    );
    assert_eq!(
        message(&text),
        "topologies/x.yaml:9: workload w: app.calls[0].host: no service 'nosuch' in the topology"
    );
}

#[test]
fn a_topology_names_its_mesh_release_and_its_proxies_follow_it() {
    let text = format!(
        "mesh: {{istio: \"1.19\"}}\nenvoy: {{ejectionTime: linear}}\n{}",
        with_workload(&format!("{W}sidecar: istio\n"), "")
    );
    let t = parse_topology("x.yaml", &text).unwrap().value;
    assert_eq!(
        t.mesh.istio_release().version,
        meshtwin_model::release::Version::new(1, 19)
    );
    let envoy = t.envoy_for(&t.workloads[0].sidecar);
    assert_eq!(
        envoy.max_ejection,
        meshtwin_model::topology::MaxEjectionRule::FirstHostExempt,
        "Istio 1.19 ships Envoy 1.27"
    );
    assert_eq!(
        envoy.ejection_time,
        meshtwin_model::topology::EjectionTimeRule::Linear,
        "the explicit switch wins"
    );
    assert_eq!(
        message("mesh: {istio: \"1.40\"}\nname: t\nregions: []\n"),
        "topologies/x.yaml:1: mesh.istio: Istio 1.40 is not modelled: the twin models Istio 1.1 \
         to 1.30"
    );
}
