// agent.js: the WebAgent. An agent signs in, logs in to the ACD, goes ready or not ready with a
// reason, takes the calls offered (with sound, an ARIA announcement and a countdown), holds,
// transfers and hangs up, and wraps up. Everything shown comes from the server's events; a
// button only sends a command, and the events it causes change the page.

import { AcdError, Client, State } from "./acdhub.js";
import {
  BUSY_STATES,
  STATE_LABELS,
  announce,
  byRole,
  everySecond,
  fill,
  formatDuration,
  h,
  namesById,
  reasonName,
  secondsSince,
  showConnection,
  signInForm,
  webStorage,
} from "./ui.js";

const button = (action) => document.querySelector(`[data-action="${action}"]`);


// The token lives as long as the tab (sessionStorage), the password only in memory: a reload
// signs in with the token, a server restart (which forgets tokens) with the password.
const client = new Client({ tokenStore: webStorage("session"), tokenKey: "acdhub.agent.token" });

/** What the page knows, rebuilt from each session's snapshot. */
const view = {
  names: { queues: new Map(), agents: new Map(), reasons: new Map() },
  queueOrder: [],
  me: null,
  /** The last agent_state of this agent. */
  agent: null,
  pending: null,
  pendingBy: null,
  /** Calls this agent was offered or is on, by id: queue, caller, dialled, data, ring_deadline. */
  calls: new Map(),
  /** queue_waiting per queue id. */
  queues: new Map(),
};

// --- The ring -------------------------------------------------------------------------------

/**
 * A ring tone from the Web Audio API (no sound file to fetch): two short bursts of 440 + 480 Hz
 * every three seconds while an offer rings. Browsers let a page play sound only after the user
 * touched it, so the audio context is made at the first click or key press.
 */
class Ringer {
  #context = null;
  #timer = null;

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

  #burst() {
    const context = this.#context;
    if (!context || context.state !== "running") return;
    const gain = context.createGain();
    gain.connect(context.destination);
    const t = context.currentTime;
    gain.gain.setValueAtTime(0, t);
    for (const start of [0, 0.6]) {
      gain.gain.setTargetAtTime(0.15, t + start, 0.01);
      gain.gain.setTargetAtTime(0, t + start + 0.4, 0.01);
    }
    for (const frequency of [440, 480]) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(t);
      oscillator.stop(t + 1.1);
    }
  }
}

const ringer = new Ringer(byRole("sound"));
const preferences = webStorage("local");
byRole("sound").checked = preferences?.getItem("acdhub.agent.sound") !== "off";
byRole("sound").addEventListener("change", (event) => {
  preferences?.setItem("acdhub.agent.sound", event.target.checked ? "on" : "off");
});

// --- Events from the server -----------------------------------------------------------------

client.addEventListener("reset", () => {
  view.agent = null;
  view.pending = null;
  view.pendingBy = null;
  view.calls.clear();
  view.queues.clear();
});

client.addEventListener("session", (e) => {
  const session = e.detail;
  if (session.role !== "agent") {
    client.stop({ forget: true, code: "not_an_agent", message: "" });
    signIn.show(`${session.user} is a ${session.role}, not an agent: use the ${session.role} page.`);
    return;
  }
  view.me = session.agent;
  view.names.queues = namesById(session.queues);
  view.names.agents = namesById(session.agents);
  view.names.reasons = namesById(session.not_ready_reasons);
  view.queueOrder = session.queues.map((q) => q.id);
  byRole("who").textContent = `${view.names.agents.get(view.me) ?? view.me} (${session.user})`;
  fillChoices(session);
  byRole("app").hidden = false;
  byRole("sign-out").hidden = false;
  render();
});

client.addEventListener("event", (e) => apply(e.detail));
client.addEventListener("state", () => render());

/** An agent's session hears only of its own agent and calls, so no event needs filtering. */
function apply(event) {
  switch (event.type) {
    case "agent_state":
      view.agent = event;
      break;
    case "pending_state":
      view.pending = event.pending;
      view.pendingBy = event.by ?? null;
      break;
    case "offer":
      view.calls.set(event.call, { ...event });
      alertOffer(event);
      break;
    case "offer_cancelled":
      view.calls.delete(event.call);
      announce(byRole("announcer"), offerEndedText(event.reason));
      break;
    case "call_connected": {
      // Live, it follows the offer, which told who calls; in a snapshot (a reload mid-call) it
      // carries the caller itself.
      const known = view.calls.get(event.call) ?? { call: event.call, caller: null, dialled: null, data: {} };
      const caller = "caller" in event ? { caller: event.caller, dialled: event.dialled, data: event.data } : {};
      view.calls.set(event.call, { ...known, ...caller, queue: event.queue });
      break;
    }
    case "call_left":
      view.calls.delete(event.call);
      break;
    case "call_transferred":
      view.calls.delete(event.call);
      break;
    case "queue_waiting":
      view.queues.set(event.queue, event);
      break;
    default:
      return;
  }
  render();
}

