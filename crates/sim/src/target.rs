//! Where a load's or an app's traffic goes: URLs (`http://host[:port]/path`,
//! `tcp://host:port`) resolved against the topology — through the caller's own sidecar
//! (iptables capture to its outbound listener) or, without one, straight to one of the
//! service's pods per connection (kube-proxy) — or, for a name no service has, to the pods of
//! the workload whose `dns:` lists it (a public hostname in front of a gateway).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use meshtwin_model::scenario::LoadSpec;
use meshtwin_model::topology::{Pod, Sidecar, Topology};

use crate::loadgen::LoadTarget;
use crate::world::SimError;
use crate::xds::OUTBOUND_PORT;

/// Split `http://host[:port]/path` into (host, port, path), or `tcp://host:port` into
/// (host, port, "") — the port is required for TCP, and there is no path.
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    if let Some(rest) = url.strip_prefix("tcp://") {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let Some((host, port)) = rest.rsplit_once(':') else {
            return Err(format!(
                "'{url}': a tcp:// URL needs a port (tcp://host:port)"
            ));
        };
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("'{url}': bad port '{port}'"))?;
        if host.is_empty() || host.contains('/') {
            return Err(format!("'{url}': expected tcp://host:port"));
        }
        return Ok((host.to_string(), port, String::new()));
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("'{url}': only http:// and tcp:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("'{url}': bad port '{p}'"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("'{url}': no host"));
    }
    Ok((host.to_string(), port, path.to_string()))
}

/// Where traffic from `src` to `host:port` goes: its own sidecar's outbound listener
/// (iptables capture), or without a sidecar one of the service's pods per connection
/// (kube-proxy).
fn target_for(
    src: &Pod,
    host: &str,
    port: u16,
    path: String,
    connections: u32,
    mesh: (&Topology, &[Pod], &BTreeMap<String, Ipv4Addr>),
) -> Result<LoadTarget, String> {
    let (topo, pods, ips) = mesh;
    let authority = if port == 80 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    if src.sidecar != Sidecar::None {
        return Ok(LoadTarget {
            connect: vec![SocketAddr::new(
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                OUTBOUND_PORT,
            )],
            authority,
            path,
            first_hop_proxy: Some(src.name.clone()),
            tcp: false,
        });
    }
    let Some(svc) = topo.service(host, &src.namespace) else {
        return dns_target(host, port, path, connections, mesh, authority);
    };
    let sp = svc
        .ports
        .iter()
        .find(|p| p.port == port)
        .ok_or_else(|| format!("service '{}' has no port {port}", svc.name))?;
    let backends = topo.endpoints_of(svc, pods);
    if backends.is_empty() {
        return Err(format!("service '{}' selects no pod", svc.name));
    }
    let connect = (0..connections.max(1) as usize)
        .map(|i| {
            SocketAddr::new(
                IpAddr::V4(ips[&backends[i % backends.len()].name]),
                sp.target_port,
            )
        })
        .collect();
    let first = backends[0];
    Ok(LoadTarget {
        connect,
        authority,
        path,
        first_hop_proxy: (first.sidecar != Sidecar::None).then(|| first.name.clone()),
        tcp: false,
    })
}

