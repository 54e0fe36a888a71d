// supervisor.js: the supervisor's console. Every agent of the tenant (state, time in state,
// reason, pending state, current call) with the supervisor's actions on it; every queue's live
// figures and today's statistics; every call, with priority and move for waiting ones.
//
// The rows are built once per session and updated in place, so a control that has the keyboard
// focus keeps it while events stream in. Everything the server sends goes in as text.

import { Client, State } from "./acdhub.js";
import {
  h,
  fill,
  formatDuration,
  secondsSince,
  formatPercent,
  everySecond,
  showConnection,
  signInForm,
  announce,
  namesById,
  webStorage,
  byRole,
  BUSY_STATES,
  reasonName,
  STATE_LABELS,
} from "./ui.js";

const TOKEN_KEY = "acdhub.supervisor.token";
/** The reasons the ACD sets itself; the tenant's own come with the AuthResult. */
const CALL_STATUS = { waiting: "Waiting", ringing: "Ringing", connected: "Connected" };
const QUEUE_CHANGE = { max_wait: "overflowed from", escalation: "escalated from", moved: "moved from" };
const CALL_ORDER = { waiting: 0, ringing: 1, connected: 2 };
const MAX_ALERTS = 3;


const ui = {
  connection: byRole("connection"),
  who: byRole("who"),
  signOut: byRole("sign-out"),
  form: byRole("sign-in"),
  console: byRole("console"),
  alerts: byRole("alerts"),
  notSupervisor: byRole("not-supervisor"),
  stale: byRole("stale"),
  panels: [byRole("queues-panel"), byRole("agents-panel"), byRole("calls-panel")],
  statsAt: byRole("stats-at"),
  queues: byRole("queues"),
  totals: byRole("totals"),
  agents: byRole("agents"),
  agentCount: byRole("agent-count"),
  agentFilter: byRole("agent-filter"),
  agentsEmpty: byRole("agents-empty"),
  calls: byRole("calls"),
  callCount: byRole("call-count"),
  callsEmpty: byRole("calls-empty"),
  announcer: byRole("announcer"),
};

const client = new Client({ tokenStore: webStorage("session"), tokenKey: TOKEN_KEY });

// --- What the console knows -------------------------------------------------------------------

const view = {
  /** The AuthResult the rows were built for. */
  session: null,
  /** The key of the tenant lists the rows were built from (rebuilt only when it changes). */
  structureKey: null,
  /** subscribe sent in this session: its snapshot is arriving. */
  subscribing: false,
  /** The ack of subscribe came: the view is complete and live. */
  subscribed: false,
  /** When the view was last complete and live (for the stale notice). */
  liveAt: null,
  names: { agents: new Map(), queues: new Map(), reasons: new Map() },
  /** id -> what agent_state and pending_state said. */
  agents: new Map(),
  /** id -> the call's latest call_state, while the call is in the ACD. */
  calls: new Map(),
  /** id -> the last call_state of recent calls, kept after call_left (an agent in wrap-up). */
  recentCalls: new Map(),
  queueStats: new Map(),
  tenantStats: null,
};

const rows = { agents: new Map(), queues: new Map(), calls: new Map(), totals: null };

const isLive = () => client.state === State.LIVE && view.subscribed;

function reasonOf(id) {
  return reasonName(view.names.reasons, id);
}

function agentName(id) {
  return view.names.agents.get(id) ?? id;
}

function queueName(id) {
  return view.names.queues.get(id) ?? id;
}

function pendingLabel(pending) {
  if (!pending) return "";
  if (pending.state === "logged_out") return "Log out";
  return `${STATE_LABELS.not_ready} · ${reasonOf(pending.reason)}`;
}

function callDetails(id) {
  return view.calls.get(id) ?? view.recentCalls.get(id) ?? null;
}

function rememberCall(call) {
  view.recentCalls.delete(call.call);
  view.recentCalls.set(call.call, call);
  if (view.recentCalls.size > 1000) view.recentCalls.delete(view.recentCalls.keys().next().value);
}

// --- Focus: a control that becomes disabled or goes away hands the focus on --------------------

/**
 * Runs `change`; if the focused element was inside `container` and is now disabled or gone,
 * focuses the nearest enabled control of the container instead (or `fallback`), so a keyboard
 * user is not dropped to the top of the page.
 */
