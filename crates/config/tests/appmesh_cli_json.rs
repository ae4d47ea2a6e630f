//! App Mesh routing objects in the AWS CLI's forms — `describe-virtual-service` /
//! `describe-virtual-router` / `describe-route` / `describe-gateway-route` output and the
//! `create-* --cli-input-json` bodies the walkthroughs keep — and which virtual gateway each
//! gateway route lands on.

use std::time::Duration;

use meshtwin_config::appmesh::attachment;
use meshtwin_config::parse_policies;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::{AppMeshProvider, AppMeshRef};
use meshtwin_model::traffic::http::{PathMatch, StringMatch};

fn lower(text: &str) -> MeshPolicies {
    parse_policies("policies/x.json", text)
        .expect("valid")
        .value
}

fn error(text: &str) -> String {
    match parse_policies("policies/x.json", text) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn r(name: &str, ns: &str) -> AppMeshRef {
    AppMeshRef {
        name: name.into(),
        namespace: ns.into(),
    }
}

#[test]
fn a_describe_route_attaches_to_its_router_with_targets_priority_and_retries() {
    let p = lower(
        r#"{"route": {
  "meshName": "colors",
  "metadata": {"arn": "arn:aws:appmesh:us-west-2:1:mesh/colors/virtualRouter/color_ns/route/blue", "version": 2},
  "routeName": "blue",
  "spec": {
    "priority": 1,
    "httpRoute": {
      "match": {"prefix": "/", "headers": [{"name": "color", "match": {"exact": "blue"}}]},
      "action": {"weightedTargets": [{"virtualNode": "blue_ns", "weight": 1}]},
      "retryPolicy": {"maxRetries": 4, "perRetryTimeout": {"unit": "ms", "value": 250},
                      "httpRetryEvents": ["gateway-error"]},
      "timeout": {"perRequest": {"unit": "s", "value": 3}}
    }
  },
  "status": {"status": "ACTIVE"},
  "virtualRouterName": "color_ns"
}}"#,
    );
    let rr = &p.appmesh_routing.routes[0];
    assert_eq!(rr.router, r("color", "ns"));
    assert_eq!(rr.route.name, "blue");
    assert_eq!(rr.route.priority, Some(1));
    assert_eq!(rr.route.protocol, Protocol::Http);
    assert_eq!(rr.route.targets[0].node, r("blue", "ns"));
    let retry = rr.route.retries.as_ref().expect("its retry policy");
    assert_eq!(retry.num_retries, 4);
    assert_eq!(retry.retriable_status_codes, [502, 503, 504]);
    assert_eq!(retry.per_try_timeout, Some(Duration::from_millis(250)));
    assert_eq!(rr.route.timeout, Some(Duration::from_secs(3)));
    assert_eq!(rr.route.matcher.headers[0].name, "color");
}

#[test]
fn a_create_route_body_may_leave_the_mesh_to_the_command_line() {
    // The shape of the walkthroughs' route bodies: router, route name and spec, no meshName.
    let p = lower(
        r#"{
  "routeName": "route",
  "spec": {
    "grpcRoute": {
      "action": {"weightedTargets": [{"virtualNode": "color-server", "weight": 100}]},
      "match": {"serviceName": "color.ColorService", "methodName": "GetColor"},
      "retryPolicy": {"grpcRetryEvents": ["unavailable"], "maxRetries": 2,
                      "perRetryTimeout": {"unit": "s", "value": 1}}
    }
  },
  "virtualRouterName": "virtual-router"
}"#,
    );
    let rr = &p.appmesh_routing.routes[0];
    assert_eq!(rr.router, r("virtual-router", "default"));
    assert_eq!(rr.route.protocol, Protocol::Grpc);
    assert_eq!(
        rr.route.matcher.path,
        PathMatch::Exact("/color.ColorService/GetColor".into())
    );
    assert_eq!(rr.route.targets[0].node, r("color-server", "default"));
}

#[test]
fn a_virtual_service_and_a_tcp_router_read_from_their_json() {
    let vs = lower(
        r#"{"virtualService": {
  "meshName": "yelb",
  "spec": {"provider": {"virtualRouter": {"virtualRouterName": "redis-server_yelb"}}},
  "virtualServiceName": "redis-server.yelb.svc.cluster.local"
}}"#,
    );
    let v = &vs.appmesh_routing.virtual_services[0];
    assert_eq!(v.aws_name, "redis-server.yelb.svc.cluster.local");
    assert_eq!(
        v.provider,
        AppMeshProvider::VirtualRouter(r("redis-server", "yelb"))
    );
    let vr = lower(
        r#"{"meshName": "yelb", "virtualRouterName": "redis-server_yelb",
  "spec": {"listeners": [{"portMapping": {"port": 6379, "protocol": "tcp"}}]}}"#,
    );
    let router = &vr.appmesh_routing.virtual_routers[0];
    assert_eq!(
        (router.name.as_str(), router.namespace.as_str()),
        ("redis-server", "yelb")
    );
    assert_eq!(router.listeners, [(6379, Protocol::Tcp)]);
}

