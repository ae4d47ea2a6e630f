//! `trafficPolicy.loadBalancer` → [`LbPolicy`]. Istio's default is `LEAST_REQUEST`
//! (`LEAST_CONN` is its deprecated alias).

use meshtwin_model::policy::LbPolicy;

use crate::decode::{Result, Val};

const LB_FIELDS: &[&str] = &[
    "simple",
    "consistentHash",
    "localityLbSetting",
    "warmupDurationSecs",
    "warmup",
];
const LOCALITY_FIELDS: &[&str] = &["enabled", "distribute", "failover", "failoverPriority"];
const SIMPLE: &[&str] = &[
    "UNSPECIFIED",
    "LEAST_CONN",
    "RANDOM",
    "PASSTHROUGH",
    "ROUND_ROBIN",
    "LEAST_REQUEST",
];

/// Lower one `loadBalancer` block. `localityLbSetting` is checked for shape and otherwise
/// ignored for now (locality load balancing is a later issue).
pub fn decode(v: &Val<'_>) -> Result<LbPolicy> {
    let lb = v.map(LB_FIELDS)?;
    if let Some(c) = lb.get("consistentHash") {
        return Err(c.error("consistent-hash load balancing is not supported by meshtwin yet"));
    }
    lb.opt("warmupDurationSecs", |v| v.duration())?;
    if let Some(w) = lb.get("warmup") {
        w.entries()?;
    }
    if let Some(l) = lb.get("localityLbSetting") {
        let l = l.map(LOCALITY_FIELDS)?;
        l.opt("enabled", |v| v.bool())?;
        l.list("distribute")?;
        l.list("failover")?;
        l.opt("failoverPriority", |v| v.strings())?;
    }
    let Some(simple) = lb.get("simple") else {
        return Ok(LbPolicy::LeastRequest);
    };
    Ok(match simple.one_of(SIMPLE)? {
        "ROUND_ROBIN" => LbPolicy::RoundRobin,
        "RANDOM" => LbPolicy::Random,
        "PASSTHROUGH" => {
            return Err(simple.error("PASSTHROUGH load balancing is not supported by meshtwin yet"))
        }
        _ => LbPolicy::LeastRequest,
    })
}
