//! Exact statistics: sums and counts per queue and per tenant, over four windows.
//!
//! Nothing here is a running average. Every figure a wallboard shows is derived at read time from
//! integer counts and millisecond sums, so the figures always agree with the raw numbers.
//!
//! Windows: `lifetime` (since the core started; what Prometheus counters need, never reset),
//! `today` (since local midnight), `interval` (the current 15-minute interval in local time) and
//! `rolling` (the last 15 minutes, exact to the millisecond). A sample counts in the window in
//! which its event happened: a call answered at 10:15:02 after waiting 30 s counts in the
//! 10:15 interval.
//!
//! Agent time (ready idle and handling, for occupancy) is integrated piecewise: the number of
//! agents in each state is constant between two agent state changes, so time is added when the
//! count changes, at a window boundary, and for the open piece at read time.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::agent::AgentStatusKind;
use super::figures::{Figures, Sample};
use super::histogram::QueueHistograms;
use super::ids::{DispositionCode, ReasonCode};
use super::rolling::RollingSamples;

/// How many agents are in each state, now. An agent in several queues counts in each.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentCounts {
    pub logged_in: u32,
    pub ready: u32,
    /// Reserved: an offer is ringing.
    pub ringing: u32,
    pub on_call: u32,
    pub wrap_up: u32,
    pub not_ready: u32,
    pub not_ready_by_reason: BTreeMap<ReasonCode, u32>,
}

/// Everything an agent state change touches in a scope, together in one cache line: the agent
/// counts by state and the cumulative agent time for occupancy.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct AgentTally {
    /// Agent time is added up to this instant (milliseconds since the epoch).
    integrated_to_ms: i64,
    /// Agent time since the core started, up to `integrated_to_ms`.
    ready_idle_ms: u64,
    handling_ms: u64,
    logged_in: u32,
    ready: u32,
    ringing: u32,
    on_call: u32,
    wrap_up: u32,
    not_ready: u32,
    /// A queue of conversations: its agents' places now (see [`Places`]) and their time since
    /// the core started, up to `integrated_to_ms`.
    #[serde(default)]
    places: Places,
    #[serde(default)]
    places_ms: u64,
    #[serde(default)]
    places_taken_ms: u64,
    #[serde(default)]
    holding_ms: u64,
}

/// One agent's places in a channel, or a scope's sum of them: what occupancy by capacity and
/// concurrency are integrated from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Places {
    /// Places staffed: an agent's capacity for the channel while its state and the
    /// cross-channel rules let it take new work of the channel (or what it holds, if more after
    /// a reload lowered it), and only what it holds while they do not (not ready, on a call
    /// under `voice_exclusive`, holding work of an exclusive channel).
    pub staffed: u32,
    /// Conversations held: offered, open, or closed and in wrap-up.
    pub taken: u32,
    /// Agents holding at least one (for one agent, 0 or 1).
    pub holding: u32,
}

impl Places {
    pub(crate) fn add(&mut self, other: Places, add: bool) {
        let f = |field: &mut u32, value: u32| {
            if add {
                *field += value;
            } else {
                *field -= value;
            }
        };
        f(&mut self.staffed, other.staffed);
        f(&mut self.taken, other.taken);
        f(&mut self.holding, other.holding);
    }
}

impl AgentTally {
    fn handling(&self) -> u32 {
        self.on_call + self.wrap_up
    }

    /// The counts that agent time accrues at: ready and idle, handling calls, and places.
    fn counts(&self, at_ms: i64) -> AgentChange {
        AgentChange {
            at_ms,
            ready_idle: self.ready,
            handling: self.handling(),
            places: self.places,
        }
    }

    /// Agent time since the core started, up to `integrated_to_ms`.
    fn time(&self) -> AgentTime {
        AgentTime {
            ready_idle: self.ready_idle_ms,
            handling: self.handling_ms,
            places: self.places_ms,
            places_taken: self.places_taken_ms,
            holding: self.holding_ms,
        }
    }

