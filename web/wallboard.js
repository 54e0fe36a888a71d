// wallboard.js: the wallboard, for a TV on the wall. A tile per queue (and one for the tenant's
// totals) with the calls waiting, the longest wait ticking live, today's service level against
// its target, answered and abandoned calls, and the agents by state. Nothing needs a keyboard or
// a mouse once it is signed in, and it comes back by itself after a network drop or a server
// restart.
//
// The address says what to show:
//   /wallboard                              every queue of the tenant, in the tenant's order
//   /wallboard?queues=support,sales         those queues, in that order
//   /wallboard?queues=support&total=off     without the "All queues" tile
//   /wallboard?queues=support#user=wallboard&password=secret
//                                           signs in without a keyboard (see below)
//
// Signing in. A TV has no keyboard, so the credentials can come in the address's fragment: the
// part after `#` never reaches the server (nor its logs, nor a proxy's). The page takes them,
// keeps them in localStorage and removes the fragment from the address bar. Otherwise it shows
// a sign-in form whose "Keep this screen signed in" box keeps them the same way. Kept
// credentials are used at every load and after a server restart (which forgets every token:
// the client then signs in with the password by itself).
//
// Only a principal of role `wallboard` has its password kept: that role can do nothing but
// read statistics, so a password left on a screen on the wall gives nothing more away than
// the screen itself shows. A supervisor may sign in here too (it may subscribe), but its
// password stays in memory only; any other role is refused by the server (`forbidden`) and the
// page says so.

import { Client, State } from "./acdhub.js";
import {
  byRole,
  everySecond,
  fill,
  formatDuration,
  formatPercent,
  h,
  namesById,
  secondsSince,
  showConnection,
  signInForm,
  webStorage,
} from "./ui.js";

const CREDENTIALS_KEY = "acdhub.wallboard.credentials";
const TOKEN_KEY = "acdhub.wallboard.token";

/** Service level this many points below target or more is red; less below is amber. */
const AMBER_BAND_POINTS = 5;


// --- Storage ----------------------------------------------------------------------------------

/** localStorage, or null where it is disabled (then everything lives in memory). */
const storage = webStorage("local");

function loadCredentials() {
  try {
    const value = JSON.parse(storage?.getItem(CREDENTIALS_KEY) ?? "null");
    if (value && typeof value.user === "string" && typeof value.password === "string") {
      return { user: value.user, password: value.password };
    }
  } catch {
    // Unreadable: as if there were none.
  }
  return null;
}

function saveCredentials({ user, password }) {
  try {
    storage?.setItem(CREDENTIALS_KEY, JSON.stringify({ user, password }));
  } catch {
    // Storage full or refused: they stay in memory for this load.
  }
}

function forgetCredentials() {
  try {
    storage?.removeItem(CREDENTIALS_KEY);
  } catch {
    // Nothing kept.
  }
}

function forgetToken() {
  try {
    storage?.removeItem(TOKEN_KEY);
  } catch {
    // Nothing kept.
  }
}

// --- The address ------------------------------------------------------------------------------

/** What the address asks for: `queues` (ids in order, or null for all) and `total`. */
export function readAddress(search) {
  const params = new URLSearchParams(search);
  const ids = (params.get("queues") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  const total = !["off", "no", "false", "0"].includes((params.get("total") ?? "").trim().toLowerCase());
  return { queues: ids.length ? [...new Set(ids)] : null, total };
}

/** Credentials in the fragment (`#user=...&password=...`), removed from the address bar. */
function takeFragmentCredentials() {
  if (location.hash.length < 2) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("user") && !params.has("password")) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  const user = (params.get("user") ?? "").trim();
  const password = params.get("password") ?? "";
  return user && password ? { user, password } : null;
}

// --- Colours ----------------------------------------------------------------------------------

/**
 * Where a service level stands: `none` (nothing to measure yet), `neutral` (no target to
 * measure against), `good` (at or above target), `warn` (below by less than 5 points), `bad`.
 */
