//! A `VirtualService` HTTP rule, lowered the way istiod builds Envoy routes
//! (`TranslateRoute`, `TranslateRouteMatch`, `retry.ConvertPolicy`, `TranslateFault`,
//! `MirrorPercent`; `source/common/router/config_impl.cc` `RouteEntryImplBase::matchRoute`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Destination, FractionalPercent, RouteDestination};

/// One `http[]` rule: its match blocks (ORed) and what a matching request gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRoute {
    pub name: Option<String>,
    /// One Envoy route per block; empty = catch-all (`prefix: /`).
    pub matches: Vec<HttpMatch>,
    pub action: HttpAction,
    /// The route timeout; `None` = disabled (Istio always sets Envoy's timeout, to 0 when the
    /// rule has none).
    #[serde(with = "crate::duration::opt_ms")]
    pub timeout: Option<Duration>,
    /// `None` = no retries (`attempts: 0`); an absent `retries` is Istio's default policy.
    pub retries: Option<RetryPolicy>,
    pub fault: Option<Fault>,
    pub mirrors: Vec<MirrorPolicy>,
    pub rewrite: Option<Rewrite>,
    #[serde(default, skip_serializing_if = "HeaderOperations::is_empty")]
    pub headers: HeaderOperations,
    /// Where the timeout, retry and fault settings came from (defaults included).
    #[serde(skip)]
    pub origins: crate::origin::Origins,
}

/// What a matching request gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpAction {
    /// Forwarded to one of the destinations (weighted when several).
    Route(Vec<RouteDestination>),
    Redirect(Redirect),
    DirectResponse {
        status: u16,
        body: Option<String>,
    },
}

/// One match block: every condition must hold. `port`, `source_labels`, `source_namespace`
/// and `gateways` are decided per proxy when routes are built, not per request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpMatch {
    pub name: Option<String>,
    pub path: PathMatch,
    /// `false` with `ignoreUriCase: true` (applies to exact and prefix paths).
    pub case_sensitive: bool,
    /// Sorted by name (`headers`, then inverted `withoutHeaders`), then `:method`,
    /// `:authority`, `:scheme` — Istio's order.
    pub headers: Vec<HeaderMatch>,
    /// Sorted by name.
    pub query_params: Vec<QueryParamMatch>,
    pub port: Option<u16>,
    pub source_labels: BTreeMap<String, String>,
    pub source_namespace: Option<String>,
    pub gateways: Vec<String>,
}

/// Envoy's path specifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathMatch {
    Prefix(String),
    /// Envoy `path`.
    Exact(String),
    /// Envoy `safe_regex`: full match of the path without its query.
    Regex(String),
}

/// Istio's `StringMatch`; a missing or `regex: "*"` match is Envoy's `present_match`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StringMatch {
    Exact(String),
    Prefix(String),
    /// Full match.
    Regex(String),
    Present,
}

/// A header condition (`:method` etc. are pseudo-headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderMatch {
    pub name: String,
    pub matcher: StringMatch,
    /// `withoutHeaders` entries.
    pub invert: bool,
    /// Set for inverted non-present matches, so that a missing header counts as "".
    pub treat_missing_as_empty: bool,
}

/// A query-parameter condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryParamMatch {
    pub name: String,
    pub matcher: StringMatch,
}

/// The `update_frequency` Istio gives `envoy.retry_priorities.previous_priorities` for
/// `retryRemoteLocalities: true` (istio/istio `pilot/pkg/networking/core/route/retry/retry.go`
/// `buildPreviousPrioritiesConfig`): the priority load is recomputed every 2 attempts.
pub const PREVIOUS_PRIORITIES_UPDATE_FREQUENCY: u32 = 2;

/// Envoy `retry_policy` as Istio builds it (istio/istio
/// `pilot/pkg/networking/core/route/retry/retry.go` `ConvertPolicy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub num_retries: u32,
    /// Envoy `retry_on` tokens, in order.
    pub retry_on: Vec<String>,
    pub retriable_status_codes: Vec<u16>,
    #[serde(with = "crate::duration::opt_ms")]
    pub per_try_timeout: Option<Duration>,
    /// The `previous_hosts` retry host predicate.
    pub previous_hosts: bool,
    pub host_selection_retry_max_attempts: u32,
    /// The `previous_priorities` retry priority (`retryRemoteLocalities: true`), with
    /// [`PREVIOUS_PRIORITIES_UPDATE_FREQUENCY`].
    pub retry_remote_localities: bool,
    /// `retry_back_off.base_interval`; `None` = Envoy's 25 ms.
    #[serde(with = "crate::duration::opt_ms")]
    pub base_interval: Option<Duration>,
}

impl RetryPolicy {
    /// Istio's policy for a route without `retries` (and for services no VirtualService
    /// names): 2 retries on connect failures and refused streams — and on upstream 503s up to
    /// Istio 1.23 — re-picking away from tried hosts (`route/retry/retry.go` `DefaultPolicy`;
    /// the release-dependent parts come from `compat`).
    pub fn istio_default(compat: &crate::traffic::IstioCompat) -> Self {
        let mut retry_on = vec![
            "connect-failure",
            "refused-stream",
            "unavailable",
            "cancelled",
        ];
        if compat.default_retry_on_resource_exhausted {
            retry_on.push("resource-exhausted");
        }
        retry_on.push("retriable-status-codes");
        Self {
            num_retries: 2,
            retry_on: retry_on.iter().map(|s| s.to_string()).collect(),
            retriable_status_codes: if compat.default_retry_on_503 {
                vec![503]
            } else {
                vec![]
            },
            per_try_timeout: None,
            previous_hosts: true,
            host_selection_retry_max_attempts: compat.default_retry_host_selection_attempts,
            retry_remote_localities: false,
            base_interval: None,
        }
    }
}

/// The HTTP fault filter's per-route config. At least one part is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub delay: Option<FaultDelay>,
    pub abort: Option<FaultAbort>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultDelay {
    #[serde(with = "crate::duration::ms")]
    pub fixed_delay: Duration,
    pub percentage: FractionalPercent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultAbort {
    pub http_status: u16,
    pub percentage: FractionalPercent,
}

/// A `request_mirror_policies` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorPolicy {
    pub destination: Destination,
    pub percentage: FractionalPercent,
    /// Envoy's `disable_shadow_host_suffix_append` (version switch I6).
    pub disable_shadow_host_suffix_append: bool,
}

/// `redirect`: a 3xx local reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub uri: Option<String>,
    pub authority: Option<String>,
    pub port: Option<u16>,
    pub scheme: Option<String>,
    /// 301 unless written.
    pub redirect_code: u16,
}

/// `rewrite`: path prefix and authority rewrites on the forwarded request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    pub uri: Option<String>,
    pub authority: Option<String>,
}

/// Istio `Headers`: operations on requests and responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderOperations {
    pub request: HeaderOps,
    pub response: HeaderOps,
}

impl HeaderOperations {
    pub fn is_empty(&self) -> bool {
        self.request.is_empty() && self.response.is_empty()
    }
}

/// `set` (overwrite), `add` (append) and `remove`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderOps {
    pub set: BTreeMap<String, String>,
    pub add: BTreeMap<String, String>,
    pub remove: Vec<String>,
}

impl HeaderOps {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }
}
