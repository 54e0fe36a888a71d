// The scenario, end to end in Chromium against the real server: an agent signs in and
// goes ready; the simulator delivers a call; the agent accepts (from the keyboard), holds,
// resumes, hangs up and wraps up, while a wallboard beside it shows the waiting and answered
// counts change; the supervisor forces the agent not ready and the agent's page shows it; the
// server restarts and the wallboard (and the agent's page) reconnect by themselves to the same
// day: the journal kept the figures and the agent's state.

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, screenshot, signIn, startServer, watchErrors } from "./harness.mjs";

/** Patience for anything the server or the simulator has to do. Not a timing assumption: a limit. */
const PATIENCE = 60000;

const figure = (page, queue, name) =>
  page.locator(`[data-queue="${queue}"] [data-figure="${name}"]`).first();

async function number(locator) {
  const text = (await locator.textContent()) ?? "";
  const value = Number.parseInt(text.replace(/[^0-9]/g, ""), 10);
  return Number.isNaN(value) ? null : value;
}

async function waitForNumber(locator, predicate, what) {
  const deadline = Date.now() + PATIENCE;
  let last = null;
  while (Date.now() < deadline) {
    last = await number(locator);
    if (last !== null && predicate(last)) return last;
    await locator.page().waitForTimeout(200);
  }
  assert.fail(`${what}: still ${last} after ${PATIENCE} ms`);
}

const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });

