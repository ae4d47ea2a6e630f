//! `meshtwin bench`: how fast the twin runs, measured (never asserted).
//!
//! 1. The circuit-breaking path — fortio → client sidecar → server sidecar → app — with
//!    Istio's default (unlimited) breakers, fortio `-c 16 -qps 0`, on each substrate.
//! 2. A bare echo over the same hops on the same engine and substrate (the baseline), and one
//!    scheduler pass over 1000 idle hosts.
//! 3. Path 1 again with `--idle-pods` extra meshed pods that carry no traffic.
//! 4. A multi-region mesh of 324 pods under a failure timeline ([`crate::bench_regions`]):
//!    simulated requests per wall second, virtual seconds per wall second, and its cost per
//!    request against path 1's.
//!
//! Each is run three times; the median wall time is reported. `--json` prints the figures as
//! one JSON document, for tracking.

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{LoadSpec, Scenario};
use meshtwin_model::topology::*;
use meshtwin_model::SourceRef;
use meshtwin_sim::Substrate;
use serde::Serialize;

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

fn scenario(requests: u64) -> Scenario {
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
            qps: 0.0,
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

/// Median of three wall-clock measurements of `f`, with `f`'s last result.
#[allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "a benchmark measures wall time"
)]
pub(crate) fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        let r = f();
        times.push(t0.elapsed());
        // The previous run's result is dropped outside the measurement.
        last = Some(r);
    }
    times.sort();
    (times[1], last.expect("ran three times"))
}

struct Meshed {
    wall: Duration,
    calls: u64,
    virtual_time: Duration,
    polls: u64,
}

