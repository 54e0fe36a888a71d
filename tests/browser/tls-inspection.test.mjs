// The WebAgent, the connection check and a chat behind a TLS-inspecting proxy: Debian's
// mitmproxy (mitmproxy.mjs) as a company's inspector, the browser's forward proxy, its CA trusted
// by Chromium as a company pushes its inspection CA to its desktops (the NSS database of the
// browser's HOME; no ignoreHTTPSErrors). The page is opened over https on the server's wss port,
// so the page, SSE, long-poll and WSS all go through the inspector, decrypted and encrypted again
// (mitmproxy verifies the server against certs/dev-ca.pem).
//
// What mitmproxy 8.1 does, and so what is tested:
// - By default it reads each response whole before it passes it on: an event stream, which never
//   ends, is held for good, and so is its first message (`hello`). It passes WebSocket upgrades
//   and their frames as they come: WSS works through it.
// - An inspector that does not do WebSocket is mitmproxy with refuse-websocket.py, which answers
//   every upgrade 403: then the page tries SSE, which gives no hello, and goes on to long-poll.
// - With `stream_large_bodies=1` it passes every body as it comes: SSE works through it.
// Each scenario records the rung the page ended on and how long it took (t.diagnostic).
// Run: node --test --test-concurrency=1 tls-inspection.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, screenshot, startServer } from "./harness.mjs";
import { inspectedBrowser, startMitmproxy } from "./mitmproxy.mjs";
import {
  PATIENCE,
  assertEachEventOnce,
  endedText,
  ladderEnd,
  openAgent,
  rungOf,
  rungsTried,
  takeCalls,
  unexpected,
} from "./proxies.mjs";
import { CHAT_TOML, readyAgent, timedChat, withClients } from "./conversation-page.mjs";

const TEST = { timeout: 300000 };

/** The inspector's set-ups, as the scenarios name them. */
const HOLDING = { stream: false, websocket: true };
const HOLDING_NO_WEBSOCKET = { stream: false, websocket: false };
const STREAMING_NO_WEBSOCKET = { stream: true, websocket: false };

/**
 * The server (with the TOML `extra`), mitmproxy set up as `inspector` says, and a browser behind
 * it that trusts its CA; all stopped after the test. `https` is the server's address as the page
 * opens it: its wss port, through the inspector.
 */
async function behindInspector(t, inspector, { extra = "", locale } = {}) {
  const server = await startServer({ extra });
  const mitmproxy = await startMitmproxy(inspector);
  t.after(async () => {
    await mitmproxy.stop();
    await server.stop();
  });
  const browser = await inspectedBrowser(t, mitmproxy, { locale });
  return { server, mitmproxy, browser, https: `https://127.0.0.1:${server.ports.wss}` };
}

/**
 * mitmproxy's log of the requests for `path` (`127.0.0.1:49872: GET https://127.0.0.1:43945/ws`),
 * each with the line after it: the answer it got from the server (`<< 101 Switching Protocols`),
 * or its own.
 */
function flowsOf(mitmproxy, path) {
  const lines = mitmproxy.log().split("\n");
  const flows = [];
  lines.forEach((line, i) => {
    if (/: [A-Z]+ https?:\/\/\S+$/.test(line) && new URL(line.trim().split(" ").at(-1)).pathname === path) {
      flows.push(`${line.trim()} ${(lines[i + 1] ?? "").trim()}`);
    }
  });
  return flows;
}

/** One line for the test's output: where the ladder ended and how long it took. */
test("the inspector's certificate, not the server's, is what the browser gets, and the browser trusts it", TEST, async (t) => {
  const { browser, https, mitmproxy } = await behindInspector(t, HOLDING);
  const page = await browser.newPage();
  const response = await page.goto(`${https}/agent`);
  assert.equal(response.status(), 200);
  const security = await response.securityDetails();
  t.diagnostic(`the page's certificate: issued by ${security.issuer} for ${security.subjectName}, ${security.protocol}`);
  assert.equal(security.issuer, "mitmproxy", "signed by the inspector's CA");
  await eventually(() => flowsOf(mitmproxy, "/agent").length >= 1, "the page in mitmproxy's log: it came through decrypted");
});

test("mitmproxy holding responses, WebSocket passed: the page ends on WSS", TEST, async (t) => {
  const { browser, https, mitmproxy } = await behindInspector(t, HOLDING);
  const agent = await openAgent(browser, `${https}/agent`, "agent1");
  const end = await ladderEnd(agent);
  t.diagnostic(`mitmproxy holding responses, WebSocket passed: ${endedText(end)}`);
  assert.equal(end.rung, "wss");
  assert.deepEqual(await rungsTried(agent), ["wss"]);
  // The WebSocket went through the inspector: its upgrade is in mitmproxy's log.
  await eventually(() => /101 Switching Protocols/.test(flowsOf(mitmproxy, "/ws").join("\n")), "the upgrade in mitmproxy's log");
  const upgrades = flowsOf(mitmproxy, "/ws");
  t.diagnostic(`mitmproxy: ${upgrades.join(" | ")}`);
  assert.match(upgrades.join("\n"), /101 Switching Protocols/);
  await takeCalls(agent, 2);
  await assertEachEventOnce(agent, 2);
  assert.deepEqual(agent.errors, []);
});

