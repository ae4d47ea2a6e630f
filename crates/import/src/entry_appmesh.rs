//! App Mesh virtual gateways as entry points: a gateway's Service is loaded on the path of each
//! of its mesh's GatewayRoutes that needs no header, query or hostname.

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::http::PathMatch;

use crate::entry::{push, Entries};
use crate::ports::PlannedService;

/// The loads through gateway Service `p` of mesh `mesh`, or a note when it has no route to load.
pub(crate) fn gateway_loads(
    p: &PlannedService<'_>,
    policies: &MeshPolicies,
    mesh: &str,
    client: &str,
    e: &mut Entries,
) {
    let s = p.service;
    let paths = gateway_route_paths(policies, mesh);
    if paths.is_empty() {
        e.notes.push(format!(
            "Service {}/{}: an App Mesh virtual gateway with no GatewayRoute on a plain path \
             (one needing no header, query or hostname)",
            s.namespace, s.name
        ));
    }
    let ports = p
        .ports
        .iter()
        .filter(|(sp, _)| matches!(sp.protocol(), Protocol::Http | Protocol::Http2));
    for (sp, _) in ports {
        for (route, path) in &paths {
            push(
                e,
                &format!("{}-{route}", s.name),
                client,
                format!("http://{}.{}:{}{path}", s.name, s.namespace, sp.port),
                format!(
                    "App Mesh GatewayRoute {route} through {} Service {}/{} port {}",
                    s.service_type, s.namespace, s.name, sp.port
                ),
            );
        }
    }
}

/// `(name, path)` of mesh `mesh`'s gateway routes that need no header, query or hostname, in
/// priority order: a prefix or an exact path.
fn gateway_route_paths(policies: &MeshPolicies, mesh: &str) -> Vec<(String, String)> {
    let mut grs: Vec<_> = policies
        .appmesh_routing
        .gateway_routes
        .iter()
        .filter(|g| g.mesh == mesh && g.hostname.is_none())
        .filter(|g| g.matcher.headers.is_empty() && g.matcher.query_params.is_empty())
        .collect();
    grs.sort_by_key(|g| g.priority.unwrap_or(u32::MAX));
    grs.into_iter()
        .filter_map(|g| match &g.matcher.path {
            PathMatch::Prefix(p) | PathMatch::Exact(p) => Some((g.name.clone(), p.clone())),
            PathMatch::Regex(_) => None,
        })
        .collect()
}
