//! Where each load goes, checked before simulating: a load's URL must reach something the
//! twin routes — a Service port (through the caller's sidecar, or straight to the Service's
//! pods without one), a `ServiceEntry` host and port (through an Istio sidecar), an App Mesh
//! virtual node's DNS hostname (through an App Mesh Envoy), or a workload's `dns:` name (a
//! public hostname, from outside the mesh). A URL that reaches nothing is an error with the
//! name it resembles, not a run whose calls all end `404 NR`.

use std::collections::BTreeSet;

use meshtwin_model::policy::{AppMeshKind, MeshPolicies};
use meshtwin_model::scenario::{LoadSpec, Scenario};
use meshtwin_model::topology::{Pod, Protocol, Sidecar, Topology};

use crate::run_check::scenario_error;
use crate::suggest::nearest;
use crate::ConfigError;

/// `http://host[:port]/…` → (host, port, false); `tcp://host:port` → (host, port, true). The
/// scenario loader has already checked the URL's form; `None` for anything else.
pub fn url_host_port(url: &str) -> Option<(&str, u16, bool)> {
    if let Some(rest) = url.strip_prefix("tcp://") {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = rest.rsplit_once(':')?;
        return Some((host, port.parse().ok()?, true));
    }
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, port.parse().ok()?, false)),
        None => Some((authority, 80, false)),
    }
}

/// Check every load's target. `states` are every policy set the run goes through (the
/// initial one and the set after each timeline `apply` / `delete`): a host a later `apply`
/// adds is a valid target.
pub fn check_loads(
    sc: &Scenario,
    topo: &Topology,
    pods: &[Pod],
    states: &[&MeshPolicies],
) -> Result<(), ConfigError> {
    for (i, load) in sc.loads.iter().enumerate() {
        let Some(pod) = pods
            .iter()
            .find(|p| p.name == load.from || p.workload == load.from)
        else {
            continue; // run_check reports an unknown `from`.
        };
        let checked =
            tcp_egress_port_free(load, pod).and_then(|()| check_load(load, pod, topo, states));
        if let Err(message) = checked {
            return Err(scenario_error(
                &sc.file,
                &format!("loads[{i}].url"),
                message,
            ));
        }
    }
    Ok(())
}

/// The twin's App Mesh TCP egress listens on the pod's 127.0.0.1:<port> (`xds`
/// `appmesh_tcp`), which the pod's own app or the HTTP capture listener may hold.
fn tcp_egress_port_free(load: &LoadSpec, pod: &Pod) -> Result<(), String> {
    let Some((_, port, true)) = url_host_port(&load.url) else {
        return Ok(());
    };
    let taken = pod.app.as_ref().map(|a| a.port) == Some(port) || port == 15001;
    if matches!(pod.sidecar, Sidecar::AppMesh { .. }) && taken {
        return Err(format!(
            "'{}' from {}: the twin's App Mesh TCP egress for port {port} would listen where \
             {}'s own app or Envoy's capture listener does (127.0.0.1:{port}); not modelled",
            load.url, pod.name, pod.name
        ));
    }
    Ok(())
}

