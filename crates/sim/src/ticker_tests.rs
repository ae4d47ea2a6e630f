//! Tickers against the sleep loop they replace: the same wake-up order at every instant,
//! no task poll while resting; and the outlier sweep of a cluster built on them.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use meshtwin_model::event::{EventKind, OutlierAction};
use meshtwin_model::policy::{LbPolicy, OutlierDetection, PoolSettings, UpstreamProtocol};
use meshtwin_model::topology::EnvoySettings;
use meshtwin_proxy::cluster::{Cluster, ClusterParams, Retirement};
use meshtwin_proxy::config::{ClusterConfig, Endpoint};
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::outlier::{self, Compat, Detector, Outcome};
use meshtwin_proxy::platform::ticker::tick;
use meshtwin_proxy::platform::{Platform, Rest};
use rand_chacha::ChaCha8Rng;

use crate::clock::Clock;
use crate::network::{Network, Substrate};
use crate::platform::{Core, SimPlatform};
use crate::scheduler::run_until;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Log = Rc<RefCell<Vec<(Duration, String)>>>;

/// One host on the fabric.
fn world() -> (Network, SimPlatform) {
    let clock = Rc::new(Clock::default());
    let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let (network, hosts) = Network::new(
        Substrate::Fabric,
        clock.clone(),
        &[ip],
        Box::new(|_, _| Duration::ZERO),
    );
    let core = Rc::new(Core::new(clock, &network));
    (
        network,
        SimPlatform {
            core,
            host: hosts[0],
        },
    )
}

fn run(network: &mut Network, p: &SimPlatform, end: Duration) {
    run_until(&p.core, network, end, || false);
}

/// Move the clock to `t` (nothing else happening).
fn advance(network: &mut Network, p: &SimPlatform, t: Duration) {
    let q = p.clone();
    p.spawn(Box::pin(async move { q.sleep(t - q.now()).await }));
    run(network, p, t);
    assert_eq!(p.now(), t);
}

/// Counts the polls of the future it wraps.
struct Counted<F> {
    polls: Rc<Cell<u32>>,
    fut: Pin<Box<F>>,
}

impl<F: Future<Output = ()>> Future for Counted<F> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        self.fut.as_mut().poll(cx)
    }
}

/// A task that sleeps until `due` ms (armed at `armed` ms), then logs `name`, and with
/// `work` adds one unit of work for the sweeper and ends its rest.
fn at(
    p: &SimPlatform,
    log: &Log,
    work: Option<(&Rc<Cell<u32>>, &Rc<Rest>)>,
    name: &str,
    armed: u64,
    due: u64,
) {
    let (q, log, name) = (p.clone(), log.clone(), name.to_string());
    let work = work.map(|(w, r)| (w.clone(), r.clone()));
    p.spawn(Box::pin(async move {
        q.sleep(ms(armed)).await;
        q.sleep(ms(due - armed)).await;
        log.borrow_mut().push((q.now(), name));
        if let Some((w, r)) = work {
            w.set(w.get() + 1);
            r.end();
        }
    }));
}

/// A sweeper ticking every 10 ms among tasks whose timers fall on its ticks, armed before and
/// after its own (at its very instant, too), some of them handing it work at a tick: the log
/// of what happens, and how often the sweeper was polled. `resting`: it rests whenever it has
/// nothing to do (otherwise it runs every tick, as the old sleep loop did).
fn sweeps(resting: bool) -> (Vec<(Duration, String)>, u32) {
    let (mut network, p) = world();
    let log: Log = Rc::default();
    let work = Rc::new(Cell::new(0u32));
    let rest = Rc::new(Rest::default());
    let polls = Rc::new(Cell::new(0));
    // Before the sweeper: its 30 ms timer is armed (at 0) before the sweeper's (at 20).
    at(
        &p,
        &log,
        Some((&work, &rest)),
        "work before the 30 ms tick",
        0,
        30,
    );
    let mut ticker = p.ticker(ms(10), rest.clone());
    let (q, l, w, r) = (p.clone(), log.clone(), work.clone(), rest.clone());
    let sweeper = async move {
        loop {
            tick(&mut *ticker).await;
            if w.get() > 0 {
                l.borrow_mut()
                    .push((q.now(), format!("sweep {}", w.replace(0))));
            }
            if resting && w.get() == 0 {
                r.start();
            }
        }
    };
    p.spawn(Box::pin(Counted {
        polls: polls.clone(),
        fut: Box::pin(sweeper),
    }));
    let work = Some((&work, &rest));
    // At 10 ms, after the sweeper's turn: swept at 20 ms.
    at(&p, &log, work, "work after the 10 ms tick", 0, 10);
    // 50 ms: one timer armed before the sweeper's (at 40), one after, work in between.
    at(&p, &log, None, "armed at 35 for 50", 35, 50);
    at(&p, &log, work, "work at 45", 45, 45);
    at(&p, &log, None, "armed at 45 for 50", 45, 50);
    // A long rest (60..100 ms): at 90 ms one task re-arms for 100 ms before the sweeper's
    // turn and one after it; work at 97 ms is swept at 100 ms between the two.
    at(&p, &log, None, "armed at 75 for 90", 75, 90);
    at(&p, &log, None, "armed at 85 for 90", 85, 90);
    for (name, armed) in [("re-armed before the sweeper", 75), ("re-armed after", 85)] {
        let (q, log) = (p.clone(), log.clone());
        p.spawn(Box::pin(async move {
            q.sleep(ms(armed)).await;
            q.sleep(ms(90 - armed)).await;
            q.sleep(ms(10)).await;
            log.borrow_mut().push((q.now(), name.to_string()));
        }));
    }
    at(&p, &log, work, "work at 97", 97, 97);
    // Quiet for a while; work at exactly the 300 ms tick, before and after its turn.
    at(&p, &log, work, "work at 300, armed before", 200, 300);
    at(&p, &log, work, "work at 300, armed after", 295, 300);
    run(&mut network, &p, ms(400));
    let polls = polls.get();
    p.core.exec.shutdown();
    let log = log.borrow().clone();
    (log, polls)
}

