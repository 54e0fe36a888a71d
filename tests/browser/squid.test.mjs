// The WebAgent behind the agents' real obstacle: a forward proxy set in their browsers. Debian's
// squid (squid.mjs) with Debian's default access rules, Chromium started with --proxy-server
// (loopback included), and the real server behind it. The page is loaded over http from the
// server's ws port through squid; the server's ws port plays port 80, its wss port 443.
//
// What squid does with each rung (its access log says so):
// - Chromium opens every WebSocket through a proxy as a tunnel, `CONNECT host:port`, ws:// too.
//   squid's default `http_access deny CONNECT !SSL_ports` answers a tunnel to any port but the
//   TLS ones 403 (TCP_DENIED/403), and Chromium fails the WebSocket at once: plain WebSocket is
//   refused, wss to the TLS port is tunnelled (TCP_TUNNEL/200). Chromium's upgrade never
//   reaches squid as a forwarded request; one that does (a client that does not tunnel) loses
//   its Upgrade and Connection headers there (squid passes no upgrade without
//   `http_upgrade_request_protocols`), and the server answers it 400.
// - SSE and long-poll are forwarded plain HTTP (TCP_MISS/200), passed on as they come: squid
//   does not hold an event stream.
// - `read_timeout` cuts a forwarded response that brings nothing for that long, and a CONNECT
//   tunnel with no data either way for that long.
//
// Every scenario says in the test output which rung the page ended on, and how long the ladder
// took from its first attempt to live.

import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { eventually, launchBrowser, signIn, startServer, watchClient, watchErrors } from "./harness.mjs";
import { openAgent, rungOf, unexpected, watchQuiet } from "./proxies.mjs";
import { defaultRules, startSquid } from "./squid.mjs";

/** Patience for anything the server, the simulator or the ladder has to do: a limit, not a timing. */
const PATIENCE = 60000;
const TEST = { timeout: 300000 };

/**
 * The server and, in front of the browser, squid with `config(server.ports)` (access rules and
 * the like, see squid.mjs); both stopped after the test. `extra` is the server's TOML.
 */
async function behindSquid(t, { config, extra = "" }) {
  const server = await startServer({ extra });
  let squid;
  try {
    squid = await startSquid({ config: config(server.ports) });
  } catch (error) {
    await server.stop();
    throw error;
  }
  t.after(async () => {
    await squid.stop();
    await server.stop();
  });
  return { server, squid };
}

/** Chromium whose forward proxy is `squid`, closed after the test. */
async function browserThrough(t, squid, options = {}) {
  const browser = await launchBrowser({ proxy: squid.url, ...options });
  t.after(() => browser.close());
  return browser;
}

const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });

const agentState = (page, name) =>
  page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });

/**
 * The ladder's walk on this page load (watchClient's states): the rungs it tried, in order, the
 * rung it is live on, and the milliseconds from its first attempt to live.
 */
