//! The accept loop, one per listener: TCP, then TLS on the wss listener, then HTTP/1.1 with
//! upgrades. Everything after the handshake is the same for both.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::Service;

use crate::server::rung::Transport;

use super::Peer;

/// A client gets this long for its TLS handshake and for its HTTP request headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a listener could not be opened, in words that say what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "cannot listen for {listener} on {addr}: permission denied. Ports below 1024 need root or the \
         capability: run `sudo setcap cap_net_bind_service=+ep <path to acdhub>`, or choose another \
         port with --{listener} (e.g. --{listener} {suggestion}) or {setting} in the configuration"
    )]
    Permission {
        listener: &'static str,
        setting: &'static str,
        addr: SocketAddr,
        suggestion: u16,
    },
    #[error(
        "cannot listen for {listener} on {addr}: the address is in use. Stop whatever holds it, or choose \
         another port with --{listener} or {setting} in the configuration"
    )]
    InUse {
        listener: &'static str,
        setting: &'static str,
        addr: SocketAddr,
    },
    #[error("cannot listen for {listener} on {addr}: {source}")]
    Other {
        listener: &'static str,
        addr: SocketAddr,
        source: io::Error,
    },
}

/// A listening socket the server opens: its name (also its command-line flag), its key in the
/// configuration, and a port to suggest when a privileged one is refused.
#[derive(Debug, Clone, Copy)]
pub struct Listening {
    pub name: &'static str,
    pub setting: &'static str,
    pub suggestion: u16,
}

impl Listening {
    pub const METRICS: Listening = Listening {
        name: "metrics",
        setting: "[metrics] listen",
        suggestion: 9464,
    };

    pub fn of(transport: Transport) -> Listening {
        match transport {
            Transport::Ws => Listening {
                name: "ws",
                setting: "[server] ws",
                suggestion: 8080,
            },
            Transport::Wss => Listening {
                name: "wss",
                setting: "[server] wss",
                suggestion: 8443,
            },
        }
    }
}

/// The kernel's queue of connections not yet accepted. At a shift start or after a restart
/// thousands of clients reconnect at once; mio's default of 128 overflows and makes them retry
/// after seconds. (The kernel caps it at `net.core.somaxconn`.)
const LISTEN_BACKLOG: u32 = 4096;

pub async fn bind(listening: Listening, addr: SocketAddr) -> Result<TcpListener, BindError> {
    let listen = || {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(LISTEN_BACKLOG)
    };
    listen().map_err(|source| classify(listening, addr, source))
}

/// Turns the operating system's refusal into advice.
fn classify(listening: Listening, addr: SocketAddr, source: io::Error) -> BindError {
    let Listening {
        name,
        setting,
        suggestion,
    } = listening;
    match source.kind() {
        io::ErrorKind::PermissionDenied => BindError::Permission {
            listener: name,
            setting,
            addr,
            suggestion,
        },
        io::ErrorKind::AddrInUse => BindError::InUse {
            listener: name,
            setting,
            addr,
        },
        _ => BindError::Other {
            listener: name,
            addr,
            source,
        },
    }
}

/// The most a connection's kernel send buffer holds that the network has not taken yet.
///
/// Without a limit Linux lets it grow to megabytes for a client that reads slowly: everything
/// written, pings included, then waits behind seconds of old data, and the client's pong comes
/// too late (4002) although it is reading. With it, the socket stops accepting writes early,
/// the session's writes wait instead, and statistics are superseded in their latest-wins slots
/// rather than queued in the kernel; a slow wallboard gets fresh figures and answers its pings
/// in time. 16 KiB is several batches of messages, and does not limit throughput: data in
/// flight (sent, not yet acknowledged) does not count.
const MAX_UNSENT_BYTES: u32 = 16 * 1024;

fn keep_unsent_small(stream: &tokio::net::TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(error) = socket2::SockRef::from(stream).set_tcp_notsent_lowat(MAX_UNSENT_BYTES) {
        tracing::debug!(%error, "TCP_NOTSENT_LOWAT not set");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (stream, MAX_UNSENT_BYTES);
}

/// What an accept loop needs.
pub struct Accept {
    pub listener: TcpListener,
    pub transport: Transport,
    pub tls: Option<TlsAcceptor>,
    pub app: Router,
    pub connections: Arc<Semaphore>,
    pub shutdown: CancellationToken,
    pub tracker: tokio_util::task::TaskTracker,
}

/// Accepts until shutdown. A connection slot is taken before each accept, so past
/// `max_connections` new clients wait in the kernel's backlog instead of costing memory here.
pub async fn accept_loop(accept: Accept) {
    let Accept {
        listener,
        transport,
        tls,
        app,
        connections,
        shutdown,
        tracker,
    } = accept;
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, remote) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off a little rather than spin.
                    tracing::warn!(transport = transport.name(), %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        keep_unsent_small(&stream);
        let peer = Peer {
            transport,
            remote,
            permit: Arc::new(permit),
        };
        let (app, tls, shutdown) = (app.clone(), tls.clone(), shutdown.clone());
        tracker.spawn(async move {
            match tls {
                None => serve_http(stream, peer, app, shutdown).await,
                Some(tls) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_http(stream, peer, app, shutdown).await,
                        Ok(Err(error)) => {
                            tracing::debug!(%remote, %error, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    tracing::debug!(transport = transport.name(), "stopped accepting");
}

async fn serve_http<S>(stream: S, peer: Peer, app: Router, shutdown: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remote = peer.remote;
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(peer.clone());
        let mut app = app.clone();
        async move { app.call(request).await }
    });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(http);
    let result = tokio::select! {
        result = http.as_mut() => result,
        () = shutdown.cancelled() => {
            http.as_mut().graceful_shutdown();
            http.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%remote, %error, "HTTP connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_privileged_port_without_permission_names_the_flag_and_setcap() {
        let addr = SocketAddr::from(([0, 0, 0, 0], 443));
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let message = classify(Listening::of(Transport::Wss), addr, denied).to_string();
        assert!(message.contains("0.0.0.0:443"), "{message}");
        assert!(message.contains("setcap cap_net_bind_service"), "{message}");
        assert!(message.contains("--wss 8443"), "{message}");
    }

    #[tokio::test]
    async fn a_port_in_use_says_so() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let error = bind(Listening::of(Transport::Ws), addr)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("in use"), "{error}");
        assert!(error.contains("--ws"), "{error}");
    }
}
