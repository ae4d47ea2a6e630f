//! Plots are checked by their data and by the files' bytes, not by their pixels.

use super::*;
use crate::timeseries::Series;
use std::path::PathBuf;

/// A fresh directory under the system temp dir, unique per process and test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("meshtwin-report-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run() -> RunLabel {
    RunLabel {
        scenario: "istio-circuit-breaking".into(),
        seed: 7,
    }
}

fn series(name: &str, points: &[(f64, f64)]) -> Series {
    Series {
        name: name.to_string(),
        points: points.to_vec(),
    }
}

fn pool_like_panels() -> Vec<Panel> {
    let cluster = "outbound|8000||httpbin.default.svc.cluster.local";
    vec![
        Panel {
            title: "upstream connections (active)".into(),
            y_label: "connections".into(),
            series: vec![
                series(
                    &format!("fortio-0 -> {cluster}"),
                    &[
                        (0.0, 0.0),
                        (120.0, 1.0),
                        (900.0, 2.0),
                        (2400.0, 1.0),
                        (3000.0, 1.0),
                    ],
                ),
                series(
                    "fortio-0 -> outbound|9080||reviews.default.svc.cluster.local",
                    &[(0.0, 0.0), (500.0, 1.0), (3000.0, 1.0)],
                ),
            ],
            step: true,
            y_axis: YAxis::Count,
        },
        Panel {
            title: "pending requests".into(),
            y_label: "requests".into(),
            series: vec![series(
                &format!("fortio-0 -> {cluster}"),
                &[(0.0, 0.0), (130.0, 1.0), (1700.0, 0.0), (3000.0, 0.0)],
            )],
            step: true,
            y_axis: YAxis::Count,
        },
        Panel {
            title: "overflows per second".into(),
            y_label: "requests / s".into(),
            series: vec![series(
                &format!("fortio-0 -> {cluster}"),
                &[(0.0, 12.0), (1000.0, 31.0), (2000.0, 4.0)],
            )],
            step: true,
            y_axis: YAxis::Auto,
        },
    ]
}

fn render(dir: &TempDir, stem: &str, panels: &[Panel]) -> (Vec<u8>, Vec<u8>) {
    let svg = dir.0.join(format!("{stem}.svg"));
    let png = dir.0.join(format!("{stem}.png"));
    plot_panels(
        "pool behaviour: httpbin circuit breaker",
        &run(),
        "virtual time (s)",
        panels,
        &svg,
        &png,
    )
    .unwrap();
    (std::fs::read(svg).unwrap(), std::fs::read(png).unwrap())
}

#[test]
fn the_same_panels_render_to_identical_svg_bytes() {
    let dir = TempDir::new("svg-determinism");
    let (svg_a, _) = render(&dir, "a", &pool_like_panels());
    let (svg_b, _) = render(&dir, "b", &pool_like_panels());
    assert!(!svg_a.is_empty());
    assert!(svg_a == svg_b, "two renders of the same panels differ");
    let svg = String::from_utf8(svg_a).unwrap();
    assert!(svg.contains("pool behaviour: httpbin circuit breaker"));
    assert!(svg.contains("overflows per second"));
    assert!(svg.contains("virtual time (s)"));
}

