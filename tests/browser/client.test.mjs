// web/acdhub.js, the pages' client, in Node: its rules where a real server cannot easily be made
// to break them: events out of order or twice, a gap that never fills, a link that falls
// silent, a refused token, the close codes after which it must not reconnect, the backoff's
// bounds, the fallback ladder (walking down, remembering, probing up) and resuming a session.
// The server side of each is tested in Chromium against the real server (scenario.test.mjs,
// ladder.test.mjs and the others).
//
// The client reaches the network only through transports (the rungs of its ladder); here
// scripted transports play the server's half of the protocol. The SSE and long-poll transports
// themselves are tested against a fake EventSource and a fake fetch.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AcdError, Client, State, backoffDelay, longPollTransport, rungsFromEndpoints, sseTransport } from "../../web/acdhub.js";

const HELLO = { type: "hello", protocol: "acdhub.v1", server: "acdhub/0.1.0", auth_timeout_secs: 10, heartbeat_secs: 25, time: new Date().toISOString() };
const CREDENTIALS = { user: "agent1", password: "pw" };

/**
 * A rung whose server side the test scripts: `rung.connections[i].sent` has what the client
 * sent on each connection. `rung.mode` says what the next connection does: `greet` (opens and
 * says hello), `silent` (opens and says nothing) or `refuse` (fails at once, as a blocked rung).
 */
function scripted({ label = "ws", mode = "greet" } = {}) {
  const rung = { connections: [], mode };
  const open = (handlers) => {
    const connection = {
      sent: [],
      closed: null,
      deliver: (message) => handlers.message(JSON.stringify(message)),
      drop: (code, reason = "") => {
        if (connection.closed) return;
        connection.closed = { code, reason };
        handlers.close({ code, reason });
      },
    };
    rung.connections.push(connection);
    const mode = rung.mode;
    queueMicrotask(() => {
      if (connection.closed) return;
      if (mode === "refuse") return connection.drop(1006, "refused");
      handlers.open();
      if (mode === "greet") connection.deliver(HELLO);
    });
    return {
      send: (text) => connection.sent.push(JSON.parse(text)),
      close: (code = 1000, reason = "") => connection.drop(code, reason),
    };
  };
  open.label = label;
  rung.open = open;
  return rung;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** The server's AuthResult: `session` names the session, `resumed` says whether it carried on. */
const authResult = ({ session = "s1", resumed = false } = {}) => ({ user: "agent1", role: "agent", token: "t-new", session, resumed, queues: [], agents: [], not_ready_reasons: [] });

/**
 * Answers the client's auth: first the `events`, then the ack (or an auth_failed error when
 * `refuse` says so), as the server does.
 */
async function answerAuth(connection, { refuse = () => false, events = [], ...result } = {}) {
  await tick();
  const auth = connection.sent.findLast((m) => m.type === "auth");
  if (refuse(auth)) {
    connection.deliver({ type: "error", id: auth.id, code: "auth_failed", message: "no" });
  } else {
    for (const seq of events) connection.deliver(event(seq));
    connection.deliver({ type: "ack", id: auth.id, result: authResult(result) });
  }
  await tick();
  return auth;
}

const event = (seq) => ({ seq, type: "queue_waiting", queue: "q", waiting: seq, oldest_waiting_since: null });

function memoryStore() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k), values: () => [...items.values()] };
}

/** What the page sees: every event's seq, every reset (as how many events came before it), every session. */
function watch(client) {
  const seen = { seqs: [], resets: [], sessions: [], states: [] };
  client.addEventListener("event", (e) => seen.seqs.push(e.detail.seq));
  client.addEventListener("reset", () => seen.resets.push(seen.seqs.length));
  client.addEventListener("session", (e) => seen.sessions.push(e.detail));
  client.addEventListener("state", (e) => seen.states.push(e.detail));
  return seen;
}

/** A started client on `rungs`, signed in on its first connection of the first rung. */
async function liveClient(rungs, options = {}) {
  const client = new Client({ credentials: CREDENTIALS, transports: rungs.map((r) => r.open), ...options });
  const seen = watch(client);
  client.start();
  await tick();
  return { client, seen };
}

test("events reach the page in seq order, each once, however they arrive", async () => {
  const rung = scripted();
  const { client, seen } = await liveClient([rung]);
  const connection = rung.connections[0];
  await answerAuth(connection);
  assert.equal(client.state, State.LIVE);
  for (const seq of [1, 2, 2, 4, 3, 1, 5]) connection.deliver(event(seq));
  assert.deepEqual(seen.seqs, [1, 2, 3, 4, 5]);
  assert.equal(client.lastSeq, 5);
  client.stop();
});

