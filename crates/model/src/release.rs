//! The mesh release a run models — `mesh: {istio: "1.23", appMesh: {envoy: "1.27"}}` in a
//! topology or scenario — and what follows from it. [`IstioRelease::switches`] and
//! [`envoy_switches`] are the only places a version becomes behaviour; every boundary cites
//! where it was read. Unset, a mesh is current: Istio [`ISTIO_NEWEST`] with the Envoy it ships.
//!
//! Istio → Envoy: Istio 1.N ships Envoy 1.(N+8) from Istio 1.9 on (istio.io "Supported
//! Releases", table "Supported Envoy Versions": 1.16 → 1.24 … 1.21 → `release/v1.29`; istio/proxy
//! `WORKSPACE` `ENVOY_SHA` commit dates for the others: 1.9.0 → 2021-01-25 … 1.30.0 →
//! 2026-05-15). Istio ≤ 1.8 shipped Envoy builds of their own era, all before Envoy 1.17, which
//! behave alike for every Envoy switch below.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::topology::{EjectionTimeRule, EnvoySettings, ListenerBalance, MaxEjectionRule, Sidecar};
use crate::traffic::IstioCompat;

/// A `major.minor` release number, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// `"1.22"` or `"1.22.3"` (the patch is accepted and ignored: the twin models minor
    /// releases, as of their `.0`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('.');
        let number = |p: Option<&str>| {
            p.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let (major, minor) = (number(parts.next())?, number(parts.next())?);
        match (parts.next(), parts.next()) {
            (None, _) => Some(Self::new(major, minor)),
            (Some(patch), None) => number(Some(patch)).map(|_| Self::new(major, minor)),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The oldest Istio release the twin models: 1.1 introduced the default retry policy
/// (`pilot/pkg/networking/core/v1alpha3/route/retry/retry.go` `DefaultPolicy`, absent in 1.0).
pub const ISTIO_OLDEST: Version = Version::new(1, 1);
/// The newest Istio release the twin models; a mesh without `mesh.istio` is this one.
pub const ISTIO_NEWEST: Version = Version::new(1, 30);
/// The Envoy releases an App Mesh Envoy image may name (the switch table covers all of them).
pub const ENVOY_OLDEST: Version = Version::new(1, 0);
/// The newest Envoy release the twin models (the one Istio [`ISTIO_NEWEST`] ships).
pub const ENVOY_NEWEST: Version = Version::new(1, 38);

/// An istiod environment switch (`values.pilot.env`) and the releases that have it.
pub struct PilotSwitch {
    pub name: &'static str,
    pub first: Version,
    pub last: Version,
    /// Its default in those releases.
    pub default: bool,
}

/// `EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY`: added in 1.24 defaulting to true (istio commit
/// 65aaaf4f8c5, #52111, `pilot/pkg/features/pilot.go`), removed in 1.27 with the 503 gone for
/// good (commit 748c90d41d4, #56023).
pub const EXCLUDE_UNSAFE_503: PilotSwitch = PilotSwitch {
    name: "EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY",
    first: Version::new(1, 24),
    last: Version::new(1, 26),
    default: true,
};

/// `DISABLE_SHADOW_HOST_SUFFIX`: added in 1.28 defaulting to true (istio commit 064f8213db6,
/// #57708); before it every mirrored request got `-shadow`.
pub const DISABLE_SHADOW_HOST_SUFFIX: PilotSwitch = PilotSwitch {
    name: "DISABLE_SHADOW_HOST_SUFFIX",
    first: Version::new(1, 28),
    last: ISTIO_NEWEST,
    default: true,
};

/// Every istiod switch the twin honours.
pub const PILOT_SWITCHES: [&PilotSwitch; 2] = [&EXCLUDE_UNSAFE_503, &DISABLE_SHADOW_HOST_SUFFIX];

/// istiod switches set explicitly (`None`: the release's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PilotEnv {
    pub exclude_unsafe_503_from_default_retry: Option<bool>,
    pub disable_shadow_host_suffix: Option<bool>,
}

impl PilotEnv {
    /// The value a switch has in `version`: its setting, or its default; `None` when the
    /// release does not have it.
    pub fn value(&self, switch: &PilotSwitch, version: Version) -> Option<bool> {
        if version < switch.first || version > switch.last {
            return None;
        }
        Some(self.get(switch).unwrap_or(switch.default))
    }

    /// The explicit setting of `switch`, if any.
    pub fn get(&self, switch: &PilotSwitch) -> Option<bool> {
        *self.slot(switch)
    }

    /// Set `switch` explicitly.
    pub fn set(&mut self, switch: &PilotSwitch, value: bool) {
        *self.slot_mut(switch) = Some(value);
    }

    fn slot(&self, switch: &PilotSwitch) -> &Option<bool> {
        if switch.name == EXCLUDE_UNSAFE_503.name {
            &self.exclude_unsafe_503_from_default_retry
        } else {
            &self.disable_shadow_host_suffix
        }
    }

    fn slot_mut(&mut self, switch: &PilotSwitch) -> &mut Option<bool> {
        if switch.name == EXCLUDE_UNSAFE_503.name {
            &mut self.exclude_unsafe_503_from_default_retry
        } else {
            &mut self.disable_shadow_host_suffix
        }
    }
}

/// An Istio release (control plane and the sidecars it injects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IstioRelease {
    pub version: Version,
    #[serde(default)]
    pub pilot_env: PilotEnv,
}

