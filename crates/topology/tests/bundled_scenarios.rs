//! Every bundled scenario loads, and so do its topology and policies, and the policies fit
//! the topology — what `meshtwin run` needs before it starts.

use std::path::{Path, PathBuf};

use meshtwin_config::{load_policies, load_scenario, validate_against};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::Metric;
use meshtwin_topology::load_topology;

fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("../../scenarios")
        .expect("scenarios/")
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bundled_scenario_loads_with_its_topology_and_policies() {
    let files = scenario_files();
    assert!(
        files.len() >= 3,
        "expected the bundled scenarios, found {files:?}"
    );
    for file in files {
        let scenario = load_scenario(&file).unwrap_or_else(|e| panic!("{e}")).value;
        let topo = load_topology(Path::new(&scenario.topology))
            .unwrap_or_else(|e| panic!("{e}"))
            .value;
        let mut policies = MeshPolicies::default();
        for p in &scenario.policies {
            policies.extend(
                load_policies(Path::new(p))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .value,
            );
        }
        validate_against(&policies, &topo).unwrap_or_else(|e| panic!("{e}"));

        let pods = topo.pods();
        let is_pod = |name: &str| pods.iter().any(|p| p.name == name);
        for load in &scenario.loads {
            assert!(
                is_pod(&load.from) || topo.workloads.iter().any(|w| w.name == load.from),
                "{}: load {} runs from {}, which is no pod or workload",
                file.display(),
                load.name,
                load.from
            );
        }
        for e in &scenario.expectations {
            if let Metric::Counter { proxy, .. } | Metric::GaugeMax { proxy, .. } = &e.metric {
                assert!(
                    is_pod(proxy),
                    "{}: {}: no pod {proxy}",
                    file.display(),
                    e.name
                );
            }
        }
    }
}

#[test]
fn the_istio_circuit_breaking_scenario_reads_as_written() {
    let s = load_scenario(Path::new("../../scenarios/istio-circuit-breaking.yaml"))
        .unwrap()
        .value;
    assert_eq!(s.topology, "../../topologies/httpbin.yaml");
    assert_eq!(
        s.policies,
        ["../../policies/istio/httpbin-circuit-breaking.yaml"]
    );
    assert_eq!((s.seed, s.duration.as_secs()), (1, 20));
    let c3 = &s.loads[1];
    assert_eq!(
        (
            c3.name.as_str(),
            c3.from.as_str(),
            c3.start.as_secs(),
            c3.connections,
            c3.qps,
            c3.calls
        ),
        ("c3", "fortio", 10, 3, 0.0, Some(30))
    );
    assert_eq!((c3.method.as_str(), c3.timeout.as_secs()), ("GET", 3));
    assert_eq!(s.expectations.len(), 8);
    assert_eq!(
        s.expectations[1].metric,
        Metric::CodeFraction {
            load: "c3".into(),
            code: 503
        }
    );
    assert_eq!(
        (s.expectations[1].min, s.expectations[1].max),
        (Some(0.30), Some(0.75))
    );
}
