//! Timeouts against slow or silent downstream clients: a connection's socket is wrapped so
//! every byte either way is noted, and a watchdog closes the connection when Envoy would
//! (`source/common/http/conn_manager_impl.cc`: the connection `idle_timeout` with no request,
//! `request_headers_timeout` from a request's first byte to its last header,
//! `stream_idle_timeout` while a request is active).

use std::cell::{Cell, RefCell};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::downstream::DownstreamLimits;
use crate::platform::Platform;

/// What one connection has done lately.
#[derive(Debug, Default)]
pub struct ConnActivity {
    /// Keep the raw bytes of each request head (see [`ActiveRequest::content_length_and_chunked`]).
    sniff_heads: bool,
    head: RefCell<Vec<u8>>,
    /// When a byte last went either way.
    last: Cell<Duration>,
    /// Requests being served now.
    active: Cell<u32>,
    /// When the first byte of a request head arrived (none while no head is pending).
    head_started: Cell<Option<Duration>>,
}

impl ConnActivity {
    pub fn new(now: Duration, sniff_heads: bool) -> Rc<Self> {
        Rc::new(Self {
            last: Cell::new(now),
            sniff_heads,
            ..Self::default()
        })
    }

    /// A request's head is complete and it is being served; the guard ends it.
    pub fn request_started(self: &Rc<Self>) -> ActiveRequest {
        self.active.set(self.active.get() + 1);
        self.head_started.set(None);
        let head = std::mem::take(&mut *self.head.borrow_mut());
        ActiveRequest {
            conn: self.clone(),
            content_length_and_chunked: has_length_and_chunked(&head),
        }
    }

    fn bytes_read(&self, now: Duration, data: &[u8]) {
        self.last.set(now);
        if self.active.get() > 0 {
            return;
        }
        if self.head_started.get().is_none() {
            self.head_started.set(Some(now));
        }
        let mut head = self.head.borrow_mut();
        if self.sniff_heads && head.len() < MAX_SNIFFED {
            let room = MAX_SNIFFED - head.len();
            head.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
}

/// The most of a request head kept for [`has_length_and_chunked`] (past Envoy's 60 KiB
/// limit the request is refused anyway).
const MAX_SNIFFED: usize = 64 * 1024;

/// Whether an HTTP/1 request head carries both `Content-Length` and `Transfer-Encoding`
/// (hyper drops the former silently; Envoy refuses the request).
fn has_length_and_chunked(raw: &[u8]) -> bool {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let (mut length, mut chunked) = (false, false);
    for line in raw[..end].split(|b| *b == b'\n').skip(1) {
        let name = line.split(|b| *b == b':').next().unwrap_or_default();
        let name = name.trim_ascii();
        length |= name.eq_ignore_ascii_case(b"content-length");
        chunked |= name.eq_ignore_ascii_case(b"transfer-encoding");
    }
    length && chunked
}

/// A request being served (see [`ConnActivity::request_started`]).
pub struct ActiveRequest {
    conn: Rc<ConnActivity>,
    /// Its HTTP/1 head had both `Content-Length` and `Transfer-Encoding` (only known where
    /// heads are sniffed).
    pub content_length_and_chunked: bool,
}

impl Drop for ActiveRequest {
    fn drop(&mut self) {
        let a = &self.conn.active;
        a.set(a.get().saturating_sub(1));
    }
}

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    RequestHeaders,
    Idle,
    StreamIdle,
}

/// Resolves when `activity` breaks one of `limits`' timeouts (never if none is set).
pub async fn watchdog<P: Platform>(
    platform: P,
    limits: DownstreamLimits,
    activity: Rc<ConnActivity>,
) -> Expired {
    let Some(poll) = [
        limits.request_headers_timeout,
        limits.idle_timeout,
        limits.stream_idle_timeout,
    ]
    .into_iter()
    .flatten()
    .min() else {
        return std::future::pending().await;
    };
    loop {
        let now = platform.now();
        let mut next = now + poll;
        let mut check = |deadline: Option<Duration>, why: Expired| match deadline {
            Some(d) if d <= now => Some(why),
            Some(d) => {
                next = next.min(d);
                None
            }
            None => None,
        };
        let last = activity.last.get();
        let expired = if activity.active.get() > 0 {
            check(
                limits.stream_idle_timeout.map(|t| last + t),
                Expired::StreamIdle,
            )
        } else {
            let head = activity.head_started.get();
            check(
                head.zip(limits.request_headers_timeout).map(|(h, t)| h + t),
                Expired::RequestHeaders,
            )
            .or_else(|| {
                check(
                    limits
                        .idle_timeout
                        .filter(|_| head.is_none())
                        .map(|t| last + t),
                    Expired::Idle,
                )
            })
        };
        if let Some(why) = expired {
            return why;
        }
        platform.sleep(next.saturating_sub(now)).await;
    }
}

/// A socket that notes its traffic in a [`ConnActivity`].
pub struct WatchedIo<P, S> {
    pub io: S,
    pub platform: P,
    pub activity: Rc<ConnActivity>,
}

impl<P: Platform, S: AsyncRead + Unpin> AsyncRead for WatchedIo<P, S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            let now = self.platform.now();
            self.activity.bytes_read(now, &buf.filled()[before..]);
        }
        r
    }
}

impl<P: Platform, S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<P, S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.last.set(self.platform.now());
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
