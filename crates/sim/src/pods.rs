//! Starting a pod's processes on its host — its proxy (if any) and its app — and stopping
//! them (a crash kills every task of the host: sockets reset, nothing listens). The timeline
//! crashes, restarts and scales pods through this. The pods' hosts are the twin's
//! ([`SimHosts`]) or real loopback sockets (`crate::real::RealHosts`, for `run --real`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use meshtwin_model::policy::UpstreamProtocol;
use meshtwin_model::topology::{Pod, Sidecar};
use meshtwin_proxy::config::ProxyConfig;
use meshtwin_proxy::observer::Observer;
use meshtwin_proxy::platform::Platform;
use meshtwin_proxy::Proxy;
use tokio::sync::Semaphore;

use crate::app::{spawn_app, App, SharedBehaviour};
use crate::app_call::Resolver;
use crate::loadgen::LoadTarget;
use crate::network::HostId;
use crate::platform::{Core, SimPlatform};
use crate::recorder::Recorder;
use crate::rng;
use crate::tcp_echo::{spawn_tcp_echo, TcpEcho};

/// Where pods' processes run: each pod's platform, and killing every task of a pod.
pub trait Hosts {
    type Platform: Platform;
    /// The platform `pod`'s processes run on.
    fn platform(&self, pod: &str) -> Self::Platform;
    /// Kill every task of `pod` (its sockets close, nothing listens).
    fn kill(&self, pod: &str);
    /// Whether proxies sleep the twin's model of their CPU time (`ProxyConfig`'s
    /// `processing_delay` and `accept_delay`). Real sockets spend it for real instead.
    fn models_cpu_time(&self) -> bool {
        true
    }
    /// Whether the hosts report a listen that failed themselves (real sockets, where another
    /// program may hold a port); elsewhere a failed listen is a bug.
    fn reports_listen_failures(&self) -> bool {
        false
    }
}

/// The twin's hosts: one per pod on the simulated network.
pub struct SimHosts {
    pub core: Rc<Core>,
    pub hosts: BTreeMap<String, HostId>,
}

impl Hosts for SimHosts {
    type Platform = SimPlatform;

    fn platform(&self, pod: &str) -> SimPlatform {
        SimPlatform {
            core: self.core.clone(),
            host: self.hosts[pod],
        }
    }

    fn kill(&self, pod: &str) {
        self.core.exec.kill_host(self.hosts[pod]);
    }
}

/// What starting a pod needs.
pub struct PodRuntime<H: Hosts = SimHosts> {
    pub hosts: H,
    pub ips: BTreeMap<String, Ipv4Addr>,
    pub observer: Rc<dyn Observer>,
    /// Where TCP echo apps note which pod served a connection.
    pub recorder: Rc<Recorder>,
    pub seed: u64,
    /// Each app's behaviour, shared with the app so the timeline can change it.
    pub behaviours: BTreeMap<String, SharedBehaviour>,
    /// Every proxy started, by pod (the latest incarnation).
    pub proxies: BTreeMap<String, Rc<Proxy<H::Platform>>>,
    /// Proxies of crashed incarnations, kept until the run ends (their objects may still own
    /// sockets of their host).
    pub graveyard: Vec<Rc<Proxy<H::Platform>>>,
    /// How many times each pod has started (derives each incarnation's random streams).
    starts: BTreeMap<String, u32>,
}

impl<H: Hosts> PodRuntime<H> {
    pub fn new(
        hosts: H,
        ips: BTreeMap<String, Ipv4Addr>,
        observer: Rc<dyn Observer>,
        recorder: Rc<Recorder>,
        seed: u64,
    ) -> Self {
        Self {
            hosts,
            ips,
            observer,
            recorder,
            seed,
            behaviours: BTreeMap::new(),
            proxies: BTreeMap::new(),
            graveyard: Vec::new(),
            starts: BTreeMap::new(),
        }
    }

    pub fn platform(&self, pod: &str) -> H::Platform {
        self.hosts.platform(pod)
    }

    /// The component name of a pod's `what` stream for its current incarnation (the first
    /// keeps the historical names so runs without restarts are unchanged).
    fn component(&self, what: &str, pod: &str) -> String {
        match self.starts.get(pod).copied().unwrap_or(0) {
            0 | 1 => format!("{what}/{pod}"),
            n => format!("{what}/{pod}#{n}"),
        }
    }

