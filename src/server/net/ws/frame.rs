//! RFC 6455 framing, the server's side: a client's frames (masked, maybe fragmented, each
//! checked as the RFC asks) read into messages, and the server's frames (unmasked, never
//! fragmented) written. Pure: bytes in, messages out; [`super::conn`] does the I/O.
//!
//! Nothing is held between messages: the bytes of a frame not read whole yet, and the frames of
//! a fragmented message, are the only memory a [`Reader`] keeps, and it gives both back once
//! the message is out (BENCHMARKS.md, "Idle connections").

use crate::protocol::close::{INVALID_PAYLOAD, PROTOCOL_ERROR};

/// The largest payload of a control frame (ping, pong, close).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// Why a client's frames end the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A frame the RFC forbids (1002), and what was wrong with it.
    Protocol(&'static str),
    /// A text, or a close frame's reason, that is not UTF-8 (1007).
    NotUtf8,
    /// A message over the reader's limit; the caller says so with its own close.
    TooBig,
}

impl Violation {
    /// The close code that tells the client, and the words (at most 123 bytes, as a close
    /// frame's reason must be). `None` for [`Violation::TooBig`], whose close is the caller's.
    pub fn close(self) -> Option<(u16, &'static str)> {
        match self {
            Violation::Protocol(what) => Some((PROTOCOL_ERROR, what)),
            Violation::NotUtf8 => Some((INVALID_PAYLOAD, "a text that is not UTF-8")),
            Violation::TooBig => None,
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, words) = self.close().unwrap_or((0, "a message over the size limit"));
        f.write_str(words)
    }
}

/// A message, or a control frame, from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong,
    /// The client's close, with its code if it gave one.
    Close(Option<u16>),
}

/// A frame's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A frame's header, read and checked.
#[derive(Debug)]
struct Header {
    fin: bool,
    opcode: Opcode,
    mask: [u8; 4],
    /// The header's own length in bytes.
    length: usize,
    payload: usize,
}

/// A fragmented message's frames so far.
#[derive(Debug)]
struct Fragments {
    text: bool,
    data: Vec<u8>,
    /// How much of `data` is known to be UTF-8 (a text's last character may be cut between
    /// frames).
    checked: usize,
}

/// Reads a client's frames into messages.
#[derive(Debug)]
pub struct Reader {
    /// What was read and not parsed yet: part of a frame, or frames behind a message returned.
    /// Empty, with nothing allocated, between frames.
    pending: Vec<u8>,
    fragments: Option<Fragments>,
    max_message: usize,
}

impl Reader {
    /// A reader that takes messages of at most `max_message` bytes.
    pub fn new(max_message: usize) -> Reader {
        Reader {
            pending: Vec::new(),
            fragments: None,
            max_message,
        }
    }

    /// Takes bytes read from the connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next message or control frame from what was fed, `None` until one is whole. A
    /// violation ends the connection: the reader is not to be used after it.
    pub fn next(&mut self) -> Result<Option<Received>, Violation> {
        loop {
            let Some(header) = self.header()? else {
                return Ok(None);
            };
            let end = header.length + header.payload;
            if self.pending.len() < end {
                return Ok(None);
            }
            let mut payload = self.pending[header.length..end].to_vec();
            unmask(&mut payload, header.mask);
            self.pending.drain(..end);
            if self.pending.is_empty() {
                self.pending = Vec::new();
            }
            if let Some(received) = self.frame(&header, payload)? {
                return Ok(Some(received));
            }
        }
    }

