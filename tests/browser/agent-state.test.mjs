// The WebAgent's view in Node (web/agent-state.js): what the page shows and which buttons it
// offers after the server's events, with the messages of protocol/examples: an offer taken, a
// call held, hung up and wrapped up, a pending state set while on a call, an offer that rings
// out, a reload mid-call, a new session's snapshot, events that are not this agent's, and a queue
// serving voice and chat (a waiting count per lane; transfer targets by the work's channel), and
// the agent's phone as the PBX reports it (agent_state's `device`: a notice when it keeps calls
// away, the state left as it is), and where the keyboard goes and which presses come too soon to
// be taken (focusAfter, guarded: no accidental hang-up), a held call's times (the hold timer
// runs, the talk timer stands still: callTimes, from the server's held_since and held_secs),
// and the words for what the agent did not do itself (stateWhy, rejoinNote); and all of it in
// German (the translator passed last; English without one).
// (The page itself, on the real server in Chromium: agent.test.mjs.)
// Run: node --test agent-state.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  agentActions,
  agentState,
  announcement,
  callFacts,
  callTimes,
  clocks,
  command,
  consultText,
  conversationTargets,
  connectedCall,
  controlsChanged,
  dayChanged,
  dayView,
  dispositionChoices,
  dispositionCommand,
  emptyView,
  focusAfter,
  GUARD_MS,
  guardNote,
  guarded,
  offerRings,
  offers,
  pageTitle,
  pendingText,
  phoneNotice,
  queueRows,
  reduce,
  reduceAt,
  reasonOf,
  rejoinNote,
  reset,
  ringingCall,
  signedIn,
  stateLine,
  stateName,
  stateWhy,
  takesConversations,
  transferTargets,
  withDirectory,
  withQueueList,
  labelledData,
  RING_TONES,
  ringGain,
  soundSettings,
  withRejoin,
  wrapUpBlocked,
} from "../../web/agent-state.js";
import { AGENT_MESSAGES } from "../../web/agent-messages.js";
import { translator } from "../../web/i18n.js";
import { example } from "./examples.mjs";

/** agent1's AuthResult, as the demo's server answers its sign-in. */
const SESSION = example("ack").result;
/** A `list_agents` result, as protocol.md shows it. */
const LISTED = {
  agents: [
    { id: "agent1", name: "Alex Becker", state: "on_call" },
    { id: "agent2", name: "Bianca Schulz", state: "ready" },
    { id: "agent3", name: "Chris Wagner", state: "logged_out" },
  ],
};
const OFFER = example("offer");
const CALL = OFFER.call;
const SINCE = "2023-11-14T22:13:20.000Z";

/** agent1's agent_state: `state` and whatever else the event says. */
const agentState_ = (state, fields = {}) => ({ type: "agent_state", agent: "agent1", state, since: SINCE, ...fields });

/** The view after signing in as agent1 and then `events`, in order. */
function after(...events) {
  return events.reduce(reduce, signedIn(emptyView(), SESSION));
}

/** The actions on offer now: shown and usable. */
const offered = (view) => Object.keys(agentActions(view)).filter((action) => offers(view, action));

const ringing = () => after(agentState_("ready"), OFFER, agentState_("ringing", { call: CALL }));
const onCall = (fields = {}) =>
  after(
    agentState_("ready"),
    OFFER,
    agentState_("ringing", { call: CALL }),
    example("call_connected"),
    agentState_("on_call", { call: CALL, on_hold: false, previous: "ringing", ...fields }),
  );

test("signed in but logged out of the ACD: only Log in is offered, and sign-out is free", () => {
  const view = signedIn(emptyView(), SESSION);
  assert.equal(agentState(view), "logged_out");
  assert.deepEqual(offered(view), ["login", "sign_out"]);
  assert.equal(stateLine(view).label, "Logged out");
  assert.equal(pageTitle(view), "Logged out · WebAgent");
});

test("logged in and not ready: ready, not ready and log out, with the reason on the state line", () => {
  const view = after(agentState_("not_ready", { reason: "lunch" }));
  assert.deepEqual(offered(view), ["ready", "not_ready", "logout", "sign_out"]);
  assert.deepEqual(stateLine(view), { state: "not_ready", label: "Not ready", reason: "· Lunch", by: "", timed: true });
  assert.equal(agentActions(view).not_ready.label, "Not ready");
  // A reason the ACD set itself has its own name; a supervisor's change says who made it.
  const forced = after(agentState_("not_ready", { reason: "no_answer", by: "supervisor" }));
  assert.equal(stateLine(forced).reason, "· No answer");
  assert.equal(stateLine(forced).by, "(set by supervisor)");
  assert.deepEqual(focusAfter(view), { action: "ready" });
});

test("ready: Ready is shown but not usable", () => {
  const view = after(agentState_("ready"));
  assert.equal(agentActions(view).ready.shown, true);
  assert.equal(agentActions(view).ready.enabled, false);
  assert.ok(!offers(view, "ready"));
  assert.ok(offers(view, "not_ready"));
});

test("an offer rings: accept and reject, who calls and why, a countdown, and an announcement", () => {
  const view = ringing();
  assert.deepEqual(offered(view), ["not_ready", "logout", "accept", "reject"]);
  assert.equal(ringingCall(view).call, CALL);
  assert.deepEqual(callFacts(view, ringingCall(view)), {
    caller: "+4930123456",
    queue: "Customer Support",
    dialled: "800100",
    // The tenant names `language` (data_labels): first, under its label; `account` as it is.
    data: [
      ["Language", "de"],
      ["account", "C-10293"],
    ],
  });
  assert.equal(pageTitle(view), "Incoming call · WebAgent");
  assert.equal(announcement(view, OFFER), "Incoming call from +4930123456 for Customer Support.");
  // The deadline is 22:13:40: 15 s before it the countdown says so and the ring sounds; after it, silence.
  const before = Date.parse("2023-11-14T22:13:25.000Z");
  assert.equal(clocks(view, before).offerCountdown, "0:15");
  assert.equal(offerRings(view, before), true);
  assert.equal(offerRings(view, Date.parse("2023-11-14T22:13:41.000Z")), false);
  // While busy, not ready and log out set what comes after the call, and sign-out waits.
  assert.equal(agentActions(view).not_ready.label, "Not ready after this call");
  assert.equal(agentActions(view).logout.label, "Log out after this call");
  assert.equal(agentActions(view).sign_out.title, "Finish the call and the wrap-up first");
});

