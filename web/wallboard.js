// wallboard.js: the wallboard, for a TV on the wall. A tile per queue (and one for the tenant's
// totals) with the calls waiting, the longest wait ticking live, today's service level against
// its target, answered and abandoned calls, and the agents by state. A queue of conversations
// (a chat queue) wears its channel's badge, counts conversations accepted, and shows its
// conversation figures too: first response against its threshold, the average first response,
// the places its agents staff and hold now, concurrency and occupancy by capacity. A queue
// serving several channels has a tile per lane, side by side, each wearing its channel's badge
// ("voice", "chat") and counting its own work. Nothing needs a keyboard or a mouse once it is
// signed in, and it comes back by itself after a network drop or a server restart.
//
// The address says what to show:
//   /wallboard                              every queue of the tenant, in the tenant's order
//   /wallboard?queues=support,sales         those queues (each with all its lanes), in that order
//   /wallboard?queues=support&total=off     without the "All queues" tile
//   /wallboard?queues=a,b,c,d,e,f,g&rotate=20
//                                           more queues than fit one screen at the sizes a
//                                           room can read (wallboard-state.js's `layout`): in
//                                           pages, each shown 20 s (15 s by default), the
//                                           "All queues" tile on every page
//   /wallboard?staffing=on                  each call tile also says how many agents its
//                                           service-level target needs against how many work
//                                           it (the `what_if` of protocol.md, every minute)
//   /wallboard?queues=support#display=d1.…   a kiosk display's link, from the supervisor's
//                                           console: signs in without a keyboard (see below)
//
// Signing in. A TV on the wall has no keyboard: a supervisor makes it a display on the console
// (`create_display`), whose link carries the display's token in the address's fragment (the
// part after `#` never reaches the server, nor its logs, nor a proxy's). The page takes it,
// keeps the token alone in localStorage and removes the fragment from the address bar; it signs
// in with it at every load and after a server restart, as a wallboard and nothing more, until a
// supervisor revokes the display: then the page says so and forgets the token. No password is
// ever kept: the sign-in form (a wallboard or supervisor user, for a screen someone looks
// after) signs in for as long as the tab is open (its session token in sessionStorage), and
// `#user=...&password=...` in the address does the same for this load only. Any other role is
// refused by the server (`forbidden`) and the page says so.
//
// A supervisor's message to the floor (the ticker) runs in a band along the bottom while one is
// set; the tiles make room for it.
//
// What the board shows comes from wallboard-state.js (the tiles, their figures, whether they
// are live, the ticker); this module draws it, in English or German (i18n.js; every text is in
// wallboard-messages.js). Importing it does nothing: wallboard-main.js calls `start()`.

import { Client, State } from "./acdhub.js";
import { languageSwitch, localize, pageTranslator } from "./i18n.js";
import { WALLBOARD_MESSAGES } from "./wallboard-messages.js";
import { byRole, everySecond, fill, h, showConnection, signInForm, webStorage } from "./ui.js";
import {
  clockNow,
  cssSizes,
  emptyView,
  isStale,
  keepsSubscription,
  layout,
  live,
  longestWait,
  nextPage,
  notLive,
  noteStale,
  pageIndicator,
  pageTiles,
  readAddress,
  reduce,
  screenScale,
  sharedTarget,
  signedIn,
  STAFFING_REFRESH_SECS,
  staffingLanes,
  staffingLine,
  statsLane,
  subscribed,
  subscription,
  tickerBand,
  tileFigures,
  withNotice,
  withStaffing,
} from "./wallboard-state.js";

export { readAddress, serviceLevelStanding } from "./wallboard-state.js";

/** Where the screen keeps its display's token (localStorage): the one credential it keeps. */
const DISPLAY_KEY = "acdhub.wallboard.display";
/** Where the session's token lives (sessionStorage: this tab, gone with it). */
const TOKEN_KEY = "acdhub.wallboard.token";
/** Where versions before displays kept a wallboard user's password (and, under TOKEN_KEY, its
 * session token) in localStorage: removed at every load. */
const OLD_CREDENTIALS_KEY = "acdhub.wallboard.credentials";

// --- Storage ----------------------------------------------------------------------------------

