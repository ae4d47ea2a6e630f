//! Envoy's router as synchronous engines (`source/common/router/router.cc` `Filter`, `source/common/http/conn_manager_impl.cc` `ActiveStream`, `source/common/router/router.cc` `Filter`): route tables in, decisions out. No
//! async, no IO, no clock — durations are values and every random draw comes from the
//! `rand::RngCore` the caller passes, so the async HTTP layer only drives these.
//!
//! - [`config`]: the route table — virtual hosts, ordered routes, actions.
//! - [`domains`]: picking the virtual host for an `:authority` (exact, `*.suffix`, `prefix.*`, `*`).
//! - [`matcher`]: route matching — path, headers, query parameters, port, source labels.
//! - [`values`]: value matchers (string, header, query parameter) shared with retries.
//! - [`weighted`]: weighted clusters, `random % total_weight` walked in list order.
//! - [`timeout`]: the global route timeout and the per-try timeout, request-header overrides,
//!   `x-envoy-expected-rq-timeout-ms`.
//! - [`retry`]: retry policy, conditions (`retry_on`), back-off, and the per-request
//!   [`retry::RetryState`].
//! - [`fault`]: the HTTP fault filter's delay and abort, sampled independently.
//! - [`mirror`]: request mirroring (shadowing) and the `-shadow` host suffix.
//!
//! Per request the HTTP connection manager draws one [`stream_id`]; Envoy uses it for the
//! weighted-cluster pick and for the mirror decision (so the two are correlated, as in Envoy).
//! Faults and back-off make fresh draws.

pub mod config;
pub mod domains;
pub mod fault;
pub mod matcher;
pub mod mirror;
pub mod retry;
pub mod timeout;
pub mod values;
pub mod weighted;

/// Remove every `name` header of `headers`, returning the first (as [`http::HeaderMap::remove`]).
/// The names of a request are scanned first: an absent name — most of the headers the router
/// consumes or strips, on most requests — costs a few comparisons instead of parsing and
/// hashing the name.
pub(crate) fn remove_header(
    headers: &mut http::HeaderMap,
    name: &str,
) -> Option<http::HeaderValue> {
    if !headers.keys().any(|k| k.as_str() == name) {
        return None;
    }
    headers.remove(name)
}

#[cfg(test)]
mod tests;

/// The per-request random value Envoy's connection manager assigns (`stream_id_`).
pub fn stream_id(rng: &mut impl rand::RngCore) -> u64 {
    rng.next_u64()
}
