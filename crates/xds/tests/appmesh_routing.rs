//! App Mesh routing as the control plane builds it from the bundled walkthrough files: virtual
//! services become virtual hosts, a virtual router's weighted route becomes weighted clusters
//! with App Mesh's default retry policy, nodes get egress only to their backends, http2
//! listeners are served as HTTP/2, and gateway routes rewrite `/color1/…` to `/…`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::{Pod, Topology};
use meshtwin_proxy::config::{Codec, ListenerKind, ProxyConfig};
use meshtwin_proxy::router::config::{
    Action, ClusterSpecifier, RouteAction, RouteTable, VirtualHost,
};
use meshtwin_proxy::router::matcher::PathMatcher;
use meshtwin_xds::{build, MeshView};

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn configs(topology: &str, policies: &str) -> BTreeMap<String, ProxyConfig> {
    let text = std::fs::read_to_string(repo(policies)).expect("bundled policies");
    configs_of(topology, &text)
}

fn configs_of(topology: &str, policies: &str) -> BTreeMap<String, ProxyConfig> {
    let topo: Topology = meshtwin_topology::load_topology(&repo(topology))
        .expect("bundled topology loads")
        .value;
    let policies: MeshPolicies = meshtwin_config::parse_policies("policies.yaml", policies)
        .expect("policies load")
        .value;
    let pods: Vec<Pod> = topo.pods();
    let ips = pods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.clone(), Ipv4Addr::from(0x0A00_0001u32 + i as u32)))
        .collect();
    let view = MeshView {
        topo: &topo,
        pods: &pods,
        ips: &ips,
        policies: &policies,
        cache: None,
    };
    build(&view)
}

fn http2() -> BTreeMap<String, ProxyConfig> {
    configs(
        "topologies/appmesh-http2.yaml",
        "policies/appmesh/http2-routing.yaml",
    )
}

fn vhosts<'a>(cfg: &'a ProxyConfig, listener: &str) -> (&'a [VirtualHost], Codec) {
    let l = cfg
        .listeners
        .iter()
        .find(|l| l.name == listener)
        .expect("listener");
    match &l.kind {
        ListenerKind::Http { codec, routes } => (routes.virtual_hosts(), *codec),
        _ => panic!("{listener} is not an HTTP listener"),
    }
}

fn route_action(a: &Action) -> &RouteAction {
    match a {
        Action::Route(r) => r,
        other => panic!("expected a forwarding route, got {other:?}"),
    }
}

const RED: &str = "cds_egress_howto-k8s-http2_red_howto-k8s-http2_http2_8080";
const BLUE: &str = "cds_egress_howto-k8s-http2_blue_howto-k8s-http2_http2_8080";

#[test]
fn a_virtual_router_route_splits_by_weight_with_app_mesh_default_retries() {
    let all = http2();
    let client = &all["client-0"];
    let (hosts, _) = vhosts(client, "egress");
    let color1 = hosts
        .iter()
        .find(|h| {
            h.domains
                .iter()
                .any(|d| d == "color1.howto-k8s-http2.svc.cluster.local:8080")
        })
        .expect("a virtual host for the backend color1");
    let action = route_action(&color1.routes[0].action);
    let ClusterSpecifier::Weighted(w) = &action.cluster else {
        panic!("expected weighted clusters, got {:?}", action.cluster);
    };
    let weights: Vec<(&str, u32)> = w
        .clusters()
        .iter()
        .map(|c| (c.name.as_str(), c.weight))
        .collect();
    assert_eq!(weights, [(RED, 3), (BLUE, 1)]);
    let retry = action
        .retry_policy
        .as_ref()
        .expect("App Mesh's default retry policy");
    assert_eq!(retry.num_retries, 2);
    assert_eq!(retry.retriable_status_codes, [503]);
    assert!(retry.previous_hosts);
    assert_eq!(retry.host_selection_retry_max_attempts, 5);
    assert_eq!(action.timeout, std::time::Duration::from_secs(15));
}

#[test]
fn a_node_has_egress_clusters_only_to_its_backends() {
    let all = http2();
    let names =
        |pod: &str| -> Vec<String> { all[pod].clusters.iter().map(|c| c.name.clone()).collect() };
    let client = names("client-0");
    assert!(client.contains(&RED.to_string()) && client.contains(&BLUE.to_string()));
    assert!(
        !client
            .iter()
            .any(|c| c.contains("_client_") && c.starts_with("cds_egress")),
        "no egress cluster to itself: {client:?}"
    );
    let red = names("red-0");
    assert!(
        !red.iter().any(|c| c.starts_with("cds_egress")),
        "red lists no backends, so it has no egress clusters (and no health checks): {red:?}"
    );
}

