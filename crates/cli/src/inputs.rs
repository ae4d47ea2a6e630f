//! Loading a run's inputs: the scenario, its topology and policy files, checked against each
//! other by [`meshtwin_config::RunInputs::check`].

use std::path::{Path, PathBuf};

use meshtwin_config::{load_scenario, ConfigError, ConfigWarning, RunInputs};
use meshtwin_model::release::MeshRelease;
use meshtwin_topology::load_topology;

/// The scenario `meshtwin run` runs when given none.
pub const DEFAULT_SCENARIO: &str = "scenarios/istio-circuit-breaking.yaml";

/// The bundled default scenario: relative to the working directory when run from a checkout's
/// root, else found beside this crate's sources.
pub fn default_scenario() -> PathBuf {
    let rel = PathBuf::from(DEFAULT_SCENARIO);
    if rel.exists() {
        rel
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(DEFAULT_SCENARIO)
    }
}

/// Load the scenario at `path`, its topology and policies, and check them against each other.
pub fn load_inputs(path: &Path) -> Result<RunInputs, ConfigError> {
    load_inputs_with(path, &MeshRelease::default())
}

/// Like [`load_inputs`], modelling `release` over the scenario's and topology's `mesh:` (each
/// part set in `release` wins).
pub fn load_inputs_with(path: &Path, release: &MeshRelease) -> Result<RunInputs, ConfigError> {
    let scenario = load_scenario(path)?;
    let topology = load_topology(Path::new(&scenario.value.topology))?;
    let mut warnings = scenario.warnings;
    warnings.extend(topology.warnings);
    RunInputs::load(scenario.value, topology.value, release, warnings)
}

/// Every warning on standard error, as `warning: file:line: object: path: message`.
pub fn print_warnings(warnings: &[ConfigWarning]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}