#[test]
fn the_png_has_the_documented_size() {
    let dir = TempDir::new("png-size");
    let panels = pool_like_panels();
    let (_, png) = render(&dir, "pool", &panels);
    assert!(png.len() > 1000, "PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    let expected = image_size(&panels, &[]);
    assert_eq!((be(&png[16..20]), be(&png[20..24])), expected);
    // One legend row per panel (the two series of the first fit in one).
    assert_eq!(expected, (1200, 72 + 3 * 300 + 3 * 20));
}

#[test]
fn png_renders_are_identical_too() {
    let dir = TempDir::new("png-determinism");
    let (_, a) = render(&dir, "a", &pool_like_panels());
    let (_, b) = render(&dir, "b", &pool_like_panels());
    assert!(a == b, "two PNG renders of the same panels differ");
}

#[test]
fn empty_and_degenerate_panels_still_render() {
    let dir = TempDir::new("degenerate");
    let panels = vec![
        Panel {
            title: "nothing".into(),
            y_label: "n".into(),
            series: vec![],
            step: false,
            y_axis: YAxis::Auto,
        },
        Panel {
            title: "one point and a NaN".into(),
            y_label: "n".into(),
            series: vec![series("s", &[(0.0, 3.0), (10.0, f64::NAN)])],
            step: true,
            y_axis: YAxis::Count,
        },
    ];
    render(&dir, "degenerate", &panels);
    render(&dir, "none", &[]);
}

#[test]
fn plot_data_json_lists_every_point_per_series() {
    let panels = pool_like_panels();
    let json = plot_data_json(&panels[1..]);
    assert_eq!(
        json,
        json!({"panels": [
            {
                "title": "pending requests",
                "y_label": "requests",
                "y_axis": "count",
                "step": true,
                "series": [{
                    "name": "fortio-0 -> outbound|8000||httpbin.default.svc.cluster.local",
                    "points": [[0.0, 0.0], [130.0, 1.0], [1700.0, 0.0], [3000.0, 0.0]],
                }],
            },
            {
                "title": "overflows per second",
                "y_label": "requests / s",
                "y_axis": "auto",
                "step": true,
                "series": [{
                    "name": "fortio-0 -> outbound|8000||httpbin.default.svc.cluster.local",
                    "points": [[0.0, 12.0], [1000.0, 31.0], [2000.0, 4.0]],
                }],
            },
        ]})
    );
}

fn markers() -> Vec<Marker> {
    vec![
        Marker {
            t_ms: 1_000.0,
            kind: MarkerKind::Fault,
            label: "port httpbin-0 → 81".into(),
        },
        Marker {
            t_ms: 1_200.0,
            kind: MarkerKind::Ejection,
            label: "httpbin-0".into(),
        },
    ]
}

#[test]
fn markers_render_deterministically_with_their_legend_and_fault_labels() {
    let dir = TempDir::new("markers");
    let mut files = Vec::new();
    for stem in ["a", "b"] {
        let (svg, png) = (
            dir.0.join(format!("{stem}.svg")),
            dir.0.join(format!("{stem}.png")),
        );
        plot_panels_marked(
            "failover",
            &run(),
            "virtual time (s)",
            &pool_like_panels(),
            &markers(),
            &svg,
            &png,
        )
        .unwrap();
        files.push((std::fs::read(svg).unwrap(), std::fs::read(png).unwrap()));
    }
    assert!(files[0] == files[1], "two renders with markers differ");
    let svg = String::from_utf8(files[0].0.clone()).unwrap();
    assert!(svg.contains("port httpbin-0 → 81"));
    assert!(
        svg.contains("\nejection\n") && svg.contains("\nfault\n"),
        "legend entries"
    );
}

#[test]
fn marker_data_lists_each_marker_after_the_panels() {
    let json = plot_data_json_marked(&[], &markers());
    assert_eq!(
        json,
        json!({
            "panels": [],
            "markers": [
                {"t_ms": 1000.0, "kind": "fault", "label": "port httpbin-0 → 81"},
                {"t_ms": 1200.0, "kind": "ejection", "label": "httpbin-0"},
            ],
        })
    );
}

fn lanes_fixture() -> Vec<crate::ejections::Lane> {
    use meshtwin_model::event::{EventKind, TraceEvent};
    let ev = |t_ms: f64, host: &str, action: &str| TraceEvent {
        t_ms,
        kind: EventKind::Outlier {
            proxy: "fortio-0".into(),
            cluster: "outbound|8000||httpbin.default.svc.cluster.local".into(),
            host: host.into(),
            action: action.parse().unwrap(),
            reason: meshtwin_model::event::OutlierReason::Consecutive5xx,
            ejection_ms: None,
        },
    };
    let events = [
        ev(500.0, "httpbin-bad-0", "ejected"),
        ev(2_500.0, "httpbin-bad-0", "unejected"),
        ev(3_000.0, "httpbin-bad-0", "ejected"),
        ev(3_500.0, "httpbin-worse-0", "ejected"),
    ];
    crate::ejections::lanes(&crate::ejections::ejections(&events))
}

#[test]
fn the_ejections_chart_is_deterministic_and_sized_by_its_lanes() {
    let dir = TempDir::new("lanes");
    let lanes = lanes_fixture();
    let mut files = Vec::new();
    for stem in ["a", "b"] {
        let (svg, png) = (
            dir.0.join(format!("{stem}.svg")),
            dir.0.join(format!("{stem}.png")),
        );
        plot_lanes("Ejections", &run(), &lanes, 5_000.0, &svg, &png).unwrap();
        files.push((std::fs::read(svg).unwrap(), std::fs::read(png).unwrap()));
    }
    assert!(files[0] == files[1], "two renders of the same lanes differ");
    let svg = String::from_utf8(files[0].0.clone()).unwrap();
    assert!(svg.contains("httpbin-worse-0") && svg.contains("outlier ejection"));
    let png = &files[0].1;
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    assert_eq!((be(&png[16..20]), be(&png[20..24])), lanes_image_size(2));
    assert!(lanes_image_size(2).1 < lanes_image_size(3).1);
    assert_eq!(lanes_image_size(10_000), lanes_image_size(MAX_LANES));
    let (e_svg, e_png) = (dir.0.join("e.svg"), dir.0.join("e.png"));
    plot_lanes("none", &run(), &[], 0.0, &e_svg, &e_png).unwrap();
}

#[test]
fn the_ejections_data_has_each_interval_and_null_for_one_still_open() {
    let json = lanes_data_json(&lanes_fixture(), 5_000.0);
    let lane0 = &json["lanes"][0];
    assert_eq!(
        lane0["name"],
        "fortio-0 → outbound|8000||httpbin.default.svc.cluster.local → httpbin-bad-0"
    );
    assert_eq!(lane0["intervals"][0]["ejected_at_ms"], 500.0);
    assert_eq!(lane0["intervals"][0]["unejected_at_ms"], 2_500.0);
    assert_eq!(lane0["intervals"][1]["unejected_at_ms"], Value::Null);
    assert_eq!(json["lanes"][1]["intervals"][0]["source"], "outlier");
    assert_eq!(json["end_ms"], 5_000.0);
}

/// The SVG's text elements: `(x, y, text-anchor, fill, text)`.
fn svg_texts(svg: &str) -> Vec<(f64, f64, String, String, String)> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            (
                num("x"),
                num("y"),
                n.attribute("text-anchor").unwrap_or("").to_string(),
                n.attribute("fill").unwrap_or("").to_string(),
                n.text().unwrap_or("").trim().to_string(),
            )
        })
        .collect()
}

