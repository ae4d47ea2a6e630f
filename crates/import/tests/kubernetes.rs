//! `meshtwin import kubernetes` on hand-written cluster dumps: the topology read back with the
//! real loader says where pods run and which sidecar they have; mesh resources come out as
//! written; what is left out is listed; bad input is a located error.

use std::path::Path;

use meshtwin_import::{import_kubernetes, ClusterInput, Imported, InputFile};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::{Sidecar, Topology, Workload};

const BOOKINFO: &str = "tests/fixtures/import/bookinfo-two-zones.yaml";
const APPMESH: &str = "tests/fixtures/import/appmesh-shop-no-pods.yaml";

/// A fixture's text (paths are relative to the workspace root, as the messages show them).
fn fixture(rel: &str) -> InputFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    InputFile {
        name: rel.to_string(),
        text: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}")),
    }
}

fn one_cluster(files: Vec<InputFile>) -> Vec<ClusterInput> {
    vec![ClusterInput {
        cluster: "cluster-1".into(),
        files,
    }]
}

fn import(files: Vec<InputFile>) -> Imported {
    import_kubernetes(&one_cluster(files), "mesh", "out").unwrap_or_else(|e| panic!("{e}"))
}

fn file<'a>(i: &'a Imported, name: &str) -> &'a str {
    &i.files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "no {name} in {:?}",
                i.files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        })
        .1
}

fn topology(i: &Imported) -> Topology {
    meshtwin_topology::parse_topology("out/topology.yaml", file(i, "topology.yaml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .value
}

fn workload<'a>(t: &'a Topology, name: &str) -> &'a Workload {
    t.workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no workload {name}: {:?}",
                t.workloads.iter().map(|w| &w.name).collect::<Vec<_>>()
            )
        })
}

/// `(zone, replicas)` of a workload.
fn placed(t: &Topology, name: &str) -> (String, u32) {
    let w = workload(t, name);
    (w.locality.zone.clone(), w.replicas)
}

#[test]
fn pods_land_in_the_zones_their_nodes_carry() {
    let t = topology(&import(vec![fixture(BOOKINFO)]));
    let a = |n: u32| ("eu-west-1a".to_string(), n);
    let b = |n: u32| ("eu-west-1b".to_string(), n);
    assert_eq!(placed(&t, "productpage-v1"), a(1));
    assert_eq!(placed(&t, "details-v1"), b(1));
    assert_eq!(placed(&t, "reviews-v1"), a(1));
    // Two pods on nodes of two zones: one topology workload per zone.
    assert_eq!(placed(&t, "reviews-v2-eu-west-1a"), a(1));
    assert_eq!(placed(&t, "reviews-v2-eu-west-1b"), b(1));
    assert_eq!(placed(&t, "istio-ingressgateway"), a(1));
    assert!(t.workloads.iter().all(|w| w.locality.region == "eu-west-1"));
    // The StatefulSet has no pods in the dump: its topologySpreadConstraints spread it over
    // the zones of the nodes that take it (not the tainted control-plane node's).
    assert_eq!(placed(&t, "redis-eu-west-1a"), a(1));
    assert_eq!(placed(&t, "redis-eu-west-1b"), b(1));
}

#[test]
fn injected_namespaces_get_sidecars_and_gateways_are_recognised() {
    let t = topology(&import(vec![fixture(BOOKINFO)]));
    let istio = Sidecar::Istio { concurrency: 2 };
    for name in [
        "productpage-v1",
        "details-v1",
        "reviews-v1",
        "reviews-v3",
        "ratings-v1",
    ] {
        assert_eq!(workload(&t, name).sidecar, istio, "{name}");
    }
    assert_eq!(workload(&t, "sleep").sidecar, Sidecar::None);
    assert_eq!(workload(&t, "redis-eu-west-1a").sidecar, Sidecar::None);
    assert_eq!(
        workload(&t, "istio-ingressgateway").sidecar,
        Sidecar::IstioGateway { concurrency: 2 }
    );
    // The gateway and the client-only pod run no app; the others listen on their port.
    assert!(workload(&t, "istio-ingressgateway").app.is_none());
    assert!(workload(&t, "sleep").app.is_none());
    assert_eq!(
        workload(&t, "ratings-v1").app.as_ref().map(|a| a.port),
        Some(9080)
    );
    assert_eq!(
        workload(&t, "redis-eu-west-1b")
            .app
            .as_ref()
            .map(|a| a.port),
        Some(6379)
    );
}

