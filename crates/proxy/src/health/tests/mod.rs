//! The active health checker against `source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`, written as sentences about behaviour.

mod interval;
mod outlier;
mod thresholds;

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{CheckResult, Config, HealthChecker, Kind};
use crate::lb::HostId;

pub(super) fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(7)
}

pub(super) fn h(i: u32) -> HostId {
    HostId(i)
}

/// seed 000's `healthCheck`: http `/ping`, 5 s interval, 2 s timeout, thresholds 2 / 2.
pub(super) fn cfg() -> Config {
    Config {
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        ..Config::new(
            Kind::Http {
                path: "/ping".into(),
                http2: false,
            },
            Duration::from_secs(5),
            Duration::from_secs(2),
        )
    }
}

pub(super) fn checker(hosts: u32, cfg: Config) -> HealthChecker {
    HealthChecker::new(cfg, (0..hosts).map(HostId))
}

/// Complete one check of `host` with `result` on a cluster that has carried traffic.
pub(super) fn check(c: &mut HealthChecker, host: u32, result: CheckResult) -> super::Completed {
    c.on_attempt();
    c.on_result(h(host), &result, true, &mut rng())
        .expect("the host is checked")
}

pub(super) fn refused() -> CheckResult {
    CheckResult::Network("connection failure".into())
}
