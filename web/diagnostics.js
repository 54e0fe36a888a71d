// diagnostics.js: the connection check (/diagnostics), for an agent or an IT administrator in
// the browser that has the trouble. No sign-in. It asks the server where its rungs are
// (/rt/endpoints), tries each from here with the server's probes (/diag/ws over WSS and WS,
// /diag/sse, /diag/poll), shows a verdict per rung with what to do, and writes a report to
// copy for support. On request it holds idle connections to catch a firewall that cuts them.
//
// This module measures and draws; the judgement is in diagnostics-verdict.js, which has no DOM
// so that Node tests it directly. Both speak English or German (i18n.js; every text is in
// diagnostics-messages.js), the report for support too.
//
// The address may shorten the check (a test does): `?ticks=8&interval=250&idle=3&polls=3&wait=500`
// (see SETTINGS in diagnostics-verdict.js).
//
// Importing this module does nothing; diagnostics-main.js calls `start()`, which reads the
// address and runs the check.

import { byRole, everySecond, fill, formatDuration, h } from "./ui.js";
import {
  DIAGNOSTICS_MESSAGES,
  RUNGS,
  classifyIdle,
  classifyPoll,
  classifyStream,
  describe,
  overallText,
  reportText,
  rungName,
  settingsFrom,
} from "./diagnostics-verdict.js";
import { languageSwitch, localize, pageTranslator } from "./i18n.js";

/** The check's settings, from the address (`start`). */
let settings = null;

/** The page's translator (`start`). */
let t = null;

/** How long a probe waits beyond what its messages should take before it gives up. */
const GRACE_MS = 10000;

/** The stream rungs the idle check holds (long-poll requests end by themselves). */
const IDLE_RUNGS = ["wss", "ws", "sse"];

/** This browser's clock in milliseconds since the epoch, finer than Date.now(). */
const now = () => performance.timeOrigin + performance.now();

const button = (action) => document.querySelector(`[data-action="${action}"]`);

/** What the check has found so far; the tables and the report are drawn from it. */
const newCheck = () => ({
  /** /rt/endpoints' answer, or null while unknown. */
  endpoints: null,
  /** Why /rt/endpoints could not be read (then this page's own address is tested), or null. */
  endpointsError: null,
  /** The Via header /rt/endpoints' answer came with: a proxy on the way names itself there. */
  proxy: null,
  /** What each rung's probe saw, by rung; a rung still running has none. */
  probes: {},
  /** The same for the idle check; null until it is asked for. */
  idleProbes: null,
  /** When the last check started. */
  date: null,
});
let check = newCheck();

/** Origins this page's Content-Security-Policy refused to connect to. */
const refusedByPolicy = new Set();

function originOf(address) {
  try {
    return new URL(address, location.href).origin;
  } catch {
    return null;
  }
}

// --- Where the rungs are --------------------------------------------------------------------

async function loadEndpoints() {
  check.proxy = null;
  try {
    const response = await fetch("/rt/endpoints", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    check.proxy = response.headers.get("via");
    check.endpoints = await response.json();
    check.endpointsError = null;
  } catch (error) {
    // Without it, try the WebSocket of this page's own address, as the pages did before the
    // ladder: the rest of the check still says what gets through.
    const secure = location.protocol === "https:";
    check.endpoints = {
      wss: secure ? `wss://${location.host}/ws` : null,
      ws: secure ? null : `ws://${location.host}/ws`,
      heartbeat_secs: 25,
    };
    check.endpointsError = error.message;
  }
}

/** A probe's address on a WebSocket endpoint's host and port. */
function webSocketProbe(endpoint, query) {
  const url = new URL(endpoint);
  url.pathname = "/diag/ws";
  url.search = new URLSearchParams(query).toString();
  return url.href;
}

function portOf(endpoint) {
  if (!endpoint) return null;
  const url = new URL(endpoint);
  return url.port || (url.protocol === "wss:" ? "443" : "80");
}

/** Why a rung cannot be tried from here, or null. */
function untested(rung) {
  if ((rung === "wss" || rung === "ws") && !check.endpoints[rung]) return "not_offered";
  if (rung === "ws" && location.protocol === "https:") return "insecure";
  return null;
}

// --- Probes ---------------------------------------------------------------------------------

/** Records a tick with the instant it arrived (read first, before any parsing). */
function addTick(probe, text) {
  const arrivedAt = now();
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return;
  }
  if (message?.type !== "tick") return;
  probe.ticks.push({ n: message.n, serverTime: Date.parse(message.time), arrivedAt });
}