function keepFocus(container, change, fallback = null) {
  const active = document.activeElement;
  const inside = active && active !== document.body && container.contains(active);
  const controls = inside ? [...container.querySelectorAll("button, select, input")] : [];
  const index = controls.indexOf(active);
  change();
  if (!inside) return;
  if (active.isConnected && !active.disabled && container.contains(active)) {
    if (document.activeElement !== active) active.focus({ preventScroll: true });
    return;
  }
  const usable = (el) => el.isConnected && !el.disabled && !el.closest("[hidden]");
  const next = [...controls.slice(index + 1), ...controls.slice(0, Math.max(index, 0)).reverse()].find(usable);
  (next ?? fallback)?.focus({ preventScroll: true });
}

// --- Alerts and announcements -----------------------------------------------------------------

/** Shows a refused action: what was tried, the protocol's error code and the server's words. */
function showError(what, error) {
  const code = error?.code ?? "error";
  const notice = h(
    "div",
    { class: "notice error", dataset: { code } },
    h("strong", {}, `Could not ${what}.`),
    " ",
    h("code", { class: "error-code" }, code),
    " ",
    h("span", { class: "error-message" }, error?.message ?? String(error)),
    hintFor(code) ? h("span", { class: "error-hint" }, ` ${hintFor(code)}`) : null,
    h(
      "button",
      {
        type: "button",
        class: "dismiss",
        "aria-label": "Dismiss this message",
        onclick: () => notice.remove(),
      },
      "Dismiss",
    ),
  );
  ui.alerts.prepend(notice);
  while (ui.alerts.children.length > MAX_ALERTS) ui.alerts.lastElementChild.remove();
}

function hintFor(code) {
  switch (code) {
    case "not_logged_in":
    case "agent_not_busy":
    case "no_pending_state":
    case "not_waiting":
    case "unknown_call":
      return "The state moved on before the request arrived; the tables show where it went.";
    case "offline":
    case "connection_lost":
      return "Try again when the console is live.";
    case "forbidden":
      return "This user may not act as a supervisor.";
    default:
      return "";
  }
}

/** Sends a supervisor action; announces it when done, shows the refusal when refused. */
async function act(what, type, fields) {
  try {
    await client.request(type, fields);
    announce(ui.announcer, `Done: ${what}.`);
  } catch (error) {
    showError(what, error);
  }
}

// --- Building the tables ----------------------------------------------------------------------

/** Builds the rows for the tenant's agents and queues; keeps them when the lists did not change. */
function buildStructure(session) {
  const key = JSON.stringify([session.tenant, session.agents, session.queues, session.not_ready_reasons]);
  view.names = {
    agents: namesById(session.agents),
    queues: namesById(session.queues),
    reasons: namesById(session.not_ready_reasons),
  };
  if (key === view.structureKey) return;
  view.structureKey = key;
  const known = new Set((session.agents ?? []).map((a) => a.id));
  for (const id of [...view.agents.keys()]) if (!known.has(id)) view.agents.delete(id);
  for (const id of [...view.queueStats.keys()]) if (!view.names.queues.has(id)) view.queueStats.delete(id);

  rows.agents.clear();
  fill(ui.agents, (session.agents ?? []).map((agent) => agentRow(agent, session)));
  rows.queues.clear();
  fill(ui.queues, (session.queues ?? []).map((queue) => queueRow(queue)));
  rows.totals = totalsRow();
  fill(ui.totals, rows.totals.tr);
  rows.calls.clear();
  fill(ui.calls);
  for (const id of rows.agents.keys()) renderAgent(id);
  for (const id of rows.queues.keys()) renderQueue(id);
  renderTotals();
  for (const id of view.calls.keys()) renderCall(id);
  placeCalls();
  applyFilter();
}