/// The y-axis tick labels of a one-panel image (right-aligned at the axis).
fn y_ticks(dir: &TempDir, stem: &str, panel: Panel) -> Vec<String> {
    let svg = dir.0.join(format!("{stem}.svg"));
    let png = dir.0.join(format!("{stem}.png"));
    plot_panels("t", &run(), "virtual time (s)", &[panel], &svg, &png).unwrap();
    let text = std::fs::read_to_string(svg).unwrap();
    let mut ticks: Vec<(f64, String)> = svg_texts(&text)
        .into_iter()
        .filter(|t| t.2 == "end" && t.0 == 75.0)
        .map(|t| (t.1, t.4))
        .collect();
    ticks.sort_by(|a, b| b.0.total_cmp(&a.0));
    ticks.into_iter().map(|t| t.1).collect()
}

#[test]
fn a_share_axis_runs_from_0_to_1_and_a_count_axis_has_whole_ticks() {
    let dir = TempDir::new("axes");
    let share = Panel {
        title: "share".into(),
        y_label: "share of requests".into(),
        series: vec![
            series("a", &[(0.0, 0.5), (1000.0, 0.25)]),
            series("b", &[(0.0, 0.5), (1000.0, 0.75)]),
        ],
        step: true,
        y_axis: YAxis::Share,
    };
    assert_eq!(
        y_ticks(&dir, "share", share),
        ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    );
    let count = Panel {
        title: "count".into(),
        y_label: "connections".into(),
        series: vec![series("c", &[(0.0, 0.0), (10.0, 2.0), (20.0, 1.0)])],
        step: true,
        y_axis: YAxis::Count,
    };
    assert_eq!(y_ticks(&dir, "count", count), ["0", "1", "2"]);
}

#[test]
fn close_fault_labels_stagger_and_the_heading_names_the_run() {
    let dir = TempDir::new("fault-labels");
    let markers: Vec<Marker> = (0..4)
        .map(|i| Marker {
            t_ms: 1000.0 + 20.0 * f64::from(i),
            kind: MarkerKind::Fault,
            label: format!("apply policies/istio/some-long-policy-file-{i}.yaml"),
        })
        .collect();
    let (svg, png) = (dir.0.join("f.svg"), dir.0.join("f.png"));
    let panels = pool_like_panels();
    plot_panels_marked(
        "faults",
        &run(),
        "virtual time (s)",
        &panels,
        &markers,
        &svg,
        &png,
    )
    .unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    let texts = svg_texts(&text);
    assert!(texts
        .iter()
        .any(|t| t.4 == "scenario istio-circuit-breaking · seed 7"));
    let labels: Vec<_> = texts
        .iter()
        .filter(|t| t.4.starts_with("apply policies/"))
        .collect();
    assert_eq!(labels.len(), 4, "every label drawn once");
    let rows: std::collections::BTreeSet<i64> = labels.iter().map(|t| t.1 as i64).collect();
    assert_eq!(rows.len(), 4, "four labels this close need four rows");
    for a in &labels {
        for b in &labels {
            let width = |t: &str| super::font::text_width(t, 13);
            let overlap = a.1 == b.1 && a.0 < b.0 + width(&b.4) && b.0 < a.0 + width(&a.4);
            assert!(a.4 == b.4 || !overlap, "{a:?} overlaps {b:?}");
        }
    }
    // The image grew by the lane's four rows.
    assert_eq!(
        image_size(&panels, &markers).1,
        image_size(&panels, &[]).1 + 4 * 18
    );
}
