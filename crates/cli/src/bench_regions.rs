//! The multi-region world `meshtwin bench` measures under faults: three regions of two zones,
//! a frontend per zone that calls two backends per request, ten backend services in every
//! zone, a fortio client per zone calling the frontend and four backends, Istio outlier
//! detection on every service (so locality failover is on, istiod `pilot/pkg/networking/core/loadbalancer/loadbalancer.go` `applyLocalityFailover`), and a failure timeline
//! (errors that eject, a crash, a zone partition, a scale-down, then recovery).
//!
//! The world is written as the YAML a user would write — topology, DestinationRules,
//! scenario — and read through the same parsers and checks as `meshtwin run`, so the
//! benchmark exercises exactly what users run. Pod counts: 6 zones × (10 backends × 5 +
//! frontend 3 + fortio 1) = 324.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use meshtwin_config::{parse_policies, parse_scenario, validate_against, ConfigError};
use meshtwin_model::event::{EventKind, OutlierAction};
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::Scenario;
use meshtwin_model::topology::Topology;
use meshtwin_topology::parse_topology;

/// (region, zones) of a world.
pub type Regions = &'static [(&'static str, &'static [&'static str])];

/// The world the goals are measured on: three regions of two zones.
pub const REGIONS: Regions = &[
    ("us-east", &["us-east-a", "us-east-b"]),
    ("us-west", &["us-west-a", "us-west-b"]),
    ("eu-west", &["eu-west-a", "eu-west-b"]),
];

/// Its first region alone (108 pods): the same pods, loads and faults per zone, to tell
/// the cost that grows with the mesh from the cost of each request.
pub const ONE_REGION: Regions = &[("us-east", &["us-east-a", "us-east-b"])];
/// Backend services; every zone runs [`BACKEND_PODS`] pods of each.
const BACKENDS: usize = 10;
const BACKEND_PODS: u32 = 5;
const FRONTEND_PODS: u32 = 3;
/// Backends each zone's fortio calls directly, besides the frontend.
const DIRECT_CALLS: usize = 4;
/// Per-load rate and length: every zone's 5 loads run 20 s.
const QPS: u32 = 40;
const LOAD_SECONDS: u32 = 20;
/// The 324-pod world's load calls per virtual second: every zone's loads at [`QPS`].
pub const CALLS_PER_SECOND: u32 = zones(REGIONS) * (1 + DIRECT_CALLS as u32) * QPS;

const fn zones(regions: Regions) -> u32 {
    let (mut n, mut i) = (0, 0);
    while i < regions.len() {
        n += regions[i].1.len() as u32;
        i += 1;
    }
    n
}

/// The world's inputs, parsed and checked.
pub struct World {
    pub topology: Topology,
    pub policies: MeshPolicies,
    pub scenario: Scenario,
    /// The policy set after each timeline `apply` / `delete` (none here, but checked).
    pub states: BTreeMap<usize, MeshPolicies>,
    pub pods: usize,
}

