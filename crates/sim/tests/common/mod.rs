//! Small model builders for the simulator's tests (the bundled YAML is tested end to end in
//! the CLI's tests).
#![allow(dead_code)]

pub mod tcp_echo;

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::policy::*;
use meshtwin_model::scenario::{LoadSpec, Scenario};
use meshtwin_model::topology::*;
use meshtwin_model::SourceRef;

pub fn src() -> SourceRef {
    SourceRef {
        file: "test".into(),
        line: 1,
    }
}

pub fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn workload(name: &str, app: Option<AppBehaviour>, lbl: &[(&str, &str)]) -> Workload {
    Workload {
        name: name.into(),
        namespace: "default".into(),
        cluster: "c1".into(),
        locality: Locality {
            region: "r1".into(),
            zone: "z1".into(),
            subzone: String::new(),
        },
        replicas: 1,
        labels: labels(lbl),
        sidecar: Sidecar::Istio { concurrency: 2 },
        app,
        dns: Vec::new(),
        source: src(),
    }
}

/// httpbin (app port 80, service port 8000) + a fortio pod, both with Istio sidecars.
pub fn httpbin_topology() -> Topology {
    Topology {
        name: "httpbin".into(),
        latency: LinkLatency {
            same_zone: Duration::from_micros(100),
            cross_zone: Duration::from_micros(500),
            cross_region: Duration::from_millis(30),
        },
        mesh: Default::default(),
        envoy: Default::default(),
        workloads: vec![
            workload(
                "httpbin",
                Some(AppBehaviour {
                    port: 80,
                    latency: LatencyDist::Uniform {
                        min: Duration::from_millis(1),
                        max: Duration::from_millis(3),
                    },
                    ..AppBehaviour::default()
                }),
                &[("app", "httpbin")],
            ),
            workload("fortio", None, &[("app", "fortio")]),
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
            source: src(),
        }],
    }
}

/// The R1 DestinationRule, lowered.
pub fn circuit_breaker_policy() -> MeshPolicies {
    let pool = PoolSettings {
        thresholds: Thresholds {
            max_connections: 1,
            max_pending_requests: 1,
            ..Thresholds::ISTIO_DEFAULT
        },
        max_requests_per_connection: Some(1),
        ..PoolSettings::istio_default()
    };
    MeshPolicies {
        destination_rules: vec![DestinationPolicy {
            name: "httpbin".into(),
            namespace: "default".into(),
            host: "httpbin".into(),
            traffic_policy: TrafficPolicy {
                pool,
                lb_policy: LbPolicy::LeastRequest,
                locality_lb: None,
                outlier_detection: None,
                port_level: BTreeMap::new(),
                origins: Default::default(),
            },
            subsets: vec![],
            host_line: 1,
            source: src(),
        }],
        ..MeshPolicies::default()
    }
}

pub fn fortio(name: &str, start_ms: u64, c: u32, n: u64) -> LoadSpec {
    LoadSpec {
        name: name.into(),
        from: "fortio".into(),
        start: Duration::from_millis(start_ms),
        connections: c,
        qps: 0.0,
        calls: Some(n),
        duration: None,
        url: "http://httpbin:8000/get".into(),
        method: "GET".into(),
        headers: BTreeMap::new(),
        timeout: Duration::from_secs(3),
    }
}

pub fn scenario(seed: u64, loads: Vec<LoadSpec>) -> Scenario {
    Scenario {
        name: "test".into(),
        description: String::new(),
        file: "test".into(),
        topology: "test".into(),
        policies: vec![],
        seed,
        duration: Duration::from_secs(20),
        loads,
        expectations: vec![],
        timeline: Vec::new(),
        control_plane: Default::default(),
        envoy: Default::default(),
        variants: Vec::new(),
        mesh: Default::default(),
        seeds: Vec::new(),
        digest: Default::default(),
    }
}
