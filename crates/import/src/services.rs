//! Kubernetes Services: type, selector and ports.

use std::collections::BTreeMap;

use meshtwin_config::decode::{Result, Val};
use meshtwin_model::topology::Protocol;
use meshtwin_topology::service::protocol_from_name;

use crate::kube::{self, field, list, path, port_ref, string, string_map, PortRef};
use crate::objects::{Meta, Origin};

/// A Service as the import reads it.
#[derive(Debug, Clone)]
pub struct KubeService {
    pub name: String,
    pub namespace: String,
    /// `ClusterIP` (default), `NodePort`, `LoadBalancer`, `ExternalName`.
    pub service_type: String,
    /// `clusterIP: None`.
    pub headless: bool,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<KubeServicePort>,
    pub cluster: usize,
    pub origin: Origin,
}

/// One `spec.ports[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeServicePort {
    pub name: String,
    pub port: u16,
    /// `targetPort`, defaulting to `port` as Kubernetes does.
    pub target: PortRef,
    /// `TCP` (default), `UDP`, `SCTP`.
    pub transport: String,
    /// `appProtocol`, when written.
    pub app_protocol: Option<String>,
}

impl KubeServicePort {
    /// The protocol Istio gives the port (`pkg/config/kube/conversion.go` `ConvertProtocol`):
    /// `appProtocol` when written — Kubernetes' `kubernetes.io/h2c` is HTTP/2, `…/ws` HTTP,
    /// `…/wss` TLS — read by the same prefix rule as a port name, else the port name (see
    /// [`meshtwin_topology::service::protocol_from_name`]).
    pub fn protocol(&self) -> Protocol {
        match self.app_protocol.as_deref() {
            Some("kubernetes.io/h2c") => Protocol::Http2,
            Some("kubernetes.io/ws") => Protocol::Http,
            Some("kubernetes.io/wss") => Protocol::Tcp,
            Some(app) => protocol_from_name(app),
            None => protocol_from_name(&self.name),
        }
    }
}

/// Decode a Service.
pub fn service(root: &Val<'_>, m: Meta, cluster: usize, origin: Origin) -> Result<KubeService> {
    let spec = path(root, "spec")?.ok_or_else(|| root.error("missing field `spec`"))?;
    let mut ports = Vec::new();
    for p in list(&spec, "ports")? {
        let number = field(&p, "port")?.ok_or_else(|| p.error("missing field `port`"))?;
        let port = kube::port(&number)?;
        let target = match field(&p, "targetPort")? {
            Some(t) => port_ref(&t)?,
            None => PortRef::Number(port),
        };
        ports.push(KubeServicePort {
            name: string(&p, "name")?.unwrap_or_default(),
            port,
            target,
            transport: string(&p, "protocol")?.unwrap_or_else(|| "TCP".into()),
            app_protocol: string(&p, "appProtocol")?,
        });
    }
    Ok(KubeService {
        name: m.name,
        namespace: m.namespace.unwrap_or_else(|| "default".into()),
        service_type: string(&spec, "type")?.unwrap_or_else(|| "ClusterIP".into()),
        headless: string(&spec, "clusterIP")?.as_deref() == Some("None"),
        selector: string_map(&spec, "selector")?,
        ports,
        cluster,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, app: Option<&str>) -> KubeServicePort {
        KubeServicePort {
            name: name.into(),
            port: 80,
            target: PortRef::Number(80),
            transport: "TCP".into(),
            app_protocol: app.map(str::to_string),
        }
    }

    #[test]
    fn app_protocol_wins_over_the_port_name() {
        assert_eq!(port("http", Some("grpc")).protocol(), Protocol::Grpc);
        assert_eq!(
            port("web", Some("kubernetes.io/h2c")).protocol(),
            Protocol::Http2
        );
        assert_eq!(port("tcp-db", None).protocol(), Protocol::Tcp);
        // An appProtocol Istio does not know is auto-detected (HTTP for HTTP clients): the
        // port name is not consulted.
        assert_eq!(port("tcp-web", Some("unknown")).protocol(), Protocol::Http);
    }
}