/** The screen's display token in `storage` (localStorage, or null: it lives in memory only). */
function keptDisplay(storage) {
  const attempt = (action) => {
    try {
      return action();
    } catch {
      // Storage disabled, full or refused: the token lives in memory for this load.
      return null;
    }
  };
  return {
    load: () => attempt(() => storage?.getItem(DISPLAY_KEY) ?? null),
    save: (token) => attempt(() => storage?.setItem(DISPLAY_KEY, token)),
    forget: () => attempt(() => storage?.removeItem(DISPLAY_KEY)),
    /** A password and token an older version of this page kept: no credential but the display's stays. */
    forgetOldSignIn: () =>
      attempt(() => {
        storage?.removeItem(OLD_CREDENTIALS_KEY);
        storage?.removeItem(TOKEN_KEY);
      }),
  };
}

// --- The address ------------------------------------------------------------------------------

/**
 * Credentials in the fragment, removed from the address bar: a display's token
 * (`#display=...`), or a user and password (`#user=...&password=...`, for this load only).
 */
function takeFragmentCredentials() {
  if (location.hash.length < 2) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("display") && !params.has("user") && !params.has("password")) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  const display = (params.get("display") ?? "").trim();
  if (display) return { display };
  const user = (params.get("user") ?? "").trim();
  const password = params.get("password") ?? "";
  return user && password ? { user, password } : null;
}

// --- Tiles ------------------------------------------------------------------------------------

/** The page's translator (`start`). */
let t = null;

/** One figure: a big value over its label. */
function figure(name, label) {
  const value = h("dd", { class: "value", dataset: { figure: name } }, "–");
  const labelElement = h("dt", { class: "label" }, label);
  const item = h("div", { class: `figure figure-${name}` }, labelElement, value);
  return { item, value, label: labelElement };
}

/** A figure of the agents' row: the agents in `state`, labelled short where need be, the state's full name its title. */
function agentsFigure(name, state) {
  const made = figure(name, t(`agents.short.${state}`));
  made.label.title = t(`state.${state}`);
  return made;
}

/** Sets an element's text, leaving it alone when it already says it. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/**
 * A tile: the figures of a queue's lane (`lane` is its `{key, id, name, channel}`), or the
 * tenant's totals (`lane` null). It shows what `tileFigures` and `longestWait` say.
 */
