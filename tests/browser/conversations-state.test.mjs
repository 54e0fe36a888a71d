// The WebAgent's conversations in Node (web/conversations-state.js): what the panel shows and
// which actions it offers after the server's events, built on the messages of
// protocol/examples: an offer accepted, written in, closed, wrapped up and gone; an offer
// cancelled; a transfer away; a snapshot's conversation_state with its transcript; each message
// once by its number across a resync; unread counts and the customer's waiting time; where the
// focus goes after an action, and which presses on Close chat and End chat wrap-up come too soon;
// and the panel's words in German (the translator passed last; English without one).
// (The panel itself, on the real server in Chromium: conversations.test.mjs.)
// Run: node --test conversations-state.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  conversationActions,
  conversationAnnouncement,
  conversationClocks,
  conversationCommand,
  conversationControlsChanged,
  conversationFocusAfter,
  conversationGuardNote,
  conversationGuarded,
  conversationRefusal,
  conversationRows,
  customerName,
  emptyConversations,
  kept,
  lastCustomerMessageAt,
  mergeTranscript,
  reduce,
  reset,
  select,
  selectedConversation,
  signedIn,
  statusLabel,
  totals,
  unreadCount,
  waitingSince,
  withKept,
} from "../../web/conversations-state.js";
import { GUARD_MS, GUARDED_ACTIONS } from "../../web/agent-state.js";
import { AGENT_MESSAGES } from "../../web/agent-messages.js";
import { translator } from "../../web/i18n.js";
import { example } from "./examples.mjs";

const SESSION = example("ack").result;
const ME = SESSION.agent;
const OFFER = example("conversation_offer");
const ID = OFFER.conversation;
const T0 = Date.parse(OFFER.transcript[0].at);

/** The offer of conversation `id` from `customer`, with `texts` written before it came. */
function offer(id, customer, texts = []) {
  const transcript = texts.map((text, number) => ({ number, from: "customer", at: at(number), text }));
  return { ...OFFER, conversation: id, customer, transcript };
}
/** An instant `secs` after the example's first message. */
const at = (secs) => new Date(T0 + secs * 1000).toISOString();
/** Message `number` of conversation `id`: the customer's, or the agent's with `from: "agent"`. */
const message = (id, number, text, from = "customer") => ({
  type: "message",
  conversation: id,
  number,
  from,
  ...(from === "agent" ? { agent: ME } : {}),
  at: at(number * 10),
  text,
});
const accepted = (id) => ({ ...example("conversation_accepted"), conversation: id, agent: ME });
const closed = (id, by = "agent") => ({ ...example("conversation_closed"), conversation: id, agent: ME, by });
const left = (id) => ({ ...example("conversation_left"), conversation: id });

/** The view after signing in as the example's agent and then `events`, in order. */
const after = (...events) => events.reduce(reduce, signedIn(emptyConversations(), SESSION));
const texts = (view, id) => view.conversations.get(id).transcript.map((item) => `${item.number}:${item.text}`);
const allowed = (conversation) =>
  Object.entries(conversationActions(conversation))
    .filter(([, on]) => on)
    .map(([action]) => action);

test("the examples are this agent's", () => {
  assert.equal(OFFER.agent, ME);
  assert.equal(example("conversation_state").agent, ME);
});

