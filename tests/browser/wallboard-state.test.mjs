// The wallboard's view in Node (web/wallboard-state.js): which tiles an address and a tenant
// give, the figures a tile shows after queue_stats and tenant_stats (from protocol/examples),
// a chat queue's tile (protocol.md's chat queue_stats: its badge, its labels, its conversation
// figures), the service level's colour and words, the longest wait and its alert, the totals'
// shared target and channels, live and stale figures, statistics the board does not show, and a
// queue serving voice and chat: a tile per lane, keyed by lane, each lane's figures its own;
// and the message ticker: set, replaced, cleared, cleared while the board was away, and the
// room its band takes. (The page itself, on the real server in Chromium: wallboard.test.mjs.)
// Run: node --test wallboard-state.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_ROTATE_SECS,
  LABELS,
  MIN_LABEL_PX,
  MIN_SECONDARY_PX,
  MIN_TILE,
  MIN_VALUE_PX,
  clockNow,
  conversationFigures,
  emptyView,
  isStale,
  keepsSubscription,
  laneKey,
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
  serviceLevelStanding,
  sharedTarget,
  signedIn,
  staffingLanes,
  staffingLine,
  subscribed,
  subscription,
  TICKER_MAX_LINES,
  TICKER_TEXT_PX,
  tickerBand,
  tickerHeight,
  tileChannel,
  tileFigures,
  withNotice,
  withStaffing,
  alertOf,
} from "../../web/wallboard-state.js";
import { WALLBOARD_MESSAGES } from "../../web/wallboard-messages.js";
import { translator } from "../../web/i18n.js";
import { chatQueueStats } from "./chat-examples.mjs";
import { example } from "./examples.mjs";

/** A wallboard's AuthResult for the example tenant (support, sales, vip, general). */
const SESSION = { ...example("ack").result, user: "wallboard", role: "wallboard", agent: undefined, agents: [] };
const QUEUE_STATS = example("queue_stats");
const TENANT_STATS = example("tenant_stats");
/** protocol.md's queue_stats of a chat queue (conversations), and the example tenant's voice queues only. */
const CHAT_STATS = chatQueueStats();
const VOICE_SESSION = { ...SESSION, queues: SESSION.queues.filter((queue) => queue.channel === "voice") };

const board = (search = "") => signedIn(emptyView(readAddress(search)), SESSION);
/** The example tenant with no queue setting its own alert levels. */
const NO_LEVELS = {
  ...SESSION,
  queues: SESSION.queues.map((q) => ({ ...q, thresholds: { waiting: null, oldest_wait_secs: null, abandonment_percent: null } })),
};
/** A tile's figures but its alerts and interval line (the last test checks those). */
const withoutAlerts = ({ waitingAlert, abandonedAlert, abandonedNote, interval, ...rest }) => rest;
/** The example tenant's queue `queue`: its name and channel (each of its queues has one lane). */
const queueOf = (queue) => SESSION.queues.find((q) => q.id === queue);
/** The key of the lane of `queue` (its only one in the example tenant), as the board keys its tiles. */
const lane = (queue) => laneKey(queue, queueOf(queue)?.channel ?? "voice");
const stats = (queue, fields = {}) => ({ ...QUEUE_STATS, queue, name: queueOf(queue)?.name, channel: queueOf(queue)?.channel ?? "voice", ...fields });

test("the address picks the queues in its order, and the totals unless it says off", () => {
  const rotateSecs = DEFAULT_ROTATE_SECS;
  const staffing = false;
  assert.deepEqual(readAddress(""), { queues: null, total: true, rotateSecs, staffing });
  assert.deepEqual(readAddress("?queues=sales, support,sales"), { queues: ["sales", "support"], total: true, rotateSecs, staffing });
  assert.deepEqual(readAddress("?queues=support&total=off"), { queues: ["support"], total: false, rotateSecs, staffing });
  assert.deepEqual(readAddress("?total=No"), { queues: null, total: false, rotateSecs, staffing });
});

test("the staffing figure: only when the address asks, on call tiles, as the what-if answered, amber when short", () => {
  assert.equal(readAddress("?staffing=on").staffing, true);
  assert.equal(readAddress("?staffing=maybe").staffing, false);
  assert.deepEqual(staffingLanes(board("")), [], "not asked for: no what-if is sent");
  const asked = board("?staffing=on");
  // Every voice lane of the example tenant; a chat queue has no Erlang figure.
  assert.deepEqual(
    staffingLanes(asked).map((l) => l.id),
    SESSION.queues.filter((q) => q.channel === "voice").map((q) => q.id),
  );
  assert.deepEqual(staffingLine(asked, lane("support")), { text: "", alert: "none" }, "before the first answer");
  // The fields of a what_if's answer the board reads (protocol.md, `what_if`).
  const answer = { queue: "support", agents_needed: 13, agents_working: 11 };
  const short = withStaffing(asked, lane("support"), { ...answer, agents_needed: 13, agents_working: 11 });
  assert.deepEqual(staffingLine(short, lane("support")), { text: "Agents needed: 13 · working: 11", alert: "raised" });
  const enough = withStaffing(asked, lane("support"), { ...answer, agents_needed: 13, agents_working: 13 });
  assert.equal(staffingLine(enough, lane("support")).alert, "none");
  const noCalls = withStaffing(asked, lane("support"), { ...answer, agents_needed: null, agents_working: 2 });
  assert.deepEqual(staffingLine(noCalls, lane("support")), { text: "Agents needed: – · working: 2", alert: "none" });
  const german = translator({ language: "de", messages: WALLBOARD_MESSAGES });
  assert.equal(staffingLine(short, lane("support"), german).text, "Agenten nötig: 13 · im Einsatz: 11");
  // The same answer on a board that did not ask shows nothing.
  assert.equal(staffingLine(withStaffing(board(""), lane("support"), answer), lane("support")).text, "");
});