async function walk(agent) {
  const { states } = await agent.seen();
  const first = states.find((s) => s.state === "connecting");
  const liveState = states.find((s) => s.state === "live");
  return {
    tried: [...new Set(states.map((s) => s.rung).filter(Boolean))],
    rung: liveState?.rung ?? null,
    ms: liveState && first ? liveState.at - first.at : null,
  };
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** squid's access-log entries for a CONNECT to `port` on the loopback. */
const tunnelsTo = (squid, port) => squid.accessLog().filter((e) => e.method === "CONNECT" && e.url === `127.0.0.1:${port}`);

/**
 * A WebSocket upgrade of `url` sent to squid as a forwarded request (as a client that does not
 * tunnel would send it): `{status, body}` of the answer, or `{status: 101}` if it upgraded.
 */
function forwardedUpgrade(squid, url) {
  const { host } = new URL(url);
  const headers = {
    Host: host,
    Origin: `http://${host}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Protocol": "acdhub.v1",
  };
  return new Promise((resolveAnswer, reject) => {
    const asked = request({ host: "127.0.0.1", port: squid.port, path: url, headers });
    asked.on("upgrade", (response, socket) => {
      socket.destroy();
      resolveAnswer({ status: response.statusCode, body: "" });
    });
    asked.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolveAnswer({ status: response.statusCode, body }));
    });
    asked.on("error", reject);
    asked.end();
  });
}

/** A quick connection check: 8 ticks 100 ms apart per stream, 2 long-polls of 300 ms. */
const QUICK = "ticks=8&interval=100&polls=2&wait=300&idle=2";

/** Each rung's verdict in the connection check's results, as `data-status`. */
const verdicts = (page) =>
  page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("[data-role=results] tr")].map((row) => [row.dataset.rung, row.querySelector(".verdict").dataset.status]),
    ),
  );

// --- CONNECT only to the TLS port ---------------------------------------------------------------

test("squid's default rules with the server's wss port as its TLS port: plain WebSocket is refused, WSS tunnelled; the WebAgent ends on WSS at once and starts there after a reload", TEST, async (t) => {
  const { server, squid } = await behindSquid(t, { config: ({ wss }) => defaultRules({ sslPorts: [wss] }) });
  const browser = await browserThrough(t, squid);
  const agent = await openAgent(browser, `${server.http}/agent`, "agent1");
  const first = await walk(agent);
  t.diagnostic(`squid, CONNECT only to the wss port: ended on ${first.rung} in ${seconds(first.ms)} (tried ${first.tried.join(", ")})`);
  assert.equal(await rungOf(agent), "wss");
  assert.deepEqual(first.tried, ["wss"]);
  assert.ok(first.ms < 5000, `WSS at its first attempt: ${first.ms} ms`);
  assert.equal(await agent.page.evaluate(() => localStorage.getItem("acdhub.rung")), "wss", "remembered");

  // Plain WebSocket to the ws port from the same page fails, and at once: squid refuses the
  // tunnel Chromium asks for (the page sees an abnormal closure, 1006, before any open).
  const plain = await agent.page.evaluate(
    (url) =>
      new Promise((resolve) => {
        const startedAt = performance.now();
        const socket = new WebSocket(url, "acdhub.v1");
        let opened = false;
        socket.onopen = () => (opened = true);
        socket.onclose = (event) => resolve({ opened, code: event.code, ms: performance.now() - startedAt });
      }),
    `ws://127.0.0.1:${server.ports.ws}/ws`,
  );
  t.diagnostic(`plain ws:// through squid: closed with ${plain.code} after ${plain.ms.toFixed(0)} ms, never open`);
  assert.equal(plain.opened, false);
  assert.equal(plain.code, 1006);
  assert.ok(plain.ms < 5000, `refused at once, not after a timeout: ${plain.ms} ms`);
  await eventually(() => tunnelsTo(squid, server.ports.ws).length > 0, "squid's log of the refused tunnel");
  assert.deepEqual(
    tunnelsTo(squid, server.ports.ws).map((e) => e.status),
    ["TCP_DENIED/403"],
    "squid refused the tunnel to the ws port",
  );

  // Nor does a WebSocket upgrade forwarded as plain HTTP get through: squid drops the upgrade.
  const forwarded = await forwardedUpgrade(squid, `http://127.0.0.1:${server.ports.ws}/ws`);
  t.diagnostic(`a WebSocket upgrade forwarded by squid: ${forwarded.status} ${forwarded.body}`);
  assert.equal(forwarded.status, 400);
  assert.match(forwarded.body, /Connection header did not include 'upgrade'/);

  // Reloaded (the token is in sessionStorage: it signs in by itself), it goes straight to WSS.
  // (The reloaded page's watch starts afresh.)
  await agent.page.reload();
  await live(agent.page);
  const again = await walk(agent);
  t.diagnostic(`after a reload: ended on ${again.rung} in ${seconds(again.ms)} (tried ${again.tried.join(", ")})`);
  assert.deepEqual(again.tried, ["wss"]);
  assert.equal(await rungOf(agent), "wss");
  await agent.page.getByRole("button", { name: "Log in" }).click();
  await agentState(agent.page, "not_ready");
  // The page's WebSockets (the first load's and the reload's) were tunnels to the wss port.
  await agent.page.close();
  await eventually(() => tunnelsTo(squid, server.ports.wss).length >= 2, "squid's log of the closed tunnels");
  assert.ok(tunnelsTo(squid, server.ports.wss).every((e) => e.status === "TCP_TUNNEL/200"), JSON.stringify(squid.accessLog()));
  assert.deepEqual(unexpected(agent.errors), []);
});

