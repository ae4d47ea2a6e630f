//! `meshtwin compare`: a baseline and a candidate variant of one scenario on the same seeds,
//! side by side (see [`meshtwin_report::compare`]). With `--shard I/N` only every N-th seed's
//! pair runs, into `shard.json`; `meshtwin merge` compares the N shards as one ([`finish`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meshtwin_config::mesh::istio_flag;
use meshtwin_config::scenario::variant::BASELINE;
use meshtwin_config::{ConfigError, RunInputs};
use meshtwin_model::release::MeshRelease;
use meshtwin_model::variant::Variant;
use meshtwin_report::compare::gate::Gate;
use meshtwin_report::compare::metrics::{run_metrics, LoadMetrics};
use meshtwin_report::compare::render::{config_text, gates_text, tables_text};
use meshtwin_report::compare::{compare_loads, Comparison, Side};
use meshtwin_report::config_diff::diff_configs;
use meshtwin_report::output_dir::Staging;

use crate::exit;
use crate::inputs::load_inputs_with;
use crate::parallel;
use crate::report_cmd::{self, Format};
use crate::shard::{Shard, ShardArgs, ShardFile};
use crate::simulate::simulate_on;
use meshtwin_model::event::TraceLevel;
use meshtwin_sim::Substrate;
use serde::{Deserialize, Serialize};

/// What `meshtwin compare` was asked.
pub struct CompareArgs {
    pub scenario: PathBuf,
    pub baseline: Option<String>,
    /// A variant's name, or policy files applied over the scenario's.
    pub candidate: Vec<String>,
    /// The Istio release the baseline models (over the scenario's `mesh:`).
    pub istio: Option<String>,
    /// The Istio release the candidate models: an upgrade rehearsal.
    pub candidate_istio: Option<String>,
    pub first_seed: u64,
    pub seeds: u64,
    pub jobs: usize,
    pub out: Option<PathBuf>,
    pub fail_if: Vec<String>,
    /// Also write report.html and report.md beside compare.json.
    pub report: bool,
    pub shard: ShardArgs,
    /// The trace each run keeps.
    pub trace: TraceLevel,
}

/// A side: its description and its checked inputs.
struct Prepared {
    side: Side,
    inputs: RunInputs,
}

fn variant_names(inputs: &RunInputs) -> String {
    let names: Vec<&str> = inputs
        .scenario
        .variants
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    if names.is_empty() {
        "the scenario defines none".into()
    } else {
        format!("variants: {}", names.join(", "))
    }
}

/// The side named `name` (`baseline`: the scenario as written).
fn named(inputs: &RunInputs, name: &str) -> Result<Prepared, String> {
    if name == BASELINE {
        return Ok(Prepared {
            side: Side {
                name: BASELINE.into(),
                changes: Vec::new(),
            },
            inputs: inputs.clone(),
        });
    }
    let v = inputs
        .scenario
        .variants
        .iter()
        .find(|v| v.name == name)
        .ok_or_else(|| format!("no variant named '{name}' ({})", variant_names(inputs)))?;
    prepare(inputs, v)
}

fn prepare(inputs: &RunInputs, v: &Variant) -> Result<Prepared, String> {
    let with = inputs
        .with_variant(v)
        .map_err(|e: ConfigError| e.to_string())?;
    let mut changes = v.changes();
    if !v.description.is_empty() {
        changes.insert(0, v.description.clone());
    }
    Ok(Prepared {
        side: Side {
            name: v.name.clone(),
            changes,
        },
        inputs: with,
    })
}

/// The candidate: a variant's name or policy files, with `release` over its own (an upgrade
/// rehearsal); none given: the release alone, or else the scenario's first variant.
fn candidate(
    inputs: &RunInputs,
    args: &[String],
    release: Option<MeshRelease>,
) -> Result<Prepared, String> {
    let Some(release) = release else {
        return candidate_variant(inputs, args);
    };
    let mut v = match args {
        [] => Variant {
            name: format!("istio-{}", release.istio_release().version),
            ..Variant::default()
        },
        [one] if inputs.scenario.variants.iter().any(|v| &v.name == one) => inputs
            .scenario
            .variants
            .iter()
            .find(|v| &v.name == one)
            .cloned()
            .expect("found above"),
        files => files_variant(inputs, files)?,
    };
    v.mesh = release.over(&v.mesh);
    prepare(inputs, &v)
}

