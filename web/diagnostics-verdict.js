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
//
// The words are in the language of the translator `t` the functions that word something take
// last (i18n.js, with diagnostics-messages.js); English without one.

import { DIAGNOSTICS_MESSAGES } from "./diagnostics-messages.js";
import { translator } from "./i18n.js";

export { DIAGNOSTICS_MESSAGES } from "./diagnostics-messages.js";

/** The check's words in English: the translator of a caller that passes none. */
const ENGLISH = translator({ messages: DIAGNOSTICS_MESSAGES });

/** The rungs of the fallback ladder, best first: the WebAgent takes the first that works. */
export const RUNGS = Object.freeze(["wss", "ws", "sse", "poll"]);

/** How the page names the rungs, in English (`rungName` in another language). */
export const RUNG_NAMES = Object.freeze(Object.fromEntries(RUNGS.map((rung) => [rung, ENGLISH(`rung.${rung}`)])));

/** How the page names a rung in the translator's language: "Long-poll", "Long-Polling". */
export function rungName(rung, t = ENGLISH) {
  return t(`rung.${rung}`);
}

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
export function overallText(results, t = ENGLISH) {
  const rung = chosenRung(results);
  if (rung) return t("overall.uses", { rung: rungName(rung, t) });
  return t("overall.none");
}

/** Milliseconds as a person reads them: `12 ms`, `1.4 s` (`1,4 s`), `61 s`. */
export function formatMs(ms, t = ENGLISH) {
  if (ms < 1000) return t("ms", { value: t.number(Math.round(ms)) });
  if (ms < 10000) return t("s", { value: t.number(ms / 1000, 1) });
  return t("s", { value: t.number(Math.round(ms / 1000)) });
}

const closeCode = (code, t) => (code === null || code === undefined ? "" : t("closeCode", { code: String(code) }));

/**
 * What a result says to people: `label` (the verdict, short), `advice` (what to do; empty
 * when nothing) and `figures` (the measurements, for the table and the report), in the
 * translator's language.
 *
 * `context`: `{rung, idle, ports: {ws, wss}, heartbeatSecs, certificate, secureUrl, pageOrigin,
 * proxy, wssWorks}`; `idle` for the idle check's results; the ports are as the browser reaches
 * the server (null for a rung not offered); `certificate` is what /rt/endpoints says wss serves
 * (`development`, `configured` or null), `secureUrl` this server's https address and
 * `pageOrigin` this page's origin (`https://acd.example.com`); `proxy` the `Via` header the
 * server's answers came with (a proxy on the way names itself there), or null; `wssWorks`
 * whether the quick check found WSS usable.
 */
export function describe(result, context, t = ENGLISH) {
  const { idle = false } = context;
  const ms = (value) => formatMs(value, t);
  switch (result.status) {
    case "untested":
      return { ...untested(result.why, t), figures: "" };
    case "works":
      return idle
        ? { label: t("works.idle", { time: ms(result.heldMs) }), advice: "", figures: t("works.idleFigures", { time: ms(result.heldMs) }) }
        : { label: t("works"), advice: "", figures: figures(result, t) };
    case "slow":
      return result.how === "connect"
        ? { label: t("slow.connect", { time: ms(result.connectMs) }), advice: t("slow.connectAdvice"), figures: figures(result, t) }
        : {
            label: t("slow.late", { time: ms(result.maxLateMs ?? result.maxOverMs) }),
            advice: t("slow.lateAdvice"),
            figures: figures(result, t),
          };
    case "buffered":
      return {
        label: t(`buffered.${result.how}`, { received: result.received, expected: result.expected }),
        advice: t(overTls(context) ? "buffered.tlsAdvice" : "buffered.advice"),
        figures: result.how === "held" ? t("buffered.nothingIn", { time: ms(result.waitedMs) }) : figures(result, t),
      };
    case "cut":
      return idle
        ? describeIdleCut(result, context, t)
        : {
            label: t("cut", { time: ms(result.afterMs), close: closeCode(result.code, t) }),
            advice: t("cut.advice"),
            figures: figures(result, t),
          };
    case "unreliable":
      return {
        label: t("unreliable", { failed: result.asked - result.answered, asked: result.asked }),
        advice: t("unreliable.advice"),
        figures: figures(result, t),
      };
    case "blocked":
      return describeBlocked(result, context, t);
    default:
      throw new Error(`no description for ${result.status}`);
  }
}

