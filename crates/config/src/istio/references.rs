//! What a `VirtualService` refers to, checked across the whole policy set and the topology
//! the way `istioctl analyze` checks it (IST0101 `ReferencedResourceNotFound`, message
//! `Referenced <what> not found: "<value>"`):
//!
//! - [`check_subsets`]: every destination subset is defined by a DestinationRule for that
//!   host (`host+subset in destinationrule`, `mirror+subset in destinationrule`);
//! - [`check_gateways`]: every gateway named (other than `mesh`) is a Gateway in the set;
//! - [`validate_references`]: both, plus every destination host names a service of the
//!   topology (`host`, `mirror host`). A ServiceEntry's hosts count as services.
//!
//! Short hosts resolve in the VirtualService's (DestinationRule's) namespace.

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Topology;
use meshtwin_model::traffic::{Destination, FieldRef, VirtualServicePolicy};

use crate::error::ConfigError;

/// `reviews` in `default` → `reviews.default.svc.cluster.local`; `reviews.default` too.
pub fn fqdn(host: &str, namespace: &str) -> String {
    match host.matches('.').count() {
        0 => format!("{host}.{namespace}.svc.cluster.local"),
        1 => format!("{host}.svc.cluster.local"),
        _ => host.to_string(),
    }
}

fn error(vs: &VirtualServicePolicy, at: &FieldRef, message: String) -> ConfigError {
    ConfigError {
        file: vs.source.file.clone(),
        line: if at.line > 0 { at.line } else { vs.source.line },
        column: None,
        object: Some(format!("VirtualService {}", vs.name)),
        path: (!at.path.is_empty()).then(|| at.path.clone()),
        message,
    }
}

/// Routed destinations (`false`) and mirrored ones (`true`) of a VirtualService.
fn destinations(vs: &VirtualServicePolicy) -> Vec<(&Destination, bool)> {
    let mirrors: Vec<&Destination> = vs
        .http
        .iter()
        .flat_map(|r| r.mirrors.iter().map(|m| &m.destination))
        .collect();
    vs.destinations()
        .map(|d| (d, mirrors.iter().any(|m| std::ptr::eq(*m, d))))
        .collect()
}

/// Every subset a VirtualService routes or mirrors to is defined by a DestinationRule.
pub fn check_subsets(policies: &MeshPolicies) -> Result<(), ConfigError> {
    for vs in &policies.virtual_services {
        for (d, mirror) in destinations(vs) {
            let Some(subset) = &d.subset else { continue };
            let host = fqdn(&d.host, &vs.namespace);
            let defined = policies.destination_rules.iter().any(|dr| {
                fqdn(&dr.host, &dr.namespace) == host
                    && dr.subsets.iter().any(|s| &s.name == subset)
            });
            if !defined {
                let what = if mirror {
                    "mirror+subset"
                } else {
                    "host+subset"
                };
                return Err(error(
                    vs,
                    &d.subset_at,
                    format!(
                        "Referenced {what} in destinationrule not found: \"{}+{subset}\"",
                        d.host
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Every gateway a VirtualService binds to (`spec.gateways`, `match[].gateways`) exists.
pub fn check_gateways(policies: &MeshPolicies) -> Result<(), ConfigError> {
    for vs in &policies.virtual_services {
        let named = vs.gateways.iter().chain(
            vs.http
                .iter()
                .flat_map(|r| r.matches.iter().flat_map(|m| &m.gateways)),
        );
        for g in named.chain(
            vs.tcp
                .iter()
                .flat_map(|r| r.matches.iter().flat_map(|m| &m.gateways)),
        ) {
            if g == "mesh" {
                continue;
            }
            let (ns, name) = g.split_once('/').unwrap_or((&vs.namespace, g));
            if !policies
                .gateways
                .iter()
                .any(|gw| gw.name == name && gw.namespace == ns)
            {
                let at = FieldRef {
                    line: vs.source.line,
                    path: "spec.gateways".into(),
                };
                return Err(error(
                    vs,
                    &at,
                    format!("Referenced gateway not found: {g:?}"),
                ));
            }
        }
    }
    Ok(())
}

/// [`check_subsets`], [`check_gateways`], and every destination host is a service of `topo`.
pub fn validate_references(policies: &MeshPolicies, topo: &Topology) -> Result<(), ConfigError> {
    for vs in &policies.virtual_services {
        for (d, mirror) in destinations(vs) {
            let entry = policies
                .service_entries
                .iter()
                .any(|e| e.hosts.contains(&d.host));
            if topo.service(&d.host, &vs.namespace).is_none() && !entry {
                let what = if mirror { "mirror host" } else { "host" };
                return Err(error(
                    vs,
                    &d.at,
                    format!("Referenced {what} not found: {:?}", d.host),
                ));
            }
        }
    }
    check_subsets(policies)?;
    check_gateways(policies)
}
