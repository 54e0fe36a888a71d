// wallboard-state.js: what the wallboard knows and shows, as pure functions of its address and
// the server's messages: which tiles the board has (a tile per lane of the queues the address
// names that the tenant has, and the totals), the latest statistics of each, whether the
// figures are live or stale, the message a supervisor put on the wallboards (the ticker, and
// how its band shows it), and each tile's figures as the screen shows them: a lane of
// conversations (a chat queue, or a queue's chat lane) is labelled as one and has its
// conversation figures besides. A queue serving several channels (voice and chat) has one lane
// per channel, each with its own `queue_stats`: its tiles are keyed by lane (`laneKey`), never
// by the queue alone, and each names its channel. `reduce` takes one event and returns the next
// view (the same one when the event is not the board's). No DOM, no network, no clock (times
// come in as arguments): wallboard.js draws what this module says, and Node tests it as it is
// (tests/browser/wallboard-state.test.mjs). What it says is in the language of the translator
// `t` the functions that word something take last (i18n.js, with wallboard-messages.js);
// English without one.

import { VOICE, alertOf, formatDuration, laneCounts, laneKey, lanesOf, namesById, secondsSince, waitAlert } from "./format.js";
import { translator } from "./i18n.js";
import { WALLBOARD_MESSAGES } from "./wallboard-messages.js";

export { VOICE, alertOf, laneKey } from "./format.js";
export { WALLBOARD_MESSAGES } from "./wallboard-messages.js";

/** The board's words in English: the translator of a caller that passes none. */
const ENGLISH = translator({ messages: WALLBOARD_MESSAGES });

/** Service level this many points below target or more is red; less below is amber. */
export const AMBER_BAND_POINTS = 5;

// --- Sizes and pages ------------------------------------------------------------------------
//
// Read from five metres: on a 1920x1080 screen no label is smaller than MIN_LABEL_PX, no key
// figure (calls waiting, longest wait, service level) smaller than MIN_VALUE_PX and no other
// figure smaller than MIN_SECONDARY_PX. A larger screen scales all of them, and the header, by
// `screenScale` (a 4K screen doubles them). Tiles never shrink below MIN_TILE to fit more
// queues: the queues that do not fit take further pages, which rotate every `rotateSecs`, and
// the totals tile stays on every page. wallboard.css reads these numbers from custom
// properties the page sets (`cssSizes`).

/** The screen the sizes below are for. */
export const REFERENCE_SCREEN = Object.freeze({ width: 1920, height: 1080 });
/** The smallest label (a figure's name, the tile's badge, the service level's words), px at 1080p. */
export const MIN_LABEL_PX = 24;
/** The smallest key figure (calls waiting, longest wait, service level), px at 1080p. */
export const MIN_VALUE_PX = 64;
/** The smallest other figure (today's calls, the agents, a tile's name), px at 1080p. */
export const MIN_SECONDARY_PX = 32;
/** The header's type, px at 1080p (its title and clock are 1.35 times that). */
export const HEADER_PX = 28;
/** The header's height, the board's padding and the gap between tiles, px at 1080p. */
export const HEADER_HEIGHT_PX = 76;
export const BOARD_PADDING_PX = 24;
export const TILE_GAP_PX = 24;
/**
 * The smallest tile that holds a queue's figures at the sizes above, px at 1080p: three columns
 * and two rows of them on a 16:9 screen.
 */
export const MIN_TILE = Object.freeze({ width: 600, height: 440 });
// A lane of conversations (a chat queue) has the same tile: on a tile of this size it shows
// what a floor watches (waiting, longest wait, service level, first response against its
// threshold, places taken, agents) and keeps its other figures (accepted, abandoned, time to
// accept, average first response, concurrency, capacity used) for a taller tile (three or
// fewer on a screen; wallboard.css).
/** Below this, a screen is no wallboard (a phone, a small window): the tiles scroll, unpaged. */
export const SCROLLING_SCREEN = Object.freeze({ width: 900, height: 560 });
/** How long each page shows by default, and at least. */
export const DEFAULT_ROTATE_SECS = 15;
export const MIN_ROTATE_SECS = 1;

