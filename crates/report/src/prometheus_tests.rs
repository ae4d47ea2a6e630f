use super::*;

const C: &str = "outbound|8000||httpbin.default.svc.cluster.local";

fn tags(e: &Extracted) -> Vec<(&str, &str)> {
    e.tags.iter().map(|t| (t.name, t.value.as_str())).collect()
}

#[test]
fn a_cluster_stat_keeps_its_whole_istio_cluster_name_as_the_tag() {
    let e = extract(&format!("cluster.{C}.upstream_rq_pending_overflow"));
    assert_eq!(e.name, "cluster.upstream_rq_pending_overflow");
    assert_eq!(tags(&e), [("envoy.cluster_name", C)]);
}

#[test]
fn a_response_code_is_extracted_before_the_cluster_name() {
    let e = extract(&format!("cluster.{C}.upstream_rq_503"));
    assert_eq!(e.name, "cluster.upstream_rq");
    assert_eq!(
        tags(&e),
        [("envoy.response_code", "503"), ("envoy.cluster_name", C)]
    );
    let e = extract(&format!("cluster.{C}.upstream_rq_5xx"));
    assert_eq!(e.name, "cluster.upstream_rq_xx");
    assert_eq!(
        tags(&e),
        [
            ("envoy.response_code_class", "5"),
            ("envoy.cluster_name", C)
        ]
    );
}

#[test]
fn circuit_breaker_gauges_keep_their_priority_in_the_name() {
    let e = extract(&format!(
        "cluster.{C}.circuit_breakers.default.rq_pending_open"
    ));
    assert_eq!(e.name, "cluster.circuit_breakers.default.rq_pending_open");
    assert_eq!(tags(&e), [("envoy.cluster_name", C)]);
}

#[test]
fn connection_manager_tcp_and_listener_stats_get_their_prefix_tags() {
    let e = extract("http.inbound_0.0.0.0_80.downstream_rq_2xx");
    assert_eq!(e.name, "http.downstream_rq_xx");
    assert_eq!(
        tags(&e),
        [
            ("envoy.response_code_class", "2"),
            ("envoy.http_conn_manager_prefix", "inbound_0.0.0.0_80")
        ]
    );
    let e = extract("tcp.outbound_10.0.0.1_3306.downstream_cx_total");
    assert_eq!(e.name, "tcp.downstream_cx_total");
    assert_eq!(tags(&e), [("envoy.tcp_prefix", "outbound_10.0.0.1_3306")]);
    let e = extract("listener.0.0.0.0_15001.downstream_cx_total");
    assert_eq!(e.name, "listener.downstream_cx_total");
    assert_eq!(tags(&e), [("envoy.listener_address", "0.0.0.0_15001")]);
    let e = extract("server.live");
    assert_eq!((e.name.as_str(), e.tags.len()), ("server.live", 0));
}

#[test]
fn stats_prom_groups_each_family_once_across_pods_counters_before_gauges() {
    let mut a = ProxyStats::default();
    a.counters
        .insert(format!("cluster.{C}.upstream_rq_pending_overflow"), 93);
    a.counters
        .insert(format!("cluster.{C}.upstream_rq_503"), 93);
    a.counters
        .insert(format!("cluster.{C}.upstream_rq_200"), 46);
    a.gauges
        .insert(format!("cluster.{C}.upstream_cx_active"), 1);
    let mut b = ProxyStats::default();
    b.counters
        .insert(format!("cluster.{C}.upstream_rq_pending_overflow"), 2);
    let proxies = BTreeMap::from([("fortio-0".to_string(), a), ("fortio-1".to_string(), b)]);
    let expected = format!(
        "# TYPE envoy_cluster_upstream_rq counter\n\
         envoy_cluster_upstream_rq{{envoy_response_code=\"200\",envoy_cluster_name=\"{C}\",pod=\"fortio-0\"}} 46\n\
         envoy_cluster_upstream_rq{{envoy_response_code=\"503\",envoy_cluster_name=\"{C}\",pod=\"fortio-0\"}} 93\n\
         \n\
         # TYPE envoy_cluster_upstream_rq_pending_overflow counter\n\
         envoy_cluster_upstream_rq_pending_overflow{{envoy_cluster_name=\"{C}\",pod=\"fortio-0\"}} 93\n\
         envoy_cluster_upstream_rq_pending_overflow{{envoy_cluster_name=\"{C}\",pod=\"fortio-1\"}} 2\n\
         \n\
         # TYPE envoy_cluster_upstream_cx_active gauge\n\
         envoy_cluster_upstream_cx_active{{envoy_cluster_name=\"{C}\",pod=\"fortio-0\"}} 1\n\
         \n"
    );
    assert_eq!(stats_prom(&proxies), expected);
}

#[test]
fn one_proxys_exposition_has_no_pod_label_and_no_proxy_renders_nothing() {
    let mut a = ProxyStats::default();
    a.counters
        .insert("http.inbound_0.0.0.0_80.no_route".into(), 4);
    assert_eq!(
        proxy_prom(&a),
        "# TYPE envoy_http_no_route counter\n\
         envoy_http_no_route{envoy_http_conn_manager_prefix=\"inbound_0.0.0.0_80\"} 4\n\n"
    );
    assert_eq!(stats_prom(&BTreeMap::new()), "");
}

#[test]
fn label_values_are_escaped_and_names_sanitized() {
    assert_eq!(sanitize("cluster.a-b|c"), "cluster_a_b_c");
    assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}
