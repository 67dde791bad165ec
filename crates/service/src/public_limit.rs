//! The rate limit of the unauthenticated routes — the customer link pages and their JSON twins
//! (`/c/…`, `/api/v1/customer/…`) and the public checkpoint (`/api/v1/checkpoint`): at most N requests
//! per minute per client address, counted with [`crate::limit`]'s window logic in a table bounded to
//! [`PUBLIC_TRACKED`] addresses (a flood of addresses cannot grow it; see [`crate::limit`]). Over it a
//! request is 429 `rate_limited` with `Retry-After` — JSON on the API paths, a small bilingual page on the
//! customer pages. A bound on guessing link tokens and on anonymous load (PIPL Art 51(2): technical
//! security measures). `/healthz` and `/openapi.json` are not limited (a load balancer's probes).
//!
//! The address is the TCP peer's (axum's `ConnectInfo<SocketAddr>`, which [`crate::serve`] provides); an
//! IPv6 peer counts by its /64, the block one host is usually given. `X-Forwarded-For` is not trusted:
//! behind a reverse proxy every client shares the proxy's allowance, and the proxy should limit instead.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The most client addresses the public limiter tracks at once.
pub const PUBLIC_TRACKED: usize = 65_536;

/// Whether `path` is one of the unauthenticated routes the public limit covers.
pub fn is_public(path: &str) -> bool {
    path == "/api/v1/checkpoint" || path.starts_with("/c/") || path.starts_with("/api/v1/customer/")
}

/// The key an address is counted under: an IPv4 address (or an IPv4-mapped IPv6 one) itself, an IPv6
/// address's /64.
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

const PAGE: &str = "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>请求过多 Too many requests</title>\
<style>body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",\
\"Hiragino Sans GB\",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>\
<body><main id=\"error\" data-code=\"rate_limited\"><h1>请求过多 <span lang=\"en\">Too many requests</span></h1>\
<p id=\"error-code\">rate_limited</p><p id=\"error-message\">请稍后再试。\
<span lang=\"en\">Please try again in a minute.</span></p></main></body></html>\n";

/// The middleware: counts a request to a public route against its client address, if a public limit is
/// set ([`AppState::with_public_rate_limit`]); any other request passes untouched.
pub(crate) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = state.public_limiter.as_ref() else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if !is_public(path) {
        return next.run(request).await;
    }
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        // Served without connection info (not through `crate::serve`): refuse rather than not limit.
        tracing::error!("public rate limit set but the server gives no client address");
        return ApiError::internal().into_response();
    };
    let Err(seconds) = limiter.admit(client_key(peer.ip()), Instant::now()) else {
        return next.run(request).await;
    };
    // Debug, not warn: under a flood, one line per refusal would be a second flood (in the log).
    tracing::debug!(retry_after = seconds, "public route rate limited");
    let mut response = if path.starts_with("/c/") {
        let mut page = (StatusCode::TOO_MANY_REQUESTS, PAGE).into_response();
        page.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        page.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        page
    } else {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("requests from this address are over the limit; try again in {seconds} s"),
        )
        .into_response()
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::time::Duration;

    use super::*;
    use crate::RateLimit;
    use crate::limit::Limiter;

    #[test]
    fn addresses_are_counted_apart_and_an_ipv6_host_by_its_64() {
        let limiter = Limiter::<IpAddr>::bounded(
            RateLimit {
                requests: 2,
                window: Duration::from_secs(60),
            },
            PUBLIC_TRACKED,
        );
        let t0 = Instant::now();
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "203.0.113.8".parse().unwrap();
        for _ in 0..2 {
            assert_eq!(limiter.admit(client_key(a), t0), Ok(()));
        }
        assert_eq!(limiter.admit(client_key(a), t0), Err(60));
        // Another address is unaffected, and the IPv4-mapped form of `a` is `a`.
        assert_eq!(limiter.admit(client_key(b), t0), Ok(()));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert!(limiter.admit(client_key(mapped), t0).is_err());
        // Two addresses of one IPv6 /64 share an allowance; another /64 has its own.
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let v6c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limiter.admit(client_key(v6a), t0), Ok(()));
        assert_eq!(limiter.admit(client_key(v6b), t0), Ok(()));
        assert!(limiter.admit(client_key(v6a), t0).is_err());
        assert_eq!(limiter.admit(client_key(v6c), t0), Ok(()));
    }

    #[test]
    fn a_flood_of_addresses_stays_within_the_cap() {
        let limiter = Limiter::<IpAddr>::bounded(
            RateLimit {
                requests: 5,
                window: Duration::from_secs(60),
            },
            1000,
        );
        let t0 = Instant::now();
        let known: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(limiter.admit(client_key(known), t0), Ok(()));
        let mut refused = 0;
        for i in 0..100_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 | i));
            if limiter
                .admit(client_key(ip), t0 + Duration::from_millis(u64::from(i) / 100))
                .is_err()
            {
                refused += 1;
            }
        }
        assert_eq!(limiter.tracked(), 1000);
        assert_eq!(refused, 100_000 - 999);
        // An address counted before the flood keeps its allowance.
        assert_eq!(
            limiter.admit(client_key(known), t0 + Duration::from_secs(2)),
            Ok(())
        );
    }

    #[test]
    fn the_public_routes_are_the_customer_pages_and_the_checkpoint() {
        assert!(is_public("/api/v1/checkpoint"));
        assert!(is_public("/c/notice/abc"));
        assert!(is_public("/api/v1/customer/requests"));
        for staff in [
            "/api/v1/links",
            "/api/v1/alerts",
            "/healthz",
            "/openapi.json",
            "/dashboard",
        ] {
            assert!(!is_public(staff), "{staff}");
        }
    }
}
