//! Istio's `tcp-echo` sample as an app model (`samples/tcp-echo`: `tcp-echo v1` runs with
//! prefix `one`, v2 with `two`): for every line it reads on a connection it waits its service
//! time and writes back `<prefix> <line>`, until the client closes. Seed 001's
//! `(date; sleep 1) | nc $INGRESS 31400` prints `one Wed May 13 11:17:44 UTC 2020`.
//!
//! The twin's load generator sends its request id as the line; the app reports each line it
//! answered to `served`, which is how a TCP call learns which pod answered it (an HTTP app
//! says so in `x-served-by`).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use meshtwin_model::topology::AppBehaviour;
use meshtwin_proxy::platform::Platform;
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::app::sample_latency;

/// The longest line the app reads (a limit on everything).
pub const MAX_LINE: usize = 64 * 1024;

/// Told `(line, pod)` for every line a pod answered.
pub type Served = Rc<dyn Fn(&str, &str)>;

/// One pod's tcp-echo server, on any platform (the twin's hosts or real loopback sockets).
pub struct TcpEcho<P: Platform> {
    pub platform: P,
    pub pod: String,
    pub prefix: String,
    pub behaviour: AppBehaviour,
    pub rng: RefCell<ChaCha8Rng>,
    pub served: Served,
}

impl<P: Platform> TcpEcho<P> {
    async fn serve(self: Rc<Self>, stream: P::Stream) {
        let (read, mut write) = tokio::io::split(stream);
        let mut lines = BufReader::new(read);
        let mut line = String::new();
        loop {
            line.clear();
            match (&mut lines)
                .take(MAX_LINE as u64)
                .read_line(&mut line)
                .await
            {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = line.trim_end_matches(['\r', '\n']);
            let delay = sample_latency(&self.behaviour.latency, &mut self.rng.borrow_mut());
            self.platform.sleep(delay).await;
            (self.served)(text, &self.pod);
            let answer = format!("{} {text}\n", self.prefix);
            if write.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

/// Start `app` listening on `addr`.
pub fn spawn_tcp_echo<P: Platform>(app: TcpEcho<P>, addr: SocketAddr) {
    let app = Rc::new(app);
    let p = app.platform.clone();
    p.clone().spawn(Box::pin(async move {
        let Ok(listener) = p.bind(addr).await else {
            return;
        };
        loop {
            let Ok((stream, _)) = p.accept(&listener).await else {
                continue;
            };
            p.spawn(Box::pin(app.clone().serve(stream)));
        }
    }));
}