    fn change(&mut self, kind: AgentStatusKind, add: bool) {
        let counter = match kind {
            AgentStatusKind::LoggedOut => return,
            AgentStatusKind::NotReady => &mut self.not_ready,
            AgentStatusKind::Ready => &mut self.ready,
            AgentStatusKind::Ringing => &mut self.ringing,
            AgentStatusKind::OnCall => &mut self.on_call,
            AgentStatusKind::WrapUp => &mut self.wrap_up,
        };
        if add {
            *counter += 1;
            self.logged_in += 1;
        } else {
            *counter -= 1;
            self.logged_in -= 1;
        }
    }
}

/// Agent time in milliseconds (agent-milliseconds, place-milliseconds for places).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct AgentTime {
    ready_idle: u64,
    handling: u64,
    places: u64,
    places_taken: u64,
    holding: u64,
}

impl AgentTime {
    fn plus(self, o: AgentTime) -> AgentTime {
        AgentTime {
            ready_idle: self.ready_idle + o.ready_idle,
            handling: self.handling + o.handling,
            places: self.places + o.places,
            places_taken: self.places_taken + o.places_taken,
            holding: self.holding + o.holding,
        }
    }

    fn minus(self, o: AgentTime) -> AgentTime {
        AgentTime {
            ready_idle: self.ready_idle - o.ready_idle,
            handling: self.handling - o.handling,
            places: self.places - o.places,
            places_taken: self.places_taken - o.places_taken,
            holding: self.holding - o.holding,
        }
    }

    fn of(figures: &Figures) -> AgentTime {
        AgentTime {
            ready_idle: figures.ready_idle_ms,
            handling: figures.handling_ms,
            places: figures.places_ms,
            places_taken: figures.places_taken_ms,
            holding: figures.holding_ms,
        }
    }

    fn set(self, figures: &mut Figures) {
        figures.ready_idle_ms = self.ready_idle;
        figures.handling_ms = self.handling;
        figures.places_ms = self.places;
        figures.places_taken_ms = self.places_taken;
        figures.holding_ms = self.holding;
    }
}

fn count_reason(by_reason: &mut BTreeMap<ReasonCode, u32>, reason: &ReasonCode, add: bool) {
    if add {
        *by_reason.entry(reason.clone()).or_default() += 1;
    } else if let Some(count) = by_reason.get_mut(reason) {
        *count -= 1;
        if *count == 0 {
            by_reason.remove(reason);
        }
    }
}

/// From `at_ms` until the next change (or until `integrated_to_ms` for the last), this many agents
/// of a scope were ready and idle, this many were handling calls, and these were its places.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct AgentChange {
    at_ms: i64,
    ready_idle: u32,
    handling: u32,
    #[serde(default)]
    places: Places,
}

impl AgentChange {
    /// Agent time over `ms` milliseconds at these counts.
    fn agent_time(&self, ms: i64) -> AgentTime {
        let ms = ms.max(0) as u64;
        AgentTime {
            ready_idle: ms * self.ready_idle as u64,
            handling: ms * self.handling as u64,
            places: ms * self.places.staffed as u64,
            places_taken: ms * self.places.taken as u64,
            holding: ms * self.places.holding as u64,
        }
    }

    fn same_counts(&self, other: &AgentChange) -> bool {
        self.ready_idle == other.ready_idle
            && self.handling == other.handling
            && self.places == other.places
    }
}

/// Milliseconds from `from` to `to`, 0 if `to` is earlier.
pub(crate) fn millis_between(from: Timestamp, to: Timestamp) -> u64 {
    (to.as_millisecond() - from.as_millisecond()).max(0) as u64
}

/// The statistics of one scope: a queue, or the whole tenant.
///
/// Every figure is kept once, cumulatively since the core started, and each window is the
/// difference between the cumulative figures now and at the window's start: exact, and a call
/// event or an agent change touches one set of figures, not one per window.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Scope {
    /// Hot: touched on every agent state change.
    tally: AgentTally,
    /// Every change of the agent counts still inside the rolling window and the one before it,
    /// so that agent time in the last 15 minutes is exact to the millisecond. Before the first
    /// change ever, no agent of the scope was logged in.
    changes: VecDeque<AgentChange>,
    /// Cumulative agent time (idle, handling) at the first change in `changes`.
    changes_base_ms: (u64, u64),
    /// Cumulative place time (staffed, taken, holding) at the first change in `changes`.
    #[serde(default)]
    changes_base_places_ms: (u64, u64, u64),
    not_ready_by_reason: BTreeMap<ReasonCode, u32>,
    /// Call figures since the core started (agent time lives in `tally`).
    lifetime: Figures,
    /// Everything, agent time included, as it was when the day and the interval began.
    at_today_start: Figures,
    at_interval_start: Figures,
    /// Point samples still in the rolling window.
    rolling: Figures,
    /// Calls handled by disposition, today and since the core started.
    #[serde(default)]
    dispositions: Dispositions,
}

