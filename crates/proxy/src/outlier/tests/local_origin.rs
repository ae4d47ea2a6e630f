//! Local-origin events with and without `split_external_local_origin_errors` (`source/common/router/router.cc` `Filter::onUpstreamHeaders` / `onUpstreamReset` (`putResult`)).

use super::*;
use crate::outlier::{EjectionType, LocalOrigin};

#[test]
fn without_split_connect_failures_and_resets_are_503_and_timeouts_504() {
    let (mut d, mut r) = (detector(4, cfg()), rng());
    let mut report = |o| d.report(h(0), Outcome::Local(o), secs(1), &mut r);
    report(LocalOrigin::ConnectFailed);
    report(LocalOrigin::Reset);
    report(LocalOrigin::Timeout);
    report(LocalOrigin::ConnectSuccess);
    let events = report(LocalOrigin::ConnectFailed);
    assert!(events.is_empty());
    let m = d.host(h(0)).unwrap();
    assert_eq!(
        (m.consecutive_5xx(), m.consecutive_gateway_failure()),
        (4, 4),
        "connect success is ignored"
    );
    assert_eq!(
        ejected(&d.report(h(0), Outcome::Local(LocalOrigin::Timeout), secs(1), &mut r)),
        vec![h(0)]
    );
}

#[test]
fn with_split_local_origin_failures_have_their_own_counter() {
    let c = Config {
        split_external_local_origin_errors: true,
        ..cfg()
    };
    let (mut d, mut r) = (detector(4, c), rng());
    for _ in 0..4 {
        d.report(
            h(0),
            Outcome::Local(LocalOrigin::ConnectFailed),
            secs(1),
            &mut r,
        );
    }
    d.report(
        h(0),
        Outcome::Local(LocalOrigin::ConnectSuccess),
        secs(1),
        &mut r,
    );
    assert_eq!(d.host(h(0)).unwrap().consecutive_local_origin_failure(), 0);
    fail(&mut d, 0, 503, 3, secs(1), &mut r);
    let mut last = Vec::new();
    for o in [
        LocalOrigin::Timeout,
        LocalOrigin::Reset,
        LocalOrigin::ConnectFailed,
        LocalOrigin::Timeout,
        LocalOrigin::Reset,
    ] {
        last = d.report(h(0), Outcome::Local(o), secs(2), &mut r);
    }
    assert!(matches!(
        last[..],
        [Event::Ejected {
            reason: EjectionType::ConsecutiveLocalOriginFailure,
            ..
        }]
    ));
    assert_eq!(
        d.host(h(0)).unwrap().consecutive_5xx(),
        3,
        "local failures are not 5xx in split mode"
    );
}
