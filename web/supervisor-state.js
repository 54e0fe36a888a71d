// supervisor-state.js: what the supervisor's console knows and what it offers, as pure
// functions of the server's messages. The view holds every agent of the tenant (state, pending
// state, queues, phone), every call in the ACD, each queue's statistics and the totals, rebuilt from
// the snapshot that `subscribe` brings and kept up by the events after it; `reduce` takes one
// event and returns the next view (the same one when the event changes nothing, as any event
// before `subscribe` does). `agentActions` and `callActions` say which of the supervisor's
// actions an agent's state or a call's place allows, and the *Command functions build them.
// A queue serves one lane per channel it routes (`voice`, or a messaging channel such as
// `chat`), each with its own statistics: they are kept by lane (`laneKey`), and the queue table
// has a row per lane (`lanes`). A lane of conversations also has its places and first response
// (`conversationFigures`).
// Each queue's calls also have a staffing figure, the `what_if` of protocol.md (Erlang C, or
// Erlang A when callers are seen to hang up, from the voice lane's rolling window): the agents
// it needs and what the agents working now get, and what a supposed number of agents (or of
// calls an hour) would get. The view keeps the answers per queue and which ask is in flight
// (`staffingAsked`, `staffingAnswered`: at most one per queue), and `staffingView` says them
// in words.
// No DOM, no network, no clock (times come in as arguments): supervisor.js draws what this
// module says, and Node tests it as it is (tests/browser/supervisor-state.test.mjs). What it
// says is in the language of the translator `t` the functions that word something take last
// (i18n.js, with supervisor-messages.js); English without one.

import {
  BUSY_STATES,
  STATE_LABELS,
  VOICE,
  alertOf,
  formatDuration,
  laneKey,
  lanesOf,
  namesById,
  phoneIssue,
  queuesServing,
  reasonName,
  secondsSince,
  setBy,
  stateLabel,
  waitAlert,
} from "./format.js";
import { translator } from "./i18n.js";
import { SUPERVISOR_MESSAGES } from "./supervisor-messages.js";

export { VOICE, laneKey } from "./format.js";
export { SUPERVISOR_MESSAGES } from "./supervisor-messages.js";

/** The console's words in English: the translator of a caller that passes none. */
const ENGLISH = translator({ messages: SUPERVISOR_MESSAGES });

/** Why a call changed queue (`call_state`'s `reason`) that the console says in words (`calls.from.<reason>`). */
export const QUEUE_CHANGES = Object.freeze(["max_wait", "escalation", "moved"]);
const CALL_ORDER = { waiting: 0, ringing: 1, connected: 2 };
/** How many ended calls the console remembers (an agent in wrap-up still shows its call). */
export const RECENT_CALLS = 1000;

/** The console before any session. Plain data, never changed in place. */
export function emptyView() {
  return Object.freeze({
    /** The AuthResult of the session, or null. */
    session: null,
    /** The key of the tenant lists the rows were built from (rebuilt only when it changes). */
    structureKey: null,
    /** Names by id, from the AuthResult. */
    names: Object.freeze({ agents: new Map(), queues: new Map(), reasons: new Map() }),
    /** subscribe sent in this session: its snapshot is arriving. */
    subscribing: false,
    /** The ack of subscribe came: the view is complete and live. */
    subscribed: false,
    /** When the view was last complete and live (ms since the epoch), for the stale notice. */
    liveAt: null,
    /** Agent id -> what agent_state and pending_state said. */
    agents: new Map(),
    /** Call id -> the call's latest call_state, while the call is in the ACD. */
    calls: new Map(),
    /** Call id -> the last call_state of recent calls, kept after call_left (an agent in wrap-up). */
    recentCalls: new Map(),
    /** Lane key (`laneKey`: a queue and a channel) -> the lane's latest queue_stats. */
    queueStats: new Map(),
    /** The latest tenant_stats, or null. */
    tenantStats: null,
    /** Queue id -> its staffing (`staffingOf`): the what-if's answers, the what-if set, the ask in flight. */
    staffing: new Map(),
    /** Agent id -> the supervisors on its call now (`{supervisor, mode}`), from `monitoring`. */
    monitors: new Map(),
    /** Agent id -> its day so far as `agents_today` last said (handled, aht_secs, occupancy_percent, time_in_state). */
    days: new Map(),
    /** The message on the tenant's wallboards (`ticker`): `{text, by, at}`, or null when none is set. */
    ticker: null,
    /** A `ticker` came since `subscribe` was sent: its snapshot had one (`subscribed`). */
    tickerSeen: false,
    /** The tenant's displays as `list_displays` last said (`{name, created_by, created_at}`), or null before. */
    displays: null,
  });
}

const update = (view, changes) => Object.freeze({ ...view, ...changes });

/** Signed in (again): the AuthResult, whatever its role. */
export function signedIn(view, session) {
  return update(view, { session });
}

/** The session is a supervisor's: the console's tables are for it. */
export function isSupervisor(view) {
  return view.session?.role === "supervisor";
}

/** A resumed session keeps its subscription: what changed meanwhile came with the resume. */
export function keepsSubscription(view, session) {
  return Boolean(session.resumed) && view.subscribed;
}

/**
 * The tenant's lists from the AuthResult: names always; agents and statistics of agents and
 * lanes the tenant no longer has are dropped when the lists changed (`structureKey`, which
 * tells the page to build its rows again).
 */
export function arranged(view, session) {
  const key = JSON.stringify([session.tenant, session.agents, session.queues, session.not_ready_reasons]);
  const names = Object.freeze({
    agents: namesById(session.agents),
    queues: namesById(session.queues),
    reasons: namesById(session.not_ready_reasons),
  });
  if (key === view.structureKey) return update(view, { names });
  const known = new Set((session.agents ?? []).map((agent) => agent.id));
  const agents = new Map([...view.agents].filter(([id]) => known.has(id)));
  const lanes = new Set(lanesOf(session.queues).map((lane) => lane.key));
  const queueStats = new Map([...view.queueStats].filter(([key]) => lanes.has(key)));
  const voiceQueues = new Set(queuesServing(session.queues, VOICE).map(([id]) => id));
  const staffing = new Map([...view.staffing].filter(([id]) => voiceQueues.has(id)));
  return update(view, { names, structureKey: key, agents, queueStats, staffing });
}

/** `subscribe` was sent: its snapshot is arriving. */
export function subscribing(view) {
  return update(view, { subscribing: true, tickerSeen: false });
}

/**
 * `subscribe` was answered at `nowMs`: the view is complete and live. Its snapshot came before
 * the answer, with a `ticker` if a message is on the wallboards: one shown from before that no
 * `ticker` repeated was cleared meanwhile.
 */
export function subscribed(view, nowMs) {
  return update(view, { subscribed: true, liveAt: nowMs, ticker: view.tickerSeen ? view.ticker : null });
}

/** `subscribe` was refused (or its link dropped): no snapshot is coming. */
export function subscribeFailed(view) {
  return update(view, { subscribing: false });
}

/**
 * A new session's snapshot begins: it sends every call again (one that ended meanwhile must
 * not linger), and the view is not live until it is subscribed again. Agents and statistics
 * stay on show until the snapshot replaces them.
 */
export function reset(view) {
  return update(view, { subscribing: false, subscribed: false, calls: new Map() });
}