test("after a drop the client resumes: the missed events come once, in order, and the view is not reset", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const tokens = memoryStore();
  const { client, seen } = await liveClient([rung], { tokenStore: tokens });
  await answerAuth(rung.connections[0], { events: [1, 2], session: "s1" });
  rung.connections[0].deliver(event(3));
  rung.connections[0].drop(1006);
  assert.equal(client.state, State.RECONNECTING);
  t.mock.timers.tick(1000); // the first retry comes within a second
  await tick();
  const second = rung.connections[1];
  // The server replays from 4; a stray 3 (already seen) is dropped.
  const auth = await answerAuth(second, { events: [3, 4, 5], session: "s1", resumed: true });
  assert.deepEqual(auth.resume, { session: "s1", last_seq: 3 }, "resume names the session and the last seq delivered");
  assert.equal(auth.token, "t-new", "with the token");
  assert.ok(!tokens.values().includes("s1"), "the session id is never stored");
  assert.deepEqual(seen.seqs, [1, 2, 3, 4, 5]);
  assert.deepEqual(seen.resets, [0], "only the first session reset the view");
  assert.deepEqual(seen.sessions.map((s) => s.resumed), [false, true], "the page hears of each sign-in");
  assert.equal(client.state, State.LIVE);
  second.deliver(event(6));
  assert.equal(client.lastSeq, 6);
  client.stop();
});

test("a resume the server cannot grant starts afresh: the view resets at seq 1, or at the ack", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client, seen } = await liveClient([rung]);
  await answerAuth(rung.connections[0], { events: [1, 2, 3], session: "s1" });
  rung.connections[0].drop(1012);
  t.mock.timers.tick(1000);
  await tick();
  // A new session's snapshot is numbered from 1.
  const auth = await answerAuth(rung.connections[1], { events: [1, 2], session: "s2", resumed: false });
  assert.deepEqual(auth.resume, { session: "s1", last_seq: 3 });
  assert.deepEqual(seen.seqs, [1, 2, 3, 1, 2]);
  assert.deepEqual(seen.resets, [0, 3], "the view was reset before the new snapshot");
  assert.equal(client.lastSeq, 2);

  // A new session without a snapshot (a supervisor before subscribe): the ack says so.
  rung.connections[1].drop(1012);
  t.mock.timers.tick(2000); // the second retry in a row
  await tick();
  const again = await answerAuth(rung.connections[2], { session: "s3", resumed: false });
  assert.deepEqual(again.resume, { session: "s2", last_seq: 2 }, "the session to resume is the latest one");
  assert.deepEqual(seen.resets, [0, 3, 5]);
  assert.equal(client.lastSeq, 0);
  // Its first events (the snapshot of a subscribe, say) come after the ack: the session goes on.
  rung.connections[2].deliver(event(1));
  rung.connections[2].deliver(event(2));
  assert.deepEqual(seen.resets, [0, 3, 5], "no second reset once the ack settled it");
  assert.equal(client.session?.session, "s3");
  assert.equal(client.lastSeq, 2);
  client.stop();
});

test("a gap that does not fill closes the link and resumes after the last event, which fetches the missing ones", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client, seen } = await liveClient([rung]);
  await answerAuth(rung.connections[0], { events: [1] });
  const first = rung.connections[0];
  first.deliver(event(3));
  t.mock.timers.tick(2999);
  assert.equal(first.closed, null, "an early event waits for the gap to fill");
  t.mock.timers.tick(1);
  assert.equal(first.closed?.code, 1000, "a gap that stays open ends the link");
  assert.equal(client.state, State.RECONNECTING);
  t.mock.timers.tick(1000);
  await tick();
  const auth = await answerAuth(rung.connections[1], { events: [2, 3], resumed: true });
  assert.equal(auth.resume.last_seq, 1);
  assert.deepEqual(seen.seqs, [1, 2, 3]);
  assert.deepEqual(seen.resets, [0]);
  client.stop();
});

test("at a heartbeat the client tells the server the last event it has, once, and only what a resume would name", async () => {
  const rung = scripted();
  const { client } = await liveClient([rung]);
  const connection = rung.connections[0];
  await answerAuth(connection, { events: [1, 2] });
  const heartbeat = () => connection.deliver({ type: "heartbeat", time: new Date().toISOString() });
  const seens = () => connection.sent.filter((m) => m.type === "seen").map((m) => m.seq);

  heartbeat();
  assert.deepEqual(seens(), [2], "the last event delivered");
  const told = connection.sent.findLast((m) => m.type === "seen");
  connection.deliver({ type: "ack", id: told.id });
  heartbeat();
  assert.deepEqual(seens(), [2], "nothing new: nothing said");

  // An early event is not delivered yet: a resume would ask for the one before it.
  connection.deliver(event(4));
  heartbeat();
  assert.deepEqual(seens(), [2], "4 came early: the client has 2 in order");
  connection.deliver(event(3));
  heartbeat();
  assert.deepEqual(seens(), [2, 4]);
  // A refusal (the server never says so for a seq it sent, but a client must not mind) is quiet.
  const last = connection.sent.findLast((m) => m.type === "seen");
  connection.deliver({ type: "error", id: last.id, code: "bad_message", message: "no" });
  await tick();
  assert.equal(client.state, State.LIVE);
  client.stop();
});

