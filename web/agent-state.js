// agent-state.js: what the WebAgent knows and what it offers, as pure functions of the
// server's messages. The view is rebuilt from each session's events (`reset`, then the
// snapshot); `reduce` takes one event and returns the next view (the same one when the event
// changes nothing); `agentActions` says which of the page's actions the agent's state and call
// allow; `phoneNotice` says when the agent's phone, as the PBX reports it, keeps calls away;
// `focusAfter` and `guarded` keep the keyboard off the controls that end something (a press
// that comes within GUARD_MS of the previous action is not taken there). A held call's times
// (`callTimes`, from agent_state's `held_since` and `held_secs`): the hold timer runs from when
// the hold began, the talk timer pauses meanwhile. Words for what the agent did not do itself
// (`stateWhy`, `rejoinNote`): a supervisor's change, the ACD's, a reconnect.
// A queue serves one lane per channel it routes (its calls, its chats, ...): the waiting
// counts are kept per lane (`laneKey`), and a call or a conversation is offered as transfer
// targets only the queues with a lane of its channel. No DOM, no network, no clock (times come
// in as arguments): agent.js draws what this module says, and Node tests it as it is
// (tests/browser/agent-state.test.mjs). What it says is in the language of the translator `t`
// the functions that word something take last (i18n.js, with agent-messages.js); English
// without one.

import { AGENT_MESSAGES } from "./agent-messages.js";
import {
  BUSY_STATES,
  VOICE,
  formatDuration,
  laneCounts,
  laneKey,
  lanesOf,
  namesById,
  phoneIssue,
  queuesServing,
  reasonName,
  secondsSince,
  setBy,
  stateLabel,
} from "./format.js";
import { translator } from "./i18n.js";

export { AGENT_MESSAGES } from "./agent-messages.js";

/** The page's words in English: the translator of a caller that passes none. */
const ENGLISH = translator({ messages: AGENT_MESSAGES });

/**
 * An agent state's name as this page says it: the common one (common-messages.js), but for a
 * page where the ACD's log in and log out stand beside the page's sign-in and sign-out, whose
 * words say which (`acd.state.<state>`: in German "Nicht eingebucht", not "Abgemeldet").
 */
export function stateName(state, t = ENGLISH) {
  return t.has(`acd.state.${state}`) ? t(`acd.state.${state}`) : stateLabel(state, t);
}

/**
 * The view before any session. Plain data, never changed in place: every change makes a new
 * view (and a new Map where a Map changed).
 */
export function emptyView() {
  return Object.freeze({
    /** The agent this session is (the AuthResult's `agent`); null until signed in. */
    me: null,
    /** Names by id from the AuthResult: queues, agents, not-ready reasons, in the tenant's order. */
    names: Object.freeze({ queues: new Map(), agents: new Map(), reasons: new Map() }),
    /** The tenant's queues, a lane each (`{key, id, name, channel}`), in its order (the AuthResult's `queues`). */
    lanes: [],
    /** How many lanes each queue has, by id: a queue with several names each lane's channel. */
    laneCounts: new Map(),
    /** The tenant's agents from `list_agents` (`{id, name, state}`, in the tenant's order): the
     *  transfer targets. The AuthResult names only this agent; [] until the list comes. */
    directory: [],
    /** The last `agent_state` of this agent, or null before the snapshot's; with `device`, its
     *  phone as the PBX last reported it (absent until reported), and `by` kept across a change
     *  of a detail alone (`setBy`). */
    agent: null,
    /** The pending state (`{state, reason}`), or null; and the supervisor who set it. */
    pending: null,
    pendingBy: null,
    /** Calls this agent was offered or is on, by id: queue, caller, dialled, data, ring_deadline. */
    calls: new Map(),
    /** The last `queue_waiting` of each lane of the agent's queues, by lane key (`laneKey`). */
    queues: new Map(),
    /** What the page says of its last reconnect (`rejoinNote`), until the agent's state changes; or null. */
    rejoin: null,
    /** What the tenant calls attached data's keys (`data_labels`), key -> label, in its order. */
    dataLabels: new Map(),
    /** Every lane's waiting work and ready agents as `list_queues` last said, by lane key. */
    queuesNow: new Map(),
    /** The disposition codes of each queue's calls, by queue id (`{codes: [{id, name}], required}`),
     *  from the AuthResult: only queues that have codes. */
    dispositions: new Map(),
    /** The call this agent answered last and the queue it answered it in (`{call, queue}`): kept
     *  after the call left, for its wrap-up's dispositions; null before the first. */
    handled: null,
    /** What the tenant's telephony connector carries out beyond blind transfer (the AuthResult's
     *  `telephony`): the consultation and conference controls show only where true. */
    telephony: Object.freeze({ consult: false, conference: false }),
    /** The consultation going on that this agent is in, consulting (`agent`) or consulted
     *  (`with`): its last `consultation` event; null when there is none. */
    consult: null,
    /** The last consultation of this agent that ended (its `consultation` event), until the
     *  agent's next one or its state moves on: the page says how it ended. */
    consultEnded: null,
  });
}

