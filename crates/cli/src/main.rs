//! `meshtwin`: run a scenario in the twin, test scenarios against their golden digests,
//! validate config files, benchmark the engine.
//!
//! Exit codes: 0 ran and every expectation held; 1 an expectation failed (for `test`, also a
//! digest differs); 2 invalid input.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod bench_regions;
mod calltree;
mod endpoints;
mod exit;
mod inputs;
mod parallel;
mod run;
mod sidecar;
mod simulate;
mod sweep;
mod test_cmd;
mod tracefile;

/// A deterministic digital twin of a service mesh.
#[derive(Parser)]
#[command(name = "meshtwin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (default: the bundled Istio circuit-breaking scenario).
    Run {
        /// Scenario file.
        scenario: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory (default: out/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print less: no per-load fortio summaries.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check scenario, topology and policy files without running anything.
    Validate {
        /// Scenario files (their topology and policies are checked too).
        scenarios: Vec<PathBuf>,
    },
    /// Run a scenario under many seeds and report each expectation's distribution.
    Sweep {
        /// Scenario file (default: the bundled Istio circuit-breaking scenario).
        scenario: Option<PathBuf>,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Number of seeds.
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// Worker threads (default: the machine's cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Exit 1 when an expectation held in fewer runs than this (default: every run).
        #[arg(long)]
        min_hold: Option<u64>,
        /// Directory for sweep.json.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run every scenario in PATHs (files, or directories searched for YAML with `topology:`
    /// and `loads:`) — each of its `seeds:` — and check its expectations and its golden digest
    /// (`__digests__/<stem>.json` beside it). Exit 0 all pass, 1 a failure or a digest diff,
    /// 2 invalid input in any scenario.
    Test {
        /// Scenario files or directories (default: the working directory).
        paths: Vec<PathBuf>,
        /// Worker threads (default: the machine's cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Write every case's digest instead of comparing with it.
        #[arg(long)]
        update: bool,
        /// Also write a JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Only scenarios whose path or name contains PATTERN.
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// Print the call tree of one request from a run's trace.jsonl (hops, retries, timeouts).
    Trace {
        /// A trace.jsonl written by `meshtwin run`.
        trace: PathBuf,
        /// The request id (the load's `x-request-id`, e.g. `jason-0-0`).
        request_id: String,
    },
    /// Print the endpoints each proxy knew at a virtual time, as `istioctl proxy-config
    /// endpoints` does (ENDPOINT, STATUS, OUTLIER CHECK, CLUSTER), from a run's trace.
    Endpoints {
        /// A trace.jsonl written by `meshtwin run`, or the run's output directory.
        trace: PathBuf,
        /// Only this proxy (pod name, or istioctl's `pod.namespace`); default: every proxy,
        /// with a PROXY column.
        #[arg(long)]
        proxy: Option<String>,
        /// Only this cluster (`outbound|80||mydb.com`).
        #[arg(long)]
        cluster: Option<String>,
        /// Virtual time (`45s`, `1m30s`, `2500ms`); default: the end of the run.
        #[arg(long)]
        at: Option<String>,
        /// `wide` adds LOCALITY, PRIORITY and HOST.
        #[arg(short = 'o', long = "output", value_enum, default_value = "short")]
        output: endpoints::Format,
    },
    /// Run one pod's proxy as a real sidecar on this machine's sockets, configured from a
    /// scenario's topology and policies as the twin's control plane configures it.
    Proxy {
        /// Scenario file (its topology and policies).
        scenario: PathBuf,
        /// The pod whose proxy to run (e.g. fortio-0).
        #[arg(long)]
        pod: String,
        /// Where the pod's outbound (captured) listener listens.
        #[arg(long, default_value = "127.0.0.1:15001")]
        listen: std::net::SocketAddr,
        /// An upstream endpoint's real address: `<pod>=<ip:port>` (repeatable); endpoints not
        /// mapped are left out of their clusters.
        #[arg(long = "endpoint")]
        endpoints: Vec<String>,
        /// Admin address: `GET /stats`, `POST /quitquitquit`.
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
    },
    /// Measure the engine: simulated requests per wall-clock second, against a bare
    /// turmoil-net echo over the same hops.
    Bench {
        /// Requests per measurement.
        #[arg(long, default_value_t = 20_000)]
        requests: u64,
        /// Idle pods added for the idle-cost measurement.
        #[arg(long, default_value_t = 1000)]
        idle_pods: u32,
        /// Only the multi-region mesh under faults (324 pods).
        #[arg(long)]
        regions_only: bool,
    },
}

fn main() -> ExitCode {
    // `meshtwin sweep | head` closes our stdout early: stop quietly, as Unix tools do.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    let code = match cli.command.unwrap_or(Command::Run {
        scenario: None,
        seed: None,
        out: None,
        quiet: false,
    }) {
        Command::Run {
            scenario,
            seed,
            out,
            quiet,
        } => run::run_command(scenario, seed, out, quiet),
        Command::Validate { scenarios } => run::validate_command(&scenarios),
        Command::Sweep {
            scenario,
            from,
            seeds,
            jobs,
            min_hold,
            out,
        } => sweep::sweep_command(sweep::SweepArgs {
            scenario,
            first: from,
            count: seeds,
            jobs: jobs.unwrap_or_else(parallel::default_jobs),
            min_hold,
            out,
        }),
        Command::Test {
            paths,
            jobs,
            update,
            junit,
            filter,
        } => test_cmd::test_command(test_cmd::TestArgs {
            paths,
            jobs: jobs.unwrap_or_else(parallel::default_jobs),
            update,
            junit,
            filter,
        }),
        Command::Trace { trace, request_id } => calltree::trace_command(&trace, &request_id),
        Command::Endpoints {
            trace,
            proxy,
            cluster,
            at,
            output,
        } => endpoints::endpoints_command(
            &trace,
            &endpoints::Query {
                proxy: proxy.as_deref(),
                cluster: cluster.as_deref(),
                at: at.as_deref(),
                format: output,
            },
        ),
        Command::Proxy {
            scenario,
            pod,
            listen,
            endpoints,
            admin,
        } => sidecar::proxy_command(&scenario, &pod, listen, &endpoints, admin),
        Command::Bench {
            requests,
            idle_pods,
            regions_only,
        } => bench::bench_command(requests, idle_pods, regions_only),
    };
    ExitCode::from(code)
}
