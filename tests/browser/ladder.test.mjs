// The fallback ladder and resume in Chromium, against the real server (no proxy: the nginx tests
// put one in front): the WebAgent pinned to SSE and to long-polling (`?rung=`) works as over a
// WebSocket; a page whose WebSockets are refused walks down to SSE and remembers it; a link cut
// under a page's feet is resumed on every rung, with no event lost, none twice, and no reset;
// the supervisor's console resumed after a cut shows what changed meanwhile; the page tells the
// server at each heartbeat which events it has (`seen`), and a resume after that loses nothing.

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, signIn, startServer, watchClient, watchErrors } from "./harness.mjs";

const PATIENCE = 60000;

/** A server and a browser for one test, closed after it. */
async function setUp(t) {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  return { server, browser };
}

const state = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });
const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });

/**
 * Before the page's scripts run: keeps every WebSocket, EventSource and long-poll request the
 * page opens, so that a test can cut the link under the client (`window.__links.cut()`), as a
 * network that drops a connection does; and refuses new links of the rungs in
 * `__links.refused` (`ws` for both WebSocket rungs, `sse`, `poll`), as a proxy that blocks them.
 */
function recordLinks() {
  const links = { sockets: [], sources: [], polls: [], attempts: { ws: 0, sse: 0, poll: 0 }, refused: new Set() };
  Object.defineProperty(window, "__links", { value: links });
  const refusal = () => new DOMException("refused by the test", "NetworkError");
  const PageWebSocket = window.WebSocket;
  window.WebSocket = class extends PageWebSocket {
    constructor(...args) {
      links.attempts.ws++;
      if (links.refused.has("ws")) throw refusal();
      super(...args);
      links.sockets.push(this);
    }
  };
  const PageEventSource = window.EventSource;
  window.EventSource = class extends PageEventSource {
    constructor(...args) {
      links.attempts.sse++;
      if (links.refused.has("sse")) throw refusal();
      super(...args);
      links.sources.push(this);
    }
  };
  const pageFetch = window.fetch.bind(window);
  window.fetch = (url, init = {}) => {
    if (!String(url).includes("/rt/poll")) return pageFetch(url, init);
    links.attempts.poll++;
    if (links.refused.has("poll")) return Promise.reject(new TypeError("refused by the test"));
    // The poll's own signal still aborts it; the test's controller cuts it as a network would.
    const cut = new AbortController();
    init.signal?.addEventListener("abort", () => cut.abort());
    links.polls.push(cut);
    return pageFetch(url, { ...init, signal: cut.signal });
  };
  links.cut = () => {
    const socket = links.sockets.findLast((s) => s.readyState === PageWebSocket.OPEN);
    const source = links.sources.findLast((s) => s.readyState !== PageEventSource.CLOSED);
    if (socket) socket.close();
    else if (source) {
      // The stream ends as when the network breaks it: closed, and an error for the page.
      source.close();
      source.dispatchEvent(new Event("error"));
    } else links.polls.at(-1)?.abort();
  };
}

/** The supervisor, from a page of its own, forces agent1 not ready with `reason`. */
async function forceNotReady(browser, server, reason) {
  const page = await browser.newPage();
  await page.goto(`${server.http}/`);
  await page.evaluate(
    ({ url, password, reason }) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(url, "acdhub.v1");
        socket.onmessage = (frame) => {
          const message = JSON.parse(frame.data);
          if (message.type === "hello") socket.send(JSON.stringify({ id: "1", type: "auth", user: "supervisor", password }));
          if (message.id === "1" && message.type === "ack") {
            socket.send(JSON.stringify({ id: "2", type: "force_state", agent: "agent1", state: "not_ready", reason }));
          }
          if (message.id === "2") {
            socket.close();
            if (message.type === "ack") resolve();
            else reject(new Error(`force_state: ${message.code}`));
          }
        };
        socket.onerror = () => reject(new Error("the supervisor's WebSocket failed"));
      }),
    { url: `${server.http.replace(/^http/, "ws")}/ws`, password: PASSWORD, reason },
  );
  await page.close();
}

/** The WebAgent at `path`, signed in as agent1 and logged in, with its client watched. */
async function agentPage(browser, server, path) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.addInitScript(recordLinks);
  const watched = await watchClient(page);
  await page.goto(`${server.http}${path}`);
  await signIn(page, "agent1");
  await live(page);
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  return { page, errors, watched };
}