export function serviceLevelStanding(percent, target) {
  if (percent === null || percent === undefined) return "none";
  if (target === null || target === undefined) return "neutral";
  if (percent >= target) return "good";
  if (target - percent < AMBER_BAND_POINTS) return "warn";
  return "bad";
}

/** The words beside the colour: never colour alone. */
const STANDING_WORDS = {
  none: "No calls yet",
  neutral: "All queues combined",
  good: "✓ On target",
  warn: "! Just below target",
  bad: "✗ Below target",
};

const number = (value) => (value === null || value === undefined ? "–" : String(value));
const percentNumber = (value) => String(Number(value.toFixed(1)));

// --- Tiles ------------------------------------------------------------------------------------

/** One figure: a big value over its label. */
function figure(name, label) {
  const value = h("dd", { class: "value", dataset: { figure: name } }, "–");
  const item = h("div", { class: `figure figure-${name}` }, h("dt", { class: "label" }, label), value);
  return { item, value };
}

/**
 * A tile: a queue's figures (`queue` is its id), or the tenant's totals (`queue` null). It keeps
 * the latest statistics and renders them; `tick` moves its longest-wait clock.
 */
class Tile {
  constructor({ queue, name }) {
    this.queue = queue;
    this.stats = null;
    /** The totals tile measures its service level against this target when all queues share one. */
    this.sharedTarget = null;

    const headingId = `tile-${queue ?? "total"}-heading`;
    this.heading = h("h2", { class: "tile-name", id: headingId }, name);

    this.waiting = figure("waiting", "Calls waiting");
    this.ringing = h("p", { class: "note", dataset: { figure: "ringing" } });
    this.oldest = figure("oldest", "Longest wait");
    this.oldestNote = h("span", { class: "over", dataset: { figure: "oldest-note" } });
    this.oldest.item.querySelector("dt").append(this.oldestNote);

    this.slValue = h("dd", { class: "value", dataset: { figure: "service-level" } }, "–");
    this.slWord = h("p", { class: "standing", dataset: { figure: "service-level-state" } });
    this.slTarget = h("p", { class: "target", dataset: { figure: "service-level-target" } });
    this.sl = h(
      "div",
      { class: "service-level", dataset: { standing: "none" } },
      h("dl", {}, h("div", { class: "figure" }, h("dt", { class: "label" }, "Service level today"), this.slValue)),
      h("div", { class: "sl-words" }, this.slWord, this.slTarget),
    );

    this.answered = figure("answered", "Answered");
    this.abandoned = figure("abandoned", "Abandoned");
    this.asa = figure("asa", "Avg. answer");

    this.ready = figure("ready", "Ready");
    this.onCall = figure("on-call", "On call");
    this.wrapUp = figure("wrap-up", "Wrap-up");
    this.notReady = figure("not-ready", "Not ready");
    this.agentsNote = h("p", { class: "note", dataset: { figure: "logged-in" } });

    const dataset = queue === null ? { total: "" } : { queue };
    this.element = h(
      "article",
      { class: `tile${queue === null ? " tile-total" : ""}`, dataset, "aria-labelledby": headingId },
      h(
        "div",
        { class: "tile-body" },
        this.heading,
        h(
          "div",
          { class: "hero" },
          h("dl", { class: "now" }, this.waiting.item, this.oldest.item),
          this.ringing,
        ),
        this.sl,
        h("dl", { class: "row today", "aria-label": "Today" }, this.answered.item, this.abandoned.item, this.asa.item),
        h(
          "div",
          { class: "agents", role: "group", "aria-label": "Agents" },
          h("dl", { class: "row" }, this.ready.item, this.onCall.item, this.wrapUp.item, this.notReady.item),
          this.agentsNote,
        ),
      ),
    );
  }

