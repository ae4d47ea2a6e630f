//! A cluster's host set across control-plane pushes (EDS): every endpoint the cluster has had
//! keeps its host id, so connection pools, outlier state and health stay with the host while it
//! remains; a host that leaves and later returns is a new host, as in Envoy. Priority-load
//! changes are traced (spec §4.2).

use meshtwin_model::event::EventKind;

use crate::cluster::{endpoints_event, Cluster};
use crate::config::Endpoint;
use crate::lb::{Host, HostId};
use crate::platform::Platform;

impl<P: Platform> Cluster<P> {
    /// Endpoint `i` (a host id; hosts that left keep their slot).
    pub fn endpoint(&self, i: usize) -> Endpoint {
        self.hosts.borrow()[i].clone()
    }

    /// The load balancer's view of the current set.
    pub(crate) fn lb_hosts(&self) -> Vec<Host> {
        let hosts = self.hosts.borrow();
        self.members
            .borrow()
            .iter()
            .map(|&i| {
                let ep = &hosts[i];
                Host {
                    id: HostId(i as u32),
                    weight: ep.weight.max(1),
                    locality: ep.locality.clone(),
                    priority: ep.priority,
                    health: self.host_flags(HostId(i as u32)).health(),
                }
            })
            .collect()
    }

    /// A control-plane push of the cluster's endpoint set. Endpoints still present (same
    /// address) keep their host; new ones get new hosts; the rest leave the load balancers and
    /// the outlier detector. Returns the hosts added (their health checks are the caller's to
    /// start, see `start_health_checks_for`).
    pub fn update_endpoints(&self, endpoints: Vec<Endpoint>) -> Vec<HostId> {
        let old: Vec<usize> = self.members.borrow().clone();
        let mut members = Vec::with_capacity(endpoints.len());
        {
            let mut hosts = self.hosts.borrow_mut();
            for ep in &endpoints {
                let existing = old
                    .iter()
                    .copied()
                    .find(|&i| hosts[i].address == ep.address && !members.contains(&i));
                match existing {
                    Some(i) => {
                        hosts[i] = ep.clone();
                        members.push(i);
                    }
                    None => {
                        hosts.push(ep.clone());
                        members.push(hosts.len() - 1);
                    }
                }
            }
        }
        let unchanged = members == old && {
            let hosts = self.hosts.borrow();
            members
                .iter()
                .zip(&endpoints)
                .all(|(&i, ep)| hosts[i] == *ep)
        };
        *self.members.borrow_mut() = members.clone();
        if unchanged {
            return Vec::new();
        }
        if let Some(o) = self.outlier.borrow_mut().as_mut() {
            for i in old.iter().filter(|i| !members.contains(i)) {
                o.detector.remove_host(HostId(*i as u32));
            }
            for i in members.iter().filter(|i| !old.contains(i)) {
                o.detector.add_host(HostId(*i as u32));
            }
        }
        for i in old.iter().filter(|i| !members.contains(i)) {
            self.flags.borrow_mut().remove(&(*i as u32));
        }
        let hosts = self.lb_hosts();
        let active = |h: HostId| self.host_rq_active(h.0 as usize);
        for (lb, rng) in self.balancers.borrow_mut().values_mut() {
            lb.update_hosts(
                hosts.clone(),
                self.cfg.locality_weights.clone(),
                &active,
                rng,
            );
        }
        self.observer.event(
            self.platform.now(),
            endpoints_event(&self.proxy, &self.cfg.name, &endpoints),
        );
        self.note_priority_load("endpoints pushed");
        members
            .iter()
            .filter(|i| !old.contains(i))
            .map(|i| HostId(*i as u32))
            .collect()
    }

    /// Trace the priority load when it differs from the last one traced (any worker's
    /// balancer: they all see the same hosts and health).
    pub(crate) fn note_priority_load(&self, reason: &str) {
        let (load, healthy_percent, panic) = {
            let balancers = self.balancers.borrow();
            let Some((lb, _)) = balancers.values().next() else {
                return;
            };
            let l = lb.priority_load();
            let load: Vec<u32> = l
                .healthy
                .iter()
                .zip(&l.degraded)
                .map(|(h, d)| h + d)
                .collect();
            let healthy_percent = lb
                .host_sets()
                .iter()
                .map(|s| {
                    if s.hosts.is_empty() {
                        0
                    } else {
                        (100 * s.healthy.len() / s.hosts.len()) as u32
                    }
                })
                .collect();
            (load, healthy_percent, l.panic.clone())
        };
        let key = (load.clone(), panic.clone());
        if self.last_load.borrow().as_ref() == Some(&key) {
            return;
        }
        let first = self.last_load.borrow().is_none();
        *self.last_load.borrow_mut() = Some(key);
        // A single priority taking everything, not in panic, is the unremarkable start: not
        // traced (readers take "no priority_load event" to mean exactly that).
        if first && load.len() <= 1 && !panic.iter().any(|p| *p) {
            return;
        }
        self.observer.event(
            self.platform.now(),
            EventKind::PriorityLoad {
                proxy: self.proxy.clone(),
                cluster: self.cfg.name.clone(),
                load,
                healthy_percent,
                panic,
                reason: reason.to_string(),
            },
        );
    }
}