test("an offer accepted: the call is on the view with hold, transfer and hang up offered, accept not", () => {
  const view = onCall();
  assert.equal(agentState(view), "on_call");
  assert.equal(ringingCall(view), null);
  // The live call_connected does not repeat the caller: the offer told it.
  assert.equal(connectedCall(view).caller, "+4930123456");
  assert.equal(callFacts(view, connectedCall(view)).queue, "Customer Support");
  // The demo's connector carries consultations out: Consult is there beside Transfer.
  assert.deepEqual(offered(view), ["not_ready", "logout", "hold", "transfer", "consult", "hangup"]);
  assert.ok(!offers(view, "accept"));
  assert.ok(!offers(view, "resume"));
  assert.ok(!offers(view, "ready"), "a busy agent cannot go ready");
  // The focus goes to the call's panel, never to Hang up: a second Enter must not end the call.
  assert.deepEqual(focusAfter(view), { panel: "call" });
  assert.equal(clocks(view, Date.parse(SINCE) + 134_000).callTime, "2:14");
  assert.deepEqual(command(view, "hangup"), ["hangup", { call: CALL }]);
  assert.deepEqual(command(view, "transfer", { target: "queue:sales" }), ["transfer", { call: CALL, queue: "sales" }]);
  assert.deepEqual(command(view, "transfer", { target: "agent:agent3" }), ["transfer", { call: CALL, agent: "agent3" }]);
});

test("on hold: resume instead of hold; transfer and hang up stay", () => {
  const view = onCall({ on_hold: true, previous: "on_call" });
  assert.deepEqual(offered(view), ["not_ready", "logout", "resume", "transfer", "consult", "hangup"]);
  assert.deepEqual(command(view, "resume"), ["resume", { call: CALL }]);
});

test("hung up: wrap-up offers end and extend, with its countdown", () => {
  const deadline = "2023-11-14T22:15:00.000Z";
  const view = reduce(
    reduce(onCall(), example("call_left")),
    agentState_("wrap_up", { call: CALL, wrap_up_deadline: deadline, previous: "on_call" }),
  );
  assert.equal(connectedCall(view), null);
  assert.equal(view.calls.size, 0, "the call is gone from the view");
  assert.deepEqual(offered(view), ["not_ready", "logout", "end_wrap_up", "extend_wrap_up"]);
  assert.equal(clocks(view, Date.parse(deadline) - 45_000).wrapUpCountdown, "0:45");
  assert.deepEqual(focusAfter(view), { panel: "wrap-up" }, "not End wrap-up: the next Enter must not make the agent ready");
  assert.deepEqual(command(view, "extend_wrap_up", { extendSecs: "120" }), ["extend_wrap_up", { secs: 120 }]);
  assert.deepEqual(command(view, "end_wrap_up"), ["end_wrap_up"]);
});

test("dispositions: the codes of the queue the call was answered in, on the call and in its wrap-up, and End wrap-up waits for a required one", () => {
  const deadline = "2023-11-14T22:15:00.000Z";
  const call = onCall();
  const onIt = dispositionChoices(call);
  assert.deepEqual(
    onIt,
    { call: CALL, queue: "support", codes: SESSION.queues[0].dispositions, required: true },
    "support's codes, from the AuthResult",
  );
  const wrapUp = reduce(
    reduce(call, example("call_left")),
    agentState_("wrap_up", { call: CALL, wrap_up_deadline: deadline, previous: "on_call" }),
  );
  assert.deepEqual(dispositionChoices(wrapUp), onIt, "the call left, its queue is remembered");
  assert.deepEqual(wrapUpBlocked(onIt, null).blocked, true);
  assert.match(wrapUpBlocked(onIt, null).why, /requires one/);
  assert.deepEqual(wrapUpBlocked(onIt, { call: CALL, disposition: "" }).blocked, true, "saved without a code");
  assert.deepEqual(wrapUpBlocked(onIt, { call: "other", disposition: "resolved" }).blocked, true, "another call's");
  assert.deepEqual(wrapUpBlocked(onIt, { call: CALL, disposition: "resolved" }), { blocked: false, why: "" });
  assert.deepEqual(dispositionCommand(onIt, "callback", "  Monday  "), [
    "set_disposition",
    { call: CALL, disposition: "callback", notes: "  Monday  " },
  ]);
  assert.deepEqual(dispositionCommand(onIt, "", "   "), ["set_disposition", { call: CALL }], "none, no notes");

  // A reload in wrap-up: the snapshot no longer names the call's queue; the page's memory does.
  const reloaded = [agentState_("wrap_up", { call: CALL, wrap_up_deadline: deadline })].reduce(reduce, signedIn(emptyView(), SESSION));
  assert.equal(dispositionChoices(reloaded), null, "without the page's memory: nothing to offer");
  assert.deepEqual(dispositionChoices(reloaded, "support"), onIt);
  // A queue without codes, and no call: nothing.
  assert.equal(dispositionChoices(reloaded, "vip"), null);
  assert.equal(dispositionChoices(after(agentState_("ready"))), null);
});

test("my day: the server's figures as the panel shows them, names for queues and codes, and when to ask again", () => {
  const day = JSON.parse(
    readFileSync(new URL("../../protocol/protocol.md", import.meta.url), "utf8")
      .split("\n")
      .find((line) => line.startsWith('{"type":"ack","id":"17"')),
  ).result;
  const shown = dayView(signedIn(emptyView(), SESSION), day, (instant) => instant.slice(11, 16));
  assert.deepEqual(
    [shown.handled, shown.aht, shown.occupancy],
    ["2", "3:13", "25 %"],
  );
  assert.deepEqual(shown.states.map((s) => [s.label, s.time]), [
    ["Ready", "20:10"],
    ["On call", "6:00"],
    ["Wrap-up", "0:40"],
    ["Ringing", "0:14"],
    ["Not ready", "10:00"],
  ]);
  assert.deepEqual(shown.recent, [
    { call: "pbx-1700000000.42", at: "22:13", caller: "+4930123456", queue: "Customer Support", duration: "3:56", disposition: "Callback arranged" },
    { call: "pbx-1700000000.17", at: "21:58", caller: "Unknown number", queue: "General Enquiries", duration: "1:51", disposition: "–" },
  ]);
  assert.equal(dayView(signedIn(emptyView(), SESSION), null, String), null, "nothing before the first answer");
  const ready = agentState_("ready");
  assert.equal(dayChanged(ready, ready), false);
  assert.equal(dayChanged(ready, agentState_("ringing", { call: CALL })), true);
  assert.equal(dayChanged(ready, { ...ready, since: "2023-11-14T22:14:00.000Z" }), true);
});

test("a pending state set while on a call: the page says what comes after it, and Clear is offered", () => {
  let view = onCall();
  assert.equal(pendingText(view), null);
  assert.ok(!offers(view, "clear_pending"));
  view = reduce(view, example("pending_state"));
  assert.equal(pendingText(view), "Not ready · Lunch");
  assert.ok(offers(view, "clear_pending"));
  assert.equal(agentState(view), "on_call", "the call goes on");
  // A supervisor's change says who made it; logging out after the call reads as such.
  view = reduce(view, { type: "pending_state", agent: "agent1", pending: { state: "logged_out" }, by: "supervisor" });
  assert.equal(pendingText(view), "Log out (set by supervisor)");
  view = reduce(view, { type: "pending_state", agent: "agent1", pending: null });
  assert.equal(pendingText(view), null);
  assert.ok(!offers(view, "clear_pending"));
});

