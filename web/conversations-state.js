// conversations-state.js: the WebAgent's conversations (chat, SMS, ...) as pure functions of the
// server's messages, beside agent-state.js, which keeps the agent's state and calls. The view
// holds each conversation offered to the agent, open at it or in its wrap-up, with its
// transcript (each message once, by its `number`), its unread count, and which one the agent
// has selected. `reduce` takes one event and returns the next view (the same one when the event
// changes nothing); `reset` starts a new session's snapshot. `conversationFocusAfter` and
// `conversationGuarded` keep the keyboard off the controls that end a chat (agent-state.js's
// rule for calls: a press that comes within GUARD_MS of the previous action is not taken there).
// No DOM, no network, no clock (times come in as arguments): conversations.js draws what this module says, and Node tests it as it
// is (tests/browser/conversations-state.test.mjs). What it says is in the language of the
// translator `t` the functions that word something take last (i18n.js, with the WebAgent's
// agent-messages.js); English without one.

import { AGENT_MESSAGES } from "./agent-messages.js";
import { GUARD_MS, guarded } from "./agent-state.js";
import { formatDuration, secondsSince } from "./format.js";
import { translator } from "./i18n.js";

export { GUARD_MS };

/** The panel's words in English: the translator of a caller that passes none. */
const ENGLISH = translator({ messages: AGENT_MESSAGES });

/**
 * The view before any session. Plain data, never changed in place.
 *
 * - `me`: the agent this session is; null until signed in (every event counts as ours then).
 * - `conversations`: by id, in the order they came: `{id, status, queue, channel, customer,
 *   data, priority, offerDeadline, wrapUpDeadline, closedBy, transcript}`; `status` is
 *   `offered`, `open` or `wrap_up`; `transcript` is the messages (`{number, from, agent?, at,
 *   text}`) in `number` order, each number once.
 * - `read`: by conversation id, the highest message number the agent has seen (selected while
 *   it came, or selected after). It outlives a new session, so a resync's snapshot does not make
 *   old messages unread again.
 * - `selected`: the conversation shown; it too outlives a new session.
 */
export function emptyConversations() {
  return Object.freeze({ me: null, conversations: new Map(), read: new Map(), selected: null });
}

/**
 * What the agent read and selected, as plain data a page keeps across its own reload
 * (sessionStorage): `{read: [[id, number], ...], selected}`.
 */
export function kept(view) {
  return { read: [...view.read], selected: view.selected };
}

/**
 * A reloaded page takes back what was read and selected before it (`kept`), before the new
 * session's snapshot: a conversation's messages the agent had not seen stay unread. Anything
 * that is not an id with a whole message number is left out.
 */
export function withKept(view, saved) {
  const read = new Map(view.read);
  for (const entry of Array.isArray(saved?.read) ? saved.read : []) {
    if (Array.isArray(entry) && typeof entry[0] === "string" && Number.isInteger(entry[1])) read.set(entry[0], entry[1]);
  }
  const selected = typeof saved?.selected === "string" ? saved.selected : view.selected;
  return Object.freeze({ ...view, read, selected });
}

/** Signed in (again): which agent this session is, from the AuthResult. */
export function signedIn(view, session) {
  return Object.freeze({ ...view, me: session.agent ?? null });
}

/**
 * A new session's snapshot begins: the conversations go (the snapshot's `conversation_state`s
 * bring back the ones the agent still holds); what was read and what was selected stay.
 */
export function reset(view) {
  return Object.freeze({ ...view, me: null, conversations: new Map() });
}

/** The agent selects a conversation (null: none): what it has is read now. */
export function select(view, id) {
  if (id !== null && !view.conversations.has(id)) return view;
  const read = id === null ? view.read : markRead(view.read, view.conversations.get(id));
  if (id === view.selected && read === view.read) return view;
  return Object.freeze({ ...view, selected: id, read });
}

/** The transcript with `items` in, each number once (one already there stays as it was). */
export function mergeTranscript(transcript, items) {
  const known = new Set(transcript.map((item) => item.number));
  const added = items.filter((item) => !known.has(item.number) && known.add(item.number));
  if (added.length === 0) return transcript;
  return [...transcript, ...added.map(messageItem)].sort((a, b) => a.number - b.number);
}

/** A transcript item as the view keeps it (a `message` event less its envelope). */
function messageItem({ number, from, agent, at, text }) {
  return Object.freeze(agent === undefined ? { number, from, at, text } : { number, from, agent, at, text });
}

const lastNumber = (conversation) => conversation?.transcript.at(-1)?.number ?? -1;

function markRead(read, conversation) {
  if (!conversation) return read;
  const upTo = lastNumber(conversation);
  return (read.get(conversation.id) ?? -1) >= upTo ? read : new Map(read).set(conversation.id, upTo);
}