test("a page that remembered WS from a network without the proxy: behind squid its WS is refused and it climbs to WSS at once, not down to SSE", TEST, async (t) => {
  const { server, squid } = await behindSquid(t, { config: ({ wss }) => defaultRules({ sslPorts: [wss] }) });
  const browser = await browserThrough(t, squid);
  const page = await browser.newPage();
  const errors = watchErrors(page);
  // What an earlier load, where plain WebSocket got through, left in the origin's storage.
  await page.addInitScript(() => {
    if (!sessionStorage.getItem("test.seeded")) {
      localStorage.setItem("acdhub.rung", "ws");
      sessionStorage.setItem("test.seeded", "yes");
    }
  });
  const watch = await watchClient(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, "agent1");
  await live(page);
  const agent = { page, errors, ...watch };
  const walked = await walk(agent);
  t.diagnostic(`squid, CONNECT only to the wss port, WS remembered: ended on ${walked.rung} in ${seconds(walked.ms)} (tried ${walked.tried.join(", ")})`);
  assert.deepEqual(walked.tried, ["ws", "wss"], "the remembered rung first, then the best");
  assert.equal(await rungOf(agent), "wss");
  assert.ok(walked.ms < 5000, `no timeout waited for: ${walked.ms} ms`);
  assert.equal(await page.evaluate(() => localStorage.getItem("acdhub.rung")), "wss", "WSS remembered now");
  await eventually(() => tunnelsTo(squid, server.ports.ws).length > 0, "squid's log of the refused tunnel");
  assert.deepEqual(
    tunnelsTo(squid, server.ports.ws).map((e) => e.status),
    ["TCP_DENIED/403"],
    "the remembered WS was a tunnel squid refused",
  );
  assert.deepEqual(unexpected(errors), []);
});

// --- No CONNECT to the server at all -------------------------------------------------------------

