//! A mesh release becomes behaviour in one place: both sides of every version boundary.

use meshtwin_model::release::{envoy_switches, IstioRelease, MeshRelease, Version, ISTIO_NEWEST};
use meshtwin_model::topology::{
    EjectionTimeRule, EnvoyOverrides, EnvoySettings, ListenerBalance, MaxEjectionRule, Sidecar,
};
use meshtwin_model::traffic::IstioCompat;

fn v(minor: u32) -> Version {
    Version::new(1, minor)
}

fn istio(minor: u32) -> IstioCompat {
    IstioRelease::new(v(minor)).switches().istio
}

#[test]
fn versions_parse_as_major_minor_and_order_numerically() {
    assert_eq!(Version::parse("1.22"), Some(v(22)));
    assert_eq!(Version::parse("1.22.7"), Some(v(22)));
    for bad in ["1", "1.", "1.x", "v1.22", "1.22.3.4", "", "1..2", "1.2a"] {
        assert_eq!(Version::parse(bad), None, "{bad:?}");
    }
    assert!(v(9) < v(10) && v(23) < v(24));
    assert_eq!(v(23).to_string(), "1.23");
}

/// Whether a release's switches still have some old behaviour.
type OldBehaviour = fn(&IstioCompat) -> bool;

#[test]
fn each_istio_switch_flips_at_its_release() {
    // (switch, last release with the old behaviour)
    let cases: [(&str, OldBehaviour, u32); 8] = [
        ("legacy weights", |c| c.legacy_weight_validation, 14),
        ("503 in the default retry", |c| c.default_retry_on_503, 23),
        (
            "resource-exhausted retried",
            |c| c.default_retry_on_resource_exhausted,
            5,
        ),
        ("-shadow suffix", |c| c.shadow_host_suffix, 27),
        (
            "legacy consecutiveErrors",
            |c| c.legacy_consecutive_errors,
            6,
        ),
        (
            "no split consecutive fields",
            |c| !c.split_consecutive_errors,
            4,
        ),
        ("success rate enforced", |c| c.success_rate_enforced, 6),
        ("legacy panic threshold", |c| c.legacy_panic_threshold, 2),
    ];
    for (name, old, last) in cases {
        assert!(old(&istio(last)), "{name}: 1.{last} has the old behaviour");
        assert!(
            !old(&istio(last + 1)),
            "{name}: 1.{} has the new one",
            last + 1
        );
    }
    assert_eq!(istio(1).default_retry_host_selection_attempts, 3);
    assert_eq!(istio(2).default_retry_host_selection_attempts, 5);
}

#[test]
fn the_current_release_is_the_newest_and_behaves_as_the_defaults() {
    let current = MeshRelease::default();
    assert_eq!(current.istio_release().version, ISTIO_NEWEST);
    assert_eq!(current.istio_compat(), IstioCompat::default());
    let sidecar = Sidecar::Istio { concurrency: 2 };
    assert_eq!(current.envoy_for(&sidecar), EnvoySettings::default());
    assert_eq!(current.describe(), "Istio 1.30 (Envoy 1.38) (current)");
}

#[test]
fn istio_ships_envoy_minor_plus_eight() {
    assert_eq!(IstioRelease::new(v(23)).envoy(), v(31));
    assert_eq!(IstioRelease::new(v(19)).envoy(), v(27));
    assert_eq!(
        MeshRelease::istio(v(23)).describe(),
        "Istio 1.23 (Envoy 1.31)"
    );
    assert_eq!(
        MeshRelease::istio(v(5)).describe(),
        "Istio 1.5 (Envoy ≤ 1.16)"
    );
}

#[test]
fn each_envoy_switch_flips_at_its_release() {
    let e = |minor| envoy_switches(v(minor));
    assert_eq!(e(19).listener_balance, ListenerBalance::SharedSocket);
    assert_eq!(e(20).listener_balance, ListenerBalance::ReusePort);
    assert_eq!(e(26).max_ejection, MaxEjectionRule::AtLeastOne);
    assert_eq!(e(27).max_ejection, MaxEjectionRule::FirstHostExempt);
    assert_eq!(e(28).max_ejection, MaxEjectionRule::Current);
    assert_eq!(e(16).ejection_time, EjectionTimeRule::Linear);
    assert_eq!(e(17).ejection_time, EjectionTimeRule::BackoffSweepDecay);
    assert_eq!(e(27).ejection_time, EjectionTimeRule::BackoffSweepDecay);
    assert_eq!(e(28).ejection_time, EjectionTimeRule::Backoff);
}

#[test]
fn istio_sidecars_follow_istio_and_app_mesh_proxies_their_image() {
    let release = MeshRelease {
        app_mesh_envoy: Some(v(26)),
        ..MeshRelease::istio(v(19))
    };
    let istio = release.envoy_for(&Sidecar::Istio { concurrency: 2 });
    assert_eq!(
        istio.max_ejection,
        MaxEjectionRule::FirstHostExempt,
        "Envoy 1.27"
    );
    let gateway = release.envoy_for(&Sidecar::IstioGateway { concurrency: 2 });
    assert_eq!(gateway, istio);
    let app_mesh = release.envoy_for(&Sidecar::AppMesh {
        mesh: "m".into(),
        virtual_node: "green".into(),
        concurrency: 2,
    });
    assert_eq!(
        app_mesh.max_ejection,
        MaxEjectionRule::AtLeastOne,
        "Envoy 1.26"
    );
}

#[test]
fn a_scenario_release_wins_part_by_part_and_explicit_envoy_switches_win_over_it() {
    let topology = MeshRelease {
        app_mesh_envoy: Some(v(26)),
        ..MeshRelease::istio(v(15))
    };
    let scenario = MeshRelease::istio(v(24));
    let both = scenario.over(&topology);
    assert_eq!(both.istio_release().version, v(24));
    assert_eq!(both.app_mesh_envoy, Some(v(26)));
    let explicit = EnvoyOverrides {
        max_ejection: Some(MaxEjectionRule::AtLeastOne),
        ..EnvoyOverrides::default()
    };
    let settings = explicit.apply(both.envoy_for(&Sidecar::Istio { concurrency: 2 }));
    assert_eq!(settings.max_ejection, MaxEjectionRule::AtLeastOne);
    assert_eq!(
        settings.ejection_time,
        EjectionTimeRule::Backoff,
        "Envoy 1.32's"
    );
}