/** An event names no agent, or this one (any, until the session says who this is). */
const concernsMe = (view, event) => event.agent === undefined || view.me === null || event.agent === view.me;

/**
 * The view after one event: `conversation_offer`, `conversation_offer_cancelled`,
 * `conversation_accepted`, `message`, `conversation_transferred`, `conversation_closed`,
 * `conversation_left` and a snapshot's `conversation_state`. Anything else, or an event about
 * another agent's conversation, changes nothing.
 */
export function reduce(view, event) {
  const id = event.conversation;
  if (id === undefined || !concernsMe(view, event)) return view;
  const known = view.conversations.get(id);
  switch (event.type) {
    case "conversation_offer":
      return withConversation(view, {
        ...(known ?? newConversation(event, [])),
        status: "offered",
        queue: event.queue,
        channel: event.channel,
        customer: event.customer ?? null,
        data: event.data ?? {},
        priority: event.priority ?? 0,
        offerDeadline: event.offer_deadline,
        wrapUpDeadline: null,
        closedBy: null,
        transcript: mergeTranscript(known?.transcript ?? [], event.transcript ?? []),
      });
    case "conversation_state": {
      // A snapshot says where the conversation is now, transcript and all: it replaces what the
      // view knew. A conversation waiting in a queue, or another agent's, is not this agent's.
      if (event.status === "waiting" || !["offered", "open", "wrap_up"].includes(event.status)) return without(view, id);
      return withConversation(view, {
        ...newConversation(event, event.transcript ?? known?.transcript ?? []),
        status: event.status,
        offerDeadline: event.offer_deadline ?? null,
        wrapUpDeadline: event.wrap_up_deadline ?? null,
      }, { snapshot: true });
    }
    case "conversation_accepted":
      if (!known) return view;
      return withConversation(view, { ...known, status: "open", queue: event.queue ?? known.queue, offerDeadline: null });
    case "message": {
      if (!known) return view;
      const transcript = mergeTranscript(known.transcript, [event]);
      if (transcript === known.transcript) return view;
      return withConversation(view, { ...known, transcript });
    }
    case "conversation_closed":
      if (!known) return view;
      return withConversation(view, {
        ...known,
        status: "wrap_up",
        offerDeadline: null,
        wrapUpDeadline: event.wrap_up_deadline ?? null,
        closedBy: event.by ?? null,
      });
    case "conversation_offer_cancelled":
    case "conversation_transferred":
    case "conversation_left":
      return without(view, id);
    default:
      return view;
  }
}

function newConversation(event, transcript) {
  return {
    id: event.conversation,
    status: "offered",
    queue: event.queue,
    channel: event.channel,
    customer: event.customer ?? null,
    data: event.data ?? {},
    priority: event.priority ?? 0,
    offerDeadline: null,
    wrapUpDeadline: null,
    closedBy: null,
    transcript: mergeTranscript([], transcript),
  };
}

/**
 * The view with `conversation` in (replacing the one of its id, in its place). The selected one
 * has read all it holds. A conversation new to the view is selected when none is (nor, during a
 * snapshot, one that may still come back: a selection the snapshot has not brought yet); one a
 * snapshot alone tells of, open or in wrap-up, was read before (a reload, a resync).
 */
function withConversation(view, conversation, { snapshot = false } = {}) {
  const frozen = Object.freeze(conversation);
  const isNew = !view.conversations.has(frozen.id);
  const conversations = new Map(view.conversations).set(frozen.id, frozen);
  const dangling = view.selected !== null && !view.conversations.has(view.selected) && view.selected !== frozen.id;
  let selected = view.selected;
  if (isNew && (selected === null || (dangling && !snapshot))) selected = frozen.id;
  let read = view.read;
  if (selected === frozen.id) read = markRead(read, frozen);
  else if (!read.has(frozen.id)) {
    // Nothing read of it yet. Told of live, that is so; told of by a snapshot alone, an open
    // conversation or one in wrap-up was seen before the reload or the resync.
    read = new Map(read).set(frozen.id, snapshot && frozen.status !== "offered" ? lastNumber(frozen) : -1);
  }
  return Object.freeze({ ...view, conversations, selected, read });
}

function without(view, id) {
  if (!view.conversations.has(id) && !view.read.has(id)) return view;
  const conversations = new Map(view.conversations);
  conversations.delete(id);
  const read = new Map(view.read);
  read.delete(id);
  return Object.freeze({ ...view, conversations, read, selected: view.selected === id ? null : view.selected });
}

// --- What the view says -----------------------------------------------------------------------

/** The conversation selected and still held, or null. */
export function selectedConversation(view) {
  return view.conversations.get(view.selected) ?? null;
}

