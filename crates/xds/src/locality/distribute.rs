//! Istio `localityLbSetting.distribute` (istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`; istiod's `applyLocalityWeights`): for the
//! first rule whose `from` matches the proxy, each locality group matched by a `to` entry gets
//! `ceil(orig_weight × w / Σ orig_weights of that entry's groups)`; groups matched by no entry
//! are emptied (their endpoints receive nothing).
//!
//! istiod walks `to` as a Go map (random order), so a group two wildcard entries both match
//! lands in either; here entries are taken in sorted key order.

use meshtwin_model::topology::Locality;

use super::assign::{locality_match, Distribute, LocalityGroup};

/// Apply the first matching `distribute` rule to `groups` in place.
pub(crate) fn apply_distribute(
    proxy: &Locality,
    groups: &mut [LocalityGroup],
    rules: &[Distribute],
) {
    let Some(rule) = rules.iter().find(|r| locality_match(proxy, &r.from)) else {
        return;
    };
    let mut unmatched: Vec<bool> = vec![true; groups.len()];
    for (to, weight) in &rule.to {
        let matched: Vec<usize> = (0..groups.len())
            .filter(|i| unmatched[*i] && locality_match(&groups[*i].locality, to))
            .collect();
        let total: u64 = matched.iter().map(|i| u64::from(groups[*i].weight)).sum();
        for i in matched {
            unmatched[i] = false;
            let orig = u64::from(groups[i].weight);
            let share = (orig * u64::from(*weight)) as f64 / total as f64;
            if share > 0.0 {
                groups[i].weight = share.ceil() as u32;
            }
        }
    }
    for (g, unmatched) in groups.iter_mut().zip(unmatched) {
        if unmatched {
            g.endpoints.clear();
        }
    }
}
