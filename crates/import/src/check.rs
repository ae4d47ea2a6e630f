//! The written files read back with the loaders `meshtwin run` uses, before anything is
//! written: the input's mesh resources checked against the imported topology (errors point
//! at the input, where the user can fix them), then every file parsed and the scenario,
//! topology and policies checked against each other as a run checks them.

use std::path::Path;

use meshtwin_config::{parse_policies, parse_scenario, ConfigError, RunInputs};
use meshtwin_model::policy::MeshPolicies;

/// Read back `files` (relative to `out`); `input_policies` are the input's mesh resources.
pub fn read_back(
    out: &str,
    files: &[(String, String)],
    input_policies: &MeshPolicies,
) -> Result<(), ConfigError> {
    let at = |name: &str| Path::new(out).join(name).display().to_string();
    let text = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    };
    let topology = meshtwin_topology::parse_topology(&at("topology.yaml"), text("topology.yaml"))
        .map_err(bug)?
        .value;
    meshtwin_config::validate_against(input_policies, &topology).map_err(|mut e| {
        e.message.push_str(
            " (the import's topology has only what the input has: add the missing objects to \
             the input, or leave this resource out)",
        );
        e
    })?;
    let mut policies = MeshPolicies::default();
    for (name, body) in files.iter().filter(|(n, _)| n.starts_with("policies/")) {
        policies.extend(parse_policies(&at(name), body).map_err(bug)?.value);
    }
    let scenario_path = Path::new(out).join("scenario.yaml");
    let scenario = parse_scenario(&scenario_path, text("scenario.yaml"))
        .map_err(bug)?
        .value;
    RunInputs::check(scenario, topology, policies, Vec::new()).map_err(bug)?;
    Ok(())
}

/// A generated file that does not load is the import's fault: say so.
fn bug(mut e: ConfigError) -> ConfigError {
    e.message = format!(
        "{} — the imported file does not load; this is a bug in `meshtwin import`, please \
         report it with the input",
        e.message
    );
    e
}
