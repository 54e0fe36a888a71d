//! The accept loop, one per listener: TCP, then TLS on the wss listener, then HTTP/1.1 with
//! upgrades. Everything after the handshake is the same for both.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::Service;

use crate::server::ops::counters::Counters;
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

/// File descriptors the process keeps for itself whatever its clients do: journals, snapshots,
/// the audit log, the listening sockets, the runtime's own, and the one connection each accept
/// loop may hold while it waits for a slot.
pub const RESERVED_DESCRIPTORS: usize = 128;

/// Connections the metrics listener serves at once; more wait in its kernel backlog. A
/// Prometheus needs one or two.
pub const METRICS_CONNECTIONS: usize = 16;

/// The most descriptors counted on, whatever the limit says (Linux's `fs.nr_open` is at most
/// about a billion).
const MOST_DESCRIPTORS: usize = 1 << 30;

/// How the process's file descriptors are shared between the listeners, so that one listener's
/// connections can never take the descriptors another needs to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptors {
    /// The open-file limit the split is made from.
    pub limit: usize,
    /// Connections the ws and wss listeners may hold together.
    pub connections: usize,
    /// Connections the metrics listener may hold.
    pub metrics: usize,
}

impl Descriptors {
    /// Raises the soft open-file limit to the hard one, and splits it.
    pub fn from_process() -> Descriptors {
        Descriptors::split(raise_nofile())
    }

    fn split(limit: usize) -> Descriptors {
        // An unlimited process (`None` from getrlimit) still gets a count a semaphore can hold.
        let limit = limit.min(MOST_DESCRIPTORS);
        let metrics = METRICS_CONNECTIONS.min(limit / 8).max(1);
        let connections = limit
            .saturating_sub(RESERVED_DESCRIPTORS + metrics)
            .max(limit / 4)
            .max(1);
        Descriptors {
            limit,
            connections,
            metrics,
        }
    }
}

/// The process's open-file limit, raised from soft to hard first (as Go's runtime does): a
/// server is expected to hold many sockets.
fn raise_nofile() -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    let current = if limit.current != limit.maximum && setrlimit(Resource::Nofile, raised).is_ok() {
        limit.maximum
    } else {
        limit.current
    };
    // `None` is unlimited; no process holds more than a few million sockets.
    current.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Whether an accept failed for want of file descriptors (the process's or the system's).
fn out_of_descriptors(error: &io::Error) -> bool {
    use rustix::io::Errno;
    let code = error.raw_os_error();
    code == Some(Errno::MFILE.raw_os_error()) || code == Some(Errno::NFILE.raw_os_error())
}

/// What the HTTP server allows one connection (`[limits]`).
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub send_timeout: Duration,
    pub keepalive_requests: u32,
}

/// What an accept loop needs.
pub struct Accept {
    pub listener: TcpListener,
    /// The listener's name, in logs and in `acdhub_accept_errors_total`.
    pub name: &'static str,
    pub transport: Transport,
    pub tls: Option<TlsAcceptor>,
    pub app: Router,
    /// The listener's share of the file descriptors: one per open connection.
    pub connections: Arc<Semaphore>,
    pub limits: HttpLimits,
    pub counters: Arc<Counters>,
    pub shutdown: CancellationToken,
    pub tracker: tokio_util::task::TaskTracker,
}

/// The first pause after a failed accept; each further failure in a row doubles it up to
/// [`ACCEPT_BACKOFF_MAX`].
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Accepts until shutdown. A descriptor slot is taken before each accept, so past its share
/// new connections wait in the kernel's backlog instead of costing descriptors here.
pub async fn accept_loop(accept: Accept) {
    let Accept {
        listener,
        name,
        transport,
        tls,
        app,
        connections,
        limits,
        counters,
        shutdown,
        tracker,
    } = accept;
    counters.listening(name);
    let mut backoff = ACCEPT_BACKOFF;
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
                    let descriptors = out_of_descriptors(&error);
                    counters.accept_error(name, descriptors);
                    tracing::warn!(listener = name, %error, pause_ms = backoff.as_millis() as u64, "accept failed");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            },
        };
        backoff = ACCEPT_BACKOFF;
        let _ = stream.set_nodelay(true);
        keep_unsent_small(&stream);
        let stream = SendTimeout::new(stream, limits.send_timeout);
        let peer = Peer {
            transport,
            remote,
            permit: Arc::new(permit),
            links: Arc::default(),
            client_writes: stream.switch(),
        };
        let (app, tls, shutdown) = (app.clone(), tls.clone(), shutdown.clone());
        tracker.spawn(async move {
            match tls {
                None => serve_http(stream, peer, app, limits, shutdown).await,
                Some(tls) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_http(stream, peer, app, limits, shutdown).await,
                        Ok(Err(error)) => {
                            tracing::debug!(%remote, %error, "TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    tracing::debug!(listener = name, "stopped accepting");
}

async fn serve_http<S>(
    stream: S,
    peer: Peer,
    app: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remote = peer.remote;
    let requests = Arc::new(AtomicU32::new(0));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(peer.clone());
        let mut app = app.clone();
        let last = requests.fetch_add(1, Ordering::Relaxed) + 1 >= limits.keepalive_requests;
        async move {
            let mut response = app.call(request).await?;
            // An upgrade's 101 keeps `Connection: upgrade`: the connection is the WebSocket's
            // from then on, and no more requests come on it anyway.
            if last && response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
                // hyper closes the connection once this response is written.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // Also the most a kept-alive connection may sit idle between requests.
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

/// A connection whose writes may wait at most `timeout` for the client to read (nginx's
/// `send_timeout`): past it the write fails and the connection closes. Once the connection is a
/// client's (a WebSocket, an SSE link), its session's own patience governs, and the switch
/// turns this off.
struct SendTimeout<S> {
    inner: S,
    timeout: Duration,
    /// Armed while a write waits.
    deadline: Pin<Box<tokio::time::Sleep>>,
    armed: bool,
    off: Arc<AtomicBool>,
}

impl<S> SendTimeout<S> {
    fn new(inner: S, timeout: Duration) -> SendTimeout<S> {
        SendTimeout {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            armed: false,
            off: Arc::default(),
        }
    }

    fn switch(&self) -> Arc<AtomicBool> {
        self.off.clone()
    }

    /// What a write that returned `poll` means: still pending, unless it has waited too long.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() || self.off.load(Ordering::Relaxed) {
            self.armed = false;
            return poll;
        }
        if !self.armed {
            self.armed = true;
            let at = tokio::time::Instant::now() + self.timeout;
            self.deadline.as_mut().reset(at);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client did not read within send_timeout_secs",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SendTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SendTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptors_keep_a_reserve_and_the_metrics_listener_a_small_share() {
        let split = Descriptors::split(20_000);
        assert_eq!(split.metrics, METRICS_CONNECTIONS);
        assert_eq!(
            split.connections + split.metrics + RESERVED_DESCRIPTORS,
            20_000
        );
        let unlimited = Descriptors::split(usize::MAX);
        assert_eq!(unlimited.limit, MOST_DESCRIPTORS);
        let _ = Semaphore::new(unlimited.connections);
        let small = Descriptors::split(256);
        assert!(small.connections + small.metrics < 256, "{small:?}");
        assert!(small.connections >= 64, "{small:?}");
    }

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
