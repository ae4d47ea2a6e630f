//! Mirroring: the per-request fraction and the `-shadow` host (`source/common/router/router.cc` `Filter::maybeDoShadowing`, switch I6).

use meshtwin_model::traffic::FractionalPercent;

use super::seeded;
use crate::router::mirror::{shadow_host, MirrorPolicy};
use crate::router::stream_id;

fn mirror(fraction: FractionalPercent) -> MirrorPolicy {
    MirrorPolicy {
        cluster: "outbound|8000|v2|httpbin.default.svc.cluster.local".into(),
        fraction,
        disable_shadow_host_suffix_append: false,
    }
}

fn mirrored(m: &MirrorPolicy, n: u32, seed: u64) -> u32 {
    let mut rng = seeded(seed);
    (0..n)
        .filter(|_| m.should_mirror(stream_id(&mut rng), "GET"))
        .count() as u32
}

#[test]
fn the_shadow_host_gets_the_suffix_before_the_port() {
    assert_eq!(shadow_host("httpbin:8000"), "httpbin-shadow:8000");
    assert_eq!(shadow_host("httpbin"), "httpbin-shadow");
    assert_eq!(shadow_host("cluster-1"), "cluster-1-shadow");
}

#[test]
fn istio_1_28_and_later_keep_the_host_unchanged() {
    let mut m = mirror(FractionalPercent::hundred(100));
    assert_eq!(m.shadow_authority("httpbin:8000"), "httpbin-shadow:8000");
    m.disable_shadow_host_suffix_append = true;
    assert_eq!(m.shadow_authority("httpbin:8000"), "httpbin:8000");
}

#[test]
fn a_mirror_percentage_mirrors_that_share_of_requests() {
    let m = mirror(FractionalPercent::from_istio_percentage(10.0));
    let n = mirrored(&m, 10_000, 4);
    assert!((900..=1_100).contains(&n), "mirrored {n}");
}

#[test]
fn zero_percent_never_mirrors_and_one_hundred_percent_always_does() {
    assert_eq!(
        mirrored(&mirror(FractionalPercent::million(0)), 10_000, 4),
        0
    );
    assert_eq!(
        mirrored(&mirror(FractionalPercent::hundred(100)), 10_000, 4),
        10_000
    );
}

#[test]
fn the_decision_is_stable_for_a_request_and_never_mirrors_connect() {
    let m = mirror(FractionalPercent::million(500_000));
    assert!(m.should_mirror(1_499_999, "GET"));
    assert!(
        m.should_mirror(1_499_999, "GET"),
        "same stream id, same answer"
    );
    assert!(!m.should_mirror(1_500_000, "GET"));
    assert!(!m.should_mirror(1_499_999, "CONNECT"));
}
