// The wallboard's view in Node (web/wallboard-state.js): which tiles an address and a tenant
// give, the figures a tile shows after queue_stats and tenant_stats (from protocol/examples),
// the service level's colour and words, the longest wait and its alert, the totals' shared
// target, live and stale figures, and statistics the board does not show.
// (The page itself, on the real server in Chromium: wallboard.test.mjs.)
// Run: node --test wallboard-state.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clockNow,
  emptyView,
  isStale,
  keepsSubscription,
  live,
  longestWait,
  notLive,
  noteStale,
  readAddress,
  reduce,
  serviceLevelStanding,
  sharedTarget,
  signedIn,
  subscription,
  tileFigures,
  withNotice,
} from "../../web/wallboard-state.js";
import { example } from "./examples.mjs";

/** A wallboard's AuthResult for the example tenant (support, sales, vip, general). */
const SESSION = { ...example("ack").result, user: "wallboard", role: "wallboard", agent: undefined, agents: [] };
const QUEUE_STATS = example("queue_stats");
const TENANT_STATS = example("tenant_stats");

const board = (search = "") => signedIn(emptyView(readAddress(search)), SESSION);
const stats = (queue, fields = {}) => ({ ...QUEUE_STATS, queue, name: SESSION.queues.find((q) => q.id === queue)?.name, ...fields });

test("the address picks the queues in its order, and the totals unless it says off", () => {
  assert.deepEqual(readAddress(""), { queues: null, total: true });
  assert.deepEqual(readAddress("?queues=sales, support,sales"), { queues: ["sales", "support"], total: true });
  assert.deepEqual(readAddress("?queues=support&total=off"), { queues: ["support"], total: false });
  assert.deepEqual(readAddress("?total=No"), { queues: null, total: false });
});

test("signed in: a tile per queue of the tenant in its order, the totals, and what to subscribe to", () => {
  const view = board();
  assert.deepEqual(view.tiles.map((t) => t.id), ["support", "sales", "vip", "general", "chat"]);
  assert.equal(view.tiles[0].name, "Customer Support");
  assert.equal(view.total, true);
  assert.deepEqual(view.notices, []);
  assert.deepEqual(subscription(view), { queues: ["support", "sales", "vip", "general", "chat"], tenant_total: true });
  // No figures yet: nothing to show on a tile, nothing stale.
  assert.equal(tileFigures(view, "support"), null);
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
  assert.deepEqual(tileFigures(view, "support"), {
    name: "Customer Support",
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
  });
  assert.equal(tileFigures(view, "sales"), null, "the other tiles wait for their own figures");
});

test("the service level's colour: on target, just below, below, none yet", () => {
  assert.equal(serviceLevelStanding(80, 80), "good");
  assert.equal(serviceLevelStanding(76, 80), "warn");
  assert.equal(serviceLevelStanding(75, 80), "bad");
  assert.equal(serviceLevelStanding(null, 80), "none");
  assert.equal(serviceLevelStanding(90, null), "neutral");
  // 79.99 % is below an 80 % target and never reads "80 %".
  const below = reduce(board(), stats("support", { today: { ...QUEUE_STATS.today, service_level_percent: 79.99 } }));
  assert.equal(tileFigures(below, "support").serviceLevel, "79 %");
  assert.equal(tileFigures(below, "support").standingWords, "! Just below target");
  const quiet = reduce(
    board(),
    stats("support", { ringing: 0, agents: { ...QUEUE_STATS.agents, logged_in: 1, ringing: 0 }, today: { ...QUEUE_STATS.today, service_level_percent: null, asa_secs: null } }),
  );
  assert.equal(tileFigures(quiet, "support").serviceLevel, "–");
  assert.equal(tileFigures(quiet, "support").standingWords, "No calls yet");
  assert.equal(tileFigures(quiet, "support").asa, "–");
  assert.equal(tileFigures(quiet, "support").ringing, "");
  assert.equal(tileFigures(quiet, "support").agents, "1 agent logged in");
});

test("the longest wait ticks from oldest_waiting_since and is raised past the threshold, high past twice it", () => {
  const view = reduce(board(), QUEUE_STATS);
  const since = Date.parse(QUEUE_STATS.oldest_waiting_since);
  assert.deepEqual(longestWait(view, "support", since + 12_000), { text: "0:12", alert: "none", note: "" });
  assert.deepEqual(longestWait(view, "support", since + 25_000), { text: "0:25", alert: "raised", note: " · over 20 s" });
  assert.deepEqual(longestWait(view, "support", since + 41_000), { text: "0:41", alert: "high", note: " · over 20 s" });
  assert.deepEqual(longestWait(view, "sales", since), { text: "–", alert: "none", note: "" });
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
  assert.equal(tileFigures(same, "support").waiting, "2");
  const fewer = signedIn(view, { ...SESSION, queues: SESSION.queues.filter((q) => q.id !== "vip") });
  assert.deepEqual(fewer.tiles.map((t) => t.id), ["support", "sales", "general", "chat"]);
  assert.equal(tileFigures(fewer, "support"), null, "new tiles start without figures");
});

test("the reducer leaves the view it was given as it was", () => {
  const before = board();
  const after = reduce(before, QUEUE_STATS);
  assert.notEqual(after, before);
  assert.equal(before.stats.size, 0);
  assert.ok(Object.isFrozen(after));
});
