//! `meshtwin bench`: how fast the twin runs, measured (never asserted).
//!
//! 1. The circuit-breaking path — fortio → client sidecar → server sidecar → app — with
//!    Istio's default (unlimited) breakers, fortio `-c 16 -qps 0`, on each substrate.
//! 2. A bare echo over the same hops on the same engine and substrate (the baseline), and one
//!    scheduler pass over 1000 idle hosts.
//! 3. Path 1 again with `--idle-pods` extra meshed pods that carry no traffic; and path 1
//!    paced at the 324-pod world's rate (fortio `-c 16 -qps 1200`), so that each request
//!    crosses the proxies alone, as the world's requests do.
//! 4. A multi-region mesh of 324 pods under a failure timeline ([`crate::bench_regions`]):
//!    simulated requests per wall second, virtual seconds per wall second, and its cost per
//!    load call and per proxied request hop against path 1's; then its first region alone
//!    (108 pods, the same pods, loads and faults per zone), whose cost per hop against the
//!    324-pod world's says how much of a request's cost grows with the mesh.
//! 5. One sweep with `--jobs 1` and `--jobs 2` ([`crate::bench_sweep`]).
//!
//! Each is run three times; the median wall time (and the simulating thread's CPU time) is
//! reported, then every goal of the engine's issue checked against the figures
//! ([`crate::bench_report`], which also says what a cost counts). `--json` prints it all as
//! one JSON document, for tracking.

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::event::EventKind;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{LoadSpec, Scenario};
use meshtwin_model::topology::*;
use meshtwin_model::SourceRef;
use meshtwin_sim::Substrate;
use serde::Serialize;

use crate::bench_report::{must_show, print_report, BenchReport};
use crate::bench_timing::{timed, timed_once, Timing};
use crate::exit;

const CONNECTIONS: u32 = 16;
const LINK: Duration = Duration::from_micros(100);

fn src() -> SourceRef {
    SourceRef {
        file: "bench".into(),
        line: 1,
    }
}

fn labels(app: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), app.to_string())])
}

fn workload(name: &str, replicas: u32, app: Option<AppBehaviour>) -> Workload {
    Workload {
        name: name.into(),
        namespace: "default".into(),
        cluster: "c1".into(),
        locality: Locality {
            region: "r1".into(),
            zone: "z1".into(),
            subzone: String::new(),
        },
        replicas,
        labels: labels(name),
        sidecar: Sidecar::Istio { concurrency: 2 },
        app,
        dns: Vec::new(),
        source: src(),
    }
}

fn service(name: &str, port: u16) -> Service {
    Service {
        name: name.into(),
        namespace: "default".into(),
        ports: vec![ServicePort {
            name: "http".into(),
            port,
            target_port: 80,
            protocol: Protocol::Http,
        }],
        selector: labels(name),
        source: src(),
    }
}

fn world(idle_pods: u32) -> Topology {
    let app = AppBehaviour {
        port: 80,
        latency: LatencyDist::Fixed {
            value: Duration::from_millis(1),
        },
        ..AppBehaviour::default()
    };
    let mut workloads = vec![
        workload("httpbin", 1, Some(app.clone())),
        workload("fortio", 1, None),
    ];
    let mut services = vec![service("httpbin", 8000)];
    if idle_pods > 0 {
        workloads.push(workload("idle", idle_pods, Some(app)));
        services.push(service("idle", 8000));
    }
    Topology {
        name: "bench".into(),
        latency: LinkLatency {
            same_zone: LINK,
            ..LinkLatency::default()
        },
        mesh: Default::default(),
        envoy: Default::default(),
        workloads,
        services,
    }
}

fn scenario(requests: u64, qps: f64) -> Scenario {
    Scenario {
        name: "bench".into(),
        description: String::new(),
        file: "bench".into(),
        topology: "bench".into(),
        policies: vec![],
        seed: 1,
        duration: Duration::from_secs(3600),
        loads: vec![LoadSpec {
            name: "bench".into(),
            from: "fortio".into(),
            start: Duration::ZERO,
            connections: CONNECTIONS,
            qps,
            calls: Some(requests),
            duration: None,
            url: "http://httpbin:8000/get".into(),
            method: "GET".into(),
            headers: BTreeMap::new(),
            timeout: Duration::from_secs(3),
        }],
        expectations: vec![],
        timeline: Vec::new(),
        control_plane: Default::default(),
        envoy: Default::default(),
        variants: Vec::new(),
        mesh: Default::default(),
        seeds: Vec::new(),
        digest: Default::default(),
    }
}