#[test]
fn every_skipped_object_is_listed_with_its_reason() {
    let i = import(vec![fixture(BOOKINFO)]);
    let skipped: Vec<(String, String)> = i
        .skipped
        .iter()
        .map(|s| (s.object.clone(), s.reason.clone()))
        .collect();
    let has = |object: &str, reason: &str| {
        assert!(
            skipped
                .iter()
                .any(|(o, r)| o == object && r.contains(reason)),
            "{object} ({reason}) not in {skipped:#?}"
        );
    };
    has("Deployment istio-system/istiod", "control plane");
    has(
        "Pod istio-system/istiod-6d9c8b7a5f-kx7fz",
        "istiod, which is skipped",
    );
    has(
        "Service istio-system/istiod",
        "selects only skipped workloads",
    );
    has("Deployment kube-system/coredns", "system namespace");
    has("DaemonSet kube-system/kube-proxy", "system namespace");
    has(
        "ReplicaSet bookinfo/reviews-v2-5fdbc9c6f4",
        "managed by Deployment reviews-v2",
    );
    has("Pod legacy/db-migrate-x8v2k", "finished");
    has("Service default/kubernetes", "no selector");
    has("PeerAuthentication istio-system/default", "not modelled");
    has(
        "HorizontalPodAutoscaler bookinfo/productpage",
        "autoscaling",
    );
    has(
        "ConfigMap bookinfo/istio-ca-root-cert",
        "not part of the traffic model",
    );
    assert_eq!(skipped.len(), 12, "{skipped:#?}");
    assert!(
        i.warnings
            .iter()
            .any(|w| w.contains("legacy/redis: headless")),
        "{:?}",
        i.warnings
    );
}

/// Lowered policies as JSON without where they were read.
fn without_sources(p: &MeshPolicies) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("source");
                m.remove("host_line");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(p).expect("policies serialise");
    strip(&mut v);
    v
}

#[test]
fn mesh_resources_are_written_as_found_without_server_fields() {
    let i = import(vec![fixture(BOOKINFO)]);
    let text = file(&i, "policies/bookinfo.yaml");
    for noise in [
        "managedFields",
        "resourceVersion",
        "uid:",
        "status:",
        "last-applied-configuration",
    ] {
        assert!(!text.contains(noise), "{noise} left in:\n{text}");
    }
    let written = meshtwin_config::parse_policies("out/policies/bookinfo.yaml", text)
        .unwrap()
        .value;
    let mut input = meshtwin_config::parse_policies(BOOKINFO, &fixture(BOOKINFO).text)
        .unwrap()
        .value;
    // The input's Namespace objects go into the topology (sidecar injection), not the policy
    // files.
    input.appmesh_routing.namespaces.clear();
    assert_eq!(without_sources(&written), without_sources(&input));
    assert_eq!(written.destination_rules.len(), 1);
    assert_eq!(written.virtual_services.len(), 2);
    assert_eq!(written.gateways.len(), 1);
}

#[test]
fn the_starter_scenario_enters_by_the_gateway_route() {
    let i = import(vec![fixture(BOOKINFO)]);
    let sc =
        meshtwin_config::parse_scenario(Path::new("out/scenario.yaml"), file(&i, "scenario.yaml"))
            .unwrap()
            .value;
    assert_eq!(sc.topology, "out/topology.yaml");
    assert_eq!(sc.policies, ["out/policies/bookinfo.yaml"]);
    let urls: Vec<(&str, &str)> = sc
        .loads
        .iter()
        .map(|l| (l.from.as_str(), l.url.as_str()))
        .collect();
    assert_eq!(
        urls,
        [(
            "load-client",
            "http://istio-ingressgateway.istio-system/productpage"
        )]
    );
    assert_eq!(sc.expectations.len(), 1);
    assert_eq!(sc.expectations[0].min, Some(1.0));
}