test("the address sets how long each page shows: 15 s unless it says, never less than a second", () => {
  assert.equal(DEFAULT_ROTATE_SECS, 15);
  assert.equal(readAddress("?rotate=20").rotateSecs, 20);
  assert.equal(readAddress("?rotate=2.5").rotateSecs, 2.5);
  assert.equal(readAddress("?rotate=0").rotateSecs, 1);
  assert.equal(readAddress("?rotate=soon").rotateSecs, 15);
});

test("the floors a room can read at 1080p: labels 24 px, key figures 64 px, other figures 32 px", () => {
  assert.deepEqual([MIN_LABEL_PX, MIN_VALUE_PX, MIN_SECONDARY_PX], [24, 64, 32]);
});

const FHD = { width: 1920, height: 1080 };
const UHD = { width: 3840, height: 2160 };
const grid = ({ columns, rows, perPage, queuesPerPage, pages }) => ({ columns, rows, perPage, queuesPerPage, pages });

test("layout: 4, 8 and 12 queues with the totals at 1080p and 4K: six tiles a page, never smaller, more in pages", () => {
  for (const screen of [FHD, UHD]) {
    // Four queues and the totals fit: three columns, two rows.
    assert.deepEqual(grid(layout({ ...screen, tiles: 4, total: true })), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 4, pages: 1 });
    // Eight: five queues a page and the totals on each, two pages; twelve, three.
    assert.deepEqual(grid(layout({ ...screen, tiles: 8, total: true })), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 5, pages: 2 });
    assert.deepEqual(grid(layout({ ...screen, tiles: 12, total: true })), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 5, pages: 3 });
    // Without the totals, six queues a page.
    assert.deepEqual(grid(layout({ ...screen, tiles: 12, total: false })), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 6, pages: 2 });
  }
  // Each tile is at least MIN_TILE (at 1080p; twice it at 4K) after the header and the gaps.
  for (const [screen, scale] of [[FHD, 1], [UHD, 2]]) {
    const { columns, rows } = layout({ ...screen, tiles: 12, total: true });
    assert.ok((screen.width - 48 * scale - (columns - 1) * 24 * scale) / columns >= MIN_TILE.width * scale);
    assert.ok((screen.height - 76 * scale - 48 * scale - (rows - 1) * 24 * scale) / rows >= MIN_TILE.height * scale);
  }
});

test("layout: tiles that fit one row take a column each; more keep the full grid of the screen", () => {
  const shape = (tiles, total = false) => {
    const { columns, rows } = layout({ ...FHD, tiles, total });
    return `${columns}x${rows}`;
  };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => shape(n)), ["1x1", "2x1", "3x1", "3x2", "3x2", "3x2"]);
  assert.equal(shape(2, true), "3x1");
});

test("layout: a board with a lane of conversations has the same tiles: the demo's five queues and the totals on one page", () => {
  assert.deepEqual(grid(layout({ ...FHD, tiles: 5, total: true, conversations: true })), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 5, pages: 1 });
  assert.deepEqual(grid(layout({ ...FHD, tiles: 3, total: true, conversations: true })), grid(layout({ ...FHD, tiles: 3, total: true })));
  assert.deepEqual(grid(layout({ ...FHD, tiles: 8, total: true, conversations: true })), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 5, pages: 2 });
});

test("layout: a small screen scrolls through every tile on one page", () => {
  const phone = layout({ width: 390, height: 844, tiles: 12, total: true });
  assert.equal(phone.scrolling, true);
  assert.equal(phone.pages, 1);
});

test("layout with the ticker: one line still leaves two rows of tiles at 1080p and 4K; two lines take a row", () => {
  assert.ok(TICKER_TEXT_PX >= MIN_SECONDARY_PX, "the ticker reads as a secondary figure");
  assert.deepEqual([tickerHeight(0), tickerHeight(1), tickerHeight(2)], [0, 52, 92]);
  for (const [screen, scale] of [[FHD, 1], [UHD, 2]]) {
    const oneLine = layout({ ...screen, tiles: 5, total: true, tickerLines: 1 });
    assert.deepEqual(grid(oneLine), { columns: 3, rows: 2, perPage: 6, queuesPerPage: 5, pages: 1 });
    // The tiles get the height the band leaves, and are still at least MIN_TILE.
    const left = screen.height - (76 + 48 + tickerHeight(1)) * scale;
    assert.ok((left - 24 * scale) / 2 >= MIN_TILE.height * scale);
    // Two lines leave no room for a second row: the queues take pages instead of shrinking.
    const twoLines = layout({ ...screen, tiles: 5, total: true, tickerLines: 2 });
    assert.deepEqual(grid(twoLines), { columns: 3, rows: 1, perPage: 3, queuesPerPage: 2, pages: 3 });
  }
});

