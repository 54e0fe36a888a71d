// The supervisor's console in Node (web/supervisor-state.js): the agent list after agent_state
// and pending_state events, calls in the console's order as call_state and call_left come,
// queue figures (and a chat queue's channel, places and first response, from protocol.md's
// chat queue_stats), which actions a supervisor may take on an agent or a call in each state, the
// commands they send, the filter, a new session's snapshot and events before `subscribe`, and a
// queue serving voice and chat (a row and statistics per lane; a call moves only to queues with a
// voice lane, each once), and each agent's phone as the PBX reports it (a badge while it keeps
// calls away; a change of it alone leaves the state and its time), and each queue's staffing
// (the what_if answer in words for Erlang A and C, whole and partial windows and every reason a
// figure is missing; the what-if's agents held to 0 to 5,000; one ask at a time per queue).
// And the message on the wallboards: shown with who set it, cleared, cleared while the console
// was away, and the commands of Set and Clear.
// Messages are those of protocol/examples (the what_if answer, protocol.md's). (The page itself, on the real server in Chromium:
// supervisor.test.mjs.)
// Run: node --test supervisor-state.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  agentActions,
  agentClock,
  agentCommand,
  agentCountText,
  agentFacts,
  agentSearchText,
  agentsOnCall,
  arranged,
  callActions,
  callClock,
  callsPerHourInput,
  callsPerHourText,
  callCountText,
  callFacts,
  callOrder,
  conversationFigures,
  deltaText,
  emptyView,
  expectedServiceLevel,
  isLive,
  keepsSubscription,
  matchesFilter,
  moveCommand,
  nextStaffingRequest,
  notLive,
  oldestWait,
  phoneBadge,
  priorityCommand,
  laneStats,
  lanes,
  moveTargets,
  queueFigures,
  reduce,
  reset,
  routesConversations,
  serviceLevel,
  signedIn,
  staffingAnswered,
  staffingAsked,
  staffingDue,
  staffingFailed,
  staffingOf,
  staffingQueues,
  staffingText,
  staffingView,
  subscribeFailed,
  subscribed,
  subscribing,
  totalsChannel,
  whatIfAgents,
  whatIfChanged,
  whatIfStepped,
  whatIfText,
  windowPeriod,
  SORT_KEYS,
  agentName,
  STATE_SORT_ORDER,
  ariaSort,
  nextSort,
  sortAgents,
  sortCalls,
  sortFromStorage,
  agentAlert,
  dayLine,
  dispositionText,
  queueAlert,
  monitorCommand,
  monitorView,
  tickerCommand,
  tickerView,
  createDisplayCommand,
  displayLink,
  displaysView,
  revokeDisplayCommand,
  withDisplays,
  withAgentsToday,
} from "../../web/supervisor-state.js";
import { SUPERVISOR_MESSAGES } from "../../web/supervisor-messages.js";
import { translator } from "../../web/i18n.js";
import { chatQueueStats } from "./chat-examples.mjs";
import { example } from "./examples.mjs";

/** The supervisor's AuthResult for the example tenant. */
/** The demo's twelve agents, as a supervisor's AuthResult names them (an agent's names itself only). */
const DEMO_AGENTS = [
  { id: "agent1", name: "Alex Becker" },
  { id: "agent2", name: "Bianca Schulz" },
  { id: "agent3", name: "Chris Wagner" },
  { id: "agent4", name: "Dana Hoffmann" },
  { id: "agent5", name: "Emil Koch" },
  { id: "agent6", name: "Fatma Yilmaz" },
  { id: "agent7", name: "Georg Richter" },
  { id: "agent8", name: "Hanna Klein" },
  { id: "agent9", name: "Ilias Papadopoulos" },
  { id: "agent10", name: "Julia Neumann" },
  { id: "agent11", name: "Kemal Arslan" },
  { id: "agent12", name: "Lena Fischer" },
];
const SESSION = { ...example("ack").result, user: "supervisor", role: "supervisor", agent: undefined, agents: DEMO_AGENTS };
const IDS = SESSION.agents.map((agent) => agent.id);
const SINCE = "2023-11-14T22:10:02.871Z";
const LIVE = true;

/** A snapshot's agent_state (with the agent's queues). */
const snapshotAgent = (agent, state, fields = {}) => ({ type: "agent_state", agent, state, since: SINCE, queues: ["support"], ...fields });
const callState = (call, fields = {}) => ({ ...example("call_state"), call, ...fields });

/** The console signed in and subscribed (the subscribe answered at `at`), after `events`. */
function console_(...events) {
  let view = arranged(signedIn(emptyView(), SESSION), SESSION);
  view = subscribing(view);
  view = events.reduce(reduce, view);
  return subscribed(view, Date.parse("2023-11-14T22:15:00.000Z"));
}

test("before subscribe nothing is the console's; the snapshot after it fills the agent list", () => {
  const signed = arranged(signedIn(emptyView(), SESSION), SESSION);
  const early = snapshotAgent("agent1", "ready");
  assert.equal(reduce(signed, early), signed, "an event before subscribe");
  const view = console_(
    snapshotAgent("agent1", "ready", { queues: ["support", "general"] }),
    { type: "pending_state", agent: "agent1", pending: null },
    snapshotAgent("agent2", "not_ready", { reason: "break" }),
    snapshotAgent("agent3", "logged_out", { queues: [] }),
  );
  assert.equal(agentFacts(view, "agent1").label, "Ready");
  assert.equal(agentFacts(view, "agent1").queues, "Customer Support, General Enquiries");
  assert.deepEqual(
    { ...agentFacts(view, "agent2"), queues: undefined },
    { state: "not_ready", label: "Not ready", by: "", reason: "Break", pending: null, pendingBy: null, queues: undefined, call: null },
  );
  // An agent the snapshot has not told of yet.
  assert.equal(agentFacts(view, "agent4").label, "…");
  assert.equal(agentFacts(view, "agent4").state, null);
  assert.equal(agentCountText(view, IDS, IDS.length), "12 agents · 1 logged out, 1 not ready, 1 ready");
  assert.equal(agentCountText(view, IDS, 2), "2 of 12 agents shown · 1 logged out, 1 not ready, 1 ready");
});

test("agent_state events change an agent's row; the queues stay from the snapshot; who set it shows", () => {
  let view = console_(snapshotAgent("agent2", "ready", { queues: ["sales"] }));
  view = reduce(view, example("agent_state"));
  view = reduce(view, { type: "agent_state", agent: "agent2", state: "not_ready", since: "2023-11-14T22:13:30.104Z", previous: "ready", reason: "coaching", by: "supervisor" });
  assert.equal(agentFacts(view, "agent2").label, "Not ready");
  assert.equal(agentFacts(view, "agent2").reason, "Coaching");
  assert.equal(agentFacts(view, "agent2").by, "by supervisor");
  assert.equal(agentFacts(view, "agent2").queues, "Sales", "the live event carries no queues");
  // agent1 is on the example's call; a call_state tells who calls.
  assert.deepEqual(agentFacts(view, "agent1").call, { id: "pbx-1700000000.42", caller: null, onHold: false, queue: null });
  view = reduce(view, callState("pbx-1700000000.42", { status: "connected", agent: "agent1", on_hold: true }));
  assert.deepEqual(agentFacts(view, "agent1").call, { id: "pbx-1700000000.42", caller: "+4989555123", onHold: false, queue: "Customer Support" });
  assert.deepEqual(agentsOnCall(view, "pbx-1700000000.42"), ["agent1"]);
  // Time in state, and what is left of a wrap-up.
  view = reduce(view, { type: "agent_state", agent: "agent1", state: "wrap_up", since: "2023-11-14T22:20:00.000Z", call: "pbx-1700000000.42", wrap_up_deadline: "2023-11-14T22:21:00.000Z" });
  assert.deepEqual(agentClock(view, "agent1", Date.parse("2023-11-14T22:20:15.000Z")), { time: "0:15", extra: "0:45 left" });
  assert.deepEqual(agentClock(view, "agent5", Date.parse("2023-11-14T22:20:15.000Z")), { time: "–", extra: "" });
  // The call ended, but the agent in wrap-up still shows who it was.
  view = reduce(view, example("call_left"));
  assert.equal(agentFacts(view, "agent1").call.caller, "+4989555123");
});

