//! Where an `http[]` rule's timeout, retries and fault came from: the fields written, or what
//! istiod fills in for a rule that writes none (no timeout, the default retry policy). Read
//! after [`super::http_route::decode`] has validated the rule.

use meshtwin_model::origin::{defaults, DefaultBy, Origin, Origins, Setting};
use meshtwin_model::traffic::IstioCompat;

use crate::decode::{Obj, Result, Val};

/// The origins of one rule's timeout, retry and fault settings.
pub fn origins(rule: &Obj<'_>, compat: &IstioCompat) -> Result<Origins> {
    let mut out = Origins::default();
    out.set(
        Setting::RouteTimeout,
        rule.origin("timeout")
            .unwrap_or_else(defaults::istio_route_timeout),
    );
    match rule.get("retries") {
        None => out = out.merged(&defaults::istio_retries(compat.default_retry_on_503)),
        Some(r) => retries(&r, compat, &mut out)?,
    }
    if let Some(f) = rule.get("fault") {
        fault(&f, &mut out)?;
    }
    Ok(out)
}

/// A field of an already validated mapping.
fn field<'a>(v: &Val<'a>, key: &str) -> Result<Option<Val<'a>>> {
    Ok(v.entries()?
        .into_iter()
        .find(|(k, x)| *k == key && x.node.value != crate::source::Value::Null)
        .map(|(_, x)| x))
}

fn retries(r: &Val<'_>, compat: &IstioCompat, out: &mut Origins) -> Result<()> {
    let attempts = field(r, "attempts")?;
    let enabled = attempts
        .as_ref()
        .is_some_and(|a| a.int().is_ok_and(|n| n > 0));
    out.set(
        Setting::RetryAttempts,
        match &attempts {
            Some(a) => a.origin(),
            None => {
                Origin::default_of(DefaultBy::Istio, "attempts", "0 (retries disabled)").with_note(
                    format!("`retries` at {}:{} has no attempts", r.ctx.file, r.line()),
                )
            }
        },
    );
    if !enabled {
        return Ok(());
    }
    match field(r, "retryOn")? {
        Some(on) => out.set(Setting::RetryOn, on.origin()),
        None => {
            let default = defaults::istio_retries(compat.default_retry_on_503);
            if let Some(o) = default.get(Setting::RetryOn) {
                let o = o
                    .clone()
                    .with_note("`retries` without retryOn: Istio's default conditions");
                out.set(Setting::RetryOn, o);
            }
        }
    }
    if let Some(t) = field(r, "perTryTimeout")? {
        out.set(Setting::PerTryTimeout, t.origin());
    }
    Ok(())
}

fn fault(f: &Val<'_>, out: &mut Origins) -> Result<()> {
    let never = || Origin::default_of(DefaultBy::Istio, "percentage", "0 (never)");
    if let Some(d) = field(f, "delay")? {
        if let Some(x) = field(&d, "fixedDelay")? {
            out.set(Setting::FaultDelay, x.origin());
            let pct = match field(&d, "percentage")? {
                Some(p) => Some(p),
                None => field(&d, "percent")?,
            };
            out.set(
                Setting::FaultDelayPercentage,
                pct.map_or_else(never, |p| p.origin()),
            );
        }
    }
    if let Some(a) = field(f, "abort")? {
        if let Some(x) = field(&a, "httpStatus")? {
            out.set(Setting::FaultAbortStatus, x.origin());
            let pct = field(&a, "percentage")?;
            out.set(
                Setting::FaultAbortPercentage,
                pct.map_or_else(never, |p| p.origin()),
            );
        }
    }
    Ok(())
}
