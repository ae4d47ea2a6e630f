//! `stats.prom`: every proxy's stats in the Prometheus text exposition format, rendered as
//! Envoy's admin `/stats/prometheus` renders them (`source/server/admin/prometheus_stats.cc`
//! `PrometheusStatsFormatter::statsAsPrometheus`), with a `pod` label naming the proxy:
//!
//! ```text
//! # TYPE envoy_cluster_upstream_rq counter
//! envoy_cluster_upstream_rq{envoy_response_code="503",envoy_cluster_name="outbound|8000||httpbin.default.svc.cluster.local",pod="fortio-0"} 93
//! ```
//!
//! Names are tag-extracted as Envoy's default tag extractors do ([`extract`]), sanitized
//! (every character outside `[a-zA-Z0-9_]` becomes `_`) and prefixed with `envoy_`. All
//! counters come first, then all gauges, each family once with its `# TYPE` line and its
//! series (by pod, then by stat name), followed by a blank line. The proxies keep no histograms (Envoy's
//! `upstream_rq_time` and friends are not recorded), so there are no `_bucket` / `_sum` /
//! `_count` families.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::stats::ProxyStats;

/// One Envoy tag: its name as Envoy spells it (`envoy.cluster_name`) and its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tag {
    pub name: &'static str,
    pub value: String,
}

/// A stat name split as Envoy's `TagProducerImpl::produceTags` splits it: the name with the
/// tag values removed, and the tags in the order Envoy produces them (the extractors without a
/// prefix token — response code, response code class — first, then the one matching the
/// name's first token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub name: String,
    pub tags: Vec<Tag>,
}

/// Envoy's default tag extraction (`source/common/config/well_known_names.cc`
/// `TagNameValues`) for the stats this proxy keeps:
///
/// - `*_rq_<ddd>` → `*_rq`, `envoy.response_code`;
/// - `*_rq_<d>xx` → `*_rq_xx`, `envoy.response_code_class`;
/// - `cluster.<name>.*` → `cluster.*`, `envoy.cluster_name`;
/// - `http.<stat_prefix>.*` → `http.*`, `envoy.http_conn_manager_prefix`;
/// - `listener.<address>.*` → `listener.*`, `envoy.listener_address`;
/// - `tcp.<stat_prefix>.*` → `tcp.*`, `envoy.tcp_prefix`.
///
/// Envoy's regexes take a cluster name or stat prefix up to its first dot; Istio's names
/// (`outbound|8000||httpbin.default.svc.cluster.local`, `inbound_0.0.0.0_80`) hold dots, and
/// Istio's bootstrap (`tools/packaging/common/envoy_bootstrap.json` `stats_tags`) replaces
/// those regexes with ones that take the whole name. This takes the whole name too: everything
/// up to the stat's own name, which is the last segment, after `circuit_breakers.<priority>.`,
/// `outlier_detection.` or `health_check.` when one of those scopes precedes it.
pub fn extract(stat: &str) -> Extracted {
    let mut tags = Vec::new();
    let mut name = stat.to_string();
    if let Some((code, at)) = response_code(stat) {
        tags.push(tag("envoy.response_code", code));
        name.replace_range(at..at + 4, "");
    } else if let Some((class, at)) = response_code_class(stat) {
        tags.push(tag("envoy.response_code_class", class));
        name.replace_range(at..at + 1, "");
    }
    let scoped = [
        ("cluster.", "envoy.cluster_name"),
        ("http.", "envoy.http_conn_manager_prefix"),
        ("tcp.", "envoy.tcp_prefix"),
    ];
    for (prefix, tag_name) in scoped {
        if let Some(rest) = name.strip_prefix(prefix) {
            if let Some(end) = scope_end(rest) {
                let value = rest[..end].to_string();
                name = format!("{prefix}{}", &rest[end + 1..]);
                tags.push(tag(tag_name, &value));
            }
            return Extracted { name, tags };
        }
    }
    if let Some(rest) = name.strip_prefix("listener.") {
        if let Some(end) = listener_address_end(rest) {
            let value = rest[..end].to_string();
            name = format!("listener.{}", &rest[end + 1..]);
            tags.push(tag("envoy.listener_address", &value));
        }
    }
    Extracted { name, tags }
}

fn tag(name: &'static str, value: &str) -> Tag {
    Tag {
        name,
        value: value.to_string(),
    }
}

/// `_rq(_(\d{3}))$`: the three digits and the byte offset of the `_` before them.
fn response_code(stat: &str) -> Option<(&str, usize)> {
    let b = stat.as_bytes();
    let n = b.len();
    (n >= 7
        && &stat[n - 7..n - 4] == "_rq"
        && b[n - 4] == b'_'
        && b[n - 3..].iter().all(u8::is_ascii_digit))
    .then(|| (&stat[n - 3..], n - 4))
}