test("a pending state set while on a call shows with who set it, and can be cleared", () => {
  let view = console_(snapshotAgent("agent1", "on_call", { call: "c1", on_hold: false }));
  view = reduce(view, { ...example("pending_state"), by: "supervisor" });
  assert.equal(agentFacts(view, "agent1").pending, "Not ready · Lunch");
  assert.equal(agentFacts(view, "agent1").pendingBy, "by supervisor");
  assert.equal(agentActions(view, "agent1", LIVE).clear_pending.enabled, true);
  assert.equal(agentActions(view, "agent1", LIVE).ready.enabled, true, "ready clears the pending state of a busy agent");
  view = reduce(view, { type: "pending_state", agent: "agent1", pending: { state: "logged_out" } });
  assert.equal(agentFacts(view, "agent1").pending, "Log out");
  // A later agent_state keeps the pending state.
  view = reduce(view, snapshotAgent("agent1", "wrap_up", { call: "c1", queues: undefined }));
  assert.equal(agentFacts(view, "agent1").pending, "Log out");
  view = reduce(view, { type: "pending_state", agent: "agent1", pending: null, by: "supervisor" });
  assert.equal(agentFacts(view, "agent1").pending, null);
  assert.equal(agentActions(view, "agent1", LIVE).clear_pending.enabled, false);
});

test("which actions a supervisor may take on an agent, by its state", () => {
  const view = console_(
    snapshotAgent("agent1", "logged_out"),
    snapshotAgent("agent2", "ready"),
    snapshotAgent("agent3", "not_ready", { reason: "break" }),
    snapshotAgent("agent4", "on_call", { call: "c1" }),
  );
  const enabled = (id, live = LIVE) =>
    Object.entries(agentActions(view, id, live))
      .filter(([, action]) => action.enabled)
      .map(([name]) => name);
  assert.deepEqual(enabled("agent1"), [], "logged out: nothing");
  assert.deepEqual(enabled("agent5"), [], "not told of yet: nothing");
  assert.deepEqual(enabled("agent2"), ["reason", "not_ready", "logout"], "ready: not ready or log out");
  assert.deepEqual(enabled("agent3"), ["ready", "reason", "not_ready", "logout"]);
  // Busy: not ready and log out set what follows the call; the pending state can be set; no ready without one.
  assert.deepEqual(enabled("agent4"), ["reason", "not_ready", "logout", "pending", "set_pending"]);
  assert.equal(agentActions(view, "agent4", LIVE).logout.title, "Log out after the current call");
  assert.equal(agentActions(view, "agent3", LIVE).logout.title, "Log out");
  // Not live (reconnecting, or the snapshot still coming): nothing at all.
  assert.deepEqual(enabled("agent3", false), []);
});

test("the commands of the agent actions, with the words the console says them in", () => {
  const view = console_();
  assert.deepEqual(agentCommand(view, "agent2", "ready"), {
    what: "make Bianca Schulz ready",
    type: "force_state",
    fields: { agent: "agent2", state: "ready" },
  });
  assert.deepEqual(agentCommand(view, "agent2", "not_ready", "coaching"), {
    what: "make Bianca Schulz not ready (Coaching)",
    type: "force_state",
    fields: { agent: "agent2", state: "not_ready", reason: "coaching" },
  });
  assert.deepEqual(agentCommand(view, "agent2", "logout").fields, { agent: "agent2", state: "logged_out" });
  assert.deepEqual(agentCommand(view, "agent2", "set_pending", "not_ready:lunch"), {
    what: "set the pending state of Bianca Schulz to Not ready · Lunch",
    type: "set_pending",
    fields: { agent: "agent2", state: "not_ready", reason: "lunch" },
  });
  assert.deepEqual(agentCommand(view, "agent2", "set_pending", "logged_out").fields, { agent: "agent2", state: "logged_out" });
  assert.deepEqual(agentCommand(view, "agent2", "clear_pending"), {
    what: "clear the pending state of Bianca Schulz",
    type: "clear_pending",
    fields: { agent: "agent2" },
  });
});

test("calls: waiting first by priority and wait, then ringing, then connected; call_left removes one", () => {
  let view = console_(
    callState("c-connected", { status: "connected", agent: "agent1", on_hold: true, arrived_at: "2023-11-14T22:00:00.000Z" }),
    callState("c-low", { priority: 0, entered_queue_at: "2023-11-14T22:10:00.000Z" }),
    callState("c-ringing", { status: "ringing", agent: "agent2" }),
    callState("c-high", { priority: 10, entered_queue_at: "2023-11-14T22:14:00.000Z" }),
    callState("c-low-older", { priority: 0, entered_queue_at: "2023-11-14T22:05:00.000Z" }),
  );
  assert.deepEqual(callOrder(view).map((c) => c.call), ["c-high", "c-low-older", "c-low", "c-ringing", "c-connected"]);
  assert.equal(callCountText(view), "5 calls: 3 waiting, 1 ringing, 1 connected");
  assert.deepEqual(callFacts(view, "c-connected"), {
    status: "connected",
    statusText: "Connected",
    onHold: true,
    queue: "Customer Support",
    queueNote: null,
    movedBy: null,
    caller: "+4989555123",
    agent: "Alex Becker",
    priority: "10",
    priorityBy: null,
  });
  view = reduce(view, { ...example("call_left"), call: "c-low" });
  assert.deepEqual(callOrder(view).map((c) => c.call), ["c-high", "c-low-older", "c-ringing", "c-connected"]);
  assert.equal(callFacts(view, "c-low"), null);
  view = ["c-high", "c-low-older", "c-ringing", "c-connected"].reduce((v, call) => reduce(v, { type: "call_left", call }), view);
  assert.equal(callCountText(view), "");
  // A call_left of a call the console does not know changes nothing.
  assert.equal(reduce(view, { type: "call_left", call: "nosuch" }), view);
});

test("a moved call says where from and by whom; a priority change says by whom", () => {
  const [, moved] = protocolCallStates();
  const view = console_(moved);
  assert.equal(callFacts(view, moved.call).queue, "General Enquiries");
  assert.equal(callFacts(view, moved.call).queueNote, "moved from Customer Support");
  assert.equal(callFacts(view, moved.call).movedBy, "by supervisor");
  assert.equal(callFacts(view, moved.call).priorityBy, null);
  const raised = console_(callState("c1", { priority: 20, by: "supervisor" }));
  assert.equal(callFacts(raised, "c1").priorityBy, "by supervisor");
  const overflowed = console_(callState("c1", { queue: "sales", reason: "max_wait", from_queue: "support" }));
  assert.equal(callFacts(overflowed, "c1").queueNote, "overflowed from Customer Support");
  // Time in the current queue (not once connected) and since the call arrived.
  const at = Date.parse(moved.entered_queue_at) + 30_000;
  assert.deepEqual(callClock(view, moved.call, at), { inQueue: "0:30", total: "1:37" });
});

/** The two call_state examples of protocol.md: a waiting call, then the same call moved. */
function protocolCallStates() {
  const waiting = example("call_state");
  return [
    waiting,
    { ...waiting, seq: 32, queue: "general", entered_queue_at: "2023-11-14T22:15:10.004Z", reason: "moved", from_queue: "support", by: "supervisor" },
  ];
}

test("which actions a supervisor may take on a call: a waiting one gets priority and move, to another queue", () => {
  const view = console_(
    callState("waiting"),
    callState("ringing", { status: "ringing", agent: "agent1" }),
  );
  const waiting = callActions(view, "waiting", LIVE);
  assert.equal(waiting.priority.enabled, true);
  assert.equal(waiting.move.enabled, true);
  assert.deepEqual(
    waiting.moveTargets.map(([id]) => id),
    ["sales", "vip", "general"],
    "every queue of calls but its own (not the chat queue)",
  );
  const ringing = callActions(view, "ringing", LIVE);
  assert.equal(ringing.priority.enabled, false);
  assert.equal(ringing.move.enabled, false);
  assert.equal(callActions(view, "waiting", false).priority.enabled, false, "not while the console is not live");
  // One queue only: nowhere to move to.
  const single = { ...SESSION, queues: [SESSION.queues[0]] };
  const alone = reduce(subscribing(arranged(signedIn(emptyView(), single), single)), callState("waiting"));
  assert.equal(callActions(subscribed(alone, 0), "waiting", LIVE).move.enabled, false);
});

test("the call commands: a priority from 0 to 255 only, a move to a chosen queue", () => {
  assert.deepEqual(priorityCommand("c1", " 12 "), {
    what: "set the priority of call c1 to 12",
    type: "set_call_priority",
    fields: { call: "c1", priority: 12 },
  });
  for (const text of ["", "256", "-1", "1.5", "ten"]) {
    assert.equal(priorityCommand("c1", text).error.code, "invalid_priority", JSON.stringify(text));
  }
  const view = console_();
  assert.deepEqual(moveCommand(view, "c1", "sales"), {
    what: "move call c1 to Sales",
    type: "move_call",
    fields: { call: "c1", queue: "sales" },
  });
  assert.equal(moveCommand(view, "c1", ""), null);
});