/** The queues' disposition codes from the AuthResult's voice lanes, by queue id. */
function dispositionsOf(queues = []) {
  const found = new Map();
  for (const queue of queues ?? []) {
    if ((queue.channel ?? "voice") === "voice" && queue.dispositions?.length) {
      found.set(queue.id, { codes: queue.dispositions, required: Boolean(queue.disposition_required) });
    }
  }
  return found;
}

/** Signed in (again): who this agent is and the tenant's names, from the AuthResult. */
export function signedIn(view, session) {
  return Object.freeze({
    ...view,
    me: session.agent,
    names: Object.freeze({
      queues: namesById(session.queues),
      agents: namesById(session.agents),
      reasons: namesById(session.not_ready_reasons),
    }),
    lanes: lanesOf(session.queues),
    laneCounts: laneCounts(session.queues),
    dispositions: dispositionsOf(session.queues),
    dataLabels: new Map((session.data_labels ?? []).map(({ id, name }) => [id, name])),
    telephony: Object.freeze({
      consult: Boolean(session.telephony?.consult),
      conference: Boolean(session.telephony?.conference),
    }),
  });
}

/**
 * A new session's snapshot begins: everything the events said goes, the names stay (a sign-in
 * that fails leaves them on show). Who the agent is comes again with the session.
 */
export function reset(view) {
  return Object.freeze({
    ...view,
    me: null,
    agent: null,
    pending: null,
    pendingBy: null,
    calls: new Map(),
    queues: new Map(),
    consult: null,
    consultEnded: null,
  });
}

const withCall = (calls, id, call) => new Map(calls).set(id, call);

function withoutCall(calls, id) {
  if (!calls.has(id)) return calls;
  const next = new Map(calls);
  next.delete(id);
  return next;
}

/**
 * An event names no agent, or this one (any, until the session says who this is); a
 * consultation also concerns the agent it consults (`with`).
 */
function concernsMe(view, event) {
  if (event.type === "consultation" && view.me !== null && event.with === view.me) return true;
  return event.agent === undefined || view.me === null || event.agent === view.me;
}

/**
 * The view after one event. An agent's session hears only of its own agent, calls and queues;
 * an event about another agent, or of a kind this page does not show, changes nothing.
 */
export function reduce(view, event) {
  if (!concernsMe(view, event)) return view;
  const next = (changes) => Object.freeze({ ...view, ...changes });
  switch (event.type) {
    case "agent_state": {
      // A change of the phone alone (previous == state) comes as an agent_state too: `since`
      // stands, so the time in state goes on; who set the state stays said.
      const by = setBy(view.agent, event);
      return next({ agent: by === (event.by ?? null) ? event : { ...event, by } });
    }
    case "pending_state":
      return next({ pending: event.pending ?? null, pendingBy: event.by ?? null });
    case "offer":
      return next({ calls: withCall(view.calls, event.call, { ...event }) });
    case "offer_cancelled":
    case "call_left":
    case "call_transferred": {
      const calls = withoutCall(view.calls, event.call);
      return calls === view.calls ? view : next({ calls });
    }
    case "call_connected": {
      // Live, it follows the offer, which told who calls; in a snapshot (a reload mid-call) it
      // carries the caller itself.
      const known = view.calls.get(event.call) ?? { call: event.call, caller: null, dialled: null, data: {} };
      const caller = "caller" in event ? { caller: event.caller, dialled: event.dialled, data: event.data } : {};
      return next({
        calls: withCall(view.calls, event.call, { ...known, ...caller, queue: event.queue }),
        handled: event.agent === undefined || event.agent === view.me ? { call: event.call, queue: event.queue } : view.handled,
      });
    }
    case "queue_waiting":
      return next({ queues: new Map(view.queues).set(waitingLane(view, event), event) });
    case "consultation":
      return reduceConsultation(view, event, next);
    default:
      return view;
  }
}

/**
 * A consultation this agent is in. Consulted, the agent learns of the call from it alone: while
 * it rings it is this agent's offer (with who asks, `consultFrom`), and it stays this agent's
 * call only when the transfer completes (its `call_connected` follows and finds what is known).
 */
