// Hold that is unmistakable, and a state the agent did not make said in words (issue 21), in
// Chromium on the real server with the PBX and a supervisor played from Node (connectors.mjs):
// on hold the badge says On hold, a hold timer runs while the talk timer stands still (also
// across a reload of the page), and after Resume the talk timer goes on from where it stood; a
// fresh sign-in shows "Logged out" without a time since; a supervisor's force_state is said as a
// sentence naming the supervisor; a server restart under the page is said as one. (The rules
// themselves, in Node: agent-state.test.mjs's callTimes, stateWhy and rejoinNote.)
// Run: node --test --test-concurrency=1 hold.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort, launchBrowser, screenshot, signIn, startServer, watchErrors } from "./harness.mjs";
import { DESK_TOML, connector, deskSetUp } from "./connectors.mjs";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };

const state = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });
const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
const text = (page, role) => page.locator(`[data-role="${role}"]`).textContent();

/** A clock's "m:ss" as seconds. */
const seconds = (shown) => {
  const [minutes, secs] = shown.split(":").map(Number);
  return minutes * 60 + secs;
};

/** Waits until the clock `role` shows at least `atLeast` seconds. */
const clockReaches = (page, role, atLeast) =>
  page.waitForFunction(
    ({ role, atLeast }) => {
      const [minutes, secs] = (document.querySelector(`[data-role="${role}"]`)?.textContent ?? "").split(":").map(Number);
      return minutes * 60 + secs >= atLeast;
    },
    { role, atLeast },
    { timeout: PATIENCE, polling: 100 },
  );

/** agent3's WebAgent, signed in (not logged in yet), with its page errors. */
async function agentPage(server, browser) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, "agent3");
  await live(page);
  return { page, errors };
}

test("on hold the badge says On hold, the hold timer runs and the talk timer stands still, across a reload too; after Resume talk goes on from where it stood", TEST, async (t) => {
  const { server, browser, pbx } = await deskSetUp(t);
  const { page, errors } = await agentPage(server, browser);
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await state(page, "ready");

  await pbx.arrive("hold-1", { queue: "desk", caller: "+4930555010" });
  await page.getByRole("button", { name: "Accept" }).click();
  await state(page, "on_call");
  assert.equal(await text(page, "state"), "On call");
  await clockReaches(page, "call-time", 2);

  // Hold: the badge, the hold timer; the talk timer stops where it was.
  await page.getByRole("button", { name: "Hold" }).click();
  await state(page, "on_hold");
  assert.equal(await text(page, "state"), "On hold");
  assert.equal(await page.title(), "On hold · WebAgent");
  assert.equal(await page.locator('[data-role="hold-line"]').isVisible(), true);
  assert.equal(await page.locator('[data-role="held"]').isVisible(), true);
  const talkAtHold = await text(page, "call-time");
  await clockReaches(page, "hold-time", 2);
  assert.equal(await text(page, "call-time"), talkAtHold, "talk stood still while the caller was on hold");
  assert.equal(await text(page, "time-in-state"), await text(page, "hold-time"), "the state line's time is the hold's");
  const shot = await screenshot(page, "agent-on-hold");

  // A reload mid-hold: the hold timer goes on from when the hold began (the tab kept its
  // count), the talk timer still stands where it stood.
  const holdBeforeReload = seconds(await text(page, "hold-time"));
  await page.reload();
  await live(page);
  await state(page, "on_hold");
  await clockReaches(page, "hold-time", holdBeforeReload + 1);
  assert.equal(await text(page, "call-time"), talkAtHold, "after the reload too");

  // Resume: the hold timer goes, talk goes on from where it stood (not counting the hold).
  await page.getByRole("button", { name: "Resume" }).click();
  await state(page, "on_call");
  assert.equal(await page.locator('[data-role="hold-line"]').isVisible(), false);
  const heldFor = holdBeforeReload + 1;
  const talkAfter = seconds(await text(page, "call-time"));
  assert.ok(talkAfter >= seconds(talkAtHold) && talkAfter < seconds(talkAtHold) + heldFor, `talk ${talkAfter} s went on from ${talkAtHold}`);
  await clockReaches(page, "call-time", seconds(talkAtHold) + 1);
  assert.deepEqual(errors, []);
  console.log(`screenshot: ${shot}`);
});

test("a fresh sign-in says Logged out without a time since; a supervisor's change is said in words", TEST, async (t) => {
  const { server, browser } = await deskSetUp(t);
  const { page, errors } = await agentPage(server, browser);
  await state(page, "logged_out");
  assert.equal(await page.locator('[data-role="state-since"]').isVisible(), false, "no 'Logged out for ...'");
  assert.doesNotMatch(await page.locator(".agent-state .current").innerText(), /for \d/);
  assert.equal(await text(page, "state-why"), "");

  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  assert.equal(await page.locator('[data-role="state-since"]').isVisible(), true, "logged in, the time in state shows");
  assert.equal(await text(page, "state-why"), "", "the agent's own doing needs no words");

  const supervisor = await connector(server.http, "supervisor");
  t.after(() => supervisor.close());
  await supervisor.request("force_state", { agent: "agent3", state: "ready" });
  await state(page, "ready");
  const why = page.locator('[data-role="state-why"]');
  await why.filter({ hasText: "Your supervisor (supervisor) made you ready." }).waitFor({ timeout: PATIENCE });
  assert.equal(await why.getAttribute("role"), "status", "a screen reader hears it, politely");
  await supervisor.request("force_state", { agent: "agent3", state: "not_ready", reason: "break" });
  await why.filter({ hasText: "Your supervisor (supervisor) made you not ready (Break)." }).waitFor({ timeout: PATIENCE });
  await screenshot(page, "agent-forced-state");

  // The agent's own change: the words go.
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await state(page, "ready");
  await page.waitForFunction(() => document.querySelector('[data-role="state-why"]').textContent === "", null, { timeout: PATIENCE });
  assert.deepEqual(errors, []);
});

test("a server restart under the page is said in words, and the agent is signed in again where it was", TEST, async (t) => {
  // Fixed ports, so the page finds the server again where it was; the second server goes on
  // with the first one's journal (its data directory).
  const [wsPort, wssPort] = [await freePort(), await freePort()];
  const first = await startServer({ wsPort, wssPort, extra: DESK_TOML });
  const browser = await launchBrowser();
  let second = null;
  t.after(async () => {
    await browser.close();
    await first.stop();
    await second?.stop();
  });
  const { page, errors } = await agentPage(first, browser);
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await state(page, "ready");

  // SIGINT: the server closes every connection with 1012 (restarting) and stops.
  await first.stop();
  await page.locator('[data-role="connection"]:not([data-state="live"])').waitFor({ timeout: PATIENCE });
  second = await startServer({ wsPort, wssPort, extra: DESK_TOML, dataDir: first.dataDir });
  await live(page);
  const why = page.locator('[data-role="state-why"]');
  await why.filter({ hasText: "The server restarted; you are signed in again." }).waitFor({ timeout: PATIENCE });
  // The journal kept the agent ready: no state change to explain.
  await state(page, "ready");
  assert.equal(await why.textContent(), "The server restarted; you are signed in again.");
  await screenshot(page, "agent-after-restart");
  assert.deepEqual(errors, []);
});