#[test]
fn a_resting_ticker_sweeps_at_the_same_instants_in_the_same_order_as_the_sleep_loop() {
    let (awake, awake_polls) = sweeps(false);
    let (rested, rested_polls) = sweeps(true);
    assert_eq!(rested, awake);
    let at = |t: u64| -> Vec<&str> {
        (awake.iter())
            .filter(|(when, _)| *when == ms(t))
            .map(|(_, what)| what.as_str())
            .collect()
    };
    assert_eq!(at(20), ["sweep 1"]);
    assert_eq!(at(30), ["work before the 30 ms tick", "sweep 1"]);
    assert_eq!(
        at(50),
        ["armed at 35 for 50", "sweep 1", "armed at 45 for 50"]
    );
    assert_eq!(
        at(100),
        ["re-armed before the sweeper", "sweep 1", "re-armed after"]
    );
    assert_eq!(
        at(300),
        [
            "work at 300, armed before",
            "sweep 1",
            "work at 300, armed after"
        ]
    );
    assert_eq!(at(310), ["sweep 1"]);
    // The sleep loop is polled at every tick; the resting ticker at its first poll, at the
    // 10 ms tick (it starts awake) and at the six ticks with work.
    assert_eq!(awake_polls, 1 + 40);
    assert_eq!(rested_polls, 1 + 1 + 6);
}

#[test]
fn a_resting_ticker_is_not_polled_and_keeps_one_timer() {
    let (mut network, p) = world();
    let rest = Rc::new(Rest::default());
    let polls = Rc::new(Cell::new(0));
    let mut ticker = p.ticker(ms(10), rest.clone());
    let r = rest.clone();
    p.spawn(Box::pin(Counted {
        polls: polls.clone(),
        fut: Box::pin(async move {
            loop {
                tick(&mut *ticker).await;
                r.start();
            }
        }),
    }));
    run(&mut network, &p, ms(15));
    assert_eq!(polls.get(), 2, "first poll, then the 10 ms tick");
    let before = p.core.exec.polls();
    run(&mut network, &p, ms(10_000));
    assert_eq!(polls.get(), 2);
    assert_eq!(
        p.core.exec.polls(),
        before,
        "no task polled in 999 resting ticks"
    );
    assert_eq!(p.core.clock.next_deadline(), Some(ms(10_010)), "phase kept");
    rest.end();
    run(&mut network, &p, ms(10_010));
    assert_eq!(polls.get(), 3);
    p.core.exec.shutdown();
    assert_eq!(
        p.core.clock.next_deadline(),
        None,
        "a dropped ticker disarms"
    );
}

/// Records the outlier events.
#[derive(Default)]
struct Outliers(RefCell<Vec<(Duration, OutlierAction)>>);

impl Observer for Outliers {
    fn event(&self, now: Duration, kind: EventKind) {
        if let EventKind::Outlier { action, .. } = kind {
            self.0.borrow_mut().push((now, action));
        }
    }
}

fn detection() -> OutlierDetection {
    OutlierDetection {
        consecutive_5xx: Some(5),
        consecutive_gateway_failure: None,
        consecutive_local_origin_failure: None,
        split_external_local_origin_errors: false,
        interval: Duration::from_secs(10),
        base_ejection_time: Duration::from_secs(30),
        max_ejection_time: None,
        max_ejection_percent: 100,
        enforcing_consecutive_5xx: 100,
        enforcing_consecutive_gateway_failure: 0,
        enforcing_success_rate: 0,
        healthy_panic_threshold: None,
    }
}