#[test]
fn http2_listeners_are_served_with_an_http2_codec() {
    let all = http2();
    assert_eq!(vhosts(&all["red-0"], "ingress").1, Codec::Http2);
    assert_eq!(vhosts(&all["client-0"], "ingress").1, Codec::Http1);
    assert_eq!(vhosts(&all["ingress-gw-0"], "ingress").1, Codec::Http1);
}

#[test]
fn a_gateway_route_rewrites_its_prefix_to_slash_and_the_host_to_the_virtual_service() {
    let all = http2();
    let gw = &all["ingress-gw-0"];
    let (hosts, _) = vhosts(gw, "ingress");
    let routes = &hosts[0].routes;
    let paths: Vec<&PathMatcher> = routes.iter().map(|r| &r.matcher.path).collect();
    assert_eq!(
        paths,
        [
            &PathMatcher::Prefix("/color1/".into()),
            &PathMatcher::Exact("/color1".into())
        ]
    );
    let a = route_action(&routes[0].action);
    assert_eq!(a.prefix_rewrite.as_deref(), Some("/"));
    assert_eq!(
        a.host_rewrite.as_deref(),
        Some("color1.howto-k8s-http2.svc.cluster.local")
    );
    assert_eq!(a.rewrite_path(&routes[0].matcher, "/color1/tell"), "/tell");
    // The gateway's own virtual hosts then route color1 like any client does.
    let (own, _) = vhosts(gw, "self_redirect");
    assert!(own.iter().any(|h| h
        .domains
        .iter()
        .any(|d| d == "color1.howto-k8s-http2.svc.cluster.local")));
}

#[test]
fn the_connection_pools_walkthrough_routes_paths_through_its_virtual_router() {
    let all = configs(
        "topologies/appmesh-colors.yaml",
        "policies/appmesh/connection-pools.yaml",
    );
    let (own, _) = vhosts(&all["ingress-gw-0"], "self_redirect");
    let color_paths = own
        .iter()
        .find(|h| h.domains.iter().any(|d| d.starts_with("color-paths.")))
        .expect("virtual service color-paths");
    let prefixes: Vec<&PathMatcher> = color_paths.routes.iter().map(|r| &r.matcher.path).collect();
    assert_eq!(
        prefixes,
        [
            &PathMatcher::Prefix("/green".into()),
            &PathMatcher::Prefix("/red".into())
        ],
        "routes in priority order (20, then 30)"
    );
}

#[test]
fn cloud_map_discovery_finds_the_registered_pods_whose_labels_carry_the_attributes() {
    let text = std::fs::read_to_string(repo("policies/appmesh/http2-routing.yaml")).unwrap();
    let mut cloud_map = text.clone();
    for colour in ["red", "blue"] {
        cloud_map = cloud_map.replace(
            &format!("      hostname: color-{colour}.howto-k8s-http2.svc.cluster.local\n"),
            &format!("      __CM__{colour}\n"),
        );
        cloud_map = cloud_map.replace(
            &format!("    dns:\n      __CM__{colour}\n"),
            &format!(
                "    awsCloudMap:\n      namespaceName: howto-k8s-http2.pvt.aws.local\n      \
                 serviceName: colorteller\n      attributes: [{{key: version, value: {colour}}}]\n"
            ),
        );
    }
    assert!(
        !cloud_map.contains("__CM__") && cloud_map != text,
        "both nodes rewritten"
    );
    let all = configs_of("topologies/appmesh-http2.yaml", &cloud_map);
    let endpoints = |cluster: &str| -> Vec<String> {
        let c = all["client-0"]
            .clusters
            .iter()
            .find(|c| c.name == cluster)
            .expect("cluster");
        c.endpoints.iter().map(|e| e.hostname.to_string()).collect()
    };
    assert_eq!(endpoints(RED), ["red-0"]);
    assert_eq!(endpoints(BLUE), ["blue-0"]);
}