test("an agent takes a simulated call while the wallboard and the supervisor watch; a restart heals itself", async () => {
  let server = await startServer();
  const browser = await launchBrowser();
  try {
    // The wallboard, as on a TV: signed in by the address alone.
    const wallboard = await browser.newPage();
    await wallboard.setViewportSize({ width: 1920, height: 1080 });
    const wallboardErrors = watchErrors(wallboard);
    await wallboard.goto(`${server.http}/wallboard?queues=support,sales#user=wallboard&password=${PASSWORD}`);
    await live(wallboard);
    const waiting = figure(wallboard, "support", "waiting");
    const answered = figure(wallboard, "support", "answered");
    assert.equal(await waitForNumber(answered, () => true, "answered shows"), 0, "nothing answered yet");
    // Nobody answers yet, so the simulator's callers wait.
    const waitingBefore = await waitForNumber(waiting, (n) => n >= 1, "a simulated caller waits");

    // The agent signs in, logs in and goes ready.
    const agent = await browser.newPage();
    const agentErrors = watchErrors(agent);
    await agent.goto(`${server.http}/agent`);
    await signIn(agent, "agent1");
    await live(agent);
    await agent.getByRole("button", { name: "Log in" }).click();
    await agent.locator('[data-role="state"][data-state="not_ready"]').waitFor();
    await agent.getByRole("button", { name: "Ready", exact: true }).click();

    // The offer: visible, announced, and it has the keyboard focus, so Enter accepts it.
    const accept = agent.getByRole("button", { name: "Accept" });
    await accept.waitFor({ timeout: PATIENCE });
    await agent.waitForFunction(
      () => document.querySelector('[data-role="announcer"]').textContent.startsWith("Incoming call from"),
    );
    assert.equal(await agent.locator('[data-role="announcer"]').getAttribute("aria-live"), "assertive");
    assert.match(await agent.locator('[data-role="offer-caller"]').textContent(), /^\+\d/, "the caller's number");
    assert.equal(await agent.locator('[data-role="offer-queue"]').textContent(), "Customer Support");
    assert.match(await agent.locator('[data-role="offer-countdown"]').textContent(), /^\d:\d\d$/);
    assert.equal(await agent.title(), "Incoming call · WebAgent");
    assert.ok(await accept.evaluate((button) => button === document.activeElement), "Accept has the focus");
    assert.equal(await agent.locator('[data-role="offer"]').getAttribute("data-ringing"), "true", "it rings");
    await agent.keyboard.press("Enter");
    await agent.locator('[data-role="state"][data-state="on_call"]').waitFor();
    assert.equal(await agent.locator('[data-role="offer"]').getAttribute("data-ringing"), "false", "answered, it stops");

    // The wallboard saw the call leave the queue and be answered.
    await waitForNumber(answered, (n) => n === 1, "the wallboard counts the answered call");
    assert.ok(waitingBefore >= 1);

    // Hold and resume.
    await agent.getByRole("button", { name: "Hold" }).click();
    await agent.getByRole("button", { name: "Resume" }).waitFor();
    assert.equal(await agent.locator('[data-role="held"]').isVisible(), true, "on hold is shown");
    await screenshot(agent, "agent");
    await agent.getByRole("button", { name: "Resume" }).click();
    await agent.getByRole("button", { name: "Hold" }).waitFor();
    assert.equal(await agent.locator('[data-role="held"]').isVisible(), false);

    // Hang up: wrap-up, with its countdown.
    await agent.getByRole("button", { name: "Hang up" }).click();
    await agent.locator('[data-role="state"][data-state="wrap_up"]').waitFor();
    assert.match(await agent.locator('[data-role="wrap-up-countdown"]').textContent(), /^\d:\d\d$/);

    // The supervisor forces the agent not ready (lunch). The agent is in wrap-up, so it
    // becomes the agent's pending state, shown on the agent's page with who set it.
    const supervisor = await browser.newPage();
    await supervisor.setViewportSize({ width: 1440, height: 900 });
    const supervisorErrors = watchErrors(supervisor);
    await supervisor.goto(`${server.http}/supervisor`);
    await signIn(supervisor, "supervisor");
    await live(supervisor);
    const row = supervisor.locator('[data-agent="agent1"] [data-role="state"]');
    await supervisor.waitForFunction(
      () => document.querySelector('[data-agent="agent1"] [data-role="state"]')?.textContent.includes("Wrap-up"),
      null,
      { timeout: PATIENCE },
    );
    await supervisor.getByLabel("Reason for Alex Becker").selectOption({ label: "Lunch" });
    await supervisor.getByRole("button", { name: "Make Alex Becker not ready" }).click();
    await agent.locator('[data-role="pending"]').waitFor({ timeout: PATIENCE });
    assert.equal(await agent.locator('[data-role="pending-text"]').textContent(), "Not ready · Lunch (set by supervisor)");

    // The agent ends the wrap-up and goes to the pending state instead of ready.
    await agent.getByRole("button", { name: "End wrap-up" }).click();
    await agent.locator('[data-role="state"][data-state="not_ready"]').waitFor();
    assert.equal(await agent.locator('[data-role="reason"]').textContent(), "· Lunch");
    assert.equal(await agent.locator('[data-role="pending"]').isVisible(), false, "the pending state was applied");
    await supervisor.waitForFunction(
      () => document.querySelector('[data-agent="agent1"] [data-role="state"]')?.textContent.includes("Not ready"),
    );

    // Forced on an agent who is not busy, the change is immediate, and says who made it.
    await supervisor.getByLabel("Reason for Alex Becker").selectOption({ label: "Break" });
    await supervisor.getByRole("button", { name: "Make Alex Becker not ready" }).click();
    await agent.waitForFunction(() => document.querySelector('[data-role="reason"]').textContent === "· Break");
    assert.equal(await agent.locator('[data-role="by"]').textContent(), "(set by supervisor)");
    assert.match(await row.textContent(), /Not ready/);

    await screenshot(wallboard, "wallboard");
    await screenshot(supervisor, "supervisor");

    // The server restarts on the same ports and the same data directory. Nobody touches the
    // pages: they reconnect by themselves, and the day goes on where it was — the wallboard
    // still counts the answered call, the agent is still not ready with its reason, signed in
    // again with its stored token (the new process checks the token with the key it keeps).
    const ports = server.ports;
    await server.stop();
    await wallboard.waitForFunction(
      () => document.querySelector('[data-role="connection"]').dataset.state !== "live",
      null,
      { timeout: PATIENCE },
    );
    server = await startServer({ wsPort: ports.ws, wssPort: ports.wss, dataDir: server.dataDir });
    assert.match(server.log(), /tenant recovered from its journal/);
    await live(wallboard);
    await waitForNumber(answered, (n) => n === 1, "the wallboard still counts the call answered before the restart");
    await live(agent);
    await agent.locator('[data-role="state"][data-state="not_ready"]').waitFor({ timeout: PATIENCE });
    assert.equal(await agent.locator('[data-role="reason"]').textContent(), "· Break");
    assert.equal(await agent.getByRole("button", { name: "Log in" }).count(), 0, "still logged in");
    await live(supervisor);
    await supervisor.waitForFunction(
      () => document.querySelector('[data-agent="agent1"] [data-role="state"]')?.textContent.includes("Not ready"),
      null,
      { timeout: PATIENCE },
    );

    // The one error a page may log is the browser's own note of a connection refused while
    // the server was down.
    const unexpected = (errors) => errors.filter((e) => !e.includes("WebSocket connection to"));
    assert.deepEqual(unexpected(agentErrors), []);
    assert.deepEqual(unexpected(supervisorErrors), []);
    assert.deepEqual(unexpected(wallboardErrors), []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
