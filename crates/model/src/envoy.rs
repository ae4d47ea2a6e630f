//! Proxy behaviour that differs between Envoy versions: the switches each release implies
//! (see [`crate::release`]) and the ones a topology or scenario sets explicitly.

use serde::{Deserialize, Serialize};

/// How an Envoy's listener hands new connections to its worker threads (a version switch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerBalance {
    /// Every worker has its own `SO_REUSEPORT` socket and the kernel hashes each connection
    /// to one of them: effectively a uniform random worker (current Envoy).
    #[default]
    ReusePort,
    /// All workers share one listen socket; epoll wakes the most recently active worker
    /// first and it accepts everything queued, so connections concentrate on one worker
    /// (Envoy before `enable_reuse_port` became the default).
    SharedSocket,
}

/// Which max-ejection-percent rule outlier detection applies (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::ejectHost`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxEjectionRule {
    /// Current Envoy: eject only if the percentage *after* ejecting stays within the limit
    /// (with Istio's default 10 %, a service of fewer than 10 hosts never ejects).
    #[default]
    Current,
    /// Envoy 1.27: the percentage after ejecting, but the first host is always ejectable.
    FirstHostExempt,
    /// Envoy ≤ 1.26: compare the percentage *before* ejecting, so one host is always
    /// ejectable.
    AtLeastOne,
}

/// How long an ejection lasts (`DetectorImpl::ejectHost`, `HostMonitor` back-off).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EjectionTimeRule {
    /// `min(base × backoff, max_ejection_time)`, decaying after an interval in service
    /// (Envoy 1.28+).
    #[default]
    Backoff,
    /// The same duration, decaying at every sweep that finds the host in service (Envoy
    /// 1.17–1.27).
    BackoffSweepDecay,
    /// `base × times ejected`, never capped (old Envoy).
    Linear,
}

/// Proxy behaviour that differs between Envoy versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvoySettings {
    pub listener_balance: ListenerBalance,
    #[serde(default)]
    pub max_ejection: MaxEjectionRule,
    #[serde(default)]
    pub ejection_time: EjectionTimeRule,
}

/// Envoy-version switches set explicitly (unset: what the mesh release's Envoy does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvoyOverrides {
    pub listener_balance: Option<ListenerBalance>,
    pub max_ejection: Option<MaxEjectionRule>,
    pub ejection_time: Option<EjectionTimeRule>,
}

impl EnvoyOverrides {
    /// `base` with these overrides applied.
    pub fn apply(&self, base: EnvoySettings) -> EnvoySettings {
        EnvoySettings {
            listener_balance: self.listener_balance.unwrap_or(base.listener_balance),
            max_ejection: self.max_ejection.unwrap_or(base.max_ejection),
            ejection_time: self.ejection_time.unwrap_or(base.ejection_time),
        }
    }

    /// These overrides over `base`'s: each switch set here wins.
    pub fn over(&self, base: &EnvoyOverrides) -> EnvoyOverrides {
        EnvoyOverrides {
            listener_balance: self.listener_balance.or(base.listener_balance),
            max_ejection: self.max_ejection.or(base.max_ejection),
            ejection_time: self.ejection_time.or(base.ejection_time),
        }
    }
}