    /// The header at the front of what was fed, checked as soon as it is whole (before its
    /// payload is read), `None` until then.
    fn header(&self) -> Result<Option<Header>, Violation> {
        let bytes = &self.pending[..];
        let [first, second, ..] = *bytes else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(Violation::Protocol(
                "reserved bits set without an extension",
            ));
        }
        let fin = first & 0x80 != 0;
        let opcode = Opcode::from_bits(first & 0x0F)
            .ok_or(Violation::Protocol("an opcode RFC 6455 does not define"))?;
        if second & 0x80 == 0 {
            return Err(Violation::Protocol("an unmasked frame from a client"));
        }
        let (payload, mut length) = match second & 0x7F {
            126 => {
                let Some(len) = bytes.get(2..4) else {
                    return Ok(None);
                };
                (u64::from(u16::from_be_bytes([len[0], len[1]])), 4)
            }
            127 => {
                let Some(len) = bytes.get(2..10) else {
                    return Ok(None);
                };
                let len = u64::from_be_bytes(len.try_into().expect("eight bytes"));
                if len >> 63 != 0 {
                    return Err(Violation::Protocol("a payload length with its top bit set"));
                }
                (len, 10)
            }
            short => (u64::from(short), 2),
        };
        if opcode.is_control() {
            if !fin {
                return Err(Violation::Protocol("a fragmented control frame"));
            }
            if payload > MAX_CONTROL_PAYLOAD as u64 {
                return Err(Violation::Protocol("a control frame over 125 bytes"));
            }
        } else {
            let so_far = self.fragments.as_ref().map_or(0, |f| f.data.len());
            if payload.saturating_add(so_far as u64) > self.max_message as u64 {
                return Err(Violation::TooBig);
            }
        }
        let Some(mask) = bytes.get(length..length + 4) else {
            return Ok(None);
        };
        let mask = mask.try_into().expect("four bytes");
        length += 4;
        Ok(Some(Header {
            fin,
            opcode,
            mask,
            length,
            payload: payload as usize,
        }))
    }

    /// What a whole frame makes: a message, a control frame, or nothing yet (a fragment).
    fn frame(&mut self, header: &Header, payload: Vec<u8>) -> Result<Option<Received>, Violation> {
        let text = match header.opcode {
            Opcode::Ping => return Ok(Some(Received::Ping(payload))),
            Opcode::Pong => return Ok(Some(Received::Pong)),
            Opcode::Close => return close(&payload).map(|code| Some(Received::Close(code))),
            Opcode::Continuation => {
                let Some(fragments) = self.fragments.as_mut() else {
                    return Err(Violation::Protocol("a continuation frame with no message"));
                };
                fragments.data.extend_from_slice(&payload);
                check_utf8(fragments, header.fin)?;
                if !header.fin {
                    return Ok(None);
                }
                let Fragments { text, data, .. } = self.fragments.take().expect("checked above");
                return Ok(Some(message(text, data)?));
            }
            Opcode::Text => true,
            Opcode::Binary => false,
        };
        if self.fragments.is_some() {
            return Err(Violation::Protocol("a new message inside a fragmented one"));
        }
        if header.fin {
            return Ok(Some(message(text, payload)?));
        }
        let mut fragments = Fragments {
            text,
            data: payload,
            checked: 0,
        };
        check_utf8(&mut fragments, false)?;
        self.fragments = Some(fragments);
        Ok(None)
    }
}

/// A whole message.
fn message(text: bool, data: Vec<u8>) -> Result<Received, Violation> {
    if text {
        String::from_utf8(data)
            .map(Received::Text)
            .map_err(|_| Violation::NotUtf8)
    } else {
        Ok(Received::Binary(data))
    }
}

/// Fails a text's fragments at their first byte that cannot be UTF-8, rather than at the end of
/// the message; a character cut at the end of a fragment that is not the last is not a fault.
fn check_utf8(fragments: &mut Fragments, last: bool) -> Result<(), Violation> {
    if !fragments.text {
        return Ok(());
    }
    match std::str::from_utf8(&fragments.data[fragments.checked..]) {
        Ok(_) => fragments.checked = fragments.data.len(),
        Err(error) if error.error_len().is_none() && !last => {
            fragments.checked += error.valid_up_to();
        }
        Err(_) => return Err(Violation::NotUtf8),
    }
    Ok(())
}

/// A close frame's code, checked (RFC 6455 5.5.1 and 7.4), and its reason, which must be UTF-8.
fn close(payload: &[u8]) -> Result<Option<u16>, Violation> {
    match payload {
        [] => Ok(None),
        [_] => Err(Violation::Protocol("a close frame of one byte")),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            // Defined codes a peer may send (1004-1006 and 1015 may not be sent), and the
            // ranges for libraries and applications.
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                return Err(Violation::Protocol("a close code that may not be sent"));
            }
            std::str::from_utf8(reason).map_err(|_| Violation::NotUtf8)?;
            Ok(Some(code))
        }
    }
}

