//! Where each workload's pods run: the zones of the nodes its pods were scheduled on, or —
//! without pods in the input — where the scheduler would put its replicas.
//!
//! A node's locality is its `topology.kubernetes.io/region` and `…/zone` labels (the
//! deprecated `failure-domain.beta.kubernetes.io/*` labels are read too). Without pods, the
//! replicas of a Deployment or StatefulSet are spread over the domains of its first
//! `topologySpreadConstraints` key, one replica per domain in turn (what `maxSkew: 1` allows),
//! and over the fitting nodes of a domain in name order; without a constraint they all run in
//! the first zone that has a fitting node. A DaemonSet runs one pod on every fitting node.
//! "Fitting" is the pod's `nodeSelector`, the node's `NoSchedule` / `NoExecute` taints
//! against its tolerations, and cordoned nodes. The default scheduler's soft spreading and
//! node or pod affinities are not modelled.

use std::collections::BTreeMap;

use crate::objects::{KubePod, KubeWorkload, Node};

/// `(region, zone)`.
pub type Zone = (String, String);

/// The placeholder locality for nodes without zone labels, or no nodes at all.
pub const PLACEHOLDER: (&str, &str) = ("region-1", "zone-1");

const REGION_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
];
const ZONE_LABELS: &[&str] = &[
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];

/// The node's region and zone, `None` where its labels do not say.
pub fn zone_of(node: &Node) -> (Option<&str>, Option<&str>) {
    let pick = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| node.labels.get(*k).map(String::as_str))
    };
    (pick(REGION_LABELS), pick(ZONE_LABELS))
}

/// The node's locality, placeholders filling what its labels do not say.
pub fn locality(node: &Node) -> Zone {
    let (r, z) = zone_of(node);
    (
        r.unwrap_or(PLACEHOLDER.0).to_string(),
        z.unwrap_or(PLACEHOLDER.1).to_string(),
    )
}

fn placeholder() -> Zone {
    (PLACEHOLDER.0.to_string(), PLACEHOLDER.1.to_string())
}

/// How many replicas of a workload run in each zone, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Zone → replicas (0 replicas: one entry with 0).
    pub zones: BTreeMap<Zone, u32>,
    /// Zone → the input's pod names there (empty when placed without pods).
    pub pods: BTreeMap<Zone, Vec<String>>,
    /// How the zones were chosen, for the topology's comments.
    pub how: String,
}

/// Place `w`, given its scheduled pods and its cluster's nodes; `warn` collects what the
/// user should know.
pub fn place(
    w: &KubeWorkload,
    pods: &[&KubePod],
    nodes: &[&Node],
    warn: &mut Vec<String>,
) -> Placement {
    if !pods.is_empty() {
        return from_pods(w, pods, nodes, warn);
    }
    let fitting: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| w.template.fits(n))
        .collect();
    if !nodes.is_empty() && fitting.is_empty() {
        warn.push(format!(
            "{} {}/{}: no node of the input fits its nodeSelector and tolerations; placed in {}/{}",
            w.kind.name(),
            w.namespace,
            w.name,
            PLACEHOLDER.0,
            PLACEHOLDER.1
        ));
    }
    if w.template.has_affinity && !fitting.is_empty() {
        warn.push(format!(
            "{} {}/{}: its affinity rules are not used to place it (no pods in the input)",
            w.kind.name(),
            w.namespace,
            w.name
        ));
    }
    match w.replicas {
        None => daemon(&fitting),
        Some(n) => spread(w, n, &fitting),
    }
}

/// Pods as they run: one replica per scheduled pod in its node's zone.
fn from_pods(
    w: &KubeWorkload,
    pods: &[&KubePod],
    nodes: &[&Node],
    warn: &mut Vec<String>,
) -> Placement {
    let mut zones: BTreeMap<Zone, u32> = BTreeMap::new();
    let mut names: BTreeMap<Zone, Vec<String>> = BTreeMap::new();
    for p in pods {
        let node_name = p.node_name.as_deref().unwrap_or_default();
        let zone = match nodes.iter().find(|n| n.name == node_name) {
            Some(n) => locality(n),
            None => {
                warn.push(format!(
                    "Pod {}/{}: its node {node_name} is not in the input: placed in {}/{}",
                    p.namespace, p.name, PLACEHOLDER.0, PLACEHOLDER.1
                ));
                placeholder()
            }
        };
        *zones.entry(zone.clone()).or_default() += 1;
        names.entry(zone).or_default().push(p.name.clone());
    }
    let running = u32::try_from(pods.len()).unwrap_or(u32::MAX);
    if let Some(want) = w.replicas.filter(|n| *n != running) {
        warn.push(format!(
            "{} {}/{}: spec.replicas is {want} but {running} of its pods run on a node: \
             imported as they run",
            w.kind.name(),
            w.namespace,
            w.name
        ));
    }
    Placement {
        zones,
        pods: names,
        how: "where its pods run".into(),
    }
}

fn daemon(fitting: &[&Node]) -> Placement {
    let mut zones: BTreeMap<Zone, u32> = BTreeMap::new();
    for n in fitting {
        *zones.entry(locality(n)).or_default() += 1;
    }
    if zones.is_empty() {
        zones.insert(placeholder(), 1);
    }
    Placement {
        zones,
        pods: BTreeMap::new(),
        how: "one pod per fitting node (no pods in the input)".into(),
    }
}