test("the ticker's band: a message that fits stands still; a wider one scrolls slowly, or wraps to two lines where nothing may move", () => {
  assert.deepEqual(tickerBand({ textWidth: 800, bandWidth: 1872 }), { lines: 1, scrolls: false, secs: 0 });
  assert.deepEqual(tickerBand({ textWidth: 800, bandWidth: 1872, reducedMotion: true }), { lines: 1, scrolls: false, secs: 0 });
  const wide = tickerBand({ textWidth: 4000, bandWidth: 1872 });
  assert.equal(wide.lines, 1);
  assert.equal(wide.scrolls, true);
  // From the right edge until its end has left: (1872 + 4000) px at 110 px a second.
  assert.ok(Math.abs(wide.secs - 5872 / 110) < 1e-9, String(wide.secs));
  // At 4K everything is twice as wide, and moves twice as fast: the same time across.
  assert.ok(Math.abs(tickerBand({ textWidth: 8000, bandWidth: 3744, scale: 2 }).secs - wide.secs) < 1e-9);
  assert.deepEqual(tickerBand({ textWidth: 4000, bandWidth: 1872, reducedMotion: true }), { lines: TICKER_MAX_LINES, scrolls: false, secs: 0 });
});

test("the ticker: set, replaced and cleared by ticker events; one cleared while the board was away goes at the next subscription", () => {
  const at = "2023-11-14T22:13:26.512Z";
  let view = live(board());
  assert.equal(view.ticker, null);
  view = reduce(view, { seq: 3, type: "ticker", text: "Team meeting 14:00", by: "boss", at });
  assert.deepEqual(view.ticker, { text: "Team meeting 14:00", by: "boss", at });
  view = reduce(view, { seq: 4, type: "ticker", text: "Billing system down", by: "sue", at });
  assert.equal(view.ticker.text, "Billing system down");
  assert.equal(reduce(view, { seq: 5, type: "ticker", text: null, by: "sue", at }).ticker, null);
  // A new session subscribes again: a snapshot with the message keeps it...
  const again = signedIn(view, SESSION);
  assert.equal(again.ticker.text, "Billing system down", "shown until the snapshot says otherwise");
  const kept = subscribed(reduce(again, { seq: 1, type: "ticker", text: "Billing system down", by: "sue", at }));
  assert.equal(kept.ticker.text, "Billing system down");
  // ...one without it (cleared meanwhile) takes it away.
  assert.equal(subscribed(signedIn(view, SESSION)).ticker, null);
  // A resumed session's missed events came with the resume: nothing is taken away.
  assert.equal(live(view).ticker.text, "Billing system down");
});

test("pages: each has its share of the queues in order and the totals; the pages turn round", () => {
  const keys = Array.from({ length: 12 }, (_, i) => `q${i + 1}`);
  const board = layout({ ...FHD, tiles: 12, total: true });
  assert.deepEqual(pageTiles(keys, board, 0, true), ["q1", "q2", "q3", "q4", "q5", null]);
  assert.deepEqual(pageTiles(keys, board, 1, true), ["q6", "q7", "q8", "q9", "q10", null]);
  assert.deepEqual(pageTiles(keys, board, 2, true), ["q11", "q12", null]);
  // Every queue shows on some page, once.
  const shown = [0, 1, 2].flatMap((page) => pageTiles(keys, board, page, true)).filter(Boolean);
  assert.deepEqual(shown, keys);
  // The rotation: 0, 1, 2, 0, ...; a page beyond the last (the pages dropped) starts again.
  const turns = [0];
  for (let i = 0; i < 4; i++) turns.push(nextPage(turns.at(-1), board.pages));
  assert.deepEqual(turns, [0, 1, 2, 0, 1]);
  assert.equal(nextPage(4, 2), 0);
  assert.equal(nextPage(0, 1), 0);
  assert.equal(pageIndicator(1, 3), "Page 2 of 3");
  assert.equal(pageIndicator(0, 1), "");
});

test("signed in: a tile per queue of the tenant in its order, the totals, and what to subscribe to", () => {
  const view = board();
  assert.deepEqual(view.tiles.map((t) => t.id), ["support", "sales", "vip", "general", "chat"]);
  assert.equal(view.tiles[0].name, "Customer Support");
  assert.deepEqual(view.tiles.map((t) => t.channel), ["voice", "voice", "voice", "voice", "chat"]);
  assert.deepEqual(view.channels, ["voice", "chat"]);
  assert.equal(view.total, true);
  assert.deepEqual(view.notices, []);
  assert.deepEqual(subscription(view), { queues: ["support", "sales", "vip", "general", "chat"], tenant_total: true });
  // No figures yet: nothing to show on a tile, nothing stale.
  assert.equal(tileFigures(view, lane("support")), null);
  assert.equal(isStale(view), false);
});

test("queues the tenant does not have are named above the tiles; a board with nothing says so", () => {
  const view = board("?queues=sales,nosuch,other");
  assert.deepEqual(view.tiles.map((t) => t.id), ["sales"]);
  assert.deepEqual(view.notices, ["Unknown queues in the address: nosuch, other"]);
  const empty = board("?queues=nosuch&total=off");
  assert.deepEqual(empty.tiles, []);
  assert.deepEqual(empty.notices, [
    "Unknown queue in the address: nosuch",
    "Nothing to show: the address names no queue of this contact center.",
  ]);
  assert.deepEqual(withNotice(empty, "The server did not know a queue: x").notices.length, 3);
});

