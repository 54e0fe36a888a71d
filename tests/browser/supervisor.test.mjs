// The supervisor's console in a real Chromium against the real server. Agents act over a side
// WebSocket opened in a second page of the same origin; nothing is mocked, and every wait is
// for a condition.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, screenshot, watchErrors, PASSWORD } from "./harness.mjs";
import { connector, messaging } from "./connectors.mjs";
import { CHAT_TOML } from "./conversation-page.mjs";

const LIMIT = 60000;
const TOKEN_KEY = "acdhub.supervisor.token";

/** A server and a browser for one test, closed when it ends. */
async function setup(t, options = {}) {
  const server = await startServer(options);
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  return { server, browser };
}

/** Opens the console and signs in; resolves when the page is signed in and its view is live. */
async function openConsole(browser, base, { page = null, user = "supervisor", waitLive = true } = {}) {
  page ??= await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${base}/supervisor`);
  await signIn(page, user);
  if (waitLive) await live(page);
  return { page, errors };
}

async function signIn(page, user) {
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function live(page) {
  await page.locator("[data-role=connection][data-state=live]").waitFor({ timeout: LIMIT });
  await page.locator("[data-role=console][data-view=live]").waitFor({ timeout: LIMIT });
}

/** Waits until the text of `selector` (its first match, trimmed) satisfies `predicate`; returns it. */
async function waitText(page, selector, predicate, timeout = LIMIT) {
  const deadline = Date.now() + timeout;
  let last = null;
  for (;;) {
    last = await page.evaluate((s) => document.querySelector(s)?.textContent.trim() ?? null, selector);
    if (last !== null && predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting on ${selector}; its text: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const stateOf = (page, agent) => page.locator(`[data-agent=${agent}] [data-role=state]`);

async function waitState(page, agent, label, timeout = LIMIT) {
  await page.waitForFunction(
    ({ agent, label }) =>
      document.querySelector(`[data-agent=${agent}] [data-role=state]`)?.textContent.trim() === label,
    { agent, label },
    { timeout, polling: 100 },
  );
}

/**
 * An agent's own session over a WebSocket opened from a page of the server's origin (so the
 * Origin check passes). `send` resolves with the reply (ack or error); events are kept.
 */
async function agentSocket(browser, base, user) {
  const page = await browser.newPage();
  await page.goto(`${base}/healthz`);
  await page.evaluate(
    async ({ user, password }) => {
      const side = { events: [], replies: new Map(), next: 0, autoAccept: false };
      window.side = side;
      const ws = new WebSocket(`${location.origin.replace("http", "ws")}/ws`, "acdhub.v1");
      side.send = (type, fields = {}) =>
        new Promise((resolve) => {
          const id = String(++side.next);
          side.replies.set(id, resolve);
          ws.send(JSON.stringify({ id, type, ...fields }));
        });
      ws.onmessage = (frame) => {
        const message = JSON.parse(frame.data);
        if (message.type === "ack" || message.type === "error") {
          const resolve = side.replies.get(message.id);
          side.replies.delete(message.id);
          resolve?.(message);
        } else if (message.type !== "hello") {
          side.events.push(message);
          if (message.type === "offer" && side.autoAccept) side.send("accept", { call: message.call });
        }
      };
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error("the side socket did not open"));
      });
      const reply = await side.send("auth", { user, password });
      if (reply.type !== "ack") throw new Error(`auth refused: ${JSON.stringify(reply)}`);
    },
    { user, password: PASSWORD },
  );
  const socket = {
    page,
    send: (type, fields = {}) => page.evaluate(([t, f]) => window.side.send(t, f), [type, fields]),
    async ok(type, fields = {}) {
      const reply = await socket.send(type, fields);
      assert.equal(reply.type, "ack", `${type}: ${JSON.stringify(reply)}`);
      return reply;
    },
    /** The first event whose fields equal all of `match` (values compared as JSON). */
    async waitEvent(match, timeout = LIMIT) {
      const handle = await page.waitForFunction(
        (m) =>
          window.side.events.find((e) =>
            Object.entries(m).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v)),
          ) ?? null,
        match,
        { timeout, polling: 100 },
      );
      return handle.jsonValue();
    },
  };
  return socket;
}

/** Logs the agent in, makes it ready and accepts the first offer; resolves with the call id. */
async function takeACall(agent) {
  await agent.ok("login");
  await agent.ok("ready");
  const offer = await agent.waitEvent({ type: "offer" });
  await agent.ok("accept", { call: offer.call });
  return offer.call;
}

test("signs in and shows agents, queues and the waiting calls", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const { page, errors } = await openConsole(browser, server.http);

  for (const [id, name] of [
    ["agent1", "Alex Becker"],
    ["agent2", "Bianca Schulz"],
  ]) {
    const row = page.locator(`[data-agent=${id}]`);
    assert.match(await row.locator("th").textContent(), new RegExp(name));
    await waitState(page, id, "Logged out");
  }
  const agentOrder = await page.locator("[data-agent]").evaluateAll((rows) => rows.map((r) => r.dataset.agent));
  assert.deepEqual(agentOrder, ["agent1", "agent2"]);
  assert.match(await page.locator("[data-agent=agent1]").textContent(), /Customer Support, Sales/);

  assert.equal((await page.locator("[data-queue=support] th").textContent()).trim(), "Customer Support");
  assert.equal((await page.locator("[data-queue=sales] th").textContent()).trim(), "Sales");
  assert.match(await page.locator("[data-queue=support] [data-role=service-level]").textContent(), /target 80 %/);
  // A tenant of calls alone: each queue says so, and the conversation columns stay away.
  assert.equal((await page.locator("[data-queue=support] [data-role=channel]").textContent()).trim(), "voice");
  assert.equal((await page.locator("[data-role=totals-row] [data-role=channel]").textContent()).trim(), "voice");
  assert.equal(await page.getByRole("columnheader", { name: "Places taken" }).isVisible(), false);
  assert.equal(await page.locator("[data-queue=support] [data-role=places]").isVisible(), false);

  // Simulated callers arrive in support and wait, since nobody is logged in.
  const before = Number(await waitText(page, "[data-queue=support] [data-role=waiting]", (text) => /^\d+$/.test(text)));
  await waitText(page, "[data-queue=support] [data-role=waiting]", (text) => Number(text) > before, LIMIT);
  await page.locator("[data-call][data-status=waiting]").first().waitFor({ timeout: LIMIT });
  const firstCall = page.locator("[data-call][data-status=waiting]").first();
  assert.equal((await firstCall.locator("[data-role=queue]").textContent()).trim(), "Customer Support");
  assert.equal((await firstCall.locator("[data-role=status]").textContent()).trim(), "Waiting");

  // The queue's figures and the calls table agree, and the oldest wait ticks.
  await page.waitForFunction(
    () =>
      Number(document.querySelector("[data-queue=support] [data-role=waiting]").textContent) ===
      document.querySelectorAll("[data-call][data-status=waiting]").length,
    null,
    { timeout: LIMIT, polling: 200 },
  );
  const oldest = await waitText(page, "[data-queue=support] [data-role=oldest]", (text) => /^\d+:\d\d$/.test(text));
  await waitText(page, "[data-queue=support] [data-role=oldest]", (text) => text !== oldest);
  assert.match(await page.locator("[data-role=totals-row]").textContent(), /All queues/);

  // "/" jumps to the agent filter; the filter narrows the rows and says so.
  await page.locator("body").press("/");
  const filter = page.getByRole("searchbox", { name: "Filter agents" });
  assert.equal(await filter.evaluate((input) => input === document.activeElement), true);
  await filter.fill("bianca");
  assert.equal(await page.locator("[data-agent=agent1]").isHidden(), true);
  assert.equal(await page.locator("[data-agent=agent2]").isVisible(), true);
  assert.match(await page.locator("[data-role=agent-count]").textContent(), /1 of 2 agents shown/);
  await filter.fill("sales logged");
  assert.equal(await page.locator("[data-agent]:visible").count(), 2);
  await filter.fill("");
  assert.equal(await page.locator("[data-agent]:visible").count(), 2);

  assert.deepEqual(errors, []);
});

test("a chat queue shows its channel, its places taken and its first response", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t, { extra: CHAT_TOML });
  const widget = await messaging(server.http);
  const agent = await connector(server.http, "agent3");
  t.after(async () => {
    await widget.close();
    await agent.close();
  });
  const { page, errors } = await openConsole(browser, server.http);

  const cell = (queue, role) => `[data-queue="${queue}"] [data-role=${role}]`;
  assert.equal(await waitText(page, cell("chat", "channel"), (text) => text !== ""), "chat");
  assert.equal(await waitText(page, cell("support", "channel"), (text) => text !== ""), "voice");
  assert.equal((await page.locator("[data-role=totals-row] [data-role=channel]").textContent()).trim(), "all channels");
  assert.ok(await page.getByRole("columnheader", { name: "Places taken" }).isVisible());
  assert.ok(await page.getByRole("columnheader", { name: "First response" }).isVisible());
  await waitText(page, cell("chat", "places"), (text) => text.startsWith("0 of 0"));
  assert.equal(await waitText(page, cell("support", "places"), (text) => text !== ""), "–");

  // agent3 (capacity 3) takes a chat and replies.
  await agent.request("login");
  await agent.request("ready");
  await waitText(page, cell("chat", "places"), (text) => text.startsWith("0 of 3"));
  await widget.arrive("sv-1", { customer: "Dana Weber", messages: ["Hello"] });
  await agent.waitFor((m) => m.type === "conversation_offer" && m.conversation === "sv-1", "the offer of sv-1");
  await agent.request("accept_conversation", { conversation: "sv-1" });
  await agent.request("send_message", { conversation: "sv-1", text: "Hello, how can I help?" });
  await widget.delivered("sv-1", "Hello, how can I help?");

  await waitText(page, cell("chat", "places"), (text) => text.startsWith("1 of 3"));
  assert.equal(await page.locator(cell("chat", "places")).innerText(), "1 of 3\n1 agent holding");
  // One first reply, within the threshold or not; then the threshold and the average.
  await waitText(page, cell("chat", "first-response"), (text) => /^(100\.0|0\.0) %/.test(text));
  assert.match(await page.locator(cell("chat", "first-response")).innerText(), /^(100\.0|0\.0) %\n≤ \d+ s · avg \d+:\d\d$/);
  assert.equal(await waitText(page, cell("chat", "answered"), (text) => text === "1"), "1");
  await screenshot(page, "supervisor-chat");
  assert.deepEqual(errors, []);
});

test("shows an agent's day live: login, ready, ringing, on call", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const { page, errors } = await openConsole(browser, server.http);
  await waitState(page, "agent1", "Logged out");

  // Record every label the state badge shows, so a Ready that lasts a moment is seen too.
  await page.evaluate(() => {
    window.seenStates = [];
    const badge = document.querySelector("[data-agent=agent1] [data-role=state]");
    new MutationObserver(() => window.seenStates.push(badge.textContent.trim())).observe(badge, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });

  const agent = await agentSocket(browser, server.http, "agent1");
  await agent.ok("login");
  await waitState(page, "agent1", "Not ready");
  assert.equal((await page.locator("[data-agent=agent1] [data-role=reason]").textContent()).trim(), "Login");

  await agent.ok("ready");
  const offer = await agent.waitEvent({ type: "offer" });
  await waitState(page, "agent1", "Ringing");
  assert.match(await page.locator("[data-agent=agent1] [data-role=call]").textContent(), new RegExp(offer.call.replace(".", "\\.")));
  await page.locator(`[data-call="${offer.call}"][data-status=ringing]`).waitFor({ timeout: LIMIT });

  await agent.ok("accept", { call: offer.call });
  await waitState(page, "agent1", "On call");
  const call = page.locator(`[data-call="${offer.call}"]`);
  await page.locator(`[data-call="${offer.call}"][data-status=connected]`).waitFor({ timeout: LIMIT });
  assert.equal((await call.locator("[data-role=agent]").textContent()).trim(), "Alex Becker");
  const callCell = await page.locator("[data-agent=agent1] [data-role=call]").textContent();
  assert.match(callCell, /Customer Support/);

  const seen = await page.evaluate(() => window.seenStates);
  const order = ["Not ready", "Ready", "Ringing", "On call"].map((label) => seen.indexOf(label));
  assert.ok(order.every((i) => i >= 0), `states seen: ${seen.join(", ")}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, `states seen: ${seen.join(", ")}`);

  // The time in state ticks from `since`.
  const time = "[data-agent=agent1] [data-role=time]";
  const first = await waitText(page, time, (text) => /^\d+:\d\d$/.test(text));
  await waitText(page, time, (text) => text !== first && /^\d+:\d\d$/.test(text), 10000);

  // Busy: "after the call" actions are offered, setting its state now is about what follows it.
  assert.equal(await page.getByRole("button", { name: "Set pending state of Alex Becker" }).isEnabled(), true);
  assert.equal(await page.getByRole("button", { name: "Clear pending state of Alex Becker" }).isEnabled(), false);
  assert.deepEqual(errors, []);
});

