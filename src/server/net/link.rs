//! A *link*: the connection of one of the HTTP rungs (SSE down with POSTs up, or long-polling),
//! which its session task reads and writes as a [`Socket`] like any WebSocket.
//!
//! A link is shared between the session task, which owns its [`HttpSocket`], and the HTTP
//! requests that carry its traffic (`/rt/send`, `/rt/poll`), which find it by id in [`Links`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use dashmap::DashMap;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::server::clock::sleep_until_option;
use crate::server::rung::Rung;
use crate::server::session::{Gone, Incoming, Socket};

fn gone() -> Gone {
    Gone("the link's stream is closed".to_owned())
}

/// The two HTTP rungs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Sse,
    Poll,
}

/// Messages at most in one long-poll answer; the client polls again at once for more.
pub const POLL_BATCH: usize = 256;

/// One HTTP link, shared by its session task and the requests that carry its traffic.
pub struct HttpLink {
    pub id: String,
    pub kind: LinkKind,
    upstream: mpsc::Sender<Incoming>,
    /// Long-poll only: the messages not acknowledged yet.
    poll: Mutex<PollState>,
    /// Wakes a waiting poll (a message, a close, a newer poll), or a session waiting for room.
    poll_changed: Notify,
    /// Cancelled when the session closed the link.
    closed: CancellationToken,
    close: OnceLock<(u16, String)>,
    /// Long-poll: milliseconds since `born` when the last poll ended, and whether one waits now.
    born: Instant,
    last_poll_end: AtomicU64,
    polling: AtomicBool,
    /// SSE: the `Last-Event-ID` the stream was opened with; `resume` without `last_seq` uses it.
    pub last_event_id: Option<u64>,
}

#[derive(Default)]
struct PollState {
    /// The number of `frames[0]`: messages are numbered from 1 in the order written.
    base: u64,
    frames: VecDeque<String>,
    /// Counts polls, so a newer poll can answer an older one that still waits.
    polls: u64,
}

/// What a long-poll answers.
pub struct PollAnswer {
    pub next: u64,
    pub messages: Vec<String>,
    pub closed: Option<(u16, String)>,
}

/// Why a poll was refused.
#[derive(Debug)]
pub enum PollRefused {
    /// `next` names messages never written.
    Ahead { next: u64, written: u64 },
}

impl HttpLink {
    /// A new link, and the session's end of it. `sse` carries an SSE link's stream.
    ///
    /// A long-poll link holds at most `backlog` unacknowledged messages (a session with more
    /// to write waits for a poll), and counts as dead after `patience` without a poll.
    pub fn open(
        id: String,
        kind: LinkKind,
        sse: Option<mpsc::Sender<Bytes>>,
        last_event_id: Option<u64>,
        backlog: usize,
        patience: Duration,
    ) -> (Arc<HttpLink>, HttpSocket) {
        // Commands waiting to be read: a client that POSTs faster waits for its answer.
        let (upstream, upstream_rx) = mpsc::channel(16);
        let link = Arc::new(HttpLink {
            id,
            kind,
            upstream,
            poll: Mutex::new(PollState {
                base: 1,
                ..PollState::default()
            }),
            poll_changed: Notify::new(),
            closed: CancellationToken::new(),
            close: OnceLock::new(),
            born: Instant::now(),
            last_poll_end: AtomicU64::new(0),
            polling: AtomicBool::new(false),
            last_event_id,
        });
        let socket = HttpSocket {
            link: link.clone(),
            upstream: upstream_rx,
            sse: sse.map(|tx| (tx, Vec::new())),
            backlog,
            patience,
        };
        (link, socket)
    }