/// Applies (or removes) a client's mask.
fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let mut chunks = payload.chunks_exact_mut(4);
    let word = u32::from_ne_bytes(mask);
    for chunk in &mut chunks {
        let masked = u32::from_ne_bytes(chunk.try_into().expect("four bytes")) ^ word;
        chunk.copy_from_slice(&masked.to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask) {
        *byte ^= key;
    }
}

/// Appends a server frame (final, unmasked) with `payload` to `out`.
pub fn write(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8]) {
    let first = 0x80 | opcode as u8;
    let len = payload.len();
    out.reserve(10 + len);
    if len < 126 {
        out.extend_from_slice(&[first, len as u8]);
    } else if let Ok(short) = u16::try_from(len) {
        out.extend_from_slice(&[first, 126]);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.extend_from_slice(&[first, 127]);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// Appends the server's close frame: `code` and `reason`, cut to the 123 bytes a close frame's
/// reason may have (at a character's boundary).
pub fn write_close(out: &mut Vec<u8>, code: u16, reason: &str) {
    let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    write(out, Opcode::Close, &payload);
}

/// A client's frame (`opcode` with its flags in the first byte's low bits), masked.
#[cfg(test)]
pub(super) fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = Vec::new();
    let first = u8::from(fin) << 7 | opcode;
    let len = payload.len();
    if len < 126 {
        out.extend_from_slice(&[first, 0x80 | len as u8]);
    } else if len <= 0xFFFF {
        out.extend_from_slice(&[first, 0x80 | 126]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&[first, 0x80 | 127]);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&MASK);
    let mut masked = payload.to_vec();
    unmask(&mut masked, MASK);
    out.extend_from_slice(&masked);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::client_frame as client;

    fn read_all(reader: &mut Reader, bytes: &[u8]) -> Result<Vec<Received>, Violation> {
        reader.feed(bytes);
        let mut out = Vec::new();
        while let Some(received) = reader.next()? {
            out.push(received);
        }
        Ok(out)
    }

    /// The RFC's own example (5.7): "Hello", masked, in one frame and split at every byte.
    #[test]
    fn a_masked_text_is_read_whole_and_byte_by_byte() {
        let frame = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let mut reader = Reader::new(1024);
        assert_eq!(
            read_all(&mut reader, &frame),
            Ok(vec![Received::Text("Hello".into())])
        );
        assert_eq!(reader.pending.capacity(), 0, "nothing kept between frames");
        let mut got = Vec::new();
        for byte in frame {
            got.extend(read_all(&mut reader, &[byte]).unwrap());
        }
        assert_eq!(got, vec![Received::Text("Hello".into())]);
        assert_eq!(reader.pending.capacity(), 0);
    }

    /// Fragments make one message, a control frame may come between them, and the 16- and
    /// 64-bit lengths are read.
    #[test]
    fn fragments_and_long_lengths_make_one_message() {
        let mut reader = Reader::new(1 << 20);
        let mut bytes = client(false, 1, b"Hel");
        bytes.extend(client(true, 9, b"ping"));
        bytes.extend(client(true, 0, b"lo"));
        bytes.extend(client(true, 2, &[7; 300]));
        bytes.extend(client(true, 2, &[9; 70_000]));
        let got = read_all(&mut reader, &bytes).unwrap();
        assert_eq!(
            got,
            vec![
                Received::Ping(b"ping".to_vec()),
                Received::Text("Hello".into()),
                Received::Binary(vec![7; 300]),
                Received::Binary(vec![9; 70_000]),
            ]
        );
    }

    /// Every frame RFC 6455 forbids is named, before its payload is read.
    #[test]
    fn forbidden_frames_are_violations() {
        let protocol = |bytes: Vec<u8>| {
            let mut reader = Reader::new(1024);
            match read_all(&mut reader, &bytes) {
                Err(Violation::Protocol(what)) => what,
                other => panic!("a violation expected, got {other:?}"),
            }
        };
        assert!(protocol(client(true, 0x41, b"x")).contains("reserved"));
        assert!(protocol(client(true, 3, b"x")).contains("opcode"));
        assert!(protocol(client(false, 9, b"x")).contains("fragmented control"));
        assert!(protocol(client(true, 9, &[0; 126])).contains("125"));
        assert!(protocol(client(true, 0, b"x")).contains("continuation"));
        let mut nested = client(false, 1, b"a");
        nested.extend(client(true, 1, b"b"));
        assert!(protocol(nested).contains("inside"));
        assert!(protocol(vec![0x81, 0x01, b'x']).contains("unmasked"));
        assert!(protocol(client(true, 8, &[3])).contains("one byte"));
        assert!(protocol(client(true, 8, &1005u16.to_be_bytes())).contains("close code"));
        // Refused from the header alone: no payload follows.
        assert!(protocol(vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]).contains("top bit"));
    }

    #[test]
    fn texts_that_are_not_utf8_fail_at_the_first_bad_fragment() {
        let mut reader = Reader::new(1024);
        assert_eq!(
            read_all(&mut reader, &client(true, 1, &[0xce, 0xba, 0xff])),
            Err(Violation::NotUtf8)
        );
        // A character cut between fragments is fine ...
        let mut reader = Reader::new(1024);
        let mut cut = client(false, 1, &[b'a', 0xce]);
        cut.extend(client(true, 0, &[0xba]));
        assert_eq!(
            read_all(&mut reader, &cut),
            Ok(vec![Received::Text("aκ".into())])
        );
        // ... a bad byte fails its own fragment, before the message ends ...
        let mut reader = Reader::new(1024);
        assert_eq!(
            read_all(&mut reader, &client(false, 1, &[b'a', 0xff])),
            Err(Violation::NotUtf8)
        );
        // ... and a message may not end inside a character.
        let mut reader = Reader::new(1024);
        let mut open = client(false, 1, b"a");
        open.extend(client(true, 0, &[0xce]));
        assert_eq!(read_all(&mut reader, &open), Err(Violation::NotUtf8));
        let mut reader = Reader::new(1024);
        let mut reason = 1000u16.to_be_bytes().to_vec();
        reason.push(0xff);
        assert_eq!(
            read_all(&mut reader, &client(true, 8, &reason)),
            Err(Violation::NotUtf8)
        );
    }

    /// A message over the limit is refused from its header, and fragments count together.
    #[test]
    fn a_message_over_the_limit_is_too_big_before_it_is_read() {
        let mut reader = Reader::new(100);
        assert_eq!(
            read_all(&mut reader, &client(true, 1, &[b'a'; 100]))
                .unwrap()
                .len(),
            1
        );
        let header_only = &client(true, 2, &[0; 101])[..4];
        assert_eq!(read_all(&mut reader, header_only), Err(Violation::TooBig));
        let mut reader = Reader::new(100);
        let mut two = client(false, 2, &[0; 60]);
        two.extend(client(true, 0, &[0; 60]));
        assert_eq!(read_all(&mut reader, &two), Err(Violation::TooBig));
    }

    #[test]
    fn close_frames_carry_their_code_or_none() {
        let mut reader = Reader::new(1024);
        let mut payload = 4001u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        let mut bytes = client(true, 8, &payload);
        bytes.extend(client(true, 8, b""));
        assert_eq!(
            read_all(&mut reader, &bytes),
            Ok(vec![Received::Close(Some(4001)), Received::Close(None)])
        );
    }

    /// The server's frames: unmasked, with the shortest length that holds the payload; a close
    /// reason is cut to 123 bytes at a character's boundary.
    #[test]
    fn server_frames_use_the_shortest_length() {
        for (len, header) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let mut out = Vec::new();
            write(&mut out, Opcode::Binary, &vec![1; len]);
            assert_eq!(out.len(), header + len, "{len}");
            assert_eq!(out[0], 0x82);
            assert_eq!(out[1] & 0x80, 0, "unmasked");
        }
        let mut out = Vec::new();
        write_close(&mut out, 1002, &"é".repeat(100));
        assert_eq!(out[1] as usize, out.len() - 2);
        assert!(out.len() - 2 <= 125);
        assert!(std::str::from_utf8(&out[4..]).is_ok());
    }
}