test("forces an agent's state from the keyboard; the agent sees it was the supervisor", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const { page, errors } = await openConsole(browser, server.http);
  // agent2 serves sales only, where no simulated caller goes: going ready brings no offer.
  const agent = await agentSocket(browser, server.http, "agent2");
  await agent.ok("login");
  await waitState(page, "agent2", "Not ready");
  await page.bringToFront();

  // Tab from the filter to the row's Ready button, and press Enter.
  await page.getByRole("searchbox", { name: "Filter agents" }).focus();
  let found = false;
  for (let i = 0; i < 60 && !found; i += 1) {
    await page.keyboard.press("Tab");
    found = await page.evaluate(() => document.activeElement?.getAttribute("aria-label") === "Make Bianca Schulz ready");
  }
  assert.ok(found, "Tab reaches the button “Make Bianca Schulz ready”");
  await page.keyboard.press("Enter");
  await waitState(page, "agent2", "Ready");
  await waitText(page, "[data-agent=agent2] [data-role=state-by]", (text) => text === "by supervisor");
  const forced = await agent.waitEvent({ type: "agent_state", state: "ready", by: "supervisor" });
  assert.equal(forced.previous, "not_ready");
  // The Ready button is off now; the focus stayed in the row, on a control that still works.
  assert.equal(await page.getByRole("button", { name: "Make Bianca Schulz ready" }).isDisabled(), true);
  assert.ok(
    await page.evaluate(() => {
      const active = document.activeElement;
      return Boolean(active?.closest("[data-agent=agent2]")) && !active.disabled;
    }),
    "the focus stays in Bianca Schulz's row",
  );

  // Not ready with a reason: pick Lunch, then Tab to the button and press Space.
  const reason = page.getByRole("combobox", { name: "Reason for Bianca Schulz" });
  await reason.focus();
  await reason.selectOption("lunch");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Make Bianca Schulz not ready");
  await page.keyboard.press("Space");
  await waitState(page, "agent2", "Not ready");
  await waitText(page, "[data-agent=agent2] [data-role=reason]", (text) => text === "Lunch");
  assert.match(await page.locator("[data-agent=agent2]").textContent(), /Not ready\s*Lunch\s*by supervisor/);
  await agent.waitEvent({ type: "agent_state", state: "not_ready", reason: "lunch", by: "supervisor" });

  // The queue's figures follow: one agent of sales is not ready.
  await waitText(page, "[data-queue=sales] [data-role=not-ready]", (text) => text === "1");

  // Log out: then nothing can be forced any more.
  await page.getByRole("button", { name: "Log Bianca Schulz out" }).click();
  await waitState(page, "agent2", "Logged out");
  await agent.waitEvent({ type: "agent_state", state: "logged_out", by: "supervisor" });
  for (const name of ["Make Bianca Schulz ready", "Make Bianca Schulz not ready", "Log Bianca Schulz out"]) {
    assert.equal(await page.getByRole("button", { name }).isDisabled(), true, name);
  }
  assert.deepEqual(errors, []);
});