test("queue figures and today's service level against the target", () => {
  const view = console_(example("queue_stats"), example("tenant_stats"));
  const stats = laneStats(view, "support");
  assert.deepEqual(queueFigures(stats), {
    waiting: "2",
    ringing: "1",
    ready: "0",
    onCall: "4",
    wrapUp: "1",
    notReady: "1",
    loggedIn: "7",
    answered: "377",
    abandoned: "21",
    asa: "0:14",
    level: "some",
  });
  assert.deepEqual(serviceLevel(81.96, 80, 20), { sl: "on", key: "81.96|80|20", value: "82.0 %", verdict: "on target", target: "target 80 % in 20 s" });
  assert.equal(serviceLevel(70, 80, 20).verdict, "below target");
  assert.deepEqual(serviceLevel(83.35, null, null), { sl: "none", key: "83.35|null|null", value: "83.3 %", verdict: null, target: null });
  assert.equal(queueFigures(undefined).waiting, "–");
  assert.equal(queueFigures(view.tenantStats).loggedIn, "11");
  assert.equal(oldestWait(stats, Date.parse(stats.oldest_waiting_since) + 75_000), "1:15");
  assert.equal(oldestWait(undefined, 0), "–");
});

test("each queue's channel, and a chat queue's places and first response today", () => {
  const before = console_();
  // Before any statistics, the sign-in says what each queue routes: a row per lane.
  assert.deepEqual(
    lanes(before).map((lane) => [lane.key, lane.channel]),
    [["support:voice", "voice"], ["sales:voice", "voice"], ["vip:voice", "voice"], ["general:voice", "voice"], ["chat:chat", "chat"]],
  );
  assert.equal(routesConversations(before), true, "the conversation columns are shown");
  assert.equal(totalsChannel(before), "all channels", "the totals sum calls and chats");
  assert.deepEqual(conversationFigures(laneStats(before, "chat", "chat"), "chat"), {
    places: "–",
    holding: "",
    firstResponse: "–",
    firstResponseNote: "",
  });

  // protocol.md's chat queue_stats: 5 of its 9 places taken, 86.52 % of first replies within 60 s.
  const view = console_(example("queue_stats"), chatQueueStats(), example("tenant_stats"));
  const chat = laneStats(view, "chat", "chat");
  assert.equal(chat.channel, "chat");
  assert.deepEqual(conversationFigures(chat), {
    places: "5 of 9",
    holding: "3 agents holding",
    firstResponse: "86.5 %",
    firstResponseNote: "≤ 60 s · avg 0:31",
  });
  // Its other figures are the queue's own (accepted conversations, the time to accept).
  assert.equal(queueFigures(chat).answered, "90");
  assert.equal(queueFigures(chat).asa, "0:12");
  // A queue of calls has none of them.
  assert.equal(conversationFigures(laneStats(view, "support")), null);

  // No first reply yet: en dashes, the threshold still said.
  const today = { first_responses: 0, first_responses_within_threshold: 0, first_response_service_level_percent: null, average_first_response_secs: null, concurrency: null, capacity_occupancy_percent: null };
  const quiet = { ...chat, conversations: { ...chat.conversations, places: 2, places_taken: 0, agents_holding: 1, today } };
  assert.deepEqual(conversationFigures(quiet), { places: "0 of 2", holding: "1 agent holding", firstResponse: "–", firstResponseNote: "≤ 60 s" });
  assert.deepEqual(conversationFigures({ ...chat, conversations: null }), { places: "–", holding: "", firstResponse: "–", firstResponseNote: "" });

  // A tenant of calls alone: no conversation columns, and its totals are calls.
  const voice = { ...SESSION, queues: SESSION.queues.filter((queue) => queue.channel === "voice") };
  const calls = arranged(signedIn(emptyView(), voice), voice);
  assert.equal(routesConversations(calls), false);
  assert.equal(totalsChannel(calls), "voice");
});

/** The example tenant with support serving calls and chats: the sign-in lists it once per lane. */
const TWO_LANES = {
  ...SESSION,
  queues: [
    { id: "support", name: "Customer Support", channel: "voice" },
    { id: "support", name: "Customer Support", channel: "chat" },
    ...SESSION.queues.slice(1),
  ],
};

/** The two-lane console signed in and subscribed, after `events`. */
function twoLaneConsole(...events) {
  let view = subscribing(arranged(signedIn(emptyView(), TWO_LANES), TWO_LANES));
  view = events.reduce(reduce, view);
  return subscribed(view, Date.parse("2023-11-14T22:15:00.000Z"));
}

test("a queue serving voice and chat: a row per lane, each lane's statistics its own", () => {
  const supportCalls = { ...example("queue_stats"), queue: "support", channel: "voice" };
  const supportChats = { ...chatQueueStats(), queue: "support", name: "Customer Support", channel: "chat" };
  let view = twoLaneConsole(supportCalls, supportChats);
  assert.deepEqual(
    lanes(view).map((lane) => [lane.key, lane.id, lane.name, lane.channel]),
    [
      ["support:voice", "support", "Customer Support", "voice"],
      ["support:chat", "support", "Customer Support", "chat"],
      ["sales:voice", "sales", "Sales", "voice"],
      ["vip:voice", "vip", "VIP Line", "voice"],
      ["general:voice", "general", "General Enquiries", "voice"],
      ["chat:chat", "chat", "Web Chat", "chat"],
    ],
  );
  assert.deepEqual([...view.queueStats.keys()], ["support:voice", "support:chat"]);
  assert.equal(queueFigures(laneStats(view, "support")).waiting, "2");
  assert.equal(queueFigures(laneStats(view, "support", "chat")).waiting, "1");
  assert.equal(conversationFigures(laneStats(view, "support")), null, "the voice lane has no conversation figures");
  assert.equal(conversationFigures(laneStats(view, "support", "chat")).places, "5 of 9");
  // A later update of one lane leaves the other as it was.
  view = reduce(view, { ...supportChats, waiting: 4 });
  assert.equal(queueFigures(laneStats(view, "support")).waiting, "2");
  assert.equal(queueFigures(laneStats(view, "support", "chat")).waiting, "4");
  // support stops serving chat: its chat lane's figures go, its voice lane's stay.
  const voiceAgain = { ...TWO_LANES, queues: TWO_LANES.queues.filter((q) => !(q.id === "support" && q.channel === "chat")) };
  const reloaded = arranged(signedIn(view, voiceAgain), voiceAgain);
  assert.deepEqual([...reloaded.queueStats.keys()], ["support:voice"]);
});

test("a queue serving voice and chat: agents by queue name it once; a waiting call moves only to queues with a voice lane, each once", () => {
  const view = twoLaneConsole(
    snapshotAgent("agent1", "ready", { queues: ["support", "sales"] }),
    callState("in-sales", { queue: "sales" }),
    callState("in-support", { queue: "support" }),
  );
  // The agent's queues are queue ids: support is one queue, whatever its lanes.
  assert.equal(agentFacts(view, "agent1").queues, "Customer Support, Sales");
  assert.ok(matchesFilter(agentSearchText(view, "agent1"), "customer support"));
  // A call goes to the voice lane of a queue: support is a target once, the chat queue is not.
  assert.deepEqual(callActions(view, "in-sales", LIVE).moveTargets, [
    ["support", "Customer Support"],
    ["vip", "VIP Line"],
    ["general", "General Enquiries"],
  ]);
  assert.deepEqual(callActions(view, "in-support", LIVE).moveTargets.map(([id]) => id), ["sales", "vip", "general"]);
  // Waiting chats move to the queues with a chat lane: the chat queue and support, not its own.
  assert.deepEqual(moveTargets(view, "chat", "chat"), [["support", "Customer Support"]]);
  assert.deepEqual(moveTargets(view, "support", "chat"), [["chat", "Web Chat"]]);
  assert.deepEqual(moveTargets(view, "support", "sms"), [], "no queue serves that channel");
});

test("the filter finds agents by name, id, state, reason, pending state, queue or call", () => {
  const view = console_(snapshotAgent("agent2", "not_ready", { reason: "lunch", queues: ["sales"] }));
  const text = agentSearchText(view, "agent2");
  for (const query of ["bianca", "AGENT2", "not ready", "lunch", "sales", "schulz lunch"]) assert.ok(matchesFilter(text, query), query);
  assert.ok(!matchesFilter(text, "bianca support"));
  assert.ok(matchesFilter(text, "   "), "an empty filter shows everyone");
});

test("a new session's snapshot drops the calls; not live until subscribed again; a resume keeps the subscription", () => {
  let view = console_(snapshotAgent("agent1", "ready"), callState("c1"));
  assert.equal(isLive(view, true), true);
  assert.equal(isLive(view, false), false, "the connection is not live");
  assert.equal(keepsSubscription(view, { ...SESSION, resumed: true }), true);
  view = notLive(view);
  assert.equal(view.subscribed, false);
  assert.equal(keepsSubscription(view, { ...SESSION, resumed: true }), false);
  view = reset(view);
  assert.equal(view.calls.size, 0, "the snapshot sends every call again");
  assert.equal(agentFacts(view, "agent1").label, "Ready", "agents stay on show until the snapshot");
  assert.equal(reduce(view, callState("c2")), view, "not subscribed: events are not the console's");
  view = subscribing(view);
  view = reduce(view, callState("c2"));
  assert.deepEqual([...view.calls.keys()], ["c2"]);
  assert.equal(subscribeFailed(view).subscribing, false);
});