/** The connection is not live: the view is not either. */
export function notLive(view) {
  return view.subscribed ? update(view, { subscribed: false }) : view;
}

/** Whether the console is live: a live connection (`connected`) and the subscription answered. */
export function isLive(view, connected) {
  return connected && view.subscribed;
}

function rememberCall(recentCalls, call) {
  const next = new Map(recentCalls);
  next.delete(call.call);
  next.set(call.call, call);
  if (next.size > RECENT_CALLS) next.delete(next.keys().next().value);
  return next;
}

/**
 * The view after one event. Before `subscribe` nothing is the console's (a snapshot of another
 * session's subscription); after it, agent_state, pending_state, call_state, call_left,
 * queue_stats and tenant_stats. Anything else changes nothing.
 */
export function reduce(view, event) {
  if (!view.subscribing && !view.subscribed) return view;
  switch (event.type) {
    case "agent_state": {
      const previous = view.agents.get(event.agent);
      const agent = {
        state: event.state,
        since: event.since,
        reason: event.reason ?? null,
        call: event.call ?? null,
        on_hold: Boolean(event.on_hold),
        held_since: event.held_since ?? null,
        wrap_up_deadline: event.wrap_up_deadline ?? null,
        // A change of the phone alone (previous == state) keeps `since`, so the time in state
        // goes on, and who set the state.
        by: setBy(previous, event),
        device: event.device ?? null,
        queues: event.queues ?? previous?.queues ?? [],
        pending: previous?.pending ?? null,
        pendingBy: previous?.pendingBy ?? null,
      };
      return update(view, { agents: new Map(view.agents).set(event.agent, agent) });
    }
    case "pending_state": {
      const known = view.agents.get(event.agent) ?? { state: null, queues: [] };
      const agent = { ...known, pending: event.pending ?? null, pendingBy: event.by ?? null };
      return update(view, { agents: new Map(view.agents).set(event.agent, agent) });
    }
    case "call_state":
      return update(view, {
        calls: new Map(view.calls).set(event.call, event),
        recentCalls: rememberCall(view.recentCalls, event),
      });
    case "call_left": {
      if (!view.calls.has(event.call)) return view;
      const calls = new Map(view.calls);
      calls.delete(event.call);
      return update(view, { calls });
    }
    case "queue_stats":
      return update(view, { queueStats: new Map(view.queueStats).set(statsLane(event), event) });
    case "tenant_stats":
      return update(view, { tenantStats: event });
    case "ticker": {
      const ticker = event.text ? Object.freeze({ text: event.text, by: event.by, at: event.at }) : null;
      return update(view, { ticker, tickerSeen: true });
    }
    case "monitoring": {
      const others = (view.monitors.get(event.agent) ?? []).filter((m) => m.supervisor !== event.supervisor);
      const now = event.mode ? [...others, { supervisor: event.supervisor, mode: event.mode }] : others;
      const monitors = new Map(view.monitors);
      if (now.length) monitors.set(event.agent, now);
      else monitors.delete(event.agent);
      return update(view, { monitors });
    }
    default:
      return view;
  }
}

// --- What the view says -----------------------------------------------------------------------

export const agentName = (view, id) => view.names.agents.get(id) ?? id;
export const queueName = (view, id) => view.names.queues.get(id) ?? id;
export const reasonOf = (view, id, t = ENGLISH) => reasonName(view.names.reasons, id, t);

/** A pending state as the console says it: `Log out`, `Not ready · Lunch`, or "" for none. */
export function pendingLabel(view, pending, t = ENGLISH) {
  if (!pending) return "";
  if (pending.state === "logged_out") return t("agents.logOut");
  return t("agents.pendingNotReady", { state: stateLabel("not_ready", t), reason: reasonOf(view, pending.reason, t) });
}

/** What the console says of a phone that keeps calls away (`phoneIssue`), by `device`, in English. */
export const PHONE_LABELS = Object.freeze({ unregistered: ENGLISH("phone.unregistered"), in_use: ENGLISH("phone.in_use") });

/**
 * The badge of an agent's phone: `{device, label, title}` while the phone keeps calls away from
 * the logged-in agent (`phoneIssue`), or null (available, never reported, or explained by the
 * ACD's own call).
 */
export function phoneBadge(view, id, t = ENGLISH) {
  const agent = view.agents.get(id);
  const device = phoneIssue(agent?.state, agent?.device);
  return device === null ? null : { device, label: t(`phone.${device}`), title: t(`phone.${device}.title`) };
}

/** What is known of a call: while it is in the ACD, or as it last was. */
export function callDetails(view, id) {
  return view.calls.get(id) ?? view.recentCalls.get(id) ?? null;
}

/** The agents whose current call is `callId`. */
export function agentsOnCall(view, callId) {
  return [...view.agents].filter(([, agent]) => agent.call === callId).map(([id]) => id);
}

/**
 * An agent's row as the console shows it: state (`null` before the snapshot's), its name,
 * reason, who set it, the pending state, the agent's queues, and its current call.
 */
export function agentFacts(view, id, t = ENGLISH) {
  const agent = view.agents.get(id);
  const state = agent?.state ?? null;
  const call = agent?.call ? callDetails(view, agent.call) : null;
  return {
    state,
    label: state ? stateLabel(state, t) : "…",
    by: agent?.by ? t("agents.by", { who: agent.by }) : "",
    reason: state === "not_ready" ? reasonOf(view, agent.reason, t) : "",
    pending: agent?.pending ? pendingLabel(view, agent.pending, t) : null,
    pendingBy: agent?.pending && agent.pendingBy ? t("agents.by", { who: agent.pendingBy }) : null,
    queues: (agent?.queues ?? []).map((queue) => queueName(view, queue)).join(", "),
    call: agent?.call
      ? { id: agent.call, caller: call?.caller ?? null, onHold: agent.on_hold, queue: call?.queue ? queueName(view, call.queue) : null }
      : null,
  };
}

/** The words an agent's row is found by with the filter (lower case; its state in the console's language). */
export function agentSearchText(view, id, t = ENGLISH) {
  const agent = view.agents.get(id);
  return [
    agentName(view, id),
    id,
    agent?.state ? stateLabel(agent.state, t) : "",
    agent?.state === "not_ready" ? reasonOf(view, agent.reason, t) : "",
    phoneBadge(view, id, t)?.label ?? "",
    pendingLabel(view, agent?.pending, t),
    (agent?.queues ?? []).map((queue) => queueName(view, queue)).join(" "),
    agent?.call ?? "",
  ]
    .join(" ")
    .toLowerCase();
}

/** Whether a row with `searchText` matches the filter `query`: every word of it, anywhere. */
export function matchesFilter(searchText, query) {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return terms.length === 0 || terms.every((term) => (searchText ?? "").includes(term));
}

/**
 * The agents' heading: how many (or how many of them the filter shows) and how many are in
 * each state. `ids` are the tenant's agents, `shown` how many rows the filter leaves.
 */