// A supervisor's message to the floor (`set_ticker`, protocol.md) runs in a band along the
// bottom of the screen while one is set. Its type is a secondary figure's floor, so it reads
// from five metres; the band's height comes out of the board's, never out of a tile's: `layout`
// counts it (one line of ticker still leaves two rows of MIN_TILE at 1080p). A message wider
// than the screen moves slowly from right to left; where the screen must not move
// (prefers-reduced-motion) it wraps to at most two lines instead (`tickerBand`).

/** The ticker's type, px at 1080p. */
export const TICKER_TEXT_PX = MIN_SECONDARY_PX;
/** One line of the ticker, and the band's padding above and below it, px at 1080p. */
export const TICKER_LINE_PX = 40;
export const TICKER_PADDING_PX = 6;
/** The most lines a message wraps to on a screen that must not move. */
export const TICKER_MAX_LINES = 2;
/** How fast a message wider than the screen moves, px a second at 1080p: slow enough to read. */
export const TICKER_SPEED_PX = 110;

/** The ticker band's height for `lines` lines of text (0: no band), px at 1080p. */
export function tickerHeight(lines) {
  return lines > 0 ? lines * TICKER_LINE_PX + 2 * TICKER_PADDING_PX : 0;
}

/**
 * How the band shows a message `textWidth` px wide on one line, in a band `bandWidth` px wide
 * (both CSS px on this screen, whose `screenScale` is `scale`): `lines` (1, or TICKER_MAX_LINES
 * for a wide one that must not move), whether it `scrolls`, and in how many `secs` it crosses
 * the band once (from the right edge until its end has left on the left), at TICKER_SPEED_PX.
 */
export function tickerBand({ textWidth, bandWidth, reducedMotion = false, scale = 1 }) {
  if (textWidth <= bandWidth) return { lines: 1, scrolls: false, secs: 0 };
  if (reducedMotion) return { lines: TICKER_MAX_LINES, scrolls: false, secs: 0 };
  return { lines: 1, scrolls: true, secs: (bandWidth + textWidth) / (TICKER_SPEED_PX * scale) };
}

/** How much larger than at 1080p everything is on a screen of `width` x `height` CSS px. */
export function screenScale({ width, height }) {
  return Math.min(width / REFERENCE_SCREEN.width, height / REFERENCE_SCREEN.height);
}

/** The sizes above as the custom properties wallboard.css reads (unitless: px at 1080p). */
export function cssSizes() {
  return {
    "--min-label": String(MIN_LABEL_PX),
    "--min-value": String(MIN_VALUE_PX),
    "--min-secondary": String(MIN_SECONDARY_PX),
    "--header-type": String(HEADER_PX),
    "--header-height": String(HEADER_HEIGHT_PX),
    "--board-padding": String(BOARD_PADDING_PX),
    "--tile-gap": String(TILE_GAP_PX),
    "--ticker-text": String(TICKER_TEXT_PX),
    "--ticker-line": String(TICKER_LINE_PX),
    "--ticker-padding": String(TICKER_PADDING_PX),
  };
}

/**
 * How the board lays out `tiles` queue tiles (lanes), plus the totals when `total`, on a screen
 * of `width` x `height` CSS px with a ticker band of `tickerLines` lines (0: none) below it: `columns` x `rows` tiles of at least MIN_TILE (scaled; a lane of
 * conversations takes a tile of the same size), `perPage` tiles on a page, of which `queuesPerPage` are queues (the totals take one place on every
 * page), and how many `pages`. A board that fits one row takes a column per tile, so its tiles
 * are as large as they can be; one of several rows, or of several pages, keeps the full grid, so
 * that tiles stay the shape their figures are laid out for and do not change size as pages turn.
 * A small screen (`SCROLLING_SCREEN`) scrolls instead: `scrolling`, one page, no grid.
 */
