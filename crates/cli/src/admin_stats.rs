//! `meshtwin proxy`'s admin stats endpoints, as Envoy's admin serves them
//! (`source/server/admin/stats_handler.cc`, `stats_params.cc`):
//!
//! - `GET /stats`: the `stats.txt` text; `?filter=REGEX` keeps the stats whose full name the
//!   regular expression matches anywhere (RE2 syntax, as Envoy's `safe_regex`), and
//!   `?format=json` gives `{"stats":[{"name","value"},…]}`;
//! - `GET /stats/prometheus` (or `/stats?format=prometheus`): the Prometheus text exposition,
//!   with `?filter=` too.
//!
//! An invalid filter or format answers 400 with what is wrong, as Envoy does.

use std::collections::BTreeMap;

use meshtwin_report::prometheus::proxy_prom;
use meshtwin_report::stats::{stats_json, stats_txt_filtered, ProxyStats};

/// `%XX` and `+` decoded, as a query parameter's value; `None` for a bad escape or non-UTF-8.
fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The response (status, content type, body) to `GET path?query` for a stats path, or `None`
/// when `path` is not one.
pub fn stats_response(
    path: &str,
    query: Option<&str>,
    node: &str,
    stats: ProxyStats,
) -> Option<(u16, &'static str, String)> {
    if path != "/stats" && path != "/stats/prometheus" {
        return None;
    }
    let mut format = if path == "/stats/prometheus" {
        "prometheus"
    } else {
        "text"
    }
    .to_string();
    let mut filter = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(v) = url_decode(v) else {
            return Some(bad(format!("{k}: invalid URL escape in {v:?}")));
        };
        match k {
            "filter" => match regex::Regex::new(&v) {
                Ok(r) => filter = Some(r),
                Err(e) => return Some(bad(format!("Invalid re2 regex {v:?}: {e}"))),
            },
            "format" => format = v,
            // Envoy's `usedonly`, `type` and `histogram_buckets` change nothing here: every
            // stat is used once written, and there are no histograms.
            _ => {}
        }
    }
    let keep = |name: &str| filter.as_ref().is_none_or(|r| r.is_match(name));
    let stats = filter_stats(stats, &keep);
    Some(match format.as_str() {
        "text" => {
            let one = BTreeMap::from([(node.to_string(), stats)]);
            (200, "text/plain", stats_txt_filtered(&one, &keep))
        }
        "json" => (200, "application/json", stats_json(&stats, &keep)),
        "prometheus" => (200, "text/plain; version=0.0.4", proxy_prom(&stats)),
        other => bad(format!(
            "usage: /stats?format=(html|active-html|json|prometheus|text): unsupported {other:?}"
        )),
    })
}

fn filter_stats(mut s: ProxyStats, keep: &dyn Fn(&str) -> bool) -> ProxyStats {
    s.counters.retain(|k, _| keep(k));
    s.gauges.retain(|k, _| keep(k));
    s.gauges_max.retain(|k, _| keep(k));
    s
}

fn bad(msg: String) -> (u16, &'static str, String) {
    (400, "text/plain", format!("{msg}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> ProxyStats {
        let mut s = ProxyStats::default();
        s.counters
            .insert("cluster.outbound|80||a.svc.upstream_rq_200".into(), 3);
        s.counters
            .insert("http.outbound_0.0.0.0_80.no_route".into(), 1);
        s
    }

    #[test]
    fn a_url_encoded_filter_keeps_only_the_matching_stats_in_every_format() {
        let (code, _, body) =
            stats_response("/stats", Some("filter=upstream_rq_%5Cd%2B"), "p", stats()).unwrap();
        assert_eq!(code, 200);
        assert_eq!(
            body,
            "# proxy p\ncluster.outbound|80||a.svc.upstream_rq_200: 3\n"
        );
        let (_, ty, body) =
            stats_response("/stats/prometheus", Some("filter=no_route"), "p", stats()).unwrap();
        assert_eq!(ty, "text/plain; version=0.0.4");
        assert!(
            body.starts_with("# TYPE envoy_http_no_route counter\n"),
            "{body}"
        );
        assert!(!body.contains("upstream_rq"), "{body}");
        let (_, ty, body) =
            stats_response("/stats", Some("format=json&filter=no_route"), "p", stats()).unwrap();
        assert_eq!(ty, "application/json");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["stats"][0]["name"], "http.outbound_0.0.0.0_80.no_route");
        assert_eq!(v["stats"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_bad_regex_or_format_is_a_400_and_other_paths_are_not_stats() {
        let (code, _, body) = stats_response("/stats", Some("filter=("), "p", stats()).unwrap();
        assert_eq!(code, 400);
        assert!(body.contains("Invalid re2 regex"), "{body}");
        let (code, _, _) = stats_response("/stats", Some("format=xml"), "p", stats()).unwrap();
        assert_eq!(code, 400);
        assert!(stats_response("/ready", None, "p", stats()).is_none());
    }
}
