//! Envoy's per-proxy statistics and `stats.txt`, in the text form of the admin `/stats`
//! endpoint (`cluster.<name>.upstream_rq_pending_overflow: 21`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use meshtwin_model::run::ProxyStats;

/// Renders `stats.txt`: for each proxy, in pod-name order, a `# proxy <pod>` header and then
/// one `name: value` line per counter and current gauge, sorted by name (a name that is both a
/// counter and a gauge prints twice, the counter first). Proxies are separated by one blank
/// line; the text ends with a newline unless there is no proxy at all.
pub fn stats_txt(proxies: &BTreeMap<String, ProxyStats>) -> String {
    stats_txt_filtered(proxies, &|_| true)
}

/// [`stats_txt`] with only the stats whose full name `keep` accepts (Envoy admin's
/// `/stats?filter=REGEX`); a proxy's header stays even when none of its stats is kept.
pub fn stats_txt_filtered(
    proxies: &BTreeMap<String, ProxyStats>,
    keep: &dyn Fn(&str) -> bool,
) -> String {
    let mut out = String::new();
    for (i, (pod, stats)) in proxies.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "# proxy {pod}");
        let mut lines: Vec<(&str, u64)> = stats
            .counters
            .iter()
            .chain(stats.gauges.iter())
            .map(|(name, value)| (name.as_str(), *value))
            .collect();
        // Stable: on equal names the counter (chained first) stays first.
        lines.sort_by(|a, b| a.0.cmp(b.0));
        for (name, value) in lines.into_iter().filter(|(n, _)| keep(n)) {
            let _ = writeln!(out, "{name}: {value}");
        }
    }
    out
}

/// One proxy's stats as Envoy admin's `/stats?format=json` renders its counters and gauges:
/// `{"stats":[{"name":…,"value":…},…]}`, sorted by name (a counter before a gauge of the same
/// name), only those whose name `keep` accepts. The proxies keep no histograms, so there is no
/// `histograms` entry.
pub fn stats_json(stats: &ProxyStats, keep: &dyn Fn(&str) -> bool) -> String {
    let mut lines: Vec<(&str, u64)> = stats
        .counters
        .iter()
        .chain(stats.gauges.iter())
        .map(|(name, value)| (name.as_str(), *value))
        .filter(|(name, _)| keep(name))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(b.0));
    let entries: Vec<serde_json::Value> = lines
        .into_iter()
        .map(|(name, value)| serde_json::json!({ "name": name, "value": value }))
        .collect();
    let mut out = serde_json::to_string_pretty(&serde_json::json!({ "stats": entries }))
        .expect("stats serialize");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn stats_txt_sorts_counters_and_gauges_together_per_proxy_in_pod_order() {
        let c = "cluster.outbound|8000||httpbin.default.svc.cluster.local";
        let fortio = ProxyStats {
            counters: map(&[
                (&format!("{c}.upstream_rq_pending_total"), 139),
                (&format!("{c}.upstream_rq_pending_overflow"), 93),
            ]),
            gauges: map(&[
                (&format!("{c}.upstream_rq_pending_active"), 0),
                (&format!("{c}.circuit_breakers.default.rq_pending_open"), 0),
            ]),
            gauges_max: map(&[(&format!("{c}.upstream_rq_pending_active"), 1)]),
        };
        let httpbin = ProxyStats {
            counters: map(&[("http.inbound_0.0.0.0_80.downstream_rq_total", 46)]),
            ..ProxyStats::default()
        };
        let proxies: BTreeMap<String, ProxyStats> = [
            ("httpbin-0".to_string(), httpbin),
            ("fortio-0".to_string(), fortio),
        ]
        .into_iter()
        .collect();
        let expected = format!(
            "# proxy fortio-0\n\
             {c}.circuit_breakers.default.rq_pending_open: 0\n\
             {c}.upstream_rq_pending_active: 0\n\
             {c}.upstream_rq_pending_overflow: 93\n\
             {c}.upstream_rq_pending_total: 139\n\
             \n\
             # proxy httpbin-0\n\
             http.inbound_0.0.0.0_80.downstream_rq_total: 46\n"
        );
        assert_eq!(stats_txt(&proxies), expected);
    }

    #[test]
    fn the_filtered_text_and_the_json_keep_only_the_names_the_filter_accepts() {
        let stats = ProxyStats {
            counters: map(&[("cluster.a.upstream_rq_total", 5), ("http.x.no_route", 1)]),
            gauges: map(&[("cluster.a.upstream_cx_active", 2)]),
            gauges_max: map(&[("cluster.a.upstream_cx_active", 3)]),
        };
        let keep = |n: &str| n.starts_with("cluster.");
        let proxies = BTreeMap::from([("p".to_string(), stats.clone())]);
        assert_eq!(
            stats_txt_filtered(&proxies, &keep),
            "# proxy p\ncluster.a.upstream_cx_active: 2\ncluster.a.upstream_rq_total: 5\n"
        );
        let json: serde_json::Value = serde_json::from_str(&stats_json(&stats, &keep)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"stats": [
                {"name": "cluster.a.upstream_cx_active", "value": 2},
                {"name": "cluster.a.upstream_rq_total", "value": 5},
            ]})
        );
    }

    #[test]
    fn stats_txt_of_no_proxy_is_empty() {
        assert_eq!(stats_txt(&BTreeMap::new()), "");
    }

    #[test]
    fn proxy_stats_round_trip_through_json() {
        let stats = ProxyStats {
            counters: map(&[("a", 1)]),
            gauges: map(&[("b", 2)]),
            gauges_max: map(&[("b", 3)]),
        };
        let json = serde_json::to_string(&stats).unwrap();
        assert_eq!(serde_json::from_str::<ProxyStats>(&json).unwrap(), stats);
    }
}