  update(stats) {
    this.stats = stats;
    if (stats.name) this.heading.textContent = stats.name;
    this.waiting.value.textContent = number(stats.waiting);
    this.ringing.textContent = stats.ringing > 0 ? `+ ${stats.ringing} ringing at an agent` : "";

    const today = stats.today ?? {};
    const level = stats.service_level;
    const target = level ? level.target_percent : this.sharedTarget;
    const standing = serviceLevelStanding(today.service_level_percent, target);
    this.sl.dataset.standing = standing;
    // Whole percents, rounded down, so the figure never reads "80 %" while it is below an 80 % target.
    const percent = today.service_level_percent;
    this.slValue.textContent = formatPercent(percent === null || percent === undefined ? null : Math.floor(percent), 0);
    this.slWord.textContent = STANDING_WORDS[standing];
    if (level) {
      this.slTarget.textContent = `target ${percentNumber(level.target_percent)} % in ${level.threshold_secs} s`;
    } else {
      this.slTarget.textContent = target === null ? "no common target" : `target ${percentNumber(target)} %`;
    }

    this.answered.value.textContent = number(today.answered);
    this.abandoned.value.textContent = number(today.abandoned);
    this.asa.value.textContent = today.asa_secs === null || today.asa_secs === undefined ? "–" : formatDuration(today.asa_secs);

    const agents = stats.agents ?? {};
    this.ready.value.textContent = number(agents.ready);
    this.onCall.value.textContent = number(agents.on_call);
    this.wrapUp.value.textContent = number(agents.wrap_up);
    this.notReady.value.textContent = number(agents.not_ready);
    const ringingAgents = agents.ringing > 0 ? ` · ${agents.ringing} ringing` : "";
    this.agentsNote.textContent = `${number(agents.logged_in)} ${agents.logged_in === 1 ? "agent" : "agents"} logged in${ringingAgents}`;
    this.element.dataset.waiting = String(stats.waiting ?? 0);
    this.waiting.item.dataset.digits = String(number(stats.waiting).length);
    this.tick();
  }

  /** Moves the longest-wait clock to `nowMs` (the server's clock). */
  tick(nowMs = board.clockNow()) {
    const since = this.stats?.oldest_waiting_since;
    const threshold = this.stats?.service_level?.threshold_secs ?? null;
    let text = "–";
    let alert = "none";
    let note = "";
    if (since) {
      const secs = Math.max(0, secondsSince(since, nowMs));
      text = formatDuration(secs);
      if (threshold !== null && secs > threshold) {
        alert = secs > 2 * threshold ? "high" : "raised";
        note = ` · over ${threshold} s`;
      }
    }
    if (this.oldest.value.textContent !== text) this.oldest.value.textContent = text;
    if (this.oldestNote.textContent !== note) this.oldestNote.textContent = note;
    this.oldest.item.dataset.alert = alert;
  }
}

// --- The board --------------------------------------------------------------------------------

const address = readAddress(location.search);

const board = {
  element: byRole("board"),
  notices: byRole("notices"),
  /** Tiles by queue id, in the order shown, then the totals tile. */
  tiles: new Map(),
  total: null,
  /** The ids of the queues on the board, for telling whether a new session needs new tiles. */
  shownKey: null,
  /** When the figures stopped being live (server clock), or null while they are. */
  staleSince: null,
  fresh: false,

  /** The clock the longest waits run on: frozen while the figures are stale. */
  clockNow() {
    return this.staleSince ?? client.serverNow();
  },

  /** Makes tiles for `queues` (`[{id, name}]`), unless the board already shows exactly these. */
  build(queues) {
    const key = JSON.stringify([queues.map((q) => q.id), address.total]);
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.tiles = new Map(queues.map(({ id, name }) => [id, new Tile({ queue: id, name })]));
    this.total = address.total ? new Tile({ queue: null, name: "All queues" }) : null;
    const elements = [...this.tiles.values(), this.total].filter(Boolean).map((tile) => tile.element);
    fill(this.element, elements);
    this.element.dataset.count = String(elements.length);
    this.element.hidden = elements.length === 0;
  },

  clear() {
    this.shownKey = null;
    this.tiles = new Map();
    this.total = null;
    this.staleSince = null;
    this.fresh = false;
    fill(this.element);
    this.element.hidden = true;
    this.notice(null);
    renderStale();
  },

  /** Shows warnings above the tiles (a list of strings), or none. */
  notice(lines) {
    const list = lines ?? [];
    // Unchanged after a reconnection: left alone, so that the alert is not read out again.
    if (list.join("\n") === [...this.notices.children].map((p) => p.textContent).join("\n")) return;
    fill(this.notices, list.map((line) => h("p", { class: "notice" }, line)));
  },

  hasFigures() {
    return [...this.tiles.values(), this.total].some((tile) => tile?.stats);
  },
};