test("squid's default rules as they come (CONNECT to 443 only, the server's wss port elsewhere): both WebSockets refused, the page ends on SSE through squid and takes a call", TEST, async (t) => {
  // SSL_ports is squid's own default, 443, which is not the server's wss port (nothing listens
  // on 443 here): every tunnel to the server is refused.
  const { server, squid } = await behindSquid(t, { config: () => defaultRules({ sslPorts: [443] }) });
  const browser = await browserThrough(t, squid);
  const agent = await openAgent(browser, `${server.http}/agent`, "agent1");
  const walked = await walk(agent);
  t.diagnostic(`squid, CONNECT to 443 only: ended on ${walked.rung} in ${seconds(walked.ms)} (tried ${walked.tried.join(", ")})`);
  assert.deepEqual(walked.tried, ["wss", "ws", "sse"]);
  assert.equal(await rungOf(agent), "sse", "squid passes an event stream as it comes: no need to poll");
  assert.ok(walked.ms < 5000, `each refused tunnel failed at once: ${walked.ms} ms`);

  // A call, taken and ended through squid: offered, accepted, hung up, wrap-up ended.
  const { page } = agent;
  await page.getByRole("button", { name: "Log in" }).click();
  await agentState(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await page.getByRole("button", { name: "Accept" }).click({ timeout: PATIENCE });
  await agentState(page, "on_call");
  await page.getByRole("button", { name: "Hang up" }).click();
  await agentState(page, "wrap_up");
  await page.getByRole("button", { name: "End wrap-up" }).click();
  await page.waitForFunction(() => document.querySelector('[data-role="state"]').dataset.state !== "wrap_up", null, {
    timeout: PATIENCE,
  });
  assert.equal(await rungOf(agent), "sse", "still on SSE");
  const { deliveries, states } = await agent.seen();
  const events = deliveries.filter((d) => !d.reset);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "every event once, in seq order");
  const call = events.find((e) => e.type === "call_connected")?.call;
  assert.ok(call, "the call was connected");
  const story = events.filter((e) => e.call === call).map((e) => (e.type === "agent_state" ? e.state : e.type));
  for (const step of ["offer", "call_connected", "call_left"]) assert.ok(story.includes(step), `the call's ${step}: ${story.join(", ")}`);
  assert.ok(!states.some((s) => s.state === "reconnecting"), "the link never dropped");

  // squid's log: both tunnels refused; the stream and the commands forwarded (the stream is
  // logged when it closes, with the page: ABORTED, by the browser).
  await page.close();
  await eventually(() => squid.accessLog().some((e) => e.url.endsWith("/rt/sse")), "squid's log of the closed stream");
  assert.deepEqual(tunnelsTo(squid, server.ports.wss).map((e) => e.status), ["TCP_DENIED/403"]);
  assert.deepEqual(tunnelsTo(squid, server.ports.ws).map((e) => e.status), ["TCP_DENIED/403"]);
  const forwarded = (path) => squid.accessLog().filter((e) => e.url.startsWith(`http://127.0.0.1:${server.ports.ws}${path}`));
  assert.deepEqual(forwarded("/rt/sse").map((e) => e.status), ["TCP_MISS_ABORTED/200"]);
  assert.ok(forwarded("/rt/send").length >= 4 && forwarded("/rt/send").every((e) => e.status === "TCP_MISS/202"));
  assert.deepEqual(unexpected(agent.errors), []);

  // The connection check there: both WebSockets blocked, the WebAgent on SSE, and no advice to
  // use https, which is refused as well. On the development certificate the WSS failure is the
  // proxy's refused tunnel or the refused certificate: they fail the page's WebSocket alike, at
  // once, and the page, seeing squid's Via, names both.
  const check = await browser.newPage();
  const startedAt = Date.now();
  await check.goto(`${server.http}/diagnostics?${QUICK}`);
  await check.waitForFunction(() => document.querySelector("[data-role=overall]")?.dataset.done === "true", null, { timeout: PATIENCE });
  const overall = await check.locator("[data-role=overall]").textContent();
  const wssRow = await check.locator("[data-role=results] tr[data-rung=wss] .verdict").textContent();
  t.diagnostic(`the connection check through squid: "${overall}" after ${seconds(Date.now() - startedAt)}; WSS: "${wssRow}"`);
  assert.deepEqual(await verdicts(check), { wss: "blocked", ws: "blocked", sse: "works", poll: "works" });
  assert.equal(overall, "Your WebAgent will use: SSE");
  assert.equal(wssRow, "Blocked: the proxy refused the tunnel, or the browser does not trust the server's certificate");
  const wssAdvice = await check.locator("[data-role=results] tr[data-rung=wss]").innerText();
  assert.ok(wssAdvice.includes(`Ask IT to let the proxy tunnel (CONNECT) to this host on port ${server.ports.wss}`), wssAdvice);
  const wsRow = await check.locator("[data-role=results] tr[data-rung=ws]").innerText();
  assert.ok(wsRow.includes(`Something refuses WebSocket on port ${server.ports.ws} — ask IT to allow WebSocket to this host.`), wsRow);
});