/// Whether `load` from `pod` reaches anything, or what is wrong (with a did-you-mean).
fn check_load(
    load: &LoadSpec,
    pod: &Pod,
    topo: &Topology,
    states: &[&MeshPolicies],
) -> Result<(), String> {
    let Some((host, port, tcp)) = url_host_port(&load.url) else {
        return Ok(()); // the scenario loader rejects malformed URLs
    };
    if let Some(svc) = topo.service(host, &pod.namespace) {
        let Some(sp) = svc.ports.iter().find(|p| p.port == port) else {
            let ports: Vec<String> = svc.ports.iter().map(|p| p.port.to_string()).collect();
            return Err(format!(
                "service '{}' has no port {port} (its ports: {}); '{}' would reach nothing",
                svc.name,
                ports.join(", "),
                load.url
            ));
        };
        if !tcp && sp.protocol == Protocol::Tcp && matches!(pod.sidecar, Sidecar::Istio { .. }) {
            return Err(format!(
                "port {port} of service '{}' is opaque TCP: {}'s sidecar has no HTTP route for \
                 it; use tcp://{host}:{port} from a pod without a sidecar",
                svc.name, pod.name
            ));
        }
        if pod.sidecar == Sidecar::None && topo.endpoints_of(svc, &topo.pods()).is_empty() {
            return Err(format!(
                "service '{}' selects no pod, so '{}' from {} (no sidecar) has nowhere to \
                 connect",
                svc.name, load.url, pod.name
            ));
        }
        return Ok(());
    }
    let known = known_hosts(topo, pod, states);
    match known.iter().find(|(h, _)| h == host) {
        Some((_, ports)) if ports.is_empty() || ports.contains(&port) => Ok(()),
        Some((_, ports)) => {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            Err(format!(
                "'{host}' has no port {port} here (its ports: {}); '{}' would reach nothing",
                ports.join(", "),
                load.url
            ))
        }
        None => {
            let mut message = format!(
                "'{host}' names no service{} of topology {}, so '{}' from {} would reach \
                 nothing",
                match pod.sidecar {
                    Sidecar::None => ", nor a workload's dns: name,",
                    Sidecar::AppMesh { .. } => ", nor a virtual node's DNS hostname,",
                    _ => ", nor a ServiceEntry host,",
                },
                topo.name,
                load.url,
                pod.name
            );
            // A Service of that name in another namespace: Kubernetes resolves a short name
            // in the caller's own namespace only.
            if let Some(other) = topo.services.iter().find(|s| s.name == host) {
                message.push_str(&format!(
                    "; service '{host}' is in namespace {} and {} in {}: use {host}.{}",
                    other.namespace, pod.name, pod.namespace, other.namespace
                ));
                return Err(message);
            }
            let services = service_names(topo, pod);
            let all = services
                .iter()
                .map(String::as_str)
                .chain(known.iter().map(|(h, _)| h.as_str()));
            if let Some(near) = nearest(host, all) {
                message.push_str(&format!("; did you mean {near}?"));
            }
            Err(message)
        }
    }
}

/// The Services `pod` can name: short names in its own namespace, `name.namespace` elsewhere.
fn service_names(topo: &Topology, pod: &Pod) -> Vec<String> {
    topo.services
        .iter()
        .map(|s| {
            if s.namespace == pod.namespace {
                s.name.clone()
            } else {
                format!("{}.{}", s.name, s.namespace)
            }
        })
        .collect()
}

/// The non-Service hosts a load from `pod` reaches, each with its ports (empty: any port):
/// without a sidecar, the workloads' `dns:` names (resolved by the twin's DNS); through an
/// Istio sidecar, `ServiceEntry` hosts; through an App Mesh Envoy, its mesh's virtual nodes'
/// DNS hostnames (on the node's port, or 80: the bare-host domain).
fn known_hosts(topo: &Topology, pod: &Pod, states: &[&MeshPolicies]) -> Vec<(String, Vec<u16>)> {
    let mut hosts: Vec<(String, BTreeSet<u16>)> = Vec::new();
    let mut add = |host: &str, ports: &[u16]| match hosts.iter_mut().find(|(h, _)| h == host) {
        Some((_, p)) => p.extend(ports),
        None => hosts.push((host.to_string(), ports.iter().copied().collect())),
    };
    match &pod.sidecar {
        Sidecar::None => {
            for w in &topo.workloads {
                for d in &w.dns {
                    add(d, &[]);
                }
            }
        }
        Sidecar::AppMesh { mesh, .. } => {
            for l in states.iter().flat_map(|s| &s.appmesh_listeners) {
                if l.kind == AppMeshKind::VirtualNode && &l.mesh == mesh {
                    if let Some(h) = &l.dns_hostname {
                        add(h, &[l.port, 80]);
                    }
                }
            }
            // A virtual service's name (Cloud Map or DNS makes it resolvable): its Envoy
            // routes it whatever the port.
            for vs in states
                .iter()
                .flat_map(|s| &s.appmesh_routing.virtual_services)
            {
                if &vs.mesh == mesh || vs.mesh.is_empty() {
                    add(&vs.aws_name, &[]);
                }
            }
        }
        _ => {
            for se in states.iter().flat_map(|s| &s.service_entries) {
                let ports: Vec<u16> = se.ports.iter().map(|p| p.number).collect();
                for h in &se.hosts {
                    add(h, &ports);
                }
            }
        }
    }
    hosts
        .into_iter()
        .map(|(h, p)| (h, p.into_iter().collect()))
        .collect()
}
