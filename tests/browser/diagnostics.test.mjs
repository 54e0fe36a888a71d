// The connection check (/diagnostics). First its judgement in Node (web/diagnostics-verdict.js):
// steady ticks, ticks held and released in bursts or at the end, nothing at all, a connection
// cut while idle, long-polls, and the report. Then the page in Chromium against the real
// server: every rung gets a verdict from an http and an https page, a proxy that holds the
// event stream shows as buffered, and an idle connection is held and reported.
// Run: node --test --test-concurrency=1 diagnostics.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CONNECT_LIMIT_MS,
  chosenRung,
  classifyIdle,
  classifyPoll,
  classifyStream,
  describe,
  measureTicks,
  overallText,
  reportText,
  rungName,
  settingsFrom,
} from "../../web/diagnostics-verdict.js";
import { DIAGNOSTICS_MESSAGES } from "../../web/diagnostics-messages.js";
import { translator } from "../../web/i18n.js";
import { holdIdle } from "./diagnostics-page.mjs";
import { launchBrowser, screenshot, startServer, watchErrors } from "./harness.mjs";

// --- The judgement, in Node -------------------------------------------------------------------

/** The server's clock when the probes start; this browser's clock is ahead by CLOCK_SKEW. */
const SERVER_START = Date.parse("2024-03-05T09:00:00Z");
const CLOCK_SKEW = 73_000;
const CONTEXT = { ports: { ws: "80", wss: "443" }, heartbeatSecs: 25 };

/**
 * A probe of `count` ticks sent `interval` ms apart; tick i arrives `delay(i)` ms after it was
 * sent (network and whatever holds it). Ends as the server ends a complete probe.
 */
function streamProbe({ count = 20, interval = 250, delay = () => 30, expected = count, end = null } = {}) {
  const startedAt = SERVER_START + CLOCK_SKEW - 40;
  const ticks = Array.from({ length: count }, (_, i) => {
    const serverTime = SERVER_START + i * interval;
    return { n: i + 1, serverTime, arrivedAt: serverTime + CLOCK_SKEW + delay(i) };
  });
  const lastArrival = ticks.at(-1)?.arrivedAt ?? startedAt;
  return {
    url: "wss://acd.example.com/diag/ws",
    startedAt,
    openedAt: startedAt + 20,
    ticks,
    expected,
    end: end ?? { at: lastArrival + 2, how: "finished", code: 1000 },
  };
}

test("steady ticks: the rung works, with its connect time and no lateness", () => {
  // Ordinary jitter, a few ms either way.
  const result = classifyStream(streamProbe({ delay: (i) => 30 + ((i * 7) % 5) }));
  assert.equal(result.status, "works");
  assert.equal(result.usable, true);
  assert.equal(result.connectMs, 70);
  assert.equal(result.received, 20);
  assert.ok(result.maxLateMs <= 4, `${result.maxLateMs}`);
  assert.equal(result.inBursts, 0);
  assert.equal(describe(result, { ...CONTEXT, rung: "wss" }).label, "Works");
});

test("one tick held up and caught up by the next is jitter, not buffering", () => {
  const result = classifyStream(streamProbe({ delay: (i) => (i === 7 ? 260 : 30) }));
  assert.equal(result.inBursts, 1);
  assert.equal(result.status, "works");
});

test("ticks held and released in bursts: buffered, and the WebAgent cannot use the rung", () => {
  // Released every 5 ticks, each burst within a few ms.
  const result = classifyStream(streamProbe({ delay: (i) => 30 + (4 - (i % 5)) * 250 + (i % 5) }));
  assert.equal(result.status, "buffered");
  assert.equal(result.how, "bursts");
  assert.equal(result.usable, false);
  assert.equal(result.inBursts, 16);
  // The first of each burst waited four intervals for the last (which came 4 ms after it).
  assert.equal(result.maxLateMs, 4 * 250 - 4);
  const text = describe(result, { ...CONTEXT, rung: "sse" });
  assert.match(text.label, /^Buffered/);
  assert.match(text.advice, /TLS inspection or download scanning/);
});

