//! The mesh's entry points → one starter load each, and the load generators they run from.
//!
//! Entry points, in this order:
//! 1. every plain-HTTP server (`HTTP`, `HTTP2`, `GRPC`) of an Istio `Gateway` that selects an
//!    imported gateway pod and that a VirtualService bound to it routes: the load sends to the
//!    gateway's Service (or, when the VirtualService names a host rather than `*`, to that
//!    host, which the gateway pods then resolve — `dns:`) on the path of the first match
//!    block that needs no header, query or source condition;
//! 2. every HTTP port of a `LoadBalancer` or `NodePort` Service that selects apps, path `/`;
//!
//! all from `load-client`, a pod outside the mesh, as a user's traffic arrives. When there is
//! neither, every HTTP port of every Service that selects a running app is one, loaded from
//! a client inside the Service's namespace — with Istio's sidecar when the namespace injects
//! it, so the client side of the mesh's policies applies. An App Mesh virtual gateway's
//! Service is loaded on the path of each of its mesh's GatewayRoutes that needs no header,
//! query or hostname; TLS and TCP servers, gateways without such a route and ports of other
//! protocols are noted in the scenario and not loaded.

use std::collections::BTreeMap;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::gateway::{GatewayPolicy, GatewayServer};
use meshtwin_model::traffic::http::{HttpAction, PathMatch};
use meshtwin_model::traffic::VirtualServicePolicy;

use crate::injection::{Decision, SidecarChoice};
use crate::plan::{Plan, PlannedWorkload};

/// One starter load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub name: String,
    /// The client workload.
    pub from: String,
    pub url: String,
    /// What it enters by, for the scenario's comment.
    pub why: String,
}

/// The loads, and the entry points left out (as comments).
#[derive(Debug, Default)]
pub struct Entries {
    pub loads: Vec<Load>,
    pub notes: Vec<String>,
}

/// Find the entry points of `plan`, adding the clients (and gateways' DNS names) to it;
/// `meshed(ns)` says whether namespace `ns` injects Istio's sidecar.
pub fn entries(
    plan: &mut Plan<'_>,
    policies: &MeshPolicies,
    meshed: &dyn Fn(&str) -> bool,
) -> Entries {
    let mut e = Entries::default();
    let external = unused_name(plan, "load-client");
    for gw in &policies.gateways {
        for server in &gw.servers {
            gateway_load(plan, policies, gw, server, &external, &mut e);
        }
    }
    exposed_services(plan, policies, &external, &mut e);
    if !e.loads.is_empty() {
        add_client(plan, &external, "default", false);
        return e;
    }
    let mut clients: BTreeMap<String, String> = BTreeMap::new();
    let targets: Vec<(String, String, u16)> = http_ports(plan);
    for (name, ns, port) in targets {
        let client = match clients.get(&ns) {
            Some(c) => c.clone(),
            None => {
                let c = unused_name(plan, &format!("load-client-{ns}"));
                add_client(plan, &c, &ns, meshed(&ns));
                clients.insert(ns.clone(), c.clone());
                c
            }
        };
        push(&mut e, &format!("{name}-{port}"), &client, format!("http://{name}.{ns}:{port}/"),
            format!("Service {ns}/{name} port {port}, from inside namespace {ns} (no entry point found)"));
    }
    e
}

