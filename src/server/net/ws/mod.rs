//! The server's WebSocket: the upgrade (RFC 6455 4.2, on HTTP/1.1), and `conn`, the connection
//! after it, with `frame`, the framing it reads and writes.
//!
//! Our own rather than tungstenite's, which the clients (tests, the load tool) still use and
//! whose accept key the upgrade still derives: tungstenite allocates its read buffer at the
//! upgrade and keeps its write buffer at its largest write, with no setting for either, and
//! those were most of what an idle connection cost (ARCHITECTURE.md, "Dependencies";
//! BENCHMARKS.md, "Idle connections"). RFC conformance is held by the Autobahn testsuite
//! (tests/tools/autobahn.rs) against the same code.

pub mod conn;
pub mod frame;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

pub use conn::{Message, ReadError, WsConn};
pub use frame::Violation;

/// The upgraded connection's byte stream.
pub type Stream = TokioIo<Upgraded>;

/// A request to upgrade to a WebSocket, checked: `GET`, `Connection: upgrade`,
/// `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and a key.
pub struct WsUpgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
    /// The subprotocols the client offers, as sent.
    protocols: Vec<HeaderValue>,
}

/// Why a request is not a WebSocket upgrade: the status and the words.
pub struct NotAnUpgrade(StatusCode, &'static str);

impl IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
    type Rejection = NotAnUpgrade;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use StatusCode as Status;
        if parts.method != Method::GET {
            return Err(NotAnUpgrade(
                Status::METHOD_NOT_ALLOWED,
                "Request method must be `GET`",
            ));
        }
        // Each header that must carry a token, and axum's words when it does not.
        let required = [
            (
                header::CONNECTION,
                "upgrade",
                "Connection header did not include 'upgrade'",
            ),
            (
                header::UPGRADE,
                "websocket",
                "`Upgrade` header did not include 'websocket'",
            ),
            (
                header::SEC_WEBSOCKET_VERSION,
                "13",
                "`Sec-WebSocket-Version` header did not include '13'",
            ),
        ];
        for (name, token, missing) in required {
            if !has_token(&parts.headers, name, token) {
                return Err(NotAnUpgrade(Status::BAD_REQUEST, missing));
            }
        }
        let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
            return Err(NotAnUpgrade(
                Status::BAD_REQUEST,
                "`Sec-WebSocket-Key` header missing",
            ));
        };
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return Err(NotAnUpgrade(
                Status::UPGRADE_REQUIRED,
                "WebSocket request couldn't be upgraded since no upgrade state was present",
            ));
        };
        let protocols = parts
            .headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .flat_map(|value| value.as_bytes().split(|&b| b == b','))
            .filter_map(|protocol| HeaderValue::from_bytes(protocol.trim_ascii()).ok())
            .collect();
        Ok(WsUpgrade {
            key,
            on_upgrade,
            protocols,
        })
    }
}

/// Whether a header's comma-separated values include `token` (in any case).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|item| item.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

impl WsUpgrade {
    /// The `101 Switching Protocols` answer, with `protocol` if the client offered it; `serve`
    /// runs on the connection once hyper has handed it over, in a task of its own: not inside
    /// the task that waits for the upgrade, whose captures would stay beside it for as long as
    /// the connection lives (an idle connection is mostly its task).
    pub fn on_upgrade<F, Fut>(self, protocol: Option<&'static str>, serve: F) -> Response
    where
        F: FnOnce(Stream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => drop(tokio::spawn(serve(TokioIo::new(upgraded)))),
                Err(error) => tracing::debug!(%error, "the WebSocket upgrade failed"),
            }
        });
        let mut response = Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(
                header::SEC_WEBSOCKET_ACCEPT,
                derive_accept_key(self.key.as_bytes()),
            )
            .body(Body::empty())
            .expect("a valid response");
        let offered = protocol.filter(|p| self.protocols.iter().any(|offer| offer == p));
        if let Some(protocol) = offered {
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(protocol),
            );
        }
        response
    }
}