export function agentCountText(view, ids, shown, t = ENGLISH) {
  const total = ids.length;
  const counts = new Map();
  for (const id of ids) {
    const state = view.agents.get(id)?.state;
    if (state) counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const parts = Object.keys(STATE_LABELS)
    .filter((state) => counts.get(state))
    .map((state) => t(`agents.inState.${state}`, { count: counts.get(state) }));
  const head = shown === total ? t("agents.count", { count: total }) : t("agents.shown", { shown, total });
  return parts.length ? `${head} · ${parts.join(", ")}` : head;
}

/** An agent's clocks at `nowMs`: time in state, and what is left of a wrap-up. */
export function agentClock(view, id, nowMs, t = ENGLISH) {
  const agent = view.agents.get(id);
  if (!agent?.since) return { time: "–", extra: "" };
  const extra =
    agent.state === "wrap_up" && agent.wrap_up_deadline
      ? t("agents.left", { time: formatDuration(-secondsSince(agent.wrap_up_deadline, nowMs)) })
      : "";
  return { time: formatDuration(secondsSince(agent.since, nowMs)), extra };
}

/** The calls in the console's order: waiting first (highest priority, then longest wait), then ringing, then connected. */
export function callOrder(view) {
  const sortKey = (call) => [CALL_ORDER[call.status] ?? 3, call.status === "waiting" ? -(call.priority ?? 0) : 0];
  return [...view.calls.values()].sort((a, b) => {
    const [sa, pa] = sortKey(a);
    const [sb, pb] = sortKey(b);
    if (sa !== sb) return sa - sb;
    if (pa !== pb) return pa - pb;
    const ta = Date.parse(a.status === "waiting" ? a.entered_queue_at : a.arrived_at) || 0;
    const tb = Date.parse(b.status === "waiting" ? b.entered_queue_at : b.arrived_at) || 0;
    return ta - tb || (a.call < b.call ? -1 : a.call > b.call ? 1 : 0);
  });
}

// --- Sorting the tables ------------------------------------------------------------------------

/**
 * The columns a table sorts by: the Agents' by name, state and time in state; the Calls' by time
 * in queue and priority. A sort is `{key, descending}`; `null` (or an unknown key) keeps
 * the table's own order (the roster's; the calls' `callOrder`).
 */
export const SORT_KEYS = Object.freeze({
  agents: Object.freeze(["name", "state", "time"]),
  calls: Object.freeze(["wait", "priority"]),
});

/** The states in the order a sort by state shows them: who can take a call first, who is away last. */
export const STATE_SORT_ORDER = Object.freeze(["ready", "ringing", "on_call", "wrap_up", "not_ready", "logged_out"]);

const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });
const stateRank = (state) => {
  const rank = STATE_SORT_ORDER.indexOf(state);
  return rank === -1 ? STATE_SORT_ORDER.length : rank;
};

/** The sort after a click on column `key`'s header: by it ascending, or the other way round when it is the sort already. */
export function nextSort(sort, key) {
  if (sort?.key === key) return Object.freeze({ key, descending: !sort.descending });
  return Object.freeze({ key, descending: false });
}

/** A sort as kept in the page's storage (`text`, JSON), or null when none, unknown or unreadable. */
export function sortFromStorage(text, table) {
  try {
    const sort = JSON.parse(text ?? "null");
    if (!sort || !SORT_KEYS[table]?.includes(sort.key)) return null;
    return Object.freeze({ key: sort.key, descending: sort.descending === true });
  } catch {
    return null;
  }
}

/** What `aria-sort` says of column `key` under `sort`: "ascending", "descending", or null (not sorted by it). */
export function ariaSort(sort, key) {
  if (sort?.key !== key) return null;
  return sort.descending ? "descending" : "ascending";
}

/**
 * Agent `ids` in the order of `sort` (`{key, descending}`), a new array: by name; by state
 * (`STATE_SORT_ORDER`); by time in state at `nowMs` (shortest first: the latest `since` first).
 * Ties go by name then id, always ascending, so a reversed sort keeps
 * each state's agents in alphabetical order. No sort keeps `ids` as they are.
 */
export function sortAgents(view, ids, sort, nowMs) {
  if (!sort || !SORT_KEYS.agents.includes(sort.key)) return [...ids];
  const name = (id) => agentName(view, id);
  const byName = (a, b) => collator.compare(name(a), name(b)) || (a < b ? -1 : a > b ? 1 : 0);
  const seconds = (id) => {
    const since = view.agents.get(id)?.since;
    return since ? secondsSince(since, nowMs) : -Infinity;
  };
  const primary = {
    name: () => 0,
    state: (a, b) => stateRank(view.agents.get(a)?.state) - stateRank(view.agents.get(b)?.state),
    time: (a, b) => seconds(a) - seconds(b),
  }[sort.key];
  const sign = sort.descending ? -1 : 1;
  if (sort.key === "name") return [...ids].sort((a, b) => sign * byName(a, b));
  return [...ids].sort((a, b) => sign * primary(a, b) || byName(a, b));
}

/**
 * The calls (call_state messages) in the order of `sort`: by time in the current queue at
 * `nowMs` (a call not in a queue, connected, counts as 0), or by priority. Ties keep the console's
 * order (`callOrder`). No sort is `callOrder`.
 */
export function sortCalls(view, sort, nowMs) {
  const calls = callOrder(view);
  if (!sort || !SORT_KEYS.calls.includes(sort.key)) return calls;
  const wait = (call) =>
    call.status !== "connected" && call.entered_queue_at ? secondsSince(call.entered_queue_at, nowMs) : 0;
  const primary = sort.key === "wait" ? (a, b) => wait(a) - wait(b) : (a, b) => (a.priority ?? 0) - (b.priority ?? 0);
  const sign = sort.descending ? -1 : 1;
  const place = new Map(calls.map((call, index) => [call.call, index]));
  return calls.sort((a, b) => sign * primary(a, b) || place.get(a.call) - place.get(b.call));
}

/** The calls' heading: how many, and how many waiting, ringing and connected ("" for none). */
export function callCountText(view, t = ENGLISH) {
  const size = view.calls.size;
  if (size === 0) return "";
  const counts = { waiting: 0, ringing: 0, connected: 0 };
  for (const call of view.calls.values()) counts[call.status] = (counts[call.status] ?? 0) + 1;
  return t("calls.count", { count: size, waiting: counts.waiting, ringing: counts.ringing, connected: counts.connected });
}

/** A call's row as the console shows it. */
export function callFacts(view, id, t = ENGLISH) {
  const call = view.calls.get(id);
  if (!call) return null;
  const from = QUEUE_CHANGES.includes(call.reason) ? call.reason : "other";
  return {
    status: call.status,
    statusText: t.has(`calls.status.${call.status}`) ? t(`calls.status.${call.status}`) : call.status,
    onHold: Boolean(call.on_hold),
    queue: queueName(view, call.queue),
    queueNote: call.from_queue && call.reason ? t(`calls.from.${from}`, { queue: queueName(view, call.from_queue) }) : null,
    movedBy: call.by && call.reason === "moved" ? t("agents.by", { who: call.by }) : null,
    caller: call.caller ?? t("calls.unknownCaller"),
    agent: call.agent ? agentName(view, call.agent) : "–",
    priority: String(call.priority ?? 0),
    priorityBy: call.by && call.reason !== "moved" ? t("agents.by", { who: call.by }) : null,
  };
}