test("after queue_stats a tile shows the example's figures", () => {
  const view = reduce(board(), QUEUE_STATS);
  assert.deepEqual(withoutAlerts(tileFigures(view, lane("support"))), {
    name: "Customer Support",
    // A queue of calls: no badge, and the labels it always had.
    channel: "voice",
    badge: "",
    labels: { waiting: "Calls waiting", serviceLevel: "Service level today", answered: "Answered", abandoned: "Abandoned", asa: "Avg. answer" },
    waiting: "2",
    waitingCount: 2,
    ringing: "+ 1 ringing at an agent",
    // 81.96 % against 80 %: on target, shown rounded down.
    standing: "good",
    serviceLevel: "81 %",
    standingWords: "✓ On target",
    target: "target 80 % in 20 s",
    answered: "377",
    abandoned: "21",
    asa: "0:14",
    ready: "0",
    onCall: "4",
    wrapUp: "1",
    notReady: "1",
    agents: "7 agents logged in · 1 ringing",
    conversations: null,
  });
  assert.equal(tileFigures(view, lane("sales")), null, "the other tiles wait for their own figures");
});

test("a chat queue's tile: its channel's badge, conversations accepted, and today's conversation figures", () => {
  const view = reduce(reduce(board(), QUEUE_STATS), CHAT_STATS);
  assert.deepEqual(withoutAlerts(tileFigures(view, lane("chat"))), {
    name: "Web chat",
    channel: "chat",
    badge: "chat",
    // Its figures count conversations: "answered" is accepted by an agent, ASA the time to accept.
    labels: { waiting: "Waiting", serviceLevel: "Service level today", answered: "Accepted", abandoned: "Abandoned", asa: "Avg. to accept" },
    waiting: "1",
    waitingCount: 1,
    ringing: "",
    standing: "good",
    serviceLevel: "90 %",
    standingWords: "✓ On target",
    target: "target 80 % accepted in 30 s",
    answered: "90",
    abandoned: "4",
    asa: "0:12",
    ready: "2",
    onCall: "1",
    wrapUp: "0",
    notReady: "0",
    agents: "3 agents logged in · 3 with conversations",
    conversations: {
      // 86.52 % of first replies within 60 s, shown rounded down as the service level is.
      firstResponse: "86 %",
      firstResponseLabel: "First response ≤ 60 s",
      averageFirstResponse: "0:31",
      concurrency: "1.7",
      capacityOccupancy: "53 %",
      places: "5 of 9",
    },
  });
  assert.deepEqual(LABELS.conversations, tileFigures(view, lane("chat")).labels);
  // The voice tile beside it keeps everything it had: no badge, its own labels, no conversation figures.
  const support = tileFigures(view, lane("support"));
  assert.equal(support.badge, "");
  assert.deepEqual(support.labels, LABELS.calls);
  assert.equal(support.conversations, null);
  assert.equal(support.ringing, "+ 1 ringing at an agent");
  // A conversation offered to an agent is not ringing.
  const offered = reduce(view, { ...CHAT_STATS, ringing: 2 });
  assert.equal(tileFigures(offered, lane("chat")).ringing, "+ 2 offered to an agent");
  // Its longest wait is measured against its own threshold (30 s).
  const since = Date.parse(CHAT_STATS.oldest_waiting_since);
  assert.deepEqual(longestWait(view, lane("chat"), since + 31_000), { text: "0:31", alert: "raised", note: " · over 30 s" });
});

test("a chat queue's figures before there are any: en dashes, and a queue of conversations without them", () => {
  // A quiet morning: nothing accepted, no first reply, nobody holding one.
  const quiet = {
    ...CHAT_STATS,
    waiting: 0,
    oldest_waiting_since: null,
    today: { ...CHAT_STATS.today, answered: 0, service_level_percent: null, asa_secs: null },
    conversations: {
      ...CHAT_STATS.conversations,
      places: 0,
      places_taken: 0,
      agents_holding: 0,
      today: {
        first_responses: 0,
        first_responses_within_threshold: 0,
        first_response_service_level_percent: null,
        average_first_response_secs: null,
        concurrency: null,
        capacity_occupancy_percent: null,
      },
    },
  };
  const figures = tileFigures(reduce(board(), quiet), lane("chat"));
  assert.equal(figures.serviceLevel, "–");
  assert.equal(figures.standing, "none");
  assert.equal(figures.standingWords, "None accepted yet");
  assert.equal(figures.asa, "–");
  assert.equal(figures.agents, "3 agents logged in · 0 with conversations");
  assert.deepEqual(figures.conversations, {
    firstResponse: "–",
    firstResponseLabel: "First response ≤ 60 s",
    averageFirstResponse: "–",
    concurrency: "–",
    capacityOccupancy: "–",
    places: "0 of 0",
  });
  // A queue of conversations whose statistics lack their conversation figures still says what it is.
  const bare = tileFigures(reduce(board(), { ...CHAT_STATS, conversations: null }), lane("chat"));
  assert.equal(bare.badge, "chat");
  assert.deepEqual(bare.labels, LABELS.conversations);
  assert.equal(bare.agents, "3 agents logged in");
  assert.deepEqual(bare.conversations, {
    firstResponse: "–",
    firstResponseLabel: "First response",
    averageFirstResponse: "–",
    concurrency: "–",
    capacityOccupancy: "–",
    places: "–",
  });
  assert.deepEqual(conversationFigures(undefined), bare.conversations);
  // Whole percents: never rounded up past what was reached.
  const today = { ...CHAT_STATS.conversations.today, first_response_service_level_percent: 79.99, capacity_occupancy_percent: 52.4 };
  assert.equal(conversationFigures({ ...CHAT_STATS.conversations, today }).firstResponse, "79 %");
  assert.equal(conversationFigures({ ...CHAT_STATS.conversations, today }).capacityOccupancy, "52 %");
});

