//! What `meshtwin bench` reports: every figure it measured, the goals checked against
//! them ([`must_show`]), as text or as one JSON document.

use serde::Serialize;

use crate::bench::{PathFigures, SubstrateFigures};
use crate::bench_regions::Figures as RegionFigures;
use crate::bench_sweep::SweepFigures;

/// What every cost per request / per hop below counts.
pub const COST: &str = "wall time (and, separately, the simulating thread's CPU time) of one whole simulation (building every pod, proxy and \
    configuration; running the loads and the timeline to the end; teardown and Envoy's counter \
    checks), median of three runs, divided by the load calls fortio made (a 324-pod frontend call \
    makes two more requests behind it) or by the proxied request hops (HTTP access-log entries \
    the sidecars wrote: two per call on the 2-pod path)";

/// How this binary was built: `pgo` by `scripts/release-pgo.sh` (profile-guided), else
/// `release` or `debug` — figures of different builds are not comparable.
pub fn build() -> &'static str {
    match option_env!("MESHTWIN_BUILD") {
        Some("pgo") => "pgo",
        _ if cfg!(debug_assertions) => "debug",
        _ => "release",
    }
}

/// Everything `meshtwin bench` measures.
#[derive(Default, Serialize)]
pub struct BenchReport {
    /// How this binary was built ([`build`]).
    pub build: &'static str,
    pub requests: u64,
    pub connections: u32,
    pub link_us: u128,
    pub fabric: Option<SubstrateFigures>,
    pub turmoil_net: Option<SubstrateFigures>,
    /// Meshed path with idle meshed pods (fabric): requests per wall second, and the change
    /// in cost per request against the path alone.
    pub idle_pods: Option<(u32, f64, f64)>,
    /// The 2-pod meshed path (fabric) paced at the 324-pod world's rate (fortio `-c 16 -qps`
    /// [`crate::bench_regions::CALLS_PER_SECOND`]): each request then crosses the proxies alone, as the world's do, where the
    /// unpaced path runs up to 16 requests through each step back to back. Not with
    /// `--regions-only` or `--path-only`.
    pub paced: Option<PathFigures>,
    /// The 324-pod world (not with `--path-only`).
    pub regions: Option<RegionFigures>,
    /// The same world's first region alone (not with `--path-only`).
    pub one_region: Option<RegionFigures>,
    /// What growing the mesh from that region to all three costs per request.
    pub size_scaling: Option<SizeScaling>,
    /// `sweep --jobs 1` against `--jobs 2` (not with `--regions-only`).
    pub sweep: Option<Result<SweepFigures, String>>,
    /// What the costs count ([`COST`]).
    pub cost: &'static str,
    pub must_show: Vec<Goal>,
}

/// The cost per proxied request hop of the 324-pod world against its 108-pod first region
/// (the same pods, loads and faults per zone): how much of a request's cost grows with the
/// mesh, apart from what each request does (outlier detection, locality failover, app
/// sub-calls, paced loads).
#[derive(Debug, Serialize)]
pub struct SizeScaling {
    pub pods: (usize, usize),
    pub wall_per_hop: f64,
    pub cpu_per_hop: Option<f64>,
}

impl SizeScaling {
    pub fn of(small: &RegionFigures, big: &RegionFigures) -> Self {
        let per_hop = |t: f64, f: &RegionFigures| t / f.proxy_hops as f64;
        Self {
            pods: (small.pods, big.pods),
            wall_per_hop: per_hop(big.wall_s, big) / per_hop(small.wall_s, small),
            cpu_per_hop: big
                .cpu_s
                .zip(small.cpu_s)
                .map(|(b, s)| per_hop(b, big) / per_hop(s, small)),
        }
    }
}

/// One goal of the issue, and whether this run met it.
#[derive(Debug, Serialize)]
pub struct Goal {
    pub figure: &'static str,
    pub value: f64,
    pub goal: &'static str,
    pub met: bool,
}

fn goal(figure: &'static str, value: f64, goal: &'static str, met: bool) -> Goal {
    Goal {
        figure,
        value,
        goal,
        met,
    }
}

