//! `custodia-service`: the HTTP service a brokerage deploys over `custodia-brokerage` (issue 21, first
//! slice) — axum on tokio, the store on SQLite. Staff authenticate with bearer tokens bound to principals
//! ([`auth`]); the gated read, the access monitors' alerts, the overdue rights requests and the incidents'
//! reporting clocks are JSON under `/api/v1` (each token optionally rate-limited, [`limit`]); the ledger's signed checkpoint is public for auditors; the
//! compliance dashboard is a server-rendered page ([`dashboard`]); customers answer transfer notices and follow
//! their requests through one-time links ([`link`], [`customer`]); auditors fetch ledger proofs and audit packs
//! ([`auditor`]); the unauthenticated routes are rate-limited per client address ([`public_limit`]);
//! `/openapi.json` documents every route.
//!
//! The brokerage's API is synchronous: every call runs on tokio's blocking pool, on one shared
//! `Arc<Brokerage>`. Every error is a typed JSON body ([`error::ErrorBody`]) without personal information;
//! `tracing` events carry ids and counts only. Request bodies are limited to [`BODY_LIMIT`] bytes.

/// A compile-time proof that a secret type implements neither `Serialize` nor `Debug` (the trick of
/// crates/crypto/tests/secret_hygiene.rs, as in static_assertions' `assert_not_impl_any!`): naming
/// `some_item` is unambiguous only while exactly one blanket impl applies, so the build fails if either
/// trait is ever derived or implemented. Used by the tests of [`auth::Token`] and [`link::LinkKey`].
#[cfg(test)]
macro_rules! assert_not_debug_or_serialize {
    ($type:ty) => {
        const _: () = {
            trait AmbiguousIfSerialize<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfSerialize<()> for T {}
            #[allow(dead_code)]
            struct ImplementsSerialize;
            impl<T: ?Sized + serde::Serialize> AmbiguousIfSerialize<ImplementsSerialize> for T {}
            trait AmbiguousIfDebug<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfDebug<()> for T {}
            #[allow(dead_code)]
            struct ImplementsDebug;
            impl<T: ?Sized + std::fmt::Debug> AmbiguousIfDebug<ImplementsDebug> for T {}
            const _: fn() = || {
                let _ = <$type as AmbiguousIfSerialize<_>>::some_item;
                let _ = <$type as AmbiguousIfDebug<_>>::some_item;
            };
        };
    };
}
#[cfg(test)]
pub(crate) use assert_not_debug_or_serialize;

pub mod api;
pub mod auditor;
pub mod auth;
pub mod consents;
pub mod customer;
pub mod dashboard;
pub mod error;
pub mod limit;
pub mod link;
pub mod public_limit;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use custodia_brokerage::Brokerage;

pub use api::{ApiDoc, routes};
pub use auth::{Token, TokenError, TokenLine, TokenTable, mint_token};
pub use error::{ApiError, ErrorBody};
pub use limit::RateLimit;
pub use link::{Binding, LinkError, LinkKey, LinkPurpose};

/// The largest request body the service reads: 64 KiB, far above any gated read's body. Larger is 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    brokerage: Arc<Brokerage>,
    tokens: Arc<TokenTable>,
    checkpoint: Arc<Mutex<Option<(Instant, String)>>>,
    limiter: Option<Arc<limit::Limiter>>,
    links: Option<Arc<LinkKey>>,
    public_limiter: Option<Arc<limit::Limiter<IpAddr>>>,
    audit_packs: Option<Arc<auditor::AuditPacks>>,
}

impl AppState {
    /// The state of a service over `brokerage` that accepts the tokens of `tokens`.
    pub fn new(brokerage: Arc<Brokerage>, tokens: TokenTable) -> Self {
        Self {
            brokerage,
            tokens: Arc::new(tokens),
            checkpoint: Arc::new(Mutex::new(None)),
            limiter: None,
            links: None,
            public_limiter: None,
            audit_packs: None,
        }
    }

    /// Limits each token to `limit` (none by default); over it a request is 429 `rate_limited`.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.limiter = Some(Arc::new(limit::Limiter::new(limit)));
        self
    }

    /// Limits the unauthenticated routes to `limit` per client address ([`public_limit`]; none by
    /// default); over it a request is 429 `rate_limited`.
    pub fn with_public_rate_limit(mut self, limit: RateLimit) -> Self {
        self.public_limiter = Some(Arc::new(limit::Limiter::bounded(
            limit,
            public_limit::PUBLIC_TRACKED,
        )));
        self
    }

    /// Keeps the audit packs exported over HTTP in `dir` ([`auditor`]); without it the audit-pack routes
    /// answer 503 `audit_packs_not_configured`.
    pub fn with_audit_packs(mut self, dir: PathBuf) -> Self {
        self.audit_packs = Some(Arc::new(auditor::AuditPacks::new(dir)));
        self
    }

    /// Serves the customer pages with links of `key` ([`link`]); without a key they answer 503
    /// `links_not_configured`.
    pub fn with_link_key(mut self, key: LinkKey) -> Self {
        self.links = Some(Arc::new(key));
        self
    }

    /// The brokerage.
    pub fn brokerage(&self) -> &Arc<Brokerage> {
        &self.brokerage
    }
}

/// The service's router: every route of the route table ([`routes`]), a typed 404 and 405, the body limit.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for route in api::route_table() {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(api::no_such_route)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            public_limit::limit,
        ))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, with each connection's peer address (the
/// public rate limit counts by it).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
