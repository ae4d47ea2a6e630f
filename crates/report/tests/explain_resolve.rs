//! The explainer's cluster → policy resolution agrees with the twin's control plane: for every
//! bundled scenario, every cluster of every proxy resolves to the pool, outlier detection and
//! health check the control plane gave it (TSB-generated clusters excepted, which resolve to
//! nothing).

mod common;

use meshtwin_report::explain::resolve::cluster_policy;

fn bundled() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("../../scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_cluster_resolves_to_what_the_control_plane_built() {
    let mut checked = 0;
    for name in bundled() {
        let inputs = common::load(&name);
        let tsb = !inputs.policies.tsb_gateways.is_empty();
        for (pod, config) in meshtwin_sim::proxy_configs(&inputs.topology, &inputs.policies) {
            for c in &config.clusters {
                let resolved = cluster_policy(&inputs.topology, &inputs.policies, &pod, &c.name);
                let Some(r) = resolved else {
                    assert!(tsb, "{name}: {pod} {} does not resolve", c.name);
                    continue;
                };
                let at = format!("{name}: {pod} {}", c.name);
                assert_eq!(r.pool.thresholds, c.pool.thresholds, "{at}");
                assert_eq!(
                    r.pool.max_requests_per_connection, c.pool.max_requests_per_connection,
                    "{at}"
                );
                assert_eq!(r.outlier_detection, c.outlier_detection, "{at}");
                assert_eq!(r.health_check, c.health_check, "{at}");
                let limit = meshtwin_model::origin::Setting::MaxPendingRequests;
                let origin = r.origins.get(limit).unwrap_or_else(|| panic!("{at}"));
                assert_eq!(
                    origin.value.split(' ').next(),
                    Some(c.pool.thresholds.max_pending_requests.to_string().as_str()),
                    "{at}: the cited value is the built one"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} clusters checked");
}