function reduceConsultation(view, event, next) {
  const consulted = event.with === view.me;
  if (event.status !== "ended") {
    // Ringing, and in a snapshot (a reload mid-consultation), the event names the caller; a
    // live step further does not, and what was known stays.
    const known = view.calls.get(event.call);
    const told = "caller" in event ? { caller: event.caller, dialled: event.dialled, data: event.data } : {};
    const calls =
      consulted && (event.status === "ringing" || "caller" in event)
        ? withCall(view.calls, event.call, {
            caller: null,
            dialled: null,
            data: {},
            ...known,
            ...told,
            call: event.call,
            queue: event.queue,
            ring_deadline: event.ring_deadline ?? known?.ring_deadline,
            consultFrom: event.agent,
          })
        : view.calls;
    return next({ consult: event, consultEnded: null, calls });
  }
  const calls = consulted && event.reason !== "transferred" ? withoutCall(view.calls, event.call) : view.calls;
  return next({ consult: null, consultEnded: event, calls });
}

/**
 * `reduce`, and what the page said of its last reconnect (`rejoinNote`), which a real change of
 * the agent's state (not of a detail alone) replaces.
 */
export function reduceAt(view, event) {
  const next = reduce(view, event);
  if (next === view || event.type !== "agent_state" || next.rejoin === null) return next;
  const changed = event.previous !== undefined && event.previous !== event.state;
  return changed ? Object.freeze({ ...next, rejoin: null }) : next;
}

/**
 * The call's times at `nowMs` (the server's clock), in ms, from the agent's state: `talkMs`, the
 * time on the call less the time on hold (it stands still while the caller is on hold);
 * `holdMs`, how long the hold going on has lasted (`held_since`; null when the caller is not on
 * hold); `heldMs`, all the call's time on hold (`held_secs`, the finished holds, and the one
 * going on). Null when the agent is not on a call.
 */
export function callTimes(view, nowMs) {
  const agent = view.agent;
  if (agent?.state !== "on_call") return null;
  const heldSince = agent.on_hold ? Date.parse(agent.held_since) : Number.NaN;
  const holdMs = agent.on_hold ? (Number.isFinite(heldSince) ? Math.max(0, nowMs - heldSince) : 0) : null;
  const heldMs = Math.round((agent.held_secs ?? 0) * 1000) + (holdMs ?? 0);
  const onCallMs = Math.max(0, nowMs - Date.parse(agent.since));
  return { talkMs: Math.max(0, onCallMs - heldMs), holdMs, heldMs };
}

/**
 * The lane a `queue_waiting` counts: its queue and `channel`; where it names none (a server from
 * before lanes), the queue's only channel.
 */
export function waitingLane(view, event) {
  const channel = event.channel ?? view.lanes.find((lane) => lane.id === event.queue)?.channel ?? VOICE;
  return laneKey(event.queue, channel);
}

// --- What the view says -----------------------------------------------------------------------

/** The agent's state: `logged_out` until the server says otherwise. */
export function agentState(view) {
  return view.agent?.state ?? "logged_out";
}

/** The offer ringing at the agent (with caller, data and `ring_deadline`), or null. */
export function ringingCall(view) {
  return agentState(view) === "ringing" ? (view.calls.get(view.agent.call) ?? null) : null;
}

/** The call the agent is on (what is known of it, at least its id), or null. */
export function connectedCall(view) {
  return agentState(view) === "on_call" ? (view.calls.get(view.agent.call) ?? { call: view.agent.call }) : null;
}

/** A queue's name, or its id. */
export function queueName(view, id) {
  return view.names.queues.get(id) ?? id;
}

/**
 * A not-ready reason's name: the tenant's, else the ACD's own (the one after a log in to the ACD
 * in this page's words, `acd.reason.<code>`, like `stateName`).
 */
export function reasonOf(view, reason, t = ENGLISH) {
  if (!view.names.reasons.has(reason) && t.has(`acd.reason.${reason}`)) return t(`acd.reason.${reason}`);
  return reasonName(view.names.reasons, reason, t);
}

/** Whether the agent is on a call whose caller is on hold. */
export function onHold(view) {
  return agentState(view) === "on_call" && Boolean(view.agent.on_hold);
}

/**
 * The state line: the state's name (`on_hold`, "On hold", for a call whose caller is on hold),
 * the reason when not ready, who set it, and whether a time in state goes with it (`timed`): not
 * when logged out, where the time since is of no use (and, on a server that just started, runs
 * from its warm-up's simulated past).
 */
export function stateLine(view, t = ENGLISH) {
  const state = onHold(view) ? "on_hold" : agentState(view);
  return {
    state,
    label: state === "on_hold" ? t("myState.onHold") : stateName(state, t),
    reason: state === "not_ready" ? t("myState.reason", { reason: reasonOf(view, view.agent.reason, t) }) : "",
    by: view.agent?.by ? t("myState.by", { by: view.agent.by }) : "",
    timed: state !== "logged_out",
  };
}

/**
 * Why the agent is in its state, in words, when the agent did not put itself there: a
 * supervisor (`by`), or the ACD (not ready for `no_answer` or `disconnected`); and what the page
 * said of its last reconnect (`rejoinNote`) before it. `{text, byNamed}` (`byNamed`: the words
 * name the supervisor, so the short "(set by ...)" need not), or null.
 */