test("after a resync the client tells from the new session's numbering", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client } = await liveClient([rung]);
  await answerAuth(rung.connections[0], { events: [1, 2, 3, 4, 5] });
  rung.connections[0].deliver({ type: "heartbeat", time: new Date().toISOString() });
  rung.connections[0].drop(1006);
  t.mock.timers.tick(1000);
  await tick();
  const second = rung.connections[1];
  await answerAuth(second, { events: [1, 2], session: "s2", resumed: false });
  second.deliver({ type: "heartbeat", time: new Date().toISOString() });
  assert.deepEqual(second.sent.filter((m) => m.type === "seen").map((m) => m.seq), [2], "the new session's 2, not the old one's 5");
  client.stop();
});

test("a link that delivers nothing for heartbeat_secs + 20 s is closed and remade; heartbeats keep it", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client, seen } = await liveClient([rung]);
  const connection = rung.connections[0];
  await answerAuth(connection, { events: [1] });
  for (let i = 0; i < 4; i++) {
    t.mock.timers.tick(25000);
    connection.deliver({ type: "heartbeat", time: new Date().toISOString() });
  }
  assert.equal(connection.closed, null, "heartbeats every 25 s keep the link");
  assert.deepEqual(seen.seqs, [1], "a heartbeat is not an event");
  t.mock.timers.tick(44999);
  assert.equal(connection.closed, null);
  t.mock.timers.tick(1);
  assert.equal(connection.closed?.code, 4000, "45 s of silence: the link is dead");
  assert.equal(client.state, State.RECONNECTING);
  t.mock.timers.tick(1000);
  await tick();
  assert.equal((await answerAuth(rung.connections[1])).resume.last_seq, 1, "and is remade with a resume");

  // silenceMs overrides what hello implies.
  const quick = scripted();
  const other = await liveClient([quick], { silenceMs: 5000 });
  await answerAuth(quick.connections[0]);
  t.mock.timers.tick(5000);
  assert.equal(quick.connections[0].closed?.code, 4000);
  other.client.stop();
  client.stop();
});

test("a refused token falls back to the password on the same connection; a refused password stops", async () => {
  const rung = scripted();
  const tokens = memoryStore();
  tokens.setItem("acdhub.token", "t-old");
  const { client } = await liveClient([rung], { tokenStore: tokens });
  const connection = rung.connections[0];
  const first = await answerAuth(connection, { refuse: (auth) => auth.token === "t-old" });
  assert.equal(first.token, "t-old", "the stored token is tried first");
  const second = await answerAuth(connection);
  assert.deepEqual([second.user, second.password], ["agent1", "pw"]);
  assert.equal(client.state, State.LIVE);
  assert.equal(tokens.getItem("acdhub.token"), "t-new", "the new token is kept");

  const other = scripted();
  const refused = new Client({ credentials: { user: "agent1", password: "bad" }, transports: [other.open] });
  const states = [];
  refused.addEventListener("state", (e) => states.push(e.detail));
  refused.start();
  await tick();
  await answerAuth(other.connections[0], { refuse: () => true });
  assert.equal(refused.state, State.STOPPED);
  assert.equal(states.at(-1).reason.code, "auth_failed");
  assert.equal(other.connections.length, 1, "no reconnecting with a wrong password");
  client.stop();
});

test("a display signs in with its token; a revoked one stops the client with display_revoked, however it was kept", async () => {
  const rung = scripted();
  const tokens = memoryStore();
  const client = new Client({ credentials: { display: "d1.61.aa" }, tokenStore: tokens, transports: [rung.open] });
  client.start();
  await tick();
  const auth = await answerAuth(rung.connections[0]);
  assert.deepEqual(Object.keys(auth).sort(), ["display", "id", "type"], "the display's token only, in `display`");
  assert.equal(auth.display, "d1.61.aa");
  assert.equal(client.state, State.LIVE);
  client.stop();

  // Kept as the session's token, then revoked: refused as a token, then as a display: stopped.
  const other = scripted();
  tokens.setItem("acdhub.token", "d1.61.aa");
  const revoked = new Client({ credentials: { display: "d1.61.aa" }, tokenStore: tokens, transports: [other.open] });
  const states = [];
  revoked.addEventListener("state", (e) => states.push(e.detail));
  revoked.start();
  await tick();
  const connection = other.connections[0];
  for (const field of ["token", "display"]) {
    await tick();
    const sent = connection.sent.findLast((m) => m.type === "auth");
    assert.equal(sent[field], "d1.61.aa", field);
    connection.deliver({ type: "error", id: sent.id, code: "display_revoked", message: "revoked" });
    await tick();
  }
  assert.equal(revoked.state, State.STOPPED);
  assert.equal(states.at(-1).reason.code, "display_revoked");
  assert.equal(other.connections.length, 1, "no reconnecting with a revoked display");
});