test("sets and clears the pending state of an agent on a call", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const { page, errors } = await openConsole(browser, server.http);
  const agent = await agentSocket(browser, server.http, "agent1");
  const call = await takeACall(agent);
  await waitState(page, "agent1", "On call");
  await page.bringToFront();
  // Wait for a few more callers, so the picture has something in every table.
  await page.waitForFunction(() => document.querySelectorAll("[data-call][data-status=waiting]").length >= 2, null, {
    timeout: LIMIT,
    polling: 200,
  });

  await page.getByRole("combobox", { name: "Pending state for Alex Becker" }).selectOption("not_ready:break");
  await page.getByRole("button", { name: "Set pending state of Alex Becker" }).click();
  await waitText(page, "[data-agent=agent1] [data-role=pending]", (text) => text.startsWith("Not ready · Break"));
  assert.match(await page.locator("[data-agent=agent1] [data-role=pending]").textContent(), /by supervisor/);
  await agent.waitEvent({
    type: "pending_state",
    pending: { state: "not_ready", reason: "break" },
    by: "supervisor",
  });
  // The call goes on.
  assert.equal((await stateOf(page, "agent1").textContent()).trim(), "On call");
  assert.match(await page.locator("[data-agent=agent1] [data-role=call]").textContent(), new RegExp(call.replace(".", "\\.")));
  await page.locator("[data-call][data-status=waiting]").first().waitFor();
  await screenshot(page, "supervisor-grid");

  const clear = page.getByRole("button", { name: "Clear pending state of Alex Becker" });
  assert.equal(await clear.isEnabled(), true);
  await clear.click();
  await waitText(page, "[data-agent=agent1] [data-role=pending]", (text) => text === "–");
  await agent.waitEvent({ type: "pending_state", pending: null, by: "supervisor" });
  assert.equal(await clear.isDisabled(), true);

  // Log out after the call, through the same select.
  await page.getByRole("combobox", { name: "Pending state for Alex Becker" }).selectOption("logged_out");
  await page.getByRole("button", { name: "Set pending state of Alex Becker" }).click();
  await waitText(page, "[data-agent=agent1] [data-role=pending]", (text) => text.startsWith("Log out"));
  assert.deepEqual(errors, []);
});

