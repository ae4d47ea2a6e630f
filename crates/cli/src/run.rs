//! `meshtwin run` and `meshtwin validate`: load and check every input, run the world, write
//! the outputs, judge the expectations.

use std::path::{Path, PathBuf};

use meshtwin_config::RunInputs;
use meshtwin_report::output::write_staged;
use meshtwin_report::output_dir::{check_replaceable, Staging};
use meshtwin_report::summary::Judged;

use crate::args::Command;
use crate::exit;
use crate::inputs::{load_inputs, print_warnings, scenario_or_default};
use crate::report_cmd;
use crate::simulate::{explain_context, simulate_on, simulate_recorded};
use meshtwin_model::event::TraceLevel;
use meshtwin_model::run::RunResult;
use meshtwin_sim::recorder::Recorder;
use meshtwin_sim::trace_stream::TraceWriter;
use meshtwin_sim::Substrate;

pub fn validate_command(paths: &[PathBuf]) -> u8 {
    let paths = if paths.is_empty() {
        match scenario_or_default(None) {
            Ok(p) => vec![p],
            Err(code) => return code,
        }
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
                return exit::INVALID_INPUT;
            }
        }
    }
    exit::OK
}

/// The run's header: what reproduces it (`real`: a run on real sockets, which nothing does).
fn print_header(path: &Path, inputs: &RunInputs, seed: u64, replay: &str, real: bool) {
    let sc = &inputs.scenario;
    println!(
        "meshtwin {} · scenario {} ({}) · {}",
        env!("CARGO_PKG_VERSION"),
        sc.name,
        path.display(),
        inputs.topology.mesh.describe()
    );
    println!(
        "seed {} · topology {} ({} pods) · policies: {} · {} duration {} ms",
        seed,
        inputs.topology.name,
        inputs.topology.pods().len(),
        if sc.policies.is_empty() {
            "none".to_string()
        } else {
            sc.policies.join(", ")
        },
        if real { "wall-clock" } else { "virtual" },
        sc.duration.as_millis()
    );
    if real {
        println!("platform: real loopback sockets in real time; outputs are not deterministic");
    }
    println!("replay: {replay}");
}

/// What `meshtwin run` was asked.
pub struct RunArgs {
    pub scenario: Option<PathBuf>,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    pub quiet: bool,
    /// Also write report.html and report.md into the output directory.
    pub report: bool,
    /// The socket layer the pods run on.
    pub substrate: Substrate,
    /// How much of the trace the run keeps and writes.
    pub trace: TraceLevel,
    /// Write trace.jsonl.zst instead of trace.jsonl.
    pub trace_compress: bool,
    /// Run on real loopback sockets in real time instead of the twin.
    pub real: bool,
}

/// The report of the run staged in `dir`, written beside its files.
fn write_run_report(dir: &Path) -> std::io::Result<()> {
    let dirs = [dir.to_path_buf()];
    let doc = report_cmd::document(&dirs)?;
    report_cmd::write_report(
        &doc,
        &dirs,
        &dir.join("report.html"),
        &[report_cmd::Format::Html, report_cmd::Format::Md],
    )?;
    Ok(())
}

/// The command line that replays this run exactly.
fn replay_command(
    path: &Path,
    seed: u64,
    out: &Path,
    substrate: Substrate,
    trace: TraceLevel,
    trace_compress: bool,
) -> String {
    format!(
        "meshtwin run {} --seed {} --out {}{}",
        path.display(),
        seed,
        out.display(),
        match substrate {
            Substrate::Fabric => "",
            Substrate::TurmoilNet => " --substrate turmoil-net",
        }
    ) + &match trace {
        TraceLevel::Full => String::new(),
        level => format!(" --trace {level}"),
    } + if trace_compress {
        " --trace-compress"
    } else {
        ""
    }
}

