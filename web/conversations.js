// conversations.js: the WebAgent's conversation panel, beside the call panels. A list of the
// agent's conversations (unread counts, how long each customer has waited since its last
// message), the selected one's transcript, a composer (Enter sends, Shift+Enter starts a new
// line), and its actions: accept or reject an offer, transfer or close an open conversation,
// end its wrap-up. What it shows comes from the server's events through conversations-state.js;
// a button only sends a command, and the events it causes change the panel. New customer
// messages are read out politely, naming the customer. A ringing call keeps precedence: the
// panel takes no focus of its own accord and tones its offers down while a call rings. The
// keyboard is kept off the controls that end a chat: a chat in wrap-up takes the focus on its
// own section, and a key press on Close chat or End chat wrap-up that comes just as the panel
// changed is not taken (conversations-state.js's conversationFocusAfter and conversationGuarded).
// Its words are the translator's the page passes (i18n.js, agent-messages.js), English without one.
//
// Importing this module does nothing; agent.js makes the panel when the page starts.

import { AcdError } from "./acdhub.js";
import { AGENT_MESSAGES } from "./agent-messages.js";
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
  reduce,
  reset,
  select,
  selectedConversation,
  signedIn,
  statusLabel,
  totals,
  withKept,
} from "./conversations-state.js";
import { translator } from "./i18n.js";
import { announce, everySecond, fill, h, namesById, pressGuard } from "./ui.js";

/** Where the panel keeps what was read across a reload of the page. */
const KEPT = "acdhub.conversations.kept";

/** The panel's words in English, for a page that passes no translator. */
const ENGLISH = translator({ messages: AGENT_MESSAGES });

/**
 * Makes the panel in `root` (the `[data-role=conversations]` section of agent.html).
 * `client` sends commands and tells the server's clock; `announcer` is a polite live region;
 * `notice` shows a refusal with its code, in the words `explain(error)` gives; `t` is the
 * page's translator (i18n.js). Returns what agent.js calls as the session goes on.
 */
