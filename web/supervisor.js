// supervisor.js: the supervisor's console. Every agent of the tenant (state, time in state,
// reason, a phone that keeps calls away, pending state, current call) with the supervisor's actions on it; every queue's live
// figures and today's statistics, a row per lane with its channel (a queue serving voice and
// chat has two rows; a lane of conversations also shows the places its agents hold and today's
// first response); every queue's staffing (the `what_if` of protocol.md: the agents its calls
// need, what the agents working now get, and what more or fewer agents, or other calls an hour,
// would get), asked when the console is live and every 15 s while it stays live; every call,
// with priority and move for waiting ones; and the message on the tenant's wallboards (the
// ticker), with who set it, to set, replace or clear.
//
// What the console knows and which actions it offers come from supervisor-state.js; this module
// draws it, in English or German (i18n.js; every text is in supervisor-messages.js). The rows
// are built once per session and updated in place, so a control that has the keyboard focus
// keeps it while events stream in. Everything the server sends goes in as text (the server's
// own words, such as a refusal's message, as it sends them). Importing this module does
// nothing: supervisor-main.js calls `start()`.

import { Client, State, agentPages } from "./acdhub.js";
import { languageSwitch, localize, pageTranslator } from "./i18n.js";
import { SUPERVISOR_MESSAGES } from "./supervisor-messages.js";
import {
  agentActions,
  agentAlert,
  agentClock,
  agentCommand,
  agentCountText,
  agentFacts,
  agentSearchText,
  agentsOnCall,
  arranged,
  callsPerHourInput,
  callActions,
  callClock,
  callCountText,
  callFacts,
  callOrder,
  conversationFigures,
  dayLine,
  dispositionText,
  emptyView,
  MONITOR_MODES,
  monitorCommand,
  monitorView,
  isLive as isLiveView,
  isSupervisor,
  keepsSubscription,
  lanes,
  matchesFilter,
  moveCommand,
  nextStaffingRequest,
  notLive,
  oldestWait,
  phoneBadge,
  priorityCommand,
  queueAlert,
  queueFigures,
  reduce,
  reset,
  routesConversations,
  serviceLevel,
  signedIn,
  STAFFING_REFRESH_SECS,
  DAYS_REFRESH_SECS,
  staffingAnswered,
  staffingAsked,
  staffingDue,
  staffingFailed,
  staffingQueues,
  staffingView,
  statsLane,
  subscribeFailed,
  subscribed,
  subscribing,
  tickerCommand,
  tickerView,
  createDisplayCommand,
  displayLink,
  displaysView,
  revokeDisplayCommand,
  withDisplays,
  ariaSort,
  nextSort,
  sortAgents,
  sortCalls,
  sortFromStorage,
  channelName,
  totalsChannelId,
  whatIfChanged,
  whatIfStepped,
  withAgentsToday,
} from "./supervisor-state.js";
import { announce, byRole, everySecond, fill, h, showConnection, signInForm, stateLabel, webStorage } from "./ui.js";

const TOKEN_KEY = "acdhub.supervisor.token";
const MAX_ALERTS = 3;
/** Where the page keeps each table's sort (`acdhub.supervisor.sort.agents`, `.calls`), across reloads. */
const SORT_KEY = "acdhub.supervisor.sort.";

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
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

function hintFor(code, t) {
  switch (code) {
    case "not_logged_in":
    case "agent_not_busy":
    case "no_pending_state":
    case "not_waiting":
    case "unknown_call":
      return t("hint.movedOn");
    case "offline":
    case "connection_lost":
      return t("hint.offline");
    case "forbidden":
      return t("hint.forbidden");
    default:
      return "";
  }
}