fn topology_yaml(regions: Regions) -> String {
    let mut y = String::from(
        "name: bench-regions\nlatency: {sameZone: 100us, crossZone: 500us, crossRegion: 30ms}\nregions:\n",
    );
    for (region, zones) in regions {
        let _ = writeln!(y, "  - name: {region}\n    zones:");
        for zone in *zones {
            let _ = writeln!(
                y,
                "      - name: {zone}\n        clusters:\n          - name: {zone}\n            workloads:"
            );
            let _ = writeln!(
                y,
                "              - {{name: fortio-{zone}, labels: {{app: fortio}}, sidecar: istio}}"
            );
            let _ = writeln!(
                y,
                "              - {{name: frontend-{zone}, replicas: {FRONTEND_PODS}, labels: {{app: frontend}}, sidecar: istio, \
                 app: {{port: 8080, latency: {{uniform: [1ms, 2ms]}}, calls: [\
                 {{host: svc-0, port: 80, timeout: 1s, onError: \"svc-0 failed\"}}, \
                 {{host: svc-1, port: 80, timeout: 1s, onError: \"svc-1 failed\"}}]}}}}"
            );
            for b in 0..BACKENDS {
                let _ = writeln!(
                    y,
                    "              - {{name: svc-{b}-{zone}, replicas: {BACKEND_PODS}, labels: {{app: svc-{b}}}, \
                     sidecar: istio, app: {{port: 8080, latency: {{uniform: [500us, 3ms]}}}}}}"
                );
            }
        }
    }
    y.push_str("services:\n");
    y.push_str(
        "  - {name: frontend, ports: [{name: http, port: 80, targetPort: 8080}], selector: {app: frontend}}\n",
    );
    for b in 0..BACKENDS {
        let _ = writeln!(
            y,
            "  - {{name: svc-{b}, ports: [{{name: http, port: 80, targetPort: 8080}}], selector: {{app: svc-{b}}}}}"
        );
    }
    y
}

/// Outlier detection on every service: 3 consecutive 5xx eject for 10 s, at most half the
/// hosts; its presence turns Istio's locality failover on.
fn policies_yaml() -> String {
    let services =
        std::iter::once("frontend".to_string()).chain((0..BACKENDS).map(|b| format!("svc-{b}")));
    let mut y = String::new();
    for s in services {
        let _ = writeln!(
            y,
            "---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {{name: {s}}}\n\
             spec:\n  host: {s}\n  trafficPolicy:\n    outlierDetection: {{consecutive5xxErrors: 3, \
             interval: 1s, baseEjectionTime: 10s, maxEjectionPercent: 50}}"
        );
    }
    y
}

/// The backend zone `i`'s fortio calls with its `k`-th direct load. In the full world zone
/// `i` calls svc-`i` … svc-`i+3`, so svc-0 … svc-8 carry traffic and their pods are live
/// (svc-9 is never called: its pods are not started). A smaller world spreads its direct
/// loads over svc-2 … svc-8 (svc-0 and svc-1 are the frontend's), so that the same services —
/// and so the same pods per zone — are live, and only the mesh's size differs.
fn direct_backend(zones: usize, i: usize, k: usize) -> usize {
    let full: usize = REGIONS.iter().map(|(_, z)| z.len()).sum();
    if zones >= full {
        return (i + k) % BACKENDS;
    }
    let live = full + DIRECT_CALLS - 1;
    2 + (i * DIRECT_CALLS + k) % (live - 2)
}

fn scenario_yaml(regions: Regions) -> String {
    let mut y = format!(
        "name: bench-regions\ntopology: bench-regions\nseed: 1\nduration: {}s\nloads:\n",
        LOAD_SECONDS + 5
    );
    let zones: Vec<&str> = regions
        .iter()
        .flat_map(|(_, z)| z.iter().copied())
        .collect();
    for (i, zone) in zones.iter().enumerate() {
        let _ = writeln!(
            y,
            "  - {{name: front-{zone}, from: fortio-{zone}, start: 1s, connections: 4, qps: {QPS}, \
             duration: {LOAD_SECONDS}s, url: \"http://frontend/\"}}"
        );
        for k in 0..DIRECT_CALLS {
            let b = direct_backend(zones.len(), i, k);
            let _ = writeln!(
                y,
                "  - {{name: svc-{b}-from-{zone}, from: fortio-{zone}, start: 1s, connections: 2, \
                 qps: {QPS}, duration: {LOAD_SECONDS}s, url: \"http://svc-{b}/\"}}"
            );
        }
    }
    // The faults: svc-0's pods in the first zone turn to 503 (ejections, failover to its
    // neighbour zone); a svc-1 pod crashes (connection failures); the first zone is cut off
    // from its neighbour (the failover traffic now fails too, and moves to another region);
    // svc-3 in a fifth zone is scaled to zero (endpoint pushes); then everything recovers.
    // A smaller world crashes and scales in its last zone instead.
    let (region, first, second) = (regions[0].0, zones[0], zones[1]);
    let crash = zones[3.min(zones.len() - 1)];
    let scaled = zones[4.min(zones.len() - 1)];
    let _ = write!(
        y,
        "timeline:\n\
         \x20 - {{at: 5s, app: {{workload: svc-0-{first}, errorRate: 1, errorStatus: 503}}}}\n\
         \x20 - {{at: 7s, crash: svc-1-{crash}-0}}\n\
         \x20 - {{at: 9s, partition: {{from: {region}/{first}, to: {region}/{second}}}}}\n\
         \x20 - {{at: 11s, scale: {{workload: svc-3-{scaled}, replicas: 0}}}}\n\
         \x20 - {{at: 15s, heal: {{}}}}\n\
         \x20 - {{at: 16s, app: {{workload: svc-0-{first}, errorRate: 0}}}}\n\
         \x20 - {{at: 17s, restart: svc-1-{crash}-0}}\n\
         \x20 - {{at: 18s, scale: {{workload: svc-3-{scaled}, replicas: 5}}}}\n",
    );
    y
}