test("new tenant lists drop agents and statistics the tenant no longer has", () => {
  let view = console_(snapshotAgent("agent12", "ready"), example("queue_stats"));
  const before = view.structureKey;
  const same = arranged(view, SESSION);
  assert.equal(same.structureKey, before, "the same lists keep the rows");
  const smaller = { ...SESSION, agents: SESSION.agents.slice(0, 11), queues: SESSION.queues.slice(1) };
  view = arranged(view, smaller);
  assert.notEqual(view.structureKey, before);
  assert.equal(view.agents.has("agent12"), false);
  assert.equal(view.queueStats.has("support:voice"), false);
});

test("events a console does not show change nothing, and the reducer leaves the view it was given as it was", () => {
  const view = console_(snapshotAgent("agent1", "ready"));
  for (const name of ["offer", "offer_cancelled", "call_connected", "queue_waiting", "heartbeat"]) {
    assert.equal(reduce(view, example(name)), view, name);
  }
  const next = reduce(view, example("agent_state"));
  assert.equal(agentFacts(view, "agent1").label, "Ready");
  assert.equal(agentFacts(next, "agent1").label, "On call");
  assert.ok(Object.isFrozen(next));
});

test("an agent's phone: a badge while it keeps calls away; a change of it alone keeps the state, its time and who set it", () => {
  let view = console_(
    snapshotAgent("agent1", "ready", { device: "unregistered" }),
    snapshotAgent("agent2", "ready", { device: "available" }),
    snapshotAgent("agent3", "ready"),
    snapshotAgent("agent4", "logged_out", { device: "unregistered" }),
    snapshotAgent("agent5", "on_call", { call: "c5", on_hold: false, device: "in_use" }),
  );
  assert.deepEqual(
    { ...phoneBadge(view, "agent1"), title: undefined },
    { device: "unregistered", label: "Phone: not registered", title: undefined },
  );
  assert.match(phoneBadge(view, "agent1").title, /no calls are offered/);
  assert.equal(phoneBadge(view, "agent2"), null, "available");
  assert.equal(phoneBadge(view, "agent3"), null, "never reported");
  assert.equal(phoneBadge(view, "agent4"), null, "logged out: no calls anyway");
  assert.equal(phoneBadge(view, "agent5"), null, "on a call the ACD offered: naturally in use");
  assert.equal(phoneBadge(view, "agent6"), null, "not in the snapshot yet");
  assert.ok(matchesFilter(agentSearchText(view, "agent1"), "not registered"), "the filter finds it");
  assert.ok(!matchesFilter(agentSearchText(view, "agent2"), "phone"));

  // agent2 was made ready by a supervisor a while ago; then its phone goes in use on a private call.
  view = reduce(view, { type: "agent_state", agent: "agent2", state: "ready", since: SINCE, previous: "not_ready", by: "supervisor", device: "available" });
  const now = Date.parse(SINCE) + 125_000;
  const before = agentClock(view, "agent2", now);
  view = reduce(view, { type: "agent_state", agent: "agent2", state: "ready", since: SINCE, previous: "ready", device: "in_use" });
  assert.equal(phoneBadge(view, "agent2").device, "in_use");
  assert.equal(phoneBadge(view, "agent2").label, "Phone: in use");
  assert.equal(agentFacts(view, "agent2").label, "Ready", "the state stays");
  assert.deepEqual(agentClock(view, "agent2", now), before, "the time in state goes on");
  assert.equal(agentClock(view, "agent2", now).time, "2:05");
  assert.equal(agentFacts(view, "agent2").by, "by supervisor", "still the supervisor's state");
  assert.deepEqual(agentFacts(view, "agent2").queues, "Customer Support", "the snapshot's queues stay");
  // Available again: the badge goes.
  view = reduce(view, { type: "agent_state", agent: "agent2", state: "ready", since: SINCE, previous: "ready", device: "available" });
  assert.equal(phoneBadge(view, "agent2"), null);
  // A real change of state that the agent made names nobody, and carries the phone.
  view = reduce(view, { type: "agent_state", agent: "agent1", state: "not_ready", since: "2023-11-14T22:16:00.000Z", previous: "ready", reason: "break", device: "unregistered" });
  assert.equal(agentFacts(view, "agent1").by, "");
  assert.equal(phoneBadge(view, "agent1").label, "Phone: not registered", "not ready: said before the agent goes ready");
});

// --- Staffing ---------------------------------------------------------------------------------

/**
 * protocol.md's what_if answer: eleven agents work support, the supervisor supposes a twelfth
 * (79.95 %, one short of the target: 13 are needed); 8 callers hung up.
 */
const WHAT_IF_12 = Object.freeze({
  queue: "support",
  at: "2023-11-14T22:15:00.000Z",
  window: {
    start: "2023-11-14T22:00:00.000Z",
    secs: 900.0,
    offered: 60,
    short_abandoned: 2,
    answered: 50,
    abandoned: 8,
    answer_wait_secs: 600.0,
    abandon_wait_secs: 240.0,
    handled: 48,
    handle_secs: 8640.0,
  },
  agents_working: 11,
  service_level: { threshold_secs: 20, target_percent: 80.0, variant: "answered" },
  inputs: { calls_per_hour: 232.0, aht_secs: 180.0, patience_secs: 105.0, agents: 12 },
  model: "erlang_a",
  traffic_erlangs: 11.6,
  agents_needed: 13,
  expected: { service_level_percent: 79.95, asa_secs: 10.54, wait_percent: 43.69, abandon_percent: 11.52, occupancy_percent: 85.53 },
  unavailable: null,
});

/** The same queue as it is, with its eleven agents (figures of the same shape). */
const NOW_11 = Object.freeze({
  ...WHAT_IF_12,
  inputs: { ...WHAT_IF_12.inputs, agents: 11 },
  expected: { service_level_percent: 71.32, asa_secs: 17.06, wait_percent: 56.4, abandon_percent: 15.1, occupancy_percent: 89.27 },
});

/** `answer` changed by `changes` (and its window by `window`). */
const answerWith = (answer, changes = {}, window = {}) => ({ ...answer, ...changes, window: { ...answer.window, ...window } });

test("staffing in words: Erlang A from the whole window, Erlang C when nobody hung up, a window shorter than the rolling one", () => {
  assert.deepEqual(staffingText(NOW_11), {
    headline: "Needs 13 agents for 80 % in 20 s · 11 working",
    expected: "71.3 % in 20 s, ASA 17.1 s, 15.1 % hang up",
    expectedNote: "Agents 89.3 % busy · 56.4 % of callers wait",
    model: "Erlang A, from the last 15 minutes",
    modelTitle:
      "Erlang A: callers may hang up while they wait. 232 calls an hour, 3:00 to handle each, callers hang up after 1:45 on average; 11.6 Erlangs of traffic.",
  });
  // 79.95 % is one short of 80 %: never shown as reaching it.
  assert.equal(expectedServiceLevel(79.95), "79.9 %");
  assert.equal(expectedServiceLevel(57.3), "57.3 %");
  assert.equal(expectedServiceLevel(100), "100.0 %");
  assert.deepEqual(whatIfText(WHAT_IF_12), { line: "With 12 agents: 79.9 % in 20 s, ASA 10.5 s, 11.5 % hang up", note: "" });

  // Nobody hung up: Erlang C, with no abandon figure. The server has counted for 4 minutes only.
  const erlangC = answerWith(
    NOW_11,
    {
      model: "erlang_c",
      inputs: { ...NOW_11.inputs, patience_secs: null, calls_per_hour: 7.5 },
      agents_needed: 1,
      agents_working: 1,
      expected: { service_level_percent: 99.98, asa_secs: 0.04, wait_percent: 0.81, abandon_percent: null, occupancy_percent: 0.8 },
    },
    { secs: 241.5, abandoned: 0, abandon_wait_secs: 0 },
  );
  const text = staffingText(erlangC);
  assert.equal(text.headline, "Needs 1 agent for 80 % in 20 s · 1 working");
  assert.equal(text.expected, "99.9 % in 20 s, ASA 0.0 s");
  assert.equal(text.model, "Erlang C, from the last 4 minutes");
  assert.match(text.modelTitle, /^Erlang C: nobody hung up, so callers are taken to wait as long as it takes\. 7\.5 calls an hour, 3:00 to handle each; /);
  assert.equal(windowPeriod(900), "the last 15 minutes");
  assert.equal(windowPeriod(0.236), "the last second");
  assert.equal(windowPeriod(42.4), "the last 42 seconds");
  assert.equal(windowPeriod(3600), "the last 60 minutes");
  assert.equal(windowPeriod(4 * 3600), "the last 4 hours");
  // A target no number of agents is sure of, and one beyond 5,000 agents.
  const sure = answerWith(NOW_11, { agents_needed: null, service_level: { ...NOW_11.service_level, target_percent: 100 } });
  assert.equal(staffingText(sure).headline, "No number of agents makes sure of 100 % in 20 s · 11 working");
  assert.equal(staffingText(answerWith(NOW_11, { agents_needed: null })).headline, "Needs more than 5,000 agents for 80 % in 20 s · 11 working");
});