function offerEndedText(reason) {
  switch (reason) {
    case "caller_hung_up":
      return "The caller hung up.";
    case "ring_no_answer":
      return "The call was not answered in time and went back to the queue.";
    default:
      return "The call went back to the queue.";
  }
}

function alertOffer(offer) {
  const queue = view.names.queues.get(offer.queue) ?? offer.queue;
  announce(byRole("announcer"), `Incoming call from ${offer.caller ?? "an unknown number"} for ${queue}.`);
}

// --- Drawing --------------------------------------------------------------------------------

function fillChoices(session) {
  const reasons = byRole("reasons");
  const chosen = reasons.value;
  fill(reasons, session.not_ready_reasons.map(({ id, name }) => h("option", { value: id }, name)));
  if (chosen) reasons.value = chosen;
  const targets = byRole("transfer-targets");
  fill(
    targets,
    h("optgroup", { label: "Queues" }, session.queues.map(({ id, name }) => h("option", { value: `queue:${id}` }, name))),
    h(
      "optgroup",
      { label: "Agents" },
      session.agents.filter(({ id }) => id !== view.me).map(({ id, name }) => h("option", { value: `agent:${id}` }, name)),
    ),
  );
}

function render() {
  const live = client.state === State.LIVE;
  byRole("stale").hidden = live || !view.agent;
  const agent = view.agent;
  const state = agent?.state ?? "logged_out";
  const focusWasInApp = document.activeElement === document.body || byRole("app").contains(document.activeElement);

  const badge = byRole("state");
  badge.textContent = STATE_LABELS[state] ?? state;
  badge.dataset.state = state;
  byRole("reason").textContent = state === "not_ready" ? `· ${reasonOf(agent.reason)}` : "";
  byRole("by").textContent = agent?.by ? `(set by ${agent.by})` : "";

  const pending = view.pending;
  byRole("pending").hidden = !pending;
  if (pending) {
    const what = pending.state === "logged_out" ? "Log out" : `Not ready · ${reasonOf(pending.reason)}`;
    byRole("pending-text").textContent = view.pendingBy ? `${what} (set by ${view.pendingBy})` : what;
  }

  const busy = BUSY_STATES.has(state);
  const loggedIn = state !== "logged_out";
  button("login").hidden = loggedIn;
  for (const action of ["ready", "not_ready", "logout"]) button(action).hidden = !loggedIn;
  byRole("reasons").hidden = !loggedIn;
  button("ready").disabled = state === "ready" || busy;
  button("not_ready").textContent = busy ? "Not ready after this call" : "Not ready";
  button("logout").textContent = busy ? "Log out after this call" : "Log out";
  byRole("sign-out").disabled = busy;
  byRole("sign-out").title = busy ? "Finish the call and the wrap-up first" : "";

  const ringing = state === "ringing" ? view.calls.get(agent.call) : null;
  const offerPanel = byRole("offer");
  const offerWasHidden = offerPanel.hidden;
  offerPanel.hidden = !ringing;
  if (ringing) {
    byRole("offer-caller").textContent = ringing.caller ?? "Unknown number";
    byRole("offer-queue").textContent = view.names.queues.get(ringing.queue) ?? ringing.queue;
    byRole("offer-dialled").textContent = ringing.dialled ?? "–";
    fillData(byRole("offer-data"), ringing.data);
    document.title = "Incoming call · WebAgent";
  } else {
    document.title = `${STATE_LABELS[state]} · WebAgent`;
  }
  ring(ringing, live);

  const onCall = state === "on_call" ? (view.calls.get(agent.call) ?? { call: agent.call }) : null;
  byRole("call").hidden = !onCall;
  if (onCall) {
    byRole("call-caller").textContent = onCall.caller ?? "Unknown number";
    byRole("call-queue").textContent = view.names.queues.get(onCall.queue) ?? onCall.queue ?? "–";
    byRole("call-dialled").textContent = onCall.dialled ?? "–";
    fillData(byRole("call-data"), onCall.data);
    byRole("held").hidden = !agent.on_hold;
    button("hold").hidden = agent.on_hold;
    button("resume").hidden = !agent.on_hold;
  }
  byRole("wrap-up").hidden = state !== "wrap_up";

  renderQueues();
  tick();

  // Keep the keyboard where the work is: an offer takes the focus (Enter accepts), and when the
  // focused button disappears the focus moves to the main action of what replaced it. Not while
  // a key is on its way down: a Space meant for "Not ready" must not land on Accept.
  const typing = performance.now() - lastKeyDown < 500;
  if (ringing && offerWasHidden && focusWasInApp && !typing) {
    button("accept").focus();
  } else if (focusWasInApp && !isUsable(document.activeElement)) {
    const next = { on_call: "hangup", wrap_up: "end_wrap_up", ready: "not_ready", not_ready: "ready", logged_out: "login" }[state];
    if (next && isUsable(button(next))) button(next).focus();
  }
}