test("an offer is accepted, written in, closed, wrapped up and gone", () => {
  let view = after(OFFER);
  let conversation = selectedConversation(view);
  assert.equal(conversation.id, ID, "the only conversation is selected");
  assert.equal(conversation.status, "offered");
  assert.equal(conversation.customer, "Dana Weber");
  assert.deepEqual(conversation.data, { account: "C-10293" });
  assert.equal(conversation.offerDeadline, OFFER.offer_deadline);
  assert.deepEqual(allowed(conversation), ["accept", "reject"]);
  assert.deepEqual(conversationFocusAfter(conversation), { action: "accept" });
  assert.deepEqual(conversationCommand(conversation, "accept"), ["accept_conversation", { conversation: ID }]);
  assert.equal(conversationCommand(conversation, "send", { text: "hi" }), null, "not open yet");

  view = reduce(view, accepted(ID));
  conversation = selectedConversation(view);
  assert.equal(conversation.status, "open");
  assert.equal(conversation.offerDeadline, null);
  assert.deepEqual(allowed(conversation), ["send", "transfer", "close"]);
  assert.deepEqual(conversationFocusAfter(conversation), { action: "send" }, "the composer");
  assert.deepEqual(conversationCommand(conversation, "send", { text: "Let me check.\nOne moment." }), [
    "send_message",
    { conversation: ID, text: "Let me check.\nOne moment." },
  ]);
  assert.equal(conversationCommand(conversation, "send", { text: " \n " }), null, "nothing to send");
  assert.deepEqual(conversationCommand(conversation, "transfer", { target: "queue:chat-billing" }), [
    "transfer_conversation",
    { conversation: ID, queue: "chat-billing" },
  ]);
  assert.deepEqual(conversationCommand(conversation, "transfer", { target: "agent:agent2" }), [
    "transfer_conversation",
    { conversation: ID, agent: "agent2" },
  ]);

  view = [example("message"), message(ID, 2, "Let me check that for you.", "agent")].reduce(reduce, view);
  assert.deepEqual(texts(view, ID), ["0:Hello, my parcel has not arrived", "1:It was due on Monday", "2:Let me check that for you."]);
  assert.equal(view.conversations.get(ID).transcript[2].agent, ME);
  assert.equal(view.conversations.get(ID).transcript[1].agent, undefined);
  assert.equal(unreadCount(view, ID), 0, "the selected conversation's messages are read as they come");

  view = reduce(view, closed(ID));
  conversation = selectedConversation(view);
  assert.equal(conversation.status, "wrap_up");
  assert.equal(conversation.closedBy, "agent");
  assert.equal(conversation.wrapUpDeadline, example("conversation_closed").wrap_up_deadline);
  assert.deepEqual(allowed(conversation), ["end_wrap_up"]);
  assert.deepEqual(conversationCommand(conversation, "end_wrap_up"), ["end_conversation_wrap_up", { conversation: ID }]);
  assert.equal(conversationCommand(conversation, "send", { text: "too late" }), null);
  assert.equal(waitingSince(conversation), null, "a closed conversation waits for nothing");
  assert.deepEqual(conversationFocusAfter(conversation), { panel: "conversation" }, "its section, not End chat wrap-up");

  view = reduce(view, left(ID));
  assert.equal(view.conversations.size, 0);
  assert.equal(selectedConversation(view), null);
  assert.equal(view.selected, null);
  assert.deepEqual(allowed(null), []);
});

test("an offer cancelled goes, and is announced", () => {
  const view = after(offer("a", "Ann"), offer("b", "Ben"));
  const cancelled = { ...example("conversation_offer_cancelled"), conversation: "b", agent: ME };
  assert.equal(conversationAnnouncement(view, cancelled), "The chat from Ben went back to the queue.");
  const next = reduce(view, cancelled);
  assert.deepEqual([...next.conversations.keys()], ["a"]);
  assert.equal(next.selected, "a", "the selected one stays");
  assert.equal(conversationAnnouncement(next, cancelled), null, "nothing to say of one not held");
});

test("a transfer away removes the conversation; another agent's events change nothing", () => {
  let view = after(offer("a", "Ann"), accepted("a"), offer("b", "Ben"), accepted("b"));
  const transferred = { ...example("conversation_transferred"), conversation: "a", agent: ME };
  view = reduce(view, transferred);
  assert.deepEqual([...view.conversations.keys()], ["b"]);
  assert.equal(view.selected, null, "the selected one went; nothing is chosen for the agent");
  assert.equal(reduce(view, { ...transferred, conversation: "b", agent: "agent9" }), view, "another agent's transfer");
  assert.equal(reduce(view, { ...OFFER, conversation: "z", agent: "agent9" }), view, "another agent's offer");
  assert.equal(reduce(view, message("nope", 0, "unknown conversation")), view);
  assert.equal(reduce(view, example("agent_state")), view, "not a conversation event");
});