function agentRow({ id, name }, session) {
  const reasons = session.not_ready_reasons ?? [];
  const r = { id, name };
  r.state = h("span", { class: "state", "data-role": "state" }, "…");
  r.stateBy = h("span", { class: "sv-by", "data-role": "state-by" });
  r.time = h("span", { "data-role": "time" });
  r.timeExtra = h("span", { class: "sv-time-extra", "data-role": "time-extra" });
  r.reason = h("span", { class: "sv-reason", "data-role": "reason" });
  r.pending = h("td", { "data-role": "pending" });
  r.call = h("td", { "data-role": "call", class: "call-cell" });
  r.queues = h("span", { class: "agent-queues", "data-role": "queues" });

  r.ready = h(
    "button",
    {
      type: "button",
      class: "good",
      "aria-label": `Make ${name} ready`,
      onclick: () => act(`make ${name} ready`, "force_state", { agent: id, state: "ready" }),
    },
    "Ready",
  );
  r.reasonSelect = h(
    "select",
    { "aria-label": `Reason for ${name}`, "data-role": "reason-select" },
    reasons.map((reason) => h("option", { value: reason.id }, reason.name)),
  );
  r.notReady = h(
    "button",
    {
      type: "button",
      "aria-label": `Make ${name} not ready`,
      onclick: () => {
        const reason = r.reasonSelect.value;
        act(`make ${name} not ready (${reasonOf(reason)})`, "force_state", {
          agent: id,
          state: "not_ready",
          reason,
        });
      },
    },
    "Not ready",
  );
  r.logout = h(
    "button",
    {
      type: "button",
      class: "logout",
      "aria-label": `Log ${name} out`,
      onclick: () => act(`log ${name} out`, "force_state", { agent: id, state: "logged_out" }),
    },
    "Log out",
  );
  r.pendingSelect = h(
    "select",
    { "aria-label": `Pending state for ${name}`, "data-role": "pending-select" },
    h(
      "optgroup",
      { label: STATE_LABELS.not_ready },
      reasons.map((reason) => h("option", { value: `not_ready:${reason.id}` }, reason.name)),
    ),
    h("option", { value: "logged_out" }, "Log out"),
  );
  r.setPending = h(
    "button",
    {
      type: "button",
      "aria-label": `Set pending state of ${name}`,
      onclick: () => {
        const [state, reason] = r.pendingSelect.value.split(":");
        const fields = reason ? { agent: id, state, reason } : { agent: id, state };
        const label = pendingLabel(reason ? { state, reason } : { state });
        act(`set the pending state of ${name} to ${label}`, "set_pending", fields);
      },
    },
    "Set",
  );
  r.clearPending = h(
    "button",
    {
      type: "button",
      "aria-label": `Clear pending state of ${name}`,
      onclick: () => act(`clear the pending state of ${name}`, "clear_pending", { agent: id }),
    },
    "Clear",
  );
  r.nameCell = h(
    "th",
    { scope: "row", class: "agent-name", tabindex: "-1" },
    h("span", { class: "name" }, name),
    " ",
    h("span", { class: "agent-id" }, id),
    r.queues,
  );
  r.tr = h(
    "tr",
    { dataset: { agent: id } },
    r.nameCell,
    h("td", { class: "state-cell" }, r.state, r.reason, r.stateBy),
    h("td", { class: "number sv-time" }, r.time, r.timeExtra),
    r.pending,
    r.call,
    h("td", { class: "actions-cell" }, h("div", { class: "row-actions" }, r.ready, r.reasonSelect, r.notReady, r.logout)),
    h("td", { class: "actions-cell" }, h("div", { class: "row-actions" }, r.pendingSelect, r.setPending, r.clearPending)),
  );
  rows.agents.set(id, r);
  return r.tr;
}

function queueRow({ id, name }) {
  const r = queueRowCells();
  r.tr = h("tr", { dataset: { queue: id } }, h("th", { scope: "row" }, name), figureCells(r));
  rows.queues.set(id, r);
  return r.tr;
}

function totalsRow() {
  const r = queueRowCells();
  r.tr = h("tr", { class: "totals", "data-role": "totals-row" }, h("th", { scope: "row" }, "All queues"), figureCells(r));
  return r;
}

function figureCells(r) {
  return [r.waiting, r.oldest, r.ringing, r.ready, r.onCall, r.wrapUp, r.notReady, r.loggedIn, r.serviceLevel, r.answered, r.abandoned, r.asa];
}

function queueRowCells() {
  const cell = (role) => h("td", { class: "number", "data-role": role });
  return {
    waiting: cell("waiting"),
    oldest: cell("oldest"),
    ringing: cell("ringing"),
    ready: cell("ready"),
    onCall: cell("on-call"),
    wrapUp: cell("wrap-up"),
    notReady: cell("not-ready"),
    loggedIn: cell("logged-in"),
    serviceLevel: h("td", { "data-role": "service-level", class: "service-level" }),
    answered: cell("answered"),
    abandoned: cell("abandoned"),
    asa: cell("asa"),
  };
}

