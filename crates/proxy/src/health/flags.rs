//! A host's health flags (Envoy's `Host::HealthFlag`, `envoy/upstream/upstream.h` `Host::HealthFlag`): outlier ejection and active
//! health checking set their own flag; the host is unhealthy while either is set.

use crate::lb::Health;

/// The flags the twin models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthFlags {
    /// `FAILED_OUTLIER_CHECK`: ejected by the outlier detector.
    pub failed_outlier_check: bool,
    /// `FAILED_ACTIVE_HC`: failed active health checking (set on new hosts of a checked
    /// cluster until their first check passes).
    pub failed_active_hc: bool,
}

/// Which flag a source sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthFlag {
    FailedOutlierCheck,
    FailedActiveHc,
}

impl HealthFlags {
    /// The flags of a new host: `FAILED_ACTIVE_HC` iff the cluster health-checks.
    pub fn new_host(health_checked: bool) -> Self {
        Self {
            failed_outlier_check: false,
            failed_active_hc: health_checked,
        }
    }

    pub fn set(&mut self, flag: HealthFlag, on: bool) {
        match flag {
            HealthFlag::FailedOutlierCheck => self.failed_outlier_check = on,
            HealthFlag::FailedActiveHc => self.failed_active_hc = on,
        }
    }

    /// What the load balancer sees.
    pub fn health(self) -> Health {
        Health::from_flags(self.failed_outlier_check, self.failed_active_hc, false)
    }
}
