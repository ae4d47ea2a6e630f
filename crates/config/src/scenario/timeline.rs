//! `timeline:` entries → [`TimelineEvent`]s, and `controlPlane:` → [`ControlPlane`].
//!
//! ```yaml
//! controlPlane: {pushDelay: 100ms}    # default 100ms (istiod's debounce)
//! timeline:
//!   - at: 30s
//!     apply: ../policies/x.yaml       # kubectl apply -f (path relative to the scenario;
//!                                     # the trace's `fault` event names it as written here)
//!   - {at: 60s, delete: ../policies/x.yaml}
//!   - {at: 10s, app: {workload: ratings-v1, errorRate: 1, errorStatus: 503, latency: 2s}}
//!   - {at: 20s, scale: {workload: ingressgw-2, replicas: 0}}
//!   - {at: 20s, crash: reviews-v2-0}
//!   - {at: 40s, restart: reviews-v2-0}
//!   - {at: 50s, partition: {from: region-1, to: region-2, oneWay: false}}
//!   - {at: 60s, link: {from: cluster-1, to: cluster-2, latency: 50ms, loss: 0.01}}
//!   - {at: 70s, heal: {}}
//! ```
//!
//! Entries may be written in any order; they run sorted by time (ties in file order). Names
//! of pods and workloads are checked against the topology by `validate::validate_timeline`.

use std::time::Duration;

use meshtwin_model::scenario::{ControlPlane, PolicyFile, TimelineAction, TimelineEvent};

use crate::decode::{Obj, Result, Val};

pub const ENTRY_FIELDS: &[&str] = &[
    "at",
    "apply",
    "delete",
    "app",
    "scale",
    "crash",
    "restart",
    "partition",
    "link",
    "heal",
];
pub const ACTIONS: &[&str] = &[
    "apply",
    "delete",
    "app",
    "scale",
    "crash",
    "restart",
    "partition",
    "link",
    "heal",
];
pub const LINK_FIELDS: &[&str] = &["from", "to", "latency", "loss", "oneWay"];
pub const APP_FIELDS: &[&str] = &["workload", "errorRate", "errorStatus", "latency"];
pub const SCALE_FIELDS: &[&str] = &["workload", "replicas"];
pub const PARTITION_FIELDS: &[&str] = &["from", "to", "oneWay"];
pub const CONTROL_PLANE_FIELDS: &[&str] = &["pushDelay"];

/// `controlPlane:` (absent: defaults).
pub fn control_plane(v: Option<Val<'_>>) -> Result<ControlPlane> {
    let Some(v) = v else {
        return Ok(ControlPlane::default());
    };
    let o = v.map(CONTROL_PLANE_FIELDS)?;
    Ok(ControlPlane {
        push_delay: o
            .opt("pushDelay", |d| d.duration())?
            .unwrap_or(ControlPlane::default().push_delay),
    })
}

/// Decode every entry; `run` is the scenario's duration, `resolve` turns a policy path into
/// the stored one.
pub fn decode_all(
    items: &[Val<'_>],
    run: Duration,
    resolve: &dyn Fn(&Val<'_>) -> Result<String>,
) -> Result<Vec<TimelineEvent>> {
    let mut out = Vec::new();
    for item in items {
        out.push(decode(item, run, resolve)?);
    }
    out.sort_by_key(|e| e.at);
    Ok(out)
}

fn decode(
    item: &Val<'_>,
    run: Duration,
    resolve: &dyn Fn(&Val<'_>) -> Result<String>,
) -> Result<TimelineEvent> {
    let e = item.map(ENTRY_FIELDS)?;
    let at_val = e.req("at")?;
    let at = at_val.duration()?;
    if at > run {
        return Err(at_val.error(format!(
            "{} is after the end of the run ({})",
            fmt(at),
            fmt(run)
        )));
    }
    let present = e.present(ACTIONS);
    let [name] = present.as_slice() else {
        return Err(item.error(format!(
            "expected exactly one action (one of: {}), found {}",
            ACTIONS.join(", "),
            if present.is_empty() {
                "none".to_string()
            } else {
                present.join(", ")
            }
        )));
    };
    let v = e.req(name)?;
    let action = match *name {
        "apply" => TimelineAction::Apply {
            policy: policy_file(&v, resolve)?,
        },
        "delete" => TimelineAction::Delete {
            policy: policy_file(&v, resolve)?,
        },
        "app" => app(&v)?,
        "scale" => {
            let o = v.map(SCALE_FIELDS)?;
            TimelineAction::Scale {
                workload: o.req_name("workload")?.to_string(),
                replicas: o.req("replicas")?.u32_in(0, 10_000)?,
            }
        }
        "crash" => TimelineAction::Crash {
            pod: v.name()?.to_string(),
        },
        "restart" => TimelineAction::Restart {
            pod: v.name()?.to_string(),
        },
        "partition" => {
            let o = v.map(PARTITION_FIELDS)?;
            TimelineAction::Partition {
                from: o.req("from")?.str()?.to_string(),
                to: o.req("to")?.str()?.to_string(),
                one_way: o.opt("oneWay", |b| b.bool())?.unwrap_or(false),
            }
        }
        "link" => link(&v)?,
        _ => {
            v.map(&[])?;
            TimelineAction::Heal
        }
    };
    Ok(TimelineEvent {
        at,
        action,
        line: item.line(),
    })
}

/// An `apply` / `delete` file: where to read it, and its name as the scenario writes it.
fn policy_file(v: &Val<'_>, resolve: &dyn Fn(&Val<'_>) -> Result<String>) -> Result<PolicyFile> {
    Ok(PolicyFile {
        path: resolve(v)?,
        as_written: v.name()?.to_string(),
    })
}

fn link(v: &Val<'_>) -> Result<TimelineAction> {
    let o = v.map(LINK_FIELDS)?;
    let latency = o.opt("latency", |d| d.duration())?;
    let loss = o.opt("loss", |r| r.number())?;
    if let (Some(r), Some(val)) = (loss, o.get("loss")) {
        if !(0.0..=1.0).contains(&r) {
            return Err(val.error(format!("loss {r} is not in [0, 1]")));
        }
    }
    if latency.is_none() && loss.is_none() {
        return Err(v.error("expected at least one of latency, loss"));
    }
    Ok(TimelineAction::Link {
        from: o.req("from")?.str()?.to_string(),
        to: o.req("to")?.str()?.to_string(),
        latency: latency.unwrap_or_default(),
        loss: loss.unwrap_or(0.0),
        one_way: o.opt("oneWay", |b| b.bool())?.unwrap_or(false),
    })
}

fn app(v: &Val<'_>) -> Result<TimelineAction> {
    let o: Obj<'_> = v.map(APP_FIELDS)?;
    let error_rate = o.opt("errorRate", |r| r.number())?;
    if let (Some(r), Some(val)) = (error_rate, o.get("errorRate")) {
        if !(0.0..=1.0).contains(&r) {
            return Err(val.error(format!("error rate {r} is not in [0, 1]")));
        }
    }
    let error_status = o
        .opt("errorStatus", |s| s.u32_in(100, 599))?
        .map(|s| s as u16);
    let latency = o.opt("latency", |d| d.duration())?;
    if error_rate.is_none() && error_status.is_none() && latency.is_none() {
        return Err(v.error("expected at least one of errorRate, errorStatus, latency"));
    }
    Ok(TimelineAction::App {
        workload: o.req_name("workload")?.to_string(),
        error_rate,
        error_status,
        latency,
    })
}

fn fmt(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}
