//! A scenario on real loopback sockets in real time (`meshtwin run --real`): the same pods as
//! the twin's — every sidecar from the same proxy core and control plane, every app and
//! tcp-echo model, every load generator — on the machine's TCP stack, each pod at its own
//! loopback addresses ([`addresses`]), its tasks on a tokio `LocalSet` ([`hosts`]). The
//! timeline's pushes, crashes, restarts, scaling and app changes happen at their time;
//! `partition`, `link` and `heal` need the simulated network and are skipped (see
//! [`ignored_entries`]); the topology's link latency is not added (loopback has none), nor
//! the proxies' modelled CPU time (they spend it for real, see [`crate::pods::Hosts`]).
//! The result is the twin's [`RunResult`], marked [`RunPlatform::Real`]: not deterministic
//! (real time, the OS's scheduling and entropy).
//!
//! Modules: [`addresses`] (the address plan), [`hosts`] (each pod's platform).

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::event::TraceLevel;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::run::{EngineStats, LoadOutcome, RunPlatform, RunResult};
use meshtwin_model::scenario::{LoadSpec, Scenario, TimelineAction};
use meshtwin_model::topology::Topology;
use meshtwin_proxy::platform::real::RealPlatform;
use meshtwin_proxy::platform::Platform;

use crate::pods::PodRuntime;
use crate::recorder::{Recorder, RecorderObserver, DEFAULT_TRACE_CAP};
use crate::simulator::{proxy_stats, start_loads, start_pods, RunningLoad};
use crate::timeline::{needs_network, Timeline};
use crate::world::{SimError, World};

pub mod addresses;
pub mod hosts;

use addresses::{AddressPlan, Layout};
use hosts::RealHosts;

/// The longest scenario a real run accepts: it takes its whole duration in wall-clock time,
/// and a minute keeps a comparison with the twin (which runs it in a fraction) interactive.
pub const MAX_REAL_DURATION: Duration = Duration::from_secs(60);

/// Why a real run could not run.
#[derive(Debug, thiserror::Error)]
pub enum RealError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(
        "{} s is longer than --real's limit of {} s: a real run takes its scenario's duration in wall-clock time",
        .0.as_secs_f64(),
        MAX_REAL_DURATION.as_secs()
    )]
    TooLong(Duration),
    #[error("cannot start the real platform: {0}")]
    Runtime(#[from] std::io::Error),
    /// Some pod could not listen where the control plane or its app said (a port of the run's
    /// loopback block taken by another program).
    #[error("{}", .0.join("; "))]
    Listen(Vec<String>),
}

/// The timeline entries a real run skips, by index, with what each is.
pub fn ignored_entries(scenario: &Scenario) -> Vec<(usize, &'static str)> {
    (scenario.timeline.iter().enumerate())
        .filter(|(_, e)| needs_network(&e.action))
        .map(|(i, e)| {
            let what = match e.action {
                TimelineAction::Partition { .. } => "partition",
                TimelineAction::Link { .. } => "link",
                _ => "heal",
            };
            (i, what)
        })
        .collect()
}

/// Run `scenario` on `topo` with `policies` (and the timeline's policy sets `states`) on real
/// loopback sockets for `scenario.duration` of wall-clock time, keeping the trace `trace` keeps.
pub fn run_real(
    trace: TraceLevel,
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
    states: &BTreeMap<usize, MeshPolicies>,
) -> Result<RunResult, RealError> {
    let layout = Layout::detect(std::process::id());
    run_real_on(layout, trace, topo, policies, scenario, states)
}

/// Like [`run_real`], with the pods' places laid out as `layout`.
pub fn run_real_on(
    layout: Layout,
    trace: TraceLevel,
    topo: &Topology,
    policies: &MeshPolicies,
    scenario: &Scenario,
    states: &BTreeMap<usize, MeshPolicies>,
) -> Result<RunResult, RealError> {
    if scenario.duration > MAX_REAL_DURATION {
        return Err(RealError::TooLong(scenario.duration));
    }
    let world = World::new(topo, scenario, states);
    let targets = world.load_targets()?;
    let (live, built) = world.live_pods(policies, &targets);
    let plan = Rc::new(AddressPlan::new(world.ips.values(), layout));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tasks = tokio::task::LocalSet::new();
    let recorder = Rc::new(Recorder::with_level(trace, DEFAULT_TRACE_CAP));
    let ran = tasks.block_on(&runtime, async {
        let real = RealPlatform::new();
        let hosts = RealHosts::new(&world.ips, &real, &plan);
        let mut pods = PodRuntime::new(
            hosts,
            world.ips.clone(),
            Rc::new(RecorderObserver(recorder.clone())),
            recorder.clone(),
            scenario.seed,
        );
        let pushed = start_pods(&world, policies, &live, built, &mut pods);
        let loads = start_loads(&world, targets, &pods, &recorder);
        // Every pod's first listen happens at its task's first poll.
        real.sleep(Duration::from_millis(1)).await;
        check_listening(&pods.hosts)?;
        let mut timeline = Timeline::new(&world, policies.clone(), &live, pushed);
        while let Some((at, step)) = timeline.next_step() {
            if at > scenario.duration {
                break;
            }
            real.sleep(at.saturating_sub(real.now())).await;
            timeline.apply(&world, real.now(), step, &mut pods, None);
        }
        real.sleep(scenario.duration.saturating_sub(real.now()))
            .await;
        check_listening(&pods.hosts)?;
        let invariants = crate::invariants::context(&pods);
        Ok::<_, RealError>((proxy_stats(&pods), loads, invariants))
    });
    // Every task of the run ends with its set: sockets close, nothing listens.
    drop(tasks);
    drop(runtime);
    let (proxies, loads, invariants) = ran?;
    let recorder = Rc::try_unwrap(recorder)
        .unwrap_or_else(|_| panic!("all tasks are gone, so is every recorder handle"));
    let mut result = RunResult {
        platform: RunPlatform::Real,
        trace_level: recorder.level(),
        proxies,
        loads: outcomes(loads),
        end: scenario.duration,
        engine: EngineStats {
            hosts: live.len() as u64,
            ..EngineStats::default()
        },
        ..RunResult::default()
    };
    let trace = recorder.into_trace();
    (result.events, result.streamed, result.dropped_events) =
        (trace.events, trace.streamed, trace.dropped);
    result.violations = crate::invariants::check(&result, &invariants);
    Ok(result)
}

/// An error naming every listen that failed so far, if one did.
fn check_listening(hosts: &RealHosts) -> Result<(), RealError> {
    let failed = hosts.listen_failures();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(RealError::Listen(failed))
    }
}

/// What each load did.
fn outcomes(loads: Vec<RunningLoad>) -> Vec<(LoadSpec, String, LoadOutcome)> {
    (loads.into_iter())
        .map(|(spec, src, o)| (spec, src, o.take()))
        .collect()
}
