//! What the service's tests share: the router served on an ephemeral port of 127.0.0.1 on a runtime of its
//! own, and the HTTP client they talk to it with.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::net::SocketAddr;

use serde_json::Value;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

/// A served router. Dropping it starts a graceful shutdown; [`Served::stop`] also waits for it, so that the
/// runtime — and the brokerage it holds — is gone when it returns.
pub struct Served {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http://{addr}`.
    pub base: String,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Serves `app` through `custodia_service::serve` (so each connection carries its peer address) on a
/// two-thread runtime of its own.
pub fn serve(app: axum::Router) -> Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            // A sent message or a dropped sender (the `Served` dropped) both end the serving.
            let shutdown = async move {
                let _ = tokio::task::spawn_blocking(move || rx.recv()).await;
            };
            custodia_service::serve(listener, app, shutdown).await.unwrap();
        });
    });
    Served {
        addr,
        base: format!("http://{addr}"),
        stop: Some(tx),
        thread: Some(thread),
    }
}

impl Served {
    /// Stops serving and waits until the runtime (and with it the brokerage) is dropped.
    pub fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            tx.send(()).unwrap();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// A client that hands back every status as a response (the tests assert on 4xx bodies) and opens a fresh
/// connection per request: a refused POST is answered before its body is read, after which the server
/// closes the connection, and a pooled connection could be found closed by the next request (a client race
/// that failed a test about once in a dozen runs under load; browsers retry such requests themselves).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .build()
        .into()
}

/// A response's status and body text.
pub struct Got {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub fn collect(mut response: ureq::http::Response<ureq::Body>) -> Got {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Got {
        status: response.status().as_u16(),
        content_type,
        text: response.body_mut().read_to_string().unwrap(),
    }
}
