//! A load's result as fortio's own JSON, the file `fortio load -json FILE` writes and fortio's
//! report UI (`fortio report`, `ui/static/js/fortio_chart.js`) loads: fortio's
//! `fhttp.HTTPRunnerResults` (`fhttp/httprunner.go`) with its embedded
//! `periodic.RunnerResults` (`periodic/periodic.go`) and `HTTPOptions`, field names and JSON
//! types as Go's `encoding/json` writes them (a `time.Duration` is integer nanoseconds, a
//! `time.Time` an RFC 3339 string, a `map[int]int64`'s keys strings).
//!
//! Durations are in seconds, bucketed as fortio buckets them (its default resolution of
//! 1 ms: [`super::histogram`]), with fortio's default percentiles 50, 75, 90, 99 and 99.9. The
//! run's clock is virtual: `StartTime` is the load's start counted from the Unix epoch
//! (`1970-01-01T00:00:00Z` is the run's start). Response and header sizes are not modelled:
//! `Sizes` and `HeaderSizes` are `null`, as fortio's pointers are when not measured, and so is
//! `ConnectionStats`.

use std::collections::BTreeMap;

use meshtwin_model::calls::Latencies;
use meshtwin_model::run::LoadOutcome;
use meshtwin_model::scenario::LoadSpec;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::gofmt::{go_duration_ms, go_g, go_seconds, whole_ns};
use super::histogram::{Histogram, Unit};
use super::{fortio_code, TARGETS};

/// fortio's `stats.HistogramData` (`stats/stats.go`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct HistogramData {
    count: u64,
    min: f64,
    max: f64,
    sum: f64,
    avg: f64,
    std_dev: f64,
    /// `null` when empty, as Go's nil slice.
    data: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    percentiles: Vec<Value>,
}

impl HistogramData {
    /// `Export().CalcPercentiles(percentiles)` of durations in seconds.
    fn of(latencies: &Latencies) -> HistogramData {
        let h = Histogram::of_latencies(latencies, Unit::Seconds);
        let data = (!h.buckets.is_empty()).then(|| {
            h.buckets
                .iter()
                .map(|b| {
                    json!({"Start": b.start, "End": b.end, "Percent": b.cumulative_percent,
                           "Count": b.count})
                })
                .collect()
        });
        let percentiles = if h.count == 0 {
            Vec::new()
        } else {
            TARGETS
                .iter()
                .map(|&p| json!({"Percentile": p, "Value": h.percentile(p).unwrap_or(0.0)}))
                .collect()
        };
        HistogramData {
            count: h.count,
            min: h.min,
            max: h.max,
            sum: h.sum,
            avg: h.avg(),
            std_dev: h.stddev,
            data,
            percentiles,
        }
    }
}

