//! meshtwin topology files → [`meshtwin_model::topology::Topology`].
//!
//! A topology says where every pod runs, which proxy sits beside it, how its app behaves and
//! which services select it. The file nests placement (regions → zones → Kubernetes clusters →
//! workloads); the model is flat, every workload carrying its locality and cluster.
//!
//! ```yaml
//! name: httpbin
//! latency: {sameZone: 1ms, crossZone: 2ms, crossRegion: 30ms}   # one-way; optional
//! mesh: {istio: "1.23"}                 # optional: the release modelled (current when unset;
//!                                       # see meshtwin_config::mesh)
//! envoy: {listenerBalance: reusePort}   # optional: Envoy switches over the release's Envoy;
//!                                       # also maxEjectionPercentRule, ejectionTime
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
//! (replicas, labels, sidecar), [`app`] (an app's behaviour, by path and method: `routes`),
//! [`service`] (ports, protocols, selectors). Unknown fields
//! are errors. Validation, each a [`ConfigError`] at `file:line: path`:
//! names as Kubernetes checks them (`meshtwin_config::names`: workloads and the topology
//! DNS-1123 subdomains, pod names `<workload>-<i>` too; namespaces labels; services DNS-1035
//! labels; regions, zones, subzones and clusters label values); at most
//! `meshtwin_model::limits::MAX_PODS` pods in all;
//! workload names are unique in the topology (pod names are `<workload>-<i>`); replicas ≥ 0;
//! a virtual gateway or Istio gateway pod runs no app; every service port's `targetPort` is the app port of some
//! selected pod that runs an app (a selector matching nothing is fine).
//!
//! Files are read with [`meshtwin_config::source`], so errors look like policy errors.
#![forbid(unsafe_code)]

pub mod app;
pub mod latency;
pub mod service;
pub mod workload;

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_config::decode::{Ctx, Result, Val};
use meshtwin_config::names::{self, Rule};
use meshtwin_config::source::{self, Document};
pub use meshtwin_config::{ConfigError, ConfigWarning, Loaded};
use meshtwin_model::limits::MAX_PODS;
use meshtwin_model::topology::{LinkLatency, Locality, Topology, Workload};

pub const TOPOLOGY_FIELDS: &[&str] = &["name", "latency", "mesh", "envoy", "regions", "services"];
pub const REGION_FIELDS: &[&str] = &["name", "zones"];
pub const ZONE_FIELDS: &[&str] = &["name", "clusters"];
pub const CLUSTER_FIELDS: &[&str] = &["name", "workloads"];

/// Every field list the topology parser accepts, by the section of
/// `docs/reference/topology.md` that documents it (a test checks the two agree).
pub const REFERENCE: &[(&str, &[&str])] = &[
    ("topology", TOPOLOGY_FIELDS),
    ("latency", latency::LINK_FIELDS),
    ("mesh", meshtwin_config::mesh::MESH_FIELDS),
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
    ("app", app::APP_FIELDS),
    ("app.latency", latency::DIST_FIELDS),
    ("app.calls[]", app::CALL_FIELDS),
    ("app.routes[]", app::ROUTE_FIELDS),
    ("services[]", service::SERVICE_FIELDS),
    ("services[].ports[]", service::PORT_FIELDS),
];

/// Load and validate a topology file.
pub fn load_topology(path: &Path) -> std::result::Result<Loaded<Topology>, ConfigError> {
    let file = path.display().to_string();
    from_documents(&file, &source::load_documents(path)?)
}

/// Like [`load_topology`], from text; `file` is used in errors.
pub fn parse_topology(
    file: &str,
    text: &str,
) -> std::result::Result<Loaded<Topology>, ConfigError> {
    from_documents(file, &source::parse_documents(file, text)?)
}

fn from_documents(file: &str, docs: &[Document]) -> Result<Loaded<Topology>> {
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
    let topology = decode(&ctx.root(&doc.root))?;
    Ok(Loaded {
        value: topology,
        warnings: ctx.take_warnings(),
    })
}

fn decode(root: &Val<'_>) -> Result<Topology> {
    let t = root.map(TOPOLOGY_FIELDS)?;
    let latency = t
        .opt("latency", latency::link_latency)?
        .unwrap_or_else(LinkLatency::default);
    let mesh = t
        .opt("mesh", meshtwin_config::mesh::decode)?
        .unwrap_or_default();
    let envoy = t
        .opt("envoy", meshtwin_config::envoy::decode)?
        .unwrap_or_default();
    let workloads = workloads(&t.req("regions")?)?;
    let mut services = Vec::new();
    let mut seen = BTreeMap::new();
    for s in t.list("services")? {
        services.push(service::decode(&s, &workloads, &mut seen)?);
    }
    let topo = Topology {
        name: names::name(&t.req("name")?, Rule::Subdomain)?.to_string(),
        latency,
        mesh,
        envoy,
        workloads,
        services,
    };
    check_calls(&topo)?;
    Ok(topo)
}

/// Every app call (the app's own and its routes') names a service port of the topology.
fn check_calls(topo: &Topology) -> Result<()> {
    for w in &topo.workloads {
        let Some(app) = &w.app else { continue };
        for (at, c) in app.all_calls() {
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
                column: None,
                object: Some(format!("workload {}", w.name)),
                path: Some(format!("{at}.host")),
                message,
            });
        }
    }
    Ok(())
}

/// Walk regions → zones → clusters → workloads (names unique in the topology: pods are
/// `<workload>-<i>`, and a unique workload name makes unique pod names). Regions, zones and
/// clusters are named as the node labels that carry them must be (Kubernetes label values);
/// the pods of all workloads together are at most [`MAX_PODS`].
fn workloads(regions: &Val<'_>) -> Result<Vec<Workload>> {
    let mut out: Vec<Workload> = Vec::new();
    let mut names: BTreeMap<String, u32> = BTreeMap::new();
    let mut pods: u64 = 0;
    for r in regions.seq()? {
        let r = r.map(REGION_FIELDS)?;
        let region = names::name(&r.req("name")?, Rule::LabelValue)?;
        for z in r.list("zones")? {
            let z = z.map(ZONE_FIELDS)?;
            let zone = names::name(&z.req("name")?, Rule::LabelValue)?;
            for c in z.list("clusters")? {
                let c = c.map(CLUSTER_FIELDS)?;
                let cluster = names::name(&c.req("name")?, Rule::LabelValue)?;
                for w in c.list("workloads")? {
                    let locality = Locality {
                        region: region.to_string(),
                        zone: zone.to_string(),
                        subzone: String::new(),
                    };
                    let workload = workload::decode(&w, cluster, locality, &mut names)?;
                    pods += u64::from(workload.replicas);
                    if pods > MAX_PODS {
                        let at = w.map(workload::WORKLOAD_FIELDS)?.req("replicas")?;
                        return Err(at.error(format!(
                            "the topology would have {pods} pods, more than the limit of {MAX_PODS}"
                        )));
                    }
                    out.push(workload);
                }
            }
        }
    }
    Ok(out)
}