/// Build and check the world of `regions` (each with two zones; an error here is a bug in
/// this file).
pub fn world(regions: Regions) -> Result<World, ConfigError> {
    let topology = parse_topology("bench-regions/topology.yaml", &topology_yaml(regions))?.value;
    let policies = parse_policies("bench-regions/policies.yaml", &policies_yaml())?.value;
    validate_against(&policies, &topology)?;
    let scenario = parse_scenario(
        Path::new("bench-regions/scenario.yaml"),
        &scenario_yaml(regions),
    )?
    .value;
    let states =
        meshtwin_config::timeline_check::check(&scenario, &topology, &policies, &mut Vec::new())?;
    let pods = topology.pods().len();
    Ok(World {
        topology,
        policies,
        scenario,
        states,
        pods,
    })
}

/// What the benchmark measures of the world.
#[derive(Debug, serde::Serialize)]
pub struct Figures {
    pub pods: usize,
    /// Sidecars that ran (pods no load reaches are not started).
    pub proxies: usize,
    pub regions: usize,
    pub zones: usize,
    pub loads: usize,
    pub calls: u64,
    pub not_200: u64,
    pub ejections: u64,
    pub proxy_hops: u64,
    pub wall_s: f64,
    pub requests_per_wall_s: f64,
    pub proxy_hops_per_wall_s: f64,
    /// The simulating thread's CPU seconds (median of three; `None` when not readable).
    pub cpu_s: Option<f64>,
    pub virtual_s: f64,
    pub virtual_per_wall: f64,
    pub trace_events: usize,
    pub dropped_events: u64,
    /// Executor task polls per proxied request hop (the 2-pod path's figure is per request).
    pub task_polls_per_hop: f64,
}

