//! The mechanisms of the route-level and connection flags: `NR`, `FI`, `UT`, `UF`, `UC`,
//! `URX`, `DC`, `DI` (Envoy's router and fault filter: `source/common/router/router.cc`,
//! `source/extensions/filters/http/fault/fault_filter.cc`).

use meshtwin_model::event::ResponseFlag;
use meshtwin_model::origin::Setting;

use super::{service_of, simple, values, with, Facts};
use crate::explain::Diagnosis;

/// The mechanism `flag` names at the hop (`flag` is one of the flags above).
pub(super) fn mechanism(f: &Facts<'_>, flag: ResponseFlag) -> Diagnosis {
    let hop = f.hop;
    let host = hop.upstream_host.as_deref();
    match flag {
        ResponseFlag::NR => simple(format!(
            "no route (NR): {} has no route for the request's host and path",
            hop.proxy
        )),
        ResponseFlag::FI => {
            let s = f.route(&[Setting::FaultAbortStatus, Setting::FaultAbortPercentage]);
            let text = format!(
                "fault injected (FI): the route's fault filter aborted the request with {}{}",
                hop.status,
                values(&s)
            );
            with(text, s)
        }
        ResponseFlag::UT => {
            let s = f.route(&[Setting::RouteTimeout, Setting::PerTryTimeout]);
            let text = format!(
                "upstream request timeout (UT): {} gave up waiting for {} after {:.0} ms{}",
                hop.proxy,
                service_of(&hop.cluster),
                hop.duration_ms,
                values(&s)
            );
            with(text, s)
        }
        ResponseFlag::UF => {
            let mut s = f.on(&[Setting::ConnectTimeout]);
            s.extend(f.route(&[Setting::RetryAttempts, Setting::RetryOn]));
            let text = format!(
                "upstream connection failure (UF): {} could not connect to {}",
                hop.proxy,
                host.unwrap_or("any host")
            );
            with(text, s)
        }
        ResponseFlag::UC => simple(format!(
            "upstream connection terminated (UC): {}'s connection to {} closed before the \
             response",
            hop.proxy,
            host.unwrap_or("the upstream")
        )),
        ResponseFlag::URX => {
            let s = f.route(&[
                Setting::RetryAttempts,
                Setting::RetryOn,
                Setting::PerTryTimeout,
            ]);
            let text = format!(
                "retries exhausted (URX): {} gave up on {}{}",
                hop.proxy,
                service_of(&hop.cluster),
                values(&s)
            );
            with(text, s)
        }
        ResponseFlag::DC => simple(
            "downstream connection terminated (DC): the client closed the connection before the \
             response"
                .into(),
        ),
        _ => {
            let s = f.route(&[Setting::FaultDelay, Setting::FaultDelayPercentage]);
            let text = format!(
                "delay injected (DI): the route's fault filter delayed the request{}",
                values(&s)
            );
            with(text, s)
        }
    }
}