/// A queue's handled calls by the disposition their agent gave, today (since local midnight)
/// and since the core started. A call handled by two agents (a transfer) counts once for each.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dispositions {
    pub today: BTreeMap<DispositionCode, u64>,
    /// Handled today without a disposition.
    pub today_none: u64,
    pub lifetime: BTreeMap<DispositionCode, u64>,
    pub lifetime_none: u64,
}

impl Dispositions {
    fn count(&mut self, code: Option<&DispositionCode>) {
        match code {
            Some(code) => {
                *self.today.entry(code.clone()).or_default() += 1;
                *self.lifetime.entry(code.clone()).or_default() += 1;
            }
            None => {
                self.today_none += 1;
                self.lifetime_none += 1;
            }
        }
    }
}

impl Scope {
    fn new(now: Timestamp) -> Scope {
        Scope {
            tally: AgentTally {
                integrated_to_ms: now.as_millisecond(),
                ..AgentTally::default()
            },
            changes: VecDeque::new(),
            changes_base_ms: (0, 0),
            changes_base_places_ms: (0, 0, 0),
            not_ready_by_reason: BTreeMap::new(),
            lifetime: Figures::default(),
            at_today_start: Figures::default(),
            at_interval_start: Figures::default(),
            rolling: Figures::default(),
            dispositions: Dispositions::default(),
        }
    }

    /// Moves one agent from one state to another in this scope's counts.
    fn agent_moved(
        &mut self,
        now_ms: i64,
        window_start_ms: i64,
        from: (AgentStatusKind, Option<&ReasonCode>),
        to: (AgentStatusKind, Option<&ReasonCode>),
    ) {
        self.integrate(now_ms);
        self.tally.change(from.0, false);
        self.tally.change(to.0, true);
        if let Some(reason) = from.1.filter(|_| from.0 == AgentStatusKind::NotReady) {
            count_reason(&mut self.not_ready_by_reason, reason, false);
        }
        if let Some(reason) = to.1.filter(|_| to.0 == AgentStatusKind::NotReady) {
            count_reason(&mut self.not_ready_by_reason, reason, true);
        }
        self.counts_changed(now_ms, window_start_ms);
    }

    /// The agent places of this scope's channel moved from `from` to `to` (one agent's before
    /// and after).
    fn places_moved(&mut self, now_ms: i64, window_start_ms: i64, from: Places, to: Places) {
        self.integrate(now_ms);
        self.tally.places.add(from, false);
        self.tally.places.add(to, true);
        self.counts_changed(now_ms, window_start_ms);
    }

    /// Adds agent time up to `now_ms`, at the counts as they are.
    fn integrate(&mut self, now_ms: i64) {
        let tally = &mut self.tally;
        let more = tally
            .counts(tally.integrated_to_ms)
            .agent_time(now_ms - tally.integrated_to_ms);
        let time = tally.time().plus(more);
        tally.ready_idle_ms = time.ready_idle;
        tally.handling_ms = time.handling;
        tally.places_ms = time.places;
        tally.places_taken_ms = time.places_taken;
        tally.holding_ms = time.holding;
        tally.integrated_to_ms = tally.integrated_to_ms.max(now_ms);
    }

    /// Cumulative agent time at the first change in `changes`.
    fn changes_base(&self) -> AgentTime {
        let (ready_idle, handling) = self.changes_base_ms;
        let (places, places_taken, holding) = self.changes_base_places_ms;
        AgentTime {
            ready_idle,
            handling,
            places,
            places_taken,
            holding,
        }
    }

    fn set_changes_base(&mut self, base: AgentTime) {
        self.changes_base_ms = (base.ready_idle, base.handling);
        self.changes_base_places_ms = (base.places, base.places_taken, base.holding);
    }

