//! Real clients for the server tests: WebSocket over loopback, plain or TLS (trusting the
//! development CA), speaking protocol v1. Every message a client receives is checked against
//! the schemas in protocol/ before the test sees it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

use acdhub::config;
use acdhub::server::{Server, hash_password};

use crate::schema::check_server_message;

pub mod http;

/// How long a test waits for something the server should do at once. Generous, because the
/// machine is shared: a test fails on a wrong answer, not on a slow one.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The password every test principal has.
pub const PASSWORD: &str = "secret";

/// A test contact center: tenant `acme` with queues `support` and `sales`, agents `a1` and
/// `a2`, reasons `break` and `lunch`, and logins `a1`, `a2` (agents), `wall` (wallboard), `boss`
/// (supervisor) and `pbx` (telephony). `extra` is appended (more tenants, [limits], ...).
pub fn config_text(extra: &str) -> String {
    let hash = hash_password(PASSWORD);
    format!(
        r#"
[server]
ws = "127.0.0.1:0"
wss = "127.0.0.1:0"
# The binary stops at SIGTERM without the drain a load balancer needs.
drain_secs = 0

[metrics]
listen = "127.0.0.1:0"

[[tenants]]
id = "acme"
time_zone = "Europe/Berlin"
routing = {{ reject_delay_secs = 1, max_ring_no_answer = 2 }}

[[tenants.queues]]
id = "support"
service_level = {{ threshold_secs = 20, target_percent = 80 }}
ring_timeout_secs = 2
wrap_up_secs = 60

[[tenants.queues]]
id = "sales"
ring_timeout_secs = 2
wrap_up_secs = 60

[[tenants.agents]]
id = "a1"
name = "Ann One"
skills = {{ support = 3, sales = 2 }}

[[tenants.agents]]
id = "a2"
skills = {{ sales = 4 }}

[[tenants.not_ready_reasons]]
code = "break"

[[tenants.not_ready_reasons]]
code = "lunch"

[[principals]]
user = "a1"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "a2"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "wall"
role = "wallboard"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "boss"
role = "supervisor"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "pbx"
role = "telephony"
tenant = "acme"
password_hash = "{hash}"
{extra}
"#
    )
}

/// What [`config_text`]'s contact center gets for conversations, as its `extra` (followed by
/// `extra`): channel `chat` (three at once), queue `chat` (30 s wrap-up), agents `c1` (chat and
/// support) and `c2` (chat only, one at once) with logins of their names, and the login
/// `widget` (messaging).
pub fn with_chat(extra: &str) -> String {
    let hash = hash_password(PASSWORD);
    format!(
        r#"
[[tenants.channels]]
id = "chat"
name = "Web chat"
capacity = 3

[[tenants.queues]]
id = "chat"
name = "Chat"
channel = "chat"
ring_timeout_secs = 30
wrap_up_secs = 30

[[tenants.agents]]
id = "c1"
name = "Chris Chat"
skills = {{ chat = 2, support = 1 }}

[[tenants.agents]]
id = "c2"
skills = {{ chat = 1 }}
capacity = {{ chat = 1 }}

[[principals]]
user = "c1"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "c2"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "widget"
role = "messaging"
tenant = "acme"
password_hash = "{hash}"
{extra}
"#
    )
}

/// When the servers of `start` begin: a Tuesday, 11:07:30 in Berlin, seven and a half minutes
/// into a 15-minute interval. No statistics window rolls over while a test runs, so a test sees
/// only the updates its own actions cause, whatever the time of day it runs at.
pub const START: &str = "2026-03-10T10:07:30Z";

/// Starts a server in this process on ports the OS picks, its clock at [`START`].
pub async fn start(extra: &str) -> Server {
    start_text(&config_text(extra)).await
}

/// Starts a server in this process on a whole configuration `text`, its clock at [`START`]:
/// for a test that starts again on the same configuration (the same password hashes).
pub async fn start_text(text: &str) -> Server {
    let file = config::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let start = START.parse().expect("a timestamp");
    Server::start_at(file, start)
        .await
        .expect("the server starts")
}

