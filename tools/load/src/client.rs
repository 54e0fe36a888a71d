//! A WebSocket client of the server under test, over ws or wss: opening, the acdhub greeting
//! and sign-in, and reading messages with the server's close code kept.

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

/// How long one step (connect, a reply) may take before the run calls it a failure.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A plain or TLS stream.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = WebSocketStream<Box<dyn Io>>;

/// Where the server is, parsed once from `--url` and shared by every connection.
pub struct Target {
    url: String,
    /// `host:port` as the URL gives it: the `Host` of the HTTP rungs' requests.
    authority: String,
    address: SocketAddr,
    /// `Some` for wss: the TLS client and the name the certificate must carry.
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls_pki_types::ServerName<'static>,
    )>,
}

impl Target {
    /// `ws://host:port/path` or `wss://host:port/path`; wss trusts the development CA
    /// (certs/dev-ca.pem), as the project's tests do.
    pub fn parse(url: &str) -> Result<Arc<Target>, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(format!("{url}: the scheme must be ws or wss")),
        };
        let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
        let authority = uri
            .authority()
            .map_or(host, |authority| authority.as_str())
            .to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let address = (host.trim_matches(['[', ']']), port)
            .to_socket_addrs()
            .map_err(|e| format!("{url}: {e}"))?
            .next()
            .ok_or_else(|| format!("{url}: no address"))?;
        let tls = if secure {
            let name = rustls_pki_types::ServerName::try_from(host.trim_matches(['[', ']']))
                .map_err(|e| format!("{url}: {e}"))?
                .to_owned();
            Some((tls_connector(), name))
        } else {
            None
        };
        Ok(Arc::new(Target {
            url: url.to_owned(),
            authority,
            address,
            tls,
        }))
    }

    /// Every URL of a repeated `--url`, in order; at least one.
    pub fn parse_all(urls: &[String]) -> Result<Vec<Arc<Target>>, String> {
        if urls.is_empty() {
            return Err("give at least one --url".to_owned());
        }
        urls.iter().map(|url| Target::parse(url)).collect()
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host:port` of the URL, for an HTTP request's `Host`.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// A TCP connection to the server, in TLS for wss (https on the same listener: the HTTP
    /// rungs are on both, protocol.md "Transports and URLs").
    pub async fn connect(&self) -> Result<Box<dyn Io>, String> {
        let tcp = TcpStream::connect(self.address)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        Ok(match &self.tls {
            None => Box::new(tcp),
            Some((connector, name)) => Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?,
            ),
        })
    }

    /// Opens a WebSocket, offering `subprotocol` if given. Small buffers (4 KiB, as the
    /// server's) keep the tool's own memory modest at tens of thousands of connections.
    pub async fn open(&self, subprotocol: Option<&'static str>) -> Result<Socket, String> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| format!("request: {e}"))?;
        if let Some(subprotocol) = subprotocol {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static(subprotocol),
            );
        }
        let stream = self.connect().await?;
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(4096);
        let (socket, _) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config))
                .await
                .map_err(|e| format!("upgrade: {e}"))?;
        Ok(socket)
    }

    /// Opens a connection to acdhub and reads its `hello`.
    pub async fn open_acdhub(&self) -> Result<Socket, String> {
        let mut socket = self.open(Some("acdhub.v1")).await?;
        let hello = next_json(&mut socket).await?;
        if hello["type"] != "hello" {
            return Err(format!("expected hello, got {hello}"));
        }
        Ok(socket)
    }
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let ca = include_bytes!("../../../certs/dev-ca.pem");
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca) {
        roots
            .add(cert.expect("certs/dev-ca.pem is PEM"))
            .expect("the dev CA is a valid root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// How a connection signs in.
#[derive(Debug, Clone)]
pub enum Credentials {
    Password { user: String, password: String },
    Token(String),
}

impl Credentials {
    pub fn auth(&self) -> Value {
        match self {
            Credentials::Password { user, password } => {
                json!({"id": "auth", "type": "auth", "user": user, "password": password})
            }
            Credentials::Token(token) => json!({"id": "auth", "type": "auth", "token": token}),
        }
    }
}

/// Signs in; returns the AuthResult.
pub async fn sign_in(socket: &mut Socket, credentials: &Credentials) -> Result<Value, String> {
    let ack = request(socket, credentials.auth()).await?;
    Ok(ack["result"].clone())
}

/// The token of an AuthResult.
pub fn token_of(result: &Value) -> Result<String, String> {
    result["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token in the auth result: {result}"))
}

/// Sends a command and reads until its reply (events before it are passed over). A refusal is
/// an error whose text starts with its code.
pub async fn request(socket: &mut Socket, message: Value) -> Result<Value, String> {
    send(socket, &message).await?;
    loop {
        let reply = next_json(socket).await?;
        if let Some(answer) = answer_to(&message, reply) {
            return answer;
        }
    }
}

/// The server's answer to `message` if `reply` is it: its `ack`, or its `error` as the error.
/// `None` for anything else (an event, another command's answer).
pub fn answer_to(message: &Value, reply: Value) -> Option<Result<Value, String>> {
    if reply["id"] != message["id"] {
        return None;
    }
    match reply["type"].as_str() {
        Some("ack") => Some(Ok(reply)),
        Some("error") => Some(Err(format!(
            "{}: {} refused: {}",
            reply["code"].as_str().unwrap_or("error"),
            message["type"],
            reply["message"]
        ))),
        _ => None,
    }
}

pub async fn send(socket: &mut Socket, message: &Value) -> Result<(), String> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|e| format!("send: {e}"))
}

/// The next text message as JSON; pings and pongs are passed over (tungstenite answers pings
/// as it reads). A close says its code.
pub async fn next_json(socket: &mut Socket) -> Result<Value, String> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .map_err(|_| "no message in time".to_owned())?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).map_err(|e| format!("JSON: {e}"));
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("closed with {}", close_code(frame.as_ref())));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("the server ended the connection".to_owned()),
        }
    }
}

/// A close frame's code as a number, or 1005 (no status received) without one.
pub fn close_code(frame: Option<&tokio_tungstenite::tungstenite::protocol::CloseFrame>) -> u16 {
    frame.map_or(1005, |frame| u16::from(frame.code))
}

/// How connections ended before the run let them go, by who and how (`"pbx 4008"`,
/// `"agent ended"`): a close the server sent is a finding, so every one is counted and reported.
#[derive(Default)]
pub struct Endings(std::sync::Mutex<std::collections::BTreeMap<String, u64>>);

impl Endings {
    pub fn note(&self, who: &str, how: &str) {
        let mut endings = self.0.lock().expect("not poisoned");
        *endings.entry(format!("{who} {how}")).or_default() += 1;
    }

    /// Notes how a read loop's frame ended the connection, if it did.
    pub fn note_frame(
        &self,
        who: &str,
        frame: &Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) {
        match frame {
            Some(Ok(Message::Close(close))) => {
                self.note(who, &close_code(close.as_ref()).to_string())
            }
            Some(Err(_)) => self.note(who, "read error"),
            None => self.note(who, "ended without a close"),
            Some(Ok(_)) => {}
        }
    }

    pub fn json(&self) -> Value {
        let endings = self.0.lock().expect("not poisoned");
        json!(*endings)
    }
}

/// Opens `count` connections, `batch` at a time (waiting for each batch, so that the server
/// sees a steady stream of sign-ins rather than all at once). `open(index)` makes connection
/// `index` ready (connected, signed in, subscribed ...) and returns it with a value to collect;
/// `serve` then runs it in a task of `held`. The first failure ends the run.
pub async fn open_in_batches<T, R, Open, Opening, Serve, Serving>(
    count: usize,
    batch: usize,
    held: &mut JoinSet<()>,
    open: Open,
    serve: Serve,
) -> Result<Vec<R>, String>
where
    T: Send + 'static,
    R: Send + 'static,
    Open: Fn(usize) -> Opening,
    Opening: Future<Output = Result<(T, R), String>> + Send + 'static,
    Serve: Fn(T) -> Serving + Clone + Send + 'static,
    Serving: Future<Output = ()> + Send + 'static,
{
    let (ready_tx, mut ready_rx) = mpsc::channel(batch.max(1));
    let mut collected = Vec::with_capacity(count);
    let mut next_report = 1000;
    while collected.len() < count {
        let start = collected.len();
        let size = batch.max(1).min(count - start);
        for index in start..start + size {
            let (opening, serve, ready) = (open(index), serve.clone(), ready_tx.clone());
            held.spawn(async move {
                match tokio::time::timeout(PATIENCE, opening).await {
                    Ok(Ok((connection, value))) => {
                        let _ = ready.send(Ok(value)).await;
                        serve(connection).await;
                    }
                    Ok(Err(why)) => {
                        let _ = ready.send(Err(why)).await;
                    }
                    Err(_) => {
                        let _ = ready.send(Err("no answer in time".to_owned())).await;
                    }
                }
            });
        }
        for _ in 0..size {
            match ready_rx.recv().await.expect("this function holds a sender") {
                Ok(value) => collected.push(value),
                Err(why) => {
                    return Err(format!(
                        "a connection failed after {} were ready: {why}",
                        collected.len()
                    ));
                }
            }
        }
        if collected.len() >= next_report {
            eprintln!("  {} ready", collected.len());
            next_report += 1000;
        }
    }
    Ok(collected)
}

/// Reads a connection until `stop`, handing each text message to `on_text`, then closes it;
/// notes it in `endings` (as `who`) if the server ended it first.
pub async fn read_until(
    mut socket: Socket,
    stop: CancellationToken,
    endings: &Endings,
    who: &str,
    mut on_text: impl FnMut(&str) -> Option<Value>,
) {
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => break,
            frame = socket.next() => frame,
        };
        endings.note_frame(who, &frame);
        match frame {
            Some(Ok(Message::Text(text))) => {
                if let Some(reply) = on_text(text.as_str())
                    && send(&mut socket, &reply).await.is_err()
                {
                    endings.note(who, "write failed");
                    return;
                }
            }
            Some(Ok(message)) if !message.is_close() => {}
            _ => return,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.close(None)).await;
}

/// Sends `commands` and waits for the reply to every one, so that closing the connection next
/// cannot leave the last ones unapplied (a server stops reading commands once a connection
/// closes). Returns how many were refused.
pub async fn send_all_and_wait(socket: &mut Socket, commands: &[Value]) -> Result<usize, String> {
    let mut waiting: std::collections::HashSet<String> = std::collections::HashSet::new();
    for command in commands {
        send(socket, command).await?;
        waiting.insert(command["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut refused = 0;
    while !waiting.is_empty() {
        let reply = next_json(socket).await?;
        let id = reply["id"].as_str().unwrap_or_default();
        if matches!(reply["type"].as_str(), Some("ack" | "error")) && waiting.remove(id) {
            refused += usize::from(reply["type"] == "error");
        }
    }
    Ok(refused)
}