/// `_rq_((\d))xx$`: the digit and its byte offset.
fn response_code_class(stat: &str) -> Option<(&str, usize)> {
    let n = stat.len();
    (n >= 7 && stat.ends_with("xx") && &stat[n - 7..n - 3] == "_rq_")
        .then(|| {
            let d = &stat[n - 3..n - 2];
            d.bytes().all(|c| c.is_ascii_digit()).then_some((d, n - 3))
        })
        .flatten()
}

/// Sub-scopes of a cluster's stats that come between the cluster name and the stat's name.
const CLUSTER_SCOPES: [&str; 4] = [
    ".circuit_breakers.default.",
    ".circuit_breakers.high.",
    ".outlier_detection.",
    ".health_check.",
];

/// Byte offset of the dot ending the scope's name in `rest` (what follows a `cluster.`,
/// `http.` or `tcp.` prefix): before a known sub-scope, else before the last segment.
fn scope_end(rest: &str) -> Option<usize> {
    for scope in CLUSTER_SCOPES {
        if let Some(at) = rest.rfind(scope) {
            let stat = &rest[at + scope.len()..];
            if !stat.is_empty() && !stat.contains('.') {
                return Some(at);
            }
        }
    }
    rest.rfind('.').filter(|&at| at > 0)
}

/// `listener.(<address>.)`: an IPv4 address with its port (`0.0.0.0_15001`) or a bracketed
/// IPv6 one (`[__]_15001`), as Envoy's `<ADDRESS>` pattern.
fn listener_address_end(rest: &str) -> Option<usize> {
    let (address, _) = rest.split_once('_')?;
    let after = &rest[address.len() + 1..];
    let port_len = after.bytes().take_while(u8::is_ascii_digit).count();
    let end = address.len() + 1 + port_len;
    let ipv4 = address.split('.').count() == 4
        && address
            .split('.')
            .all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|c| c.is_ascii_digit()));
    let ipv6 = address.starts_with('[') && address.ends_with(']');
    (port_len > 0 && (ipv4 || ipv6) && rest[end..].starts_with('.')).then_some(end)
}

/// Envoy's `sanitizeName`: every character outside `[a-zA-Z0-9_]` becomes `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A label value escaped as the exposition format requires (`\\`, `\"`, `\n`). Envoy writes
/// values unescaped; the names meshtwin produces never hold those characters, so the output
/// is Envoy's, and a name that did would still parse.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// One family: its series as ((pod, full stat name), formatted labels, value).
type Families<'a> = BTreeMap<String, Vec<((&'a str, &'a str), String, u64)>>;

fn add_series<'a>(families: &mut Families<'a>, stat: &'a str, value: u64, pod: Option<&'a str>) {
    let e = extract(stat);
    let mut labels: Vec<String> = e
        .tags
        .iter()
        .map(|t| format!("{}=\"{}\"", sanitize(t.name), escape(&t.value)))
        .collect();
    if let Some(pod) = pod {
        labels.push(format!("pod=\"{}\"", escape(pod)));
    }
    families
        .entry(format!("envoy_{}", sanitize(&e.name)))
        .or_default()
        .push(((pod.unwrap_or(""), stat), labels.join(","), value));
}

/// Each family once, in name order; its series by pod, then (as Envoy's `MetricLessThan`) by
/// full stat name.
fn write_families(out: &mut String, families: Families, kind: &str) {
    for (name, mut series) in families {
        series.sort();
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (_, labels, value) in series {
            // Envoy writes `{}` for a stat with no tags; the text format lets the braces go,
            // and parsers that refuse an empty set (the `prometheus-parse` crate) read it then.
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {value}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        }
        out.push('\n');
    }
}

/// `stats.prom`: every proxy's counters and gauges at the end of the run, one `pod` label per
/// proxy (see the module doc). Empty when there is no proxy.
pub fn stats_prom(proxies: &BTreeMap<String, ProxyStats>) -> String {
    render(proxies.iter().map(|(pod, s)| (Some(pod.as_str()), s)))
}

/// One proxy's `/stats/prometheus`, as its admin serves it (no `pod` label: the scraper adds
/// its target's labels).
pub fn proxy_prom(stats: &ProxyStats) -> String {
    render(std::iter::once((None, stats)))
}

fn render<'a>(proxies: impl Iterator<Item = (Option<&'a str>, &'a ProxyStats)>) -> String {
    let (mut counters, mut gauges) = (Families::new(), Families::new());
    for (pod, stats) in proxies {
        for (stat, v) in &stats.counters {
            add_series(&mut counters, stat, *v, pod);
        }
        for (stat, v) in &stats.gauges {
            add_series(&mut gauges, stat, *v, pod);
        }
    }
    let mut out = String::new();
    write_families(&mut out, counters, "counter");
    write_families(&mut out, gauges, "gauge");
    out
}

#[cfg(test)]
#[path = "prometheus_tests.rs"]
mod tests;
