//! `meshtwin`: run a scenario in the twin, test scenarios against their golden digests,
//! validate config files, benchmark the engine; run many-run commands in shards (`shard`)
//! and merge them (`merge`).
//!
//! Exit codes: 0 ran and every expectation held; 1 an expectation failed (for `test`, also a
//! digest differs); 2 invalid input.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command, ImportSource};

mod access_log;
mod admin_stats;
mod args;
mod bench;
mod bench_regions;
mod calltree;
mod compare;
mod config_dump;
mod endpoints;
mod exit;
mod explain_cmd;
mod import;
mod inputs;
mod merge;
mod parallel;
mod proxy_config_cmd;
mod report_cmd;
mod run;
mod shard;
mod sidecar;
mod simulate;
mod sweep;
mod test_cmd;
mod tracefile;

/// `meshtwin import kubernetes`: the files grouped by the `--cluster` before them.
fn import(
    matches: &clap::ArgMatches,
    out: PathBuf,
    name: Option<String>,
    force: bool,
    calls: Option<String>,
    access_logs: Vec<String>,
) -> u8 {
    let m = matches
        .subcommand_matches("import")
        .and_then(|m| m.subcommand_matches("kubernetes"));
    match m.map(import::cluster_sets) {
        Some(Ok(sets)) => import::import_command(import::ImportArgs {
            sets,
            out,
            name,
            force,
            calls,
            access_logs,
        }),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
        None => exit::INVALID_INPUT,
    }
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
    // Ctrl-C / SIGTERM: no half-written output set — staged files are removed, the previous
    // set stays as it was.
    let _ = ctrlc::set_handler(|| {
        meshtwin_report::output_dir::abandon_all();
        eprintln!("meshtwin: interrupted; outputs left as they were");
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let code = match cli.command.unwrap_or(Command::Run {
        scenario: None,
        seed: None,
        out: None,
        quiet: false,
        report: false,
        substrate: Default::default(),
        trace: Default::default(),
        trace_compress: false,
    }) {
        Command::Run {
            scenario,
            seed,
            out,
            quiet,
            report,
            substrate,
            trace,
            trace_compress,
        } => run::run_command(run::RunArgs {
            scenario,
            seed,
            out,
            quiet,
            report,
            substrate,
            trace,
            trace_compress,
        }),
        Command::Report {
            dirs,
            format,
            output,
        } => report_cmd::report_command(&dirs, &format, output),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "meshtwin", &mut std::io::stdout());
            exit::OK
        }
        Command::Validate { scenarios } => run::validate_command(&scenarios),
        Command::Sweep {
            scenario,
            from,
            seeds,
            jobs,
            min_hold,
            out,
            shard,
        } => sweep::sweep_command(sweep::SweepArgs {
            scenario,
            first: from,
            count: seeds,
            jobs: jobs.unwrap_or_else(parallel::default_jobs),
            min_hold,
            out,
            shard,
        }),
        Command::Compare {
            scenario,
            baseline,
            candidate,
            istio,
            candidate_istio,
            seeds,
            from,
            jobs,
            out,
            fail_if,
            report,
            shard,
        } => compare::compare_command(compare::CompareArgs {
            scenario,
            baseline,
            candidate,
            istio,
            candidate_istio,
            first_seed: from,
            seeds,
            jobs: jobs.unwrap_or_else(parallel::default_jobs),
            out,
            fail_if,
            report,
            shard,
        }),
        Command::Explain {
            dir,
            request,
            load,
            code,
            scenario,
        } => explain_cmd::explain_command(explain_cmd::ExplainArgs {
            dir,
            load,
            code,
            request,
            scenario,
        }),
        Command::Test {
            paths,
            jobs,
            update,
            junit,
            filter,
            shard,
            out,
        } => test_cmd::test_command(test_cmd::TestArgs {
            paths,
            jobs: jobs.unwrap_or_else(parallel::default_jobs),
            update,
            junit,
            filter,
            shard,
            out,
        }),
        Command::Merge { dirs, out } => merge::merge_command(merge::MergeArgs { dirs, out }),
        Command::Trace { trace, request_id } => calltree::trace_command(&trace, &request_id),
        Command::ProxyConfig {
            kind,
            out,
            proxy,
            output,
        } => proxy_config_cmd::proxy_config_command(kind, &out, &proxy, output),
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
            request_headers_timeout,
            idle_timeout,
            stream_idle_timeout,
            max_connections,
        } => {
            let mut limits = meshtwin_proxy::downstream::DownstreamLimits::envoy();
            let set = |flag: Option<std::time::Duration>, default| match flag {
                Some(d) if d.is_zero() => None,
                Some(d) => Some(d),
                None => default,
            };
            limits.request_headers_timeout =
                set(request_headers_timeout, limits.request_headers_timeout);
            limits.idle_timeout = set(idle_timeout, limits.idle_timeout);
            limits.stream_idle_timeout = set(stream_idle_timeout, limits.stream_idle_timeout);
            limits.max_connections = max_connections;
            sidecar::proxy_command(&scenario, &pod, listen, &endpoints, admin, limits)
        }
        Command::Import {
            source:
                ImportSource::Kubernetes {
                    out,
                    name,
                    force,
                    calls,
                    access_log,
                    ..
                },
        } => import(&matches, out, name, force, calls, access_log),
        Command::Bench {
            requests,
            idle_pods,
            regions_only,
            json,
        } => bench::bench_command(requests, idle_pods, regions_only, json),
    };
    ExitCode::from(code)
}
