//! Lowering follows the meshes' own rules (`source/common/upstream/resource_manager_impl.h` `ResourceManagerImpl`, Istio `getDefaultCircuitBreakerThresholds`, istiod `pilot/pkg/networking/core/cluster_traffic_policy.go` `applyOutlierDetection`, App Mesh listener `connectionPool` (docs/guide.md, App Mesh)): defaults where the user is
//! silent, the user's values where not.

use std::path::Path;
use std::time::Duration;

use meshtwin_config::{load_policies, parse_policies};
use meshtwin_model::policy::{
    AppMeshKind, AppMeshListener, DestinationPolicy, LbPolicy, PoolSettings, Thresholds,
    APPMESH_UNLIMITED, ISTIO_UNLIMITED,
};
use meshtwin_model::topology::Protocol;

fn dr(text: &str) -> DestinationPolicy {
    let head =
        "apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: r\n";
    let mut p = parse_policies("x.yaml", &format!("{head}{text}"))
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    assert_eq!(p.destination_rules.len(), 1);
    p.destination_rules.remove(0)
}

fn listeners(file: &str) -> Vec<AppMeshListener> {
    load_policies(Path::new(file))
        .unwrap_or_else(|e| panic!("{e}"))
        .value
        .appmesh_listeners
}

fn thresholds(t: &Thresholds) -> (u64, u64, u64, u64) {
    (
        t.max_connections,
        t.max_pending_requests,
        t.max_requests,
        t.max_retries,
    )
}

#[test]
fn a_silent_destination_rule_gets_istios_defaults() {
    let r = dr("spec:\n  host: httpbin\n");
    assert_eq!(
        (r.namespace.as_str(), r.host.as_str(), r.host_line),
        ("default", "httpbin", 6)
    );
    let tp = &r.traffic_policy;
    assert_eq!(tp.pool, PoolSettings::istio_default());
    assert_eq!(
        thresholds(&tp.pool.thresholds),
        (
            ISTIO_UNLIMITED,
            ISTIO_UNLIMITED,
            ISTIO_UNLIMITED,
            ISTIO_UNLIMITED
        )
    );
    assert_eq!(tp.pool.connect_timeout, Duration::from_secs(10));
    assert_eq!(tp.pool.idle_timeout, Some(Duration::from_secs(3600)));
    assert_eq!(tp.pool.max_requests_per_connection, None);
    assert_eq!(tp.lb_policy, LbPolicy::LeastRequest);
    assert_eq!(tp.outlier_detection, None);
    assert!(tp.port_level.is_empty() && r.subsets.is_empty());
}

#[test]
fn the_r1_rule_lowers_to_1_1_unlimited_unlimited_and_one_request_per_connection() {
    let p = load_policies(Path::new(
        "../../policies/istio/httpbin-circuit-breaking.yaml",
    ))
    .unwrap()
    .value;
    let r = &p.destination_rules[0];
    let pool = &r.traffic_policy.pool;
    assert_eq!(
        thresholds(&pool.thresholds),
        (1, 1, 4_294_967_295, 4_294_967_295)
    );
    assert_eq!(pool.max_requests_per_connection, Some(1));
    let od = r.traffic_policy.outlier_detection.as_ref().unwrap();
    // Legacy `consecutiveErrors: 1` is ignored by current Istio: Envoy's 5 stays.
    assert_eq!(
        (od.consecutive_5xx, od.enforcing_consecutive_5xx),
        (Some(5), 100)
    );
    assert_eq!(
        (
            od.consecutive_gateway_failure,
            od.enforcing_consecutive_gateway_failure
        ),
        (Some(5), 0)
    );
    assert_eq!(od.interval, Duration::from_secs(1));
    assert_eq!(od.base_ejection_time, Duration::from_secs(180));
    assert_eq!((od.max_ejection_percent, od.max_ejection_time), (100, None));
    assert_eq!(
        (od.enforcing_success_rate, od.healthy_panic_threshold),
        (0, Some(0))
    );
    assert_eq!((r.source.line, r.host_line), (7, 12));
}

#[test]
fn the_current_doc_rule_ejects_after_one_5xx() {
    let p = load_policies(Path::new(
        "../../policies/istio/httpbin-circuit-breaking-current-doc.yaml",
    ))
    .unwrap()
    .value;
    let od = p.destination_rules[0]
        .traffic_policy
        .outlier_detection
        .clone()
        .unwrap();
    assert_eq!(
        (od.consecutive_5xx, od.enforcing_consecutive_5xx),
        (Some(1), 100)
    );
}

