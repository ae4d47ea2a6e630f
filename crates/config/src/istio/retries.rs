//! `http[].retries` → Envoy's retry policy, as `retry.ConvertPolicy` builds it and
//! `agent.ValidateHTTPRetry` checks it (istio/istio `pilot/pkg/networking/core/route/retry/retry.go`,
//! `pkg/config/validation/agent/validation.go`); the default policy's release-dependent
//! parts come from [`IstioCompat`] (see `meshtwin_model::release`).

use meshtwin_model::traffic::http::RetryPolicy;
use meshtwin_model::traffic::IstioCompat;

use super::checks;
use crate::decode::{Result, Val};

const RETRY_FIELDS: &[&str] = &[
    "attempts",
    "perTryTimeout",
    "retryOn",
    "retryRemoteLocalities",
    "retryIgnorePreviousHosts",
    "backoff",
];

/// The `retryOn` tokens Istio accepts (besides HTTP status codes).
pub const RETRY_ON_POLICIES: &[&str] = &[
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// Istio's policy for a rule without `retries` (see [`RetryPolicy::istio_default`]).
pub fn default_policy(compat: &IstioCompat) -> RetryPolicy {
    RetryPolicy::istio_default(compat)
}

/// A status code token of `retryOn` (`strconv.Atoi` + `http.StatusText`).
fn status_token(token: &str) -> Option<u16> {
    token
        .parse::<u16>()
        .ok()
        .filter(|c| checks::is_known_status(*c))
}

/// Decode `retries`; `None` = retries disabled (`attempts: 0`).
pub fn decode(v: &Val<'_>, compat: &IstioCompat) -> Result<Option<RetryPolicy>> {
    let r = v.map(RETRY_FIELDS)?;
    let attempts = match r.get("attempts") {
        Some(a) => {
            let n = checks::int32(&a)?;
            if n < 0 {
                return Err(a.error("attempts cannot be negative"));
            }
            n
        }
        None => 0,
    };
    let per_try_timeout = r.opt("perTryTimeout", checks::duration)?;
    let retry_on = r.opt("retryOn", |x| x.str().map(str::to_string))?;
    let remote_localities = r.opt("retryRemoteLocalities", Val::bool)?;
    if let (Some(on), Some(val)) = (&retry_on, r.get("retryOn")) {
        for token in on.split(',') {
            if status_token(token).is_none() && !RETRY_ON_POLICIES.contains(&token) {
                return Err(val.error(format!("{token:?} is not a valid retryOn policy")));
            }
        }
    }
    let ignore_previous = r.opt("retryIgnorePreviousHosts", Val::bool)?;
    let backoff = r.opt("backoff", checks::duration)?;
    if attempts == 0 {
        let configured = per_try_timeout.is_some()
            || retry_on.as_deref().is_some_and(|s| !s.is_empty())
            || remote_localities.is_some();
        if configured {
            return Err(
                v.error("http retry policy configured when attempts are set to 0 (disabled)")
            );
        }
        return Ok(None);
    }
    let mut out = default_policy(compat);
    out.num_retries = attempts.unsigned_abs();
    if let Some(on) = retry_on.filter(|s| !s.is_empty()) {
        let (codes, tokens): (Vec<&str>, Vec<&str>) = on
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .partition(|t| status_token(t).is_some());
        out.retry_on = tokens.iter().map(|t| t.to_string()).collect();
        out.retriable_status_codes = codes.iter().filter_map(|t| status_token(t)).collect();
        if !out.retriable_status_codes.is_empty()
            && !out
                .retry_on
                .iter()
                .any(|t| t.contains("retriable-status-codes"))
        {
            out.retry_on.push("retriable-status-codes".into());
        }
    }
    out.per_try_timeout = per_try_timeout;
    if let Some(keep) = ignore_previous {
        out.previous_hosts = keep;
    }
    out.retry_remote_localities = remote_localities.unwrap_or(false);
    out.base_interval = backoff;
    Ok(Some(out))
}
