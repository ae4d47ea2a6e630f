//! `SimStream`: a turmoil-net TCP stream whose reads do not zero the caller's buffer.
//!
//! turmoil-net's `poll_read` calls `ReadBuf::initialize_unfilled`, so every read zeroes all
//! the space the caller offers — for hyper's 8 KiB+ read buffers that memset was half of the
//! twin's CPU time. Reads here go through one thread-local scratch buffer that is initialised
//! once, and only the received bytes are copied out.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use turmoil_net::shim::tokio::net::TcpStream;

/// Largest single read.
const SCRATCH: usize = 64 * 1024;

thread_local! {
    static SCRATCH_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
}

/// A simulated TCP stream.
pub struct SimStream(pub TcpStream);

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining().min(SCRATCH);
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        SCRATCH_BUF.with(|s| {
            let mut s = s.borrow_mut();
            let mut scratch = ReadBuf::new(&mut s[..want]);
            match Pin::new(&mut self.0).poll_read(cx, &mut scratch) {
                Poll::Ready(Ok(())) => {
                    buf.put_slice(scratch.filled());
                    Poll::Ready(Ok(()))
                }
                other => other,
            }
        })
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