/// A host outside the cluster DNS: the pods of the workload whose `dns:` names it (a public
/// name resolving to a gateway's load balancer), on the `targetPort` of a Service port `port`
/// selecting them (else `port` itself).
fn dns_target(
    host: &str,
    port: u16,
    path: String,
    connections: u32,
    mesh: (&Topology, &[Pod], &BTreeMap<String, Ipv4Addr>),
    authority: String,
) -> Result<LoadTarget, String> {
    let (topo, pods, ips) = mesh;
    let backends: Vec<&Pod> = topo
        .workloads
        .iter()
        .filter(|w| w.dns.iter().any(|d| d == host))
        .flat_map(|w| pods.iter().filter(move |p| p.workload == w.name))
        .collect();
    let Some(first) = backends.first() else {
        return Err(format!("no service '{host}' in the topology"));
    };
    let target_port = topo
        .services
        .iter()
        .filter(|s| {
            !topo
                .endpoints_of(s, std::slice::from_ref(*first))
                .is_empty()
        })
        .flat_map(|s| &s.ports)
        .find(|p| p.port == port)
        .map_or(port, |p| p.target_port);
    let connect = (0..connections.max(1) as usize)
        .map(|i| {
            SocketAddr::new(
                IpAddr::V4(ips[&backends[i % backends.len()].name]),
                target_port,
            )
        })
        .collect();
    Ok(LoadTarget {
        connect,
        authority,
        path,
        first_hop_proxy: (first.sidecar != Sidecar::None).then(|| first.name.clone()),
        tcp: false,
    })
}

pub(crate) fn resolve_target(
    index: usize,
    spec: &LoadSpec,
    src: &Pod,
    mesh: (&Topology, &[Pod], &BTreeMap<String, Ipv4Addr>),
) -> Result<LoadTarget, SimError> {
    let bad = |message: String| SimError::BadUrl { index, message };
    let (host, port, path) = parse_url(&spec.url).map_err(bad)?;
    let tcp = spec.url.starts_with("tcp://");
    if tcp && matches!(src.sidecar, Sidecar::AppMesh { .. }) {
        // App Mesh's egress listener picks a tcp_proxy by the destination port: the twin's
        // stands at the pod's 127.0.0.1:<port> (`xds` `appmesh_tcp`).
        return Ok(LoadTarget {
            connect: vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)],
            authority: host,
            path,
            first_hop_proxy: Some(src.name.clone()),
            tcp,
        });
    }
    if tcp && src.sidecar != Sidecar::None {
        // An Istio sidecar's outbound capture is an HTTP listener in the twin; opaque TCP
        // from inside an Istio mesh is not modelled yet.
        return Err(bad(format!(
            "'{}': tcp:// loads run from a pod without a sidecar (like `nc` outside the \
             mesh) or from an App Mesh virtual node; pod {} has an Istio sidecar",
            spec.url, src.name
        )));
    }
    let mut target = target_for(src, &host, port, path, spec.connections, mesh).map_err(bad)?;
    target.tcp = tcp;
    Ok(target)
}

/// Where each of a pod's app calls goes (calls naming no service are dropped: the topology
/// loader has already rejected them).
pub(crate) fn app_call_targets(
    pod: &Pod,
    mesh: (&Topology, &[Pod], &BTreeMap<String, Ipv4Addr>),
) -> Vec<LoadTarget> {
    let Some(app) = &pod.app else {
        return Vec::new();
    };
    app.all_calls()
        .into_iter()
        .filter_map(|(_, c)| {
            target_for(
                pod,
                c.host.split(':').next().unwrap_or(""),
                c.port,
                c.path.clone(),
                1,
                mesh,
            )
            .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            parse_url("http://httpbin:8000/get").unwrap(),
            ("httpbin".into(), 8000, "/get".into())
        );
        assert_eq!(
            parse_url("http://ingress-gw.ns/paths/red").unwrap(),
            ("ingress-gw.ns".into(), 80, "/paths/red".into())
        );
        assert_eq!(
            parse_url("http://ratings:9080").unwrap(),
            ("ratings".into(), 9080, "/".into())
        );
        assert_eq!(
            parse_url("tcp://istio-ingressgateway.istio-system:31400").unwrap(),
            (
                "istio-ingressgateway.istio-system".into(),
                31400,
                String::new()
            )
        );
        assert!(parse_url("tcp://tcp-echo").is_err(), "tcp needs a port");
        assert!(parse_url("tcp://:9000").is_err());
        assert!(parse_url("tcp://x:9000/path").is_err());
        assert!(parse_url("https://x/").is_err());
        assert!(parse_url("http://x:port/").is_err());
    }
}
