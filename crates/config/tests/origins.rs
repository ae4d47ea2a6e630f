//! Every lowered setting that can fail a request knows where it came from: the file, line,
//! field path and value as written, or the default of the mesh (or of Envoy) that applies.

use std::path::Path;

use meshtwin_model::origin::{DefaultBy, Provenance, Setting};
use meshtwin_model::policy::MeshPolicies;

fn load(file: &str) -> MeshPolicies {
    meshtwin_config::load_policies(Path::new(file))
        .unwrap_or_else(|e| panic!("{e}"))
        .value
}

fn shown(o: Option<&meshtwin_model::origin::Origin>) -> String {
    o.expect("origin recorded").to_string()
}

#[test]
fn circuit_breaker_thresholds_cite_their_lines_and_unwritten_ones_istios_defaults() {
    let p = load("../../policies/istio/httpbin-circuit-breaking.yaml");
    let o = &p.destination_rules[0].traffic_policy.origins;
    let f = "../../policies/istio/httpbin-circuit-breaking.yaml";
    assert_eq!(
        shown(o.get(Setting::MaxPendingRequests)),
        format!("{f}:18 spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1")
    );
    assert_eq!(
        shown(o.get(Setting::MaxConnections)),
        format!("{f}:16 spec.trafficPolicy.connectionPool.tcp.maxConnections: 1")
    );
    assert_eq!(
        shown(o.get(Setting::MaxRequestsPerConnection)),
        format!("{f}:19 spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection: 1")
    );
    assert_eq!(
        shown(o.get(Setting::MaxRequests)),
        "Istio default: http2MaxRequests 4294967295 (unlimited)"
    );
    assert_eq!(
        shown(o.get(Setting::BaseEjectionTime)),
        format!("{f}:23 spec.trafficPolicy.outlierDetection.baseEjectionTime: 3m")
    );
}

#[test]
fn a_legacy_consecutive_errors_field_leaves_envoys_default_and_says_so() {
    let p = load("../../policies/istio/ratings-circuit-breaking.yaml");
    let o = &p.destination_rules[0].traffic_policy.origins;
    let c = o.get(Setting::Consecutive5xx).unwrap();
    assert_eq!(
        c.provenance,
        Provenance::Default {
            by: DefaultBy::Envoy
        }
    );
    assert_eq!(c.value, "5");
    assert_eq!(
        c.note.as_deref(),
        Some(
            "consecutiveErrors: 5 at ../../policies/istio/ratings-circuit-breaking.yaml:27 is \
             ignored by Istio since 1.7"
        )
    );
    assert_eq!(
        o.get(Setting::OutlierInterval)
            .unwrap()
            .location()
            .as_deref(),
        Some("../../policies/istio/ratings-circuit-breaking.yaml:28")
    );
    assert_eq!(o.get(Setting::BaseEjectionTime).unwrap().value, "180s");
    assert_eq!(
        shown(o.get(Setting::HealthyPanicThreshold)),
        "Istio default: minHealthPercent 0 (panic threshold 0 %: panic mode off)"
    );
    // The subset inherits the top-level blocks, and their origins with them.
    let subset = &p.destination_rules[0].subsets[0].traffic_policy.origins;
    assert_eq!(subset.get(Setting::BaseEjectionTime).unwrap().value, "180s");
}