test("a snapshot's conversation_state brings the conversation and its transcript back", () => {
  const state = example("conversation_state");
  let view = after(state);
  const conversation = selectedConversation(view);
  assert.equal(conversation.id, state.conversation);
  assert.equal(conversation.status, "open");
  assert.equal(conversation.queue, "chat");
  assert.equal(conversation.channel, "chat");
  assert.deepEqual(texts(view, state.conversation), ["0:Hello, my parcel has not arrived"]);

  // In wrap-up, with its deadline; offered, with its deadline.
  view = after(
    { ...state, conversation: "w", status: "wrap_up", wrap_up_deadline: at(60) },
    { ...state, conversation: "o", status: "offered", offer_deadline: at(30) },
  );
  assert.equal(view.conversations.get("w").status, "wrap_up");
  assert.equal(view.conversations.get("w").wrapUpDeadline, at(60));
  assert.equal(view.conversations.get("o").offerDeadline, at(30));
  // A reload: what an open conversation held was read before it; an offer's messages are new.
  assert.equal(unreadCount(view, "o"), 1);
  assert.equal(unreadCount(view, "w"), 0);

  // A snapshot replaces what the view knew of it, transcript included.
  view = after(offer("a", "Ann", ["one", "two"]));
  view = reduce(view, { ...state, conversation: "a", customer: "Ann B.", transcript: [{ number: 0, from: "customer", at: at(0), text: "one" }] });
  assert.equal(view.conversations.get("a").status, "open");
  assert.equal(view.conversations.get("a").customer, "Ann B.");
  assert.deepEqual(texts(view, "a"), ["0:one"]);
  // A waiting conversation is not the agent's.
  assert.equal(reduce(view, { ...state, conversation: "a", status: "waiting", agent: undefined }).conversations.size, 0);
});

test("a reloaded page keeps what was read: unseen messages stay unread, the selection stays", () => {
  const state = example("conversation_state");
  const transcript = [0, 1, 2].map((number) => ({ number, from: "customer", at: at(number), text: `m${number}` }));
  // Before the reload: two open conversations; "b" selected, "a" read up to message 0.
  const before = after(
    { ...state, conversation: "a", transcript: transcript.slice(0, 1) },
    { ...state, conversation: "b", transcript },
  );
  const selectedB = select(before, "b");
  const withMore = reduce(selectedB, message("a", 1, "are you there?"));
  assert.equal(unreadCount(withMore, "a"), 1);
  const saved = JSON.parse(JSON.stringify(kept(withMore)));

  // The reloaded page: what was kept, then the new session's snapshot.
  const reloaded = [
    { ...state, conversation: "a", transcript: transcript.slice(0, 2) },
    { ...state, conversation: "b", transcript },
  ].reduce(reduce, signedIn(withKept(emptyConversations(), saved), SESSION));
  assert.equal(unreadCount(reloaded, "a"), 1, "the message that came unseen is still unread");
  assert.equal(unreadCount(reloaded, "b"), 0);
  assert.equal(reloaded.selected, "b");
  // Without what was kept, the snapshot counts what an open conversation holds as read.
  const forgot = [{ ...state, conversation: "a", transcript: transcript.slice(0, 2) }].reduce(reduce, signedIn(emptyConversations(), SESSION));
  assert.equal(unreadCount(forgot, "a"), 0);
  // Whatever storage holds that is not what `kept` wrote is left out.
  for (const junk of [null, "x", { read: "x" }, { read: [["a", "1"], [2, 3], ["b"]], selected: 5 }]) {
    const view = withKept(emptyConversations(), junk);
    assert.equal(view.read.size, 0, JSON.stringify(junk));
    assert.equal(view.selected, null);
  }
});

test("each message is shown once by its number, across a resync", () => {
  let view = after(offer("a", "Ann", ["hello"]), accepted("a"), message("a", 1, "are you there"), message("a", 2, "on it", "agent"));
  // The same event again (a replay) changes nothing and is not announced.
  assert.equal(reduce(view, message("a", 1, "are you there")), view);
  assert.equal(conversationAnnouncement(view, message("a", 1, "are you there")), null);

  // A resync: a new session's snapshot carries the transcript so far; then the client is sent
  // the events after it, some of which the snapshot already holds.
  view = reset(view);
  assert.equal(view.conversations.size, 0);
  assert.equal(view.selected, "a", "the selection outlives the session");
  const transcript = [
    { number: 0, from: "customer", at: at(0), text: "hello" },
    { number: 1, from: "customer", at: at(10), text: "are you there" },
    { number: 2, from: "agent", agent: ME, at: at(20), text: "on it" },
    { number: 3, from: "customer", at: at(30), text: "thanks" },
  ];
  view = signedIn(view, SESSION);
  view = reduce(view, { ...example("conversation_state"), conversation: "a", customer: "Ann", transcript });
  for (const event of [message("a", 2, "on it", "agent"), message("a", 3, "thanks"), message("a", 4, "bye")]) view = reduce(view, event);
  assert.deepEqual(texts(view, "a"), ["0:hello", "1:are you there", "2:on it", "3:thanks", "4:bye"]);
  // Out of order, a message still takes its place.
  view = reduce(reduce(view, message("a", 6, "six")), message("a", 5, "five"));
  assert.deepEqual(texts(view, "a").slice(-2), ["5:five", "6:six"]);
  assert.equal(mergeTranscript(view.conversations.get("a").transcript, [message("a", 6, "six")]), view.conversations.get("a").transcript);
});