/// Which listener a client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Ws,
    Wss,
}

/// A plain or TLS stream.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = WebSocketStream<Box<dyn Io>>;

/// One connection, as a protocol client sees it.
pub struct Client {
    socket: Socket,
    next_id: u64,
    /// The seq of the last event received; every event must carry the next one.
    pub last_seq: u64,
    /// Events received and not yet taken by `expect`.
    pub backlog: Vec<Value>,
    /// The type of every message received, for tests that show each kind occurs.
    pub seen: std::collections::BTreeSet<String>,
    /// Heartbeat messages received (`next` passes over them).
    heartbeats: usize,
}

pub fn tls_connector() -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    let ca = include_bytes!("../../certs/dev-ca.pem");
    use rustls_pki_types::pem::PemObject;
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// The address a client dials for `via`.
pub fn addr(server: &Server, via: Via) -> SocketAddr {
    match via {
        Via::Ws => server.ws_addr().expect("ws listener"),
        Via::Wss => server.wss_addr().expect("wss listener"),
    }
}

/// Opens a WebSocket to /ws with the protocol's subprotocol and, if given, an Origin header.
/// Returns the HTTP error response if the server refused the upgrade.
pub async fn open(
    server: &Server,
    via: Via,
    origin: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    open_at(addr(server, via), via, origin).await
}

/// Like `open`, for a server at a known address (another process).
pub async fn open_at(
    address: SocketAddr,
    via: Via,
    origin: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    open_with(address, via, origin, None).await
}

/// Like `open_at`, with the socket's receive buffer fixed at `receive_buffer` bytes if given
/// (which turns the kernel's autotuning off for it): a client that stops reading then stalls
/// the server's writes after a known amount, not after the tens of megabytes a Linux 6.x
/// receive buffer may grow to (tcp_rmem's maximum is 32 MiB there).
pub async fn open_with(
    address: SocketAddr,
    via: Via,
    origin: Option<&str>,
    receive_buffer: Option<u32>,
) -> Result<Socket, tungstenite::Error> {
    let scheme = if via == Via::Ws { "ws" } else { "wss" };
    let host = if via == Via::Wss {
        format!("localhost:{}", address.port())
    } else {
        address.to_string()
    };
    let request = ws_request(&format!("{scheme}://{host}/ws"), origin);
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .unwrap();
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    let tcp: TcpStream = socket.connect(address).await.unwrap();
    let stream: Box<dyn Io> = match via {
        Via::Ws => Box::new(tcp),
        Via::Wss => {
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            Box::new(tls_connector().connect(name, tcp).await.unwrap())
        }
    };
    let (socket, response) = tokio_tungstenite::client_async(request, stream).await?;
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "acdhub.v1",
        "the server picks the protocol's subprotocol"
    );
    Ok(socket)
}

impl Client {
    /// Connects and reads the greeting.
    pub async fn connect(server: &Server, via: Via) -> Client {
        Client::connect_at(addr(server, via), via).await
    }

    pub async fn connect_at(address: SocketAddr, via: Via) -> Client {
        Client::connect_with(address, via, None).await
    }

    /// Connects with a receive buffer of `receive_buffer` bytes (see [`open_with`]).
    pub async fn connect_with(
        address: SocketAddr,
        via: Via,
        receive_buffer: Option<u32>,
    ) -> Client {
        let socket = open_with(address, via, None, receive_buffer)
            .await
            .expect("the upgrade succeeds");
        let mut client = Client {
            socket,
            next_id: 0,
            last_seq: 0,
            backlog: Vec::new(),
            seen: Default::default(),
            heartbeats: 0,
        };
        let hello = client.next().await;
        assert_eq!(hello["type"], "hello");
        assert_eq!(hello["protocol"], "acdhub.v1");
        client
    }

    /// Connects and authenticates as `user`; returns the client and the auth result.
    pub async fn login(server: &Server, via: Via, user: &str) -> (Client, Value) {
        Client::login_at(addr(server, via), via, user).await
    }

    pub async fn login_at(address: SocketAddr, via: Via, user: &str) -> (Client, Value) {
        Client::login_with(address, via, user, None).await
    }