export function stateWhy(view, t = ENGLISH) {
  const words = [];
  if (view.rejoin) words.push(view.rejoin);
  const agent = view.agent;
  const state = agentState(view);
  let byNamed = false;
  if (agent?.by) {
    byNamed = true;
    const by = agent.by;
    words.push(
      state === "ready"
        ? t("why.ready", { by })
        : state === "not_ready"
          ? t("why.notReady", { by, reason: reasonOf(view, agent.reason, t) })
          : state === "logged_out"
            ? t("why.loggedOut", { by })
            : t("why.state", { by, state: stateName(state, t) }),
    );
  } else if (state === "not_ready" && agent.reason === "no_answer") {
    words.push(t("why.noAnswer"));
  } else if (state === "not_ready" && agent.reason === "disconnected") {
    words.push(t("why.disconnected"));
  }
  return words.length ? { text: words.join(" "), byNamed } : null;
}

/**
 * What the page says after it signed in again (the `session` of a reconnect), from what the
 * protocol lets it know: `resumed` (the AuthResult's: the session carried on, nothing missed);
 * `closeCode`, how the lost connection closed (1012: the server was stopping, and its sessions
 * ended with it); `earlier` and `now`, the agent's state before and after. Null for the page's
 * first sign-in (`hadSession` false). A new session without a 1012 may follow a restart (a crash
 * gives no close) or a session the server no longer kept: the words do not pretend to know which.
 */
export function rejoinNote({ hadSession, resumed, closeCode = null, earlier = null, now = null }, t = ENGLISH) {
  if (!hadSession) return null;
  if (resumed) return t("rejoin.resumed");
  const words = [closeCode === 1012 ? t("rejoin.restarted") : t("rejoin.newSession")];
  const before = earlier?.state ?? "logged_out";
  const after = now?.state ?? "logged_out";
  if (before !== "logged_out" && after === "logged_out") words.push(t("rejoin.loggedOut"));
  else if (before !== after && !(after === "not_ready" && now.reason === "disconnected"))
    words.push(t("rejoin.changed", { now: stateName(after, t), before: stateName(before, t) }));
  return words.join(" ");
}

/** The view with what the page says of its reconnect (`rejoinNote`; null: nothing). */
export function withRejoin(view, note) {
  return note === view.rejoin ? view : Object.freeze({ ...view, rejoin: note });
}

/**
 * What the page says of the agent's phone, beside the state (which it leaves as it is: a ready
 * agent is ready): `{device, text}` while the phone keeps calls away (`phoneIssue`: not
 * registered, or busy with a call the ACD did not offer), or null. Conversations still come, and
 * the words say so to an agent who takes them.
 */
export function phoneNotice(view, t = ENGLISH) {
  const device = phoneIssue(view.agent?.state, view.agent?.device);
  if (device === null) return null;
  const words = device === "unregistered" ? t("phone.unregistered") : t("phone.in_use");
  return { device, text: takesConversations(view) ? `${words} ${t("phone.chats")}` : words };
}

/** What happens after this call, as the page says it; null when nothing is pending. */
export function pendingText(view, t = ENGLISH) {
  const pending = view.pending;
  if (!pending) return null;
  const what = pending.state === "logged_out" ? t("pending.logout") : t("pending.notReady", { reason: reasonOf(view, pending.reason, t) });
  return view.pendingBy ? t("pending.by", { what, by: view.pendingBy }) : what;
}

/** The page's title: an incoming call, or the agent's state. */
export function pageTitle(view, t = ENGLISH) {
  return ringingCall(view) ? t("title.ringing") : t("title.state", { state: stateLine(view, t).label });
}

/** Who calls and why, for the offer or the call panel: `data` as [key, value] pairs. */
export function callFacts(view, call, t = ENGLISH) {
  return {
    caller: call.caller ?? t("call.unknownNumber"),
    queue: queueName(view, call.queue) ?? "–",
    dialled: call.dialled ?? "–",
    data: labelledData(view, call.data),
  };
}

/**
 * A call's attached data as `[label, value]` pairs: the keys the tenant names
 * (`data_labels`) first, in its order and under its labels, then the others as they came.
 */
export function labelledData(view, data = {}) {
  const entries = Object.entries(data ?? {});
  const labels = view.dataLabels ?? new Map();
  const named = [...labels].filter(([key]) => Object.hasOwn(data ?? {}, key)).map(([key, label]) => [label, data[key]]);
  return [...named, ...entries.filter(([key]) => !labels.has(key))];
}

/**
 * The lanes of the agent's queues that have told their waiting work, in the tenant's order: a
 * row per lane, with its channel, and `lane` the channel's words beside the queue's name where
 * the queue has more than one lane ("" where it has one: its name says it all): voice in words,
 * a messaging channel by its id ("chat").
 */
