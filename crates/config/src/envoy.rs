//! `envoy:` blocks — Envoy-version switches (spec §10) — in a topology (the mesh's Envoy) and
//! in a scenario (what-if: the same mesh on another Envoy):
//!
//! ```yaml
//! envoy:
//!   listenerBalance: reusePort          # | sharedSocket (Envoy before reuse_port)
//!   maxEjectionPercentRule: current     # | atLeastOne (Envoy ≤ ~1.26, V1)
//!   ejectionTime: backoff               # | linear (old Envoy, V2)
//! ```

use meshtwin_model::scenario::EnvoyOverrides;
use meshtwin_model::topology::{EjectionTimeRule, ListenerBalance, MaxEjectionRule};

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
                r.one_of(&["current", "atLeastOne"])
            })?
            .map(|r| match r {
                "atLeastOne" => MaxEjectionRule::AtLeastOne,
                _ => MaxEjectionRule::Current,
            }),
        ejection_time: e
            .opt("ejectionTime", |r| r.one_of(&["backoff", "linear"]))?
            .map(|r| match r {
                "linear" => EjectionTimeRule::Linear,
                _ => EjectionTimeRule::Backoff,
            }),
    })
}