function callRow(id) {
  const r = { id };
  r.status = h("span", { class: "call-status", "data-role": "status" });
  r.queue = h("td", { "data-role": "queue" });
  r.caller = h("td", { "data-role": "caller", class: "sv-caller" });
  r.agent = h("td", { "data-role": "agent" });
  r.inQueue = h("td", { class: "number", "data-role": "in-queue" });
  r.total = h("td", { class: "number", "data-role": "total" });
  r.priority = h("td", { class: "number", "data-role": "priority" });
  r.priorityInput = h("input", {
    type: "number",
    min: "0",
    max: "255",
    step: "1",
    inputmode: "numeric",
    required: true,
    "aria-label": `Priority of call ${id}`,
    "data-role": "priority-input",
  });
  r.prioritySet = h("button", { type: "submit", "aria-label": `Set priority of call ${id}` }, "Set");
  r.priorityForm = h(
    "form",
    {
      class: "row-actions",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const text = r.priorityInput.value.trim();
        const priority = Number(text);
        if (text === "" || !Number.isInteger(priority) || priority < 0 || priority > 255) {
          showError(`set the priority of call ${id}`, {
            code: "invalid_priority",
            message: "A priority is a whole number from 0 to 255 (higher is served first).",
          });
          r.priorityInput.focus();
          return;
        }
        act(`set the priority of call ${id} to ${priority}`, "set_call_priority", { call: id, priority });
      },
    },
    r.priorityInput,
    r.prioritySet,
  );
  r.moveSelect = h("select", { "aria-label": `Queue for call ${id}`, "data-role": "move-select" });
  r.moveButton = h("button", { type: "submit", "aria-label": `Move call ${id}` }, "Move");
  r.moveForm = h(
    "form",
    {
      class: "row-actions",
      onsubmit: (event) => {
        event.preventDefault();
        const queue = r.moveSelect.value;
        if (!queue) return;
        act(`move call ${id} to ${queueName(queue)}`, "move_call", { call: id, queue });
      },
    },
    r.moveSelect,
    r.moveButton,
  );
  r.tr = h(
    "tr",
    { dataset: { call: id } },
    h("th", { scope: "row", class: "call-id" }, h("code", {}, id)),
    h("td", {}, r.status),
    r.queue,
    r.caller,
    r.agent,
    r.inQueue,
    r.total,
    r.priority,
    h("td", { class: "actions-cell" }, r.priorityForm),
    h("td", { class: "actions-cell" }, r.moveForm),
  );
  rows.calls.set(id, r);
  return r;
}

// --- Rendering --------------------------------------------------------------------------------

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function renderAgent(id) {
  const r = rows.agents.get(id);
  if (!r) return;
  const a = view.agents.get(id);
  keepFocus(r.tr, () => {
    const state = a?.state;
    r.state.dataset.state = state ?? "unknown";
    setText(r.state, state ? STATE_LABELS[state] ?? state : "…");
    setText(r.stateBy, a?.by ? `by ${a.by}` : "");
    r.tr.dataset.state = state ?? "unknown";

    setText(r.reason, state === "not_ready" ? reasonOf(a.reason) : "");

    if (a?.pending) {
      fill(
        r.pending,
        h("span", { class: "sv-pending", "data-role": "pending-label" }, pendingLabel(a.pending)),
        a.pendingBy ? h("span", { class: "sv-by" }, `by ${a.pendingBy}`) : null,
      );
    } else {
      fill(r.pending, h("span", { class: "sv-none" }, "–"));
    }
    r.tr.dataset.pending = a?.pending ? "yes" : "no";

    fill(r.call, callSummary(a));
    const queues = (a?.queues ?? []).map(queueName).join(", ");
    setText(r.queues, queues);
    if (r.queues.title !== queues) r.queues.title = queues;

    const live = isLive();
    const loggedIn = Boolean(state) && state !== "logged_out";
    const busy = BUSY_STATES.has(state);
    const hasPending = Boolean(a?.pending);
    // A busy agent keeps its call: ready, not ready and log out then set what follows it.
    r.ready.disabled = !live || !loggedIn || state === "ready" || (busy && !hasPending);
    r.reasonSelect.disabled = !live || !loggedIn;
    r.notReady.disabled = !live || !loggedIn;
    r.logout.disabled = !live || !loggedIn;
    r.pendingSelect.disabled = !live || !busy;
    r.setPending.disabled = !live || !busy;
    r.clearPending.disabled = !live || !hasPending;
    const after = busy ? " after the current call" : "";
    r.ready.title = busy ? "Ready after the current call (clears the pending state)" : "Ready for calls now";
    r.notReady.title = `Not ready with the chosen reason${after}`;
    r.logout.title = `Log out${after}`;
  }, r.nameCell);
  tickAgent(r, a);
  r.filterText = [
    r.name,
    id,
    a?.state ? STATE_LABELS[a.state] : "",
    a?.state === "not_ready" ? reasonOf(a.reason) : "",
    pendingLabel(a?.pending),
    (a?.queues ?? []).map(queueName).join(" "),
    a?.call ?? "",
  ]
    .join(" ")
    .toLowerCase();
  if (ui.agentFilter.value) filterRow(r);
}

