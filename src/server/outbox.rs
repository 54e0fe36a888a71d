//! A session's outbound queue and its handle, through which engines and the session itself
//! send to one client.
//!
//! The queue is bounded. Whoever finds it full closes the session as too slow (4008) rather than
//! wait for it or drop a message silently: an agent that misses an offer is worse off than one
//! that reconnects.
//!
//! The queue costs an idle session nothing: it allocates only while something waits in it, and
//! gives a burst's memory back once it is drained (tokio's channel kept a block of 32 slots,
//! 1.7 KB, from the start; BENCHMARKS.md, "Idle connections").
//!
//! Statistics do not go through the queue. Each session has one slot per queue it watches (and
//! one for the tenant's totals) holding the newest statistics not yet written: a newer update
//! replaces an unwritten older one (latest wins). A wallboard that reads slowly, or not at all,
//! therefore costs at most one payload per slot, and never falls behind by more than one update.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use crate::protocol::close;

/// One thing to write to the client.
#[derive(Debug)]
pub enum Outgoing {
    /// An event without its `seq`: the session numbers it as it writes.
    Event(Arc<str>),
    /// A snapshot: many events in one slot of the queue, so that a supervisor's view of a
    /// large tenant never counts as a client falling behind.
    Events(Vec<Arc<str>>),
    /// A subscription's snapshot. Statistics posted for that subscription are written only
    /// after it, whatever the timing ([`SessionHandle::take_stats`]).
    Snapshot {
        generation: u64,
        events: Vec<Arc<str>>,
    },
    /// A reply, greeting or heartbeat, written as is by the connection of `epoch`.
    Reply { epoch: u64, text: String },
    /// An engine's reply to a command the session forwarded on the connection of `epoch`:
    /// written as is, and one command fewer in flight.
    Answer { epoch: u64, text: String },
}

/// Why and how a session is being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

/// Which statistics a latest-wins slot holds. Slots are written in this order: queues in
/// configuration order, then the tenant's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StatsSlot {
    Queue(usize),
    Tenant,
}

/// A session's number inside the server: the engine and the fan-out know a session by it. It
/// is not the secret a client resumes the session with (`SessionSecret`), and not the number of
/// the connection carrying it now (`ConnectionNumber`): a resumed session keeps its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionNumber(pub u64);

impl std::fmt::Display for SessionNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The secret a client resumes its session with (`session` in the auth result and in `resume`).
/// Like a token it is never printed; logs and diagnostics show the [`SessionNumber`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionSecret(pub String);

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(<hidden>)")
    }
}

/// The sending side of one session. Cheap to share (`Arc`); every method is non-blocking.
#[derive(Debug)]
pub struct SessionHandle {
    pub number: SessionNumber,
    queue: Mutex<Queue>,
    /// Notified when something is queued, and when the session is asked to close: the
    /// session's loop waits on it ([`SessionHandle::queued`]).
    queued: Notify,
    /// How many may wait in `queue` before the session is closed as too slow: its role's
    /// limit.
    limit: AtomicUsize,
    /// Set once, when the session is asked to close; then `closed` wakes whoever waits for it
    /// ([`SessionHandle::closing`]). (A `CancellationToken` cost every session 112 bytes more.)
    close_reason: OnceLock<CloseReason>,
    closed: Notify,
    stats: Mutex<StatsSlots>,
    stats_posted: Notify,
    /// Counts the connections that have carried the session. A reply belongs to the connection
    /// its command came on: one that resumes the session does not get the replies meant for the
    /// connection it replaces (its client has given those commands up).
    epoch: AtomicU64,
}

/// What waits to be written, in order.
#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Outgoing>,
    /// The session's [`Outbox`] is gone: nothing queued from now on would be read.
    reader_gone: bool,
}

/// The receiving end of a session's queue, which only the session task reads.
#[derive(Debug)]
pub struct Outbox {
    handle: Arc<SessionHandle>,
}

impl Outbox {
    /// The next thing queued, if any.
    pub fn try_recv(&mut self) -> Option<Outgoing> {
        let mut queue = self.handle.lock_queue();
        let item = queue.items.pop_front();
        // Drained: the memory goes back (an allocation per burst, not per item).
        if queue.items.is_empty() && queue.items.capacity() > 0 {
            queue.items = VecDeque::new();
        }
        item
    }

    pub fn is_empty(&self) -> bool {
        self.handle.lock_queue().items.is_empty()
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        let mut queue = self.handle.lock_queue();
        queue.reader_gone = true;
        queue.items = VecDeque::new();
    }
}