export function conversationPanel({ client, root, announcer, notice, explain = (error) => error.message, t = ENGLISH }) {
  const part = (role) => root.querySelector(`[data-role="${role}"]`);
  const control = (action) => root.querySelector(`[data-chat-action="${action}"]`);
  const list = part("conversation-list");
  const detail = part("conversation");
  const transcript = part("transcript");
  const text = part("composer-text");
  // The conversation's section takes the focus itself when nothing safer is there (a chat in
  // wrap-up): named by its customer, and Enter or Space on it does nothing.
  detail.tabIndex = -1;
  /**
   * The notes under the controls that end a chat (a polite live region each): why a press was
   * not taken. Made here, after the last row of actions: one row shows at a time (the open
   * chat's or the wrap-up's), so each note is under its control, and a change of the controls
   * empties them. Empty, they take no room (.guard-note).
   */
  const guardNotes = new Map(
    ["close", "end_wrap_up"].map((action) => [
      action,
      h("p", { class: "guard-note", role: "status", "aria-live": "polite", dataset: { chatGuardNote: action } }),
    ]),
  );
  part("conversation-wrap-up").after(...guardNotes.values());

  let view = withKept(emptyConversations(), load());
  let queueNames = new Map();
  /** What the agent began to write in each conversation, kept while it looks at another. */
  const drafts = new Map();
  /** The conversation whose transcript is drawn, and the transcript drawn (its messages, in order). */
  let drawn = { id: null, transcript: null };
  /**
   * The transfer targets of a conversation of a channel (agent-state.js's conversationTargets):
   * the queues with a lane of that channel, and the agents. None until agent.js says.
   */
  let targetsFor = () => ({ queues: [], agents: [] });
  const rows = new Map();

  const queueName = (id) => queueNames.get(id) ?? id;

  // --- Drawing ------------------------------------------------------------------------------

  // What was read and selected outlives a reload of the page (the tab's sessionStorage), so
  // that messages the agent had not seen stay unread when the snapshot brings them back.
  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(KEPT) ?? "null");
    } catch {
      return null;
    }
  }

  function keep() {
    try {
      sessionStorage.setItem(KEPT, JSON.stringify(kept(view)));
    } catch {
      // No storage (a private window's quota): a reload marks what it brings back as read.
    }
  }

  function render() {
    keep();
    const focusWasHere = document.activeElement === document.body || root.contains(document.activeElement);
    const all = conversationRows(view, queueName, t);
    const sum = totals(view);
    part("conversations-total").textContent = all.length ? t("conversations.total", { count: all.length, unread: sum.unread }) : "";
    part("conversations-empty").hidden = all.length > 0;
    renderRows(all);
    renderSelected();
    tick();
    if (focusWasHere && root.contains(document.activeElement) && !usable(document.activeElement)) focusNext();
    else if (focusWasHere && document.activeElement === document.body && lastAction) focusNext();
    lastAction = false;
  }

  /**
   * The list, keyed by conversation: a row keeps its element as it changes, and is moved only
   * when out of place (moving an element takes the focus from it).
   */
  function renderRows(all) {
    for (const [id, row] of rows) {
      if (!all.some((r) => r.id === id)) {
        row.item.remove();
        rows.delete(id);
      }
    }
    all.forEach((data, index) => {
      let row = rows.get(data.id);
      if (!row) {
        row = makeRow(data.id);
        rows.set(data.id, row);
      }
      if (list.children[index] !== row.item) list.insertBefore(row.item, list.children[index] ?? null);
      row.button.dataset.status = data.status;
      row.button.dataset.unread = String(data.unread);
      if (data.selected) row.button.setAttribute("aria-current", "true");
      else row.button.removeAttribute("aria-current");
      row.customer.textContent = data.customer;
      row.status.textContent = data.statusLabel;
      row.queue.textContent = data.queue;
      row.unread.hidden = data.unread === 0;
      row.count.textContent = String(data.unread);
      row.unreadWords.textContent = t("conversations.unread", { count: data.unread });
      row.waitingTime.dataset.since = data.waitingSince ?? "";
      row.waiting.hidden = !data.waitingSince;
      row.answered.textContent = data.waitingSince
        ? ""
        : data.status === "wrap_up"
          ? t("conversations.closed")
          : data.lastCustomerAt
            ? t("conversations.answered")
            : "";
    });
  }

  function makeRow(id) {
    const span = (cls, ...children) => h("span", { class: cls }, ...children);
    const row = {
      customer: span("customer"),
      status: span("status"),
      queue: span("queue"),
      count: document.createTextNode(""),
      unreadWords: h("span", { class: "visually-hidden" }),
      waitingTime: h("time", { dataset: { role: "waiting" } }),
      answered: span("answered"),
    };
    row.unread = h("span", { class: "unread", dataset: { role: "unread" } }, row.count, row.unreadWords);
    row.waiting = span("waiting", ...t.parts("conversations.waiting", { time: row.waitingTime }));
    row.button = h(
      "button",
      { type: "button", class: "conversation-row", dataset: { role: "conversation-row", conversation: id } },
      h("span", { class: "row-top" }, row.customer, row.unread),
      h("span", { class: "row-facts" }, row.status, " · ", row.queue, " · ", row.waiting, row.answered),
    );
    row.button.addEventListener("click", () => {
      choose(id);
      focusNext();
    });
    row.button.addEventListener("keydown", (event) => moveInList(event, row.button));
    row.item = h("li", {}, row.button);
    return row;
  }

  /** Up and Down (and Home, End) move between the list's rows. */
  function moveInList(event, button) {
    const buttons = [...list.querySelectorAll("button")];
    const at = buttons.indexOf(button);
    const to = { ArrowUp: at - 1, ArrowDown: at + 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined || !buttons[to]) return;
    event.preventDefault();
    buttons[to].focus();
  }

  function renderSelected() {
    const conversation = selectedConversation(view);
    detail.hidden = !conversation;
    part("conversation-none").hidden = Boolean(conversation) || view.conversations.size === 0;
    if (!conversation) {
      drawn = { id: null, transcript: null };
      return;
    }
    detail.dataset.conversation = conversation.id;
    detail.dataset.status = conversation.status;
    const name = customerName(conversation, t);
    part("conversation-customer").textContent = name;
    part("conversation-status").textContent = statusLabel(conversation.status, t);
    part("conversation-queue").textContent = queueName(conversation.queue);
    part("conversation-closed-by").textContent =
      conversation.closedBy === "customer"
        ? t("conversations.customerLeft", { customer: name })
        : conversation.closedBy === "agent"
          ? t("conversations.youClosed")
          : "";
    fill(
      part("conversation-data"),
      Object.entries(conversation.data ?? {}).flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, value)]),
    );
    part("composer-to").textContent = name;
    renderTranscript(conversation, name);

    const actions = conversationActions(conversation);
    part("conversation-offer-actions").hidden = !actions.accept;
    part("composer").hidden = !actions.send;
    part("conversation-actions").hidden = !actions.close;
    part("conversation-wrap-up").hidden = !actions.end_wrap_up;
    part("countdown-label").textContent = actions.accept
      ? t("conversations.offeredFor")
      : actions.end_wrap_up
        ? t("conversations.wrapUpEndsIn")
        : "";
    renderTargets(conversation);
  }

  /**
   * The transfer list of the conversation shown: the queues with a lane of its channel, each
   * once, and the agents. Filled again only when they change, so a choice made stays.
   */
  function renderTargets(conversation) {
    const select = part("conversation-transfer-targets");
    const targets = targetsFor(conversation.channel ?? null);
    const key = JSON.stringify([targets.queues, targets.agents]);
    if (select.dataset.options === key) return;
    const chosen = select.value;
    fill(
      select,
      h("optgroup", { label: t("transfer.queues") }, targets.queues.map(({ value, name }) => h("option", { value }, name))),
      h("optgroup", { label: t("transfer.agents") }, targets.agents.map(({ value, name }) => h("option", { value }, name))),
    );
    if ([...targets.queues, ...targets.agents].some(({ value }) => value === chosen)) select.value = chosen;
    select.dataset.options = key;
  }

  /** The transcript: messages appended as they come; drawn anew for another conversation. */
  function renderTranscript(conversation, name) {
    if (drawn.id !== conversation.id) {
      if (drawn.id !== null) drafts.set(drawn.id, text.value);
      text.value = drafts.get(conversation.id) ?? "";
      fill(transcript);
      drawn = { id: conversation.id, transcript: [] };
    }
    if (drawn.transcript === conversation.transcript) return;
    const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 24;
    const shown = new Set(drawn.transcript.map((item) => item.number));
    const fresh = conversation.transcript.filter((item) => !shown.has(item.number));
    const inOrder = fresh.every((item) => item.number > (drawn.transcript.at(-1)?.number ?? -1));
    if (!inOrder) fill(transcript);
    for (const item of inOrder ? fresh : conversation.transcript) transcript.append(messageElement(item, name));
    drawn.transcript = conversation.transcript;
    transcript.dataset.count = String(conversation.transcript.length);
    if (atBottom || fresh.some((item) => item.from === "agent")) transcript.scrollTop = transcript.scrollHeight;
  }

  function messageElement(item, name) {
    const mine = item.from === "agent";
    const when = Date.parse(item.at);
    return h(
      "li",
      { class: "message", dataset: { from: item.from, number: String(item.number) } },
      h(
        "p",
        { class: "message-meta" },
        h("span", { class: "who" }, mine ? t("conversations.you") : name),
        h("span", { class: "visually-hidden" }, t("conversations.wroteAt")),
        h("time", { datetime: item.at }, Number.isFinite(when) ? t.time(when, { seconds: false }) : ""),
      ),
      h("p", { class: "message-text" }, item.text),
    );
  }

  /** Every second: each customer's waiting time, and the selected offer's or wrap-up's countdown. */
  function tick() {
    const clocks = conversationClocks(view, client.serverNow());
    for (const [id, row] of rows) row.waitingTime.textContent = clocks.get(id)?.waiting ?? "";
    const selected = selectedConversation(view);
    const countdown = selected ? clocks.get(selected.id)?.countdown : null;
    part("conversation-countdown").textContent = countdown ?? "";
    part("countdown").hidden = !countdown;
  }

  function usable(element) {
    return element && element !== document.body && !element.disabled && element.offsetParent !== null;
  }

  /**
   * The keyboard goes where conversationFocusAfter says for the selected conversation (never a
   * control that ends something), or to the list.
   */
  function focusNext() {
    const next = conversationFocusAfter(selectedConversation(view));
    const target = next?.panel ? detail : next?.action === "send" ? text : next?.action ? control(next.action) : null;
    if (usable(target)) target.focus();
    else if (usable(list.querySelector("[aria-current]"))) list.querySelector("[aria-current]").focus();
    else if (usable(list.querySelector("button"))) list.querySelector("button").focus();
  }

  function choose(id) {
    const next = select(view, id);
    if (next === view) return;
    update(next);
    render();
  }

  /** The view becomes `next`; if that replaced the controls shown, the guard starts again. */
  function update(next) {
    if (conversationControlsChanged(view, next)) actionDone();
    view = next;
  }

  // --- Presses that come too soon ----------------------------------------------------------

  // A key press on Close chat or End chat wrap-up within GUARD_MS of the previous action in the
  // panel (the last command it sent, or the last change that replaced the controls shown) is
  // not taken (conversationGuarded); the note under the control says why and what to do.
  const { actionDone, tooSoon } = pressGuard({
    isGuarded: conversationGuarded,
    noteFor: (action) => guardNotes.get(action),
    allNotes: () => guardNotes.values(),
    noteText: (action, label) => conversationGuardNote(action, label, t),
  });

  // --- Commands -----------------------------------------------------------------------------

  /** Whether the last thing the agent did was a command here: the focus follows its outcome. */
  let lastAction = false;

  /** Sends an action's command for the selected conversation; a refusal is shown with its code. */
  async function act(action, choices = {}) {
    const conversation = selectedConversation(view);
    const command = conversationCommand(conversation, action, choices);
    if (!command) return false;
    actionDone();
    try {
      await client.request(...command);
      notice.hidden = true;
      return true;
    } catch (error) {
      if (!(error instanceof AcdError)) throw error;
      notice.textContent = `${conversationRefusal(error.code, t) ?? explain(error)} (${error.code})`;
      notice.hidden = false;
      return false;
    } finally {
      lastAction = true;
      render();
    }
  }

  async function send() {
    const conversation = selectedConversation(view);
    const message = text.value;
    if (!conversationCommand(conversation, "send", { text: message })) return;
    // Cleared at once, so the next message can be typed; put back if the server refuses it.
    text.value = "";
    drafts.delete(conversation.id);
    const sent = await act("send", { text: message });
    if (!sent && drawn.id === conversation.id && text.value === "") text.value = message;
  }

  for (const action of ["accept", "reject", "close", "end_wrap_up"]) {
    control(action).addEventListener("click", (event) => {
      if (tooSoon(action, event)) return;
      void act(action);
    });
  }
  control("transfer").addEventListener("click", () => void act("transfer", { target: part("conversation-transfer-targets").value }));
  part("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    void send();
  });
  text.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line (the textarea's own); an input method composing
    // a character keeps its Enter.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    void send();
  });

  everySecond(tick);

  return {
    /** A new session's snapshot begins. */
    reset() {
      update(reset(view));
      render();
    },
    /** Signed in (again): who the agent is, the tenant's queue names. */
    signedIn(session) {
      update(signedIn(view, session));
      queueNames = namesById(session.queues);
      render();
    },
    /** One server event: the panel takes the conversations' own, and reads out what is new. */
    event(event) {
      const words = conversationAnnouncement(view, event, t);
      const next = reduce(view, event);
      if (words) announce(announcer, words);
      if (next === view) return;
      update(next);
      render();
    },
    /**
     * Where a conversation may be transferred: `targetsFor(channel)` gives the targets of a
     * conversation of that channel, as agent-state.js's conversationTargets does.
     */
    setTargets(targets) {
      targetsFor = targets;
      const conversation = selectedConversation(view);
      if (conversation) renderTargets(conversation);
    },
    /** Whether the agent holds any conversation now. */
    holds() {
      return view.conversations.size > 0;
    },
    /** While a call rings here the panel stands back: the call's offer is the thing to see. */
    setCallRinging(ringing) {
      root.dataset.behindCall = ringing ? "true" : "false";
    },
  };
}
