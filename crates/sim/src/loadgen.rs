//! A load generator modelled on `fortio load`: `-c` client loops, each with its own
//! connection, paced to `-qps` (0 = as fast as possible), for `-n` calls or `-t` time.
//! Like fortio's fast client it keeps a connection alive only after a 200 and reconnects
//! otherwise, which is why "Sockets used" exceeds `-c` when 503s happen.
//!
//! When each loop calls and when it stops is [`crate::pacing`]'s decision (fortio's
//! `runOne`): a paced loop with `-t` that fell behind its pace stops once past the deadline
//! and records how many of its calls it made ([`CutShort`]); a loop at full speed with `-t`
//! stops at the deadline or at its share of the call limit
//! ([`meshtwin_model::limits::MAX_UNPACED_CALLS`]).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use http_body_util::BodyExt;
use meshtwin_model::event::EventKind;
use meshtwin_model::scenario::LoadSpec;
use meshtwin_proxy::platform::{timeout, Platform};

use crate::app::notes_of;
use crate::load_request::LoadRequest;
use crate::pacing::{Pacer, Stop};
use crate::recorder::Recorder;

/// Where a load's connections go and how its requests look.
#[derive(Debug, Clone)]
pub struct LoadTarget {
    /// Per connection index: the address to connect to (the local sidecar, or a pod).
    pub connect: Vec<SocketAddr>,
    pub authority: String,
    pub path: String,
    /// The proxy whose response flags a call reports (first proxy on the path), if any.
    pub first_hop_proxy: Option<String>,
    /// A `tcp://` load: every call is one TCP connection (see [`crate::tcp_client`]).
    pub tcp: bool,
}

pub use meshtwin_model::run::{CallRecord, CutShort, LoadOutcome};

/// Everything one client loop needs, on any platform (the twin's, or real sockets).
pub(crate) struct Client<P: Platform> {
    pub(crate) spec: Rc<LoadSpec>,
    pub(crate) src_pod: String,
    pub(crate) target: Rc<LoadTarget>,
    /// The request an HTTP load's calls send (none for a `tcp://` load).
    request: Option<Rc<LoadRequest>>,
    pub(crate) platform: P,
    pub(crate) recorder: Rc<Recorder>,
    pub(crate) outcome: Rc<RefCell<LoadOutcome>>,
}

/// How one call ended, before it is recorded.
pub(crate) struct Ended {
    pub request_id: String,
    pub t0: Duration,
    pub status: u16,
    pub upstream_pod: Option<String>,
    pub notes: Vec<String>,
    pub new_socket: bool,
}

/// Start the load: one task per connection, beginning at `spec.start`.
pub fn spawn_load<P: Platform>(
    spec: LoadSpec,
    src_pod: String,
    target: LoadTarget,
    platform: P,
    recorder: Rc<Recorder>,
    outcome: Rc<RefCell<LoadOutcome>>,
) {
    let request = (!target.tcp).then(|| Rc::new(LoadRequest::new(&spec, &target)));
    let spec = Rc::new(spec);
    let target = Rc::new(target);
    let c = u64::from(spec.connections.max(1));
    for i in 0..c {
        let client = Client {
            spec: spec.clone(),
            src_pod: src_pod.clone(),
            target: target.clone(),
            request: request.clone(),
            platform: platform.clone(),
            recorder: recorder.clone(),
            outcome: outcome.clone(),
        };
        platform.spawn(Box::pin(client.run(i)));
    }
}

use crate::http_client::Sender;

/// The pod that answered, as the twin's apps say it.
const X_SERVED_BY: http::HeaderName = http::HeaderName::from_static("x-served-by");