#[test]
fn without_pods_replicas_spread_as_the_scheduler_would_and_app_mesh_sidecars_follow_virtual_nodes()
{
    let i = import(vec![fixture(APPMESH)]);
    let t = topology(&i);
    for zone in ["us-west-2a", "us-west-2b", "us-west-2c"] {
        assert_eq!(
            placed(&t, &format!("frontend-{zone}")),
            (zone.to_string(), 1)
        );
    }
    // No topologySpreadConstraints: one zone, the first.
    assert_eq!(placed(&t, "backend"), ("us-west-2a".to_string(), 2));
    assert_eq!(
        workload(&t, "frontend-us-west-2b").sidecar,
        Sidecar::AppMesh {
            mesh: "shop".into(),
            virtual_node: "frontend".into(),
            concurrency: 2
        }
    );
    assert_eq!(
        workload(&t, "ingress-gw").sidecar,
        Sidecar::AppMeshGateway {
            mesh: "shop".into(),
            virtual_gateway: "ingress-gw".into(),
            concurrency: 2
        }
    );
    // The pod annotation turns the namespace's injection off.
    assert_eq!(workload(&t, "report-job-runner").sidecar, Sidecar::None);
    // A named target port resolves through the container's ports.
    assert_eq!(
        t.service("frontend", "shop").unwrap().ports[0].target_port,
        8080
    );
    // The virtual gateway has no GatewayRoute to load it by: the Services are loaded from
    // inside.
    let sc = file(&i, "scenario.yaml");
    assert!(
        sc.contains(
            "not loaded: Service shop/ingress-gw: an App Mesh virtual gateway with no GatewayRoute"
        ),
        "{sc}"
    );
    assert!(sc.contains("url: \"http://frontend.shop:8080/\""), "{sc}");
    // App Mesh's routing objects are read by the twin now.
    assert!(
        !i.warnings
            .iter()
            .any(|w| w.contains("not modelled by the twin")),
        "{:?}",
        i.warnings
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let a = import(vec![fixture(BOOKINFO), fixture(APPMESH)]);
    let b = import(vec![fixture(BOOKINFO), fixture(APPMESH)]);
    assert_eq!(a.files, b.files);
    assert_eq!(a.warnings, b.warnings);
}

#[test]
fn clusters_are_file_sets_and_names_stay_unique() {
    let west = InputFile {
        name: "west.yaml".into(),
        text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: bookinfo, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: w1\n  labels: {topology.kubernetes.io/region: us-east-1, topology.kubernetes.io/zone: us-east-1c}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews-v1, namespace: bookinfo}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: reviews, version: v1}}\n  template:\n    metadata: {labels: {app: reviews, version: v1}}\n    spec:\n      containers: [{name: reviews, ports: [{containerPort: 9080}]}]\n".into(),
    };
    let sets = vec![
        ClusterInput {
            cluster: "east".into(),
            files: vec![fixture(BOOKINFO)],
        },
        ClusterInput {
            cluster: "west".into(),
            files: vec![west],
        },
    ];
    let i = import_kubernetes(&sets, "mesh", "out").unwrap_or_else(|e| panic!("{e}"));
    let t = topology(&i);
    let east = workload(&t, "reviews-v1-east");
    let west = workload(&t, "reviews-v1-west");
    assert_eq!(
        (east.cluster.as_str(), east.locality.zone.as_str()),
        ("east", "eu-west-1a")
    );
    assert_eq!(
        (
            west.cluster.as_str(),
            west.locality.region.as_str(),
            west.replicas
        ),
        ("west", "us-east-1", 2)
    );
    assert_eq!(west.sidecar, Sidecar::Istio { concurrency: 2 });
    // One `reviews` Service selects the pods of both clusters.
    assert_eq!(t.services.iter().filter(|s| s.name == "reviews").count(), 1);
}

#[test]
fn kubectl_json_output_is_read() {
    let json = InputFile {
        name: "dump.json".into(),
        text: r#"{
  "apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "web", "namespace": "default", "resourceVersion": "7"},
     "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "web", "ports": [{"containerPort": 8080}]}]}}}},
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "web", "namespace": "default"},
     "spec": {"type": "NodePort", "selector": {"app": "web"},
              "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}]}}
  ]
}"#
        .into(),
    };
    let i = import(vec![json]);
    let t = topology(&i);
    assert_eq!(placed(&t, "web"), ("zone-1".to_string(), 3));
    assert!(file(&i, "scenario.yaml").contains("url: \"http://web.default:80/\""));
    assert!(
        i.warnings
            .iter()
            .any(|w| w.contains("Namespace default is not in the input")),
        "{:?}",
        i.warnings
    );
}

