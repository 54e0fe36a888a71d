//! The Origin rule, one for the WebSocket upgrade, every HTTP rung and every probe.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;

use super::{Net, Peer};

/// A request from an allowed origin. A browser sends the page's origin; it must be allowed, or
/// be one of the server's own (a page this server served, over either listener or through a
/// proxy). With `[server] public_hosts` set, an own origin's host must be one of them: else a
/// DNS-rebinding page (its domain made to resolve to this server) would send its own domain
/// as both `Host` and `Origin` and count as the server's own. A request without Origin is not from a browser and goes on to authenticate. Every
/// rung and probe takes this extractor, so the rule is written once; a refusal is a 403 with
/// the code `origin_not_allowed`.
pub struct AllowedOrigin;

impl FromRequestParts<Arc<Net>> for AllowedOrigin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, net: &Arc<Net>) -> Result<Self, Response> {
        let Some(origin) = parts.headers.get(header::ORIGIN) else {
            return Ok(AllowedOrigin);
        };
        let origin = origin.to_str().unwrap_or("(not text)");
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if net
            .allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
            || is_own_origin(origin, host, &net.ports.own, &net.public_hosts)
        {
            return Ok(AllowedOrigin);
        }
        let remote = parts
            .extensions
            .get::<Peer>()
            .map(|peer| peer.remote.to_string());
        let remote = remote.unwrap_or_default();
        tracing::info!(%remote, %origin, "refused a browser from an origin not allowed");
        let body = json!({
            "code": "origin_not_allowed",
            "message": format!("pages from {origin} may not connect; add it to [server] allowed_origins"),
        });
        Err((StatusCode::FORBIDDEN, Json(body)).into_response())
    }
}

/// Whether a page of `origin` is the server's own: its host is the request's `Host` (and one of
/// `public_hosts`, unless there are none), and its port is the `Host`'s, one of the server's
/// own ports, or (a proxy that passes `Host` without a port) its scheme's default.
fn is_own_origin(
    origin: &str,
    host: Option<&str>,
    own_ports: &[u16],
    public_hosts: &[String],
) -> bool {
    let Some(host) = host else {
        return false;
    };
    let (scheme_port, authority) = if let Some(rest) = origin.strip_prefix("https://") {
        (443, rest)
    } else if let Some(rest) = origin.strip_prefix("http://") {
        (80, rest)
    } else {
        return false;
    };
    let (origin_host, origin_port) = split_authority(authority);
    let (host_name, host_port) = split_authority(host);
    if !origin_host.eq_ignore_ascii_case(host_name) {
        return false;
    }
    if !public_hosts.is_empty()
        && !public_hosts
            .iter()
            .any(|public| public.eq_ignore_ascii_case(origin_host))
    {
        return false;
    }
    let origin_port = origin_port.unwrap_or(scheme_port);
    match host_port {
        Some(port) if port == origin_port => true,
        None if origin_port == scheme_port => true,
        _ => own_ports.contains(&origin_port),
    }
}

/// `host[:port]`, with IPv6 hosts in brackets.
pub fn split_authority(authority: &str) -> (&str, Option<u16>) {
    let port_at = match authority.rfind(']') {
        Some(bracket) => authority[bracket..].find(':').map(|i| bracket + i),
        None => authority.rfind(':'),
    };
    match port_at {
        Some(at) => match authority[at + 1..].parse() {
            Ok(port) => (&authority[..at], Some(port)),
            Err(_) => (authority, None),
        },
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    fn is_own_origin(origin: &str, host: Option<&str>, own_ports: &[u16]) -> bool {
        super::is_own_origin(origin, host, own_ports, &[])
    }

    #[test]
    fn with_public_hosts_only_their_pages_are_own_and_a_rebinding_page_is_not() {
        let public = ["acd.example.com".to_owned()];
        let own = |origin, host| super::is_own_origin(origin, Some(host), &[8080], &public);
        assert!(own("https://acd.example.com", "acd.example.com"));
        assert!(own("http://ACD.example.com:8080", "acd.example.com:8080"));
        // The attacker's domain, resolved to this server: Host and Origin agree, and it is not
        // the server's own.
        assert!(!own(
            "http://rebind.evil.example:8080",
            "rebind.evil.example:8080"
        ));
        assert!(!is_own_origin(
            "http://acd.example.com:3000",
            Some("acd.example.com:8080"),
            &[8080]
        ));
        // Without public hosts, the same page counts as own: the documented risk.
        assert!(is_own_origin(
            "http://rebind.evil.example:8080",
            Some("rebind.evil.example:8080"),
            &[8080]
        ));
    }

    #[test]
    fn own_origins_are_the_hosts_own_ports_only() {
        let own = [8080, 8443];
        // A page from this listener, or the other one.
        assert!(is_own_origin(
            "http://acd.example:8080",
            Some("acd.example:8080"),
            &own
        ));
        assert!(is_own_origin(
            "http://acd.example:8080",
            Some("acd.example:8443"),
            &own
        ));
        // A TLS-terminating proxy on 443 that passes Host without a port.
        assert!(is_own_origin(
            "https://acd.example",
            Some("acd.example"),
            &own
        ));
        assert!(is_own_origin("http://[::1]:8080", Some("[::1]:8443"), &own));
        // Another site, or another port of the same host that is not the server's.
        assert!(!is_own_origin(
            "https://evil.example",
            Some("acd.example"),
            &own
        ));
        assert!(!is_own_origin(
            "http://acd.example:3000",
            Some("acd.example:8080"),
            &own
        ));
        assert!(!is_own_origin("null", Some("acd.example:8080"), &own));
        assert!(!is_own_origin("http://acd.example:8080", None, &own));
    }
}