test("an offer that rings out is announced and leaves the view", () => {
  const cancelled = example("offer_cancelled");
  const view = reduce(ringing(), cancelled);
  assert.equal(announcement(view, cancelled), "The call was not answered in time and went back to the queue.");
  assert.equal(announcement(view, { ...cancelled, reason: "caller_hung_up" }), "The caller hung up.");
  assert.equal(announcement(view, { ...cancelled, reason: "rejected" }), "The call went back to the queue.");
  assert.equal(view.calls.has(CALL), false);
  const ready = reduce(view, agentState_("ready", { previous: "ringing" }));
  assert.equal(ringingCall(ready), null);
  assert.deepEqual(offered(ready), ["not_ready", "logout", "sign_out"]);
});

test("a transferred call leaves the view", () => {
  const view = reduce(onCall(), example("call_transferred"));
  assert.equal(view.calls.has(CALL), false);
});

test("a new session's snapshot rebuilds the view: a reload mid-call shows the caller again", () => {
  const before = reduce(onCall(), example("pending_state"));
  const rebuilt = reset(before);
  assert.equal(agentState(rebuilt), "logged_out");
  assert.equal(rebuilt.calls.size, 0);
  assert.equal(pendingText(rebuilt), null);
  assert.equal(rebuilt.names.queues.get("support"), "Customer Support", "the names stay");
  // The snapshot's call_connected carries the caller; the session says who this is afterwards.
  const snapshot = [
    agentState_("on_call", { call: CALL, on_hold: false }),
    { ...example("call_connected"), caller: "+4930123456", dialled: "800100", data: { account: "C-10293" } },
  ];
  const view = signedIn(snapshot.reduce(reduce, rebuilt), SESSION);
  assert.deepEqual(callFacts(view, connectedCall(view)), {
    caller: "+4930123456",
    queue: "Customer Support",
    dialled: "800100",
    data: [["account", "C-10293"]],
  });
  assert.deepEqual(offered(view), ["not_ready", "logout", "hold", "transfer", "consult", "hangup"]);
});

test("a call known by its id alone (its offer unseen) shows as an unknown number", () => {
  const view = after(agentState_("on_call", { call: "pbx-9", on_hold: false }));
  assert.deepEqual(callFacts(view, connectedCall(view)), { caller: "Unknown number", queue: "–", dialled: "–", data: [] });
});

test("events of another agent, or that only other pages get, change nothing", () => {
  const view = onCall();
  for (const event of [
    agentState_("ready", { agent: "agent2" }),
    { ...example("pending_state"), agent: "agent2" },
    { ...OFFER, agent: "agent2", call: "pbx-2" },
    example("queue_stats"),
    example("tenant_stats"),
    example("call_state"),
    example("heartbeat"),
  ]) {
    assert.equal(reduce(view, event), view, event.type);
    assert.equal(announcement(view, event), null, event.type);
  }
});

test("the agent's queues show their waiting calls in the tenant's order", () => {
  const waiting = example("queue_waiting");
  const view = after(
    { ...waiting, queue: "general", waiting: 0, oldest_waiting_since: null },
    waiting,
    { ...waiting, queue: "support", waiting: 3 },
  );
  assert.deepEqual(queueRows(view), [
    { key: "support:voice", id: "support", channel: "voice", name: "Customer Support", lane: "", waiting: "3", oldestSince: "2023-11-14T22:14:02.250Z" },
    { key: "general:voice", id: "general", channel: "voice", name: "General Enquiries", lane: "", waiting: "0", oldestSince: "" },
  ]);
});

/** agent1's AuthResult where support serves calls and chats: it is listed once per lane. */
const TWO_LANES = {
  ...SESSION,
  queues: [
    { id: "support", name: "Customer Support", channel: "voice" },
    { id: "support", name: "Customer Support", channel: "chat" },
    ...SESSION.queues.slice(1),
  ],
};
const twoLanes = (...events) => events.reduce(reduce, signedIn(emptyView(), TWO_LANES));

test("a queue serving voice and chat: a waiting count per lane, neither overwriting the other, each naming its channel", () => {
  const waiting = example("queue_waiting");
  const calls = { ...waiting, queue: "support", channel: "voice", waiting: 2 };
  const chats = { ...waiting, queue: "support", channel: "chat", waiting: 1, oldest_waiting_since: "2023-11-14T22:14:21.000Z" };
  const sales = { ...waiting, queue: "sales", channel: "voice", waiting: 0, oldest_waiting_since: null };
  // The chat count comes before the call count: the rows keep the tenant's order of the lanes.
  let view = twoLanes(chats, sales, calls);
  assert.deepEqual([...view.queues.keys()].sort(), ["sales:voice", "support:chat", "support:voice"]);
  assert.deepEqual(queueRows(view), [
    { key: "support:voice", id: "support", channel: "voice", name: "Customer Support", lane: "voice", waiting: "2", oldestSince: "2023-11-14T22:14:02.250Z" },
    { key: "support:chat", id: "support", channel: "chat", name: "Customer Support", lane: "chat", waiting: "1", oldestSince: "2023-11-14T22:14:21.000Z" },
    { key: "sales:voice", id: "sales", channel: "voice", name: "Sales", lane: "", waiting: "0", oldestSince: "" },
  ]);
  // A later count of one lane leaves the other as it was.
  view = reduce(view, { ...calls, waiting: 0, oldest_waiting_since: null });
  assert.deepEqual(queueRows(view).slice(0, 2).map((row) => [row.key, row.waiting]), [["support:voice", "0"], ["support:chat", "1"]]);
  // A count naming no channel (a server from before lanes) is the queue's first lane's.
  const unnamed = { ...calls, waiting: 7 };
  delete unnamed.channel;
  assert.deepEqual(queueRows(reduce(view, unnamed)).slice(0, 2).map((row) => [row.key, row.waiting]), [["support:voice", "7"], ["support:chat", "1"]]);
  // The chat lane makes support's agent one who takes conversations.
  assert.equal(takesConversations(twoLanes(calls, sales)), false, "calls alone so far");
  assert.equal(takesConversations(view), true);
});

test("a queue serving voice and chat: a call and a chat may go there, each listed once", () => {
  const view = withDirectory(twoLanes(), LISTED.agents);
  const names = (targets) => targets.map(({ value, name }) => ({ value, name }));
  assert.deepEqual(
    names(transferTargets(view).queues),
    [
      { value: "queue:support", name: "Customer Support" },
      { value: "queue:sales", name: "Sales" },
      { value: "queue:vip", name: "VIP Line" },
      { value: "queue:general", name: "General Enquiries" },
    ],
    "a call: the queues with a voice lane, support once",
  );
  assert.deepEqual(
    names(conversationTargets(view, "chat").queues),
    [
      { value: "queue:support", name: "Customer Support" },
      { value: "queue:chat", name: "Web Chat" },
    ],
    "a chat: the queues with a chat lane, support once",
  );
  // How busy each lane is, once list_queues said: the voice lane's figures for a call, the
  // chat lane's for a chat.
  const listed = withQueueList(view, {
    queues: [
      { id: "support", name: "Customer Support", channel: "voice", waiting: 3, oldest_waiting_since: SINCE, agents_ready: 0, agents_logged_in: 4 },
      { id: "support", name: "Customer Support", channel: "chat", waiting: 1, oldest_waiting_since: SINCE, agents_ready: 2, agents_logged_in: 4 },
    ],
  });
  assert.equal(transferTargets(listed).queues[0].detail, "3 waiting · 0 ready");
  assert.equal(conversationTargets(listed, "chat").queues[0].detail, "1 waiting · 2 ready");
  assert.equal(transferTargets(listed).queues[1].detail, "", "sales: not listed, nothing said");
  assert.deepEqual(conversationTargets(view, "sms").queues, [], "no queue serves sms");
  // Without the conversation's channel: every queue with a lane of conversations, each once.
  assert.deepEqual(conversationTargets(view).queues.map((q) => q.value), ["queue:support", "queue:chat"]);
  // The agents are the same whatever the work.
  assert.deepEqual(conversationTargets(view, "chat").agents, transferTargets(view).agents);
});

