//! One `tcp[]` rule → [`TcpRoute`] (`validateTCPRoute`, istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`).

use meshtwin_model::traffic::gateway::{L4Match, TcpRoute};
use meshtwin_model::traffic::IstioCompat;

use super::{checks, destination};
use crate::decode::{Result, Val};

const TCP_ROUTE_FIELDS: &[&str] = &["match", "route"];
const L4_MATCH_FIELDS: &[&str] = &[
    "destinationSubnets",
    "port",
    "sourceLabels",
    "gateways",
    "sourceNamespace",
    "sourceSubnet",
];

/// Decode one rule.
pub fn decode(v: &Val<'_>, compat: &IstioCompat) -> Result<TcpRoute> {
    let r = v.map(TCP_ROUTE_FIELDS)?;
    let matches = r
        .list("match")?
        .iter()
        .map(l4_match)
        .collect::<Result<Vec<_>>>()?;
    let route = match r.get("route") {
        Some(list) if !list.seq()?.is_empty() => destination::route(&list, false, compat)?,
        _ => return Err(v.error("TCP route is required")),
    };
    Ok(TcpRoute { matches, route })
}

fn l4_match(v: &Val<'_>) -> Result<L4Match> {
    let m = v.map(L4_MATCH_FIELDS)?;
    if let Some(s) = m.ignored(
        "sourceSubnet",
        "source addresses are not matched: the rule matches connections from any address",
    ) {
        s.str()?;
    }
    Ok(L4Match {
        port: m.opt("port", checks::port)?,
        destination_subnets: m
            .opt("destinationSubnets", Val::strings)?
            .unwrap_or_default(),
        source_labels: m.opt("sourceLabels", Val::string_map)?.unwrap_or_default(),
        source_namespace: m.opt("sourceNamespace", |s| s.name().map(str::to_string))?,
        gateways: m.opt("gateways", Val::strings)?.unwrap_or_default(),
    })
}
