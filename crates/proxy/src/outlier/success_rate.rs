//! Success-rate and failure-percentage detection over one interval (`source/common/upstream/outlier_detection_impl.cc` `DetectorImpl::processSuccessRateEjections`): which hosts are
//! outliers, from the per-host rates of the interval the last sweep closed.

use super::config::Config;
use super::ejection::EjectionType;
use super::monitor::Origin;
use crate::lb::HostId;

/// The cluster's success-rate statistics of one sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuccessRateNums {
    /// Mean success rate of the hosts with enough volume, in percent.
    pub average: f64,
    /// `mean − stdev_factor · stdev` (population standard deviation).
    pub ejection_threshold: f64,
}

/// One host's closed interval: success rate in percent and request volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub host: HostId,
    pub rate: f64,
    pub volume: u64,
}

/// Mean and ejection threshold of a set of success rates (Envoy's
/// `successRateEjectionThreshold`): {50, 100, 100, 100, 100} with factor 1.9 gives mean 90,
/// stdev 20, threshold 52.
pub fn ejection_threshold(rates: &[f64], stdev_factor: f64) -> SuccessRateNums {
    let n = rates.len() as f64;
    let mean = rates.iter().sum::<f64>() / n;
    let variance = rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
    SuccessRateNums {
        average: mean,
        ejection_threshold: mean - stdev_factor * variance.sqrt(),
    }
}

/// What one detection pass found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outliers {
    /// Set when enough hosts had the success-rate volume.
    pub success_rate: Option<SuccessRateNums>,
    /// Hosts to eject, success-rate outliers first, then failure-percentage ones, each in the
    /// order of `samples`.
    pub hosts: Vec<(HostId, EjectionType)>,
}

/// Find the outliers among `samples` (non-ejected hosts with traffic in the closed interval)
/// of a cluster of `cluster_hosts` hosts.
pub fn find_outliers(
    cfg: &Config,
    origin: Origin,
    cluster_hosts: usize,
    samples: &[Sample],
) -> Outliers {
    let mut out = Outliers::default();
    let hosts = cluster_hosts as u64;
    let (sr_min, fp_min) = (
        u64::from(cfg.success_rate_minimum_hosts),
        u64::from(cfg.failure_percentage_minimum_hosts),
    );
    if hosts < sr_min && hosts < fp_min {
        return out;
    }
    let sr: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.volume >= u64::from(cfg.success_rate_request_volume))
        .collect();
    let fp: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.volume >= u64::from(cfg.failure_percentage_request_volume))
        .collect();
    let (sr_type, fp_type) = match origin {
        Origin::External => (EjectionType::SuccessRate, EjectionType::FailurePercentage),
        Origin::Local => (
            EjectionType::SuccessRateLocalOrigin,
            EjectionType::FailurePercentageLocalOrigin,
        ),
    };
    if !sr.is_empty() && sr.len() as u64 >= sr_min {
        let rates: Vec<f64> = sr.iter().map(|s| s.rate).collect();
        let nums = ejection_threshold(&rates, f64::from(cfg.success_rate_stdev_factor) / 1000.0);
        out.success_rate = Some(nums);
        out.hosts.extend(
            sr.iter()
                .filter(|s| s.rate < nums.ejection_threshold)
                .map(|s| (s.host, sr_type)),
        );
    }
    if !fp.is_empty() && fp.len() as u64 >= fp_min {
        let threshold = f64::from(cfg.failure_percentage_threshold);
        out.hosts.extend(
            fp.iter()
                .filter(|s| 100.0 - s.rate >= threshold)
                .map(|s| (s.host, fp_type)),
        );
    }
    out
}