/** The customer's messages the agent has not seen: those after the last one it read. */
export function unreadCount(view, id) {
  const conversation = view.conversations.get(id);
  if (!conversation) return 0;
  const read = view.read.get(id) ?? -1;
  return conversation.transcript.filter((item) => item.from === "customer" && item.number > read).length;
}

/** When the customer last wrote (an instant), or null if it has not written. */
export function lastCustomerMessageAt(conversation) {
  return conversation.transcript.findLast((item) => item.from === "customer")?.at ?? null;
}

/**
 * Since when the customer waits for an answer: its last message, when no agent's message came
 * after it; null when the agent answered last or nobody wrote yet, and once it is closed.
 */
export function waitingSince(conversation) {
  const last = conversation.transcript.at(-1);
  return conversation.status !== "wrap_up" && last?.from === "customer" ? last.at : null;
}

/** Who writes, as the page names them. */
export function customerName(conversation, t = ENGLISH) {
  return conversation.customer ?? t("conversations.unknownCustomer");
}

/** A conversation's status (`offered`, `open`, `wrap_up`) in the translator's words. */
export function statusLabel(status, t = ENGLISH) {
  return t.has(`conversations.status.${status}`) ? t(`conversations.status.${status}`) : status;
}

/**
 * The list's rows, in the order the conversations came: id, customer, status, unread count,
 * the last customer message's instant, since when the customer waits (null: not waiting), and
 * whether it is the selected one. `queueName(id)` names queues.
 */
export function conversationRows(view, queueName = (id) => id, t = ENGLISH) {
  return [...view.conversations.values()].map((conversation) => ({
    id: conversation.id,
    customer: customerName(conversation, t),
    status: conversation.status,
    statusLabel: statusLabel(conversation.status, t),
    queue: queueName(conversation.queue),
    channel: conversation.channel,
    unread: unreadCount(view, conversation.id),
    lastCustomerAt: lastCustomerMessageAt(conversation),
    waitingSince: waitingSince(conversation),
    selected: conversation.id === view.selected,
  }));
}

/**
 * The clocks at `nowMs` (the server's clock): for each conversation, how long its customer has
 * waited since its last message (`m:ss`, or null when it is not waiting), and the offer's or
 * wrap-up's countdown (null when neither runs).
 */
export function conversationClocks(view, nowMs) {
  const clocks = new Map();
  for (const conversation of view.conversations.values()) {
    const since = waitingSince(conversation);
    const deadline = conversation.status === "offered" ? conversation.offerDeadline : conversation.wrapUpDeadline;
    clocks.set(conversation.id, {
      waiting: since ? formatDuration(secondsSince(since, nowMs)) : null,
      countdown: deadline ? formatDuration(-secondsSince(deadline, nowMs)) : null,
    });
  }
  return clocks;
}

/** Counts of what the agent holds, for a heading: conversations, and unread messages in all. */
export function totals(view) {
  let unread = 0;
  for (const id of view.conversations.keys()) unread += unreadCount(view, id);
  return { conversations: view.conversations.size, unread };
}

// --- What the agent can do --------------------------------------------------------------------

/**
 * What a conversation allows now: `accept` and `reject` while offered; `send`, `transfer` and
 * `close` while open; `end_wrap_up` in its wrap-up. Nothing for no conversation.
 */
export function conversationActions(conversation) {
  const status = conversation?.status;
  return {
    accept: status === "offered",
    reject: status === "offered",
    send: status === "open",
    transfer: status === "open",
    close: status === "open",
    end_wrap_up: status === "wrap_up",
  };
}

/**
 * Where the keyboard goes after an action in the panel, or when the focused control went away
 * (the conversation changed under it), for the selected `conversation`: `{action}`, a control
 * (`send` is the composer's text), or `{panel: "conversation"}`, the conversation's own section
 * (named by its customer, tabindex=-1: Enter or Space on it does nothing); null (none
 * selected): the page goes to the list.
 *
 * Never a control that ends something. After Close chat the hand is often still on Enter: were
 * End chat wrap-up focused, that press would end the wrap-up too. So a chat in wrap-up takes
 * the focus on its section, and Tab goes on to End chat wrap-up. An offer focuses Accept (taking
 * a chat ends nothing), an open chat the composer (Enter there sends only what was typed).
 */
export function conversationFocusAfter(conversation) {
  switch (conversation?.status) {
    case "offered":
      return { action: "accept" };
    case "open":
      return { action: "send" };
    case "wrap_up":
      return { panel: "conversation" };
    default:
      return null;
  }
}

// --- Presses that come too soon ------------------------------------------------------------------

