// The proxies the browser tests put in front of the server: Debian's nginx (harness.mjs's
// startNginx), configured as the proxies and firewalls of protocol.md ("Through proxies and
// firewalls") behave, each line saying what it imitates. Shared by proxy.test.mjs (the ladder
// behind each) and conversations.test.mjs (conversations on the rungs they leave). Then the
// WebAgent watched on its way down the ladder behind a proxy, the proof that it missed no event
// there, and the watch of idle pages: proxy.test.mjs's, tls-inspection.test.mjs's (behind
// mitmproxy) and squid.test.mjs's (behind a forward proxy).

import assert from "node:assert/strict";
import { PortTaken, freePort, signIn, startNginx, startServer, watchClient, watchErrors } from "./harness.mjs";

/** Patience for anything the server, the simulator or the ladder has to do: a limit, not a timing. */
export const PATIENCE = 60000;

/**
 * The server behind nginx. nginx's port is picked first because the server must be told it
 * (`public_ws_port`, so /rt/endpoints sends pages through nginx); nginx then starts on it in
 * front of the server's ws listener. `serverToml(nginxPort)` is the server's extra TOML,
 * `nginxServers(nginxPort, upstreamPort)` nginx's `server` blocks. If another process took the
 * port in between, it all starts again on another one.
 */
export async function behindNginx(t, { serverToml, nginxServers }) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = await startServer({ extra: serverToml(port) });
    let nginx;
    try {
      nginx = await startNginx({ port, config: (listen) => nginxServers(listen, server.ports.ws) });
    } catch (error) {
      await server.stop();
      if (error instanceof PortTaken && attempt < 5) continue;
      throw error;
    }
    t.after(async () => {
      await nginx.stop();
      await server.stop();
    });
    return { server, nginx };
  }
}

/**
 * A download scanner in front of the ws listener: every response is held until it is complete
 * (an event stream never is), and no WebSocket upgrade gets through. Only long-poll works here.
 */
export const holdingStreams = (port, upstream) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      # A download scanner (TLS inspection, antivirus): the response is held until it is
      # complete, whatever the server asks (its X-Accel-Buffering: no is ignored)...
      proxy_buffering on;
      proxy_ignore_headers X-Accel-Buffering;
      # ...in buffers large enough that an event stream's first kilobytes, and its headers, never
      # get out before the stream ends.
      proxy_buffer_size 1m;
      proxy_buffers 8 1m;
      proxy_busy_buffers_size 2m;
      # HTTP/1.0 to the server (nginx's default) and no Upgrade or Connection header passed: a
      # WebSocket upgrade cannot get through.
    }
  }
`;

/**
 * A proxy in front of the ws listener that refuses WebSocket: any request asking for an upgrade
 * gets 403, as a corporate proxy that does not allow WebSocket answers it. Everything else passes
 * as a plain reverse proxy would pass it.
 */
export const refusingUpgrades = (port, upstream) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      # The proxy's policy: no WebSocket.
      if ($http_upgrade) {
        return 403;
      }
      proxy_pass http://127.0.0.1:${upstream};
      # The page's host and port, so the server names its own origin (and /rt/endpoints) as the
      # browser sees it.
      proxy_set_header Host $http_host;
      # nginx's default buffering, which a stream's X-Accel-Buffering: no turns off for SSE.
      proxy_buffering on;
    }
  }
`;

/**
 * A sane production reverse proxy: WebSocket upgrades passed, buffering on (SSE turns it off
 * with X-Accel-Buffering: no), and an idle timeout of `readTimeout`: a connection that
 * carries nothing from the server for that long is closed.
 */
export const passingUpgrades = (port, upstream, { readTimeout = "60s" } = {}) => `
  # The Connection header to send upstream: "upgrade" when the browser asked for one.
  map $http_upgrade $connection_upgrade {
    default upgrade;
    "" close;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      # What nginx's WebSocket guide says to add: HTTP/1.1 and the hop-by-hop upgrade headers.
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_buffering on;
      # The idle killer: nothing read from the server for this long closes the connection
      # (nginx's default is 60 s, AWS ALB's 60 s).
      proxy_read_timeout ${readTimeout};
    }
  }
`;

// --- The WebAgent behind a proxy --------------------------------------------------------------

/**
 * The WebAgent at `url`, watched (see watchClient), signed in as `user`, live. `polls` holds
 * (promises of) the bodies of the long-poll answers it received, as they came over the wire.
 */
export async function openAgent(browser, url, user) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  const watch = await watchClient(page);
  const polls = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname === "/rt/poll") polls.push(response.json().catch(() => null));
  });
  await page.goto(url);
  await signIn(page, user);
  await page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
  return { page, errors, polls, ...watch };
}

/** The rung the page's client is connected over: "wss", "ws", "sse" or "poll". */
export const rungOf = (agent) => agent.client((client) => client.rung);

/** The rungs the page's client tried, in order. */
export const rungsTried = async (agent) => [...new Set((await agent.seen()).states.map((s) => s.rung).filter(Boolean))];

export const agentState = (page, name) =>
  page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });

/**
 * The errors a page may log on its way down the ladder: the browser's own notes of the
 * WebSocket rungs that failed (a reset connection, an upgrade answered 400 or 403, a tunnel a
 * forward proxy refused).
 */
export const unexpected = (errors) => errors.filter((e) => !e.startsWith("console: WebSocket connection to"));