    pub fn rung(&self) -> Rung {
        match self.kind {
            LinkKind::Sse => Rung::Sse,
            LinkKind::Poll => Rung::Poll,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PollState> {
        self.poll.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// A POSTed message for the session. Waits while the session has enough to read; `false`
    /// if the link is closed.
    pub async fn send(&self, incoming: Incoming) -> bool {
        tokio::select! {
            sent = self.upstream.send(incoming) => sent.is_ok(),
            () = self.closed.cancelled() => false,
        }
    }

    /// One long-poll: acknowledges the messages before `next`, then answers with those from
    /// `next` on as soon as there is one, or empty after `wait`.
    pub async fn poll(&self, next: u64, wait: Duration) -> Result<PollAnswer, PollRefused> {
        let me = {
            let mut state = self.state();
            let written = state.base + state.frames.len() as u64;
            if next > written {
                return Err(PollRefused::Ahead { next, written });
            }
            let acknowledged = next.saturating_sub(state.base) as usize;
            state.frames.drain(..acknowledged);
            state.base += acknowledged as u64;
            state.polls += 1;
            state.polls
        };
        self.polling.store(true, Ordering::Relaxed);
        // An older poll still waiting answers now, empty; so does a session waiting for room.
        self.poll_changed.notify_waiters();
        let deadline = Instant::now() + wait;
        let answer = loop {
            let changed = self.poll_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let state = self.state();
                let superseded = state.polls != me;
                if superseded || !state.frames.is_empty() || self.is_closed() {
                    let messages: Vec<String> = if superseded {
                        Vec::new()
                    } else {
                        state.frames.iter().take(POLL_BATCH).cloned().collect()
                    };
                    let next = state.base + messages.len() as u64;
                    // The close is told once every message before it has been taken.
                    let closed =
                        (!superseded && messages.len() == state.frames.len() && self.is_closed())
                            .then(|| self.close.get().cloned())
                            .flatten();
                    break PollAnswer {
                        next,
                        messages,
                        closed,
                    };
                }
            }
            tokio::select! {
                () = &mut changed => {}
                () = self.closed.cancelled() => {}
                () = tokio::time::sleep_until(deadline) => {
                    let state = self.state();
                    break PollAnswer { next: state.base, messages: Vec::new(), closed: None };
                }
            }
        };
        if self.state().polls == me {
            self.polling.store(false, Ordering::Relaxed);
            let since = Instant::now().duration_since(self.born).as_millis() as u64;
            self.last_poll_end.store(since, Ordering::Relaxed);
            // The session waits for this poll to end before it counts the link's idle time
            // ([`HttpSocket::recv`]): without a word it would count from its next turn only
            // (a heartbeat's, up to `ping_interval_secs` later), and a link nobody polls any
            // more would hold its client slot that much longer.
            self.poll_changed.notify_waiters();
        }
        Ok(answer)
    }

    /// When the last poll ended, or `None` while one waits (the client is there).
    fn idle_since(&self) -> Option<Instant> {
        if self.polling.load(Ordering::Relaxed) {
            return None;
        }
        let millis = self.last_poll_end.load(Ordering::Relaxed);
        Some(self.born + Duration::from_millis(millis))
    }
}

/// The session's end of an HTTP link.
pub struct HttpSocket {
    link: Arc<HttpLink>,
    upstream: mpsc::Receiver<Incoming>,
    /// SSE: the stream, and the bytes fed since the last flush.
    sse: Option<(mpsc::Sender<Bytes>, Vec<u8>)>,
    backlog: usize,
    patience: Duration,
}

impl Socket for HttpSocket {
    fn rung(&self) -> Rung {
        self.link.rung()
    }

    fn link_id(&self) -> Option<String> {
        Some(self.link.id.clone())
    }

    fn last_event_id(&self) -> Option<u64> {
        self.link.last_event_id
    }

    async fn recv(&mut self) -> Option<Result<Incoming, Gone>> {
        loop {
            match &self.sse {
                Some((stream, _)) => {
                    return tokio::select! {
                        incoming = self.upstream.recv() => incoming.map(Ok),
                        // The client went away: hyper dropped the stream's reader.
                        () = stream.closed() => None,
                    };
                }
                None => {
                    let patience = self.patience;
                    // Listening before looking: a poll that ends between the two still wakes
                    // this (`poll` notifies as it ends).
                    let changed = self.link.poll_changed.notified();
                    tokio::pin!(changed);
                    changed.as_mut().enable();
                    let idle = self.link.idle_since();
                    let dead_at = idle.map(|since| since + patience);
                    return tokio::select! {
                        incoming = self.upstream.recv() => incoming.map(Ok),
                        () = sleep_until_option(dead_at) => {
                            // A poll may have come and gone meanwhile: look again.
                            match self.link.idle_since() {
                                Some(since) if since + patience <= Instant::now() => {
                                    Some(Ok(Incoming::Dead))
                                }
                                _ => continue,
                            }
                        }
                        // A poll is under way: wait for it to end, then count from its end.
                        () = &mut changed, if idle.is_none() => continue,
                    };
                }
            }
        }
    }

    async fn feed(&mut self, text: String, seq: Option<u64>) -> Result<(), Gone> {
        match &mut self.sse {
            Some((_, buffer)) => {
                if let Some(seq) = seq {
                    buffer.extend_from_slice(format!("id: {seq}\n").as_bytes());
                }
                buffer.extend_from_slice(b"data: ");
                buffer.extend_from_slice(text.as_bytes());
                buffer.extend_from_slice(b"\n\n");
                Ok(())
            }
            None => {
                loop {
                    let room = self.link.poll_changed.notified();
                    tokio::pin!(room);
                    room.as_mut().enable();
                    {
                        let mut state = self.link.state();
                        if state.frames.len() < self.backlog {
                            state.frames.push_back(text);
                            break;
                        }
                    }
                    // Full: wait for a poll to take some (the session's write patience bounds
                    // this; a client that stops polling is closed as too slow).
                    room.await;
                }
                Ok(())
            }
        }
    }

    async fn flush(&mut self) -> Result<(), Gone> {
        match &mut self.sse {
            Some((stream, buffer)) => {
                if buffer.is_empty() {
                    return Ok(());
                }
                let chunk = Bytes::from(std::mem::take(buffer));
                stream.send(chunk).await.map_err(|_| gone())
            }
            None => {
                self.link.poll_changed.notify_waiters();
                Ok(())
            }
        }
    }

    async fn ping(&mut self) -> Result<bool, Gone> {
        Ok(false)
    }

    async fn close(&mut self, code: u16, reason: &str) -> Result<(), Gone> {
        let _ = self.link.close.set((code, reason.to_owned()));
        let result = match &mut self.sse {
            Some((_, buffer)) => {
                let data = serde_json::json!({ "code": code, "reason": reason });
                buffer.extend_from_slice(format!("event: close\ndata: {data}\n\n").as_bytes());
                self.flush().await
            }
            None => Ok(()),
        };
        self.link.closed.cancel();
        self.link.poll_changed.notify_waiters();
        result
    }
}

impl Drop for HttpSocket {
    fn drop(&mut self) {
        // However the session ended, the link takes no more messages and its polls answer.
        self.link.closed.cancel();
        self.link.poll_changed.notify_waiters();
    }
}

/// The open HTTP links, by id.
#[derive(Default)]
pub struct Links {
    links: DashMap<String, Arc<HttpLink>>,
}

impl Links {
    pub fn insert(&self, link: Arc<HttpLink>) {
        self.links.insert(link.id.clone(), link);
    }

    pub fn get(&self, id: &str) -> Option<Arc<HttpLink>> {
        self.links.get(id).map(|l| l.clone())
    }

    pub fn remove(&self, id: &str) {
        self.links.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(25);

    fn poll_link() -> (Arc<HttpLink>, HttpSocket) {
        HttpLink::open(
            "link".into(),
            LinkKind::Poll,
            None,
            None,
            4,
            Duration::from_secs(30),
        )
    }

    async fn write(socket: &mut HttpSocket, texts: &[&str]) {
        for text in texts {
            socket.feed((*text).to_owned(), None).await.unwrap();
        }
        socket.flush().await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_takes_what_was_written_and_the_next_acknowledges_it() {
        let (link, mut socket) = poll_link();
        write(&mut socket, &["a", "b"]).await;
        let first = link.poll(1, WAIT).await.unwrap();
        assert_eq!(first.messages, ["a", "b"]);
        assert_eq!(first.next, 3);
        // The answer was lost: the same `next` gets the same messages again.
        let again = link.poll(1, WAIT).await.unwrap();
        assert_eq!(again.messages, ["a", "b"]);
        // Acknowledged: they are gone, and a poll with nothing to take waits, then answers empty.
        let empty = link.poll(3, WAIT).await.unwrap();
        assert!(empty.messages.is_empty());
        assert_eq!((empty.next, empty.closed), (3, None));
        assert!(matches!(
            link.poll(9, WAIT).await,
            Err(PollRefused::Ahead {
                next: 9,
                written: 3
            })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_poll_answers_as_soon_as_a_message_is_written() {
        let (link, mut socket) = poll_link();
        let waiting = tokio::spawn({
            let link = link.clone();
            async move { link.poll(1, WAIT).await.unwrap() }
        });
        tokio::task::yield_now().await;
        write(&mut socket, &["offer"]).await;
        let answer = waiting.await.unwrap();
        assert_eq!(answer.messages, ["offer"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newer_poll_answers_the_older_one_empty() {
        let (link, _socket) = poll_link();
        let older = tokio::spawn({
            let link = link.clone();
            async move { link.poll(1, WAIT).await.unwrap() }
        });
        tokio::task::yield_now().await;
        let newer = tokio::spawn({
            let link = link.clone();
            async move { link.poll(1, Duration::from_millis(10)).await.unwrap() }
        });
        let older = older.await.unwrap();
        assert!(older.messages.is_empty());
        assert!(newer.await.unwrap().messages.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_close_is_told_after_the_last_message_is_taken() {
        let (link, mut socket) = poll_link();
        write(&mut socket, &["bye"]).await;
        socket.close(4008, "too slow").await.unwrap();
        let last = link.poll(1, WAIT).await.unwrap();
        assert_eq!(last.messages, ["bye"]);
        assert_eq!(last.closed, Some((4008, "too slow".to_owned())));
        assert!(link.is_closed());
        drop(socket);
        assert!(!link.send(Incoming::Text("late".into())).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_link_not_polled_for_its_patience_is_dead() {
        let (link, mut socket) = poll_link();
        link.poll(1, Duration::ZERO).await.unwrap();
        let incoming = socket.recv().await;
        assert!(matches!(incoming, Some(Ok(Incoming::Dead))), "{incoming:?}");
    }

    /// The session waits in `recv` while a poll is under way; once that poll ends and none
    /// follows, the link is dead its patience later, with nothing else waking the session.
    #[tokio::test(start_paused = true)]
    async fn a_link_is_dead_its_patience_after_its_last_poll_ends() {
        let (link, mut socket) = poll_link();
        let polling = tokio::spawn({
            let link = link.clone();
            async move { link.poll(1, Duration::from_secs(5)).await.unwrap() }
        });
        tokio::task::yield_now().await;
        let started = Instant::now();
        let incoming = tokio::time::timeout(Duration::from_secs(60), socket.recv())
            .await
            .expect("found dead, not waiting for another poll or a write");
        assert!(matches!(incoming, Some(Ok(Incoming::Dead))), "{incoming:?}");
        polling.await.unwrap();
        // The poll waited 5 s, then the link's patience (30 s) ran from its end.
        assert_eq!(started.elapsed(), Duration::from_secs(35));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_backlog_waits_for_a_poll() {
        let (link, mut socket) = poll_link();
        write(&mut socket, &["1", "2", "3", "4"]).await;
        let fifth = tokio::spawn(async move {
            socket.feed("5".into(), None).await.unwrap();
            socket.flush().await.unwrap();
            socket
        });
        tokio::task::yield_now().await;
        assert!(!fifth.is_finished(), "the backlog holds four");
        let taken = link.poll(1, WAIT).await.unwrap();
        assert_eq!(taken.messages, ["1", "2", "3", "4"]);
        link.poll(taken.next, Duration::ZERO).await.unwrap();
        let _socket = fifth.await.unwrap();
        assert_eq!(link.poll(5, WAIT).await.unwrap().messages, ["5"]);
    }
}