/**
 * The panel's controls that end something the agent cannot take back, and the call control
 * each is like (agent-state.js's GUARDED_ACTIONS): Close chat ends the customer's chat as Hang
 * up ends a call, End chat wrap-up ends its wrap-up (and frees the agent for the next chat).
 * Reject chat is not among them: the chat goes back to its queue and is offered to the next
 * agent, the customer loses nothing and sees nothing, and a rejected offer is the agent's own
 * capacity kept, not work thrown away. Transfer chat needs a target chosen and hands the chat on.
 */
export const GUARDED_CONVERSATION_ACTIONS = Object.freeze({ close: "hangup", end_wrap_up: "end_wrap_up" });

/**
 * Whether a press of the panel's `action` is ignored: agent-state.js's `guarded` for the call
 * control it is like (`lastActionAt`, `pressedAt` in ms of one clock; `clicks`, the click
 * event's `detail`: 0 from a key, 1 a single click, which always counts, 2 and up a
 * double-click's later clicks). Any other action is never held back.
 */
export function conversationGuarded(action, press) {
  if (!Object.hasOwn(GUARDED_CONVERSATION_ACTIONS, action)) return false;
  return guarded(GUARDED_CONVERSATION_ACTIONS[action], press);
}

/**
 * The controls the panel shows: those of the selected conversation, by its id and status (its
 * actions follow from the status). One conversation's controls are on the page at a time, so
 * the page keeps one "last action" for the panel: choosing another conversation replaces the
 * controls too and starts the guard again, and a change to a conversation not shown does not.
 */
function shownControls(view) {
  const conversation = selectedConversation(view);
  return conversation ? `${conversation.id}|${conversation.status}` : "";
}

/**
 * Whether the controls shown changed from `before` to `after` (the chat shown was accepted,
 * closed by its customer, went away, another was chosen, ...): the page starts GUARD_MS again.
 */
export function conversationControlsChanged(before, after) {
  return before !== after && shownControls(before) !== shownControls(after);
}

/**
 * What the page says under a control whose press was not taken (`conversationGuarded`): that
 * nothing happened, why, and how to do it after all. `label` is the button's words.
 */
export function conversationGuardNote(action, label, t = ENGLISH) {
  const still = Object.hasOwn(GUARDED_CONVERSATION_ACTIONS, action) ? t(`guard.${action}`) : t("guard.other");
  return t("guard.note", { still, label });
}

/**
 * The command an action sends for a conversation, as `[type, fields]`, or null when the action
 * is not on offer (or, for `send`, there is nothing to send). `text` (send) and `target`
 * (transfer: `queue:<id>` or `agent:<id>`, as agent-state.js's transferTargets gives them) come
 * from the page.
 */
export function conversationCommand(conversation, action, { text = "", target = "" } = {}) {
  if (!conversationActions(conversation)[action]) return null;
  const fields = { conversation: conversation.id };
  switch (action) {
    case "accept":
      return ["accept_conversation", fields];
    case "reject":
      return ["reject_conversation", fields];
    case "send":
      return text.trim() ? ["send_message", { ...fields, text }] : null;
    case "transfer": {
      const [kind, id] = String(target).split(":");
      return (kind === "queue" || kind === "agent") && id ? ["transfer_conversation", { ...fields, [kind]: id }] : null;
    }
    case "close":
      return ["close_conversation", fields];
    case "end_wrap_up":
      return ["end_conversation_wrap_up", fields];
    default:
      return null;
  }
}

/**
 * What a screen reader hears (politely) for an event of this agent's conversations: a new
 * customer message, naming the customer; a new conversation offered; one that ended without
 * the agent. Null for anything else, and for a message already in the transcript.
 */
export function conversationAnnouncement(view, event, t = ENGLISH) {
  if (!concernsMe(view, event)) return null;
  const known = view.conversations.get(event.conversation);
  switch (event.type) {
    case "message":
      if (!known || event.from !== "customer" || known.transcript.some((item) => item.number === event.number)) return null;
      return t("conversations.announce.message", { customer: customerName(known, t), text: clip(event.text) });
    case "conversation_offer":
      if (known) return null;
      return event.customer == null
        ? t("conversations.announce.offerUnknown")
        : t("conversations.announce.offer", { customer: event.customer });
    case "conversation_offer_cancelled":
      return known ? t("conversations.announce.cancelled", { customer: customerName(known, t) }) : null;
    case "conversation_closed":
      return known && event.by === "customer" ? t("conversations.announce.left", { customer: customerName(known, t) }) : null;
    default:
      return null;
  }
}

/** What the page says of a conversation command's refusal, by its code; null: the page's usual words. */
export function conversationRefusal(code, t = ENGLISH) {
  const key = `conversations.refused.${code}`;
  return typeof code === "string" && /^\w+$/.test(code) && t.has(key) ? t(key) : null;
}

/** A message as it is read out: its first 160 characters. */
function clip(text) {
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