test("unread counts: others' customer messages count until selected; the agent's own never", () => {
  let view = after(offer("a", "Ann", ["hi"]), offer("b", "Ben", ["hello", "anyone?"]), offer("c", "Cleo"));
  assert.equal(view.selected, "a", "the first to come is selected");
  assert.deepEqual(
    conversationRows(view).map((row) => [row.id, row.customer, row.unread, row.selected, row.statusLabel]),
    [
      ["a", "Ann", 0, true, "New"],
      ["b", "Ben", 2, false, "New"],
      ["c", "Cleo", 0, false, "New"],
    ],
  );
  view = [accepted("a"), accepted("b"), accepted("c"), message("c", 0, "hey"), message("c", 1, "me again"), message("a", 1, "more")].reduce(reduce, view);
  assert.equal(unreadCount(view, "c"), 2);
  assert.equal(unreadCount(view, "a"), 0);
  assert.deepEqual(totals(view), { conversations: 3, unread: 4 });
  assert.equal(
    conversationAnnouncement(view, message("b", 2, "hello?")),
    "New message from Ben: hello?",
    "a new customer message is read out with who wrote it",
  );
  assert.equal(conversationAnnouncement(view, message("b", 3, "x", "agent")), null, "the agent's own is not");

  // The agent's own messages are never unread.
  view = reduce(view, message("b", 2, "sorry for the wait", "agent"));
  assert.equal(unreadCount(view, "b"), 2);

  // Selecting clears a conversation's unread; the others keep theirs.
  view = select(view, "c");
  assert.equal(unreadCount(view, "c"), 0);
  assert.equal(unreadCount(view, "b"), 2);
  assert.equal(unreadCount(view, "a"), 0);
  view = reduce(view, message("a", 2, "still here"));
  assert.equal(unreadCount(view, "a"), 1, "a conversation no longer selected counts again");
  assert.equal(select(view, "nope"), view, "an unknown conversation cannot be selected");

  // A resync does not make what was read unread.
  view = reset(view);
  view = reduce(signedIn(view, SESSION), {
    ...example("conversation_state"),
    conversation: "b",
    customer: "Ben",
    transcript: [
      { number: 0, from: "customer", at: at(0), text: "hello" },
      { number: 1, from: "customer", at: at(1), text: "anyone?" },
      { number: 2, from: "agent", agent: ME, at: at(2), text: "sorry for the wait" },
      { number: 3, from: "customer", at: at(3), text: "ok" },
    ],
  });
  assert.equal(unreadCount(view, "b"), 3, "still unread: the two before and the new one");
});

test("the customer's waiting time runs from its last message until the agent answers", () => {
  let view = after(offer("a", "Ann", ["hi"]), accepted("a"), offer("b", "Ben"));
  const [a, b] = conversationRows(view);
  assert.equal(a.waitingSince, at(0));
  assert.equal(a.lastCustomerAt, at(0));
  assert.equal(b.waitingSince, null, "nobody wrote yet");
  let clocks = conversationClocks(view, T0 + 75_000);
  assert.equal(clocks.get("a").waiting, "1:15");
  assert.equal(clocks.get("b").waiting, null);
  assert.equal(clocks.get("b").countdown, "0:00", "the offer's deadline passed");

  view = reduce(view, message("a", 1, "answer", "agent"));
  assert.equal(conversationRows(view)[0].waitingSince, null, "answered");
  assert.equal(lastCustomerMessageAt(view.conversations.get("a")), at(0));
  view = reduce(view, message("a", 2, "follow-up"));
  assert.equal(conversationRows(view)[0].waitingSince, at(20));
  clocks = conversationClocks(view, T0 + 50_000);
  assert.equal(clocks.get("a").waiting, "0:30");
  assert.equal(clocks.get("a").countdown, null, "an open conversation has no countdown");

  view = reduce(view, { ...closed("a", "customer"), wrap_up_deadline: at(90) });
  clocks = conversationClocks(view, T0 + 60_000);
  assert.equal(clocks.get("a").countdown, "0:30");
  assert.equal(clocks.get("a").waiting, null);
});