test("a tile knows its channel from the sign-in before its figures come, and follows a queue that changed channel", () => {
  const view = board();
  assert.deepEqual(tileChannel(view, lane("chat")), { channel: "chat", conversations: true, allChannels: false, badge: "chat" });
  assert.deepEqual(tileChannel(view, lane("support")), { channel: "voice", conversations: false, allChannels: false, badge: "" });
  // The same queues, but chat now routes calls: another lane, so the chat queue's tile is made anew, a voice one.
  const reloaded = signedIn(view, { ...SESSION, queues: SESSION.queues.map((queue) => ({ ...queue, channel: "voice" })) });
  assert.notEqual(reloaded.key, view.key);
  assert.deepEqual(reloaded.tiles.at(-1), { key: "chat:voice", id: "chat", name: "Web Chat", channel: "voice" });
  assert.equal(tileChannel(reloaded, laneKey("chat", "voice")).badge, "");
  assert.deepEqual(reloaded.channels, ["voice"]);
});

/** The example tenant with support serving calls and chats: the sign-in lists it once per lane. */
const TWO_LANES = {
  ...SESSION,
  queues: [
    { id: "support", name: "Customer Support", channel: "voice" },
    { id: "support", name: "Customer Support", channel: "chat" },
    ...SESSION.queues.slice(1),
  ],
};
/** support's two lanes' statistics: its calls (the example, 2 waiting) and its chats (protocol.md's chat figures, 1 waiting). */
const SUPPORT_VOICE = { ...QUEUE_STATS, queue: "support", name: "Customer Support", channel: "voice" };
const SUPPORT_CHAT = { ...CHAT_STATS, queue: "support", name: "Customer Support", channel: "chat" };
const twoLanes = (search = "") => signedIn(emptyView(readAddress(search)), TWO_LANES);

test("a queue serving voice and chat has a tile per lane, each with its channel; the queue is subscribed to once", () => {
  const view = twoLanes();
  assert.deepEqual(
    view.tiles.map((t) => t.key),
    ["support:voice", "support:chat", "sales:voice", "vip:voice", "general:voice", "chat:chat"],
  );
  assert.deepEqual(view.tiles.slice(0, 2).map((t) => [t.id, t.name, t.channel]), [
    ["support", "Customer Support", "voice"],
    ["support", "Customer Support", "chat"],
  ]);
  assert.deepEqual(subscription(view), { queues: ["support", "sales", "vip", "general", "chat"], tenant_total: true });
  assert.equal(view.queueCount, 6, "the totals share a target only when every lane is shown");
  // The address names queues: support brings both its lanes, in the tenant's order.
  const named = twoLanes("?queues=sales,support&total=off");
  assert.deepEqual(named.tiles.map((t) => t.key), ["sales:voice", "support:voice", "support:chat"]);
  assert.deepEqual(subscription(named), { queues: ["sales", "support"], tenant_total: false });
  // Both tiles of one name say their channel before their figures come; a queue with one lane says none.
  assert.equal(tileChannel(view, "support:voice").badge, "voice");
  assert.equal(tileChannel(view, "support:chat").badge, "chat");
  assert.equal(tileChannel(view, "sales:voice").badge, "");
});

test("a queue's two lanes keep their own figures: neither overwrites the other", () => {
  let view = reduce(reduce(twoLanes(), SUPPORT_VOICE), SUPPORT_CHAT);
  assert.deepEqual([...view.stats.keys()], ["support:voice", "support:chat"]);
  const calls = tileFigures(view, "support:voice");
  const chats = tileFigures(view, "support:chat");
  assert.equal(calls.name, "Customer Support");
  assert.equal(chats.name, "Customer Support");
  assert.deepEqual([calls.channel, calls.badge, calls.waiting, calls.answered], ["voice", "voice", "2", "377"]);
  assert.deepEqual(calls.labels, LABELS.calls);
  assert.equal(calls.conversations, null);
  assert.deepEqual([chats.channel, chats.badge, chats.waiting, chats.answered], ["chat", "chat", "1", "90"]);
  assert.deepEqual(chats.labels, LABELS.conversations);
  assert.equal(chats.conversations.places, "5 of 9");
  // Each lane's longest wait against its own threshold (20 s for calls, 30 s for chats).
  const callsSince = Date.parse(SUPPORT_VOICE.oldest_waiting_since);
  const chatsSince = Date.parse(SUPPORT_CHAT.oldest_waiting_since);
  assert.equal(longestWait(view, "support:voice", callsSince + 25_000).alert, "raised");
  assert.equal(longestWait(view, "support:chat", chatsSince + 25_000).alert, "none");
  // A later update of one lane leaves the other as it was.
  view = reduce(view, { ...SUPPORT_VOICE, waiting: 5 });
  assert.equal(tileFigures(view, "support:voice").waiting, "5");
  assert.equal(tileFigures(view, "support:chat").waiting, "1");
  view = reduce(view, { ...SUPPORT_CHAT, waiting: 0, oldest_waiting_since: null });
  assert.equal(tileFigures(view, "support:voice").waiting, "5");
  assert.equal(tileFigures(view, "support:chat").waiting, "0");
  // Every lane at 80 %: the totals are held to it; the chat lane of support counts as a lane of its own.
  let all = twoLanes();
  for (const t of all.tiles) all = reduce(all, { ...(t.channel === "voice" ? QUEUE_STATS : CHAT_STATS), queue: t.id, name: t.name, channel: t.channel });
  assert.equal(sharedTarget(all), 80);
  assert.equal(sharedTarget(reduce(all, { ...SUPPORT_CHAT, service_level: { threshold_secs: 30, target_percent: 90, variant: "answered" } })), null);
});

