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
        for (name, value) in lines {
            let _ = writeln!(out, "{name}: {value}");
        }
    }
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
