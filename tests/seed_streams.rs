//! Every random stream of a proxy is derived from the proxy's seed and its component's name
//! (`cluster/<name>/worker/<n>`, `cluster/<name>/outlier`, `cluster/<name>/health`), so a
//! cluster draws the same whatever other clusters the proxy has.

mod common;

use std::fs;
use std::path::Path;

use common::{run_scenario, workspace_root, TempDir};
use serde_json::Value;

/// A second ServiceEntry over the same two DynamoDB endpoints, whose cluster
/// (`outbound|80||aaa.example.com`) comes before `outbound|80||mydb.com` in the proxy's
/// configuration.
const EXTRA_SERVICE_ENTRY: &str = "\
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: aaa-first
spec:
  hosts:
  - aaa.example.com
  location: MESH_EXTERNAL
  ports:
  - number: 80
    name: http
    protocol: HTTP
  resolution: DNS
  endpoints:
  - address: dynamodb.us-east-1.amazonaws.com
    locality: us-east1
    ports:
      http: 80
  - address: dynamodb.us-west-1.amazonaws.com
    locality: us-west
    ports:
      http: 80
";

/// (request id, endpoint) of every access log line of `sleep-0`'s `mydb.com` cluster.
fn mydb_picks(out: &Path) -> Vec<(String, String)> {
    fs::read_to_string(out.join("trace.jsonl"))
        .expect("trace written")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("one JSON event per line"))
        .filter(|e| {
            e["kind"] == "access_log"
                && e["proxy"] == "sleep-0"
                && e["cluster"] == "outbound|80||mydb.com"
        })
        .map(|e| {
            (
                e["request_id"].as_str().unwrap_or_default().to_string(),
                e["upstream_host"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_clusters_picks_do_not_change_when_the_proxy_gets_another_cluster() {
    let dir = TempDir::new("seed_streams", "extra-cluster");
    let base = dir.join("base");
    let r = run_scenario("scenarios/istio-external-failover.yaml", &base, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());

    // The same scenario with one more ServiceEntry (its paths made absolute).
    let root = workspace_root();
    let text = fs::read_to_string(root.join("scenarios/istio-external-failover.yaml"))
        .expect("bundled scenario")
        .replace("../", &format!("{}/", root.display()));
    let extra = dir.join("aaa-first.yaml");
    fs::write(&extra, EXTRA_SERVICE_ENTRY).expect("write the extra ServiceEntry");
    let text = text.replacen(
        "policies:\n",
        &format!("policies:\n  - {}\n", extra.display()),
        1,
    );
    let scenario = dir.join("with-extra-cluster.yaml");
    fs::write(&scenario, text).expect("write the variant");
    let variant = dir.join("variant");
    let r = run_scenario(scenario.to_str().expect("utf-8 path"), &variant, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    let stats = fs::read_to_string(variant.join("stats.txt")).expect("stats written");
    assert!(
        stats.contains("cluster.outbound|80||aaa.example.com."),
        "the variant's proxy has the extra cluster"
    );

    let (a, b) = (mydb_picks(&base), mydb_picks(&variant));
    // Both endpoints answer (30+ curls), so the sequence really is a sequence of draws.
    assert!(a.iter().any(|p| p.1.starts_with("dynamodb-us-west-1")));
    assert!(a.iter().any(|p| p.1.starts_with("dynamodb-us-east-1")));
    assert!(a.len() >= 45, "{} picks", a.len());
    assert_eq!(
        a, b,
        "mydb.com's picks moved when another cluster was added"
    );
}