struct Meshed {
    time: Timing,
    calls: u64,
    /// HTTP access-log entries the sidecars wrote: one per proxied request hop.
    hops: u64,
    virtual_time: Duration,
    polls: u64,
}

/// `requests` over the 2-pod meshed path (with `idle_pods` more), fortio `-c 16 -qps <qps>`
/// (0: as fast as possible), the median of three runs.
fn meshed(substrate: Substrate, requests: u64, idle_pods: u32, qps: f64) -> Meshed {
    meshed_timed(substrate, requests, idle_pods, qps, |f| timed(f))
}

/// The same, run and timed by `timed` (three runs or one).
fn meshed_timed(
    substrate: Substrate,
    requests: u64,
    idle_pods: u32,
    qps: f64,
    timed: impl FnOnce(
        &mut dyn FnMut() -> meshtwin_model::run::RunResult,
    ) -> (Timing, meshtwin_model::run::RunResult),
) -> Meshed {
    let topo = world(idle_pods);
    let sc = scenario(requests, qps);
    let (time, r) = timed(&mut || {
        meshtwin_sim::run_on(
            substrate,
            &topo,
            &MeshPolicies::default(),
            &sc,
            &BTreeMap::new(),
        )
        .expect("bench world is valid")
    });
    let (_, _, o) = &r.loads[0];
    let hops = (r.events.iter())
        .filter(|e| matches!(e.kind, EventKind::AccessLog { .. }))
        .count() as u64;
    Meshed {
        time,
        calls: o.calls.len(),
        hops,
        virtual_time: o.last_end.unwrap_or_default(),
        polls: r.engine.task_polls,
    }
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// One path measured on one substrate.
#[derive(Serialize)]
pub(crate) struct PathFigures {
    pub requests: u64,
    /// Proxied request hops (sidecar HTTP access-log entries): 2 per request here.
    pub proxy_hops: u64,
    pub wall_s: f64,
    pub requests_per_wall_s: f64,
    pub proxy_hops_per_wall_s: f64,
    /// The simulating thread's CPU seconds (median of three; `None` when not readable).
    pub cpu_s: Option<f64>,
    pub virtual_s: f64,
    pub virtual_per_wall: f64,
    pub task_polls_per_request: f64,
}

impl PathFigures {
    fn of(m: &Meshed) -> Self {
        let wall = m.time.wall;
        Self {
            requests: m.calls,
            proxy_hops: m.hops,
            wall_s: wall.as_secs_f64(),
            requests_per_wall_s: per_sec(m.calls, wall),
            proxy_hops_per_wall_s: per_sec(m.hops, wall),
            cpu_s: m.time.cpu.map(|c| c.as_secs_f64()),
            virtual_s: m.virtual_time.as_secs_f64(),
            virtual_per_wall: m.virtual_time.as_secs_f64() / wall.as_secs_f64(),
            task_polls_per_request: m.polls as f64 / m.calls.max(1) as f64,
        }
    }
}

/// The figures of a substrate.
#[derive(Serialize)]
pub(crate) struct SubstrateFigures {
    pub meshed: PathFigures,
    pub echo_round_trips_per_wall_s: f64,
    /// Meshed requests per wall second over bare echo round trips per wall second.
    pub meshed_over_echo: f64,
    pub idle_pass_us_1000_hosts: f64,
}

fn substrate_figures(substrate: Substrate, requests: u64) -> SubstrateFigures {
    let m = PathFigures::of(&meshed(substrate, requests, 0, 0.0));
    let (echo_wall, e) =
        timed(|| meshtwin_sim::baseline::echo(substrate, requests, CONNECTIONS, LINK, 0));
    let echo = per_sec(e.round_trips, echo_wall.wall);
    let mut pass = meshtwin_sim::baseline::idle_network(substrate, 1000);
    let (t, _) = timed(|| (0..1000).for_each(|_| pass()));
    drop(pass);
    SubstrateFigures {
        meshed_over_echo: m.requests_per_wall_s / echo,
        meshed: m,
        echo_round_trips_per_wall_s: echo,
        idle_pass_us_1000_hosts: t.wall.as_secs_f64() * 1e6 / 1000.0,
    }
}

/// A world `meshtwin bench --world` simulates alone.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BenchWorld {
    /// The 2-pod meshed path on the fabric, `--requests` calls at fortio `-c 16 -qps 0`.
    Path,
    /// Three regions, 324 pods.
    Full,
    /// The first region alone, 108 pods.
    OneRegion,
}