test("everything arriving only when the stream ends: buffered at the end", () => {
  const count = 20;
  const interval = 250;
  // Held until the last tick was sent, then all delivered within 10 ms.
  const result = classifyStream(streamProbe({ count, interval, delay: (i) => (count - 1 - i) * interval + 30 + i / 2 }));
  assert.equal(result.status, "buffered");
  assert.equal(result.how, "at_end");
  assert.ok(result.connectMs > 4000, "the first tick came with the last");
  assert.ok(result.arrivedOverMs < 20 && result.sentOverMs === 19 * interval);
  assert.match(describe(result, { ...CONTEXT, rung: "sse" }).label, /only when the stream ended/);
});

test("a stream held over https names TLS inspection; over plain http, a proxy or scanner", () => {
  const count = 20;
  const interval = 250;
  const result = classifyStream(streamProbe({ count, interval, delay: (i) => (count - 1 - i) * interval + 30 + i / 2 }));
  assert.equal(result.status, "buffered");
  // SSE from a page opened over https, and WSS, went over TLS: what held them had decrypted them.
  const inspected = /^Likely TLS inspection: this stream came over https, so whatever held it had decrypted it/;
  assert.match(describe(result, { ...CONTEXT, pageOrigin: "https://acd.example.com", rung: "sse" }).advice, inspected);
  assert.match(describe(result, { ...CONTEXT, pageOrigin: "http://acd.example.com", rung: "wss" }).advice, inspected);
  // SSE from an http page, and WS, did not: any proxy on the way may have held them.
  for (const [pageOrigin, rung] of [["http://acd.example.com", "sse"], ["https://acd.example.com", "ws"], [undefined, "sse"]]) {
    assert.equal(
      describe(result, { ...CONTEXT, pageOrigin, rung }).advice,
      "Something between you and the server holds event streams — exempt this host from TLS inspection or download scanning.",
    );
  }
  const german = translator({ language: "de", locale: "de-DE", messages: DIAGNOSTICS_MESSAGES });
  assert.match(
    describe(result, { ...CONTEXT, pageOrigin: "https://acd.example.com", rung: "sse" }, german).advice,
    /^Wahrscheinlich TLS-Inspektion: Dieser Stream kam über https/,
  );
});

test("a stream that stops before its last tick and never ends: buffered (stalled)", () => {
  const probe = streamProbe({ count: 6, expected: 20 });
  probe.end = { at: probe.ticks.at(-1).arrivedAt + 10000, how: "timeout" };
  const result = classifyStream(probe);
  assert.equal(result.status, "buffered");
  assert.equal(result.how, "stalled");
  assert.match(describe(result, { ...CONTEXT, rung: "ws" }).label, /stalled after 6 of 20/);
});

test("a stream closed before its last tick: cut, with when and the close code", () => {
  const probe = streamProbe({ count: 6, expected: 20 });
  probe.end = { at: probe.ticks.at(-1).arrivedAt + 5, how: "closed", code: 1006 };
  const result = classifyStream(probe);
  assert.equal(result.status, "cut");
  assert.equal(result.code, 1006);
  assert.equal(result.afterMs, probe.end.at - probe.startedAt);
  assert.match(describe(result, { ...CONTEXT, rung: "ws" }).label, /^Cut after 1\.3 s \(close code 1006\)$/);
});