/// Everything a release switches: istiod's lowering and its proxies' Envoy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseSwitches {
    pub istio: IstioCompat,
    pub envoy: EnvoySettings,
}

impl IstioRelease {
    /// Istio `version` with istiod's default environment.
    pub const fn new(version: Version) -> Self {
        Self {
            version,
            pilot_env: PilotEnv {
                exclude_unsafe_503_from_default_retry: None,
                disable_shadow_host_suffix: None,
            },
        }
    }

    /// The release a mesh without `mesh.istio` runs.
    pub const fn current() -> Self {
        Self::new(ISTIO_NEWEST)
    }

    /// The Envoy release this Istio ships (see the module docs).
    pub fn envoy(&self) -> Version {
        Version::new(1, self.version.minor + 8)
    }

    /// The one function from an Istio release to behaviour.
    pub fn switches(&self) -> ReleaseSwitches {
        ReleaseSwitches {
            istio: self.istio_compat(),
            envoy: envoy_switches(self.envoy()),
        }
    }

    fn istio_compat(&self) -> IstioCompat {
        let at_most = |major, minor| self.version <= Version::new(major, minor);
        let env = |s: &PilotSwitch| self.pilot_env.value(s, self.version);
        IstioCompat {
            // `ValidateHTTPRoute` / `validateWeights`: each weight 0..100 summing to 100 until
            // 1.14; 1.15 accepts any non-negative weights with a positive total (istio commit
            // ac641d08093, #39544).
            legacy_weight_validation: at_most(1, 14),
            // `route/retry/retry.go` `defaultPolicy`: `RetriableStatusCodes: [503]` from 1.1
            // to 1.23; 1.24–1.26 only when `EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=false`;
            // never from 1.27.
            default_retry_on_503: at_most(1, 23) || env(&EXCLUDE_UNSAFE_503) == Some(false),
            // `HostSelectionRetryMaxAttempts` 3 in 1.1, 5 from 1.2 (istio commit d557ad36c9a,
            // #13773).
            default_retry_host_selection_attempts: if at_most(1, 1) { 3 } else { 5 },
            // `retry_on` listed gRPC `resource-exhausted` until 1.5 (istio commit 82e860adc16,
            // #21946, first in 1.6).
            default_retry_on_resource_exhausted: at_most(1, 5),
            // `route.go` `TranslateRequestMirrorPolicy`: Envoy's `-shadow` host suffix kept
            // until 1.27; from 1.28 `DISABLE_SHADOW_HOST_SUFFIX` (default true) suppresses it.
            shadow_host_suffix: at_most(1, 27) || env(&DISABLE_SHADOW_HOST_SUFFIX) == Some(false),
            // `cluster.go` `applyOutlierDetection` up to 1.6: `consecutiveErrors: n` →
            // `consecutive_gateway_failure: n` enforced 100 %, `enforcing_consecutive_5xx: 0`
            // (istio/api#617); 1.7 ignores it (istio commit a291ab60276, #24087).
            legacy_consecutive_errors: at_most(1, 6),
            // `consecutive5xxErrors` / `consecutiveGatewayErrors` exist from 1.5 on (read by
            // `applyOutlierDetection` first in 1.5.0).
            split_consecutive_errors: !at_most(1, 4),
            // `enforcing_success_rate: 0` is set from 1.7 (istio commit 13e83df7707, #25534);
            // before, Envoy's default 100 % enforces success-rate ejection.
            success_rate_enforced: at_most(1, 6),
            // `healthy_panic_threshold = minHealthPercent` only when it is > 0 until 1.2,
            // whenever the block is present from 1.3 (istio commit 501dc215c06, #15609); unset,
            // Envoy's panic threshold is 50 %.
            legacy_panic_threshold: at_most(1, 2),
        }
    }
}