test("the connection check through that squid says WebSocket on the ws port is blocked by a proxy, secure WebSocket works, and what to ask IT, in English and German", TEST, async (t) => {
  const { server, squid } = await behindSquid(t, { config: ({ wss }) => defaultRules({ sslPorts: [wss] }) });
  const { ws, wss } = server.ports;
  const languages = {
    "en-US": {
      overall: "Your WebAgent will use: WSS",
      says: `WebSocket on port ${ws} is blocked by a proxy; secure WebSocket on ${wss} works, and the WebAgent uses it.`,
      ask: `Ask IT to keep secure WebSocket (wss) to this host on port ${wss} allowed through the proxy; plain WebSocket on port ${ws} is not needed.`,
      report: /^WS: Blocked: the connection failed$/m,
    },
    "de-DE": {
      overall: "Ihr WebAgent verwendet: WSS",
      says: `WebSocket auf Port ${ws} wird von einem Proxy blockiert; sicheres WebSocket auf ${wss} funktioniert, und der WebAgent verwendet es.`,
      ask: `Bitten Sie die IT, sicheres WebSocket (wss) zu diesem Host auf Port ${wss} über den Proxy weiterhin zu erlauben; unverschlüsseltes WebSocket auf Port ${ws} wird nicht gebraucht.`,
      report: /^WS: Blockiert: Die Verbindung ist fehlgeschlagen$/m,
    },
  };
  for (const [locale, expected] of Object.entries(languages)) {
    const browser = await browserThrough(t, squid, { locale });
    const page = await browser.newPage();
    const startedAt = Date.now();
    await page.goto(`${server.http}/diagnostics?${QUICK}`);
    await page.waitForFunction(() => document.querySelector("[data-role=overall]")?.dataset.done === "true", null, { timeout: PATIENCE });
    const overall = await page.locator("[data-role=overall]").textContent();
    t.diagnostic(`the connection check through squid (${locale}): "${overall}" after ${seconds(Date.now() - startedAt)}`);
    assert.deepEqual(await verdicts(page), { wss: "works", ws: "blocked", sse: "works", poll: "works" });
    assert.equal(overall, expected.overall);
    const row = await page.locator("[data-role=results] tr[data-rung=ws]").innerText();
    assert.ok(row.includes(expected.says), row);
    assert.ok(row.includes(expected.ask), row);
    const report = await page.locator("[data-role=report]").inputValue();
    assert.match(report, expected.report);
    assert.ok(report.includes(`${expected.says} ${expected.ask}`), report);
    // squid named itself in the answers' Via header, and the report says so for support.
    assert.match(report, /^Proxy \(Via\): 1\.1 \S+ \(squid\/[\d.]+\)$/m);
    await browser.close();
  }
  // The probe's plain WebSocket was a tunnel squid refused.
  assert.ok(tunnelsTo(squid, ws).length >= 2 && tunnelsTo(squid, ws).every((e) => e.status === "TCP_DENIED/403"), JSON.stringify(squid.accessLog()));
});

// --- An idle killer on the way -------------------------------------------------------------------

/**
 * In `page`, the connection check's idle probes for `idleSecs` through the browser's proxy: one
 * tick, silence, a last tick, over WSS (a tunnel), SSE and long-poll (`/diag/poll` waiting as
 * long, forwarded). Resolves with what each got: `{ticks, endedAfterMs}` for the streams,
 * `{status, afterMs}` for the poll.
 */
function idleProbes(page, wssUrl, idleSecs) {
  return page.evaluate(
    ({ wssUrl, idleSecs }) => {
      const stream = (open) =>
        new Promise((resolve) => {
          const startedAt = performance.now();
          let ticks = 0;
          const done = () => resolve({ ticks, endedAfterMs: Math.round(performance.now() - startedAt) });
          open((text) => text.includes('"type":"tick"') && ticks++, done);
        });
      const wss = stream((tick, done) => {
        const socket = new WebSocket(`${wssUrl.replace(/\/ws$/, "")}/diag/ws?idle_secs=${idleSecs}`);
        socket.onmessage = (event) => tick(event.data);
        socket.onclose = done;
      });
      const sse = stream((tick, done) => {
        const source = new EventSource(`/diag/sse?idle_secs=${idleSecs}`);
        source.onmessage = (event) => tick(event.data);
        // The server's own end (event: close) or a cut: either way, no reconnecting.
        const end = () => {
          source.close();
          done();
        };
        source.addEventListener("close", end);
        source.onerror = end;
      });
      const startedAt = performance.now();
      const poll = fetch(`/diag/poll?wait_ms=${idleSecs * 1000}`, { method: "POST", cache: "no-store" }).then(
        (response) => ({ status: response.status, afterMs: Math.round(performance.now() - startedAt) }),
        (error) => ({ status: String(error), afterMs: Math.round(performance.now() - startedAt) }),
      );
      return Promise.all([wss, sse, poll]).then(([wss, sse, poll]) => ({ wss, sse, poll }));
    },
    { wssUrl, idleSecs },
  );
}