#[test]
fn a_subset_or_port_block_replaces_the_origins_of_the_block_it_replaces() {
    let text = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\n\
                spec:\n  host: r\n  trafficPolicy:\n    connectionPool:\n      tcp:\n        \
                maxConnections: 7\n    portLevelSettings:\n    - port:\n        number: 80\n      \
                outlierDetection:\n        consecutive5xxErrors: 2\n  subsets:\n  - name: v1\n    \
                labels: {version: v1}\n    trafficPolicy:\n      connectionPool:\n        http:\n          \
                http1MaxPendingRequests: 3\n";
    let dir = std::env::temp_dir().join(format!("meshtwin-origins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dr.yaml");
    std::fs::write(&file, text).unwrap();
    let p = meshtwin_config::load_policies(&file).unwrap().value;
    std::fs::remove_dir_all(&dir).unwrap();
    let dr = &p.destination_rules[0];
    let top = &dr.traffic_policy.origins;
    assert_eq!(top.get(Setting::MaxConnections).unwrap().value, "7");
    assert!(
        top.get(Setting::Consecutive5xx).is_none(),
        "no outlier block at the top"
    );
    // Port 80's entry replaces the whole policy: Istio's pool defaults, its own outlier block.
    let port = &dr.traffic_policy.port_level[&80].origins;
    assert_eq!(
        port.get(Setting::MaxConnections).unwrap().provenance,
        Provenance::Default {
            by: DefaultBy::Istio
        }
    );
    let c = port.get(Setting::Consecutive5xx).unwrap();
    assert_eq!(
        (
            c.value.as_str(),
            c.location().unwrap().ends_with("dr.yaml:15")
        ),
        ("2", true)
    );
    // The subset's connectionPool replaces the top-level one.
    let sub = &dr.subsets[0].traffic_policy.origins;
    assert_eq!(sub.get(Setting::MaxPendingRequests).unwrap().value, "3");
    assert_eq!(
        sub.get(Setting::MaxConnections).unwrap().provenance,
        Provenance::Default {
            by: DefaultBy::Istio
        }
    );
}

#[test]
fn route_timeouts_faults_and_retries_cite_the_rule_or_istios_defaults() {
    let p = load("../../policies/istio/bookinfo/request-timeout-reviews-0.5s.yaml");
    let rule = &p.virtual_services[0].http[0];
    assert_eq!(
        shown(rule.origins.get(Setting::RouteTimeout)),
        "../../policies/istio/bookinfo/request-timeout-reviews-0.5s.yaml:18 spec.http[0].timeout: 0.5s"
    );
    assert_eq!(
        shown(rule.origins.get(Setting::RetryAttempts)),
        "Istio default: attempts 2 (no `retries` on the rule: Istio's default retry policy)"
    );
    let p = load("../../policies/istio/bookinfo/virtual-service-ratings-test-abort.yaml");
    let rule = &p.virtual_services[0].http[0];
    assert_eq!(
        shown(rule.origins.get(Setting::FaultAbortStatus)),
        "../../policies/istio/bookinfo/virtual-service-ratings-test-abort.yaml:19 \
         spec.http[0].fault.abort.httpStatus: 500"
    );
    assert_eq!(
        rule.origins
            .get(Setting::FaultAbortPercentage)
            .unwrap()
            .value,
        "{value: 100}"
    );
    assert_eq!(
        shown(
            p.virtual_services[0].http[1]
                .origins
                .get(Setting::RouteTimeout)
        ),
        "Istio default: timeout 0s (disabled)"
    );
}

#[test]
fn app_mesh_listener_pools_and_health_checks_cite_their_lines() {
    let p = load("../../policies/appmesh/connection-pools.yaml");
    let gw = p
        .appmesh_listeners
        .iter()
        .find(|l| l.k8s_name == "ingress-gw")
        .unwrap();
    assert_eq!(
        shown(gw.origins.get(Setting::MaxPendingRequests)),
        "../../policies/appmesh/connection-pools.yaml:49 \
         spec.listeners[0].connectionPool.http.maxPendingRequests: 5"
    );
    assert_eq!(
        shown(gw.origins.get(Setting::MaxRequests)),
        "App Mesh default: maxRequests 2147483647 (unlimited)"
    );
    let red = p
        .appmesh_listeners
        .iter()
        .find(|l| l.k8s_name == "red")
        .unwrap();
    assert_eq!(
        shown(red.origins.get(Setting::UnhealthyThreshold)),
        "../../policies/appmesh/connection-pools.yaml:84 \
         spec.listeners[0].healthCheck.unhealthyThreshold: 2"
    );
}