/// The Envoy switches of Envoy `envoy`.
pub fn envoy_switches(envoy: Version) -> EnvoySettings {
    let at_least = |minor| envoy >= Version::new(1, minor);
    EnvoySettings {
        // `enable_reuse_port` defaults to true from Envoy 1.20 (envoy PR #17259, merged
        // 2021-07-20, data-plane-api `listener.proto`); before, workers share one socket.
        listener_balance: if at_least(20) {
            ListenerBalance::ReusePort
        } else {
            ListenerBalance::SharedSocket
        },
        // `outlier_detection_impl.cc` `DetectorImpl::ejectHost`: the percentage before the
        // ejection (`< max`) until 1.26; 1.27 the percentage after it with the first host
        // exempt (envoy PR #27624, merged before PR #27909 opened on 2023-06-11); 1.28 puts
        // the first host under the limit too (PR #27909, changelog 1.28.0 "Outlier detection
        // will always respect max_ejection_percent now", `check_mep_on_first_eject`); 1.31
        // removed the guard and added the opt-in `always_eject_one_host` (PR #34796).
        max_ejection: if at_least(28) {
            MaxEjectionRule::Current
        } else if at_least(27) {
            MaxEjectionRule::FirstHostExempt
        } else {
            MaxEjectionRule::AtLeastOne
        },
        // Ejection time `base × times ejected` until 1.16; 1.17 added `max_ejection_time` and
        // the decaying back-off (envoy PR #14235, merged 2020-12-16); 1.28 decays only after a
        // whole interval in service (PR #29711, changelog 1.28.0).
        ejection_time: if at_least(28) {
            EjectionTimeRule::Backoff
        } else if at_least(17) {
            EjectionTimeRule::BackoffSweepDecay
        } else {
            EjectionTimeRule::Linear
        },
    }
}

/// The releases a mesh runs: Istio (and its Envoy) and App Mesh's Envoy image. Unset parts are
/// current.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeshRelease {
    #[serde(default)]
    pub istio: Option<IstioRelease>,
    /// The Envoy release of App Mesh's Envoy image (`v1.27.2.0-prod` → 1.27).
    #[serde(default)]
    pub app_mesh_envoy: Option<Version>,
}

impl MeshRelease {
    /// Istio `version` (default istiod environment), App Mesh current.
    pub const fn istio(version: Version) -> Self {
        Self {
            istio: Some(IstioRelease::new(version)),
            app_mesh_envoy: None,
        }
    }

    /// These settings over `base`: each part set here wins.
    pub fn over(&self, base: &MeshRelease) -> MeshRelease {
        MeshRelease {
            istio: self.istio.or(base.istio),
            app_mesh_envoy: self.app_mesh_envoy.or(base.app_mesh_envoy),
        }
    }

    /// The Istio release modelled (current when unset).
    pub fn istio_release(&self) -> IstioRelease {
        self.istio.unwrap_or_else(IstioRelease::current)
    }

    /// istiod's lowering switches.
    pub fn istio_compat(&self) -> IstioCompat {
        self.istio_release().switches().istio
    }

    /// The Envoy switches of the proxy beside (or as) a pod with this sidecar: App Mesh's
    /// Envoy image for App Mesh proxies, the Istio release's Envoy for the others.
    pub fn envoy_for(&self, sidecar: &Sidecar) -> EnvoySettings {
        match sidecar {
            Sidecar::AppMesh { .. } | Sidecar::AppMeshGateway { .. } => {
                envoy_switches(self.app_mesh_envoy.unwrap_or(ENVOY_NEWEST))
            }
            _ => self.istio_release().switches().envoy,
        }
    }

    /// One line for run headers: `Istio 1.23 (Envoy 1.31)`, with `(current)` when unset.
    pub fn describe(&self) -> String {
        let istio = self.istio_release();
        let envoy = if istio.version.minor >= 9 {
            format!("Envoy {}", istio.envoy())
        } else {
            "Envoy ≤ 1.16".to_string()
        };
        let mut out = format!("Istio {} ({envoy})", istio.version);
        if self.istio.is_none() {
            out.push_str(" (current)");
        }
        for s in PILOT_SWITCHES {
            if let Some(v) = istio.pilot_env.get(s) {
                out.push_str(&format!(" {}={v}", s.name));
            }
        }
        if let Some(v) = self.app_mesh_envoy {
            out.push_str(&format!(" · App Mesh Envoy {v}"));
        }
        out
    }
}
