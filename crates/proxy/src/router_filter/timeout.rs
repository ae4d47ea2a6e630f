//! Step 5: the route's global timeout (`Filter::onResponseTimeout`). It starts when the
//! downstream request is complete and covers queueing, connecting, every attempt and every
//! back-off; when it fires, whatever attempt is in flight is dropped (which resets it and
//! gives back the retries resource it held). The timeouts themselves are computed by
//! [`crate::router::timeout`].

use std::future::Future;
use std::time::Duration;

use super::complete::Ended;
use crate::platform::{timeout_opt, Platform, Timeout};

/// Run `attempts` under the global timeout `global` (`None`: no timeout); the request ends
/// [`Ended::GlobalTimeout`] when the future resolves to `None` (see [`ended`]).
pub(super) fn within<P: Platform, F: Future<Output = Ended>>(
    platform: &P,
    global: Option<Duration>,
    attempts: F,
) -> Timeout<'_, P, F> {
    timeout_opt(platform, global, attempts)
}

/// How the request under [`within`] ended.
pub(super) fn ended(r: Option<Ended>) -> Ended {
    r.unwrap_or(Ended::GlobalTimeout)
}