test("transfer targets: the tenant's queues of calls, and every agent list_agents listed but this one", () => {
  const signed = signedIn(emptyView(), SESSION);
  assert.deepEqual(transferTargets(signed).agents, [], "no agent before the list comes");
  const targets = transferTargets(withDirectory(signed, LISTED.agents));
  assert.deepEqual(
    targets.queues.map((q) => q.value),
    ["queue:support", "queue:sales", "queue:vip", "queue:general"],
    "not the chat queue: a call cannot go there",
  );
  assert.deepEqual(conversationTargets(signed, "chat").queues.map((q) => q.value), ["queue:chat"], "a chat only there");
  assert.equal(targets.agents.length, LISTED.agents.length - 1);
  assert.ok(!targets.agents.some((a) => a.value === "agent:agent1"));
  assert.deepEqual(targets.agents[0], { value: "agent:agent2", name: "Bianca Schulz", detail: "Ready", available: true });
  assert.deepEqual(targets.agents[1], { value: "agent:agent3", name: "Chris Wagner", detail: "Logged out", available: false });
});

test("the reducer leaves the view it was given as it was", () => {
  const before = ringing();
  const calls = [...before.calls.keys()];
  const next = reduce(before, example("offer_cancelled"));
  assert.notEqual(next, before);
  assert.deepEqual([...before.calls.keys()], calls);
  assert.equal(agentState(before), "ringing");
  assert.ok(Object.isFrozen(next));
  assert.deepEqual(command(before, "not_ready", { reason: "lunch" }), ["not_ready", { reason: "lunch" }]);
  assert.deepEqual(command(before, "accept"), ["accept", { call: CALL }]);
  assert.deepEqual(command(before, "login"), ["login"]);
});

test("the conversation panel is for an agent of a conversation queue", () => {
  const signed = signedIn(emptyView(), SESSION);
  const waiting = (queue) => ({ type: "queue_waiting", queue, waiting: 0, oldest_waiting_since: null });
  const voiceOnly = [waiting("support"), waiting("sales")].reduce(reduce, signed);
  assert.equal(takesConversations(voiceOnly), false);
  assert.equal(takesConversations(reduce(voiceOnly, waiting("chat"))), true);
});

test("a phone not registered or busy: a notice beside the state, which stays ready, until the phone is available", () => {
  const ready = after(agentState_("ready"));
  assert.equal(phoneNotice(ready), null, "never reported: taken as available");
  // The PBX reports the phone: an agent_state whose previous is its state, with the same since.
  const unregistered = reduce(ready, agentState_("ready", { previous: "ready", device: "unregistered" }));
  assert.deepEqual(phoneNotice(unregistered), {
    device: "unregistered",
    text: "Your phone is not registered: you get no calls until it is.",
  });
  assert.deepEqual(stateLine(unregistered), stateLine(ready), "the state badge is the same: the agent is ready");
  assert.equal(pageTitle(unregistered), "Ready · WebAgent");
  assert.deepEqual(offered(unregistered), offered(ready));
  const now = Date.parse(SINCE) + 95_000;
  assert.equal(clocks(unregistered, now).inState, "1:35", "the time in state goes on");
  assert.equal(announcement(ready, agentState_("ready", { previous: "ready", device: "unregistered" })), null, "the notice is its own live region");

  const inUse = reduce(unregistered, agentState_("ready", { previous: "ready", device: "in_use" }));
  assert.deepEqual(phoneNotice(inUse), {
    device: "in_use",
    text: "Your phone is busy with another call: no calls are offered until it is free.",
  });
  assert.equal(phoneNotice(reduce(inUse, agentState_("ready", { previous: "ready", device: "available" }))), null);

  // The phone is kept with the agent: a later change of state carries it, a snapshot too.
  const notReady = reduce(unregistered, agentState_("not_ready", { reason: "break", previous: "ready", device: "unregistered" }));
  assert.equal(phoneNotice(notReady).device, "unregistered", "not ready: said before the agent goes ready");
  assert.equal(phoneNotice(after(agentState_("ready", { device: "unregistered" }))).device, "unregistered", "from the snapshot");
  // Logged out, nothing is offered anyway; an agent on a call the ACD offered is naturally in use.
  assert.equal(phoneNotice(after(agentState_("logged_out", { device: "unregistered" }))), null);
  assert.equal(phoneNotice(onCall({ device: "in_use" })), null);
  assert.equal(phoneNotice(ringing()), null);
  assert.equal(phoneNotice(onCall({ device: "unregistered" })).device, "unregistered", "a phone gone mid-call is said");
});

test("the phone's notice says chats still come to an agent who takes them", () => {
  const waiting = (queue) => ({ type: "queue_waiting", queue, waiting: 0, oldest_waiting_since: null });
  const view = after(waiting("support"), waiting("chat"), agentState_("ready", { device: "in_use" }));
  assert.equal(phoneNotice(view).text, "Your phone is busy with another call: no calls are offered until it is free. Chats still come.");
});

test("a change of the phone alone keeps who set the state; a real change does not", () => {
  const forced = after(agentState_("ready", { previous: "not_ready", by: "supervisor" }));
  assert.equal(stateLine(forced).by, "(set by supervisor)");
  const phone = reduce(forced, agentState_("ready", { previous: "ready", device: "unregistered" }));
  assert.equal(stateLine(phone).by, "(set by supervisor)");
  assert.equal(phone.agent.device, "unregistered");
  const later = "2023-11-14T22:15:00.000Z";
  const own = reduce(phone, agentState_("not_ready", { previous: "ready", since: later, reason: "break", device: "unregistered" }));
  assert.equal(stateLine(own).by, "", "the agent's own change names nobody");
});

