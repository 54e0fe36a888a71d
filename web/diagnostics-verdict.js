// diagnostics-verdict.js: the connection check's judgement, apart from the page that measures.
// It turns what a probe saw (ticks with the server's and this browser's instants, how the
// connection ended) into a verdict a person who is not a network engineer can act on, and
// writes the report for support. No DOM, no network, no clock: Node's test runner imports it
// as it is (tests/browser/diagnostics.test.mjs).
//
// What the measurements mean (protocol.md, "Diagnostics"): the server ticks every
// `interval_ms` and stamps each tick with its clock. A tick's *lateness* is how much longer it
// took to arrive than the quickest tick did, so the two clocks' difference cancels out. Ticks
// sent a full interval apart that arrive a few milliseconds apart were held somewhere and
// released together: something between the browser and the server buffers the stream (TLS
// inspection, a download scanner, a proxy that waits for the whole response).

/** The rungs of the fallback ladder, best first: the WebAgent takes the first that works. */
export const RUNGS = Object.freeze(["wss", "ws", "sse", "poll"]);

/** How the page names the rungs. */
export const RUNG_NAMES = Object.freeze({ wss: "WSS", ws: "WS", sse: "SSE", poll: "Long-poll" });

/**
 * What the check runs with. The defaults are meant for people; a URL parameter of the same
 * name may change each (`?ticks=8&idle=3` makes a quick check for a test), within the bounds
 * the probes accept.
 */
const SETTINGS = Object.freeze({
  /** Ticks per stream probe (the probes take 1 to 100). */
  ticks: { default: 20, min: 2, max: 100 },
  /** Milliseconds between ticks (50 to 2000). */
  interval: { default: 250, min: 50, max: 2000 },
  /** Seconds an idle connection is held (1 to 300). */
  idle: { default: 120, min: 1, max: 300 },
  /** Long-poll requests in a row. */
  polls: { default: 3, min: 1, max: 10 },
  /** Milliseconds each long-poll request waits on the server (0 to 30000). */
  wait: { default: 2000, min: 0, max: 30000 },
});

/** The settings from a URLSearchParams: each a whole number within its bounds, or its default. */
export function settingsFrom(params) {
  const settings = {};
  for (const [name, { default: fallback, min, max }] of Object.entries(SETTINGS)) {
    const value = Number.parseInt(params.get(name) ?? "", 10);
    settings[name] = Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
  }
  return settings;
}

/**
 * The WebAgent gives up on a rung that delivers nothing within this long and tries the next
 * (acdhub.js waits 5 s for `hello`): a rung slower to connect is of no use to it.
 */
export const CONNECT_LIMIT_MS = 5000;

/** Ticks arriving this much later than the quickest one make a rung "slow". */
const LATE_LIMIT_MS = 1000;

/**
 * A tick arrived "in a burst" when it came less than this share of its send spacing after the
 * tick before it: sent 250 ms apart, arrived under 50 ms apart.
 */
const BURST_SHARE = 0.2;

/**
 * A stream is buffered when at least this share of its ticks (and at least two) arrived in
 * bursts. One tick caught up by the next is ordinary jitter; a third of them is not.
 */
const BUFFERED_SHARE = 1 / 3;

/**
 * The figures of a list of ticks `{n, serverTime, arrivedAt}` (milliseconds since the epoch,
 * arrivedAt by this browser's clock), from a probe started at `startedAt`.
 *
 * Lateness is measured against the quickest tick rather than the first: when something holds
 * the stream, the first tick waits longest and the minimum is the one that waited least.
 */
export function measureTicks(ticks, startedAt) {
  const offsets = ticks.map((tick) => tick.arrivedAt - tick.serverTime);
  const quickest = Math.min(...offsets);
  let inBursts = 0;
  for (let i = 1; i < ticks.length; i++) {
    const sentApart = ticks[i].serverTime - ticks[i - 1].serverTime;
    const arrivedApart = ticks[i].arrivedAt - ticks[i - 1].arrivedAt;
    if (sentApart > 0 && arrivedApart < sentApart * BURST_SHARE) inBursts++;
  }
  const last = ticks.length - 1;
  return {
    connectMs: ticks[0].arrivedAt - startedAt,
    received: ticks.length,
    maxLateMs: Math.max(...offsets) - quickest,
    inBursts,
    sentOverMs: ticks[last].serverTime - ticks[0].serverTime,
    arrivedOverMs: ticks[last].arrivedAt - ticks[0].arrivedAt,
  };
}

