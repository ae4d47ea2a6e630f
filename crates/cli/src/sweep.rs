//! `meshtwin sweep`: run one scenario under many seeds and report, per expectation, how its
//! metric is distributed and how often it held — timing-dependent outcomes (the Istio
//! circuit-breaking task's 503 share) are distributions, not single numbers. Seeds run in
//! parallel; the report is the same whatever the thread count.

use std::path::PathBuf;

use meshtwin_report::confidence::Estimate;
use meshtwin_report::expect::Verdict;
use serde_json::json;

use crate::exit;
use crate::inputs::{load_inputs, scenario_or_default};
use crate::parallel;
use crate::simulate::simulate;

/// What `meshtwin sweep` was asked.
pub struct SweepArgs {
    pub scenario: Option<PathBuf>,
    pub first: u64,
    pub count: u64,
    pub jobs: usize,
    /// Runs in which every expectation must hold (default: all of them).
    pub min_hold: Option<u64>,
    pub out: Option<PathBuf>,
}

/// One expectation's line: how often it held and its value's distribution, or why it had none.
fn expectation_line(held: u64, runs: u64, name: &str, values: &[f64], why: Option<&str>) -> String {
    let head = format!("{held:>3}/{runs} held · {name}: ");
    match Estimate::of(values) {
        Some(e) => format!(
            "{head}mean {:.4} ± {:.4} (95 % CI, Student's t), sd {:.4}, range [{:.4}, {:.4}]{}",
            e.mean,
            e.half_width(),
            e.sd,
            e.min,
            e.max,
            if values.len() < runs as usize {
                format!(" ({} run(s) had no value)", runs as usize - values.len())
            } else {
                String::new()
            }
        ),
        None => format!(
            "{head}no value in any run ({})",
            why.unwrap_or("no reason given")
        ),
    }
}

pub fn sweep_command(args: SweepArgs) -> u8 {
    let path = match scenario_or_default(args.scenario) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let inputs = match load_inputs(&path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    crate::inputs::print_warnings(&inputs.warnings);
    let count = args.count.max(1);
    let min_hold = args.min_hold.unwrap_or(count);
    if min_hold > count {
        eprintln!("error: --min-hold {min_hold} is more than the {count} run(s) of the sweep");
        return exit::INVALID_INPUT;
    }
    let seeds: Vec<u64> = (args.first..args.first + count).collect();
    let runs = parallel::map(
        &seeds,
        args.jobs,
        "sweep",
        |&seed| simulate(&inputs, seed).map(|(_, j)| j.verdicts),
        &|_, _| {},
    );
    let mut per_seed: Vec<Vec<Verdict>> = Vec::new();
    for r in runs {
        match r {
            Ok(v) => per_seed.push(v),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::INVALID_INPUT;
            }
        }
    }
    println!(
        "meshtwin sweep · scenario {} · seeds {}..={} ({} runs)",
        inputs.scenario.name,
        args.first,
        args.first + count - 1,
        count
    );
    let mut rows = Vec::new();
    let mut ok = true;
    for (i, e) in inputs.scenario.expectations.iter().enumerate() {
        let verdicts: Vec<&Verdict> = per_seed.iter().map(|v| &v[i]).collect();
        let values: Vec<f64> = verdicts.iter().filter_map(|v| v.value).collect();
        let held = verdicts.iter().filter(|v| v.pass).count() as u64;
        let why = verdicts
            .iter()
            .find(|v| v.value.is_none())
            .map(|v| v.detail.as_str());
        println!("{}", expectation_line(held, count, &e.name, &values, why));
        ok &= held >= min_hold;
        let est = Estimate::of(&values);
        rows.push(json!({
            "name": e.name, "min": e.min, "max": e.max, "held": held, "runs": count,
            "mean": est.map(|e| e.mean), "ci95": est.map(|e| e.ci95), "sd": est.map(|e| e.sd),
            "lowest": est.map(|e| e.min), "highest": est.map(|e| e.max), "values": values,
        }));
    }
    if let Some(out) = args.out {
        let doc = json!({"scenario": inputs.scenario.name, "seeds": seeds, "expectations": rows});
        let text = serde_json::to_string_pretty(&doc).expect("sweep serializes") + "\n";
        if let Err(e) =
            std::fs::create_dir_all(&out).and_then(|_| std::fs::write(out.join("sweep.json"), text))
        {
            eprintln!("error: cannot write {}: {e}", out.display());
            return exit::INVALID_INPUT;
        }
    }
    if ok {
        exit::OK
    } else {
        println!("an expectation held in fewer than {min_hold} of {count} runs (--min-hold)");
        exit::FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expectation_with_no_value_in_any_run_says_why_instead_of_printing_infinities() {
        let line = expectation_line(0, 3, "failover", &[], Some("load 'a' made no call"));
        assert_eq!(
            line,
            "  0/3 held · failover: no value in any run (load 'a' made no call)"
        );
    }

    #[test]
    fn runs_without_a_value_are_counted_beside_the_distribution() {
        let line = expectation_line(2, 3, "p", &[1.0, 3.0], None);
        assert!(line.contains("mean 2.0000"), "{line}");
        assert!(line.ends_with("(1 run(s) had no value)"), "{line}");
    }
}