test("raises a waiting call's priority and moves it to another queue", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const { page, errors } = await openConsole(browser, server.http);
  const waiting = page.locator("[data-call][data-status=waiting]").first();
  await waiting.waitFor({ timeout: LIMIT });
  const id = await waiting.getAttribute("data-call");
  const row = page.locator(`[data-call="${id}"]`);

  // A priority out of range is caught before it is sent.
  const priority = page.getByRole("spinbutton", { name: `Priority of call ${id}` });
  await priority.fill("300");
  await priority.press("Enter");
  await page.locator("[role=alert] [data-code=invalid_priority]").waitFor({ timeout: LIMIT });

  // Enter in the priority field sets it.
  await priority.fill("7");
  await priority.press("Enter");
  await waitText(page, `[data-call="${id}"] [data-role=priority]`, (text) => /^7\s*by supervisor$/.test(text));
  assert.equal(await page.locator("[data-call]").first().getAttribute("data-call"), id, "the call with the highest priority comes first");

  await page.getByRole("combobox", { name: `Queue for call ${id}` }).selectOption("sales");
  await page.getByRole("button", { name: `Move call ${id}` }).click();
  await waitText(page, `[data-call="${id}"] [data-role=queue]`, (text) => text.startsWith("Sales"));
  assert.match(await row.locator("[data-role=queue]").textContent(), /moved from Customer Support/);
  assert.match(await row.locator("[data-role=queue]").textContent(), /by supervisor/);
  assert.match(await row.locator("[data-role=priority]").textContent(), /^7/);
  // Its new queue counts it; the move select now offers the old queue.
  await waitText(page, "[data-queue=sales] [data-role=waiting]", (text) => Number(text) >= 1);
  assert.deepEqual(
    await page.getByRole("combobox", { name: `Queue for call ${id}` }).evaluate((s) => [...s.options].map((o) => o.value)),
    ["support"],
  );
  assert.deepEqual(errors, []);
});

