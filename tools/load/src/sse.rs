//! The SSE rung as an agent's client uses it, by protocol.md ("The fallback ladder": "A link",
//! "Sending", "SSE"): `GET /rt/endpoints` names the paths; `GET /rt/sse` opens a link whose
//! `hello` carries its id; every client message is one `POST /rt/send` with the link's id in
//! `X-Acdhub-Link`, answered 202, its reply coming down the stream; each message on the stream
//! is one `data:` line, an event's with its `seq` as `id:`; comment lines (`: keepalive`) and
//! `heartbeat` messages keep it alive; `event: close` ends it with a close code.
//!
//! The parser follows the WHATWG rules for `text/event-stream` (lines ended by CRLF, LF or CR,
//! split anywhere between reads; `data:` lines joined by newlines; `id:`, `event:`, `retry:`;
//! comments), though acdhub sends one `data:` line per message.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::client::{self, Credentials, Endings, PATIENCE, Target};
use crate::http::{BodyReader, Connection};

/// What a reader of the stream gets: an event, or a comment line.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(Event),
    /// A line starting with `:`, without it (and without one space after it).
    Comment(String),
}

/// A dispatched event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `event:`, or `message` without one.
    pub kind: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The `id:` of this event's own lines, if it had one (the parser keeps the last one seen
    /// in [`Parser::last_event_id`], which is what a reconnection would send).
    pub id: Option<String>,
}

/// An incremental `text/event-stream` parser: bytes in as they arrive, items out.
#[derive(Debug, Default)]
pub struct Parser {
    /// The line being read.
    line: Vec<u8>,
    /// The last byte fed ended a line with CR: an LF next is part of that line end.
    after_cr: bool,
    /// Whether the first line was seen (a byte-order mark before it is dropped).
    started: bool,
    kind: String,
    data: String,
    id: Option<String>,
    /// The last `id:` of the stream: `Last-Event-ID` for a reconnection.
    pub last_event_id: String,
    /// The last `retry:`, in milliseconds.
    pub retry_ms: Option<u64>,
}

