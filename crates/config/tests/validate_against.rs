//! Policies checked against a topology.

use std::collections::BTreeMap;

use meshtwin_config::{parse_policies, validate_against};
use meshtwin_model::topology::{
    LinkLatency, Locality, Protocol, Service, ServicePort, Sidecar, Topology, Workload,
};
use meshtwin_model::SourceRef;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn workload(name: &str, ns: &str, sidecar: Sidecar) -> Workload {
    Workload {
        name: name.into(),
        namespace: ns.into(),
        cluster: "c".into(),
        locality: Locality {
            region: "r".into(),
            zone: "z".into(),
            subzone: String::new(),
        },
        replicas: 1,
        labels: labels(&[("app", name)]),
        sidecar,
        app: None,
        dns: Vec::new(),
        source: SourceRef {
            file: "t.yaml".into(),
            line: 1,
        },
    }
}

/// httpbin in `default`, and App Mesh node `green` + gateway `gw` in mesh `m`, namespace `ns`.
fn topology() -> Topology {
    Topology {
        name: "t".into(),
        latency: LinkLatency::default(),
        mesh: Default::default(),
        envoy: Default::default(),
        workloads: vec![
            workload("httpbin", "default", Sidecar::Istio { concurrency: 2 }),
            workload(
                "green",
                "ns",
                Sidecar::AppMesh {
                    mesh: "m".into(),
                    virtual_node: "green".into(),
                    concurrency: 2,
                },
            ),
            workload(
                "gw",
                "ns",
                Sidecar::AppMeshGateway {
                    mesh: "m".into(),
                    virtual_gateway: "gw".into(),
                    concurrency: 2,
                },
            ),
        ],
        services: vec![Service {
            name: "httpbin".into(),
            namespace: "default".into(),
            ports: vec![ServicePort {
                name: "http".into(),
                port: 8000,
                target_port: 80,
                protocol: Protocol::Http,
            }],
            selector: labels(&[("app", "httpbin")]),
            source: SourceRef {
                file: "t.yaml".into(),
                line: 1,
            },
        }],
    }
}

fn check(text: &str) -> Result<(), String> {
    let p = parse_policies("policies/x.yaml", text)
        .map_err(|e| e.to_string())?
        .value;
    validate_against(&p, &topology()).map_err(|e| e.to_string())
}

fn dr(host: &str, ns: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\n  namespace: {ns}\nspec:\n  host: {host}\n  subsets:\n  - name: nobody\n    labels: {{version: v9}}\n"
    )
}

#[test]
fn destination_rule_hosts_resolve_short_qualified_and_fqdn_names() {
    check(&dr("httpbin", "default")).unwrap();
    check(&dr("httpbin.default", "other")).unwrap();
    check(&dr("httpbin.default.svc.cluster.local", "other")).unwrap();
}

#[test]
fn a_destination_rule_for_an_unknown_service_is_an_error_at_its_host() {
    assert_eq!(
        check(&dr("httpbin", "prod")).unwrap_err(),
        "policies/x.yaml:7: DestinationRule r: spec.host: host \"httpbin\" names no service in \
         topology \"t\" (short names resolve in namespace prod; services: httpbin.default)"
    );
    assert!(check(&dr("ratings", "default"))
        .unwrap_err()
        .starts_with("policies/x.yaml:7: DestinationRule r: spec.host:"));
}

fn vn(kind: &str, name: &str, mesh: &str) -> String {
    format!(
        "apiVersion: appmesh.k8s.aws/v1beta2\nkind: {kind}\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  meshRef: {{name: {mesh}}}\n  listeners:\n    - portMapping: {{port: 8080, protocol: http}}\n"
    )
}

#[test]
fn appmesh_listeners_must_run_in_some_pod() {
    check(&vn("VirtualNode", "green", "m")).unwrap();
    check(&vn("VirtualGateway", "gw", "m")).unwrap();
    assert_eq!(
        check(&vn("VirtualNode", "blue", "m")).unwrap_err(),
        "policies/x.yaml:7: VirtualNode blue: no pod in topology \"t\" runs it: expected a workload \
         in namespace ns with sidecar {appMesh: {mesh: m, virtualNode: blue}}"
    );
    // The right name in the wrong mesh, or a gateway named like a node, does not count.
    assert!(check(&vn("VirtualNode", "green", "other")).is_err());
    assert!(check(&vn("VirtualGateway", "green", "m")).is_err());
}

fn gateway(selector: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: tcp-echo-gateway, namespace: default}}\nspec:\n  selector: {selector}\n  servers:\n  - port: {{number: 31400, name: tcp, protocol: TCP}}\n    hosts: ['*']\n"
    )
}

#[test]
fn a_gateway_must_select_some_pod_as_istioctl_analyze_says() {
    // httpbin's pod has app=httpbin (in any namespace: Istio's default gateway scope).
    check(&gateway("{app: httpbin}")).unwrap();
    check(&gateway("{}")).unwrap();
    assert_eq!(
        check(&gateway("{istio: ingressgateway}")).unwrap_err(),
        "policies/x.yaml:1: Gateway tcp-echo-gateway: spec.selector: Referenced selector not \
         found: \"istio=ingressgateway\" (no pod of topology \"t\" has these labels)"
    );
    assert!(check(&gateway("{app: httpbin, version: v9}"))
        .unwrap_err()
        .contains("Referenced selector not found: \"app=httpbin,version=v9\""));
}
