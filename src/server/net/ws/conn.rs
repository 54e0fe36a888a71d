//! A WebSocket connection, the server's side, over any byte stream (TCP, or TLS over TCP).
//!
//! It holds no buffer while idle: a read goes through a buffer on the stack, and only a frame
//! not read whole is kept ([`Reader`]); what is written is gathered per batch and the memory is
//! given back once the batch is on the wire, so a large write (a snapshot) leaves nothing behind.
//! Pings are answered as they are read; a close from the client is answered with its own code.

use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frame::{self, Opcode, Reader, Received, Violation};

/// The most one read takes from the socket (on the stack; only a frame not read whole is
/// copied to the heap). Commands are a few hundred bytes, so this holds many.
const READ_CHUNK: usize = 4096;

/// How much is gathered before it is written while a batch is being fed (see
/// [`WsConn::batch_full`]).
const WRITE_CHUNK: usize = 4096;

/// How long a client that broke the protocol is given to take the close frame that says so,
/// and to close its side, before its connection is dropped anyway.
const VIOLATION_CLOSE_PATIENCE: Duration = Duration::from_secs(1);

/// Why reading ended.
#[derive(Debug)]
pub enum ReadError {
    /// The client broke the protocol or sent too much; see [`WsConn::fail`].
    Violation(Violation),
    Io(io::Error),
}

/// What the client sent: a message, a pong, or its close. (Pings are answered, not returned.)
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Binary(Vec<u8>),
    Pong,
    /// The client's close, with its code if it gave one.
    Close(Option<u16>),
}

/// One WebSocket connection.
pub struct WsConn<S> {
    io: S,
    reader: Reader,
    /// Frames not written yet, from `written` on. Empty, with nothing allocated, when all is out.
    out: Vec<u8>,
    written: usize,
    /// The server's close frame is queued: nothing more is sent.
    close_sent: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> WsConn<S> {
    /// A connection over `io`, taking messages of at most `max_message` bytes.
    pub fn new(io: S, max_message: usize) -> WsConn<S> {
        WsConn {
            io,
            reader: Reader::new(max_message),
            out: Vec::new(),
            written: 0,
            close_sent: false,
        }
    }

    /// The next message: a text, a binary, a pong, or the client's close (answered already,
    /// unflushed: [`WsConn::flush`] sends the answer). Pings are answered and not returned.
    /// `None` when the connection ended without a close. Cancel-safe: a message is taken only
    /// when it is returned.
    pub async fn recv(&mut self) -> Option<Result<Message, ReadError>> {
        loop {
            match self.reader.next() {
                Err(violation) => return Some(Err(ReadError::Violation(violation))),
                Ok(Some(Received::Ping(payload))) => {
                    if !self.close_sent {
                        frame::write(&mut self.out, Opcode::Pong, &payload);
                        if let Err(error) = self.flush().await {
                            return Some(Err(ReadError::Io(error)));
                        }
                    }
                    continue;
                }
                Ok(Some(Received::Close(code))) => {
                    // The answer echoes the client's code, or has none either (RFC 6455 5.5.1).
                    match code {
                        Some(code) => self.queue_close(code, ""),
                        None if !self.close_sent => {
                            frame::write(&mut self.out, Opcode::Close, &[]);
                            self.close_sent = true;
                        }
                        None => {}
                    }
                    return Some(Ok(Message::Close(code)));
                }
                Ok(Some(Received::Text(text))) => return Some(Ok(Message::Text(text))),
                Ok(Some(Received::Binary(data))) => return Some(Ok(Message::Binary(data))),
                Ok(Some(Received::Pong)) => return Some(Ok(Message::Pong)),
                Ok(None) => {}
            }
            match self.read().await {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => return Some(Err(ReadError::Io(error))),
            }
        }
    }

    /// Reads what the socket has into the reader, through a buffer on the stack; returns how
    /// many bytes (0: the client closed the socket).
    async fn read(&mut self) -> io::Result<usize> {
        let (io, reader) = (&mut self.io, &mut self.reader);
        poll_fn(|cx| {
            let mut buffer = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buffer = ReadBuf::uninit(&mut buffer);
            ready!(Pin::new(&mut *io).poll_read(cx, &mut buffer))?;
            reader.feed(buffer.filled());
            Poll::Ready(Ok(buffer.filled().len()))
        })
        .await
    }

    /// Queues a text message, written by [`WsConn::flush`] (or [`WsConn::write_out`], which
    /// the caller runs once [`WsConn::batch_full`] says a batch's worth is gathered).
    pub fn feed_text(&mut self, text: &str) -> io::Result<()> {
        self.feed(Opcode::Text, text.as_bytes())
    }

    /// Queues a frame. Nothing is written here: a feed that never waits keeps the futures of
    /// its callers small (an idle connection's task holds the largest of them).
    pub fn feed(&mut self, opcode: Opcode, payload: &[u8]) -> io::Result<()> {
        if self.close_sent {
            return Err(io::Error::other("the connection is closing"));
        }
        frame::write(&mut self.out, opcode, payload);
        Ok(())
    }

    /// Whether a batch's worth waits to be written.
    pub fn batch_full(&self) -> bool {
        self.out.len() - self.written >= WRITE_CHUNK
    }

    /// Writes everything queued and flushes the stream (TLS writes its records). The memory a
    /// batch took is given back.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.write_out().await?;
        poll_fn(|cx| Pin::new(&mut self.io).poll_flush(cx)).await
    }