test("commands resolve with their ack, reject with the server's code, and with connection_lost on a drop", async () => {
  const rung = scripted();
  const client = new Client({ credentials: CREDENTIALS, transports: [rung.open] });
  await assert.rejects(client.request("ready"), (e) => e instanceof AcdError && e.code === "offline");
  client.start();
  await tick();
  const connection = rung.connections[0];
  await answerAuth(connection);
  const ready = client.request("ready");
  const accept = client.request("accept", { call: "c1" });
  const hold = client.request("hold", { call: "c1" });
  const [readyId, acceptId] = connection.sent.slice(-3).map((m) => m.id);
  assert.deepEqual(connection.sent.at(-2), { id: acceptId, type: "accept", call: "c1" });
  connection.deliver({ type: "error", id: acceptId, code: "not_offered", message: "gone" });
  connection.deliver({ type: "ack", id: readyId });
  assert.equal(await ready, undefined);
  await assert.rejects(accept, (e) => e.code === "not_offered" && e.message === "gone");
  connection.drop(1006);
  await assert.rejects(hold, (e) => e.code === "connection_lost");
  client.stop();
});

test("after 1002, 1007, 1008, 1009, 4003, 4009 or 4010 the client stops; after 1012, 4001 and others it reconnects", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  for (const [code, reconnects] of [[1002, false], [1007, false], [1008, false], [1009, false], [4003, false], [4009, false], [4010, false], [1012, true], [1006, true], [4001, true], [4002, true], [4008, true]]) {
    const rung = scripted();
    const { client, seen } = await liveClient([rung]);
    await answerAuth(rung.connections[0]);
    rung.connections[0].drop(code);
    assert.equal(client.state, reconnects ? State.RECONNECTING : State.STOPPED, `close ${code}`);
    if (!reconnects) assert.match(seen.states.at(-1).reason.message, new RegExp(`\\(${code}\\)`));
    t.mock.timers.tick(60000);
    await tick();
    assert.equal(rung.connections.length, reconnects ? 2 : 1, `close ${code}`);
    client.stop();
  }
});

test("backoff grows exponentially to 30 s, jittered between half and all of each step", () => {
  const steps = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
  steps.forEach((full, attempt) => {
    assert.equal(backoffDelay(attempt, { random: () => 0 }), full / 2);
    assert.equal(backoffDelay(attempt, { random: () => 0.999999 }), full);
  });
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
  assert.ok(spread.size > 10, "jitter spreads clients that dropped together");
});

test("a sign-in refused for another reason keeps the old view and tries again on a new connection", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client, seen } = await liveClient([rung]);
  await answerAuth(rung.connections[0], { events: [1] });
  assert.deepEqual(seen.resets, [0], "the first session's snapshot resets the view");
  rung.connections[0].drop(1012);
  t.mock.timers.tick(1000);
  await tick();
  const second = rung.connections[1];
  const auth = second.sent.findLast((m) => m.type === "auth");
  second.deliver({ type: "error", id: auth.id, code: "unavailable", message: "shutting down" });
  await tick();
  assert.deepEqual(seen.resets, [0], "no new session, so the page keeps (stale) what it showed");
  assert.equal(second.closed?.reason, "sign-in refused: unavailable");
  assert.equal(client.state, State.RECONNECTING);
  t.mock.timers.tick(2000);
  await tick();
  await answerAuth(rung.connections[2], { resumed: false });
  assert.deepEqual(seen.resets, [0, 1], "a new session without events resets at its ack");
  client.stop();
});

test("a connection greeted but not signed in within 20 s is given up and made again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client } = await liveClient([rung]);
  assert.equal(client.state, State.AUTHENTICATING);
  t.mock.timers.tick(19999);
  assert.equal(rung.connections[0].closed, null);
  t.mock.timers.tick(1);
  assert.equal(rung.connections[0].closed?.code, 4000);
  assert.equal(client.state, State.RECONNECTING);
  client.stop();
});

test("the backoff starts afresh only once a link has delivered a heartbeat: sessions dropped at once back off", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const rung = scripted();
  const { client, seen } = await liveClient([rung]);
  for (let i = 0; i < 4; i++) {
    await tick();
    await answerAuth(rung.connections.at(-1));
    rung.connections.at(-1).drop(1011);
    t.mock.timers.tick(30000);
  }
  const retries = seen.states.filter((s) => s.state === State.RECONNECTING).map((s) => s.retryAt - Date.now());
  assert.equal(retries.length, 4);
  for (const [attempt, delay] of retries.entries()) {
    const full = 1000 * 2 ** attempt;
    assert.ok(delay >= full / 2 && delay <= full, `retry ${attempt}: ${delay} ms`);
  }
  // A link that delivers a heartbeat has lasted an interval: the next drop retries within a second.
  await tick();
  const lasting = rung.connections.at(-1);
  await answerAuth(lasting);
  lasting.deliver({ type: "heartbeat", time: new Date().toISOString() });
  lasting.drop(1011);
  const last = seen.states.at(-1);
  assert.ok(last.retryAt - Date.now() <= 1000, `after a lasting link: ${last.retryAt - Date.now()} ms`);
  client.stop();
});

