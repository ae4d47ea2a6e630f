//! Failover shares and time from synthetic traces.

use super::*;
use crate::plot::Panel;
use meshtwin_model::event::{EndpointInfo, TraceEvent};

fn request(t_ms: f64, load: &str, upstream: Option<&str>) -> TraceEvent {
    TraceEvent {
        t_ms,
        kind: EventKind::Request {
            load: load.into(),
            src_pod: "sleep-0".into(),
            request_id: format!("{load}-{t_ms}"),
            upstream_pod: upstream.map(str::to_string),
            status: if upstream.is_some() { 200 } else { 503 },
            flags: meshtwin_model::event::ResponseFlags::none(),
            latency_ms: 1.0,
            new_socket: false,
            notes: vec![],
        },
    }
}

fn pods() -> BTreeMap<String, Place> {
    [
        ("east-0", "us-east1/b", "east"),
        ("west-0", "us-west1/a", "west"),
    ]
    .into_iter()
    .map(|(p, l, c)| {
        (
            p.to_string(),
            Place {
                locality: l.into(),
                cluster: c.into(),
            },
        )
    })
    .collect()
}

/// Ten requests a second for 10 s: east until `fail_at`, one failure, then west.
fn failover_trace(fail_at: f64) -> Vec<TraceEvent> {
    (0..100)
        .map(|i| {
            let t = 50.0 + i as f64 * 100.0;
            let up = if t < fail_at {
                Some("east-0")
            } else if t < fail_at + 100.0 {
                None
            } else {
                Some("west-0")
            };
            request(t, "curl", up)
        })
        .collect()
}

#[test]
fn traffic_that_moves_to_another_locality_gives_its_failover_time() {
    let served = served_by_load(&failover_trace(4_000.0), &pods());
    let f = failover_time(&served["curl"]).expect("traffic fails over");
    assert_eq!(f.from_locality, "us-east1/b");
    assert_eq!(f.to_locality, "us-west1/a");
    // The failed request at 4050 ms counts against the window it starts; the next one is
    // all west.
    assert_eq!(f.at_ms, 4_150.0);
}

#[test]
fn traffic_split_across_localities_never_counts_as_failover() {
    let events: Vec<TraceEvent> = (0..100)
        .map(|i| {
            let up = if i % 2 == 0 { "east-0" } else { "west-0" };
            request(i as f64 * 100.0, "curl", Some(up))
        })
        .collect();
    let served = served_by_load(&events, &pods());
    assert_eq!(failover_time(&served["curl"]), None);
    assert!(worth_plotting(
        &events,
        &shares_by_load(&events, &pods(), 1000.0)
    ));
}

#[test]
fn a_move_in_the_last_second_of_the_load_is_not_judged() {
    let served = served_by_load(&failover_trace(9_500.0), &pods());
    assert_eq!(failover_time(&served["curl"]), None);
}

#[test]
fn shares_per_locality_and_cluster_are_bucketed_and_failures_are_none() {
    let loads = shares_by_load(&failover_trace(4_000.0), &pods(), bucket_ms(9_950.0));
    let panels = failover_panels(&loads);
    assert_eq!(panels.len(), 2, "localities and clusters");
    let by_name = |p: &Panel, n: &str| -> Vec<(f64, f64)> {
        p.series
            .iter()
            .find(|s| s.name == n)
            .unwrap()
            .points
            .clone()
    };
    let east = by_name(&panels[0], "us-east1/b");
    assert_eq!(east.len(), 11, "ten buckets and the end of the last");
    assert_eq!(east[10].0, 10_000.0);
    assert!(
        east[10].1.is_nan(),
        "nothing drawn after the load's last bucket"
    );
    assert_eq!(east[3], (3_000.0, 1.0));
    assert_eq!(east[4], (4_000.0, 0.0));
    assert_eq!(by_name(&panels[0], NONE)[4], (4_000.0, 0.1));
    assert_eq!(by_name(&panels[0], "us-west1/a")[4], (4_000.0, 0.9));
    assert_eq!(by_name(&panels[1], "west")[9], (9_000.0, 1.0));
}