/**
 * The page's link is cut and no new one gets through until a supervisor has forced agent1 to
 * lunch: that event can reach the page only through the resume. Returns once the page shows
 * it and is live again.
 */
async function cutWhileForcedToLunch(page, browser, server) {
  await page.evaluate(() => {
    for (const rung of ["ws", "sse", "poll"]) window.__links.refused.add(rung);
    window.__links.cut();
  });
  await page.waitForFunction(() => window.__acdhubSeen.states.at(-1).state === "reconnecting");
  await forceNotReady(browser, server, "lunch");
  await page.evaluate(() => window.__links.refused.clear());
  await page.waitForFunction(() => document.querySelector('[data-role="reason"]')?.textContent === "· Lunch", null, { timeout: PATIENCE });
  await live(page);
}

/** The events delivered to the page: seqs contiguous from 1, no reset after the first. */
function assertEachEventOnce(deliveries, what) {
  assert.deepEqual(deliveries.filter((d) => d.reset).length, 1, `${what}: one session, one reset`);
  const seqs = deliveries.filter((d) => !d.reset).map((d) => d.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `${what}: each event once, in order, none missing`);
}

for (const rung of ["sse", "poll"]) {
  test(`the WebAgent pinned to ${rung} signs in, goes ready and takes a call`, async (t) => {
    const { server, browser } = await setUp(t);
    const { page, errors, watched } = await agentPage(browser, server, `/agent?rung=${rung}`);
    assert.equal(await watched.client((client) => client.rung), rung);
    await page.getByRole("button", { name: "Ready", exact: true }).click();
    // The simulator's callers wait in support until this agent answers.
    await page.getByRole("button", { name: "Accept" }).click({ timeout: PATIENCE });
    await state(page, "on_call");
    await page.getByRole("button", { name: "Hang up" }).click();
    await state(page, "wrap_up");
    assert.equal(await watched.client((client) => client.rung), rung, "all along on that rung");
    const { deliveries } = await watched.seen();
    assertEachEventOnce(deliveries, rung);
    assert.ok(deliveries.some((d) => d.type === "call_connected"), "the call came over the rung");
    assert.deepEqual(errors, []);
  });
}

for (const rung of ["ws", "sse", "poll"]) {
  test(`a ${rung} link cut under the page is resumed: the event missed meanwhile comes once, with no reset`, async (t) => {
    const { server, browser } = await setUp(t);
    const { page, errors, watched } = await agentPage(browser, server, `/agent?rung=${rung}`);
    const before = (await watched.seen()).deliveries.length;
    await cutWhileForcedToLunch(page, browser, server);
    const { deliveries } = await watched.seen();
    assert.ok(deliveries.length > before, "the missed event came");
    assertEachEventOnce(deliveries, rung);
    assert.equal(await watched.client((client) => client.session.resumed), true, "the session was resumed");
    assert.equal(await watched.client((client) => client.rung), rung);
    assert.deepEqual(errors, []);
  });
}

/**
 * What the page and the server say to each other on the ws and poll rungs: every message the
 * page sends (WebSocket frames, `POST /rt/send` bodies) and every message it receives (frames,
 * the messages of `/rt/poll` answers), as parsed JSON.
 */
function watchWire(page) {
  const wire = { sent: [], received: [] };
  const keep = (list, text) => {
    try {
      list.push(JSON.parse(text));
    } catch {
      // Not a protocol message (a poll's empty answer has its own shape, taken apart below).
    }
  };
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => keep(wire.sent, String(payload)));
    socket.on("framereceived", ({ payload }) => keep(wire.received, String(payload)));
  });
  page.on("request", (request) => {
    if (request.url().includes("/rt/send")) keep(wire.sent, request.postData() ?? "");
  });
  page.on("response", async (response) => {
    if (!response.url().includes("/rt/poll")) return;
    const body = await response.json().catch(() => null);
    for (const message of body?.messages ?? []) wire.received.push(message);
  });
  return wire;
}

