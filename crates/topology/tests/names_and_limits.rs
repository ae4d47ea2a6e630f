//! Topology names are checked as Kubernetes checks the objects they stand for, and the
//! number of pods is limited: a megabyte-long cluster name or a million pods is a quick,
//! located error, not a run that takes minutes and gigabytes.

use meshtwin_topology::parse_topology;

fn topology(region: &str, zone: &str, cluster: &str, workload: &str, extra: &str) -> String {
    format!(
        "name: t\nregions:\n  - name: {region}\n    zones:\n      - name: {zone}\n        \
         clusters:\n          - name: {cluster}\n            workloads:\n              - name: \
         {workload}\n{extra}"
    )
}

fn message(text: &str) -> String {
    match parse_topology("topologies/x.yaml", text) {
        Ok(t) => panic!("expected an error, got {:?}", t.value),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_megabyte_long_cluster_name_is_a_short_located_error() {
    let e = message(&topology("r", "z", &"c".repeat(1_000_000), "w", ""));
    assert!(e.len() < 300, "{} bytes", e.len());
    assert!(
        e.starts_with(
            "topologies/x.yaml:7: regions[0].zones[0].clusters[0].name: invalid name \"ccc"
        ),
        "{e}"
    );
    assert!(
        e.ends_with("… (1000000 bytes)\": must be no more than 63 characters"),
        "{e}"
    );
}

#[test]
fn regions_zones_and_clusters_are_kubernetes_label_values() {
    // They are the values of node labels (`topology.kubernetes.io/region`, ...).
    assert!(
        message(&topology("us/west", "z", "c", "w", "")).starts_with(
            "topologies/x.yaml:3: regions[0].name: invalid name \"us/west\": a valid label must \
         consist of alphanumeric characters, '-', '_' or '.'"
        )
    );
    assert!(message(&topology("r", "-z", "c", "w", ""))
        .starts_with("topologies/x.yaml:5: regions[0].zones[0].name: invalid name \"-z\""));
    let ok = parse_topology(
        "t.yaml",
        &topology("us-west-2", "Zone_A.1", "eks-1", "w", ""),
    );
    assert_eq!(ok.unwrap().value.workloads[0].locality.zone, "Zone_A.1");
}

const W: &str = "                ";

#[test]
fn a_workload_name_is_a_dns_1123_subdomain_and_so_are_its_pod_names() {
    assert!(
        message(&topology("r", "z", "c", "Reviews_V1", "")).starts_with(
            "topologies/x.yaml:9: regions[0].zones[0].clusters[0].workloads[0].name: invalid name \
         \"Reviews_V1\": a lowercase RFC 1123 subdomain"
        )
    );
    // `<workload>-<i>`: 252 characters and `-9` make a pod name of 254.
    let long = "w".repeat(252);
    let e = message(&topology(
        "r",
        "z",
        "c",
        &long,
        &format!("{W}replicas: 10\n"),
    ));
    assert!(
        e.starts_with("topologies/x.yaml:9: regions[0].zones[0].clusters[0].workloads[0].name: ")
            && e.ends_with("its last pod's name, \"wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww… (254 bytes)\", would be more than 253 characters"),
        "{e}"
    );
}

#[test]
fn namespaces_are_labels_and_services_dns_1035_labels() {
    assert!(message(&topology("r", "z", "c", "w", &format!("{W}namespace: Prod\n")))
        .starts_with("topologies/x.yaml:10: regions[0].zones[0].clusters[0].workloads[0].namespace: invalid name \"Prod\": a lowercase RFC 1123 label"));
    let services = "services:\n  - {name: 9lives, ports: [{port: 80}]}\n";
    assert!(message(&topology("r", "z", "c", "w", services)).starts_with(
        "topologies/x.yaml:11: services[0].name: invalid name \"9lives\": a DNS-1035 label must \
         consist of lower case alphanumeric characters or '-', start with an alphabetic character"
    ));
}

#[test]
fn the_topology_name_is_a_dns_1123_subdomain() {
    let text = topology("r", "z", "c", "w", "").replace("name: t\n", "name: ../t\n");
    assert!(message(&text).starts_with("topologies/x.yaml:1: name: invalid name \"../t\""));
}

#[test]
fn the_pods_of_all_workloads_together_are_limited() {
    let two = format!("{W}replicas: 6000\n              - name: v\n{W}replicas: 6000\n");
    assert_eq!(
        message(&topology("r", "z", "c", "w", &two)),
        "topologies/x.yaml:12: regions[0].zones[0].clusters[0].workloads[1].replicas: the \
         topology would have 12000 pods, more than the limit of 10000"
    );
}