test("mitmproxy holding responses, WebSocket refused: SSE gives no hello, the page moves to long-poll within its silence bound and misses nothing", TEST, async (t) => {
  const { browser, https, mitmproxy } = await behindInspector(t, HOLDING_NO_WEBSOCKET);
  const agent = await openAgent(browser, `${https}/agent`, "agent1");
  const end = await ladderEnd(agent);
  t.diagnostic(`mitmproxy holding responses, WebSocket refused: ${endedText(end)}`);
  assert.equal(end.rung, "poll");
  assert.deepEqual(await rungsTried(agent), ["wss", "sse", "poll"]);

  // The SSE rung stalled: from its attempt to the link live on long-poll, within the silence
  // bound the page keeps on a link (heartbeat_secs + 20 s), though it is the hello timeout
  // (5 s) that moves it on.
  const { states } = await agent.seen();
  const sseTried = states.find((s) => s.rung === "sse").at;
  const pollLive = states.find((s) => s.rung === "poll" && s.state === "live").at;
  const heartbeatSecs = await agent.page.evaluate(async () => (await (await fetch("/rt/endpoints")).json()).heartbeat_secs);
  const silenceBoundMs = heartbeatSecs * 1000 + 20000;
  t.diagnostic(`SSE tried, held, given up: long-poll live ${((pollLive - sseTried) / 1000).toFixed(1)} s after SSE was tried`);
  assert.ok(pollLive - sseTried < silenceBoundMs, `${pollLive - sseTried} ms, within ${silenceBoundMs} ms`);
  // And by the hello timeout, not the silence bound: 5 s, with room for a slow machine.
  assert.ok(pollLive - sseTried < 15000, `${pollLive - sseTried} ms: the hello timeout (5 s) moved it on`);

  // What mitmproxy did: 403 to the upgrade; the server's answer to the event stream (its
  // headers; the body never ends) held until the page gave up on it, so the page's EventSource
  // never opened: its link went no further than connecting.
  // (mitmproxy logs a flow when it is done with it: the held stream once the page dropped it.)
  await eventually(
    () => /<< 200 OK \(content missing\)/.test(flowsOf(mitmproxy, "/rt/sse").join("\n")) && flowsOf(mitmproxy, "/ws").length > 0,
    "mitmproxy's log of the upgrade and the dropped stream",
  );
  const upgrades = flowsOf(mitmproxy, "/ws");
  const streams = flowsOf(mitmproxy, "/rt/sse");
  t.diagnostic(`mitmproxy: ${[...upgrades, ...streams].join(" | ")}`);
  assert.match(upgrades.join("\n"), /<< 403 Forbidden/);
  assert.match(streams.join("\n"), /<< 200 OK \(content missing\)/, "the stream's answer was held, never completed");
  assert.deepEqual(
    [...new Set(states.filter((s) => s.rung === "sse").map((s) => s.state))],
    ["connecting"],
    "nothing of the event stream reached the page",
  );

  await takeCalls(agent, 3);
  assert.equal(await rungOf(agent), "poll", "still on long-poll");
  await assertEachEventOnce(agent, 3);
  assert.deepEqual(unexpected(agent.errors), []);
});

test("mitmproxy streaming large bodies, WebSocket refused: the page stays on SSE", TEST, async (t) => {
  const { browser, https, mitmproxy } = await behindInspector(t, STREAMING_NO_WEBSOCKET);
  const agent = await openAgent(browser, `${https}/agent`, "agent1");
  const end = await ladderEnd(agent);
  t.diagnostic(`mitmproxy streaming large bodies, WebSocket refused: ${endedText(end)}`);
  assert.equal(end.rung, "sse");
  assert.deepEqual(await rungsTried(agent), ["wss", "sse"]);
  await eventually(() => /<< 403 Forbidden/.test(flowsOf(mitmproxy, "/ws").join("\n")), "the refused upgrade in mitmproxy's log");
  t.diagnostic(`mitmproxy: ${[...flowsOf(mitmproxy, "/ws"), ...flowsOf(mitmproxy, "/rt/sse")].join(" | ")}`);
  await takeCalls(agent, 2);
  assert.equal(await rungOf(agent), "sse", "still on SSE");
  await assertEachEventOnce(agent, 2);
  assert.deepEqual(unexpected(agent.errors), []);
});

// --- The connection check behind the inspector ------------------------------------------------

/** A quick check: 8 ticks 100 ms apart per stream, 2 long-polls of 300 ms. */
const QUICK = "ticks=8&interval=100&polls=2&wait=300";

