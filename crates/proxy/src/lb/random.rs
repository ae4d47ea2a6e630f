//! Random (`source/common/upstream/load_balancer_impl.cc` `RandomLoadBalancer`): one random number per pick chooses the priority (`r % 100 + 1`) and the
//! host (`hosts[r % n]`) — the same number, so the two choices are correlated, as in Envoy.

use super::host::{Entry, HostId};

/// The host `r` selects from `hosts`.
pub fn pick(hosts: &[Entry], r: u64) -> Option<HostId> {
    (!hosts.is_empty()).then(|| hosts[(r % hosts.len() as u64) as usize].id)
}
