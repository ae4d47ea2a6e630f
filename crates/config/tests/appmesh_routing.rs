//! App Mesh routing objects as users write them: CRDs, `describe-*` JSON and
//! `create-* --cli-input-json` bodies; route matches, weighted targets, retry events and
//! gateway-route rewrites lowered as App Mesh's control plane gives them to Envoy.

use std::time::Duration;

use meshtwin_config::parse_policies;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::Protocol;
use meshtwin_model::traffic::appmesh::{AppMeshProvider, AppMeshRef};
use meshtwin_model::traffic::http::{PathMatch, StringMatch};

fn lower(file: &str, text: &str) -> MeshPolicies {
    parse_policies(file, text).expect("valid").value
}

fn error(text: &str) -> String {
    match parse_policies("policies/x.yaml", text) {
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

const ROUTER: &str = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualRouter
metadata: {name: color, namespace: ns}
spec:
  listeners:
  - portMapping: {port: 8080, protocol: http2}
  routes:
  - name: last
    http2Route:
      match: {prefix: /}
      action:
        weightedTargets:
        - {virtualNodeRef: {name: red}, weight: 3}
        - {virtualNodeRef: {name: blue}, weight: 1}
  - name: first
    priority: 1
    httpRoute:
      match:
        path: {exact: /tell}
        method: GET
        headers: [{name: Color-Header, match: {suffix: blue}}]
        queryParameters: [{name: color, match: {exact: blue}}]
      action:
        weightedTargets: [{virtualNodeRef: {name: blue}, weight: 1}]
      retryPolicy:
        maxRetries: 4
        perRetryTimeout: {unit: ms, value: 2000}
        httpRetryEvents: [gateway-error, client-error]
        tcpRetryEvents: [connection-error]
      timeout:
        perRequest: {unit: s, value: 5}
        idle: {unit: s, value: 30}
";

#[test]
fn a_virtual_routers_routes_come_in_priority_order_with_their_matches_targets_and_policies() {
    let p = lower("policies/r.yaml", ROUTER);
    let vr = &p.appmesh_routing.virtual_routers[0];
    assert_eq!(vr.listeners, [(8080, Protocol::Http2)]);
    let names: Vec<&str> = vr.routes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["first", "last"], "priority 1 first, unset last");
    let first = &vr.routes[0];
    assert_eq!(first.matcher.path, PathMatch::Exact("/tell".into()));
    let headers: Vec<(&str, &StringMatch)> = first
        .matcher
        .headers
        .iter()
        .map(|h| (h.name.as_str(), &h.matcher))
        .collect();
    assert_eq!(
        headers,
        [
            ("color-header", &StringMatch::Regex(".*blue".into())),
            (":method", &StringMatch::Exact("GET".into()))
        ]
    );
    assert_eq!(first.matcher.query_params[0].name, "color");
    let retry = first.retries.as_ref().expect("the route's own policy");
    assert_eq!(retry.num_retries, 4);
    assert_eq!(
        retry.retry_on,
        ["reset", "connect-failure", "retriable-status-codes"]
    );
    assert_eq!(retry.retriable_status_codes, [409, 502, 503, 504]);
    assert_eq!(retry.per_try_timeout, Some(Duration::from_secs(2)));
    assert_eq!(first.timeout, Some(Duration::from_secs(5)));
    assert_eq!(first.idle_timeout, Some(Duration::from_secs(30)));
    let last = &vr.routes[1];
    assert_eq!(
        last.idle_timeout, None,
        "App Mesh sets no idle timeout by default"
    );
    assert_eq!(last.protocol, Protocol::Http2);
    assert!(last.retries.is_none(), "App Mesh's default applies later");
    let targets: Vec<(&AppMeshRef, u32)> =
        last.targets.iter().map(|t| (&t.node, t.weight)).collect();
    assert_eq!(targets, [(&r("red", "ns"), 3), (&r("blue", "ns"), 1)]);
}

#[test]
fn a_virtual_service_names_its_provider_and_a_gateway_route_its_target_and_rewrite() {
    let text = "\
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualService
metadata: {name: color1, namespace: ns}
spec:
  awsName: color1.ns.svc.cluster.local
  provider:
    virtualRouter:
      virtualRouterRef: {name: color}
---
apiVersion: appmesh.k8s.aws/v1beta2
kind: GatewayRoute
metadata: {name: keep, namespace: ns}
spec:
  httpRoute:
    match:
      prefix: /color1
      hostname: {suffix: example.com}
    action:
      target: {virtualService: {virtualServiceRef: {name: color1}}}
      rewrite:
        prefix: {defaultPrefix: DISABLED}
        hostname: {defaultTargetHostname: DISABLED}
";
    let p = lower("policies/g.yaml", text);
    let vs = &p.appmesh_routing.virtual_services[0];
    assert_eq!(vs.aws_name, "color1.ns.svc.cluster.local");
    assert_eq!(
        vs.provider,
        AppMeshProvider::VirtualRouter(r("color", "ns"))
    );
    let gr = &p.appmesh_routing.gateway_routes[0];
    assert_eq!(gr.target, r("color1", "ns"));
    assert_eq!(gr.matcher.path, PathMatch::Prefix("/color1".into()));
    assert_eq!(gr.prefix_rewrite, None);
    assert!(!gr.hostname_rewrite);
    assert_eq!(
        gr.hostname,
        Some(StringMatch::Regex(".*example\\.com".into()))
    );
}

#[test]
fn a_create_virtual_node_body_without_kind_is_read_with_its_backends() {
    let body = r#"{
  "meshName": "howto-k8s-http2",
  "virtualNodeName": "client_howto-k8s-http2",
  "spec": {
    "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
    "backends": [{"virtualService": {"virtualServiceName": "color1.howto-k8s-http2.svc.cluster.local"}}],
    "serviceDiscovery": {"dns": {"hostname": "client.howto-k8s-http2.svc.cluster.local"}}
  }
}"#;
    let p = lower("policies/client.json", body);
    let l = &p.appmesh_listeners[0];
    assert_eq!(
        (l.k8s_name.as_str(), l.namespace.as_str()),
        ("client", "howto-k8s-http2")
    );
    let b = &p.appmesh_routing.backends[0];
    assert_eq!(b.node, r("client", "howto-k8s-http2"));
    assert_eq!(
        b.virtual_services,
        [r(
            "color1.howto-k8s-http2.svc.cluster.local",
            "howto-k8s-http2"
        )]
    );
}

#[test]
fn unknown_retry_events_and_two_route_blocks_are_errors() {
    let bad_event = ROUTER.replace("client-error", "teapot");
    assert!(
        error(&bad_event).contains("unknown http retry event \"teapot\""),
        "{}",
        error(&bad_event)
    );
    let two = ROUTER.replace("    httpRoute:\n", "    tcpRoute: {action: {weightedTargets: [{virtualNodeRef: {name: x}, weight: 1}]}}\n    httpRoute:\n");
    assert!(
        error(&two).contains(
            "spec.routes[1]: only one route block is allowed, found tcpRoute and httpRoute"
        ),
        "{}",
        error(&two)
    );
}
