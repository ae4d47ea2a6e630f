//! Step 5: the route's global timeout (`Filter::onResponseTimeout`). It starts when the
//! downstream request is complete and covers queueing, connecting, every attempt and every
//! back-off; when it fires, whatever attempt is in flight is dropped (which resets it and
//! gives back the retries resource it held). The timeouts themselves are computed by
//! [`crate::router::timeout`].

use std::future::Future;
use std::time::Duration;

use super::complete::Ended;
use crate::platform::{timeout, Platform};

/// Run `attempts` under the global timeout `global` (`None`: no timeout).
pub(super) async fn within<P: Platform>(
    platform: &P,
    global: Option<Duration>,
    attempts: impl Future<Output = Ended>,
) -> Ended {
    match global {
        Some(g) => timeout(platform, g, attempts)
            .await
            .unwrap_or(Ended::GlobalTimeout),
        None => attempts.await,
    }
}
