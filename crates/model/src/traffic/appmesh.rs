//! App Mesh routing, lowered: virtual services and their providers, virtual routers with their
//! routes, gateway routes, and each virtual node's backends. The App Mesh controller turns these
//! into the Envoy routes of every node and gateway that may reach a virtual service.

use std::collections::BTreeMap;
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
    /// Routes given on their own (`describe-route` / `create-route` JSON), each naming its
    /// virtual router; a router's routes are its own and these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<AppMeshRouterRoute>,
    /// Each `VirtualGateway` CRD's `namespaceSelector` and `gatewayRouteSelector`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<AppMeshGatewaySelectors>,
    /// The labels of each Kubernetes `Namespace` object in the policy files, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
}

/// A route given on its own, with the virtual router it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshRouterRoute {
    pub router: AppMeshRef,
    pub route: AppMeshRoute,
}

/// Which gateway routes a `VirtualGateway` CRD takes (aws-app-mesh-controller-for-k8s
/// `pkg/virtualgateway/membership_designator.go` `DesignateForGatewayRoute`): those in a
/// namespace its `namespaceSelector` matches — absent selects none, `{}` every namespace —
/// and, with a `gatewayRouteSelector`, carrying its labels. A gateway route must land on
/// exactly one gateway (the controller's webhook rejects it otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeshGatewaySelectors {
    pub gateway: AppMeshRef,
    /// `matchLabels` of `namespaceSelector`; `None`: no namespace.
    pub namespace_selector: Option<BTreeMap<String, String>>,
    /// `matchLabels` of `gatewayRouteSelector`; `None`: every gateway route.
    pub route_selector: Option<BTreeMap<String, String>>,
    pub source: SourceRef,
}

/// How a gateway's selectors judge one gateway route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// The selectors match.
    Attached,
    /// The selectors would match if the route's namespace carried the labels the
    /// `namespaceSelector` asks for; no `Namespace` object says what labels it has, so it is
    /// taken as matching.
    AssumedNamespace,
    NotAttached,
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
    /// `timeout.idle`: Envoy's route `idle_timeout` (http, http2, grpc) or the client's
    /// `tcp_proxy` `idle_timeout` (tcp); `None`: App Mesh sets none ("The default value is
    /// none", App Mesh API reference `HttpTimeout` / `TcpTimeout`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::duration::opt_ms"
    )]
    pub idle_timeout: Option<Duration>,
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
    /// The CRD's `metadata.labels` (what a `gatewayRouteSelector` selects on).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The virtual gateway (App Mesh name) a `describe-gateway-route` / `create-gateway-route`
    /// JSON names; `None` for the CRD, which gateways take by their selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
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
        apply(&mut self.routes, other.routes, |v| {
            (
                format!("{}/{}", v.router.name, v.route.name),
                v.router.namespace.clone(),
            )
        });
        apply(&mut self.gateways, other.gateways, |v| {
            (v.gateway.name.clone(), v.gateway.namespace.clone())
        });
        self.namespaces.extend(other.namespaces);
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
        self.routes.retain(|x| {
            !other
                .routes
                .iter()
                .any(|g| g.router == x.router && g.route.name == x.route.name)
        });
        self.gateways
            .retain(|x| !other.gateways.iter().any(|g| g.gateway == x.gateway));
        self.namespaces
            .retain(|n, _| !other.namespaces.contains_key(n));
    }

    /// The routes of `router` in App Mesh's evaluation order: its own and those given on their
    /// own, by priority (unset last), then file order.
    pub fn routes_of<'a>(&'a self, router: &'a AppMeshVirtualRouter) -> Vec<&'a AppMeshRoute> {
        let r = AppMeshRef {
            name: router.name.clone(),
            namespace: router.namespace.clone(),
        };
        let mut all: Vec<&AppMeshRoute> = router.routes.iter().collect();
        all.extend(
            self.routes
                .iter()
                .filter(|x| x.router == r)
                .map(|x| &x.route),
        );
        all.sort_by_key(|x| x.priority.unwrap_or(u32::MAX));
        all
    }

    /// How gateway `sel` judges gateway route `gr` (a route naming its gateway — the JSON
    /// form — is judged by that name, `aws_name` being the gateway's App Mesh name).
    pub fn attachment(
        &self,
        sel: &AppMeshGatewaySelectors,
        aws_name: &str,
        gr: &AppMeshGatewayRoute,
    ) -> Attachment {
        if let Some(g) = &gr.gateway {
            return if g == aws_name {
                Attachment::Attached
            } else {
                Attachment::NotAttached
            };
        }
        let subset = |want: &BTreeMap<String, String>, have: &BTreeMap<String, String>| {
            want.iter().all(|(k, v)| have.get(k) == Some(v))
        };
        if sel
            .route_selector
            .as_ref()
            .is_some_and(|want| !subset(want, &gr.labels))
        {
            return Attachment::NotAttached;
        }
        match (&sel.namespace_selector, self.namespaces.get(&gr.namespace)) {
            (None, _) => Attachment::NotAttached,
            (Some(want), _) if want.is_empty() => Attachment::Attached,
            (Some(want), Some(have)) if subset(want, have) => Attachment::Attached,
            (Some(_), Some(_)) => Attachment::NotAttached,
            (Some(_), None) => Attachment::AssumedNamespace,
        }
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