test("a page that stops the client as it starts connecting gets no connection", async () => {
  const rung = scripted();
  const client = new Client({ credentials: CREDENTIALS, transports: [rung.open] });
  client.addEventListener("state", (e) => {
    if (e.detail.state === State.CONNECTING) client.stop();
  });
  client.start();
  await tick();
  assert.equal(rung.connections.length, 0);
  assert.equal(client.state, State.STOPPED);
});

// --- The ladder --------------------------------------------------------------------------------

test("the ladder walks down past a rung that fails and one that gives no hello within 5 s, and remembers what worked", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const wss = scripted({ label: "wss", mode: "refuse" });
  const ws = scripted({ label: "ws", mode: "silent" });
  const sse = scripted({ label: "sse" });
  const rungs = memoryStore();
  const { client, seen } = await liveClient([wss, ws, sse], { rungStore: rungs });
  assert.equal(wss.connections[0].closed?.code, 1006);
  assert.equal(client.rung, "ws", "a rung that fails gives way to the next at once");
  assert.equal(sse.connections.length, 0);
  t.mock.timers.tick(4999);
  assert.equal(ws.connections[0].closed, null);
  t.mock.timers.tick(1);
  assert.equal(ws.connections[0].closed?.code, 4000, "no hello within 5 s");
  await tick();
  await answerAuth(sse.connections[0]);
  assert.equal(client.state, State.LIVE);
  assert.equal(client.rung, "sse");
  assert.equal(seen.states.at(-1).rung, "sse", "the state says the rung");
  assert.deepEqual(seen.states.filter((s) => s.state === State.CONNECTING).map((s) => s.rung), ["wss", "ws", "sse"]);
  assert.equal(rungs.getItem("acdhub.rung"), "sse");
  client.stop();

  // The next page load starts where the last one got through.
  const next = await liveClient([wss, ws, sse], { rungStore: rungs });
  assert.equal(next.client.rung, "sse");
  assert.deepEqual([wss.connections.length, ws.connections.length, sse.connections.length], [1, 1, 2]);
  next.client.stop();

  // Storage that throws is no reason not to connect.
  const broken = { getItem: () => { throw new Error("denied"); }, setItem: () => { throw new Error("denied"); } };
  const unstored = await liveClient([sse], { rungStore: broken });
  await answerAuth(sse.connections.at(-1));
  assert.equal(unstored.client.state, State.LIVE);
  unstored.client.stop();
});

test("a remembered rung that fails on a later load, before any worked there, sends the walk back to the best rung, past the one that failed", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  // An earlier load got through on WS; now a proxy refuses plain WebSocket and tunnels WSS.
  const rungs = memoryStore();
  rungs.setItem("acdhub.rung", "ws");
  const wss = scripted({ label: "wss" });
  const ws = scripted({ label: "ws", mode: "refuse" });
  const sse = scripted({ label: "sse" });
  const { client, seen } = await liveClient([wss, ws, sse], { rungStore: rungs });
  await answerAuth(wss.connections[0]);
  assert.equal(client.state, State.LIVE);
  assert.equal(client.rung, "wss", "not SSE, below the rung that failed, for ten minutes");
  assert.deepEqual(seen.states.filter((s) => s.state === State.CONNECTING).map((s) => s.rung), ["ws", "wss"]);
  assert.deepEqual([wss.connections.length, ws.connections.length, sse.connections.length], [1, 1, 0]);
  assert.equal(rungs.getItem("acdhub.rung"), "wss");
  client.stop();

  // Where WSS fails too, the walk from the top passes over the rung that just failed.
  rungs.setItem("acdhub.rung", "ws");
  wss.mode = "refuse";
  const next = await liveClient([wss, ws, sse], { rungStore: rungs });
  await answerAuth(sse.connections[0]);
  assert.equal(next.client.rung, "sse");
  assert.deepEqual(next.seen.states.filter((s) => s.state === State.CONNECTING).map((s) => s.rung), ["ws", "wss", "sse"]);
  assert.equal(rungs.getItem("acdhub.rung"), "sse");
  next.client.stop();

  // A server that answers nothing at the load fails every rung in the first round; the next
  // round again tries the remembered rung, then the best, not down from the remembered one.
  rungs.setItem("acdhub.rung", "ws");
  for (const rung of [wss, ws, sse]) rung.mode = "refuse";
  const late = await liveClient([wss, ws, sse], { rungStore: rungs });
  const tried = () => late.seen.states.filter((s) => s.state === State.CONNECTING).map((s) => s.rung);
  assert.deepEqual(tried(), ["ws", "wss", "sse"], "the first round: every rung refused");
  wss.mode = "greet";
  t.mock.timers.tick(60000);
  await tick();
  await answerAuth(wss.connections.at(-1));
  assert.equal(late.client.rung, "wss", "the second round climbs past the refused WS");
  assert.deepEqual(tried(), ["ws", "wss", "sse", "ws", "wss"]);
  assert.equal(rungs.getItem("acdhub.rung"), "wss");
  late.client.stop();
});

