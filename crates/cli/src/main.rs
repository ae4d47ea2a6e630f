//! `meshtwin`: run a scenario in the twin, test scenarios against their golden digests,
//! validate config files, benchmark the engine; run many-run commands in shards (`shard`)
//! and merge them (`merge`).
//!
//! Exit codes: 0 ran and every expectation held; 1 an expectation failed (for `test`, also a
//! digest differs); 2 invalid input.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};

/// mimalloc instead of the system allocator: a simulated request makes ~150 short-lived
/// allocations (hyper's buffers and header maps, futures, trace events), and glibc's
/// malloc spent a quarter of the twin's time on them (each 8 KB read buffer hyper takes
/// consolidates every small free chunk first). Outputs do not depend on the allocator.
/// Built with `no_thp`: mimalloc does not ask for transparent huge pages, so memory it purges
/// and takes back is faulted in 4 KiB at a time instead of a whole 2 MiB page being zeroed
/// again (the kernel's page zeroing was 14 % of the 324-pod benchmark; measured in README's
/// "Benchmark"). mimalloc's v2 rather than its v3: on `meshtwin bench --world full` v3 took
/// 3.2 % more instructions and 6.5 % more first-level data-cache misses (its pages are
/// abandoned and searched again as a request's buffers come and go).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod access_log;
mod admin_stats;
mod args;
mod bench;
mod bench_regions;
mod bench_report;
mod bench_sweep;
mod bench_timing;
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
mod real_run;
mod report_cmd;
mod run;
mod shard;
mod sidecar;
mod simulate;
mod sweep;
mod test_cmd;
mod tracefile;

fn main() -> ExitCode {
    install_exit_handlers();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    ExitCode::from(dispatch(
        cli.command.unwrap_or_else(run::default_command),
        &matches,
    ))
}

/// A closed stdout (`meshtwin sweep | head`) stops quietly, as Unix tools do; Ctrl-C /
/// SIGTERM leaves no half-written output set — staged files are removed, the previous set
/// stays as it was.
fn install_exit_handlers() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let _ = ctrlc::set_handler(|| {
        meshtwin_report::output_dir::abandon_all();
        eprintln!("meshtwin: interrupted; outputs left as they were");
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}

/// Each command group's module takes its own commands and hands back the others (boxed: a
/// `Command` is large).
fn dispatch(command: Command, matches: &clap::ArgMatches) -> u8 {
    run::dispatch(Box::new(command))
        .or_else(parallel::dispatch)
        .or_else(report_cmd::dispatch)
        .or_else(|command| import::dispatch(command, matches))
        .or_else(sidecar::dispatch)
        .unwrap_or_else(|command| match *command {
            Command::Completions { shell } => {
                let mut cmd = Cli::command();
                clap_complete::generate(shell, &mut cmd, "meshtwin", &mut std::io::stdout());
                exit::OK
            }
            Command::Bench {
                requests,
                idle_pods,
                regions_only,
                path_only,
                world,
                sweep_scenario,
                sweep_seeds,
                json,
            } => bench::bench_command(bench::BenchArgs {
                requests,
                idle_pods,
                regions_only,
                path_only,
                world,
                sweep: (sweep_scenario, sweep_seeds),
                json,
            }),
            _ => unreachable!("every other command belongs to a group dispatched above"),
        })
}
