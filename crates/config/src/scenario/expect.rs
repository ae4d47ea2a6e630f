//! `expect:` entries → [`Expectation`]s: one metric and a band.
//!
//! ```yaml
//! - name: "c=2: share of 503s"
//!   codeFraction: {load: c2, code: 503}   # exactly one metric key:
//!   min: 0.0                              #   codeFraction {load, code}, codeCount {load, code},
//!   max: 0.25                             #   requests {load}, flagFraction {load, code, flag},
//!                                         #   counter {proxy, stat}, gaugeMax {proxy, stat},
//!                                         #   latencyMs {load, percentile},
//!                                         #   bodyContains {load, text}, reached {load, workload},
//!                                         #   priorityLoad {proxy, cluster, priority, at},
//!                                         #   priorityPanic {proxy, cluster, priority, at},
//!                                         #   failoverMs {load}
//! ```
//! At least one of `min` / `max`; `min <= max`; every `load` must name a load of the scenario;
//! `at` (optional, default the end of the run) must lie within the run.

use std::time::Duration;

use meshtwin_model::scenario::{Expectation, LoadSpec, Metric};

use crate::decode::{Obj, Result, Val};

/// Every key an expectation may have: its name, its band, and one metric.
pub const EXPECT_FIELDS: &[&str] = &[
    "name",
    "min",
    "max",
    "codeFraction",
    "codeCount",
    "requests",
    "flagFraction",
    "counter",
    "gaugeMax",
    "latencyMs",
    "bodyContains",
    "reached",
    "priorityLoad",
    "priorityPanic",
    "failoverMs",
];
/// The metric keys (all but `name`, `min`, `max`).
const METRICS: &[&str] = EXPECT_FIELDS.split_at(3).1;
/// Each metric's fields, in [`METRICS`] order.
pub const METRIC_FIELDS: &[(&str, &[&str])] = &[
    ("codeFraction", &["load", "code"]),
    ("codeCount", &["load", "code"]),
    ("requests", &["load"]),
    ("flagFraction", &["load", "code", "flag"]),
    ("counter", &["proxy", "stat"]),
    ("gaugeMax", &["proxy", "stat"]),
    ("latencyMs", &["load", "percentile"]),
    ("bodyContains", &["load", "text"]),
    ("reached", &["load", "workload"]),
    ("priorityLoad", &["proxy", "cluster", "priority", "at"]),
    ("priorityPanic", &["proxy", "cluster", "priority", "at"]),
    ("failoverMs", &["load"]),
];

/// The fields of metric `key`.
fn fields_of(key: &str) -> &'static [&'static str] {
    METRIC_FIELDS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(&[], |(_, f)| f)
}