fn error_of(name: &str, text: &str) -> String {
    let input = InputFile {
        name: name.into(),
        text: text.into(),
    };
    match import_kubernetes(&one_cluster(vec![input]), "mesh", "out") {
        Ok(_) => panic!("{name} was imported"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_field_of_the_wrong_type_is_an_error_at_its_line() {
    let text =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n";
    assert_eq!(
        error_of("bad.yaml", text),
        "bad.yaml:6: Deployment web: spec.replicas: expected an integer, found \"three\""
    );
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n    - port: 80\n      targetPort: [1]\n";
    assert_eq!(
        error_of("svc.yaml", text),
        "svc.yaml:7: Service web: spec.ports[0].targetPort: expected a port number or a port name, found a list"
    );
}

#[test]
fn documents_that_are_not_objects_are_errors() {
    assert_eq!(
        error_of("x.yaml", "- a\n- b\n"),
        "x.yaml:1: expected a Kubernetes object (apiVersion, kind, metadata), found a list"
    );
    assert_eq!(
        error_of("x.yaml", "apiVersion: v1\nmetadata: {name: a}\n"),
        "x.yaml:1: missing field `kind` (expected a Kubernetes object)"
    );
    assert!(error_of("x.yaml", "a: [1\n").starts_with("x.yaml:"));
    assert!(error_of(
        "x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    )
    .contains("nothing to import"));
}

#[test]
fn a_mesh_resource_naming_a_missing_service_is_an_error_in_the_input() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}}\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: db}\nspec:\n  host: db\n";
    let e = error_of("dr.yaml", text);
    assert!(
        e.starts_with("dr.yaml:12: DestinationRule db: spec.host: "),
        "{e}"
    );
    assert!(e.contains("add the missing objects to the input"), "{e}");
}

#[test]
fn a_gateway_route_for_a_named_host_is_entered_by_that_name() {
    let mut dump = fixture(BOOKINFO);
    let at = dump
        .text
        .find("resourceVersion: \"4021\"")
        .expect("the bookinfo VirtualService");
    let star = at + dump.text[at..].find("- '*'").expect("its hosts");
    dump.text
        .replace_range(star..star + 5, "- bookinfo.example.com");
    let i = import(vec![dump]);
    let t = topology(&i);
    assert_eq!(
        workload(&t, "istio-ingressgateway").dns,
        ["bookinfo.example.com"]
    );
    assert!(
        file(&i, "scenario.yaml").contains("url: \"http://bookinfo.example.com/productpage\""),
        "{}",
        file(&i, "scenario.yaml")
    );
}

#[test]
fn an_app_mesh_gateway_with_routes_is_an_entry_point_and_its_namespace_is_written() {
    let mut input = fixture(APPMESH);
    input.text.push_str(
        "---\napiVersion: appmesh.k8s.aws/v1beta2\nkind: GatewayRoute\n\
         metadata: {name: to-backend, namespace: shop}\n\
         spec:\n  httpRoute:\n    match: {prefix: /backend}\n    \
         action: {target: {virtualService: {virtualServiceRef: {name: backend}}}}\n",
    );
    let i = import(vec![input]);
    // The gateway's namespaceSelector matches the namespace's labels: the Namespace object
    // goes with the routes, so the run knows them.
    let policies = file(&i, "policies/shop.yaml");
    assert!(
        policies.contains("kind: Namespace\nmetadata:\n  name: shop\n  labels:\n")
            && policies.contains("    \"mesh\": \"shop\"\n"),
        "{policies}"
    );
    let sc = file(&i, "scenario.yaml");
    assert!(
        sc.contains("# App Mesh GatewayRoute to-backend through LoadBalancer Service shop/ingress-gw port 80")
            && sc.contains("url: \"http://ingress-gw.shop:80/backend\""),
        "{sc}"
    );
}
