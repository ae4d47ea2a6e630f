//! `trafficPolicy.loadBalancer` → [`LbPolicy`] and [`LocalityLb`]. Istio's default is
//! `LEAST_REQUEST` (`LEAST_CONN` is its deprecated alias). `localityLbSetting` is checked as
//! istiod's `validateLocalityLbSetting` does, with its messages.

use std::collections::BTreeMap;

use meshtwin_model::policy::{LbPolicy, LocalityDistribute, LocalityFailover, LocalityLb};

use crate::decode::{Result, Val};

const LB_FIELDS: &[&str] = &[
    "simple",
    "consistentHash",
    "localityLbSetting",
    "warmupDurationSecs",
    "warmup",
];
const LOCALITY_FIELDS: &[&str] = &["enabled", "distribute", "failover", "failoverPriority"];
const FROM_TO: &[&str] = &["from", "to"];
const SIMPLE: &[&str] = &[
    "UNSPECIFIED",
    "LEAST_CONN",
    "RANDOM",
    "PASSTHROUGH",
    "ROUND_ROBIN",
    "LEAST_REQUEST",
];
/// Kubernetes topology labels, which `failover` already covers.
const TOPOLOGY_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
];

/// Lower one `loadBalancer` block.
pub fn decode(v: &Val<'_>) -> Result<(LbPolicy, Option<LocalityLb>)> {
    let lb = v.map(LB_FIELDS)?;
    if let Some(c) = lb.get("consistentHash") {
        return Err(c.error("consistent-hash load balancing is not supported by meshtwin yet"));
    }
    const SLOW_START: &str =
        "slow start is not modelled: a new endpoint gets its full share at once";
    if let Some(w) = lb.ignored("warmupDurationSecs", SLOW_START) {
        w.duration()?;
    }
    if let Some(w) = lb.ignored("warmup", SLOW_START) {
        w.entries()?;
    }
    let locality = lb.opt("localityLbSetting", locality)?;
    let Some(simple) = lb.get("simple") else {
        return Ok((LbPolicy::LeastRequest, locality));
    };
    let policy = match simple.one_of(SIMPLE)? {
        "ROUND_ROBIN" => LbPolicy::RoundRobin,
        "RANDOM" => LbPolicy::Random,
        "PASSTHROUGH" => {
            return Err(simple.error("PASSTHROUGH load balancing is not supported by meshtwin yet"))
        }
        _ => LbPolicy::LeastRequest,
    };
    Ok((policy, locality))
}

/// `localityLbSetting`, validated as istiod validates it.
fn locality(v: &Val<'_>) -> Result<LocalityLb> {
    let l = v.map(LOCALITY_FIELDS)?;
    let enabled = l.opt("enabled", |v| v.bool())?;
    let failover_priority = l
        .opt("failoverPriority", |v| v.strings())?
        .unwrap_or_default();
    let distribute_vals = l.list("distribute")?;
    let failover_vals = l.list("failover")?;
    if !distribute_vals.is_empty() && !failover_vals.is_empty() {
        return Err(v.error("can not simultaneously specify 'distribute' and 'failover'"));
    }
    if !failover_vals.is_empty() {
        if let Some(t) = failover_priority
            .iter()
            .find(|p| TOPOLOGY_LABELS.contains(&p.as_str()))
        {
            return Err(v.error(format!(
                "can not simultaneously set 'failover' and topology label '{t}' in 'failover_priority'"
            )));
        }
    }
    let mut distribute = Vec::new();
    for d in &distribute_vals {
        let o = d.map(FROM_TO)?;
        let from = o.req("from")?;
        check_locality(&from, from.str()?)?;
        let mut to = BTreeMap::new();
        let mut total = 0u32;
        let to_val = o.req("to")?;
        for (loc, w) in to_val.entries()? {
            check_locality(&w, loc)?;
            let weight = w.int()?;
            if !(1..=100).contains(&weight) {
                return Err(w.error("locality weight must be in range [1, 100]"));
            }
            total += weight as u32;
            to.insert(loc.to_string(), weight as u32);
        }
        if total != 100 {
            return Err(to_val.error(format!("total locality weight {total} != 100")));
        }
        distribute.push(LocalityDistribute {
            from: from.str()?.to_string(),
            to,
        });
    }
    let mut failover = Vec::new();
    for f in &failover_vals {
        let o = f.map(FROM_TO)?;
        let (from, to) = (o.req("from")?, o.req("to")?);
        let (fs, ts) = (from.str()?, to.str()?);
        if fs == ts {
            return Err(f.error("locality lb failover settings must specify different regions"));
        }
        if fs.contains('/') || ts.contains('/') {
            return Err(f.error("locality lb failover only specify region"));
        }
        if fs.contains('*') || ts.contains('*') {
            return Err(f.error("locality lb failover region should not contain '*' wildcard"));
        }
        failover.push(LocalityFailover {
            from: fs.to_string(),
            to: ts.to_string(),
        });
    }
    Ok(LocalityLb {
        enabled,
        distribute,
        failover,
        failover_priority,
    })
}

/// istiod's `validateLocalities`: at most one `*`, and only at the end.
fn check_locality(v: &Val<'_>, s: &str) -> Result<()> {
    let stars = s.matches('*').count();
    if stars > 1 || (stars == 1 && !s.ends_with('*')) {
        return Err(v.error(format!(
            "locality {s} wildcard '*' number can not exceed 1 and must be in the end"
        )));
    }
    Ok(())
}