export function queueRows(view, t = ENGLISH) {
  return view.lanes
    .filter((lane) => view.queues.has(lane.key))
    .map(({ key, id, channel }) => {
      const queue = view.queues.get(key);
      return {
        key,
        id,
        channel,
        name: queueName(view, id),
        lane: (view.laneCounts.get(id) ?? 1) > 1 ? (channel === VOICE ? t("channel.voice") : channel) : "",
        waiting: String(queue.waiting),
        oldestSince: queue.oldest_waiting_since ?? "",
      };
    });
}

/** The agents `list_agents` listed (its pages, joined): the transfer targets from now on. */
export function withDirectory(view, agents) {
  return Object.freeze({ ...view, directory: agents.map(({ id, name, state }) => ({ id, name, state })) });
}

/**
 * Where work of `channel` can be transferred: the tenant's queues with a lane of that channel,
 * each once (a queue serving voice and chat is one target), and every other agent listed. A call
 * (`voice`, the default) goes only to queues with a voice lane.
 */
export function transferTargets(view, channel = VOICE, t = ENGLISH) {
  return {
    queues: queuesServing(view.lanes, channel).map(([id, name]) => {
      const now = view.queuesNow.get(laneKey(id, channel));
      const detail = now ? t("transfer.queueDetail", { waiting: now.waiting, ready: now.agents_ready }) : "";
      return { value: `queue:${id}`, name, detail };
    }),
    agents: view.directory
      .filter(({ id }) => id !== view.me)
      .map(({ id, name, state }) => ({
        value: `agent:${id}`,
        name,
        detail: state ? stateName(state, t) : "",
        // A call goes straight only to a ready agent (the server says `agent_not_available`).
        available: !state || state === "ready",
      })),
  };
}

/**
 * The queues as `list_queues` answered (their waiting work and ready agents now), kept by lane
 * for the transfer targets' details.
 */
export function withQueueList(view, list) {
  return Object.freeze({
    ...view,
    queuesNow: new Map((list?.queues ?? []).map((queue) => [laneKey(queue.id, queue.channel), queue])),
  });
}

/**
 * Where a conversation of `channel` (`chat`, ...) may go: the queues with a lane of its channel,
 * and the agents. Without a channel (not known yet), every queue with a lane of conversations:
 * the server refuses the wrong one with `wrong_channel`.
 */
export function conversationTargets(view, channel = null, t = ENGLISH) {
  if (channel !== null) return transferTargets(view, channel, t);
  const queues = new Map(view.lanes.filter((lane) => lane.channel !== VOICE).map((lane) => [lane.id, lane.name]));
  return { ...transferTargets(view, VOICE, t), queues: [...queues].map(([id, name]) => ({ value: `queue:${id}`, name })) };
}

/**
 * Whether the agent takes conversations: one of its lanes (those whose waiting counts it gets)
 * routes a messaging channel. The conversation panel shows only then, or while it holds some.
 */
export function takesConversations(view) {
  return view.lanes.some((lane) => lane.channel !== VOICE && view.queues.has(lane.key));
}

/**
 * The page's clocks at `nowMs` (the server's clock): time in state (on hold: the hold's), and,
 * when they apply, the offer's countdown, the call's talk time (`callTimes`: it stands still on
 * hold), the hold's time and the wrap-up's countdown (null: not shown now).
 */
export function clocks(view, nowMs) {
  const agent = view.agent;
  const ringing = ringingCall(view);
  const times = callTimes(view, nowMs);
  const holdTime = times?.holdMs == null ? null : formatDuration(times.holdMs / 1000);
  return {
    inState: holdTime ?? (agent ? formatDuration(secondsSince(agent.since, nowMs)) : "0:00"),
    offerCountdown: ringing?.ring_deadline ? formatDuration(-secondsSince(ringing.ring_deadline, nowMs)) : null,
    callTime: times ? formatDuration(times.talkMs / 1000) : null,
    holdTime,
    wrapUpCountdown:
      agent?.state === "wrap_up" && agent.wrap_up_deadline ? formatDuration(-secondsSince(agent.wrap_up_deadline, nowMs)) : null,
  };
}

/** Whether the offer still rings at `nowMs` (before its deadline): the ring tone plays then. */
export function offerRings(view, nowMs) {
  const offer = ringingCall(view);
  return Boolean(offer) && Date.parse(offer.ring_deadline) > nowMs;
}

/**
 * What a screen reader hears for an event of this agent: an incoming call, or an offer that
 * ended and why; null for anything else.
 */