/** Starts the supervisor's console on the page that loaded it. */
export function start() {
  const t = pageTranslator(SUPERVISOR_MESSAGES);
  localize(document, t);

  const ui = {
    connection: byRole("connection"),
    who: byRole("who"),
    signOut: byRole("sign-out"),
    form: byRole("sign-in"),
    console: byRole("console"),
    alerts: byRole("alerts"),
    notSupervisor: byRole("not-supervisor"),
    stale: byRole("stale"),
    panels: [byRole("ticker-panel"), byRole("displays-panel"), byRole("queues-panel"), byRole("agents-panel"), byRole("calls-panel")],
    displayForm: byRole("display-form"),
    displayName: byRole("display-name"),
    displayCreate: byRole("display-create"),
    displayMade: byRole("display-made"),
    displayLink: byRole("display-link"),
    displays: byRole("displays"),
    displaysEmpty: byRole("displays-empty"),
    tickerForm: byRole("ticker-form"),
    tickerText: byRole("ticker-text"),
    tickerSet: byRole("ticker-set"),
    tickerClear: byRole("ticker-clear"),
    tickerCurrent: byRole("ticker-current"),
    tickerLine: byRole("ticker-line"),
    statsAt: byRole("stats-at"),
    queuesTable: byRole("queues-table"),
    queues: byRole("queues"),
    totals: byRole("totals"),
    staffingSection: byRole("staffing-section"),
    staffing: byRole("staffing"),
    agents: byRole("agents"),
    agentCount: byRole("agent-count"),
    agentFilter: byRole("agent-filter"),
    agentsEmpty: byRole("agents-empty"),
    calls: byRole("calls"),
    callCount: byRole("call-count"),
    callsEmpty: byRole("calls-empty"),
    announcer: byRole("announcer"),
    sortButtons: [...document.querySelectorAll("button[data-sort-table]")],
  };
  languageSwitch(byRole("language"), t);

  const client = new Client({ tokenStore: webStorage("session"), tokenKey: TOKEN_KEY });

  /** What the console knows (supervisor-state.js). */
  let view = emptyView();

  /**
   * The rows drawn for the view, by id (a queue's, by lane key; a queue's staffing, by queue id):
   * their cells and controls.
   */
  const rows = { agents: new Map(), queues: new Map(), staffing: new Map(), calls: new Map(), totals: null };

  const isLive = () => isLiveView(view, client.state === State.LIVE);

  /** Each table's sort (`{key, descending}`, or null for its own order), kept in the page's storage. */
  const sortStore = webStorage("local");
  const sorts = {
    agents: sortFromStorage(sortStore?.getItem(`${SORT_KEY}agents`), "agents"),
    calls: sortFromStorage(sortStore?.getItem(`${SORT_KEY}calls`), "calls"),
  };

  // --- Alerts and announcements -------------------------------------------------------------

  /** Shows a refused action: what was tried, the protocol's error code and the server's words. */
  function showError(what, error) {
    const code = error?.code ?? "error";
    const notice = h(
      "div",
      { class: "notice error", dataset: { code } },
      h("strong", {}, t("failed", { what })),
      " ",
      h("code", { class: "error-code" }, code),
      " ",
      h("span", { class: "error-message" }, error?.message ?? String(error)),
      hintFor(code, t) ? h("span", { class: "error-hint" }, ` ${hintFor(code, t)}`) : null,
      h(
        "button",
        {
          type: "button",
          class: "dismiss",
          "aria-label": t("dismiss.label"),
          onclick: () => notice.remove(),
        },
        t("dismiss"),
      ),
    );
    ui.alerts.prepend(notice);
    while (ui.alerts.children.length > MAX_ALERTS) ui.alerts.lastElementChild.remove();
  }

  /** Sends a supervisor action; announces it when done, shows the refusal when refused. */
  async function act({ what, type, fields }) {
    try {
      await client.request(type, fields);
      announce(ui.announcer, t("done", { what }));
    } catch (error) {
      showError(what, error);
    }
  }

  // --- Building the tables ------------------------------------------------------------------

  /** Builds the rows for the tenant's agents and queues; keeps them when the lists did not change. */
  function buildStructure(session) {
    const before = view.structureKey;
    view = arranged(view, session);
    if (view.structureKey === before) return;

    rows.agents.clear();
    fill(ui.agents, (session.agents ?? []).map((agent) => buildAgentRow(agent, session)));
    rows.queues.clear();
    fill(ui.queues, lanes(view).map((lane) => buildQueueRow(lane)));
    // The columns of conversation figures, only where the tenant has a queue of conversations.
    const conversations = routesConversations(view);
    ui.queuesTable.dataset.conversations = conversations ? "yes" : "no";
    setText(ui.statsAt, t(conversations ? "queues.statsAtConversations" : "queues.statsAt"));
    rows.totals = buildTotalsRow();
    fill(ui.totals, rows.totals.tr);
    rows.staffing.clear();
    const voiceQueues = staffingQueues(view);
    fill(ui.staffing, voiceQueues.map(([id, name]) => buildStaffingRow(id, name)));
    ui.staffingSection.hidden = voiceQueues.length === 0;
    rows.calls.clear();
    fill(ui.calls);
    for (const id of rows.agents.keys()) renderAgent(id);
    for (const key of rows.queues.keys()) renderQueue(key);
    renderTotals();
    for (const id of rows.staffing.keys()) renderStaffing(id);
    for (const id of view.calls.keys()) renderCall(id);
    placeAgents();
    placeCalls();
    applyFilter();
  }

  function buildAgentRow({ id, name }, session) {
    const reasons = session.not_ready_reasons ?? [];
    const r = { id, name };
    r.state = h("span", { class: "state", "data-role": "state" }, "…");
    r.stateBy = h("span", { class: "sv-by", "data-role": "state-by" });
    r.time = h("span", { "data-role": "time" });
    r.timeExtra = h("span", { class: "sv-time-extra", "data-role": "time-extra" });
    r.reason = h("span", { class: "sv-reason", "data-role": "reason" });
    r.phone = h("span", { class: "sv-phone", "data-role": "phone", hidden: true });
    r.pending = h("td", { "data-role": "pending" });
    r.callSummary = h("span", { "data-role": "call-summary" });
    r.monitors = h("span", { class: "sv-monitors", "data-role": "monitors" });
    r.monitorMode = h(
      "select",
      { "aria-label": t("monitor.modeFor", { name }), "data-role": "monitor-mode" },
      MONITOR_MODES.map((mode) => h("option", { value: mode }, t(`monitor.mode.${mode}`))),
    );
    r.monitorJoin = h(
      "button",
      {
        type: "button",
        "aria-label": t("monitor.joinOf", { name }),
        "data-role": "monitor-join",
        onclick: () => act(monitorCommand(view, id, r.monitorMode.value, t)),
      },
      t("monitor.join"),
    );
    r.monitorLeave = h(
      "button",
      {
        type: "button",
        "aria-label": t("monitor.leaveOf", { name }),
        "data-role": "monitor-leave",
        onclick: () => act(monitorCommand(view, id, null, t)),
      },
      t("monitor.leave"),
    );
    r.monitor = h("div", { class: "row-actions sv-monitor", "data-role": "monitor", hidden: true }, r.monitorMode, r.monitorJoin, r.monitorLeave);
    r.call = h("td", { "data-role": "call", class: "call-cell" }, r.callSummary, r.monitors, r.monitor);
    r.queues = h("span", { class: "agent-queues", "data-role": "queues" });
    r.day = h("span", { class: "agent-day", "data-role": "day" });

    r.ready = h(
      "button",
      {
        type: "button",
        class: "good",
        "aria-label": t("agents.makeReady", { name }),
        onclick: () => act(agentCommand(view, id, "ready", undefined, t)),
      },
      stateLabel("ready", t),
    );
    r.reasonSelect = h(
      "select",
      { "aria-label": t("agents.reasonFor", { name }), "data-role": "reason-select" },
      reasons.map((reason) => h("option", { value: reason.id }, reason.name)),
    );
    r.notReady = h(
      "button",
      {
        type: "button",
        "aria-label": t("agents.makeNotReady", { name }),
        onclick: () => act(agentCommand(view, id, "not_ready", r.reasonSelect.value, t)),
      },
      stateLabel("not_ready", t),
    );
    r.logout = h(
      "button",
      {
        type: "button",
        class: "logout",
        "aria-label": t("agents.logOutOf", { name }),
        onclick: () => act(agentCommand(view, id, "logout", undefined, t)),
      },
      t("agents.logOut"),
    );
    r.pendingSelect = h(
      "select",
      { "aria-label": t("agents.pendingFor", { name }), "data-role": "pending-select" },
      h(
        "optgroup",
        { label: stateLabel("not_ready", t) },
        reasons.map((reason) => h("option", { value: `not_ready:${reason.id}` }, reason.name)),
      ),
      h("option", { value: "logged_out" }, t("agents.logOut")),
    );
    r.setPending = h(
      "button",
      {
        type: "button",
        "aria-label": t("agents.setPendingOf", { name }),
        onclick: () => act(agentCommand(view, id, "set_pending", r.pendingSelect.value, t)),
      },
      t("agents.set"),
    );
    r.clearPending = h(
      "button",
      {
        type: "button",
        "aria-label": t("agents.clearPendingOf", { name }),
        onclick: () => act(agentCommand(view, id, "clear_pending", undefined, t)),
      },
      t("agents.clear"),
    );
    r.nameCell = h(
      "th",
      { scope: "row", class: "agent-name", tabindex: "-1" },
      h("span", { class: "name" }, name),
      " ",
      h("span", { class: "agent-id" }, id),
      r.queues,
      r.day,
    );
    r.tr = h(
      "tr",
      { dataset: { agent: id } },
      r.nameCell,
      h("td", { class: "state-cell" }, r.state, r.reason, r.phone, r.stateBy),
      h("td", { class: "number sv-time" }, r.time, r.timeExtra),
      r.pending,
      r.call,
      h("td", { class: "actions-cell" }, h("div", { class: "row-actions" }, r.ready, r.reasonSelect, r.notReady, r.logout)),
      h("td", { class: "actions-cell" }, h("div", { class: "row-actions" }, r.pendingSelect, r.setPending, r.clearPending)),
    );
    rows.agents.set(id, r);
    return r.tr;
  }

  /** A lane's row: the queue's name, and its channel in the next cell (a queue's lanes share the name). */
  function buildQueueRow({ key, id, name, channel }) {
    const r = queueRowCells();
    r.lane = { key, id, channel };
    r.tr = h("tr", { dataset: { queue: id, channel } }, h("th", { scope: "row" }, name), r.channel, figureCells(r));
    rows.queues.set(key, r);
    return r.tr;
  }

  function buildTotalsRow() {
    const r = queueRowCells();
    r.tr = h("tr", { class: "totals", "data-role": "totals-row" }, h("th", { scope: "row" }, t("queues.total")), r.channel, figureCells(r));
    return r;
  }

  /**
   * A queue's staffing row: the agents its calls need and those working, what they get, and
   * the what-if (agents more or fewer, calls an hour) with what that would get.
   */
  function buildStaffingRow(id, name) {
    const r = { id, name, rateError: "", announce: false };
    r.headline = h("span", { class: "st-headline", "data-role": "staffing-headline" });
    r.dispositions = h("span", { class: "st-small st-dispositions", "data-role": "dispositions" });
    r.model = h("span", { class: "st-small", "data-role": "staffing-model" });
    r.refusal = h("span", { class: "st-small st-refusal", "data-role": "staffing-refusal" });
    r.expected = h("span", { class: "st-expected", "data-role": "staffing-expected" });
    r.expectedNote = h("span", { class: "st-small", "data-role": "staffing-expected-note" });
    r.fewer = h(
      "button",
      { type: "button", class: "st-step", "aria-label": t("staffing.fewer", { queue: name }), onclick: () => stepWhatIf(id, -1) },
      "−",
    );
    r.more = h(
      "button",
      { type: "button", class: "st-step", "aria-label": t("staffing.more", { queue: name }), onclick: () => stepWhatIf(id, 1) },
      "+",
    );
    r.delta = h("span", { class: "st-delta", "data-role": "what-if-delta" }, "+0");
    r.rate = h("input", {
      type: "number",
      min: "1",
      max: "100000",
      step: "any",
      inputmode: "decimal",
      "aria-label": t("staffing.rate", { queue: name }),
      "data-role": "what-if-calls",
      onchange: () => setRate(id),
    });
    r.whatIfLine = h("span", { class: "st-what-if-line", "data-role": "what-if-line" });
    r.whatIfNote = h("span", { class: "st-small", "data-role": "what-if-note" });
    r.form = h(
      "form",
      {
        class: "row-actions st-controls",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          setRate(id);
        },
      },
      h("span", { class: "st-label" }, t("staffing.whatIf")),
      r.fewer,
      r.delta,
      r.more,
      h("span", { class: "st-label" }, t("staffing.agentsLabel")),
      r.rate,
      h("span", { class: "st-label" }, t("staffing.callsLabel")),
    );
    r.tr = h(
      "tr",
      { dataset: { staffing: id, state: "waiting" } },
      h("th", { scope: "row" }, name, r.dispositions),
      h("td", { class: "st-needed" }, r.headline, r.model, r.refusal),
      h("td", { class: "st-now" }, r.expected, r.expectedNote),
      h("td", { class: "st-what-if" }, h("div", { class: "st-what-if-box" }, r.form, h("span", { class: "st-result" }, r.whatIfLine, r.whatIfNote))),
    );
    rows.staffing.set(id, r);
    return r.tr;
  }

  function figureCells(r) {
    return [
      r.waiting, r.oldest, r.ringing, r.ready, r.onCall, r.wrapUp, r.notReady, r.loggedIn,
      r.serviceLevel, r.answered, r.abandoned, r.asa, r.places, r.firstResponse,
    ];
  }

  function queueRowCells() {
    const cell = (role) => h("td", { class: "number", "data-role": role });
    return {
      channel: h("td", { class: "channel-cell", "data-role": "channel" }),
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
      places: h("td", { class: "number conversation-figure", "data-role": "places" }),
      firstResponse: h("td", { class: "conversation-figure first-response", "data-role": "first-response" }),
    };
  }

  function buildCallRow(id) {
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
      "aria-label": t("calls.priorityOf", { call: id }),
      "data-role": "priority-input",
    });
    r.prioritySet = h("button", { type: "submit", "aria-label": t("calls.setPriorityOf", { call: id }) }, t("calls.set"));
    r.priorityForm = h(
      "form",
      {
        class: "row-actions",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          const command = priorityCommand(id, r.priorityInput.value, t);
          if (command.error) {
            showError(command.what, command.error);
            r.priorityInput.focus();
            return;
          }
          act(command);
        },
      },
      r.priorityInput,
      r.prioritySet,
    );
    r.moveSelect = h("select", { "aria-label": t("calls.queueFor", { call: id }), "data-role": "move-select" });
    r.moveButton = h("button", { type: "submit", "aria-label": t("calls.moveCall", { call: id }) }, t("calls.move"));
    r.moveForm = h(
      "form",
      {
        class: "row-actions",
        onsubmit: (event) => {
          event.preventDefault();
          const command = moveCommand(view, id, r.moveSelect.value, t);
          if (command) act(command);
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

  // --- Rendering ----------------------------------------------------------------------------

  function renderAgent(id) {
    const r = rows.agents.get(id);
    if (!r) return;
    const facts = agentFacts(view, id, t);
    const actions = agentActions(view, id, isLive(), t);
    keepFocus(r.tr, () => {
      r.state.dataset.state = facts.state ?? "unknown";
      setText(r.state, facts.label);
      setText(r.stateBy, facts.by);
      r.tr.dataset.state = facts.state ?? "unknown";

      setText(r.reason, facts.reason);

      // The phone, when it keeps calls away; a change of it alone leaves the state and its clock.
      const phone = phoneBadge(view, id, t);
      setText(r.phone, phone?.label ?? "");
      if (r.phone.title !== (phone?.title ?? "")) r.phone.title = phone?.title ?? "";
      r.phone.hidden = phone === null;
      r.phone.dataset.device = phone?.device ?? "";
      r.tr.dataset.phone = phone?.device ?? "ok";

      if (facts.pending !== null) {
        fill(
          r.pending,
          h("span", { class: "sv-pending", "data-role": "pending-label" }, facts.pending),
          facts.pendingBy ? h("span", { class: "sv-by" }, facts.pendingBy) : null,
        );
      } else {
        fill(r.pending, h("span", { class: "sv-none" }, "–"));
      }
      r.tr.dataset.pending = facts.pending !== null ? "yes" : "no";

      fill(r.callSummary, callSummary(facts.call));
      // Who is on the agent's call, and this supervisor's way on or off it.
      const monitor = monitorView(view, id, isLive(), t);
      setText(r.monitors, monitor.text);
      r.monitor.hidden = !monitor.shown;
      r.monitorMode.disabled = !monitor.join;
      r.monitorJoin.disabled = !monitor.join;
      r.monitorLeave.disabled = !monitor.leave;
      if (monitor.mine && document.activeElement !== r.monitorMode) r.monitorMode.value = monitor.mine;
      setText(r.day, dayLine(view, id, t));
      setText(r.queues, facts.queues);
      if (r.queues.title !== facts.queues) r.queues.title = facts.queues;

      // A busy agent keeps its call: ready, not ready and log out then set what follows it.
      r.ready.disabled = !actions.ready.enabled;
      r.reasonSelect.disabled = !actions.reason.enabled;
      r.notReady.disabled = !actions.not_ready.enabled;
      r.logout.disabled = !actions.logout.enabled;
      r.pendingSelect.disabled = !actions.pending.enabled;
      r.setPending.disabled = !actions.set_pending.enabled;
      r.clearPending.disabled = !actions.clear_pending.enabled;
      r.ready.title = actions.ready.title;
      r.notReady.title = actions.not_ready.title;
      r.logout.title = actions.logout.title;
    }, r.nameCell);
    tickAgent(r);
    r.filterText = agentSearchText(view, id, t);
    if (ui.agentFilter.value) filterRow(r);
  }

  function callSummary(call) {
    if (!call) return h("span", { class: "sv-none" }, "–");
    return h(
      "span",
      { class: "call-summary" },
      h(
        "span",
        { class: "call-line" },
        h("code", { class: "call-ref" }, call.id),
        call.caller ? h("span", { class: "sv-caller" }, call.caller) : null,
        call.onHold ? h("span", { class: "sv-flag sv-hold" }, t("onHold")) : null,
      ),
      call.queue ? h("span", { class: "queue-name" }, call.queue) : null,
    );
  }

  function renderAgentsWithCall(callId) {
    for (const id of agentsOnCall(view, callId)) renderAgent(id);
  }

  function tickAgent(r) {
    const now = client.serverNow();
    const clock = agentClock(view, r.id, now, t);
    setText(r.time, clock.time);
    setText(r.timeExtra, clock.extra);
    // Too long in a state ([tenants.alerts]): the row is highlighted, its title says why.
    const alert = agentAlert(view, r.id, now, t);
    const kind = alert?.kind ?? "none";
    if (r.tr.dataset.alert !== kind) r.tr.dataset.alert = kind;
    if (r.tr.title !== (alert?.words ?? "")) r.tr.title = alert?.words ?? "";
  }

  /**
   * A row's figures from `stats`: a queue's, or the totals'. `channel` is what it routes,
   * `conversations` a queue of conversations' own figures (null for calls and the totals).
   */
  function fillFigures(r, stats, { channel, conversations = null, target = null, thresholdSecs = null }) {
    const figures = queueFigures(stats, t);
    setText(r.channel, channelName(channel, t));
    r.tr.dataset.channel = channel;
    setText(r.waiting, figures.waiting);
    setText(r.ringing, figures.ringing);
    setText(r.ready, figures.ready);
    setText(r.onCall, figures.onCall);
    setText(r.wrapUp, figures.wrapUp);
    setText(r.notReady, figures.notReady);
    setText(r.loggedIn, figures.loggedIn);
    setText(r.answered, figures.answered);
    setText(r.abandoned, figures.abandoned);
    setText(r.asa, figures.asa);
    r.waiting.dataset.level = figures.level;
    const interval = stats?.interval?.service_level_percent ?? null;
    renderServiceLevel(r.serviceLevel, serviceLevel(stats?.today?.service_level_percent ?? null, target, thresholdSecs, t, interval));
    renderConversationFigures(r, conversations);
    tickOldest(r, stats);
  }

  /** A queue of conversations' places and first response; "–" for calls and the totals. */
  function renderConversationFigures(r, figures) {
    if (!figures) {
      fill(r.places, h("span", { class: "sv-none" }, "–"));
      fill(r.firstResponse, h("span", { class: "sv-none" }, "–"));
      return;
    }
    fill(r.places, h("span", {}, figures.places), figures.holding ? h("span", { class: "sv-note" }, figures.holding) : null);
    fill(
      r.firstResponse,
      h("span", { class: "sl-value" }, figures.firstResponse),
      figures.firstResponseNote ? h("span", { class: "sl-target" }, figures.firstResponseNote) : null,
    );
  }

  function renderServiceLevel(cell, level) {
    cell.dataset.sl = level.sl;
    if (cell.dataset.key === level.key) return;
    cell.dataset.key = level.key;
    fill(
      cell,
      h(
        "span",
        { class: "sl" },
        h("span", { class: "sl-value" }, level.value),
        level.verdict ? h("span", { class: "sl-verdict" }, level.verdict) : null,
      ),
      level.target !== null ? h("span", { class: "sl-target" }, level.target) : null,
      level.interval ? h("span", { class: "sl-interval", "data-role": "sl-interval", title: t("serviceLevel.interval.title") }, level.interval) : null,
    );
  }

  function tickOldest(r, stats) {
    const now = client.serverNow();
    setText(r.oldest, oldestWait(stats, now));
    // A queue past its own levels (thresholds; the totals have none but the wait's).
    const alert = queueAlert(view, r.lane?.id ?? null, stats, now);
    if (r.tr.dataset.alert !== alert) r.tr.dataset.alert = alert;
  }

  /** A lane's row (`key` is its lane's, `laneKey`). */
  function renderQueue(key) {
    const r = rows.queues.get(key);
    if (!r) return;
    const stats = view.queueStats.get(key);
    const staffing = rows.staffing.get(r.lane.id);
    if (staffing && r.lane.channel === "voice") setText(staffing.dispositions, dispositionText(view, r.lane.id, stats, t));
    const channel = r.lane.channel;
    fillFigures(r, stats, {
      channel,
      conversations: conversationFigures(stats, channel, t),
      target: stats?.service_level?.target_percent,
      thresholdSecs: stats?.service_level?.threshold_secs,
    });
  }

  function renderTotals() {
    if (!rows.totals) return;
    fillFigures(rows.totals, view.tenantStats, { channel: totalsChannelId(view) });
  }

  /** A queue's staffing row, from its answers and its what-if. */
  function renderStaffing(id) {
    const r = rows.staffing.get(id);
    if (!r) return;
    const shown = staffingView(view, id, isLive(), t);
    keepFocus(r.tr, () => {
      r.tr.dataset.state = shown.state;
      r.tr.dataset.unavailable = shown.unavailable ?? "";
      setText(r.headline, shown.headline);
      setText(r.model, shown.model ?? "");
      if (r.model.title !== shown.modelTitle) r.model.title = shown.modelTitle;
      setText(r.refusal, shown.refusal);
      setText(r.expected, shown.expected ?? "–");
      r.expected.classList.toggle("sv-none", shown.expected === null);
      setText(r.expectedNote, shown.expectedNote);
      setText(r.delta, shown.delta);
      r.fewer.disabled = !shown.fewer;
      r.more.disabled = !shown.more;
      r.rate.disabled = !shown.rate;
      if (r.rate.placeholder !== shown.ratePlaceholder) r.rate.placeholder = shown.ratePlaceholder;
      if (r.rateError) {
        setText(r.whatIfLine, r.rateError);
        setText(r.whatIfNote, "");
        r.whatIfLine.dataset.current = "error";
      } else if (shown.whatIf) {
        setText(r.whatIfLine, shown.whatIf.line);
        setText(r.whatIfNote, shown.whatIf.note);
        r.whatIfLine.dataset.current = shown.whatIf.current ? "yes" : "no";
      } else {
        setText(r.whatIfLine, shown.whatIfHint);
        setText(r.whatIfNote, "");
        r.whatIfLine.dataset.current = "hint";
      }
    }, r.tr.querySelector("th"));
    // A what-if the supervisor just changed is read out once its answer is in.
    if (r.announce && shown.whatIf?.current) {
      r.announce = false;
      announce(ui.announcer, `${r.name}: ${shown.whatIf.line}.`);
    }
  }

  function renderCall(id) {
    const facts = callFacts(view, id, t);
    if (!facts) return;
    const r = rows.calls.get(id) ?? buildCallRow(id);
    const actions = callActions(view, id, isLive());
    keepFocus(r.tr, () => {
      r.tr.dataset.status = facts.status;
      r.status.dataset.status = facts.status;
      setText(r.status, facts.statusText);
      if (facts.onHold) r.status.append(h("span", { class: "sv-flag sv-hold" }, t("onHold")));
      fill(
        r.queue,
        h("span", { class: "queue-name" }, facts.queue),
        facts.queueNote ? h("span", { class: "sv-note" }, facts.queueNote) : null,
        facts.movedBy ? h("span", { class: "sv-by" }, facts.movedBy) : null,
      );
      setText(r.caller, facts.caller);
      setText(r.agent, facts.agent);
      fill(r.priority, h("span", {}, facts.priority), facts.priorityBy ? h("span", { class: "sv-by" }, facts.priorityBy) : null);

      if (document.activeElement !== r.priorityInput) r.priorityInput.value = facts.priority;
      r.priorityInput.disabled = !actions.priority.enabled;
      r.prioritySet.disabled = !actions.priority.enabled;

      const others = actions.moveTargets;
      const optionsKey = others.map(([queue]) => queue).join(",");
      if (r.moveSelect.dataset.options !== optionsKey) {
        const chosen = r.moveSelect.value;
        fill(r.moveSelect, others.map(([queue, name]) => h("option", { value: queue }, name)));
        if (others.some(([queue]) => queue === chosen)) r.moveSelect.value = chosen;
        r.moveSelect.dataset.options = optionsKey;
      }
      r.moveSelect.disabled = !actions.move.enabled;
      r.moveButton.disabled = !actions.move.enabled;
    }, r.tr.querySelector("th"));
    tickCall(r);
  }

  function tickCall(r) {
    const clock = callClock(view, r.id, client.serverNow());
    setText(r.inQueue, clock.inQueue);
    setText(r.total, clock.total);
  }

  /**
   * Puts the rows of `body` in the order of `ids` (rows from `byId`), moving only those out of
   * place: the rows are kept, never rebuilt. Moving a row can take the focus from a control in
   * it: it is given back.
   */
  function placeRows(body, byId, ids) {
    const active = document.activeElement;
    let index = 0;
    for (const id of ids) {
      const r = byId.get(id);
      if (!r) continue;
      const at = body.children[index];
      if (at !== r.tr) body.insertBefore(r.tr, at ?? null);
      index += 1;
    }
    if (active && active.isConnected && document.activeElement !== active && body.contains(active)) {
      active.focus({ preventScroll: true });
    }
  }

  /** Puts the agent rows in the order of the Agents' sort (the roster's without one). */
  function placeAgents() {
    placeRows(ui.agents, rows.agents, sortAgents(view, [...rows.agents.keys()], sorts.agents, client.serverNow()));
  }

  /** Puts the call rows in order: the Calls' sort, else waiting first (highest priority, then longest wait), then the rest. */
  function placeCalls() {
    placeRows(ui.calls, rows.calls, sortCalls(view, sorts.calls, client.serverNow()).map((call) => call.call));
    setText(ui.callCount, callCountText(view, t));
    ui.callsEmpty.hidden = view.calls.size > 0;
  }

  /** Shows each sortable column's sort: `aria-sort` on its header, the button's title. */
  function showSorts() {
    for (const button of ui.sortButtons) {
      const { sortTable: table, sortKey: key } = button.dataset;
      const th = button.closest("th");
      const sorted = ariaSort(sorts[table], key);
      if (sorted) th.setAttribute("aria-sort", sorted);
      else th.removeAttribute("aria-sort");
      button.title = sorted
        ? t("sort.sorted", { column: button.textContent, direction: t(`sort.${sorted}`) })
        : t("sort.by", { column: button.textContent });
    }
  }

  /** A click on a sortable header: sort by it, or the other way round; kept across reloads. */
  function sortBy(table, key, label) {
    sorts[table] = nextSort(sorts[table], key);
    try {
      sortStore?.setItem(`${SORT_KEY}${table}`, JSON.stringify(sorts[table]));
    } catch {
      // Storage full or refused: the sort holds for this page only.
    }
    showSorts();
    if (table === "agents") placeAgents();
    else placeCalls();
    announce(ui.announcer, t(`sort.${table}`, { column: label, direction: t(`sort.${ariaSort(sorts[table], key)}`) }));
  }

  for (const button of ui.sortButtons) {
    button.addEventListener("click", () => sortBy(button.dataset.sortTable, button.dataset.sortKey, button.textContent));
  }
  showSorts();

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

  /** Removes the rows of calls the view no longer has. */
  function dropEndedCalls() {
    for (const id of [...rows.calls.keys()]) if (!view.calls.has(id)) removeCall(id);
    placeCalls();
  }

  // --- Staffing: what_if, one ask at a time per queue ----------------------------------------

  let staffingTicket = 0;
  let staffingTimer = null;

  /** Sends queue `id`'s next what_if, if one is wanted and none is in flight, while live. */
  function askStaffing(id) {
    if (!isLive()) return;
    const request = nextStaffingRequest(view, id);
    if (!request) return;
    const ticket = ++staffingTicket;
    view = staffingAsked(view, id, request, ticket);
    client.request("what_if", request.fields).then(
      (answer) => {
        view = staffingAnswered(view, id, ticket, answer);
        renderStaffing(id);
        askStaffing(id);
      },
      (error) => {
        view = staffingFailed(view, id, ticket, error);
        renderStaffing(id);
        if (error.code !== "connection_lost" && error.code !== "offline") askStaffing(id);
      },
    );
  }

  /** Asks every queue's staffing now, and again every STAFFING_REFRESH_SECS while live. */
  function startStaffing() {
    const refresh = () => {
      if (!isLive()) return;
      view = staffingDue(view);
      for (const id of rows.staffing.keys()) askStaffing(id);
    };
    refresh();
    staffingTimer ??= setInterval(refresh, STAFFING_REFRESH_SECS * 1000);
  }

  function stopStaffing() {
    clearInterval(staffingTimer);
    staffingTimer = null;
    clearInterval(daysTimer);
    daysTimer = null;
  }

  /**
   * Every agent's day so far (`agents_today`, page by page), now and every DAYS_REFRESH_SECS
   * while live; a page that fails leaves the days shown as they were until the next round.
   */
  let daysTimer = null;
  async function loadDays() {
    if (!isLive()) return;
    let after;
    try {
      do {
        const page = await client.request("agents_today", after ? { after, limit: 500 } : { limit: 500 });
        view = withAgentsToday(view, page);
        for (const day of page.agents) {
          const r = rows.agents.get(day.agent);
          if (r) setText(r.day, dayLine(view, day.agent, t));
        }
        after = page.next;
      } while (after);
    } catch {
      // Offline or refused: the next round asks again.
    }
  }
  function startDays() {
    void loadDays();
    daysTimer ??= setInterval(() => void loadDays(), DAYS_REFRESH_SECS * 1000);
  }

  function stepWhatIf(id, step) {
    view = whatIfStepped(view, id, step);
    whatIfSet(id);
  }

  function setRate(id) {
    const r = rows.staffing.get(id);
    if (!r) return;
    const typed = callsPerHourInput(r.rate.value, t);
    r.rateError = typed.error ?? "";
    if (!typed.error) view = whatIfChanged(view, id, { callsPerHour: typed.value });
    whatIfSet(id);
  }

  function whatIfSet(id) {
    const r = rows.staffing.get(id);
    if (r) r.announce = true;
    renderStaffing(id);
    askStaffing(id);
  }

  // --- Filter -------------------------------------------------------------------------------

  function filterRow(r) {
    r.tr.hidden = !matchesFilter(r.filterText, ui.agentFilter.value);
  }

  function applyFilter() {
    for (const r of rows.agents.values()) filterRow(r);
    summarizeAgents();
  }

  function summarizeAgents() {
    const ids = [...rows.agents.keys()];
    const shown = [...rows.agents.values()].filter((r) => !r.tr.hidden).length;
    setText(ui.agentCount, agentCountText(view, ids, shown, t));
    ui.agentsEmpty.hidden = shown > 0 || ids.length === 0;
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

  // --- The message on the wallboards ---------------------------------------------------------

  /** Shows the message on the wallboards and who set it; Set and Clear only while live. */
  function renderTicker() {
    const shown = tickerView(view, isLive(), t);
    setText(ui.tickerCurrent, shown.text);
    ui.tickerCurrent.hidden = shown.text === "";
    setText(ui.tickerLine, shown.line);
    keepFocus(ui.tickerForm, () => {
      ui.tickerSet.disabled = !shown.set;
      ui.tickerClear.disabled = !shown.clear;
    }, ui.tickerText);
  }

  /** Sends the typed message (a blank one clears it); what was typed stays if it is refused. */
  async function setTicker(text) {
    const command = tickerCommand(text, t);
    try {
      await client.request(command.type, command.fields);
      announce(ui.announcer, t("done", { what: command.what }));
      ui.tickerText.value = "";
    } catch (error) {
      showError(command.what, error);
    }
  }

  ui.tickerForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (isLive()) void setTicker(ui.tickerText.value);
  });
  ui.tickerClear.addEventListener("click", () => {
    if (isLive()) void setTicker("");
  });

  // --- Displays ------------------------------------------------------------------------------

  /** Lists the displays; Create and Revoke only while live. */
  function renderDisplays() {
    const shown = displaysView(view, isLive(), t);
    keepFocus(ui.displays.closest("section"), () => {
      fill(
        ui.displays,
        shown.rows.map((row) =>
          h(
            "tr",
            { dataset: { display: row.name } },
            h("th", { scope: "row" }, row.name),
            h("td", {}, row.made),
            h(
              "td",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "logout",
                  disabled: !row.revoke,
                  "aria-label": t("displays.revokeLabel", { name: row.name }),
                  onclick: () => void changeDisplays(revokeDisplayCommand(row.name, t)),
                },
                t("displays.revoke"),
              ),
            ),
          ),
        ),
      );
      ui.displayCreate.disabled = !shown.create;
    }, ui.displayName);
    ui.displaysEmpty.hidden = !shown.empty;
  }

  /** Reads the displays again (after the subscription, and after each change made here). */
  async function loadDisplays() {
    try {
      // Awaited first: `view` read before the await would be the view of before the request,
      // and everything that changed meanwhile (the staffing's answers, a what-if) would be lost.
      const displays = await client.request("list_displays");
      view = withDisplays(view, displays);
      renderDisplays();
    } catch (error) {
      if (error.code !== "connection_lost" && error.code !== "offline") showError(t("do.readDisplays"), error);
    }
  }

  /** Creates or revokes a display; a new one's link is shown, this once. */
  async function changeDisplays(command) {
    ui.displayMade.hidden = true;
    ui.displayLink.value = "";
    try {
      const result = await client.request(command.type, command.fields);
      announce(ui.announcer, t("done", { what: command.what }));
      if (result?.token) {
        ui.displayLink.value = displayLink(location.origin, result.token);
        ui.displayLink.setAttribute("aria-label", t("displays.linkLabel", { name: result.name }));
        ui.displayMade.hidden = false;
        ui.displayName.value = "";
      }
    } catch (error) {
      showError(command.what, error);
    }
    await loadDisplays();
  }

  ui.displayForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (isLive()) void changeDisplays(createDisplayCommand(ui.displayName.value, t));
  });

  // --- Live, stale, rebuilding --------------------------------------------------------------

  function renderView() {
    const live = isLive();
    let mode = "live";
    if (!live) mode = client.state === State.LIVE ? "rebuilding" : "stale";
    ui.console.dataset.view = mode;
    for (const panel of ui.panels) panel.setAttribute("aria-busy", String(!live));
    if (mode === "live") {
      ui.stale.hidden = true;
    } else {
      const asOf = view.liveAt !== null ? t("view.asOf", { time: t.time(view.liveAt) }) : "";
      const text = t(mode === "rebuilding" ? "view.rebuilding" : "view.stale", { asOf });
      setText(ui.stale, text);
      ui.stale.hidden = !isSupervisor(view) && view.session !== null;
    }
    for (const id of rows.agents.keys()) renderAgent(id);
    for (const id of rows.staffing.keys()) renderStaffing(id);
    for (const id of rows.calls.keys()) renderCall(id);
    placeAgents();
    summarizeAgents();
    renderTicker();
    renderDisplays();
  }

  // --- The session --------------------------------------------------------------------------

  function subscribe(session) {
    view = subscribing(view);
    client.request("subscribe").then(
      () => {
        if (client.session !== session) return;
        view = subscribed(view, Date.now());
        renderView();
        startStaffing();
        startDays();
        void loadDisplays();
        announce(ui.announcer, t("view.live"));
      },
      (error) => {
        if (client.session !== session) return;
        view = subscribeFailed(view);
        if (error.code === "forbidden") showNotSupervisor(session);
        else if (error.code !== "connection_lost" && error.code !== "offline") showError(t("do.subscribe"), error);
      },
    );
  }

  function showNotSupervisor(session) {
    ui.notSupervisor.textContent = t("view.notSupervisor", { user: session.user, role: session.role });
    ui.notSupervisor.hidden = false;
    for (const panel of ui.panels) panel.hidden = true;
    ui.stale.hidden = true;
  }

  client.addEventListener("reset", () => {
    // The snapshot re-sends every call; one that ended meanwhile must not linger.
    view = reset(view);
    dropEndedCalls();
    renderView();
  });

  client.addEventListener("session", (event) => {
    const session = event.detail;
    view = signedIn(view, session);
    ui.who.textContent = `${session.user} · ${session.tenant}`;
    ui.signOut.hidden = false;
    ui.console.hidden = false;
    if (!isSupervisor(view)) {
      showNotSupervisor(session);
      return;
    }
    ui.notSupervisor.hidden = true;
    for (const panel of ui.panels) panel.hidden = false;
    // A resumed session keeps its subscription: what changed meanwhile came with the resume.
    if (keepsSubscription(view, session)) {
      renderView();
      startStaffing();
      return;
    }
    // The AuthResult names no agent to a supervisor: the roster comes in pages, then the
    // subscription, whose snapshot fills the rows.
    void loadRoster(session).then((agents) => {
      if (client.session !== session) return;
      buildStructure({ ...session, agents });
      renderView();
      subscribe(session);
    });
  });

  /**
   * The tenant's agents, page by page (`agentPages`). A refusal is shown and the console goes on
   * with the agents read so far; a connection lost meanwhile brings a new session, which reads
   * them again.
   */
  async function loadRoster(session) {
    const agents = [];
    try {
      for await (const page of agentPages(client)) {
        agents.push(...page.map(({ id, name }) => ({ id, name })));
      }
    } catch (error) {
      const lost = error.code === "connection_lost" || error.code === "offline";
      if (client.session === session && !lost) showError(t("do.readAgents"), error);
    }
    return agents;
  }

  client.addEventListener("state", (event) => {
    const { state } = event.detail;
    if (state === State.RECONNECTING && view.subscribed) {
      announce(ui.announcer, t("view.lost"));
    }
    if (client.state !== State.LIVE) {
      view = notLive(view);
      stopStaffing();
    }
    if (!ui.console.hidden) renderView();
  });

  client.addEventListener("event", (event) => {
    const message = event.detail;
    const next = reduce(view, message);
    if (next === view) return;
    view = next;
    switch (message.type) {
      case "agent_state":
        renderAgent(message.agent);
        if (sorts.agents) placeAgents();
        summarizeAgents();
        break;
      case "pending_state":
        renderAgent(message.agent);
        break;
      case "call_state":
        renderCall(message.call);
        placeCalls();
        renderAgentsWithCall(message.call);
        break;
      case "call_left":
        removeCall(message.call);
        placeCalls();
        renderAgentsWithCall(message.call);
        break;
      case "queue_stats":
        renderQueue(statsLane(message));
        break;
      case "tenant_stats":
        renderTotals();
        break;
      case "monitoring":
        renderAgent(message.agent);
        break;
      case "ticker":
        renderTicker();
        break;
      default:
        break;
    }
  });

  // --- Clocks -------------------------------------------------------------------------------

  everySecond(() => {
    if (ui.console.hidden) return;
    for (const r of rows.agents.values()) tickAgent(r);
    for (const [key, r] of rows.queues) tickOldest(r, view.queueStats.get(key));
    if (rows.totals) tickOldest(rows.totals, view.tenantStats);
    for (const [id, r] of rows.calls) if (view.calls.has(id)) tickCall(r);
  });

  // --- Signing in and out -------------------------------------------------------------------

  function forgetView() {
    stopStaffing();
    view = emptyView();
    rows.agents.clear();
    rows.queues.clear();
    rows.staffing.clear();
    rows.calls.clear();
    rows.totals = null;
    fill(ui.agents);
    fill(ui.queues);
    fill(ui.staffing);
    ui.staffingSection.hidden = true;
    fill(ui.totals);
    fill(ui.calls);
    fill(ui.alerts);
    ui.agentFilter.value = "";
    ui.tickerText.value = "";
    renderTicker();
    ui.displayName.value = "";
    ui.displayLink.value = "";
    ui.displayMade.hidden = true;
    renderDisplays();
    ui.notSupervisor.hidden = true;
    for (const panel of ui.panels) panel.hidden = false;
    placeCalls();
    summarizeAgents();
  }

  showConnection(client, ui.connection, t);
  setText(ui.statsAt, t("queues.statsAt"));

  const signIn = signInForm(
    client,
    ui.form,
    (visible) => {
      ui.console.hidden = visible;
      if (visible) {
        ui.signOut.hidden = true;
        ui.who.textContent = "";
      }
    },
    undefined,
    t,
  );

  ui.signOut.addEventListener("click", () => {
    client.stop({ forget: true });
    forgetView();
    ui.form.reset();
    signIn.show();
    announce(ui.announcer, t("view.signedOut"));
  });

  if (client.hasToken()) {
    ui.console.hidden = false;
    renderView();
    client.start();
  } else {
    signIn.show();
  }
}
