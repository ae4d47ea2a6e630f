//! The TCP side of the load generator: a `tcp://host:port` load makes every call one TCP
//! connection, like seed 001's `for i in {1..10}; do (date; sleep 1) | nc $INGRESS 31400;
//! done` — connect, send one line (the call's request id stands for `date`), read the one
//! line answered, close. A call that gets its answer counts as code 200 (the twin's
//! convention, so code metrics work for TCP loads); no connection, no answer before the
//! load's `timeout`, or a close without an answer is code 0. The answer is the call's note
//! (so `bodyContains: one` counts v1's answers), and the pod that answered is its upstream
//! pod. The connection is closed as soon as the answer arrives (nc's extra `sleep 1` only
//! holds it open).

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use meshtwin_proxy::platform::{timeout, Platform};

use crate::loadgen::{Client, Ended};
use crate::tcp_echo::MAX_LINE;

impl<P: Platform> Client<P> {
    /// One TCP call: a fresh connection, one line out, one line back.
    pub(crate) async fn tcp_call(&self, index: u64, k: u64) {
        let p = &self.platform;
        let t0 = p.now();
        let request_id = format!("{}-{index}-{k}", self.spec.name);
        self.outcome.borrow_mut().sockets_used += 1;
        let addr = self.target.connect[index as usize % self.target.connect.len()];
        let answer = timeout(p, self.spec.timeout, async {
            let stream = p.connect(addr).await.ok()?;
            let (read, mut write) = tokio::io::split(stream);
            write
                .write_all(format!("{request_id}\n").as_bytes())
                .await
                .ok()?;
            let mut line = String::new();
            let n = BufReader::new(read)
                .take(MAX_LINE as u64)
                .read_line(&mut line)
                .await
                .ok()?;
            (n > 0).then(|| line.trim_end_matches(['\r', '\n']).to_string())
        })
        .await
        .flatten();
        let (status, upstream_pod, notes) = match answer {
            Some(a) => (200, self.recorder.take_served(&request_id), vec![a]),
            None => (0, None, Vec::new()),
        };
        self.record(Ended {
            request_id,
            t0,
            status,
            upstream_pod,
            notes,
            new_socket: true,
        });
    }
}