/// A variant applying policy `files` over the scenario's.
fn files_variant(inputs: &RunInputs, files: &[String]) -> Result<Variant, String> {
    for f in files {
        if !Path::new(f).is_file() {
            return Err(format!(
                "--candidate '{f}' is neither a variant of the scenario ({}) nor a file",
                variant_names(inputs)
            ));
        }
    }
    Ok(Variant {
        name: "candidate".into(),
        apply: files.to_vec(),
        ..Variant::default()
    })
}

/// The candidate without a release change.
fn candidate_variant(inputs: &RunInputs, args: &[String]) -> Result<Prepared, String> {
    match args {
        [] => match inputs.scenario.variants.first() {
            Some(v) => prepare(inputs, v),
            None => Err(
                "no candidate: give --candidate VARIANT or --candidate FILE… (policy files \
                 applied over the scenario's); the scenario defines no variants"
                    .into(),
            ),
        },
        [one] if inputs.scenario.variants.iter().any(|v| &v.name == one) => named(inputs, one),
        files => prepare(inputs, &files_variant(inputs, files)?),
    }
}

/// Every proxy's configuration as pretty Debug text, by pod.
fn configs(inputs: &RunInputs) -> BTreeMap<String, String> {
    meshtwin_sim::proxy_configs(&inputs.topology, &inputs.policies)
        .into_iter()
        .map(|(pod, c)| (pod, format!("{c:#?}")))
        .collect()
}

/// The two sides, from the scenario and the flags (releases, baseline, candidate).
fn sides(args: &CompareArgs) -> Result<(RunInputs, Prepared, Prepared), String> {
    let flag = |f: &str, v: &Option<String>| match v {
        Some(v) => istio_flag(v).map(Some).map_err(|e| format!("{f}: {e}")),
        None => Ok(None),
    };
    let istio = flag("--istio", &args.istio)?;
    let candidate_istio = flag("--candidate-istio", &args.candidate_istio)?;
    let inputs =
        load_inputs_with(&args.scenario, &istio.unwrap_or_default()).map_err(|e| e.to_string())?;
    let base = named(&inputs, args.baseline.as_deref().unwrap_or(BASELINE))
        .map_err(|e| format!("--baseline: {e}"))?;
    let cand = candidate(&inputs, &args.candidate, candidate_istio)?;
    Ok((inputs, base, cand))
}

/// Every load's metrics, per side and seed (in seed order), over the worker threads.
type PerSide = [Vec<BTreeMap<String, LoadMetrics>>; 2];

fn run_sides(
    base: &RunInputs,
    cand: &RunInputs,
    seeds: &[u64],
    jobs: usize,
    trace: TraceLevel,
) -> Result<PerSide, String> {
    let sides = [base, cand];
    let items: Vec<(usize, u64)> = (0..2)
        .flat_map(|side| seeds.iter().map(move |s| (side, *s)))
        .collect();
    let runs = parallel::map(
        &items,
        jobs,
        "compare",
        |&(side, seed)| {
            simulate_on(sides[side], seed, Substrate::default(), trace)
                .map(|(r, j)| run_metrics(&j.summary, &r))
        },
        &|_, _| {},
    );
    let mut per_side: PerSide = [Vec::new(), Vec::new()];
    for ((side, _), r) in items.iter().zip(runs) {
        per_side[*side].push(r.map_err(|e| e.to_string())?);
    }
    Ok(per_side)
}

/// `compare.json` (and the report, when asked) into `out`, replaced whole.
fn write(out: &Path, comparison: &Comparison, report: bool) -> std::io::Result<Vec<String>> {
    let staging = Staging::new(out)?;
    std::fs::write(staging.path().join("compare.json"), comparison.to_json())?;
    if report {
        let dirs = [staging.path().to_path_buf()];
        let doc = report_cmd::document(&dirs)?;
        let html = staging.path().join("report.html");
        report_cmd::write_report(&doc, &dirs, &html, &[Format::Html, Format::Md])?;
    }
    staging.commit()
}

/// What every seed's metrics are compared under: the same in every shard of a comparison.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompareContext {
    /// Without loads and gate results: those come from every seed's metrics.
    pub comparison: Comparison,
    pub gates: Vec<Gate>,
    /// Also write report.html and report.md.
    pub report: bool,
}

/// One seed's metrics, baseline then candidate.
type Paired = (BTreeMap<String, LoadMetrics>, BTreeMap<String, LoadMetrics>);

