//! Seeded random streams: one ChaCha stream per (seed, component name), so a new draw in one
//! component never reshuffles another's. The one derivation every random draw of a run comes
//! from: the simulator derives each pod's proxy, app, the network's loss and each push from the
//! run's seed; a proxy derives each cluster's from its own, a cluster its load balancers',
//! outlier detector's and health checker's from the cluster's.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// FNV-1a: a stable 64-bit hash of a component name (never `std`'s randomized hasher).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The seed of component `name` under `seed` (a run's seed, or a parent component's).
pub fn component_seed(seed: u64, name: &str) -> u64 {
    // splitmix64 of the mix, so nearby seeds give unrelated streams.
    let mut z = seed ^ fnv1a(name);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream of component `name`.
pub fn stream(seed: u64, name: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(component_seed(seed, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_stable_and_independent() {
        let a1: u64 = stream(7, "app/httpbin-0").random();
        let a2: u64 = stream(7, "app/httpbin-0").random();
        let b: u64 = stream(7, "app/httpbin-1").random();
        let c: u64 = stream(8, "app/httpbin-0").random();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
    }
}
