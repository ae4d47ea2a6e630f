//! An app's behaviour by path and method (`routes:` inside `app:`): each request gets the
//! first route that matches it, the app's own fields filling what the route leaves out.

mod common;

use std::time::Duration;

use common::*;
use meshtwin_model::topology::{AppBehaviour, AppRoute, LatencyDist, PathMatch};

fn fixed(ms: u64) -> LatencyDist {
    LatencyDist::Fixed {
        value: Duration::from_millis(ms),
    }
}

fn route(path: PathMatch, methods: &[&str]) -> AppRoute {
    AppRoute {
        path,
        methods: methods.iter().map(|m| m.to_string()).collect(),
        latency: None,
        error_rate: None,
        error_status: None,
        response_bytes: None,
        calls: None,
    }
}

#[test]
fn each_request_gets_the_latency_and_status_of_the_route_its_path_and_method_match() {
    let mut topo = httpbin_topology();
    topo.workloads[0].app = Some(AppBehaviour {
        port: 80,
        latency: fixed(2),
        routes: vec![
            AppRoute {
                latency: Some(fixed(40)),
                ..route(PathMatch::Prefix("/delay".into()), &[])
            },
            AppRoute {
                error_rate: Some(1.0),
                error_status: Some(418),
                ..route(PathMatch::Exact("/get".into()), &["POST"])
            },
        ],
        ..AppBehaviour::default()
    });
    // One load after the other: the test's DestinationRule allows one connection.
    let load = |name: &str, start_s: u64, method: &str, path: &str| {
        let mut l = fortio(name, start_s * 1000, 1, 20);
        l.method = method.into();
        l.url = format!("http://httpbin:8000{path}");
        l
    };
    let sc = scenario(
        1,
        vec![
            load("get", 1, "GET", "/get"),
            load("post", 4, "POST", "/get"),
            load("delay", 7, "GET", "/delay/1?x=1"),
        ],
    );
    let r = meshtwin_sim::run(&topo, &circuit_breaker_policy(), &sc).expect("valid scenario");
    let calls = |i: usize| r.traced_calls(&r.loads[i].0.name);
    let ms = |d: Duration| d.as_micros() as f64 / 1000.0;
    // GET /get: no route matches (the /get route is POST only): the app's 2 ms, 200.
    assert_eq!(calls(0).len(), 20);
    assert!(calls(0)
        .iter()
        .all(|c| c.status == 200 && ms(c.latency) < 10.0));
    // POST /get: the route's status, every time.
    assert!(
        calls(1).iter().all(|c| c.status == 418),
        "{:?}",
        calls(1)[0]
    );
    // GET /delay/1?x=1: the /delay prefix, query string aside: 40 ms of service time.
    assert!(calls(2)
        .iter()
        .all(|c| c.status == 200 && (40.0..50.0).contains(&ms(c.latency))));
}