test("nothing at all: blocked, and the advice names the port and the way round it", () => {
  const refused = { ...streamProbe({ count: 0, expected: 20 }), openedAt: null };
  refused.end = { at: refused.startedAt + 15, how: "refused", code: 1006 };
  const ws = classifyStream(refused);
  assert.equal(ws.status, "blocked");
  assert.equal(ws.usable, false);
  const text = describe(ws, { ...CONTEXT, wssWorks: true, rung: "ws" });
  assert.equal(text.label, "Blocked: the connection failed");
  assert.equal(
    text.advice,
    "Something refuses WebSocket on port 80 — use https (port 443), or ask IT to allow WebSocket to this host.",
  );
  // Where WSS does not get through either, https is no way round.
  assert.equal(
    describe(ws, { ...CONTEXT, wssWorks: false, rung: "ws" }).advice,
    "Something refuses WebSocket on port 80 — ask IT to allow WebSocket to this host.",
  );

  // The same failure on WSS from a server on the development certificate: likely the browser
  // refusing the certificate, not a port; on a configured certificate, or a silence, the port.
  const onDevelopment = { ...CONTEXT, certificate: "development", secureUrl: "https://acd.example.com/" };
  const untrusted = describe(ws, { ...onDevelopment, rung: "wss" });
  assert.equal(untrusted.label, "Blocked: the browser does not trust the server's certificate (likely)");
  assert.match(untrusted.advice, /open https:\/\/acd\.example\.com\/ in this browser once/);
  assert.match(untrusted.advice, /Asking IT to open a port will most likely not help\./);
  const configured = describe(ws, { ...CONTEXT, certificate: "configured", rung: "wss" });
  assert.equal(configured.advice, "Something refuses secure WebSocket on port 443 — ask IT to allow WebSocket (wss) to this host.");
  // A page opened from that https address shows the browser trusts what it presents there (the
  // server's certificate, or an inspecting proxy's): a refused WSS is the port's then.
  const fromThere = describe(ws, { ...onDevelopment, pageOrigin: "https://acd.example.com", rung: "wss" });
  assert.equal(fromThere.label, "Blocked: the connection failed");
  assert.equal(fromThere.advice, configured.advice);

  const silent = { ...refused, end: { at: refused.startedAt + 15000, how: "timeout" } };
  const result = classifyStream(silent);
  assert.equal(result.status, "blocked");
  assert.equal(describe(result, { ...CONTEXT, rung: "wss" }).label, "Blocked: nothing arrived in 15 s");
  assert.equal(describe(result, { ...onDevelopment, rung: "wss" }).label, "Blocked: nothing arrived in 15 s");
});

test("behind a proxy (it named itself in Via) that refuses plain WebSocket while WSS works: the advice says so, and what to ask IT", () => {
  const refused = { ...streamProbe({ count: 0, expected: 20 }), openedAt: null };
  refused.end = { at: refused.startedAt + 3, how: "refused", code: 1006 };
  const ws = classifyStream(refused);
  const proxied = { ...CONTEXT, proxy: "1.1 proxy.example.com (squid/5.7)", wssWorks: true, rung: "ws" };
  assert.equal(
    describe(ws, proxied).advice,
    "WebSocket on port 80 is blocked by a proxy; secure WebSocket on 443 works, and the WebAgent uses it. Ask IT to keep secure WebSocket (wss) to this host on port 443 allowed through the proxy; plain WebSocket on port 80 is not needed.",
  );
  const de = translator({ language: "de", locale: "de-DE", messages: DIAGNOSTICS_MESSAGES });
  assert.match(describe(ws, proxied, de).advice, /^WebSocket auf Port 80 wird von einem Proxy blockiert; sicheres WebSocket auf 443 funktioniert/);
  // No proxy seen, or WSS failing too: the page does not claim a proxy is the cause.
  assert.match(describe(ws, { ...proxied, proxy: null }).advice, /^Something refuses WebSocket on port 80 — use https/);
  assert.match(describe(ws, { ...proxied, wssWorks: false }).advice, /^Something refuses WebSocket on port 80 — ask IT/);

  // WSS refused behind that proxy, on the development certificate: the proxy's refused tunnel
  // and the refused certificate look alike, so both are named, with both remedies.
  const onDevelopment = { ...proxied, certificate: "development", secureUrl: "https://acd.example.com/", rung: "wss" };
  const either = describe(ws, onDevelopment);
  assert.equal(either.label, "Blocked: the proxy refused the tunnel, or the browser does not trust the server's certificate");
  assert.match(either.advice, /Ask IT to let the proxy tunnel \(CONNECT\) to this host on port 443; and open https:\/\/acd\.example\.com\/ in this browser once/);
  assert.match(describe(ws, onDevelopment, de).label, /^Blockiert: Der Proxy hat den Tunnel abgelehnt/);
  assert.equal(describe(ws, { ...onDevelopment, proxy: null }).label, "Blocked: the browser does not trust the server's certificate (likely)");
});