let lastKeyDown = -Infinity;
document.addEventListener("keydown", () => {
  lastKeyDown = performance.now();
}, { capture: true });

function isUsable(element) {
  return element && element !== document.body && !element.disabled && element.offsetParent !== null;
}

function fillData(list, data = {}) {
  fill(list, Object.entries(data ?? {}).flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, value)]));
}

function renderQueues() {
  const rows = view.queueOrder
    .filter((id) => view.queues.has(id))
    .map((id) => {
      const queue = view.queues.get(id);
      return h(
        "tr",
        { dataset: { queue: id } },
        h("th", { scope: "row" }, view.names.queues.get(id) ?? id),
        h("td", { class: "number", dataset: { figure: "waiting" } }, String(queue.waiting)),
        h("td", { class: "number" }, h("time", { dataset: { since: queue.oldest_waiting_since ?? "" } }, "–")),
      );
    });
  fill(byRole("queues"), rows.length ? rows : h("tr", {}, h("td", { colspan: 3, class: "hint" }, "No queues yet.")));
}

/**
 * The ring sounds while an offer rings here and the page knows it does: not once the connection
 * is lost (the offer may be gone), nor after its deadline.
 */
function ring(offer, live) {
  const due = offer && live && !byRole("app").hidden && Date.parse(offer.ring_deadline) > client.serverNow();
  byRole("offer").dataset.ringing = due ? "true" : "false";
  if (due) ringer.start();
  else ringer.stop();
}

/** Every second: the clocks on the page. */
function tick() {
  const now = client.serverNow();
  const agent = view.agent;
  byRole("time-in-state").textContent = agent ? formatDuration(secondsSince(agent.since, now)) : "0:00";
  const ringing = agent?.state === "ringing" ? view.calls.get(agent.call) : null;
  if (ringing?.ring_deadline) {
    byRole("offer-countdown").textContent = formatDuration(-secondsSince(ringing.ring_deadline, now));
  }
  ring(ringing, client.state === State.LIVE);
  if (agent?.state === "on_call") byRole("call-time").textContent = formatDuration(secondsSince(agent.since, now));
  if (agent?.state === "wrap_up" && agent.wrap_up_deadline) {
    byRole("wrap-up-countdown").textContent = formatDuration(-secondsSince(agent.wrap_up_deadline, now));
  }
  for (const time of byRole("queues").querySelectorAll("time[data-since]")) {
    time.textContent = time.dataset.since ? formatDuration(secondsSince(time.dataset.since, now)) : "–";
  }
}

function reasonOf(reason) {
  return reasonName(view.names.reasons, reason);
}

// --- Commands -------------------------------------------------------------------------------

/** Sends a command; its button waits for the answer, and a refusal is shown with its code. */
async function act(source, type, fields = {}) {
  const notice = byRole("notice");
  source.disabled = true;
  try {
    await client.request(type, fields);
    notice.hidden = true;
  } catch (error) {
    if (!(error instanceof AcdError)) throw error;
    notice.textContent = `${explain(error)} (${error.code})`;
    notice.hidden = false;
  } finally {
    source.disabled = false;
    render();
  }
}

function explain(error) {
  switch (error.code) {
    case "offline":
      return "Not connected to the server: try again when the connection is back.";
    case "connection_lost":
      return "The connection dropped before the server answered: check your state once it is back.";
    case "not_offered":
      return "That call is no longer ringing here.";
    case "agent_not_available":
      return "That agent cannot take a call now.";
    default:
      return error.message;
  }
}

const currentCall = () => view.agent?.call;

const handlers = {
  login: () => ["login"],
  ready: () => ["ready"],
  not_ready: () => ["not_ready", { reason: byRole("reasons").value }],
  logout: () => ["logout"],
  clear_pending: () => ["clear_pending"],
  accept: () => ["accept", { call: currentCall() }],
  reject: () => ["reject", { call: currentCall() }],
  hold: () => ["hold", { call: currentCall() }],
  resume: () => ["resume", { call: currentCall() }],
  transfer: () => {
    const [kind, id] = byRole("transfer-targets").value.split(":");
    return ["transfer", { call: currentCall(), [kind]: id }];
  },
  hangup: () => ["hangup", { call: currentCall() }],
  end_wrap_up: () => ["end_wrap_up"],
  extend_wrap_up: () => ["extend_wrap_up", { secs: Number(byRole("extend-by").value) }],
};

for (const [action, command] of Object.entries(handlers)) {
  button(action).addEventListener("click", (event) => {
    const [type, fields] = command();
    void act(event.currentTarget, type, fields);
  });
}

byRole("sign-out").addEventListener("click", async () => {
  const state = view.agent?.state;
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
  signIn.show("You are signed out.");
});

// --- Start ----------------------------------------------------------------------------------

showConnection(client, byRole("connection"));
const signIn = signInForm(client, byRole("sign-in"), (visible) => {
  if (visible) byRole("app").hidden = true;
});
everySecond(tick);
if (client.hasToken()) client.start();
else signIn.show();