#[test]
fn outlier_detection_maps_like_istio() {
    let r = dr("spec:
  host: h
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 0
      consecutiveGatewayErrors: 3
      splitExternalLocalOriginErrors: true
      consecutiveLocalOriginFailures: 2
      maxEjectionPercent: 0
      minHealthPercent: 40
");
    let od = r.traffic_policy.outlier_detection.unwrap();
    assert_eq!(
        (od.consecutive_5xx, od.enforcing_consecutive_5xx),
        (Some(0), 0)
    );
    assert_eq!(
        (
            od.consecutive_gateway_failure,
            od.enforcing_consecutive_gateway_failure
        ),
        (Some(3), 100)
    );
    assert!(od.split_external_local_origin_errors);
    assert_eq!(od.consecutive_local_origin_failure, Some(2));
    // maxEjectionPercent 0 is "unset" for Istio: Envoy's 10 %.
    assert_eq!(od.max_ejection_percent, 10);
    assert_eq!(
        (od.interval, od.base_ejection_time),
        (Duration::from_secs(10), Duration::from_secs(30))
    );
    assert_eq!(od.healthy_panic_threshold, Some(40));
}

#[test]
fn http_pool_fields_map_to_envoy_settings() {
    let r = dr("spec:
  host: h
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 250ms, maxConnectionDuration: 1h}
      http:
        http2MaxRequests: 50
        maxRetries: 4
        idleTimeout: 0s
        h2UpgradePolicy: UPGRADE
        maxConcurrentStreams: 8
        useClientProtocol: false
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting: {enabled: true}
");
    let tp = r.traffic_policy;
    assert_eq!(
        thresholds(&tp.pool.thresholds),
        (100, ISTIO_UNLIMITED, 50, 4)
    );
    assert_eq!(tp.pool.connect_timeout, Duration::from_millis(250));
    assert_eq!(tp.pool.idle_timeout, None);
    assert!(tp.pool.h2_upgrade);
    assert_eq!(tp.pool.max_concurrent_streams, Some(8));
    assert_eq!(tp.lb_policy, LbPolicy::RoundRobin);
}

#[test]
fn least_conn_is_least_request() {
    let r = dr("spec: {host: h, trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}}\n");
    assert_eq!(r.traffic_policy.lb_policy, LbPolicy::LeastRequest);
}

#[test]
fn port_level_settings_replace_the_destination_policy_for_their_port() {
    let r = dr("spec:
  host: h
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 10}}
    loadBalancer: {simple: RANDOM}
    portLevelSettings:
      - port: {number: 9080}
        connectionPool: {http: {http1MaxPendingRequests: 3}}
");
    let tp = r.traffic_policy;
    assert_eq!(tp.pool.thresholds.max_connections, 10);
    let p = &tp.port_level[&9080];
    // Not inherited: maxConnections and the LB fall back to Istio's defaults.
    assert_eq!(
        thresholds(&p.pool.thresholds),
        (ISTIO_UNLIMITED, 3, ISTIO_UNLIMITED, ISTIO_UNLIMITED)
    );
    assert_eq!(p.lb_policy, LbPolicy::LeastRequest);
}

#[test]
fn subset_blocks_replace_the_destinations_blocks_one_by_one() {
    let r = dr("spec:
  host: h
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 10}}
    loadBalancer: {simple: RANDOM}
    outlierDetection: {consecutive5xxErrors: 7}
  subsets:
    - name: v1
      labels: {version: v1}
    - name: v2
      labels: {version: v2}
      trafficPolicy:
        connectionPool: {http: {http1MaxPendingRequests: 2}}
        portLevelSettings:
          - port: {number: 9080}
            loadBalancer: {simple: ROUND_ROBIN}
");
    let v1 = &r.subsets[0].traffic_policy;
    assert_eq!(v1.pool.thresholds.max_connections, 10);
    assert_eq!(v1.lb_policy, LbPolicy::Random);
    let v2 = &r.subsets[1];
    assert_eq!(v2.labels.get("version").map(String::as_str), Some("v2"));
    let tp = &v2.traffic_policy;
    // The subset's connectionPool replaces the whole block: maxConnections is Istio's again.
    assert_eq!(
        thresholds(&tp.pool.thresholds),
        (ISTIO_UNLIMITED, 2, ISTIO_UNLIMITED, ISTIO_UNLIMITED)
    );
    assert_eq!(tp.lb_policy, LbPolicy::Random);
    assert_eq!(
        tp.outlier_detection.as_ref().unwrap().consecutive_5xx,
        Some(7)
    );
    // The subset's port-level entry replaces every block for its port.
    let port = &tp.port_level[&9080];
    assert_eq!(port.lb_policy, LbPolicy::RoundRobin);
    assert_eq!(port.pool, PoolSettings::istio_default());
    assert_eq!(port.outlier_detection, None);
}