    /// The control plane's `cfg` as a proxy on these hosts runs it: without the modelled CPU
    /// time where the hosts spend it for real ([`Hosts::models_cpu_time`]).
    pub fn for_hosts<'a>(&self, cfg: &'a ProxyConfig) -> Cow<'a, ProxyConfig> {
        if self.hosts.models_cpu_time() {
            return Cow::Borrowed(cfg);
        }
        let mut cfg = cfg.clone();
        cfg.processing_delay = Duration::ZERO;
        cfg.accept_delay = Duration::ZERO;
        Cow::Owned(cfg)
    }

    /// Start `pod`'s proxy with `cfg` (if any) and its app (calls resolved by `targets`).
    pub fn start(&mut self, pod: &Pod, cfg: Option<ProxyConfig>, targets: Vec<LoadTarget>) {
        *self.starts.entry(pod.name.clone()).or_default() += 1;
        let http2 = pod.app.as_ref().is_some_and(|a| {
            cfg.as_ref()
                .is_some_and(|c| local_app_speaks_http2(c, a.port))
        });
        if let Some(cfg) = cfg {
            let seed = rng::component_seed(self.seed, &self.component("proxy", &pod.name));
            let cfg = match self.for_hosts(&cfg) {
                Cow::Owned(changed) => changed,
                Cow::Borrowed(_) => cfg,
            };
            let proxy = Proxy::new(cfg, self.platform(&pod.name), self.observer.clone(), seed);
            let p = proxy.clone();
            let reported = self.hosts.reports_listen_failures();
            self.platform(&pod.name).spawn(Box::pin(async move {
                if let Err(e) = p.start().await {
                    assert!(
                        reported,
                        "the control plane never assigns one address twice: {e}"
                    );
                }
            }));
            if let Some(old) = self.proxies.insert(pod.name.clone(), proxy) {
                self.graveyard.push(old);
            }
        }
        if let Some(app) = &pod.app {
            let behaviour = self
                .behaviours
                .entry(pod.name.clone())
                .or_insert_with(|| Rc::new(RefCell::new(Rc::new(app.clone()))))
                .clone();
            self.start_app(pod, behaviour, targets, http2);
        }
    }

    fn start_app(
        &self,
        pod: &Pod,
        behaviour: SharedBehaviour,
        targets: Vec<LoadTarget>,
        http2: bool,
    ) {
        let ip = match pod.sidecar {
            Sidecar::None => IpAddr::V4(self.ips[&pod.name]),
            _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let app = Rc::clone(&behaviour.borrow());
        let rng = rng::stream(self.seed, &self.component("app", &pod.name));
        if let Some(prefix) = &app.tcp_echo {
            let rec = self.recorder.clone();
            spawn_tcp_echo(
                TcpEcho {
                    platform: self.platform(&pod.name),
                    pod: pod.name.clone(),
                    prefix: prefix.clone(),
                    behaviour: (*app).clone(),
                    rng: RefCell::new(rng),
                    served: Rc::new(move |line: &str, pod: &str| rec.note_served(line, pod)),
                },
                SocketAddr::new(ip, app.port),
            );
            return;
        }
        let calls: BTreeMap<(String, u16), (SocketAddr, String)> = app
            .all_calls()
            .into_iter()
            .map(|(_, c)| c)
            .zip(&targets)
            .map(|(c, t)| {
                (
                    (c.host.clone(), c.port),
                    (t.connect[0], t.authority.clone()),
                )
            })
            .collect();
        let resolver: Resolver =
            Rc::new(move |host: &str, port: u16| calls.get(&(host.to_string(), port)).cloned());
        spawn_app(
            App {
                platform: self.platform(&pod.name),
                pod: pod.name.clone(),
                behaviour,
                rng: RefCell::new(rng),
                workers: Semaphore::new(
                    app.concurrency
                        .map(|c| c as usize)
                        .unwrap_or(Semaphore::MAX_PERMITS),
                ),
                resolver,
                observer: self.observer.clone(),
                http2,
            },
            SocketAddr::new(ip, app.port),
        );
    }

    /// Kill every process of `pod` (its proxy object stays, for its stats).
    pub fn crash(&mut self, pod: &str) {
        self.hosts.kill(pod);
    }
}

/// Whether the sidecar reaches its local app on `port` over HTTP/2 (an App Mesh `http2` / `grpc`
/// listener, an Istio `http2` / `grpc` port): the app then serves HTTP/2 (h2c), as such apps do.
fn local_app_speaks_http2(cfg: &ProxyConfig, port: u16) -> bool {
    cfg.clusters.iter().any(|c| {
        c.protocol == UpstreamProtocol::Http2
            && c.endpoints
                .iter()
                .any(|e| e.address.ip().is_loopback() && e.address.port() == port)
    })
}
