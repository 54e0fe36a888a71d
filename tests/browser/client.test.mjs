// web/acdhub.js, the pages' client, in Node: its rules where a real server cannot easily be made
// to break them: events out of order or twice, a gap that never fills, a refused token, the
// close codes after which it must not reconnect, and the backoff's bounds. The server side of
// each is tested in Chromium against the real server (scenario.test.mjs and the others).
//
// The client reaches the network only through a transport (its seam for the fallback ladder);
// here a scripted transport plays the server's half of the protocol.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AcdError, Client, State, backoffDelay } from "../../web/acdhub.js";

const HELLO = { type: "hello", protocol: "acdhub.v1", server: "acdhub/0.1.0", auth_timeout_secs: 10, time: new Date().toISOString() };

/** A transport whose server side the test scripts: `server.sent` has what the client sent. */
function scripted({ greet = true } = {}) {
  const connections = [];
  const open = (handlers) => {
    const connection = {
      sent: [],
      handlers,
      closed: null,
      deliver: (message) => handlers.message(JSON.stringify(message)),
      drop: (code, reason = "") => {
        if (connection.closed) return;
        connection.closed = { code, reason };
        handlers.close({ code, reason });
      },
    };
    connections.push(connection);
    queueMicrotask(() => {
      if (connection.closed) return;
      handlers.open();
      if (greet) connection.deliver(HELLO);
    });
    return {
      send: (text) => connection.sent.push(JSON.parse(text)),
      close: (code = 1000, reason = "") => connection.drop(code, reason),
    };
  };
  return { open, connections };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Answers the client's auth with an ack (or an auth_failed error when `refuse` says so). */
async function answerAuth(connection, { refuse = () => false } = {}) {
  await tick();
  const auth = connection.sent.findLast((m) => m.type === "auth");
  if (refuse(auth)) {
    connection.deliver({ type: "error", id: auth.id, code: "auth_failed", message: "no" });
  } else {
    connection.deliver({ type: "ack", id: auth.id, result: { user: "agent1", role: "agent", token: "t-new", queues: [], agents: [], not_ready_reasons: [] } });
  }
  await tick();
  return auth;
}

function memoryStore() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k) };
}

test("events reach the page in seq order, each once, however they arrive", async () => {
  const transport = scripted();
  const client = new Client({ credentials: { user: "agent1", password: "pw" }, transports: [transport.open], pingIntervalMs: 1e9 });
  const seqs = [];
  client.addEventListener("event", (e) => seqs.push(e.detail.seq));
  client.start();
  await tick();
  const connection = transport.connections[0];
  await answerAuth(connection);
  assert.equal(client.state, State.LIVE);
  for (const seq of [1, 2, 2, 4, 3, 1, 5]) connection.deliver({ seq, type: "queue_waiting", queue: "q", waiting: seq, oldest_waiting_since: null });
  assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
  assert.equal(client.lastSeq, 5);
  client.stop();
});

test("a gap that does not fill starts a new session, whose snapshot starts again at seq 1", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const transport = scripted();
  const client = new Client({ credentials: { user: "agent1", password: "pw" }, transports: [transport.open], pingIntervalMs: 1e9 });
  const resets = [];
  client.addEventListener("reset", () => resets.push(client.lastSeq));
  client.start();
  await tick();
  await answerAuth(transport.connections[0]);
  const first = transport.connections[0];
  first.deliver({ seq: 1, type: "x" });
  first.deliver({ seq: 3, type: "x" });
  assert.equal(first.closed, null, "an early event waits for the gap to fill");
  t.mock.timers.tick(3000);
  assert.equal(first.closed?.reason, "resync", "a gap that stays open ends the session");
  assert.equal(client.state, State.RECONNECTING);
  t.mock.timers.tick(1000); // the first retry comes within a second
  await tick();
  assert.equal(transport.connections.length, 2);
  await answerAuth(transport.connections[1]);
  assert.deepEqual(resets, [0, 0], "each session starts its view afresh");
  client.stop();
});

