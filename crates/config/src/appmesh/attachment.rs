//! Which virtual gateway each `GatewayRoute` CRD lands on, checked as the App Mesh
//! controller's webhook does (aws-app-mesh-controller-for-k8s
//! `pkg/virtualgateway/membership_designator.go` `DesignateForGatewayRoute`): a gateway route
//! must be taken by exactly one `VirtualGateway` — by its namespace's labels
//! (`namespaceSelector`) and its own (`gatewayRouteSelector`) — else the webhook refuses it.
//! A namespace no `Namespace` object describes is taken as matching, with a warning.

use meshtwin_model::policy::{AppMeshKind, MeshPolicies};
use meshtwin_model::traffic::appmesh::{AppMeshGatewayRoute, AppMeshGatewaySelectors, Attachment};

use crate::error::ConfigError;
use crate::warning::ConfigWarning;

/// Check every gateway route of `policies`; `warnings` gets one per assumed namespace match.
/// Without any `VirtualGateway` CRD (gateways given as JSON) nothing is checked: such a
/// gateway takes its mesh's routes.
pub fn check(
    policies: &MeshPolicies,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(), ConfigError> {
    let routing = &policies.appmesh_routing;
    for gr in &routing.gateway_routes {
        let Some(g) = &gr.gateway else { continue };
        let exists = policies
            .appmesh_listeners
            .iter()
            .any(|l| l.kind == AppMeshKind::VirtualGateway && l.aws_name == *g);
        if !exists {
            return Err(error(
                gr,
                format!("names virtual gateway {g:?}, which no VirtualGateway in the policies is"),
            ));
        }
    }
    if routing.gateways.is_empty() {
        return Ok(());
    }
    kept_host_clashes(policies, warnings);
    for gr in routing
        .gateway_routes
        .iter()
        .filter(|g| g.gateway.is_none())
    {
        let takers: Vec<(&AppMeshGatewaySelectors, Attachment)> = routing
            .gateways
            .iter()
            .map(|s| (s, routing.attachment(s, "", gr)))
            .filter(|(_, a)| *a != Attachment::NotAttached)
            .collect();
        match takers.as_slice() {
            [] => return Err(error(gr, no_gateway(policies, gr))),
            [(sel, a)] => {
                if *a == Attachment::AssumedNamespace {
                    warnings.push(assumed(gr, sel));
                }
            }
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|(s, _)| format!("{}/{}", s.gateway.namespace, s.gateway.name))
                    .collect();
                return Err(error(
                    gr,
                    format!(
                        "{} virtual gateways take it ({}): the App Mesh controller accepts a \
                         gateway route only when exactly one VirtualGateway's namespaceSelector \
                         and gatewayRouteSelector match it",
                        many.len(),
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn labels(m: &std::collections::BTreeMap<String, String>) -> String {
    let v: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", v.join(", "))
}

/// Why no gateway takes `gr`, gateway by gateway.
fn no_gateway(policies: &MeshPolicies, gr: &AppMeshGatewayRoute) -> String {
    let routing = &policies.appmesh_routing;
    let why: Vec<String> = routing
        .gateways
        .iter()
        .map(|s| {
            let name = format!("{}/{}", s.gateway.namespace, s.gateway.name);
            let route_ok = s
                .route_selector
                .as_ref()
                .is_none_or(|r| r.iter().all(|(k, v)| gr.labels.get(k) == Some(v)));
            match (&s.namespace_selector, &s.route_selector) {
                (_, Some(r)) if !route_ok => format!(
                    "{name}'s gatewayRouteSelector wants {}, the route has {}",
                    labels(r),
                    labels(&gr.labels)
                ),
                (None, _) => format!("{name} has no namespaceSelector (it selects no namespace)"),
                (Some(want), _) => format!(
                    "{name}'s namespaceSelector wants {}, namespace {} has {}",
                    labels(want),
                    gr.namespace,
                    routing
                        .namespaces
                        .get(&gr.namespace)
                        .map_or_else(|| "?".to_string(), labels)
                ),
            }
        })
        .collect();
    let known = policies
        .appmesh_listeners
        .iter()
        .any(|l| l.kind == AppMeshKind::VirtualGateway);
    format!(
        "no virtual gateway takes it{}: {}",
        if known { "" } else { " (no VirtualGateway)" },
        why.join("; ")
    )
}

fn error(gr: &AppMeshGatewayRoute, message: String) -> ConfigError {
    ConfigError {
        file: gr.source.file.clone(),
        line: gr.source.line,
        column: None,
        object: Some(format!("GatewayRoute {}", gr.name)),
        path: None,
        message,
    }
}

fn assumed(gr: &AppMeshGatewayRoute, sel: &AppMeshGatewaySelectors) -> ConfigWarning {
    ConfigWarning {
        file: gr.source.file.clone(),
        line: gr.source.line,
        object: Some(format!("GatewayRoute {}", gr.name)),
        path: None,
        message: format!(
            "namespace {}'s labels are unknown (no Namespace object among the policy files): \
             taken as matching VirtualGateway {}/{}'s namespaceSelector {}",
            gr.namespace,
            sel.gateway.namespace,
            sel.gateway.name,
            labels(
                sel.namespace_selector
                    .as_ref()
                    .expect("an assumed match has a selector")
            )
        ),
    }
}

/// Two routes of one gateway with `defaultTargetHostname: DISABLED` and the same `hostname`
/// match (or none) but different targets: the request keeps its host into the self-redirect
/// hop, which can route one host to one virtual service only — the first route's.
fn kept_host_clashes(policies: &MeshPolicies, warnings: &mut Vec<ConfigWarning>) {
    let routing = &policies.appmesh_routing;
    for sel in &routing.gateways {
        let mut seen: Vec<&AppMeshGatewayRoute> = Vec::new();
        let mut kept: Vec<&AppMeshGatewayRoute> = routing
            .gateway_routes
            .iter()
            .filter(|g| !g.hostname_rewrite)
            .filter(|g| routing.attachment(sel, "", g) != Attachment::NotAttached)
            .collect();
        kept.sort_by_key(|g| g.priority.unwrap_or(u32::MAX));
        for gr in kept {
            if let Some(first) = seen
                .iter()
                .find(|f| f.hostname == gr.hostname && f.target != gr.target)
            {
                warnings.push(ConfigWarning {
                    file: gr.source.file.clone(),
                    line: gr.source.line,
                    object: Some(format!("GatewayRoute {}", gr.name)),
                    path: None,
                    message: format!(
                        "keeps the request's host like GatewayRoute {} but targets another \
                         virtual service: the twin routes such requests to {}'s target {}",
                        first.name, first.name, first.target.name
                    ),
                });
            }
            seen.push(gr);
        }
    }
}