/** A call's clocks at `nowMs`: time in its current queue (not once connected), and since it arrived. */
export function callClock(view, id, nowMs) {
  const call = view.calls.get(id);
  const inQueue = call && call.status !== "connected" && call.entered_queue_at;
  return {
    inQueue: inQueue ? formatDuration(secondsSince(call.entered_queue_at, nowMs)) : "–",
    total: call?.arrived_at ? formatDuration(secondsSince(call.arrived_at, nowMs)) : "–",
  };
}

/** A queue's figures (or the totals', from `stats`) as the console shows them; "–" for none yet. */
export function queueFigures(stats, t = ENGLISH) {
  const n = (value) => (value === null || value === undefined ? "–" : t.number(value));
  const asa = stats?.today?.asa_secs;
  return {
    waiting: n(stats?.waiting),
    ringing: n(stats?.ringing),
    ready: n(stats?.agents?.ready),
    onCall: n(stats?.agents?.on_call),
    wrapUp: n(stats?.agents?.wrap_up),
    notReady: n(stats?.agents?.not_ready),
    loggedIn: n(stats?.agents?.logged_in),
    answered: n(stats?.today?.answered),
    abandoned: n(stats?.today?.abandoned),
    asa: asa === null || asa === undefined ? "–" : formatDuration(asa),
    level: stats?.waiting > 0 ? "some" : "none",
  };
}

/**
 * Today's service level against its target (none for the totals): the percentage, the verdict
 * (`on`, `below`, or `none` without a target or a figure), and the target's words.
 */
export function serviceLevel(percent, target, thresholdSecs, t = ENGLISH, interval = null) {
  const hasTarget = target !== null && target !== undefined;
  let sl = "none";
  if (percent !== null && hasTarget) sl = percent >= target ? "on" : "below";
  let targetText = null;
  if (hasTarget) {
    const words = { percent: Number(target), secs: thresholdSecs };
    targetText = t(thresholdSecs === null || thresholdSecs === undefined ? "serviceLevel.target" : "serviceLevel.targetIn", words);
  }
  const level = {
    sl,
    key: `${percent}|${target}|${thresholdSecs}`,
    value: t.percent(percent),
    verdict: sl === "none" ? null : t(`serviceLevel.${sl}`),
    target: targetText,
  };
  // The current quarter hour's beside today's, once it has one.
  if (interval === null || interval === undefined) return level;
  return { ...level, key: `${level.key}|${interval}`, interval: t("serviceLevel.interval", { percent: t.percent(interval) }) };
}

/** The lane a `queue_stats` is of: its queue and channel (`voice` where it names none). */
export function statsLane(event) {
  return laneKey(event.queue, event.channel ?? VOICE);
}

/**
 * The rows of the queue table: a lane of each queue in the tenant's order, `{key, id, name,
 * channel}` (a queue serving voice and chat has two rows, of one name, each with its channel).
 */
export function lanes(view) {
  return lanesOf(view.session?.queues);
}

/** The latest statistics of queue `id`'s lane of `channel`, or undefined before any. */
export function laneStats(view, id, channel = VOICE) {
  return view.queueStats.get(laneKey(id, channel));
}

/** Whether the tenant has a queue of conversations: then the queue table shows their own figures. */
export function routesConversations(view) {
  return (view.session?.queues ?? []).some((queue) => (queue.channel ?? VOICE) !== VOICE);
}

/** What the totals' row says of its channel when the tenant's queues route more than one: it sums them all. */
export const ALL_CHANNELS = "all channels";

/** The totals' channel: ALL_CHANNELS when the tenant's queues route more than one (the totals sum them), else that one. */
export function totalsChannelId(view) {
  const channels = new Set((view.session?.queues ?? []).map((queue) => queue.channel ?? VOICE));
  return channels.size > 1 ? ALL_CHANNELS : ([...channels][0] ?? VOICE);
}

/** A channel (or ALL_CHANNELS) as the queue table names it: voice and all channels in words, a messaging channel by its id ("chat"). */
export function channelName(channel, t = ENGLISH) {
  if (channel === ALL_CHANNELS) return t("channel.all");
  return channel === VOICE ? t("channel.voice") : channel;
}

/** The totals' channel in words: "all channels" when the tenant's queues route more than one (the totals sum them), else that one. */
export function totalsChannel(view, t = ENGLISH) {
  return channelName(totalsChannelId(view), t);
}

/**
 * A queue of conversations' own figures as the console shows them, from its `queue_stats`
 * (`conversations`; "–" for what is not known yet): the places its agents staff and hold now,
 * how many of them hold one, and today's first response within its threshold and on average.
 * Null for a queue of calls, and for the totals.
 */
export function conversationFigures(stats, channel = stats?.channel ?? VOICE, t = ENGLISH) {
  if (channel === VOICE) return null;
  const conversations = stats?.conversations ?? null;
  const today = conversations?.today ?? {};
  const present = (value) => value !== null && value !== undefined;
  const threshold = conversations?.first_response_threshold_secs;
  const average = today.average_first_response_secs;
  const holding = conversations?.agents_holding;
  const places = conversations?.places;
  const taken = conversations?.places_taken;
  return {
    places: present(places) && present(taken) ? t("places", { taken, places }) : "–",
    holding: present(holding) ? t("places.holding", { count: holding }) : "",
    firstResponse: t.percent(today.first_response_service_level_percent),
    firstResponseNote: [
      present(threshold) ? t("firstResponse.within", { secs: threshold }) : null,
      present(average) ? t("firstResponse.average", { duration: formatDuration(average) }) : null,
    ]
      .filter(Boolean)
      .join(" · "),
  };
}

/** How long the oldest call of `stats` has waited at `nowMs`, or "–". */
export function oldestWait(stats, nowMs) {
  const since = stats?.oldest_waiting_since;
  return since ? formatDuration(secondsSince(since, nowMs)) : "–";
}

// --- What the supervisor can do ---------------------------------------------------------------

/**
 * The supervisor's actions on an agent, while the console is `live`: each `enabled`, with the
 * words of its title where they change.
 *
 * - A logged-out agent (or one the snapshot has not told yet) gets none.
 * - A logged-in agent can be made not ready (with a reason) or logged out; while busy (ringing,
 *   on a call, in wrap-up) that sets what follows the call.
 * - Ready: not when already ready; a busy agent only to clear a pending state (its call stays).
 * - The pending state can be set only while busy, and cleared when there is one.
 */
export function agentActions(view, id, live, t = ENGLISH) {
  const agent = view.agents.get(id);
  const state = agent?.state;
  const loggedIn = Boolean(state) && state !== "logged_out";
  const busy = BUSY_STATES.has(state);
  const hasPending = Boolean(agent?.pending);
  return {
    ready: {
      enabled: live && loggedIn && state !== "ready" && !(busy && !hasPending),
      title: t(busy ? "agents.readyAfterCall" : "agents.readyNow"),
    },
    reason: { enabled: live && loggedIn },
    not_ready: { enabled: live && loggedIn, title: t(busy ? "agents.notReadyAfterCall" : "agents.notReadyTitle") },
    logout: { enabled: live && loggedIn, title: t(busy ? "agents.logOutAfterCall" : "agents.logOut") },
    pending: { enabled: live && busy },
    set_pending: { enabled: live && busy },
    clear_pending: { enabled: live && hasPending },
  };
}

// --- Supervisors on a call, agents' days, dispositions -----------------------------------------