class Tile {
  constructor(lane, name = lane?.name) {
    this.lane = lane;

    const headingId = `tile-${lane?.key ?? "total"}-heading`;
    this.heading = h("h2", { class: "tile-name", id: headingId }, name);
    this.channel = h("span", { class: "channel", id: `${headingId}-channel`, dataset: { figure: "channel" }, hidden: true });

    this.waiting = figure("waiting", t("label.callsWaiting"));
    this.ringing = h("p", { class: "note", dataset: { figure: "ringing" } });
    this.oldest = figure("oldest", t("label.longestWait"));
    this.oldestNote = h("span", { class: "over", dataset: { figure: "oldest-note" } });
    this.oldest.item.querySelector("dt").append(this.oldestNote);

    this.slValue = h("dd", { class: "value", dataset: { figure: "service-level" } }, "–");
    this.slLabel = h("dt", { class: "label" }, t("label.serviceLevel"));
    this.slWord = h("p", { class: "standing", dataset: { figure: "service-level-state" } });
    this.slTarget = h("p", { class: "target", dataset: { figure: "service-level-target" } });
    this.slInterval = h("p", { class: "target interval", dataset: { figure: "service-level-interval" } });
    this.sl = h(
      "div",
      { class: "service-level", dataset: { standing: "none" } },
      h("dl", {}, h("div", { class: "figure" }, this.slLabel, this.slValue)),
      h("div", { class: "sl-words" }, this.slWord, this.slTarget, this.slInterval),
    );

    this.answered = figure("answered", t("label.answered"));
    this.abandoned = figure("abandoned", t("label.abandoned"));
    this.asa = figure("asa", t("label.asa"));

    this.ready = agentsFigure("ready", "ready");
    this.onCall = agentsFigure("on-call", "on_call");
    this.wrapUp = agentsFigure("wrap-up", "wrap_up");
    this.notReady = agentsFigure("not-ready", "not_ready");
    this.agentsNote = h("p", { class: "note", dataset: { figure: "logged-in" } });
    // With `&staffing=on`: the agents the queue's target needs against those working it.
    this.staffing = h("p", { class: "note staffing", dataset: { figure: "staffing", alert: "none" } });

    // A queue of conversations only: today's conversation figures and its places now.
    this.firstResponse = figure("first-response", t("label.firstResponse"));
    this.averageFirstResponse = figure("average-first-response", t("label.averageFirstResponse"));
    this.places = figure("places", t("label.places"));
    this.concurrency = figure("concurrency", t("label.concurrency"));
    this.capacityOccupancy = figure("capacity-occupancy", t("label.capacityUsed"));
    this.conversations = h(
      "div",
      { class: "conversations", role: "group", "aria-label": t("tile.conversationsToday"), hidden: true },
      // What a floor watches first (kept on a tile of the smallest size), then the rest.
      h("dl", { class: "row conversations-key" }, this.firstResponse.item, this.places.item),
      h("dl", { class: "row conversations-more" }, this.averageFirstResponse.item, this.concurrency.item, this.capacityOccupancy.item),
    );

    const dataset = lane === null ? { total: "" } : { queue: lane.id, channel: lane.channel };
    this.element = h(
      "article",
      { class: `tile${lane === null ? " tile-total" : ""}`, dataset, "aria-labelledby": `${headingId} ${headingId}-channel` },
      h(
        "div",
        { class: "tile-body" },
        h("div", { class: "tile-head" }, this.heading, this.channel),
        h(
          "div",
          { class: "hero" },
          h("dl", { class: "now" }, this.waiting.item, this.oldest.item),
          this.ringing,
        ),
        this.sl,
        h("dl", { class: "row today", "aria-label": t("tile.today") }, this.answered.item, this.abandoned.item, this.asa.item),
        this.conversations,
        h(
          "div",
          { class: "agents", role: "group", "aria-label": t("tile.agents") },
          h("dl", { class: "row" }, this.ready.item, this.onCall.item, this.wrapUp.item, this.notReady.item),
          this.agentsNote,
          this.staffing,
        ),
      ),
    );
  }

  /** Shows the figures of `tileFigures`. */
  update(figures) {
    if (figures.name) this.heading.textContent = figures.name;
    setText(this.channel, figures.badge);
    this.channel.hidden = figures.badge === "";
    if (figures.channel) this.element.dataset.channel = figures.channel;
    this.element.toggleAttribute("data-conversations", figures.conversations !== null);
    setText(this.waiting.label, figures.labels.waiting);
    setText(this.slLabel, figures.labels.serviceLevel);
    setText(this.answered.label, figures.labels.answered);
    setText(this.abandoned.label, figures.labels.abandoned);
    setText(this.asa.label, figures.labels.asa);
    this.waiting.value.textContent = figures.waiting;
    this.ringing.textContent = figures.ringing;
    this.sl.dataset.standing = figures.standing;
    this.slValue.textContent = figures.serviceLevel;
    this.slWord.textContent = figures.standingWords;
    this.slTarget.textContent = figures.target;
    this.answered.value.textContent = figures.answered;
    this.abandoned.value.textContent = figures.abandoned;
    this.waiting.item.dataset.alert = figures.waitingAlert;
    this.abandoned.item.dataset.alert = figures.abandonedAlert;
    if (this.abandoned.item.title !== figures.abandonedNote) this.abandoned.item.title = figures.abandonedNote;
    setText(this.slInterval, figures.interval);
    this.asa.value.textContent = figures.asa;
    this.ready.value.textContent = figures.ready;
    this.onCall.value.textContent = figures.onCall;
    this.wrapUp.value.textContent = figures.wrapUp;
    this.notReady.value.textContent = figures.notReady;
    this.agentsNote.textContent = figures.agents;
    setText(this.staffing, figures.staffing.text);
    this.staffing.dataset.alert = figures.staffing.alert;
    const conversations = figures.conversations;
    this.conversations.hidden = conversations === null;
    if (conversations) {
      setText(this.firstResponse.label, conversations.firstResponseLabel);
      setText(this.firstResponse.value, conversations.firstResponse);
      setText(this.averageFirstResponse.value, conversations.averageFirstResponse);
      setText(this.places.value, conversations.places);
      setText(this.concurrency.value, conversations.concurrency);
      setText(this.capacityOccupancy.value, conversations.capacityOccupancy);
    }
    this.element.dataset.waiting = String(figures.waitingCount);
    this.waiting.item.dataset.digits = String(figures.waiting.length);
  }

