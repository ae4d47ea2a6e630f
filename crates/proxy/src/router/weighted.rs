//! Weighted clusters (`source/common/router/config_impl.cc` `RouteEntryImplBase::pickWeightedCluster`, istiod `pilot/pkg/networking/core/tcp_route.go`, `source/common/tcp_proxy/tcp_proxy.cc`): `selected = random % total_weight`, then the clusters
//! are walked in list order with intervals `[0, w1)`, `[w1, w1 + w2)`, … and the one holding
//! `selected` wins. HTTP routes pick once per request (with the stream id), TCP routes once
//! per downstream connection. Weight-0 entries are never picked. There is no failover
//! between the clusters (`source/common/router/config_impl.cc` `WeightedClusterEntry`).

/// One cluster of a weighted set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterWeight {
    pub name: String,
    pub weight: u32,
    /// `:authority` rewrite when this cluster is picked (Istio destination `headers`).
    pub host_rewrite: Option<String>,
}

impl ClusterWeight {
    pub fn new(name: &str, weight: u32) -> Self {
        Self {
            name: name.to_string(),
            weight,
            host_rewrite: None,
        }
    }
}

/// Clusters with integer weights, total = the sum of the weights (Istio sets no
/// `total_weight`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedClusters {
    clusters: Vec<ClusterWeight>,
    total: u64,
}

impl WeightedClusters {
    /// `None` when the weights add up to 0 (Envoy rejects such a route).
    pub fn new(clusters: Vec<ClusterWeight>) -> Option<Self> {
        let total = clusters.iter().map(|c| u64::from(c.weight)).sum();
        (total > 0).then_some(Self { clusters, total })
    }

    pub fn clusters(&self) -> &[ClusterWeight] {
        &self.clusters
    }

    pub fn total_weight(&self) -> u64 {
        self.total
    }

    /// The cluster `random_value` selects.
    pub fn pick(&self, random_value: u64) -> &ClusterWeight {
        let selected = random_value % self.total;
        let mut end = 0;
        for c in &self.clusters {
            end += u64::from(c.weight);
            if selected < end {
                return c;
            }
        }
        unreachable!("selected < total, and the intervals cover 0..total")
    }
}
