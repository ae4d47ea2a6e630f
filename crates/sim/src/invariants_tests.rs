use super::scope::{prefix_end, read_counters};
use super::*;

const C: &str = "cluster.outbound|8000||httpbin.default.svc.cluster.local";
const H: &str = "http.outbound_0.0.0.0_8000";

/// A proxy's stats where every identity holds: 10 requests to one cluster over 3
/// connections (one closed by the peer), 9 answered and one abandoned downstream.
fn healthy() -> ProxyStats {
    let mut s = ProxyStats::default();
    let mut c = |n: &str, v: u64| {
        s.counters.insert(n.to_string(), v);
    };
    c(&format!("{C}.upstream_cx_total"), 3);
    c(&format!("{C}.upstream_cx_destroy"), 1);
    c(&format!("{C}.upstream_cx_destroy_remote"), 1);
    c(&format!("{C}.upstream_rq_completed"), 9);
    c(&format!("{C}.upstream_rq_2xx"), 8);
    c(&format!("{C}.upstream_rq_5xx"), 1);
    c(&format!("{C}.retry.upstream_rq_completed"), 2);
    c(&format!("{C}.retry.upstream_rq_5xx"), 2);
    c(&format!("{H}.downstream_rq_total"), 10);
    c(&format!("{H}.downstream_rq_completed"), 9);
    c(&format!("{H}.downstream_rq_2xx"), 8);
    c(&format!("{H}.downstream_rq_5xx"), 1);
    c(&format!("{H}.downstream_rq_rx_reset"), 1);
    s.gauges.insert(format!("{C}.upstream_cx_active"), 2);
    s.gauges.insert(format!("{H}.downstream_rq_active"), 0);
    s.gauges_max
        .insert(format!("{C}.upstream_rq_pending_active"), 4);
    s
}

fn limits(max_pending: u64) -> BTreeMap<String, Thresholds> {
    let name = C.strip_prefix("cluster.").unwrap().to_string();
    BTreeMap::from([(
        name,
        Thresholds {
            max_pending_requests: max_pending,
            ..Thresholds::ISTIO_DEFAULT
        },
    )])
}

fn broken(stats: &ProxyStats, max_pending: u64) -> Vec<&'static str> {
    let mut out = Vec::new();
    check_clusters(stats, &limits(max_pending), &mut out);
    check_connection_managers(stats, &mut out);
    out.into_iter().map(|v| v.identity).collect()
}

#[test]
fn a_consistent_proxy_breaks_nothing() {
    assert_eq!(broken(&healthy(), 4), Vec::<&str>::new());
}

#[test]
fn completions_charged_without_their_class_are_caught() {
    let mut s = healthy();
    s.counters.insert(format!("{C}.upstream_rq_5xx"), 3);
    assert_eq!(
        broken(&s, 4),
        ["upstream_rq_completed = Σ upstream_rq_<N>xx"]
    );
    let mut s = healthy();
    s.counters
        .insert(format!("{C}.retry.upstream_rq_completed"), 0);
    assert_eq!(
        broken(&s, 4),
        ["retry.upstream_rq_completed = Σ retry.upstream_rq_<N>xx"]
    );
}

#[test]
fn connections_must_be_destroyed_or_active_and_destroyed_on_one_side() {
    let mut s = healthy();
    s.gauges.insert(format!("{C}.upstream_cx_active"), 1);
    assert_eq!(
        broken(&s, 4),
        ["upstream_cx_total − upstream_cx_destroy = upstream_cx_active"]
    );
    let mut s = healthy();
    s.counters
        .insert(format!("{C}.upstream_cx_destroy_remote"), 0);
    assert_eq!(broken(&s, 4), ["upstream_cx_destroy = _local + _remote"]);
}

#[test]
fn more_pending_than_the_limit_is_caught() {
    assert_eq!(
        broken(&healthy(), 3),
        ["upstream_rq_pending_active ≤ max_pending_requests"]
    );
}

#[test]
fn a_request_that_is_neither_answered_nor_reset_nor_active_is_caught() {
    let mut s = healthy();
    s.counters.insert(format!("{H}.downstream_rq_rx_reset"), 0);
    assert_eq!(
        broken(&s, 4),
        ["downstream_rq_total = downstream_rq_completed + downstream_rq_rx_reset + downstream_rq_active"]
    );
}

