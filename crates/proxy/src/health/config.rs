//! The health checker's settings: Envoy's `HealthCheck` with its defaults (`source/extensions/health_checkers/common/health_checker_base_impl.cc` `HealthCheckerImplBase`), built
//! from the lowered App Mesh `healthCheck` (App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh)), and the next-check delay rule of
//! `HealthCheckerImplBase::interval` / `intervalWithJitter`.

use std::time::Duration;

use meshtwin_model::policy::HealthCheck;
use meshtwin_model::topology::Protocol;
use rand::RngCore;

/// Envoy's `no_traffic_interval` default.
pub const NO_TRAFFIC_INTERVAL: Duration = Duration::from_secs(60);

/// What one check does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `http_health_check`: `GET path`, success iff the status is expected (default 200 only).
    Http { path: String, http2: bool },
    /// `grpc_health_check`: `grpc.health.v1.Health/Check` over HTTP/2.
    Grpc,
    /// `tcp_health_check` with no payload: a successful connect passes.
    Tcp,
}

/// One cluster's health-check settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub kind: Kind,
    /// Port checked instead of the endpoint's own (`health_check_config.port_value`).
    pub port: Option<u16>,
    pub interval: Duration,
    pub timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    /// Used while the cluster has never had an upstream connection (default 60 s).
    pub no_traffic_interval: Duration,
    /// The same for a healthy host (defaults to `no_traffic_interval`).
    pub no_traffic_healthy_interval: Duration,
    /// After a failed check (defaults to `interval`).
    pub unhealthy_interval: Duration,
    /// After a failed check while a transition to unhealthy is pending (defaults to
    /// `unhealthy_interval`).
    pub unhealthy_edge_interval: Duration,
    /// After a passing check while a transition to healthy is pending (defaults to `interval`).
    pub healthy_edge_interval: Duration,
    /// Delay of the first check: a random draw in `[0, initial_jitter)` (default 0: at once).
    pub initial_jitter: Duration,
    /// Added to every delay: a random draw in `[0, interval_jitter)` (default 0).
    pub interval_jitter: Duration,
    /// Added to every delay: a random draw in `[0, percent · base / 100)` (default 0).
    pub interval_jitter_percent: u32,
    /// Expected HTTP statuses, `[start, end)` ranges (default `[200, 201)`).
    pub expected_statuses: Vec<(u16, u16)>,
    /// Keep an HTTP check's connection for the next check (Envoy's default: true).
    pub reuse_connection: bool,
}

/// Whether the host's state changed with this check (Envoy's `HealthTransition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Unchanged,
    Changed,
    /// Counting towards a threshold.
    ChangePending,
}

impl Config {
    /// The Envoy cluster `health_checks` entry for an App Mesh `healthCheck`. Whether App Mesh
    /// sets jitter, `no_traffic_interval` or expected statuses is unknown (App Mesh `HealthCheckPolicy` (docs/guide.md, App Mesh), docs/guide.md (not modelled)):
    /// Envoy's defaults are used. The check's connection is not kept between checks
    /// [inferred]: in seed 000 (R3) green's `http.ingress.downstream_cx_active` reads 20 — just
    /// fortio's connections — although the gateway health-checks green; a kept connection
    /// would make it 21.
    pub fn from_model(hc: &HealthCheck) -> Self {
        let kind = match hc.protocol {
            Protocol::Http | Protocol::Http2 => Kind::Http {
                path: hc.path.clone().unwrap_or_else(|| "/".into()),
                http2: hc.protocol == Protocol::Http2,
            },
            Protocol::Grpc => Kind::Grpc,
            Protocol::Tcp => Kind::Tcp,
        };
        Self {
            port: hc.port,
            healthy_threshold: hc.healthy_threshold.max(1),
            unhealthy_threshold: hc.unhealthy_threshold.max(1),
            reuse_connection: false,
            ..Self::new(kind, hc.interval, hc.timeout)
        }
    }

    /// `interval` and `timeout` with every other setting at Envoy's default, thresholds 1.
    pub fn new(kind: Kind, interval: Duration, timeout: Duration) -> Self {
        Self {
            kind,
            port: None,
            interval,
            timeout,
            healthy_threshold: 1,
            unhealthy_threshold: 1,
            no_traffic_interval: NO_TRAFFIC_INTERVAL,
            no_traffic_healthy_interval: NO_TRAFFIC_INTERVAL,
            unhealthy_interval: interval,
            unhealthy_edge_interval: interval,
            healthy_edge_interval: interval,
            initial_jitter: Duration::ZERO,
            interval_jitter: Duration::ZERO,
            interval_jitter_percent: 0,
            expected_statuses: vec![(200, 201)],
            reuse_connection: true,
        }
    }

    /// Whether `status` passes an HTTP check.
    pub fn expected(&self, status: u16) -> bool {
        self.expected_statuses
            .iter()
            .any(|&(s, e)| (s..e).contains(&status))
    }

    /// Delay before the next check after one whose result was `passed`, with `transition`
    /// (Envoy's `interval(state, changed_state)`). `had_traffic`: the cluster has ever opened an
    /// upstream connection (`upstream_cx_total` used) — health-check connections do not count.
    pub fn next_delay<R: RngCore + ?Sized>(
        &self,
        passed: bool,
        transition: Transition,
        had_traffic: bool,
        rng: &mut R,
    ) -> Duration {
        let pending = transition == Transition::ChangePending;
        let base = match (had_traffic, passed, pending) {
            (true, false, true) => self.unhealthy_edge_interval,
            (true, false, false) => self.unhealthy_interval,
            (true, true, true) => self.healthy_edge_interval,
            (true, true, false) => self.interval,
            (false, true, false) => self.no_traffic_healthy_interval,
            (false, _, _) => self.no_traffic_interval,
        };
        self.with_jitter(ms(base), ms(self.interval_jitter), rng)
    }

    /// Delay of a new host's first check (`onInitialInterval`).
    pub fn initial_delay<R: RngCore + ?Sized>(&self, rng: &mut R) -> Duration {
        if self.initial_jitter.is_zero() {
            Duration::ZERO
        } else {
            self.with_jitter(0, ms(self.initial_jitter), rng)
        }
    }

    /// `intervalWithJitter`: percent jitter, then absolute jitter, at least 1 ms (runtime
    /// `health_check.min_interval` / `max_interval` are unset in App Mesh and Istio).
    fn with_jitter<R: RngCore + ?Sized>(
        &self,
        base_ms: u64,
        jitter_ms: u64,
        rng: &mut R,
    ) -> Duration {
        let mut total = base_ms;
        let percent_mod = u64::from(self.interval_jitter_percent) * base_ms / 100;
        if percent_mod > 0 {
            total += rng.next_u64() % percent_mod;
        }
        if jitter_ms > 0 {
            total += rng.next_u64() % jitter_ms;
        }
        Duration::from_millis(total.max(1))
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