export function layout({ width, height, tiles, total = false, tickerLines = 0 }) {
  const count = tiles + (total ? 1 : 0);
  if (width < SCROLLING_SCREEN.width || height < SCROLLING_SCREEN.height) {
    return { scrolling: true, columns: 0, rows: 0, perPage: count, queuesPerPage: tiles, pages: 1 };
  }
  const scale = screenScale({ width, height });
  const gap = TILE_GAP_PX * scale;
  const boardWidth = width - 2 * BOARD_PADDING_PX * scale;
  const boardHeight = height - (HEADER_HEIGHT_PX + tickerHeight(tickerLines) + 2 * BOARD_PADDING_PX) * scale;
  const smallest = MIN_TILE;
  const maxColumns = Math.max(1, Math.floor((boardWidth + gap) / (smallest.width * scale + gap)));
  const maxRows = Math.max(1, Math.floor((boardHeight + gap) / (smallest.height * scale + gap)));
  const capacity = maxColumns * maxRows;
  if (count <= capacity) {
    // One row: as many columns as tiles. Several: the full width of columns, so that the
    // tiles keep the shape the figures are laid out for (never short and wide).
    const rows = Math.max(1, Math.ceil(count / maxColumns));
    const columns = rows === 1 ? Math.max(1, count) : maxColumns;
    return { scrolling: false, columns, rows, perPage: capacity, queuesPerPage: tiles, pages: 1 };
  }
  // More than one page; a screen with room for one tile only gives the totals no place of their own.
  const queuesPerPage = total && capacity > 1 ? capacity - 1 : capacity;
  return {
    scrolling: false,
    columns: maxColumns,
    rows: maxRows,
    perPage: capacity,
    queuesPerPage,
    pages: Math.ceil(tiles / queuesPerPage),
  };
}

/**
 * The tiles on page `page` (0-based) of `keys` (the queue tiles' keys, in order) laid out as
 * `board` (`layout`): its share of the queues, then `null` for the totals when `total`.
 */
export function pageTiles(keys, board, page, total = false) {
  const at = Math.min(Math.max(0, page), board.pages - 1) * board.queuesPerPage;
  const shown = keys.slice(at, at + board.queuesPerPage);
  return total ? [...shown, null] : shown;
}

/** The page after `page` of `pages` (round again after the last; the first if pages dropped). */
export function nextPage(page, pages) {
  return pages > 1 && page + 1 < pages ? page + 1 : 0;
}

/** What the header says of the pages: "" for one, "Page 2 of 3" ("Seite 2 von 3") for several. */
export function pageIndicator(page, pages, t = ENGLISH) {
  return pages > 1 ? t("header.page", { page: page + 1, pages }) : "";
}

/** Words an address uses for yes (`&staffing=on`) and no (`&total=off`). */
const YES = ["on", "yes", "true", "1"];
const NO = ["off", "no", "false", "0"];

/**
 * What the address asks for: `queues` (ids in order, or null for all), `total`,
 * `rotateSecs`, how long each page shows when the queues take more than one (`&rotate=20`;
 * `DEFAULT_ROTATE_SECS` when missing or not a number, at least `MIN_ROTATE_SECS`), and
 * `staffing`, whether call tiles show their staffing figure (`&staffing=on`; off by default).
 */