/**
 * The verdict on a stream probe (WSS, WS or SSE). `probe` is what the page saw:
 *
 * - `startedAt`: when the connection was started; `openedAt`: when it opened (null if never);
 * - `ticks`: `{n, serverTime, arrivedAt}` in order of arrival; `expected`: how many were asked;
 * - `end`: `{at, how, code?, reason?}`, `how` being `finished` (the server closed normally),
 *   `closed` (closed otherwise), `refused` (failed before it opened) or `timeout` (the page
 *   stopped waiting);
 * - `untested`: why the page did not try this rung or could not, in place of all the above:
 *   `not_offered` (the server has no such listener), `insecure` (a page opened over https may
 *   not open ws://), `page_policy` (this page's Content-Security-Policy refused the address).
 *
 * Returns `{status, usable, ...figures}`: `status` is one of `works`, `slow`, `buffered`,
 * `cut`, `blocked`, `untested`; `usable` says whether the WebAgent would connect over it.
 */
export function classifyStream(probe) {
  if (probe.untested) return { status: "untested", usable: false, why: probe.untested };
  const { ticks, end, expected } = probe;
  const waitedMs = end.at - probe.startedAt;
  if (ticks.length === 0) {
    if (probe.openedAt !== null && end.how === "timeout") {
      return { status: "buffered", usable: false, how: "held", waitedMs };
    }
    return { status: "blocked", usable: false, how: end.how, code: end.code ?? null, waitedMs };
  }
  const figures = { expected, ...measureTicks(ticks, probe.startedAt) };
  const gaps = ticks.length - 1;
  if (figures.inBursts >= 2 && figures.inBursts >= gaps * BUFFERED_SHARE) {
    const atTheEnd = figures.arrivedOverMs < figures.sentOverMs * BURST_SHARE;
    return { status: "buffered", usable: false, how: atTheEnd ? "at_end" : "bursts", ...figures };
  }
  if (ticks.length < expected) {
    if (end.how === "timeout") return { status: "buffered", usable: false, how: "stalled", ...figures };
    return {
      status: "cut",
      usable: false,
      afterMs: end.at - probe.startedAt,
      code: end.code ?? null,
      ...figures,
    };
  }
  if (figures.connectMs > CONNECT_LIMIT_MS) {
    return { status: "slow", usable: false, how: "connect", ...figures };
  }
  if (figures.maxLateMs > LATE_LIMIT_MS) return { status: "slow", usable: true, how: "late", ...figures };
  return { status: "works", usable: true, ...figures };
}

/**
 * The verdict on an idle probe: one tick, `idleSecs` of silence, a last tick. `probe` has the
 * shape `classifyStream` takes. `works` if the last tick came; `cut` with `idleMs` (how long
 * the connection had been idle when it closed, or null if it went silent without closing).
 */
export function classifyIdle(probe, idleSecs) {
  if (probe.untested) return { status: "untested", usable: false, why: probe.untested };
  const { ticks, end } = probe;
  if (ticks.length === 0) {
    return { status: "blocked", usable: false, how: end.how, code: end.code ?? null, waitedMs: end.at - probe.startedAt };
  }
  if (ticks.length >= 2) {
    return { status: "works", usable: true, idleSecs, heldMs: ticks[1].arrivedAt - ticks[0].arrivedAt };
  }
  const closed = end.how !== "timeout";
  return {
    status: "cut",
    usable: false,
    idleSecs,
    idleMs: closed ? end.at - ticks[0].arrivedAt : null,
    code: closed ? (end.code ?? null) : null,
  };
}

/**
 * The verdict on the long-poll probe: `answers` is one entry per request in a row,
 * `{sentAt, arrivedAt, ok, waitedMs?, status?, error?}`; `waitedMs` is what the server says it
 * waited. `works` if every request was answered, with how much longer each took than the
 * server's wait (the round trip and whatever sits in between).
 */
export function classifyPoll(answers) {
  const answered = answers.filter((answer) => answer.ok);
  if (answered.length === 0) {
    const first = answers[0];
    return { status: "blocked", usable: false, httpStatus: first?.status ?? null, error: first?.error ?? null };
  }
  const overMs = answered.map((answer) => answer.arrivedAt - answer.sentAt - answer.waitedMs);
  const figures = {
    answered: answered.length,
    asked: answers.length,
    minOverMs: Math.min(...overMs),
    maxOverMs: Math.max(...overMs),
  };
  if (answered.length < answers.length) return { status: "unreliable", usable: false, ...figures };
  if (figures.maxOverMs > LATE_LIMIT_MS) return { status: "slow", usable: true, how: "late", ...figures };
  return { status: "works", usable: true, ...figures };
}

/** The rung the WebAgent will take: the best usable one, or null. */
export function chosenRung(results) {
  return RUNGS.find((rung) => results[rung]?.usable) ?? null;
}

