//! Bundled scenarios run through the simulator and explained: the two examples — the
//! Istio circuit-breaking task's 503s are a full pending queue citing `http1MaxPendingRequests`
//! where the policy file wrote it, and KubeSphere's ratings ejection is "no healthy upstream"
//! citing the outlier-detection settings.

mod common;

use common::{explain_context, run};
use meshtwin_model::origin::{DefaultBy, Provenance};
use meshtwin_report::explain::{explain_failures, explain_request, render_explanations};

#[test]
fn istio_circuit_breaking_503s_are_a_full_pending_queue_citing_http1_max_pending_requests() {
    let (inputs, result) = run("istio-circuit-breaking");
    let ctx = explain_context(&inputs);
    let all = explain_failures(&result.events, &ctx);
    assert_eq!(all.len(), 1, "{}", render_explanations(&all));
    let uo = &all[0];
    assert_eq!((uo.code, uo.flags.to_string().as_str()), (503, "UO"));
    let n503 = result
        .loads
        .iter()
        .map(|(_, _, o)| o.calls.with_status(503) as usize)
        .sum::<usize>();
    assert_eq!(uo.count, n503);
    assert!(
        uo.mechanism
            .starts_with("pending queue full (UO): fortio-0 refused the request locally"),
        "{}",
        uo.mechanism
    );
    assert_eq!(
        uo.settings[0].to_string(),
        "../../policies/istio/httpbin-circuit-breaking.yaml:18 \
         spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1"
    );
    let cited: Vec<&str> = uo.settings.iter().map(|o| o.field.as_str()).collect();
    assert_eq!(
        cited,
        [
            "http1MaxPendingRequests",
            "maxConnections",
            "maxRequestsPerConnection"
        ]
    );
    // Two loads, ten seconds apart: two windows.
    assert_eq!(uo.windows.len(), 2, "{:?}", uo.windows);
    assert_eq!(uo.loads.keys().collect::<Vec<_>>(), ["c2", "c3"]);
    let one = explain_request(&result.events, &ctx, &uo.example_request_id).unwrap();
    let d = one.diagnosis.unwrap();
    assert!(d.mechanism.starts_with("pending queue full (UO)"));
    assert_eq!(d.settings, uo.settings);
}

#[test]
fn kubesphere_ratings_ejection_is_no_healthy_upstream_citing_the_outlier_settings() {
    let (inputs, result) = run("kubesphere-ratings-ejection");
    let ctx = explain_context(&inputs);
    let all = explain_failures(&result.events, &ctx);
    let text = render_explanations(&all);
    let uh = all
        .iter()
        .find(|e| e.code == 503 && e.flags.to_string() == "UH")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        uh.mechanism.starts_with(
            "no healthy upstream (UH): ratings ejected by outlier detection \
             (consecutive5xxErrors 5, baseEjectionTime 180s)"
        ),
        "{}",
        uh.mechanism
    );
    assert_eq!(uh.hosts, ["ratings-v1-0"]);
    let file = "../../policies/istio/ratings-circuit-breaking.yaml";
    let c5xx = &uh.settings[0];
    assert_eq!(
        c5xx.provenance,
        Provenance::Default {
            by: DefaultBy::Envoy
        }
    );
    assert!(
        c5xx.note
            .as_deref()
            .is_some_and(|n| n.contains(&format!("consecutiveErrors: 5 at {file}:27"))),
        "{c5xx}"
    );
    assert_eq!(
        uh.settings[1].to_string(),
        format!("{file}:29 spec.trafficPolicy.outlierDetection.baseEjectionTime: 180s")
    );
    assert_eq!(
        uh.settings[2].location(),
        Some(format!("{file}:28")),
        "the 1 s interval"
    );
    // Ejected at ~12 s for 180 s: the rest of the `failing` load, then the `ejected` load
    // (which starts at 20 s) — two windows inside the ejection.
    assert_eq!(uh.windows.len(), 2, "{:?}", uh.windows);
    assert!(uh.windows[0].0 > 12_000.0 && uh.windows[0].1 < 15_000.0);
    assert!(uh.windows[1].0 >= 20_000.0 && uh.windows[1].1 < 193_000.0);
    println!("{text}");
    // The five 503s ratings itself answered before the ejection are the app's.
    let app = all
        .iter()
        .find(|e| e.code == 503 && e.flags.is_empty())
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        app.mechanism,
        "the upstream app answered 503 (ratings-v1-0)"
    );
    assert_eq!(app.timeline[0].detail, "errorRate 1, errorStatus 503");
}

#[test]
fn a_scaled_down_ingress_gateway_is_a_connect_failure_with_retries_exhausted_at_the_edge() {
    let (inputs, result) = run("tetrate-edge-automatic-scale-ingress");
    let ctx = explain_context(&inputs);
    let all = explain_failures(&result.events, &ctx);
    let text = render_explanations(&all);
    println!("{text}");
    let uf = all
        .iter()
        .find(|e| e.flags.to_string() == "UF,URX")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        uf.mechanism.starts_with(
            "upstream connection failure (UF): edgegw-0 could not connect to ingressgw-1-0"
        ),
        "{}",
        uf.mechanism
    );
    assert!(uf.mechanism.ends_with("then retries exhausted (URX)"));
    // TSB generates the edge gateway's clusters and routes: nothing written to cite.
    assert!(uf.settings.is_empty(), "{:?}", uf.settings);
    assert!(
        uf.note
            .as_deref()
            .is_some_and(|n| n.starts_with("edgegw-0 is a Tetrate Service Bridge gateway")),
        "{:?}",
        uf.note
    );
    assert_eq!(uf.timeline[0].action.as_str(), "scale");
}