pub(crate) fn push(e: &mut Entries, name: &str, from: &str, url: String, why: String) {
    if e.loads.iter().any(|l| l.url == url) {
        return;
    }
    let base: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while e.loads.iter().any(|l| l.name == name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    e.loads.push(Load {
        name,
        from: from.to_string(),
        url,
        why,
    });
}

fn gateway_load(
    plan: &mut Plan<'_>,
    policies: &MeshPolicies,
    gw: &GatewayPolicy,
    server: &GatewayServer,
    client: &str,
    e: &mut Entries,
) {
    let label = format!(
        "Gateway {}/{} port {}",
        gw.namespace, gw.name, server.port.number
    );
    let pods: Vec<usize> = (0..plan.workloads.len())
        .filter(|&i| {
            let w = &plan.workloads[i];
            w.sidecar.sidecar == SidecarChoice::IstioGateway
                && w.replicas > 0
                && gw.selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        })
        .collect();
    let Some(&first) = pods.first() else {
        e.notes
            .push(format!("{label}: selects no imported gateway pod"));
        return;
    };
    if !matches!(server.port.protocol.as_str(), "HTTP" | "HTTP2" | "GRPC") {
        e.notes.push(format!(
            "{label}: {} is not loaded (TLS and TCP are not starter loads)",
            server.port.protocol
        ));
        return;
    }
    let Some((vs, path)) = routed_path(policies, gw, server) else {
        e.notes.push(format!(
            "{label}: no VirtualService bound to it routes a plain path"
        ));
        return;
    };
    let service_port = gateway_service(plan, &plan.workloads[first], server.port.number);
    let host = vs.hosts.iter().find(|h| is_dns_name(h));
    let any_host = vs.hosts.iter().any(|h| h == "*");
    let url = match (any_host, host, service_port) {
        (true, _, Some((svc, ns, port))) => format!("http://{svc}.{ns}{}{path}", port_suffix(port)),
        (_, Some(h), port) => {
            for &i in &pods {
                if !plan.workloads[i].dns.contains(h) {
                    plan.workloads[i].dns.push(h.clone());
                }
            }
            let port = port.map_or(server.port.number, |(_, _, p)| p);
            format!("http://{h}{}{path}", port_suffix(port))
        }
        _ => {
            e.notes.push(format!(
                "{label}: no Service of its pods and no host name to reach it by"
            ));
            return;
        }
    };
    push(
        e,
        &format!("{}-{}", gw.name, server.port.number),
        client,
        url,
        format!("{label} → VirtualService {}/{}", vs.namespace, vs.name),
    );
}

fn port_suffix(port: u16) -> String {
    if port == 80 {
        String::new()
    } else {
        format!(":{port}")
    }
}

/// The Service port (`name`, `namespace`, `port`) whose target is the gateway pod's `target`.
fn gateway_service(
    plan: &Plan<'_>,
    w: &PlannedWorkload,
    target: u16,
) -> Option<(String, String, u16)> {
    plan.services.iter().find_map(|p| {
        let s = p.service;
        let selects = s.namespace == w.namespace
            && s.selector.iter().all(|(k, v)| w.labels.get(k) == Some(v));
        let port = p.ports.iter().find(|(_, t)| *t == target)?;
        selects.then(|| (s.name.clone(), s.namespace.clone(), port.0.port))
    })
}

/// The first VirtualService bound to the server with a route a plain GET can take, and its
/// path.
fn routed_path<'a>(
    policies: &'a MeshPolicies,
    gw: &GatewayPolicy,
    server: &GatewayServer,
) -> Option<(&'a VirtualServicePolicy, String)> {
    let names = |list: &[String], vs: &VirtualServicePolicy| {
        list.iter().any(|n| match n.split_once('/') {
            Some((ns, name)) => ns == gw.namespace && name == gw.name,
            None => vs.namespace == gw.namespace && *n == gw.name,
        })
    };
    policies
        .virtual_services
        .iter()
        .filter(|vs| names(&vs.gateways, vs))
        .filter(|vs| hosts_admit(server, vs))
        .find_map(|vs| {
            vs.http.iter().find_map(|r| {
                if !matches!(r.action, HttpAction::Route(_)) {
                    return None;
                }
                if r.matches.is_empty() {
                    return Some((vs, "/".to_string()));
                }
                r.matches.iter().find_map(|m| {
                    let plain = m.headers.is_empty()
                        && m.query_params.is_empty()
                        && m.source_labels.is_empty()
                        && m.source_namespace.is_none()
                        && m.port.is_none_or(|p| p == server.port.number)
                        && (m.gateways.is_empty() || names(&m.gateways, vs));
                    match (&m.path, plain) {
                        (PathMatch::Exact(p) | PathMatch::Prefix(p), true) => Some((vs, p.clone())),
                        _ => None,
                    }
                })
            })
        })
}

/// Whether a server's `hosts` admit one of the VirtualService's hosts (`*`, `ns/host`,
/// `*.suffix`), as `pilot/pkg/networking/core/gateway.go` matches them.
fn hosts_admit(server: &GatewayServer, vs: &VirtualServicePolicy) -> bool {
    server.hosts.iter().any(|h| {
        let h = h.split_once('/').map_or(h.as_str(), |(_, host)| host);
        vs.hosts.iter().any(|v| {
            h == "*" || v == "*" || h == v || h.strip_prefix('*').is_some_and(|s| v.ends_with(s))
        })
    })
}