test("where the keyboard goes: never onto a control that ends something", () => {
  const ends = new Set(["hangup", "end_wrap_up", "logout", "sign_out"]);
  const views = {
    logged_out: signedIn(emptyView(), SESSION),
    not_ready: after(agentState_("not_ready", { reason: "lunch" })),
    ready: after(agentState_("ready")),
    ringing: ringing(),
    on_call: onCall(),
    on_hold: onCall({ on_hold: true }),
    wrap_up: reduce(reduce(onCall(), example("call_left")), agentState_("wrap_up", { call: CALL, previous: "on_call" })),
  };
  const targets = Object.fromEntries(Object.entries(views).map(([name, view]) => [name, focusAfter(view)]));
  assert.deepEqual(targets, {
    logged_out: { action: "login" },
    not_ready: { action: "ready" },
    ready: { action: "not_ready" },
    // The offer's Accept is the page's own rule (an offer takes the focus), not this one.
    ringing: null,
    on_call: { panel: "call" },
    on_hold: { panel: "call" },
    wrap_up: { panel: "wrap-up" },
  });
  for (const [name, target] of Object.entries(targets)) {
    if (target?.action) {
      assert.ok(!ends.has(target.action), `${name}: ${target.action}`);
      assert.ok(offers(views[name], target.action), `${name}: ${target.action} is on offer`);
    }
  }
});

test("a key press on a control that ends something, within the guard time of the previous action, is not taken", () => {
  const lastActionAt = 10_000;
  const key = (action, after) => guarded(action, { lastActionAt, pressedAt: lastActionAt + after, clicks: 0 });
  // Enter 250 ms and 500 ms after Accept: neither hangs up, nor ends the wrap-up, nor logs out.
  for (const action of ["hangup", "end_wrap_up", "logout", "sign_out"]) {
    assert.equal(key(action, 250), true, `${action} at 250 ms`);
    assert.equal(key(action, 500), true, `${action} at 500 ms`);
    assert.equal(key(action, GUARD_MS - 1), true, `${action} just inside the guard`);
    // A key that went down before the change (the page changed under it) is not taken either.
    assert.equal(key(action, -20), true, `${action} pressed before the change`);
    // A deliberate press after the guard time works as before.
    assert.equal(key(action, GUARD_MS), false, `${action} at the guard time`);
    assert.equal(key(action, 5000), false, `${action} later`);
  }
  // Controls that end nothing take every press: Enter on an offer accepts, hold, not ready...
  for (const action of ["accept", "reject", "hold", "resume", "transfer", "extend_wrap_up", "ready", "not_ready", "login", "clear_pending"]) {
    assert.equal(key(action, 0), false, action);
  }
  // Nothing done yet on this page: nothing to guard against.
  assert.equal(guarded("hangup", { lastActionAt: -Infinity, pressedAt: 0, clicks: 0 }), false);
});

test("a single mouse click is aimed and always taken; the second click of a double-click is not", () => {
  const lastActionAt = 10_000;
  const click = (clicks, after) => guarded("hangup", { lastActionAt, pressedAt: lastActionAt + after, clicks });
  assert.equal(click(1, 50), false, "a single click on Hang up right after Accept hangs up");
  // A double-click on Accept: its second click lands on whatever took Accept's place.
  assert.equal(click(2, 200), true);
  assert.equal(click(3, 400), true);
  assert.equal(click(2, GUARD_MS + 1), false, "a double-click long after the previous action is meant");
});

test("the guard time starts again when the buttons change: an offer, a call connecting, wrap-up, ready", () => {
  const ready = after(agentState_("ready"));
  const rings = ringing();
  const talking = onCall();
  const held = onCall({ on_hold: true });
  const wrapping = reduce(reduce(talking, example("call_left")), agentState_("wrap_up", { call: CALL, previous: "on_call" }));
  const readyAgain = reduce(wrapping, agentState_("ready", { previous: "wrap_up" }));
  assert.equal(controlsChanged(ready, rings), true, "an offer arrived");
  assert.equal(controlsChanged(rings, talking), true, "the call connected");
  assert.equal(controlsChanged(talking, held), true, "held: Resume took Hold's place");
  assert.equal(controlsChanged(talking, wrapping), true, "wrap-up began");
  assert.equal(controlsChanged(wrapping, readyAgain), true, "the wrap-up ended");
  // What leaves the buttons as they were does not: a waiting count, the phone, the same state again.
  const counted = reduce(talking, { type: "queue_waiting", queue: "support", waiting: 3 });
  assert.equal(controlsChanged(talking, counted), false);
  assert.equal(controlsChanged(talking, reduce(talking, agentState_("on_call", { call: CALL, on_hold: false, device: "in_use" }))), false);
  assert.equal(controlsChanged(talking, talking), false);
});

test("a press not taken is explained beside its control, calmly, with what to do", () => {
  assert.equal(
    guardNote("hangup", "Hang up"),
    "Still on the call: that press came just as the page changed, so it was not taken. Press “Hang up” again if you meant it.",
  );
  assert.match(guardNote("end_wrap_up", "End wrap-up"), /^Still in wrap-up: .* Press “End wrap-up” again if you meant it\.$/);
  assert.match(guardNote("logout", "Log out after this call"), /^Still logged in: .* Press “Log out after this call” again/);
  assert.match(guardNote("sign_out", "Sign out"), /^Still signed in: .* Press “Sign out” again/);
});

// --- On hold: the hold timer runs, the talk timer stands still --------------------------------

const at = (seconds) => Date.parse(SINCE) + seconds * 1000;
const iso = (seconds) => new Date(at(seconds)).toISOString();
/** The call's agent_state as the server sends it: on hold since `heldAt` (or not), `heldSecs` of finished holds. */
const onCallAt = ({ heldAt = null, heldSecs = 0, previous = "on_call" } = {}) =>
  agentState_("on_call", {
    call: CALL,
    on_hold: heldAt !== null,
    previous,
    held_secs: heldSecs,
    ...(heldAt !== null ? { held_since: iso(heldAt) } : {}),
  });

test("on hold: the badge says On hold, the hold timer runs from the hold, the talk timer stands still", () => {
  const view = after(agentState_("ready"), OFFER, agentState_("ringing", { call: CALL }), onCallAt({ heldAt: 30 }));
  assert.equal(stateLine(view).state, "on_hold");
  assert.equal(stateLine(view).label, "On hold");
  assert.equal(pageTitle(view), "On hold · WebAgent");
  assert.deepEqual(callTimes(view, at(72)), { talkMs: 30_000, holdMs: 42_000, heldMs: 42_000 });
  assert.equal(clocks(view, at(72)).holdTime, "0:42");
  assert.equal(clocks(view, at(72)).inState, "0:42", "the state line's time is the hold's");
  assert.equal(clocks(view, at(72)).callTime, "0:30");
  assert.equal(clocks(view, at(90)).callTime, "0:30", "talk stands still while held");

  // Resumed at 90 s (60 s held): talk goes on from 0:30; the hold timer goes.
  const resumed = reduceAt(view, onCallAt({ heldSecs: 60 }));
  assert.equal(stateLine(resumed).label, "On call");
  assert.deepEqual(callTimes(resumed, at(100)), { talkMs: 40_000, holdMs: null, heldMs: 60_000 });
  assert.equal(clocks(resumed, at(100)).holdTime, null);
  assert.equal(clocks(resumed, at(100)).inState, "1:40", "the time on the call, holds included");

  // A second hold adds to the first.
  const again = reduceAt(resumed, onCallAt({ heldAt: 110, heldSecs: 60 }));
  assert.deepEqual(callTimes(again, at(115)), { talkMs: 50_000, holdMs: 5_000, heldMs: 65_000 });
});