/**
 * Whether agent `id` is too long in a state at `nowMs`, against the tenant's `alerts` (the
 * AuthResult's, in seconds): `{kind, words}` (`not_ready`, `wrap_up` or `hold`, and the words
 * for the row's title), or null.
 */
export function agentAlert(view, id, nowMs, t = ENGLISH) {
  const agent = view.agents.get(id);
  const alerts = view.session?.alerts;
  if (!agent || !alerts) return null;
  const over = (since, limit) => limit !== null && limit !== undefined && since && (nowMs - Date.parse(since)) / 1000 > limit;
  let kind = null;
  let limit = null;
  if (agent.state === "not_ready" && over(agent.since, alerts.not_ready_secs)) [kind, limit] = ["not_ready", alerts.not_ready_secs];
  else if (agent.state === "wrap_up" && over(agent.since, alerts.wrap_up_secs)) [kind, limit] = ["wrap_up", alerts.wrap_up_secs];
  else if (agent.state === "on_call" && agent.on_hold && over(agent.held_since, alerts.hold_secs)) [kind, limit] = ["hold", alerts.hold_secs];
  return kind ? { kind, words: t(`alert.${kind}`, { time: formatDuration(limit) }) } : null;
}

/**
 * How loud a lane's row is against its queue's `thresholds` (the AuthResult's, `[warning,
 * alarm]` each): the loudest of calls waiting, the longest wait at `nowMs` (without levels of
 * its own: its service level's threshold and twice it) and today's abandonment rate —
 * `none`, `raised` or `high`.
 */
export function queueAlert(view, queue, stats, nowMs) {
  if (!stats) return "none";
  const levels = (view.session?.queues ?? []).find((q) => q.id === queue && (q.channel ?? VOICE) === (stats.channel ?? VOICE))?.thresholds;
  const waited = stats.oldest_waiting_since ? (nowMs - Date.parse(stats.oldest_waiting_since)) / 1000 : null;
  const alerts = [
    alertOf(stats.waiting, levels?.waiting),
    waited === null ? "none" : waitAlert(waited, levels?.oldest_wait_secs, stats.service_level?.threshold_secs).alert,
    alertOf(stats.today?.abandonment_rate_percent, levels?.abandonment_percent),
  ];
  return ["high", "raised"].find((loud) => alerts.includes(loud)) ?? "none";
}

/** The monitoring modes, in the order the console offers them. */
export const MONITOR_MODES = ["listen", "whisper", "barge"];

/**
 * Who is on agent `id`'s call and what this supervisor may do about it: `shown` while the agent
 * is on a call; `text` names the supervisors on it and how ("Listening: boss"); `join` (a mode,
 * or another mode) while live and the agent on a call; `leave` while this supervisor is on it;
 * `mine` is this supervisor's mode, or null.
 */
export function monitorView(view, id, live, t = ENGLISH) {
  const onCall = view.agents.get(id)?.state === "on_call";
  const monitors = onCall ? (view.monitors.get(id) ?? []) : [];
  const me = view.session?.user ?? null;
  const mine = monitors.find((m) => m.supervisor === me)?.mode ?? null;
  return {
    shown: onCall,
    text: t.list(monitors.map((m) => t(`monitor.on.${m.mode}`, { who: m.supervisor }))),
    join: live && onCall,
    leave: live && mine !== null,
    mine,
  };
}

/** The command that puts this supervisor on agent `id`'s call in `mode`, or takes it off (`null`). */
export function monitorCommand(view, id, mode, t = ENGLISH) {
  const name = agentName(view, id);
  return mode
    ? { what: t(`monitor.do.${mode}`, { name }), type: "monitor", fields: { agent: id, mode } }
    : { what: t("monitor.do.leave", { name }), type: "end_monitor", fields: { agent: id } };
}

/**
 * The message on the wallboards as the console shows it (`live`: the console is live): the
 * text shown now ("" for none), the line under it (who set it and when, or that there is none,
 * in the translator's language), and whether Set and Clear may be pressed.
 */
export function tickerView(view, live, t = ENGLISH) {
  const ticker = view.ticker;
  const line = ticker ? t("ticker.shown", { who: ticker.by, time: t.time(Date.parse(ticker.at), { seconds: false }) }) : t("ticker.none");
  return { text: ticker?.text ?? "", line, set: live, clear: live && ticker !== null };
}

/**
 * The command that puts `text` on every wallboard of the tenant, or clears the message when it
 * is blank: the server trims it, and refuses one too long or of more than one line (`bad_ticker`).
 */
export function tickerCommand(text, t = ENGLISH) {
  return text.trim() === ""
    ? { what: t("ticker.do.clear"), type: "set_ticker", fields: { text: "" } }
    : { what: t("ticker.do.set"), type: "set_ticker", fields: { text } };
}

/** The displays `list_displays` answered with. */
export function withDisplays(view, result) {
  return update(view, { displays: Object.freeze([...(result?.displays ?? [])]) });
}

/**
 * The displays as the console lists them (`live`: the console is live): each one's name, who
 * made it and when in words, and whether Revoke may be pressed; `empty` says there are none.
 */
export function displaysView(view, live, t = ENGLISH) {
  const rows = (view.displays ?? []).map((display) => ({
    name: display.name,
    made: t("displays.made", { who: display.created_by, time: t.time(Date.parse(display.created_at), { seconds: false }) }),
    revoke: live,
  }));
  return { rows, empty: view.displays !== null && rows.length === 0, create: live };
}

/** The command that makes display `name` (the server checks the name: `bad_display_name`, `duplicate_display`). */
export function createDisplayCommand(name, t = ENGLISH) {
  const trimmed = name.trim();
  return { what: t("displays.do.create", { name: trimmed }), type: "create_display", fields: { name: trimmed } };
}

/** The command that revokes display `name`. */
export function revokeDisplayCommand(name, t = ENGLISH) {
  return { what: t("displays.do.revoke", { name }), type: "revoke_display", fields: { name } };
}

/**
 * The link a new display opens (`create_display`'s token in the fragment, which no server or
 * proxy log sees), on the server the console came from (`origin`).
 */
export function displayLink(origin, token) {
  return `${origin}/wallboard#display=${encodeURIComponent(token)}`;
}

/** The days `agents_today` answered with, one page at a time. */
export function withAgentsToday(view, page) {
  const days = new Map(view.days);
  for (const day of page?.agents ?? []) days.set(day.agent, day);
  return update(view, { days });
}

/** Agent `id`'s day in one line ("12 calls · AHT 3:12 · 78 % occupied"), or "" before it is known. */
export function dayLine(view, id, t = ENGLISH) {
  const day = view.days.get(id);
  if (!day) return "";
  const parts = [t("day.handled", { count: day.handled })];
  if (day.aht_secs !== null) parts.push(t("day.aht", { time: formatDuration(day.aht_secs) }));
  if (day.occupancy_percent !== null) parts.push(t("day.occupancy", { percent: t.percent(day.occupancy_percent, 0) }));
  return parts.join(" · ");
}

/**
 * A queue's calls handled today by disposition, in the order of its codes, then the codes it no
 * longer has and those handled without one: "Resolved 260 · Callback 58 · none 3"; "" when the
 * queue has no codes and nothing was counted.
 */
