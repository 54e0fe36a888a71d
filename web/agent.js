// agent.js: the WebAgent. An agent signs in, logs in to the ACD, goes ready or not ready with a
// reason, takes the calls offered (with sound, an ARIA announcement and a countdown), holds,
// transfers and hangs up, and wraps up. Everything shown comes from the server's events, through
// the view of agent-state.js (which also says which actions the agent's state allows); a button
// only sends a command, and the events it causes change the page. The keyboard is kept off the
// controls that end something: a call or a wrap-up takes the focus on its panel, and a key press
// on Hang up, End wrap-up, Log out or Sign out that comes just as the page changed is not taken
// (agent-state.js's focusAfter and guarded). A held call says so: the badge reads On hold, a hold
// timer runs and the talk timer stands still (agent-state.js's callTimes, from the server's
// held_since and held_secs, so a reload mid-call goes on counting). What the agent did
// not do itself (a supervisor's change, the ACD's, a reconnect) is said in words under the state
// (stateWhy, rejoinNote). The agent's conversations (chat, SMS) are conversations.js's panel,
// beside the calls, fed the same events. The page speaks English or German (i18n.js; every text
// is in agent-messages.js), with a switch in its bar.
//
// Importing this module does nothing; agent-main.js calls `start()` when the page loads.

import { AcdError, Client, State, agentPages } from "./acdhub.js";
import {
  agentActions,
  agentState,
  announcement,
  callFacts,
  clocks,
  command,
  connectedCall,
  consultText,
  conversationTargets,
  controlsChanged,
  dayChanged,
  dayView,
  dispositionChoices,
  dispositionCommand,
  emptyView,
  focusAfter,
  guardNote,
  guarded,
  offerRings,
  pageTitle,
  pendingText,
  phoneNotice,
  queueRows,
  reduceAt,
  rejoinNote,
  reset,
  ringingCall,
  signedIn,
  stateLine,
  stateWhy,
  takesConversations,
  transferTargets,
  withDirectory,
  withQueueList,
  RING_TONES,
  ringGain,
  soundSettings,
  withRejoin,
  wrapUpBlocked,
} from "./agent-state.js";
import { AGENT_MESSAGES } from "./agent-messages.js";
import { conversationPanel } from "./conversations.js";
import { languageSwitch, localize, pageTranslator } from "./i18n.js";
import {
  announce,
  byRole,
  everySecond,
  fill,
  formatDuration,
  h,
  pressGuard,
  secondsSince,
  showConnection,
  signInForm,
  webStorage,
} from "./ui.js";

/** The most agents the transfer list fetches: a list longer than this is no use to pick from. */
const DIRECTORY_MAX = 2000;

/** How long "Reconnected: nothing was missed" stays (ms): a new session's words stay until the state changes. */
const RESUMED_NOTE_MS = 15000;

// --- The ring -------------------------------------------------------------------------------

/**
 * A ring tone from the Web Audio API (no sound file to fetch): two short bursts of 440 + 480 Hz
 * every three seconds while an offer rings. Browsers let a page play sound only after the user
 * touched it, so the audio context is made at the first click or key press.
 */
class Ringer {
  #context = null;
  #timer = null;
  /** The agent's choice of loudness (0-100) and tone (`RING_TONES`). */
  settings = soundSettings(null);

  constructor(toggle) {
    this.toggle = toggle;
    const unlock = () => {
      try {
        this.#context ??= new AudioContext();
        void this.#context.resume();
      } catch {
        // No audio on this machine: the visual alert and the announcement remain.
      }
    };
    document.addEventListener("pointerdown", unlock, { capture: true });
    document.addEventListener("keydown", unlock, { capture: true });
  }

