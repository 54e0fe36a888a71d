//! Clients for the HTTP rungs (protocol.md, "The fallback ladder") over raw loopback TCP: an SSE
//! link (`GET /rt/sse`, read as it streams), a long-poll link (`POST /rt/poll`), and
//! `POST /rt/send` for both. Requests are HTTP/1.1 with `Connection: close`, one per
//! connection; responses may be chunked (nginx chunks a stream it passes on) or not. Every
//! protocol message received is checked against the schemas, like the WebSocket client's.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::PATIENCE;
use crate::schema::check_server_message;

/// The status line and headers of a response; header names in lower case.
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A response body as it arrives, chunked or not.
struct Body {
    reader: BufReader<TcpStream>,
    chunked: bool,
    done: bool,
}

impl Body {
    /// The next piece of the body, `None` at its end.
    async fn next_bytes(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        if !self.chunked {
            let mut buffer = vec![0u8; 4096];
            let n = self.reader.read(&mut buffer).await?;
            if n == 0 {
                self.done = true;
                return Ok(None);
            }
            buffer.truncate(n);
            return Ok(Some(buffer));
        }
        let mut size_line = String::new();
        if self.reader.read_line(&mut size_line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let size = size_line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("bad chunk size line {size_line:?}"),
            )
        })?;
        if size == 0 {
            self.done = true;
            return Ok(None);
        }
        let mut chunk = vec![0u8; size + 2];
        self.reader.read_exact(&mut chunk).await?;
        chunk.truncate(size);
        Ok(Some(chunk))
    }
}

/// Sends one request and reads the response's head; the body is left to read.
async fn send_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (Head, Body) {
    let mut tcp = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    } else if method == "POST" {
        request.push_str("Content-Length: 0\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    tcp.write_all(request.as_bytes()).await.unwrap();

    let mut reader = BufReader::new(tcp);
    let head = tokio::time::timeout(PATIENCE, read_head(&mut reader))
        .await
        .unwrap_or_else(|_| panic!("no response head to {method} {path} within {PATIENCE:?}"));
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"));
    let body = Body {
        reader,
        chunked,
        done: false,
    };
    (head, body)
}

async fn read_head(reader: &mut BufReader<TcpStream>) -> Head {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            return Head { status, headers };
        }
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("not a header line: {line:?}"));
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

/// One whole request and response; the body as text.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    patience: Duration,
) -> (Head, String) {
    tokio::time::timeout(patience, async {
        let (head, mut body_reader) = send_request(addr, method, path, headers, body).await;
        let mut bytes = Vec::new();
        while let Some(piece) = body_reader.next_bytes().await.unwrap() {
            bytes.extend_from_slice(&piece);
        }
        (head, String::from_utf8(bytes).expect("a UTF-8 body"))
    })
    .await
    .unwrap_or_else(|_| panic!("no complete answer to {method} {path} within {patience:?}"))
}

/// `POST /rt/send` of one client message on `link`; the HTTP status (202 when accepted).
pub async fn send_on(addr: SocketAddr, link: &str, message: &Value) -> u16 {
    let (head, _) = request(
        addr,
        "POST",
        "/rt/send",
        &[("X-Acdhub-Link", link)],
        Some(&message.to_string()),
        PATIENCE,
    )
    .await;
    head.status
}

/// Sends `message` on `link` and asserts it was accepted.
async fn send_accepted(addr: SocketAddr, link: &str, message: &Value) {
    let status = send_on(addr, link, message).await;
    assert_eq!(status, 202, "POST /rt/send of {message} on link {link}");
}

/// What an SSE stream delivers, in the order it arrives.
#[derive(Debug, Clone)]
pub enum SseItem {
    /// A `data:` line: a protocol message, schema-checked; `id` is the `id:` line, if any.
    Message { message: Value, id: Option<u64> },
    /// A comment line (`: keepalive`).
    Comment(String),
    /// A `retry:` line (its value in milliseconds checked to be a number).
    Retry,
    /// `event: close`: the server ended the link with this code.
    Close { code: u16 },
    /// The response ended or broke without a close event.
    Ended(String),
}

/// An SSE link: a task reads the stream and hands over each item with the instant it arrived,
/// so a test can tell how late an event came even if it looks later. Dropping it drops the
/// connection.
pub struct Sse {
    pub addr: SocketAddr,
    /// The response head.
    pub head: Head,
    /// The link id, from `hello` (empty until `open` read it).
    pub link: String,
    items: mpsc::UnboundedReceiver<(Instant, SseItem)>,
    reader: JoinHandle<()>,
}