impl Parser {
    pub fn feed(&mut self, bytes: &[u8], items: &mut VecDeque<Item>) {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                    continue;
                }
            }
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.line.extend_from_slice(rest);
                    return;
                }
                Some(end) => {
                    self.line.extend_from_slice(&rest[..end]);
                    self.after_cr = rest[end] == b'\r';
                    rest = &rest[end + 1..];
                    self.line_read(items);
                }
            }
        }
    }

    fn line_read(&mut self, items: &mut VecDeque<Item>) {
        let mut line = std::mem::take(&mut self.line);
        if !self.started {
            self.started = true;
            if line.starts_with("\u{feff}".as_bytes()) {
                line.drain(..3);
            }
        }
        let line = String::from_utf8_lossy(&line);
        if line.is_empty() {
            self.dispatch(items);
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "" => items.push_back(Item::Comment(value.to_owned())),
            "event" => value.clone_into(&mut self.kind),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => {
                value.clone_into(&mut self.last_event_id);
                self.id = Some(value.to_owned());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
    }

    /// A blank line: the event read so far, if it has data.
    fn dispatch(&mut self, items: &mut VecDeque<Item>) {
        let kind = std::mem::take(&mut self.kind);
        let id = self.id.take();
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        let kind = if kind.is_empty() {
            "message".to_owned()
        } else {
            kind
        };
        items.push_back(Item::Event(Event { kind, data, id }));
    }
}

/// Where the HTTP rungs are: `GET /rt/endpoints` (protocol.md, "The fallback ladder").
#[derive(Debug)]
pub struct Endpoints {
    pub sse: String,
    pub send: String,
}

impl Endpoints {
    pub async fn fetch(target: &Target) -> Result<Endpoints, String> {
        let mut connection = Connection::open(target).await?;
        let (head, body, _) = connection
            .request("GET", "/rt/endpoints", target.authority(), &[], None)
            .await?;
        let body = String::from_utf8_lossy(&body);
        if head.status != 200 {
            return Err(format!("GET /rt/endpoints: {} {body}", head.status));
        }
        let value: Value =
            serde_json::from_str(&body).map_err(|e| format!("/rt/endpoints: JSON: {e}"))?;
        let path = |name: &str| {
            value[name]
                .as_str()
                .filter(|path| path.starts_with('/'))
                .map(str::to_owned)
                .ok_or_else(|| format!("/rt/endpoints has no {name} path: {value}"))
        };
        Ok(Endpoints {
            sse: path("sse")?,
            send: path("send")?,
        })
    }
}

/// What a link's stream delivers.
#[derive(Debug)]
pub enum Received {
    /// A message of the protocol (an event, a reply, `hello`, `heartbeat`) and its SSE id.
    Message { text: String, id: Option<String> },
    /// `event: close`: the server ended the link.
    Close { code: u16 },
    /// A comment line (`: keepalive`).
    Comment,
}

/// The down half of a link: the `GET /rt/sse` response being read.
pub struct Stream {
    connection: Connection,
    body: BodyReader,
    parser: Parser,
    items: VecDeque<Item>,
}

impl Stream {
    /// The next item; an error when the stream broke or ended (it ends after `event: close`,
    /// which is delivered first). Safe to drop unfinished in a `select!`.
    pub async fn next(&mut self) -> Result<Received, String> {
        loop {
            while let Some(item) = self.items.pop_front() {
                match item {
                    Item::Comment(_) => return Ok(Received::Comment),
                    Item::Event(event) if event.kind == "message" => {
                        return Ok(Received::Message {
                            text: event.data,
                            id: event.id,
                        });
                    }
                    Item::Event(event) if event.kind == "close" => {
                        let close: Value = serde_json::from_str(&event.data).unwrap_or_default();
                        let code = close["code"].as_u64().unwrap_or(1005);
                        return Ok(Received::Close {
                            code: u16::try_from(code).unwrap_or(1005),
                        });
                    }
                    // Event types protocol.md does not name are passed over, as a browser's
                    // EventSource passes over those it has no listener for.
                    Item::Event(_) => {}
                }
            }
            match self.body.next(&mut self.connection).await? {
                Some(bytes) => self.parser.feed(&bytes, &mut self.items),
                None => return Err("the stream ended without a close".to_owned()),
            }
        }
    }

    /// The next protocol message within `PATIENCE`, comments passed over; a close is an error
    /// that says its code.
    async fn next_message(&mut self) -> Result<(String, Option<String>), String> {
        loop {
            let received = tokio::time::timeout(PATIENCE, self.next())
                .await
                .map_err(|_| "no message in time".to_owned())??;
            match received {
                Received::Message { text, id } => return Ok((text, id)),
                Received::Close { code } => return Err(format!("closed with {code}")),
                Received::Comment => {}
            }
        }
    }
}

/// A kept-alive connection is used again only this soon after its last answer: the server
/// closes one idle for 10 s (protocol.md, Limits: "HTTP headers, idle kept-alive connection").
const REUSE_WITHIN: Duration = Duration::from_secs(5);

/// The up half of a link: `POST /rt/send`, one at a time, on a kept-alive connection.
pub struct Poster {
    target: Arc<Target>,
    path: String,
    link: String,
    idle: Option<(Connection, tokio::time::Instant)>,
}

impl Poster {
    /// Sends one client message; `Ok` once the server answered 202 (its reply comes down the
    /// stream). A refusal is an error that starts with its code.
    pub async fn post(&mut self, message: &Value) -> Result<(), String> {
        let mut connection = match self.idle.take() {
            Some((connection, since)) if since.elapsed() < REUSE_WITHIN => connection,
            _ => Connection::open(&self.target).await?,
        };
        let body = message.to_string();
        let headers = [
            ("X-Acdhub-Link", self.link.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (head, answer, reusable) = connection
            .request(
                "POST",
                &self.path,
                self.target.authority(),
                &headers,
                Some(body.as_bytes()),
            )
            .await?;
        if head.status != 202 {
            let answer: Value = serde_json::from_slice(&answer).unwrap_or_default();
            return Err(format!(
                "{}: POST {} answered {}: {}",
                answer["code"].as_str().unwrap_or("refused"),
                self.path,
                head.status,
                answer["message"]
            ));
        }
        if reusable {
            self.idle = Some((connection, tokio::time::Instant::now()));
        }
        Ok(())
    }
}

/// An SSE link: its stream, its sender, and what its `hello` said.
pub struct Link {
    stream: Stream,
    poster: Poster,
    /// `hello`'s `heartbeat_secs`.
    pub heartbeat: Duration,
}

impl Link {
    /// Opens a link and reads its `hello` (after the `retry:` and any padding comment).
    pub async fn open(target: &Arc<Target>, endpoints: &Endpoints) -> Result<Link, String> {
        let mut connection = Connection::open(target).await?;
        let headers = [
            ("Accept", "text/event-stream"),
            ("Cache-Control", "no-cache"),
        ];
        connection
            .send("GET", &endpoints.sse, target.authority(), &headers, None)
            .await?;
        let (head, mut body) = connection.response().await?;
        if head.status != 200 {
            let mut text = Vec::new();
            while let Ok(Some(piece)) = body.next(&mut connection).await {
                text.extend_from_slice(&piece);
            }
            return Err(format!(
                "GET {}: {} {}",
                endpoints.sse,
                head.status,
                String::from_utf8_lossy(&text)
            ));
        }
        let content_type = head.header("content-type").unwrap_or_default();
        if !content_type.starts_with("text/event-stream") {
            return Err(format!(
                "GET {}: Content-Type {content_type:?}",
                endpoints.sse
            ));
        }
        let mut stream = Stream {
            connection,
            body,
            parser: Parser::default(),
            items: VecDeque::new(),
        };
        let (text, _) = stream.next_message().await?;
        let hello: Value = serde_json::from_str(&text).map_err(|e| format!("hello: {e}"))?;
        let link = match (hello["type"].as_str(), hello["link"].as_str()) {
            (Some("hello"), Some(link)) => link.to_owned(),
            _ => return Err(format!("expected a hello with a link, got {hello}")),
        };
        Ok(Link {
            stream,
            poster: Poster {
                target: target.clone(),
                path: endpoints.send.clone(),
                link,
                idle: None,
            },
            heartbeat: Duration::from_secs(hello["heartbeat_secs"].as_u64().unwrap_or(25)),
        })
    }

    /// Sends a command and reads until its reply (events before it are passed over). A refusal
    /// is an error whose text starts with its code, as `client::request`'s.
    pub async fn request(&mut self, message: Value) -> Result<Value, String> {
        self.poster.post(&message).await?;
        loop {
            let (text, _) = self.stream.next_message().await?;
            let reply: Value = serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
            if let Some(answer) = crate::client::answer_to(&message, reply) {
                return answer;
            }
        }
    }
}

/// What the SSE links of a run saw besides messages, for the report.
#[derive(Default)]
pub struct Counts {
    /// Comment lines (`: keepalive`).
    pub comments: AtomicU64,
    /// Messages with an `id:` equal to their `seq`.
    pub events_with_id: AtomicU64,
    /// Messages whose `id:` is not their `seq` (an event without one, or a reply with one):
    /// protocol.md says every event has its `seq` as `id:` and nothing else has one.
    pub ids_not_seq: AtomicU64,
    /// `POST /rt/send` answered 202 after sign-in.
    pub posts: AtomicU64,
}

impl Counts {
    fn check_id(&self, text: &str, id: Option<&str>) {
        let seq = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|message| message["seq"].as_u64());
        let counter = match (id.map(str::parse::<u64>), seq) {
            (None, None) => return,
            (Some(Ok(id)), Some(seq)) if id == seq => &self.events_with_id,
            _ => &self.ids_not_seq,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn json(&self) -> Value {
        json!({
            "comments_read": self.comments.load(Ordering::Relaxed),
            "events_with_id": self.events_with_id.load(Ordering::Relaxed),
            "ids_not_seq": self.ids_not_seq.load(Ordering::Relaxed),
            "posts": self.posts.load(Ordering::Relaxed),
        })
    }
}

/// How much longer than `heartbeat_secs` a link may be silent before it counts as dead
/// (protocol.md, Heartbeats: acdhub.js allows 20 s).
const SILENCE_SLACK: Duration = Duration::from_secs(20);

type Posting = Pin<Box<dyn Future<Output = (Poster, Result<(), String>)> + Send>>;

/// Reads a link until `stop`, handing each message to `on_text` and POSTing what it returns
/// (one at a time, in order, while the stream goes on being read), then drops the link; notes
/// in `endings` (as `who`) how the link ended if it ended first. As `client::read_until`.
pub async fn read_until(
    link: Link,
    stop: CancellationToken,
    endings: &Endings,
    counts: &Counts,
    who: &str,
    mut on_text: impl FnMut(&str) -> Option<Value>,
) {
    let silence = link.heartbeat + SILENCE_SLACK;
    let Link {
        mut stream, poster, ..
    } = link;
    let mut poster = Some(poster);
    let mut waiting: VecDeque<Value> = VecDeque::new();
    let mut posting: Option<Posting> = None;
    loop {
        if posting.is_none()
            && let Some(message) = waiting.pop_front()
        {
            let mut sender = poster
                .take()
                .expect("the poster is back when nothing is posted");
            posting = Some(Box::pin(async move {
                let result = sender.post(&message).await;
                (sender, result)
            }));
        }
        let received = tokio::select! {
            () = stop.cancelled() => return,
            (sender, result) = async { posting.as_mut().expect("a POST in flight").await },
                if posting.is_some() =>
            {
                posting = None;
                if result.is_err() {
                    endings.note(who, "send failed");
                    return;
                }
                counts.posts.fetch_add(1, Ordering::Relaxed);
                poster = Some(sender);
                continue;
            }
            received = tokio::time::timeout(silence, stream.next()) => received,
        };
        match received {
            Err(_) => {
                endings.note(who, "silent past the heartbeat");
                return;
            }
            Ok(Err(why)) => {
                // The connection's end (mid-chunk or between chunks), or a failure to read.
                let how = if why.contains("ended") {
                    "ended without a close"
                } else {
                    "read error"
                };
                endings.note(who, how);
                return;
            }
            Ok(Ok(Received::Close { code })) => {
                endings.note(who, &code.to_string());
                // A POST still in flight was sent before the close arrived: its answer is
                // on its own connection, which the close may overtake. Count it if it lands.
                if let Some(posting) = posting
                    && let Ok((_, Ok(()))) = tokio::time::timeout(silence, posting).await
                {
                    counts.posts.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
            Ok(Ok(Received::Comment)) => {
                counts.comments.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Ok(Received::Message { text, id })) => {
                if let Some(reply) = on_text(&text) {
                    waiting.push_back(reply);
                }
                counts.check_id(&text, id.as_deref());
            }
        }
    }
}

/// Agent `a{index}` on an SSE link, signed in (with its token from `tokens` if that still
/// works, else its password), logged in and ready: the link, and the user with its token.
/// As `agents::open_agent` over WebSocket.
pub fn open_agent(
    index: usize,
    password: &str,
    tokens: &HashMap<String, String>,
    target: Arc<Target>,
    endpoints: Arc<Endpoints>,
) -> impl Future<Output = Result<(Link, (String, String)), String>> + use<> {
    let user = format!("a{index}");
    let password = Credentials::Password {
        user: user.clone(),
        password: password.to_owned(),
    };
    let token = tokens.get(&user).cloned().map(Credentials::Token);
    async move {
        let (link, token) = agent_sign_in(&target, &endpoints, token, &password)
            .await
            .map_err(|why| format!("{user}: {why}"))?;
        Ok((link, (user, token)))
    }
}

async fn agent_sign_in(
    target: &Arc<Target>,
    endpoints: &Endpoints,
    token: Option<Credentials>,
    password: &Credentials,
) -> Result<(Link, String), String> {
    let mut link = Link::open(target, endpoints).await?;
    let mut signed_in = None;
    if let Some(token) = token {
        signed_in = link.request(token.auth()).await.ok();
    }
    // A token refused (expired, revoked) is `auth_failed`, and the link takes another `auth`
    // (protocol.md, Connection lifecycle 3).
    let ack = match signed_in {
        Some(ack) => ack,
        None => link.request(password.auth()).await?,
    };
    let token = client::token_of(&ack["result"])?;
    match link.request(json!({"id": "login", "type": "login"})).await {
        Ok(_) => {}
        Err(why) if why.starts_with("already_logged_in") => {}
        Err(why) => return Err(why),
    }
    link.request(json!({"id": "ready", "type": "ready"}))
        .await?;
    Ok((link, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], size: usize) -> (Vec<Item>, Parser) {
        let mut parser = Parser::default();
        let mut items = VecDeque::new();
        for piece in input.chunks(size) {
            parser.feed(piece, &mut items);
        }
        (items.into(), parser)
    }

    fn event(kind: &str, data: &str, id: Option<&str>) -> Item {
        Item::Event(Event {
            kind: kind.to_owned(),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        })
    }

    /// A stream as acdhub writes it (protocol.md, SSE), with a multi-byte character.
    const ACDHUB: &str = "retry: 3000\n\n\
        data: {\"type\":\"hello\",\"link\":\"5f0e\"}\n\n\
        id: 1\ndata: {\"seq\":1,\"type\":\"message\",\"text\":\"m12 \u{e9}\u{1f600}\"}\n\n\
        data: {\"type\":\"ack\",\"id\":\"1\"}\n\n\
        : keepalive\n\n\
        event: close\ndata: {\"code\":4002,\"reason\":\"gone\"}\n\n";

    #[test]
    fn acdhubs_stream_parses_the_same_however_the_reads_split_it() {
        let expected = vec![
            event("message", "{\"type\":\"hello\",\"link\":\"5f0e\"}", None),
            event(
                "message",
                "{\"seq\":1,\"type\":\"message\",\"text\":\"m12 \u{e9}\u{1f600}\"}",
                Some("1"),
            ),
            event("message", "{\"type\":\"ack\",\"id\":\"1\"}", None),
            Item::Comment("keepalive".to_owned()),
            event("close", "{\"code\":4002,\"reason\":\"gone\"}", None),
        ];
        for size in 1..=ACDHUB.len() {
            let (items, parser) = parse_in_pieces(ACDHUB.as_bytes(), size);
            assert_eq!(items, expected, "pieces of {size}");
            assert_eq!(parser.retry_ms, Some(3000));
            // The ack and the close had no id: the last event id is still the event's.
            assert_eq!(parser.last_event_id, "1", "pieces of {size}");
        }
    }

    #[test]
    fn every_line_end_counts_and_a_crlf_split_between_reads_is_one() {
        let input = b"data: a\r\ndata: b\rdata: c\n\r\n: x\r\rid: 7\r\ndata\r\n\r\n";
        let expected = vec![
            event("message", "a\nb\nc", None),
            Item::Comment("x".to_owned()),
            event("message", "", Some("7")),
        ];
        for size in 1..=input.len() {
            let (items, _) = parse_in_pieces(input, size);
            assert_eq!(items, expected, "pieces of {size}");
        }
    }

    #[test]
    fn multi_line_data_fields_and_odd_lines_follow_the_event_stream_rules() {
        let input = "\u{feff}data:one\ndata:  two\ndata\n\
            event: custom\nunknown: field\nretry: soon\nid\n\n\
            id: 9\n\n\
            : only a comment, nothing dispatched\n\n\
            data: last, never ended by a blank line\n";
        let (items, parser) = parse_in_pieces(input.as_bytes(), 3);
        assert_eq!(
            items,
            vec![
                // One space after the colon is dropped, not two; `data` alone is an empty line
                // of data; `id` alone sets an empty id.
                event("custom", "one\n two\n", Some("")),
                Item::Comment("only a comment, nothing dispatched".to_owned()),
            ]
        );
        // An id with no data dispatches nothing but is the last event id.
        assert_eq!(parser.last_event_id, "9");
        assert_eq!(parser.retry_ms, None, "`retry: soon` is not a number");
    }

    /// Reads one request from a connection: its head (lowercased) and body.
    async fn read_request(
        socket: &mut tokio::net::TcpStream,
        buffer: &mut Vec<u8>,
    ) -> Option<(String, String)> {
        use tokio::io::AsyncReadExt;
        let mut bytes = [0u8; 1024];
        let end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let read = socket.read(&mut bytes).await.ok()?;
            if read == 0 {
                return None;
            }
            buffer.extend_from_slice(&bytes[..read]);
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        buffer.drain(..end + 4);
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .map_or(0, |length| length.parse().unwrap());
        while buffer.len() < length {
            let read = socket.read(&mut bytes).await.ok()?;
            buffer.extend_from_slice(&bytes[..read]);
        }
        let body = String::from_utf8(buffer.drain(..length).collect()).unwrap();
        Some((head, body))
    }

    /// A stand-in for the server's HTTP rungs on a loopback port: `/rt/sse` streams its
    /// messages chunked, split mid-line across chunks and writes; each `POST /rt/send` (on one
    /// kept-alive connection) is answered 202 and its `ack` sent down the stream after an event.
    /// An `ack` for `"bye"` is followed by a close with 4009.
    async fn fake_server() -> std::net::SocketAddr {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buffer = Vec::new();
            let (head, _) = read_request(&mut stream, &mut buffer).await.unwrap();
            assert!(head.starts_with("get /rt/sse http/1.1"), "{head}");
            assert!(head.contains("accept: text/event-stream"), "{head}");
            let chunk = |text: &str| format!("{:x}\r\n{text}\r\n", text.len());
            let opening = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                 transfer-encoding: chunked\r\n\r\n{}{}",
                chunk("retry: 3000\n\ndata: {\"type\":\"hel"),
                chunk("lo\",\"link\":\"L1\",\"heartbeat_secs\":25}\n"),
            );
            let (first, second) = opening.split_at(opening.len() - 9);
            stream.write_all(first.as_bytes()).await.unwrap();
            stream.write_all(second.as_bytes()).await.unwrap();
            stream
                .write_all(chunk("\n: keepalive\n\n").as_bytes())
                .await
                .unwrap();

            let (mut sender, _) = listener.accept().await.unwrap();
            let mut buffer = Vec::new();
            let mut seq = 0;
            while let Some((head, body)) = read_request(&mut sender, &mut buffer).await {
                assert!(head.starts_with("post /rt/send http/1.1"), "{head}");
                assert!(head.contains("x-acdhub-link: l1"), "{head}");
                let answer = "{\"accepted\":true}";
                let reply = format!(
                    "HTTP/1.1 202 Accepted\r\ncontent-length: {}\r\n\r\n{answer}",
                    answer.len()
                );
                sender.write_all(reply.as_bytes()).await.unwrap();
                let command: Value = serde_json::from_str(&body).unwrap();
                seq += 1;
                let event =
                    json!({"seq": seq, "type": "message", "from": "customer", "text": "hi"});
                let ack = json!({"type": "ack", "id": command["id"]});
                let mut down = format!("id: {seq}\ndata: {event}\n\ndata: {ack}\n\n");
                if command["id"] == "bye" {
                    down.push_str("event: close\ndata: {\"code\":4009,\"reason\":\"moved\"}\n\n");
                }
                let (a, b) = down.split_at(down.len() / 2);
                stream.write_all(chunk(a).as_bytes()).await.unwrap();
                stream.write_all(chunk(b).as_bytes()).await.unwrap();
                if command["id"] == "bye" {
                    stream.write_all(b"0\r\n\r\n").await.unwrap();
                }
            }
        });
        address
    }

    #[tokio::test]
    async fn a_link_opens_sends_and_reads_its_replies_and_close_over_a_socket() {
        let address = fake_server().await;
        let target = Target::parse(&format!("ws://{address}/ws")).unwrap();
        let endpoints = Endpoints {
            sse: "/rt/sse".to_owned(),
            send: "/rt/send".to_owned(),
        };
        let mut link = Link::open(&target, &endpoints).await.unwrap();
        assert_eq!(link.heartbeat, Duration::from_secs(25));
        let ack = link
            .request(json!({"id": "1", "type": "auth", "token": "t"}))
            .await
            .unwrap();
        assert_eq!(ack["id"], "1");

        // Reading on: the second message comes, its reply is POSTed, the close ends the link.
        let (endings, counts) = (Endings::default(), Counts::default());
        let mut texts = Vec::new();
        let first = json!({"id": "2", "type": "ping"});
        link.poster.post(&first).await.unwrap();
        read_until(
            link,
            CancellationToken::new(),
            &endings,
            &counts,
            "agent",
            |text| {
                texts.push(text.to_owned());
                let message: Value = serde_json::from_str(text).unwrap();
                (message["id"] == "2").then(|| json!({"id": "bye", "type": "ping"}))
            },
        )
        .await;
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert_eq!(endings.json(), json!({"agent 4009": 1}));
        assert_eq!(
            counts.comments.load(Ordering::Relaxed),
            0,
            "read during sign-in"
        );
        assert_eq!(counts.events_with_id.load(Ordering::Relaxed), 2);
        assert_eq!(counts.ids_not_seq.load(Ordering::Relaxed), 0);
        assert_eq!(counts.posts.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn ids_are_checked_against_seq() {
        let counts = Counts::default();
        counts.check_id(r#"{"seq":5,"type":"message"}"#, Some("5"));
        counts.check_id(r#"{"type":"heartbeat"}"#, None);
        counts.check_id(r#"{"seq":6,"type":"message"}"#, None);
        counts.check_id(r#"{"type":"ack","id":"x"}"#, Some("6"));
        assert_eq!(counts.events_with_id.load(Ordering::Relaxed), 1);
        assert_eq!(counts.ids_not_seq.load(Ordering::Relaxed), 2);
    }
}