test("the call's times come from the server's agent_state: a reload's snapshot goes on counting, wrap-up ends them", () => {
  // A reloaded page learns the call from its snapshot (no previous): the same figures.
  const snapshot = { ...onCallAt({ heldAt: 10, heldSecs: 5.5 }) };
  delete snapshot.previous;
  const reloaded = after(snapshot);
  assert.deepEqual(callTimes(reloaded, at(52)), { talkMs: 4_500, holdMs: 42_000, heldMs: 47_500 });
  const wrapUp = reduceAt(reloaded, agentState_("wrap_up", { call: CALL, previous: "on_call" }));
  assert.equal(callTimes(wrapUp, at(60)), null);
});

// --- What the agent did not do itself, in words -----------------------------------------------

test("logged out: no time in state (a fresh server's warm-up would make it an hour)", () => {
  const view = after(agentState_("logged_out", { since: "2023-11-14T21:13:20.000Z" }));
  assert.equal(stateLine(view).timed, false);
  assert.equal(stateWhy(view), null, "nothing to explain");
  assert.equal(stateLine(after(agentState_("ready"))).timed, true);
});

test("a supervisor's change and the ACD's are said in words; the agent's own are not", () => {
  const forced = after(agentState_("not_ready", { previous: "ready", reason: "break", by: "supervisor" }));
  assert.deepEqual(stateWhy(forced), { text: "Your supervisor (supervisor) made you not ready (Break).", byNamed: true });
  assert.equal(stateWhy(after(agentState_("ready", { previous: "not_ready", by: "boss" }))).text, "Your supervisor (boss) made you ready.");
  assert.equal(stateWhy(after(agentState_("logged_out", { previous: "ready", by: "boss" }))).text, "Your supervisor (boss) logged you out.");
  assert.match(stateWhy(after(agentState_("not_ready", { previous: "ringing", reason: "no_answer" }))).text, /^You were made not ready: calls offered to you rang unanswered/);
  assert.equal(
    stateWhy(after(agentState_("not_ready", { reason: "disconnected" }))).text,
    "Your connection was lost for longer than the server waits, so you were made not ready.",
  );
  assert.equal(stateWhy(after(agentState_("not_ready", { previous: "ready", reason: "lunch" }))), null);
  assert.equal(stateWhy(after(agentState_("not_ready", { previous: "logged_out", reason: "login" }))), null);
});

test("a reconnect: said as the protocol lets the page know it, until the state changes", () => {
  const ready = agentState_("ready");
  assert.equal(rejoinNote({ hadSession: false, resumed: false, now: ready }), null, "a first sign-in says nothing");
  assert.equal(rejoinNote({ hadSession: true, resumed: true, earlier: ready, now: ready }), "Reconnected: nothing was missed.");
  assert.equal(rejoinNote({ hadSession: true, resumed: false, closeCode: 1012, earlier: ready, now: ready }), "The server restarted; you are signed in again.");
  assert.equal(
    rejoinNote({ hadSession: true, resumed: false, closeCode: 1006, earlier: ready, now: ready }),
    "Reconnected with a new session (the server may have restarted): you are signed in again.",
  );
  assert.match(
    rejoinNote({ hadSession: true, resumed: false, earlier: ready, now: agentState_("logged_out") }),
    /You were logged out while the page was not connected\.$/,
  );
  const lost = agentState_("not_ready", { reason: "disconnected" });
  const note = rejoinNote({ hadSession: true, resumed: false, closeCode: 1012, earlier: ready, now: lost });
  assert.equal(note, "The server restarted; you are signed in again.", "the reason's own words say the rest");
  const view = withRejoin(after(lost), note);
  assert.equal(stateWhy(view).text, `${note} Your connection was lost for longer than the server waits, so you were made not ready.`);
  // A detail changing keeps it; the agent going ready replaces it.
  const detail = reduceAt(view, { ...lost, previous: "not_ready", device: "available" }, at(1));
  assert.equal(detail.rejoin, note);
  assert.equal(reduceAt(view, agentState_("ready", { previous: "not_ready" }), at(1)).rejoin, null);
});

// --- In German ------------------------------------------------------------------------------------

/** The page's words in German, with Germany's figures. */
const GERMAN = translator({ language: "de", locale: "de-DE", messages: AGENT_MESSAGES });

test("in German: the state line, the buttons, the offer, the call and the wrap-up in a German contact center's words", () => {
  // Logged out of the ACD: "Nicht eingebucht" (Einbuchen / Ausbuchen), not the page's Abmelden.
  const signed = signedIn(emptyView(), SESSION);
  assert.equal(stateLine(signed, GERMAN).label, "Nicht eingebucht");
  assert.equal(pageTitle(signed, GERMAN), "Nicht eingebucht · WebAgent");
  assert.equal(stateName("logged_out"), "Logged out", "English as before");
  assert.equal(stateName("wrap_up", GERMAN), "Nachbearbeitung");

  const notReady = after(agentState_("not_ready", { reason: "login", previous: "logged_out" }));
  assert.deepEqual(stateLine(notReady, GERMAN), { state: "not_ready", label: "Nicht bereit", reason: "· Einbuchung", by: "", timed: true });
  assert.equal(reasonOf(notReady, "no_answer", GERMAN), "Nicht angenommen", "the ACD's own reason, in common-messages.js's words");
  assert.equal(reasonOf(notReady, "lunch", GERMAN), "Lunch", "the tenant's own name stays");
  assert.equal(agentActions(notReady, GERMAN).not_ready.label, "Nicht bereit");
  assert.equal(agentActions(notReady, GERMAN).logout.label, "Ausbuchen");

  const view = ringing();
  assert.equal(pageTitle(view, GERMAN), "Eingehender Anruf · WebAgent");
  assert.equal(announcement(view, OFFER, GERMAN), "Eingehender Anruf von +4930123456 für Customer Support.");
  assert.equal(announcement(view, { ...OFFER, caller: null }, GERMAN), "Eingehender Anruf von einer unbekannten Nummer für Customer Support.");
  assert.equal(announcement(view, example("offer_cancelled"), GERMAN), "Der Anruf wurde nicht rechtzeitig angenommen und ist zurück in der Warteschlange.");
  assert.equal(announcement(view, { ...example("offer_cancelled"), reason: "caller_hung_up" }, GERMAN), "Der Anrufer hat aufgelegt.");
  assert.equal(agentActions(view, GERMAN).not_ready.label, "Nach diesem Gespräch nicht bereit");
  assert.equal(agentActions(view, GERMAN).logout.label, "Nach diesem Gespräch ausbuchen");
  assert.equal(agentActions(view, GERMAN).sign_out.title, "Erst das Gespräch und die Nachbearbeitung abschließen");
  assert.equal(callFacts(view, { call: "x" }, GERMAN).caller, "Unbekannte Nummer");

  const held = after(agentState_("ready"), OFFER, agentState_("ringing", { call: CALL }), onCallAt({ heldAt: 30 }));
  assert.equal(stateLine(held, GERMAN).label, "Gehalten");
  assert.equal(pageTitle(held, GERMAN), "Gehalten · WebAgent");

  const pending = reduce(onCall(), { ...example("pending_state"), by: "boss" });
  assert.equal(pendingText(pending, GERMAN), "Nicht bereit · Lunch (gesetzt von boss)");
  assert.equal(pendingText(reduce(pending, { type: "pending_state", agent: "agent1", pending: { state: "logged_out" } }), GERMAN), "Ausbuchen");

  const choices = dispositionChoices(onCall());
  assert.equal(wrapUpBlocked(choices, null, GERMAN).why, "Wählen Sie zuerst einen Abschlusscode: Diese Warteschlange verlangt einen");
  assert.equal(
    guardNote("hangup", "Auflegen", GERMAN),
    "Noch im Gespräch: Diese Eingabe kam genau, als sich die Seite änderte, und wurde daher nicht übernommen. Drücken Sie erneut auf „Auflegen“, wenn Sie das beabsichtigt haben.",
  );
  assert.match(guardNote("logout", "Ausbuchen", GERMAN), /^Noch eingebucht: /);
  assert.match(guardNote("sign_out", "Abmelden", GERMAN), /^Noch angemeldet: /);
  assert.match(guardNote("end_wrap_up", "Nachbearbeitung beenden", GERMAN), /^Noch in der Nachbearbeitung: /);
});