test("announcements: a new offer, a customer who left", () => {
  const view = after(offer("a", "Ann"), accepted("a"));
  assert.equal(conversationAnnouncement(view, offer("b", "Ben")), "New chat from Ben.");
  assert.equal(conversationAnnouncement(view, { ...offer("b", null) }), "New chat from an unknown customer.");
  assert.equal(conversationAnnouncement(view, closed("a", "customer")), "Ann left the chat.");
  assert.equal(conversationAnnouncement(view, closed("a", "agent")), null);
  const long = "x".repeat(500);
  assert.equal(conversationAnnouncement(view, message("a", 1, long)).length, "New message from Ann: ".length + 160);
});

test("a reset forgets the conversations but not the agent's reading", () => {
  const view = after(offer("a", "Ann", ["hi"]));
  const fresh = reset(view);
  assert.equal(fresh.me, null);
  assert.equal(fresh.conversations.size, 0);
  assert.equal(fresh.read.get("a"), 0);
  assert.deepEqual(conversationRows(fresh), []);
  assert.deepEqual(totals(fresh), { conversations: 0, unread: 0 });
});

test("a refusal is said in the panel's words, or left to the page's", () => {
  assert.equal(conversationRefusal("wrong_channel"), "That queue takes other work: pick a queue of this channel.");
  assert.equal(conversationRefusal("conversation_closed"), "That chat is closed.");
  assert.equal(conversationRefusal("offline"), null);
});

test("the focus after an action is never on a control that ends a chat", () => {
  const open = selectedConversation(after(OFFER, accepted(ID)));
  const wrapUp = selectedConversation(after(OFFER, accepted(ID), closed(ID)));
  const leftByCustomer = selectedConversation(after(OFFER, accepted(ID), closed(ID, "customer")));
  // After Close chat (by the agent or the customer) the chat's own section, so an Enter that
  // follows falls on it and ends nothing; Tab goes on to End chat wrap-up.
  assert.deepEqual(conversationFocusAfter(wrapUp), { panel: "conversation" });
  assert.deepEqual(conversationFocusAfter(leftByCustomer), { panel: "conversation" });
  assert.equal(conversationFocusAfter(null), null, "none selected: the page goes to the list");
  for (const conversation of [selectedConversation(after(OFFER)), open, wrapUp, null]) {
    const next = conversationFocusAfter(conversation);
    assert.ok(!conversationGuarded(next?.action, { lastActionAt: 0, pressedAt: 0, clicks: 0 }), `${conversation?.status}: ${next?.action}`);
  }
});

test("a key press on Close chat or End chat wrap-up within GUARD_MS of the previous action is not taken", () => {
  assert.equal(GUARD_MS, 1000, "the WebAgent's own guard time");
  const key = (pressedAt, clicks = 0) => ({ lastActionAt: 5000, pressedAt, clicks });
  for (const action of ["close", "end_wrap_up"]) {
    assert.equal(conversationGuarded(action, key(5250)), true, `${action}: Enter 250 ms after`);
    assert.equal(conversationGuarded(action, key(5000 + GUARD_MS - 1)), true, `${action}: just inside`);
    assert.equal(conversationGuarded(action, key(5000 + GUARD_MS)), false, `${action}: a deliberate press after the guard`);
    assert.equal(conversationGuarded(action, key(5100, 1)), false, `${action}: a single mouse click is aimed, it counts`);
    assert.equal(conversationGuarded(action, key(5100, 2)), true, `${action}: a double-click's second click`);
    assert.equal(conversationGuarded(action, { lastActionAt: -Infinity, pressedAt: 5, clicks: 0 }), false, `${action}: nothing before`);
  }
  // Rejecting an offer sends the chat back to its queue for the next agent (the customer loses
  // nothing); accepting, sending, transferring end nothing either: never held back.
  for (const action of ["accept", "reject", "send", "transfer", "hangup", "logout", "toString", undefined]) {
    assert.equal(conversationGuarded(action, key(5100)), false, `${action}`);
  }
  // The call controls the panel's are like are guarded on the WebAgent: the same rule.
  assert.ok(GUARDED_ACTIONS.has("hangup") && GUARDED_ACTIONS.has("end_wrap_up"));
});