test("connected but nothing came through: something holds the stream", () => {
  const probe = streamProbe({ count: 0, expected: 20 });
  probe.end = { at: probe.startedAt + 15000, how: "timeout" };
  const result = classifyStream(probe);
  assert.equal(result.status, "buffered");
  assert.equal(result.how, "held");
});

test("late but steady ticks are slow yet usable; a rung slower to connect than the WebAgent waits is not", () => {
  // Each tick a little later than the last: 1.9 s behind by the end.
  const late = classifyStream(streamProbe({ delay: (i) => 30 + i * 100 }));
  assert.equal(late.status, "slow");
  assert.equal(late.usable, true);
  assert.match(describe(late, { ...CONTEXT, rung: "ws" }).label, /^Slow: up to 1\.9 s late$/);

  const probe = streamProbe();
  probe.startedAt -= CONNECT_LIMIT_MS + 1000;
  const slowToConnect = classifyStream(probe);
  assert.equal(slowToConnect.status, "slow");
  assert.equal(slowToConnect.usable, false);
  assert.match(describe(slowToConnect, { ...CONTEXT, rung: "ws" }).label, /^Too slow: connecting took 6\.1 s$/);
});

test("lateness is measured against the quickest tick, whatever the two clocks say", () => {
  const ticks = [
    { n: 1, serverTime: 1000, arrivedAt: 501_300 },
    { n: 2, serverTime: 1250, arrivedAt: 501_520 },
    { n: 3, serverTime: 1500, arrivedAt: 501_900 },
  ];
  const figures = measureTicks(ticks, 501_000);
  assert.equal(figures.connectMs, 300);
  // Offsets 500300, 500270, 500400: the quickest is the second.
  assert.equal(figures.maxLateMs, 130);
  assert.equal(figures.sentOverMs, 500);
  assert.equal(figures.arrivedOverMs, 600);
});