/**
 * Runs one stream probe: `connect(probe, finish)` opens the connection, feeds ticks to
 * `addTick` and calls `finish(end)` when it ends, and returns a function that closes it.
 * Resolves with the probe, in the shape classifyStream takes.
 */
function runStream(url, expected, deadlineMs, connect) {
  return new Promise((resolve) => {
    const probe = { url, startedAt: now(), openedAt: null, ticks: [], expected, end: null };
    let close = () => {};
    let timer = null;
    const finish = (end) => {
      if (probe.end) return;
      probe.end = { at: now(), ...end };
      clearTimeout(timer);
      close();
      resolve(probe);
    };
    timer = setTimeout(() => finish({ how: "timeout" }), deadlineMs);
    try {
      close = connect(probe, finish);
    } catch (error) {
      // A browser may refuse the address outright (its security policy, a malformed URL).
      finish({ how: "refused", reason: error.message });
    }
  });
}

function connectWebSocket(url) {
  return (probe, finish) => {
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      probe.openedAt = now();
    });
    socket.addEventListener("message", (event) => addTick(probe, event.data));
    socket.addEventListener("close", (event) => {
      const how = probe.openedAt === null ? "refused" : event.code === 1000 ? "finished" : "closed";
      finish({ how, code: event.code, reason: event.reason });
    });
    // An error is an abnormal closure (1006). Its close event usually follows, but not when the
    // page's security policy refused the address: then Chromium fires only the error.
    socket.addEventListener("error", () => finish({ how: probe.openedAt === null ? "refused" : "closed", code: 1006 }));
    return () => socket.close();
  };
}

function connectEventSource(url) {
  return (probe, finish) => {
    const source = new EventSource(url);
    source.addEventListener("open", () => {
      probe.openedAt = now();
    });
    source.addEventListener("message", (event) => addTick(probe, event.data));
    // The server ends the stream with `event: close`; closing the source here keeps the
    // browser from reconnecting by itself.
    source.addEventListener("close", (event) => {
      let code = null;
      try {
        code = JSON.parse(event.data).code;
      } catch {
        // A close without a readable code is still the server's close.
      }
      finish({ how: code === 1000 ? "finished" : "closed", code });
    });
    source.addEventListener("error", () => finish({ how: probe.openedAt === null ? "refused" : "closed" }));
    return () => source.close();
  };
}

/** `polls` long-poll requests in a row; resolves with `{answers}` as classifyPoll takes them. */
async function runPolls() {
  const answers = [];
  for (let i = 0; i < settings.polls; i++) {
    const sentAt = now();
    try {
      const response = await fetch(`/diag/poll?wait_ms=${settings.wait}`, {
        method: "POST",
        cache: "no-store",
        signal: AbortSignal.timeout(settings.wait + GRACE_MS),
      });
      if (!response.ok) {
        answers.push({ sentAt, arrivedAt: now(), ok: false, status: response.status });
        continue;
      }
      const body = await response.json();
      answers.push({ sentAt, arrivedAt: now(), ok: body.type === "tick", status: response.status, waitedMs: body.waited_ms });
    } catch (error) {
      const reason = error.name === "TimeoutError" ? t("poll.noAnswer", { secs: (settings.wait + GRACE_MS) / 1000 }) : error.message;
      answers.push({ sentAt, arrivedAt: now(), ok: false, error: reason });
    }
  }
  return { url: new URL("/diag/poll", location.href).href, answers };
}

/**
 * Runs a stream rung's probe (`/diag/ws` over WSS or WS, `/diag/sse`) with `query`, which
 * should bring `expected` ticks within `deadlineMs`.
 */