test("shows a refused action with its error code", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const page = await browser.newPage();
  // Hold the events on the way to the console (replies pass), so the view is stale for a
  // moment, as when a click crosses a change on the wire.
  let holding = false;
  const held = [];
  let toPage = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    toPage = ws;
    ws.onMessage((message) => upstream.send(message));
    upstream.onMessage((message) => {
      if (holding && typeof message === "string" && message.includes('"seq":')) held.push(message);
      else ws.send(message);
    });
  });
  const { errors } = await openConsole(browser, server.http, { page });
  const agent = await agentSocket(browser, server.http, "agent2");
  await agent.ok("login");
  await waitState(page, "agent2", "Not ready");
  await page.bringToFront();

  holding = true;
  await agent.ok("logout");
  const deadline = Date.now() + LIMIT;
  while (!held.some((m) => m.includes('"logged_out"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(held.some((m) => m.includes('"logged_out"')), "the logout's event was held back");
  assert.equal((await stateOf(page, "agent2").textContent()).trim(), "Not ready");

  await page.getByRole("button", { name: "Make Bianca Schulz ready" }).click();
  const alert = page.locator("[role=alert] [data-code=not_logged_in]");
  await alert.waitFor({ timeout: LIMIT });
  const text = await alert.textContent();
  assert.match(text, /Could not make Bianca Schulz ready/);
  assert.match(text, /not_logged_in/);

  holding = false;
  for (const message of held.splice(0)) toPage.send(message);
  await waitState(page, "agent2", "Logged out");
  assert.equal(await page.getByRole("button", { name: "Make Bianca Schulz ready" }).isDisabled(), true);

  await alert.getByRole("button", { name: "Dismiss this message" }).click();
  await alert.waitFor({ state: "detached" });
  assert.deepEqual(
    errors.filter((e) => !e.includes("refused a message")),
    [],
  );
});

test("a reload keeps the session; signing out shows the form; non-supervisors are told", { timeout: 120000 }, async (t) => {
  const { server, browser } = await setup(t);
  const { page, errors } = await openConsole(browser, server.http);
  const token = await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);
  assert.ok(token, "the token is kept in sessionStorage");

  await page.reload();
  await live(page);
  assert.equal(await page.locator("[data-role=sign-in]").isHidden(), true);
  await waitState(page, "agent1", "Logged out");
  assert.equal((await page.locator("[data-role=who]").textContent()).trim(), "supervisor · acme");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("[data-role=sign-in]").waitFor({ state: "visible" });
  assert.equal(await page.locator("[data-role=console]").isHidden(), true);
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
  assert.equal(await page.locator("[data-role=connection]").getAttribute("data-state"), "stopped");

  // After a reload the form is still what shows: nothing remembers the password.
  await page.reload();
  await page.locator("[data-role=sign-in]").waitFor({ state: "visible" });

  // A wrong password is refused on the form.
  await page.getByLabel("User name").fill("supervisor");
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await waitText(page, "[data-role=form-error]", (text) => text.length > 0);

  // An agent's login is not a supervisor's: the console says so and subscribes to nothing.
  await signIn(page, "agent1");
  await page.locator("[data-role=not-supervisor]").waitFor({ state: "visible", timeout: LIMIT });
  assert.match(await page.locator("[data-role=not-supervisor]").textContent(), /role is agent.*Only supervisors/s);
  assert.equal(await page.locator("[data-role=agents-panel]").isHidden(), true);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("[data-role=sign-in]").waitFor({ state: "visible" });
  assert.deepEqual(errors, []);
});

test("a server restart marks the view stale, then rebuilds it without asking to sign in", { timeout: 120000 }, async (t) => {
  const first = await startServer();
  const browser = await launchBrowser();
  let server = first;
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const { page, errors } = await openConsole(browser, first.http);
  await page.locator("[data-call]").first().waitFor({ timeout: LIMIT });

  await first.stop();
  await page.locator("[data-role=console][data-view=stale]").waitFor({ timeout: LIMIT });
  await page.locator("[data-role=stale]").waitFor({ state: "visible" });
  // The last figures stay in sight, marked stale, and the actions pause.
  assert.equal(await page.locator("[data-agent]").count(), 2);
  assert.equal(await page.getByRole("button", { name: "Log Alex Becker out" }).isDisabled(), true);

  server = await startServer({ wsPort: first.ports.ws });
  // The old token is unknown to the new process: the password kept in memory signs in again.
  await live(page);
  assert.equal(await page.locator("[data-role=sign-in]").isHidden(), true);
  assert.equal(await page.locator("[data-role=stale]").isHidden(), true);
  await waitState(page, "agent1", "Logged out");
  assert.deepEqual(
    errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e)),
    [],
  );
});