test("a lane new to a queue on the board gets a tile of its own; a queue not on the board still changes nothing", () => {
  const view = live(reduce(board("?queues=support,sales"), QUEUE_STATS));
  assert.deepEqual(view.tiles.map((t) => t.key), ["support:voice", "sales:voice"]);
  // A reload of the configuration gave support a chat lane: its figures come with the subscription.
  const grown = reduce(view, SUPPORT_CHAT);
  assert.deepEqual(grown.tiles.map((t) => t.key), ["support:voice", "support:chat", "sales:voice"]);
  assert.notEqual(grown.key, view.key, "the page draws its tiles again");
  assert.equal(tileFigures(grown, "support:voice").waiting, "2", "the voice lane keeps its figures");
  assert.equal(tileFigures(grown, "support:chat").waiting, "1");
  assert.equal(tileChannel(grown, "support:voice").badge, "voice", "now that support has two lanes");
  assert.deepEqual(grown.channels, ["voice", "chat"]);
  // The next sign-in lists the lane: the board keeps its tiles and figures.
  const again = signedIn(grown, TWO_LANES);
  assert.equal(again.key, grown.key);
  assert.equal(tileFigures(again, "support:chat").waiting, "1");
  // Chats of a queue not on the board: nothing.
  assert.equal(reduce(view, { ...SUPPORT_CHAT, queue: "vip" }), view);
});

test("the service level's colour: on target, just below, below, none yet", () => {
  assert.equal(serviceLevelStanding(80, 80), "good");
  assert.equal(serviceLevelStanding(76, 80), "warn");
  assert.equal(serviceLevelStanding(75, 80), "bad");
  assert.equal(serviceLevelStanding(null, 80), "none");
  assert.equal(serviceLevelStanding(90, null), "neutral");
  // 79.99 % is below an 80 % target and never reads "80 %".
  const below = reduce(board(), stats("support", { today: { ...QUEUE_STATS.today, service_level_percent: 79.99 } }));
  assert.equal(tileFigures(below, lane("support")).serviceLevel, "79 %");
  assert.equal(tileFigures(below, lane("support")).standingWords, "! Just below target");
  const quiet = reduce(
    board(),
    stats("support", { ringing: 0, agents: { ...QUEUE_STATS.agents, logged_in: 1, ringing: 0 }, today: { ...QUEUE_STATS.today, service_level_percent: null, asa_secs: null } }),
  );
  assert.equal(tileFigures(quiet, lane("support")).serviceLevel, "–");
  assert.equal(tileFigures(quiet, lane("support")).standingWords, "No calls yet");
  assert.equal(tileFigures(quiet, lane("support")).asa, "–");
  assert.equal(tileFigures(quiet, lane("support")).ringing, "");
  assert.equal(tileFigures(quiet, lane("support")).agents, "1 agent logged in");
});

test("the longest wait ticks from oldest_waiting_since and is raised past the threshold, high past twice it", () => {
  // Where the queue sets no levels of its own (the last test has those).
  const view = reduce(signedIn(emptyView(readAddress("")), NO_LEVELS), QUEUE_STATS);
  const since = Date.parse(QUEUE_STATS.oldest_waiting_since);
  assert.deepEqual(longestWait(view, lane("support"), since + 12_000), { text: "0:12", alert: "none", note: "" });
  assert.deepEqual(longestWait(view, lane("support"), since + 25_000), { text: "0:25", alert: "raised", note: " · over 20 s" });
  assert.deepEqual(longestWait(view, lane("support"), since + 41_000), { text: "0:41", alert: "high", note: " · over 20 s" });
  assert.deepEqual(longestWait(view, lane("sales"), since), { text: "–", alert: "none", note: "" });
});

