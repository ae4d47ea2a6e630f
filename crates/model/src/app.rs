//! How the application inside a pod behaves: its service time, errors, worker concurrency,
//! calls to other services, and — with `routes` — all of these by path and method.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A distribution of service time, sampled from the pod's seeded stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case")]
pub enum LatencyDist {
    Fixed {
        #[serde(with = "crate::duration::ms")]
        value: Duration,
    },
    Uniform {
        #[serde(with = "crate::duration::ms")]
        min: Duration,
        #[serde(with = "crate::duration::ms")]
        max: Duration,
    },
    /// Exponential with the given mean, capped at 100 × mean (a limit on everything).
    Exponential {
        #[serde(with = "crate::duration::ms")]
        mean: Duration,
    },
}

impl Default for LatencyDist {
    fn default() -> Self {
        LatencyDist::Fixed {
            value: Duration::from_millis(1),
        }
    }
}

/// A call an app makes to another service for every request it serves, through its own
/// sidecar (Bookinfo's productpage → details, reviews; reviews v2/v3 → ratings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppCall {
    /// Host as the app addresses it (`reviews`, `reviews:9080`, `ratings.ns.svc.cluster.local`).
    pub host: String,
    pub port: u16,
    pub path: String,
    /// The app's own client timeout per attempt (`None`: waits forever).
    #[serde(with = "crate::duration::opt_ms")]
    pub timeout: Option<Duration>,
    /// Further attempts after a failed one (error status, timeout, connection error).
    pub retries: u32,
    /// Request headers copied from the incoming request (Bookinfo propagates `end-user`).
    pub propagate: Vec<String>,
    /// What the app reports when the call finally fails; the app still answers 200.
    pub on_error: String,
}

/// How the application inside each pod of a workload behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppBehaviour {
    /// Port the app listens on (the service's targetPort).
    pub port: u16,
    /// Service time per request.
    pub latency: LatencyDist,
    /// Probability in [0, 1] that a request fails with `error_status`.
    pub error_rate: f64,
    pub error_status: u16,
    /// Requests served at once; further requests wait in the app's accept queue.
    /// `None`: unlimited.
    pub concurrency: Option<u32>,
    /// Bytes in a successful response body.
    pub response_bytes: u32,
    /// Calls made, one after the other, for every request.
    #[serde(default)]
    pub calls: Vec<AppCall>,
    /// `Some(prefix)`: the app is Istio's `tcp-echo` sample instead of an HTTP server — for
    /// every line it reads on a TCP connection it writes back `<prefix> <line>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_echo: Option<String>,
    /// Behaviour by path and method, tried in order (see [`AppRoute`]); a request no route
    /// matches gets the fields above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<AppRoute>,
}

impl Default for AppBehaviour {
    fn default() -> Self {
        Self {
            port: 8080,
            latency: LatencyDist::default(),
            error_rate: 0.0,
            error_status: 500,
            concurrency: None,
            response_bytes: 256,
            calls: Vec::new(),
            tcp_echo: None,
            routes: Vec::new(),
        }
    }
}

impl AppBehaviour {
    /// What the app does with a `method` request for `path`: the first route that matches,
    /// its unset fields taken from the app's own; the app's own behaviour when none does.
    /// (Borrowed from `self`, so a timeline change to the app's fields reaches every route
    /// that does not set them.)
    pub fn for_request(&self, method: &str, path: &str) -> Served<'_> {
        let route = self.routes.iter().find(|r| r.matches(method, path));
        Served {
            latency: route
                .and_then(|r| r.latency.as_ref())
                .unwrap_or(&self.latency),
            error_rate: route.and_then(|r| r.error_rate).unwrap_or(self.error_rate),
            error_status: route
                .and_then(|r| r.error_status)
                .unwrap_or(self.error_status),
            response_bytes: route
                .and_then(|r| r.response_bytes)
                .unwrap_or(self.response_bytes),
            calls: route
                .and_then(|r| r.calls.as_deref())
                .unwrap_or(&self.calls),
        }
    }

    /// Every call the app may make — its own, then each route's — with where it is written
    /// (`app.calls[0]`, `app.routes[1].calls[0]`).
    pub fn all_calls(&self) -> Vec<(String, &AppCall)> {
        let own = self
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("app.calls[{i}]"), c));
        let routed = self.routes.iter().enumerate().flat_map(|(r, route)| {
            route
                .calls
                .iter()
                .flatten()
                .enumerate()
                .map(move |(i, c)| (format!("app.routes[{r}].calls[{i}]"), c))
        });
        own.chain(routed).collect()
    }
}

/// What an app does with one request (see [`AppBehaviour::for_request`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served<'a> {
    pub latency: &'a LatencyDist,
    pub error_rate: f64,
    pub error_status: u16,
    pub response_bytes: u32,
    pub calls: &'a [AppCall],
}

/// Behaviour for the requests whose path and method match: `None` fields (and `calls`) are
/// the app's own. The path is matched without its query string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRoute {
    pub path: PathMatch,
    /// Upper-case HTTP methods (`GET`, `POST`); empty: any method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyDist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_bytes: Option<u32>,
    /// `Some(vec![])`: this route makes no calls, whatever the app's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<Vec<AppCall>>,
}

/// How an [`AppRoute`] matches a request's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathMatch {
    /// The path starts with this (`/` matches every path).
    Prefix(String),
    /// The path is exactly this.
    Exact(String),
}

impl AppRoute {
    /// Whether a `method` request for `path` (query string included or not) is this route's.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let path_ok = match &self.path {
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            PathMatch::Exact(p) => path == p,
        };
        path_ok && (self.methods.is_empty() || self.methods.iter().any(|m| m == method))
    }
}