fn meshed(substrate: Substrate, requests: u64, idle_pods: u32) -> Meshed {
    let topo = world(idle_pods);
    let sc = scenario(requests);
    let (wall, r) = timed(|| {
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
    Meshed {
        wall,
        calls: o.calls.len(),
        virtual_time: o.last_end.unwrap_or_default(),
        polls: r.engine.task_polls,
    }
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// One path measured on one substrate.
#[derive(Serialize)]
struct PathFigures {
    requests: u64,
    wall_s: f64,
    requests_per_wall_s: f64,
    virtual_s: f64,
    virtual_per_wall: f64,
    task_polls_per_request: f64,
}

impl PathFigures {
    fn of(m: &Meshed) -> Self {
        Self {
            requests: m.calls,
            wall_s: m.wall.as_secs_f64(),
            requests_per_wall_s: per_sec(m.calls, m.wall),
            virtual_s: m.virtual_time.as_secs_f64(),
            virtual_per_wall: m.virtual_time.as_secs_f64() / m.wall.as_secs_f64(),
            task_polls_per_request: m.polls as f64 / m.calls.max(1) as f64,
        }
    }
}

/// The figures of a substrate.
#[derive(Serialize)]
struct SubstrateFigures {
    meshed: PathFigures,
    echo_round_trips_per_wall_s: f64,
    /// Meshed requests per wall second over bare echo round trips per wall second.
    meshed_over_echo: f64,
    idle_pass_us_1000_hosts: f64,
}

/// Everything `meshtwin bench` measures.
#[derive(Serialize)]
struct BenchReport {
    requests: u64,
    connections: u32,
    link_us: u128,
    fabric: Option<SubstrateFigures>,
    turmoil_net: Option<SubstrateFigures>,
    /// Meshed path with idle meshed pods (fabric): requests per wall second, and the change
    /// in cost per request against the path alone.
    idle_pods: Option<(u32, f64, f64)>,
    regions: crate::bench_regions::Figures,
    /// The multi-region mesh's wall time per request over the 2-pod meshed path's (fabric).
    regions_cost_per_request_vs_meshed: Option<f64>,
}

fn substrate_figures(substrate: Substrate, requests: u64) -> SubstrateFigures {
    let m = PathFigures::of(&meshed(substrate, requests, 0));
    let (echo_wall, e) =
        timed(|| meshtwin_sim::baseline::echo(substrate, requests, CONNECTIONS, LINK, 0));
    let echo = per_sec(e.round_trips, echo_wall);
    let mut pass = meshtwin_sim::baseline::idle_network(substrate, 1000);
    let (t, _) = timed(|| (0..1000).for_each(|_| pass()));
    drop(pass);
    SubstrateFigures {
        meshed_over_echo: m.requests_per_wall_s / echo,
        meshed: m,
        echo_round_trips_per_wall_s: echo,
        idle_pass_us_1000_hosts: t.as_secs_f64() * 1e6 / 1000.0,
    }
}

pub fn bench_command(
    requests: u64,
    idle_pods: u32,
    regions_only: bool,
    path_only: bool,
    json: bool,
) -> u8 {
    let mut report = BenchReport {
        requests,
        connections: CONNECTIONS,
        link_us: LINK.as_micros(),
        fabric: None,
        turmoil_net: None,
        idle_pods: None,
        regions: crate::bench_regions::Figures::default(),
        regions_cost_per_request_vs_meshed: None,
    };
    if path_only {
        let _ = meshed(Substrate::Fabric, requests / 10, 0);
        report.fabric = Some(substrate_figures(Substrate::Fabric, requests));
    } else if !regions_only {
        // Warm the allocator and caches so the first measured run is not penalised.
        let _ = meshed(Substrate::Fabric, requests / 10, 0);
        let fabric = substrate_figures(Substrate::Fabric, requests);
        report.turmoil_net = Some(substrate_figures(Substrate::TurmoilNet, requests));
        let idle = PathFigures::of(&meshed(Substrate::Fabric, requests, idle_pods));
        let base = fabric.meshed.requests_per_wall_s;
        report.idle_pods = Some((
            idle_pods,
            idle.requests_per_wall_s,
            (base / idle.requests_per_wall_s - 1.0) * 100.0,
        ));
        report.fabric = Some(fabric);
    }
    if !path_only {
        report.regions = crate::bench_regions::measure(|f| timed(f));
    }
    if let (Some(f), false) = (&report.fabric, path_only) {
        report.regions_cost_per_request_vs_meshed =
            Some(f.meshed.requests_per_wall_s / report.regions.requests_per_wall_s);
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
    } else {
        print_report(&report);
    }
    exit::OK
}

fn print_substrate(name: &str, f: &SubstrateFigures) {
    let m = &f.meshed;
    println!(
        "{name}: meshed path (fortio → sidecar → sidecar → app) {:.0} requests / wall s \
         ({} in {:.3} s; virtual/wall {:.1}×; {:.1} task polls per request); bare echo over the \
         same hops {:.0} round trips / wall s; meshed / echo {:.3}; one pass over 1000 idle hosts \
         {:.3} µs",
        m.requests_per_wall_s,
        m.requests,
        m.wall_s,
        m.virtual_per_wall,
        m.task_polls_per_request,
        f.echo_round_trips_per_wall_s,
        f.meshed_over_echo,
        f.idle_pass_us_1000_hosts
    );
}

fn print_report(r: &BenchReport) {
    println!(
        "meshtwin bench: {} requests, fortio -c {} -qps 0, links {} µs one way (median of 3 runs)",
        r.requests, r.connections, r.link_us
    );
    if let Some(f) = &r.fabric {
        print_substrate("fabric", f);
    }
    if let Some(f) = &r.turmoil_net {
        print_substrate("turmoil-net", f);
    }
    if let Some((n, rps, pct)) = r.idle_pods {
        println!(
            "meshed path with {n} idle meshed pods (fabric): {rps:.0} requests / wall s; cost per request {pct:+.1} %"
        );
    }
    if r.regions.pods > 0 {
        crate::bench_regions::print(&r.regions);
    }
    if let Some(x) = r.regions_cost_per_request_vs_meshed {
        println!("multi-region cost per request / 2-pod meshed path's: {x:.2}×");
    }
}