/// Decode every expectation against the scenario's loads and duration (`run`).
pub fn decode_all(
    items: &[Val<'_>],
    loads: &[LoadSpec],
    run: Duration,
) -> Result<Vec<Expectation>> {
    items.iter().map(|i| decode(i, loads, run)).collect()
}

fn decode(v: &Val<'_>, loads: &[LoadSpec], run: Duration) -> Result<Expectation> {
    let e = v.map(EXPECT_FIELDS)?;
    let key = match e.present(METRICS).as_slice() {
        [one] => *one,
        [] => return Err(e.error(format!("missing the metric: one of {}", METRICS.join(", ")))),
        [_, second, ..] => {
            return Err(e
                .req(second)?
                .error("one metric per expectation (this entry already has one)"))
        }
    };
    let metric = metric(&e.req(key)?, key, loads, run)?;
    let min = e.opt("min", Val::number)?;
    let max = e.opt("max", Val::number)?;
    match (min, max) {
        (None, None) => {
            return Err(e.error("missing field `min` or `max` (at least one is required)"))
        }
        (Some(lo), Some(hi)) if lo > hi => {
            return Err(e.req("max")?.error(format!("max {hi} is below min {lo}")))
        }
        _ => {}
    }
    Ok(Expectation {
        name: e.req_name("name")?.to_string(),
        metric,
        min,
        max,
    })
}

fn metric(v: &Val<'_>, key: &str, loads: &[LoadSpec], run: Duration) -> Result<Metric> {
    Ok(match key {
        "priorityLoad" | "priorityPanic" => priority_metric(v, key, run)?,
        "codeFraction" | "codeCount" => {
            let m = v.map(fields_of(key))?;
            let (load, code) = (load_ref(&m, loads)?, status(&m)?);
            if key == "codeFraction" {
                Metric::CodeFraction { load, code }
            } else {
                Metric::CodeCount { load, code }
            }
        }
        "requests" => Metric::Requests {
            load: load_ref(&v.map(fields_of(key))?, loads)?,
        },
        "failoverMs" => Metric::FailoverMs {
            load: load_ref(&v.map(fields_of(key))?, loads)?,
        },
        "flagFraction" => {
            let m = v.map(fields_of(key))?;
            Metric::FlagFraction {
                load: load_ref(&m, loads)?,
                code: status(&m)?,
                flag: response_flag(&m)?,
            }
        }
        "bodyContains" => {
            let m = v.map(fields_of(key))?;
            Metric::BodyContains {
                load: load_ref(&m, loads)?,
                text: m.req_name("text")?.to_string(),
            }
        }
        "reached" => {
            let m = v.map(fields_of(key))?;
            Metric::Reached {
                load: load_ref(&m, loads)?,
                workload: m.req_name("workload")?.to_string(),
            }
        }
        "latencyMs" => latency_metric(v, key, loads)?,
        _ => {
            let m = v.map(fields_of(key))?;
            let (proxy, stat) = (
                m.req_name("proxy")?.to_string(),
                m.req_name("stat")?.to_string(),
            );
            if key == "counter" {
                Metric::Counter { proxy, stat }
            } else {
                Metric::GaugeMax { proxy, stat }
            }
        }
    })
}

/// `priorityLoad` / `priorityPanic`: one priority of one proxy's cluster, at an instant of the
/// run or at its end.
fn priority_metric(v: &Val<'_>, key: &str, run: Duration) -> Result<Metric> {
    let m = v.map(fields_of(key))?;
    let (proxy, cluster) = (
        m.req_name("proxy")?.to_string(),
        m.req_name("cluster")?.to_string(),
    );
    let priority = m.req("priority")?.u32_in(0, 127)?;
    let at = match m.get("at") {
        None => None,
        Some(a) => {
            let at = a.duration()?;
            if at > run {
                return Err(a.error(format!(
                    "{}s is after the end of the run ({}s)",
                    at.as_secs_f64(),
                    run.as_secs_f64()
                )));
            }
            Some(at)
        }
    };
    Ok(if key == "priorityLoad" {
        Metric::PriorityLoad {
            proxy,
            cluster,
            priority,
            at,
        }
    } else {
        Metric::PriorityPanic {
            proxy,
            cluster,
            priority,
            at,
        }
    })
}

/// `latencyMs`: a percentile in (0, 100] of one load's latencies.
fn latency_metric(v: &Val<'_>, key: &str, loads: &[LoadSpec]) -> Result<Metric> {
    let m = v.map(fields_of(key))?;
    let p = m.req("percentile")?;
    let percentile = p.number()?;
    if !(percentile > 0.0 && percentile <= 100.0) {
        return Err(p.error("must be in (0, 100]"));
    }
    Ok(Metric::LatencyMs {
        load: load_ref(&m, loads)?,
        percentile,
    })
}

/// The `load` field, which must name one of the scenario's loads.
fn load_ref(m: &Obj<'_>, loads: &[LoadSpec]) -> Result<String> {
    let v = m.req("load")?;
    let name = v.name()?;
    if !loads.iter().any(|l| l.name == name) {
        let names: Vec<&str> = loads.iter().map(|l| l.name.as_str()).collect();
        return Err(v.error(format!(
            "no load named {name:?}{} (loads: {})",
            crate::expect_check::did_you_mean(name, names.iter().copied()),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    Ok(name.to_string())
}

/// The `flag` field: one of Envoy's response flags.
fn response_flag(m: &Obj<'_>) -> Result<String> {
    use crate::envoy_names::RESPONSE_FLAGS;
    let v = m.req("flag")?;
    let flag = v.name()?;
    if !RESPONSE_FLAGS.contains(&flag) {
        return Err(v.error(format!(
            "{flag:?} is none of Envoy's response flags{} (flags: {})",
            crate::expect_check::did_you_mean(flag, RESPONSE_FLAGS.iter().copied()),
            RESPONSE_FLAGS.join(", ")
        )));
    }
    Ok(flag.to_string())
}

/// The `code` field: an HTTP status, or 0 for socket errors.
fn status(m: &Obj<'_>) -> Result<u16> {
    let v = m.req("code")?;
    let code = v.int()?;
    if code != 0 && !(100..=599).contains(&code) {
        return Err(v.error("expected an HTTP status (100-599) or 0 for socket errors"));
    }
    Ok(u16::try_from(code).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::{METRICS, METRIC_FIELDS};

    #[test]
    fn every_metric_has_its_fields_in_metric_order() {
        let keys: Vec<&str> = METRIC_FIELDS.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, METRICS);
    }
}