/// Each load's fortio summary (unless `quiet`), then one PASS / FAIL line per expectation.
fn print_verdicts(judged: &Judged, quiet: bool) {
    if !quiet {
        for l in &judged.loads {
            println!();
            print!("{}", meshtwin_report::fortio::fortio_text(l));
        }
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
}

/// The scenario's path and its loaded inputs, warnings printed — checked for `--real` too
/// when `real`; `Err` is the exit code after the error was printed.
fn checked_inputs(scenario: Option<PathBuf>, real: bool) -> Result<(PathBuf, RunInputs), u8> {
    let path = scenario_or_default(scenario)?;
    let inputs = load_inputs(&path).map_err(|e| {
        eprintln!("error: {e}");
        exit::INVALID_INPUT
    })?;
    print_warnings(&inputs.warnings);
    if real {
        let warnings = crate::real_run::check_real(&inputs).map_err(|e| {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        })?;
        print_warnings(&warnings);
    }
    Ok((path, inputs))
}

/// The run (on real sockets when `real`), its outputs staged in `staging`; a warning when the
/// trace kept in memory reached its cap.
fn simulate(
    inputs: &RunInputs,
    seed: u64,
    substrate: Substrate,
    trace: TraceLevel,
    trace_compress: bool,
    real: bool,
    staging: &Staging,
) -> Result<(RunResult, Judged), String> {
    let (result, judged) = if real {
        crate::real_run::simulate_real(inputs, seed, trace)?
    } else {
        simulate_twin(
            inputs,
            seed,
            substrate,
            trace,
            trace_compress,
            staging.path(),
        )?
    };
    if result.dropped_events > 0 {
        eprintln!(
            "warning: the trace kept in memory reached its cap of {} events; {} later events \
             are not in it (summary.json: trace.dropped)",
            meshtwin_model::limits::MAX_TRACE_EVENTS,
            result.dropped_events
        );
    }
    Ok((result, judged))
}

/// Every output file of the run staged in `staging`, then swapped in for --out.
fn write_outputs(
    staging: Staging,
    judged: &Judged,
    result: &RunResult,
    inputs: &RunInputs,
    report: bool,
    trace_compress: bool,
) -> std::io::Result<Vec<String>> {
    let configs = meshtwin_sim::proxy_configs(&inputs.topology, &inputs.policies);
    let extra = |dir: &Path| {
        crate::config_dump::write(dir, &configs)?;
        // A streamed trace was written compressed (or not) as the run went.
        if trace_compress && result.streamed.is_none() {
            crate::tracefile::compress(dir)?;
        }
        if report {
            write_run_report(dir)
        } else {
            Ok(())
        }
    };
    write_staged(staging, judged, result, &extra)
}

pub fn run_command(args: RunArgs) -> u8 {
    let RunArgs {
        scenario,
        seed,
        out,
        quiet,
        report,
        substrate,
        trace,
        trace_compress,
        real,
    } = args;
    let (path, inputs) = match checked_inputs(scenario, real) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(inputs.scenario.seed);
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&inputs.scenario.name));
    let replay = replay_command(&path, seed, &out, substrate, trace, trace_compress);
    let replay = if real {
        format!("not reproducible (--real: real sockets, real time); the twin's run: {replay}")
    } else {
        replay
    };
    // An unusable --out is found now, not after the simulation.
    if let Err(e) = check_replaceable(&out) {
        eprintln!("error: --out: {e}");
        return exit::INVALID_INPUT;
    }
    print_header(&path, &inputs, seed, &replay, real);
    // The outputs are staged beside --out from the start: a full trace streams into the
    // staging directory as the run produces it, and nothing reaches --out unless every file
    // was written.
    let staging = match Staging::new(&out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot write outputs to {}: {e}", out.display());
            return exit::INVALID_INPUT;
        }
    };
    let ran = simulate(
        &inputs,
        seed,
        substrate,
        trace,
        trace_compress,
        real,
        &staging,
    );
    let (result, mut judged) = match ran {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    judged.annotate(&result, &explain_context(&inputs));
    // The verdict is printed before anything is written: a full disk must not hide it.
    print_verdicts(&judged, quiet);
    let files = match write_outputs(staging, &judged, &result, &inputs, report, trace_compress) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot write outputs to {}: {e}", out.display());
            return exit::INVALID_INPUT;
        }
    };
    println!();
    println!("wrote {}/: {}", out.display(), files.join(", "));
    if judged.summary.passed {
        exit::OK
    } else {
        println!("expectations failed; replay with: {replay}");
        exit::FAILED
    }
}

/// The twin's run of `inputs`: a full trace is streamed to its file in `dir` (compressed when
/// `compress`) as the run produces it and read back from there; a `failures` or `none`
/// trace is kept in memory (it holds only what its level keeps).
fn simulate_twin(
    inputs: &RunInputs,
    seed: u64,
    substrate: Substrate,
    trace: TraceLevel,
    compress: bool,
    dir: &Path,
) -> Result<(RunResult, Judged), String> {
    if !trace.is_full() {
        return simulate_on(inputs, seed, substrate, trace).map_err(|e| e.to_string());
    }
    let file = TraceWriter::create(dir, compress)
        .map_err(|e| format!("cannot write the trace into {}: {e}", dir.display()))?;
    simulate_recorded(inputs, seed, substrate, Recorder::streaming(file)).map_err(|e| e.to_string())
}

/// `meshtwin` with no command: `meshtwin run` of the bundled scenario.
pub fn default_command() -> Command {
    Command::Run {
        scenario: None,
        seed: None,
        out: None,
        quiet: false,
        report: false,
        substrate: Default::default(),
        trace: Default::default(),
        trace_compress: false,
        real: false,
    }
}

/// `meshtwin run` and `meshtwin validate`; any other command is handed back.
pub fn dispatch(command: Box<Command>) -> Result<u8, Box<Command>> {
    Ok(match *command {
        Command::Run {
            scenario,
            seed,
            out,
            quiet,
            report,
            substrate,
            trace,
            trace_compress,
            real,
        } => run_command(RunArgs {
            scenario,
            seed,
            out,
            quiet,
            report,
            substrate,
            trace,
            trace_compress,
            real,
        }),
        Command::Validate { scenarios } => validate_command(&scenarios),
        other => return Err(Box::new(other)),
    })
}
