//! A small HTTP/1.1 client for the HTTP rungs (protocol.md, "The fallback ladder"): one request
//! at a time on a connection, responses framed by `Content-Length`, chunked transfer-encoding
//! (how the server streams SSE) or the connection's end. The crate has no HTTP client and this
//! is all the SSE transport of `chats` needs; it adds nothing to Cargo.lock.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::{Io, Target};

/// The most a response's status line and headers may take.
const MAX_HEAD: usize = 64 * 1024;

/// A response's status and headers.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    /// Parses `HTTP/1.1 200 OK\r\nName: value\r\n...` (the head without its blank line).
    pub fn parse(text: &str) -> Result<Head, String> {
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        let status = parts.next().and_then(|code| code.parse().ok());
        let (true, Some(status)) = (version.starts_with("HTTP/1."), status) else {
            return Err(format!("not an HTTP/1.x status line: {status_line:?}"));
        };
        let headers = lines
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (name, value) = line
                    .split_once(':')
                    .ok_or_else(|| format!("not a header: {line:?}"))?;
                Ok((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            })
            .collect::<Result<_, String>>()?;
        Ok(Head { status, headers })
    }

    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// How the body is delimited (RFC 9112 6.3: chunked wins over a length).
    fn framing(&self) -> Result<Framing, String> {
        if self.status / 100 == 1 || self.status == 204 || self.status == 304 {
            return Ok(Framing::Length(0));
        }
        let chunked = self.header("transfer-encoding").is_some_and(|codings| {
            codings
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
        });
        if chunked {
            return Ok(Framing::Chunked(Chunked::default()));
        }
        match self.header("content-length") {
            Some(length) => length
                .parse()
                .map(Framing::Length)
                .map_err(|_| format!("bad Content-Length {length:?}")),
            None => Ok(Framing::UntilClose),
        }
    }

    /// Whether the connection takes another request after this response.
    fn keeps_alive(&self) -> bool {
        let close = self.header("connection").is_some_and(|tokens| {
            tokens
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"))
        });
        !close
    }
}

/// How a body ends.
#[derive(Debug)]
enum Framing {
    /// This many bytes are left.
    Length(u64),
    Chunked(Chunked),
    UntilClose,
}

/// A chunked body's decoder (RFC 9112 7.1), fed the bytes as they come, split anywhere.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
    /// The part of a size, end-of-data or trailer line read so far.
    line: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
enum ChunkState {
    /// Reading `<hex size>[;extensions]\r\n`.
    #[default]
    Size,
    /// Inside a chunk, with this many bytes left.
    Data(u64),
    /// After a chunk's data: its `\r\n`.
    DataEnd,
    /// After the last (empty) chunk: trailer lines up to an empty one.
    Trailer,
    Done,
}

impl Chunked {
    /// Decodes what it can of `input` into `body`; returns how much of `input` it used, which
    /// is all of it unless the body ended (what follows belongs to the next response).
    pub fn feed(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<usize, String> {
        let mut used = 0;
        while used < input.len() {
            let rest = &input[used..];
            match self.state {
                ChunkState::Done => break,
                ChunkState::Data(left) => {
                    let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    body.extend_from_slice(&rest[..take]);
                    used += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                }
                ChunkState::Size | ChunkState::DataEnd | ChunkState::Trailer => {
                    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(rest);
                        used = input.len();
                        if self.line.len() > MAX_HEAD {
                            return Err("a chunk's line is too long".to_owned());
                        }
                        break;
                    };
                    self.line.extend_from_slice(&rest[..end]);
                    used += end + 1;
                    let mut line = std::mem::take(&mut self.line);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.state = self.line_read(&line)?;
                }
            }
        }
        Ok(used)
    }

    fn line_read(&self, line: &[u8]) -> Result<ChunkState, String> {
        match self.state {
            ChunkState::Size => {
                let text = String::from_utf8_lossy(line);
                let digits = text.split(';').next().unwrap_or_default().trim();
                let size = u64::from_str_radix(digits, 16)
                    .map_err(|_| format!("bad chunk size line {text:?}"))?;
                Ok(if size == 0 {
                    ChunkState::Trailer
                } else {
                    ChunkState::Data(size)
                })
            }
            ChunkState::DataEnd if line.is_empty() => Ok(ChunkState::Size),
            ChunkState::DataEnd => Err("a chunk's data runs past its size".to_owned()),
            ChunkState::Trailer if line.is_empty() => Ok(ChunkState::Done),
            state => Ok(state),
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }
}

/// One connection to the server, carrying one request at a time.
pub struct Connection {
    io: Box<dyn Io>,
    /// Read and not used yet.
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(target: &Target) -> Result<Connection, String> {
        Ok(Connection {
            io: target.connect().await?,
            buffer: Vec::new(),
        })
    }

    /// Writes a request: `headers` besides `Host` (and `Content-Length` with a body).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<(), String> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.io
            .write_all(&bytes)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.io.flush().await.map_err(|e| format!("write: {e}"))
    }

    /// Reads more into the buffer; `false` at the connection's end.
    async fn fill(&mut self) -> Result<bool, String> {
        let mut bytes = [0u8; 8192];
        let read = self
            .io
            .read(&mut bytes)
            .await
            .map_err(|e| format!("read: {e}"))?;
        self.buffer.extend_from_slice(&bytes[..read]);
        Ok(read > 0)
    }