test("an idle connection that survives, is closed, or goes silent", () => {
  const idleSecs = 120;
  const first = { n: 1, serverTime: SERVER_START, arrivedAt: SERVER_START + CLOCK_SKEW + 30 };
  const base = { url: "ws://acd.example.com:8080/diag/ws", startedAt: first.arrivedAt - 40, openedAt: first.arrivedAt - 20, expected: 2 };

  const last = { n: 2, serverTime: SERVER_START + 120_000, arrivedAt: first.arrivedAt + 120_000 };
  const survived = classifyIdle({ ...base, ticks: [first, last], end: { at: last.arrivedAt + 2, how: "finished", code: 1000 } }, idleSecs);
  assert.equal(survived.status, "works");
  assert.equal(describe(survived, { ...CONTEXT, rung: "ws", idle: true }).label, "Works: held 120 s idle");

  const cutLate = classifyIdle({ ...base, ticks: [first], end: { at: first.arrivedAt + 61_000, how: "closed", code: 1006 } }, idleSecs);
  assert.equal(cutLate.status, "cut");
  assert.equal(cutLate.idleMs, 61_000);
  const late = describe(cutLate, { ...CONTEXT, rung: "ws", idle: true });
  assert.equal(late.label, "Cut after 61 s idle (close code 1006)");
  assert.match(late.advice, /heartbeats \(every 25 s\) keep sessions alive, since that limit is above 25 s/);

  const cutEarly = classifyIdle({ ...base, ticks: [first], end: { at: first.arrivedAt + 20_000, how: "closed", code: 1006 } }, idleSecs);
  const early = describe(cutEarly, { ...CONTEXT, rung: "ws", idle: true });
  assert.equal(early.label, "Cut after 20 s idle (close code 1006)");
  assert.match(early.advice, /sooner than acdhub's heartbeats/);
  assert.match(early.advice, /ping_interval_secs/);

  const silent = classifyIdle({ ...base, ticks: [first], end: { at: first.arrivedAt + 130_000, how: "timeout" } }, idleSecs);
  assert.equal(silent.status, "cut");
  assert.equal(silent.idleMs, null);
  assert.equal(describe(silent, { ...CONTEXT, rung: "sse", idle: true }).label, "Cut: nothing arrived after 120 s idle");
});

test("long-polls: all answered works; some failing is unreliable; none is blocked", () => {
  const answer = (i, ok = true) => ({ sentAt: i * 3000, arrivedAt: i * 3000 + 2000 + 10 + i, ok, status: ok ? 200 : 504, waitedMs: ok ? 2000 : undefined });
  const works = classifyPoll([answer(0), answer(1), answer(2)]);
  assert.equal(works.status, "works");
  assert.deepEqual([works.minOverMs, works.maxOverMs], [10, 12]);
  assert.equal(describe(works, { ...CONTEXT, rung: "poll" }).figures, "3 of 3 answered; 10 ms to 12 ms beyond the server's wait");

  const alike = classifyPoll([{ ...answer(0), arrivedAt: 2010.2 }, { ...answer(1), arrivedAt: 5009.9 }]);
  assert.equal(describe(alike, { ...CONTEXT, rung: "poll" }).figures, "2 of 2 answered; 10 ms beyond the server's wait");

  const unreliable = classifyPoll([answer(0), answer(1, false), answer(2)]);
  assert.equal(unreliable.status, "unreliable");
  assert.equal(describe(unreliable, { ...CONTEXT, rung: "poll" }).label, "Unreliable: 1 of 3 requests failed");

  const blocked = classifyPoll([{ sentAt: 0, arrivedAt: 5, ok: false, error: "Failed to fetch" }]);
  assert.equal(blocked.status, "blocked");
  assert.equal(describe(blocked, { ...CONTEXT, rung: "poll" }).figures, "Failed to fetch");
});

test("the WebAgent's rung is the best usable one, and the report has every rung with its figures", () => {
  const blocked = classifyStream({ ...streamProbe({ count: 0 }), openedAt: null, end: { at: 0, how: "refused" } });
  const results = {
    wss: blocked,
    ws: classifyStream(streamProbe()),
    sse: classifyStream(streamProbe({ delay: (i) => (19 - i) * 250 + 30 })),
    poll: classifyPoll([{ sentAt: 0, arrivedAt: 2015, ok: true, waitedMs: 2000 }]),
  };
  assert.equal(chosenRung(results), "ws");
  assert.equal(overallText(results), "Your WebAgent will use: WS");
  assert.equal(chosenRung({ ...results, ws: blocked, poll: blocked, sse: blocked }), null);
  assert.match(overallText({ wss: blocked, ws: blocked, sse: blocked, poll: blocked }), /cannot connect/);

  const report = reportText({
    date: "2024-03-05T09:00:00.000Z",
    page: "http://acd.example.com/diagnostics",
    userAgent: "Mozilla/5.0 (test)",
    server: "acdhub/0.1.0",
    endpoints: "wss wss://acd.example.com/ws, ws ws://acd.example.com/ws",
    settings: settingsFrom(new URLSearchParams()),
    results,
    idle: null,
    context: CONTEXT,
  });
  for (const line of [
    "Date: 2024-03-05T09:00:00.000Z",
    "Browser: Mozilla/5.0 (test)",
    "Server: acdhub/0.1.0",
    "WSS: Blocked: the connection failed",
    "WS: Works",
    "SSE: Buffered: everything arrived only when the stream ended",
    "Long-poll: Works",
    "Your WebAgent will use: WS",
  ]) {
    assert.ok(report.split("\n").includes(line), `the report has "${line}":\n${report}`);
  }
  assert.match(report, /first message after 70 ms; 20 of 20 messages/);
});

test("in German: verdicts, advice, figures with a decimal comma, and the report for support", () => {
  const de = translator({ language: "de", locale: "de-DE", messages: DIAGNOSTICS_MESSAGES });
  const blocked = classifyStream({ ...streamProbe({ count: 0 }), openedAt: null, end: { at: 0, how: "refused" } });
  const results = {
    wss: blocked,
    ws: classifyStream(streamProbe()),
    sse: classifyStream(streamProbe({ delay: (i) => (19 - i) * 250 + 30 })),
    poll: classifyPoll([{ sentAt: 0, arrivedAt: 2015, ok: true, waitedMs: 2000 }]),
  };
  assert.equal(overallText(results, de), "Ihr WebAgent verwendet: WS");
  assert.equal(rungName("poll", de), "Long-Polling");
  const wss = describe(results.wss, { ...CONTEXT, rung: "wss" }, de);
  assert.equal(wss.label, "Blockiert: Die Verbindung ist fehlgeschlagen");
  assert.equal(wss.advice, "Etwas lehnt sicheres WebSocket auf Port 443 ab — bitten Sie die IT, WebSocket (wss) zu diesem Host zu erlauben.");
  assert.match(wss.figures, /^fehlgeschlagen nach /);
  assert.equal(describe(results.ws, { ...CONTEXT, rung: "ws" }, de).label, "Funktioniert");
  assert.equal(describe(results.sse, { ...CONTEXT, rung: "sse" }, de).label, "Gepuffert: Alles kam erst am Ende des Streams an");
  const first = { n: 1, serverTime: SERVER_START, arrivedAt: SERVER_START + CLOCK_SKEW + 30 };
  const base = { url: "ws://acd.example.com:8080/diag/ws", startedAt: first.arrivedAt - 40, openedAt: first.arrivedAt - 20, expected: 2 };
  const cut = classifyIdle({ ...base, ticks: [first], end: { at: first.arrivedAt + 20_000, how: "closed", code: 1006 } }, 120);
  const early = describe(cut, { ...CONTEXT, rung: "ws", idle: true }, de);
  assert.equal(early.label, "Getrennt nach 20 s Ruhe (Close-Code 1006)");
  assert.match(early.advice, /früher als die Heartbeats von acdhub \(alle 25 s\)/);
  assert.equal(early.figures, "geschlossen nach 20 s Ruhe");
  const slow = classifyStream(streamProbe({ delay: (i) => (i === 5 ? 1500 : 30) }));
  assert.equal(describe(slow, { ...CONTEXT, rung: "ws" }, de).label, "Langsam: bis zu 1,5 s verspätet");

  const report = reportText(
    {
      date: "2024-03-05T09:00:00.000Z",
      page: "http://acd.example.com/diagnostics",
      userAgent: "Mozilla/5.0 (test)",
      server: "acdhub/0.1.0",
      endpoints: "wss wss://acd.example.com/ws, ws ws://acd.example.com/ws",
      settings: settingsFrom(new URLSearchParams()),
      results,
      idle: null,
      context: CONTEXT,
    },
    de,
  );
  for (const line of [
    "acdhub-Verbindungsprüfung",
    "Datum: 2024-03-05T09:00:00.000Z",
    "Prüfung: 20 Nachrichten im Abstand von 250 ms pro Stream; 3 Long-Polls zu 2000 ms",
    "WSS: Blockiert: Die Verbindung ist fehlgeschlagen",
    "WS: Funktioniert",
    "Long-Polling: Funktioniert",
    "Ihr WebAgent verwendet: WS",
  ]) {
    assert.ok(report.split("\n").includes(line), `the report has "${line}":\n${report}`);
  }
  assert.match(report, /erste Nachricht nach 70 ms; 20 von 20 Nachrichten/);
  assert.match(report, /\n {2}Was tun: Etwas lehnt sicheres WebSocket/);
});

test("settings come from the address within the probes' bounds", () => {
  assert.deepEqual(settingsFrom(new URLSearchParams("")), { ticks: 20, interval: 250, idle: 120, polls: 3, wait: 2000 });
  assert.deepEqual(settingsFrom(new URLSearchParams("ticks=8&interval=10&idle=999&polls=x&wait=500")), {
    ticks: 8,
    interval: 50,
    idle: 300,
    polls: 3,
    wait: 500,
  });
});

// --- The page in Chromium, against the real server ---------------------------------------------

const WAIT = { timeout: 60000 };
const TEST = { timeout: 240000 };

/** A quick check: 8 ticks 100 ms apart per stream, 2 long-polls of 300 ms, 2 s idle. */
const QUICK = "ticks=8&interval=100&polls=2&wait=300&idle=2";

/** A server, a browser and its page, all closed when the test ends. */
async function setUp(t, { trustDevCertificate = true } = {}) {
  const server = await startServer();
  const browser = await launchBrowser({ trustDevCertificate });
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors = watchErrors(page);
  return { server, page, errors };
}

/** Waits until the quick check has a verdict for every rung. */
async function waitChecked(page) {
  await page.waitForFunction(() => document.querySelector("[data-role=overall]")?.dataset.done === "true", null, WAIT);
}

/** Each rung's verdict in a table (`results` or `idle-results`), as `data-status`. */
const verdicts = (page, table = "results") =>
  page.evaluate(
    (role) =>
      Object.fromEntries(
        [...document.querySelectorAll(`[data-role=${role}] tr`)].map((row) => [
          row.dataset.rung,
          row.querySelector(".verdict").dataset.status,
        ]),
      ),
    table,
  );

const report = (page) => page.locator("[data-role=report]").inputValue();

/** A row's cells as text: label, figures and advice. */
const rowText = (page, rung, table = "results") => page.locator(`[data-role=${table}] tr[data-rung=${rung}]`).innerText();

test("from an http page every rung works, the WebAgent would take WSS, and the report says so", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  await page.goto(`${server.http}/`);
  await page.getByRole("link", { name: /Connection check/ }).click();
  await page.waitForURL(/\/diagnostics$/);
  await page.goto(`${server.http}/diagnostics?${QUICK}`);
  await waitChecked(page);

  assert.deepEqual(await verdicts(page), { wss: "works", ws: "works", sse: "works", poll: "works" });
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Your WebAgent will use: WSS");
  assert.match(await page.locator("[data-role=progress]").textContent(), /^Check done\. Your WebAgent will use: WSS\.$/);
  assert.match(await rowText(page, "ws"), /first message after \d+ ms; 8 of 8 messages/);
  assert.match(await rowText(page, "poll"), /2 of 2 answered/);

  const text = await report(page);
  const lines = text.split("\n");
  for (const line of ["WSS: Works", "WS: Works", "SSE: Works", "Long-poll: Works", "Your WebAgent will use: WSS"]) {
    assert.ok(lines.includes(line), `the report has "${line}":\n${text}`);
  }
  assert.ok(lines.includes(`Page: ${server.http}/diagnostics?${QUICK}`), text);
  assert.match(text, /^Server: acdhub\/\d+\.\d+\.\d+/m);
  assert.match(text, /^Browser: .*Chrome/m);
  assert.match(text, new RegExp(`^Endpoints: wss wss://127\\.0\\.0\\.1:${server.ports.wss}/ws, ws ws://127\\.0\\.0\\.1:${server.ports.ws}/ws`, "m"));

  await holdIdle(page);
  assert.deepEqual(await verdicts(page, "idle-results"), { wss: "works", ws: "works", sse: "works" });
  assert.match(await page.locator("[data-role=progress]").textContent(), /^Idle check done\. WSS: Works: held \d\.\d s idle\./);
  assert.match(await report(page), /\nIdle connection held for 2 s:\nWSS: Works: held \d\.\d s idle\n/);

  await page.getByRole("button", { name: "Copy the report" }).click();
  await page.locator("[data-role=copied]").getByText("Copied.").waitFor(WAIT);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "diagnostics");
  assert.deepEqual(errors, []);
});

