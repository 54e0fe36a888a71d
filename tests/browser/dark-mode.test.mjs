// Dark mode: every page follows the system's colour scheme (prefers-color-scheme), and keeps its
// text readable in both. In Chromium against the real server, each page is put through the
// states it shows (the WebAgent from its sign-in to a call held and wrapped up beside open
// chats, the supervisor's console with agents in every state and calls waiting, ringing and
// held, the wallboard with queues on target, just below and below, long waits over their
// threshold and a supervisor's message along the bottom, the connection check with works,
// blocked and buffered); in each state the page is measured in the dark scheme and then in the
// light one (playwright's emulateMedia), and:
// - dark: the page's background is dark, and no element paints a light surface;
// - light: the page's background is light (the wallboard, a TV's page, is dark in both);
// - in both, every visible text (control values, placeholders and generated words too) meets
//   WCAG AA against the background it is drawn on: 4.5:1, or 3:1 for large text; the
//   wallboard, read from five metres, 7:1 everywhere (as wallboard.test.mjs holds its board).
//   Text of a disabled control is left out, as WCAG leaves it out.
// The lowest ratio of each page in each scheme is printed at the end. Screenshots of the dark
// states go to the artifacts (dark-*.png).
// Run: node --test --test-concurrency=1 dark-mode.test.mjs

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, screenshot, signIn, startServer, toml, watchErrors } from "./harness.mjs";
import { connector, messaging, telephony } from "./connectors.mjs";
import { holdIdle } from "./diagnostics-page.mjs";
import { CHAT_TOML } from "./conversation-page.mjs";
import { measureContrast } from "./contrast.mjs";

const PATIENCE = 60000;
const WAIT = { timeout: PATIENCE };
const TEST = { timeout: 300000 };

/** The page's background: at most this luminance in the dark (#1a1a1a is 0.010), at least this in the light. */
const DARK_PAGE = 0.03;
const LIGHT_PAGE = 0.8;
/** No surface lighter than this in the dark scheme (a mid grey, #7c7c7c; white is 1). */
const DARK_SURFACE = 0.2;

/** The lowest ratio seen per page and scheme, over all its states: printed after the tests. */
const lowest = new Map();

after(() => {
  const lines = [...lowest].map(([key, { ratio, name, state, disabled }]) => {
    const exempt = disabled ? `; a disabled control's text ${disabled.ratio.toFixed(2)}:1 (${disabled.name})` : "";
    return `${key}: ${ratio.toFixed(2)}:1 (${name}, ${state})${exempt}`;
  });
  console.log(`lowest contrast per page and scheme:\n  ${lines.join("\n  ")}`);
});

/**
 * A checker for one page (`where`): `check(state)` measures the page as it is now in the dark
 * scheme and then the light one, and notes what falls short; `done()` asserts that nothing did.
 * `minimum`: the ratio normal text needs, `large` what large text needs; `alwaysDark`: the page
 * is dark in the light scheme too.
 */
