//! The service graph of bundled scenarios, run through the simulator: its structure, and an
//! SVG that a real XML parser reads.

mod common;

use meshtwin_report::graph::{places, render_svg, service_graph, NodeKind};

#[test]
fn bookinfo_request_routing_sends_every_page_to_reviews_v1_and_nothing_to_ratings() {
    let (inputs, result) = common::run("istio-request-routing");
    let g = service_graph(&result.events, &places(&inputs.topology));
    let mut edges: Vec<(String, String, u64)> = g
        .edges()
        .into_iter()
        .map(|(a, b, e)| (a.to_string(), b.to_string(), e.requests))
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        [
            ("browser".to_string(), "productpage-v1".to_string(), 20),
            ("productpage-v1".into(), "details-v1".into(), 20),
            ("productpage-v1".into(), "reviews-v1".into(), 20),
        ]
    );
    for (_, _, e) in g.edges() {
        assert_eq!(e.errors, 0);
        assert!(e.p99_ms().is_some_and(|p| p > 0.0));
        assert!(!e.ejected() && e.failover_requests == 0);
    }
    let productpage = &g.graph[g.node("productpage-v1").unwrap()];
    assert_eq!(productpage.kind, NodeKind::Workload);
    assert_eq!(productpage.group.label(), "region-1 / zone-1 / cluster-1");
    assert_eq!(g.unattributed, 0);
}

#[test]
fn the_svg_is_well_formed_xml_with_a_box_per_node_and_a_path_per_edge() {
    let (inputs, result) = common::run("istio-request-routing");
    let g = service_graph(&result.events, &places(&inputs.topology));
    let svg = render_svg(&g, "istio-request-routing · seed 1 <&>");
    assert_eq!(svg, render_svg(&g, "istio-request-routing · seed 1 <&>"));
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let title = root
        .children()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text());
    assert_eq!(title, Some("istio-request-routing · seed 1 <&>"));
    let node_titles: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("g"))
        .filter_map(|g| g.children().find(|c| c.has_tag_name("title"))?.text())
        .collect();
    assert_eq!(
        node_titles,
        ["browser", "details-v1", "productpage-v1", "reviews-v1"]
    );
    let edge_titles: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("path"))
        .filter_map(|p| p.children().find(|c| c.has_tag_name("title"))?.text())
        .collect();
    assert_eq!(
        edge_titles,
        [
            "browser → productpage-v1",
            "productpage-v1 → details-v1",
            "productpage-v1 → reviews-v1"
        ]
    );
    // Nothing the page would have to fetch or run.
    assert!(!svg.contains("<script") && !svg.contains("href") && !svg.contains("@import"));
}

#[test]
fn the_ratings_ejection_marks_the_reviews_to_ratings_edge_and_its_errors() {
    let (inputs, result) = common::run("kubesphere-ratings-ejection");
    let g = service_graph(&result.events, &places(&inputs.topology));
    let e = g
        .edge("reviews-v2", "ratings-v1")
        .expect("reviews-v2 → ratings-v1");
    assert!(e.ejected_hosts.contains("ratings-v1-0"));
    // 26 answered calls; 5 errors from ratings itself, 335 refused while it was ejected.
    assert_eq!(e.requests, 366);
    assert_eq!(e.errors, 340);
    let svg = render_svg(&g, "kubesphere-ratings-ejection · seed 1");
    roxmltree::Document::parse(&svg).expect("well-formed");
    assert!(svg.contains("ejected: ratings-v1-0"));
    assert!(svg.contains(r#"stroke-dasharray="7 4""#));
}