/** The connection check at `https`, done: each rung's verdict (`data-status`) and row text. */
async function checked(browser, https) {
  const page = await browser.newPage();
  await page.goto(`${https}/diagnostics?${QUICK}`);
  await page.waitForFunction(() => document.querySelector("[data-role=overall]")?.dataset.done === "true", null, {
    timeout: PATIENCE,
  });
  const rows = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("[data-role=results] tr")].map((row) => [
        row.dataset.rung,
        { status: row.querySelector(".verdict").dataset.status, text: row.innerText },
      ]),
    ),
  );
  return {
    page,
    verdicts: Object.fromEntries(Object.entries(rows).map(([rung, row]) => [rung, row.status])),
    rows,
    overall: await page.locator("[data-role=overall]").textContent(),
    report: await page.locator("[data-role=report]").inputValue(),
  };
}

test("the connection check behind mitmproxy holding responses: SSE buffered, and TLS inspection named as the cause", TEST, async (t) => {
  const { browser, https } = await behindInspector(t, HOLDING);
  const check = await checked(browser, https);
  t.diagnostic(`connection check, mitmproxy holding responses: ${JSON.stringify(check.verdicts)}; ${check.overall}`);
  assert.deepEqual(check.verdicts, { wss: "works", ws: "untested", sse: "buffered", poll: "works" });
  assert.match(check.rows.sse.text, /Buffered: everything arrived only when the stream ended/);
  assert.match(check.rows.sse.text, /Likely TLS inspection: this stream came over https/);
  assert.match(check.report, /^SSE: Buffered.*\n.*\n {2}What to do: Likely TLS inspection/m);
  assert.equal(check.overall, "Your WebAgent will use: WSS");
  await screenshot(check.page, "diagnostics-tls-inspection");
});

test("the connection check behind mitmproxy holding responses and refusing WebSocket, in German: WSS blocked (not the certificate), SSE held by TLS inspection", TEST, async (t) => {
  const { browser, https, server } = await behindInspector(t, HOLDING_NO_WEBSOCKET, { locale: "de-DE" });
  const check = await checked(browser, https);
  t.diagnostic(`connection check, mitmproxy holding responses, WebSocket refused: ${JSON.stringify(check.verdicts)}; ${check.overall}`);
  assert.deepEqual(check.verdicts, { wss: "blocked", ws: "untested", sse: "buffered", poll: "works" });
  // The page came over https from the wss port: the browser trusts what that origin presents,
  // so a refused WSS there is no certificate the browser refuses.
  assert.doesNotMatch(check.rows.wss.text, /Zertifikat/);
  assert.match(check.rows.wss.text, new RegExp(`sicheres WebSocket auf Port ${server.ports.wss}`));
  assert.match(check.rows.sse.text, /Wahrscheinlich TLS-Inspektion: Dieser Stream kam über https/);
  assert.equal(check.overall, "Ihr WebAgent verwendet: Long-Polling");
});

test("the connection check behind mitmproxy streaming large bodies: every rung it passes works, and no inspection is seen", TEST, async (t) => {
  // The page sees TLS inspection only by what it does: an inspector that holds nothing back is
  // not told from a straight connection.
  const { browser, https } = await behindInspector(t, STREAMING_NO_WEBSOCKET);
  const check = await checked(browser, https);
  t.diagnostic(`connection check, mitmproxy streaming, WebSocket refused: ${JSON.stringify(check.verdicts)}; ${check.overall}`);
  assert.deepEqual(check.verdicts, { wss: "blocked", ws: "untested", sse: "works", poll: "works" });
  assert.doesNotMatch(check.report, /TLS inspection/);
  assert.equal(check.overall, "Your WebAgent will use: SSE");
});

// --- A chat behind the inspector --------------------------------------------------------------

for (const [name, inspector] of [
  ["WebSocket passed", HOLDING],
  ["WebSocket refused", HOLDING_NO_WEBSOCKET],
]) {
  test(`a chat behind mitmproxy holding responses, ${name}: a customer's message reaches the agent's panel within a second`, TEST, async (t) => {
    const { server, browser, https } = await behindInspector(t, inspector, { extra: CHAT_TOML });
    const { widget } = await withClients(t, server, { stopServer: false, browser });
    const agent = await readyAgent(browser, `${https}/agent`);
    const end = await ladderEnd(agent);
    t.diagnostic(`chat, mitmproxy holding responses, ${name}: ${endedText(end)}`);
    assert.equal(end.rung, inspector.websocket ? "wss" : "poll");

    const { toAgent, toCustomer } = await timedChat(agent, widget, end.rung);
    t.diagnostic(`a customer's message reached the agent's panel after ${toAgent.join(", ")} ms; the answer the connector after ${toCustomer} ms`);
    for (const ms of toAgent) assert.ok(ms < 1000, `${ms} ms`);
    assert.equal(await rungOf(agent), end.rung, `still on ${end.rung}`);
    assert.deepEqual(unexpected(agent.errors), []);
  });
}