    /// Notes the counts after a change at `now_ms` (already integrated up to it), and forgets
    /// the changes that ended before the rolling window.
    fn counts_changed(&mut self, now_ms: i64, window_start_ms: i64) {
        let change = self.tally.counts(now_ms);
        match self.changes.back_mut() {
            // Same counts as before (on call to wrap-up, hold): nothing changed for agent time.
            Some(last) if last.same_counts(&change) => return,
            Some(last) if last.at_ms == change.at_ms => *last = change,
            Some(_) => self.changes.push_back(change),
            None => {
                self.set_changes_base(self.tally.time());
                self.changes.push_back(change);
            }
        }
        while self.changes.len() >= 2 && self.changes[1].at_ms <= window_start_ms {
            let gone = self.changes[0].agent_time(self.changes[1].at_ms - self.changes[0].at_ms);
            self.set_changes_base(self.changes_base().plus(gone));
            self.changes.pop_front();
        }
    }

    /// Everything since the core started, agent time up to `now_ms`.
    fn cumulative(&self, now_ms: i64) -> Figures {
        let tally = &self.tally;
        let open = tally
            .counts(tally.integrated_to_ms)
            .agent_time(now_ms - tally.integrated_to_ms);
        let mut figures = self.lifetime.clone();
        tally.time().plus(open).set(&mut figures);
        figures
    }

    /// The window starts now: what has been counted so far belongs to earlier windows.
    fn start_window(&mut self, at: Timestamp, today: bool) {
        let at_ms = at.as_millisecond();
        self.integrate(at_ms);
        self.at_interval_start = self.cumulative(at_ms);
        if today {
            self.at_today_start = self.at_interval_start.clone();
            self.dispositions.today.clear();
            self.dispositions.today_none = 0;
        }
    }

    fn read(&self, now: Timestamp, starts: &WindowStarts, rolling_window: Duration) -> ScopeStats {
        let now_ms = now.as_millisecond();
        let lifetime = self.cumulative(now_ms);

        // Agent time in the rolling window: everything since the first remembered change, less
        // what of it lies before the window.
        let window_start = now - rolling_window;
        let window_start_ms = window_start.as_millisecond();
        let mut rolling = self.rolling.clone();
        let mut time = AgentTime::of(&lifetime).minus(self.changes_base());
        for (i, change) in self.changes.iter().enumerate() {
            if change.at_ms >= window_start_ms {
                break;
            }
            let end_ms = self.changes.get(i + 1).map_or(now_ms, |next| next.at_ms);
            time = time.minus(change.agent_time(end_ms.min(window_start_ms) - change.at_ms));
        }
        time.set(&mut rolling);
        let tally = &self.tally;
        ScopeStats {
            agents: AgentCounts {
                logged_in: tally.logged_in,
                ready: tally.ready,
                ringing: tally.ringing,
                on_call: tally.on_call,
                wrap_up: tally.wrap_up,
                not_ready: tally.not_ready,
                not_ready_by_reason: self.not_ready_by_reason.clone(),
            },
            places: tally.places,
            today: WindowFigures {
                start: starts.today,
                figures: lifetime.minus(&self.at_today_start),
            },
            interval: WindowFigures {
                start: starts.interval,
                figures: lifetime.minus(&self.at_interval_start),
            },
            rolling: WindowFigures {
                start: window_start,
                figures: rolling,
            },
            lifetime,
            dispositions: self.dispositions.clone(),
        }
    }
}

/// One window's figures and where the window starts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowFigures {
    pub start: Timestamp,
    pub figures: Figures,
}

/// A queue's or a tenant's statistics at one moment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScopeStats {
    pub agents: AgentCounts,
    /// A queue of conversations: its agents' places in its channel now (zero for a queue of
    /// calls and for the tenant).
    pub places: Places,
    /// Since the core started: what monotonic counters are made from.
    pub lifetime: Figures,
    pub today: WindowFigures,
    pub interval: WindowFigures,
    pub rolling: WindowFigures,
    /// Handled calls by disposition (a queue's; empty for the tenant).
    pub dispositions: Dispositions,
}

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct WindowStarts {
    today: Timestamp,
    interval: Timestamp,
}

