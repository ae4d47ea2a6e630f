//! `meshtwin run` and `meshtwin validate`: load and check every input, run the world, write
//! the outputs, judge the expectations.

use std::path::{Path, PathBuf};

use meshtwin_config::{load_policies, load_scenario, validate_against, ConfigError, ConfigWarning};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{Metric, Scenario};
use meshtwin_model::topology::{Sidecar, Topology};
use meshtwin_topology::load_topology;

use crate::{expect, output, summary};

/// The scenario `meshtwin run` runs when given none.
pub const DEFAULT_SCENARIO: &str = "scenarios/istio-circuit-breaking.yaml";

/// Exit codes.
pub const EXIT_OK: u8 = 0;
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
pub const EXIT_INVALID_INPUT: u8 = 2;

/// Everything a run reads, loaded and validated.
pub struct Inputs {
    pub scenario: Scenario,
    pub topology: Topology,
    pub policies: MeshPolicies,
    /// The policy set after each timeline `apply` / `delete`, by timeline index.
    pub timeline_policies: std::collections::BTreeMap<usize, MeshPolicies>,
    /// What the files contain that the twin reads but does not model, in reading order.
    pub warnings: Vec<ConfigWarning>,
}

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

/// A located error about a field of the scenario file itself.
fn scenario_error(file: &str, path: &str, message: String) -> ConfigError {
    let line = meshtwin_config::source::load_documents(Path::new(file))
        .ok()
        .and_then(|docs| docs.first().map(|d| d.line_of(path)))
        .unwrap_or(1);
    ConfigError {
        file: file.to_string(),
        line,
        object: None,
        path: Some(path.to_string()),
        message,
    }
}

/// Cross-checks between the scenario and the topology.
fn validate_scenario(sc: &Scenario, topo: &Topology) -> Result<(), ConfigError> {
    let pods = topo.pods();
    let find = |name: &str| pods.iter().find(|p| p.name == name || p.workload == name);
    for (i, l) in sc.loads.iter().enumerate() {
        let Some(pod) = find(&l.from) else {
            return Err(scenario_error(
                &sc.file,
                &format!("loads[{i}].from"),
                format!(
                    "no pod or workload named '{}' in topology {}",
                    l.from, topo.name
                ),
            ));
        };
        if l.url.starts_with("tcp://") && pod.sidecar != Sidecar::None {
            return Err(scenario_error(
                &sc.file,
                &format!("loads[{i}].from"),
                format!(
                    "a tcp:// load runs from a pod without a sidecar (like `nc` outside the \
                     mesh), but {} has one: opaque TCP from inside the mesh is not modelled yet",
                    pod.name
                ),
            ));
        }
    }
    for (i, e) in sc.expectations.iter().enumerate() {
        let (key, proxy) = match &e.metric {
            Metric::Counter { proxy, .. } => ("counter", proxy),
            Metric::GaugeMax { proxy, .. } => ("gaugeMax", proxy),
            Metric::PriorityLoad { proxy, .. } => ("priorityLoad", proxy),
            Metric::PriorityPanic { proxy, .. } => ("priorityPanic", proxy),
            _ => continue,
        };
        if !pods
            .iter()
            .any(|p| &p.name == proxy && p.sidecar != Sidecar::None)
        {
            return Err(scenario_error(
                &sc.file,
                &format!("expect[{i}].{key}.proxy"),
                format!(
                    "no pod named '{proxy}' with a proxy in topology {}",
                    topo.name
                ),
            ));
        }
    }
    Ok(())
}

