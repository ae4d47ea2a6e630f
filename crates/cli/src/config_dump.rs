//! `config_dump.json`: what the control plane configured each proxy with at the start of a run,
//! in the shape and field names of Envoy admin's `/config_dump` (`envoy.admin.v3.ConfigDump`:
//! `ListenersConfigDump`, `ClustersConfigDump`, `RoutesConfigDump`, protobuf JSON with proto
//! field names, zero values left out), by pod:
//! `{"fortio-0": {"configs": [{"@type": "…ListenersConfigDump", "dynamic_listeners": […]}, …]}}`.
//!
//! It holds what the twin models: listeners (address, HTTP connection manager with its route
//! configuration name, or TCP proxy), clusters (type, connect timeout, load-balancing policy,
//! circuit-breaker thresholds, HTTP protocol options, outlier detection, panic threshold,
//! active health check) and routes (virtual hosts, domains, matches by path and header /
//! query names, cluster or weighted clusters, timeout, retry policy, direct responses and
//! redirects). Endpoints are in the trace (`meshtwin endpoints`). Every cluster gets its
//! endpoints pushed by the control plane, so its `type` is `EDS`. Pushes during the run
//! (timeline `apply` / `delete`) are not reflected: this is the configuration at the start.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use meshtwin_model::policy::LbPolicy;
use meshtwin_proxy::config::{ClusterConfig, ListenerConfig, ListenerKind, ProxyConfig};
use meshtwin_proxy::router::config::{Action, ClusterSpecifier, Route, RouteTable};
use meshtwin_proxy::router::matcher::PathMatcher;
use meshtwin_proxy::router::retry::{RetryOn, RetryPolicy};
use serde_json::{json, Map, Value};

