//! A small driver of headless Chromium for the browser tests: finds the browser, starts it with a throwaway
//! profile, and speaks the DevTools protocol to one page over a websocket (`tungstenite`, synchronous) —
//! navigate with an `Authorization` header, evaluate JavaScript, read the DOM, emulate a phone, capture a
//! screenshot. Every wait is bounded; the browser is killed when the driver is dropped, on every path out
//! of a test (a failed assertion unwinds through `Drop`). Also the one-shot `--dump-dom` and
//! `--screenshot` runs of a static file.

use std::io::Read as _;
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long Chromium may take to start, a page to load, or one protocol call to answer.
pub const WAIT: Duration = Duration::from_secs(30);

/// The Chromium to run: `CUSTODIA_CHROMIUM`, or the first of `chromium`, `chromium-browser`,
/// `google-chrome`, `google-chrome-stable` on `PATH`. None is a failure that says how to install one —
/// with the `browser-tests` feature on, the browser tests never skip.
pub fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CUSTODIA_CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "CUSTODIA_CHROMIUM={} is not a file",
            path.display()
        );
        return path;
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "the browser tests (feature browser-tests) need headless Chromium, and none was found: set \
         CUSTODIA_CHROMIUM to its path, or install it — on Debian/Ubuntu `apt-get install -y \
         --no-install-recommends chromium fonts-wqy-microhei` (what .ci/run does); a CJK font makes the \
         Chinese names legible in the screenshots"
    );
}