export function dispositionText(view, queue, stats, t = ENGLISH) {
  const counts = stats?.dispositions;
  if (!counts) return "";
  const codes = (view.session?.queues ?? []).find((q) => q.id === queue && (q.channel ?? VOICE) === VOICE)?.dispositions ?? [];
  const seen = new Set();
  const parts = [];
  for (const code of codes) {
    seen.add(code.id);
    parts.push(`${code.name} ${t.number(counts.today[code.id] ?? 0)}`);
  }
  for (const [code, count] of Object.entries(counts.today)) if (!seen.has(code)) parts.push(`${code} ${t.number(count)}`);
  if (codes.length === 0 && parts.length === 0) return "";
  parts.push(t("dispositions.none", { count: t.number(counts.none_today) }));
  return t("dispositions.today", { list: parts.join(" · ") });
}

/**
 * Where waiting work of `channel` (`voice` for a call) in `queue` may move: every other queue
 * with a lane of that channel, each once, as `[id, name]` in the tenant's order.
 */
export function moveTargets(view, queue, channel = VOICE) {
  return queuesServing(view.session?.queues, channel).filter(([id]) => id !== queue);
}

/**
 * The supervisor's actions on a call, while the console is `live`: only a waiting call can get
 * another priority or move, and only to another queue with a lane of its channel (`moveTargets`:
 * a call, to a queue with a voice lane).
 */
export function callActions(view, id, live) {
  const call = view.calls.get(id);
  const usable = Boolean(live && call?.status === "waiting");
  const targets = call ? moveTargets(view, call.queue, call.channel ?? VOICE) : [];
  return {
    priority: { enabled: usable },
    move: { enabled: usable && targets.length > 0 },
    moveTargets: targets,
  };
}

/**
 * The command of an action on agent `id`: `{ what, type, fields }` (`what` says it in words,
 * for the announcement or the refusal). `choice` is the reason (not_ready) or the pending state
 * chosen (set_pending: `not_ready:<reason>` or `logged_out`).
 */
export function agentCommand(view, id, action, choice, t = ENGLISH) {
  const name = agentName(view, id);
  switch (action) {
    case "ready":
      return { what: t("do.ready", { name }), type: "force_state", fields: { agent: id, state: "ready" } };
    case "not_ready":
      return {
        what: t("do.notReady", { name, reason: reasonOf(view, choice, t) }),
        type: "force_state",
        fields: { agent: id, state: "not_ready", reason: choice },
      };
    case "logout":
      return { what: t("do.logOut", { name }), type: "force_state", fields: { agent: id, state: "logged_out" } };
    case "set_pending": {
      const [state, reason] = String(choice).split(":");
      const fields = reason ? { agent: id, state, reason } : { agent: id, state };
      const pending = pendingLabel(view, reason ? { state, reason } : { state }, t);
      return { what: t("do.setPending", { name, pending }), type: "set_pending", fields };
    }
    case "clear_pending":
      return { what: t("do.clearPending", { name }), type: "clear_pending", fields: { agent: id } };
    default:
      throw new Error(`no supervisor action ${action} on an agent`);
  }
}

/**
 * The command that sets call `id`'s priority to what was typed, or `{ what, error }` when it is
 * not a whole number from 0 to 255.
 */
export function priorityCommand(id, text, t = ENGLISH) {
  const trimmed = String(text).trim();
  const priority = Number(trimmed);
  if (trimmed === "" || !Number.isInteger(priority) || priority < 0 || priority > 255) {
    return {
      what: t("do.priority", { call: id }),
      error: { code: "invalid_priority", message: t("priority.invalid") },
    };
  }
  return { what: t("do.priorityTo", { call: id, priority }), type: "set_call_priority", fields: { call: id, priority } };
}

/** The command that moves call `id` to `queue`, or null when no queue is chosen. */
export function moveCommand(view, id, queue, t = ENGLISH) {
  if (!queue) return null;
  return { what: t("do.move", { call: id, queue: queueName(view, queue) }), type: "move_call", fields: { call: id, queue } };
}

// --- Staffing: the what-if of each queue's calls ----------------------------------------------

/** How often the console asks each queue's staffing again while it is live, in seconds. */
export const STAFFING_REFRESH_SECS = 15;

/** How often the console asks for every agent's day (`agents_today`). */
export const DAYS_REFRESH_SECS = 30;
/** The most agents a what-if may suppose (protocol.md, `what_if`). */
export const MAX_WHAT_IF_AGENTS = 5000;
/** The most calls an hour a what-if may suppose. */
export const MAX_WHAT_IF_CALLS_PER_HOUR = 100000;

/**
 * A queue's staffing before anything is known. `now` is the latest answer for the queue as it
 * is; `then` the latest answer for the what-if (`delta` agents more or fewer than those working,
 * `callsPerHour` instead of the window's rate: null keeps it), asked for the what-if `thenFor`
 * (`whatIfKey`); `error` the last refusal; `asking` the ask in flight (`{kind, key, ticket}`);
 * `wanted` the asks to send when none is (`now`, `then`).
 */
const NO_STAFFING = Object.freeze({
  now: null,
  then: null,
  thenFor: null,
  error: null,
  delta: 0,
  callsPerHour: null,
  asking: null,
  wanted: Object.freeze([]),
});

/** The queues whose calls have a staffing figure: those with a voice lane, `[id, name]`, in the tenant's order. */
export function staffingQueues(view) {
  return queuesServing(view.session?.queues, VOICE);
}

/** Queue `queue`'s staffing (see NO_STAFFING). */
export function staffingOf(view, queue) {
  return view.staffing.get(queue) ?? NO_STAFFING;
}

function withStaffing(view, queue, changes) {
  const staffing = Object.freeze({ ...staffingOf(view, queue), ...changes });
  return update(view, { staffing: new Map(view.staffing).set(queue, staffing) });
}

const wanting = (wanted, kind) => Object.freeze(wanted.includes(kind) ? wanted : [...wanted, kind]);
const notWanting = (wanted, kind) => Object.freeze(wanted.filter((k) => k !== kind));

/** Whether a what-if is set: agents more or fewer, or calls an hour. */
export function hasWhatIf(staffing) {
  return staffing.delta !== 0 || staffing.callsPerHour !== null;
}

/** What a what-if supposes, as a key: the answer to an older one is shown as not current. */
export function whatIfKey(staffing) {
  return `${staffing.delta}|${staffing.callsPerHour ?? ""}`;
}

const clampAgents = (agents) => Math.min(MAX_WHAT_IF_AGENTS, Math.max(0, agents));

/**
 * The agents a what-if supposes: those working in `answer`, and `delta` more (or fewer), held to
 * 0 to 5,000. Null without an answer.
 */
export function whatIfAgents(answer, delta) {
  if (!answer) return null;
  return clampAgents(answer.agents_working + delta);
}

/**
 * Time to ask again: every queue with a voice lane wants its staffing as it is now (and, once
 * that is answered, its what-if, if one is set).
 */
export function staffingDue(view) {
  let next = view;
  for (const [id] of staffingQueues(view)) next = withStaffing(next, id, { wanted: wanting(staffingOf(next, id).wanted, "now") });
  return next;
}

/**
 * The what-if of `queue` changed: `delta` (agents more or fewer than those working) and/or
 * `callsPerHour` (a number, or null for the window's rate). With a what-if set, it is asked
 * (`nextStaffingRequest`); without one, its answer goes.
 */