test("staffing unavailable: each reason in words, for the queue as it is and for a what-if", () => {
  const noModel = { model: null, traffic_erlangs: null, agents_needed: null, expected: null };
  const noCalls = answerWith(NOW_11, { ...noModel, unavailable: "no_calls", inputs: { calls_per_hour: null, aht_secs: null, patience_secs: null, agents: 11 } }, { secs: 900, offered: 0 });
  assert.deepEqual(staffingText(noCalls), { headline: "No calls in the last 15 minutes yet", expected: null, expectedNote: "", model: null, modelTitle: "" });
  assert.equal(staffingText(answerWith(noCalls, {}, { secs: 75 })).headline, "No calls in the last 75 seconds yet");
  assert.equal(whatIfText(noCalls).line, "No calls in the last 15 minutes yet: give a number of calls an hour");

  const noHandled = answerWith(NOW_11, { ...noModel, unavailable: "no_handled_calls" }, { secs: 180, handled: 0, handle_secs: 0 });
  assert.equal(staffingText(noHandled).headline, "No call handled in the last 3 minutes yet");
  assert.equal(staffingText(noHandled).expected, null);
  assert.equal(whatIfText(noHandled).line, "No call handled in the last 3 minutes yet: no handle time to go by");

  const noAgents = answerWith(NOW_11, { agents_working: 0, inputs: { ...NOW_11.inputs, agents: 0 }, expected: null, unavailable: "no_agents" });
  assert.equal(staffingText(noAgents).headline, "Nobody is working this queue: 13 agents needed");
  assert.equal(staffingText(noAgents).expected, null);
  assert.equal(staffingText({ ...noAgents, agents_needed: null }).headline, "Nobody is working this queue");
  assert.equal(whatIfText(noAgents).line, "With 0 agents nobody answers the calls");

  // Overloaded: the agents needed are still given; what the agents get is that they cannot keep up.
  const overloaded = answerWith(NOW_11, { model: "erlang_c", expected: null, unavailable: "overloaded", inputs: { ...NOW_11.inputs, patience_secs: null } });
  assert.equal(staffingText(overloaded).headline, "Needs 13 agents for 80 % in 20 s · 11 working");
  assert.equal(staffingText(overloaded).expected, "Overloaded: calls arrive faster than 11 agents can answer them");
  assert.equal(staffingText(overloaded).expectedNote, "");
  assert.equal(whatIfText(overloaded).line, "Overloaded: calls arrive faster than 11 agents can answer them");

  // A what-if at another rate says what that rate needs.
  const busier = answerWith(WHAT_IF_12, { agents_needed: 17, inputs: { ...WHAT_IF_12.inputs, calls_per_hour: 320 } });
  assert.deepEqual(whatIfText(busier, 320), {
    line: "With 12 agents: 79.9 % in 20 s, ASA 10.5 s, 11.5 % hang up",
    note: "At 320 calls an hour: needs 17 agents for 80 % in 20 s",
  });
});

test("the what-if: the agents supposed are those working and a delta, held to 0 to 5,000; calls an hour as typed", () => {
  assert.equal(whatIfAgents(NOW_11, 2), 13);
  assert.equal(whatIfAgents(NOW_11, -20), 0);
  assert.equal(whatIfAgents({ ...NOW_11, agents_working: 4999 }, 3), 5000);
  assert.equal(whatIfAgents(null, 2), null);
  assert.deepEqual([deltaText(2), deltaText(-1), deltaText(0)], ["+2", "−1", "+0"]);

  let view = staffingAnswered(staffingAsked(console_(), "support", { kind: "now" }, 1), "support", 1, NOW_11);
  // Stepping down stops at 0 agents, up at 5,000: the delta is what stays within them.
  for (let i = 0; i < 14; i += 1) view = whatIfStepped(view, "support", -1);
  assert.equal(staffingOf(view, "support").delta, -11);
  assert.equal(staffingView(view, "support", LIVE).agents, 0);
  assert.equal(staffingView(view, "support", LIVE).fewer, false, "no fewer than 0 agents");
  assert.equal(staffingView(view, "support", LIVE).more, true);
  view = whatIfChanged(view, "support", { delta: 4989 });
  view = whatIfStepped(view, "support", 1);
  view = whatIfStepped(view, "support", 1);
  assert.equal(staffingOf(view, "support").delta, 4989);
  assert.equal(staffingView(view, "support", LIVE).delta, "+4989");
  assert.equal(staffingView(view, "support", LIVE).more, false, "no more than 5,000 agents");
  // Before the first answer there is nothing to step from; while not live nothing is offered.
  assert.equal(whatIfStepped(console_(), "support", 1).staffing.size, 0);
  assert.deepEqual(
    [staffingView(view, "support", false).fewer, staffingView(view, "support", false).more, staffingView(view, "support", false).rate],
    [false, false, false],
  );

  assert.deepEqual(callsPerHourInput(" 300 "), { value: 300 });
  assert.deepEqual(callsPerHourInput(""), { value: null }, "empty: the queue's own rate");
  for (const bad of ["0", "-3", "100001", "lots"]) {
    assert.deepEqual(callsPerHourInput(bad), { error: "Calls an hour: a number above 0, at most 100,000." }, bad);
  }
});

test("staffing asks: every voice queue, one ask at a time each, the queue as it is before its what-if; late and refused answers", () => {
  let view = twoLaneConsole();
  // Only queues with a voice lane: the chat-only queue has none (it would be wrong_channel).
  assert.deepEqual(
    staffingQueues(view).map(([id]) => id),
    ["support", "sales", "vip", "general"],
  );
  assert.equal(nextStaffingRequest(view, "support"), null, "nothing wanted before the first refresh");
  assert.deepEqual(staffingView(view, "support", LIVE), {
    state: "waiting",
    unavailable: null,
    headline: "…",
    expected: null,
    expectedNote: "",
    model: null,
    modelTitle: "",
    refusal: "",
    delta: "+0",
    agents: null,
    fewer: false,
    more: false,
    rate: false,
    ratePlaceholder: "",
    whatIf: null,
    whatIfHint: "",
  });

  view = staffingDue(view);
  assert.deepEqual([...view.staffing.keys()], ["support", "sales", "vip", "general"]);
  const first = nextStaffingRequest(view, "support");
  assert.deepEqual(first, { kind: "now", key: null, fields: { queue: "support" } });
  view = staffingAsked(view, "support", first, 1);
  assert.equal(nextStaffingRequest(view, "support"), null, "one ask in flight per queue");
  // The supervisor sets a what-if meanwhile, and the refresh comes round again: both wait.
  view = whatIfChanged(view, "support", { delta: 2 });
  view = staffingDue(view);
  assert.equal(nextStaffingRequest(view, "support"), null);
  assert.equal(staffingView(view, "support", LIVE).whatIfHint, "…");
  // An answer to another ask changes nothing.
  assert.equal(staffingAnswered(view, "support", 99, NOW_11), view);

  view = staffingAnswered(view, "support", 1, NOW_11);
  assert.equal(staffingView(view, "support", LIVE).headline, "Needs 13 agents for 80 % in 20 s · 11 working");
  assert.equal(staffingView(view, "support", LIVE).ratePlaceholder, "232");
  // The refresh wanted during the ask goes first, then the what-if, with the agents it supposes.
  const again = nextStaffingRequest(view, "support");
  assert.equal(again.kind, "now");
  view = staffingAnswered(staffingAsked(view, "support", again, 2), "support", 2, NOW_11);
  const whatIf = nextStaffingRequest(view, "support");
  assert.deepEqual(whatIf, { kind: "then", key: "2|", fields: { queue: "support", agents: 13 } });
  view = staffingAsked(view, "support", whatIf, 3);
  view = staffingAnswered(view, "support", 3, { ...WHAT_IF_12, inputs: { ...WHAT_IF_12.inputs, agents: 13 } });
  let shown = staffingView(view, "support", LIVE);
  assert.deepEqual(shown.whatIf, { line: "With 13 agents: 79.9 % in 20 s, ASA 10.5 s, 11.5 % hang up", note: "", current: true });
  assert.equal(nextStaffingRequest(view, "support"), null);

  // Another what-if: the last answer stays in sight, marked as not current, until its own comes.
  view = whatIfChanged(view, "support", { callsPerHour: 400 });
  shown = staffingView(view, "support", LIVE);
  assert.equal(shown.whatIf.current, false);
  assert.deepEqual(nextStaffingRequest(view, "support").fields, { queue: "support", agents: 13, calls_per_hour: 400 });
  // Cleared: the what-if's answer goes, and an answer still on its way is not shown.
  view = staffingAsked(view, "support", nextStaffingRequest(view, "support"), 4);
  view = whatIfChanged(view, "support", { delta: 0, callsPerHour: null });
  view = staffingAnswered(view, "support", 4, WHAT_IF_12);
  assert.equal(staffingView(view, "support", LIVE).whatIf, null);
  assert.equal(staffingOf(view, "support").then, null);

  // A refusal is said calmly, and the figures already shown stay; a lost connection says nothing.
  view = staffingDue(view);
  view = staffingAsked(view, "support", nextStaffingRequest(view, "support"), 5);
  view = staffingFailed(view, "support", 5, { code: "internal", message: "the what-if could not be computed" });
  shown = staffingView(view, "support", LIVE);
  assert.equal(shown.state, "answered");
  assert.equal(shown.headline, "Needs 13 agents for 80 % in 20 s · 11 working");
  assert.equal(shown.refusal, "Could not ask for the staffing figures: the what-if could not be computed (internal)");
  view = staffingDue(view);
  view = staffingAsked(view, "support", nextStaffingRequest(view, "support"), 6);
  view = staffingAnswered(view, "support", 6, NOW_11);
  assert.equal(staffingView(view, "support", LIVE).refusal, "", "an answer clears it");
  view = staffingDue(view);
  view = staffingAsked(view, "sales", nextStaffingRequest(view, "sales"), 7);
  view = staffingFailed(view, "sales", 7, { code: "connection_lost", message: "the connection dropped" });
  assert.equal(staffingView(view, "sales", LIVE).refusal, "");
  assert.equal(staffingView(view, "sales", LIVE).state, "waiting");
  assert.equal(staffingOf(view, "sales").asking, null, "asked again when live");
  view = staffingDue(view);
  view = staffingAsked(view, "vip", nextStaffingRequest(view, "vip"), 8);
  view = staffingFailed(view, "vip", 8, { code: "forbidden", message: "not a supervisor" });
  assert.equal(staffingView(view, "vip", LIVE).state, "error");
  assert.equal(staffingView(view, "vip", LIVE).headline, "Staffing figures not available");

  // An unavailable answer: the row says why, and the controls still work.
  view = staffingDue(view);
  view = staffingAsked(view, "general", nextStaffingRequest(view, "general"), 9);
  view = staffingAnswered(view, "general", 9, answerWith(NOW_11, { queue: "general", model: null, agents_needed: null, expected: null, unavailable: "no_calls" }, { offered: 0 }));
  shown = staffingView(view, "general", LIVE);
  assert.equal(shown.state, "unavailable");
  assert.equal(shown.unavailable, "no_calls");
  assert.equal(shown.headline, "No calls in the last 15 minutes yet");
  assert.equal(shown.more, true);

  // The tenant's queues change: staffing of a queue without a voice lane any more goes.
  const smaller = { ...TWO_LANES, queues: TWO_LANES.queues.filter((queue) => queue.id !== "general") };
  assert.deepEqual([...arranged(view, smaller).staffing.keys()], ["support", "sales", "vip"]);
  assert.ok(Object.isFrozen(staffingOf(view, "support")));
});