impl Drop for Sse {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Sse {
    /// `GET /rt/sse` (with `headers`, such as `Last-Event-ID`), asserting a 200 event stream;
    /// nothing of the stream is read yet.
    pub async fn connect(addr: SocketAddr, headers: &[(&str, &str)]) -> Sse {
        let mut all = vec![("Accept", "text/event-stream")];
        all.extend_from_slice(headers);
        let (head, body) = send_request(addr, "GET", "/rt/sse", &all, None).await;
        assert_eq!(head.status, 200, "GET /rt/sse: {head:?}");
        assert_eq!(
            head.header("content-type").map(|value| value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()),
            Some("text/event-stream"),
            "{head:?}"
        );
        let (sender, items) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_events(body, sender));
        Sse {
            addr,
            head,
            link: String::new(),
            items,
            reader,
        }
    }

    /// Connects and reads the greeting, which names the link.
    pub async fn open(addr: SocketAddr) -> Sse {
        let mut sse = Sse::connect(addr, &[]).await;
        let hello = sse.next_message().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        sse.link = hello["link"]
            .as_str()
            .unwrap_or_else(|| panic!("an SSE hello names its link: {hello}"))
            .to_owned();
        sse
    }

    /// The next item and when it arrived, waiting until `deadline` at the most (`None` then).
    pub async fn next_item_by(&mut self, deadline: Instant) -> Option<(Instant, SseItem)> {
        match tokio::time::timeout_at(deadline, self.items.recv()).await {
            Ok(Some(item)) => Some(item),
            Ok(None) => Some((Instant::now(), SseItem::Ended("the reader stopped".into()))),
            Err(_) => None,
        }
    }

    /// The next item, within PATIENCE.
    pub async fn next_item(&mut self) -> (Instant, SseItem) {
        let deadline = Instant::now() + PATIENCE;
        self.next_item_by(deadline)
            .await
            .unwrap_or_else(|| panic!("nothing on the SSE stream within {PATIENCE:?}"))
    }

    /// The next protocol message (comments and `retry:` passed over), with when it arrived;
    /// panics if the link closes or the stream ends first.
    pub async fn next_message_at(&mut self) -> (Instant, Value) {
        loop {
            match self.next_item().await {
                (at, SseItem::Message { message, .. }) => return (at, message),
                (_, SseItem::Comment(_) | SseItem::Retry) => continue,
                (_, SseItem::Close { code }) => {
                    panic!("the SSE link closed with {code} while a message was awaited")
                }
                (_, SseItem::Ended(why)) => {
                    panic!("the SSE stream ended while a message was awaited: {why}")
                }
            }
        }
    }

    pub async fn next_message(&mut self) -> Value {
        self.next_message_at().await.1
    }

    /// `POST /rt/send` of `message` on this link, asserting 202.
    pub async fn send(&self, message: &Value) {
        send_accepted(self.addr, &self.link, message).await;
    }
}

/// Reads the SSE stream, parsing it into items, until it ends or the receiver goes away.
async fn read_events(mut body: Body, items: mpsc::UnboundedSender<(Instant, SseItem)>) {
    let mut pending = Vec::new();
    let mut id = None;
    let mut event = None;
    let mut data: Option<String> = None;
    loop {
        let piece = match body.next_bytes().await {
            Ok(Some(piece)) => piece,
            Ok(None) => {
                let _ = items.send((Instant::now(), SseItem::Ended("end of response".into())));
                return;
            }
            Err(error) => {
                let _ = items.send((Instant::now(), SseItem::Ended(error.to_string())));
                return;
            }
        };
        let at = Instant::now();
        pending.extend_from_slice(&piece);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8(line).expect("an SSE stream is UTF-8");
            let line = line.trim_end_matches(['\n', '\r']);
            let item = if line.is_empty() {
                // A blank line dispatches what the lines before it gathered.
                let (id, event, data) = (id.take(), event.take(), data.take());
                match (event.as_deref(), data) {
                    (_, None) => None,
                    (Some("close"), Some(data)) => {
                        let close: Value = serde_json::from_str(&data)
                            .unwrap_or_else(|e| panic!("close data is JSON: {data:?}: {e}"));
                        Some(SseItem::Close {
                            code: close["code"].as_u64().expect("a close code") as u16,
                        })
                    }
                    (Some(other), Some(_)) => panic!("an unknown SSE event type {other:?}"),
                    (None, Some(data)) => Some(SseItem::Message {
                        message: check_server_message(&data),
                        id,
                    }),
                }
            } else if let Some(comment) = line.strip_prefix(':') {
                Some(SseItem::Comment(comment.trim().to_owned()))
            } else {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "id" => id = Some(value.parse().expect("an SSE id is a seq")),
                    "event" => event = Some(value.to_owned()),
                    "data" => {
                        assert!(data.is_none(), "one data line per message: {value:?}");
                        data = Some(value.to_owned());
                    }
                    "retry" => {
                        value.parse::<u64>().expect("retry is in milliseconds");
                        if items.send((at, SseItem::Retry)).is_err() {
                            return;
                        }
                    }
                    other => panic!("an unknown SSE field {other:?}"),
                }
                None
            };
            if let Some(item) = item
                && items.send((at, item)).is_err()
            {
                return;
            }
        }
    }
}

