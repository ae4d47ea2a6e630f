//! The outlier detector against `source/common/upstream/outlier_detection_impl.cc` `DetectorImpl`, written as sentences about behaviour.

mod consecutive;
mod duration;
mod local_origin;
mod max_percent;
mod stats_config;
mod success_rate;
mod sweep;

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Config, Detector, Event, Outcome};
use crate::lb::HostId;

pub(super) fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(7)
}

pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub(super) fn h(i: u32) -> HostId {
    HostId(i)
}

/// Envoy's defaults, except that every host may be ejected.
pub(super) fn cfg() -> Config {
    Config {
        max_ejection_percent: 100,
        ..Config::default()
    }
}

pub(super) fn detector(hosts: u32, cfg: Config) -> Detector {
    Detector::new(cfg, (0..hosts).map(HostId))
}

/// Report `code` `n` times on `host` at `now`, collecting the events.
pub(super) fn fail(
    d: &mut Detector,
    host: u32,
    code: u16,
    n: usize,
    now: Duration,
    r: &mut ChaCha8Rng,
) -> Vec<Event> {
    (0..n)
        .flat_map(|_| d.report(h(host), Outcome::Http(code), now, r))
        .collect()
}

/// The hosts ejected by these events.
pub(super) fn ejected(events: &[Event]) -> Vec<HostId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Ejected { host, .. } => Some(*host),
            _ => None,
        })
        .collect()
}

/// Run sweeps every `interval` from `from` (exclusive) through `to` (inclusive).
pub(super) fn sweeps(
    d: &mut Detector,
    from: Duration,
    to: Duration,
    r: &mut ChaCha8Rng,
) -> Vec<(Duration, Event)> {
    let mut out = Vec::new();
    let mut t = from + d.interval();
    while t <= to {
        out.extend(d.on_interval(t, r).into_iter().map(|e| (t, e)));
        t += d.interval();
    }
    out
}
