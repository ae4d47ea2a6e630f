//! Explanations from synthetic traces over a two-workload mesh: fortio → httpbin, one
//! DestinationRule whose settings carry origins.

use std::collections::BTreeMap;

use meshtwin_model::event::{EndpointInfo, EventKind, PoolEvent, TraceEvent};
use meshtwin_model::origin::{defaults, Origin, Origins, Setting};
use meshtwin_model::policy::{
    DestinationPolicy, LbPolicy, MeshPolicies, OutlierDetection, PoolSettings, TrafficPolicy,
};
use meshtwin_model::topology::{
    Locality, Protocol, Service, ServicePort, Sidecar, Topology, Workload,
};
use meshtwin_model::SourceRef;

use super::*;

const C: &str = "outbound|8000||httpbin.default.svc.cluster.local";
const F: &str = "policies/httpbin.yaml";

fn src() -> SourceRef {
    SourceRef {
        file: F.into(),
        line: 1,
    }
}

fn workload(name: &str) -> Workload {
    Workload {
        name: name.into(),
        namespace: "default".into(),
        cluster: "c1".into(),
        locality: Locality {
            region: "r1".into(),
            zone: "z1".into(),
            subzone: String::new(),
        },
        replicas: 1,
        labels: [("app".to_string(), name.to_string())].into(),
        sidecar: Sidecar::Istio { concurrency: 2 },
        app: None,
        dns: vec![],
        source: src(),
    }
}

pub(crate) fn topology() -> Topology {
    Topology {
        name: "httpbin".into(),
        latency: Default::default(),
        mesh: Default::default(),
        envoy: Default::default(),
        workloads: vec![workload("fortio"), workload("httpbin")],
        services: vec![Service {
            name: "httpbin".into(),
            namespace: "default".into(),
            ports: vec![ServicePort {
                name: "http".into(),
                port: 8000,
                target_port: 80,
                protocol: Protocol::Http,
            }],
            selector: [("app".to_string(), "httpbin".to_string())].into(),
            source: src(),
        }],
    }
}

fn written(line: u32, path: &str, value: &str) -> Origin {
    Origin::written(F, line, path, value)
}

fn policies(max_pending: u64) -> MeshPolicies {
    let mut origins = defaults::istio_pool();
    let pool = "spec.trafficPolicy.connectionPool";
    origins.set(
        Setting::MaxPendingRequests,
        written(
            12,
            &format!("{pool}.http.http1MaxPendingRequests"),
            &max_pending.to_string(),
        ),
    );
    origins.set(
        Setting::MaxConnections,
        written(10, &format!("{pool}.tcp.maxConnections"), "1"),
    );
    let od = "spec.trafficPolicy.outlierDetection";
    origins.set(
        Setting::Consecutive5xx,
        written(15, &format!("{od}.consecutive5xxErrors"), "3"),
    );
    origins.set(
        Setting::BaseEjectionTime,
        written(16, &format!("{od}.baseEjectionTime"), "30s"),
    );
    let mut pool_settings = PoolSettings::istio_default();
    pool_settings.thresholds.max_pending_requests = max_pending;
    pool_settings.thresholds.max_connections = 1;
    MeshPolicies {
        destination_rules: vec![DestinationPolicy {
            name: "httpbin".into(),
            namespace: "default".into(),
            host: "httpbin".into(),
            traffic_policy: TrafficPolicy {
                pool: pool_settings,
                lb_policy: LbPolicy::LeastRequest,
                locality_lb: None,
                outlier_detection: Some(OutlierDetection {
                    consecutive_5xx: Some(3),
                    consecutive_gateway_failure: Some(5),
                    consecutive_local_origin_failure: None,
                    split_external_local_origin_errors: false,
                    interval: std::time::Duration::from_secs(10),
                    base_ejection_time: std::time::Duration::from_secs(30),
                    max_ejection_time: None,
                    max_ejection_percent: 100,
                    enforcing_consecutive_5xx: 100,
                    enforcing_consecutive_gateway_failure: 0,
                    enforcing_success_rate: 0,
                    healthy_panic_threshold: Some(0),
                }),
                port_level: BTreeMap::new(),
                origins,
            },
            subsets: vec![],
            source: src(),
            host_line: 6,
        }],
        ..MeshPolicies::default()
    }
}

fn at(t_ms: f64, kind: EventKind) -> TraceEvent {
    TraceEvent { t_ms, kind }
}

