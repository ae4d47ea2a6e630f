//! `outlierDetection` as each Istio release lowers it: the legacy `consecutiveErrors`, the
//! split fields' arrival, success-rate enforcement and the panic threshold, on both sides of
//! each boundary (`applyOutlierDetection`, see `meshtwin_model::release`).

use meshtwin_config::policies::parse_policies_with;
use meshtwin_model::policy::OutlierDetection;
use meshtwin_model::release::{IstioRelease, Version};

const HEAD: &str = "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: ratings\nspec:\n  host: ratings\n  trafficPolicy:\n    outlierDetection:\n";

fn lowered(minor: u32, block: &str) -> Result<OutlierDetection, String> {
    let compat = IstioRelease::new(Version::new(1, minor)).switches().istio;
    parse_policies_with("dr.yaml", &format!("{HEAD}{block}"), &compat)
        .map(|p| {
            p.value.destination_rules[0]
                .traffic_policy
                .outlier_detection
                .clone()
                .unwrap()
        })
        .map_err(|e| e.to_string())
}

/// (consecutive 5xx, enforced %, consecutive gateway, enforced %).
fn consecutive(od: &OutlierDetection) -> (Option<u32>, u32, Option<u32>, u32) {
    (
        od.consecutive_5xx,
        od.enforcing_consecutive_5xx,
        od.consecutive_gateway_failure,
        od.enforcing_consecutive_gateway_failure,
    )
}

#[test]
fn consecutive_errors_meant_gateway_errors_up_to_1_6_and_nothing_from_1_7() {
    let block = "      consecutiveErrors: 1\n";
    assert_eq!(
        consecutive(&lowered(6, block).unwrap()),
        (Some(5), 0, Some(1), 100),
        "1.6: one 502/503/504 ejects, 5xx ejection off"
    );
    assert_eq!(
        consecutive(&lowered(7, block).unwrap()),
        (Some(5), 100, Some(5), 0),
        "1.7: ignored, Envoy's 5 consecutive 5xx"
    );
}

#[test]
fn in_1_5_and_1_6_the_split_fields_override_consecutive_errors() {
    let block = "      consecutiveErrors: 1\n      consecutive5xxErrors: 3\n";
    assert_eq!(
        consecutive(&lowered(5, block).unwrap()),
        (Some(3), 100, Some(1), 100)
    );
}

#[test]
fn the_split_fields_do_not_exist_before_1_5() {
    assert_eq!(
        lowered(4, "      consecutive5xxErrors: 3\n").unwrap_err(),
        "dr.yaml:9: DestinationRule ratings: spec.trafficPolicy.outlierDetection.consecutive5xxErrors: \
         consecutive5xxErrors does not exist before Istio 1.5 (the release modelled): use \
         consecutiveErrors, or model Istio 1.5 or newer (mesh.istio)"
    );
    assert_eq!(
        consecutive(&lowered(5, "      consecutive5xxErrors: 3\n").unwrap()),
        (Some(3), 100, Some(5), 0)
    );
}

#[test]
fn success_rate_ejection_is_enforced_up_to_1_6() {
    let block = "      interval: 1s\n";
    assert_eq!(lowered(6, block).unwrap().enforcing_success_rate, 100);
    assert_eq!(lowered(7, block).unwrap().enforcing_success_rate, 0);
}

#[test]
fn panic_mode_stays_at_envoys_50_percent_up_to_1_2_unless_min_health_percent_is_set() {
    let block = "      interval: 1s\n";
    assert_eq!(lowered(2, block).unwrap().healthy_panic_threshold, None);
    assert_eq!(lowered(3, block).unwrap().healthy_panic_threshold, Some(0));
    let set = "      minHealthPercent: 20\n";
    assert_eq!(lowered(2, set).unwrap().healthy_panic_threshold, Some(20));
}