/// All of a tenant's statistics: one scope per queue, one for the tenant.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stats {
    #[serde(with = "jiff::fmt::serde::tz::required")]
    time_zone: TimeZone,
    rolling_window: Duration,
    rolling_window_ms: i64,
    queues: Vec<Scope>,
    histograms: Vec<QueueHistograms>,
    tenant: Scope,
    /// Point samples in the rolling window: when each leaves it, and its queue.
    #[serde(serialize_with = "RollingSamples::serialize_listed")]
    rolling: RollingSamples,
    starts: WindowStarts,
    next_interval: Timestamp,
    next_midnight: Timestamp,
    /// The earlier of the two above: asked for on every command, so kept ready.
    next_boundary: Timestamp,
    /// When counting began (the core's first start; a restart replays from it). A snapshot
    /// written before this was kept reads as the epoch: its rolling window counts as full.
    #[serde(default)]
    started: Timestamp,
}

const INTERVAL: Duration = Duration::from_secs(15 * 60);

/// The start of the local 15-minute interval holding `now`. Time-zone offsets are whole quarter
/// hours and daylight-saving changes happen on one, so stepping back the local minutes and
/// seconds past the quarter lands on a real boundary, also across a change.
fn interval_start(now: Timestamp, time_zone: &TimeZone) -> Timestamp {
    let local = now.to_zoned(time_zone.clone());
    let past_quarter_ms = (local.minute() as i64 % 15) * 60_000
        + local.second() as i64 * 1000
        + local.subsec_nanosecond() as i64 / 1_000_000;
    Timestamp::from_millisecond(now.as_millisecond() - past_quarter_ms).expect("within range")
}

fn midnights(now: Timestamp, time_zone: &TimeZone) -> (Timestamp, Timestamp) {
    let local = now.to_zoned(time_zone.clone());
    let today = local.start_of_day().expect("start of day within range");
    let tomorrow = local
        .tomorrow()
        .and_then(|t| t.start_of_day())
        .expect("tomorrow within range");
    (today.timestamp(), tomorrow.timestamp())
}

impl Stats {
    /// Statistics for queues with these service-level thresholds.
    pub fn new(
        thresholds: impl ExactSizeIterator<Item = Duration>,
        time_zone: TimeZone,
        rolling_window: Duration,
        now: Timestamp,
    ) -> Stats {
        let (today, next_midnight) = midnights(now, &time_zone);
        let interval = interval_start(now, &time_zone);
        Stats {
            queues: (0..thresholds.len()).map(|_| Scope::new(now)).collect(),
            histograms: thresholds.map(QueueHistograms::new).collect(),
            tenant: Scope::new(now),
            rolling: RollingSamples::default(),
            starts: WindowStarts { today, interval },
            next_interval: interval + INTERVAL,
            next_midnight,
            next_boundary: next_midnight.min(interval + INTERVAL),
            started: now,
            time_zone,
            rolling_window_ms: rolling_window.as_millis() as i64,
            rolling_window,
        }
    }

    /// Counts a call event in the queue's and the tenant's windows.
    pub fn record(&mut self, now: Timestamp, queue: usize, sample: Sample) {
        for scope in [&mut self.queues[queue], &mut self.tenant] {
            scope.lifetime.apply(&sample, true);
            scope.rolling.apply(&sample, true);
        }
        self.histograms[queue].record(&sample);
        self.rolling.push(now + self.rolling_window, queue, sample);
    }

    /// A call's handling in `queue` ended with this disposition (or none).
    pub fn count_disposition(&mut self, queue: usize, code: Option<&DispositionCode>) {
        self.queues[queue].dispositions.count(code);
    }

    /// Moves one agent from one state to another in the counts of the tenant and of its queues.
    pub fn agent_moved(
        &mut self,
        now: Timestamp,
        queues: impl Iterator<Item = usize>,
        from: (AgentStatusKind, Option<&ReasonCode>),
        to: (AgentStatusKind, Option<&ReasonCode>),
    ) {
        let now_ms = now.as_millisecond();
        let window_start_ms = now_ms - self.rolling_window_ms;
        self.tenant.agent_moved(now_ms, window_start_ms, from, to);
        for queue in queues {
            self.queues[queue].agent_moved(now_ms, window_start_ms, from, to);
        }
    }

