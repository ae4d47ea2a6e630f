//! The event loop: run every runnable task, move the packets, and only when nothing can
//! happen at the current instant jump the clock to the next timer or packet.

use std::time::Duration;

use crate::network::Network;
use crate::platform::Core;

/// Run until `end` (or until nothing is left to happen), or until `done()` says so once
/// nothing more can happen at the current instant.
pub fn run_until(core: &Core, network: &mut Network, end: Duration, done: impl Fn() -> bool) {
    let clock = &core.clock;
    loop {
        core.exec.run_until_idle();
        network.step(clock.now());
        if core.exec.has_runnable() || network.next_delivery().is_some_and(|t| t <= clock.now()) {
            continue;
        }
        if done() {
            break;
        }
        let next = [clock.next_deadline(), network.next_delivery()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= end => clock.advance_to(t.max(clock.now())),
            _ => break,
        }
    }
}