function checker(page, where, { minimum = 4.5, large = 3, alwaysDark = false } = {}) {
  const problems = [];
  let checks = 0;
  const check = async (state) => {
    checks += 1;
    // Nothing hovered: the mouse of the last click still rests on its button.
    await page.mouse.move(0, 0);
    for (const scheme of ["dark", "light"]) {
      await page.emulateMedia({ colorScheme: scheme });
      assert.equal(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches), scheme === "dark");
      const { texts, page: body, surfaces } = await page.evaluate(measureContrast, { detail: true });
      const at = `${where} ${scheme}, ${state}`;
      if (texts.length < 5) problems.push(`${at}: only ${texts.length} texts measured`);
      const dark = scheme === "dark" || alwaysDark;
      if (dark && !(body.luminance <= DARK_PAGE)) problems.push(`${at}: the page is not dark: ${body.background}`);
      if (!dark && !(body.luminance >= LIGHT_PAGE)) problems.push(`${at}: the page is not light: ${body.background}`);
      if (dark) {
        for (const surface of surfaces) {
          if (!(surface.luminance <= DARK_SURFACE)) problems.push(`${at}: a light surface ${surface.background}: ${surface.name}`);
        }
      }
      const key = `${where} ${scheme}`;
      const record = lowest.get(key) ?? { ratio: Infinity };
      for (const text of texts) {
        if (text.disabled) {
          if (!(text.ratio >= (record.disabled?.ratio ?? Infinity))) record.disabled = { ratio: text.ratio, name: text.name };
          continue;
        }
        const needed = text.large ? large : minimum;
        if (!(text.ratio >= needed)) {
          problems.push(
            `${at}: ${text.ratio.toFixed(2)}:1 < ${needed}:1 for ${text.name} (${text.color} on ${text.background}, ${text.fontSize}px ${text.fontWeight})`,
          );
        }
        if (text.ratio < record.ratio) Object.assign(record, { ratio: text.ratio, name: text.name, state });
      }
      lowest.set(key, record);
      if (scheme === "dark") await screenshot(page, `dark-${where}-${state.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}`);
    }
    await page.emulateMedia({ colorScheme: "dark" });
  };
  const done = () => {
    assert.ok(checks > 0);
    assert.deepEqual(problems, [], `${where}: ${problems.length} problems:\n${problems.join("\n")}`);
  };
  return { check, done };
}

/** A browser whose page prefers the dark scheme, closed (with the server) when the test ends. */
async function darkPage(t, server, viewport = null) {
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  if (viewport) await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme: "dark" });
  return { browser, page, errors: watchErrors(page) };
}

const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor(WAIT);
const agentState = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor(WAIT);

/** A Node-side agent (`connector`): the offer of a call it has not been offered before. */
function offers(agent) {
  const seen = new Set();
  return async (what = "an offer") => {
    const offer = await agent.waitFor((m) => m.type === "offer" && !seen.has(m.call), what);
    seen.add(offer.call);
    return offer;
  };
}

/** A call taken start to end by `agent` (ready, with `next` its offers): accepted, hung up, wrapped up. */
async function handleCall(agent, next) {
  const offer = await next();
  await agent.request("accept", { call: offer.call });
  await agent.request("hangup", { call: offer.call });
  await agent.request("end_wrap_up");
  return offer.call;
}

test("the landing page is dark in the dark scheme and readable in both", TEST, async (t) => {
  const server = await startServer();
  const { page, errors } = await darkPage(t, server);
  const { check, done } = checker(page, "index");
  await page.goto(`${server.http}/`);
  await page.getByRole("link", { name: /WebAgent/ }).waitFor(WAIT);
  await check("landing");
  done();
  assert.deepEqual(errors, []);
});

