//! TSB `Gateway` (`gateway.tsb.tetrate.io/v2`): the three cluster-list forms of seed 004, the
//! ingress form, and bad input located at file:line: object: field path.

use meshtwin_config::parse_policies;
use meshtwin_model::traffic::tsb::{ClusterList, TsbRoute};

const HEAD: &str = "apiVersion: gateway.tsb.tetrate.io/v2
kind: Gateway
metadata: {name: edge, organization: o, tenant: t, workspace: w, group: g}
spec:
  workloadSelector: {namespace: edge, labels: {app: edgegw}}
  http:
    - name: bookinfo
      port: 80
      hostname: bookinfo.tse.tetratelabs.io
      routing:
        rules:
          - route:
";

fn route(body: &str) -> Result<TsbRoute, String> {
    let text = format!("{HEAD}{body}");
    parse_policies("edge.yaml", &text)
        .map(|p| p.value.tsb_gateways[0].http[0].routes[0].clone())
        .map_err(|e| e.to_string())
}

#[test]
fn the_three_cluster_lists_of_seed_004() {
    assert_eq!(
        route("              clusterDestination: {}\n").unwrap(),
        TsbRoute::Clusters(ClusterList::Automatic)
    );
    assert_eq!(
        route("              clusterDestination:\n                clusters: [{name: cluster-1}, {name: cluster-2}]\n").unwrap(),
        TsbRoute::Clusters(ClusterList::Named(vec!["cluster-1".into(), "cluster-2".into()]))
    );
    assert_eq!(
        route("              clusterDestination:\n                clusters: [{name: cluster-1, weight: 50}, {name: cluster-2, weight: 50}]\n").unwrap(),
        TsbRoute::Clusters(ClusterList::Weighted(vec![("cluster-1".into(), 50), ("cluster-2".into(), 50)]))
    );
}

#[test]
fn a_service_destination_names_namespace_and_fqdn() {
    let r = route("              serviceDestination: {host: bookinfo/productpage.bookinfo.svc.cluster.local, port: 9080}\n");
    assert_eq!(
        r.unwrap(),
        TsbRoute::Service {
            namespace: "bookinfo".into(),
            fqdn: "productpage.bookinfo.svc.cluster.local".into(),
            port: Some(9080)
        }
    );
    let e = route("              serviceDestination: {host: productpage}\n").unwrap_err();
    assert!(e.starts_with("edge.yaml:13: Gateway edge: spec.http[0].routing.rules[0].route.serviceDestination.host: "), "{e}");
    assert!(e.contains("<namespace>/<fqdn>"), "{e}");
}

#[test]
fn bad_input_is_located() {
    let e = route("              clusterDestination: {clusterz: []}\n").unwrap_err();
    assert!(e.starts_with("edge.yaml:13: Gateway edge: spec.http[0].routing.rules[0].route.clusterDestination.clusterz: unknown field"), "{e}");
    let e = route(
        "              clusterDestination: {}\n              serviceDestination: {host: a/b}\n",
    )
    .unwrap_err();
    assert!(
        e.contains("only one of clusterDestination or serviceDestination"),
        "{e}"
    );
    let e = route("              clusterDestination:\n                clusters: [{name: a, weight: 0}, {name: b, weight: 0}]\n").unwrap_err();
    assert!(
        e.contains("total weight of the clusters must be > 0"),
        "{e}"
    );
    let e = route(
        "              clusterDestination:\n                clusters: [{labels: {region: r1}}]\n",
    )
    .unwrap_err();
    assert!(e.contains("clusters[0].labels: not modelled"), "{e}");
    // Istio's Gateway kind is told apart by its API group.
    let istio = "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]\n";
    let p = parse_policies("g.yaml", istio).unwrap().value;
    assert_eq!((p.gateways.len(), p.tsb_gateways.len()), (1, 0));
}