/// Google's protobuf JSON of a duration: seconds with 0, 3, 6 or 9 decimals, then `s`.
fn pb_duration(d: Duration) -> String {
    let (s, ns) = (d.as_secs(), d.subsec_nanos());
    if ns == 0 {
        format!("{s}s")
    } else if ns.is_multiple_of(1_000_000) {
        format!("{s}.{:03}s", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{s}.{:06}s", ns / 1_000)
    } else {
        format!("{s}.{ns:09}s")
    }
}

fn obj(pairs: Vec<(&str, Option<Value>)>) -> Value {
    let m: Map<String, Value> = pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
    Value::Object(m)
}

/// The cluster's `typed_extension_protocol_options` (Envoy's `HttpProtocolOptions`): idle
/// timeout, requests per connection, HTTP/1 or HTTP/2 with its stream limit.
fn protocol_options(c: &ClusterConfig) -> Value {
    let common = obj(vec![
        (
            "idle_timeout",
            c.pool.idle_timeout.map(|d| json!(pb_duration(d))),
        ),
        (
            "max_requests_per_connection",
            c.pool.max_requests_per_connection.map(|n| json!(n)),
        ),
    ]);
    let explicit = match c.protocol {
        meshtwin_model::policy::UpstreamProtocol::Http2 => json!({"http2_protocol_options":
            obj(vec![("max_concurrent_streams", c.pool.max_concurrent_streams.map(|n| json!(n)))])}),
        _ => json!({"http_protocol_options": {}}),
    };
    json!({"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "common_http_protocol_options": common, "explicit_http_config": explicit}})
}

/// Envoy's `OutlierDetection` of the cluster.
fn outlier_json(o: &meshtwin_model::policy::OutlierDetection) -> Value {
    obj(vec![
        ("consecutive_5xx", o.consecutive_5xx.map(|n| json!(n))),
        ("interval", Some(json!(pb_duration(o.interval)))),
        (
            "base_ejection_time",
            Some(json!(pb_duration(o.base_ejection_time))),
        ),
        ("max_ejection_percent", Some(json!(o.max_ejection_percent))),
        (
            "enforcing_consecutive_5xx",
            Some(json!(o.enforcing_consecutive_5xx)),
        ),
        (
            "enforcing_success_rate",
            Some(json!(o.enforcing_success_rate)),
        ),
        (
            "consecutive_gateway_failure",
            o.consecutive_gateway_failure.map(|n| json!(n)),
        ),
        (
            "enforcing_consecutive_gateway_failure",
            Some(json!(o.enforcing_consecutive_gateway_failure)),
        ),
        (
            "split_external_local_origin_errors",
            o.split_external_local_origin_errors.then(|| json!(true)),
        ),
        (
            "consecutive_local_origin_failure",
            o.consecutive_local_origin_failure.map(|n| json!(n)),
        ),
        (
            "max_ejection_time",
            o.max_ejection_time.map(|d| json!(pb_duration(d))),
        ),
    ])
}

/// The cluster's active health check (`health_checks`).
fn health_json(h: &meshtwin_model::policy::HealthCheck) -> Value {
    json!([obj(vec![
        ("timeout", Some(json!(pb_duration(h.timeout)))),
        ("interval", Some(json!(pb_duration(h.interval)))),
        ("unhealthy_threshold", Some(json!(h.unhealthy_threshold))),
        ("healthy_threshold", Some(json!(h.healthy_threshold))),
        (
            "http_health_check",
            h.path.as_ref().map(|p| json!({"path": p}))
        ),
        ("tcp_health_check", h.path.is_none().then(|| json!({}))),
    ])])
}

fn cluster_json(c: &ClusterConfig) -> Value {
    let t = &c.pool.thresholds;
    let thresholds = json!([
        {"max_connections": t.max_connections, "max_pending_requests": t.max_pending_requests,
         "max_requests": t.max_requests, "max_retries": t.max_retries},
    ]);
    let lb = match c.lb_policy {
        LbPolicy::RoundRobin => None,
        LbPolicy::LeastRequest => Some(json!("LEAST_REQUEST")),
        LbPolicy::Random => Some(json!("RANDOM")),
    };
    let panic = c
        .outlier_detection
        .as_ref()
        .and_then(|o| o.healthy_panic_threshold)
        .map(|p| json!({"value": p}));
    let common_lb = obj(vec![
        ("healthy_panic_threshold", panic),
        (
            "locality_weighted_lb_config",
            (!c.locality_weights.is_empty()).then(|| json!({})),
        ),
    ]);
    let outlier = c.outlier_detection.as_ref().map(outlier_json);
    let health = c.health_check.as_ref().map(health_json);
    let is_tcp = c.protocol == meshtwin_model::policy::UpstreamProtocol::Tcp;
    obj(vec![
        (
            "@type",
            Some(json!("type.googleapis.com/envoy.config.cluster.v3.Cluster")),
        ),
        ("name", Some(json!(c.name))),
        ("type", Some(json!("EDS"))),
        (
            "connect_timeout",
            Some(json!(pb_duration(c.pool.connect_timeout))),
        ),
        ("lb_policy", lb),
        ("circuit_breakers", Some(json!({"thresholds": thresholds}))),
        (
            "typed_extension_protocol_options",
            (!is_tcp).then(|| protocol_options(c)),
        ),
        ("outlier_detection", outlier),
        (
            "common_lb_config",
            common_lb
                .as_object()
                .is_some_and(|m| !m.is_empty())
                .then_some(common_lb),
        ),
        ("health_checks", health),
    ])
}

fn cluster_specifier(c: &ClusterSpecifier) -> (&'static str, Value) {
    match c {
        ClusterSpecifier::Cluster(name) => ("cluster", json!(name)),
        ClusterSpecifier::Weighted(w) => {
            let clusters: Vec<Value> = w
                .clusters()
                .iter()
                .map(|c| json!({"name": c.name, "weight": c.weight}))
                .collect();
            ("weighted_clusters", json!({"clusters": clusters}))
        }
    }
}

fn retry_json(p: &RetryPolicy) -> Value {
    let on: Vec<&str> = RetryOn::TOKENS
        .iter()
        .filter(|(_, flag)| p.retry_on.any(*flag))
        .map(|(t, _)| *t)
        .collect();
    obj(vec![
        ("retry_on", Some(json!(on.join(",")))),
        ("num_retries", Some(json!(p.num_retries))),
        (
            "per_try_timeout",
            p.per_try_timeout.map(|d| json!(pb_duration(d))),
        ),
        (
            "retriable_status_codes",
            (!p.retriable_status_codes.is_empty()).then(|| json!(p.retriable_status_codes)),
        ),
        (
            "host_selection_retry_max_attempts",
            Some(json!(p.host_selection_retry_max_attempts.to_string())),
        ),
    ])
}

fn route_json(r: &Route) -> Value {
    let m = &r.matcher;
    let (key, path) = match &m.path {
        PathMatcher::Prefix(p) => ("prefix", json!(p)),
        PathMatcher::Exact(p) => ("path", json!(p)),
        PathMatcher::Regex(re) => ("safe_regex", json!({"regex": re.as_str()})),
    };
    let mut matcher = Map::new();
    matcher.insert(key.into(), path);
    if !m.case_sensitive {
        matcher.insert("case_sensitive".into(), json!(false));
    }
    if !m.headers.is_empty() {
        let headers: Vec<Value> = m.headers.iter().map(|h| json!({"name": h.name})).collect();
        matcher.insert("headers".into(), json!(headers));
    }
    let mut route = Map::new();
    route.insert("name".into(), json!(r.name));
    route.insert("match".into(), Value::Object(matcher));
    match &r.action {
        Action::Route(a) => {
            let (k, v) = cluster_specifier(&a.cluster);
            route.insert(
                "route".into(),
                obj(vec![
                    (k, Some(v)),
                    ("timeout", Some(json!(pb_duration(a.timeout)))),
                    (
                        "idle_timeout",
                        a.idle_timeout.map(|d| json!(pb_duration(d))),
                    ),
                    ("retry_policy", a.retry_policy.as_ref().map(retry_json)),
                ]),
            );
        }
        Action::DirectResponse { status, body } => {
            route.insert(
                "direct_response".into(),
                json!({"status": status, "body": {"inline_string": body}}),
            );
        }
        Action::Redirect(rd) => {
            route.insert(
                "redirect".into(),
                obj(vec![
                    ("host_redirect", rd.host.as_ref().map(|h| json!(h))),
                    ("path_redirect", rd.path.as_ref().map(|p| json!(p))),
                    ("response_code", Some(json!(rd.code))),
                ]),
            );
        }
    }
    Value::Object(route)
}

fn route_config_json(name: &str, table: &RouteTable) -> Value {
    let vhosts: Vec<Value> = table
        .virtual_hosts()
        .iter()
        .map(|vh| {
            let routes: Vec<Value> = vh.routes.iter().map(route_json).collect();
            json!({"name": vh.name, "domains": vh.domains, "routes": routes})
        })
        .collect();
    json!({"@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
           "name": name, "virtual_hosts": vhosts})
}

fn listener_json(l: &ListenerConfig) -> Value {
    let mut filter = match &l.kind {
        ListenerKind::Http { .. } => {
            json!({"name": "envoy.filters.network.http_connection_manager",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                "stat_prefix": l.stat_prefix, "server_name": l.server_name,
                "rds": {"route_config_name": l.name}}})
        }
        ListenerKind::Tcp { cluster } => {
            let (k, v) = cluster_specifier(cluster);
            json!({"name": "envoy.filters.network.tcp_proxy", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                "stat_prefix": l.stat_prefix, k: v}})
        }
    };
    if let Some(d) = l.idle_timeout {
        let key = match l.kind {
            ListenerKind::Http { .. } => "stream_idle_timeout",
            ListenerKind::Tcp { .. } => "idle_timeout",
        };
        filter["typed_config"][key] = json!(pb_duration(d));
    }
    json!({"name": l.name, "active_state": {"listener": {
        "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
        "name": l.name,
        "address": {"socket_address": {"address": l.address.ip().to_string(),
                                       "port_value": l.address.port()}},
        "filter_chains": [{"filters": [filter]}]}}})
}

/// One proxy's `/config_dump`.
pub fn config_dump(cfg: &ProxyConfig) -> Value {
    let listeners: Vec<Value> = cfg.listeners.iter().map(listener_json).collect();
    let clusters: Vec<Value> = cfg
        .clusters
        .iter()
        .map(|c| json!({"cluster": cluster_json(c)}))
        .collect();
    let routes: Vec<Value> = cfg
        .listeners
        .iter()
        .filter_map(|l| match &l.kind {
            ListenerKind::Http { routes, .. } => {
                Some(json!({"route_config": route_config_json(&l.name, routes)}))
            }
            ListenerKind::Tcp { .. } => None,
        })
        .collect();
    json!({"configs": [
        {"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
         "dynamic_listeners": listeners},
        {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
         "dynamic_active_clusters": clusters},
        {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
         "dynamic_route_configs": routes},
    ]})
}

/// Writes `config_dump.json` into `dir`: every proxy's [`config_dump`], by pod.
pub fn write(dir: &Path, configs: &BTreeMap<String, ProxyConfig>) -> std::io::Result<()> {
    let all: Map<String, Value> = configs
        .iter()
        .map(|(pod, c)| (pod.clone(), config_dump(c)))
        .collect();
    let mut text = serde_json::to_string_pretty(&Value::Object(all)).expect("config dump");
    text.push('\n');
    std::fs::write(dir.join("config_dump.json"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_protobuf_json_with_0_3_6_or_9_decimals() {
        assert_eq!(pb_duration(Duration::from_secs(10)), "10s");
        assert_eq!(pb_duration(Duration::from_millis(1500)), "1.500s");
        assert_eq!(pb_duration(Duration::from_micros(250)), "0.000250s");
        assert_eq!(pb_duration(Duration::from_nanos(7)), "0.000000007s");
    }
}