/**
 * Whether the rung's probe went over TLS: WSS always, SSE from a page opened over https (its
 * probe is on the page's own origin). A page cannot read the certificate its connection got,
 * so TLS inspection is named by its symptom: a stream held on its way over TLS was held by
 * something that decrypted it, which a proxy that only tunnels https (CONNECT) cannot do. That
 * is a TLS-inspecting proxy trusted by this computer, or a reverse proxy in front of acdhub that
 * ends https there; acdhub itself never holds its streams.
 */
function overTls({ rung, pageOrigin = null }) {
  return rung === "wss" || (rung === "sse" && Boolean(pageOrigin?.startsWith("https:")));
}

/** Why a rung was not tried (`not_offered`, `insecure`, `page_policy`), and what to do about it. */
function untested(why, t) {
  const advice = { not_offered: "", insecure: t("untested.insecureAdvice"), page_policy: t("untested.page_policyAdvice") }[why];
  return { label: t(`untested.${why}`), advice };
}

function figures(result, t) {
  const ms = (value) => formatMs(value, t);
  if (result.asked !== undefined) {
    const [least, most] = [ms(result.minOverMs), ms(result.maxOverMs)];
    const spread = least === most ? least : t("figures.spread", { least, most });
    return t("figures.polls", { answered: result.answered, asked: result.asked, spread });
  }
  return [
    t("figures.first", { time: ms(result.connectMs) }),
    t("figures.received", { received: result.received, expected: result.expected }),
    t("figures.late", { time: ms(result.maxLateMs) }),
    t("figures.bursts", { count: result.inBursts }),
    t("figures.over", { sent: ms(result.sentOverMs), arrived: ms(result.arrivedOverMs) }),
  ].join("; ");
}

function describeIdleCut(result, { heartbeatSecs }, t) {
  const heartbeat = t("idleCut.heartbeat", { secs: heartbeatSecs });
  if (result.idleMs === null) {
    return {
      label: t("idleCut.silent", { secs: result.idleSecs }),
      advice: t("idleCut.silentAdvice", { heartbeat, secs: heartbeatSecs }),
      figures: t("idleCut.silentFigures"),
    };
  }
  const idleSecs = Math.round(result.idleMs / 1000);
  return {
    label: t("idleCut.closed", { secs: idleSecs, close: closeCode(result.code, t) }),
    advice:
      idleSecs > heartbeatSecs
        ? t("idleCut.aboveAdvice", { heartbeat, secs: heartbeatSecs })
        : t("idleCut.belowAdvice", { idle: idleSecs, heartbeat }),
    figures: t("idleCut.figures", { time: formatMs(result.idleMs, t) }),
  };
}