/**
 * The agent logs in, gets ready and takes `count` of the simulator's calls one after the other:
 * accept, hang up, end the wrap-up.
 */
export async function takeCalls(agent, count) {
  const { page } = agent;
  await page.getByRole("button", { name: "Log in" }).click();
  await agentState(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  for (let n = 0; n < count; n++) {
    await page.getByRole("button", { name: "Accept" }).click({ timeout: PATIENCE });
    await agentState(page, "on_call");
    await page.getByRole("button", { name: "Hang up" }).click();
    await agentState(page, "wrap_up");
    await page.getByRole("button", { name: "End wrap-up" }).click();
    await page.waitForFunction(
      () => document.querySelector('[data-role="state"]').dataset.state !== "wrap_up",
      null,
      { timeout: PATIENCE },
    );
  }
}

/**
 * The page got one session's events, each once and in order by seq (1, 2, 3, ...), the link
 * never dropped, and each of the `calls` calls it took was seen whole and in order. On
 * long-poll, the answers over the wire are checked too: each event once, in order, none lost.
 */
export async function assertEachEventOnce(agent, calls) {
  const { deliveries, states } = await agent.seen();
  assert.equal(deliveries.filter((d) => d.reset).length, 1, "one session, never resynced");
  const events = deliveries.filter((d) => !d.reset);
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    "every event delivered once, in seq order",
  );
  assert.ok(!states.some((s) => s.state === "reconnecting"), "the link never dropped");
  // Every call taken was seen whole, in order: offered (the offer, the agent ringing), connected
  // (call_connected, on call), completed (call_left, wrap-up).
  const taken = [...new Set(events.filter((e) => e.type === "call_connected").map((e) => e.call))];
  assert.equal(taken.length, calls, "each call taken was connected once");
  const phases = [["offer", "ringing"], ["call_connected", "on_call"], ["call_left", "wrap_up"]];
  for (const call of taken) {
    const story = events.filter((e) => e.call === call).map((e) => (e.type === "agent_state" ? e.state : e.type));
    const phaseOf = story.map((step) => phases.findIndex((phase) => phase.includes(step)));
    assert.deepEqual([...story].sort(), phases.flat().sort(), `call ${call}: ${story.join(", ")}`);
    assert.deepEqual(phaseOf, [...phaseOf].sort(), `call ${call} in order: ${story.join(", ")}`);
  }
  if ((await rungOf(agent)) !== "poll") return;
  const wire = (await Promise.all(agent.polls)).flatMap((body) => body?.messages ?? []).filter((m) => typeof m.seq === "number");
  assert.deepEqual(
    wire.map((m) => m.seq),
    wire.map((_, i) => i + 1),
    "the poll answers carried each event once, in order",
  );
  assert.ok(wire.length >= events.length, "every delivered event came in a poll answer");
}

/**
 * Where the page's ladder ended and how long it took: `{rung, fromLoadMs, fromStartMs}`, the
 * milliseconds from the page's load (its time origin) and from its client's first attempt (after
 * the sign-in form was sent) to the link going live on the rung it is on now.
 */
export async function ladderEnd(agent) {
  const rung = await rungOf(agent);
  const loadedAt = await agent.page.evaluate(() => performance.timeOrigin);
  const { states } = await agent.seen();
  const live = states.find((s) => s.state === "live" && s.rung === rung);
  assert.ok(live, `the page went live on ${rung}: ${JSON.stringify(states)}`);
  return { rung, fromLoadMs: live.at - loadedAt, fromStartMs: live.at - states[0].at };
}

/** A ladderEnd as the tests' output records it. */
export const endedText = ({ rung, fromLoadMs, fromStartMs }) =>
  `ended on ${rung} in ${(fromStartMs / 1000).toFixed(1)} s from the first attempt (${(fromLoadMs / 1000).toFixed(1)} s from the page's load, the sign-in included)`;

/**
 * Watches idle WebAgent pages (`{rung: agent}`, each from openAgent, live on that rung) from
 * now on: every link they open (a WebSocket, an SSE stream, a long-poll link's first poll,
 * which has no `next`), every state change and every event. `assertStayedLive()` asserts that
 * there were none: each page still live on its rung, no event, no reconnection.
 */
export async function watchQuiet(pages) {
  const opened = { ws: 0, sse: 0, poll: 0 };
  const before = {};
  for (const [rung, agent] of Object.entries(pages)) {
    agent.page.on("websocket", () => opened.ws++);
    agent.page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname === "/rt/sse") opened.sse++;
      if (url.pathname === "/rt/poll" && !url.searchParams.has("next")) opened.poll++;
    });
    before[rung] = await agent.seen();
  }
  return {
    async assertStayedLive() {
      for (const [rung, agent] of Object.entries(pages)) {
        const { states, deliveries } = await agent.seen();
        assert.equal(deliveries.length, before[rung].deliveries.length, `no event came to the ${rung} page: it was idle`);
        assert.deepEqual(states.slice(before[rung].states.length), [], `the ${rung} page stayed live: ${JSON.stringify(states)}`);
        assert.equal(states.at(-1).state, "live");
        assert.equal(await rungOf(agent), rung);
        assert.deepEqual(unexpected(agent.errors), []);
      }
      assert.deepEqual(opened, { ws: 0, sse: 0, poll: 0 }, "no reconnection");
    },
  };
}