export function announcement(view, event, t = ENGLISH) {
  if (!concernsMe(view, event)) return null;
  switch (event.type) {
    case "offer": {
      const queue = queueName(view, event.queue);
      return event.caller == null ? t("announce.offerUnknown", { queue }) : t("announce.offer", { caller: event.caller, queue });
    }
    case "offer_cancelled":
      switch (event.reason) {
        case "caller_hung_up":
          return t("announce.callerHungUp");
        case "ring_no_answer":
          return t("announce.ringNoAnswer");
        default:
          return t("announce.backToQueue");
      }
    case "consultation": {
      // Said to the consulted agent, whose offer panel is no live region; the consulting
      // agent's call panel says its own (consult-line is one).
      if (event.with !== view.me) return null;
      const name = agentName(view, event.agent);
      if (event.status === "ringing") {
        const queue = queueName(view, event.queue);
        return event.caller == null
          ? t("announce.consultUnknown", { name, queue })
          : t("announce.consult", { name, caller: event.caller, queue });
      }
      return event.status === "ended" && event.reason !== "transferred" ? t("announce.consultEnded", { name }) : null;
    }
    default:
      return null;
  }
}

// --- What the agent can do --------------------------------------------------------------------

/**
 * The agent's actions now, by the page's `data-action` names: `shown` (on the page) and
 * `enabled` (usable when shown), with the button's words where they change.
 *
 * - Logged out: only `login`. Logged in: `ready` (not while already ready, nor while busy),
 *   `not_ready` and `logout`, which while busy (ringing, on a call, in wrap-up) set what
 *   happens after the call instead.
 * - An offer ringing: `accept` and `reject`. On a call: `hold` (or `resume` when held),
 *   `transfer` and `hangup`. In wrap-up: `end_wrap_up` and `extend_wrap_up`.
 * - A pending state: `clear_pending`. `sign_out` (the page's, not a command) waits until the
 *   call and its wrap-up are over.
 */
export function agentActions(view, t = ENGLISH) {
  const state = agentState(view);
  const busy = BUSY_STATES.has(state);
  const loggedIn = state !== "logged_out";
  const offer = ringingCall(view) !== null;
  const onCall = state === "on_call";
  const onHold = onCall && Boolean(view.agent.on_hold);
  const wrapUp = state === "wrap_up";
  // A consultation on the call: the consulting agent steers it; the consulted one may only
  // answer, reject or leave it. Neither holds or blind-transfers the caller meanwhile.
  const consult = view.consult;
  const consulting = onCall && consult !== null && consult.agent === view.me;
  const consulted = consult !== null && consult.with === view.me;
  const answered = consult !== null && consult.status !== "ringing";
  const action = (shown, enabled = true, label = undefined) => ({ shown, enabled, label });
  return {
    login: action(!loggedIn),
    ready: action(loggedIn, state !== "ready" && !busy),
    not_ready: action(loggedIn, true, busy ? t("action.notReadyAfterCall") : t("action.notReady")),
    logout: action(loggedIn, true, busy ? t("action.logoutAfterCall") : t("action.logout")),
    clear_pending: action(Boolean(view.pending)),
    accept: action(offer),
    reject: action(offer),
    hold: action(onCall && !onHold && consult === null),
    resume: action(onHold && consult === null),
    transfer: action(onCall && consult === null),
    consult: action(onCall && consult === null && view.telephony.consult),
    complete_transfer: action(consulting, answered),
    conference: action(consulting && view.telephony.conference, answered && consult.status !== "conference"),
    cancel_consult: action(consulting),
    hangup: action(onCall, true, consulted ? t("consult.leave") : t("call.hangUp")),
    end_wrap_up: action(wrapUp),
    extend_wrap_up: action(wrapUp),
    sign_out: { shown: true, enabled: !busy, label: undefined, title: busy ? t("action.signOutBusy") : "" },
  };
}

// --- The ring tone ----------------------------------------------------------------------------

/**
 * The ring tones an agent may pick: each a chord of `frequencies` (Hz) sounded in `bursts`
 * (start, seconds into each ring) of 0.4 s, every three seconds.
 */
export const RING_TONES = Object.freeze({
  classic: Object.freeze({ frequencies: [440, 480], bursts: [0, 0.6] }),
  soft: Object.freeze({ frequencies: [330, 392], bursts: [0] }),
  bright: Object.freeze({ frequencies: [880, 1320], bursts: [0, 0.3, 0.6] }),
});

/** The sound settings as stored (`{volume, tone}` text), made safe: volume 0-100, a known tone. */
export function soundSettings(stored) {
  const volume = Number.parseInt(stored?.volume ?? "", 10);
  return {
    volume: Number.isFinite(volume) ? Math.min(100, Math.max(0, volume)) : 60,
    tone: Object.hasOwn(RING_TONES, stored?.tone ?? "") ? stored.tone : "classic",
  };
}

