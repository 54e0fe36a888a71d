// The supervisor's console in Node (web/supervisor-state.js): the agent list after agent_state
// and pending_state events, calls in the console's order as call_state and call_left come,
// queue figures (and a chat queue's channel, places and first response, from protocol.md's
// chat queue_stats), which actions a supervisor may take on an agent or a call in each state, the
// commands they send, the filter, a new session's snapshot and events before `subscribe`, and a
// queue serving voice and chat (a row and statistics per lane; a call moves only to queues with a
// voice lane, each once), and each agent's phone as the PBX reports it (a badge while it keeps
// calls away; a change of it alone leaves the state and its time).
// Messages are those of protocol/examples. (The page itself, on the real server in Chromium:
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
  callCountText,
  callFacts,
  callOrder,
  conversationFigures,
  emptyView,
  isLive,
  keepsSubscription,
  matchesFilter,
  moveCommand,
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
  subscribeFailed,
  subscribed,
  subscribing,
  totalsChannel,
} from "../../web/supervisor-state.js";
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
