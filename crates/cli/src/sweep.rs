//! `meshtwin sweep`: run one scenario under many seeds and report, per expectation, how its
//! metric is distributed and how often it held — timing-dependent outcomes (the Istio
//! circuit-breaking task's 503 share) are distributions, not single numbers.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::expect;
use crate::run::{load_inputs, EXIT_INVALID_INPUT, EXIT_OK};
use crate::summary;

/// Mean, standard deviation, min and max of `xs`.
fn stats(xs: &[f64]) -> (f64, f64, f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, var.sqrt(), min, max)
}

pub fn sweep_command(path: Option<PathBuf>, first: u64, count: u64, out: Option<PathBuf>) -> u8 {
    let path = path.unwrap_or_else(crate::run::default_scenario);
    let inputs = match load_inputs(&path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID_INPUT;
        }
    };
    crate::run::print_warnings(&inputs.warnings);
    let exps = &inputs.scenario.expectations;
    let places = crate::failover::pod_places(&inputs.topology);
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); exps.len()];
    let mut passes = vec![0u64; exps.len()];
    let seeds: Vec<u64> = (first..first + count).collect();
    for &seed in &seeds {
        let mut sc = inputs.scenario.clone();
        sc.seed = seed;
        let r = match meshtwin_sim::run_with_timeline(
            &inputs.topology,
            &inputs.policies,
            &sc,
            &inputs.timeline_policies,
        ) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}: {e}", sc.file);
                return EXIT_INVALID_INPUT;
            }
        };
        let loads = summary::load_results(&r);
        for (i, v) in expect::evaluate(exps, &r, &loads, &places)
            .into_iter()
            .enumerate()
        {
            values[i].extend(v.value);
            passes[i] += u64::from(v.pass);
        }
    }
    println!(
        "meshtwin sweep · scenario {} · seeds {}..={} ({} runs)",
        inputs.scenario.name,
        first,
        first + count - 1,
        count
    );
    let mut rows = Vec::new();
    for (i, e) in exps.iter().enumerate() {
        let (mean, sd, min, max) = stats(&values[i]);
        // 95 % confidence interval of the mean (normal approximation).
        let half = 1.96 * sd / (values[i].len().max(1) as f64).sqrt();
        println!(
            "{:>3}/{count} held · {}: mean {mean:.4} ± {half:.4} (95 % CI), sd {sd:.4}, range [{min:.4}, {max:.4}]",
            passes[i], e.name
        );
        rows.push(json!({
            "name": e.name, "min": e.min, "max": e.max, "held": passes[i], "runs": count,
            "mean": mean, "ci95": half, "sd": sd, "lowest": min, "highest": max, "values": values[i],
        }));
    }
    if let Some(out) = out {
        let doc = json!({"scenario": inputs.scenario.name, "seeds": seeds, "expectations": rows});
        let text = serde_json::to_string_pretty(&doc).expect("sweep serializes") + "\n";
        if let Err(e) = std::fs::create_dir_all(&out)
            .and_then(|_| std::fs::write(Path::new(&out).join("sweep.json"), text))
        {
            eprintln!("error: cannot write {}: {e}", out.display());
            return EXIT_INVALID_INPUT;
        }
    }
    EXIT_OK
}
