//! Global vs per-try timeouts and their headers (`source/common/router/router.cc` `FilterUtility::finalTimeout`, Envoy headers (`source/common/router/router.cc` `Filter::onUpstreamHeaders`); reference result R5).

use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use crate::router::timeout::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn the_route_timeout_is_the_global_timeout_and_zero_disables_it() {
    let t = Timeouts::from_route(ms(500), None);
    assert_eq!((t.global, t.per_try), (Some(ms(500)), None));
    let t = Timeouts::from_route(Duration::ZERO, None);
    assert_eq!((t.global, t.per_try), (None, None));
}

#[test]
fn a_per_try_timeout_not_shorter_than_the_global_one_is_dropped() {
    assert_eq!(Timeouts::from_route(ms(500), Some(ms(500))).per_try, None);
    assert_eq!(Timeouts::from_route(ms(500), Some(ms(800))).per_try, None);
    assert_eq!(
        Timeouts::from_route(ms(500), Some(ms(200))).per_try,
        Some(ms(200))
    );
    assert_eq!(
        Timeouts::from_route(Duration::ZERO, Some(ms(800))).per_try,
        Some(ms(800)),
        "kept when there is no global timeout"
    );
}

#[test]
fn request_headers_override_the_route_and_are_consumed() {
    let mut h = HeaderMap::new();
    h.insert(UPSTREAM_RQ_TIMEOUT_MS, HeaderValue::from_static("300"));
    h.insert(
        UPSTREAM_RQ_PER_TRY_TIMEOUT_MS,
        HeaderValue::from_static("100"),
    );
    let t = Timeouts::for_request(ms(500), Some(ms(200)), &mut h);
    assert_eq!((t.global, t.per_try), (Some(ms(300)), Some(ms(100))));
    assert!(h.is_empty(), "both headers are removed: {h:?}");

    let mut h = HeaderMap::new();
    h.insert(UPSTREAM_RQ_TIMEOUT_MS, HeaderValue::from_static("0"));
    let t = Timeouts::for_request(ms(500), None, &mut h);
    assert_eq!(t.global, None, "a header of 0 disables the global timeout");
}

#[test]
fn an_unparsable_override_is_removed_and_ignored() {
    let mut h = HeaderMap::new();
    h.insert(UPSTREAM_RQ_TIMEOUT_MS, HeaderValue::from_static("1s"));
    h.insert(
        UPSTREAM_RQ_PER_TRY_TIMEOUT_MS,
        HeaderValue::from_static("-5"),
    );
    let t = Timeouts::for_request(ms(500), Some(ms(200)), &mut h);
    assert_eq!((t.global, t.per_try), (Some(ms(500)), Some(ms(200))));
    assert!(h.is_empty());
}

#[test]
fn the_expected_timeout_is_the_per_try_one_capped_by_what_is_left_of_the_global_one() {
    let t = Timeouts::from_route(ms(1_000), Some(ms(300)));
    assert_eq!(t.expected_timeout_ms(Duration::ZERO), Some(300));
    assert_eq!(t.expected_timeout_ms(ms(800)), Some(200));
    assert_eq!(
        t.expected_timeout_ms(ms(1_000)),
        Some(1),
        "out of time: 1, the smallest"
    );
    let global_only = Timeouts::from_route(ms(1_000), None);
    assert_eq!(global_only.expected_timeout_ms(ms(250)), Some(750));
    let per_try_only = Timeouts::from_route(Duration::ZERO, Some(ms(300)));
    assert_eq!(per_try_only.expected_timeout_ms(ms(5_000)), Some(300));
}

#[test]
fn no_timeout_means_no_expected_timeout_header() {
    let t = Timeouts::from_route(Duration::ZERO, None);
    let mut h = HeaderMap::new();
    t.set_expected_timeout_header(&mut h, Duration::ZERO);
    assert!(h.get(EXPECTED_RQ_TIMEOUT_MS).is_none());
    Timeouts::from_route(ms(500), None).set_expected_timeout_header(&mut h, ms(100));
    assert_eq!(h[EXPECTED_RQ_TIMEOUT_MS], "400");
}
