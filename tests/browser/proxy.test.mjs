// The WebAgent behind real proxies: Debian's nginx in front of the real server, configured as
// the proxies and firewalls of protocol.md ("Through proxies and firewalls") behave, and the
// page in Chromium walking its ladder (WSS, WS, SSE, long-poll) to the rung that works there.
// Each nginx configuration is written out in proxies.mjs, with what each line imitates.

import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { createServer } from "node:net";
import { launchBrowser } from "./harness.mjs";
import {
  PATIENCE,
  agentState,
  assertEachEventOnce,
  behindNginx,
  endedText,
  holdingStreams,
  ladderEnd,
  openAgent,
  passingUpgrades,
  refusingUpgrades,
  rungOf,
  rungsTried,
  takeCalls,
  unexpected,
  watchQuiet,
} from "./proxies.mjs";

/** A browser for one test, closed after it. */
async function browserFor(t) {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  return browser;
}

/**
 * A firewall that lets nothing through to a port: a TCP listener that resets every connection
 * the moment it arrives, counting them (so a test knows the page did try). Closed after the test.
 */
async function resettingPort(t) {
  const firewall = { port: 0, connections: 0 };
  const listener = createServer((socket) => {
    firewall.connections++;
    socket.resetAndDestroy();
  });
  await new Promise((resolveListen) => listener.listen(0, "127.0.0.1", resolveListen));
  firewall.port = listener.address().port;
  t.after(() => new Promise((resolveClose) => listener.close(resolveClose)));
  return firewall;
}

test("behind a proxy that holds every response until it completes, the page ends on long-poll and misses nothing", async (t) => {
  const { nginx } = await behindNginx(t, {
    // Only what passes the proxy: no wss rung (the proxy offers no TLS port), ws through it.
    serverToml: (nginxPort) => `
[server]
public_wss_port = 0
public_ws_port = ${nginxPort}
`,
    nginxServers: holdingStreams,
  });
  const browser = await browserFor(t);
  const agent = await openAgent(browser, `${nginx.url}/agent`, "agent1");
  t.diagnostic(`nginx holding every response, no upgrade: ${endedText(await ladderEnd(agent))}`);
  assert.equal(await rungOf(agent), "poll", "only long-poll gets through a proxy that holds streams");
  assert.deepEqual(await rungsTried(agent), ["ws", "sse", "poll"]);

  await takeCalls(agent, 3);
  assert.equal(await rungOf(agent), "poll", "still on long-poll");
  await assertEachEventOnce(agent, 3);
  assert.deepEqual(unexpected(agent.errors), []);
});

test("WebSocket refused by the proxy on the ws port, the server's own wss port open: the page on http takes WSS", async (t) => {
  const { nginx } = await behindNginx(t, {
    // The page is served through nginx; the wss rung is the server's own TLS listener (its port
    // is the listener's: no public_wss_port).
    serverToml: (nginxPort) => `
[server]
public_ws_port = ${nginxPort}
`,
    nginxServers: refusingUpgrades,
  });
  const browser = await browserFor(t);
  const agent = await openAgent(browser, `${nginx.url}/agent`, "agent1");
  t.diagnostic(`nginx refusing WebSocket, the wss port open: ${endedText(await ladderEnd(agent))}`);
  assert.equal(await rungOf(agent), "wss");
  assert.deepEqual(await rungsTried(agent), ["wss"]);
  assert.deepEqual(unexpected(agent.errors), []);
});

test("a firewall that resets the wss port: the page goes to ws through the proxy", async (t) => {
  const firewall = await resettingPort(t);
  const { nginx } = await behindNginx(t, {
    serverToml: (nginxPort) => `
[server]
public_ws_port = ${nginxPort}
public_wss_port = ${firewall.port}
`,
    nginxServers: passingUpgrades,
  });
  const browser = await browserFor(t);
  const agent = await openAgent(browser, `${nginx.url}/agent`, "agent1");
  t.diagnostic(`the wss port reset by a firewall: ${endedText(await ladderEnd(agent))}`);
  assert.equal(await rungOf(agent), "ws");
  assert.deepEqual(await rungsTried(agent), ["wss", "ws"]);
  assert.ok(firewall.connections >= 1, "the page did try wss first");

  // Reloaded, the page goes straight to the rung that worked: no knocking at the firewall.
  const knocks = firewall.connections;
  await agent.page.reload();
  await agent.page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
  assert.deepEqual(await rungsTried(agent), ["ws"]);
  assert.equal(firewall.connections, knocks);
  assert.deepEqual(unexpected(agent.errors), []);
});