/// What `meshtwin bench` was asked.
pub struct BenchArgs {
    pub requests: u64,
    pub idle_pods: u32,
    pub regions_only: bool,
    /// Only the 2-pod meshed path and its bare echo, on the fabric.
    pub path_only: bool,
    /// Only this world, simulated once.
    pub world: Option<BenchWorld>,
    /// The scenario and seed count of the `--jobs 1` / `--jobs 2` sweep.
    pub sweep: (std::path::PathBuf, u64),
    pub json: bool,
}

/// `meshtwin bench --world`: one world simulated once, its figures as text or JSON (under
/// `path` for the 2-pod path, `world` for a multi-region one).
fn bench_world(world: BenchWorld, requests: u64, json: bool) -> u8 {
    use crate::bench_regions::{line, measure, Regions, ONE_REGION, REGIONS};
    fn serialized(f: impl Serialize) -> serde_json::Value {
        serde_json::to_value(f).expect("the figures serialize")
    }
    let multi_region = |regions: Regions| {
        let f = measure(regions, |f| timed_once(f));
        ("world", serialized(&f), line(&f))
    };
    let (key, value, text) = match world {
        BenchWorld::Path => {
            let m = meshed_timed(Substrate::Fabric, requests, 0, 0.0, |f| timed_once(f));
            let p = PathFigures::of(&m);
            let text = format!(
                "2-pod meshed path (fabric, fortio -c {CONNECTIONS} -qps 0): {} requests ({} proxy \
                 hops) in {:.3} s wall = {:.0} requests / wall s; {:.1} task polls per request",
                p.requests, p.proxy_hops, p.wall_s, p.requests_per_wall_s, p.task_polls_per_request
            );
            ("path", serialized(&p), text)
        }
        BenchWorld::Full => multi_region(REGIONS),
        BenchWorld::OneRegion => multi_region(ONE_REGION),
    };
    let build = crate::bench_report::build();
    if json {
        let mut one = serde_json::Map::new();
        one.insert("build".into(), build.into());
        one.insert(key.into(), value);
        println!(
            "{}",
            serde_json::to_string_pretty(&one).expect("the figures serialize")
        );
    } else {
        println!("meshtwin bench --world ({build} build): one run\n{text}");
    }
    exit::OK
}

pub fn bench_command(args: BenchArgs) -> u8 {
    let requests = args.requests;
    let mut report = BenchReport {
        requests,
        connections: CONNECTIONS,
        link_us: LINK.as_micros(),
        build: crate::bench_report::build(),
        ..BenchReport::default()
    };
    if let Some(world) = args.world {
        return bench_world(world, requests, args.json);
    }
    if args.path_only {
        let _ = meshed(Substrate::Fabric, requests / 10, 0, 0.0);
        report.fabric = Some(substrate_figures(Substrate::Fabric, requests));
    } else if !args.regions_only {
        // Warm the allocator and caches so the first measured run is not penalised.
        let _ = meshed(Substrate::Fabric, requests / 10, 0, 0.0);
        let fabric = substrate_figures(Substrate::Fabric, requests);
        report.turmoil_net = Some(substrate_figures(Substrate::TurmoilNet, requests));
        let idle = PathFigures::of(&meshed(Substrate::Fabric, requests, args.idle_pods, 0.0));
        report.paced = Some(PathFigures::of(&meshed(
            Substrate::Fabric,
            requests,
            0,
            f64::from(crate::bench_regions::CALLS_PER_SECOND),
        )));
        let base = fabric.meshed.requests_per_wall_s;
        report.idle_pods = Some((
            args.idle_pods,
            idle.requests_per_wall_s,
            (base / idle.requests_per_wall_s - 1.0) * 100.0,
        ));
        report.fabric = Some(fabric);
    }
    if !args.path_only {
        use crate::bench_regions::{measure, ONE_REGION, REGIONS};
        let all = measure(REGIONS, |f| timed(f));
        let one = measure(ONE_REGION, |f| timed(f));
        report.size_scaling = Some(crate::bench_report::SizeScaling::of(&one, &all));
        report.regions = Some(all);
        report.one_region = Some(one);
    }
    if !args.regions_only && !args.path_only {
        let (scenario, seeds) = &args.sweep;
        report.sweep = Some(
            crate::bench_sweep::measure(scenario, *seeds, |f| {
                let (t, r) = timed(f);
                (t.wall, r)
            })
            .map_err(|e| format!("not measured: {e}")),
        );
    }
    report.cost = crate::bench_report::COST;
    report.must_show = must_show(&report);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
    } else {
        print_report(&report);
    }
    exit::OK
}