#[test]
fn a_tcp_route_is_a_tcp_proxy_on_the_destination_port_splitting_by_weight() {
    let all = configs(
        "topologies/appmesh-tcp.yaml",
        "policies/appmesh/tcp-canary.yaml",
    );
    let client = &all["yelb-appserver-0"];
    let l = client
        .listeners
        .iter()
        .find(|l| l.name == "egress_tcp_6379")
        .expect("a tcp listener for redis-server's port");
    assert_eq!(l.address, "127.0.0.1:6379".parse().unwrap());
    let ListenerKind::Tcp {
        cluster: ClusterSpecifier::Weighted(w),
    } = &l.kind
    else {
        panic!(
            "expected a tcp_proxy to weighted clusters, got {:?}",
            l.kind
        );
    };
    let weights: Vec<(&str, u32)> = w
        .clusters()
        .iter()
        .map(|c| (c.name.as_str(), c.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("cds_egress_yelb_redis-server-2-virtual-node_tcp_6379", 25),
            ("cds_egress_yelb_redis-server-1-virtual-node_tcp_6379", 75)
        ]
    );
    // No HTTP virtual host for a TCP virtual service.
    let (hosts, _) = vhosts(client, "egress");
    assert!(hosts.is_empty(), "{hosts:?}");
    // The node's own tcp listener is a tcp_proxy to its app.
    let redis = &all["redis-server-1-0"];
    let ingress = redis
        .listeners
        .iter()
        .find(|l| l.name == "ingress")
        .unwrap();
    assert!(
        matches!(&ingress.kind, ListenerKind::Tcp { cluster: ClusterSpecifier::Cluster(c) }
            if c == "cds_ingress_yelb_redis-server-1-virtual-node_tcp_6379"),
        "{:?}",
        ingress.kind
    );
}

/// The http2 walkthrough's policies with `from` replaced by `to` (which must occur).
fn http2_with(edits: &[(&str, &str)]) -> BTreeMap<String, ProxyConfig> {
    let mut text = std::fs::read_to_string(repo("policies/appmesh/http2-routing.yaml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} in the bundled policies");
        text = text.replacen(from, to, 1);
    }
    configs_of("topologies/appmesh-http2.yaml", &text)
}

fn gateway_route_names(all: &BTreeMap<String, ProxyConfig>) -> Vec<String> {
    let (hosts, _) = vhosts(&all["ingress-gw-0"], "ingress");
    hosts[0].routes.iter().map(|r| r.name.clone()).collect()
}

#[test]
fn a_gateway_takes_the_gateway_routes_of_the_namespaces_its_selector_matches() {
    assert_eq!(
        gateway_route_names(&http2()),
        ["gateway-route-color1", "gateway-route-color1"],
        "the namespace carries gateway: ingress-gw"
    );
    let relabelled = http2_with(&[("    gateway: ingress-gw\n", "    gateway: other\n")]);
    assert!(gateway_route_names(&relabelled).is_empty());
    // No namespaceSelector selects no namespace (the controller's nil selector).
    let none = http2_with(&[(
        "  namespaceSelector:\n    matchLabels:\n      gateway: ingress-gw\n",
        "",
    )]);
    assert!(gateway_route_names(&none).is_empty());
    // An empty one selects every namespace.
    let all = http2_with(&[(
        "  namespaceSelector:\n    matchLabels:\n      gateway: ingress-gw\n",
        "  namespaceSelector: {}\n",
    )]);
    assert_eq!(gateway_route_names(&all).len(), 2);
}

#[test]
fn a_gateway_route_selector_takes_only_the_routes_carrying_its_labels() {
    let selector = (
        "  podSelector:\n    matchLabels:\n      app: ingress-gw\n",
        "  podSelector:\n    matchLabels:\n      app: ingress-gw\n  gatewayRouteSelector:\n    matchLabels:\n      gateway: public\n",
    );
    assert!(gateway_route_names(&http2_with(&[selector])).is_empty());
    let labelled = http2_with(&[
        selector,
        (
            "  name: gateway-route-color1\n",
            "  name: gateway-route-color1\n  labels: {gateway: public}\n",
        ),
    ]);
    assert_eq!(gateway_route_names(&labelled).len(), 2);
}

