//! `meshtwin bench`: how fast the twin runs, measured (never asserted).
//!
//! 1. The circuit-breaking path — fortio → client sidecar → server sidecar → app — with
//!    Istio's default (unlimited) breakers, fortio `-c 16 -qps 0`.
//! 2. A bare turmoil-net echo over the same hops on the same engine (the baseline).
//! 3. Path 1 again with `--idle-pods` extra meshed pods that carry no traffic.
//! 4. A multi-region mesh of 324 pods under a failure timeline ([`crate::bench_regions`]):
//!    simulated requests per wall second and virtual seconds per wall second.
//!
//! Each is run three times; the median wall time is reported.

use std::collections::BTreeMap;
use std::time::Duration;

use meshtwin_model::event::EventKind;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{LoadSpec, Scenario};
use meshtwin_model::topology::*;
use meshtwin_model::SourceRef;

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
        envoy: EnvoySettings::default(),
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
fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        last = Some(f());
        times.push(t0.elapsed());
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

fn meshed(requests: u64, idle_pods: u32) -> Meshed {
    let topo = world(idle_pods);
    let sc = scenario(requests);
    let (wall, r) = timed(|| {
        meshtwin_sim::run(&topo, &MeshPolicies::default(), &sc).expect("bench world is valid")
    });
    let (_, _, o) = &r.loads[0];
    Meshed {
        wall,
        calls: o.calls.len() as u64,
        virtual_time: o.last_end.unwrap_or_default(),
        polls: r.engine.task_polls,
    }
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

pub fn bench_command(requests: u64, idle_pods: u32, regions_only: bool) -> u8 {
    if regions_only {
        regions();
        return exit::OK;
    }
    println!(
        "meshtwin bench: {requests} requests, fortio -c {CONNECTIONS} -qps 0, links {} µs one way",
        LINK.as_micros()
    );
    // Warm the allocator and caches so the first measured run is not penalised.
    let _ = meshed(requests / 10, 0);
    let m = meshed(requests, 0);
    let mesh_rps = per_sec(m.calls, m.wall);
    println!(
        "meshed path (fortio → sidecar → sidecar → app): {} calls in {:.3} s wall = {:.0} simulated requests / wall s; \
         virtual {:.3} s (virtual/wall {:.1}×); {:.1} task polls per request",
        m.calls,
        m.wall.as_secs_f64(),
        mesh_rps,
        m.virtual_time.as_secs_f64(),
        m.virtual_time.as_secs_f64() / m.wall.as_secs_f64(),
        m.polls as f64 / m.calls.max(1) as f64
    );
    let (echo_wall, e) = timed(|| meshtwin_sim::baseline::echo(requests, CONNECTIONS, LINK, 0));
    let echo_rps = per_sec(e.round_trips, echo_wall);
    println!(
        "bare turmoil-net echo over the same hops: {} round trips in {:.3} s wall = {:.0} / wall s",
        e.round_trips,
        echo_wall.as_secs_f64(),
        echo_rps
    );
    println!(
        "ratio meshed / bare echo: {:.3} (the proxy, HTTP and pool cost on top of the network)",
        mesh_rps / echo_rps
    );
    let idle = meshed(requests, idle_pods);
    let idle_rps = per_sec(idle.calls, idle.wall);
    println!(
        "meshed path with {idle_pods} idle meshed pods: {:.0} simulated requests / wall s; cost per request {:+.1} %",
        idle_rps,
        (mesh_rps / idle_rps - 1.0) * 100.0
    );
    let hosts = 1000;
    {
        // The idle network stays installed until `pass` is dropped, before part 4 runs.
        let mut pass = meshtwin_sim::baseline::idle_network(hosts);
        let (t, _) = timed(|| (0..1000).for_each(|_| pass()));
        println!(
            "one scheduler pass over {hosts} idle turmoil-net hosts: {:.1} µs (why pods no load can reach are not made hosts)",
            t.as_secs_f64() * 1e6 / 1000.0
        );
    }
    regions();
    exit::OK
}

/// Part 4: the multi-region world under faults.
fn regions() {
    let w = crate::bench_regions::world().expect("the bench world is valid");
    let (wall, r) = timed(|| {
        meshtwin_sim::run_with_timeline(&w.topology, &w.policies, &w.scenario, &w.states)
            .expect("the bench world runs")
    });
    let calls: u64 = r.loads.iter().map(|(_, _, o)| o.calls.len() as u64).sum();
    let failed: u64 = r
        .loads
        .iter()
        .flat_map(|(_, _, o)| &o.calls)
        .filter(|c| c.status != 200)
        .count() as u64;
    let (mut hops, mut ejections) = (0u64, 0u64);
    for e in &r.events {
        match &e.kind {
            EventKind::AccessLog { .. } => hops += 1,
            EventKind::Outlier { action, .. } if action == "ejected" => ejections += 1,
            _ => {}
        }
    }
    let wall_s = wall.as_secs_f64();
    println!(
        "multi-region mesh under faults ({} pods, 3 regions × 2 zones, 11 services, {} loads; 503s → ejections, a crash, \
         a zone partition, a scale to 0, recovery): {calls} calls ({failed} not 200, {ejections} ejections, {hops} proxy hops) \
         in {wall_s:.3} s wall = {:.0} simulated requests / wall s ({:.0} proxy hops / wall s); virtual {:.1} s \
         (virtual/wall {:.2}×); {} trace events{}",
        w.pods,
        w.scenario.loads.len(),
        calls as f64 / wall_s,
        hops as f64 / wall_s,
        r.end.as_secs_f64(),
        r.end.as_secs_f64() / wall_s,
        r.events.len(),
        if r.dropped_events > 0 {
            format!(" ({} dropped)", r.dropped_events)
        } else {
            String::new()
        }
    );
}