#[test]
fn hosts_that_are_not_pods_take_their_locality_from_the_endpoint_sets() {
    let mut events = vec![TraceEvent {
        t_ms: 0.0,
        kind: EventKind::Endpoints {
            proxy: "sleep-0".into(),
            cluster: "outbound|80||mydb.com".into(),
            endpoints: vec![EndpointInfo {
                address: "52.94.12.144:80".into(),
                host: "dynamodb.us-west-1.amazonaws.com".into(),
                locality: "us-west".into(),
                priority: 1,
            }]
            .into(),
        },
    }];
    events.push(request(
        5.0,
        "curl",
        Some("dynamodb.us-west-1.amazonaws.com"),
    ));
    events.push(request(6.0, "curl", Some("somewhere-else")));
    let served = served_by_load(&events, &BTreeMap::new());
    let localities: Vec<&str> = served["curl"]
        .iter()
        .map(|s| s.place.as_ref().unwrap().locality.as_str())
        .collect();
    assert_eq!(localities, ["us-west", UNKNOWN]);
    let panels = failover_panels(&shares_by_load(&events, &BTreeMap::new(), 1000.0));
    assert_eq!(panels.len(), 1, "no cluster panel without known clusters");
}

#[test]
fn one_locality_and_no_fault_is_not_worth_a_plot() {
    let events: Vec<TraceEvent> = (0..10)
        .map(|i| request(i as f64, "curl", Some("east-0")))
        .collect();
    let loads = shares_by_load(&events, &pods(), 1000.0);
    assert!(!worth_plotting(&events, &loads));
}

#[test]
fn buckets_are_one_second_up_to_a_minute_then_a_sixtieth_rounded_up() {
    assert_eq!(bucket_ms(20_000.0), 1000.0);
    assert_eq!(bucket_ms(60_000.0), 1000.0);
    assert_eq!(bucket_ms(300_000.0), 5000.0);
    assert_eq!(bucket_ms(301_000.0), 6000.0);
}

#[test]
fn empty_buckets_inside_a_load_are_gaps_and_sparse_loads_never_fail_over() {
    let served = |t: f64, loc: &str| Served {
        t_ms: t,
        place: Some(std::sync::Arc::new(Place {
            locality: loc.into(),
            cluster: String::new(),
        })),
    };
    let reqs = vec![served(500.0, "a"), served(3_500.0, "b")];
    let series = share_series(&reqs, 1_000.0, |s| {
        s.place.as_ref().unwrap().locality.clone()
    });
    let a = &series.iter().find(|s| s.name == "a").unwrap().points;
    assert_eq!(a.len(), 5, "buckets 0..=3 and the end");
    assert_eq!(a[0], (0.0, 1.0));
    assert!(
        a[1].1.is_nan() && a[2].1.is_nan() && a[4].1.is_nan(),
        "{a:?}"
    );
    assert_eq!(a[3], (3_000.0, 0.0));
    // One call every 2 s moving from a to b: too few per window to call it a failover.
    let sparse: Vec<Served> = (0..10)
        .map(|i| served(f64::from(i) * 2_000.0, if i < 5 { "a" } else { "b" }))
        .collect();
    assert_eq!(failover_time(&sparse), None);
}