#[test]
fn appmesh_green_and_the_gateway_get_their_pools_on_the_ingress_side() {
    let ls = listeners("../../policies/appmesh/connection-pools.yaml");
    let by_name = |n: &str| ls.iter().find(|l| l.k8s_name == n).unwrap();
    let green = by_name("green");
    assert_eq!(
        thresholds(&green.thresholds),
        (10, 10, 2_147_483_647, 2_147_483_647)
    );
    assert_eq!(
        (
            green.kind,
            green.aws_name.as_str(),
            green.mesh.as_str(),
            green.port,
            green.protocol
        ),
        (
            AppMeshKind::VirtualNode,
            "green_howto-k8s-connection-pools",
            "howto-k8s-connection-pools",
            8080,
            Protocol::Http
        )
    );
    let hc = green.health_check.as_ref().unwrap();
    assert_eq!(
        (hc.interval, hc.timeout),
        (Duration::from_millis(5000), Duration::from_millis(2000))
    );
    assert_eq!(
        (
            hc.healthy_threshold,
            hc.unhealthy_threshold,
            hc.path.as_deref()
        ),
        (2, 2, Some("/ping"))
    );
    let gw = by_name("ingress-gw");
    assert_eq!(
        thresholds(&gw.thresholds),
        (5, 5, APPMESH_UNLIMITED, APPMESH_UNLIMITED)
    );
    assert_eq!((gw.kind, gw.port), (AppMeshKind::VirtualGateway, 8088));
    let red = by_name("red");
    assert!(!red.has_connection_pool);
    assert_eq!(red.thresholds, Thresholds::APPMESH_DEFAULT);
}

#[test]
fn describe_json_lowers_like_the_crds() {
    let green = &listeners("../../policies/appmesh/describe-virtual-node-green.json")[0];
    assert_eq!(
        thresholds(&green.thresholds),
        (10, 10, APPMESH_UNLIMITED, APPMESH_UNLIMITED)
    );
    assert_eq!(
        (
            green.k8s_name.as_str(),
            green.namespace.as_str(),
            green.aws_name.as_str()
        ),
        (
            "green",
            "howto-k8s-connection-pools",
            "green_howto-k8s-connection-pools"
        )
    );
    assert_eq!(green.health_check.as_ref().unwrap().port, Some(8080));
    let gw = &listeners("../../policies/appmesh/describe-virtual-gateway-ingress-gw.json")[0];
    assert_eq!(
        thresholds(&gw.thresholds),
        (5, 5, APPMESH_UNLIMITED, APPMESH_UNLIMITED)
    );
    assert_eq!(
        (gw.kind, gw.k8s_name.as_str(), gw.port),
        (AppMeshKind::VirtualGateway, "ingress-gw", 8088)
    );
}

#[test]
fn appmesh_names_come_from_aws_name_mesh_ref_or_the_mesh_label() {
    let text = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata: {name: a, namespace: ns, labels: {mesh: labelled}}
spec:
  awsName: custom
  listeners:
    - portMapping: {port: 9000, protocol: http2}
      connectionPool: {http2: {maxRequests: 7}}
      outlierDetection:
        maxServerErrors: 3
        interval: {unit: s, value: 10}
        baseEjectionDuration: {unit: ms, value: 500}
        maxEjectionPercent: 50
---
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata: {name: b, namespace: ns}
spec:
  meshRef: {name: referenced, uid: x}
  listeners: [{portMapping: {port: 9001, protocol: tcp}, connectionPool: {tcp: {maxConnections: 2}}}]
";
    let ls = parse_policies("x.yaml", text)
        .unwrap()
        .value
        .appmesh_listeners;
    assert_eq!(
        (ls[0].aws_name.as_str(), ls[0].mesh.as_str()),
        ("custom", "labelled")
    );
    assert_eq!(
        thresholds(&ls[0].thresholds),
        (APPMESH_UNLIMITED, APPMESH_UNLIMITED, 7, APPMESH_UNLIMITED)
    );
    let od = ls[0].outlier_detection.as_ref().unwrap();
    assert_eq!(
        (od.consecutive_5xx, od.enforcing_consecutive_5xx),
        (Some(3), 100)
    );
    assert_eq!(
        (od.interval, od.base_ejection_time),
        (Duration::from_secs(10), Duration::from_millis(500))
    );
    assert_eq!(
        (od.max_ejection_percent, od.healthy_panic_threshold),
        (50, None)
    );
    assert_eq!(
        (ls[1].aws_name.as_str(), ls[1].mesh.as_str()),
        ("b_ns", "referenced")
    );
    assert_eq!(
        (ls[1].protocol, ls[1].thresholds.max_connections),
        (Protocol::Tcp, 2)
    );
}

#[test]
fn known_kinds_the_twin_does_not_model_are_warnings_and_lists_are_flattened() {
    let text = "\
apiVersion: v1
kind: List
items:
  - apiVersion: networking.istio.io/v1
    kind: Sidecar
    metadata: {name: se}
    spec: {anything: [goes, here]}
  - apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: in-list, namespace: prod}
    spec: {host: reviews.prod.svc.cluster.local}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
";
    let loaded = parse_policies("x.yaml", text).unwrap();
    let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "x.yaml:4: Sidecar se: ignored: not modelled (every proxy gets configuration for \
             every service, as without a Sidecar: its egress hosts, ingress listeners and \
             outbound traffic policy are not applied)",
            "x.yaml:13: Deployment d: ignored: not modelled (workloads, pods and services come \
             from the topology file)",
        ]
    );
    let p = loaded.value;
    assert!(p.appmesh_listeners.is_empty());
    let r = &p.destination_rules[0];
    assert_eq!(
        (
            r.name.as_str(),
            r.namespace.as_str(),
            r.source.line,
            r.host_line
        ),
        ("in-list", "prod", 8, 11)
    );
}
