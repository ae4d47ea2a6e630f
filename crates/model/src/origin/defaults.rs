//! The origins of settings nobody wrote: what istiod, App Mesh or Envoy fill in. Each matches
//! the value the lowering puts in the model ([`PoolSettings::istio_default`],
//! [`RetryPolicy::istio_default`], ...).
//!
//! [`PoolSettings::istio_default`]: crate::policy::PoolSettings::istio_default
//! [`RetryPolicy::istio_default`]: crate::traffic::http::RetryPolicy::istio_default

use super::{DefaultBy, Origin, Origins, Setting};
use crate::policy::{APPMESH_UNLIMITED, ISTIO_UNLIMITED};

/// The circuit-breaker and pool settings of a cluster whose DestinationRule writes none: istiod
/// sets every threshold to `math.MaxUint32` and the mesh's `connectTimeout` (10 s); Envoy's
/// `max_requests_per_connection` stays unset (unlimited).
pub fn istio_pool() -> Origins {
    let unlimited = format!("{ISTIO_UNLIMITED} (unlimited)");
    let mut o = Origins::default();
    for (setting, field) in [
        (Setting::MaxConnections, "maxConnections"),
        (Setting::MaxPendingRequests, "http1MaxPendingRequests"),
        (Setting::MaxRequests, "http2MaxRequests"),
        (Setting::MaxRetries, "maxRetries"),
    ] {
        o.set(
            setting,
            Origin::default_of(DefaultBy::Istio, field, unlimited.clone()),
        );
    }
    o.set(
        Setting::MaxRequestsPerConnection,
        Origin::default_of(
            DefaultBy::Envoy,
            "maxRequestsPerConnection",
            "unset (unlimited)",
        ),
    );
    o.set(
        Setting::ConnectTimeout,
        Origin::default_of(DefaultBy::Istio, "connectTimeout", "10s"),
    );
    o
}

/// The pool settings of an App Mesh cluster where the listener's `connectionPool` is silent:
/// 2147483647 for every threshold, connect timeout 1 s.
pub fn appmesh_pool() -> Origins {
    let unlimited = format!("{APPMESH_UNLIMITED} (unlimited)");
    let mut o = Origins::default();
    for (setting, field) in [
        (Setting::MaxConnections, "maxConnections"),
        (Setting::MaxPendingRequests, "maxPendingRequests"),
        (Setting::MaxRequests, "maxRequests"),
        (Setting::MaxRetries, "max_retries"),
    ] {
        o.set(
            setting,
            Origin::default_of(DefaultBy::AppMesh, field, unlimited.clone()),
        );
    }
    o.set(
        Setting::MaxRequestsPerConnection,
        Origin::default_of(
            DefaultBy::Envoy,
            "max_requests_per_connection",
            "unset (unlimited)",
        ),
    );
    o.set(
        Setting::ConnectTimeout,
        Origin::default_of(DefaultBy::AppMesh, "connect_timeout", "1s"),
    );
    o
}

/// Istio's retry policy for a rule without `retries` (and for services no VirtualService
/// names): `attempts: 2`, `retryOn: connect-failure,refused-stream,unavailable,cancelled,
/// retriable-status-codes` — with 503 as the retriable status up to Istio 1.23.
pub fn istio_retries(retry_on_503: bool) -> Origins {
    let codes = if retry_on_503 { "(503)" } else { "" };
    let mut o = Origins::default();
    let note = "no `retries` on the rule: Istio's default retry policy";
    o.set(
        Setting::RetryAttempts,
        Origin::default_of(DefaultBy::Istio, "attempts", "2").with_note(note),
    );
    o.set(
        Setting::RetryOn,
        Origin::default_of(
            DefaultBy::Istio,
            "retryOn",
            format!(
                "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes{codes}"
            ),
        )
        .with_note(note),
    );
    o
}

/// A rule without `timeout`: istiod sets the route timeout to 0, which disables it.
pub fn istio_route_timeout() -> Origin {
    Origin::default_of(DefaultBy::Istio, "timeout", "0s (disabled)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_pool_defaults_are_unlimited_thresholds() {
        let o = istio_pool();
        assert_eq!(
            o.get(Setting::MaxPendingRequests).unwrap().to_string(),
            "Istio default: http1MaxPendingRequests 4294967295 (unlimited)"
        );
        assert_eq!(
            o.get(Setting::ConnectTimeout).unwrap().to_string(),
            "Istio default: connectTimeout 10s"
        );
    }

    #[test]
    fn the_default_retry_policy_shows_503_only_when_it_retries_503s() {
        let old = istio_retries(true);
        assert_eq!(
            old.get(Setting::RetryOn).unwrap().value,
            "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes(503)"
        );
        let new = istio_retries(false);
        assert!(new
            .get(Setting::RetryOn)
            .unwrap()
            .value
            .ends_with("retriable-status-codes"));
        assert_eq!(new.get(Setting::RetryAttempts).unwrap().value, "2");
    }
}