#[test]
fn a_gateway_route_with_default_target_hostname_disabled_keeps_the_host() {
    let all = http2_with(&[(
        "          virtualServiceRef:\n            name: color1\n---",
        "          virtualServiceRef:\n            name: color1\n      rewrite:\n        hostname:\n          defaultTargetHostname: DISABLED\n---",
    )]);
    let gw = &all["ingress-gw-0"];
    let (hosts, _) = vhosts(gw, "ingress");
    let a = route_action(&hosts[0].routes[0].action);
    assert_eq!(a.host_rewrite, None, "the request keeps its host");
    assert_eq!(a.prefix_rewrite.as_deref(), Some("/"));
    // The self-redirect hop still reaches color1: its virtual host answers for any host.
    let (own, _) = vhosts(gw, "self_redirect");
    let own = RouteTable::new(own.to_vec());
    let vh =
        (own.virtual_host("ingress-gw.howto-k8s-http2")).expect("a virtual host for the kept host");
    assert_eq!(vh.name, "color1.howto-k8s-http2.svc.cluster.local");
}

fn ingress_timeout(cfg: &ProxyConfig) -> std::time::Duration {
    let (hosts, _) = vhosts(cfg, "ingress");
    route_action(&hosts[0].routes[0].action).timeout
}

#[test]
fn a_listener_timeout_is_the_nodes_own_ingress_route_timeout_else_15_s() {
    let all = configs(
        "topologies/appmesh-timeout.yaml",
        "policies/appmesh/timeout-policy.yaml",
    );
    assert_eq!(ingress_timeout(&all["colorapp-blue-0"]).as_secs(), 60);
    // The route's own timeout is the client's egress route.
    let (hosts, _) = vhosts(&all["front-0"], "egress");
    assert_eq!(
        route_action(&hosts[0].routes[0].action).timeout.as_secs(),
        60
    );
    // Without a listener timeout: App Mesh's default.
    assert_eq!(ingress_timeout(&http2()["red-0"]).as_secs(), 15);
}

#[test]
fn idle_timeouts_are_the_routes_idle_timeout_and_the_listeners_stream_or_tcp_idle_timeout() {
    let route = configs(
        "topologies/appmesh-timeout.yaml",
        "tests/fixtures/idle/route-idle-10s.yaml",
    );
    let (hosts, _) = vhosts(&route["front-0"], "egress");
    let a = route_action(&hosts[0].routes[0].action);
    assert_eq!(a.idle_timeout, Some(std::time::Duration::from_secs(10)));
    let ingress = |cfg: &ProxyConfig| {
        cfg.listeners
            .iter()
            .find(|l| l.name == "ingress")
            .and_then(|l| l.idle_timeout)
    };
    assert_eq!(ingress(&route["colorapp-blue-0"]), None, "none by default");
    let listener = configs(
        "topologies/appmesh-timeout.yaml",
        "tests/fixtures/idle/listener-idle-10s.yaml",
    );
    assert_eq!(
        ingress(&listener["colorapp-red-0"]),
        Some(std::time::Duration::from_secs(10))
    );
    let (hosts, _) = vhosts(&listener["front-0"], "egress");
    assert_eq!(route_action(&hosts[0].routes[0].action).idle_timeout, None);
    let tcp = configs(
        "tests/fixtures/idle/tcp-topology.yaml",
        "tests/fixtures/idle/tcp-route-idle-1s.yaml",
    );
    let egress = tcp["yelb-appserver-0"]
        .listeners
        .iter()
        .find(|l| matches!(l.kind, ListenerKind::Tcp { .. }))
        .expect("a tcp egress listener");
    assert_eq!(egress.idle_timeout, Some(std::time::Duration::from_secs(1)));
}

#[test]
fn a_virtual_service_served_by_a_tcp_virtual_node_is_a_tcp_proxy_to_that_node() {
    let text = std::fs::read_to_string(repo("policies/appmesh/tcp-canary.yaml")).unwrap();
    let router = "    virtualRouter:\n      virtualRouterRef:\n        name: redis-server\n";
    assert!(text.contains(router));
    let by_node = text.replace(
        router,
        "    virtualNode:\n      virtualNodeRef:\n        name: redis-server-1\n",
    );
    let all = configs_of("topologies/appmesh-tcp.yaml", &by_node);
    let l = all["yelb-appserver-0"]
        .listeners
        .iter()
        .find(|l| l.name == "egress_tcp_6379")
        .expect("a tcp listener on the node's port");
    assert!(
        matches!(&l.kind, ListenerKind::Tcp { cluster: ClusterSpecifier::Cluster(c) }
            if c == "cds_egress_yelb_redis-server-1-virtual-node_tcp_6379"),
        "{:?}",
        l.kind
    );
}