/// One long-poll answer, as far as a test needs it (its messages are queued on the link).
#[derive(Debug, Clone)]
pub struct PollAnswer {
    /// `closed`: `null` while the link lives.
    pub closed: Value,
}

/// A long-poll link.
pub struct Poll {
    pub addr: SocketAddr,
    pub link: String,
    /// The number to ask for next.
    pub next: u64,
    /// Messages received and not yet taken by `next_message`.
    queue: VecDeque<Value>,
    /// `closed` of the last answer.
    pub closed: Value,
}

/// A long poll can wait `poll_wait_secs` (25 by default) before it answers empty.
const POLL_PATIENCE: Duration = Duration::from_secs(60);

impl Poll {
    /// Opens a link; its greeting waits in the queue, and `link` is known.
    pub async fn open(addr: SocketAddr) -> Poll {
        let (head, body) = request(addr, "POST", "/rt/poll", &[], None, PATIENCE).await;
        assert_eq!(head.status, 200, "POST /rt/poll: {head:?} {body}");
        let answer: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("a long-poll answer is JSON: {body:?}: {e}"));
        let link = answer["link"]
            .as_str()
            .unwrap_or_else(|| panic!("the first answer names the link: {answer}"))
            .to_owned();
        let mut poll = Poll {
            addr,
            link,
            next: 0,
            queue: VecDeque::new(),
            closed: Value::Null,
        };
        poll.take(head, &answer);
        let hello = poll.queue.front().expect("the first answer greets");
        assert_eq!(hello["type"], "hello", "{answer}");
        assert_eq!(hello["link"], poll.link.as_str(), "{answer}");
        poll
    }

    /// Checks an answer and takes its messages into the queue.
    fn take(&mut self, head: Head, answer: &Value) -> PollAnswer {
        assert_eq!(
            head.header("cache-control"),
            Some("no-store"),
            "every long-poll answer is no-store: {head:?}"
        );
        let messages: Vec<Value> = answer["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("messages is a list: {answer}"))
            .iter()
            .map(|message| check_server_message(&message.to_string()))
            .collect();
        self.next = answer["next"]
            .as_u64()
            .unwrap_or_else(|| panic!("next is a number: {answer}"));
        self.closed = answer["closed"].clone();
        self.queue.extend(messages);
        PollAnswer {
            closed: answer["closed"].clone(),
        }
    }

    /// One `POST /rt/poll?next=N`: what it answered (its messages are queued too).
    pub async fn poll(&mut self) -> PollAnswer {
        let path = format!("/rt/poll?next={}", self.next);
        let (head, body) = request(
            self.addr,
            "POST",
            &path,
            &[("X-Acdhub-Link", &self.link)],
            None,
            POLL_PATIENCE,
        )
        .await;
        assert_eq!(head.status, 200, "POST {path}: {head:?} {body}");
        let answer: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("a long-poll answer is JSON: {body:?}: {e}"));
        self.take(head, &answer)
    }

    /// The next message, polling as often as needed; panics if the link closes first.
    pub async fn next_message(&mut self) -> Value {
        let deadline = Instant::now() + PATIENCE + POLL_PATIENCE;
        loop {
            if let Some(message) = self.queue.pop_front() {
                return message;
            }
            assert!(
                self.closed.is_null(),
                "the long-poll link closed while a message was awaited: {}",
                self.closed
            );
            assert!(
                Instant::now() < deadline,
                "no message on the long-poll link in time"
            );
            self.poll().await;
        }
    }

    /// `POST /rt/send` of `message` on this link, asserting 202.
    pub async fn send(&self, message: &Value) {
        send_accepted(self.addr, &self.link, message).await;
    }
}

/// An `auth` with the token, resuming `session` after `last_seq`.
pub fn resume_auth(id: &str, token: &str, session: &str, last_seq: u64) -> Value {
    json!({
        "id": id, "type": "auth", "token": token,
        "resume": {"session": session, "last_seq": last_seq},
    })
}
