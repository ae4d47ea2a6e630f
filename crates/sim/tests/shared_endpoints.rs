//! The control plane builds a service's endpoint list once per push: every pod of a workload
//! is given that one list, not a copy of it.

mod common;

use meshtwin_model::policy::MeshPolicies;

#[test]
fn every_pod_of_a_workload_is_given_one_endpoint_list_per_cluster() {
    let mut topo = common::httpbin_topology();
    for w in &mut topo.workloads {
        w.replicas = 3;
    }
    let configs = meshtwin_sim::proxy_configs(&topo, &MeshPolicies::default());
    let lists: Vec<_> = (configs.iter())
        .filter(|(pod, _)| pod.starts_with("fortio"))
        .map(|(_, cfg)| {
            let c = (cfg.clusters.iter())
                .find(|c| c.name == "outbound|8000||httpbin.default.svc.cluster.local")
                .expect("every fortio pod has httpbin's cluster");
            c.endpoints.clone()
        })
        .collect();
    assert_eq!(lists.len(), 3);
    assert_eq!(lists[0].len(), 3, "httpbin's three pods");
    assert!(lists.iter().all(|l| l.is_shared_with(&lists[0])));
}