test("a browser that does not trust the development certificate: WSS is blocked by the certificate, not a port, and the WebAgent takes WS", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, { trustDevCertificate: false });
  await page.goto(`${server.http}/diagnostics?${QUICK}`);
  await waitChecked(page);
  assert.deepEqual(await verdicts(page), { wss: "blocked", ws: "works", sse: "works", poll: "works" });
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Your WebAgent will use: WS");
  const wss = await rowText(page, "wss");
  assert.match(wss, /the browser does not trust the server's certificate \(likely\)/);
  assert.ok(wss.includes(`open https://127.0.0.1:${server.ports.wss}/ in this browser once`), wss);
  assert.doesNotMatch(wss, /ask IT to allow WebSocket/);
  assert.match(await report(page), /^Endpoints: .*, certificate development$/m);
  await screenshot(page, "diagnostics-untrusted-certificate");
  // The browser's own console says what the page could not see: the certificate, every time.
  assert.ok(errors.length > 0, "the refused wss connections are in the console");
  for (const error of errors) assert.match(error, /ERR_CERT_AUTHORITY_INVALID/);
});

test("from an https page WSS works and plain WebSocket, which such a page may not open, is not tried", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  await page.goto(`${server.https}/diagnostics?${QUICK}`);
  await waitChecked(page);
  assert.deepEqual(await verdicts(page), { wss: "works", ws: "untested", sse: "works", poll: "works" });
  assert.match(await rowText(page, "ws"), /Not tested from an https page/);
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Your WebAgent will use: WSS");
  assert.deepEqual(errors, []);
});

