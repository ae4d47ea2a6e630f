//! The fabric's handles: a stream (one end of a connection), a listener, and the futures of
//! connect and accept. Dropping a handle closes it (see [`super::conn`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::conn::{park, Side, CLIENT, SERVER};
use super::slab::Key;
use super::{Fabric, WINDOW};
use crate::network::HostId;

/// One end of a connection.
pub struct FabricStream {
    fabric: Rc<Fabric>,
    conn: Key,
    side: Side,
}

impl FabricStream {
    /// Open a connection from `host` to `to`.
    pub fn connect(fabric: Rc<Fabric>, host: HostId, to: SocketAddr) -> Connect {
        Connect {
            fabric,
            host,
            to,
            conn: None,
        }
    }
}

impl Drop for FabricStream {
    fn drop(&mut self) {
        self.fabric.with(|st| st.close(self.conn, self.side));
    }
}

impl AsyncRead for FabricStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let (conn, side) = (self.conn, self.side);
        self.fabric.with(|st| {
            let c = st.conns.get_mut(conn).expect("an open stream's connection");
            let end = &mut c.ends[side];
            if end.reset {
                return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
            }
            if end.recv_len == 0 {
                if end.peer_fin || buf.remaining() == 0 {
                    return Poll::Ready(Ok(()));
                }
                park(&mut end.read_waker, cx.waker());
                return Poll::Pending;
            }
            if end.take(buf) > 0 {
                // Window opened: a writer waiting on it may go on.
                c.ends[1 - side].wake_write();
            }
            Poll::Ready(Ok(()))
        })
    }
}

impl AsyncWrite for FabricStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let (conn, side) = (self.conn, self.side);
        self.fabric.with(|st| {
            let c = st.conns.get_mut(conn).expect("an open stream's connection");
            let peer_unread = c.ends[1 - side].recv_len;
            let end = &mut c.ends[side];
            if end.reset {
                return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
            }
            if end.wr_closed {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            if data.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let room = WINDOW.saturating_sub(end.in_flight + peer_unread);
            if room == 0 {
                park(&mut end.write_waker, cx.waker());
                return Poll::Pending;
            }
            let n = data.len().min(room);
            st.send_data(conn, side, &data[..n]);
            Poll::Ready(Ok(n))
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let (conn, side) = (self.conn, self.side);
        self.fabric.with(|st| {
            let reset = st.conns.get(conn).is_some_and(|c| c.ends[side].reset);
            if reset {
                return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
            }
            st.shutdown(conn, side);
            Poll::Ready(Ok(()))
        })
    }
}

/// A connect in progress: done when the SYN-ACK arrives, refused when an RST does. Dropped
/// early, it abandons the connection.
pub struct Connect {
    fabric: Rc<Fabric>,
    host: HostId,
    to: SocketAddr,
    conn: Option<Key>,
}

impl Future for Connect {
    type Output = io::Result<FabricStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (host, to) = (self.host, self.to);
        let conn = match self.conn {
            Some(k) => k,
            None => {
                let k = self.fabric.with(|st| st.connect(host, to));
                self.conn = Some(k);
                k
            }
        };
        let state = self.fabric.with(|st| {
            let c = st.conns.get_mut(conn).expect("a connecting connection");
            if c.refused {
                Some(false)
            } else if c.established {
                Some(true)
            } else {
                c.connect_waker = Some(cx.waker().clone());
                None
            }
        });
        match state {
            None => Poll::Pending,
            Some(ok) => {
                self.conn = None;
                let stream = FabricStream {
                    fabric: self.fabric.clone(),
                    conn,
                    side: CLIENT,
                };
                if ok {
                    Poll::Ready(Ok(stream))
                } else {
                    drop(stream);
                    Poll::Ready(Err(io::ErrorKind::ConnectionRefused.into()))
                }
            }
        }
    }
}

impl Drop for Connect {
    fn drop(&mut self) {
        if let Some(k) = self.conn {
            self.fabric.with(|st| st.close(k, CLIENT));
        }
    }
}

/// A bound listener.
pub struct FabricListener {
    fabric: Rc<Fabric>,
    key: Key,
}

impl FabricListener {
    pub fn bind(fabric: Rc<Fabric>, host: HostId, addr: SocketAddr) -> io::Result<Self> {
        let key = fabric.with(|st| st.listen(host, addr))?;
        Ok(Self { fabric, key })
    }

    /// Accept the next connection.
    pub fn accept(&self) -> Accept<'_> {
        Accept { listener: self }
    }
}

impl Drop for FabricListener {
    fn drop(&mut self) {
        self.fabric.with(|st| st.close_listener(self.key));
    }
}

/// An accept in progress.
pub struct Accept<'a> {
    listener: &'a FabricListener,
}

impl Future for Accept<'_> {
    type Output = io::Result<(FabricStream, SocketAddr)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let l = self.listener;
        match l.fabric.with(|st| st.accept(l.key, cx.waker())) {
            Some((conn, peer)) => Poll::Ready(Ok((
                FabricStream {
                    fabric: l.fabric.clone(),
                    conn,
                    side: SERVER,
                },
                peer,
            ))),
            None => Poll::Pending,
        }
    }
}
