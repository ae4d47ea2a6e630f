//! `trafficPolicy` → [`TrafficPolicy`], with `portLevelSettings` and subset merging exactly as
//! current istiod does it (`GetPortLevelTrafficPolicy`, `MergeSubsetTrafficPolicy`):
//!
//! - a `portLevelSettings` entry for a port **replaces** the destination-level policy for that
//!   port: blocks it omits take Istio's defaults, not the destination-level values;
//! - a subset's blocks (`connectionPool`, `loadBalancer`, `outlierDetection`) each replace the
//!   destination's block of the same name; a subset `portLevelSettings` entry for a port
//!   replaces all of them for that port.

use std::collections::BTreeMap;

use meshtwin_model::origin::{defaults, Origins};
use meshtwin_model::policy::{
    LbPolicy, LocalityLb, OutlierDetection, PoolSettings, TrafficPolicy, TrafficPolicyForPort,
};

use meshtwin_model::traffic::IstioCompat;

use super::{connection_pool, load_balancer, outlier};
use crate::decode::{Obj, Result, Val};
use crate::warning::TLS_NOT_MODELLED;

const POLICY_FIELDS: &[&str] = &[
    "connectionPool",
    "loadBalancer",
    "outlierDetection",
    "tls",
    "portLevelSettings",
    "tunnel",
    "proxyProtocol",
];
const PORT_FIELDS: &[&str] = &[
    "port",
    "connectionPool",
    "loadBalancer",
    "outlierDetection",
    "tls",
];
const PORT_SELECTOR_FIELDS: &[&str] = &["number"];

/// The blocks of one policy level, each already lowered (with its settings' origins);
/// `None` = not written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Blocks {
    pub pool: Option<(PoolSettings, Origins)>,
    pub lb: Option<(LbPolicy, Option<LocalityLb>)>,
    pub outlier: Option<(OutlierDetection, Origins)>,
}

/// A decoded `trafficPolicy`: its own blocks and its port-level entries (ports unique).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawPolicy {
    pub blocks: Blocks,
    pub ports: BTreeMap<u16, Blocks>,
}

/// Decode a `trafficPolicy` (destination or subset level) as the Istio release of `compat`.
pub fn decode(v: &Val<'_>, compat: &IstioCompat) -> Result<RawPolicy> {
    let tp = v.map(POLICY_FIELDS)?;
    tp.ignored(
        "tunnel",
        "HTTP CONNECT tunnelling is not modelled: connections go to the destination directly",
    );
    tp.ignored("proxyProtocol", "no PROXY protocol header is sent upstream");
    let blocks = decode_blocks(&tp, compat)?;
    let mut ports = BTreeMap::new();
    for entry in tp.list("portLevelSettings")? {
        let e = entry.map(PORT_FIELDS)?;
        let selector = e.req("port")?.map(PORT_SELECTOR_FIELDS)?;
        let number = selector.req("number")?;
        let port = u16::try_from(number.int_in(1, 65535)?).unwrap_or(u16::MAX);
        if ports.insert(port, decode_blocks(&e, compat)?).is_some() {
            return Err(number.error(format!("duplicate portLevelSettings entry for port {port}")));
        }
    }
    Ok(RawPolicy { blocks, ports })
}

fn decode_blocks(o: &Obj<'_>, compat: &IstioCompat) -> Result<Blocks> {
    if let Some(tls) = o.ignored("tls", TLS_NOT_MODELLED) {
        tls.entries()?;
    }
    Ok(Blocks {
        pool: o.opt("connectionPool", connection_pool::decode)?,
        lb: o.opt("loadBalancer", load_balancer::decode)?,
        outlier: o.opt("outlierDetection", |v| outlier::decode(v, compat))?,
    })
}

impl Blocks {
    /// Istio's defaults wherever a block is absent.
    fn lower(&self) -> TrafficPolicyForPort {
        let (pool, pool_origins) = self
            .pool
            .clone()
            .unwrap_or_else(|| (PoolSettings::istio_default(), defaults::istio_pool()));
        let origins = match &self.outlier {
            Some((_, o)) => pool_origins.merged(o),
            None => pool_origins,
        };
        TrafficPolicyForPort {
            pool,
            lb_policy: self.lb.as_ref().map_or(LbPolicy::LeastRequest, |l| l.0),
            locality_lb: self.lb.as_ref().and_then(|l| l.1.clone()),
            outlier_detection: self.outlier.as_ref().map(|(od, _)| od.clone()),
            origins,
        }
    }

    /// `mergeTrafficPolicy`: the subset's blocks replace ours; all of them when `whole`.
    fn overridden_by(&self, subset: &Blocks, whole: bool) -> Blocks {
        fn pick<T: Clone>(ours: &Option<T>, theirs: &Option<T>, whole: bool) -> Option<T> {
            if whole || theirs.is_some() {
                theirs.clone()
            } else {
                ours.clone()
            }
        }
        Blocks {
            pool: pick(&self.pool, &subset.pool, whole),
            lb: pick(&self.lb, &subset.lb, whole),
            outlier: pick(&self.outlier, &subset.outlier, whole),
        }
    }
}

impl RawPolicy {
    /// `GetPortLevelTrafficPolicy`: the port's entry if there is one, else the policy itself.
    fn for_port(&self, port: Option<u16>) -> (Blocks, bool) {
        match port.and_then(|p| self.ports.get(&p)) {
            Some(b) => (b.clone(), true),
            None => (self.blocks.clone(), false),
        }
    }

    /// The destination-level policy.
    pub fn lower(&self) -> TrafficPolicy {
        let base = self.blocks.lower();
        TrafficPolicy {
            pool: base.pool,
            lb_policy: base.lb_policy,
            locality_lb: base.locality_lb,
            outlier_detection: base.outlier_detection,
            port_level: self.ports.iter().map(|(p, b)| (*p, b.lower())).collect(),
            origins: base.origins,
        }
    }

    /// `MergeSubsetTrafficPolicy` for one port (`None` = the subset's base policy).
    fn merged(top: &RawPolicy, subset: Option<&RawPolicy>, port: Option<u16>) -> Blocks {
        let (original, _) = top.for_port(port);
        match subset {
            None => original,
            Some(s) => {
                let (theirs, whole) = s.for_port(port);
                original.overridden_by(&theirs, whole)
            }
        }
    }

    /// A subset's effective policy: its blocks merged over the destination-level ones, for
    /// the base and for every port either level names.
    pub fn lower_subset(top: &RawPolicy, subset: Option<&RawPolicy>) -> TrafficPolicy {
        let base = Self::merged(top, subset, None).lower();
        let mut ports: Vec<u16> = top.ports.keys().copied().collect();
        if let Some(s) = subset {
            ports.extend(s.ports.keys().copied());
        }
        ports.sort_unstable();
        ports.dedup();
        TrafficPolicy {
            pool: base.pool,
            lb_policy: base.lb_policy,
            locality_lb: base.locality_lb,
            outlier_detection: base.outlier_detection,
            port_level: ports
                .into_iter()
                .map(|p| (p, Self::merged(top, subset, Some(p)).lower()))
                .collect(),
            origins: base.origins,
        }
    }
}