test("a proxy that holds event streams and a firewall that kills plain WebSocket: buffered and blocked, with what to do", TEST, async (t) => {
  const { server, page } = await setUp(t);
  // The proxy reads each event stream to its end before passing it on, as download scanners do.
  await page.route("**/diag/sse?*", async (route) => route.fulfill({ response: await route.fetch() }));
  // The firewall closes every plain WebSocket before it opens.
  await page.routeWebSocket(/^ws:\/\/[^/]+\/diag\/ws/, (socket) => socket.close({ code: 1011 }));
  await page.goto(`${server.http}/diagnostics?${QUICK}`);
  await waitChecked(page);

  assert.deepEqual(await verdicts(page), { wss: "works", ws: "blocked", sse: "buffered", poll: "works" });
  assert.match(await rowText(page, "sse"), /Buffered: everything arrived only when the stream ended/);
  assert.match(await rowText(page, "sse"), /exempt this host from TLS inspection or download scanning/);
  assert.match(
    await rowText(page, "ws"),
    new RegExp(`Something refuses WebSocket on port ${server.ports.ws} — use https \\(port ${server.ports.wss}\\)`),
  );
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Your WebAgent will use: WSS");
  const text = await report(page);
  assert.match(text, /^WS: Blocked/m);
  assert.match(text, /^SSE: Buffered/m);
});

test("a firewall that closes WebSocket connections idle for a second: the idle check says when", TEST, async (t) => {
  const { server, page } = await setUp(t);
  await page.routeWebSocket(/\/diag\/ws\?idle_secs=/, (socket) => {
    socket.connectToServer();
    setTimeout(() => socket.close(), 1000);
  });
  // Held for 5 s, so that the cut comes well before the last tick however busy the machine.
  await page.goto(`${server.http}/diagnostics?ticks=8&interval=100&polls=2&wait=300&idle=5`);
  await waitChecked(page);
  await holdIdle(page, "5 seconds");
  assert.deepEqual(await verdicts(page, "idle-results"), { wss: "cut", ws: "cut", sse: "works" });
  const row = await rowText(page, "ws", "idle-results");
  const cutAfter = Number(row.match(/Cut after (\d+) s idle/)?.[1]);
  assert.ok(cutAfter >= 1 && cutAfter < 5, row);
  assert.match(row, /sooner than acdhub's heartbeats \(every \d+ s\)/);
  assert.match(await report(page), new RegExp(`\nWS: Cut after ${cutAfter} s idle`));
});