test("the totals tile: tenant_stats, measured against a target only when every queue shares it", () => {
  let view = reduce(board(), TENANT_STATS);
  const totals = tileFigures(view, null);
  assert.equal(totals.name, null, "the totals keep their own heading");
  assert.equal(totals.waiting, "3");
  assert.equal(totals.standing, "neutral");
  assert.equal(totals.standingWords, "All queues combined");
  assert.equal(totals.target, "no common target");
  assert.equal(totals.agents, "11 agents logged in · 1 ringing");
  // The tenant has calls and chats: the totals sum both, and say so.
  assert.equal(totals.badge, "all channels");
  assert.deepEqual(totals.labels, LABELS.allChannels);
  assert.equal(totals.labels.waiting, "Waiting");
  assert.equal(totals.ringing, "+ 1 offered to an agent");
  assert.equal(totals.conversations, null);
  // Every queue at 80 %: the totals are held to 80 %.
  for (const queue of ["support", "sales", "vip", "general", "chat"]) view = reduce(view, stats(queue));
  assert.equal(sharedTarget(view), 80);
  assert.equal(tileFigures(view, null).target, "target 80 %");
  assert.equal(tileFigures(view, null).standing, "good");
  // One queue with another target: no common one.
  view = reduce(view, stats("vip", { service_level: { threshold_secs: 10, target_percent: 90, variant: "answered" } }));
  assert.equal(sharedTarget(view), null);
  // A board that shows only some queues has no common target either.
  let some = board("?queues=support,sales");
  for (const queue of ["support", "sales"]) some = reduce(some, stats(queue));
  assert.equal(sharedTarget(some), null);
});

test("the totals of a tenant of calls alone look as they always did", () => {
  const view = reduce(signedIn(emptyView(readAddress("")), VOICE_SESSION), TENANT_STATS);
  const totals = tileFigures(view, null);
  assert.equal(totals.badge, "");
  assert.deepEqual(totals.labels, LABELS.calls);
  assert.equal(totals.ringing, "+ 1 ringing at an agent");
  const quiet = reduce(view, { ...TENANT_STATS, today: { ...TENANT_STATS.today, service_level_percent: null } });
  assert.equal(tileFigures(quiet, null).standingWords, "No calls yet");
  // With chats too, nothing answered yet is not only calls.
  const mixed = reduce(board(), { ...TENANT_STATS, today: { ...TENANT_STATS.today, service_level_percent: null } });
  assert.equal(tileFigures(mixed, null).standingWords, "None answered yet");
});

test("statistics the board does not show change nothing", () => {
  const view = board("?queues=support&total=off");
  assert.equal(reduce(view, stats("sales")), view, "a queue not on the board");
  assert.equal(reduce(view, TENANT_STATS), view, "totals when the address turned them off");
  for (const name of ["agent_state", "call_state", "offer", "heartbeat"]) assert.equal(reduce(view, example(name)), view, name);
});

test("figures go stale when the connection is lost, their clock stops, and live again after the subscription", () => {
  const at = Date.parse("2023-11-14T22:14:31.000Z");
  let view = live(reduce(board(), QUEUE_STATS));
  assert.equal(isStale(view), false);
  assert.equal(clockNow(view, at + 5000), at + 5000);
  view = noteStale(notLive(view), at);
  assert.equal(isStale(view), true);
  assert.equal(view.staleSince, at);
  assert.equal(noteStale(view, at + 9000).staleSince, at, "stale since the first moment");
  // The longest wait is frozen at the moment the figures went stale.
  assert.equal(clockNow(view, at + 60_000), at);
  view = live(view);
  assert.equal(isStale(view), false);
  assert.equal(view.staleSince, null);
});

test("a new session: a resumed one keeps the board; another with the same queues keeps the tiles and figures; other queues rebuild", () => {
  const view = reduce(live(board()), QUEUE_STATS);
  assert.equal(keepsSubscription(view, { ...SESSION, resumed: true }), true);
  assert.equal(keepsSubscription(view, { ...SESSION, resumed: false }), false);
  assert.equal(keepsSubscription(board("?queues=nosuch"), { ...SESSION, resumed: true }), false, "no tiles: subscribe again");
  const same = signedIn(view, SESSION);
  assert.equal(same.key, view.key);
  assert.equal(tileFigures(same, lane("support")).waiting, "2");
  const fewer = signedIn(view, { ...SESSION, queues: SESSION.queues.filter((q) => q.id !== "vip") });
  assert.deepEqual(fewer.tiles.map((t) => t.id), ["support", "sales", "general", "chat"]);
  assert.equal(tileFigures(fewer, lane("support")), null, "new tiles start without figures");
});

test("the reducer leaves the view it was given as it was", () => {
  const before = board();
  const after = reduce(before, QUEUE_STATS);
  assert.notEqual(after, before);
  assert.equal(before.stats.size, 0);
  assert.ok(Object.isFrozen(after));
});

/** The board's words in German, with Germany's figures. */
const GERMAN = translator({ language: "de", locale: "de-DE", messages: WALLBOARD_MESSAGES });