function probeStream(rung, query, expected, deadlineMs) {
  const why = untested(rung);
  if (why) return Promise.resolve({ untested: why });
  if (rung === "sse") {
    const url = new URL(`/diag/sse?${new URLSearchParams(query)}`, location.href).href;
    return runStream(url, expected, deadlineMs, connectEventSource(url));
  }
  const url = webSocketProbe(check.endpoints[rung], query);
  return runStream(url, expected, deadlineMs, connectWebSocket(url));
}

/** The quick check's probe of one rung. */
function probeRung(rung) {
  if (rung === "poll") return runPolls();
  const query = { ticks: settings.ticks, interval_ms: settings.interval };
  return probeStream(rung, query, settings.ticks, settings.ticks * settings.interval + GRACE_MS);
}

/** The idle check's probe of one stream rung: one tick, `idle` seconds of nothing, a last tick. */
function probeIdle(rung) {
  return probeStream(rung, { idle_secs: settings.idle }, 2, settings.idle * 1000 + GRACE_MS);
}

// --- Verdicts -------------------------------------------------------------------------------

/**
 * A probe's result. A connection this page's own security policy refused says nothing about
 * the network: it is reported as untested, for the administrator.
 */
function resultOf(rung, probe, idle) {
  if (rung === "poll") return classifyPoll(probe.answers);
  const seen =
    probe.end?.how === "refused" && refusedByPolicy.has(originOf(probe.url)) ? { untested: "page_policy" } : probe;
  return idle ? classifyIdle(seen, settings.idle) : classifyStream(seen);
}

/** The results of the probes that have finished, by rung. */
function results(probes, idle) {
  const found = {};
  for (const [rung, probe] of Object.entries(probes)) found[rung] = resultOf(rung, probe, idle);
  return found;
}

function context() {
  return {
    proxy: check.proxy,
    wssWorks: Boolean(check.probes.wss && resultOf("wss", check.probes.wss, false).usable),
    ports: { ws: portOf(check.endpoints?.ws), wss: portOf(check.endpoints?.wss) },
    heartbeatSecs: check.endpoints?.heartbeat_secs ?? 25,
    certificate: check.endpoints?.certificate ?? null,
    secureUrl: check.endpoints?.wss ? check.endpoints.wss.replace(/^wss:/, "https:").replace(/\/ws$/, "/") : null,
    pageOrigin: location.origin,
  };
}

// --- Drawing --------------------------------------------------------------------------------

function render() {
  const quick = results(check.probes, false);
  const running = RUNGS.some((rung) => !quick[rung]);
  byRole("overall").textContent = running ? t("progress.checking") : overallText(quick, t);
  byRole("overall").dataset.done = String(!running);
  fill(byRole("results"), RUNGS.map((rung) => row(rung, check.probes[rung], quick[rung], false)));
  const idle = check.idleProbes ? results(check.idleProbes, true) : null;
  byRole("idle-table").hidden = !idle;
  if (idle) {
    fill(byRole("idle-results"), IDLE_RUNGS.map((rung) => row(rung, check.idleProbes[rung], idle[rung], true)));
  }
  // The report is written once the quick check is done, and again when the idle check is.
  byRole("report").value = running
    ? ""
    : reportText({
        date: check.date.toISOString(),
        page: location.href,
        userAgent: navigator.userAgent,
        server: `acdhub/${document.body.dataset.version}`,
        endpoints: check.endpointsError
          ? t("report.noEndpoints", { error: check.endpointsError })
          : [
              ...RUNGS.map((rung) => `${rung} ${check.endpoints?.[rung] ?? t("report.off")}`),
              t("report.certificate", { value: check.endpoints?.certificate ?? t("report.unknown") }),
            ].join(", "),
        settings,
        results: quick,
        idle: idle && IDLE_RUNGS.every((rung) => idle[rung]) ? idle : null,
        context: context(),
      }, t);
}