test("a refused token falls back to the password on the same connection; a refused password stops", async () => {
  const transport = scripted();
  const tokens = memoryStore();
  tokens.setItem("acdhub.token", "t-old");
  const client = new Client({ credentials: { user: "agent1", password: "pw" }, tokenStore: tokens, transports: [transport.open], pingIntervalMs: 1e9 });
  client.start();
  await tick();
  const connection = transport.connections[0];
  const first = await answerAuth(connection, { refuse: (auth) => auth.token === "t-old" });
  assert.equal(first.token, "t-old", "the stored token is tried first");
  const second = await answerAuth(connection);
  assert.deepEqual([second.user, second.password], ["agent1", "pw"]);
  assert.equal(client.state, State.LIVE);
  assert.equal(tokens.getItem("acdhub.token"), "t-new", "the new token is kept");

  const other = scripted();
  const refused = new Client({ credentials: { user: "agent1", password: "bad" }, transports: [other.open], pingIntervalMs: 1e9 });
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

test("commands resolve with their ack, reject with the server's code, and with connection_lost on a drop", async () => {
  const transport = scripted();
  const client = new Client({ credentials: { user: "agent1", password: "pw" }, transports: [transport.open], pingIntervalMs: 1e9 });
  await assert.rejects(client.request("ready"), (e) => e instanceof AcdError && e.code === "offline");
  client.start();
  await tick();
  const connection = transport.connections[0];
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

test("after 1008, 1009 or 4003 the client stops; after 1012, 4001 and others it reconnects", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  for (const [code, reconnects] of [[1008, false], [1009, false], [4003, false], [1012, true], [1006, true], [4001, true], [4002, true], [4008, true]]) {
    const transport = scripted();
    const client = new Client({ credentials: { user: "a", password: "p" }, transports: [transport.open], pingIntervalMs: 1e9 });
    client.start();
    await tick();
    await answerAuth(transport.connections[0]);
    transport.connections[0].drop(code);
    assert.equal(client.state, reconnects ? State.RECONNECTING : State.STOPPED, `close ${code}`);
    t.mock.timers.tick(60000);
    await tick();
    assert.equal(transport.connections.length, reconnects ? 2 : 1, `close ${code}`);
    client.stop();
  }
});

test("a link that stops answering the application ping is closed and remade", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const transport = scripted();
  const client = new Client({ credentials: { user: "a", password: "p" }, transports: [transport.open], pingIntervalMs: 25000, pingTimeoutMs: 10000 });
  client.start();
  await tick();
  const connection = transport.connections[0];
  await answerAuth(connection);
  t.mock.timers.tick(25000);
  const ping = connection.sent.at(-1);
  assert.equal(ping.type, "ping");
  connection.deliver({ type: "ack", id: ping.id });
  await tick();
  t.mock.timers.tick(25000);
  assert.equal(connection.sent.at(-1).type, "ping", "answered, the next ping follows");
  t.mock.timers.tick(10000);
  assert.equal(connection.closed?.code, 4000, "unanswered, the link is given up");
  assert.equal(client.state, State.RECONNECTING);
  client.stop();
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
  const transport = scripted();
  const client = new Client({ credentials: { user: "a", password: "p" }, transports: [transport.open], pingIntervalMs: 1e9 });
  const resets = [];
  client.addEventListener("reset", () => resets.push(transport.connections.length));
  client.start();
  await tick();
  await answerAuth(transport.connections[0]);
  transport.connections[0].deliver({ seq: 1, type: "x" });
  assert.deepEqual(resets, [1], "the first session's snapshot resets the view");
  transport.connections[0].drop(1012);
  t.mock.timers.tick(1000);
  await tick();
  const second = transport.connections[1];
  const auth = second.sent.findLast((m) => m.type === "auth");
  second.deliver({ type: "error", id: auth.id, code: "unavailable", message: "shutting down" });
  await tick();
  assert.deepEqual(resets, [1], "no new session, so the page keeps (stale) what it showed");
  assert.equal(second.closed?.reason, "sign-in refused: unavailable");
  assert.equal(client.state, State.RECONNECTING);
  t.mock.timers.tick(2000);
  await tick();
  await answerAuth(transport.connections[2]);
  assert.deepEqual(resets, [1, 3], "a session without events resets at its ack");
  client.stop();
});

test("a connection that is not signed in within 20 s is given up and made again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const transport = scripted({ greet: false });
  const client = new Client({ credentials: { user: "a", password: "p" }, transports: [transport.open], pingIntervalMs: 1e9 });
  client.start();
  await tick();
  assert.equal(client.state, State.AUTHENTICATING);
  t.mock.timers.tick(19999);
  assert.equal(transport.connections[0].closed, null);
  t.mock.timers.tick(1);
  assert.equal(transport.connections[0].closed?.code, 4000);
  assert.equal(client.state, State.RECONNECTING);
  client.stop();
});

test("the backoff starts afresh only once a link has lasted: sessions dropped at once back off", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const transport = scripted();
  const client = new Client({ credentials: { user: "a", password: "p" }, transports: [transport.open], pingIntervalMs: 25000 });
  const retries = [];
  client.addEventListener("state", (e) => {
    if (e.detail.state === State.RECONNECTING) retries.push(e.detail.retryAt - Date.now());
  });
  client.start();
  for (let i = 0; i < 4; i++) {
    await tick();
    await answerAuth(transport.connections.at(-1));
    transport.connections.at(-1).drop(1011);
    t.mock.timers.tick(30000);
  }
  assert.equal(retries.length, 4);
  for (const [attempt, delay] of retries.entries()) {
    const full = 1000 * 2 ** attempt;
    assert.ok(delay >= full / 2 && delay <= full, `retry ${attempt}: ${delay} ms`);
  }
  // A link that answers a ping has proved itself: the next drop retries within a second.
  await tick();
  const lasting = transport.connections.at(-1);
  await answerAuth(lasting);
  t.mock.timers.tick(25000);
  const ping = lasting.sent.at(-1);
  lasting.deliver({ type: "ack", id: ping.id });
  await tick();
  lasting.drop(1011);
  assert.ok(retries.at(-1) <= 1000, `after a lasting link: ${retries.at(-1)} ms`);
  client.stop();
});

test("a page that stops the client as it starts connecting gets no connection", async () => {
  const transport = scripted();
  const client = new Client({ credentials: { user: "a", password: "p" }, transports: [transport.open] });
  client.addEventListener("state", (e) => {
    if (e.detail.state === State.CONNECTING) client.stop();
  });
  client.start();
  await tick();
  assert.equal(transport.connections.length, 0);
  assert.equal(client.state, State.STOPPED);
});