/// The flags every run uses: headless, no sandbox (CI runs as root, where Chromium's sandbox refuses to
/// start), no GPU, no first-run work, the profile in `profile`.
fn base_args(profile: &Path) -> Vec<String> {
    vec![
        "--headless=new".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--disable-extensions".into(),
        "--disable-background-networking".into(),
        "--disable-sync".into(),
        "--hide-scrollbars".into(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

/// A Chromium started in a process group of its own (its renderers, GPU and zygote processes join it).
fn spawn(args: &[String], stdout: Stdio) -> Killed {
    let child = Command::new(chromium())
        .args(args)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Killed(child)
}

/// A Chromium killed when dropped: its whole process group by the group's id, then the browser process
/// itself, reaped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` to exit within `limit`; kills it and fails past that.
fn wait_bounded(child: &mut Killed, limit: Duration, what: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < limit,
            "{what}: Chromium did not finish in {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `chromium --headless --dump-dom URL`: the DOM after the page loaded, serialized.
pub fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut args = base_args(profile.path());
    args.extend(["--dump-dom".to_owned(), url.to_owned()]);
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = spawn(&args, out.reopen().unwrap().into());
    let status = wait_bounded(&mut child, WAIT, "--dump-dom");
    assert!(status.success(), "--dump-dom {url}: {status}");
    let mut text = String::new();
    out.reopen().unwrap().read_to_string(&mut text).unwrap();
    text
}

/// `chromium --headless --screenshot=PATH --window-size=W,H URL`.
pub fn screenshot_file(url: &str, path: &Path, (width, height): (u32, u32)) {
    let profile = tempfile::tempdir().unwrap();
    let mut args = base_args(profile.path());
    args.extend([
        format!("--screenshot={}", path.display()),
        format!("--window-size={width},{height}"),
        url.to_owned(),
    ]);
    let mut child = spawn(&args, Stdio::null());
    let status = wait_bounded(&mut child, WAIT, "--screenshot");
    assert!(status.success(), "--screenshot {url}: {status}");
    assert_png(path);
}

/// Fails unless `path` is a PNG of some size.
pub fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 1000,
        "{} is not a PNG ({} bytes)",
        path.display(),
        bytes.len()
    );
}

/// One headless Chromium and a DevTools connection to its page.
pub struct Browser {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Events received while waiting for answers, oldest first.
    events: Vec<Value>,
    // Dropped after the socket: the process, then its profile directory.
    _child: Killed,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with `--remote-debugging-port=0` and connects to its page: the port is read from
    /// `DevToolsActivePort` in the profile, the page's websocket from `/json/list`.
    pub fn launch() -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut args = base_args(profile.path());
        args.extend([
            "--remote-debugging-address=127.0.0.1".to_owned(),
            "--remote-debugging-port=0".to_owned(),
            "--window-size=1280,900".to_owned(),
            "about:blank".to_owned(),
        ]);
        let child = spawn(&args, Stdio::null());
        let port_file = profile.path().join("DevToolsActivePort");
        let start = Instant::now();
        let port: u16 = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Some(Ok(port)) = text.lines().next().map(str::parse)
            {
                break port;
            }
            assert!(
                start.elapsed() < WAIT,
                "Chromium wrote no DevToolsActivePort in {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(WAIT))
            .build()
            .into();
        let ws_url = loop {
            let list: Value = agent
                .get(format!("http://127.0.0.1:{port}/json/list"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json().ok())
                .unwrap_or(Value::Null);
            let page = list.as_array().and_then(|targets| {
                targets
                    .iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_owned))
            });
            if let Some(url) = page {
                break url;
            }
            assert!(
                start.elapsed() < WAIT,
                "Chromium listed no page target in {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        let (socket, _) = tungstenite::client(ws_url.as_str(), stream).unwrap();
        let mut browser = Self {
            socket,
            next_id: 1,
            events: Vec::new(),
            _child: child,
            _profile: profile,
        };
        browser.call("Page.enable", json!({}));
        browser.call("Network.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser
    }

    fn read(&mut self) -> Value {
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).unwrap(),
                Ok(Message::Close(frame)) => panic!("DevTools closed the connection: {frame:?}"),
                Ok(_) => {}
                Err(e) => panic!("DevTools connection: {e} (no answer within {WAIT:?}?)"),
            }
        }
    }

    /// Calls `method` with `params` and returns its result; a protocol error fails the test.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::Text(message.to_string().into()))
            .unwrap();
        let start = Instant::now();
        loop {
            let got = self.read();
            if got["id"] == id {
                assert!(got.get("error").is_none(), "{method}: {}", got["error"]);
                return got["result"].clone();
            }
            if got.get("method").is_some() {
                self.events.push(got);
            }
            assert!(start.elapsed() < WAIT, "{method}: no answer in {WAIT:?}");
        }
    }

    /// Waits for the event `method` received after `from` events, and returns it.
    fn wait_event(&mut self, method: &str, from: usize) -> Value {
        let start = Instant::now();
        loop {
            if let Some(event) = self.events[from..].iter().find(|e| e["method"] == method) {
                return event.clone();
            }
            assert!(start.elapsed() < WAIT, "no {method} in {WAIT:?}");
            let got = self.read();
            if got.get("method").is_some() {
                self.events.push(got);
            }
        }
    }

    /// Sends `headers` with every request from now on (the dashboard's bearer token).
    pub fn set_headers(&mut self, headers: Value) {
        self.call("Network.setExtraHTTPHeaders", json!({ "headers": headers }));
    }

    /// Navigates to `url`, waits for the load event, and returns the HTTP status of the document.
    pub fn goto(&mut self, url: &str) -> u16 {
        let from = self.events.len();
        let navigated = self.call("Page.navigate", json!({ "url": url }));
        assert!(
            navigated.get("errorText").is_none(),
            "{url}: {}",
            navigated["errorText"]
        );
        self.wait_load(from)
    }

    /// Waits for the load event after `from` events and returns the status of the last document response.
    fn wait_load(&mut self, from: usize) -> u16 {
        self.wait_event("Page.loadEventFired", from);
        let status = self.events[from..]
            .iter()
            .rev()
            .find(|e| e["method"] == "Network.responseReceived" && e["params"]["type"] == "Document")
            .and_then(|e| e["params"]["response"]["status"].as_u64());
        u16::try_from(status.expect("no document response")).unwrap()
    }

    /// Runs `action` (JavaScript that starts a navigation, such as submitting a form), then waits for the
    /// page it leads to and returns its status.
    pub fn navigate_by(&mut self, action: &str) -> u16 {
        let from = self.events.len();
        self.eval(action);
        self.wait_load(from)
    }

    /// Evaluates `expression` in the page and returns its value; a thrown exception fails the test.
    pub fn eval(&mut self, expression: &str) -> Value {
        let got = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(
            got.get("exceptionDetails").is_none(),
            "{expression}: {}",
            got["exceptionDetails"]
        );
        got["result"]["value"].clone()
    }

    /// The page's DOM, serialized (`document.documentElement.outerHTML`).
    pub fn dom(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Emulates a viewport of `width` × `height` CSS pixels (`mobile`: the viewport meta tag applies).
    pub fn viewport(&mut self, width: u32, height: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        );
    }

    /// Saves a PNG of the whole page (up to 8,000 pixels tall) at the current viewport's width to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let metrics = self.call("Page.getLayoutMetrics", json!({}));
        let width = metrics["cssLayoutViewport"]["clientWidth"].as_f64().unwrap();
        let height = metrics["cssContentSize"]["height"].as_f64().unwrap().min(8000.0);
        let shot = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
        assert_png(path);
    }
}