/** The overall line. */
export function overallText(results) {
  const rung = chosenRung(results);
  if (rung) return `Your WebAgent will use: ${RUNG_NAMES[rung]}`;
  return "Your WebAgent cannot connect reliably from this browser: send the report below to support";
}

/** Milliseconds as a person reads them: `12 ms`, `1.4 s`, `61 s`. */
function formatMs(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

const closeCode = (code) => (code === null || code === undefined ? "" : ` (close code ${code})`);

/**
 * What a result says to people: `label` (the verdict, short), `advice` (what to do; empty
 * when nothing) and `figures` (the measurements, for the table and the report).
 *
 * `context`: `{rung, idle, ports: {ws, wss}, heartbeatSecs, certificate, secureUrl}`; `idle`
 * for the idle check's results; the ports are as the browser reaches the server (null for a
 * rung not offered); `certificate` is what /rt/endpoints says wss serves (`development`,
 * `configured` or null) and `secureUrl` this server's https address.
 */
export function describe(result, context) {
  const { rung, idle = false } = context;
  switch (result.status) {
    case "untested":
      return { ...UNTESTED[result.why], figures: "" };
    case "works":
      return idle
        ? { label: `Works: held ${formatMs(result.heldMs)} idle`, advice: "", figures: `idle for ${formatMs(result.heldMs)}` }
        : { label: "Works", advice: "", figures: figures(result) };
    case "slow":
      return result.how === "connect"
        ? {
            label: `Too slow: connecting took ${formatMs(result.connectMs)}`,
            advice:
              "The WebAgent waits 5 s for a connection, then tries the next kind. Ask IT why connecting to this host takes so long.",
            figures: figures(result),
          }
        : {
            label: `Slow: up to ${formatMs(result.maxLateMs ?? result.maxOverMs)} late`,
            advice: "The network between you and the server is slow or busy: the WebAgent works, but reacts late.",
            figures: figures(result),
          };
    case "buffered":
      return {
        label: {
          held: "Buffered: it connected, but nothing came through",
          at_end: "Buffered: everything arrived only when the stream ended",
          bursts: "Buffered: messages were held and arrived in bursts",
          stalled: `Buffered: the stream stalled after ${result.received} of ${result.expected} messages`,
        }[result.how],
        advice:
          "Something between you and the server holds event streams — exempt this host from TLS inspection or download scanning.",
        figures: result.how === "held" ? `nothing in ${formatMs(result.waitedMs)}` : figures(result),
      };
    case "cut":
      return idle ? describeIdleCut(result, context) : {
        label: `Cut after ${formatMs(result.afterMs)}${closeCode(result.code)}`,
        advice: "A proxy or firewall ended the connection early. Run the check again, and tell IT if it happens again.",
        figures: figures(result),
      };
    case "unreliable":
      return {
        label: `Unreliable: ${result.asked - result.answered} of ${result.asked} requests failed`,
        advice: "Something between you and the server ends requests that wait: ask IT to let requests to this host take 30 s.",
        figures: figures(result),
      };
    case "blocked":
      return describeBlocked(result, context);
    default:
      throw new Error(`no description for ${result.status}`);
  }
}

const UNTESTED = {
  not_offered: { label: "Not offered by this server", advice: "" },
  insecure: {
    label: "Not tested from an https page",
    advice: "Nothing to do: a page opened over https may not use plain WebSocket, so the WebAgent does not either.",
  },
  page_policy: {
    label: "Not tested: this page may not connect there",
    advice:
      "The page's security policy (Content-Security-Policy) refused the address: a server configuration issue, not your network. Tell the acdhub administrator.",
  },
};

function figures(result) {
  if (result.asked !== undefined) {
    const [least, most] = [formatMs(result.minOverMs), formatMs(result.maxOverMs)];
    const spread = least === most ? least : `${least} to ${most}`;
    return `${result.answered} of ${result.asked} answered; ${spread} beyond the server's wait`;
  }
  return [
    `first message after ${formatMs(result.connectMs)}`,
    `${result.received} of ${result.expected} messages`,
    `up to ${formatMs(result.maxLateMs)} late`,
    `${result.inBursts} in bursts`,
    `sent over ${formatMs(result.sentOverMs)}, arrived over ${formatMs(result.arrivedOverMs)}`,
  ].join("; ");
}

function describeIdleCut(result, { heartbeatSecs }) {
  const heartbeat = `acdhub's heartbeats (every ${heartbeatSecs} s)`;
  if (result.idleMs === null) {
    return {
      label: `Cut: nothing arrived after ${result.idleSecs} s idle`,
      advice: `A firewall or proxy drops idle connections without a word; ${heartbeat} keep sessions alive if that limit is above ${heartbeatSecs} s.`,
      figures: "no last message, no close",
    };
  }
  const idleSecs = Math.round(result.idleMs / 1000);
  return {
    label: `Cut after ${idleSecs} s idle${closeCode(result.code)}`,
    advice:
      idleSecs > heartbeatSecs
        ? `A firewall or proxy closes idle connections; ${heartbeat} keep sessions alive, since that limit is above ${heartbeatSecs} s.`
        : `A firewall or proxy closes connections idle for ${idleSecs} s, sooner than ${heartbeat}: ask IT to raise that limit to 60 s or more, or the acdhub administrator to set ping_interval_secs below it.`,
    figures: `closed after ${formatMs(result.idleMs)} idle`,
  };
}

function describeBlocked(result, { rung, ports, certificate = null, secureUrl = null }) {
  // A browser that does not trust the server's certificate fails a wss connection at once,
  // before it opens, as a port that refuses does: a page sees the same error for both. The
  // server says which certificate it serves (/rt/endpoints), and only the built-in development
  // one is known to be untrusted by every browser that was not set up for it.
  if (rung === "wss" && result.how === "refused" && certificate === "development") {
    const open = secureUrl ? `open ${secureUrl} in this browser once to see its warning, or ` : "";
    return {
      label: "Blocked: the browser does not trust the server's certificate (likely)",
      advice:
        "This server runs on acdhub's built-in development certificate, which browsers refuse unless they trust its test CA; " +
        `that fails secure WebSocket at once, just like a blocked port. To check, ${open}ask the acdhub administrator to install a ` +
        "certificate your computers trust ([server] tls_certificate). Asking IT to open a port will most likely not help.",
      figures: blockedFigures(result),
    };
  }
  let label = "Blocked: the connection failed";
  if (result.how === "timeout") label = `Blocked: nothing arrived in ${formatMs(result.waitedMs)}`;
  else if (result.how === "closed" || result.how === "finished") label = `Blocked: closed before anything came through${closeCode(result.code)}`;
  else if (result.httpStatus) label = `Blocked: the server's address answered HTTP ${result.httpStatus}`;
  const advice = {
    wss: `Something refuses secure WebSocket on port ${ports.wss} — ask IT to allow WebSocket (wss) to this host.`,
    ws:
      ports.wss !== null
        ? `Something refuses WebSocket on port ${ports.ws} — use https (port ${ports.wss}), or ask IT to allow WebSocket to this host.`
        : `Something refuses WebSocket on port ${ports.ws} — ask IT to allow WebSocket to this host.`,
    sse: "Something refuses event streams from this host — ask IT to allow text/event-stream responses from it.",
    poll: "This browser cannot send requests to the server — check the proxy settings, or ask IT to allow this host.",
  }[rung];
  return { label, advice, figures: blockedFigures(result) };
}

function blockedFigures(result) {
  if (result.error) return result.error;
  if (result.waitedMs === undefined) return "";
  const after = formatMs(result.waitedMs);
  return result.how === "timeout" ? `gave up after ${after}` : result.how === "refused" ? `failed after ${after}` : `closed after ${after}`;
}

/**
 * The report to copy for support. `check`: `{date, page, userAgent, server, endpoints,
 * settings, results, idle, context}`; `results` and `idle` map rungs to results (`idle` is
 * null until an idle check has run); `context` is `describe`'s, without `rung` and `idle`.
 */
export function reportText(check) {
  const { results, idle, settings, context } = check;
  const lines = [
    "acdhub connection check",
    `Date: ${check.date}`,
    `Page: ${check.page}`,
    `Browser: ${check.userAgent}`,
    `Server: ${check.server}`,
    `Endpoints: ${check.endpoints}`,
    `Check: ${settings.ticks} messages ${settings.interval} ms apart per stream; ${settings.polls} long-polls of ${settings.wait} ms`,
    "",
  ];
  const line = (rung, result, isIdle) => {
    const text = describe(result, { ...context, rung, idle: isIdle });
    lines.push(`${RUNG_NAMES[rung]}: ${text.label}`);
    if (text.figures) lines.push(`  ${text.figures}`);
    if (text.advice) lines.push(`  What to do: ${text.advice}`);
  };
  for (const rung of RUNGS) if (results[rung]) line(rung, results[rung], false);
  lines.push("", overallText(results));
  if (idle) {
    lines.push("", `Idle connection held for ${settings.idle} s:`);
    for (const rung of RUNGS) if (idle[rung]) line(rung, idle[rung], true);
  }
  return lines.join("\n");
}