test("in German: a tile's figures and words, the totals, the notices and the pages", () => {
  const view = reduce(board(), QUEUE_STATS);
  assert.deepEqual(withoutAlerts(tileFigures(view, lane("support"), GERMAN)), {
    name: "Customer Support",
    channel: "voice",
    badge: "",
    labels: { waiting: "Wartende Anrufe", serviceLevel: "Servicelevel heute", answered: "Angenommen", abandoned: "Abgebrochen", asa: "Ø Wartezeit" },
    waiting: "2",
    waitingCount: 2,
    ringing: "+ 1 klingelt bei einem Agenten",
    standing: "good",
    serviceLevel: "81 %",
    standingWords: "✓ Im Ziel",
    target: "Ziel 80 % in 20 s",
    answered: "377",
    abandoned: "21",
    asa: "0:14",
    ready: "0",
    onCall: "4",
    wrapUp: "1",
    notReady: "1",
    agents: "7 Agenten angemeldet · 1 klingelt",
    conversations: null,
  });
  // A target with a decimal, many answered calls and several ringing: the German way.
  const busy = reduce(board(), { ...QUEUE_STATS, ringing: 3, agents: { ...QUEUE_STATS.agents, logged_in: 1, ringing: 2 }, today: { ...QUEUE_STATS.today, answered: 12345, service_level_percent: 70.2 }, service_level: { ...QUEUE_STATS.service_level, target_percent: 72.5 } });
  const figures = tileFigures(busy, lane("support"), GERMAN);
  assert.equal(figures.target, "Ziel 72,5 % in 20 s");
  assert.equal(figures.standingWords, "! Knapp unter Ziel");
  assert.equal(figures.answered, "12.345");
  assert.equal(figures.ringing, "+ 3 klingeln bei Agenten");
  assert.equal(figures.agents, "1 Agent angemeldet · 2 klingeln");
  assert.equal(tileFigures(busy, lane("support")).answered, "12,345", "English groups thousands its own way");

  // A chat queue's tile.
  const chat = tileFigures(reduce(reduce(board(), QUEUE_STATS), CHAT_STATS), lane("chat"), GERMAN);
  assert.equal(chat.badge, "chat");
  assert.deepEqual(chat.labels, { waiting: "Wartend", serviceLevel: "Servicelevel heute", answered: "Angenommen", abandoned: "Abgebrochen", asa: "Ø Wartezeit" });
  assert.match(chat.target, /^Ziel \d+ % Annahme in \d+ s$/);
  assert.match(chat.conversations.firstResponseLabel, /^Erste Antwort ≤ \d+ s$/);
  assert.match(chat.conversations.places, /^(\d+ von \d+|–)$/);
  assert.match(chat.conversations.concurrency, /^(\d+,\d|–)$/);

  // The totals of calls and chats; the pages; the notices; a long wait.
  const totals = tileFigures(reduce(reduce(board(), QUEUE_STATS), TENANT_STATS), null, GERMAN);
  assert.equal(totals.badge, "alle Kanäle");
  assert.equal(pageIndicator(1, 3, GERMAN), "Seite 2 von 3");
  assert.equal(pageIndicator(0, 1, GERMAN), "");
  assert.deepEqual(signedIn(emptyView(readAddress("?queues=nosuch")), SESSION, GERMAN).notices, ["Unbekannte Warteschlange in der Adresse: nosuch"]);
  assert.deepEqual(signedIn(emptyView(readAddress("?queues=a,b&total=off")), SESSION, GERMAN).notices, [
    "Unbekannte Warteschlangen in der Adresse: a, b",
    "Nichts anzuzeigen: Die Adresse nennt keine Warteschlange dieses Contact Centers.",
  ]);
  const waiting = reduce(signedIn(emptyView(readAddress("")), NO_LEVELS), { ...QUEUE_STATS, oldest_waiting_since: "2023-11-14T22:10:00.000Z" });
  assert.deepEqual(longestWait(waiting, lane("support"), Date.parse("2023-11-14T22:11:00.000Z"), GERMAN), {
    text: "1:00",
    alert: "high",
    note: " · über 20 s",
  });
});

test("a queue's own alert levels colour its waiting calls, its longest wait and its abandonment rate; the quarter hour's service level beside today's", () => {
  // support sets waiting [5, 10], oldest wait [60, 180] s and abandonment [5, 10] % (the example AuthResult).
  assert.deepEqual(queueOf("support").thresholds, { waiting: [5, 10], oldest_wait_secs: [60, 180], abandonment_percent: [5, 10] });
  assert.deepEqual([alertOf(4, [5, 10]), alertOf(5, [5, 10]), alertOf(10, [5, 10]), alertOf(null, [5, 10]), alertOf(50, null)], [
    "none",
    "raised",
    "high",
    "none",
    "none",
  ]);
  let view = reduce(board("?queues=support,sales"), stats("support", { waiting: 7 }));
  view = reduce(view, stats("sales", { waiting: 7 }));
  const support = tileFigures(view, lane("support"));
  assert.equal(support.waitingAlert, "raised");
  assert.equal(support.abandonedAlert, "raised", "5.1 % today, past 5");
  assert.equal(support.abandonedNote, "Abandonment rate today: 5 %");
  assert.equal(support.interval, "This quarter hour: 83 %");
  assert.equal(tileFigures(view, lane("support"), GERMAN).interval, "Diese Viertelstunde: 83 %");
  assert.equal(tileFigures(view, lane("sales")).waitingAlert, "none", "sales sets no levels");
  // The longest wait: support's own levels (60 s, 180 s); sales the service level's (20 s, twice it).
  const since = Date.parse(QUEUE_STATS.oldest_waiting_since);
  assert.deepEqual(longestWait(view, lane("support"), since + 30_000), { text: "0:30", alert: "none", note: "" });
  assert.deepEqual(longestWait(view, lane("support"), since + 61_000), { text: "1:01", alert: "raised", note: " · over 60 s" });
  assert.deepEqual(longestWait(view, lane("support"), since + 181_000), { text: "3:01", alert: "high", note: " · over 180 s" });
  assert.equal(longestWait(view, lane("sales"), since + 30_000).alert, "raised");
});
