//! `meshtwin proxy`: one pod's proxy on real sockets, configured from a bundled scenario as
//! the twin's control plane configures it. fortio's sidecar from the Istio circuit-breaking
//! scenario proxies to a real upstream on loopback with the scenario's DestinationRule (one
//! request per connection), answers an unknown host with 404 (NR), shows Envoy-named stats on
//! its admin port and stops on `POST /quitquitquit`.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use common::{meshtwin, scrape, workspace_root};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An upstream answering every HTTP/1.1 request with 200 "hello from upstream" (keep-alive).
fn upstream() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in l.incoming().flatten() {
            thread::spawn(move || {
                let mut s = stream;
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                loop {
                    let Ok(n) = s.read(&mut buf) else { return };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        seen.drain(..end + 4);
                        let body = "hello from upstream";
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if s.write_all(resp.as_bytes()).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    port
}

/// One HTTP/1.1 request on a fresh connection; the whole response as text.
fn request(port: u16, method: &str, host: &str, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Kills the proxy if the test fails before stopping it.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Wait until something listens on `port`.
fn wait_for(port: u16, child: &mut Child) {
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("meshtwin proxy exited early: {status}");
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("nothing listens on {port}");
}

#[test]
fn fortios_sidecar_proxies_to_a_real_upstream_with_the_scenarios_policies() {
    let up = upstream();
    let (listen, admin) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_meshtwin"))
        .current_dir(workspace_root())
        .args([
            "proxy",
            "scenarios/istio-circuit-breaking.yaml",
            "--pod",
            "fortio-0",
            "--listen",
            &format!("127.0.0.1:{listen}"),
            "--endpoint",
            &format!("httpbin-0=127.0.0.1:{up}"),
            "--admin",
            &format!("127.0.0.1:{admin}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(Some(child));
    let child = guard.0.as_mut().unwrap();
    wait_for(listen, child);
    wait_for(admin, child);

    let ok = request(listen, "GET", "httpbin:8000", "/get");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with("hello from upstream"), "{ok}");
    let nr = request(listen, "GET", "nowhere:1234", "/");
    assert!(nr.starts_with("HTTP/1.1 404"), "{nr}");

    let stats = request(admin, "GET", "admin", "/stats");
    let cluster = "cluster.outbound|8000||httpbin.default.svc.cluster.local";
    for line in [
        format!("{cluster}.upstream_rq_200: 1"),
        // The scenario's DestinationRule: maxRequestsPerConnection 1.
        format!("{cluster}.upstream_cx_max_requests: 1"),
        "http.outbound_0.0.0.0_15001.downstream_rq_4xx: 1".to_string(),
    ] {
        assert!(stats.contains(&line), "no `{line}` in\n{stats}");
    }
    let bye = request(admin, "POST", "admin", "/quitquitquit");
    assert!(bye.starts_with("HTTP/1.1 200"), "{bye}");
    let out = guard.0.take().unwrap().wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // The access logs on stdout, as trace.jsonl lines.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("\"kind\":\"access_log\"") && l.contains("\"status\":200")),
        "{stdout}"
    );
}

#[test]
fn a_pod_without_a_sidecar_or_a_bad_mapping_is_invalid_input() {
    let got = meshtwin([
        "proxy",
        "scenarios/kubesphere-ratings-breaker.yaml",
        "--pod",
        "browser-0",
    ]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(got.stderr.contains("has no proxy"), "{}", got.transcript());
    let got = meshtwin([
        "proxy",
        "scenarios/istio-circuit-breaking.yaml",
        "--pod",
        "fortio-0",
        "--endpoint",
        "httpbin-0:8080",
    ]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr.contains("expected <pod>=<ip:port>"),
        "{}",
        got.transcript()
    );
}

/// Start fortio's sidecar (circuit-breaking scenario) to upstream `up`, with `extra` flags,
/// under at most `nofile` file descriptors if given; the child, its listener and admin ports.
fn spawn_sidecar(up: u16, extra: &[&str], nofile: Option<u32>) -> (KillOnDrop, u16, u16) {
    let (listen, admin) = (free_port(), free_port());
    let bin = env!("CARGO_BIN_EXE_meshtwin");
    let mut cmd = match nofile {
        Some(n) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.current_dir(workspace_root())
        .args([
            "proxy",
            "scenarios/istio-circuit-breaking.yaml",
            "--pod",
            "fortio-0",
            "--listen",
            &format!("127.0.0.1:{listen}"),
            "--endpoint",
            &format!("httpbin-0=127.0.0.1:{up}"),
            "--admin",
            &format!("127.0.0.1:{admin}"),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut guard = KillOnDrop(Some(cmd.spawn().unwrap()));
    let child = guard.0.as_mut().unwrap();
    wait_for(listen, child);
    wait_for(admin, child);
    (guard, listen, admin)
}

/// CPU time (user + system, in clock ticks) the process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Stop the sidecar through its admin port; it must exit 0.
fn quit(mut guard: KillOnDrop, admin: u16) {
    let bye = request(admin, "POST", "admin", "/quitquitquit");
    assert!(bye.starts_with("HTTP/1.1 200"), "{bye}");
    let mut child = guard.0.take().unwrap();
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the sidecar did not stop on /quitquitquit");
}

fn counter(stats: &str, name: &str) -> u64 {
    stats
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in\n{stats}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn an_admin_port_in_use_is_an_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let got = meshtwin([
        "proxy",
        "scenarios/istio-circuit-breaking.yaml",
        "--pod",
        "fortio-0",
        "--listen",
        &format!("127.0.0.1:{}", free_port()),
        "--admin",
        &format!("127.0.0.1:{port}"),
    ]);
    assert_eq!(got.code, 2, "{}", got.transcript());
    assert!(
        got.stderr
            .contains(&format!("--admin 127.0.0.1:{port}: cannot listen")),
        "{}",
        got.transcript()
    );
}

#[test]
fn out_of_file_descriptors_the_admin_still_answers_and_quits() {
    let up = upstream();
    let (guard, listen, admin) = spawn_sidecar(up, &[], Some(64));
    // Far more connections than 64 descriptors hold, all kept open.
    let held: Vec<TcpStream> = (0..150)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", listen)).ok())
        .collect();
    thread::sleep(Duration::from_millis(300));
    let stats = request(admin, "GET", "admin", "/stats");
    assert!(stats.starts_with("HTTP/1.1 200"), "{stats}");
    assert!(
        counter(&stats, "listener_manager.downstream_global_cx_overflow") > 0,
        "{stats}"
    );
    drop(held);
    quit(guard, admin);
}

#[test]
fn failed_accepts_back_off_instead_of_spinning() {
    let up = upstream();
    // No connection limit: the descriptors really run out and accept fails.
    let (guard, listen, admin) = spawn_sidecar(up, &["--max-connections", "100000"], Some(48));
    let pid = guard.0.as_ref().unwrap().id();
    let held: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", listen)).ok())
        .collect();
    thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(pid);
    thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    // 100 ticks a second is one core busy; a back-off uses next to nothing.
    assert!(
        used < 30,
        "{used} ticks of CPU in 1 s while out of descriptors"
    );
    drop(held);
    thread::sleep(Duration::from_millis(1200));
    let stats = request(admin, "GET", "admin", "/stats");
    assert!(stats.starts_with("HTTP/1.1 200"), "{stats}");
    assert!(
        counter(&stats, "listener_manager.downstream_cx_accept_error") > 0,
        "{stats}"
    );
    quit(guard, admin);
}

#[test]
fn an_undrained_stdout_never_blocks_the_proxy_or_its_admin() {
    let up = upstream();
    // stdout is piped and never read: the pipe (64 KiB) fills after a few hundred lines.
    let (guard, listen, admin) = spawn_sidecar(up, &[], None);
    for i in 0..600 {
        let mut s = TcpStream::connect(("127.0.0.1", listen)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            s,
            "GET /get HTTP/1.1\r\nhost: httpbin:8000\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 200"), "request {i}: {out:?}");
    }
    let stats = request(admin, "GET", "admin", "/stats");
    assert!(counter(&stats, "access_log.written") > 0, "{stats}");
    quit(guard, admin);
}

#[test]
fn the_admin_serves_stats_as_prometheus_as_json_and_filtered_by_a_regex() {
    let up = upstream();
    let (guard, listen, admin) = spawn_sidecar(up, &[], None);
    for _ in 0..2 {
        let ok = request(listen, "GET", "httpbin:8000", "/get");
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    }
    let cluster = "outbound|8000||httpbin.default.svc.cluster.local";

    let prom = request(admin, "GET", "admin", "/stats/prometheus");
    let (head, body) = prom.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{prom}");
    let parsed = scrape(body);
    let rq_200 = parsed
        .samples
        .iter()
        .find(|s| {
            s.metric == "envoy_cluster_upstream_rq"
                && s.labels.get("envoy_response_code") == Some("200")
                && s.labels.get("envoy_cluster_name") == Some(cluster)
        })
        .unwrap_or_else(|| panic!("no upstream_rq 200 sample in\n{body}"));
    assert_eq!(rq_200.value, prometheus_parse::Value::Counter(2.0));

    let json = request(
        admin,
        "GET",
        "admin",
        "/stats?format=json&filter=upstream_rq_2",
    );
    let (_, body) = json.split_once("\r\n\r\n").unwrap();
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let names: Vec<(&str, u64)> = v["stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["value"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            (format!("cluster.{cluster}.upstream_rq_200").as_str(), 2),
            (format!("cluster.{cluster}.upstream_rq_2xx").as_str(), 2),
        ]
    );

    let text = request(
        admin,
        "GET",
        "admin",
        "/stats?filter=httpbin.%2Acx_max_requests%24",
    );
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(
        body,
        format!("# proxy fortio-0\ncluster.{cluster}.upstream_cx_max_requests: 2\n")
    );
    let bad = request(admin, "GET", "admin", "/stats?filter=(");
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");

    quit(guard, admin);
}