/// Run the world of `regions` with `timed` (median of its runs) and count what happened.
pub fn measure(
    regions: Regions,
    timed: impl FnOnce(
        &mut dyn FnMut() -> meshtwin_model::run::RunResult,
    ) -> (crate::bench_timing::Timing, meshtwin_model::run::RunResult),
) -> Figures {
    let w = world(regions).expect("the bench world is valid");
    let (time, r) = timed(&mut || {
        meshtwin_sim::run_with_timeline(&w.topology, &w.policies, &w.scenario, &w.states)
            .expect("the bench world runs")
    });
    let calls: u64 = r.loads.iter().map(|(_, _, o)| o.calls.len()).sum();
    let not_200 = calls
        - r.loads
            .iter()
            .map(|(_, _, o)| o.calls.with_status(200))
            .sum::<u64>();
    let (mut hops, mut ejections) = (0u64, 0u64);
    for e in &r.events {
        match &e.kind {
            EventKind::AccessLog { .. } => hops += 1,
            EventKind::Outlier {
                action: OutlierAction::Ejected,
                ..
            } => ejections += 1,
            _ => {}
        }
    }
    let wall_s = time.wall.as_secs_f64();
    Figures {
        pods: w.pods,
        proxies: r.proxies.len(),
        regions: regions.len(),
        zones: regions.iter().map(|(_, z)| z.len()).sum(),
        loads: w.scenario.loads.len(),
        calls,
        not_200,
        ejections,
        proxy_hops: hops,
        wall_s,
        requests_per_wall_s: calls as f64 / wall_s,
        proxy_hops_per_wall_s: hops as f64 / wall_s,
        cpu_s: time.cpu.map(|c| c.as_secs_f64()),
        virtual_s: r.end.as_secs_f64(),
        virtual_per_wall: r.end.as_secs_f64() / wall_s,
        trace_events: r.events.len(),
        dropped_events: r.dropped_events,
        task_polls_per_hop: r.engine.task_polls as f64 / hops.max(1) as f64,
    }
}

/// The figures as one line of text.
pub fn line(f: &Figures) -> String {
    format!(
        "multi-region mesh under faults ({} pods, {} sidecars running, {} region(s), {} zones, 11 services, {} loads; 503s → ejections, a crash, \
         a zone partition, a scale to 0, recovery): {} calls ({} not 200, {} ejections, {} proxy hops) \
         in {:.3} s wall = {:.0} simulated requests / wall s ({:.0} proxy hops / wall s); virtual {:.1} s \
         (virtual/wall {:.2}×); {:.1} task polls per hop; {} trace events{}",
        f.pods,
        f.proxies,
        f.regions,
        f.zones,
        f.loads,
        f.calls,
        f.not_200,
        f.ejections,
        f.proxy_hops,
        f.wall_s,
        f.requests_per_wall_s,
        f.proxy_hops_per_wall_s,
        f.virtual_s,
        f.virtual_per_wall,
        f.task_polls_per_hop,
        f.trace_events,
        if f.dropped_events > 0 {
            format!(" ({} dropped)", f.dropped_events)
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_world_is_valid_and_has_at_least_300_pods_in_six_zones() {
        let w = world(REGIONS).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.pods, 324);
        let zones: std::collections::BTreeSet<_> = w
            .topology
            .pods()
            .iter()
            .map(|p| (p.locality.region.clone(), p.locality.zone.clone()))
            .collect();
        assert_eq!(zones.len(), 6);
        assert_eq!(w.scenario.loads.len(), 30);
        assert_eq!(w.scenario.timeline.len(), 8);
    }

    #[test]
    fn the_one_region_world_has_the_same_pods_loads_and_faults_per_zone() {
        let called = |zones: usize| -> std::collections::BTreeSet<usize> {
            (0..zones)
                .flat_map(|i| (0..DIRECT_CALLS).map(move |k| direct_backend(zones, i, k)))
                .chain([0, 1])
                .collect()
        };
        assert_eq!(
            called(6),
            (0..9).collect(),
            "svc-0 … svc-8 live in the full world"
        );
        assert_eq!(called(2), called(6), "and in its first region alone");
        let w = world(ONE_REGION).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.pods, 108);
        assert_eq!(w.scenario.loads.len(), 10);
        assert_eq!(w.scenario.timeline.len(), 8);
        let yaml = scenario_yaml(ONE_REGION);
        assert!(yaml.contains("crash: svc-1-us-east-b-0"), "{yaml}");
        assert!(yaml.contains("partition: {from: us-east/us-east-a, to: us-east/us-east-b}"));
        let full = scenario_yaml(REGIONS);
        assert!(full.contains("crash: svc-1-us-west-b-0"), "{full}");
        assert!(
            full.contains("workload: svc-3-eu-west-a, replicas: 0"),
            "{full}"
        );
    }
}