test("the WebAgent in the dark: every state of a call, beside chats", TEST, async (t) => {
  const server = await startServer({ extra: CHAT_TOML });
  const { page, errors } = await darkPage(t, server);
  const pbx = await telephony(server.http);
  const widget = await messaging(server.http);
  const supervisor = await connector(server.http, "supervisor");
  t.after(async () => {
    await Promise.all([pbx.close(), widget.close(), supervisor.close()]);
  });
  const { check, done } = checker(page, "agent");

  await page.goto(`${server.http}/agent`);
  await page.getByLabel("User").waitFor(WAIT);
  await check("sign-in");
  await signIn(page, "agent3", "not-the-password");
  await page.locator('[data-role="form-error"]', { hasText: "wrong user name or password" }).waitFor(WAIT);
  await check("sign-in refused");

  await signIn(page, "agent3");
  await live(page);
  await agentState(page, "logged_out");
  await check("logged out");
  await page.getByRole("button", { name: "Log in" }).click();
  await agentState(page, "not_ready");
  await check("logged in, not ready");

  // Made ready by the supervisor: the state, and why, in words.
  await supervisor.request("force_state", { agent: "agent3", state: "ready" });
  await agentState(page, "ready");
  await page.locator('[data-role="state-why"]', { hasText: "made you ready" }).waitFor(WAIT);
  await check("ready, made so by the supervisor");

  // Two chats offered; the first one shown with its data.
  await widget.arrive("dark-chat-1", { customer: "Dana Weber", messages: ["Hello, my parcel has not arrived"], data: { account: "C-10293" } });
  await widget.arrive("dark-chat-2", { customer: "Emil Koch", messages: ["Hi", "Can I change my address?"] });
  await page.locator('.conversation-row[data-conversation="dark-chat-2"][data-status="offered"][data-unread="2"]').waitFor(WAIT);
  await page.locator('.conversation-row[data-conversation="dark-chat-1"][aria-current="true"]').waitFor(WAIT);
  await page.getByRole("button", { name: "Accept chat" }).waitFor(WAIT);
  await check("ready, two chats offered");

  // One accepted and answered; the customer writes again.
  await page.getByRole("button", { name: "Accept chat" }).click();
  await page.locator('.conversation-row[data-conversation="dark-chat-1"][data-status="open"]').waitFor(WAIT);
  await page.getByLabel(/^Message to/).fill("Let me check that for you.");
  await page.getByRole("button", { name: "Send" }).click();
  await widget.delivered("dark-chat-1", "Let me check that for you.");
  await widget.write("dark-chat-1", "It was due on Monday");
  await page.locator('[data-role="transcript"] .message[data-from="agent"]').waitFor(WAIT);
  await page.locator('[data-role="transcript"] .message-text', { hasText: "It was due on Monday" }).waitFor(WAIT);
  await check("a chat answered, another offered");

  // A call rings over the chats.
  await pbx.arrive("dark-call-1", { queue: "hotline", caller: "+4930555010", data: { customer: "Dana Weber", order: "A-4711" } });
  await agentState(page, "ringing");
  await page.getByRole("button", { name: "Accept", exact: true }).waitFor(WAIT);
  await page.locator('[data-role="conversations"][data-behind-call="true"]').waitFor(WAIT);
  await check("ringing offer over the chats");

  // On the call; a refused transfer (of the open chat, to an agent who cannot take it) says why.
  await page.getByRole("button", { name: "Accept", exact: true }).click();
  await agentState(page, "on_call");
  await page.getByLabel("Transfer chat to").selectOption({ label: "Alex Becker" });
  await page.getByRole("button", { name: "Transfer chat" }).click();
  await page.getByRole("alert").filter({ hasText: "agent_not_available" }).waitFor(WAIT);
  await check("on call, a transfer refused");

  // On hold, and not ready after the call.
  await page.getByRole("button", { name: "Hold" }).click();
  await agentState(page, "on_hold");
  await page.locator('[data-role="hold-line"]').waitFor(WAIT);
  await page.getByLabel("Not-ready reason").selectOption({ label: "Lunch" });
  await page.getByRole("button", { name: "Not ready after this call" }).click();
  await page.locator('[data-role="pending-text"]', { hasText: "Not ready · Lunch" }).waitFor(WAIT);
  await check("on hold, not ready after the call");

  // Resumed and hung up: wrap-up.
  await page.getByRole("button", { name: "Resume" }).click();
  await agentState(page, "on_call");
  await page.getByRole("button", { name: "Hang up" }).click();
  await agentState(page, "wrap_up");
  await page.locator('[data-role="wrap-up-countdown"]').filter({ hasText: /^\d+:\d\d$/ }).waitFor(WAIT);
  await check("wrap-up");

  // The server goes away: the page says its view may be out of date.
  await server.stop();
  await page.locator('[data-role="stale"]').waitFor({ state: "visible", ...WAIT });
  await check("reconnecting");
  done();
  assert.deepEqual(
    errors.filter((error) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to load resource/.test(error)),
    [],
  );
});

/** The supervisor's tenant: a desk queue for ringing and wrap-up, a queue answered late, a chat queue. */
const SUPERVISOR_TOML = [
  toml.channel({ id: "chat", name: "Web chat", capacity: 3 }),
  toml.chatQueue({ id: "chat", name: "Chat" }),
  toml.callQueue({ id: "desk", name: "Service Desk" }).replace("wrap_up_secs = 30", "wrap_up_secs = 600"),
  toml.callQueue({ id: "late", name: "Late Line", thresholdSecs: 1 }),
  toml.agent({ id: "agent3", name: "Chris Ring", skills: { desk: 1 } }),
  toml.agent({ id: "agent4", name: "Dora Wrap", skills: { desk: 1 } }),
  toml.agent({ id: "agent5", name: "Emil Late", skills: { late: 1 } }),
  toml.agent({ id: "agent6", name: "Fay Away", skills: { late: 1 } }),
  ...["agent3", "agent4", "agent5"].map((agent) => toml.login({ user: agent, role: "agent", agent })),
  toml.login({ user: "pbx", role: "telephony" }),
].join("");