// --- Sorting the Agents and the Calls --------------------------------------------------------

test("the agents sort by name, by state and by time in state; again to reverse; ties by name", () => {
  const at = (seconds) => new Date(Date.parse("2023-11-14T22:00:00.000Z") + seconds * 1000).toISOString();
  const view = console_(
    snapshotAgent("agent1", "logged_out", { since: at(0) }),
    snapshotAgent("agent2", "ready", { since: at(300) }),
    snapshotAgent("agent3", "on_call", { since: at(100), call: "c1" }),
    snapshotAgent("agent4", "ready", { since: at(200) }),
    snapshotAgent("agent5", "not_ready", { since: at(50), reason: "break" }),
    snapshotAgent("agent6", "wrap_up", { since: at(250) }),
    snapshotAgent("agent7", "ringing", { since: at(280) }),
  );
  const ids = ["agent7", "agent1", "agent5", "agent3", "agent6", "agent2", "agent4", "agent12"];
  const now = Date.parse("2023-11-14T22:10:00.000Z");
  const names = (order) => order.map((id) => agentName(view, id).split(" ")[0]);

  // No sort: the roster's order, in a new array.
  const none = sortAgents(view, ids, null, now);
  assert.deepEqual(none, ids);
  assert.notEqual(none, ids);

  assert.deepEqual(names(sortAgents(view, ids, { key: "name", descending: false }, now)),
    ["Alex", "Bianca", "Chris", "Dana", "Emil", "Fatma", "Georg", "Lena"]);
  assert.deepEqual(names(sortAgents(view, ids, { key: "name", descending: true }, now)),
    ["Lena", "Georg", "Fatma", "Emil", "Dana", "Chris", "Bianca", "Alex"]);

  // By state: ready first (by name), then ringing, on a call, wrap-up, not ready, logged out; an
  // agent with no state yet (Lena) last. Reversed, each state's agents stay alphabetical.
  assert.deepEqual(names(sortAgents(view, ids, { key: "state", descending: false }, now)),
    ["Bianca", "Dana", "Georg", "Chris", "Fatma", "Emil", "Alex", "Lena"]);
  assert.deepEqual(names(sortAgents(view, ids, { key: "state", descending: true }, now)),
    ["Lena", "Alex", "Emil", "Fatma", "Chris", "Georg", "Bianca", "Dana"]);
  assert.deepEqual(STATE_SORT_ORDER, ["ready", "ringing", "on_call", "wrap_up", "not_ready", "logged_out"]);

  // By time in state: shortest first (Bianca since 300 s); no state yet sorts as the shortest.
  assert.deepEqual(names(sortAgents(view, ids, { key: "time", descending: false }, now)),
    ["Lena", "Bianca", "Georg", "Fatma", "Dana", "Chris", "Emil", "Alex"]);
  assert.deepEqual(names(sortAgents(view, ids, { key: "time", descending: true }, now)),
    ["Alex", "Emil", "Chris", "Dana", "Fatma", "Georg", "Bianca", "Lena"]);

  // A state change moves the agent; an unknown key keeps the roster's order.
  const moved = reduce(view, { type: "agent_state", agent: "agent1", state: "ready", since: at(590) });
  assert.deepEqual(names(sortAgents(moved, ids, { key: "state", descending: false }, now)).slice(0, 4), ["Alex", "Bianca", "Dana", "Georg"]);
  assert.deepEqual(sortAgents(view, ids, { key: "shoe size", descending: false }, now), ids);
});

test("a click on a header sorts by it, again reverses; aria-sort and the stored sort say it", () => {
  const byName = nextSort(null, "name");
  assert.deepEqual(byName, { key: "name", descending: false });
  assert.deepEqual(nextSort(byName, "name"), { key: "name", descending: true });
  assert.deepEqual(nextSort(nextSort(byName, "name"), "name"), { key: "name", descending: false });
  assert.deepEqual(nextSort(nextSort(byName, "name"), "state"), { key: "state", descending: false });

  assert.equal(ariaSort(byName, "name"), "ascending");
  assert.equal(ariaSort(nextSort(byName, "name"), "name"), "descending");
  assert.equal(ariaSort(byName, "state"), null);
  assert.equal(ariaSort(null, "state"), null);

  assert.deepEqual(sortFromStorage(JSON.stringify({ key: "state", descending: true }), "agents"), { key: "state", descending: true });
  assert.deepEqual(sortFromStorage(JSON.stringify({ key: "wait" }), "calls"), { key: "wait", descending: false });
  assert.equal(sortFromStorage(JSON.stringify({ key: "wait" }), "agents"), null);
  assert.equal(sortFromStorage(null, "agents"), null);
  assert.equal(sortFromStorage("{not json", "agents"), null);
  assert.deepEqual(SORT_KEYS.agents, ["name", "state", "time"]);
  assert.deepEqual(SORT_KEYS.calls, ["wait", "priority"]);
});