#[test]
fn a_create_gateway_route_body_names_its_gateway_target_and_rewrite() {
    let p = lower(
        r#"{
  "gatewayRouteName": "red",
  "meshName": "ingress",
  "virtualGatewayName": "colorgateway-vg",
  "spec": {
    "httpRoute": {
      "match": {"prefix": "/red", "hostname": {"exact": "www.example.com"}},
      "action": {
        "target": {"virtualService": {"virtualServiceName": "colorteller.ingress.local"}},
        "rewrite": {"prefix": {"defaultPrefix": "DISABLED"},
                    "hostname": {"defaultTargetHostname": "DISABLED"}}
      }
    }
  }
}"#,
    );
    let gr = &p.appmesh_routing.gateway_routes[0];
    assert_eq!(gr.gateway.as_deref(), Some("colorgateway-vg"));
    assert_eq!(gr.target.name, "colorteller.ingress.local");
    assert_eq!(
        gr.hostname,
        Some(StringMatch::Exact("www.example.com".into()))
    );
    assert_eq!(gr.prefix_rewrite, None);
    assert!(!gr.hostname_rewrite);
}

#[test]
fn unknown_fields_and_crd_references_in_json_are_located_errors() {
    let e = error(
        r#"{"route": {"meshName": "m", "routeName": "x", "virtualRouterName": "vr",
  "spec": {"httpRoute": {"match": {"prefix": "/"},
    "action": {"weightedTargets": [{"virtualNodeRef": {"name": "blue"}, "weight": 1}]}}}}}"#,
    );
    assert!(e.starts_with("policies/x.json:"), "{e}");
    assert!(e.contains("Route x"), "{e}");
    assert!(e.contains("virtualNodeRef"), "{e}");
    let e = error(r#"{"virtualServiceName": "a", "spec": {"provider": {}}, "colour": 1}"#);
    assert!(
        e.contains("VirtualService a") && e.contains("colour"),
        "{e}"
    );
}

const GATEWAY: &str = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualGateway
metadata: {name: GW, namespace: edge}
spec:
  namespaceSelector: {matchLabels: {gateway: GW}}
  podSelector: {matchLabels: {app: GW}}
  listeners: [{portMapping: {port: 8088, protocol: http}}]
";

const ROUTE: &str = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: GatewayRoute
metadata: {name: paths, namespace: shop}
spec:
  httpRoute:
    match: {prefix: /paths}
    action: {target: {virtualService: {virtualServiceRef: {name: color-paths}}}}
";

fn namespace(labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{{labels}}}}}\n")
}

/// The attachment check's verdict on these documents: `Ok(warnings)` or the error.
fn attach(docs: &[&str]) -> Result<Vec<String>, String> {
    let p = lower(&docs.join("---\n"));
    let mut warnings = Vec::new();
    attachment::check(&p, &mut warnings).map_err(|e| e.to_string())?;
    Ok(warnings.iter().map(|w| w.to_string()).collect())
}

#[test]
fn a_gateway_route_must_land_on_exactly_one_gateway() {
    let gw = GATEWAY.replace("GW", "gw");
    let ns = namespace("gateway: gw");
    assert_eq!(attach(&[&gw, ROUTE, &ns]), Ok(vec![]));
    let other = namespace("gateway: elsewhere");
    let none = attach(&[&gw, ROUTE, &other]).unwrap_err();
    assert!(
        none.contains("GatewayRoute paths")
            && none.contains("no virtual gateway takes it")
            && none.contains("edge/gw's namespaceSelector wants {gateway=gw}, namespace shop has {gateway=elsewhere}"),
        "{none}"
    );
    let both = GATEWAY.replace("GW", "gw2").replace("{gateway: gw2}", "{}");
    let two = attach(&[&gw, &both, ROUTE, &ns]).unwrap_err();
    assert!(
        two.contains("2 virtual gateways take it (edge/gw, edge/gw2)"),
        "{two}"
    );
}

#[test]
fn an_unknown_namespace_is_taken_as_matching_with_a_warning() {
    let gw = GATEWAY.replace("GW", "gw");
    let w = attach(&[&gw, ROUTE]).expect("taken");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("namespace shop's labels are unknown")
            && w[0].contains("VirtualGateway edge/gw's namespaceSelector {gateway=gw}"),
        "{w:?}"
    );
}

#[test]
fn a_json_gateway_route_must_name_a_known_gateway() {
    let body = r#"{"gatewayRouteName": "red", "meshName": "m", "virtualGatewayName": "nowhere",
  "spec": {"httpRoute": {"match": {"prefix": "/red"},
    "action": {"target": {"virtualService": {"virtualServiceName": "colors.local"}}}}}}"#;
    let e = attach(&[body]).unwrap_err();
    assert!(
        e.contains("names virtual gateway \"nowhere\", which no VirtualGateway in the policies is"),
        "{e}"
    );
}

#[test]
fn a_listener_timeout_of_its_protocol_gives_the_request_and_idle_timeouts() {
    let text = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata: {name: blue, namespace: ns}
spec:
  listeners:
  - portMapping: {port: 8080, protocol: http}
    timeout:
      http: {perRequest: {unit: s, value: 60}, idle: {unit: s, value: 600}}
      tcp: {idle: {unit: s, value: 5}}
";
    let loaded = parse_policies("policies/vn.yaml", text).expect("valid");
    let l = &loaded.value.appmesh_listeners[0];
    assert_eq!(l.request_timeout, Some(Duration::from_secs(60)));
    assert_eq!(l.idle_timeout, Some(Duration::from_secs(600)));
    let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        !warnings
            .iter()
            .any(|w| w.contains("idle timeouts are not modelled")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("timeout.tcp") && w.contains("a tcp timeout on a http listener")),
        "{warnings:?}"
    );
}
