//! App Mesh routing, lowered: virtual services and their providers, virtual routers with their
//! routes, gateway routes, and each virtual node's backends. The App Mesh controller turns these
//! into the Envoy routes of every node and gateway that may reach a virtual service.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::http::{HttpMatch, RetryPolicy, StringMatch};
use crate::topology::Protocol;
use crate::SourceRef;

/// Everything App Mesh routes by, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppMeshRouting {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_services: Vec<AppMeshVirtualService>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_routers: Vec<AppMeshVirtualRouter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateway_routes: Vec<AppMeshGatewayRoute>,
    /// Each virtual node's `backends` (nodes that list none are absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<AppMeshBackends>,
}

/// Which object of a namespace a reference names (`<name>` in the referring object's
/// namespace unless given).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppMeshRef {
    pub name: String,
    pub namespace: String,
}

/// A `VirtualService`: a name clients call (`spec.awsName`, a DNS name), served by one virtual
/// node or one virtual router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshVirtualService {
    pub name: String,
    pub namespace: String,
    pub mesh: String,
    /// The name clients use (`spec.awsName`, else `<name>.<namespace>`).
    pub aws_name: String,
    pub provider: AppMeshProvider,
    pub source: SourceRef,
}

/// What serves a virtual service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppMeshProvider {
    VirtualNode(AppMeshRef),
    VirtualRouter(AppMeshRef),
    /// No provider: nothing serves it (every call is answered 503 by the client's Envoy).
    None,
}

/// A `VirtualRouter` with its listeners and routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshVirtualRouter {
    pub name: String,
    pub namespace: String,
    pub mesh: String,
    /// `(port, protocol)` of each listener.
    pub listeners: Vec<(u16, Protocol)>,
    /// In App Mesh's evaluation order: by priority (0 first; routes without one last), then
    /// file order.
    pub routes: Vec<AppMeshRoute>,
    pub source: SourceRef,
}

/// One route of a virtual router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshRoute {
    pub name: String,
    /// `http`, `http2`, `grpc` or `tcp` (the route block used).
    pub protocol: Protocol,
    pub priority: Option<u32>,
    /// The request match (a tcp route matches everything).
    pub matcher: HttpMatch,
    pub targets: Vec<AppMeshTarget>,
    /// The route's `retryPolicy`; `None`: App Mesh's default policy applies.
    pub retries: Option<RetryPolicy>,
    /// `timeout.perRequest`; `None`: Envoy's 15 s route timeout.
    #[serde(with = "crate::duration::opt_ms")]
    pub timeout: Option<Duration>,
}

/// One weighted target of a route: a virtual node (and, optionally, its listener's port).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshTarget {
    pub node: AppMeshRef,
    pub weight: u32,
    pub port: Option<u16>,
}

/// A `GatewayRoute`: requests a virtual gateway matches and the virtual service it sends
/// them to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshGatewayRoute {
    pub name: String,
    pub namespace: String,
    pub mesh: String,
    pub protocol: Protocol,
    pub priority: Option<u32>,
    /// The path (and header, method, query) match.
    pub matcher: HttpMatch,
    /// `match.hostname` (exact or suffix, as a prefix-less suffix match on `:authority`).
    pub hostname: Option<StringMatch>,
    pub target: AppMeshRef,
    /// The path the matched prefix is replaced with: `Some("/")` by App Mesh's default
    /// (`rewrite.prefix.defaultPrefix: ENABLED`), `None` when disabled.
    pub prefix_rewrite: Option<String>,
    /// Whether the target virtual service's name replaces `:authority` (the default).
    pub hostname_rewrite: bool,
    pub source: SourceRef,
}

/// The virtual services a virtual node lists as `backends`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshBackends {
    pub node: AppMeshRef,
    pub virtual_services: Vec<AppMeshRef>,
}

impl AppMeshRouting {
    /// Append another file's objects; one with the same kind, name and namespace replaces it.
    pub fn extend(&mut self, other: AppMeshRouting) {
        fn apply<T>(list: &mut Vec<T>, new: Vec<T>, key: impl Fn(&T) -> (String, String)) {
            for n in new {
                match list.iter_mut().find(|x| key(x) == key(&n)) {
                    Some(old) => *old = n,
                    None => list.push(n),
                }
            }
        }
        apply(&mut self.virtual_services, other.virtual_services, |v| {
            (v.name.clone(), v.namespace.clone())
        });
        apply(&mut self.virtual_routers, other.virtual_routers, |v| {
            (v.name.clone(), v.namespace.clone())
        });
        apply(&mut self.gateway_routes, other.gateway_routes, |v| {
            (v.name.clone(), v.namespace.clone())
        });
        apply(&mut self.backends, other.backends, |v| {
            (v.node.name.clone(), v.node.namespace.clone())
        });
    }

    /// Like `kubectl delete -f`: remove every object of `other`.
    pub fn remove(&mut self, other: &AppMeshRouting) {
        self.virtual_services.retain(|x| {
            !other
                .virtual_services
                .iter()
                .any(|g| g.name == x.name && g.namespace == x.namespace)
        });
        self.virtual_routers.retain(|x| {
            !other
                .virtual_routers
                .iter()
                .any(|g| g.name == x.name && g.namespace == x.namespace)
        });
        self.gateway_routes.retain(|x| {
            !other
                .gateway_routes
                .iter()
                .any(|g| g.name == x.name && g.namespace == x.namespace)
        });
        self.backends
            .retain(|x| !other.backends.iter().any(|g| g.node == x.node));
    }

    pub fn is_empty(&self) -> bool {
        *self == AppMeshRouting::default()
    }
}

/// The retry policy App Mesh's control plane gives every route that has none: 2 retries on
/// `unavailable`, `connect-failure`, `refused-stream` and upstream 503s, re-picking away from
/// tried hosts with up to 5 host selections (aws/aws-app-mesh-roadmap issue 229, "Improvements
/// to App Mesh default circuit breaker and retries", in effect since August 2020). No per-try
/// timeout: each try may use the route's whole timeout.
pub fn default_retry_policy() -> RetryPolicy {
    RetryPolicy {
        num_retries: 2,
        retry_on: [
            "unavailable",
            "connect-failure",
            "refused-stream",
            "retriable-status-codes",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        retriable_status_codes: vec![503],
        per_try_timeout: None,
        previous_hosts: true,
        host_selection_retry_max_attempts: 5,
        retry_remote_localities: false,
        base_interval: None,
    }
}