impl<P: Platform> Client<P> {
    /// One client loop, connection `index`, scheduled by a [`Pacer`].
    async fn run(self, index: u64) {
        let p = self.platform.clone();
        let pacer = Pacer::new(&self.spec, index);
        p.sleep(self.spec.start.saturating_sub(p.now())).await;
        let mut conn: Option<Sender> = None;
        let mut k = 0u64;
        loop {
            let step = match pacer.due(k) {
                Ok(due) => {
                    if let Some(due) = due {
                        p.sleep(due.saturating_sub(p.now())).await;
                    }
                    pacer.check(k, p.now())
                }
                Err(stop) => Err(stop),
            };
            match step {
                Ok(()) => {}
                Err(Stop::Done) => break,
                Err(Stop::Deadline { done, planned }) => {
                    self.cut_short(index, done, planned);
                    break;
                }
                Err(Stop::CallLimit) => {
                    self.outcome.borrow_mut().hit_call_limit = true;
                    break;
                }
            }
            let keep = if self.target.tcp {
                self.tcp_call(index, k).await;
                false
            } else {
                self.call(index, k, &mut conn).await
            };
            if !keep {
                conn = None;
            }
            k += 1;
        }
    }

    /// One call; returns whether the connection may be kept (fortio: only after a 200).
    async fn call(&self, index: u64, k: u64, conn: &mut Option<Sender>) -> bool {
        let p = &self.platform;
        let t0 = p.now();
        let request_id = format!("{}-{index}-{k}", self.spec.name);
        let new_socket = conn.is_none();
        if new_socket {
            self.outcome.borrow_mut().sockets_used += 1;
            let addr = self.target.connect[index as usize % self.target.connect.len()];
            *conn = self.connect(addr).await;
        }
        let result = match conn.as_mut() {
            None => None,
            Some(sender) => {
                // A `host` header replaces the URL's (curl's and fortio's `-H "Host: …"`).
                let request = self.request.as_ref().expect("an HTTP load has its request");
                let req = request.with_id(&request_id);
                timeout(p, self.spec.timeout, async {
                    sender.ready().await.ok()?;
                    let resp = sender.send_request(req).await.ok()?;
                    let status = resp.status().as_u16();
                    let served_by = resp
                        .headers()
                        .get(X_SERVED_BY)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let notes = notes_of(resp.headers());
                    resp.into_body().collect().await.ok()?;
                    Some((status, served_by, notes))
                })
                .await
                .flatten()
            }
        };
        let (status, upstream_pod, notes) = result.unwrap_or((0, None, Vec::new()));
        self.record(Ended {
            request_id,
            t0,
            status,
            upstream_pod,
            notes,
            new_socket,
        });
        status == 200
    }

    /// Record that connection `index` stopped at the deadline after `done` of `planned` calls.
    fn cut_short(&self, index: u64, done: u64, planned: u64) {
        let mut o = self.outcome.borrow_mut();
        o.cut_short.push(CutShort {
            connection: index,
            done,
            planned,
        });
        o.cut_short.sort_by_key(|s| s.connection);
    }

    /// Record a finished call: its trace event and its line in the load's outcome.
    pub(crate) fn record(&self, e: Ended) {
        let Ended {
            request_id,
            t0,
            status,
            upstream_pod,
            notes,
            new_socket,
        } = e;
        let end = self.platform.now();
        let (flags, proxies) = self
            .recorder
            .take_flags(&request_id, self.target.first_hop_proxy.as_deref());
        let latency = end.saturating_sub(t0);
        self.recorder.record(
            end,
            EventKind::Request {
                load: self.spec.name.clone(),
                src_pod: self.src_pod.clone(),
                request_id: request_id.clone(),
                upstream_pod: upstream_pod.clone(),
                status,
                flags: flags.clone(),
                latency_ms: latency.as_micros() as f64 / 1000.0,
                new_socket,
                notes: notes.clone(),
            },
        );
        let mut o = self.outcome.borrow_mut();
        o.first_start = Some(o.first_start.map_or(t0, |s| s.min(t0)));
        o.last_end = Some(o.last_end.map_or(end, |e| e.max(end)));
        for p in proxies {
            // Almost always known already: a name is copied the first time only.
            if !o.calls.proxies.contains(p.as_str()) {
                o.calls.proxies.insert(p.to_string());
            }
        }
        o.calls.add(&CallRecord {
            request_id,
            end,
            status,
            latency,
            new_socket,
            upstream_pod,
            flags,
            notes,
        });
    }

    async fn connect(&self, addr: SocketAddr) -> Option<Sender> {
        let p = &self.platform;
        let stream = timeout(p, self.spec.timeout, p.connect(addr)).await?.ok()?;
        crate::http_client::open(p, stream).await
    }
}
