//! Loading a bundled scenario as `meshtwin run` does and running it through the simulator.

// Each test crate uses part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::Scenario;
use meshtwin_model::topology::Topology;
use meshtwin_report::explain::Context;
use meshtwin_sim::RunResult;

/// A scenario's inputs.
pub struct Inputs {
    pub scenario: Scenario,
    pub topology: Topology,
    pub policies: MeshPolicies,
    pub timeline: BTreeMap<usize, MeshPolicies>,
}

/// Load `scenarios/<name>.yaml` (paths relative to this crate, so origins read `../../…`) as
/// `meshtwin run` does.
pub fn load(name: &str) -> Inputs {
    let path = format!("../../scenarios/{name}.yaml");
    let scenario = meshtwin_config::load_scenario(Path::new(&path))
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    let topology = meshtwin_topology::load_topology(Path::new(&scenario.topology))
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    let i = meshtwin_config::RunInputs::load(scenario, topology, &Default::default(), Vec::new())
        .unwrap_or_else(|e| panic!("{e}"));
    Inputs {
        scenario: i.scenario,
        topology: i.topology,
        policies: i.policies,
        timeline: i.timeline_policies,
    }
}

/// Load and run a bundled scenario without timeline `apply` / `delete` entries.
pub fn run(name: &str) -> (Inputs, RunResult) {
    let inputs = load(name);
    let result = meshtwin_sim::run(&inputs.topology, &inputs.policies, &inputs.scenario)
        .expect("the scenario runs");
    (inputs, result)
}

/// The explanation context of a loaded scenario.
pub fn explain_context(inputs: &Inputs) -> Context<'_> {
    Context {
        topology: &inputs.topology,
        policies: &inputs.policies,
        timeline: &inputs.timeline,
    }
}
