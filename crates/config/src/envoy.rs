//! `envoy:` blocks — Envoy-version switches set explicitly, over what the mesh release's Envoy
//! does (see [`crate::mesh`]) — in a topology and in a scenario (what-if: the same mesh on
//! another Envoy):
//!
//! ```yaml
//! envoy:
//!   listenerBalance: reusePort          # | sharedSocket (Envoy ≤ 1.19)
//!   maxEjectionPercentRule: current     # | firstHostExempt (Envoy 1.27) | atLeastOne (≤ 1.26)
//!   ejectionTime: backoff               # | backoffSweepDecay (Envoy 1.17–1.27) | linear (≤ 1.16)
//! ```

use meshtwin_model::topology::{
    EjectionTimeRule, EnvoyOverrides, ListenerBalance, MaxEjectionRule,
};

use crate::decode::{Result, Val};

pub const ENVOY_FIELDS: &[&str] = &["listenerBalance", "maxEjectionPercentRule", "ejectionTime"];

/// Decode an `envoy:` block: only what it writes.
pub fn decode(v: &Val<'_>) -> Result<EnvoyOverrides> {
    let e = v.map(ENVOY_FIELDS)?;
    Ok(EnvoyOverrides {
        listener_balance: e
            .opt("listenerBalance", |b| {
                b.one_of(&["reusePort", "sharedSocket"])
            })?
            .map(|b| match b {
                "sharedSocket" => ListenerBalance::SharedSocket,
                _ => ListenerBalance::ReusePort,
            }),
        max_ejection: e
            .opt("maxEjectionPercentRule", |r| {
                r.one_of(&["current", "firstHostExempt", "atLeastOne"])
            })?
            .map(|r| match r {
                "atLeastOne" => MaxEjectionRule::AtLeastOne,
                "firstHostExempt" => MaxEjectionRule::FirstHostExempt,
                _ => MaxEjectionRule::Current,
            }),
        ejection_time: e
            .opt("ejectionTime", |r| {
                r.one_of(&["backoff", "backoffSweepDecay", "linear"])
            })?
            .map(|r| match r {
                "linear" => EjectionTimeRule::Linear,
                "backoffSweepDecay" => EjectionTimeRule::BackoffSweepDecay,
                _ => EjectionTimeRule::Backoff,
            }),
    })
}
