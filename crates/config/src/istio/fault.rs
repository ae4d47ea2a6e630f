//! `http[].fault` → the fault filter's per-route config, as `TranslateFault` builds it and
//! `validateHTTPFaultInjection` checks it (`source/extensions/filters/http/fault/fault_filter.cc` `FaultFilter`). A missing percentage is 0 % (never);
//! the deprecated integer `delay.percent` is a share of 100.

use meshtwin_model::traffic::http::{Fault, FaultAbort, FaultDelay};
use meshtwin_model::traffic::FractionalPercent;

use super::checks;
use crate::decode::{Result, Val};

const FAULT_FIELDS: &[&str] = &["delay", "abort"];
const DELAY_FIELDS: &[&str] = &["fixedDelay", "exponentialDelay", "percent", "percentage"];
const ABORT_FIELDS: &[&str] = &["httpStatus", "grpcStatus", "http2Error", "percentage"];

/// Decode `fault`; `None` when both parts were dropped as istiod drops them (a delay with
/// no `fixedDelay`, an abort with no error type).
pub fn decode(v: &Val<'_>) -> Result<Option<Fault>> {
    let f = v.map(FAULT_FIELDS)?;
    if !f.has("delay") && !f.has("abort") {
        return Err(v.error("HTTP fault injection must have an abort and/or a delay"));
    }
    let delay = f.opt("delay", delay)?.flatten();
    let abort = f.opt("abort", abort)?.flatten();
    Ok((delay.is_some() || abort.is_some()).then_some(Fault { delay, abort }))
}

fn delay(v: &Val<'_>) -> Result<Option<FaultDelay>> {
    let d = v.map(DELAY_FIELDS)?;
    let percentage = match (d.get("percentage"), d.get("percent")) {
        (Some(p), _) => FractionalPercent::from_istio_percentage(checks::percentage(&p)?),
        (None, Some(p)) => {
            // Current Istio no longer checks the deprecated field; its older check is kept
            // so that a negative or >100 value is an error rather than "always".
            let n = checks::int32(&p)?;
            if !(0..=100).contains(&n) {
                return Err(p.error(format!("percentage {n} is not in range 0..100")));
            }
            FractionalPercent::hundred(n.unsigned_abs())
        }
        (None, None) => FractionalPercent::hundred(0),
    };
    if let Some(e) = d.get("exponentialDelay") {
        checks::duration(&e)?;
        return Err(e.error("exponentialDelay not supported yet"));
    }
    Ok(d.opt("fixedDelay", checks::duration)?
        .map(|fixed_delay| FaultDelay {
            fixed_delay,
            percentage,
        }))
}

fn abort(v: &Val<'_>) -> Result<Option<FaultAbort>> {
    let a = v.map(ABORT_FIELDS)?;
    let percentage = match a.get("percentage") {
        Some(p) => FractionalPercent::from_istio_percentage(checks::percentage(&p)?),
        None => FractionalPercent::million(0),
    };
    if let Some(e) = a.get("http2Error") {
        return Err(e.error("HTTP/2 abort fault injection not supported yet"));
    }
    if let Some(g) = a.get("grpcStatus") {
        return Err(g.error("gRPC aborts are not modelled by meshtwin (use httpStatus)"));
    }
    let Some(status) = a.get("httpStatus") else {
        return Ok(None);
    };
    let code = checks::int32(&status)?;
    if !(200..=600).contains(&code) {
        return Err(status.error(format!("HTTP status {code} is not in range 200-599")));
    }
    Ok(Some(FaultAbort {
        http_status: code.unsigned_abs() as u16,
        percentage,
    }))
}