  start() {
    if (this.#timer) return;
    const ring = () => {
      if (this.toggle.checked) this.#burst();
    };
    ring();
    this.#timer = setInterval(ring, 3000);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One ring now, whether an offer rings or not (the settings' Test button). */
  test() {
    this.#burst();
  }

  #burst() {
    const context = this.#context;
    if (!context || context.state !== "running") return;
    const { frequencies, bursts } = RING_TONES[this.settings.tone];
    const peak = ringGain(this.settings.volume);
    const gain = context.createGain();
    gain.connect(context.destination);
    const t = context.currentTime;
    gain.gain.setValueAtTime(0, t);
    for (const start of bursts) {
      gain.gain.setTargetAtTime(peak, t + start, 0.01);
      gain.gain.setTargetAtTime(0, t + start + 0.4, 0.01);
    }
    for (const frequency of frequencies) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(t);
      oscillator.stop(t + 1.1);
    }
  }
}

/** Starts the WebAgent on the page that loaded it. */
export function start() {
  const t = pageTranslator(AGENT_MESSAGES);
  localize(document, t);
  languageSwitch(byRole("language"), t);
  const button = (action) => document.querySelector(`[data-action="${action}"]`);

  // The token lives as long as the tab (sessionStorage), the password only in memory: a reload
  // signs in with the token, a server restart (which forgets tokens) with the password.
  const client = new Client({ tokenStore: webStorage("session"), tokenKey: "acdhub.agent.token" });

  /** What the page knows (agent-state.js), rebuilt from each session's snapshot. */
  let view = emptyView();

  // The disposition of the current call: the queue it was answered in and the last code and notes
  // the server acknowledged, kept for the tab's life (a reload in wrap-up no longer learns the
  // call's queue from the server, nor what was saved).
  const dispositionStore = webStorage("session");
  const dispositionKey = "acdhub.agent.disposition";
  let saved = readSaved();
  function readSaved() {
    try {
      return JSON.parse(dispositionStore?.getItem(dispositionKey) ?? "null");
    } catch {
      return null;
    }
  }
  /** The queue of the agent's call as this tab kept it, if it kept one for that call. */
  function rememberedQueue() {
    return saved && view.agent && saved.call === view.agent.call ? saved.queue : null;
  }
  function keepSaved(next) {
    saved = next;
    dispositionStore?.setItem(dispositionKey, JSON.stringify(next));
  }

  // What a reconnect's words need (rejoinNote): whether this page had a session, how the last
  // connection closed, and the agent's state before a new session's snapshot replaced it.
  let hadSession = false;
  let lastCloseCode = null;
  let earlierAgent = null;
  let rejoinTimer = null;

  /** The conversation panel beside the calls (conversations.js), fed the same events. */
  const conversations = conversationPanel({
    client,
    root: byRole("conversations"),
    announcer: byRole("chat-announcer"),
    notice: byRole("notice"),
    explain: (error) => explain(error, t),
    t,
  });

  const ringer = new Ringer(byRole("sound"));
  const preferences = webStorage("local");
  byRole("sound").checked = preferences?.getItem("acdhub.agent.sound") !== "off";
  byRole("sound").addEventListener("change", (event) => {
    preferences?.setItem("acdhub.agent.sound", event.target.checked ? "on" : "off");
  });
  // The ring's loudness and tone, kept in this browser.
  ringer.settings = soundSettings({
    volume: preferences?.getItem("acdhub.agent.volume"),
    tone: preferences?.getItem("acdhub.agent.tone"),
  });
  byRole("volume").value = String(ringer.settings.volume);
  byRole("tone").value = ringer.settings.tone;
  const keepSound = () => {
    ringer.settings = soundSettings({ volume: byRole("volume").value, tone: byRole("tone").value });
    preferences?.setItem("acdhub.agent.volume", String(ringer.settings.volume));
    preferences?.setItem("acdhub.agent.tone", ringer.settings.tone);
  };
  byRole("volume").addEventListener("change", keepSound);
  byRole("tone").addEventListener("change", keepSound);
  byRole("sound-test").addEventListener("click", () => {
    keepSound();
    ringer.test();
  });

  // --- Events from the server ---------------------------------------------------------------

  client.addEventListener("reset", () => {
    earlierAgent = view.agent ?? earlierAgent;
    view = reset(view);
    conversations.reset();
  });

  client.addEventListener("session", (e) => {
    const session = e.detail;
    if (session.role !== "agent") {
      client.stop({ forget: true, code: "not_an_agent", message: "" });
      signIn.show(t("page.notAgent", { user: session.user, role: session.role }));
      return;
    }
    view = signedIn(view, session);
    const note = rejoinNote({ hadSession, resumed: session.resumed, closeCode: lastCloseCode, earlier: earlierAgent, now: view.agent }, t);
    view = withRejoin(view, note);
    hadSession = true;
    lastCloseCode = null;
    earlierAgent = null;
    clearTimeout(rejoinTimer);
    if (session.resumed && note) {
      rejoinTimer = setTimeout(() => {
        if (view.rejoin !== note) return;
        view = withRejoin(view, null);
        render();
      }, RESUMED_NOTE_MS);
    }
    conversations.signedIn(session);
    byRole("who").textContent = `${view.names.agents.get(view.me) ?? view.me} (${session.user})`;
    fillChoices();
    loadDirectory();
    loadDay();
    byRole("app").hidden = false;
    byRole("sign-out").hidden = false;
    render();
  });

  client.addEventListener("event", (e) => {
    const event = e.detail;
    const held = conversations.holds();
    conversations.event(event);
    const words = announcement(view, event, t);
    const next = reduceAt(view, event);
    if (words) announce(byRole("announcer"), words);
    if (next === view && held === conversations.holds()) return;
    if (controlsChanged(view, next)) actionDone();
    const dayMoved = event.type === "agent_state" && dayChanged(view.agent, next.agent);
    const connected = event.type === "agent_state" && event.state === "on_call" && view.agent?.state !== "on_call";
    view = next;
    render();
    if (dayMoved) loadDay();
    if (connected) {
      // A new call starts with no target chosen, whatever was chosen for the last one.
      byRole("transfer-targets").value = "";
      targetChosen();
      void loadTargets();
    }
  });
  client.addEventListener("state", (e) => {
    // How the lost connection closed: 1012 says the server was stopping (rejoinNote).
    if (e.detail.state === State.RECONNECTING && e.detail.closeCode !== undefined) lastCloseCode = e.detail.closeCode;
    render();
  });

  // --- My day --------------------------------------------------------------------------------

  /** The last `my_day` result; null until the first comes. */
  let day = null;
  let dayAsked = 0;
  const clock = (instant) => {
    const at = Date.parse(instant);
    return Number.isFinite(at) ? t.time(at, { seconds: false }) : "";
  };

  /**
   * Asks the server for the agent's day (at sign-in, on each change of state, and each minute):
   * the last answer asked for wins; a failed one leaves the panel as it was.
   */
  async function loadDay() {
    const ticket = ++dayAsked;
    try {
      const result = await client.request("my_day");
      if (ticket !== dayAsked) return;
      day = result;
      renderDay();
    } catch {
      // Offline or refused: the next change or minute asks again.
    }
  }
  setInterval(() => {
    if (client.state === State.LIVE && view.agent) void loadDay();
  }, 60000);

  function renderDay() {
    const shown = dayView(view, day, clock, t);
    byRole("my-day").hidden = !shown;
    if (!shown) return;
    for (const figure of ["handled", "aht", "occupancy"]) {
      document.querySelector(`[data-day="${figure}"]`).textContent = shown[figure];
    }
    fill(
      byRole("day-states"),
      shown.states.map((row) =>
        h("tr", { dataset: { state: row.state } }, h("th", { scope: "row" }, row.label), h("td", { class: "number" }, row.time)),
      ),
    );
    const calls = shown.recent.map((call) =>
      h(
        "tr",
        { dataset: { call: call.call } },
        h("td", {}, call.at),
        h("td", {}, call.caller),
        h("td", {}, call.queue),
        h("td", { class: "number" }, call.duration),
        h("td", {}, call.disposition),
      ),
    );
    fill(byRole("recent-calls"), calls.length ? calls : h("tr", {}, h("td", { colspan: 5, class: "hint" }, t("day.noCalls"))));
  }

  /**
   * The transfer targets: the tenant's agents, page by page (`list_agents`), at most
   * DIRECTORY_MAX of them. Fetched at every sign-in; if it fails, the list shown stays as it was
   * and the next sign-in fetches it again.
   */
  async function loadDirectory() {
    const agents = [];
    try {
      for await (const page of agentPages(client)) {
        agents.push(...page);
        if (agents.length >= DIRECTORY_MAX) break;
      }
    } catch {
      return;
    }
    view = withDirectory(view, agents);
    fillChoices();
  }

  // --- Drawing ------------------------------------------------------------------------------

  function fillChoices() {
    const reasons = byRole("reasons");
    const chosen = reasons.value;
    fill(reasons, [...view.names.reasons].map(([id, name]) => h("option", { value: id }, name)));
    if (chosen) reasons.value = chosen;
    const targets = transferTargets(view, undefined, t);
    // A conversation's targets depend on its channel: the panel asks for the one it shows.
    conversations.setTargets((channel) => conversationTargets(view, channel, t));
    // Nothing is chosen until the agent chooses: not the call's own queue, not the first agent.
    const select = byRole("transfer-targets");
    const target = select.value;
    const option = ({ value, name, detail, available = true }) =>
      h("option", { value, disabled: !available }, detail ? `${name} — ${detail}` : name);
    fill(
      select,
      h("option", { value: "" }, t("transfer.choose")),
      h("optgroup", { label: t("transfer.queues") }, targets.queues.map(option)),
      h("optgroup", { label: t("transfer.agents") }, targets.agents.map(option)),
    );
    const still = [...targets.queues, ...targets.agents].find((t) => t.value === target && t.available !== false);
    select.value = still ? target : "";
    targetChosen();
  }

  /** Transfer needs a target chosen; a consultation, an agent. */
  function targetChosen() {
    const target = byRole("transfer-targets").value;
    button("transfer").disabled = !target;
    button("consult").disabled = !target.startsWith("agent:");
    button("consult").title = target.startsWith("agent:") ? "" : t("consult.pickAgent");
  }

  /**
   * How busy each transfer target is now: the queues' waiting calls and ready agents
   * (`list_queues`) and the agents' states (`list_agents`), asked for when a call connects,
   * when the agent opens the list, and every 10 seconds while on a call.
   */
  let targetsAsked = 0;
  async function loadTargets() {
    const ticket = ++targetsAsked;
    try {
      const list = await client.request("list_queues");
      if (ticket !== targetsAsked) return;
      view = withQueueList(view, list);
      fillChoices();
    } catch {
      return;
    }
    await loadDirectory();
  }
  byRole("transfer-targets").addEventListener("focus", () => void loadTargets());
  byRole("transfer-targets").addEventListener("change", targetChosen);
  setInterval(() => {
    if (client.state === State.LIVE && agentState(view) === "on_call") void loadTargets();
  }, 10000);

  function render() {
    const live = client.state === State.LIVE;
    // Only for an agent of a conversation queue, or one still holding a conversation.
    byRole("conversations").hidden = !(takesConversations(view) || conversations.holds());
    byRole("stale").hidden = live || !view.agent;
    const focusWasInApp = document.activeElement === document.body || byRole("app").contains(document.activeElement);

    const line = stateLine(view, t);
    const badge = byRole("state");
    badge.textContent = line.label;
    badge.dataset.state = line.state;
    byRole("reason").textContent = line.reason;
    byRole("state-since").hidden = !line.timed;
    // Why, in words, when the agent did not do it: a polite live region whose words change only
    // when they do. The short "(set by ...)" stays in the page but not on show when they say it.
    const why = stateWhy(view, t);
    const whyLine = byRole("state-why");
    if (whyLine.textContent !== (why?.text ?? "")) whyLine.textContent = why?.text ?? "";
    byRole("by").textContent = line.by;
    byRole("by").hidden = Boolean(why?.byNamed);

    // The phone's notice: its live region stays in the page and only its words change, so a
    // screen reader says them when they come; with none, it is empty and takes no room.
    const phone = phoneNotice(view, t);
    const phoneLine = byRole("phone-notice");
    if (phoneLine.textContent !== (phone?.text ?? "")) phoneLine.textContent = phone?.text ?? "";
    phoneLine.dataset.device = phone?.device ?? "";

    const pending = pendingText(view, t);
    byRole("pending").hidden = pending === null;
    if (pending !== null) byRole("pending-text").textContent = pending;

    const actions = agentActions(view, t);
    button("login").hidden = !actions.login.shown;
    byRole("first-step").hidden = !actions.login.shown;
    for (const action of ["ready", "not_ready", "logout"]) button(action).hidden = !actions[action].shown;
    byRole("reasons").hidden = !actions.not_ready.shown;
    button("ready").disabled = !actions.ready.enabled;
    button("not_ready").textContent = actions.not_ready.label;
    button("logout").textContent = actions.logout.label;
    byRole("sign-out").disabled = !actions.sign_out.enabled;
    byRole("sign-out").title = actions.sign_out.title;

    const ringing = ringingCall(view);
    const offerPanel = byRole("offer");
    const offerWasHidden = offerPanel.hidden;
    offerPanel.hidden = !ringing;
    conversations.setCallRinging(Boolean(ringing));
    const consult = consultText(view, t);
    byRole("offer-heading").textContent = consult?.heading ?? t("offer.heading");
    byRole("offer-consult").hidden = !consult?.heading;
    byRole("offer-consult").textContent = consult?.heading ? consult.line : "";
    if (ringing) {
      const facts = callFacts(view, ringing, t);
      byRole("offer-caller").textContent = facts.caller;
      byRole("offer-queue").textContent = facts.queue;
      byRole("offer-dialled").textContent = facts.dialled;
      fillData(byRole("offer-data"), facts.data);
    }
    document.title = pageTitle(view, t);
    ring(live);

    const onCall = connectedCall(view);
    byRole("call").hidden = !onCall;
    if (onCall) {
      const facts = callFacts(view, onCall, t);
      byRole("call-caller").textContent = facts.caller;
      byRole("call-queue").textContent = facts.queue;
      byRole("call-dialled").textContent = facts.dialled;
      fillData(byRole("call-data"), facts.data);
      const held = Boolean(view.agent?.on_hold);
      byRole("held").hidden = !held;
      byRole("hold-line").hidden = !held;
      button("hold").hidden = !actions.hold.shown;
      button("resume").hidden = !actions.resume.shown;
      const line = consult && !consult.heading ? consult.line : "";
      if (byRole("consult-line").textContent !== line) byRole("consult-line").textContent = line;
      byRole("transfer-targets").hidden = !actions.transfer.shown;
      button("transfer").hidden = !actions.transfer.shown;
      for (const step of ["consult", "complete_transfer", "conference", "cancel_consult"]) {
        button(step).hidden = !actions[step].shown;
      }
      for (const step of ["complete_transfer", "conference"]) button(step).disabled = !actions[step].enabled;
      button("hangup").textContent = actions.hangup.label;
    }
    byRole("wrap-up").hidden = !actions.end_wrap_up.shown;
    renderDisposition(actions);

    renderQueues();
    tick();

    // Keep the keyboard where the work is: an offer takes the focus (Enter accepts), and when
    // the focused control disappears the focus moves to what replaced it, never onto a control
    // that ends something (focusAfter: the call's or the wrap-up's panel itself).
    // Not while a key is on its way down: a Space meant for "Not ready" must not land on Accept.
    const typing = performance.now() - lastKeyDown < 500;
    if (ringing && offerWasHidden && focusWasInApp && !typing) {
      button("accept").focus();
    } else if (focusWasInApp && !isUsable(document.activeElement)) {
      const next = focusAfter(view);
      const target = next?.panel ? byRole(next.panel) : next?.action ? button(next.action) : null;
      if (target && isUsable(target)) target.focus();
    }
  }

  let lastKeyDown = -Infinity;
  document.addEventListener(
    "keydown",
    () => {
      lastKeyDown = performance.now();
    },
    { capture: true },
  );

  /** The disposition form of the call's wrap-up, and End wrap-up held back while it must wait. */
  function renderDisposition(actions) {
    if (view.handled && saved?.call !== view.handled.call) {
      keepSaved({ call: view.handled.call, queue: view.handled.queue, disposition: "", notes: "" });
    }
    const choices = dispositionChoices(view, rememberedQueue());
    const form = byRole("disposition");
    form.hidden = !choices || !actions.end_wrap_up.shown;
    const { blocked, why } = wrapUpBlocked(choices, saved, t);
    button("end_wrap_up").disabled = blocked;
    button("end_wrap_up").title = why;
    if (!choices) return;
    byRole("disposition-required").hidden = !choices.required;
    const select = byRole("disposition-code");
    if (select.dataset.call !== choices.call) {
      // A new call: its queue's codes, with what was saved for it.
      select.dataset.call = choices.call;
      const none = choices.required ? t("disposition.choose") : t("disposition.none");
      fill(select, [h("option", { value: "" }, none), ...choices.codes.map((code) => h("option", { value: code.id }, code.name))]);
      select.value = saved?.call === choices.call ? saved.disposition : "";
      byRole("disposition-notes").value = saved?.call === choices.call ? saved.notes : "";
      byRole("disposition-status").textContent = "";
    }
  }

  /** Sends the form's code and notes; the status line says what the server kept. */
  async function saveDisposition() {
    const choices = dispositionChoices(view, rememberedQueue());
    if (!choices) return;
    const code = byRole("disposition-code").value;
    const notes = byRole("disposition-notes").value;
    const status = byRole("disposition-status");
    const [type, fields] = dispositionCommand(choices, code, notes);
    try {
      await client.request(type, fields);
      keepSaved({ call: choices.call, queue: choices.queue, disposition: code, notes });
      const name = choices.codes.find((c) => c.id === code)?.name;
      status.textContent = name ? t("disposition.saved", { name }) : t("disposition.savedNone");
    } catch (error) {
      if (!(error instanceof AcdError)) throw error;
      status.textContent = t("disposition.notSaved", { why: explain(error, t), code: error.code });
    }
    render();
  }
  byRole("disposition-code").addEventListener("change", () => void saveDisposition());
  byRole("disposition-save").addEventListener("click", () => void saveDisposition());

  function isUsable(element) {
    return element && element !== document.body && !element.disabled && element.offsetParent !== null;
  }

  function fillData(list, entries) {
    fill(list, entries.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, value)]));
  }

  function renderQueues() {
    const rows = queueRows(view, t).map((queue) =>
      h(
        "tr",
        { dataset: { queue: queue.id, channel: queue.channel } },
        // A queue's lanes share its name: each says its channel beside it.
        h("th", { scope: "row" }, queue.name, queue.lane ? [" ", h("span", { class: "lane", "data-role": "lane" }, queue.lane)] : null),
        h("td", { class: "number", dataset: { figure: "waiting" } }, queue.waiting),
        h("td", { class: "number" }, h("time", { dataset: { since: queue.oldestSince } }, "–")),
      ),
    );
    fill(byRole("queues"), rows.length ? rows : h("tr", {}, h("td", { colspan: 3, class: "hint" }, t("queues.none"))));
  }

  /**
   * The ring sounds while an offer rings here and the page knows it does: not once the
   * connection is lost (the offer may be gone), nor after its deadline.
   */
  function ring(live) {
    const due = live && !byRole("app").hidden && offerRings(view, client.serverNow());
    byRole("offer").dataset.ringing = due ? "true" : "false";
    if (due) ringer.start();
    else ringer.stop();
  }

  /** Every second: the clocks on the page. */
  function tick() {
    const now = client.serverNow();
    const shown = clocks(view, now);
    byRole("time-in-state").textContent = shown.inState;
    if (shown.offerCountdown !== null) byRole("offer-countdown").textContent = shown.offerCountdown;
    ring(client.state === State.LIVE);
    if (shown.callTime !== null) byRole("call-time").textContent = shown.callTime;
    if (shown.holdTime !== null) byRole("hold-time").textContent = shown.holdTime;
    if (shown.wrapUpCountdown !== null) byRole("wrap-up-countdown").textContent = shown.wrapUpCountdown;
    for (const time of byRole("queues").querySelectorAll("time[data-since]")) {
      time.textContent = time.dataset.since ? formatDuration(secondsSince(time.dataset.since, now)) : "–";
    }
  }

  // --- Presses that come too soon ----------------------------------------------------------

  // A key press on a control that ends something within GUARD_MS of the previous action (the
  // last command this page sent, or the last change that replaced the buttons) is not taken
  // (agent-state.js's `guarded`); the note beside the control (a polite live region) says why.
  const { actionDone, tooSoon } = pressGuard({
    isGuarded: guarded,
    noteFor: (action) => document.querySelector(`[data-guard-note="${action}"]`),
    allNotes: () => document.querySelectorAll("[data-guard-note]"),
    noteText: (action, label) => guardNote(action, label, t),
  });

  // --- Commands -----------------------------------------------------------------------------

  /** Sends a command; its button waits for the answer, and a refusal is shown with its code. */
  async function act(source, type, fields = {}) {
    const notice = byRole("notice");
    source.disabled = true;
    try {
      await client.request(type, fields);
      notice.hidden = true;
    } catch (error) {
      if (!(error instanceof AcdError)) throw error;
      notice.textContent = `${explain(error, t)} (${error.code})`;
      notice.hidden = false;
    } finally {
      source.disabled = false;
      render();
    }
  }

  /** What the page's choices say for an action's command. */
  const choices = () => ({
    reason: byRole("reasons").value,
    target: byRole("transfer-targets").value,
    extendSecs: byRole("extend-by").value,
  });

  const actionNames = Object.keys(agentActions(view)).filter((action) => action !== "sign_out");
  for (const action of actionNames) {
    button(action).addEventListener("click", (event) => {
      if (tooSoon(action, event)) return;
      actionDone();
      const [type, fields] = command(view, action, choices());
      void act(event.currentTarget, type, fields);
    });
  }

  byRole("sign-out").addEventListener("click", async (event) => {
    if (tooSoon("sign_out", event)) return;
    actionDone();
    const state = agentState(view);
    if (state === "ready" || state === "not_ready") {
      try {
        await client.request("logout");
      } catch {
        // Signing out goes on: the agent stays logged in to the ACD, as if the browser closed.
      }
    }
    client.stop({ forget: true, code: "stopped", message: "signed out" });
    byRole("app").hidden = true;
    byRole("sign-out").hidden = true;
    byRole("who").textContent = "";
    signIn.show(t("page.signedOut"));
  });

  // --- Start --------------------------------------------------------------------------------

  showConnection(client, byRole("connection"), t);
  const signIn = signInForm(
    client,
    byRole("sign-in"),
    (visible) => {
      if (visible) byRole("app").hidden = true;
    },
    undefined,
    t,
  );
  everySecond(tick);
  if (client.hasToken()) client.start();
  else signIn.show();
}

/** Why a command was refused, in the translator's words where the page has them (by the code), else the server's. */
function explain(error, t) {
  switch (error.code) {
    case "offline":
    case "connection_lost":
    case "not_offered":
    case "agent_not_available":
    case "disposition_required":
    case "notes_too_long":
      return t(`error.${error.code}`);
    default:
      return error.message;
  }
}