/** The peak gain of a ring at `volume` percent: loudness follows the square, 0.25 at full. */
export function ringGain(volume) {
  return 0.25 * (volume / 100) ** 2;
}

// --- Disposition and notes ------------------------------------------------------------------

/**
 * What the agent may record about the call it is on or wrapping up: `{call, queue, codes,
 * required}`, the codes of the queue it answered the call in; null when it is on no call, or the
 * queue has none. `rememberedQueue` is the call's queue as the page kept it across a reload (a
 * wrap-up's snapshot no longer names the call's queue).
 */
export function dispositionChoices(view, rememberedQueue = null) {
  const state = agentState(view);
  if (state !== "on_call" && state !== "wrap_up") return null;
  const call = view.agent.call;
  const queue = view.handled?.call === call ? view.handled.queue : rememberedQueue;
  const choices = queue === null ? undefined : view.dispositions.get(queue);
  return choices ? { call, queue, codes: choices.codes, required: choices.required } : null;
}

/**
 * Whether End wrap-up must wait for a disposition: the queue requires one and the server has not
 * acknowledged one for this call (`saved`: `{call, disposition}` of the last acknowledged
 * `set_disposition`), with the words the button's title says.
 */
export function wrapUpBlocked(choices, saved, t = ENGLISH) {
  const given = saved?.call === choices?.call && Boolean(saved?.disposition);
  const blocked = Boolean(choices?.required) && !given;
  return { blocked, why: blocked ? t("disposition.blocked") : "" };
}

/** The `set_disposition` command for the call: the chosen code ("" for none) and the notes. */
export function dispositionCommand(choices, code, notes) {
  const fields = { call: choices.call };
  if (code) fields.disposition = code;
  if (notes.trim()) fields.notes = notes;
  return ["set_disposition", fields];
}

// --- The agent's own day ------------------------------------------------------------------

/** The states whose time today the page lists, in this order. */
const DAY_STATES = ["ready", "on_call", "wrap_up", "ringing", "not_ready"];

/**
 * What the "My day" panel shows of a `my_day` result: the figures (calls handled, average handle
 * time, occupancy), the time in each state, and the last calls (`clock` formats an instant as
 * the time of day, in the page's locale: the translator's `t.time`). Null: nothing to show yet.
 */
export function dayView(view, day, clock, t = ENGLISH) {
  if (!day) return null;
  const percent = (value) => (value === null ? "–" : `${Math.round(value)} %`);
  const dispositionName = (queue, code) =>
    code === null ? "–" : (view.dispositions.get(queue)?.codes.find((c) => c.id === code)?.name ?? code);
  return {
    handled: String(day.handled),
    aht: day.aht_secs === null ? "–" : formatDuration(day.aht_secs),
    occupancy: percent(day.occupancy_percent),
    states: DAY_STATES.map((state) => ({
      state,
      label: stateName(state, t),
      time: formatDuration(day.time_in_state[state] ?? 0),
    })),
    recent: day.recent.map((call) => ({
      call: call.call,
      at: clock(call.connected_at),
      caller: call.caller ?? t("call.unknownNumber"),
      queue: queueName(view, call.queue) ?? call.queue,
      duration: formatDuration(call.talk_secs + call.hold_secs),
      disposition: dispositionName(call.queue, call.disposition),
    })),
  };
}

/**
 * Whether the day must be asked for again after this agent_state: a handling ended (leaving
 * wrap-up, or a call without one), or the state changed at all (time in state moved on).
 */
export function dayChanged(before, after) {
  return !before || !after || before.state !== after.state || before.since !== after.since;
}

/** Whether `action` is on offer now: shown and usable. */
export function offers(view, action) {
  const rule = agentActions(view)[action];
  return Boolean(rule?.shown && rule.enabled);
}

/**
 * Where the keyboard goes when the focused control goes away (the state changed under it):
 * `{panel}`, a `data-role` of a panel that takes the focus itself (it has a name and
 * tabindex=-1, and Enter or Space on it does nothing), or `{action}`, a button; null: leave it.
 *
 * Never a control that ends something. After Accept the hand is often still on Enter (the
 * accepting press repeats, or a second one follows out of habit): were Hang up focused, that
 * press would end the caller's call, and the next one the wrap-up. So a call and a wrap-up
 * take the focus on their panel: a screen reader says which, and Tab goes on to their buttons
 * (Hold first). Ready and not ready focus the way to the other: going not ready is the safe
 * direction, and going ready is what a not-ready agent came back for. A ringing offer's Accept
 * is agent.js's own rule (an offer takes the focus unless a key is on its way down).
 */
export function focusAfter(view) {
  switch (agentState(view)) {
    case "on_call":
      return { panel: "call" };
    case "wrap_up":
      return { panel: "wrap-up" };
    case "ready":
      return { action: "not_ready" };
    case "not_ready":
      return { action: "ready" };
    case "logged_out":
      return { action: "login" };
    default:
      return null;
  }
}

