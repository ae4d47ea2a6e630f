//! What each expectation names, checked against the topology and policies before
//! simulating: a `proxy` is a pod with an Envoy, a `reached` workload exists, and a cluster
//! named in Istio's form — `outbound|<port>|<subset>|<host>` in a `counter` / `gaugeMax`
//! stat (`cluster.<name>.<stat>`) or a `priorityLoad` / `priorityPanic` cluster — has a host
//! the twin knows (a Service's FQDN on one of its ports, a `ServiceEntry` host, a TSB
//! gateway hostname or a workload's `dns:` name). A misspelt name is an error with the name
//! it resembles, not an expectation that fails (or passes) on a value that was never counted.

use meshtwin_model::policy::MeshPolicies;
use meshtwin_model::scenario::{Metric, Scenario};
use meshtwin_model::topology::{Pod, Sidecar, Topology};

use crate::run_check::scenario_error;
use crate::suggest::nearest;
use crate::ConfigError;

/// Check every expectation's references; `states` are the policy sets the run goes through.
pub fn check_expectations(
    sc: &Scenario,
    topo: &Topology,
    pods: &[Pod],
    states: &[&MeshPolicies],
) -> Result<(), ConfigError> {
    for (i, e) in sc.expectations.iter().enumerate() {
        let (key, proxy, cluster) = match &e.metric {
            Metric::Counter { proxy, stat } => ("counter", proxy, stat_cluster(stat)),
            Metric::GaugeMax { proxy, stat } => ("gaugeMax", proxy, stat_cluster(stat)),
            Metric::PriorityLoad { proxy, cluster, .. } => {
                ("priorityLoad", proxy, Some(cluster.as_str()))
            }
            Metric::PriorityPanic { proxy, cluster, .. } => {
                ("priorityPanic", proxy, Some(cluster.as_str()))
            }
            Metric::Reached { workload, .. } => {
                if !topo.workloads.iter().any(|w| &w.name == workload) {
                    let names = topo.workloads.iter().map(|w| w.name.as_str());
                    return Err(scenario_error(
                        &sc.file,
                        &format!("expect[{i}].reached.workload"),
                        format!(
                            "no workload named '{workload}' in topology {}{}",
                            topo.name,
                            did_you_mean(workload, names)
                        ),
                    ));
                }
                continue;
            }
            _ => continue,
        };
        let proxies = pods.iter().filter(|p| p.sidecar != Sidecar::None);
        if !proxies.clone().any(|p| &p.name == proxy) {
            return Err(scenario_error(
                &sc.file,
                &format!("expect[{i}].{key}.proxy"),
                format!(
                    "no pod named '{proxy}' with a proxy in topology {}{}",
                    topo.name,
                    did_you_mean(proxy, proxies.map(|p| p.name.as_str()))
                ),
            ));
        }
        let field = if key == "counter" || key == "gaugeMax" {
            "stat"
        } else {
            "cluster"
        };
        if let Some(Err(message)) = cluster.map(|c| check_cluster(c, topo, states)) {
            return Err(scenario_error(
                &sc.file,
                &format!("expect[{i}].{key}.{field}"),
                message,
            ));
        }
    }
    Ok(())
}

/// `; did you mean X?` when a candidate is near `word`, else nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates).map_or_else(String::new, |n| format!("; did you mean {n}?"))
}

/// The cluster of a `cluster.outbound|…` stat: everything up to the stat's own name, which
/// starts at the first dot-separated segment that is one of Envoy's cluster stat families.
fn stat_cluster(stat: &str) -> Option<&str> {
    const FAMILIES: &[&str] = &[
        "upstream_",
        "lb_",
        "outlier_detection.",
        "circuit_breakers.",
        "health_check.",
        "membership_",
        "update_",
        "bind_errors",
        "retry_or_shadow_abandoned",
        "max_host_weight",
        "version",
        "assignment_",
        "original_dst_",
        "internal.",
        "external.",
        "canary.",
        "zone.",
    ];
    let rest = stat.strip_prefix("cluster.")?;
    if !rest.starts_with("outbound|") {
        return None;
    }
    let mut from = 0;
    while let Some(dot) = rest[from..].find('.') {
        let at = from + dot;
        if FAMILIES.iter().any(|f| rest[at + 1..].starts_with(f)) {
            return Some(&rest[..at]);
        }
        from = at + 1;
    }
    Some(rest)
}

/// Whether an `outbound|<port>|<subset>|<host>` cluster names a host the twin knows (other
/// forms are not checked here).
fn check_cluster(cluster: &str, topo: &Topology, states: &[&MeshPolicies]) -> Result<(), String> {
    let Some(rest) = cluster.strip_prefix("outbound|") else {
        return Ok(());
    };
    let parts: Vec<&str> = rest.splitn(3, '|').collect();
    let [port, _subset, host] = parts[..] else {
        return Err(format!(
            "'{cluster}': expected an Istio cluster name outbound|<port>|<subset>|<host>"
        ));
    };
    let Ok(port) = port.parse::<u16>() else {
        return Err(format!("'{cluster}': bad port '{port}'"));
    };
    if let Some(svc) = topo.services.iter().find(|s| s.fqdn() == host) {
        if svc.ports.iter().any(|p| p.port == port) {
            return Ok(());
        }
        let ports: Vec<String> = svc.ports.iter().map(|p| p.port.to_string()).collect();
        return Err(format!(
            "'{cluster}': service '{}' has no port {port} (its ports: {})",
            svc.name,
            ports.join(", ")
        ));
    }
    let mut hosts: Vec<String> = topo.services.iter().map(|s| s.fqdn()).collect();
    for s in states {
        hosts.extend(s.service_entries.iter().flat_map(|se| se.hosts.clone()));
        hosts.extend(
            s.tsb_gateways
                .iter()
                .flat_map(|g| g.http.iter().map(|h| h.hostname.clone())),
        );
    }
    hosts.extend(topo.workloads.iter().flat_map(|w| w.dns.clone()));
    if hosts.iter().any(|h| h == host) {
        return Ok(());
    }
    let short = host.split('.').next().unwrap_or(host);
    let near = nearest(host, hosts.iter().map(String::as_str))
        .map(str::to_string)
        .or_else(|| {
            // `ratngs.default.svc.cluster.local`: compare the service names alone.
            let n = nearest(short, topo.services.iter().map(|s| s.name.as_str()))?;
            topo.services.iter().find(|s| s.name == n).map(|s| s.fqdn())
        });
    Err(format!(
        "'{cluster}': '{host}' is no service FQDN, ServiceEntry host or gateway hostname of \
         topology {}{}",
        topo.name,
        near.map_or_else(String::new, |n| format!(
            "; did you mean outbound|{port}|{}|{n}?",
            parts[1]
        ))
    ))
}

#[cfg(test)]
mod tests {
    use super::stat_cluster;

    #[test]
    fn a_cluster_stat_splits_before_its_stat_family() {
        assert_eq!(
            stat_cluster("cluster.outbound|80||mydb.com.outlier_detection.ejections_overflow"),
            Some("outbound|80||mydb.com")
        );
        assert_eq!(
            stat_cluster("cluster.outbound|8000||r8-25.default.svc.cluster.local.lb_healthy_panic"),
            Some("outbound|8000||r8-25.default.svc.cluster.local")
        );
        assert_eq!(stat_cluster("http.ingress.downstream_cx_active"), None);
        assert_eq!(stat_cluster("cluster.inbound|80||.upstream_rq_200"), None);
    }
}