    /// Like `login_at`, with a fixed receive buffer (see [`open_with`]).
    pub async fn login_with(
        address: SocketAddr,
        via: Via,
        user: &str,
        receive_buffer: Option<u32>,
    ) -> (Client, Value) {
        let mut client = Client::connect_with(address, via, receive_buffer).await;
        let reply = client
            .request(json!({"type": "auth", "user": user, "password": PASSWORD}))
            .await;
        assert_eq!(reply["type"], "ack", "{user} authenticates: {reply}");
        let result = reply["result"].clone();
        (client, result)
    }

    pub fn socket_mut(&mut self) -> &mut Socket {
        &mut self.socket
    }

    pub async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// Sends a command with a fresh id and returns its reply (`ack` or `error`); events that
    /// arrive before the reply go to the backlog.
    pub async fn request(&mut self, mut command: Value) -> Value {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        command["id"] = json!(id);
        self.send_text(command.to_string()).await;
        self.reply_to(&id).await
    }

    /// Like `request`, and asserts the command was acknowledged.
    pub async fn ok(&mut self, command: Value) {
        let what = command.to_string();
        let reply = self.request(command).await;
        assert_eq!(reply["type"], "ack", "{what} -> {reply}");
    }

    /// Like `request`, and returns the error code (asserting it was an error).
    pub async fn refused(&mut self, command: Value) -> String {
        let what = command.to_string();
        let reply = self.request(command).await;
        assert_eq!(reply["type"], "error", "{what} should be refused: {reply}");
        reply["code"].as_str().unwrap().to_owned()
    }

    /// Sends a command with a fresh id without waiting for its reply; returns the id, or `None`
    /// if the connection is gone (for tests that kill the server under its clients).
    pub async fn send(&mut self, mut command: Value) -> Option<String> {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        command["id"] = json!(id);
        let text = command.to_string();
        self.socket.send(Message::Text(text.into())).await.ok()?;
        Some(id)
    }