test("in German: why the state is what it is, a reconnect, the phone", () => {
  const forced = after(agentState_("not_ready", { previous: "ready", reason: "break", by: "supervisor" }));
  assert.deepEqual(stateWhy(forced, GERMAN), { text: "Ihr Supervisor (supervisor) hat Sie auf Nicht bereit gesetzt (Break).", byNamed: true });
  assert.equal(stateLine(forced, GERMAN).by, "(gesetzt von supervisor)");
  assert.equal(stateWhy(after(agentState_("ready", { by: "boss" })), GERMAN).text, "Ihr Supervisor (boss) hat Sie auf Bereit gesetzt.");
  assert.equal(stateWhy(after(agentState_("logged_out", { by: "boss" })), GERMAN).text, "Ihr Supervisor (boss) hat Sie ausgebucht.");
  assert.match(stateWhy(after(agentState_("not_ready", { reason: "no_answer" })), GERMAN).text, /^Sie wurden auf Nicht bereit gesetzt: Ihnen angebotene Anrufe klingelten/);
  assert.match(stateWhy(after(agentState_("not_ready", { reason: "disconnected" })), GERMAN).text, /^Ihre Verbindung war länger unterbrochen/);

  const ready = agentState_("ready");
  assert.equal(rejoinNote({ hadSession: true, resumed: true, earlier: ready, now: ready }, GERMAN), "Wieder verbunden: Nichts wurde verpasst.");
  assert.equal(
    rejoinNote({ hadSession: true, resumed: false, closeCode: 1012, earlier: ready, now: agentState_("logged_out") }, GERMAN),
    "Der Server wurde neu gestartet; Sie sind wieder angemeldet. Sie wurden ausgebucht, während die Seite nicht verbunden war.",
  );
  assert.equal(
    rejoinNote({ hadSession: true, resumed: false, earlier: ready, now: agentState_("not_ready", { reason: "break" }) }, GERMAN),
    "Mit einer neuen Sitzung wieder verbunden (der Server wurde eventuell neu gestartet): Sie sind wieder angemeldet. Ihr Status ist jetzt „Nicht bereit“ (vorher „Bereit“).",
  );

  const waiting = (queue) => ({ type: "queue_waiting", queue, waiting: 0, oldest_waiting_since: null });
  assert.equal(
    phoneNotice(after(agentState_("ready", { device: "unregistered" })), GERMAN).text,
    "Ihr Telefon ist nicht registriert: Bis es das ist, erhalten Sie keine Anrufe.",
  );
  assert.equal(
    phoneNotice(after(waiting("chat"), agentState_("ready", { device: "in_use" })), GERMAN).text,
    "Ihr Telefon ist mit einem anderen Gespräch belegt: Bis es frei ist, werden Ihnen keine Anrufe angeboten. Chats kommen weiterhin.",
  );
});

test("in German: transfer targets with their details, the queues' lanes, and My day with the translator's clock", () => {
  const view = withQueueList(withDirectory(twoLanes(), LISTED.agents), {
    queues: [{ id: "support", name: "Customer Support", channel: "voice", waiting: 3, oldest_waiting_since: SINCE, agents_ready: 1, agents_logged_in: 4 }],
  });
  const targets = transferTargets(view, "voice", GERMAN);
  assert.equal(targets.queues[0].detail, "3 wartend · 1 bereit");
  assert.deepEqual(targets.agents.map((agent) => agent.detail), ["Bereit", "Nicht eingebucht"]);
  assert.deepEqual(conversationTargets(view, null, GERMAN).agents, targets.agents);

  const lanes = twoLanes({ type: "queue_waiting", queue: "support", channel: "voice", waiting: 2, oldest_waiting_since: null }, {
    type: "queue_waiting",
    queue: "support",
    channel: "chat",
    waiting: 1,
    oldest_waiting_since: null,
  });
  assert.deepEqual(queueRows(lanes, GERMAN).map((row) => row.lane), ["Telefon", "chat"]);

  const day = JSON.parse(
    readFileSync(new URL("../../protocol/protocol.md", import.meta.url), "utf8")
      .split("\n")
      .find((line) => line.startsWith('{"type":"ack","id":"17"')),
  ).result;
  const clock = (instant) => GERMAN.time(Date.parse(instant), { seconds: false });
  const shown = dayView(signedIn(emptyView(), SESSION), day, clock, GERMAN);
  assert.deepEqual(shown.states.map((s) => s.label), ["Bereit", "Im Gespräch", "Nachbearbeitung", "Klingelt", "Nicht bereit"]);
  assert.match(shown.recent[0].at, /^\d\d:\d\d$/, "the time of day, 24 hours");
  assert.equal(shown.recent[1].caller, "Unbekannte Nummer");
  assert.equal(shown.occupancy, "25 %");
});

test("the ring's settings as stored, made safe: a volume from 0 to 100, a known tone; loudness follows the square", () => {
  assert.deepEqual(soundSettings(null), { volume: 60, tone: "classic" });
  assert.deepEqual(soundSettings({ volume: "35", tone: "soft" }), { volume: 35, tone: "soft" });
  assert.deepEqual(soundSettings({ volume: "250", tone: "siren" }), { volume: 100, tone: "classic" });
  assert.deepEqual(soundSettings({ volume: "-5", tone: "bright" }), { volume: 0, tone: "bright" });
  assert.deepEqual(Object.keys(RING_TONES), ["classic", "soft", "bright"]);
  assert.deepEqual([ringGain(0), ringGain(50), ringGain(100)], [0, 0.0625, 0.25]);
});