/// A name the topology's `dns:` accepts: lower-case DNS labels, at least one dot.
fn is_dns_name(h: &str) -> bool {
    h.contains('.')
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// HTTP ports of LoadBalancer / NodePort Services that select apps, or an App Mesh virtual
/// gateway (on its gateway routes' paths).
fn exposed_services(plan: &Plan<'_>, policies: &MeshPolicies, client: &str, e: &mut Entries) {
    for p in &plan.services {
        let s = p.service;
        if !matches!(s.service_type.as_str(), "LoadBalancer" | "NodePort") {
            continue;
        }
        let selected: Vec<&PlannedWorkload> = selected(plan, s.namespace.as_str(), &s.selector);
        if selected
            .iter()
            .any(|w| w.sidecar.sidecar == SidecarChoice::IstioGateway)
        {
            continue;
        }
        let gateway_mesh = selected.iter().find_map(|w| match &w.sidecar.sidecar {
            SidecarChoice::AppMeshGateway { mesh, .. } => Some(mesh.as_str()),
            _ => None,
        });
        if let Some(mesh) = gateway_mesh {
            crate::entry_appmesh::gateway_loads(p, policies, mesh, client, e);
            continue;
        }
        for (port, _) in http_ports_of(p, &selected) {
            push(
                e,
                &format!("{}-{port}", s.name),
                client,
                format!("http://{}.{}:{port}/", s.name, s.namespace),
                format!(
                    "{} Service {}/{} port {port}",
                    s.service_type, s.namespace, s.name
                ),
            );
        }
    }
}

fn selected<'p>(
    plan: &'p Plan<'_>,
    ns: &str,
    selector: &BTreeMap<String, String>,
) -> Vec<&'p PlannedWorkload> {
    plan.workloads
        .iter()
        .filter(|w| {
            w.namespace == ns
                && w.replicas > 0
                && selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        })
        .collect()
}

/// `(port, target)` of a Service's HTTP ports whose target a selected app listens on.
fn http_ports_of(
    p: &crate::ports::PlannedService<'_>,
    selected: &[&PlannedWorkload],
) -> Vec<(u16, u16)> {
    p.ports
        .iter()
        .filter(|(sp, t)| {
            matches!(sp.protocol(), Protocol::Http | Protocol::Http2)
                && selected
                    .iter()
                    .any(|w| w.app.as_ref().is_some_and(|(a, _)| a == t))
        })
        .map(|(sp, t)| (sp.port, *t))
        .collect()
}

/// `(service, namespace, port)` of every HTTP port selecting a running app.
fn http_ports(plan: &Plan<'_>) -> Vec<(String, String, u16)> {
    let mut out = Vec::new();
    for p in &plan.services {
        let s = p.service;
        let sel = selected(plan, &s.namespace, &s.selector);
        for (port, _) in http_ports_of(p, &sel) {
            out.push((s.name.clone(), s.namespace.clone(), port));
        }
    }
    out
}

fn unused_name(plan: &Plan<'_>, base: &str) -> String {
    let taken = |n: &str| plan.workloads.iter().any(|w| w.name == n);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or_default()
}

fn add_client(plan: &mut Plan<'_>, name: &str, ns: &str, istio: bool) {
    let (zone, cluster) = plan
        .workloads
        .iter()
        .map(|w| (w.zone.clone(), w.cluster.clone()))
        .min()
        .unwrap_or_default();
    plan.workloads.push(PlannedWorkload {
        name: name.to_string(),
        namespace: ns.to_string(),
        cluster,
        zone,
        replicas: 1,
        labels: [("meshtwin".to_string(), "load-client".to_string())]
            .into_iter()
            .collect(),
        sidecar: Decision {
            sidecar: if istio {
                SidecarChoice::Istio
            } else {
                SidecarChoice::None
            },
            why: if istio {
                format!("namespace {ns} injects Istio's sidecar: the load goes through it")
            } else if ns == "default" {
                "outside the mesh, as your users' traffic arrives".into()
            } else {
                format!("namespace {ns} injects no Istio sidecar")
            },
        },
        app: None,
        from: "the starter scenario's load generator (not in the input)".into(),
        origin: None,
        pods: Vec::new(),
        how: "the first zone".into(),
        dns: Vec::new(),
        calls: Vec::new(),
    });
}