#[test]
fn loads_that_run_one_after_the_other_share_one_timeline_and_overlapping_ones_do_not() {
    // `a` from 0 to 0.9 s in the east, `b` from 2 to 2.9 s in the west, `c` overlapping `b`.
    let mut events: Vec<TraceEvent> = (0..10)
        .map(|i| request(i as f64 * 100.0, "a", Some("east-0")))
        .collect();
    events.extend((0..10).map(|i| request(2_000.0 + i as f64 * 100.0, "b", Some("west-0"))));
    events.extend((0..10).map(|i| request(2_050.0 + i as f64 * 100.0, "c", Some("east-0"))));
    events.sort_by(|x, y| x.t_ms.total_cmp(&y.t_ms));
    let loads = shares_by_load(&events, &pods(), 1000.0);
    assert_eq!(sequential_groups(&loads), vec![vec!["a", "b"], vec!["c"]]);
    let panels = failover_panels(&loads);
    let titles: Vec<&str> = panels.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "loads a, b (one after the other): share of requests per upstream locality",
            "loads a, b (one after the other): share of requests per upstream cluster",
            "load c: share of requests per upstream locality",
        ]
    );
    let east = &panels[0]
        .series
        .iter()
        .find(|s| s.name == "us-east1/b")
        .unwrap()
        .points;
    assert_eq!(east[0], (0.0, 1.0));
    assert!(east[1].1.is_nan(), "the second without requests is a gap");
    assert_eq!(east[2], (2_000.0, 0.0));
}

/// The failover time judged over the whole list at once (how it was computed before the
/// watch judged it as requests arrive).
fn failover_judged_at_once(served: &[Served]) -> Option<Failover> {
    let first = served.first()?.t_ms;
    let last = served.last()?.t_ms;
    let from = majority(
        served
            .iter()
            .enumerate()
            .take_while(|(i, s)| *i < MIN_WINDOW_REQUESTS || s.t_ms < first + WINDOW_MS)
            .filter_map(|(_, s)| s.place.as_deref()),
    )?;
    let away = |s: &Served| s.place.as_ref().is_some_and(|p| p.locality != from);
    let (mut end, mut n, mut k) = (0usize, 0usize, 0usize);
    for (i, s) in served.iter().enumerate() {
        if s.t_ms + WINDOW_MS > last {
            break;
        }
        while end < served.len() && served[end].t_ms < s.t_ms + WINDOW_MS {
            n += 1;
            k += usize::from(away(&served[end]));
            end += 1;
        }
        if n >= MIN_WINDOW_REQUESTS && k as f64 >= FAILOVER_SHARE * n as f64 {
            let to = majority(
                served[i..end]
                    .iter()
                    .filter(|s| away(s))
                    .filter_map(|s| s.place.as_deref()),
            )?;
            return Some(Failover {
                from_locality: from,
                to_locality: to,
                at_ms: s.t_ms,
            });
        }
        n -= 1;
        k -= usize::from(away(s));
    }
    None
}

#[test]
fn the_watch_judges_as_the_whole_list_judged_at_once() {
    let places: Vec<Option<std::sync::Arc<Place>>> = ["a", "b", "c"]
        .iter()
        .map(|l| {
            Some(std::sync::Arc::new(Place {
                locality: l.to_string(),
                cluster: String::new(),
            }))
        })
        .chain([None])
        .collect();
    // A fixed linear congruential sequence: gaps of 0 to 400 ms (equal times included),
    // upstreams mostly `a` early and mostly `b` after a random switch.
    let mut x: u64 = 12345;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let (mut moved, mut kept) = (0, 0);
    for case in 0..400 {
        let len = next(80) as usize;
        let switch = next(len.max(1) as u64) as usize;
        let mut t = next(3) as f64 * 100.0;
        let served: Vec<Served> = (0..len)
            .map(|i| {
                t += [0.0, 1.0, 50.0, 100.0, 400.0][next(5) as usize];
                let usual = if i < switch { 0 } else { 1 };
                let p = if next(10) < 8 {
                    usual
                } else {
                    next(4) as usize
                };
                Served {
                    t_ms: t,
                    place: places[p].clone(),
                }
            })
            .collect();
        let expected = failover_judged_at_once(&served);
        assert_eq!(failover_time(&served), expected, "case {case}: {served:?}");
        if expected.is_some() {
            moved += 1;
        } else {
            kept += 1;
        }
    }
    assert!(
        moved > 20 && kept > 20,
        "both outcomes covered: {moved} / {kept}"
    );
}
