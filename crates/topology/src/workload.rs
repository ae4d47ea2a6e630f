//! `workloads:` entries → [`Workload`]s: replicas, labels, sidecar, app behaviour.
//!
//! ```yaml
//! - name: httpbin
//!   namespace: default          # default "default"
//!   replicas: 1                 # default 1; 0 allowed
//!   labels: {app: httpbin}      # default none
//!   sidecar: istio              # none (default) | istio | {istio: {concurrency: 2}}
//!                               # | {appMesh: {mesh: m, virtualNode: green, concurrency: 2}}
//!                               # | {appMeshGateway: {mesh: m, virtualGateway: gw}}
//!                               # | istioGateway | {istioGateway: {concurrency: 2}}
//!   app: {port: 80, latency: 2ms, errorRate: 0}   # see crate::app
//!   dns: [db.example.com]       # names resolving to these pods (hosts outside the mesh)
//! ```
//! Envoy concurrency defaults to 2 (Istio's default sidecar CPU limit of 2000m ⇒ 2 workers,
//! istiod `pilot/pkg/networking/core/` sidecar listeners; App Mesh's Envoy likewise). A virtual gateway pod and an Istio gateway pod
//! (`istio-ingressgateway`, configured by the `Gateway` resources selecting its labels) run
//! no app.

use std::collections::BTreeMap;

use meshtwin_config::decode::{Result, Val};
use meshtwin_config::names::{self, Rule};
use meshtwin_model::topology::{Locality, Sidecar, Workload};
use meshtwin_model::SourceRef;

use crate::app;

/// The fields of a workload entry.
pub const WORKLOAD_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "replicas",
    "labels",
    "sidecar",
    "app",
    "subzone",
    "dns",
];
pub const SIDECAR_KINDS: &[&str] = &["istio", "appMesh", "appMeshGateway", "istioGateway"];
/// The fields of each sidecar form's body (`{istio: {concurrency: 2}}`).
pub const ISTIO_FIELDS: &[&str] = &["concurrency"];
pub const APP_MESH_FIELDS: &[&str] = &["mesh", "virtualNode", "concurrency"];
pub const APP_MESH_GATEWAY_FIELDS: &[&str] = &["mesh", "virtualGateway", "concurrency"];
/// Envoy workers when not written (istiod `pilot/pkg/networking/core/` sidecar listeners).
pub const DEFAULT_CONCURRENCY: u32 = 2;
/// A limit on everything.
const MAX_REPLICAS: u32 = 10_000;
const MAX_CONCURRENCY: u32 = 256;

/// Decode one workload placed in `cluster` at `locality` (subzone filled from the entry);
/// `seen` maps the names decoded so far to their lines, to reject duplicates.
pub fn decode(
    v: &Val<'_>,
    cluster: &str,
    mut locality: Locality,
    seen: &mut BTreeMap<String, u32>,
) -> Result<Workload> {
    let w = v.map(WORKLOAD_FIELDS)?;
    let name_val = w.req("name")?;
    // Named as a Deployment is; its pods, `<workload>-<i>`, as pods are.
    let name = names::name(&name_val, Rule::Subdomain)?.to_string();
    if let Some(first) = seen.get(&name) {
        return Err(name_val.error(format!(
            "duplicate workload name {name:?} (first at line {first}): pod names \
             `<workload>-<i>` must be unique in the topology"
        )));
    }
    seen.insert(name.clone(), name_val.line());
    if let Some(sz) = w.opt("subzone", |s| {
        names::name(s, Rule::LabelValue).map(str::to_string)
    })? {
        locality.subzone = sz;
    }
    let replicas = w
        .opt("replicas", |r| r.u32_in(0, MAX_REPLICAS))?
        .unwrap_or(1);
    if replicas > 0 {
        let last = format!("{name}-{}", replicas - 1);
        if last.len() > Rule::Subdomain.max_len() {
            return Err(name_val.error(format!(
                "its last pod's name, {:?}, would be more than {} characters",
                names::shorten(&last).as_ref(),
                Rule::Subdomain.max_len()
            )));
        }
    }
    let sidecar = match w.get("sidecar") {
        Some(s) => sidecar(&s)?,
        None => Sidecar::None,
    };
    let app = w.opt("app", app::decode)?;
    match (&sidecar, &app) {
        (Sidecar::AppMeshGateway { .. }, Some(_)) => {
            return Err(w
                .req("app")?
                .error("a virtual gateway pod is only an Envoy: it runs no app"));
        }
        (Sidecar::IstioGateway { .. }, Some(_)) => {
            return Err(w
                .req("app")?
                .error("an Istio gateway pod is only an Envoy: it runs no app"));
        }
        _ => {}
    }
    Ok(Workload {
        name,
        namespace: w
            .opt("namespace", |n| {
                names::name(n, Rule::Label).map(str::to_string)
            })?
            .unwrap_or_else(|| "default".to_string()),
        cluster: cluster.to_string(),
        locality,
        replicas,
        labels: w.opt("labels", Val::string_map)?.unwrap_or_default(),
        sidecar,
        app,
        dns: w.opt("dns", dns_names)?.unwrap_or_default(),
        source: SourceRef {
            file: v.ctx.file.clone(),
            line: v.line(),
        },
    })
}

