//! Policies checked against a topology: every DestinationRule host must name a service, every
//! Istio Gateway's selector must match some pod, and every App Mesh listener's virtual node /
//! gateway must run in some pod.

use meshtwin_model::policy::{AppMeshKind, MeshPolicies};
use meshtwin_model::topology::{Sidecar, Topology};

use crate::appmesh::kind_name;
use crate::error::ConfigError;

/// Most services listed in a "no such service" message.
const MAX_LISTED: usize = 10;

/// Check `policies` against `topo`.
///
/// - A DestinationRule `host` (short name resolved in the rule's namespace, `name.namespace`
///   or `name.namespace.svc.cluster.local`) that names no service → error at `spec.host`.
///   Subsets whose labels select no pod are fine.
/// - An App Mesh listener whose virtual node (gateway) no pod runs — no workload with sidecar
///   `appMesh {mesh, virtualNode: <k8s name>}` (`appMeshGateway {mesh, virtualGateway}`) in
///   the listener's namespace → error at the listener.
/// - A Gateway whose `selector` matches the labels of no pod (in any namespace, Istio's
///   default gateway scope) → error at `spec.selector` with `istioctl analyze`'s IST0101 text,
///   `Referenced selector not found: "istio=ingressgateway"`. An empty selector selects
///   every gateway pod.
pub fn validate_against(policies: &MeshPolicies, topo: &Topology) -> Result<(), ConfigError> {
    crate::istio::references::validate_references(policies, topo)?;
    check_gateway_selectors(policies, topo)?;
    check_destination_rule_hosts(policies, topo)?;
    check_appmesh_listeners(policies, topo)?;
    Ok(())
}

/// Every Gateway with a selector selects some pod.
fn check_gateway_selectors(policies: &MeshPolicies, topo: &Topology) -> Result<(), ConfigError> {
    for gw in &policies.gateways {
        let selected = topo
            .workloads
            .iter()
            .any(|w| w.replicas > 0 && gw.selector.iter().all(|(k, v)| w.labels.get(k) == Some(v)));
        if !selected && !gw.selector.is_empty() {
            let selector: Vec<String> = gw
                .selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            return Err(ConfigError {
                file: gw.source.file.clone(),
                line: gw.source.line,
                column: None,
                object: Some(format!("Gateway {}", gw.name)),
                path: Some("spec.selector".into()),
                message: format!(
                    "Referenced selector not found: {:?} (no pod of topology {:?} has these labels)",
                    selector.join(","),
                    topo.name
                ),
            });
        }
    }
    Ok(())
}

/// Every DestinationRule host names a service of the topology or a ServiceEntry host.
fn check_destination_rule_hosts(
    policies: &MeshPolicies,
    topo: &Topology,
) -> Result<(), ConfigError> {
    for dr in &policies.destination_rules {
        let entry = policies
            .service_entries
            .iter()
            .any(|e| e.hosts.contains(&dr.host));
        if topo.service(&dr.host, &dr.namespace).is_none() && !entry {
            let mut known: Vec<String> = topo
                .services
                .iter()
                .map(|s| format!("{}.{}", s.name, s.namespace))
                .collect();
            if known.len() > MAX_LISTED {
                known.truncate(MAX_LISTED);
                known.push("...".into());
            }
            let listed = if known.is_empty() {
                "the topology has none".to_string()
            } else {
                format!("services: {}", known.join(", "))
            };
            return Err(ConfigError {
                file: dr.source.file.clone(),
                line: if dr.host_line > 0 { dr.host_line } else { dr.source.line },
                column: None,
                object: Some(format!("DestinationRule {}", dr.name)),
                path: Some("spec.host".into()),
                message: format!(
                    "host {:?} names no service in topology {:?} (short names resolve in namespace {}; {listed})",
                    dr.host, topo.name, dr.namespace
                ),
            });
        }
    }
    Ok(())
}

/// Every App Mesh listener's virtual node (gateway) runs in some pod.
fn check_appmesh_listeners(policies: &MeshPolicies, topo: &Topology) -> Result<(), ConfigError> {
    for l in &policies.appmesh_listeners {
        let runs = topo.workloads.iter().any(|w| {
            w.replicas > 0
                && w.namespace == l.namespace
                && match (&w.sidecar, l.kind) {
                    (
                        Sidecar::AppMesh {
                            mesh, virtual_node, ..
                        },
                        AppMeshKind::VirtualNode,
                    ) => mesh == &l.mesh && virtual_node == &l.k8s_name,
                    (
                        Sidecar::AppMeshGateway {
                            mesh,
                            virtual_gateway,
                            ..
                        },
                        AppMeshKind::VirtualGateway,
                    ) => mesh == &l.mesh && virtual_gateway == &l.k8s_name,
                    _ => false,
                }
        });
        if !runs {
            let (sidecar, field) = match l.kind {
                AppMeshKind::VirtualNode => ("appMesh", "virtualNode"),
                AppMeshKind::VirtualGateway => ("appMeshGateway", "virtualGateway"),
            };
            return Err(ConfigError {
                file: l.source.file.clone(),
                line: l.source.line,
                column: None,
                object: Some(format!("{} {}", kind_name(l.kind), l.k8s_name)),
                path: None,
                message: format!(
                    "no pod in topology {:?} runs it: expected a workload in namespace {} with \
                     sidecar {{{sidecar}: {{mesh: {}, {field}: {}}}}}",
                    topo.name, l.namespace, l.mesh, l.k8s_name
                ),
            });
        }
    }
    Ok(())
}
