//! `http[].mirror` / `mirrorPercentage` / `mirror_percent` (`mirrorPercent`) / `mirrors[]`
//! → Envoy's `request_mirror_policies` (`MirrorPercent`, `MirrorPercentByPolicy`; `source/common/router/router.cc` `Filter::maybeDoShadowing`).
//! No percentage mirrors 100 %; an explicit 0 mirrors nothing. Istio ≤ 1.27 lets Envoy append
//! `-shadow` to the mirrored host; 1.28+ suppresses it (switch I6).

use meshtwin_model::traffic::http::MirrorPolicy;
use meshtwin_model::traffic::{FractionalPercent, IstioCompat};

use super::destination;
use crate::decode::{Obj, Result, Val};

const MIRRORS_FIELDS: &[&str] = &["destination", "percentage"];

/// The deprecated integer percent, under either spelling.
fn legacy_percent(rule: &Obj<'_>) -> Result<Option<u32>> {
    let v = match (rule.get("mirror_percent"), rule.get("mirrorPercent")) {
        (Some(_), Some(b)) => {
            return Err(
                b.error("`mirror_percent` and `mirrorPercent` are the same field; write one")
            )
        }
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => return Ok(None),
    };
    let n = v.u32_in(0, u32::MAX)?;
    if n > 100 {
        return Err(v.error(format!(
            "mirror_percent must have a max value of 100 (it has {n})"
        )));
    }
    Ok(Some(n))
}

/// `mirrorPercentage` with Istio's bounds.
fn percentage(v: &Val<'_>, field: &str) -> Result<f64> {
    let value = match v.map(&["value"])?.get("value") {
        Some(x) => x.number()?,
        None => 0.0,
    };
    if value > 100.0 {
        return Err(v.error(format!(
            "{field} must have a max value of 100 (it has {value:.6})"
        )));
    }
    if value < 0.0 {
        return Err(v.error(format!(
            "{field} must have a min value of 0 (it has {value:.6})"
        )));
    }
    Ok(value)
}

/// A fraction from an optional percentage: `None` = 100 %, 0 = no mirror.
fn fraction(p: Option<f64>) -> Option<FractionalPercent> {
    match p {
        None => Some(FractionalPercent::hundred(100)),
        Some(v) if v > 0.0 => Some(FractionalPercent::from_istio_percentage(v)),
        Some(_) => None,
    }
}

/// The mirror policies of one rule (already checked not to have both `mirror` and `mirrors`).
pub fn decode(rule: &Obj<'_>, compat: &IstioCompat) -> Result<Vec<MirrorPolicy>> {
    let disable = !compat.shadow_host_suffix;
    let pct = rule.opt("mirrorPercentage", |v| percentage(v, "mirror_percentage"))?;
    let legacy = legacy_percent(rule)?;
    let mut out = Vec::new();
    if let Some(m) = rule.get("mirror") {
        let destination = destination::destination(&m)?;
        let chosen = match (pct, legacy) {
            (Some(p), _) => fraction(Some(p)),
            (None, Some(0)) => None,
            (None, Some(n)) => Some(FractionalPercent::hundred(n)),
            (None, None) => fraction(None),
        };
        if let Some(percentage) = chosen {
            out.push(MirrorPolicy {
                destination,
                percentage,
                disable_shadow_host_suffix_append: disable,
            });
        }
    }
    for m in rule.list("mirrors")? {
        let o = m.map(MIRRORS_FIELDS)?;
        let destination = destination::destination(&o.req("destination")?)?;
        let p = o.opt("percentage", |v| percentage(v, "mirror percentage"))?;
        if let Some(percentage) = fraction(p) {
            out.push(MirrorPolicy {
                destination,
                percentage,
                disable_shadow_host_suffix_append: disable,
            });
        }
    }
    Ok(out)
}
