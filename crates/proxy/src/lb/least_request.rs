//! Least request (`source/common/upstream/load_balancer_impl.cc` `LeastRequestLoadBalancer`, Istio's default): with equal weights, power of `choice_count`
//! choices over the hosts' active requests; with unequal weights (or an explicit
//! `active_request_bias`), an EDF scheduler whose weights are `weight / (active + 1)^bias`,
//! recomputed when a host is re-inserted after a pick.
//!
//! "Active requests" is the host's `rq_active`, shared by every worker; the caller passes it in.

use std::collections::BTreeMap;

use rand::RngCore;

use super::edf::Edf;
use super::host::{Entry, HostId, HostSet};
use super::source::{weights_equal, Source};

/// `rq_active` of a host, as every worker sees it.
pub type ActiveRequests<'a> = &'a dyn Fn(HostId) -> u64;

/// Least-request settings (Envoy's `LeastRequest` message).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeastRequestConfig {
    /// Hosts sampled per pick (default 2).
    pub choice_count: u32,
    /// `active_request_bias`; `None` = default 1.0, not explicitly configured.
    pub active_request_bias: Option<f64>,
}

impl Default for LeastRequestConfig {
    fn default() -> Self {
        Self {
            choice_count: 2,
            active_request_bias: None,
        }
    }
}

/// The least-request state of one worker's load balancer.
#[derive(Debug, Clone)]
pub struct LeastRequest {
    cfg: LeastRequestConfig,
    seed: u64,
    schedulers: BTreeMap<Source, Edf<Entry>>,
}

/// `weight / (active + 1)^bias` (bias 1: a plain division; bias 0: the static weight).
fn dynamic_weight(e: Entry, active: ActiveRequests<'_>, bias: f64) -> f64 {
    let w = f64::from(e.weight);
    let a = active(e.id).saturating_add(1) as f64;
    if bias == 1.0 {
        w / a
    } else if bias == 0.0 {
        w
    } else {
        w / a.powf(bias)
    }
}

impl LeastRequest {
    /// A worker's least-request state; `seed` offsets its schedulers.
    pub fn new(cfg: LeastRequestConfig, seed: u64) -> Self {
        Self {
            cfg,
            seed,
            schedulers: BTreeMap::new(),
        }
    }

    fn bias(&self) -> f64 {
        self.cfg.active_request_bias.unwrap_or(1.0)
    }

    /// Rebuild the schedulers after the host sets changed.
    pub fn refresh(&mut self, sets: &[HostSet], active: ActiveRequests<'_>) {
        self.schedulers.clear();
        let bias = self.bias();
        for (source, hosts) in Source::all(sets) {
            if hosts.is_empty() || (weights_equal(hosts) && self.cfg.active_request_bias.is_none())
            {
                continue;
            }
            let picks = self.seed % hosts.len() as u64;
            let entries = hosts.iter().map(|e| (*e, dynamic_weight(*e, active, bias)));
            let edf = Edf::new(entries, picks, |e| dynamic_weight(e, active, bias));
            self.schedulers.insert(source, edf);
        }
    }

    /// Pick from `source` (current list `hosts`). Unweighted: sample `choice_count` hosts with
    /// replacement (`random() % n` each); a later sample replaces the candidate only with
    /// strictly fewer active requests.
    pub fn pick<R: RngCore + ?Sized>(
        &mut self,
        source: Source,
        hosts: &[Entry],
        active: ActiveRequests<'_>,
        rng: &mut R,
    ) -> Option<HostId> {
        let bias = self.bias();
        if let Some(edf) = self.schedulers.get_mut(&source) {
            return edf
                .pick_and_add(|e| dynamic_weight(e, active, bias))
                .map(|e| e.id);
        }
        if hosts.is_empty() {
            return None;
        }
        let mut candidate: Option<HostId> = None;
        for _ in 0..self.cfg.choice_count.max(1) {
            let sampled = hosts[(rng.next_u64() % hosts.len() as u64) as usize].id;
            candidate = match candidate {
                Some(c) if active(sampled) >= active(c) => Some(c),
                _ => Some(sampled),
            };
        }
        candidate
    }
}