function callSummary(a) {
  if (!a?.call) return h("span", { class: "sv-none" }, "–");
  const call = callDetails(a.call);
  return h(
    "span",
    { class: "call-summary" },
    h(
      "span",
      { class: "call-line" },
      h("code", { class: "call-ref" }, a.call),
      call?.caller ? h("span", { class: "sv-caller" }, call.caller) : null,
      a.on_hold ? h("span", { class: "sv-flag sv-hold" }, "On hold") : null,
    ),
    call?.queue ? h("span", { class: "queue-name" }, queueName(call.queue)) : null,
  );
}

function renderAgentsWithCall(callId) {
  for (const [id, a] of view.agents) if (a.call === callId) renderAgent(id);
}

function tickAgent(r, a) {
  if (!a?.since) {
    setText(r.time, "–");
    setText(r.timeExtra, "");
    return;
  }
  const now = client.serverNow();
  setText(r.time, formatDuration(secondsSince(a.since, now)));
  if (a.state === "wrap_up" && a.wrap_up_deadline) {
    setText(r.timeExtra, `${formatDuration(-secondsSince(a.wrap_up_deadline, now))} left`);
  } else {
    setText(r.timeExtra, "");
  }
}

function fillFigures(r, stats, target, thresholdSecs = null) {
  const n = (value) => (value === null || value === undefined ? "–" : String(value));
  setText(r.waiting, n(stats?.waiting));
  setText(r.ringing, n(stats?.ringing));
  setText(r.ready, n(stats?.agents?.ready));
  setText(r.onCall, n(stats?.agents?.on_call));
  setText(r.wrapUp, n(stats?.agents?.wrap_up));
  setText(r.notReady, n(stats?.agents?.not_ready));
  setText(r.loggedIn, n(stats?.agents?.logged_in));
  setText(r.answered, n(stats?.today?.answered));
  setText(r.abandoned, n(stats?.today?.abandoned));
  const asa = stats?.today?.asa_secs;
  setText(r.asa, asa === null || asa === undefined ? "–" : formatDuration(asa));
  r.waiting.dataset.level = stats?.waiting > 0 ? "some" : "none";
  renderServiceLevel(r.serviceLevel, stats?.today?.service_level_percent ?? null, target, thresholdSecs);
  tickOldest(r, stats);
}

function renderServiceLevel(cell, percent, target, thresholdSecs) {
  const hasTarget = target !== null && target !== undefined;
  let verdict = null;
  if (percent !== null && hasTarget) verdict = percent >= target ? "on target" : "below target";
  cell.dataset.sl = verdict === null ? "none" : verdict === "on target" ? "on" : "below";
  const key = `${percent}|${target}|${thresholdSecs}`;
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  fill(
    cell,
    h(
      "span",
      { class: "sl" },
      h("span", { class: "sl-value" }, formatPercent(percent)),
      verdict ? h("span", { class: "sl-verdict" }, verdict) : null,
    ),
    hasTarget
      ? h(
          "span",
          { class: "sl-target" },
          thresholdSecs === null || thresholdSecs === undefined
            ? `target ${Number(target)} %`
            : `target ${Number(target)} % in ${thresholdSecs} s`,
        )
      : null,
  );
}

function tickOldest(r, stats) {
  const since = stats?.oldest_waiting_since;
  setText(r.oldest, since ? formatDuration(secondsSince(since, client.serverNow())) : "–");
}

function renderQueue(id) {
  const r = rows.queues.get(id);
  if (!r) return;
  const stats = view.queueStats.get(id);
  fillFigures(r, stats, stats?.service_level?.target_percent, stats?.service_level?.threshold_secs);
}

function renderTotals() {
  if (!rows.totals) return;
  fillFigures(rows.totals, view.tenantStats, null);
}