// --- The client -------------------------------------------------------------------------------

const fromAddress = takeFragmentCredentials();
if (fromAddress) {
  // Kept at once, so a reload signs in even if the server is down now; dropped again at sign-in
  // if the user turns out not to be a wallboard. A token of an earlier user must not win.
  saveCredentials(fromAddress);
  forgetToken();
}

const client = new Client({
  credentials: fromAddress ?? loadCredentials(),
  tokenStore: storage,
  tokenKey: TOKEN_KEY,
});

const connection = byRole("connection");
showConnection(client, connection);

const staleBanner = byRole("stale");
const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" });

function renderStale() {
  const stale = !board.fresh && board.hasFigures();
  if (stale) board.staleSince ??= client.serverNow();
  document.body.classList.toggle("is-stale", stale);
  staleBanner.hidden = !stale;
  if (stale) {
    const what = client.state === State.STOPPED ? "Not connected" : "Reconnecting";
    staleBanner.textContent = `${what} — figures from ${timeOfDay.format(board.staleSince)}`;
  }
  for (const tile of board.tiles.values()) tile.element.toggleAttribute("data-stale", stale);
  board.total?.element.toggleAttribute("data-stale", stale);
}

const clock = byRole("clock");
everySecond(() => {
  const now = client.serverNow();
  clock.textContent = timeOfDay.format(now);
  clock.dateTime = new Date(now).toISOString();
  for (const tile of board.tiles.values()) tile.tick();
  board.total?.tick();
});

// The sign-in form: what was typed is kept (if the screen keeps its sign-in) once it is accepted.
const form = byRole("sign-in");
const signOut = byRole("sign-out");
let typed = null;
const signIn = signInForm(
  client,
  form,
  (visible) => {
    if (visible) {
      board.clear();
      signOut.hidden = true;
    }
  },
  ({ user, password }) => {
    typed = { user, password, keep: form.elements.keep.checked };
  },
);

let session = 0;

client.addEventListener("state", (e) => {
  if (e.detail.state !== State.LIVE) board.fresh = false;
  if (e.detail.state === State.STOPPED && e.detail.reason?.code === "auth_failed") {
    // Proven wrong (or missing): a reload must not try them again.
    forgetCredentials();
  }
  renderStale();
});