/// The goals the figures measured in this run can be checked against (ratios of figures
/// measured in one run, as the issue asks).
pub fn must_show(r: &BenchReport) -> Vec<Goal> {
    let mut out = Vec::new();
    if let (Some(f), Some(g)) = (&r.fabric, &r.regions) {
        let m = &f.meshed;
        let per_call = m.requests_per_wall_s / g.requests_per_wall_s;
        out.push(goal(
            "324-pod wall time per load call / 2-pod meshed path's",
            per_call,
            "≤ 1.5",
            per_call <= 1.5,
        ));
        let per_hop = m.proxy_hops_per_wall_s / g.proxy_hops_per_wall_s;
        out.push(goal(
            "324-pod wall time per proxied request hop / 2-pod meshed path's",
            per_hop,
            "≤ 1.5",
            per_hop <= 1.5,
        ));
        // The same on the simulating thread's CPU time: on a shared machine the wall time
        // also counts whatever else ran on the core.
        if let (Some(mc), Some(gc)) = (m.cpu_s, g.cpu_s) {
            let per_call = (gc / g.calls as f64) / (mc / m.requests as f64);
            out.push(goal(
                "324-pod CPU time per load call / 2-pod meshed path's",
                per_call,
                "≤ 1.5",
                per_call <= 1.5,
            ));
            let per_hop = (gc / g.proxy_hops as f64) / (mc / m.proxy_hops as f64);
            out.push(goal(
                "324-pod CPU time per proxied request hop / 2-pod meshed path's",
                per_hop,
                "≤ 1.5",
                per_hop <= 1.5,
            ));
        }
    }
    if let Some(f) = &r.fabric {
        out.push(goal(
            "2-pod meshed path / bare echo over the same hops (fabric)",
            f.meshed_over_echo,
            "≥ 0.35",
            f.meshed_over_echo >= 0.35,
        ));
    }
    if let Some(g) = &r.regions {
        out.push(goal(
            "324-pod virtual time / wall time",
            g.virtual_per_wall,
            "≥ 20",
            g.virtual_per_wall >= 20.0,
        ));
    }
    if let Some(Ok(s)) = &r.sweep {
        out.push(goal(
            "sweep --jobs 2 speed-up over --jobs 1 (byte-identical outputs required)",
            s.speedup,
            "≥ 1.6",
            s.speedup >= 1.6 && s.identical,
        ));
    }
    out
}

fn print_substrate(name: &str, f: &SubstrateFigures) {
    let m = &f.meshed;
    println!(
        "{name}: meshed path (fortio → sidecar → sidecar → app) {:.0} requests / wall s \
         ({} in {:.3} s, {} proxy hops; virtual/wall {:.1}×; {:.1} task polls per request); bare \
         echo over the same hops {:.0} round trips / wall s; meshed / echo {:.3}; one pass over \
         1000 idle hosts {:.3} µs",
        m.requests_per_wall_s,
        m.requests,
        m.wall_s,
        m.proxy_hops,
        m.virtual_per_wall,
        m.task_polls_per_request,
        f.echo_round_trips_per_wall_s,
        f.meshed_over_echo,
        f.idle_pass_us_1000_hosts
    );
}

/// The report as text.
pub fn print_report(r: &BenchReport) {
    println!(
        "meshtwin bench ({} build): {} requests, fortio -c {} -qps 0, links {} µs one way (median of 3 runs)",
        r.build, r.requests, r.connections, r.link_us
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
    if let Some(p) = &r.paced {
        println!(
            "meshed path paced at the 324-pod world's rate (fabric, fortio -c {} -qps {}): {:.0} requests / wall s ({} in {:.3} s, {} proxy hops)",
            r.connections,
            crate::bench_regions::CALLS_PER_SECOND,
            p.requests_per_wall_s,
            p.requests,
            p.wall_s,
            p.proxy_hops
        );
    }
    for f in r.regions.iter().chain(&r.one_region) {
        println!("{}", crate::bench_regions::line(f));
    }
    if let (Some(p), Some(g)) = (&r.paced, &r.regions) {
        println!(
            "cost per proxied request hop, {} pods / the paced 2-pod path: wall {:.2}×",
            g.pods,
            p.proxy_hops_per_wall_s / g.proxy_hops_per_wall_s
        );
    }
    if let Some(s) = &r.size_scaling {
        println!(
            "cost per proxied request hop, {} pods / {} pods (same pods, loads and faults per zone): \
             wall {:.2}×{}",
            s.pods.1,
            s.pods.0,
            s.wall_per_hop,
            s.cpu_per_hop
                .map(|c| format!(", CPU {c:.2}×"))
                .unwrap_or_default()
        );
    }
    match &r.sweep {
        Some(Ok(s)) => crate::bench_sweep::print(s),
        Some(Err(e)) => println!("sweep --jobs 1 / --jobs 2: {e}"),
        None => {}
    }
    println!("cost = {}", r.cost);
    for g in &r.must_show {
        println!(
            "{} {}: {:.2} (goal {})",
            if g.met { "met    " } else { "NOT met" },
            g.figure,
            g.value,
            g.goal
        );
    }
}
