//! `SimStream`: a simulated TCP stream — the fabric's, or turmoil-net's.
//!
//! turmoil-net's `poll_read` calls `ReadBuf::initialize_unfilled`, so every read zeroes all
//! the space the caller offers — for hyper's 8 KiB+ read buffers that memset was half of the
//! twin's CPU time. Its reads here go through one thread-local scratch buffer that is
//! initialised once, and only the received bytes are copied out. The fabric's reads copy only
//! the received bytes to begin with.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use turmoil_net::shim::tokio::net::TcpStream;

use crate::fabric::socket::FabricStream;

/// Largest single read on turmoil-net.
const SCRATCH: usize = 64 * 1024;

thread_local! {
    static SCRATCH_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
}

/// A simulated TCP stream.
pub enum SimStream {
    Fabric(FabricStream),
    TurmoilNet(TcpStream),
}

fn turmoil_read(
    s: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let want = buf.remaining().min(SCRATCH);
    if want == 0 {
        return Poll::Ready(Ok(()));
    }
    SCRATCH_BUF.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let mut scratch = ReadBuf::new(&mut scratch[..want]);
        match Pin::new(s).poll_read(cx, &mut scratch) {
            Poll::Ready(Ok(())) => {
                buf.put_slice(scratch.filled());
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    })
}

impl AsyncRead for SimStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            SimStream::Fabric(s) => Pin::new(s).poll_read(cx, buf),
            SimStream::TurmoilNet(s) => turmoil_read(s, cx, buf),
        }
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            SimStream::Fabric(s) => Pin::new(s).poll_write(cx, data),
            SimStream::TurmoilNet(s) => Pin::new(s).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            SimStream::Fabric(s) => Pin::new(s).poll_flush(cx),
            SimStream::TurmoilNet(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            SimStream::Fabric(s) => Pin::new(s).poll_shutdown(cx),
            SimStream::TurmoilNet(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