test("the supervisor's console in the dark: agents in every state, calls, an alert", TEST, async (t) => {
  const server = await startServer({ extra: SUPERVISOR_TOML });
  const { page, errors } = await darkPage(t, server, { width: 1440, height: 900 });
  const pbx = await telephony(server.http);
  const agents = {};
  for (const id of ["agent1", "agent2", "agent3", "agent4", "agent5"]) agents[id] = await connector(server.http, id);
  t.after(async () => {
    await Promise.all([pbx.close(), ...Object.values(agents).map((agent) => agent.close())]);
  });
  const { check, done } = checker(page, "supervisor");
  const waitState = (agent, label) =>
    page.waitForFunction(
      ({ agent, label }) => document.querySelector(`[data-agent=${agent}] [data-role=state]`)?.textContent.trim() === label,
      { agent, label },
      WAIT,
    );

  await page.goto(`${server.http}/supervisor`);
  await page.getByLabel("User name").waitFor(WAIT);
  await check("sign-in");
  await page.getByLabel("User name").fill("supervisor");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await live(page);
  await page.locator("[data-role=console][data-view=live]").waitFor(WAIT);

  // Late Line: a call answered after its 1 s threshold (below target), then Emil stays ready.
  const emil = agents.agent5;
  await emil.request("login");
  await pbx.arrive("dark-late-1", { queue: "late", caller: "+4930555001" });
  await page.waitForFunction(
    () => {
      const match = /^(\d+):(\d\d)$/.exec(document.querySelector("[data-queue=late] [data-role=oldest]")?.textContent.trim() ?? "");
      return match && Number(match[1]) * 60 + Number(match[2]) >= 2;
    },
    null,
    WAIT,
  );
  await emil.request("ready");
  await handleCall(emil, offers(emil));
  await waitState("agent5", "Ready");

  // Service Desk: Dora answers one and wraps up (for 10 minutes), Chris is rung by the next,
  // and a third waits.
  const dora = agents.agent4;
  await dora.request("login");
  await dora.request("ready");
  await pbx.arrive("dark-desk-1", { queue: "desk", caller: "+4930555002" });
  const doraCall = await offers(dora)();
  await dora.request("accept", { call: doraCall.call });
  await dora.request("hangup", { call: doraCall.call });
  await waitState("agent4", "Wrap-up");
  const chris = agents.agent3;
  await chris.request("login");
  await chris.request("ready");
  await pbx.arrive("dark-desk-2", { queue: "desk", caller: "+4930555003" });
  await offers(chris)();
  await waitState("agent3", "Ringing");
  await pbx.arrive("dark-desk-3", { queue: "desk", caller: "+4930555004" });

  // Alex takes a call of support and holds it; Bianca is not ready (Break).
  const alex = agents.agent1;
  await alex.request("login");
  await pbx.arrive("dark-support-1", { queue: "support", caller: "+4930555005" });
  await alex.request("ready");
  const alexCall = await offers(alex)();
  await alex.request("accept", { call: alexCall.call });
  await alex.request("hold", { call: alexCall.call });
  const bianca = agents.agent2;
  await bianca.request("login");
  await bianca.request("not_ready", { reason: "break" });
  await waitState("agent1", "On call");
  await page.locator("[data-agent=agent1] .sv-hold").waitFor(WAIT);
  await waitState("agent2", "Not ready");
  await page.locator(`[data-call="${alexCall.call}"][data-status=connected]`).waitFor(WAIT);
  await page.locator("[data-call][data-status=waiting]").first().waitFor(WAIT);
  await page.locator("[data-call][data-status=ringing]").first().waitFor(WAIT);
  await page.locator("[data-queue=late] [data-sl=below]").waitFor(WAIT);
  await page.locator("[data-queue=desk] [data-sl=on]").waitFor(WAIT);
  await check("agents ready, ringing, on hold, wrap-up, not ready, logged out; calls waiting, ringing, connected");
  // Each state and each call's status keeps a colour of its own, in both schemes.
  for (const scheme of ["dark", "light"]) {
    await page.emulateMedia({ colorScheme: scheme });
    const colours = await page.evaluate(() => {
      const of = (selector) =>
        Object.fromEntries(
          [...document.querySelectorAll(selector)].map((badge) => [badge.firstChild.textContent.trim(), getComputedStyle(badge).backgroundColor]),
        );
      return { states: of("[data-agent] [data-role=state]"), calls: of("[data-call] .call-status") };
    });
    assert.deepEqual(Object.keys(colours.states).sort(), ["Logged out", "Not ready", "On call", "Ready", "Ringing", "Wrap-up"], scheme);
    assert.equal(new Set(Object.values(colours.states)).size, 6, `${scheme}: ${JSON.stringify(colours.states)}`);
    assert.deepEqual(Object.keys(colours.calls).sort(), ["Connected", "Ringing", "Waiting"], scheme);
    assert.equal(new Set(Object.values(colours.calls)).size, 3, `${scheme}: ${JSON.stringify(colours.calls)}`);
  }
  await page.emulateMedia({ colorScheme: "dark" });

  // The supervisor sets Alex's state after the call, sorts the agents by state, and a priority
  // out of range is refused with its code.
  await page.getByRole("combobox", { name: "Pending state for Alex Becker" }).selectOption("not_ready:break");
  await page.getByRole("button", { name: "Set pending state of Alex Becker" }).click();
  await page.locator("[data-agent=agent1] [data-role=pending]", { hasText: /^Not ready · Break/ }).waitFor(WAIT);
  await page.locator(".agents-grid thead button", { hasText: /^State$/ }).click();
  await page.locator('.agents-grid thead th[aria-sort="ascending"]').waitFor(WAIT);
  const waiting = page.locator("[data-call][data-status=waiting]").first();
  const id = await waiting.getAttribute("data-call");
  const priority = page.getByRole("spinbutton", { name: `Priority of call ${id}` });
  await priority.fill("300");
  await priority.press("Enter");
  await page.locator("[role=alert] [data-code=invalid_priority]").waitFor(WAIT);
  await page.getByRole("searchbox", { name: "Filter agents" }).focus();
  await check("a pending state, sorted by state, a refused priority");
  done();
  assert.deepEqual(errors, []);
});