fn request(t_ms: f64, id: &str, status: u16, flags: &str, upstream: Option<&str>) -> TraceEvent {
    at(
        t_ms,
        EventKind::Request {
            load: "c2".into(),
            src_pod: "fortio-0".into(),
            request_id: id.into(),
            upstream_pod: upstream.map(str::to_string),
            status,
            flags: flags.parse().unwrap(),
            latency_ms: 0.2,
            new_socket: false,
            notes: vec![],
        },
    )
}

fn log(t_ms: f64, proxy: &str, cluster: &str, id: &str, status: u16, flags: &str) -> TraceEvent {
    at(
        t_ms,
        EventKind::AccessLog {
            proxy: proxy.into(),
            listener: "virtualOutbound".into(),
            cluster: cluster.into(),
            upstream_host: (status == 200 || flags == "-").then(|| "httpbin-0".into()),
            request_id: id.into(),
            status,
            flags: flags.parse().unwrap(),
            duration_ms: 0.1,
        },
    )
}

fn pool(t_ms: f64, event: PoolEvent) -> TraceEvent {
    at(
        t_ms,
        EventKind::Pool {
            proxy: "fortio-0".into(),
            cluster: C.into(),
            worker: 0,
            event,
            cx: None,
            connections: 1,
            pending: 1,
        },
    )
}

fn failed(t_ms: f64, id: &str, status: u16, flags: &str) -> Vec<TraceEvent> {
    vec![
        log(t_ms - 0.1, "fortio-0", C, id, status, flags),
        request(t_ms, id, status, flags, None),
    ]
}

fn explain(events: &[TraceEvent], p: &MeshPolicies) -> Vec<Explanation> {
    let topo = topology();
    let none = BTreeMap::new();
    let ctx = Context {
        topology: &topo,
        policies: p,
        timeline: &none,
    };
    explain_failures(events, &ctx)
}

#[test]
fn a_pending_overflow_is_a_full_queue_citing_the_pending_limit_where_it_was_written() {
    let mut events = vec![pool(999.85, PoolEvent::RqPendingOverflow)];
    events.extend(failed(1000.0, "c2-1-0", 503, "UO"));
    events.push(request(1003.0, "c2-0-0", 200, "-", Some("httpbin-0")));
    let e = explain(&events, &policies(1));
    assert_eq!(e.len(), 1, "only the 503 is a failure");
    let uo = &e[0];
    assert_eq!(
        (uo.code, uo.flags.to_string().as_str(), uo.count),
        (503, "UO", 1)
    );
    assert!(
        uo.mechanism
            .starts_with("pending queue full (UO): fortio-0"),
        "{}",
        uo.mechanism
    );
    assert!(uo.mechanism.contains("http1MaxPendingRequests 1"));
    assert_eq!(
        uo.settings[0].to_string(),
        "policies/httpbin.yaml:12 spec.trafficPolicy.connectionPool.http.\
         http1MaxPendingRequests: 1"
    );
    assert_eq!(uo.settings[1].field, "maxConnections");
    assert_eq!(
        uo.sites,
        vec![(
            Site {
                proxy: "fortio-0".into(),
                cluster: C.into()
            },
            1
        )]
    );
    assert_eq!(uo.example_request_id, "c2-1-0");
}

#[test]
fn an_active_request_overflow_cites_the_max_requests_default() {
    let mut events = vec![pool(999.85, PoolEvent::RqOverflow)];
    events.extend(failed(1000.0, "c2-1-0", 503, "UO"));
    let e = explain(&events, &policies(1));
    assert!(e[0].mechanism.starts_with("too many active requests (UO)"));
    assert_eq!(
        e[0].settings[0].to_string(),
        "Istio default: http2MaxRequests 4294967295 (unlimited)"
    );
}

fn endpoints(t_ms: f64, hosts: &[&str]) -> TraceEvent {
    at(
        t_ms,
        EventKind::Endpoints {
            proxy: "fortio-0".into(),
            cluster: C.into(),
            endpoints: hosts
                .iter()
                .map(|h| EndpointInfo {
                    address: "10.0.0.2:80".into(),
                    host: h.to_string(),
                    locality: "r1/z1".into(),
                    priority: 0,
                })
                .collect(),
        },
    )
}

fn ejected(t_ms: f64) -> TraceEvent {
    at(
        t_ms,
        EventKind::Outlier {
            proxy: "fortio-0".into(),
            cluster: C.into(),
            host: "httpbin-0".into(),
            action: meshtwin_model::event::OutlierAction::Ejected,
            reason: meshtwin_model::event::OutlierReason::Consecutive5xx,
            ejection_ms: Some(30_000.0),
        },
    )
}