for (const rung of ["ws", "poll"]) {
  test(`on ${rung} the page tells the server at each heartbeat which events it has, the server acks it, and a resume after that loses nothing`, async (t) => {
    // A heartbeat a second, so the page has told the server within the test.
    const server = await startServer({ extra: "[limits]\nping_interval_secs = 1\n" });
    const browser = await launchBrowser();
    t.after(async () => {
      await browser.close();
      await server.stop();
    });
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const wire = watchWire(page);
    await page.addInitScript(recordLinks);
    const watched = await watchClient(page);
    await page.goto(`${server.http}/agent?rung=${rung}`);
    await signIn(page, "agent1");
    await live(page);
    await page.getByRole("button", { name: "Log in" }).click();
    await state(page, "not_ready");

    // The last event the page has (or a later one: the simulator's callers keep the queue's
    // events coming), told once a heartbeat has come after it, and acknowledged.
    const last = await watched.client((client) => client.lastSeq);
    const deadline = Date.now() + PATIENCE;
    let told;
    while (!(told = wire.sent.find((m) => m.type === "seen" && m.seq >= last))) {
      assert.ok(Date.now() < deadline, `no seen with seq ${last}: ${JSON.stringify(wire.sent)}`);
      await page.waitForTimeout(100);
    }
    while (!wire.received.some((m) => m.id === told.id)) {
      assert.ok(Date.now() < deadline, "no answer to the seen");
      await page.waitForTimeout(100);
    }
    assert.deepEqual(wire.received.find((m) => m.id === told.id), { type: "ack", id: told.id });
    const seens = wire.sent.filter((m) => m.type === "seen").map((m) => m.seq);
    assert.deepEqual(seens, [...new Set(seens)].sort((a, b) => a - b), "each seq told once, in order");

    // The session forgot what the page has; a cut and a change meanwhile still resume exactly.
    await cutWhileForcedToLunch(page, browser, server);
    assert.equal(await watched.client((client) => client.session.resumed), true, "the session was resumed");
    assertEachEventOnce((await watched.seen()).deliveries, rung);
    assert.ok(!wire.received.some((m) => m.type === "error"), `no refusal: ${JSON.stringify(wire.received.filter((m) => m.type === "error"))}`);
    assert.deepEqual(errors, []);
  });
}

test("a page whose WebSockets are refused walks down to SSE, and starts there on the next load", async (t) => {
  const { server, browser } = await setUp(t);
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.addInitScript(recordLinks);
  await page.addInitScript(() => window.__links.refused.add("ws"));
  const watched = await watchClient(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, "agent1");
  await live(page);
  assert.equal(await watched.client((client) => client.rung), "sse");
  assert.equal(await page.evaluate(() => window.__links.attempts.ws), 2, "wss and ws were tried first");
  assert.equal(await page.evaluate(() => localStorage.getItem("acdhub.rung")), "sse", "remembered");

  // Reloaded (the token is in sessionStorage, so it signs in by itself), it goes straight to SSE.
  await page.reload();
  await live(page);
  assert.equal(await watched.client((client) => client.rung), "sse");
  assert.equal(await page.evaluate(() => window.__links.attempts.ws), 0, "no WebSocket tried first");
  assert.deepEqual(errors, []);
});

test("the supervisor's console resumes after a cut: a call that ended meanwhile leaves its table", async (t) => {
  const { server, browser } = await setUp(t);
  const supervisor = await browser.newPage();
  const errors = watchErrors(supervisor);
  await supervisor.addInitScript(recordLinks);
  const watched = await watchClient(supervisor);
  await supervisor.goto(`${server.http}/supervisor`);
  await signIn(supervisor, "supervisor");
  await live(supervisor);

  const agent = await agentPage(browser, server, "/agent");
  await agent.page.getByRole("button", { name: "Ready", exact: true }).click();
  await agent.page.getByRole("button", { name: "Accept" }).click({ timeout: PATIENCE });
  await state(agent.page, "on_call");
  const call = (await agent.watched.seen()).deliveries.find((d) => d.type === "call_connected").call;
  const row = supervisor.locator(`[data-call="${call}"]`);
  await supervisor.locator(`[data-call="${call}"][data-status=connected]`).waitFor({ timeout: PATIENCE });

  await supervisor.evaluate(() => {
    for (const rung of ["ws", "sse", "poll"]) window.__links.refused.add(rung);
    window.__links.cut();
  });
  await supervisor.waitForFunction(() => window.__acdhubSeen.states.at(-1).state === "reconnecting");
  await agent.page.getByRole("button", { name: "Hang up" }).click();
  await state(agent.page, "wrap_up");
  await supervisor.evaluate(() => window.__links.refused.clear());

  await row.waitFor({ state: "detached", timeout: PATIENCE });
  await live(supervisor);
  assert.equal(await watched.client((client) => client.session.resumed), true, "the session was resumed");
  const { deliveries } = await watched.seen();
  assert.equal(deliveries.filter((d) => d.reset).length, 1, "no new session");
  assert.deepEqual(errors, []);
});
