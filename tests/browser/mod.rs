//! Headless Chromium for the tests, driven by the Chrome DevTools Protocol over a pipe
//! (`--remote-debugging-pipe`: JSON messages ended by a NUL byte, commands on the browser's
//! file descriptor 3, answers and events on 4 — here the child's stdin and stdout, moved there
//! by `sh`). One browser opens page after page in ~0.3 s each; nothing is downloaded and no
//! port is opened.
//!
//! The browser is Debian's `chromium` package (`/usr/bin/chromium`), or the binary the
//! `CHROMIUM` environment variable names. Without one the tests fail, naming the package:
//! the project skips no test.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// How long one protocol command may take before the test gives up on the browser.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The Chromium binary: `$CHROMIUM`, else `chromium` on the `PATH`.
pub fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "CHROMIUM names {}, which is no file",
            p.display()
        );
        return p;
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "headless Chromium is needed to check that the reports render, and no `chromium` \
             is on the PATH: install Debian's `chromium` package (`apt-get install -y \
             chromium`; .ci/run does this on CI), or point CHROMIUM at a Chromium or Chrome \
             binary"
        )
    })
}

/// A running headless browser; killed when dropped.
pub struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    log: PathBuf,
}

/// One tab, attached with its own protocol session.
pub struct Page {
    session: String,
}

/// What one page load did: the protocol events seen until its `load` event (console
/// messages, exceptions, log entries, every request the page made).
pub struct Load {
    pub events: Vec<Value>,
}

impl Browser {
    /// Start Chromium with a fresh profile in `profile` and its own log in `log`.
    pub fn launch(profile: &Path, log: &Path) -> Browser {
        let binary = chromium();
        let stderr = File::create(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                "about:blank",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let commands = child.stdin.take().expect("a pipe to the browser");
        let answers = child.stdout.take().expect("a pipe from the browser");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(answers);
            let mut buf = Vec::new();
            while let Ok(n) = reader.read_until(0, &mut buf) {
                if n == 0 || buf.last() != Some(&0) {
                    break;
                }
                buf.pop();
                let Ok(message) = serde_json::from_slice::<Value>(&buf) else {
                    break;
                };
                if tx.send(message).is_err() {
                    break;
                }
                buf.clear();
            }
        });
        Browser {
            child,
            commands,
            messages,
            next_id: 0,
            log: log.to_path_buf(),
        }
    }

    /// Send `method` and wait for its answer; events that arrive meanwhile go to `events`.
    fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
        events: &mut Vec<Value>,
    ) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).expect("a command serializes");
        bytes.push(0);
        if let Err(e) = self.commands.write_all(&bytes) {
            panic!(
                "Chromium stopped reading commands ({e}); its log: {}",
                self.log.display()
            );
        }
        loop {
            let m = self.next_message(method);
            if m["id"] == id {
                if let Some(err) = m.get("error") {
                    panic!("Chromium refused {method}: {err}");
                }
                return m["result"].clone();
            }
            events.push(m);
        }
    }

    fn next_message(&mut self, waiting_for: &str) -> Value {
        self.messages
            .recv_timeout(ANSWER_TIMEOUT)
            .unwrap_or_else(|_| {
                panic!(
                    "Chromium did not answer {waiting_for} (it exited or hung); its log: {}",
                    self.log.display()
                )
            })
    }

    /// A new tab `width` × `height` CSS pixels, reporting console messages, exceptions,
    /// log entries and requests.
    pub fn open_page(&mut self, width: u32, height: u32) -> Page {
        let mut ignored = Vec::new();
        let target = self.call(
            None,
            "Target.createTarget",
            json!({"url": "about:blank"}),
            &mut ignored,
        );
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
            &mut ignored,
        );
        let page = Page {
            session: attached["sessionId"]
                .as_str()
                .expect("a session id")
                .to_string(),
        };
        for domain in ["Page", "Runtime", "Log", "Network"] {
            let s = Some(page.session.as_str());
            self.call(s, &format!("{domain}.enable"), json!({}), &mut ignored);
        }
        self.call(
            Some(&page.session),
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            &mut ignored,
        );
        page
    }

    /// Load `url` in `page` and wait for its `load` event.
    pub fn navigate(&mut self, page: &Page, url: &str) -> Load {
        let mut events = Vec::new();
        let s = Some(page.session.as_str());
        let nav = self.call(s, "Page.navigate", json!({"url": url}), &mut events);
        if let Some(e) = nav.get("errorText") {
            panic!("Chromium cannot open {url}: {e}");
        }
        let loaded =
            |e: &Value| e["method"] == "Page.loadEventFired" && e["sessionId"].as_str() == s;
        while !events.iter().any(loaded) {
            let m = self.next_message("Page.loadEventFired");
            events.push(m);
        }
        Load { events }
    }

    /// Evaluate `expression` in `page` and return its value (JSON); events seen meanwhile are
    /// added to `load`.
    pub fn evaluate(&mut self, page: &Page, expression: &str, load: &mut Load) -> Value {
        let s = Some(page.session.as_str());
        let r = self.call(
            s,
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
            &mut load.events,
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("the page script threw: {e}");
        }
        r["result"]["value"].clone()
    }

    /// A PNG of the page's top `width` × `height` CSS pixels (beyond the viewport if need be).
    pub fn screenshot(&mut self, page: &Page, width: f64, height: f64, load: &mut Load) -> Vec<u8> {
        let s = Some(page.session.as_str());
        let r = self.call(
            s,
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}),
            &mut load.events,
        );
        base64_decode(r["data"].as_str().expect("screenshot data"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard base64 (with padding) decoded; the protocol sends binary data this way.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.as_bytes().chunks(4) {
        let digits: Vec<u32> = chunk
            .iter()
            .filter(|&&c| c != b'=')
            .map(|&c| value(c))
            .collect();
        let n = digits.iter().fold(0u32, |acc, d| acc << 6 | d) << (6 * (4 - digits.len()));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..digits.len()]);
    }
    out
}

#[test]
fn base64_decodes_padded_text() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGk="), b"hi");
    assert_eq!(base64_decode("YWJj"), b"abc");
}