#[test]
fn no_healthy_upstream_names_the_ejected_host_and_the_detectors_settings() {
    let mut events = vec![endpoints(0.0, &["httpbin-0"]), ejected(500.0)];
    for i in 0..3 {
        events.extend(failed(
            1000.0 + 500.0 * f64::from(i),
            &format!("c2-0-{i}"),
            503,
            "UH",
        ));
    }
    // A second stretch, well after the first.
    events.extend(failed(9000.0, "c2-0-9", 503, "UH"));
    let e = explain(&events, &policies(1));
    let uh = &e[0];
    assert_eq!(uh.count, 4);
    assert!(
        uh.mechanism.starts_with(
            "no healthy upstream (UH): httpbin ejected by outlier detection \
             (consecutive5xxErrors 3, baseEjectionTime 30s)"
        ),
        "{}",
        uh.mechanism
    );
    assert!(uh
        .mechanism
        .contains("httpbin-0 ejected after consecutive_5xx"));
    assert_eq!(uh.hosts, ["httpbin-0"]);
    let cited: Vec<String> = uh.settings.iter().filter_map(|o| o.location()).collect();
    assert_eq!(
        cited,
        ["policies/httpbin.yaml:15", "policies/httpbin.yaml:16"]
    );
    assert_eq!(uh.windows, vec![(1000.0, 2000.0), (9000.0, 9000.0)]);
}

#[test]
fn no_healthy_upstream_without_endpoints_says_there_were_none() {
    let mut events = vec![endpoints(0.0, &[])];
    events.extend(failed(1000.0, "c2-0-0", 503, "UH"));
    let e = explain(&events, &policies(1));
    assert!(
        e[0].mechanism.contains("had no endpoints"),
        "{}",
        e[0].mechanism
    );
    assert!(e[0].settings.is_empty());
}

#[test]
fn an_error_the_app_answered_names_the_app_and_the_timeline_entry_before_it() {
    let events = vec![
        at(
            500.0,
            EventKind::Fault {
                index: 0,
                action: meshtwin_model::event::FaultAction::App,
                target: "httpbin".into(),
                detail: "errorRate 1, errorStatus 503".into(),
            },
        ),
        log(999.0, "httpbin-0", "inbound|80||", "c2-0-0", 503, "-"),
        log(999.9, "fortio-0", C, "c2-0-0", 503, "-"),
        request(1000.0, "c2-0-0", 503, "-", Some("httpbin-0")),
    ];
    let e = explain(&events, &policies(1));
    assert_eq!(e[0].mechanism, "the upstream app answered 503 (httpbin-0)");
    assert_eq!(e[0].timeline[0].detail, "errorRate 1, errorStatus 503");
}

#[test]
fn classes_come_most_requests_first_and_successes_are_not_failures() {
    let mut events = failed(1000.0, "a", 503, "UO");
    events.extend(failed(1001.0, "b", 404, "NR"));
    events.extend(failed(1002.0, "c", 404, "NR"));
    events.push(request(1003.0, "d", 200, "-", Some("httpbin-0")));
    let e = explain(&events, &policies(1));
    let keys: Vec<(u16, String, usize)> = e
        .iter()
        .map(|x| (x.code, x.flags.to_string(), x.count))
        .collect();
    assert_eq!(keys, [(404, "NR".into(), 2), (503, "UO".into(), 1)]);
    assert!(e[0].mechanism.starts_with("no route (NR): fortio-0"));
}

#[test]
fn a_timeline_apply_switches_the_policies_the_settings_come_from() {
    let mut events = vec![at(
        5000.0,
        EventKind::Fault {
            index: 0,
            action: meshtwin_model::event::FaultAction::Apply,
            target: "policies/other.yaml".into(),
            detail: String::new(),
        },
    )];
    events.push(pool(5999.95, PoolEvent::RqPendingOverflow));
    events.extend(failed(6000.0, "late", 503, "UO"));
    let topo = topology();
    let start = policies(1);
    let after: BTreeMap<usize, MeshPolicies> = [(0, policies(7))].into();
    let ctx = Context {
        topology: &topo,
        policies: &start,
        timeline: &after,
    };
    let e = explain_failures(&events, &ctx);
    assert_eq!(e[0].settings[0].value, "7");
}

