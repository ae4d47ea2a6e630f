//! Loading a run's inputs: the scenario, its topology and policy files, checked against each
//! other by [`meshtwin_config::RunInputs::check`].

use std::path::{Path, PathBuf};

use meshtwin_config::{load_scenario, ConfigError, ConfigWarning, RunInputs};
use meshtwin_model::release::MeshRelease;
use meshtwin_topology::load_topology;

/// The scenario `meshtwin run` runs when given none.
pub const DEFAULT_SCENARIO: &str = "scenarios/istio-circuit-breaking.yaml";

/// The scenario to run when none is given: the bundled default under the working directory
/// (a checkout's root), else in the checkout this binary was built from (`cargo install
/// --path crates/cli` copies no scenario: the checkout is used while it exists, and standard
/// error says so). Neither there: an error saying what to do, exit 2.
pub fn scenario_or_default(given: Option<PathBuf>) -> Result<PathBuf, u8> {
    if let Some(p) = given {
        return Ok(p);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match find_default(Path::new(DEFAULT_SCENARIO), &built.join(DEFAULT_SCENARIO)) {
        Ok((path, false)) => Ok(path),
        Ok((path, true)) => {
            eprintln!(
                "note: no scenario given and no {DEFAULT_SCENARIO} here: running the bundled \
                 default from the checkout meshtwin was built from, {}",
                path.display()
            );
            Ok(path)
        }
        Err(message) => {
            eprintln!("error: {message}");
            Err(crate::exit::INVALID_INPUT)
        }
    }
}

/// The default scenario: `local` (relative to the working directory) if it is a file, else
/// `built` (the second value is true); else what to do instead.
pub fn find_default(local: &Path, built: &Path) -> Result<(PathBuf, bool), String> {
    if local.is_file() {
        return Ok((local.to_path_buf(), false));
    }
    if built.is_file() {
        return Ok((built.to_path_buf(), true));
    }
    Err(format!(
        "no scenario given, and the default {DEFAULT_SCENARIO} is neither under the working \
         directory nor in the checkout meshtwin was built from: give a scenario file \
         (meshtwin run path/to/scenario.yaml), or run meshtwin from the root of a meshtwin \
         checkout"
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_working_directorys_then_the_build_checkouts_then_an_error() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let nowhere = Path::new("/nonexistent/scenario.yaml");
        assert_eq!(find_default(&here, nowhere), Ok((here.clone(), false)));
        assert_eq!(find_default(nowhere, &here), Ok((here, true)));
        let e = find_default(nowhere, nowhere).unwrap_err();
        assert!(e.contains("give a scenario file"), "{e}");
        assert!(
            !e.contains("/nonexistent"),
            "no machine path in the message: {e}"
        );
    }
}