fn cluster(p: &SimPlatform, observer: Rc<Outliers>) -> Rc<Cluster<SimPlatform>> {
    let addr = |i: u8| SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, i)), 80);
    let cfg = ClusterConfig {
        name: "c".into(),
        endpoints: vec![Endpoint::new(addr(1), "a"), Endpoint::new(addr(2), "b")].into(),
        protocol: UpstreamProtocol::Http1,
        pool: PoolSettings::istio_default(),
        lb_policy: LbPolicy::RoundRobin,
        outlier_detection: Some(detection()),
        locality_weights: Default::default(),
        health_check: None,
    };
    let c = Cluster::new(
        ClusterParams {
            cfg,
            envoy: &EnvoySettings::default(),
            platform: p.clone(),
            observer,
            proxy: "p".into(),
            seed: 1,
        },
        None,
    );
    c.start();
    c
}

fn action(e: &outlier::Event) -> OutlierAction {
    match e {
        outlier::Event::Ejected { .. } => OutlierAction::Ejected,
        outlier::Event::Unejected { .. } => OutlierAction::Unejected,
        outlier::Event::NotEnforced { .. } => OutlierAction::NotEnforced,
        outlier::Event::Overflow { .. } => OutlierAction::Overflow,
    }
}

/// At `at`, report five 503s from endpoint 0.
fn fail_at(p: &SimPlatform, c: &Rc<Cluster<SimPlatform>>, at: Duration) {
    let (q, c) = (p.clone(), Rc::downgrade(c));
    p.spawn(Box::pin(async move {
        q.sleep(at - q.now()).await;
        if let Some(c) = c.upgrade() {
            (0..5).for_each(|_| c.report_outcome(0, Outcome::Http(503)));
        }
    }));
}

#[test]
fn a_quiet_cluster_ejects_and_unejects_at_the_sweeps_of_a_detector_swept_every_interval() {
    let (mut network, p) = world();
    advance(&mut network, &p, ms(700));
    let seen = Rc::new(Outliers::default());
    let c = cluster(&p, seen.clone());
    let failures = [ms(12_300), ms(95_000), ms(150_700)];
    for t in failures {
        fail_at(&p, &c, t);
    }
    let polls_before = p.core.exec.polls();
    run(&mut network, &p, ms(300_000));
    // The same detector swept by hand at every tick (cluster made at 0.7 s, interval 10 s).
    let cfg =
        outlier::Config::from_model(&detection(), Compat::from_envoy(&EnvoySettings::default()))
            .expect("valid");
    let mut d = Detector::new(cfg, [outlier::HostId(0), outlier::HostId(1)]);
    let mut rng: ChaCha8Rng = meshtwin_model::rng::stream(1, "cluster/c/outlier");
    let mut expected = Vec::new();
    let mut awake_ticks = 0;
    let mut failures = failures.into_iter().peekable();
    for k in 1..=29u64 {
        let sweep = ms(700) + ms(10_000) * k as u32;
        while let Some(t) = failures.next_if(|t| *t <= sweep) {
            for _ in 0..5 {
                let e = d.report(outlier::HostId(0), Outcome::Http(503), t, &mut rng);
                expected.extend(e.iter().map(|e| (t, action(e))));
            }
        }
        // The task starts awake, and is awake at a tick iff the sweep has something to do.
        awake_ticks += u64::from(k == 1 || !d.is_quiescent());
        let e = d.on_interval(sweep, &mut rng);
        expected.extend(e.iter().map(|e| (sweep, action(e))));
    }
    assert_eq!(*seen.0.borrow(), expected);
    let ejections: Vec<_> = (expected.iter())
        .filter(|e| e.1 != OutlierAction::NotEnforced)
        .collect();
    assert_eq!(
        ejections.iter().map(|e| e.0).collect::<Vec<_>>(),
        [12_300, 50_700, 95_000, 130_700, 150_700, 180_700].map(ms),
        "ejected at each failure, unejected at the first sweep 30 s later"
    );
    // Each failing task is polled twice; the sweep task once at its start and then only at
    // the ticks whose sweep has work.
    let polls = p.core.exec.polls() - polls_before - 2 * 3;
    assert_eq!(polls, 1 + awake_ticks);
    assert!(awake_ticks < 29, "{awake_ticks} of 29 ticks: never rested");
    drop(c);
    p.core.exec.shutdown();
}

#[test]
fn a_resting_sweep_task_ends_at_the_next_tick_after_its_cluster_is_retired_or_dropped() {
    for retire in [true, false] {
        let (mut network, p) = world();
        let seen = Rc::new(Outliers::default());
        let c = cluster(&p, seen.clone());
        run(&mut network, &p, ms(25_000));
        assert_eq!(p.core.exec.task_count(), 1, "the sweep task rests");
        let weak = Rc::downgrade(&c);
        if retire {
            c.retire(Retirement::Removed);
        } else {
            drop(c);
            assert!(
                weak.upgrade().is_none(),
                "the resting task holds no cluster"
            );
        }
        run(&mut network, &p, ms(29_999));
        assert_eq!(
            p.core.exec.task_count(),
            1,
            "it ends at its tick, not before"
        );
        run(&mut network, &p, ms(30_000));
        assert_eq!(p.core.exec.task_count(), 0, "retire: {retire}");
        assert_eq!(p.core.clock.next_deadline(), None, "and disarms its ticker");
    }
}