    /// Like `next`, but `None` once the connection is gone (closed, reset or ended) instead of a
    /// panic: for tests that kill the server under its clients. What did arrive is checked as
    /// `next` checks it.
    pub async fn next_or_gone(&mut self) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server answers in time");
            let message = match frame {
                Some(Ok(Message::Text(text))) => self.accept(text.as_str()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                Some(Ok(other)) => panic!("unexpected frame {other:?}"),
            };
            if message["type"] == "heartbeat" {
                self.heartbeats += 1;
                continue;
            }
            return Some(message);
        }
    }

    /// Reads until the reply with `id`.
    pub async fn reply_to(&mut self, id: &str) -> Value {
        loop {
            let message = self.next().await;
            match message["type"].as_str() {
                Some("ack" | "error") if message["id"] == id => return message,
                Some("ack" | "error") => panic!("a reply to another command: {message}"),
                _ => self.backlog.push(message),
            }
        }
    }

    /// The next message from the server, schema-checked; events must come in seq order.
    /// Heartbeats are checked and counted, not returned: tests look at what they are about.
    pub async fn next(&mut self) -> Value {
        loop {
            let message = match self.next_frame().await {
                Message::Text(text) => self.accept(text.as_str()),
                Message::Close(frame) => panic!("closed by the server: {frame:?}"),
                other => panic!("unexpected frame {other:?}"),
            };
            if message["type"] == "heartbeat" {
                self.heartbeats += 1;
                continue;
            }
            return message;
        }
    }

    /// Reads until `count` more heartbeats have come, asserting that nothing else does: how a
    /// test waits through a quiet spell, counted in the server's own ticks rather than in
    /// seconds (reading answers the server's pings, which come with the heartbeats). Panics on
    /// any other message, a close or a broken connection, or a heartbeat PATIENCE late.
    pub async fn expect_heartbeats(&mut self, count: usize) {
        let until = self.heartbeats + count;
        while self.heartbeats < until {
            let message = match self.next_frame().await {
                Message::Text(text) => self.accept(text.as_str()),
                Message::Close(frame) => panic!("closed by the server: {frame:?}"),
                other => panic!("unexpected frame {other:?}"),
            };
            assert_eq!(
                message["type"], "heartbeat",
                "nothing but heartbeats while nothing happens: {message}"
            );
            self.heartbeats += 1;
        }
    }

    /// Connects and sends `auth` with `token` and `resume` (session, last_seq), expecting the
    /// events to go on after `last_seq` if `resumed`, or start again at 1. Returns the client
    /// and the reply; the events before it wait in the backlog.
    pub async fn resume_at(
        address: SocketAddr,
        via: Via,
        token: &str,
        session: &str,
        last_seq: u64,
        resumed: bool,
    ) -> (Client, Value) {
        let mut client = Client::connect_at(address, via).await;
        client.last_seq = if resumed { last_seq } else { 0 };
        let reply = client
            .request(json!({
                "type": "auth", "token": token,
                "resume": {"session": session, "last_seq": last_seq},
            }))
            .await;
        (client, reply)
    }

    fn accept(&mut self, text: &str) -> Value {
        let message = check_server_message(text);
        if let Some(kind) = message["type"].as_str() {
            self.seen.insert(kind.to_owned());
        }
        if let Some(seq) = message.get("seq") {
            assert_eq!(
                seq.as_u64(),
                Some(self.last_seq + 1),
                "events arrive in seq order without gaps: {message}"
            );
            self.last_seq += 1;
        }
        message
    }

    async fn next_frame(&mut self) -> Message {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server answers in time")
                .expect("the connection is open")
                .expect("the frame is valid");
            match frame {
                Message::Ping(_) | Message::Pong(_) => continue,
                frame => return frame,
            }
        }
    }

    /// The first event of `kind` (from the backlog, else from the wire) that matches `filter`.
    /// Events of `kind` before it are passed over for good (each stream only moves forward);
    /// events of other kinds are kept in the backlog.
    pub async fn expect_where(&mut self, kind: &str, filter: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self
            .backlog
            .iter()
            .position(|m| m["type"] == kind && filter(m))
        {
            let found = self.backlog.remove(i);
            let mut index = 0;
            self.backlog.retain(|m| {
                index += 1;
                index > i || m["type"] != kind
            });
            return found;
        }
        self.backlog.retain(|m| m["type"] != kind);
        loop {
            let message = self.next().await;
            if message["type"] == kind && filter(&message) {
                return message;
            }
            assert!(
                !matches!(message["type"].as_str(), Some("ack" | "error")),
                "an unexpected reply while waiting for {kind}: {message}"
            );
            if message["type"] != kind {
                self.backlog.push(message);
            }
        }
    }

    pub async fn expect(&mut self, kind: &str) -> Value {
        self.expect_where(kind, |_| true).await
    }

    /// The agent's next state change to `state`.
    pub async fn expect_state(&mut self, agent: &str, state: &str) -> Value {
        self.expect_where("agent_state", |m| {
            m["agent"] == agent && m["state"] == state
        })
        .await
    }

    /// Waits for the server to close the connection; returns the close code.
    pub async fn expect_close(&mut self) -> u16 {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server closes in time");
            match frame {
                Some(Ok(Message::Close(Some(CloseFrame { code, .. })))) => return code.into(),
                Some(Ok(Message::Close(None))) => panic!("closed without a code"),
                Some(Ok(Message::Text(text))) => {
                    let message = self.accept(text.as_str());
                    self.backlog.push(message);
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("the connection failed before a close frame: {error}"),
                None => panic!("the connection ended without a close frame"),
            }
        }
    }

    /// The next event, which must be of `kind`: nothing else came before it.
    pub async fn next_event_is(&mut self, kind: &str) -> Value {
        assert!(
            self.backlog.is_empty(),
            "unexpected events: {:?}",
            self.backlog
        );
        let message = self.next().await;
        assert_eq!(message["type"], kind, "expected {kind} next, got {message}");
        message
    }
}