/// The newest unwritten statistics per slot, in slot order, all of the current subscription.
#[derive(Debug, Default)]
struct StatsSlots {
    /// Counts subscriptions: a new one forgets what the old one had posted.
    generation: u64,
    entries: Vec<(StatsSlot, Arc<str>)>,
}

impl SessionHandle {
    /// A handle and the receiving end of its queue, which only the session task reads.
    /// `limit` is how many may wait until [`SessionHandle::set_limit`] says otherwise.
    pub fn new(number: SessionNumber, limit: usize) -> (Arc<SessionHandle>, Outbox) {
        let handle = Arc::new(SessionHandle {
            number,
            queue: Mutex::default(),
            queued: Notify::new(),
            limit: AtomicUsize::new(limit),
            close_reason: OnceLock::new(),
            closed: Notify::new(),
            stats: Mutex::new(StatsSlots::default()),
            stats_posted: Notify::new(),
            epoch: AtomicU64::new(0),
        });
        let outbox = Outbox {
            handle: handle.clone(),
        };
        (handle, outbox)
    }

    pub fn send_event(&self, payload: &Arc<str>) {
        self.push(Outgoing::Event(payload.clone()));
    }

    pub fn send_events(&self, payloads: Vec<Arc<str>>) {
        if !payloads.is_empty() {
            self.push(Outgoing::Events(payloads));
        }
    }

    /// A subscription's snapshot, from [`SessionHandle::new_subscription`]'s generation. Sent
    /// even when empty: it is what lets the subscription's statistics through.
    pub fn send_snapshot(&self, generation: u64, events: Vec<Arc<str>>) {
        self.push(Outgoing::Snapshot { generation, events });
    }

    pub fn send_reply(&self, text: String) {
        let epoch = self.epoch();
        self.push(Outgoing::Reply { epoch, text });
    }

    /// The reply to a command the session forwarded to an engine from the connection of `epoch`.
    pub fn send_answer(&self, epoch: u64, text: String) {
        self.push(Outgoing::Answer { epoch, text });
    }

    /// The connection carrying the session now.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// A new connection carries the session; returns its epoch.
    pub fn next_epoch(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The session's role is known: this many may wait from now on.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    /// How many may wait in the queue now.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, item: Outgoing) {
        {
            let mut queue = self.lock_queue();
            // The session is gone; whatever it was sent no longer has a reader.
            if queue.reader_gone {
                return;
            }
            if queue.items.len() >= self.limit.load(Ordering::Relaxed) {
                drop(queue);
                self.close(CloseReason {
                    code: close::SLOW_CONSUMER,
                    reason: "too slow: outbound queue full",
                });
                return;
            }
            queue.items.push_back(item);
        }
        self.queued.notify_one();
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, StatsSlots> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts statistics in their slot for the session to write. Returns true if they replaced
    /// statistics the session had not written yet (which are dropped: latest wins).
    pub fn post_stats(&self, slot: StatsSlot, payload: Arc<str>) -> bool {
        let replaced = {
            let entries = &mut self.slots().entries;
            match entries.binary_search_by_key(&slot, |(s, _)| *s) {
                Ok(at) => {
                    entries[at].1 = payload;
                    true
                }
                Err(at) => {
                    entries.insert(at, (slot, payload));
                    false
                }
            }
        };
        self.stats_posted.notify_one();
        replaced
    }

    /// Takes every unwritten statistics payload, in slot order, once the session has written
    /// the snapshot of the subscription they belong to (`written`, the generation of the last
    /// snapshot written); before that, nothing.
    pub fn take_stats(&self, written: u64) -> Vec<Arc<str>> {
        let mut slots = self.slots();
        if slots.generation > written {
            return Vec::new();
        }
        slots
            .entries
            .drain(..)
            .map(|(_, payload)| payload)
            .collect()
    }

    /// A new subscription: forgets what the old one posted and not written, and returns the
    /// generation its snapshot carries.
    pub fn new_subscription(&self) -> u64 {
        let mut slots = self.slots();
        slots.entries.clear();
        slots.generation += 1;
        slots.generation
    }

    /// Resolves when something was queued (or the session asked to close) since it last
    /// resolved.
    pub fn queued(&self) -> Notified<'_> {
        self.queued.notified()
    }

    /// Makes [`SessionHandle::queued`] resolve: a pass of the session's loop is due (what a
    /// pass left queued, or what a resumed session was sent while it was parked).
    pub fn pass_due(&self) {
        self.queued.notify_one();
    }