test("a drop on a working rung retries that rung after the backoff before walking down; with no rung through, it starts over from the one that worked", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const ws = scripted({ label: "ws" });
  const poll = scripted({ label: "poll" });
  const { client, seen } = await liveClient([ws, poll]);
  await answerAuth(ws.connections[0], { events: [1] });
  ws.connections[0].drop(1006);
  assert.equal(client.state, State.RECONNECTING, "a restart must not push the page down the ladder");
  t.mock.timers.tick(1000);
  await tick();
  assert.equal(ws.connections.length, 2);
  assert.equal(poll.connections.length, 0);
  // Now the network refuses WebSocket: the retry fails and the client walks down.
  await answerAuth(ws.connections[1], { events: [2], resumed: true });
  ws.mode = "refuse";
  ws.connections[1].drop(1006);
  t.mock.timers.tick(2000); // the second retry in a row comes within 2 s
  await tick();
  await tick();
  assert.equal(ws.connections.length, 3);
  const auth = await answerAuth(poll.connections[0], { events: [3], resumed: true });
  assert.deepEqual(auth.resume, { session: "s1", last_seq: 2 }, "the lower rung resumes the session");
  assert.equal(client.rung, "poll");
  assert.deepEqual(seen.seqs, [1, 2, 3]);
  assert.deepEqual(seen.resets, [0]);

  // The server goes away: every rung fails, and after the backoff the round starts again at
  // the rung that last worked.
  poll.mode = "refuse";
  poll.connections[0].drop(1012);
  t.mock.timers.tick(4000);
  await tick();
  assert.equal(client.state, State.RECONNECTING);
  assert.equal(poll.connections.length, 2);
  assert.equal(ws.connections.length, 3, "a round starts at the rung that last worked");
  client.stop();
});

test("on a lower rung the client probes the better ones every 10 minutes and moves up with a resume once one works", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const wss = scripted({ label: "wss", mode: "refuse" });
  const sse = scripted({ label: "sse" });
  const rungs = memoryStore();
  // No heartbeats here: the link's silence is not what this test is about.
  const { client, seen } = await liveClient([wss, sse], { rungStore: rungs, silenceMs: 1e9 });
  await answerAuth(sse.connections[0], { events: [1, 2] });
  assert.equal(client.rung, "sse");

  t.mock.timers.tick(600000);
  await tick();
  assert.equal(wss.connections.length, 2, "the probe tried wss");
  assert.equal(client.rung, "sse", "a probe that fails changes nothing");
  assert.equal(sse.connections[0].closed, null);

  wss.mode = "greet";
  const pending = client.request("ready");
  t.mock.timers.tick(600000);
  await tick();
  assert.equal(wss.connections.length, 3);
  assert.equal(wss.connections[2].closed?.code, 1000, "the probe greets and is closed");
  assert.deepEqual(wss.connections[2].sent, [], "a probe signs in to nothing");
  assert.equal(sse.connections[0].closed, null, "the move waits for the reply of a command in flight");
  const ready = sse.connections[0].sent.at(-1);
  sse.connections[0].deliver(event(3));
  sse.connections[0].deliver({ type: "ack", id: ready.id });
  await pending;
  assert.equal(sse.connections[0].closed?.code, 1000, "then the client leaves the lower rung");
  await tick();
  const auth = await answerAuth(wss.connections[3], { events: [4], resumed: true });
  assert.deepEqual(auth.resume, { session: "s1", last_seq: 3 });
  assert.equal(client.state, State.LIVE);
  assert.equal(client.rung, "wss");
  assert.equal(rungs.getItem("acdhub.rung"), "wss");
  assert.deepEqual(seen.seqs, [1, 2, 3, 4], "lossless: each event once, in order");
  assert.deepEqual(seen.resets, [0]);

  // On the best rung there is nothing to probe.
  t.mock.timers.tick(600000);
  await tick();
  assert.equal(wss.connections.length, 4);
  client.stop();
});

test("the rungs of /rt/endpoints, best first, without ws on a secure page", () => {
  const endpoints = { wss: "wss://acd.example.com/ws", ws: "ws://acd.example.com:8080/ws", sse: "/rt/sse", poll: "/rt/poll", send: "/rt/send", heartbeat_secs: 25 };
  assert.deepEqual(rungsFromEndpoints(endpoints, { secure: false }).map((r) => r.label), ["wss", "ws", "sse", "poll"]);
  assert.deepEqual(rungsFromEndpoints(endpoints, { secure: true }).map((r) => r.label), ["wss", "sse", "poll"]);
  assert.deepEqual(rungsFromEndpoints({ ...endpoints, wss: null }, { secure: false }).map((r) => r.label), ["ws", "sse", "poll"]);
});

// --- The HTTP rungs ----------------------------------------------------------------------------

/** A fake fetch: each call waits in `requests` until the test answers it (or aborts it). */
function fakeFetch() {
  const requests = [];
  const fetch = (url, init = {}) =>
    new Promise((resolve, reject) => {
      const request = {
        url,
        method: init.method ?? "GET",
        headers: init.headers ?? {},
        body: init.body,
        aborted: false,
        respond: (status, body) => resolve({ ok: status >= 200 && status < 300, status, json: async () => body, text: async () => JSON.stringify(body) }),
        fail: () => reject(new TypeError("Failed to fetch")),
      };
      init.signal?.addEventListener("abort", () => {
        request.aborted = true;
        reject(new DOMException("aborted", "AbortError"));
      });
      requests.push(request);
    });
  return { fetch, requests };
}

