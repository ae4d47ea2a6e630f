//! meshtwin topology files → [`meshtwin_model::topology::Topology`].
//!
//! A topology says where every pod runs, which proxy sits beside it, how its app behaves and
//! which services select it. The file nests placement (regions → zones → Kubernetes clusters →
//! workloads); the model is flat, every workload carrying its locality and cluster.
//!
//! ```yaml
//! name: httpbin
//! latency: {sameZone: 1ms, crossZone: 2ms, crossRegion: 30ms}   # one-way; optional
//! envoy: {listenerBalance: reusePort}   # or sharedSocket (older Envoy); optional; also
//!                                       # maxEjectionPercentRule, ejectionTime (spec §10)
//! regions:
//!   - name: us-west-2
//!     zones:
//!       - name: us-west-2a
//!         clusters:
//!           - name: cluster-1
//!             workloads:
//!               - name: httpbin
//!                 namespace: default              # default "default"
//!                 replicas: 1                     # default 1
//!                 labels: {app: httpbin, version: v1}
//!                 sidecar: istio                  # none | istio | {istio: {concurrency: 2}}
//!                                                 # | {appMesh: {mesh: m, virtualNode: green}}
//!                                                 # | {appMeshGateway: {mesh: m, virtualGateway: gw}}
//!                                                 # | istioGateway (istio-ingressgateway)
//!                 app: {port: 80, latency: {uniform: [1ms, 3ms]}}   # absent: no app
//!                 # or Istio's tcp-echo: app: {port: 9000, tcpEcho: one}
//! services:
//!   - name: httpbin
//!     namespace: default
//!     ports: [{name: http, port: 8000, targetPort: 80}]
//!     selector: {app: httpbin}
//! ```
//!
//! Field by field: [`latency`] (link latencies, service-time distributions), [`workload`]
//! (replicas, labels, sidecar, app), [`service`] (ports, protocols, selectors). Unknown fields
//! are errors. Validation, each a [`ConfigError`] at `file:line: path`:
//! workload names are unique in the topology (pod names are `<workload>-<i>`); replicas ≥ 0;
//! a virtual gateway or Istio gateway pod runs no app; every service port's `targetPort` is the app port of some
//! selected pod that runs an app (a selector matching nothing is fine).
//!
//! Files are read with [`meshtwin_config::source`], so errors look like policy errors.
#![forbid(unsafe_code)]

pub mod latency;
pub mod service;
pub mod workload;

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_config::decode::{Ctx, Result, Val};
use meshtwin_config::source::{self, Document};
pub use meshtwin_config::ConfigError;
use meshtwin_model::topology::{EnvoySettings, LinkLatency, Locality, Topology, Workload};

pub const TOPOLOGY_FIELDS: &[&str] = &["name", "latency", "envoy", "regions", "services"];
pub const REGION_FIELDS: &[&str] = &["name", "zones"];
pub const ZONE_FIELDS: &[&str] = &["name", "clusters"];
pub const CLUSTER_FIELDS: &[&str] = &["name", "workloads"];

/// Every field list the topology parser accepts, by the section of
/// `docs/reference/topology.md` that documents it (a test checks the two agree).
pub const REFERENCE: &[(&str, &[&str])] = &[
    ("topology", TOPOLOGY_FIELDS),
    ("latency", latency::LINK_FIELDS),
    ("envoy", meshtwin_config::envoy::ENVOY_FIELDS),
    ("regions[]", REGION_FIELDS),
    ("zones[]", ZONE_FIELDS),
    ("clusters[]", CLUSTER_FIELDS),
    ("workloads[]", workload::WORKLOAD_FIELDS),
    ("sidecar", workload::SIDECAR_KINDS),
    ("sidecar.istio", workload::ISTIO_FIELDS),
    ("sidecar.istioGateway", workload::ISTIO_FIELDS),
    ("sidecar.appMesh", workload::APP_MESH_FIELDS),
    ("sidecar.appMeshGateway", workload::APP_MESH_GATEWAY_FIELDS),
    ("app", workload::APP_FIELDS),
    ("app.latency", latency::DIST_FIELDS),
    ("app.calls[]", workload::CALL_FIELDS),
    ("services[]", service::SERVICE_FIELDS),
    ("services[].ports[]", service::PORT_FIELDS),
];

