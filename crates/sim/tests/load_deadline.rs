//! A paced load with a duration (`fortio load -qps Q -t T`) stops at its deadline, as fortio
//! does, rather than making all of its `Q × T` calls however long they take; each connection
//! that stopped short says how many of its calls it made, for fortio's "only did N out of M
//! calls" line.

mod common;

use std::time::Duration;

use common::*;
use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::topology::LatencyDist;
use meshtwin_sim::loadgen::CutShort;

/// httpbin answering in exactly `ms`, one paced load of `qps` for 5 s from 1 s on, 8
/// connections.
fn run(ms: u64, qps: f64) -> meshtwin_sim::RunResult {
    let mut topo = httpbin_topology();
    let app = topo.workloads[0].app.as_mut().expect("httpbin runs an app");
    app.latency = LatencyDist::Uniform {
        min: Duration::from_millis(ms),
        max: Duration::from_millis(ms),
    };
    let mut load = fortio("paced", 1000, 8, 0);
    load.calls = None;
    load.qps = qps;
    load.duration = Some(Duration::from_secs(5));
    meshtwin_sim::run(&topo, &MeshPolicies::default(), &scenario(1, vec![load]))
        .expect("valid scenario")
}

#[test]
fn a_load_that_cannot_keep_its_pace_stops_at_its_deadline() {
    // 1000 qps over 8 connections is a call every 8 ms per connection; each takes over 20 ms.
    let r = run(20, 1000.0);
    let o = &r.loads[0].2;
    let deadline = Duration::from_secs(6);
    let started_late: Vec<_> = r
        .traced_calls(&r.loads[0].0.name)
        .into_iter()
        .filter(|c| c.end - c.latency > deadline)
        .collect();
    assert!(
        started_late.is_empty(),
        "{} calls started after the deadline, the first {:?}",
        started_late.len(),
        started_late.first()
    );
    let last = o.last_end.expect("the load made calls");
    assert!(
        last < deadline + Duration::from_millis(100),
        "the last call ended at {last:?}, long after the 6 s deadline"
    );
    // Every connection fell behind and says so: made N of its 625.
    assert_eq!(o.cut_short.len(), 8, "{:?}", o.cut_short);
    let mut made = 0;
    for (i, s) in o.cut_short.iter().enumerate() {
        assert_eq!((s.connection, s.planned), (i as u64, 625), "{s:?}");
        assert!(s.done >= 2 && s.done < 625, "{s:?}");
        made += s.done;
    }
    assert_eq!(made, o.calls.len());
}

#[test]
fn a_load_that_keeps_its_pace_makes_every_call_and_reports_nothing() {
    // A call every 80 ms per connection, each taking about 1 ms: one due at 0, 80, ...,
    // 4960 ms, 63 per connection.
    let r = run(1, 100.0);
    let o = &r.loads[0].2;
    assert_eq!(r.loads[0].0.total_planned_calls(), Some(504));
    assert_eq!(o.calls.len(), 504);
    assert_eq!(o.cut_short, Vec::<CutShort>::new());
}