test("squid closing what is idle for 10 s (read_timeout): heartbeats keep WSS, SSE and long-poll live through it for a quiet minute, with no reconnect", TEST, async (t) => {
  const READ_TIMEOUT_SECS = 10;
  const QUIET_SECS = 60;
  const { server, squid } = await behindSquid(t, {
    config: ({ wss }) => `${defaultRules({ sslPorts: [wss] })}
# The idle killer: squid's read_timeout (15 minutes by default) cut to ${READ_TIMEOUT_SECS} s. A
# forwarded response that brings nothing from the server for that long is cut (a long-poll
# still waiting is answered 504), and so is a CONNECT tunnel that carries nothing either way.
read_timeout ${READ_TIMEOUT_SECS} seconds
`,
    // Heartbeats (and SSE's keepalive comments) well inside squid's timeout.
    extra: `
[limits]
ping_interval_secs = 4
sse_keepalive_secs = 4
`,
  });
  const browser = await browserThrough(t, squid);

  // agent2 has a skill in sales only, where the simulator sends no calls: nothing but heartbeats
  // comes to its pages. One page on the best rung through squid (WSS, tunnelled), one pinned to
  // SSE, one to long-poll (forwarded).
  const pages = {};
  for (const [rung, path] of [["wss", "/agent"], ["sse", "/agent?rung=sse"], ["poll", "/agent?rung=poll"]]) {
    const agent = await openAgent(browser, `${server.http}${path}`, "agent2");
    const walked = await walk(agent);
    t.diagnostic(`squid with read_timeout ${READ_TIMEOUT_SECS} s, ${path}: ended on ${walked.rung} in ${seconds(walked.ms)}`);
    assert.deepEqual(walked.tried, [rung]);
    pages[rung] = agent;
  }
  await pages.wss.page.getByRole("button", { name: "Log in" }).click();
  for (const agent of Object.values(pages)) await agentState(agent.page, "not_ready");
  const quiet = await watchQuiet(pages);

  // squid does cut what is idle: the connection check's idle probes, silent for twice its
  // timeout, are cut before their last tick, on every rung.
  const probePage = await browser.newPage();
  await probePage.goto(`${server.http}/`);
  const probes = idleProbes(probePage, `wss://127.0.0.1:${server.ports.wss}/ws`, 2 * READ_TIMEOUT_SECS);

  // The quiet minute itself (no condition to wait for: nothing happening is the point).
  await new Promise((resolveWait) => setTimeout(resolveWait, QUIET_SECS * 1000));

  const cut = await probes;
  t.diagnostic(`idle probes through squid: ${JSON.stringify(cut)}`);
  const bound = 2 * READ_TIMEOUT_SECS * 1000;
  for (const rung of ["wss", "sse"]) {
    assert.equal(cut[rung].ticks, 1, `the ${rung} idle probe got its first tick and not its last`);
    assert.ok(cut[rung].endedAfterMs < bound, `the ${rung} idle probe was cut before its last tick: ${cut[rung].endedAfterMs} ms`);
  }
  assert.equal(cut.poll.status, 504, "squid answered the idle long-poll itself: Gateway Timeout");
  assert.ok(cut.poll.afterMs < bound, `before the server would have: ${cut.poll.afterMs} ms`);

  await quiet.assertStayedLive();
});