function row(rung, probe, result, idle) {
  // The probe's address without its query, free to wrap before the path.
  const url = probe?.url ? new URL(probe.url) : null;
  const address = url ? h("code", {}, url.origin, h("wbr"), url.pathname) : null;
  const heading = h("th", { scope: "row" }, rungName(rung, t), address && h("br"), address);
  if (!result) {
    return h("tr", { dataset: { rung } }, heading, h("td", {}, verdict("checking", t("progress.checking"))), h("td"), h("td"));
  }
  const text = describe(result, { ...context(), rung, idle }, t);
  return h(
    "tr",
    { dataset: { rung } },
    heading,
    h("td", {}, verdict(result.status, text.label)),
    h("td", { class: "figures" }, text.figures),
    h("td", {}, text.advice),
  );
}

const verdict = (status, label) => h("span", { class: "verdict", dataset: { status } }, label);

function say(text) {
  byRole("progress").textContent = text;
}

function setBusy(busy) {
  button("check").disabled = busy;
  button("idle").disabled = busy || !check.endpoints;
}

// --- The two checks -------------------------------------------------------------------------

async function runCheck() {
  setBusy(true);
  check.date = new Date();
  check.probes = {};
  render();
  say(t("progress.start"));
  await loadEndpoints();
  let done = 0;
  await Promise.all(
    RUNGS.map(async (rung) => {
      const probe = await probeRung(rung);
      check.probes[rung] = probe;
      done++;
      const label = describe(resultOf(rung, probe, false), { ...context(), rung }, t).label;
      say(t("progress.some", { done, total: RUNGS.length, rung: rungName(rung, t), label }));
      render();
    }),
  );
  render();
  say(t("progress.done", { overall: byRole("overall").textContent }));
  setBusy(false);
}

async function holdIdle() {
  setBusy(true);
  check.idleProbes = {};
  render();
  const endsAt = Date.now() + settings.idle * 1000;
  const countdown = byRole("countdown");
  countdown.hidden = false;
  // For eyes only: a live region that changed every second would be read out every second.
  const stopCountdown = everySecond(() => {
    const left = Math.ceil((endsAt - Date.now()) / 1000);
    countdown.textContent = left > 0 ? t("progress.holding", { time: formatDuration(left) }) : t("progress.lastMessage");
  });
  say(t("progress.idle", { length: idleLength() }));
  await Promise.all(
    IDLE_RUNGS.map(async (rung) => {
      check.idleProbes[rung] = await probeIdle(rung);
      render();
    }),
  );
  stopCountdown();
  countdown.hidden = true;
  const idle = results(check.idleProbes, true);
  const each = IDLE_RUNGS.map((rung) => `${rungName(rung, t)}: ${describe(idle[rung], { ...context(), rung, idle: true }, t).label}`);
  say(t("progress.idleDone", { results: each.join(". ") }));
  setBusy(false);
}

function idleLength() {
  const secs = settings.idle;
  if (secs % 60 === 0) return t("length.minutes", { count: secs / 60 });
  return t("length.seconds", { count: secs });
}

async function copyReport() {
  const report = byRole("report");
  const copied = byRole("copied");
  try {
    // Only in a secure context (https, or localhost); elsewhere the selection is copied.
    await navigator.clipboard.writeText(report.value);
    copied.textContent = t("report.copied");
  } catch {
    report.focus();
    report.select();
    copied.textContent = document.execCommand("copy") ? t("report.copied") : t("report.copyByHand");
  }
}

// --- Start ----------------------------------------------------------------------------------

/** Starts the connection check on the page that loaded it: the quick check runs at once. */
export function start() {
  t = pageTranslator(DIAGNOSTICS_MESSAGES);
  localize(document, t);
  languageSwitch(byRole("language"), t);
  settings = settingsFrom(new URLSearchParams(location.search));
  check = newCheck();
  document.addEventListener("securitypolicyviolation", (event) => {
    const origin = originOf(event.blockedURI);
    if (origin) refusedByPolicy.add(origin);
    render();
  });
  byRole("idle-length").textContent = idleLength();
  button("check").addEventListener("click", runCheck);
  button("idle").addEventListener("click", holdIdle);
  button("copy").addEventListener("click", copyReport);
  runCheck();
}
