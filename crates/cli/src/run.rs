//! `meshtwin run` and `meshtwin validate`: load and check every input, run the world, write
//! the outputs, judge the expectations.

use std::path::{Path, PathBuf};

use meshtwin_config::RunInputs;
use meshtwin_report::output::write_all;

use crate::exit;
use crate::inputs::{default_scenario, load_inputs};
use meshtwin_sim::Substrate;

use crate::simulate::simulate_on;

pub fn validate_command(paths: &[PathBuf]) -> u8 {
    let paths = if paths.is_empty() {
        vec![default_scenario()]
    } else {
        paths.to_vec()
    };
    for p in &paths {
        match load_inputs(p) {
            Ok(i) => println!(
                "ok: {} (topology {}, {} policy file(s))",
                p.display(),
                i.topology.name,
                i.scenario.policies.len()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::INVALID_INPUT;
            }
        }
    }
    exit::OK
}

/// The run's header: what reproduces it.
fn print_header(path: &Path, inputs: &RunInputs, seed: u64, replay: &str) {
    let sc = &inputs.scenario;
    println!(
        "meshtwin {} · scenario {} ({})",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        path.display()
    );
    println!(
        "seed {} · topology {} ({} pods) · policies: {} · virtual duration {} ms",
        seed,
        inputs.topology.name,
        inputs.topology.pods().len(),
        if sc.policies.is_empty() {
            "none".to_string()
        } else {
            sc.policies.join(", ")
        },
        sc.duration.as_millis()
    );
    println!("replay: {replay}");
}

pub fn run_command(
    scenario: Option<PathBuf>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
    substrate: Substrate,
) -> u8 {
    let path = scenario.unwrap_or_else(default_scenario);
    let inputs = match load_inputs(&path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let seed = seed.unwrap_or(inputs.scenario.seed);
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&inputs.scenario.name));
    let replay = format!(
        "meshtwin run {} --seed {} --out {}{}",
        path.display(),
        seed,
        out.display(),
        match substrate {
            Substrate::Fabric => "",
            Substrate::TurmoilNet => " --substrate turmoil-net",
        }
    );
    print_header(&path, &inputs, seed, &replay);
    let (result, judged) = match simulate_on(&inputs, seed, substrate) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    if !quiet {
        for l in &judged.loads {
            println!();
            print!("{}", meshtwin_report::fortio::fortio_text(l));
        }
    }
    if let Err(e) = write_all(&out, &judged, &result) {
        eprintln!("error: cannot write outputs to {}: {e}", out.display());
        return exit::INVALID_INPUT;
    }
    println!();
    for v in &judged.verdicts {
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
    if judged.summary.passed {
        exit::OK
    } else {
        println!("expectations failed; replay with: {replay}");
        exit::FAILED
    }
}
