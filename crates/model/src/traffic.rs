//! Istio traffic routing, lowered: `VirtualService` and `Gateway` as istiod hands them to Envoy
//! (`source/common/router/router.cc` `Filter`), minus the placement (which proxy gets which route), which the simulator's control
//! plane decides from the topology.
//!
//! - this module: the shared pieces — [`FractionalPercent`], [`Destination`],
//!   [`VirtualServicePolicy`] and the Istio version switches ([`IstioCompat`]);
//! - [`http`]: HTTP rules — matches, weighted destinations, timeout, retries, fault, mirrors;
//! - [`gateway`]: `Gateway` servers and TCP rules;
//! - [`tsb`]: Tetrate Service Bridge `Gateway`s (ingress and edge gateways, seed 004).

use serde::{Deserialize, Serialize};

use crate::SourceRef;

pub mod appmesh;
pub mod gateway;
pub mod http;
pub mod service_entry;
pub mod tsb;

/// istiod behaviour that differs between releases. Built from a release by
/// [`crate::release::IstioRelease::switches`] (which cites the source of each boundary);
/// `Default` is [`IstioCompat::CURRENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IstioCompat {
    /// Each weight 0..100 and a total of exactly 100 (Istio ≤ 1.14) instead of each weight
    /// ≥ 0 and a positive total (1.15+).
    pub legacy_weight_validation: bool,
    /// The default retry policy also retries upstream 503s (`retriable_status_codes: [503]`).
    pub default_retry_on_503: bool,
    /// The default retry policy's `host_selection_retry_max_attempts`.
    pub default_retry_host_selection_attempts: u32,
    /// The default retry policy's `retry_on` lists gRPC `resource-exhausted`.
    pub default_retry_on_resource_exhausted: bool,
    /// Mirrored requests get `-shadow` appended to their host.
    pub shadow_host_suffix: bool,
    /// `outlierDetection.consecutiveErrors` means consecutive gateway errors (502/503/504),
    /// with 5xx ejection off, instead of being ignored.
    pub legacy_consecutive_errors: bool,
    /// `consecutive5xxErrors` and `consecutiveGatewayErrors` exist.
    pub split_consecutive_errors: bool,
    /// Success-rate ejection is enforced (Envoy's default) instead of detection only.
    pub success_rate_enforced: bool,
    /// `minHealthPercent` sets the panic threshold only when > 0, else Envoy's 50 % applies.
    pub legacy_panic_threshold: bool,
}

impl IstioCompat {
    /// Current Istio (the newest release the twin models).
    pub const CURRENT: IstioCompat = IstioCompat {
        legacy_weight_validation: false,
        default_retry_on_503: false,
        default_retry_host_selection_attempts: 5,
        default_retry_on_resource_exhausted: false,
        shadow_host_suffix: false,
        legacy_consecutive_errors: false,
        split_consecutive_errors: true,
        success_rate_enforced: false,
        legacy_panic_threshold: false,
    };
}

impl Default for IstioCompat {
    fn default() -> Self {
        Self::CURRENT
    }
}

/// Envoy's `FractionalPercent` denominators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Denominator {
    Hundred,
    TenThousand,
    Million,
}

impl Denominator {
    pub fn value(self) -> u64 {
        match self {
            Denominator::Hundred => 100,
            Denominator::TenThousand => 10_000,
            Denominator::Million => 1_000_000,
        }
    }
}

/// Envoy's `FractionalPercent`: `numerator / denominator`, sampled as
/// `random % denominator < numerator` (`evaluateFractionalPercent`, `source/extensions/filters/http/fault/fault_filter.cc` `FaultFilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FractionalPercent {
    pub numerator: u32,
    pub denominator: Denominator,
}

impl FractionalPercent {
    /// `n` out of 100 (Istio's deprecated integer percents).
    pub const fn hundred(n: u32) -> Self {
        Self {
            numerator: n,
            denominator: Denominator::Hundred,
        }
    }

    /// `n` out of 1 000 000.
    pub const fn million(n: u32) -> Self {
        Self {
            numerator: n,
            denominator: Denominator::Million,
        }
    }

    /// Istio's `Percent{value}` → MILLION with numerator `uint32(value * 10000)`, truncated
    /// as Go truncates (0.00015 % ⇒ 1 per million).
    pub fn from_istio_percentage(value: f64) -> Self {
        Self::million((value * 10_000.0) as u32)
    }

    /// Whether a draw of `random_value` falls inside the fraction. A numerator at or above the
    /// denominator is always enabled; 0 never is.
    pub fn enabled(self, random_value: u64) -> bool {
        random_value % self.denominator.value() < u64::from(self.numerator)
    }
}

/// Where a lowered value was written, for errors found after lowering (unknown host, subset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldRef {
    /// 1-based line in the object's file.
    pub line: u32,
    /// Field path inside the object, such as `spec.http[0].route[1].destination`.
    pub path: String,
}

/// A route destination: a service host, optionally a DestinationRule subset and a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// The host as written (short name, `name.namespace`, FQDN or external host).
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<u16>,
    /// Where `host` was written (not serialized).
    #[serde(skip)]
    pub at: FieldRef,
    /// Where `subset` was written, when it was (not serialized).
    #[serde(skip)]
    pub subset_at: FieldRef,
}

/// A destination with its weight (HTTP and TCP routes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteDestination {
    pub destination: Destination,
    /// As written. With one destination Envoy gets a plain cluster and the weight is ignored;
    /// with several, Istio drops weight-0 destinations (they are not listed here) and passes
    /// the others unnormalised (`source/common/router/config_impl.cc` `RouteEntryImplBase::pickWeightedCluster`).
    pub weight: u32,
    /// Header operations for requests sent to this destination.
    #[serde(default, skip_serializing_if = "http::HeaderOperations::is_empty")]
    pub headers: http::HeaderOperations,
}

/// An Istio `VirtualService`, lowered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualServicePolicy {
    pub name: String,
    pub namespace: String,
    /// `spec.hosts` as written.
    pub hosts: Vec<String>,
    /// `spec.gateways`; `["mesh"]` (every sidecar) when not written.
    pub gateways: Vec<String>,
    /// HTTP rules in order, up to and including the first catch-all rule (istiod drops the
    /// rules after it).
    pub http: Vec<http::HttpRoute>,
    /// TCP rules in order.
    pub tcp: Vec<gateway::TcpRoute>,
    pub export_to: Vec<String>,
    pub source: SourceRef,
}

impl VirtualServicePolicy {
    /// Every destination the rules route or mirror to, in rule order.
    pub fn destinations(&self) -> impl Iterator<Item = &Destination> {
        let http = self.http.iter().flat_map(|r| {
            let routed = match &r.action {
                http::HttpAction::Route(d) => d.as_slice(),
                _ => &[],
            };
            routed
                .iter()
                .map(|d| &d.destination)
                .chain(r.mirrors.iter().map(|m| &m.destination))
        });
        let tcp = self
            .tcp
            .iter()
            .flat_map(|r| r.route.iter().map(|d| &d.destination));
        http.chain(tcp)
    }
}