test("wss reset by a firewall and WebSocket refused by the proxy: the page goes to SSE", async (t) => {
  const firewall = await resettingPort(t);
  const { nginx } = await behindNginx(t, {
    serverToml: (nginxPort) => `
[server]
public_ws_port = ${nginxPort}
public_wss_port = ${firewall.port}
`,
    nginxServers: refusingUpgrades,
  });
  const browser = await browserFor(t);
  const agent = await openAgent(browser, `${nginx.url}/agent`, "agent1");
  t.diagnostic(`wss reset and WebSocket refused by nginx: ${endedText(await ladderEnd(agent))}`);
  assert.equal(await rungOf(agent), "sse");
  assert.deepEqual(await rungsTried(agent), ["wss", "ws", "sse"]);
  assert.ok(firewall.connections >= 1, "the page did try wss first");
  // It works as well as any rung: a command and the event it causes.
  await agent.page.getByRole("button", { name: "Log in" }).click();
  await agentState(agent.page, "not_ready");
  assert.deepEqual(unexpected(agent.errors), []);
});

test("behind a proxy that closes idle connections after 10 s, heartbeats keep WS and SSE live for a minute", async (t) => {
  const READ_TIMEOUT_SECS = 10;
  const { nginx } = await behindNginx(t, {
    // Heartbeats (and SSE's keepalive comments) well inside the proxy's idle timeout.
    serverToml: (nginxPort) => `
[server]
public_ws_port = ${nginxPort}
public_wss_port = 0

[limits]
ping_interval_secs = 4
sse_keepalive_secs = 4
`,
    nginxServers: (port, upstream) => passingUpgrades(port, upstream, { readTimeout: `${READ_TIMEOUT_SECS}s` }),
  });
  const browser = await browserFor(t);

  // agent2 has a skill in sales only, where the simulator sends no calls: nothing but
  // heartbeats comes to its pages. One page on the best rung there is (ws), one forced onto SSE.
  const pages = {};
  for (const [rung, path] of [["ws", "/agent"], ["sse", "/agent?rung=sse"]]) {
    const agent = await openAgent(browser, `${nginx.url}${path}`, "agent2");
    assert.deepEqual(await rungsTried(agent), [rung]);
    pages[rung] = agent;
  }
  await pages.ws.page.getByRole("button", { name: "Log in" }).click();
  for (const agent of Object.values(pages)) await agentState(agent.page, "not_ready");
  const quiet = await watchQuiet(pages);

  // The proxy does kill an idle connection: the diagnostics' idle probe, one tick, then silence
  // longer than the proxy's timeout, is cut before its last tick.
  const idleProbe = sseThroughProxy(`${nginx.url}/diag/sse?idle_secs=${2 * READ_TIMEOUT_SECS}`);

  await new Promise((resolveWait) => setTimeout(resolveWait, 6 * READ_TIMEOUT_SECS * 1000));

  const probe = await idleProbe;
  assert.equal(probe.ticks, 1, `the idle probe was cut by the proxy: ${probe.text}`);
  await quiet.assertStayedLive();
});

/** Reads an SSE stream from `url` to its end: how many `tick` messages came, and the text. */
function sseThroughProxy(url) {
  return new Promise((resolveStream, reject) => {
    request(url, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      const done = () => resolveStream({ ticks: (text.match(/"type":"tick"/g) ?? []).length, text });
      // Whether it ended or was cut.
      response.on("close", done);
    })
      .on("error", reject)
      .end();
  });
}
