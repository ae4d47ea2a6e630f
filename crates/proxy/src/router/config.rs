//! The route table one HTTP listener uses (Envoy's `RouteConfiguration`): virtual hosts with
//! domains, ordered routes (first match wins), and what each route does.

use meshtwin_model::event::Name;
use std::sync::Arc;
use std::time::Duration;

use super::domains::DomainIndex;
use super::fault::FaultConfig;
use super::matcher::{PathMatcher, RequestHead, RouteMatch};
use super::mirror::MirrorPolicy;
use super::retry::RetryPolicy;
use super::weighted::WeightedClusters;

/// Envoy's route timeout when a route sets none (`timeout` unset).
pub const DEFAULT_ROUTE_TIMEOUT: Duration = Duration::from_secs(15);

/// Virtual hosts in order, with their domains indexed for lookup. Shared: a proxy's listener
/// keeps the table of the configuration it was given, and a push that leaves it alone copies
/// a pointer, not every virtual host and route.
#[derive(Clone, Default)]
pub struct RouteTable(Arc<Table>);

#[derive(Debug, Default, PartialEq)]
struct Table {
    virtual_hosts: Vec<VirtualHost>,
    domains: DomainIndex,
}

impl RouteTable {
    /// The table of `virtual_hosts`, in order.
    pub fn new(virtual_hosts: Vec<VirtualHost>) -> Self {
        let domains = DomainIndex::new(
            (virtual_hosts.iter()).map(|vh| vh.domains.iter().map(String::as_str)),
        );
        Self(Arc::new(Table {
            virtual_hosts,
            domains,
        }))
    }

    /// The virtual hosts, in order.
    pub fn virtual_hosts(&self) -> &[VirtualHost] {
        &self.0.virtual_hosts
    }

    /// The table with `vh` added after its virtual hosts.
    pub fn push(&mut self, vh: VirtualHost) {
        let mut all = match Arc::try_unwrap(std::mem::take(&mut self.0)) {
            Ok(table) => table.virtual_hosts,
            Err(shared) => shared.virtual_hosts.clone(),
        };
        all.push(vh);
        *self = Self::new(all);
    }

    /// The virtual host serving `authority` (see [`super::domains`]).
    pub fn virtual_host(&self, authority: &str) -> Option<&VirtualHost> {
        Some(&self.0.virtual_hosts[self.0.domains.find(authority)?])
    }

    /// The virtual host for `req.authority` and its first route matching `req`; `None` is
    /// Envoy's 404 `NR` (`route_not_found`).
    pub fn route(&self, req: &RequestHead<'_>) -> Option<(&VirtualHost, &Route)> {
        let vh = self.virtual_host(req.authority)?;
        Some((vh, vh.route(req)?))
    }
}

impl PartialEq for RouteTable {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl std::fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteTable")
            .field("virtual_hosts", &self.0.virtual_hosts)
            .field("domains", &self.0.domains)
            .finish()
    }
}

/// Routes for a set of domains.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualHost {
    pub name: String,
    /// `*` (any), exact (`httpbin:8000`), `*.suffix` or `prefix.*`.
    pub domains: Vec<String>,
    pub routes: Vec<Route>,
}

impl VirtualHost {
    /// The first route whose match holds.
    pub fn route(&self, req: &RequestHead<'_>) -> Option<&Route> {
        self.routes.iter().find(|r| r.matcher.matches(req))
    }
}

/// One route.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Shown in traces and stats.
    pub name: String,
    pub matcher: RouteMatch,
    pub action: Action,
    /// The HTTP fault filter's per-route config, applied before the router.
    pub fault: Option<FaultConfig>,
}

/// What a matched route does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Forward upstream.
    Route(RouteAction),
    /// Answer locally with this status and body.
    DirectResponse { status: u16, body: String },
    /// Answer locally with a redirect.
    Redirect(Redirect),
}

/// Forwarding: where to, and with which timeout, retries and mirrors.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteAction {
    pub cluster: ClusterSpecifier,
    /// The global route timeout; zero disables it (Istio's default).
    pub timeout: Duration,
    /// `None`: no retries.
    pub retry_policy: Option<RetryPolicy>,
    pub mirror_policies: Vec<MirrorPolicy>,
    /// Replaces `:authority` on the forwarded request.
    pub host_rewrite: Option<String>,
    /// Replaces the matched path prefix on the forwarded request.
    pub prefix_rewrite: Option<String>,
    /// Envoy's `RouteAction.idle_timeout`: the request's stream idle timeout, overriding the
    /// listener's (see [`crate::config::ListenerConfig::idle_timeout`]); zero disables it.
    pub idle_timeout: Option<Duration>,
}

impl RouteAction {
    /// The path (with its query) forwarded upstream: `prefix_rewrite` replaces what `matcher`
    /// matched — the prefix of a prefix match, the whole path of an exact one (Envoy's
    /// `RouteEntryImplBase::finalizePathHeader`); a regex match's path is left as it is.
    pub fn rewrite_path(&self, matcher: &RouteMatch, path: &str) -> String {
        let Some(to) = &self.prefix_rewrite else {
            return path.to_string();
        };
        match &matcher.path {
            PathMatcher::Prefix(p) if path.len() >= p.len() && path.is_char_boundary(p.len()) => {
                format!("{to}{}", &path[p.len()..])
            }
            PathMatcher::Exact(_) => match path.find('?') {
                Some(q) => format!("{to}{}", &path[q..]),
                None => to.clone(),
            },
            _ => path.to_string(),
        }
    }

    /// A route to one cluster with Envoy's defaults: 15 s timeout, no retries, no mirrors.
    pub fn to_cluster(cluster: &str) -> Self {
        Self {
            cluster: ClusterSpecifier::Cluster(cluster.into()),
            timeout: DEFAULT_ROUTE_TIMEOUT,
            retry_policy: None,
            mirror_policies: Vec::new(),
            host_rewrite: None,
            prefix_rewrite: None,
            idle_timeout: None,
        }
    }
}

/// One cluster, or a weighted choice made once per request (per connection for TCP).
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterSpecifier {
    /// Shared with every request's access-log entry, not copied into it.
    Cluster(Name),
    Weighted(WeightedClusters),
}

impl ClusterSpecifier {
    /// The cluster for a request with this stream id (see [`super::stream_id`]).
    pub fn pick(&self, stream_id: u64) -> &str {
        match self {
            ClusterSpecifier::Cluster(c) => c,
            ClusterSpecifier::Weighted(w) => &w.pick(stream_id).name,
        }
    }
}

/// Envoy's `RedirectAction`, reduced to what Istio's `redirect` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub scheme: Option<String>,
    /// Host (without port) replacing the request's.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// Path replacing the request's whole path (query included).
    pub path: Option<String>,
    /// 301, 302, 303, 307 or 308.
    pub code: u16,
}

impl Redirect {
    /// The `location` header for `req`.
    pub fn location(&self, req: &RequestHead<'_>) -> String {
        let (req_host, req_port) = match req.authority.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
            _ => (req.authority, None),
        };
        let scheme = self.scheme.as_deref().unwrap_or(req.scheme);
        let host = self.host.as_deref().unwrap_or(req_host);
        let port = match (self.port, req_port) {
            (Some(p), _) => format!(":{p}"),
            (None, Some(p)) if self.host.is_none() => format!(":{p}"),
            _ => String::new(),
        };
        let path = self.path.as_deref().unwrap_or(req.path);
        format!("{scheme}://{host}{port}{path}")
    }
}