export function whatIfChanged(view, queue, { delta, callsPerHour } = {}) {
  const staffing = staffingOf(view, queue);
  const next = {
    delta: delta === undefined ? staffing.delta : delta,
    callsPerHour: callsPerHour === undefined ? staffing.callsPerHour : callsPerHour,
  };
  if (next.delta === staffing.delta && next.callsPerHour === staffing.callsPerHour) return view;
  if (!hasWhatIf(next)) return withStaffing(view, queue, { ...next, then: null, thenFor: null, wanted: notWanting(staffing.wanted, "then") });
  return withStaffing(view, queue, { ...next, wanted: wanting(staffing.wanted, "then") });
}

/**
 * One agent more (`step` 1) or fewer (-1) in the what-if of `queue`: the agents supposed stay
 * within 0 to 5,000 of those working now. Nothing before the first answer.
 */
export function whatIfStepped(view, queue, step) {
  const staffing = staffingOf(view, queue);
  if (!staffing.now) return view;
  const agents = whatIfAgents(staffing.now, staffing.delta + step);
  return whatIfChanged(view, queue, { delta: agents - staffing.now.agents_working });
}

/**
 * What a typed number of calls an hour means: `{value}` (null for an empty field: the window's
 * rate), or `{error}` in words when it is not a number above 0 and at most 100,000.
 */
export function callsPerHourInput(text, t = ENGLISH) {
  const trimmed = String(text ?? "").trim();
  if (trimmed === "") return { value: null };
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value <= 0 || value > MAX_WHAT_IF_CALLS_PER_HOUR) {
    return { error: t("staffing.callsPerHourError") };
  }
  return { value };
}

/**
 * The `what_if` to send for `queue` now, `{kind, key, fields}`, or null: none while one is in
 * flight (one at a time per queue), none wanted, or a what-if wanted before the first answer
 * (the agents it supposes count from those working). `now` comes before `then`.
 */
export function nextStaffingRequest(view, queue) {
  const staffing = staffingOf(view, queue);
  if (staffing.asking) return null;
  if (staffing.wanted.includes("now")) return { kind: "now", key: null, fields: { queue } };
  if (!staffing.wanted.includes("then") || !hasWhatIf(staffing) || !staffing.now) return null;
  const fields = { queue };
  if (staffing.delta !== 0) fields.agents = whatIfAgents(staffing.now, staffing.delta);
  if (staffing.callsPerHour !== null) fields.calls_per_hour = staffing.callsPerHour;
  return { kind: "then", key: whatIfKey(staffing), fields };
}

/** `request` (from nextStaffingRequest) was sent for `queue`; its reply will name `ticket`. */
export function staffingAsked(view, queue, request, ticket) {
  const staffing = staffingOf(view, queue);
  return withStaffing(view, queue, {
    asking: Object.freeze({ kind: request.kind, key: request.key ?? null, ticket }),
    wanted: notWanting(staffing.wanted, request.kind),
  });
}

/**
 * The answer to the ask `ticket` of `queue` came (an ask of an earlier view, or of a what-if
 * since cleared, changes nothing it should not). An answer for the queue as it is wants the
 * what-if asked again, if one is set.
 */
export function staffingAnswered(view, queue, ticket, answer) {
  const staffing = staffingOf(view, queue);
  if (!staffing.asking || staffing.asking.ticket !== ticket) return view;
  if (staffing.asking.kind === "now") {
    const wanted = hasWhatIf(staffing) ? wanting(staffing.wanted, "then") : staffing.wanted;
    return withStaffing(view, queue, { now: answer, error: null, asking: null, wanted });
  }
  const kept = hasWhatIf(staffing);
  return withStaffing(view, queue, {
    then: kept ? answer : null,
    thenFor: kept ? staffing.asking.key : null,
    error: null,
    asking: null,
  });
}

/**
 * The ask `ticket` of `queue` was refused, or its connection dropped (then nothing is said: the
 * console is not live, and asks again when it is).
 */
export function staffingFailed(view, queue, ticket, error) {
  const staffing = staffingOf(view, queue);
  if (!staffing.asking || staffing.asking.ticket !== ticket) return view;
  const lost = error?.code === "offline" || error?.code === "connection_lost";
  const refusal = lost ? staffing.error : Object.freeze({ code: error?.code ?? "error", message: error?.message ?? String(error) });
  return withStaffing(view, queue, { asking: null, error: refusal });
}

/** "the last 15 minutes" ("den letzten 15 Minuten", as "in" and "from" take it): how long a window of `secs` counted. */
export function windowPeriod(secs, t = ENGLISH) {
  const seconds = Math.max(1, Math.round(secs ?? 0));
  if (seconds < 90) return seconds === 1 ? t("staffing.period.second") : t("staffing.period.seconds", { count: seconds });
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return t("staffing.period.minutes", { count: minutes });
  const hours = Math.round((seconds / 3600) * 10) / 10;
  return t("staffing.period.hours", { count: hours });
}

const agentsWord = (count, t) => t("staffing.agents", { count });

/** A rate of calls as a number: whole calls from 10 an hour on, one decimal below. */
const rateValue = (rate) => (rate >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10);

/** A rate of calls as the what-if's field takes it ("10.5"): the placeholder of the field. */
const rateFigure = (rate) => String(rateValue(rate));

/** A rate of calls in the console's language, ungrouped as typed: "12801", "7.5" ("7,5"). */
const rateText = (rate, t) => new Intl.NumberFormat(t.locale, { maximumFractionDigits: 1, useGrouping: false }).format(rateValue(rate));

/** "232 calls an hour" ("232 Anrufe pro Stunde"). */
export function callsPerHourText(rate, t = ENGLISH) {
  return t("staffing.callsPerHour", { count: rateValue(rate), rate: rateText(rate, t) });
}

/** The service-level target of a staffing answer: "80 % in 20 s". */
function targetText(answer, t) {
  const { target_percent: target, threshold_secs: threshold } = answer.service_level;
  return t("staffing.target", { percent: Number(target), secs: threshold });
}

/** How many agents the queue needs, in words (null without a model). */
function neededText(answer, t) {
  if (!answer.model) return null;
  const target = targetText(answer, t);
  if (answer.agents_needed !== null && answer.agents_needed !== undefined) {
    return t("staffing.needs", { agents: agentsWord(answer.agents_needed, t), target });
  }
  if (answer.service_level.target_percent >= 100) return t("staffing.noneEnough", { target });
  return t("staffing.needsMore", { max: MAX_WHAT_IF_AGENTS, target });
}

/**
 * An expected service level with one decimal, rounded down: 79.95 % is "79.9 %", so a figure
 * just short of an 80 % target never reads as reaching it (the agents needed would say 13 while
 * 12 showed "80.0 %").
 */
export function expectedServiceLevel(percent, t = ENGLISH) {
  if (percent === null || percent === undefined) return t.percent(percent);
  return t.percent(Math.floor(Math.round(percent * 100) / 10) / 10);
}