/** A fake EventSource: the test makes it open, deliver messages, close events and errors. */
function fakeEventSources() {
  const sources = [];
  class FakeEventSource {
    constructor(url) {
      this.url = url;
      this.closed = false;
      this.listeners = new Map();
      sources.push(this);
    }
    addEventListener(type, listener) {
      this.listeners.set(type, listener);
    }
    close() {
      this.closed = true;
    }
    open() {
      this.onopen?.({});
    }
    message(data) {
      this.onmessage?.({ data: typeof data === "string" ? data : JSON.stringify(data) });
    }
    event(type, data) {
      this.listeners.get(type)?.({ data: JSON.stringify(data) });
    }
    error() {
      this.onerror?.({});
    }
  }
  return { EventSource: FakeEventSource, sources };
}

/** Opens a transport with handlers that record what it reports. */
function openRecorded(transport) {
  const heard = { opened: 0, messages: [], closes: [] };
  const link = transport({
    open: () => heard.opened++,
    message: (text) => heard.messages.push(JSON.parse(text)),
    close: (close) => heard.closes.push(close),
  });
  return { link, heard };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await tick();
};

test("SSE: hello names the link, sends are POSTs with its header, one at a time; event: close ends it with its code", async () => {
  const { EventSource, sources } = fakeEventSources();
  const { fetch, requests } = fakeFetch();
  const transport = sseTransport({ sse: "/rt/sse", send: "/rt/send" }, { EventSource, fetch });
  assert.equal(transport.label, "sse");
  const { link, heard } = openRecorded(transport);
  const source = sources[0];
  assert.equal(source.url, "/rt/sse");
  source.open();
  assert.equal(heard.opened, 1);
  source.message({ ...HELLO, link: "abc123" });
  source.message({ seq: 1, type: "x" });
  assert.deepEqual(heard.messages.map((m) => m.type), ["hello", "x"], "one JSON text per message, as on a WebSocket");

  link.send('{"id":"1","type":"auth"}');
  link.send('{"id":"2","type":"ready"}');
  await flush();
  assert.equal(requests.length, 1, "one send at a time, so the server reads them in order");
  assert.deepEqual([requests[0].url, requests[0].method, requests[0].headers["X-Acdhub-Link"], requests[0].body], ["/rt/send", "POST", "abc123", '{"id":"1","type":"auth"}']);
  requests[0].respond(202, { accepted: true });
  await flush();
  assert.equal(requests[1].body, '{"id":"2","type":"ready"}');
  requests[1].respond(202, { accepted: true });

  source.event("close", { code: 4002, reason: "no pong" });
  assert.deepEqual(heard.closes, [{ code: 4002, reason: "no pong" }]);
  assert.ok(source.closed, "the EventSource is closed, not left to reconnect by itself");
  source.error();
  assert.equal(heard.closes.length, 1, "the end is reported once");
});

test("SSE: a broken stream ends the link with 1006; a send answered unknown_link or lost on the way ends it too", async () => {
  const { EventSource, sources } = fakeEventSources();
  const { fetch, requests } = fakeFetch();
  const transport = sseTransport({ sse: "/rt/sse", send: "/rt/send" }, { EventSource, fetch });

  const broken = openRecorded(transport);
  sources[0].open();
  sources[0].error();
  assert.deepEqual(broken.heard.closes.map((c) => c.code), [1006]);
  assert.ok(sources[0].closed, "the browser's own reconnection is not used: a new link needs a resume");

  const gone = openRecorded(transport);
  sources[1].message({ ...HELLO, link: "l2" });
  gone.link.send('{"id":"3","type":"ready"}');
  gone.link.send('{"id":"4","type":"ready"}');
  await flush();
  requests[0].respond(404, { code: "unknown_link", message: "no such link" });
  await flush();
  assert.deepEqual(gone.heard.closes, [{ code: 1006, reason: "unknown_link" }]);
  assert.ok(sources[1].closed);
  assert.equal(requests.length, 1, "nothing more is sent on a link that is gone");

  const lost = openRecorded(transport);
  sources[2].message({ ...HELLO, link: "l3" });
  lost.link.send('{"id":"5","type":"ready"}');
  await flush();
  requests[1].fail();
  await flush();
  assert.deepEqual(lost.heard.closes.map((c) => c.code), [1006]);
});

