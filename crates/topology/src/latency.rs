//! Latencies: the topology's link latencies and an app's service-time distribution.
//!
//! ```yaml
//! latency: {sameZone: 1ms, crossZone: 2ms, crossRegion: 30ms}   # one-way, each optional
//! app:
//!   latency: 2ms                        # fixed
//!   latency: {fixed: 2ms}               # the same
//!   latency: {uniform: [1ms, 3ms]}      # uniform between min and max
//!   latency: {exponential: 2ms}         # exponential with this mean (capped at 100 × mean)
//! ```

use meshtwin_config::decode::{Result, Val};
use meshtwin_model::topology::{LatencyDist, LinkLatency};

pub const LINK_FIELDS: &[&str] = &["sameZone", "crossZone", "crossRegion"];
pub const DIST_FIELDS: &[&str] = &["fixed", "uniform", "exponential"];

/// `latency:` of the topology; unset fields keep [`LinkLatency::default`].
pub fn link_latency(v: &Val<'_>) -> Result<LinkLatency> {
    let l = v.map(LINK_FIELDS)?;
    let mut out = LinkLatency::default();
    if let Some(d) = l.opt("sameZone", Val::duration)? {
        out.same_zone = d;
    }
    if let Some(d) = l.opt("crossZone", Val::duration)? {
        out.cross_zone = d;
    }
    if let Some(d) = l.opt("crossRegion", Val::duration)? {
        out.cross_region = d;
    }
    Ok(out)
}

/// An app's `latency:`.
pub fn distribution(v: &Val<'_>) -> Result<LatencyDist> {
    if v.str().is_ok() {
        return Ok(LatencyDist::Fixed {
            value: v.duration()?,
        });
    }
    let d = v.map(DIST_FIELDS)?;
    let present = d.present(DIST_FIELDS);
    if present.len() != 1 {
        return Err(v.error(
            "expected a duration (2ms) or exactly one of {fixed: 2ms}, {uniform: [1ms, 3ms]}, \
             {exponential: 2ms}",
        ));
    }
    Ok(match present[0] {
        "fixed" => LatencyDist::Fixed {
            value: d.req("fixed")?.duration()?,
        },
        "uniform" => {
            let u = d.req("uniform")?;
            let bounds = u.seq()?;
            let [lo, hi] = bounds.as_slice() else {
                return Err(u.error(format!(
                    "expected [min, max], found a list of {}",
                    bounds.len()
                )));
            };
            let (min, max) = (lo.duration()?, hi.duration()?);
            if min > max {
                return Err(hi.error("max is below min"));
            }
            LatencyDist::Uniform { min, max }
        }
        _ => LatencyDist::Exponential {
            mean: d.req("exponential")?.positive_duration()?,
        },
    })
}
