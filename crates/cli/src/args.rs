//! The `meshtwin` command line: every subcommand and its flags (clap derive). `main.rs`
//! dispatches them to the command modules.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::shard::ShardArgs;
use crate::{endpoints, import, report_cmd};

/// A deterministic digital twin of a service mesh.
#[derive(Parser)]
#[command(name = "meshtwin", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// Also write the reviewer's report (report.html, report.md) into the output directory.
        #[arg(long)]
        report: bool,
        /// The socket layer the pods run on: the twin's own event-driven `fabric`, or
        /// `turmoil-net` (the earlier substrate, kept for differential testing).
        #[arg(long, default_value = "fabric")]
        substrate: meshtwin_sim::Substrate,
        /// How much of the trace to keep and write: `full`, `failures` (every event of a
        /// request that failed — non-2xx or flagged — and every event of no request, pool
        /// refusals but no routine pool events) or `none` (no trace.jsonl). A `full` trace keeps
        /// every event (no cap): held in memory up to 200,000 events, streamed to its file as
        /// the run goes past that and read back for the summary, plots and reports; `failures`
        /// is kept in memory, at most 2,000,000 events (summary.json's `trace.dropped` counts
        /// any past that).
        #[arg(long, default_value = "full")]
        trace: meshtwin_model::event::TraceLevel,
        /// Write the trace zstd-compressed, as trace.jsonl.zst (read back by `trace`,
        /// `endpoints` and `explain` like trace.jsonl).
        #[arg(long)]
        trace_compress: bool,
        /// Run the scenario's pods (same sidecars, apps and loads) on real loopback sockets
        /// in real time instead of the twin, each pod at its own 127.x.y.z addresses, for at
        /// most 60 s of scenario duration. The outputs are NOT deterministic (real time, the
        /// OS's scheduling and randomness): summary.json says "platform": "real". Timeline
        /// `partition`, `link` and `heal` entries and link latency are ignored, with a warning.
        #[arg(long, conflicts_with = "substrate")]
        real: bool,
    },
    /// Write the reviewer's report — one self-contained HTML file and one Markdown file —
    /// from output directories of `meshtwin run` and `meshtwin compare`.
    Report {
        /// Output directories.
        dirs: Vec<PathBuf>,
        /// Which renderings (default: both).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "html,md")]
        format: Vec<report_cmd::Format>,
        /// The HTML file (the Markdown goes beside it as .md); default: report.html in the
        /// first directory.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script (`meshtwin completions bash > /etc/bash_completion.d/meshtwin`;
    /// zsh: into a directory on `$fpath` as `_meshtwin`; fish: `~/.config/fish/completions/meshtwin.fish`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
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
        /// Directory for sweep.json (with --shard: for shard.json).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        shard: ShardArgs,
        /// How much of each run's trace to keep in memory (nothing is written): `full`,
        /// `failures` or `none` (see `run --trace`). Default: `failures`, or `full` when an
        /// expectation reads every request's events (`reached`, `failoverMs`).
        #[arg(long)]
        trace: Option<meshtwin_model::event::TraceLevel>,
    },
    /// Run a baseline and a candidate variant of a scenario on the same seeds and compare
    /// every load's metrics: paired deltas with 95 % intervals, a verdict per metric, and
    /// what differs in the proxies' configuration.
    Compare {
        /// Scenario file.
        scenario: PathBuf,
        /// The baseline: a variant of the scenario (default: the scenario as written).
        #[arg(long)]
        baseline: Option<String>,
        /// The candidate: a variant of the scenario, or policy files applied over the
        /// scenario's (default: the scenario's first variant).
        #[arg(long, num_args = 1..)]
        candidate: Vec<String>,
        /// The Istio release the baseline models (`1.23`), over the scenario's `mesh:`.
        #[arg(long)]
        istio: Option<String>,
        /// The Istio release the candidate models (`1.24`): an upgrade rehearsal.
        #[arg(long)]
        candidate_istio: Option<String>,
        /// Number of paired seeds.
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Worker threads (default: the machine's cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Directory for compare.json (default: out/<scenario>-compare).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 1 when a significant delta satisfies `[LOAD:]METRIC OP VALUE`, e.g.
        /// `success_share < -0.001` or `p99_ms > +20%` (repeatable).
        #[arg(long = "fail-if")]
        fail_if: Vec<String>,
        /// Also write the reviewer's report (report.html, report.md) beside compare.json.
        #[arg(long)]
        report: bool,
        #[command(flatten)]
        shard: ShardArgs,
        /// How much of each run's trace to keep in memory (nothing is written): `full`,
        /// `failures` or `none` (see `run --trace`). Default: `full`, since the `failover_ms`
        /// metric reads every request's events; `failures` bounds memory and leaves it out.
        #[arg(long, default_value = "full")]
        trace: meshtwin_model::event::TraceLevel,
    },
    /// Why a run's requests failed: per failure class (status and response flags) the
    /// mechanism, the settings behind it with their file and line, when it happened and an
    /// example request; or one request's hops and diagnosis.
    Explain {
        /// A run's output directory.
        dir: PathBuf,
        /// One request id (e.g. `c3-0-4`): that request's explanation.
        request: Option<String>,
        /// Only classes with requests of this load.
        #[arg(long)]
        load: Option<String>,
        /// Only classes with this status code.
        #[arg(long)]
        code: Option<u16>,
        /// The scenario to cite settings from when explaining one request (default: the one
        /// the run recorded in inputs.json).
        #[arg(long)]
        scenario: Option<PathBuf>,
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
        #[command(flatten)]
        shard: ShardArgs,
        /// With --shard: the directory for shard.json.
        #[arg(long)]
        out: Option<PathBuf>,
        /// How much of each run's trace to keep in memory: `full` (default: the digests hash
        /// the trace), `failures` or `none` (see `run --trace`); with less than `full` the
        /// digests' trace figures (its events and hash, each load's reached workloads and
        /// failover) are not compared and `--update` is refused.
        #[arg(long, default_value = "full")]
        trace: meshtwin_model::event::TraceLevel,
    },
    /// Combine the shard.json files of a sharded sweep, compare or test (`--shard I/N`, one
    /// directory per shard) into exactly what the command writes and prints on one machine.
    Merge {
        /// The shards' output directories, one per shard, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged outputs go (sweep.json, compare.json, junit.xml).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the call tree of one request from a run's trace.jsonl (hops, retries, timeouts).
    Trace {
        /// A trace.jsonl written by `meshtwin run`.
        trace: PathBuf,
        /// The request id (the load's `x-request-id`, e.g. `jason-0-0`).
        request_id: String,
    },
    /// Print what a proxy was configured with at the start of a run (its clusters, listeners,
    /// routes or endpoints), as `istioctl proxy-config` does, from the run's output directory.
    ProxyConfig {
        /// `cluster`, `listener`, `route` or `endpoint`.
        #[arg(value_enum)]
        kind: crate::proxy_config_cmd::Kind,
        /// The run's output directory (or its config_dump.json).
        out: PathBuf,
        /// The proxy: pod name, or istioctl's `pod.namespace`.
        #[arg(long)]
        proxy: String,
        /// `json` prints Envoy's config-dump objects, as `istioctl proxy-config -o json`.
        #[arg(short = 'o', long = "output", value_enum, default_value = "short")]
        output: crate::proxy_config_cmd::Output,
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
        /// `wide` adds LOCALITY, PRIORITY and HOST; `json` prints Envoy's cluster statuses
        /// as `istioctl proxy-config endpoints -o json` does.
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
        /// Close a connection whose request head takes longer (`10s`; `0s`: off, Envoy's
        /// default).
        #[arg(long, value_parser = duration_flag)]
        request_headers_timeout: Option<std::time::Duration>,
        /// Close a connection with no request for this long (Envoy's default: `1h`; `0s`: off).
        #[arg(long, value_parser = duration_flag)]
        idle_timeout: Option<std::time::Duration>,
        /// Reset a request with no bytes either way for this long (Envoy's default: `5m`;
        /// `0s`: off).
        #[arg(long, value_parser = duration_flag)]
        stream_idle_timeout: Option<std::time::Duration>,
        /// Open downstream connections over which new ones are closed at once (default: from
        /// the file descriptor limit).
        #[arg(long)]
        max_connections: Option<u64>,
    },
    /// Import a mesh from its manifests: a topology, policy files and a starter scenario.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Measure the engine: simulated requests per wall-clock second, against a bare echo over
    /// the same hops.
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
        /// Only the 2-pod meshed path and its bare echo, on the fabric (for profiling the
        /// proxy's per-request cost).
        #[arg(long, conflicts_with = "regions_only")]
        path_only: bool,
        /// Only one world, simulated once (no medians, no other measurement): the 2-pod
        /// meshed path (`path`, `--requests` calls) or a multi-region mesh; for profilers,
        /// which then see that one simulation alone (`scripts/bench-cache.sh`).
        #[arg(long, value_enum, conflicts_with_all = ["regions_only", "path_only"])]
        world: Option<crate::bench::BenchWorld>,
        /// The scenario swept with `--jobs 1` and `--jobs 2` (skipped with `--regions-only`
        /// and `--path-only`).
        #[arg(long, default_value = crate::bench_sweep::SCENARIO)]
        sweep_scenario: std::path::PathBuf,
        /// Seeds of that sweep.
        #[arg(long, default_value_t = 8)]
        sweep_seeds: u64,
        /// Print the figures as one JSON document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ImportSource {
    /// Kubernetes manifests, as `kubectl get deploy,sts,ds,svc,pods,nodes,ns -A -o yaml`
    /// prints them (YAML, multi-document YAML, `kind: List`, JSON), with the mesh's resources
    /// (`kubectl get dr,vs,gw,se -A -o yaml`, App Mesh CRDs).
    Kubernetes {
        /// Manifest files; `-` reads standard input. Files after `--cluster NAME` belong to
        /// that cluster (before any: cluster-1).
        #[arg(required = true)]
        files: Vec<String>,
        /// The Kubernetes cluster of the files that follow (repeatable: one per file set).
        #[arg(long, action = clap::ArgAction::Append)]
        cluster: Vec<String>,
        /// Output directory for topology.yaml, policies/ and scenario.yaml.
        #[arg(long, default_value = import::DEFAULT_OUT)]
        out: PathBuf,
        /// The mesh's name (default: the output directory's name).
        #[arg(long)]
        name: Option<String>,
        /// Overwrite the files the import writes in a non-empty output directory.
        #[arg(long)]
        force: bool,
        /// A calls file: which services each workload's app calls (`calls: [{from, to,
        /// port, path, timeout, retries}]`, see docs/guide.md).
        #[arg(long)]
        calls: Option<String>,
        /// A workload's sidecar access log (`kubectl logs POD -c istio-proxy`, Istio's default
        /// format): its outbound requests become that workload's calls. Repeatable.
        #[arg(long = "access-log", value_name = "WORKLOAD=FILE")]
        access_log: Vec<String>,
    },
}

/// A duration flag (`10s`, `1m30s`, `2500ms`).
fn duration_flag(text: &str) -> Result<std::time::Duration, String> {
    meshtwin_config::duration::parse(text).map_err(|e| e.to_string())
}