#[test]
fn one_request_shows_its_hops_and_diagnosis_and_renders_as_text() {
    let mut events = vec![pool(999.85, PoolEvent::RqPendingOverflow)];
    events.extend(failed(1000.0, "c2-1-0", 503, "UO"));
    let topo = topology();
    let p = policies(1);
    let none = BTreeMap::new();
    let ctx = Context {
        topology: &topo,
        policies: &p,
        timeline: &none,
    };
    let r = explain_request(&events, &ctx, "c2-1-0").unwrap();
    assert_eq!(r.hops.len(), 1);
    let d = r.diagnosis.as_ref().unwrap();
    assert_eq!(d.site.as_ref().unwrap().proxy, "fortio-0");
    let text = render_request(&r);
    assert!(text.starts_with("request c2-1-0 (load c2) completed at 1.000 s: 503 UO"));
    assert!(text.contains("    0.000 s") || text.contains("    1.000 s fortio-0 → "));
    assert!(text.contains("http1MaxPendingRequests: 1"));
    assert!(explain_request(&events, &ctx, "nope").is_none());
    let all = render_explanations(&explain_failures(&events, &ctx));
    assert!(all.starts_with("503 UO — 1 request (load c2 1)\n  pending queue full (UO)"));
    assert!(all.contains("\n  when: 1.000 s\n"));
    assert!(all.ends_with("  example: request c2-1-0\n"));
    assert_eq!(
        render_explanations(&[]),
        "no failed requests: every load's request succeeded without response flags\n"
    );
}

#[test]
fn windows_split_at_gaps_longer_than_the_window_gap() {
    assert_eq!(
        classes::windows(&[0.0, 1500.0, 3500.0, 6000.0]),
        vec![(0.0, 3500.0), (6000.0, 6000.0)]
    );
    assert!(classes::windows(&[]).is_empty());
}

#[test]
fn the_service_of_a_cluster_is_its_hosts_first_label() {
    assert_eq!(diagnose::service_of(C), "httpbin");
    assert_eq!(diagnose::service_of("inbound|80||"), "inbound|80||");
    let _ = Origins::default();
}

fn rule_to_httpbin(origins: Origins) -> MeshPolicies {
    use meshtwin_model::traffic::http::{HttpAction, HttpRoute};
    use meshtwin_model::traffic::{Destination, RouteDestination, VirtualServicePolicy};
    let route = HttpRoute {
        name: None,
        matches: vec![],
        action: HttpAction::Route(vec![RouteDestination {
            destination: Destination {
                host: "httpbin".into(),
                subset: None,
                port: None,
                at: Default::default(),
                subset_at: Default::default(),
            },
            weight: 100,
            headers: Default::default(),
        }]),
        timeout: Some(std::time::Duration::from_millis(500)),
        retries: None,
        fault: None,
        mirrors: vec![],
        rewrite: None,
        headers: Default::default(),
        origins,
    };
    MeshPolicies {
        virtual_services: vec![VirtualServicePolicy {
            name: "httpbin".into(),
            namespace: "default".into(),
            hosts: vec!["httpbin".into()],
            gateways: vec!["mesh".into()],
            http: vec![route],
            tcp: vec![],
            export_to: vec![],
            source: SourceRef {
                file: "policies/vs.yaml".into(),
                line: 3,
            },
        }],
        ..policies(1)
    }
}

#[test]
fn route_flags_cite_the_rule_routing_to_the_cluster() {
    let mut origins = defaults::istio_retries(false);
    let vs =
        |line: u32, path: &str, value: &str| Origin::written("policies/vs.yaml", line, path, value);
    origins.set(
        Setting::RouteTimeout,
        vs(14, "spec.http[0].timeout", "0.5s"),
    );
    origins.set(
        Setting::FaultAbortStatus,
        vs(11, "spec.http[0].fault.abort.httpStatus", "500"),
    );
    let p = rule_to_httpbin(origins);
    let mut events = failed(1000.0, "t", 504, "UT");
    events.extend(failed(5000.0, "f", 500, "FI"));
    events.extend(failed(9000.0, "u", 503, "UF,URX"));
    let e = explain(&events, &p);
    let by = |flags: &str| e.iter().find(|x| x.flags.to_string() == flags).unwrap();
    let ut = by("UT");
    assert!(ut.mechanism.contains("(timeout 0.5s)"), "{}", ut.mechanism);
    assert_eq!(
        ut.settings[0].to_string(),
        "policies/vs.yaml:14 spec.http[0].timeout: 0.5s"
    );
    assert!(by("FI").mechanism.starts_with("fault injected (FI)"));
    assert_eq!(by("FI").settings[0].value, "500");
    let uf = by("UF,URX");
    assert!(
        uf.mechanism.ends_with(", then retries exhausted (URX)"),
        "{}",
        uf.mechanism
    );
    let fields: Vec<&str> = uf.settings.iter().map(|o| o.field.as_str()).collect();
    assert_eq!(
        fields,
        ["connectTimeout", "attempts", "retryOn", "maxRetries"]
    );
}