/// Go's `time.Time` JSON (RFC 3339 with nanoseconds, trailing zeros trimmed) of `ms` virtual
/// milliseconds after the Unix epoch, in UTC.
pub(crate) fn rfc3339_from_epoch(ms: f64) -> String {
    let ns = whole_ns(ms);
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if frac > 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// fortio's `RequestedQPS` (`"max"` or `%.9g`) and `RequestedDuration` (`"exactly N calls"`,
/// the duration as Go prints it, or `"until stop"`).
fn requested(spec: &LoadSpec) -> (String, String) {
    let qps = if spec.qps > 0.0 {
        go_g(spec.qps, Some(9))
    } else {
        "max".to_string()
    };
    let duration = match (spec.calls, spec.duration) {
        (Some(n), _) => format!("exactly {n} calls"),
        (None, Some(d)) => go_duration_ms(d.as_secs_f64() * 1000.0),
        (None, None) => "until stop".to_string(),
    };
    (qps, duration)
}

/// Sockets each connection (fortio's thread) opened.
fn sockets_per_thread(spec: &LoadSpec, o: &LoadOutcome) -> Vec<u64> {
    let mut per: BTreeMap<u64, u64> = (0..u64::from(spec.connections.max(1)))
        .map(|c| (c, 0))
        .collect();
    for (thread, c) in &o.calls.by_connection {
        if c.new_sockets > 0 {
            *per.entry(*thread).or_default() += c.new_sockets;
        }
    }
    per.into_values().collect()
}

/// fortio's `HTTPOptions` (`fhttp/http_client.go`), embedded in its results: the URL, the
/// request timeout and the method; the TLS options and the rest are fortio's defaults.
fn http_options(m: &mut Map<String, Value>, spec: &LoadSpec) {
    let ms = |d: std::time::Duration| d.as_micros() as f64 / 1000.0;
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("URL", json!(spec.url));
    put("NumConnections", json!(1));
    put("Compression", json!(false));
    put("DisableFastClient", json!(false));
    put("HTTP10", json!(false));
    put("H2", json!(false));
    put("DisableKeepAlive", json!(false));
    put("AllowHalfClose", json!(false));
    put("FollowRedirects", json!(false));
    put("Resolve", json!(""));
    put("HTTPReqTimeOut", json!(whole_ns(ms(spec.timeout))));
    put("UserCredentials", json!(""));
    put("ContentType", json!(""));
    put("Payload", Value::Null);
    let method = if spec.method == "GET" {
        ""
    } else {
        &spec.method
    };
    put("MethodOverride", json!(method));
    put("LogErrors", json!(false));
    put("SequentialWarmup", json!(false));
    put("ConnReuseRange", json!([0, 0]));
    put("NoResolveEachConn", json!(false));
    put("Offset", json!(0));
    put("Resolution", json!(0.001));
}

/// `fortio-<load>.json`: load `spec`, run from `src_pod`, that did `o`, labelled `labels`
/// (fortio's `-labels`), as fortio's `HTTPRunnerResults` JSON, pretty-printed with a final
/// newline.
pub fn fortio_json(spec: &LoadSpec, o: &LoadOutcome, labels: &str) -> String {
    let ms = |d: std::time::Duration| d.as_micros() as f64 / 1000.0;
    let start_ms = o.first_start.map(ms).unwrap_or(ms(spec.start));
    let end_ms = o.last_end.map(ms).unwrap_or(start_ms);
    let elapsed_ms = (end_ms - start_ms).max(0.0);
    let elapsed_s = go_seconds(elapsed_ms);
    let count = o.calls.len();
    let actual_qps = if elapsed_s > 0.0 {
        count as f64 / elapsed_s
    } else {
        0.0
    };
    let mut ret_codes: BTreeMap<i32, u64> = BTreeMap::new();
    for (status, n) in &o.calls.by_status {
        *ret_codes.entry(fortio_code(*status)).or_default() += n;
    }
    let (requested_qps, requested_duration) = requested(spec);
    let sockets = sockets_per_thread(spec, o);
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    // periodic.RunnerResults, in its field order.
    put("RunType", json!("HTTP"));
    put("Labels", json!(labels));
    put("StartTime", json!(rfc3339_from_epoch(start_ms)));
    put("RequestedQPS", json!(requested_qps));
    put("RequestedDuration", json!(requested_duration));
    put("ActualQPS", json!(actual_qps));
    put("ActualDuration", json!(whole_ns(elapsed_ms)));
    put("NumThreads", json!(spec.connections));
    put(
        "Version",
        json!(concat!("meshtwin-", env!("CARGO_PKG_VERSION"))),
    );
    put(
        "DurationHistogram",
        json!(HistogramData::of(&o.calls.latencies)),
    );
    put(
        "ErrorsDurationHistogram",
        json!(HistogramData::of(&o.calls.error_latencies)),
    );
    put("Exactly", json!(spec.calls.unwrap_or(0)));
    put("Jitter", json!(false));
    put("Uniform", json!(false));
    put("NoCatchUp", json!(false));
    put("RunID", json!(0));
    put("AccessLoggerInfo", json!(""));
    put("ID", json!(spec.name));
    // fhttp.HTTPRunnerResults.
    put("RetCodes", json!(ret_codes));
    put("IPCountMap", json!({}));
    http_options(&mut m, spec);
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("Sizes", Value::Null);
    put("HeaderSizes", Value::Null);
    put("Sockets", json!(sockets));
    put("SocketCount", json!(o.sockets_used));
    put("ConnectionStats", Value::Null);
    put("AbortOn", json!(0));
    let mut out = serde_json::to_string_pretty(&Value::Object(m)).expect("fortio JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshtwin_model::calls::code_is_ok;

    #[test]
    fn start_times_are_go_rfc3339_nano_from_the_epoch() {
        assert_eq!(rfc3339_from_epoch(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_epoch(1500.25), "1970-01-01T00:00:01.50025Z");
        assert_eq!(
            rfc3339_from_epoch(86_400_000.0 * 366.0 + 61_000.0),
            "1971-01-02T00:01:01Z"
        );
    }

    #[test]
    fn only_2xx_and_418_are_successes_for_fortio() {
        assert!(code_is_ok(200) && code_is_ok(204) && code_is_ok(418));
        assert!(!code_is_ok(0) && !code_is_ok(503) && !code_is_ok(302));
    }
}
