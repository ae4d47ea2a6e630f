//! A scenario's `variants:` → [`Variant`]s, the what-if changes `meshtwin compare` runs.
//!
//! ```yaml
//! variants:
//!   - name: pending-100
//!     description: maxPendingRequests raised to 100      # optional
//!     apply: [../policies/istio/httpbin-pending-100.yaml]  # kubectl apply, over the scenario's
//!     delete: [../policies/istio/httpbin-outlier.yaml]     # kubectl delete
//!     mesh: {istio: "1.24"}                                # an upgrade rehearsal
//!     envoy: {maxEjectionPercentRule: atLeastOne}           # over the scenario's switches
//!     workloads:                                          # unset parts unchanged
//!       - {workload: httpbin, replicas: 3, errorRate: 0.3, errorStatus: 503, latency: 5ms}
//!     timeline: [{at: 5s, crash: httpbin-0}]              # added to the scenario's
//! ```
//!
//! `baseline` names the scenario as written and cannot be a variant's name; names are unique.

use std::time::Duration;

use meshtwin_model::variant::{Variant, WorkloadChange};

use crate::decode::{Result, Val};

pub const VARIANT_FIELDS: &[&str] = &[
    "name",
    "description",
    "apply",
    "delete",
    "mesh",
    "envoy",
    "workloads",
    "timeline",
];
pub const WORKLOAD_FIELDS: &[&str] = &[
    "workload",
    "replicas",
    "errorRate",
    "errorStatus",
    "latency",
];

/// The name of the scenario as written, in `meshtwin compare`.
pub const BASELINE: &str = "baseline";

/// Decode every variant; `run` is the scenario's duration, `resolve` turns a policy path into
/// the stored one.
pub fn decode_all(
    items: &[Val<'_>],
    run: Duration,
    resolve: &dyn Fn(&Val<'_>) -> Result<String>,
) -> Result<Vec<Variant>> {
    let mut out: Vec<Variant> = Vec::new();
    for item in items {
        let o = item.map(VARIANT_FIELDS)?;
        let name_val = o.req("name")?;
        let name = o.req_name("name")?.to_string();
        if name == BASELINE {
            return Err(name_val.error(format!(
                "'{BASELINE}' is the scenario as written; choose another name"
            )));
        }
        if out.iter().any(|v| v.name == name) {
            return Err(name_val.error(format!("a variant named '{name}' is already defined")));
        }
        let files = |key: &str| -> Result<Vec<String>> {
            match o.get(key) {
                None => Ok(Vec::new()),
                Some(v) if v.seq().is_ok() => v.seq()?.iter().map(resolve).collect(),
                Some(v) => Ok(vec![resolve(&v)?]),
            }
        };
        let mut workloads = Vec::new();
        for w in o.list("workloads")? {
            workloads.push(workload(&w)?);
        }
        let variant = Variant {
            description: o
                .opt("description", |v| v.str().map(str::to_string))?
                .unwrap_or_default(),
            apply: files("apply")?,
            delete: files("delete")?,
            mesh: o.opt("mesh", crate::mesh::decode)?.unwrap_or_default(),
            envoy: o.opt("envoy", crate::envoy::decode)?.unwrap_or_default(),
            workloads,
            timeline: super::timeline::decode_all(&o.list("timeline")?, run, resolve)?,
            line: item.line(),
            name,
        };
        if variant.is_empty() {
            return Err(item.error(
                "a variant changes nothing: expected at least one of apply, delete, mesh, \
                 envoy, workloads, timeline",
            ));
        }
        out.push(variant);
    }
    Ok(out)
}

fn workload(v: &Val<'_>) -> Result<WorkloadChange> {
    let o = v.map(WORKLOAD_FIELDS)?;
    let error_rate = o.opt("errorRate", |r| r.number())?;
    if let (Some(r), Some(val)) = (error_rate, o.get("errorRate")) {
        if !(0.0..=1.0).contains(&r) {
            return Err(val.error(format!("error rate {r} is not in [0, 1]")));
        }
    }
    let change = WorkloadChange {
        workload: o.req_name("workload")?.to_string(),
        replicas: o.opt("replicas", |r| r.u32_in(0, 10_000))?,
        error_rate,
        error_status: o
            .opt("errorStatus", |s| s.u32_in(100, 599))?
            .map(|s| s as u16),
        latency: o.opt("latency", |d| d.duration())?,
    };
    if change.replicas.is_none()
        && change.error_rate.is_none()
        && change.error_status.is_none()
        && change.latency.is_none()
    {
        return Err(v.error("expected at least one of replicas, errorRate, errorStatus, latency"));
    }
    Ok(change)
}