/// Load and validate a topology file.
pub fn load_topology(path: &Path) -> std::result::Result<Topology, ConfigError> {
    let file = path.display().to_string();
    from_documents(&file, &source::load_documents(path)?)
}

/// Like [`load_topology`], from text; `file` is used in errors.
pub fn parse_topology(file: &str, text: &str) -> std::result::Result<Topology, ConfigError> {
    from_documents(file, &source::parse_documents(file, text)?)
}

fn from_documents(file: &str, docs: &[Document]) -> Result<Topology> {
    let doc = match docs {
        [one] => one,
        [] => {
            return Err(ConfigError::file(
                file,
                1,
                "the file is empty: expected a topology",
            ))
        }
        [_, second, ..] => {
            return Err(ConfigError::file(
                file,
                second.root.line,
                "expected one topology per file, found another document",
            ))
        }
    };
    let ctx = Ctx::new(file);
    decode(&ctx.root(&doc.root))
}

/// The topology's `envoy:` block over Envoy's current behaviour (see `meshtwin_config::envoy`).
fn envoy_settings(v: &Val<'_>) -> Result<EnvoySettings> {
    Ok(meshtwin_config::envoy::decode(v)?.apply(EnvoySettings::default()))
}

fn decode(root: &Val<'_>) -> Result<Topology> {
    let t = root.map(TOPOLOGY_FIELDS)?;
    let latency = t
        .opt("latency", latency::link_latency)?
        .unwrap_or_else(LinkLatency::default);
    let envoy = t.opt("envoy", envoy_settings)?.unwrap_or_default();
    let workloads = workloads(&t.req("regions")?)?;
    let mut services = Vec::new();
    let mut seen = BTreeMap::new();
    for s in t.list("services")? {
        services.push(service::decode(&s, &workloads, &mut seen)?);
    }
    let topo = Topology {
        name: t.req_name("name")?.to_string(),
        latency,
        envoy,
        workloads,
        services,
    };
    check_calls(&topo)?;
    Ok(topo)
}

/// Every app call names a service port of the topology.
fn check_calls(topo: &Topology) -> Result<()> {
    for w in &topo.workloads {
        let Some(app) = &w.app else { continue };
        for (i, c) in app.calls.iter().enumerate() {
            let host = c.host.split(':').next().unwrap_or("");
            let message = match topo.service(host, &w.namespace) {
                None => format!("no service '{host}' in the topology"),
                Some(svc) if !svc.ports.iter().any(|p| p.port == c.port) => {
                    format!("service '{}' has no port {}", svc.name, c.port)
                }
                Some(_) => continue,
            };
            return Err(ConfigError {
                file: w.source.file.clone(),
                line: w.source.line,
                object: Some(format!("workload {}", w.name)),
                path: Some(format!("app.calls[{i}].host")),
                message,
            });
        }
    }
    Ok(())
}

/// Walk regions → zones → clusters → workloads (names unique in the topology: pods are
/// `<workload>-<i>`, and a unique workload name makes unique pod names).
fn workloads(regions: &Val<'_>) -> Result<Vec<Workload>> {
    let mut out: Vec<Workload> = Vec::new();
    let mut names: BTreeMap<String, u32> = BTreeMap::new();
    for r in regions.seq()? {
        let r = r.map(REGION_FIELDS)?;
        let region = r.req_name("name")?;
        for z in r.list("zones")? {
            let z = z.map(ZONE_FIELDS)?;
            let zone = z.req_name("name")?;
            for c in z.list("clusters")? {
                let c = c.map(CLUSTER_FIELDS)?;
                let cluster = c.req_name("name")?;
                for w in c.list("workloads")? {
                    let locality = Locality {
                        region: region.to_string(),
                        zone: zone.to_string(),
                        subzone: String::new(),
                    };
                    let workload = workload::decode(&w, cluster, locality, &mut names)?;
                    out.push(workload);
                }
            }
        }
    }
    Ok(out)
}
