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
        let (key, proxy, stat, cluster) = match &e.metric {
            Metric::Counter { proxy, stat } => ("counter", proxy, Some(stat), None),
            Metric::GaugeMax { proxy, stat } => ("gaugeMax", proxy, Some(stat), None),
            Metric::PriorityLoad { proxy, cluster, .. } => {
                ("priorityLoad", proxy, None, Some(cluster.as_str()))
            }
            Metric::PriorityPanic { proxy, cluster, .. } => {
                ("priorityPanic", proxy, None, Some(cluster.as_str()))
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
        let hosts = known_hosts(topo, states);
        let checked = match (stat, cluster) {
            (Some(stat), _) => check_stat(stat, topo, &hosts).map_err(|m| ("stat", m)),
            (None, Some(c)) => check_cluster(c, topo, &hosts).map_err(|m| ("cluster", m)),
            (None, None) => Ok(()),
        };
        if let Err((field, message)) = checked {
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

/// Where Envoy's cluster stat families begin, to split `cluster.<name>.<stat>` when the
/// cluster's host is not one the twin knows.
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

/// `cluster.<name>.<stat>` of an Istio-named cluster (`inbound|<port>||`,
/// `outbound|<port>|<subset>|<host>`) → (name, stat; empty when there is none). The host is
/// the longest of `hosts` the name continues with, else everything up to the first stat family.
/// Other stats (`http.…`, App Mesh's `cds_…` clusters) are not split.
fn split_stat<'s>(stat: &'s str, hosts: &[String]) -> Option<(&'s str, &'s str)> {
    let rest = stat.strip_prefix("cluster.")?;
    if rest.starts_with("inbound|") {
        let end = rest.find("||")? + 2;
        return Some((
            &rest[..end],
            rest[end..].strip_prefix('.').unwrap_or(&rest[end..]),
        ));
    }
    if !rest.starts_with("outbound|") {
        return None;
    }
    let host_at = rest
        .match_indices('|')
        .nth(2)
        .map_or(rest.len(), |(i, _)| i + 1);
    let after = &rest[host_at..];
    let known = hosts
        .iter()
        .filter(|h| after.starts_with(h.as_str()) && after[h.len()..].starts_with('.'))
        .map(String::len)
        .max();
    let end = known.map(|n| host_at + n).or_else(|| {
        let mut from = host_at;
        while let Some(dot) = rest[from..].find('.') {
            let at = from + dot;
            if FAMILIES.iter().any(|f| rest[at + 1..].starts_with(f)) {
                return Some(at);
            }
            from = at + 1;
        }
        None
    });
    Some(match end {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, ""),
    })
}

/// Check a `counter` / `gaugeMax` stat: an Istio-named cluster the twin knows and one of
/// Envoy's cluster stats.
fn check_stat(stat: &str, topo: &Topology, hosts: &[String]) -> Result<(), String> {
    let Some((cluster, leaf)) = split_stat(stat, hosts) else {
        return Ok(());
    };
    check_cluster(cluster, topo, hosts)?;
    if leaf.is_empty() {
        return Err(format!(
            "'{stat}': expected cluster.<cluster>.<stat>, like \
             cluster.{cluster}.upstream_rq_pending_overflow"
        ));
    }
    crate::envoy_names::check_cluster_stat(leaf).map_err(|near| {
        format!(
            "'{leaf}' is none of Envoy's cluster stats{}",
            near.map_or_else(String::new, |n| format!(
                "; did you mean cluster.{cluster}.{n}?"
            ))
        )
    })
}

/// Every host an Istio cluster of the run can name: Services' FQDNs, `ServiceEntry` hosts
/// and TSB gateway hostnames (in any policy set of the run), and workloads' `dns:` names.
fn known_hosts(topo: &Topology, states: &[&MeshPolicies]) -> Vec<String> {
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
    hosts
}

/// Whether an `outbound|<port>|<subset>|<host>` cluster names a host the twin knows (other
/// forms are not checked here).
fn check_cluster(cluster: &str, topo: &Topology, hosts: &[String]) -> Result<(), String> {
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
    use super::split_stat;

    #[test]
    fn a_cluster_stat_splits_after_its_clusters_host() {
        let hosts = vec!["mydb.com".to_string()];
        assert_eq!(
            split_stat(
                "cluster.outbound|80||mydb.com.outlier_detection.ejections_overflow",
                &hosts
            ),
            Some((
                "outbound|80||mydb.com",
                "outlier_detection.ejections_overflow"
            ))
        );
        assert_eq!(
            split_stat(
                "cluster.outbound|8000||r8.default.svc.cluster.local.lb_healthy_panic",
                &[]
            ),
            Some((
                "outbound|8000||r8.default.svc.cluster.local",
                "lb_healthy_panic"
            ))
        );
        assert_eq!(
            split_stat("cluster.inbound|80||.upstream_rq_200", &[]),
            Some(("inbound|80||", "upstream_rq_200"))
        );
        assert_eq!(
            split_stat("http.ingress.downstream_cx_active", &hosts),
            None
        );
    }
}