#[test]
fn every_ended_request_needs_one_access_log_entry() {
    let entry = |id: &str| meshtwin_model::event::TraceEvent {
        t_ms: 1.0,
        kind: EventKind::AccessLog {
            proxy: "sleep-0".into(),
            listener: "l".into(),
            cluster: Default::default(),
            upstream_host: None,
            request_id: id.into(),
            status: 200,
            flags: Default::default(),
            duration_ms: 1.0,
        },
    };
    let mut run = RunResult::default();
    run.proxies.insert("sleep-0".into(), healthy());
    run.events = (0..10).map(|i| entry(&i.to_string())).collect();
    // A TCP connection's entry (no request id) is not an HTTP request.
    run.events.push(entry(""));
    assert_eq!(check(&run, &Context::default()), Vec::new());
    run.events.pop();
    run.events.pop();
    let v = check(&run, &Context::default());
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0].to_string(),
        "sleep-0: access log: one access-log entry per request that ended \
         (10 requests ended, 9 logged)"
    );
}

#[test]
fn the_counters_each_scope_reads_are_listed_sorted_and_include_every_identitys() {
    for names in [&CLUSTER_COUNTERS[..], &HTTP_COUNTERS[..]] {
        let mut sorted = names.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted.as_slice());
    }
    let cluster = (UPSTREAM.classes.iter().chain(&RETRY.classes))
        .chain([&UPSTREAM.completed, &RETRY.completed, &"upstream_cx_total"])
        .chain(DESTROY_SPLITS.iter().flat_map(|(a, l, r, _)| [a, l, r]));
    for name in cluster {
        assert!(CLUSTER_COUNTERS.contains(name), "{name}");
    }
    let http = DOWNSTREAM.classes.iter().chain([
        &DOWNSTREAM.completed,
        &"downstream_rq_rx_reset",
        &"downstream_rq_total",
    ]);
    for name in http {
        assert!(HTTP_COUNTERS.contains(name), "{name}");
    }
}

#[test]
fn a_scopes_counters_are_read_from_its_names_alone() {
    // Neighbours that share the scope's name as a prefix, before and after it in the map.
    let map: BTreeMap<String, u64> = [
        ("cluster.a.upstream_cx_total", 1),
        ("cluster.a.upstream_rq_2xx", 2),
        ("cluster.a.upstream_rq_completed", 3),
        ("cluster.a.retry.upstream_rq_5xx", 4),
        ("cluster.a.lb_healthy_panic", 5),
        ("cluster.a-b.upstream_cx_total", 60),
        ("cluster.a.b.upstream_rq_1xx", 70),
        ("cluster.ab.upstream_cx_destroy", 80),
        ("cluster.upstream_cx_destroy", 90),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let read = read_counters(&map, "cluster.a.", &CLUSTER_COUNTERS);
    let expected: Vec<u64> = (CLUSTER_COUNTERS.iter())
        .map(|n| map.get(&format!("cluster.a.{n}")).copied().unwrap_or(0))
        .collect();
    assert_eq!(read, expected);
    assert_eq!(read.iter().sum::<u64>(), 1 + 2 + 3 + 4);
    assert_eq!(
        read_counters(&map, "cluster.z.", &CLUSTER_COUNTERS),
        [0; 19]
    );
    assert_eq!(read_counters(&map, "cluster.a.", &[]), Vec::<u64>::new());
}

#[test]
fn scopes_are_the_names_under_the_head_that_end_in_the_marker() {
    let mut stats = ProxyStats::default();
    for name in [
        "cluster.a.upstream_cx_total",
        "cluster.a.upstream_rq_total",
        "cluster.a.b.upstream_cx_total",
        "cluster.upstream_cx_total",
        "cluster.cupstream_cx_total",
        "cluster/x.upstream_cx_total",
        "clusterx.upstream_cx_total",
        "cluster-y.upstream_cx_total",
        "http.h.upstream_cx_total",
    ] {
        stats.counters.insert(name.to_string(), 1);
    }
    assert_eq!(
        scopes(&stats, "cluster.", "upstream_cx_total"),
        ["cluster.a.b", "cluster.a", "cluster"]
    );
    assert_eq!(prefix_end("cluster."), "cluster/");
    assert_eq!(prefix_end("http."), "http/");
}
