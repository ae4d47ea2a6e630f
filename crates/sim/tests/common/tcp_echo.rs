//! The tcp-echo task in miniature, as models: tcp-echo v1/v2 behind sidecars, httpbin, the
//! Istio ingress gateway pod and a client outside the mesh; a Gateway with a TCP and an HTTP
//! server and the VirtualService bound to it.

use std::collections::BTreeMap;

use meshtwin_model::policy::*;
use meshtwin_model::scenario::LoadSpec;
use meshtwin_model::topology::*;
use meshtwin_model::traffic::gateway::*;
use meshtwin_model::traffic::http::{HttpAction, HttpRoute};
use meshtwin_model::traffic::{Destination, RouteDestination, VirtualServicePolicy};

use super::{labels, src, workload};

pub fn echo(version: &str, prefix: &str) -> Workload {
    Workload {
        namespace: "shift".into(),
        ..workload(
            &format!("tcp-echo-{version}"),
            Some(AppBehaviour {
                port: 9000,
                tcp_echo: Some(prefix.into()),
                ..AppBehaviour::default()
            }),
            &[("app", "tcp-echo"), ("version", version)],
        )
    }
}

pub fn service(name: &str, ns: &str, port: u16, protocol: Protocol, app: &str) -> Service {
    Service {
        name: name.into(),
        namespace: ns.into(),
        ports: vec![ServicePort {
            name: "p".into(),
            port,
            target_port: port,
            protocol,
        }],
        selector: labels(&[("app", app)]),
        source: src(),
    }
}

/// tcp-echo v1/v2 (sidecars) in `shift`, httpbin in `default`, the ingress gateway pod in
/// istio-system, and a client without a sidecar.
pub fn topology() -> Topology {
    let mut t = super::httpbin_topology();
    t.workloads.push(echo("v1", "one"));
    t.workloads.push(echo("v2", "two"));
    t.workloads.push(Workload {
        namespace: "istio-system".into(),
        sidecar: Sidecar::IstioGateway { concurrency: 2 },
        ..workload(
            "istio-ingressgateway",
            None,
            &[("app", "ingressgateway"), ("istio", "ingressgateway")],
        )
    });
    t.workloads.push(Workload {
        sidecar: Sidecar::None,
        ..workload("nc", None, &[("app", "nc")])
    });
    t.services.push(service(
        "tcp-echo",
        "shift",
        9000,
        Protocol::Tcp,
        "tcp-echo",
    ));
    t.services.push(Service {
        ports: vec![
            ServicePort {
                name: "tcp".into(),
                port: 31400,
                target_port: 31400,
                protocol: Protocol::Tcp,
            },
            ServicePort {
                name: "http2".into(),
                port: 80,
                target_port: 8080,
                protocol: Protocol::Http,
            },
        ],
        ..service(
            "istio-ingressgateway",
            "istio-system",
            0,
            Protocol::Tcp,
            "ingressgateway",
        )
    });
    t
}

pub fn dest(host: &str, subset: Option<&str>, port: u16, weight: u32) -> RouteDestination {
    RouteDestination {
        destination: Destination {
            host: host.into(),
            subset: subset.map(str::to_string),
            port: Some(port),
            at: Default::default(),
            subset_at: Default::default(),
        },
        weight,
        headers: Default::default(),
    }
}

pub fn server(number: u16, protocol: &str) -> GatewayServer {
    GatewayServer {
        port: GatewayPort {
            number,
            name: protocol.to_lowercase(),
            protocol: protocol.into(),
        },
        hosts: vec!["*".into()],
        tls: false,
    }
}

pub fn virtual_service(
    name: &str,
    tcp: Vec<TcpRoute>,
    http: Vec<HttpRoute>,
) -> VirtualServicePolicy {
    VirtualServicePolicy {
        name: name.into(),
        namespace: "shift".into(),
        hosts: vec!["*".into()],
        gateways: vec!["gw".into()],
        http,
        tcp,
        export_to: vec![],
        source: src(),
    }
}

/// Istio's defaults, with `maxConnections` when given.
pub fn traffic_policy(max_connections: Option<u64>) -> TrafficPolicy {
    let mut pool = PoolSettings::istio_default();
    if let Some(n) = max_connections {
        pool.thresholds.max_connections = n;
    }
    TrafficPolicy {
        pool,
        lb_policy: LbPolicy::LeastRequest,
        locality_lb: None,
        outlier_detection: None,
        port_level: BTreeMap::new(),
        origins: Default::default(),
    }
}

/// The tcp-echo Gateway (31400 TCP, 80 HTTP — the gateway Service's 80, so the pod listens
/// on 8080), subsets v1/v2, and a VirtualService bound to the Gateway: `tcp-echo` v1 / v2
/// weighted `v1_weight` / `100 - v1_weight` on 31400, and every HTTP request on 80 to httpbin.
pub fn policies(v1_weight: u32) -> MeshPolicies {
    policies_with(v1_weight, None)
}

pub fn policies_with(v1_weight: u32, max_connections: Option<u64>) -> MeshPolicies {
    let subset = |v: &str| Subset {
        name: v.into(),
        labels: labels(&[("version", v)]),
        traffic_policy: traffic_policy(max_connections),
    };
    let tcp_route = TcpRoute {
        matches: vec![L4Match {
            port: Some(31400),
            destination_subnets: vec![],
            source_labels: BTreeMap::new(),
            source_namespace: None,
            gateways: vec![],
        }],
        route: vec![
            dest("tcp-echo", Some("v1"), 9000, v1_weight),
            dest("tcp-echo", Some("v2"), 9000, 100 - v1_weight),
        ],
    };
    let http_route = HttpRoute {
        name: None,
        matches: vec![],
        action: HttpAction::Route(vec![dest("httpbin.default", None, 8000, 100)]),
        timeout: None,
        retries: None,
        fault: None,
        mirrors: vec![],
        rewrite: None,
        headers: Default::default(),
        origins: Default::default(),
    };
    MeshPolicies {
        destination_rules: vec![DestinationPolicy {
            name: "tcp-echo".into(),
            namespace: "shift".into(),
            host: "tcp-echo".into(),
            traffic_policy: traffic_policy(max_connections),
            subsets: vec![subset("v1"), subset("v2")],
            host_line: 1,
            source: src(),
        }],
        virtual_services: vec![virtual_service(
            "tcp-echo",
            vec![tcp_route],
            vec![http_route],
        )],
        gateways: vec![GatewayPolicy {
            name: "gw".into(),
            namespace: "shift".into(),
            selector: labels(&[("istio", "ingressgateway")]),
            servers: vec![server(31400, "TCP"), server(80, "HTTP")],
            source: src(),
        }],
        ..MeshPolicies::default()
    }
}

pub fn load(name: &str, url: &str, calls: u64) -> LoadSpec {
    LoadSpec {
        from: "nc".into(),
        qps: 20.0,
        url: url.into(),
        ..super::fortio(name, 1000, 1, calls)
    }
}
