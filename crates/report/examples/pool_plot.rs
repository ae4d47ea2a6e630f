//! Draws the pool-behaviour plot of a small synthetic trace, to look at the output:
//! `cargo run -p meshtwin-report --example pool_plot -- OUT_DIR` writes `OUT_DIR/pool.svg`,
//! `OUT_DIR/pool.png` and `OUT_DIR/pool.json`.

use meshtwin_model::event::{EventKind, PoolEvent, TraceEvent};
use meshtwin_report::plot::{plot_data_json, plot_panels, RunLabel};
use meshtwin_report::pool::pool_panels;
use std::path::PathBuf;

fn pool(t_ms: f64, cluster: &str, event: PoolEvent, connections: u64, pending: u64) -> TraceEvent {
    TraceEvent {
        t_ms,
        kind: EventKind::Pool {
            proxy: "fortio-0".into(),
            cluster: cluster.into(),
            worker: 0,
            event,
            cx: None,
            connections,
            pending,
        },
    }
}

/// A breaker with `maxConnections: 1`, `http1MaxPendingRequests: 1`: the httpbin pool
/// cycles through one connection while overflows come in bursts; reviews is calm.
fn synthetic_trace() -> Vec<TraceEvent> {
    let httpbin = "outbound|8000||httpbin.default.svc.cluster.local";
    let reviews = "outbound|9080||reviews.default.svc.cluster.local";
    let mut events = Vec::new();
    for i in 0..40u32 {
        let t = f64::from(i) * 100.0;
        events.push(pool(t + 1.0, httpbin, PoolEvent::RqPending, 0, 1));
        events.push(pool(t + 1.0, httpbin, PoolEvent::CxCreate, 1, 1));
        events.push(pool(t + 3.0, httpbin, PoolEvent::RqAttached, 1, 0));
        if i % 3 != 0 {
            events.push(pool(t + 20.0, httpbin, PoolEvent::RqPending, 1, 1));
        }
        for k in 0..(i % 7) {
            let ev = PoolEvent::RqPendingOverflow;
            events.push(pool(t + 30.0 + f64::from(k), httpbin, ev, 1, 1));
        }
        events.push(pool(
            t + 60.0,
            httpbin,
            PoolEvent::CxClosed,
            0,
            u64::from(i % 3 != 0),
        ));
        if i % 10 == 5 {
            events.push(pool(
                t + 5.0,
                reviews,
                PoolEvent::CxCreate,
                1 + u64::from(i / 10),
                0,
            ));
        }
    }
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    events
}

fn main() -> std::io::Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map_or_else(|| ".".into(), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let panels = pool_panels(&synthetic_trace(), 0.0, 4000.0);
    let run = RunLabel {
        scenario: "synthetic fortio trace".into(),
        seed: 0,
    };
    plot_panels(
        "pool behaviour: fortio-0 (maxConnections 1, http1MaxPendingRequests 1)",
        &run,
        "virtual time (s)",
        &panels,
        &dir.join("pool.svg"),
        &dir.join("pool.png"),
    )?;
    let json = serde_json::to_string_pretty(&plot_data_json(&panels))?;
    std::fs::write(dir.join("pool.json"), json + "\n")
}