/** The wallboard's tenant: queues that end on target, just below and below it, and one waiting. */
const WALLBOARD_TOML = [
  toml.callQueue({ id: "good", name: "On Target", thresholdSecs: 60 }),
  toml.callQueue({ id: "warn", name: "Just Below", thresholdSecs: 1, target: 4 }),
  toml.callQueue({ id: "bad", name: "Below", thresholdSecs: 1 }),
  toml.callQueue({ id: "raised", name: "Waiting Long", thresholdSecs: 20 }),
  toml.agent({ id: "agent3", name: "Chris Board", skills: { good: 1, warn: 1, bad: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "pbx", role: "telephony" }),
].join("");

test("the wallboard is dark in both schemes, 7:1 everywhere: service levels and long waits", TEST, async (t) => {
  const server = await startServer({ extra: WALLBOARD_TOML });
  const { page, errors } = await darkPage(t, server, { width: 1920, height: 1080 });
  const pbx = await telephony(server.http);
  const agent = await connector(server.http, "agent3");
  t.after(async () => {
    await Promise.all([pbx.close(), agent.close()]);
  });
  const { check, done } = checker(page, "wallboard", { minimum: 7, large: 7, alwaysDark: true });

  await page.goto(`${server.http}/wallboard?queues=good,warn,bad,raised,support`);
  await page.locator("[data-role=sign-in]").waitFor({ state: "visible", ...WAIT });
  await check("sign-in");
  await page.locator("[data-role=sign-in] input[name=user]").fill("wallboard");
  await page.locator("[data-role=sign-in] input[name=password]").fill(PASSWORD);
  await page.locator("[data-role=sign-in] button[type=submit]").click();
  await live(page);
  await page.waitForFunction(
    () => [...document.querySelectorAll(".board > .tile")].length === 6 && !document.body.classList.contains("is-stale"),
    null,
    WAIT,
  );

  // A caller who waits in Waiting Long (no agent serves it) past its 20 s, not yet twice that;
  // meanwhile a call each in Just Below and Below, answered only after their 1 s threshold.
  await pbx.arrive("dark-raised-1", { queue: "raised", caller: "+4930555015" });
  const next = offers(agent);
  await agent.request("login");
  await pbx.arrive("dark-warn-1", { queue: "warn", caller: "+4930555011" });
  await pbx.arrive("dark-bad-1", { queue: "bad", caller: "+4930555012" });
  await page.locator("[data-queue=warn] .figure-oldest[data-alert=high]").waitFor(WAIT);
  await page.locator("[data-queue=bad] .figure-oldest[data-alert=high]").waitFor(WAIT);
  await agent.request("ready");
  await handleCall(agent, next);
  await handleCall(agent, next);
  // One in On Target, answered at once.
  await pbx.arrive("dark-good-1", { queue: "good", caller: "+4930555013" });
  await handleCall(agent, next);
  await agent.request("not_ready", { reason: "break" });
  // Another caller waits in Below, past twice its threshold.
  await pbx.arrive("dark-bad-2", { queue: "bad", caller: "+4930555014" });
  for (const [queue, standing] of [["good", "good"], ["warn", "warn"], ["bad", "bad"]]) {
    await page.locator(`[data-queue=${queue}] .service-level[data-standing=${standing}]`).waitFor(WAIT);
  }
  await page.locator("[data-queue=bad] .figure-oldest[data-alert=high]").waitFor(WAIT);
  await page.locator("[data-queue=raised] .figure-oldest[data-alert=raised]").waitFor(WAIT);
  await check("on target, just below, below; waits raised and high");
  // Still raised (not yet high) when it was measured.
  assert.equal(await page.locator("[data-queue=raised] .figure-oldest").getAttribute("data-alert"), "raised");
  // A supervisor's message along the bottom, on its own band: 7:1 too.
  const supervisor = await connector(server.http, "supervisor");
  t.after(() => supervisor.close());
  await supervisor.request("set_ticker", { text: "Billing system down, tell callers we call back" });
  await page.locator("[data-role=ticker]:not([hidden])").waitFor(WAIT);
  await check("a message on the wallboards");
  done();
  assert.deepEqual(errors, []);
});

test("the connection check in the dark: works, blocked and buffered, and the idle check", TEST, async (t) => {
  const server = await startServer();
  const { page } = await darkPage(t, server);
  const { check, done } = checker(page, "diagnostics");
  // A proxy that holds event streams to their end, and a firewall that refuses plain WebSocket.
  await page.route("**/diag/sse?*", async (route) => route.fulfill({ response: await route.fetch() }));
  await page.routeWebSocket(/^ws:\/\/[^/]+\/diag\/ws/, (socket) => socket.close({ code: 1011 }));
  await page.goto(`${server.http}/diagnostics?ticks=8&interval=100&polls=2&wait=300&idle=2`);
  await page.waitForFunction(() => document.querySelector("[data-role=overall]")?.dataset.done === "true", null, WAIT);
  const verdicts = () =>
    page.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll("[data-role=results] tr")].map((row) => [row.dataset.rung, row.querySelector(".verdict").dataset.status])),
    );
  assert.deepEqual(await verdicts(), { wss: "works", ws: "blocked", sse: "buffered", poll: "works" });
  await check("checked: works, blocked, buffered");

  await holdIdle(page, "2 seconds", WAIT);
  await page.getByRole("button", { name: "Copy the report" }).click();
  await page.locator("[data-role=copied]").getByText("Copied.").waitFor(WAIT);
  await check("idle check done, report copied");
  done();
});