client.addEventListener("session", (e) => {
  const result = e.detail;
  const mine = ++session;
  if (typed) {
    if (typed.keep && result.role === "wallboard") saveCredentials(typed);
    else forgetCredentials();
    typed = null;
  }
  // Only a wallboard's sign-in is kept on the screen (see the top of this file): another
  // role's password and token live in this page's memory only, and go with it.
  if (result.role !== "wallboard") {
    forgetCredentials();
    forgetToken();
  }
  signOut.hidden = false;
  document.title = `${result.tenant} · Wallboard · acdhub`;
  byRole("title").textContent = result.tenant;

  // A resumed session keeps its subscription: the missed updates came with the resume.
  if (result.resumed && board.tiles.size) {
    board.fresh = true;
    board.staleSince = null;
    renderStale();
    return;
  }

  const known = namesById(result.queues);
  const wanted = address.queues ?? [...known.keys()];
  const shown = wanted.filter((id) => known.has(id));
  const unknown = wanted.filter((id) => !known.has(id));
  const notices = [];
  if (unknown.length) {
    notices.push(`Unknown ${unknown.length > 1 ? "queues" : "queue"} in the address: ${unknown.join(", ")}`);
  }
  if (!shown.length && !address.total) notices.push("Nothing to show: the address names no queue of this contact center.");
  board.notice(notices);
  board.build(shown.map((id) => ({ id, name: known.get(id) })));

  client.request("subscribe", { queues: shown, tenant_total: address.total }).then(
    () => {
      if (mine !== session || client.state !== State.LIVE) return;
      board.fresh = true;
      board.staleSince = null;
      renderStale();
    },
    (error) => {
      if (mine !== session) return;
      if (error.code === "forbidden") {
        const message = `${result.user} may not show a wallboard (role ${result.role}): sign in as a wallboard or supervisor user.`;
        forgetCredentials();
        client.stop({ forget: true });
        signIn.show(message);
      } else if (error.code === "unknown_queue") {
        board.notice([...notices, `The server did not know a queue: ${error.message}`]);
      }
      // offline, connection_lost, unavailable: the next session subscribes again.
    },
  );
});

client.addEventListener("event", (e) => {
  const event = e.detail;
  if (event.type === "queue_stats") {
    board.tiles.get(event.queue)?.update(event);
    shareTarget();
  } else if (event.type === "tenant_stats") {
    board.total?.update(event);
  }
});

/**
 * The totals tile colours its service level only when the board shows every queue of the
 * tenant and they all have the same target: otherwise there is no one target to hold it to.
 */
function shareTarget() {
  if (!board.total) return;
  const queues = client.session?.queues ?? [];
  const tiles = [...board.tiles.values()];
  const all = tiles.length === queues.length && tiles.every((tile) => tile.stats?.service_level);
  const targets = new Set(all ? tiles.map((tile) => tile.stats.service_level.target_percent) : []);
  const target = targets.size === 1 ? [...targets][0] : null;
  if (board.total.sharedTarget !== target) {
    board.total.sharedTarget = target;
    if (board.total.stats) board.total.update(board.total.stats);
  }
}

signOut.addEventListener("click", () => {
  forgetCredentials();
  client.stop({ forget: true });
  board.clear();
  document.title = "Wallboard · acdhub";
  byRole("title").textContent = "acdhub";
  signIn.show("Signed out.");
});

// A fault that a retry would repeat (closed for too many bad messages, no sign-in in time) stops
// the client; a screen on the wall with kept credentials tries again a minute later all the same.
client.addEventListener("state", (e) => {
  const code = e.detail.reason?.code ?? "";
  if (e.detail.state === State.STOPPED && code.startsWith("close_") && loadCredentials()) {
    setTimeout(() => {
      if (client.state !== State.STOPPED) return;
      client.setCredentials(loadCredentials());
      client.start();
    }, 60000);
  }
});

// Keep the screen on where the browser allows it (Wake Lock API); a refusal changes nothing.
async function keepAwake() {
  try {
    if (document.visibilityState === "visible") await navigator.wakeLock?.request("screen");
  } catch {
    // Not allowed here (no secure context, battery saver): the TV's own settings decide.
  }
}
document.addEventListener("visibilitychange", keepAwake);
void keepAwake();

// Hide the mouse pointer when it rests, so it does not sit on a figure all day.
let pointerTimer = null;
document.addEventListener("pointermove", () => {
  document.body.classList.remove("pointer-idle");
  clearTimeout(pointerTimer);
  pointerTimer = setTimeout(() => document.body.classList.add("pointer-idle"), 3000);
});

if (client.hasToken() || loadCredentials() || fromAddress) {
  client.start();
} else {
  signIn.show();
}