/// Load the scenario, its topology and policies, and check them against each other.
pub fn load_inputs(path: &Path) -> Result<Inputs, ConfigError> {
    let mut warnings = Vec::new();
    let scenario = load_scenario(path)?;
    warnings.extend(scenario.warnings);
    let scenario = scenario.value;
    let topology = load_topology(Path::new(&scenario.topology))?;
    warnings.extend(topology.warnings);
    let mut topology = topology.value;
    topology.envoy = scenario.envoy.apply(topology.envoy);
    let mut policies = MeshPolicies::default();
    for p in &scenario.policies {
        let loaded = load_policies(Path::new(p))?;
        warnings.extend(loaded.warnings);
        policies.extend(loaded.value);
    }
    validate_against(&policies, &topology)?;
    validate_scenario(&scenario, &topology)?;
    let timeline_policies =
        crate::timeline_check::check(&scenario, &topology, &policies, &mut warnings)?;
    // A file applied again on the timeline warns once.
    let mut seen = std::collections::BTreeSet::new();
    warnings.retain(|w| seen.insert(w.to_string()));
    Ok(Inputs {
        scenario,
        topology,
        policies,
        timeline_policies,
        warnings,
    })
}

/// Print each warning as `warning: file:line: …` on stderr.
pub fn print_warnings(warnings: &[ConfigWarning]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

pub fn validate_command(paths: &[PathBuf]) -> u8 {
    let paths = if paths.is_empty() {
        vec![default_scenario()]
    } else {
        paths.to_vec()
    };
    for p in &paths {
        match load_inputs(p) {
            Ok(i) => {
                print_warnings(&i.warnings);
                println!(
                    "ok: {} (topology {}, {} policy file(s){})",
                    p.display(),
                    i.topology.name,
                    i.scenario.policies.len(),
                    match i.warnings.len() {
                        0 => String::new(),
                        1 => ", 1 warning".to_string(),
                        n => format!(", {n} warnings"),
                    }
                )
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_INVALID_INPUT;
            }
        }
    }
    EXIT_OK
}

pub fn run_command(
    scenario: Option<PathBuf>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
) -> u8 {
    let path = scenario.unwrap_or_else(default_scenario);
    let mut inputs = match load_inputs(&path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID_INPUT;
        }
    };
    print_warnings(&inputs.warnings);
    if let Some(s) = seed {
        inputs.scenario.seed = s;
    }
    let sc = &inputs.scenario;
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&sc.name));
    println!(
        "meshtwin {} · scenario {} ({})",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        path.display()
    );
    println!(
        "seed {} · topology {} ({} pods) · policies: {} · virtual duration {} ms",
        sc.seed,
        inputs.topology.name,
        inputs.topology.pods().len(),
        if sc.policies.is_empty() {
            "none".to_string()
        } else {
            sc.policies.join(", ")
        },
        sc.duration.as_millis()
    );
    let replay = format!(
        "meshtwin run {} --seed {} --out {}",
        path.display(),
        sc.seed,
        out.display()
    );
    println!("replay: {replay}");
    let result = match meshtwin_sim::run_with_timeline(
        &inputs.topology,
        &inputs.policies,
        sc,
        &inputs.timeline_policies,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: {}",
                scenario_error(&sc.file, "loads", e.to_string())
            );
            return EXIT_INVALID_INPUT;
        }
    };
    let loads = summary::load_results(&result);
    if !quiet {
        for l in &loads {
            println!();
            print!("{}", meshtwin_report::fortio::fortio_text(l));
        }
    }
    let places = crate::failover::pod_places(&inputs.topology);
    let verdicts = expect::evaluate(&sc.expectations, &result, &loads, &places);
    let summary = summary::build(&inputs, &result, &loads, &verdicts);
    if let Err(e) = output::write_all(&out, &summary, &result, &places) {
        eprintln!("error: cannot write outputs to {}: {e}", out.display());
        return EXIT_INVALID_INPUT;
    }
    println!();
    for v in &verdicts {
        println!(
            "{} {}: {}",
            if v.pass { "PASS" } else { "FAIL" },
            v.name,
            v.detail
        );
    }
    println!();
    println!(
        "wrote {}/{{summary.json, trace.jsonl, stats.txt}} and plots (pool, pool-<load>, shares, latency; ejections, failover when relevant: .svg .png .json)",
        out.display()
    );
    if verdicts.iter().all(|v| v.pass) {
        EXIT_OK
    } else {
        println!("expectations failed; replay with: {replay}");
        EXIT_EXPECTATION_FAILED
    }
}