// --- Presses that come too soon ------------------------------------------------------------------

/**
 * How long after the previous action (a command the page sent, or a change of state that
 * replaced the buttons: an offer arriving, a call connecting, wrap-up starting) a control that
 * ends something ignores a key press: long enough for a repeated or doubled Enter (about 250 ms
 * apart) and for the page to be seen, short enough that a deliberate press is rarely held back.
 */
export const GUARD_MS = 1000;

/**
 * The controls that end something the agent cannot take back: the caller's call, the wrap-up
 * (the agent is ready, and the next call comes), the agent's day (log out, now or after this
 * call) and the page's session (sign out, which logs out too).
 */
export const GUARDED_ACTIONS = new Set(["hangup", "complete_transfer", "end_wrap_up", "logout", "sign_out"]);

/** An agent's name: from list_agents (the AuthResult names only this agent), else its id. */
function agentName(view, id) {
  return view.directory.find((agent) => agent.id === id)?.name ?? view.names.agents.get(id) ?? id;
}

/**
 * What the page says of a consultation this agent is in, or of the last one that ended:
 * `{heading, line}` (`heading` for the offer panel, while it rings here; else null and the
 * line goes on the call's panel), or null.
 */
export function consultText(view, t = ENGLISH) {
  const name = (id) => agentName(view, id);
  const consult = view.consult;
  if (consult !== null) {
    const consulted = consult.with === view.me;
    const other = name(consulted ? consult.agent : consult.with);
    const key = `consult.${consulted ? "with" : "by"}.${consult.status}`;
    const asked = consulted && consult.status === "ringing";
    return { heading: asked ? t("consult.offerHeading", { name: other }) : null, line: t(key, { name: other }) };
  }
  const ended = view.consultEnded;
  if (ended === null || agentState(view) !== "on_call" || ended.agent !== view.me || ended.call !== view.agent.call) {
    return null;
  }
  return { heading: null, line: t(`consult.ended.${ended.reason}`, { name: name(ended.with) }) };
}

/**
 * Whether a press of `action` is ignored: a guarded control (GUARDED_ACTIONS), pressed within
 * GUARD_MS of the previous action (`pressedAt` and `lastActionAt` in the same clock, ms), by a
 * key or as the second (third, ...) click of a double-click. `clicks` is the click event's
 * `detail`: 0 from a key (Enter or Space on a button), 1 from a single mouse click, 2 and up
 * from the later clicks of a double-click. A single click is aimed, so it always counts; the
 * second click of a double-click on Accept lands on whatever took Accept's place.
 */
export function guarded(action, { lastActionAt, pressedAt, clicks }) {
  if (!GUARDED_ACTIONS.has(action) || clicks === 1) return false;
  return pressedAt - lastActionAt < GUARD_MS;
}

/** The buttons on offer (with the words that change what they do) and the call they act on. */
function controls(view) {
  const actions = agentActions(view);
  const usable = Object.keys(actions).filter((action) => actions[action].shown && actions[action].enabled);
  return [...usable, actions.not_ready.label, actions.logout.label, view.agent?.call ?? ""].join("|");
}

/**
 * Whether the buttons on offer changed from `before` to `after` (an offer arrived, a call
 * connected, wrap-up began, the agent went ready, ...): the page starts GUARD_MS again then.
 */
export function controlsChanged(before, after) {
  return before !== after && controls(before) !== controls(after);
}

/**
 * What the page says beside a control whose press was not taken (`guarded`): that nothing
 * happened, why, and how to do it after all. `label` is the button's words.
 */
export function guardNote(action, label, t = ENGLISH) {
  const still = GUARDED_ACTIONS.has(action) ? t(`guard.${action}`) : t("guard.other");
  return t("guard.note", { still, label });
}

/**
 * The command an action sends, as `[type, fields]`: the call is the agent's current one;
 * `reason` (not_ready), `target` (transfer: `queue:<id>` or `agent:<id>`) and `extendSecs`
 * (extend_wrap_up) come from the page's choices.
 */
export function command(view, action, { reason, target, extendSecs } = {}) {
  const call = view.agent?.call;
  switch (action) {
    case "not_ready":
      return ["not_ready", { reason }];
    case "accept":
    case "reject":
    case "hold":
    case "resume":
    case "hangup":
      return [action, { call }];
    case "transfer": {
      const [kind, id] = String(target).split(":");
      return ["transfer", { call, [kind]: id }];
    }
    case "consult":
      return ["consult", { call, agent: String(target).split(":")[1] }];
    case "complete_transfer":
    case "conference":
    case "cancel_consult":
      return [action, { call }];
    case "extend_wrap_up":
      return ["extend_wrap_up", { secs: Number(extendSecs) }];
    default:
      return [action];
  }
}
