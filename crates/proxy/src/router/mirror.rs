//! Request mirroring (shadowing, `source/common/router/router.cc` `Filter::maybeDoShadowing`). Each `request_mirror_policies` entry is decided
//! with the request's stream id (`featureEnabled(…, stable_random = stream_id)`), so the
//! decision is stable per request; a policy with a 0 fraction never mirrors and `CONNECT` is
//! never mirrored. The shadow is a fire-and-forget copy sent through the shadow cluster's own
//! pools and breakers, with the route's global timeout; its response is dropped and its
//! failures never touch the primary response. Its `:authority` gets `-shadow` appended to the
//! host part (`httpbin:8000` → `httpbin-shadow:8000`) unless
//! `disable_shadow_host_suffix_append` — which Istio ≥ 1.28 sets (version switch I6).

use meshtwin_model::traffic::FractionalPercent;

/// One mirror policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorPolicy {
    pub cluster: String,
    /// Envoy's `runtime_fraction` default value.
    pub fraction: FractionalPercent,
    pub disable_shadow_host_suffix_append: bool,
}

impl MirrorPolicy {
    /// Whether the request with this stream id and method is mirrored.
    pub fn should_mirror(&self, stream_id: u64, method: &str) -> bool {
        !method.eq_ignore_ascii_case("CONNECT")
            && !self.cluster.is_empty()
            && self.fraction.numerator > 0
            && self.fraction.enabled(stream_id)
    }

    /// The shadow request's `:authority`.
    pub fn shadow_authority(&self, authority: &str) -> String {
        if self.disable_shadow_host_suffix_append {
            authority.to_string()
        } else {
            shadow_host(authority)
        }
    }
}

/// `-shadow` appended to the host part, before a `:port` (Envoy splits on `:` and, when
/// there are exactly two parts, joins them with `-shadow:`).
pub fn shadow_host(authority: &str) -> String {
    let parts: Vec<&str> = authority.split(':').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [host, port] => format!("{host}-shadow:{port}"),
        _ => format!("{authority}-shadow"),
    }
}
