//! The mesh's shape: where every pod runs, which services select it, how its app behaves.
//!
//! The topology file is nested (regions → zones → clusters → workloads); this model is flat:
//! every [`Workload`] carries its [`Locality`] and Kubernetes cluster, and [`Topology::pods`]
//! expands replicas into pods in a stable order.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::app::{AppBehaviour, AppCall, AppRoute, LatencyDist, PathMatch, Served};
pub use crate::envoy::{
    EjectionTimeRule, EnvoyOverrides, EnvoySettings, ListenerBalance, MaxEjectionRule,
};
use crate::release::MeshRelease;

use crate::SourceRef;

/// Region / zone / subzone, as Envoy's `Locality`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Locality {
    pub region: String,
    pub zone: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subzone: String,
}

/// One-way latency of a link between two pods, by how far apart they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkLatency {
    /// Both pods in the same zone.
    #[serde(with = "crate::duration::ms")]
    pub same_zone: Duration,
    /// Same region, different zone.
    #[serde(with = "crate::duration::ms")]
    pub cross_zone: Duration,
    /// Different regions.
    #[serde(with = "crate::duration::ms")]
    pub cross_region: Duration,
}

impl Default for LinkLatency {
    fn default() -> Self {
        Self {
            same_zone: Duration::from_micros(100),
            cross_zone: Duration::from_micros(500),
            cross_region: Duration::from_millis(30),
        }
    }
}

impl LinkLatency {
    /// One-way latency between two localities.
    pub fn between(&self, a: &Locality, b: &Locality) -> Duration {
        if a.region != b.region {
            self.cross_region
        } else if a.zone != b.zone {
            self.cross_zone
        } else {
            self.same_zone
        }
    }
}

/// Which proxy, if any, runs beside the app in each pod of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sidecar {
    /// No proxy: the app talks to the network directly.
    None,
    /// Istio's injected `istio-proxy`.
    Istio {
        /// Envoy worker threads (`proxyConfig.concurrency`; Istio's default sidecar has 2).
        concurrency: u32,
    },
    /// App Mesh's Envoy, configured by a virtual node.
    AppMesh {
        mesh: String,
        /// The Kubernetes name of the `VirtualNode` (for example `green`).
        virtual_node: String,
        concurrency: u32,
    },
    /// The pod *is* an Envoy: an App Mesh virtual gateway (no app beside it).
    AppMeshGateway {
        mesh: String,
        virtual_gateway: String,
        concurrency: u32,
    },
    /// The pod *is* an Envoy: a standalone Istio gateway (`istio-ingressgateway`), configured
    /// by the `Gateway` resources whose `selector` matches its labels (no app beside it).
    IstioGateway { concurrency: u32 },
}

impl Sidecar {
    /// Envoy worker count, 0 when there is no proxy.
    pub fn concurrency(&self) -> u32 {
        match self {
            Sidecar::None => 0,
            Sidecar::Istio { concurrency }
            | Sidecar::AppMesh { concurrency, .. }
            | Sidecar::AppMeshGateway { concurrency, .. }
            | Sidecar::IstioGateway { concurrency } => *concurrency,
        }
    }
}

/// Application protocol of a service port (Istio's port naming / appProtocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http,
    Http2,
    Grpc,
    Tcp,
}

/// A Deployment: `replicas` identical pods in one locality of one Kubernetes cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub name: String,
    pub namespace: String,
    /// Kubernetes cluster name.
    pub cluster: String,
    pub locality: Locality,
    pub replicas: u32,
    pub labels: BTreeMap<String, String>,
    pub sidecar: Sidecar,
    /// `None` for pods that run only a load generator or only a gateway.
    pub app: Option<AppBehaviour>,
    /// DNS names that resolve to this workload's pods (hosts outside the mesh that a
    /// ServiceEntry with `resolution: DNS` names, e.g. `dynamodb.us-east-1.amazonaws.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    pub source: SourceRef,
}

/// One port of a Kubernetes Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePort {
    pub name: String,
    pub port: u16,
    pub target_port: u16,
    pub protocol: Protocol,
}

/// A Kubernetes Service selecting pods by labels (in its namespace and cluster set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub namespace: String,
    pub ports: Vec<ServicePort>,
    pub selector: BTreeMap<String, String>,
    pub source: SourceRef,
}

impl Service {
    /// `name.namespace.svc.cluster.local`
    pub fn fqdn(&self) -> String {
        format!("{}.{}.svc.cluster.local", self.name, self.namespace)
    }
}

/// One running pod: a host in the simulated network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pod {
    /// `<workload>-<replica index>`, unique in the topology.
    pub name: String,
    pub workload: String,
    pub namespace: String,
    pub cluster: String,
    pub locality: Locality,
    pub labels: BTreeMap<String, String>,
    pub sidecar: Sidecar,
    pub app: Option<AppBehaviour>,
}

/// The whole mesh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub name: String,
    pub latency: LinkLatency,
    /// The mesh release modelled (after a run's scenario and caller overrides: the one the
    /// run models).
    #[serde(default)]
    pub mesh: MeshRelease,
    /// Envoy switches set explicitly, over every proxy's release default.
    #[serde(default)]
    pub envoy: EnvoyOverrides,
    /// Ordered as in the file.
    pub workloads: Vec<Workload>,
    /// Ordered as in the file.
    pub services: Vec<Service>,
}

impl Topology {
    /// The Envoy behaviour of the proxy beside (or as) a pod with `sidecar`: its release's
    /// Envoy, with the explicit switches over it.
    pub fn envoy_for(&self, sidecar: &Sidecar) -> EnvoySettings {
        self.envoy.apply(self.mesh.envoy_for(sidecar))
    }

    /// Every pod, workload by workload in file order, replicas in index order.
    pub fn pods(&self) -> Vec<Pod> {
        let mut pods = Vec::new();
        for w in &self.workloads {
            for i in 0..w.replicas {
                pods.push(Pod {
                    name: format!("{}-{}", w.name, i),
                    workload: w.name.clone(),
                    namespace: w.namespace.clone(),
                    cluster: w.cluster.clone(),
                    locality: w.locality.clone(),
                    labels: w.labels.clone(),
                    sidecar: w.sidecar.clone(),
                    app: w.app.clone(),
                });
            }
        }
        pods
    }

    /// Find a service by short name, `name.namespace`, or FQDN. `default_ns` resolves short names.
    pub fn service(&self, host: &str, default_ns: &str) -> Option<&Service> {
        let host = host.trim_end_matches(".svc.cluster.local");
        let (name, ns) = match host.split_once('.') {
            Some((n, ns)) => (n, ns),
            None => (host, default_ns),
        };
        self.services
            .iter()
            .find(|s| s.name == name && s.namespace == ns)
    }

    /// Pods a service selects, in pod order.
    pub fn endpoints_of<'a>(&self, svc: &Service, pods: &'a [Pod]) -> Vec<&'a Pod> {
        pods.iter()
            .filter(|p| {
                p.namespace == svc.namespace
                    && svc.selector.iter().all(|(k, v)| p.labels.get(k) == Some(v))
            })
            .collect()
    }
}