test("the calls sort by time in queue and by priority; without a sort they keep the console's order", () => {
  const view = console_(
    callState("c1", { status: "waiting", priority: 1, entered_queue_at: "2023-11-14T22:14:00.000Z", arrived_at: "2023-11-14T22:14:00.000Z" }),
    callState("c2", { status: "waiting", priority: 5, entered_queue_at: "2023-11-14T22:14:30.000Z", arrived_at: "2023-11-14T22:14:30.000Z" }),
    callState("c3", { status: "connected", priority: 0, entered_queue_at: "2023-11-14T22:10:00.000Z", arrived_at: "2023-11-14T22:10:00.000Z" }),
    callState("c4", { status: "waiting", priority: 1, entered_queue_at: "2023-11-14T22:13:00.000Z", arrived_at: "2023-11-14T22:13:00.000Z" }),
  );
  const now = Date.parse("2023-11-14T22:15:00.000Z");
  const ids = (calls) => calls.map((call) => call.call);
  assert.deepEqual(ids(sortCalls(view, null, now)), ids(callOrder(view)));
  assert.deepEqual(ids(sortCalls(view, null, now)), ["c2", "c4", "c1", "c3"]);
  // In queue: a connected call is in no queue (0 s).
  assert.deepEqual(ids(sortCalls(view, { key: "wait", descending: false }, now)), ["c3", "c2", "c1", "c4"]);
  assert.deepEqual(ids(sortCalls(view, { key: "wait", descending: true }, now)), ["c4", "c1", "c2", "c3"]);
  // Priority; ties keep the console's order (c4 waited longer than c1).
  assert.deepEqual(ids(sortCalls(view, { key: "priority", descending: false }, now)), ["c3", "c4", "c1", "c2"]);
  assert.deepEqual(ids(sortCalls(view, { key: "priority", descending: true }, now)), ["c2", "c4", "c1", "c3"]);
});

/** The console's words in German, with Germany's figures. */
const GERMAN = translator({ language: "de", locale: "de-DE", messages: SUPERVISOR_MESSAGES });

test("in German: agents, calls, queues and commands in a German contact center's words, figures with a decimal comma", () => {
  const view = console_(
    snapshotAgent("agent1", "ready"),
    snapshotAgent("agent2", "on_call", { call: "c1" }),
    snapshotAgent("agent3", "wrap_up", { wrap_up_deadline: "2023-11-14T22:16:00.000Z" }),
    snapshotAgent("agent4", "not_ready", { reason: "no_answer", by: "supervisor" }),
    { type: "pending_state", agent: "agent2", pending: { state: "logged_out" }, by: "supervisor" },
    callState("c1", { status: "waiting", from_queue: "sales", reason: "moved", by: "supervisor", caller: null }),
  );
  assert.equal(agentCountText(view, IDS, IDS.length, GERMAN), "12 Agenten · 1 nicht bereit, 1 bereit, 1 im Gespräch, 1 in Nachbearbeitung");
  assert.equal(agentCountText(view, IDS, 3, GERMAN), "3 von 12 Agenten angezeigt · 1 nicht bereit, 1 bereit, 1 im Gespräch, 1 in Nachbearbeitung");
  const notReady = agentFacts(view, "agent4", GERMAN);
  assert.equal(notReady.label, "Nicht bereit");
  assert.equal(notReady.reason, "Nicht angenommen", "the ACD's own reason in German");
  assert.equal(notReady.by, "von supervisor");
  assert.equal(agentFacts(view, "agent2", GERMAN).pending, "Abmelden");
  assert.equal(agentFacts(view, "agent3", GERMAN).label, "Nachbearbeitung");
  assert.equal(agentClock(view, "agent3", Date.parse("2023-11-14T22:15:30.000Z"), GERMAN).extra, "noch 0:30");
  assert.ok(matchesFilter(agentSearchText(view, "agent2", GERMAN), "gespräch"), "the filter finds the German state");
  assert.equal(agentActions(view, "agent2", LIVE, GERMAN).logout.title, "Nach dem aktuellen Gespräch abmelden");
  assert.equal(agentActions(view, "agent1", LIVE, GERMAN).ready.title, "Jetzt bereit für Anrufe");

  const call = callFacts(view, "c1", GERMAN);
  assert.equal(call.statusText, "Wartend");
  assert.equal(call.queueNote, "verschoben aus Sales");
  assert.equal(call.movedBy, "von supervisor");
  assert.equal(call.caller, "unbekannt");
  assert.equal(callCountText(view, GERMAN), "1 Anruf: 1 wartend, 0 klingelnd, 0 verbunden");

  assert.deepEqual(serviceLevel(83.35, 80, 20, GERMAN), {
    sl: "on",
    key: "83.35|80|20",
    value: "83,3 %",
    verdict: "im Ziel",
    target: "Ziel 80 % in 20 s",
  });
  assert.equal(serviceLevel(70, 80, null, GERMAN).verdict, "unter Ziel");
  assert.equal(totalsChannel(view, GERMAN), "alle Kanäle");
  assert.equal(queueFigures({ today: { answered: 1234 } }, GERMAN).answered, "1.234");

  assert.equal(agentCommand(view, "agent1", "not_ready", "no_answer", GERMAN).what, "Alex Becker auf Nicht bereit setzen (Nicht angenommen)");
  assert.equal(agentCommand(view, "agent2", "set_pending", "logged_out", GERMAN).what, "Folgestatus von Bianca Schulz auf Abmelden setzen");
  assert.equal(priorityCommand("c1", "300", GERMAN).error.message, "Eine Priorität ist eine ganze Zahl von 0 bis 255 (höher wird zuerst bedient).");
  assert.equal(moveCommand(view, "c1", "vip", GERMAN).what, "Anruf c1 in VIP Line verschieben");
  assert.equal(callsPerHourInput("0", GERMAN).error, "Anrufe pro Stunde: eine Zahl über 0, höchstens 100.000.");
});

test("in German: staffing, its what-if and why a figure is missing", () => {
  assert.deepEqual(staffingText(NOW_11, GERMAN), {
    headline: "Benötigt 13 Agenten für 80 % in 20 s · 11 im Einsatz",
    expected: "71,3 % in 20 s, Ø Wartezeit 17,1 s, 15,1 % legen auf",
    expectedNote: "Agenten zu 89,3 % ausgelastet · 56,4 % der Anrufer warten",
    model: "Erlang A, aus den letzten 15 Minuten",
    modelTitle:
      "Erlang A: Anrufer können auflegen, während sie warten. 232 Anrufe pro Stunde, je 3:00 Bearbeitungszeit, Anrufer legen im Schnitt nach 1:45 auf; 11,6 Erlang Verkehrslast.",
  });
  assert.deepEqual(whatIfText(WHAT_IF_12, 232, GERMAN), {
    line: "Mit 12 Agenten: 79,9 % in 20 s, Ø Wartezeit 10,5 s, 11,5 % legen auf",
    note: "Bei 232 Anrufen pro Stunde: benötigt 13 Agenten für 80 % in 20 s",
  });
  assert.equal(windowPeriod(0.2, GERMAN), "der letzten Sekunde");
  assert.equal(windowPeriod(42, GERMAN), "den letzten 42 Sekunden");
  assert.equal(windowPeriod(4 * 3600, GERMAN), "den letzten 4 Stunden");
  assert.equal(callsPerHourText(1, GERMAN), "1 Anruf pro Stunde");
  assert.equal(callsPerHourText(7.5, GERMAN), "7,5 Anrufe pro Stunde");
  const noModel = { model: null, traffic_erlangs: null, agents_needed: null, expected: null };
  const noCalls = answerWith(NOW_11, { ...noModel, unavailable: "no_calls" });
  assert.equal(staffingText(noCalls, GERMAN).headline, "Noch keine Anrufe in den letzten 15 Minuten");
  assert.equal(staffingText(answerWith(NOW_11, { agents_needed: null }), GERMAN).headline, "Benötigt mehr als 5.000 Agenten für 80 % in 20 s · 11 im Einsatz");
  assert.equal(staffingText(answerWith(NOW_11, { ...noModel, unavailable: "no_agents", agents_needed: 1 }), GERMAN).headline, "Niemand arbeitet in dieser Warteschlange: 1 Agent benötigt");
});

test("supervisors on an agent's call: who and how, this supervisor's way on and off, the commands", () => {
  const onCall = snapshotAgent("agent1", "on_call", { call: "c1", on_hold: false, held_secs: 0 });
  const monitoring = (supervisor, mode, ended) => ({
    type: "monitoring", agent: "agent1", call: "c1", supervisor, mode, ...(ended ? { ended } : {}),
  });
  let view = console_(onCall);
  assert.deepEqual(monitorView(view, "agent1", LIVE), { shown: true, text: "", join: true, leave: false, mine: null });
  assert.deepEqual(monitorView(view, "agent1", false).join, false, "not while the view is not live");
  view = [monitoring("supervisor", "whisper"), monitoring("sue", "listen")].reduce(reduce, view);
  assert.deepEqual(monitorView(view, "agent1", LIVE), {
    shown: true,
    text: "supervisor whispering and sue listening",
    join: true,
    leave: true,
    mine: "whisper",
  });
  assert.equal(monitorView(view, "agent1", LIVE, GERMAN).text, "supervisor flüstert ein und sue hört mit");
  view = reduce(view, monitoring("supervisor", null, "ended"));
  assert.deepEqual(monitorView(view, "agent1", LIVE).mine, null);
  assert.equal(monitorView(view, "agent1", LIVE).text, "sue listening");
  // The call over: nothing shown, whatever was said before.
  const after = reduce(view, snapshotAgent("agent1", "wrap_up", { call: "c1" }));
  assert.deepEqual(monitorView(after, "agent1", LIVE), { shown: false, text: "", join: false, leave: false, mine: null });
  assert.deepEqual(monitorCommand(view, "agent1", "barge"), {
    what: "Barge in on Alex Becker's call",
    type: "monitor",
    fields: { agent: "agent1", mode: "barge" },
  });
  assert.deepEqual(monitorCommand(view, "agent1", null).type, "end_monitor");
});