test("the guard starts again when the controls shown change, not for a chat out of view", () => {
  const base = after(offer("a", "Ann", ["Hi"]), offer("b", "Ben", ["Hello"]), accepted("a"), accepted("b"));
  assert.equal(base.selected, "a");
  const changed = (event) => conversationControlsChanged(base, reduce(base, event));
  assert.equal(conversationControlsChanged(base, base), false);
  assert.equal(changed(closed("a", "customer")), true, "the chat shown closed: Close chat gave way to End chat wrap-up");
  assert.equal(changed(left("a")), true, "the chat shown went away");
  assert.equal(changed(message("a", 1, "Are you there?")), false, "a message replaces no control");
  assert.equal(changed(closed("b", "customer")), false, "a chat not shown closed: the controls on the page stay");
  assert.equal(changed(offer("c", "Cem")), false, "a new offer beside it");
  assert.equal(conversationControlsChanged(base, select(base, "b")), true, "another chat chosen: its controls replaced these");
  assert.equal(conversationControlsChanged(after(), after(OFFER)), true, "the first offer's controls appeared");
});

test("a press not taken is said calmly, with the way to do it after all", () => {
  assert.equal(
    conversationGuardNote("close", "Close chat"),
    "Still open: that press came just as the page changed, so it was not taken. Press “Close chat” again if you meant it.",
  );
  assert.equal(
    conversationGuardNote("end_wrap_up", "End chat wrap-up"),
    "Still in wrap-up: that press came just as the page changed, so it was not taken. Press “End chat wrap-up” again if you meant it.",
  );
});

// --- In German ------------------------------------------------------------------------------------

/** The panel's words in German (the WebAgent's table), with Germany's figures. */
const GERMAN = translator({ language: "de", locale: "de-DE", messages: AGENT_MESSAGES });

test("in German: the list's rows, announcements, refusals and a press not taken", () => {
  const view = after(offer("a", "Ann", ["Hallo"]), offer("b", null), accepted("a"));
  const rows = conversationRows(view, (id) => `Q-${id}`, GERMAN);
  assert.deepEqual(
    rows.map((row) => [row.id, row.customer, row.statusLabel]),
    [
      ["a", "Ann", "Offen"],
      ["b", "Unbekannter Kunde", "Neu"],
    ],
  );
  assert.deepEqual(conversationRows(view).map((row) => row.statusLabel), ["Open", "New"], "English without a translator");
  assert.equal(statusLabel("wrap_up", GERMAN), "Nachbearbeitung");
  assert.equal(customerName(view.conversations.get("b"), GERMAN), "Unbekannter Kunde");

  assert.equal(conversationAnnouncement(view, offer("c", "Cem"), GERMAN), "Neuer Chat von Cem.");
  assert.equal(conversationAnnouncement(view, offer("c", null), GERMAN), "Neuer Chat von einem unbekannten Kunden.");
  assert.equal(conversationAnnouncement(view, message("a", 1, "Sind Sie noch da?"), GERMAN), "Neue Nachricht von Ann: Sind Sie noch da?");
  assert.equal(conversationAnnouncement(view, closed("a", "customer"), GERMAN), "Ann hat den Chat verlassen.");
  const cancelled = { ...example("conversation_offer_cancelled"), conversation: "c", agent: ME };
  assert.equal(conversationAnnouncement(reduce(view, offer("c", "Cem")), cancelled, GERMAN), "Der Chat von Cem ist zurück in der Warteschlange.");

  assert.equal(conversationRefusal("conversation_closed", GERMAN), "Dieser Chat ist geschlossen.");
  assert.equal(conversationRefusal("wrong_channel", GERMAN), "Diese Warteschlange nimmt andere Arbeit an: Wählen Sie eine Warteschlange dieses Kanals.");
  assert.equal(conversationRefusal("offline", GERMAN), null, "the page's own words");
  assert.equal(conversationRefusal("toString"), null);

  assert.equal(
    conversationGuardNote("close", "Chat schließen", GERMAN),
    "Noch offen: Diese Eingabe kam genau, als sich die Seite änderte, und wurde daher nicht übernommen. Drücken Sie erneut auf „Chat schließen“, wenn Sie das beabsichtigt haben.",
  );
  assert.match(conversationGuardNote("end_wrap_up", "Chat-Nachbearbeitung beenden", GERMAN), /^Noch in der Nachbearbeitung: .*„Chat-Nachbearbeitung beenden“/);
});