function renderCall(id) {
  const call = view.calls.get(id);
  if (!call) return;
  const r = rows.calls.get(id) ?? callRow(id);
  keepFocus(r.tr, () => {
    r.tr.dataset.status = call.status;
    r.status.dataset.status = call.status;
    setText(r.status, CALL_STATUS[call.status] ?? call.status);
    if (call.on_hold) r.status.append(h("span", { class: "sv-flag sv-hold" }, "On hold"));
    fill(
      r.queue,
      h("span", { class: "queue-name" }, queueName(call.queue)),
      call.from_queue && call.reason
        ? h("span", { class: "sv-note" }, `${QUEUE_CHANGE[call.reason] ?? "from"} ${queueName(call.from_queue)}`)
        : null,
      call.by && call.reason === "moved" ? h("span", { class: "sv-by" }, `by ${call.by}`) : null,
    );
    setText(r.caller, call.caller ?? "unknown");
    setText(r.agent, call.agent ? agentName(call.agent) : "–");
    fill(
      r.priority,
      h("span", {}, String(call.priority ?? 0)),
      call.by && call.reason !== "moved" ? h("span", { class: "sv-by" }, `by ${call.by}`) : null,
    );

    const waiting = call.status === "waiting";
    const usable = isLive() && waiting;
    if (document.activeElement !== r.priorityInput) r.priorityInput.value = String(call.priority ?? 0);
    r.priorityInput.disabled = !usable;
    r.prioritySet.disabled = !usable;

    const others = [...view.names.queues].filter(([qid]) => qid !== call.queue);
    const optionsKey = others.map(([qid]) => qid).join(",");
    if (r.moveSelect.dataset.options !== optionsKey) {
      const chosen = r.moveSelect.value;
      fill(r.moveSelect, others.map(([qid, name]) => h("option", { value: qid }, name)));
      if (others.some(([qid]) => qid === chosen)) r.moveSelect.value = chosen;
      r.moveSelect.dataset.options = optionsKey;
    }
    r.moveSelect.disabled = !usable || others.length === 0;
    r.moveButton.disabled = !usable || others.length === 0;
  }, r.tr.querySelector("th"));
  tickCall(r, call);
}

function tickCall(r, call) {
  const now = client.serverNow();
  const inQueue = call.status !== "connected" && call.entered_queue_at;
  setText(r.inQueue, inQueue ? formatDuration(secondsSince(call.entered_queue_at, now)) : "–");
  setText(r.total, call.arrived_at ? formatDuration(secondsSince(call.arrived_at, now)) : "–");
}

function callSortKey(call) {
  return [CALL_ORDER[call.status] ?? 3, call.status === "waiting" ? -(call.priority ?? 0) : 0];
}

/** Puts the call rows in order: waiting first (highest priority, then longest wait), then the rest. */
function placeCalls() {
  const ordered = [...view.calls.values()].sort((a, b) => {
    const [sa, pa] = callSortKey(a);
    const [sb, pb] = callSortKey(b);
    if (sa !== sb) return sa - sb;
    if (pa !== pb) return pa - pb;
    const ta = Date.parse(a.status === "waiting" ? a.entered_queue_at : a.arrived_at) || 0;
    const tb = Date.parse(b.status === "waiting" ? b.entered_queue_at : b.arrived_at) || 0;
    return ta - tb || (a.call < b.call ? -1 : a.call > b.call ? 1 : 0);
  });
  const active = document.activeElement;
  let index = 0;
  for (const call of ordered) {
    const r = rows.calls.get(call.call);
    if (!r) continue;
    const at = ui.calls.children[index];
    if (at !== r.tr) ui.calls.insertBefore(r.tr, at ?? null);
    index += 1;
  }
  // Moving a row can take the focus from a control in it: give it back.
  if (active && active.isConnected && document.activeElement !== active && ui.calls.contains(active)) {
    active.focus({ preventScroll: true });
  }
  const counts = { waiting: 0, ringing: 0, connected: 0 };
  for (const call of view.calls.values()) counts[call.status] = (counts[call.status] ?? 0) + 1;
  setText(
    ui.callCount,
    view.calls.size === 0
      ? ""
      : `${view.calls.size} ${view.calls.size === 1 ? "call" : "calls"}: ${counts.waiting} waiting, ${counts.ringing} ringing, ${counts.connected} connected`,
  );
  ui.callsEmpty.hidden = view.calls.size > 0;
}