pub fn compare_command(args: CompareArgs) -> u8 {
    let invalid = |message: String| {
        eprintln!("error: {message}");
        exit::INVALID_INPUT
    };
    let shard = match args.shard.resolve() {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let gates: Vec<Gate> = match args.fail_if.iter().map(|e| Gate::parse(e)).collect() {
        Ok(g) => g,
        Err(e) => return invalid(format!("--fail-if {e}")),
    };
    let (inputs, base, cand) = match sides(&args) {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    crate::inputs::print_warnings(&base.inputs.warnings);
    let new: Vec<_> = (cand.inputs.warnings.iter())
        .filter(|w| !base.inputs.warnings.contains(w))
        .cloned()
        .collect();
    crate::inputs::print_warnings(&new);
    let count = args.seeds.max(1);
    let seeds: Vec<u64> = (args.first_seed..args.first_seed + count).collect();
    let out = (args.out.clone())
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{}-compare", inputs.scenario.name)));
    if shard.is_none() {
        if let Err(e) = meshtwin_report::output_dir::check_replaceable(&out) {
            return invalid(format!("--out: {e}"));
        }
    }
    println!(
        "meshtwin compare · scenario {} ({}) · seeds {}..={} ({count} paired runs) · {}",
        inputs.scenario.name,
        args.scenario.display(),
        seeds[0],
        seeds[seeds.len() - 1],
        match shard {
            Some(s) => format!("shard {s}"),
            None => format!("{} worker(s)", args.jobs),
        }
    );
    let mine: Vec<usize> = (0..seeds.len())
        .filter(|i| shard.is_none_or(|s| s.takes(*i)))
        .collect();
    let my_seeds: Vec<u64> = mine.iter().map(|i| seeds[*i]).collect();
    let [b, c] = match run_sides(&base.inputs, &cand.inputs, &my_seeds, args.jobs, args.trace) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    let ctx = CompareContext {
        comparison: Comparison {
            scenario: inputs.scenario.name.clone(),
            seeds,
            config_changes: diff_configs(&configs(&base.inputs), &configs(&cand.inputs)),
            gates: Vec::new(),
            baseline: base.side,
            candidate: cand.side,
            loads: Vec::new(),
        },
        gates,
        report: args.report,
    };
    let runs: Vec<(usize, Paired)> = mine.into_iter().zip(b.into_iter().zip(c)).collect();
    match shard {
        Some(shard) => write_shard(&out, shard, ctx, runs),
        None => finish(ctx, runs.into_iter().map(|(_, r)| r).collect(), &out),
    }
}

/// A shard's paired runs into `out/shard.json`.
fn write_shard(
    out: &Path,
    shard: Shard,
    context: CompareContext,
    runs: Vec<(usize, Paired)>,
) -> u8 {
    let (n, total) = (runs.len(), context.comparison.seeds.len());
    let file = ShardFile {
        format: crate::shard::FORMAT,
        command: "compare".into(),
        shard,
        items: total,
        context,
        results: runs,
    };
    match crate::shard::write(out, &file) {
        Ok(()) => {
            println!(
                "shard {shard}: {n} of {total} paired runs · wrote {}",
                out.join(crate::shard::FILE).display()
            );
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
}

/// Compare every seed's paired metrics, print the tables and gates, write `out`: what a
/// comparison reports, whether its seeds ran on this machine or in shards (`meshtwin merge`).
pub fn finish(ctx: CompareContext, runs: Vec<Paired>, out: &Path) -> u8 {
    let (base, cand): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
    let loads = compare_loads(&base, &cand);
    if let Some(e) = ctx.gates.iter().find_map(|g| g.check(&loads).err()) {
        eprintln!("error: --fail-if {e}");
        return exit::INVALID_INPUT;
    }
    let comparison = Comparison {
        gates: ctx.gates.iter().map(|g| g.evaluate(&loads)).collect(),
        loads,
        ..ctx.comparison
    };
    print!("{}", config_text(&comparison));
    print!("{}", tables_text(&comparison));
    println!();
    print!("{}", gates_text(&comparison));
    match write(out, &comparison, ctx.report) {
        Ok(files) => println!("wrote {}/: {}", out.display(), files.join(", ")),
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            return exit::INVALID_INPUT;
        }
    }
    if comparison.gate_failed() {
        exit::FAILED
    } else {
        exit::OK
    }
}