test("long-poll: the first poll opens the link, later ones carry next and the header, closed ends it; close aborts the poll", async () => {
  const { fetch, requests } = fakeFetch();
  const transport = longPollTransport({ poll: "/rt/poll", send: "/rt/send" }, { fetch });
  assert.equal(transport.label, "poll");
  const { link, heard } = openRecorded(transport);
  assert.deepEqual([requests[0].url, requests[0].method, requests[0].headers["X-Acdhub-Link"]], ["/rt/poll", "POST", undefined]);
  requests[0].respond(200, { link: "p1", next: 1, messages: [{ ...HELLO, link: "p1" }], closed: null });
  await flush();
  assert.equal(heard.opened, 1);
  assert.deepEqual(heard.messages.map((m) => m.type), ["hello"]);
  assert.deepEqual([requests[1].url, requests[1].headers["X-Acdhub-Link"]], ["/rt/poll?next=1", "p1"]);

  link.send('{"id":"1","type":"auth","token":"t"}');
  await flush();
  const send = requests[2];
  assert.deepEqual([send.url, send.headers["X-Acdhub-Link"], send.body], ["/rt/send", "p1", '{"id":"1","type":"auth","token":"t"}']);
  send.respond(202, { accepted: true });

  requests[1].respond(200, { link: "p1", next: 3, messages: [{ seq: 1, type: "x" }, { type: "ack", id: "1" }], closed: null });
  await flush();
  assert.deepEqual(heard.messages.map((m) => m.type), ["hello", "x", "ack"]);
  assert.equal(requests[3].url, "/rt/poll?next=3", "next acknowledges what came");
  requests[3].respond(200, { link: "p1", next: 4, messages: [{ seq: 2, type: "y" }], closed: { code: 1012, reason: "restarting" } });
  await flush();
  assert.deepEqual(heard.messages.map((m) => m.type), ["hello", "x", "ack", "y"], "the last response's messages come before the end");
  assert.deepEqual(heard.closes, [{ code: 1012, reason: "restarting" }]);
  assert.equal(requests.length, 4, "no poll after the link closed");

  const closing = openRecorded(transport);
  requests[4].respond(200, { link: "p2", next: 1, messages: [{ ...HELLO, link: "p2" }], closed: null });
  await flush();
  closing.link.close(1000, "moving up");
  assert.ok(requests[5].aborted, "the poll in flight is aborted");
  await flush();
  assert.deepEqual(closing.heard.closes, [{ code: 1000, reason: "moving up" }]);
});

test("long-poll: unknown_link on a send or a poll, a failed poll, or an answer not the server's ends the link with 1006", async () => {
  const { fetch, requests } = fakeFetch();
  const transport = longPollTransport({ poll: "/rt/poll", send: "/rt/send" }, { fetch });
  const opened = async () => {
    const recorded = openRecorded(transport);
    requests.at(-1).respond(200, { link: "p", next: 1, messages: [HELLO], closed: null });
    await flush();
    return recorded;
  };

  const sending = await opened();
  sending.link.send('{"id":"1","type":"ready"}');
  await flush();
  requests.at(-1).respond(404, { code: "unknown_link", message: "gone" });
  await flush();
  assert.deepEqual(sending.heard.closes, [{ code: 1006, reason: "unknown_link" }]);
  assert.ok(requests.at(-2).aborted, "its poll is aborted");

  const polling = await opened();
  requests.at(-1).respond(404, { code: "unknown_link", message: "gone" });
  await flush();
  assert.deepEqual(polling.heard.closes, [{ code: 1006, reason: "unknown_link" }]);

  const failing = await opened();
  requests.at(-1).fail();
  await flush();
  assert.deepEqual(failing.heard.closes.map((c) => c.code), [1006]);

  // A 200 that is not the server's answer (a captive portal's page, say) ends the link too.
  const portal = await opened();
  requests.at(-1).respond(200, "<html>sign in to the Wi-Fi</html>");
  await flush();
  assert.deepEqual(portal.heard.closes.map((c) => c.code), [1006]);
  assert.equal(portal.heard.messages.length, 1, "only the hello");
});

test("the client signs in and works over the SSE transport exactly as over a WebSocket", async (t) => {
  const { EventSource, sources } = fakeEventSources();
  const { fetch, requests } = fakeFetch();
  const client = new Client({ credentials: CREDENTIALS, transports: [sseTransport({ sse: "/rt/sse", send: "/rt/send" }, { EventSource, fetch })] });
  t.after(() => client.stop());
  const seen = watch(client);
  client.start();
  const source = sources[0];
  source.open();
  source.message({ ...HELLO, link: "s-link" });
  await flush();
  const auth = JSON.parse(requests[0].body);
  assert.equal(requests[0].headers["X-Acdhub-Link"], "s-link");
  assert.deepEqual([auth.type, auth.user], ["auth", "agent1"]);
  requests[0].respond(202, { accepted: true });
  source.message(event(1));
  source.message({ type: "ack", id: auth.id, result: authResult() });
  await flush();
  assert.equal(client.state, State.LIVE);
  assert.equal(client.rung, "sse");
  assert.deepEqual(seen.seqs, [1]);
  source.event("close", { code: 4009, reason: "resumed elsewhere" });
  assert.equal(client.state, State.STOPPED, "4009: another connection has the session");
  assert.equal(client.stopReason.code, "close_4009");
});