fn spread(w: &KubeWorkload, replicas: u32, fitting: &[&Node]) -> Placement {
    let mut sorted: Vec<&Node> = fitting.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let constraint = w
        .template
        .spread_keys
        .iter()
        .find(|k| sorted.iter().any(|n| n.labels.contains_key(*k)));
    let mut zones: BTreeMap<Zone, u32> = BTreeMap::new();
    let how = match constraint {
        Some(key) => {
            let mut domains: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
            for n in &sorted {
                if let Some(v) = n.labels.get(key) {
                    domains.entry(v.as_str()).or_default().push(n);
                }
            }
            let domains: Vec<&Vec<&Node>> = domains.values().collect();
            for r in 0..replicas as usize {
                let d = domains[r % domains.len()];
                let node = d[(r / domains.len()) % d.len()];
                *zones.entry(locality(node)).or_default() += 1;
            }
            format!("spread over {key} as its topologySpreadConstraints ask (no pods in the input)")
        }
        None => {
            let first = sorted.iter().map(|n| locality(n)).min();
            let how = match &first {
                Some(_) => "one zone: no pods in the input and no topologySpreadConstraints",
                None => "no nodes in the input",
            };
            zones.insert(first.unwrap_or_else(placeholder), replicas);
            how.into()
        }
    };
    if zones.is_empty() {
        zones.insert(placeholder(), replicas);
    }
    Placement {
        zones,
        pods: BTreeMap::new(),
        how,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::LabelSelector;
    use crate::objects::{Origin, PodSpec, Toleration, WorkloadKind};

    fn node(name: &str, zone: &str, taint: Option<&str>) -> Node {
        Node {
            name: name.into(),
            labels: [
                ("topology.kubernetes.io/region".to_string(), "r".to_string()),
                ("topology.kubernetes.io/zone".to_string(), zone.to_string()),
                ("kubernetes.io/hostname".to_string(), name.to_string()),
            ]
            .into_iter()
            .collect(),
            taints: taint.map(str::to_string).into_iter().collect(),
            unschedulable: false,
        }
    }

    fn workload(replicas: Option<u32>, spread: &[&str]) -> KubeWorkload {
        KubeWorkload {
            kind: if replicas.is_some() {
                WorkloadKind::Deployment
            } else {
                WorkloadKind::DaemonSet
            },
            name: "w".into(),
            namespace: "ns".into(),
            replicas,
            selector: LabelSelector::default(),
            template: PodSpec {
                spread_keys: spread.iter().map(|s| s.to_string()).collect(),
                ..PodSpec::default()
            },
            cluster: 0,
            origin: Origin {
                file: "f".into(),
                line: 1,
            },
        }
    }

    fn zones(p: &Placement) -> Vec<(String, u32)> {
        p.zones.iter().map(|((_, z), n)| (z.clone(), *n)).collect()
    }

    #[test]
    fn replicas_spread_over_zones_one_at_a_time() {
        let nodes = [
            node("n1", "a", None),
            node("n2", "a", None),
            node("n3", "b", None),
        ];
        let refs: Vec<&Node> = nodes.iter().collect();
        let w = workload(Some(5), &["topology.kubernetes.io/zone"]);
        let p = place(&w, &[], &refs, &mut Vec::new());
        assert_eq!(zones(&p), [("a".to_string(), 3), ("b".to_string(), 2)]);
    }

    #[test]
    fn spreading_by_hostname_follows_the_nodes_zones() {
        let nodes = [
            node("n1", "a", None),
            node("n2", "a", None),
            node("n3", "b", None),
        ];
        let refs: Vec<&Node> = nodes.iter().collect();
        let w = workload(Some(3), &["kubernetes.io/hostname"]);
        let p = place(&w, &[], &refs, &mut Vec::new());
        assert_eq!(zones(&p), [("a".to_string(), 2), ("b".to_string(), 1)]);
    }

    #[test]
    fn without_constraints_every_replica_runs_in_the_first_zone() {
        let nodes = [node("n2", "b", None), node("n1", "c", None)];
        let refs: Vec<&Node> = nodes.iter().collect();
        let p = place(&workload(Some(3), &[]), &[], &refs, &mut Vec::new());
        assert_eq!(zones(&p), [("b".to_string(), 3)]);
    }

    #[test]
    fn tainted_nodes_take_only_pods_that_tolerate_them() {
        let nodes = [
            node("cp", "a", Some("node-role.kubernetes.io/control-plane")),
            node("w1", "b", None),
        ];
        let refs: Vec<&Node> = nodes.iter().collect();
        let mut ds = workload(None, &[]);
        let p = place(&ds, &[], &refs, &mut Vec::new());
        assert_eq!(zones(&p), [("b".to_string(), 1)]);
        ds.template.tolerations.push(Toleration {
            key: String::new(),
            exists: true,
        });
        let p = place(&ds, &[], &refs, &mut Vec::new());
        assert_eq!(zones(&p), [("a".to_string(), 1), ("b".to_string(), 1)]);
    }

    #[test]
    fn without_nodes_everything_runs_in_the_placeholder_zone() {
        let p = place(
            &workload(Some(2), &["topology.kubernetes.io/zone"]),
            &[],
            &[],
            &mut Vec::new(),
        );
        assert_eq!(zones(&p), [("zone-1".to_string(), 2)]);
    }
}