test("the message on the wallboards: what shows and who set it, Set and Clear, and one cleared while the console was away", () => {
  const ticker = example("ticker");
  /** When it was set, as the console writes a time in the language of `options`. */
  const at = (options) => translator({ messages: SUPERVISOR_MESSAGES, ...options }).time(Date.parse(ticker.at), { seconds: false });
  let view = console_();
  assert.deepEqual(tickerView(view, LIVE), { text: "", line: "No message on the wallboards.", set: true, clear: false });
  view = reduce(view, ticker);
  assert.deepEqual(tickerView(view, LIVE), {
    text: "Billing system down, tell callers we call back",
    line: `Shown now · set by supervisor at ${at({})}`,
    set: true,
    clear: true,
  });
  assert.deepEqual(tickerView(view, false), { ...tickerView(view, LIVE), set: false, clear: false }, "not while the view is not live");
  assert.equal(tickerView(view, LIVE, GERMAN).line, `Wird angezeigt · gesetzt von supervisor um ${at({ language: "de", locale: "de-DE" })}`);
  // A new subscription whose snapshot has no message: it was cleared meanwhile.
  assert.equal(subscribed(subscribing(view), 0).ticker, null);
  assert.equal(subscribed(reduce(subscribing(view), ticker), 0).ticker.text, ticker.text);
  // Cleared by a supervisor.
  assert.deepEqual(tickerView(reduce(view, { ...ticker, text: null, by: "sue" }), LIVE).text, "");
  // Set sends the text as typed (the server trims it); a blank one clears.
  assert.deepEqual(tickerCommand(" Team meeting 14:00 "), {
    what: "set the message on the wallboards",
    type: "set_ticker",
    fields: { text: " Team meeting 14:00 " },
  });
  assert.deepEqual(tickerCommand("   ", GERMAN), { what: "die Mitteilung auf den Wallboards entfernen", type: "set_ticker", fields: { text: "" } });
});

test("displays: listed with who made them and when, Create and Revoke only while live, the commands and the link", () => {
  let view = console_();
  assert.deepEqual(displaysView(view, LIVE), { rows: [], empty: false, create: true }, "not read yet: not said to be empty");
  view = withDisplays(view, { displays: [] });
  assert.equal(displaysView(view, LIVE).empty, true);
  const at = "2023-11-14T22:13:20.512Z";
  view = withDisplays(view, { displays: [{ name: "lobby-tv", created_by: "sue", created_at: at }] });
  const time = (options) => translator({ messages: SUPERVISOR_MESSAGES, ...options }).time(Date.parse(at), { seconds: false });
  assert.deepEqual(displaysView(view, LIVE), { rows: [{ name: "lobby-tv", made: `by sue at ${time({})}`, revoke: true }], empty: false, create: true });
  assert.deepEqual(displaysView(view, false).rows[0].revoke, false, "not while the view is not live");
  assert.equal(displaysView(view, LIVE, GERMAN).rows[0].made, `von sue um ${time({ language: "de", locale: "de-DE" })}`);
  assert.deepEqual(createDisplayCommand(" lobby-tv "), { what: "create display lobby-tv", type: "create_display", fields: { name: "lobby-tv" } });
  assert.deepEqual(revokeDisplayCommand("lobby-tv", GERMAN), { what: "Anzeige lobby-tv widerrufen", type: "revoke_display", fields: { name: "lobby-tv" } });
  // The token in the fragment, which no server or proxy log sees.
  assert.equal(displayLink("https://acd.example.com", "d1.61.ff"), "https://acd.example.com/wallboard#display=d1.61.ff");
});

test("an agent's day in one line, and a queue's dispositions today in its codes' order", () => {
  let view = console_(snapshotAgent("agent1", "ready"));
  assert.equal(dayLine(view, "agent1"), "", "not known yet");
  view = withAgentsToday(view, {
    agents: [
      { agent: "agent1", handled: 12, aht_secs: 192.4, occupancy_percent: 78.4, time_in_state: {} },
      { agent: "agent2", handled: 1, aht_secs: 60, occupancy_percent: null, time_in_state: {} },
      { agent: "agent3", handled: 0, aht_secs: null, occupancy_percent: null, time_in_state: {} },
    ],
  });
  assert.equal(dayLine(view, "agent1"), "12 calls · AHT 3:12 · 78 % occupied");
  assert.equal(dayLine(view, "agent2"), "1 call · AHT 1:00");
  assert.equal(dayLine(view, "agent3"), "0 calls");
  assert.equal(dayLine(view, "agent1", GERMAN), "12 Anrufe · Ø Bearbeitung 3:12 · 78 % ausgelastet");

  const stats = example("queue_stats");
  assert.equal(
    dispositionText(view, "support", stats),
    "Dispositions today: Resolved 260 · Callback arranged 58 · Escalated to 2nd level 31 · No issue / wrong number 24 · none 3",
  );
  assert.equal(
    dispositionText(view, "support", { ...stats, dispositions: { today: { resolved: 1, retired: 2 }, none_today: 0 } }, GERMAN),
    "Abschlusscodes heute: Resolved 1 · Callback arranged 0 · Escalated to 2nd level 0 · No issue / wrong number 0 · retired 2 · ohne 0",
    "a code a reload removed keeps its count; German figures",
  );
  assert.equal(dispositionText(view, "vip", { ...stats, dispositions: { today: {}, none_today: 4 } }), "", "a queue without codes");
});

test("too long in a state (the tenant's alerts) and a queue past its own levels are flagged", () => {
  // The example tenant: not ready 900 s, wrap-up 120 s, hold 90 s; support: waiting [5, 10],
  // longest wait [60, 180] s, abandonment [5, 10] %.
  const at = (secs) => Date.parse(SINCE) + secs * 1000;
  let view = console_(snapshotAgent("agent1", "not_ready", { reason: "break" }), snapshotAgent("agent2", "wrap_up", { call: "c1" }));
  assert.equal(agentAlert(view, "agent1", at(899)), null);
  assert.deepEqual(agentAlert(view, "agent1", at(901)), { kind: "not_ready", words: "Not ready for more than 15:00" });
  assert.deepEqual(agentAlert(view, "agent2", at(121), GERMAN), { kind: "wrap_up", words: "Länger als 2:00 in Nachbearbeitung" });
  const held = "2023-11-14T22:12:00.000Z";
  view = reduce(view, snapshotAgent("agent3", "on_call", { call: "c2", on_hold: true, held_since: held, held_secs: 0 }));
  assert.equal(agentAlert(view, "agent3", Date.parse(held) + 89_000), null, "on the call long, on hold not yet");
  assert.equal(agentAlert(view, "agent3", Date.parse(held) + 91_000).kind, "hold");
  assert.equal(agentAlert(reduce(view, snapshotAgent("agent3", "on_call", { call: "c2", on_hold: false, held_secs: 91 })), "agent3", at(9999)), null);

  const stats = example("queue_stats");
  const since = Date.parse(stats.oldest_waiting_since);
  assert.equal(queueAlert(view, "support", { ...stats, waiting: 2, today: { abandonment_rate_percent: 1 } }, since + 10_000), "none");
  assert.equal(queueAlert(view, "support", { ...stats, waiting: 5, today: { abandonment_rate_percent: 1 } }, since + 10_000), "raised");
  assert.equal(queueAlert(view, "support", { ...stats, waiting: 2, today: { abandonment_rate_percent: 1 } }, since + 181_000), "high");
  assert.equal(queueAlert(view, "support", stats, since + 10_000), "raised", "5.1 % abandoned today");
  // A queue without levels of its own: its longest wait against its service level's threshold.
  const sales = { ...stats, queue: "sales", today: {} };
  assert.equal(queueAlert(view, "sales", sales, since + 19_000), "none");
  assert.equal(queueAlert(view, "sales", sales, since + 21_000), "raised");
  assert.equal(queueAlert(view, "sales", sales, since + 41_000), "high");
});

test("the current quarter hour's service level beside today's", () => {
  assert.equal(serviceLevel(81.96, 80, 20).interval, undefined, "none given: nothing said");
  assert.equal(serviceLevel(81.96, 80, 20, undefined, 83.33).interval, "¼ h: 83.3 %");
  assert.equal(serviceLevel(81.96, 80, 20, GERMAN, 83.33).interval, "¼ Std.: 83,3 %");
  assert.notEqual(serviceLevel(81.96, 80, 20, undefined, 83.33).key, serviceLevel(81.96, 80, 20).key, "a new interval figure redraws the cell");
});
