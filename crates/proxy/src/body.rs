//! Request bodies as the router forwards them.
//!
//! Envoy's router buffers a request body only so that it can be sent again (retries,
//! shadows), and only up to the connection's buffer limit
//! (`per_connection_buffer_limit_bytes`, 1 MiB by default): past it, the router gives up on
//! retries and shadows for that request and streams the body with flow control
//! (`source/common/router/router.cc` `Filter::decodeData`, `retry_or_shadow_abandoned`).
//! A [`RequestBody`] is either whole (read before routing, sent again by every attempt and
//! shadow) or a stream: the part read so far, then the rest of the downstream body, pulled
//! from the downstream socket only as fast as the upstream connection takes it.
//!
//! A downstream body that fails (the client closes, resets, half-closes mid-body, or sends a
//! malformed chunk) is never forwarded as if it were complete: the failure is kept in a
//! [`BodyFailure`] so the connection manager answers 400 or drops the stream (`DC`), and the
//! upstream request, if one is under way, is reset.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// The error type of upstream request bodies.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// The body type every upstream request carries.
pub type UpstreamBody = UnsyncBoxBody<Bytes, BodyError>;

/// Why a downstream request body could not be read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFailure {
    /// The client went away mid-body (close, reset, half-close): Envoy's downstream remote
    /// reset, response flag `DC`; nothing can be answered.
    Disconnected,
    /// The body was malformed (a bad chunk): Envoy's HTTP/1 codec error, answered 400.
    Malformed,
}

impl BodyFailure {
    /// Classify a hyper body error.
    pub fn of(e: &hyper::Error) -> Self {
        use std::error::Error as _;
        let mut source = e.source();
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
                ) {
                    return BodyFailure::Malformed;
                }
            }
            source = s.source();
        }
        if e.is_parse() {
            BodyFailure::Malformed
        } else {
            BodyFailure::Disconnected
        }
    }
}

/// Where a streamed body records its failure, for the connection manager (shared with the
/// body, which hyper requires to be `Send`).
#[derive(Debug, Clone, Default)]
pub struct FailureCell(Arc<Mutex<Option<BodyFailure>>>);

impl FailureCell {
    pub fn get(&self) -> Option<BodyFailure> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set(&self, f: Option<BodyFailure>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = f;
    }
}

/// A downstream request body, whole or streamed (see the module doc). Clones share the
/// stream: it can be sent once.
#[derive(Clone)]
pub struct RequestBody(Rc<RefCell<Kind>>);

enum Kind {
    Whole(Bytes),
    Stream(Option<UpstreamBody>, FailureCell),
}

impl RequestBody {
    /// A body read to its end.
    pub fn whole(bytes: Bytes) -> Self {
        Self(Rc::new(RefCell::new(Kind::Whole(bytes))))
    }

    /// `read` so far, then the rest of `incoming`; a failure of `incoming` is noted in
    /// `failure` and fails the upstream request.
    pub fn streaming(read: Vec<Bytes>, incoming: Incoming, failure: FailureCell) -> Self {
        let body = Downstream {
            read: read.into(),
            incoming,
            failure: failure.clone(),
        };
        Self(Rc::new(RefCell::new(Kind::Stream(
            Some(body.boxed_unsync()),
            failure,
        ))))
    }

    /// Whether every attempt and shadow can send it (whole bodies only).
    pub fn replayable(&self) -> bool {
        matches!(*self.0.borrow(), Kind::Whole(_))
    }

    /// The body for one upstream attempt: a copy of a whole body, or the stream the first
    /// time (`None` after that).
    pub fn for_attempt(&self) -> Option<UpstreamBody> {
        match &mut *self.0.borrow_mut() {
            Kind::Whole(b) => Some(whole(b.clone())),
            Kind::Stream(s, _) => s.take(),
        }
    }

    /// Whether the downstream body failed while it was being sent: the upstream attempt
    /// then failed because of the client, not of the host (no outlier detection report, no
    /// retry).
    pub fn downstream_failed(&self) -> bool {
        match &*self.0.borrow() {
            Kind::Whole(_) => false,
            Kind::Stream(_, failure) => failure.get().is_some(),
        }
    }
}

/// A whole body as an upstream body.
pub fn whole(bytes: Bytes) -> UpstreamBody {
    Full::new(bytes).map_err(|e| match e {}).boxed_unsync()
}

/// What [`read_up_to`] read.
pub enum ReadBody {
    /// The whole body, within the limit.
    Whole(Bytes),
    /// The limit was reached first: what was read (as it came), and the rest still on the
    /// socket.
    Partial(Vec<Bytes>, Incoming),
}

/// Read `body` until its end or until more than `limit` bytes are held (`None`: no limit).
pub async fn read_up_to(mut body: Incoming, limit: Option<usize>) -> Result<ReadBody, BodyFailure> {
    // The frames as they came (no copy, no doubling buffer): joined only when whole.
    let mut held: Vec<Bytes> = Vec::new();
    let mut len = 0usize;
    loop {
        if limit.is_some_and(|l| len > l) {
            return Ok(ReadBody::Partial(held, body));
        }
        match body.frame().await {
            None if held.len() == 1 => return Ok(ReadBody::Whole(held.remove(0))),
            None => return Ok(ReadBody::Whole(held.concat().into())),
            Some(Err(e)) => return Err(BodyFailure::of(&e)),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    len += data.len();
                    held.push(data);
                }
            }
        }
    }
}

/// The streamed rest of a downstream body (see [`RequestBody::streaming`]).
struct Downstream {
    read: std::collections::VecDeque<Bytes>,
    incoming: Incoming,
    failure: FailureCell,
}

impl Body for Downstream {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        if let Some(read) = self.read.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(read))));
        }
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => {
                self.failure.set(Some(BodyFailure::of(&e)));
                Poll::Ready(Some(Err(e.into())))
            }
            other => other.map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty() && self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let rest = self.incoming.size_hint();
        let read: u64 = self.read.iter().map(|r| r.len() as u64).sum();
        let mut hint = SizeHint::new();
        if let Some(u) = rest.upper() {
            hint.set_upper(u + read);
        }
        hint.set_lower(rest.lower() + read);
        hint
    }
}