  /** Shows the longest wait of `longestWait`. */
  showWait({ text, alert, note }) {
    if (this.oldest.value.textContent !== text) this.oldest.value.textContent = text;
    if (this.oldestNote.textContent !== note) this.oldestNote.textContent = note;
    this.oldest.item.dataset.alert = alert;
  }
}

// --- The page ---------------------------------------------------------------------------------

/** Starts the wallboard on the page that loaded it. */
export function start() {
  t = pageTranslator(WALLBOARD_MESSAGES);
  localize(document, t);
  languageSwitch(byRole("language"), t);

  /** localStorage, or null where it is disabled (then the display's token lives in memory). */
  const kept = keptDisplay(webStorage("local"));
  kept.forgetOldSignIn();

  /** What the board knows (wallboard-state.js). */
  let view = emptyView(readAddress(location.search));

  // --- The board ----------------------------------------------------------------------------

  for (const [name, value] of Object.entries(cssSizes())) document.documentElement.style.setProperty(name, value);

  const board = {
    element: byRole("board"),
    notices: byRole("notices"),
    pageIndicator: byRole("page"),
    /** Tiles by lane key (`laneKey`), in the order shown, then the totals tile. */
    tiles: new Map(),
    total: null,
    /** The view's `key` the tiles were made for. */
    shownKey: null,
    /** How the tiles are laid out on this screen (`layout`), and the page showing. */
    layout: null,
    page: 0,
    /** The ticker's lines now (0: no band), which the layout makes room for. */
    tickerLines: 0,
  };

  const ticker = { band: byRole("ticker"), window: null, text: byRole("ticker-text") };
  ticker.window = ticker.text.parentElement;
  const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

  /**
   * Shows the view's ticker, or hides its band; measures it on one line to tell whether it fits
   * (`tickerBand`), then lays the tiles out again when its height changed.
   */
  function renderTicker() {
    const text = view.ticker?.text ?? "";
    setText(ticker.text, text);
    ticker.band.hidden = text === "";
    ticker.band.dataset.lines = "1";
    ticker.band.removeAttribute("data-scrolls");
    let lines = 0;
    if (text !== "") {
      const width = document.documentElement.clientWidth;
      const height = document.documentElement.clientHeight;
      const band = tickerBand({
        textWidth: ticker.text.offsetWidth,
        bandWidth: ticker.window.clientWidth,
        reducedMotion: reducedMotion.matches,
        scale: screenScale({ width, height }),
      });
      lines = band.lines;
      ticker.band.dataset.lines = String(lines);
      ticker.band.toggleAttribute("data-scrolls", band.scrolls);
      ticker.text.style.setProperty("--ticker-from", `${ticker.window.clientWidth}px`);
      ticker.text.style.setProperty("--ticker-to", `${-ticker.text.offsetWidth}px`);
      ticker.text.style.setProperty("--ticker-secs", `${band.secs.toFixed(1)}s`);
    }
    if (lines !== board.tickerLines) {
      board.tickerLines = lines;
      if (board.layout) renderLayout();
    }
  }
  reducedMotion.addEventListener("change", renderTicker);

  /** Lays the tiles out for the screen's size, and shows the page showing (the first if it is gone). */
  function renderLayout() {
    board.layout = layout({
      width: document.documentElement.clientWidth,
      height: document.documentElement.clientHeight,
      tiles: board.tiles.size,
      total: board.total !== null,
      tickerLines: board.tickerLines,
    });
    board.element.style.setProperty("--columns", String(board.layout.columns));
    board.element.style.setProperty("--rows", String(board.layout.rows));
    board.element.dataset.layout = board.layout.scrolling ? "scrolling" : `${board.layout.columns}x${board.layout.rows}`;
    showPage(board.page < board.layout.pages ? board.page : 0);
  }

  /** Shows page `page` of the tiles, and says which in the header. */
  function showPage(page) {
    board.page = page;
    const shown = new Set(pageTiles([...board.tiles.keys()], board.layout, page, board.total !== null));
    for (const [key, tile] of board.tiles) tile.element.hidden = !shown.has(key);
    board.element.dataset.page = String(page + 1);
    board.element.dataset.pages = String(board.layout.pages);
    const indicator = pageIndicator(page, board.layout.pages, t);
    board.pageIndicator.textContent = indicator;
    board.pageIndicator.hidden = indicator === "";
  }

  // The pages turn every `rotate` seconds; a new size of the screen lays the tiles out again.
  setInterval(() => {
    if (board.layout && board.layout.pages > 1) showPage(nextPage(board.page, board.layout.pages));
  }, view.address.rotateSecs * 1000);
  addEventListener("resize", () => {
    renderTicker();
    if (board.layout) renderLayout();
  });

  /** Makes the tiles of the view, unless the board already shows exactly these. */
  function renderBoard() {
    if (view.key === board.shownKey) return;
    board.shownKey = view.key;
    board.tiles = new Map(view.tiles.map((lane) => [lane.key, new Tile(lane)]));
    board.total = view.total ? new Tile(null, t("tile.total")) : null;
    const elements = [...board.tiles.values(), board.total].filter(Boolean).map((tile) => tile.element);
    fill(board.element, elements);
    board.element.dataset.count = String(elements.length);
    board.element.hidden = elements.length === 0;
    renderLayout();
  }

  /** Shows a tile's figures (`lane` is its lane's key; null: the totals) and its longest wait. */
  function renderTile(lane) {
    const tile = lane === null ? board.total : board.tiles.get(lane);
    const figures = tileFigures(view, lane, t);
    if (!tile || !figures) return;
    tile.update({ ...figures, staffing: staffingLine(view, lane, t) });
    tile.showWait(longestWait(view, lane, clockNow(view, client.serverNow()), t));
  }

  /** Shows the warnings above the tiles. */
  function renderNotices() {
    // Unchanged after a reconnection: left alone, so that the alert is not read out again.
    const shown = [...board.notices.children].map((p) => p.textContent).join("\n");
    if (view.notices.join("\n") === shown) return;
    fill(board.notices, view.notices.map((line) => h("p", { class: "notice" }, line)));
  }

  function clearBoard() {
    view = emptyView(view.address);
    board.shownKey = null;
    board.tiles = new Map();
    board.total = null;
    fill(board.element);
    board.element.hidden = true;
    renderTicker();
    renderLayout();
    renderNotices();
    renderStale();
  }

  // --- The client ---------------------------------------------------------------------------

  const fromAddress = takeFragmentCredentials();
  // A display's token is kept at once, so a reload signs in even if the server is down now.
  if (fromAddress?.display) kept.save(fromAddress.display);
  const tokens = webStorage("session");
  // A token of an earlier sign-in must not win over the address's.
  if (fromAddress) tokens?.removeItem(TOKEN_KEY);
  const keptToken = kept.load();

  const client = new Client({
    credentials: fromAddress ?? (keptToken ? { display: keptToken } : null),
    tokenStore: tokens,
    tokenKey: TOKEN_KEY,
  });

  showConnection(client, byRole("connection"), t);

  const staleBanner = byRole("stale");

  function renderStale() {
    view = noteStale(view, client.serverNow());
    const stale = isStale(view);
    document.body.classList.toggle("is-stale", stale);
    staleBanner.hidden = !stale;
    if (stale) {
      const what = client.state === State.STOPPED ? "stale.stopped" : "stale.reconnecting";
      staleBanner.textContent = t(what, { time: t.time(view.staleSince) });
    }
    for (const tile of board.tiles.values()) tile.element.toggleAttribute("data-stale", stale);
    board.total?.element.toggleAttribute("data-stale", stale);
  }

  const clock = byRole("clock");
  everySecond(() => {
    const now = client.serverNow();
    clock.textContent = t.time(now);
    clock.dateTime = new Date(now).toISOString();
    const boardNow = clockNow(view, now);
    for (const [id, tile] of board.tiles) tile.showWait(longestWait(view, id, boardNow, t));
    board.total?.showWait(longestWait(view, null, boardNow, t));
  });

  // The sign-in form: a user typed in signs in this tab, and nothing of it is kept on the screen.
  const form = byRole("sign-in");
  const signOut = byRole("sign-out");
  const signIn = signInForm(
    client,
    form,
    (visible) => {
      if (visible) {
        clearBoard();
        signOut.hidden = true;
      }
    },
    () => kept.forget(),
    t,
  );

  let session = 0;

  client.addEventListener("state", (e) => {
    if (e.detail.state !== State.LIVE) view = notLive(view);
    const code = e.detail.reason?.code;
    if (e.detail.state === State.STOPPED && (code === "display_revoked" || code === "close_4010")) {
      // Revoked: a reload must not try the token again (the sign-in form says why).
      kept.forget();
    }
    renderStale();
  });

  client.addEventListener("session", (e) => {
    const result = e.detail;
    const mine = ++session;
    signOut.hidden = false;
    // The tenant's display name from the configuration (servers before it: the tenant's id).
    const tenantName = result.tenant_name ?? result.tenant;
    document.title = t("page.titleOf", { tenant: tenantName });
    byRole("title").textContent = tenantName;

    // A resumed session keeps its subscription: the missed updates came with the resume.
    if (keepsSubscription(view, result)) {
      view = live(view);
      renderStale();
      return;
    }

    view = signedIn(view, result, t);
    renderNotices();
    renderBoard();

    client.request("subscribe", subscription(view)).then(
      () => {
        if (mine !== session || client.state !== State.LIVE) return;
        view = subscribed(view);
        renderTicker();
        renderStale();
        void askStaffing();
      },
      (error) => {
        if (mine !== session) return;
        if (error.code === "forbidden") {
          const message = t("signIn.notWallboard", { user: result.user, role: result.role });
          client.stop({ forget: true });
          signIn.show(message);
        } else if (error.code === "unknown_queue") {
          view = withNotice(view, t("notice.serverUnknownQueue", { message: error.message }));
          renderNotices();
        }
        // offline, connection_lost, unavailable: the next session subscribes again.
      },
    );
  });

  /**
   * With `&staffing=on`: asks each call tile's staffing (`what_if`) while live, now and every
   * STAFFING_REFRESH_SECS; an answer that does not come leaves the last one shown.
   */
  async function askStaffing() {
    if (client.state !== State.LIVE) return;
    for (const lane of staffingLanes(view)) {
      try {
        const result = await client.request("what_if", { queue: lane.id });
        view = withStaffing(view, lane.key, result);
        renderTile(lane.key);
      } catch {
        // Offline, or a queue gone: asked again at the next round.
      }
    }
  }
  if (view.address.staffing) setInterval(() => void askStaffing(), STAFFING_REFRESH_SECS * 1000);

  client.addEventListener("event", (e) => {
    const event = e.detail;
    const before = view;
    view = reduce(view, event);
    if (view === before) return;
    if (view.key !== before.key) {
      // A lane new to the board (its queue gained a channel): the tiles are drawn again.
      renderBoard();
      renderStale();
      for (const key of board.tiles.keys()) renderTile(key);
      renderTile(null);
    } else if (event.type === "ticker") {
      renderTicker();
    } else if (event.type === "queue_stats") {
      renderTile(statsLane(event));
      // The totals' colour depends on the queues' targets (sharedTarget).
      if (sharedTarget(view) !== sharedTarget(before)) renderTile(null);
    } else {
      renderTile(null);
    }
  });

  signOut.addEventListener("click", () => {
    kept.forget();
    client.stop({ forget: true });
    clearBoard();
    document.title = t("page.title");
    byRole("title").textContent = "acdhub";
    signIn.show(t("signIn.signedOut"));
  });

  // A fault that a retry would repeat (closed for too many bad messages, no sign-in in time)
  // stops the client; a display on the wall tries again a minute later all the same (not one
  // that was revoked: its token is forgotten).
  client.addEventListener("state", (e) => {
    const code = e.detail.reason?.code ?? "";
    if (e.detail.state === State.STOPPED && code.startsWith("close_") && kept.load()) {
      setTimeout(() => {
        if (client.state !== State.STOPPED || !kept.load()) return;
        client.setCredentials({ display: kept.load() });
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

  if (client.hasToken() || keptToken || fromAddress) {
    client.start();
  } else {
    signIn.show();
  }
}