/** The figures the model expects: "79.9 % in 20 s, ASA 10.5 s, 11.5 % hang up" (no abandons under Erlang C). */
function expectedFigures(answer, t) {
  const expected = answer.expected;
  if (!expected) return null;
  const parts = [
    t("staffing.expectedLevel", { percent: expectedServiceLevel(expected.service_level_percent, t), secs: answer.service_level.threshold_secs }),
    t("staffing.expectedAsa", { secs: t.seconds(expected.asa_secs) }),
  ];
  if (expected.abandon_percent !== null && expected.abandon_percent !== undefined) {
    parts.push(t("staffing.hangUp", { percent: t.percent(expected.abandon_percent) }));
  }
  return parts.join(", ");
}

/**
 * A staffing answer in words:
 * - `headline`: the agents needed and working ("Needs 13 agents for 80 % in 20 s · 11 working"),
 *   or why there is no figure (`no_calls`, `no_handled_calls`, `no_agents`);
 * - `expected`: what the model expects with the agents of `inputs`, or why not (`overloaded`),
 *   or null; `expectedNote`: how busy the agents are and how many callers wait, or "";
 * - `model`: "Erlang A, from the last 15 minutes" (null without a model), and `modelTitle`, the
 *   figures it went by.
 */
export function staffingText(answer, t = ENGLISH) {
  if (!answer) return null;
  const period = windowPeriod(answer.window?.secs, t);
  const working = t("staffing.working", { count: answer.agents_working });
  const needed = answer.agents_needed ?? null;
  let headline;
  switch (answer.unavailable) {
    case "no_calls":
      headline = t("staffing.noCalls", { period });
      break;
    case "no_handled_calls":
      headline = t("staffing.noHandledCalls", { period });
      break;
    case "no_agents":
      headline = needed === null ? t("staffing.nobody") : t("staffing.nobodyNeeded", { agents: agentsWord(needed, t) });
      break;
    default:
      headline = `${neededText(answer, t) ?? "–"} · ${working}`;
  }
  let expected = expectedFigures(answer, t);
  if (answer.unavailable === "overloaded") expected = overloadedText(answer.inputs.agents, t);
  const figures = answer.expected;
  const expectedNote = figures
    ? t("staffing.busy", { occupancy: t.percent(figures.occupancy_percent), waiting: t.percent(figures.wait_percent) })
    : "";
  return {
    headline,
    expected,
    expectedNote,
    model: answer.model ? t("staffing.model", { model: MODEL_NAMES[answer.model] ?? answer.model, period }) : null,
    modelTitle: answer.model ? modelTitle(answer, t) : "",
  };
}

const overloadedText = (agents, t) => t("staffing.overloaded", { agents: agentsWord(agents, t) });

const MODEL_NAMES = Object.freeze({ erlang_a: "Erlang A", erlang_c: "Erlang C" });

function modelTitle(answer, t) {
  const { calls_per_hour: rate, aht_secs: aht, patience_secs: patience } = answer.inputs;
  const figures = [t("staffing.handle", { rate: callsPerHourText(rate, t), aht: t.seconds(aht) })];
  if (patience !== null && patience !== undefined) figures.push(t("staffing.patience", { patience: t.seconds(patience) }));
  const erlangs = answer.traffic_erlangs;
  const traffic = erlangs === null || erlangs === undefined ? "" : t("staffing.traffic", { erlangs });
  const why = t(answer.model === "erlang_a" ? "staffing.erlangA" : "staffing.erlangC");
  return t("staffing.modelTitle", { why, figures: figures.join(", "), traffic });
}

/**
 * A what-if's answer in words: `line` ("With 13 agents: 82.1 % in 20 s, ASA 8.0 s, 9.1 % hang
 * up", or why not), and `note`, the agents needed at the calls an hour supposed ("" when the
 * window's rate was kept).
 */
export function whatIfText(answer, supposedRate = null, t = ENGLISH) {
  if (!answer) return null;
  const agents = answer.inputs.agents;
  const period = windowPeriod(answer.window?.secs, t);
  let line;
  switch (answer.unavailable) {
    case "no_calls":
      line = t("staffing.whatIfNoCalls", { period });
      break;
    case "no_handled_calls":
      line = t("staffing.whatIfNoHandledCalls", { period });
      break;
    case "no_agents":
      line = t("staffing.whatIfNoAgents");
      break;
    case "overloaded":
      line = overloadedText(agents, t);
      break;
    default:
      line = t("staffing.whatIfWith", { agents: agentsWord(agents, t), figures: expectedFigures(answer, t) ?? "–" });
  }
  let note = "";
  if (supposedRate !== null && answer.model) {
    const needed = neededText(answer, t);
    const lowered = `${needed.charAt(0).toLocaleLowerCase(t.locale)}${needed.slice(1)}`;
    const rate = answer.inputs.calls_per_hour;
    note = t("staffing.whatIfAt", { count: rateValue(rate), rate: rateText(rate, t), needed: lowered });
  }
  return { line, note };
}

/** "+2", "−1" or "+0": the agents a what-if adds or takes away. */
export function deltaText(delta) {
  return delta < 0 ? `−${-delta}` : `+${delta}`;
}

/**
 * Queue `queue`'s staffing as the console shows it, with what its what-if controls allow while
 * the console is `live`:
 * - `state`: `waiting` (no answer yet), `answered`, `unavailable` (the answer says why not), or
 *   `error` (refused, and nothing older to show); `unavailable`: the answer's reason, or null;
 * - the words of `staffingText` (`headline`, `expected`, `expectedNote`, `model`, `modelTitle`),
 *   and `refusal`: the last refusal in words, or "";
 * - the what-if: `delta` ("+2"), `agents` (supposed, or null), `fewer`/`more`/`rate` (enabled),
 *   `ratePlaceholder` (the window's rate), and `whatIf` (`{line, note, current}`: `current`
 *   false while it answers an earlier what-if), or null and `whatIfHint` ("…" while the first
 *   answer to a what-if is awaited, else "").
 */
export function staffingView(view, queue, live, t = ENGLISH) {
  const staffing = staffingOf(view, queue);
  const answer = staffing.now;
  const text = staffingText(answer, t);
  const refusal = staffing.error ? t("staffing.refused", { message: staffing.error.message, code: staffing.error.code }) : "";
  let state = "answered";
  if (!answer) state = staffing.error ? "error" : "waiting";
  else if (answer.unavailable && answer.unavailable !== "overloaded") state = "unavailable";
  const agents = whatIfAgents(answer, staffing.delta);
  const rate = answer?.inputs?.calls_per_hour;
  const set = hasWhatIf(staffing);
  const then = set ? whatIfText(staffing.then, staffing.callsPerHour, t) : null;
  return {
    state,
    unavailable: answer?.unavailable ?? null,
    headline: text?.headline ?? (staffing.error ? t("staffing.unavailable") : "…"),
    expected: text?.expected ?? null,
    expectedNote: text?.expectedNote ?? "",
    model: text?.model ?? null,
    modelTitle: text?.modelTitle ?? "",
    refusal,
    delta: deltaText(staffing.delta),
    agents,
    fewer: Boolean(live && answer && agents > 0),
    more: Boolean(live && answer && agents < MAX_WHAT_IF_AGENTS),
    rate: Boolean(live && answer),
    ratePlaceholder: rate === null || rate === undefined ? "" : rateFigure(rate),
    whatIf: then ? { ...then, current: staffing.thenFor === whatIfKey(staffing) } : null,
    whatIfHint: set && !then ? "…" : "",
  };
}
