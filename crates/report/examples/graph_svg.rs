//! Writes the service graph of a bundled scenario to an SVG file, for a look at the drawing:
//! `cargo run -p meshtwin-report --example graph_svg -- <scenario name> <out.svg>` (from the
//! crate directory).

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_report::graph::{places, render_svg, service_graph};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (name, out) = match args.as_slice() {
        [_, name, out] => (name.as_str(), out.as_str()),
        _ => {
            eprintln!("usage: graph_svg <scenario name> <out.svg>");
            std::process::exit(2);
        }
    };
    let path = format!("../../scenarios/{name}.yaml");
    let sc = meshtwin_config::load_scenario(Path::new(&path)).unwrap_or_else(|e| fail(e));
    let topo =
        meshtwin_topology::load_topology(Path::new(&sc.topology)).unwrap_or_else(|e| fail(e));
    let mut policies = MeshPolicies::default();
    for p in &sc.policies {
        policies.extend(meshtwin_config::load_policies(Path::new(p)).unwrap_or_else(|e| fail(e)));
    }
    let r = meshtwin_sim::run_with_timeline(&topo, &policies, &sc, &BTreeMap::new())
        .unwrap_or_else(|e| fail(e));
    let g = service_graph(&r.events, &places(&topo));
    let svg = render_svg(&g, &format!("{} · seed {}", sc.name, sc.seed));
    std::fs::write(out, svg).unwrap_or_else(|e| fail(e));
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("error: {e}");
    std::process::exit(2);
}