/// `dns: [host, ...]`: lower-case DNS names (RFC 1123 labels separated by dots).
fn dns_names(v: &Val<'_>) -> Result<Vec<String>> {
    let names = v.strings()?;
    for n in &names {
        let ok = !n.is_empty()
            && n.len() <= 253
            && n.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            return Err(v.error(format!(
                "{n:?} is not a DNS name (lower-case labels separated by dots)"
            )));
        }
    }
    Ok(names)
}

fn concurrency(v: Option<Val<'_>>) -> Result<u32> {
    Ok(match v {
        Some(c) => c.u32_in(1, MAX_CONCURRENCY)?,
        None => DEFAULT_CONCURRENCY,
    })
}

/// `sidecar:` in any of its forms.
fn sidecar(v: &Val<'_>) -> Result<Sidecar> {
    if let Ok(word) = v.str() {
        return match word {
            "none" => Ok(Sidecar::None),
            "istio" => Ok(Sidecar::Istio {
                concurrency: DEFAULT_CONCURRENCY,
            }),
            "istioGateway" => Ok(Sidecar::IstioGateway {
                concurrency: DEFAULT_CONCURRENCY,
            }),
            "appMesh" | "appMeshGateway" => Err(v.error(format!(
                "{word} needs its mesh and {}: {{{word}: {{mesh: ..., {}: ...}}}}",
                if word == "appMesh" {
                    "virtual node"
                } else {
                    "virtual gateway"
                },
                if word == "appMesh" {
                    "virtualNode"
                } else {
                    "virtualGateway"
                },
            ))),
            other => Err(v.error(format!(
                "unknown sidecar {other:?} (expected none, istio, {{istio: {{...}}}}, \
                 {{appMesh: {{...}}}}, {{appMeshGateway: {{...}}}} or istioGateway)"
            ))),
        };
    }
    let s = v.map(SIDECAR_KINDS)?;
    let kind = match s.present(SIDECAR_KINDS).as_slice() {
        [one] => *one,
        _ => {
            return Err(
                v.error("expected exactly one of istio, appMesh, appMeshGateway, istioGateway")
            )
        }
    };
    let body = s.req(kind)?;
    Ok(match kind {
        "istio" => {
            let b = body.map(ISTIO_FIELDS)?;
            Sidecar::Istio {
                concurrency: concurrency(b.get("concurrency"))?,
            }
        }
        "istioGateway" => {
            let b = body.map(ISTIO_FIELDS)?;
            Sidecar::IstioGateway {
                concurrency: concurrency(b.get("concurrency"))?,
            }
        }
        "appMesh" => {
            let b = body.map(APP_MESH_FIELDS)?;
            Sidecar::AppMesh {
                mesh: b.req_name("mesh")?.to_string(),
                virtual_node: b.req_name("virtualNode")?.to_string(),
                concurrency: concurrency(b.get("concurrency"))?,
            }
        }
        _ => {
            let b = body.map(APP_MESH_GATEWAY_FIELDS)?;
            Sidecar::AppMeshGateway {
                mesh: b.req_name("mesh")?.to_string(),
                virtual_gateway: b.req_name("virtualGateway")?.to_string(),
                concurrency: concurrency(b.get("concurrency"))?,
            }
        }
    })
}