    /// Reads a response's head, and returns it with a reader of its body.
    pub async fn response(&mut self) -> Result<(Head, BodyReader), String> {
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                self.buffer.drain(..end + 4);
                let head = Head::parse(&head)?;
                let framing = head.framing()?;
                let done = matches!(framing, Framing::Length(0));
                let reusable = head.keeps_alive() && !matches!(framing, Framing::UntilClose);
                let reader = BodyReader {
                    framing,
                    done,
                    reusable,
                };
                return Ok((head, reader));
            }
            if self.buffer.len() > MAX_HEAD {
                return Err("the response's head is too long".to_owned());
            }
            if !self.fill().await? {
                return Err("the connection ended before a response".to_owned());
            }
        }
    }

    /// A request and its whole response: the head, the body (read to its end, so that the
    /// connection can carry the next request) and whether it may.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<(Head, Vec<u8>, bool), String> {
        self.send(method, path, host, headers, body).await?;
        let (head, mut reader) = self.response().await?;
        let mut body = Vec::new();
        while let Some(piece) = reader.next(self).await? {
            body.extend_from_slice(&piece);
        }
        Ok((head, body, reader.reusable))
    }
}

/// Reads one response's body from its connection, piece by piece as it arrives. Dropping a
/// `next` that has not finished loses nothing (it is safe in a `select!`).
#[derive(Debug)]
pub struct BodyReader {
    framing: Framing,
    done: bool,
    /// Whether the connection may carry another request once the body is read.
    reusable: bool,
}

impl BodyReader {
    /// The body's next bytes, `None` at its end.
    pub async fn next(&mut self, connection: &mut Connection) -> Result<Option<Vec<u8>>, String> {
        loop {
            if self.done {
                return Ok(None);
            }
            if connection.buffer.is_empty() && !connection.fill().await? {
                if matches!(self.framing, Framing::UntilClose) {
                    self.done = true;
                    return Ok(None);
                }
                return Err("the connection ended inside the body".to_owned());
            }
            let input = std::mem::take(&mut connection.buffer);
            let mut body = Vec::new();
            let used = match &mut self.framing {
                Framing::Length(left) => {
                    let take = input
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    body.extend_from_slice(&input[..take]);
                    *left -= take as u64;
                    self.done = *left == 0;
                    take
                }
                Framing::Chunked(chunked) => {
                    let used = chunked.feed(&input, &mut body)?;
                    self.done = chunked.is_done();
                    used
                }
                Framing::UntilClose => {
                    body.extend_from_slice(&input);
                    input.len()
                }
            };
            connection.buffer = input[used..].to_vec();
            if !body.is_empty() {
                return Ok(Some(body));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` to a decoder in pieces of `size` bytes; the body and what was left over.
    fn decode_in_pieces(input: &[u8], size: usize) -> (Vec<u8>, Vec<u8>, bool) {
        let mut chunked = Chunked::default();
        let mut body = Vec::new();
        let mut left_over = Vec::new();
        for piece in input.chunks(size) {
            if chunked.is_done() {
                left_over.extend_from_slice(piece);
                continue;
            }
            let used = chunked.feed(piece, &mut body).expect("well formed");
            left_over.extend_from_slice(&piece[used..]);
        }
        (body, left_over, chunked.is_done())
    }

    #[test]
    fn a_chunked_body_decodes_the_same_however_the_bytes_are_split() {
        let input = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\nHTTP/1.1";
        for size in 1..=input.len() {
            let (body, left_over, done) = decode_in_pieces(input, size);
            assert_eq!(
                body, b"hello, worldabcdefghijklmnopqrstuvwxyz",
                "pieces of {size}"
            );
            assert!(done, "pieces of {size}");
            assert_eq!(left_over, b"HTTP/1.1", "pieces of {size}");
        }
    }

    #[test]
    fn a_chunked_body_not_ended_is_not_done_and_a_bad_size_is_an_error() {
        let (body, _, done) = decode_in_pieces(b"3\r\nabc\r\n4\r\nde", 2);
        assert_eq!(body, b"abcde");
        assert!(!done);
        let mut chunked = Chunked::default();
        assert!(chunked.feed(b"zz\r\n", &mut Vec::new()).is_err());
        let mut chunked = Chunked::default();
        assert!(chunked.feed(b"2\r\nabc\r\n", &mut Vec::new()).is_err());
    }

    #[test]
    fn a_head_says_its_status_headers_and_framing() {
        let head = Head::parse(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked",
        )
        .unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.header("Content-Type"), Some("text/event-stream"));
        assert!(matches!(head.framing(), Ok(Framing::Chunked(_))));
        assert!(head.keeps_alive());
        let head = Head::parse("HTTP/1.1 202 Accepted\r\ncontent-length: 17\r\nconnection: close")
            .unwrap();
        assert!(matches!(head.framing(), Ok(Framing::Length(17))));
        assert!(!head.keeps_alive());
        assert!(Head::parse("SSH-2.0-OpenSSH").is_err());
    }
}
