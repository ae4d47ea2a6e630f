//! Calls learned from a sidecar's access log (`kubectl logs <pod> -c istio-proxy`), for
//! `meshtwin import kubernetes --access-log WORKLOAD=FILE`. Lines are in Istio's default text
//! format (`pilot/pkg/model/telemetry_logging.go` `EnvoyTextLogFormat`):
//!
//! ```text
//! [2024-05-01T10:00:00.000Z] "GET /reviews/0 HTTP/1.1" 200 - via_upstream - "-" 0 358 5 4 "-"
//! "python-requests/2.31" "6b1a…" "reviews:9080" "10.0.1.7:9080"
//! outbound|9080||reviews.bookinfo.svc.cluster.local 10.0.1.5:40112 10.96.0.12:9080
//! 10.0.1.5:51322 - default
//! ```
//!
//! (one line). Each outbound line (its upstream cluster `outbound|<port>|<subset>|<host>`) is
//! a call of the workload to that Service port; the path called most often (the first of
//! equals) becomes the call's path. Inbound lines (requests the workload served) and lines to
//! Envoy's own clusters (`PassthroughCluster`, `BlackHoleCluster`) say nothing about the
//! Services it calls and are skipped. A line that is not an access-log line is a located
//! error.

use std::collections::BTreeMap;

use meshtwin_config::ConfigError;

use crate::calls::CallEdge;
use crate::InputFile;

/// Split a line into tokens: `[…]`, `"…"` and bare words.
fn tokens(line: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (tok, after) = match rest.as_bytes()[0] {
            b'[' => {
                let end = rest.find(']')?;
                (&rest[1..end], &rest[end + 1..])
            }
            b'"' => {
                let end = rest[1..].find('"')? + 1;
                (&rest[1..end], &rest[end + 1..])
            }
            _ => {
                let end = rest.find(' ').unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        out.push(tok);
        rest = after.trim_start();
    }
    Some(out)
}

/// The Service port and `name.namespace` of an outbound cluster
/// (`outbound|9080|v1|reviews.bookinfo.svc.cluster.local`).
fn outbound(cluster: &str) -> Option<(u16, String)> {
    let mut parts = cluster.split('|');
    if parts.next()? != "outbound" {
        return None;
    }
    let port = parts.next()?.parse().ok()?;
    let _subset = parts.next()?;
    let host = parts.next()?.trim_end_matches(".svc.cluster.local");
    let (name, ns) = host.split_once('.')?;
    (!ns.contains('.')).then(|| (port, format!("{name}.{ns}")))
}

/// One (Service, port) called: its key, the line first calling it, and per path the number of
/// calls and the order the path was first seen in.
type Seen = ((String, u16), u32, BTreeMap<String, (u64, usize)>);

/// The calls workload `from` makes according to its sidecar's access log `f`, one per
/// (Service, port), in the order first seen.
pub fn learn_calls(from: &str, f: &InputFile) -> Result<Vec<CallEdge>, ConfigError> {
    let mut seen: Vec<Seen> = Vec::new();
    for (i, line) in f.text.lines().enumerate() {
        let n = i as u32 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let toks = tokens(line).filter(|t| t.len() >= 3 && t[1].split(' ').count() == 3);
        let Some(toks) = toks else {
            return Err(ConfigError::file(
                &f.name,
                n,
                "not an access-log line in Istio's default format \
                 (`[START_TIME] \"METHOD PATH PROTOCOL\" CODE … UPSTREAM_CLUSTER …`)",
            ));
        };
        let Some((port, service)) = toks.iter().find_map(|t| outbound(t)) else {
            continue;
        };
        let path = toks[1].split(' ').nth(1).unwrap_or("/");
        let path = path.split('?').next().unwrap_or("/").to_string();
        let key = (service, port);
        let k = match seen.iter().position(|(k, _, _)| *k == key) {
            Some(k) => k,
            None => {
                seen.push((key, n, BTreeMap::new()));
                seen.len() - 1
            }
        };
        let paths = &mut seen[k].2;
        let order = paths.len();
        paths.entry(path).or_insert((0, order)).0 += 1;
    }
    Ok(seen
        .into_iter()
        .enumerate()
        .map(|(index, ((service, port), line, paths))| {
            let path = paths
                .into_iter()
                .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
                .map(|(p, _)| p)
                .unwrap_or_else(|| "/".to_string());
            CallEdge {
                file: f.name.clone(),
                field: format!("access log of {from}, call {index}"),
                line,
                from: from.to_string(),
                to: service,
                port: Some(port),
                path,
                timeout: None,
                retries: 0,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTPAGE: &str = r#"[2024-05-01T10:00:00.000Z] "GET /details/0 HTTP/1.1" 200 - via_upstream - "-" 0 178 2 2 "-" "python-requests/2.31" "r1" "details:9080" "10.0.1.6:9080" outbound|9080||details.bookinfo.svc.cluster.local 10.0.1.5:40110 10.96.0.11:9080 10.0.1.5:51320 - default
[2024-05-01T10:00:00.010Z] "GET /reviews/0 HTTP/1.1" 200 - via_upstream - "-" 0 358 5 4 "-" "python-requests/2.31" "r1" "reviews:9080" "10.0.1.7:9080" outbound|9080|v1|reviews.bookinfo.svc.cluster.local 10.0.1.5:40112 10.96.0.12:9080 10.0.1.5:51322 - default
[2024-05-01T10:00:00.000Z] "GET /productpage HTTP/1.1" 200 - via_upstream - "-" 0 5183 20 19 "-" "curl/8.0" "r1" "productpage:9080" "10.0.1.5:9080" inbound|9080|| 127.0.0.6:51111 10.0.1.5:9080 10.0.0.9:0 outbound_.9080_._.productpage.bookinfo.svc.cluster.local default
[2024-05-01T10:00:01.010Z] "GET /reviews/1?x=1 HTTP/1.1" 200 - via_upstream - "-" 0 358 5 4 "-" "python-requests/2.31" "r2" "reviews:9080" "10.0.1.7:9080" outbound|9080|v1|reviews.bookinfo.svc.cluster.local 10.0.1.5:40112 10.96.0.12:9080 10.0.1.5:51322 - default
[2024-05-01T10:00:02.010Z] "GET /reviews/1 HTTP/1.1" 200 - via_upstream - "-" 0 358 5 4 "-" "python-requests/2.31" "r3" "reviews:9080" "10.0.1.7:9080" outbound|9080|v1|reviews.bookinfo.svc.cluster.local 10.0.1.5:40112 10.96.0.12:9080 10.0.1.5:51322 - default
"#;

    fn file(text: &str) -> InputFile {
        InputFile {
            name: "productpage.log".into(),
            text: text.into(),
        }
    }

    #[test]
    fn outbound_lines_become_one_call_per_service_port_with_the_commonest_path() {
        let calls = learn_calls("productpage-v1", &file(PRODUCTPAGE)).unwrap();
        let got: Vec<(&str, Option<u16>, &str, u32)> = calls
            .iter()
            .map(|c| (c.to.as_str(), c.port, c.path.as_str(), c.line))
            .collect();
        assert_eq!(
            got,
            [
                ("details.bookinfo", Some(9080), "/details/0", 1),
                ("reviews.bookinfo", Some(9080), "/reviews/1", 2),
            ]
        );
    }

    #[test]
    fn a_line_that_is_not_an_access_log_line_is_a_located_error() {
        let e = learn_calls(
            "p",
            &file("[t] \"GET / HTTP/1.1\" 200 outbound|80||a.b.svc.cluster.local\nhello\n"),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("productpage.log:2:"), "{e}");
    }
}