export function readAddress(search) {
  const params = new URLSearchParams(search);
  const ids = (params.get("queues") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  const word = (name) => (params.get(name) ?? "").trim().toLowerCase();
  const total = !NO.includes(word("total"));
  const staffing = YES.includes(word("staffing"));
  const rotate = Number.parseFloat(params.get("rotate") ?? "");
  const rotateSecs = Number.isFinite(rotate) ? Math.max(MIN_ROTATE_SECS, rotate) : DEFAULT_ROTATE_SECS;
  return { queues: ids.length ? [...new Set(ids)] : null, total, rotateSecs, staffing };
}

/** How often a board that shows staffing figures asks each call tile's again, in seconds. */
export const STAFFING_REFRESH_SECS = 60;

/**
 * The lanes whose staffing the board asks for (`what_if`, Erlang C or A from the queue's
 * rolling window): its call tiles, when the address asks for the figure. `[]` otherwise.
 */
export function staffingLanes(view) {
  return view.address.staffing ? view.tiles.filter((lane) => lane.channel === VOICE) : [];
}

/** The board after `what_if`'s answer for lane `lane` (its key): who is needed, who works. */
export function withStaffing(view, lane, result) {
  const staffing = { needed: result.agents_needed ?? null, working: result.agents_working ?? null };
  return update(view, { staffing: new Map(view.staffing).set(lane, staffing) });
}

/**
 * A call tile's staffing figure as the board says it ("Agents needed: 13 · working: 11"), and
 * whether fewer work than the queue's service-level target needs (`alert` `raised`): "" and
 * `none` when the address does not ask for it or no answer came yet; "–" needed when the
 * window has no calls to say it from.
 */
export function staffingLine(view, lane, t = ENGLISH) {
  const staffing = view.address.staffing ? view.staffing.get(lane) : undefined;
  if (!staffing) return { text: "", alert: "none" };
  const { needed, working } = staffing;
  const text = t("staffing.line", { needed: needed === null ? "–" : number(needed, t), working: number(working, t) });
  const short = needed !== null && working !== null && working < needed;
  return { text, alert: short ? "raised" : "none" };
}

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

/** The words beside the colour, by standing: never colour alone (`t(STANDING_KEYS[standing])`). */
export const STANDING_KEYS = Object.freeze({
  none: "standing.none",
  neutral: "standing.neutral",
  good: "standing.good",
  warn: "standing.warn",
  bad: "standing.bad",
});

/** The words beside the colour, in English. */
export const STANDING_WORDS = Object.freeze(Object.fromEntries(Object.entries(STANDING_KEYS).map(([standing, key]) => [standing, ENGLISH(key)])));

/**
 * The labels of a tile's figures, as keys of wallboard-messages.js. A queue of calls keeps the
 * wallboard's own; a queue of conversations counts conversations, whose "answer" is an agent
 * accepting one (so its ASA is the time to accept); the totals of a tenant with several
 * channels sum them all.
 */
export const LABEL_KEYS = Object.freeze({
  calls: Object.freeze({
    waiting: "label.callsWaiting",
    serviceLevel: "label.serviceLevel",
    answered: "label.answered",
    abandoned: "label.abandoned",
    asa: "label.asa",
  }),
  conversations: Object.freeze({
    waiting: "label.waiting",
    serviceLevel: "label.serviceLevel",
    answered: "label.accepted",
    abandoned: "label.abandoned",
    asa: "label.toAccept",
  }),
  allChannels: Object.freeze({
    waiting: "label.waiting",
    serviceLevel: "label.serviceLevel",
    answered: "label.answered",
    abandoned: "label.abandoned",
    asa: "label.asa",
  }),
});

/** The labels of a tile's figures of `kind` (`calls`, `conversations`, `allChannels`) in the translator's language. */
export function labelsOf(kind, t = ENGLISH) {
  return Object.freeze(Object.fromEntries(Object.entries(LABEL_KEYS[kind]).map(([figure, key]) => [figure, t(key)])));
}

/** The labels in English, by kind. */
export const LABELS = Object.freeze(Object.fromEntries(Object.keys(LABEL_KEYS).map((kind) => [kind, labelsOf(kind)])));

/**
 * The board before any session, for the address's wishes (`readAddress`). Plain data, never
 * changed in place.
 */
export function emptyView(address = { queues: null, total: true, rotateSecs: DEFAULT_ROTATE_SECS, staffing: false }) {
  return Object.freeze({
    address,
    /** The lanes on the board and whether the totals are, for telling whether a new session needs new tiles. */
    key: null,
    /** The lane tiles in the order shown: `{key, id, name, channel}` (`key` is the lane's, `laneKey`). */
    tiles: [],
    /** The channels the tenant's queues route (`voice`, `chat`, ...), for the totals: they sum them all. */
    channels: [],
    /** The board has a totals tile ("All queues"). */
    total: false,
    /** How many lanes the tenant's queues have (the totals share a target only when all are shown). */
    queueCount: 0,
    /** How many lanes each queue of the tenant has, by id: a tile of a queue with several names its channel. */
    laneCounts: new Map(),
    /** The latest `queue_stats` of each lane on the board, by lane key. */
    stats: new Map(),
    /** Each lane's alert levels from the AuthResult (`thresholds`), by lane key. */
    thresholds: new Map(),
    /** The latest `tenant_stats`, or null. */
    totals: null,
    /** Warnings above the tiles. */
    notices: [],
    /** The figures are live: subscribed on a live connection. */
    fresh: false,
    /** When the figures stopped being live (server clock, ms), or null while they are. */
    staleSince: null,
    /** The message on the wallboards (`ticker`): `{text, by, at}`, or null when none is set. */
    ticker: null,
    /** A `ticker` came since the subscription was sent: its snapshot had one (`subscribed`). */
    tickerSeen: false,
    /** Each call tile's last staffing answer (`withStaffing`), by lane key, when the address asks for them. */
    staffing: new Map(),
  });
}

const update = (view, changes) => Object.freeze({ ...view, ...changes });

/**
 * Signed in (again): a tile for each lane of the session's queues that the address names, in its
 * order (every queue of the tenant when it names none; a queue's lanes in the tenant's order),
 * and the warnings for names the tenant does not have (in the translator's language). A board
 * that already shows exactly these lanes keeps its tiles and their figures.
 */
export function signedIn(view, session, t = ENGLISH) {
  const known = namesById(session.queues);
  const lanes = lanesOf(session.queues);
  const channels = [...new Set(lanes.map((lane) => lane.channel))];
  const wanted = view.address.queues ?? [...known.keys()];
  const shown = wanted.flatMap((id) => lanes.filter((lane) => lane.id === id));
  const unknown = wanted.filter((id) => !known.has(id));
  const notices = [];
  if (unknown.length) notices.push(t("notice.unknownQueues", { count: unknown.length, queues: unknown.join(", ") }));
  if (!shown.length && !view.address.total) notices.push(t("notice.nothing"));
  const queueCount = lanes.length;
  const counts = laneCounts(session.queues);
  const key = boardKey(shown, view.address.total);
  const thresholds = new Map((session.queues ?? []).map((q) => [laneKey(q.id, q.channel ?? VOICE), q.thresholds ?? null]));
  // A new subscription follows: its snapshot says whether a message is set (`subscribed`).
  if (key === view.key) return update(view, { notices, queueCount, channels, laneCounts: counts, thresholds, tickerSeen: false });
  return update(view, {
    tickerSeen: false,
    thresholds,
    key,
    tiles: shown,
    channels,
    laneCounts: counts,
    total: view.address.total,
    queueCount,
    stats: new Map(),
    totals: null,
    notices,
  });
}

/**
 * A resumed session keeps its subscription (the missed updates came with the resume): true
 * when the board has queue tiles to keep; otherwise it subscribes again.
 */
export function keepsSubscription(view, session) {
  return Boolean(session.resumed) && view.tiles.length > 0;
}

/** Which tiles a board has: its lanes' keys, in order, and whether the totals are on it. */
const boardKey = (tiles, total) => JSON.stringify([tiles.map((tile) => tile.key), total]);

/**
 * What to `subscribe` to: the queues on the board, each once (a subscription to a queue brings
 * the `queue_stats` of each of its lanes), and the totals if the board has them.
 */
export function subscription(view) {
  return { queues: [...new Set(view.tiles.map((tile) => tile.id))], tenant_total: view.address.total };
}

/** One more warning above the tiles (the server did not know a queue). */
export function withNotice(view, line) {
  return update(view, { notices: [...view.notices, line] });
}

/**
 * `subscribe` was answered: its snapshot came before the answer, with a `ticker` if a message is
 * set. One shown from before that no `ticker` repeated was cleared while the board was away.
 */
export function subscribed(view) {
  return live(view.tickerSeen || view.ticker === null ? view : update(view, { ticker: null }));
}

/** The figures are live: subscribed, or resumed with the subscription. */
export function live(view) {
  return view.fresh && view.staleSince === null ? view : update(view, { fresh: true, staleSince: null });
}

/** The connection is not live: the figures on the board are no longer. */
export function notLive(view) {
  return view.fresh ? update(view, { fresh: false }) : view;
}

/** The board has some figures to show. */
export function hasFigures(view) {
  return view.stats.size > 0 || (view.total && view.totals !== null);
}

/** The board shows figures that are not live. */
export function isStale(view) {
  return !view.fresh && hasFigures(view);
}

/** Notes when the figures went stale (`nowMs`, server clock), the first time they are seen stale. */
export function noteStale(view, nowMs) {
  return isStale(view) && view.staleSince === null ? update(view, { staleSince: nowMs }) : view;
}

/** The clock the longest waits run on: frozen while the figures are stale. */
export function clockNow(view, nowMs) {
  return view.staleSince ?? nowMs;
}

/** The lane a `queue_stats` is of: its queue and channel (`voice` where it names none). */
export function statsLane(event) {
  return laneKey(event.queue, event.channel ?? VOICE);
}

/**
 * The view after one event: statistics of a lane on the board, the totals if shown, or the
 * message on the wallboards (`ticker`, null when cleared). A queue
 * on the board that gained a lane since the sign-in (a reload of the configuration) gets a tile
 * for it, after its others: the board's `key` changes, and the page draws its tiles again.
 */
export function reduce(view, event) {
  switch (event.type) {
    case "queue_stats": {
      const key = statsLane(event);
      const stats = new Map(view.stats).set(key, event);
      if (view.tiles.some((tile) => tile.key === key)) return update(view, { stats });
      const last = view.tiles.findLastIndex((tile) => tile.id === event.queue);
      if (last < 0) return view;
      const lane = { key, id: event.queue, name: event.name ?? view.tiles[last].name, channel: event.channel ?? VOICE };
      const tiles = [...view.tiles.slice(0, last + 1), lane, ...view.tiles.slice(last + 1)];
      const laneCount = tiles.filter((tile) => tile.id === event.queue).length;
      const counts = new Map(view.laneCounts).set(event.queue, Math.max(laneCount, view.laneCounts.get(event.queue) ?? 0));
      const channels = view.channels.includes(lane.channel) ? view.channels : [...view.channels, lane.channel];
      return update(view, { tiles, key: boardKey(tiles, view.total), stats, laneCounts: counts, channels, queueCount: view.queueCount + 1 });
    }
    case "tenant_stats":
      return view.total ? update(view, { totals: event }) : view;
    case "ticker": {
      const ticker = event.text ? Object.freeze({ text: event.text, by: event.by, at: event.at }) : null;
      return update(view, { ticker, tickerSeen: true });
    }
    default:
      return view;
  }
}

/**
 * The target the totals tile measures its service level against: the one every queue has,
 * when the board shows every queue of the tenant and they all have the same; otherwise null.
 */
export function sharedTarget(view) {
  if (!view.total) return null;
  const levels = view.tiles.map((tile) => view.stats.get(tile.key)?.service_level);
  const all = view.tiles.length === view.queueCount && levels.every(Boolean);
  const targets = new Set(all ? levels.map((level) => level.target_percent) : []);
  return targets.size === 1 ? [...targets][0] : null;
}

const present = (value) => value !== null && value !== undefined;
/** A count as the board writes it (1,234 / 1.234), "–" for none. */
const number = (value, t) => (present(value) ? t.number(value) : "–");
/** A target: whole, or with its one decimal ("80", "80.5", "80,5"). */
const percentNumber = (value, t) => t.number(Number(value.toFixed(1)), Number.isInteger(Number(value.toFixed(1))) ? 0 : 1);
const duration = (secs) => (present(secs) ? formatDuration(secs) : "–");
/** Whole percents, rounded down: a figure never reads "80 %" while it is below 80 %. */
const wholePercent = (value, t) => t.percent(present(value) ? Math.floor(value) : null, 0);

/**
 * What a tile says of its channel (`lane` is its lane's key, or null for the totals): the
 * channel, whether it routes conversations, and the badge beside the name ("" for none). A lane
 * of conversations names its channel ("chat"); a lane of calls has no badge, and says "Calls"
 * in its labels as it always did, unless its queue has other lanes: then it names its channel
 * too ("voice", "Telefon"), so that the queue's tiles, of one name, are told apart. The totals
 * say "all channels" when the tenant's queues route more than one, since they sum them all.
 */
export function tileChannel(view, lane, t = ENGLISH) {
  if (lane === null) {
    const all = view.channels.length > 1;
    return { channel: null, conversations: false, allChannels: all, badge: all ? t("channel.all") : "" };
  }
  const tile = view.tiles.find((t) => t.key === lane);
  const channel = tile?.channel ?? view.stats.get(lane)?.channel ?? VOICE;
  const conversations = channel !== VOICE;
  const shared = (view.laneCounts.get(tile?.id) ?? 1) > 1;
  return { channel, conversations, allChannels: false, badge: conversations || shared ? channelName(channel, t) : "" };
}

/** A channel as a badge names it: voice in the board's language, a messaging channel by its id ("chat"). */
export function channelName(channel, t = ENGLISH) {
  return channel === VOICE ? t("channel.voice") : channel;
}

/**
 * A queue of conversations' own figures, for the window the board shows (today), as the screen
 * shows them ("–" for none yet, and for all of them while `conversations` is missing): first
 * response within its threshold, the average first response, concurrency (conversations per
 * agent while holding any), occupancy by the capacity used, and the places taken of those
 * staffed now.
 */
export function conversationFigures(conversations, t = ENGLISH) {
  const today = conversations?.today ?? {};
  const threshold = conversations?.first_response_threshold_secs;
  const places = conversations?.places;
  const taken = conversations?.places_taken;
  return {
    firstResponse: wholePercent(today.first_response_service_level_percent, t),
    firstResponseLabel: present(threshold) ? t("label.firstResponseWithin", { secs: threshold }) : t("label.firstResponse"),
    averageFirstResponse: duration(today.average_first_response_secs),
    concurrency: present(today.concurrency) ? t.number(today.concurrency, 1) : "–",
    capacityOccupancy: t.percent(present(today.capacity_occupancy_percent) ? Math.round(today.capacity_occupancy_percent) : null, 0),
    places: present(places) && present(taken) ? t("places", { taken, places }) : "–",
  };
}

/**
 * A tile's figures as the screen shows them (`lane` is its lane's key, or null for the totals),
 * or null before its first statistics, in the translator's language. `name` is the queue's
 * name as the statistics give it; `labels` name the figures (`labelsOf`); `conversations` are a
 * queue of conversations' own figures (`conversationFigures`), null for calls and the totals.
 */
export function tileFigures(view, lane, t = ENGLISH) {
  const stats = lane === null ? view.totals : view.stats.get(lane);
  if (!stats) return null;
  const limits = lane === null ? null : view.thresholds.get(lane);
  const { channel, conversations, allChannels, badge } = tileChannel(view, lane, t);
  const today = stats.today ?? {};
  const level = stats.service_level;
  const target = level ? level.target_percent : lane === null ? sharedTarget(view) : null;
  const standing = serviceLevelStanding(today.service_level_percent, target);
  let standingWords = t(STANDING_KEYS[standing]);
  if (standing === "none" && conversations) standingWords = t("standing.noneAccepted");
  else if (standing === "none" && allChannels) standingWords = t("standing.noneAnswered");
  let targetText;
  if (level) {
    const words = { percent: percentNumber(level.target_percent, t), secs: level.threshold_secs };
    targetText = t(conversations ? "target.conversations" : "target.calls", words);
  } else {
    targetText = target === null ? t("target.noCommon") : t("target.shared", { percent: percentNumber(target, t) });
  }
  const agents = stats.agents ?? {};
  const ringingAgents = agents.ringing > 0 ? t("agents.ringing", { count: agents.ringing }) : "";
  const holding =
    conversations && present(stats.conversations?.agents_holding) ? t("agents.holding", { count: stats.conversations.agents_holding }) : "";
  let ringing = "";
  if (stats.ringing > 0) ringing = t(conversations || allChannels ? "ringing.offered" : "ringing.calls", { count: stats.ringing });
  const loggedIn = present(agents.logged_in) ? t("agents.loggedIn", { count: agents.logged_in }) : t("agents.loggedIn", { count: "–" });
  return {
    name: stats.name ?? null,
    channel,
    badge,
    labels: labelsOf(conversations ? "conversations" : allChannels ? "allChannels" : "calls", t),
    waiting: number(stats.waiting, t),
    waitingCount: stats.waiting ?? 0,
    ringing,
    standing,
    serviceLevel: wholePercent(today.service_level_percent, t),
    standingWords,
    target: targetText,
    answered: number(today.answered, t),
    abandoned: number(today.abandoned, t),
    asa: duration(today.asa_secs),
    ready: number(agents.ready, t),
    onCall: number(agents.on_call, t),
    wrapUp: number(agents.wrap_up, t),
    notReady: number(agents.not_ready, t),
    agents: `${loggedIn}${ringingAgents}${holding}`,
    conversations: conversations ? conversationFigures(stats.conversations, t) : null,
    waitingAlert: alertOf(stats.waiting, limits?.waiting),
    abandonedAlert: alertOf(today.abandonment_rate_percent, limits?.abandonment_percent),
    abandonedNote: present(today.abandonment_rate_percent) ? t("abandoned.rate", { percent: wholePercent(today.abandonment_rate_percent, t) }) : "",
    // A tile of conversations has no room left for it at 1080p: calls' tiles only.
    interval: !conversations && present(stats.interval?.service_level_percent)
      ? t("interval.serviceLevel", { percent: wholePercent(stats.interval.service_level_percent, t) })
      : "",
  };
}

/**
 * A tile's longest wait at `nowMs` (the board's clock, `clockNow`; `lane` is its lane's key, or
 * null for the totals): its text, how loud the alert (`none`, `raised` past the service level's
 * threshold, `high` past twice it) and the note beside the label.
 */
export function longestWait(view, lane, nowMs, t = ENGLISH) {
  const stats = lane === null ? view.totals : view.stats.get(lane);
  const since = stats?.oldest_waiting_since;
  const threshold = stats?.service_level?.threshold_secs ?? null;
  if (!since) return { text: "–", alert: "none", note: "" };
  const secs = Math.max(0, secondsSince(since, nowMs));
  // The queue's own levels where it sets them; else the service level's threshold and twice it.
  const levels = lane === null ? null : view.thresholds.get(lane)?.oldest_wait_secs;
  const { alert, over } = waitAlert(secs, levels, threshold);
  return { text: formatDuration(secs), alert, note: over === null ? "" : t("wait.over", { secs: over }) };
}