function describeBlocked(
  result,
  { rung, ports, certificate = null, secureUrl = null, pageOrigin = null, proxy = null, wssWorks = false },
  t,
) {
  // A browser that does not trust the server's certificate fails a wss connection at once,
  // before it opens, as a port that refuses does: a page sees the same error for both. The
  // server says which certificate it serves (/rt/endpoints), and only the built-in development
  // one is known to be untrusted by every browser that was not set up for it. A page that was
  // itself opened from the wss listener's https address shows the browser trusts what that
  // address presents (the server's certificate, or an inspecting proxy's): not the cause there.
  const trustedHere = secureUrl !== null && pageOrigin !== null && originOf(secureUrl) === pageOrigin;
  if (rung === "wss" && result.how === "refused" && certificate === "development" && !trustedHere) {
    const open = secureUrl ? t("blocked.certificateOpen", { url: secureUrl }) : "";
    // Behind a proxy that names itself (Via), a tunnel it refuses fails the same way: say both.
    if (proxy) {
      return {
        label: t("blocked.proxyOrCertificate"),
        advice: t("blocked.proxyOrCertificateAdvice", { port: String(ports.wss), open }),
        figures: blockedFigures(result, t),
      };
    }
    return {
      label: t("blocked.certificate"),
      advice: t("blocked.certificateAdvice", { open }),
      figures: blockedFigures(result, t),
    };
  }
  let label = t("blocked.failed");
  if (result.how === "timeout") label = t("blocked.timeout", { time: formatMs(result.waitedMs, t) });
  else if (result.how === "closed" || result.how === "finished") label = t("blocked.closed", { close: closeCode(result.code, t) });
  else if (result.httpStatus) label = t("blocked.http", { status: String(result.httpStatus) });
  const port = (value) => String(value);
  const advice = {
    wss: () => t("blocked.wss", { port: port(ports.wss) }),
    ws: () => {
      // https is a way round only where WSS gets through.
      if (ports.wss === null || !wssWorks) return t("blocked.ws", { ws: port(ports.ws) });
      // Behind a proxy (it named itself in Via) that refuses plain WebSocket and passes WSS, as
      // squid's default rules do (CONNECT to the TLS port only): the WebAgent is fine on WSS.
      if (proxy) return t("blocked.wsByProxy", { ws: port(ports.ws), wss: port(ports.wss) });
      return t("blocked.wsOrHttps", { ws: port(ports.ws), wss: port(ports.wss) });
    },
    sse: () => t("blocked.sse"),
    poll: () => t("blocked.poll"),
  }[rung]();
  return { label, advice, figures: blockedFigures(result, t) };
}

/** The origin of an address (`https://host:port`), or null. */
function originOf(address) {
  try {
    return new URL(address).origin;
  } catch {
    return null;
  }
}

function blockedFigures(result, t) {
  if (result.error) return result.error;
  if (result.waitedMs === undefined) return "";
  const time = formatMs(result.waitedMs, t);
  return t(result.how === "timeout" ? "blocked.gaveUp" : result.how === "refused" ? "blocked.failedAfter" : "blocked.closedAfter", { time });
}

/**
 * The report to copy for support, in the translator's language. `check`: `{date, page,
 * userAgent, server, endpoints, settings, results, idle, context}`; `results` and `idle` map
 * rungs to results (`idle` is null until an idle check has run); `context` is `describe`'s,
 * without `rung` and `idle`.
 */
export function reportText(check, t = ENGLISH) {
  const { results, idle, settings, context } = check;
  const lines = [
    t("report.title"),
    t("report.date", { value: check.date }),
    t("report.page", { value: check.page }),
    t("report.browser", { value: check.userAgent }),
    t("report.server", { value: check.server }),
    t("report.endpoints", { value: check.endpoints }),
    ...(context.proxy ? [t("report.proxy", { value: context.proxy })] : []),
    t("report.check", {
      ticks: String(settings.ticks),
      interval: String(settings.interval),
      polls: String(settings.polls),
      wait: String(settings.wait),
    }),
    "",
  ];
  const line = (rung, result, isIdle) => {
    const text = describe(result, { ...context, rung, idle: isIdle }, t);
    lines.push(`${rungName(rung, t)}: ${text.label}`);
    if (text.figures) lines.push(`  ${text.figures}`);
    if (text.advice) lines.push(t("report.todo", { advice: text.advice }));
  };
  for (const rung of RUNGS) if (results[rung]) line(rung, results[rung], false);
  lines.push("", overallText(results, t));
  if (idle) {
    lines.push("", t("report.idle", { secs: String(settings.idle) }));
    for (const rung of RUNGS) if (idle[rung]) line(rung, idle[rung], true);
  }
  return lines.join("\n");
}