    /// One agent's places in a channel moved from `from` to `to`: counted in those of its queues
    /// that route the channel.
    pub fn places_moved(
        &mut self,
        now: Timestamp,
        queues: impl Iterator<Item = usize>,
        from: Places,
        to: Places,
    ) {
        let now_ms = now.as_millisecond();
        let window_start_ms = now_ms - self.rolling_window_ms;
        for queue in queues {
            self.queues[queue].places_moved(now_ms, window_start_ms, from, to);
        }
    }

    /// A queue added while the core runs: its figures start at `now`, and its wait histograms
    /// have a bucket at its threshold like those of the queues configured at the start.
    pub fn add_queue(&mut self, threshold: Duration, now: Timestamp) {
        self.queues.push(Scope::new(now));
        self.histograms.push(QueueHistograms::new(threshold));
    }

    /// An agent already logged in got a skill in `queue`: the queue counts it from now on, in
    /// the state it is in (the tenant counted it already).
    pub fn agent_joined(
        &mut self,
        now: Timestamp,
        queue: usize,
        state: (AgentStatusKind, Option<&ReasonCode>),
    ) {
        let now_ms = now.as_millisecond();
        let window_start_ms = now_ms - self.rolling_window_ms;
        self.queues[queue].agent_moved(
            now_ms,
            window_start_ms,
            (AgentStatusKind::LoggedOut, None),
            state,
        );
    }

    /// The queue's service-level threshold changed: its wait histograms get a bucket at the new
    /// one (see [`Histogram::add_bound`](super::histogram::Histogram::add_bound)).
    pub fn threshold_changed(&mut self, queue: usize, threshold: Duration) {
        self.histograms[queue].add_threshold(threshold);
    }

    /// The next instant at which a window rolls over or a sample leaves the rolling window.
    pub fn next_deadline(&self) -> Timestamp {
        match self.rolling.next_leaving() {
            Some(leaves) => self.next_boundary.min(leaves),
            None => self.next_boundary,
        }
    }

    /// Rolls windows over at `at` if it is a boundary, and drops samples that left the rolling
    /// window. Calls `changed` with every queue whose figures changed.
    pub fn advance(&mut self, at: Timestamp, mut changed: impl FnMut(usize)) {
        if at >= self.next_boundary {
            let midnight = at >= self.next_midnight;
            for scope in self
                .queues
                .iter_mut()
                .chain(std::iter::once(&mut self.tenant))
            {
                scope.start_window(self.next_boundary, midnight);
            }
            if midnight {
                (self.starts.today, self.next_midnight) = midnights(at, &self.time_zone);
            }
            self.starts.interval = interval_start(at, &self.time_zone);
            self.next_interval = self.starts.interval + INTERVAL;
            self.next_boundary = self.next_interval.min(self.next_midnight);
            (0..self.queues.len()).for_each(&mut changed);
        }
        let (queues, tenant) = (&mut self.queues, &mut self.tenant);
        self.rolling.pop_left(at, |queue, sample| {
            queues[queue].rolling.apply(&sample, false);
            tenant.rolling.apply(&sample, false);
            changed(queue);
        });
    }

    /// The zone the days and intervals are counted in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// When today began: the last local midnight.
    pub fn today_start(&self) -> Timestamp {
        self.starts.today
    }

    /// True when `at` is midnight or later and the per-agent daily counts must restart.
    pub fn is_new_day(&self, at: Timestamp) -> bool {
        at >= self.next_midnight
    }

    pub fn queue(&self, queue: usize, now: Timestamp) -> ScopeStats {
        self.queues[queue].read(now, &self.starts, self.rolling_window)
    }

    pub fn histograms(&self, queue: usize) -> &QueueHistograms {
        &self.histograms[queue]
    }

    pub fn tenant(&self, now: Timestamp) -> ScopeStats {
        self.tenant.read(now, &self.starts, self.rolling_window)
    }

    /// The part of the rolling window at `now` that was counted: from its start, or from when
    /// counting began if that is later (a core started five minutes ago has counted five
    /// minutes, not fifteen). A rate over the window divides by this.
    pub fn rolling_counted(&self, now: Timestamp) -> (Timestamp, Duration) {
        let start = (now - self.rolling_window).max(self.started).min(now);
        let span = now.duration_since(start).unsigned_abs();
        (start, span)
    }
}