test("attached data under the tenant's labels, in its order, then the keys it does not name", () => {
  const view = signedIn(emptyView(), SESSION);
  assert.deepEqual(SESSION.data_labels, [
    { id: "customer", name: "Customer no." },
    { id: "language", name: "Language" },
  ]);
  assert.deepEqual(labelledData(view, { order: "A-4711", language: "de", customer: "C-10293" }), [
    ["Customer no.", "C-10293"],
    ["Language", "de"],
    ["order", "A-4711"],
  ]);
  assert.deepEqual(labelledData(view, {}), []);
  assert.deepEqual(labelledData(signedIn(emptyView(), { ...SESSION, data_labels: [] }), { b: "2", a: "1" }), [
    ["b", "2"],
    ["a", "1"],
  ]);
});

/** A consultation on the call of agent1 (consulting) with agent2, in `status`. */
const consultation = (status, fields = {}) => ({
  type: "consultation",
  call: CALL,
  agent: "agent1",
  with: "agent2",
  queue: "support",
  status,
  ...fields,
});

test("consulting: the caller on hold, Complete and Conference once answered, Back to caller always; no hold or blind transfer", () => {
  const ringingThere = withDirectory(
    after(
    ...[agentState_("ready"), OFFER, agentState_("ringing", { call: CALL }), example("call_connected")],
    agentState_("on_call", { call: CALL, on_hold: true, previous: "on_call" }),
    consultation("ringing", { ring_deadline: "2023-11-14T22:14:10.000Z", caller: "+4930123456", dialled: "800100", data: {} }),
    ),
    LISTED.agents,
  );
  assert.deepEqual(offered(ringingThere), ["not_ready", "logout", "cancel_consult", "hangup"]);
  assert.equal(agentActions(ringingThere).complete_transfer.shown, true);
  assert.equal(agentActions(ringingThere).complete_transfer.enabled, false);
  // The consulting agent's own call is not an offer to it.
  assert.equal(ringingCall(ringingThere), null);
  assert.equal(consultText(ringingThere).line, "Calling Bianca Schulz… The caller is on hold.");
  const talking = reduce(ringingThere, consultation("talking"));
  assert.deepEqual(offered(talking), ["not_ready", "logout", "complete_transfer", "conference", "cancel_consult", "hangup"]);
  assert.deepEqual(command(talking, "complete_transfer"), ["complete_transfer", { call: CALL }]);
  const conference = reduce(talking, consultation("conference"));
  assert.ok(!offers(conference, "conference"), "a conference already");
  assert.equal(consultText(conference).line, "Conference with Bianca Schulz and the caller.");
  // Declined: back with the caller, said in words, and the ordinary controls again.
  const declined = [consultation("ended", { reason: "rejected" }), agentState_("on_call", { call: CALL, on_hold: false, previous: "on_call" })].reduce(
    reduce,
    ringingThere,
  );
  assert.equal(consultText(declined).line, "Bianca Schulz declined. You are back with the caller.");
  assert.deepEqual(offered(declined), ["not_ready", "logout", "hold", "transfer", "consult", "hangup"]);
  assert.deepEqual(command(declined, "consult", { target: "agent:agent2" }), ["consult", { call: CALL, agent: "agent2" }]);
  // Completing a transfer is guarded like hanging up: it ends this agent's call.
  assert.ok(guarded("complete_transfer", { lastActionAt: 0, pressedAt: GUARD_MS - 1, clicks: 0 }));
});

test("consulted: the call is offered as who asks, then the agent may only leave it; transferred, it is the agent's own call", () => {
  const me = (events) => events.reduce(reduce, withDirectory(signedIn(emptyView(), { ...SESSION, agent: "agent2" }), LISTED.agents));
  const asked = me([
    { type: "agent_state", agent: "agent2", state: "ready", since: SINCE },
    consultation("ringing", { ring_deadline: "2023-11-14T22:14:10.000Z", caller: "+4930123456", dialled: "800100", data: { customer: "C-7" } }),
    { type: "agent_state", agent: "agent2", state: "ringing", since: SINCE, call: CALL, previous: "ready" },
  ]);
  assert.equal(ringingCall(asked).caller, "+4930123456");
  assert.deepEqual(consultText(asked), {
    heading: "Alex Becker asks you to consult",
    line: "Alex Becker asks you about this call. The caller is on hold and cannot hear you.",
  });
  assert.deepEqual(offered(asked), ["not_ready", "logout", "accept", "reject"]);
  // A screen reader hears who asks about whose call, and when it is over.
  const ringingEvent = consultation("ringing", { ring_deadline: "2023-11-14T22:14:10.000Z", caller: "+4930123456", dialled: null, data: {} });
  assert.equal(announcement(asked, ringingEvent), "Alex Becker asks you to consult on a call from +4930123456 for Customer Support.");
  assert.equal(announcement(asked, consultation("ended", { reason: "cancelled" })), "The consultation with Alex Becker ended.");
  assert.equal(announcement(asked, consultation("ended", { reason: "transferred" })), null, "the call is this agent's now: its panel says so");
  const talking = [
    consultation("talking"),
    { type: "agent_state", agent: "agent2", state: "on_call", since: SINCE, call: CALL, on_hold: false, held_secs: 0, previous: "ringing" },
  ].reduce(reduce, asked);
  assert.deepEqual(offered(talking), ["not_ready", "logout", "hangup"]);
  assert.equal(agentActions(talking).hangup.label, "Leave");
  // The transfer completes: the call stays, with its caller, and is the agent's own.
  const own = [
    consultation("ended", { reason: "transferred" }),
    { type: "call_connected", call: CALL, agent: "agent2", queue: "support" },
  ].reduce(reduce, talking);
  assert.equal(connectedCall(own).caller, "+4930123456");
  assert.equal(consultText(own), null);
  assert.equal(agentActions(own).hangup.label, "Hang up");
  // Cancelled instead: the call is gone from this agent's page.
  const gone = reduce(talking, consultation("ended", { reason: "cancelled" }));
  assert.equal(gone.calls.has(CALL), false);
  // A reload mid-consultation: the snapshot's consultation (talking, with the caller) shows who calls.
  const reloaded = me([
    { type: "agent_state", agent: "agent2", state: "on_call", since: SINCE, call: CALL, on_hold: false, held_secs: 0 },
    consultation("talking", { caller: "+4930123456", dialled: "800100", data: { customer: "C-7" } }),
  ]);
  assert.equal(connectedCall(reloaded).caller, "+4930123456");
  assert.equal(consultText(reloaded).line, "Talking with Alex Becker about this call. The caller is on hold.");
});

test("a tenant whose connector does not consult: no Consult button", () => {
  const view = [agentState_("ready"), OFFER, agentState_("ringing", { call: CALL }), example("call_connected"), agentState_("on_call", { call: CALL, on_hold: false })].reduce(
    reduce,
    signedIn(emptyView(), { ...SESSION, telephony: { consult: false, conference: false } }),
  );
  assert.equal(agentActions(view).consult.shown, false);
  assert.deepEqual(offered(view), ["not_ready", "logout", "hold", "transfer", "hangup"]);
});