    /// Writes everything queued (without flushing the stream) and gives the memory back.
    pub async fn write_out(&mut self) -> io::Result<()> {
        while self.written < self.out.len() {
            let (io, out) = (&mut self.io, &self.out[self.written..]);
            let n = poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, out)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.written += n;
        }
        self.out = Vec::new();
        self.written = 0;
        Ok(())
    }

    /// Sends a ping with no payload.
    pub async fn ping(&mut self) -> io::Result<()> {
        self.feed(Opcode::Ping, &[])?;
        self.flush().await
    }

    /// Queues the server's close frame behind what is queued already; nothing is sent after it.
    pub fn queue_close(&mut self, code: u16, reason: &str) {
        if !self.close_sent {
            frame::write_close(&mut self.out, code, reason);
            self.close_sent = true;
        }
    }

    /// The closing handshake, started by the server: the close frame is written behind what is
    /// queued, then what the client still sends is read and dropped until its close, so the
    /// connection does not end with unread data (which makes the kernel reset it and the
    /// client lose the close frame).
    pub async fn close(&mut self, code: u16, reason: &str) -> io::Result<()> {
        self.queue_close(code, reason);
        self.flush().await?;
        loop {
            match self.recv().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(ReadError::Io(_))) => break,
                Some(Ok(_)) => {}
                // What cannot be read as frames (the rest of a message over the limit, say) is
                // read and dropped until the client closes its side.
                Some(Err(ReadError::Violation(_))) => return self.drain().await,
            }
        }
        Ok(())
    }

    /// Closes the server's side of the stream and reads and drops what the client still sends
    /// until it closes its own (the caller bounds how long).
    async fn drain(&mut self) -> io::Result<()> {
        poll_fn(|cx| Pin::new(&mut self.io).poll_shutdown(cx)).await?;
        let mut sink = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
        loop {
            let mut buffer = ReadBuf::uninit(&mut sink);
            poll_fn(|cx| Pin::new(&mut self.io).poll_read(cx, &mut buffer)).await?;
            if buffer.filled().is_empty() {
                return Ok(());
            }
        }
    }

    /// Fails the connection as RFC 6455 7.1.7 asks when the client broke the protocol: a close
    /// frame with its code and words, written within [`VIOLATION_CLOSE_PATIENCE`], and what the
    /// client still sends read and dropped for as long, so the kernel does not reset the
    /// connection over unread data before the client has read the close frame. Best effort: a
    /// client that does not read loses only the frame.
    pub async fn fail(&mut self, violation: Violation) {
        let Some((code, reason)) = violation.close() else {
            return;
        };
        self.queue_close(code, reason);
        let closing = async {
            self.flush().await?;
            self.drain().await
        };
        if tokio::time::timeout(VIOLATION_CLOSE_PATIENCE, closing)
            .await
            .is_err()
        {
            tracing::debug!(code, "a protocol violation's close was not taken in time");
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

    use super::*;
    use crate::server::net::ws::frame::client_frame;

    fn pair() -> (WsConn<DuplexStream>, DuplexStream) {
        let (server, client) = duplex(1 << 16);
        (WsConn::new(server, 1 << 20), client)
    }

    /// A large write leaves nothing behind: the batch's memory is given back once it is out,
    /// and nothing is held for reading between messages.
    #[tokio::test]
    async fn a_large_write_leaves_no_buffer_behind() {
        let (mut conn, mut client) = pair();
        let big = "x".repeat(300_000);
        let reading = tokio::spawn(async move {
            let mut got = vec![0; 10 + 300_000];
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(&got[..2], &[0x81, 127]);
            assert_eq!(u64::from_be_bytes(got[2..10].try_into().unwrap()), 300_000);
            client
        });
        conn.feed_text(&big).unwrap();
        conn.flush().await.unwrap();
        assert_eq!(conn.out.capacity(), 0, "the write buffer is given back");
        let mut client = reading.await.unwrap();
        client
            .write_all(&client_frame(true, 1, b"hi"))
            .await
            .unwrap();
        assert_eq!(
            conn.recv().await.unwrap().unwrap(),
            Message::Text("hi".into())
        );
        assert_eq!(conn.out.capacity(), 0);
    }

    /// A ping is answered with its payload; a close is answered with its code, and nothing is
    /// sent after it.
    #[tokio::test]
    async fn pings_and_closes_are_answered() {
        let (mut conn, mut client) = pair();
        client
            .write_all(&client_frame(true, 9, b"abc"))
            .await
            .unwrap();
        client
            .write_all(&client_frame(true, 10, b""))
            .await
            .unwrap();
        assert_eq!(conn.recv().await.unwrap().unwrap(), Message::Pong);
        let mut pong = [0; 5];
        client.read_exact(&mut pong).await.unwrap();
        assert_eq!(pong, [0x8A, 3, b'a', b'b', b'c']);
        client
            .write_all(&client_frame(true, 8, &4001u16.to_be_bytes()))
            .await
            .unwrap();
        assert_eq!(
            conn.recv().await.unwrap().unwrap(),
            Message::Close(Some(4001))
        );
        conn.flush().await.unwrap();
        let mut close = [0; 4];
        client.read_exact(&mut close).await.unwrap();
        assert_eq!(close, [0x88, 2, 0x0F, 0xA1]);
        assert!(conn.feed_text("late").is_err(), "nothing after the close");
    }

    /// A client that breaks the protocol gets the close frame that says so, and the connection
    /// ends even if the client sends more.
    #[tokio::test]
    async fn a_violation_is_told_with_its_code() {
        let (mut conn, mut client) = pair();
        client.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
        let Some(Err(ReadError::Violation(violation))) = conn.recv().await else {
            panic!("an unmasked frame is a violation");
        };
        client
            .write_all(&client_frame(true, 1, b"more"))
            .await
            .unwrap();
        drop(client.shutdown().await);
        conn.fail(violation).await;
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(&got[..4], &[0x88, got[1], 0x03, 0xEA], "1002");
        assert!(std::str::from_utf8(&got[4..]).unwrap().contains("unmasked"));
    }

    /// A message over the limit gets the caller's close frame, and what the client still sends
    /// of it is read and dropped until the client closes, rather than left unread (which makes
    /// the kernel reset the connection, and the client lose the close frame).
    #[tokio::test]
    async fn a_close_after_a_message_over_the_limit_drains_the_rest() {
        let (server, mut client) = duplex(1 << 16);
        let mut conn = WsConn::new(server, 10);
        client
            .write_all(&client_frame(true, 1, &[b'a'; 100]))
            .await
            .unwrap();
        let Some(Err(ReadError::Violation(Violation::TooBig))) = conn.recv().await else {
            panic!("a message over the limit is too big");
        };
        let closing = tokio::spawn(async move { conn.close(1009, "too big").await });
        let mut close = [0; 11];
        client.read_exact(&mut close).await.unwrap();
        assert_eq!(&close[..4], &[0x88, 9, 0x03, 0xF1], "1009");
        assert_eq!(&close[4..], b"too big");
        client.shutdown().await.unwrap();
        closing.await.unwrap().unwrap();
    }
}