/// A bare TCP socket on `/ws` at `addr`, upgraded by a handshake written by hand (the
/// protocol's subprotocol, no Origin): for tests that write or read raw frames.
pub async fn upgrade_by_hand(addr: SocketAddr) -> TcpStream {
    let (status, code, tcp) = upgrade_from(std::net::Ipv4Addr::LOCALHOST.into(), addr).await;
    assert_eq!(status, 101, "the upgrade answered {status} {code}");
    tcp
}

/// An upgrade to `/ws` from the local address `from` (any of 127/8 reaches the server over
/// loopback): the status, the refusal's `code` (empty on 101) and the connection.
pub async fn upgrade_from(from: std::net::IpAddr, server: SocketAddr) -> (u16, String, TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let mut tcp = socket.connect(server).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: acdhub.v1\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    // Byte by byte: what follows the head (the server's first frame) stays in the socket.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.unwrap());
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut code = String::new();
    if status != 101 {
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .map_or(0, |value| value.trim().parse().unwrap());
        let mut body = vec![0; length];
        tcp.read_exact(&mut body).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        code = body["code"].as_str().unwrap_or_default().to_owned();
    }
    (status, code, tcp)
}

/// Like `start`, with `server_keys` added to the `[server]` section (which `extra` cannot
/// reopen): `audit_log = "..."`, say.
pub async fn start_with_server_keys(server_keys: &str, extra: &str) -> Server {
    let text = config_text(extra).replacen("[server]\n", &format!("[server]\n{server_keys}\n"), 1);
    let file = config::parse(&text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    Server::start(file).await.expect("the server starts")
}

/// A fresh, empty directory for one test's files, under the system's temporary directory.
pub fn fresh_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("acdhub-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// A second tenant, `globex` (queue `support`, agent `g1`), with logins `g1` (agent), `gboss`
/// (supervisor) and `gpbx` (telephony): append it to a test's configuration.
pub fn second_tenant() -> String {
    let hash = hash_password(PASSWORD);
    let mut text = String::from(
        "\n[[tenants]]\nid = \"globex\"\ntime_zone = \"America/New_York\"\n\n\
         [[tenants.queues]]\nid = \"support\"\n\n\
         [[tenants.agents]]\nid = \"g1\"\nskills = { support = 3 }\n",
    );
    for (user, role) in [
        ("g1", "agent"),
        ("gboss", "supervisor"),
        ("gpbx", "telephony"),
    ] {
        text.push_str(&format!(
            "\n[[principals]]\nuser = \"{user}\"\nrole = \"{role}\"\ntenant = \"globex\"\npassword_hash = \"{hash}\"\n"
        ));
    }
    text
}

/// A plain HTTP/1.0 GET to `addr`; returns the status code and the body.
pub async fn http_get(addr: SocketAddr, path_and_query: &str) -> (u16, String) {
    http_request(addr, "GET", path_and_query, "").await
}

/// A plain HTTP/1.0 request to `addr` with `headers` (each line ending in CRLF) besides `Host`;
/// returns the status code and the body.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!("{method} {path_and_query} HTTP/1.0\r\nHost: {addr}\r\n{headers}\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut response))
        .await
        .expect("the HTTP server answers in time")
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    (status, body.to_owned())
}

/// The value of one series of a Prometheus exposition, named with its labels exactly as
/// written (`acdhub_connections{role="agent",transport="ws"}`).
pub fn sample(exposition: &str, series: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in:\n{exposition}"))
        .parse()
        .unwrap()
}

/// The upgrade request of a WebSocket client at `url`: the protocol's subprotocol, and `origin`
/// in `Origin` when given.
pub fn ws_request(url: &str, origin: Option<&str>) -> tungstenite::handshake::client::Request {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("acdhub.v1"),
    );
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
    }
    request
}

/// A WebSocket client whose socket has a 4 KiB receive buffer, so that a client that stops
/// reading (or reads slowly) fills the server's side within seconds instead of megabytes.
/// Not authenticated; the greeting is left unread.
pub async fn small_window_connect(addr: SocketAddr) -> WebSocketStream<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let request = ws_request(&format!("ws://{addr}/ws"), None);
    tokio_tungstenite::client_async(request, tcp)
        .await
        .unwrap()
        .0
}