    /// Resolves when statistics were posted since it last resolved.
    pub fn stats_posted(&self) -> Notified<'_> {
        self.stats_posted.notified()
    }

    /// Asks the session to close with `reason`. The first reason given wins.
    pub fn close(&self, reason: CloseReason) {
        let _ = self.close_reason.set(reason);
        self.closed.notify_waiters();
        self.queued.notify_one();
    }

    /// Resolves when someone asked the session to close.
    pub async fn closing(&self) {
        let mut closed = std::pin::pin!(self.closed.notified());
        // Registered before the look, so a close between the two is not missed.
        closed.as_mut().enable();
        if self.close_reason.get().is_some() {
            return;
        }
        closed.await;
    }

    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason.get().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session's queue holds its role's limit: an agent's `outbound_queue`, a PBX's far more
    /// (`telephony_outbound_queue`, set once it signs in).
    #[test]
    fn the_queue_closes_a_session_at_its_roles_limit() {
        let payload: Arc<str> = Arc::from("{}");
        let (agent, _agent_queue) = SessionHandle::new(SessionNumber(1), 10);
        for _ in 0..10 {
            agent.send_event(&payload);
        }
        assert!(agent.close_reason().is_none(), "ten fit");
        agent.send_event(&payload);
        let reason = agent.close_reason().expect("the eleventh closes it");
        assert_eq!(reason.code, close::SLOW_CONSUMER);

        let (pbx, mut pbx_queue) = SessionHandle::new(SessionNumber(2), 10);
        pbx.set_limit(100);
        for _ in 0..100 {
            pbx.send_event(&payload);
        }
        assert!(
            pbx.close_reason().is_none(),
            "the PBX's limit holds a hundred"
        );
        pbx_queue.try_recv().unwrap();
        pbx.send_event(&payload);
        assert!(pbx.close_reason().is_none(), "a place read is a place free");
        pbx.send_event(&payload);
        assert!(
            pbx.close_reason().is_some(),
            "past its limit it is closed too"
        );
    }

    /// Nothing is allocated for an idle session's queue, and a drained burst gives its memory
    /// back; what is queued comes out in order.
    #[test]
    fn the_queue_holds_memory_only_while_something_waits() {
        let (handle, mut outbox) = SessionHandle::new(SessionNumber(1), 1_000);
        assert_eq!(handle.lock_queue().items.capacity(), 0);
        for n in 0..500 {
            handle.send_reply(n.to_string());
        }
        assert!(handle.lock_queue().items.capacity() >= 500);
        for n in 0..500 {
            match outbox.try_recv() {
                Some(Outgoing::Reply { text, .. }) => assert_eq!(text, n.to_string()),
                other => panic!("reply {n} expected, got {other:?}"),
            }
        }
        assert!(outbox.try_recv().is_none());
        assert_eq!(handle.lock_queue().items.capacity(), 0, "given back");
    }

    /// A waiter on `queued` wakes for what is queued after it started waiting, and for a close;
    /// `closing` resolves for a close asked before or after it started; once the session's end
    /// of the queue is gone nothing more is kept.
    #[tokio::test]
    async fn the_loop_wakes_for_a_later_push_and_a_close_and_a_dropped_outbox_keeps_nothing() {
        let (handle, mut outbox) = SessionHandle::new(SessionNumber(1), 10);
        let pusher = handle.clone();
        let push = tokio::spawn(async move {
            tokio::task::yield_now().await;
            pusher.send_reply("later".into());
        });
        handle.queued().await;
        match outbox.try_recv() {
            Some(Outgoing::Reply { text, .. }) => assert_eq!(text, "later"),
            other => panic!("the reply expected, got {other:?}"),
        }
        push.await.unwrap();
        assert!(outbox.is_empty());

        let (closed, _outbox) = SessionHandle::new(SessionNumber(2), 10);
        let closer = closed.clone();
        let close = tokio::spawn(async move {
            tokio::task::yield_now().await;
            closer.close(CloseReason {
                code: close::SLOW_CONSUMER,
                reason: "test",
            });
        });
        tokio::join!(closed.closing(), closed.queued());
        close.await.unwrap();
        closed.closing().await;
        assert_eq!(closed.close_reason().unwrap().reason, "test");

        drop(outbox);
        for _ in 0..100 {
            handle.send_reply("unread".into());
        }
        assert!(handle.lock_queue().items.is_empty());
        assert!(handle.close_reason().is_none(), "a gone reader is not slow");
    }
}