function removeCall(id) {
  const r = rows.calls.get(id);
  if (!r) return;
  rows.calls.delete(id);
  const hadFocus = r.tr.contains(document.activeElement);
  const next = r.tr.nextElementSibling ?? r.tr.previousElementSibling;
  r.tr.remove();
  if (hadFocus) {
    const target = next?.querySelector("button:not(:disabled), select:not(:disabled), input:not(:disabled)");
    (target ?? document.getElementById("calls-heading"))?.focus({ preventScroll: true });
  }
}

function clearCalls() {
  view.calls.clear();
  for (const id of [...rows.calls.keys()]) removeCall(id);
  placeCalls();
}

// --- Filter -----------------------------------------------------------------------------------

function filterRow(r) {
  const terms = ui.agentFilter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  r.tr.hidden = terms.length > 0 && !terms.every((term) => (r.filterText ?? "").includes(term));
}

function applyFilter() {
  for (const r of rows.agents.values()) filterRow(r);
  summarizeAgents();
}

function summarizeAgents() {
  const total = rows.agents.size;
  const shown = [...rows.agents.values()].filter((r) => !r.tr.hidden).length;
  const counts = new Map();
  for (const id of rows.agents.keys()) {
    const state = view.agents.get(id)?.state;
    if (state) counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const parts = Object.keys(STATE_LABELS)
    .filter((state) => counts.get(state))
    .map((state) => `${counts.get(state)} ${STATE_LABELS[state].toLowerCase()}`);
  const head = shown === total ? `${total} ${total === 1 ? "agent" : "agents"}` : `${shown} of ${total} agents shown`;
  setText(ui.agentCount, parts.length ? `${head} · ${parts.join(", ")}` : head);
  ui.agentsEmpty.hidden = shown > 0 || total === 0;
}

let filterAnnouncement = null;
ui.agentFilter.addEventListener("input", () => {
  applyFilter();
  clearTimeout(filterAnnouncement);
  filterAnnouncement = setTimeout(() => announce(ui.announcer, ui.agentCount.textContent), 600);
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, select, textarea, [contenteditable]")) return;
  if (ui.console.hidden) return;
  event.preventDefault();
  ui.agentFilter.focus();
});

// --- Live, stale, rebuilding ------------------------------------------------------------------

function renderView() {
  const live = isLive();
  let mode = "live";
  if (!live) mode = client.state === State.LIVE ? "rebuilding" : "stale";
  ui.console.dataset.view = mode;
  for (const panel of ui.panels) panel.setAttribute("aria-busy", String(!live));
  if (mode === "live") {
    ui.stale.hidden = true;
  } else {
    const asOf = view.liveAt ? ` The figures below are from ${view.liveAt.toLocaleTimeString()} and may be out of date.` : "";
    const text =
      mode === "rebuilding"
        ? `Loading the current state of every agent, queue and call…${asOf}`
        : `Not connected to the server: actions are paused until the console is live again.${asOf}`;
    setText(ui.stale, text);
    ui.stale.hidden = view.session?.role !== "supervisor" && view.session !== null;
  }
  for (const id of rows.agents.keys()) renderAgent(id);
  for (const id of rows.calls.keys()) renderCall(id);
  summarizeAgents();
}

// --- The session ------------------------------------------------------------------------------

function subscribe(session) {
  view.subscribing = true;
  client.request("subscribe").then(
    () => {
      if (client.session !== session) return;
      view.subscribed = true;
      view.liveAt = new Date();
      renderView();
      announce(ui.announcer, "The console is live.");
    },
    (error) => {
      if (client.session !== session) return;
      view.subscribing = false;
      if (error.code === "forbidden") showNotSupervisor(session);
      else if (error.code !== "connection_lost" && error.code !== "offline") showError("subscribe to the tenant's events", error);
    },
  );
}

function showNotSupervisor(session) {
  ui.notSupervisor.textContent =
    `You are signed in as “${session.user}”, whose role is ${session.role}. ` +
    "Only supervisors can use this console: sign out and sign in with a supervisor's account.";
  ui.notSupervisor.hidden = false;
  for (const panel of ui.panels) panel.hidden = true;
  ui.stale.hidden = true;
}

client.addEventListener("reset", () => {
  view.subscribing = false;
  view.subscribed = false;
  // The snapshot re-sends every call; one that ended meanwhile must not linger.
  clearCalls();
  renderView();
});

client.addEventListener("session", (event) => {
  const session = event.detail;
  view.session = session;
  ui.who.textContent = `${session.user} · ${session.tenant}`;
  ui.signOut.hidden = false;
  ui.console.hidden = false;
  if (session.role !== "supervisor") {
    showNotSupervisor(session);
    return;
  }
  ui.notSupervisor.hidden = true;
  for (const panel of ui.panels) panel.hidden = false;
  // A resumed session keeps its subscription: what changed meanwhile came with the resume.
  if (session.resumed && view.subscribed) {
    renderView();
    return;
  }
  buildStructure(session);
  renderView();
  subscribe(session);
});

client.addEventListener("state", (event) => {
  const { state } = event.detail;
  if (state === State.RECONNECTING && view.subscribed) {
    announce(ui.announcer, "Connection to the server lost; reconnecting. The figures may be out of date.");
  }
  if (client.state !== State.LIVE) view.subscribed = false;
  if (!ui.console.hidden) renderView();
});

client.addEventListener("event", (event) => {
  if (!view.subscribing && !view.subscribed) return;
  const message = event.detail;
  switch (message.type) {
    case "agent_state": {
      const previous = view.agents.get(message.agent);
      view.agents.set(message.agent, {
        state: message.state,
        since: message.since,
        reason: message.reason ?? null,
        call: message.call ?? null,
        on_hold: Boolean(message.on_hold),
        wrap_up_deadline: message.wrap_up_deadline ?? null,
        by: message.by ?? null,
        queues: message.queues ?? previous?.queues ?? [],
        pending: previous?.pending ?? null,
        pendingBy: previous?.pendingBy ?? null,
      });
      renderAgent(message.agent);
      summarizeAgents();
      break;
    }
    case "pending_state": {
      const agent = view.agents.get(message.agent) ?? { state: null, queues: [] };
      agent.pending = message.pending ?? null;
      agent.pendingBy = message.by ?? null;
      view.agents.set(message.agent, agent);
      renderAgent(message.agent);
      break;
    }
    case "call_state": {
      view.calls.set(message.call, message);
      rememberCall(message);
      renderCall(message.call);
      placeCalls();
      renderAgentsWithCall(message.call);
      break;
    }
    case "call_left": {
      view.calls.delete(message.call);
      removeCall(message.call);
      placeCalls();
      renderAgentsWithCall(message.call);
      break;
    }
    case "queue_stats": {
      view.queueStats.set(message.queue, message);
      renderQueue(message.queue);
      break;
    }
    case "tenant_stats": {
      view.tenantStats = message;
      renderTotals();
      break;
    }
    default:
      break;
  }
});

// --- Clocks -----------------------------------------------------------------------------------

everySecond(() => {
  if (ui.console.hidden) return;
  for (const [id, r] of rows.agents) tickAgent(r, view.agents.get(id));
  for (const [id, r] of rows.queues) tickOldest(r, view.queueStats.get(id));
  if (rows.totals) tickOldest(rows.totals, view.tenantStats);
  for (const [id, r] of rows.calls) {
    const call = view.calls.get(id);
    if (call) tickCall(r, call);
  }
});

// --- Signing in and out -----------------------------------------------------------------------

function forgetView() {
  view.session = null;
  view.structureKey = null;
  view.subscribing = false;
  view.subscribed = false;
  view.liveAt = null;
  view.agents.clear();
  view.calls.clear();
  view.recentCalls.clear();
  view.queueStats.clear();
  view.tenantStats = null;
  rows.agents.clear();
  rows.queues.clear();
  rows.calls.clear();
  rows.totals = null;
  fill(ui.agents);
  fill(ui.queues);
  fill(ui.totals);
  fill(ui.calls);
  fill(ui.alerts);
  ui.agentFilter.value = "";
  ui.notSupervisor.hidden = true;
  for (const panel of ui.panels) panel.hidden = false;
  placeCalls();
  summarizeAgents();
}

showConnection(client, ui.connection);
setText(ui.statsAt, "Service level, answered, abandoned and ASA: today");

const signIn = signInForm(client, ui.form, (visible) => {
  ui.console.hidden = visible;
  if (visible) {
    ui.signOut.hidden = true;
    ui.who.textContent = "";
  }
});

ui.signOut.addEventListener("click", () => {
  client.stop({ forget: true });
  forgetView();
  ui.form.reset();
  signIn.show();
  announce(ui.announcer, "You have signed out.");
});

if (client.hasToken()) {
  ui.console.hidden = false;
  renderView();
  client.start();
} else {
  signIn.show();
}
