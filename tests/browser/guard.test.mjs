// No accidental hang-up (issue 21), in Chromium with real key events, on the real server with
// the PBX played from Node (connectors.mjs): an offer taken with Enter leaves the focus on the
// call's panel, not on Hang up, so Enters that follow 250 ms apart end nothing; a key press on a
// control that ends something (Hang up, End wrap-up, Log out) within the guard time of the
// previous action is not taken, and the page says so beside it; pressed again after the guard
// time, it works. A single mouse click is never held back. (The rules themselves, in Node:
// agent-state.test.mjs's focusAfter and guarded.)
// Run: node --test --test-concurrency=1 guard.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, signIn, watchErrors } from "./harness.mjs";
import { deskSetUp } from "./connectors.mjs";
import { GUARD_MS } from "../../web/agent-state.js";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };

/** How far apart a hand that keeps pressing Enter presses it (the 250 ms). */
const REPEAT_MS = 250;



/** agent3's WebAgent, logged in and ready (by mouse), with its page errors. */
async function readyAgent(server, browser) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, "agent3");
  await page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await state(page, "ready");
  return { page, errors };
}

const state = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });
const stateNow = (page) => page.locator('[data-role="state"]').getAttribute("data-state");

/** What has the keyboard: a button's data-action, or a panel's data-role. */
const focused = (page) =>
  page.evaluate(() => document.activeElement?.dataset.action ?? document.activeElement?.dataset.role ?? document.activeElement?.tagName);
const untilFocused = (page, name) =>
  page.waitForFunction((name) => (document.activeElement?.dataset.action ?? document.activeElement?.dataset.role) === name, name, {
    timeout: PATIENCE,
    polling: 50,
  });

/** Tab (at most `max` times) until the button `action` has the focus. */
async function tabTo(page, action, max = 8) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if ((await focused(page)) === action) return;
  }
  assert.fail(`Tab never reached ${action}`);
}

/** The note beside the control `action` whose press was not taken. */
const note = (page, action) => page.locator(`[data-guard-note="${action}"]`);

/** A call from the PBX to `desk`, ringing at the agent with Accept focused. */
async function offered(page, pbx, call) {
  await pbx.arrive(call, { queue: "desk", caller: "+4930555000" });
  await page.getByRole("button", { name: "Accept" }).waitFor({ timeout: PATIENCE });
  await untilFocused(page, "accept");
}

test("Enter accepts; Enters 250 ms apart after it end nothing; after the guard time Hang up, End wrap-up and Log out work from the keyboard", TEST, async (t) => {
  const { server, browser, pbx } = await deskSetUp(t);
  const { page, errors } = await readyAgent(server, browser);
  await offered(page, pbx, "guard-1");

  // Enter accepts, and the hand goes on: Enter 250 ms later, and again 250 ms after that.
  await page.keyboard.press("Enter");
  await page.waitForTimeout(REPEAT_MS);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(REPEAT_MS);
  await page.keyboard.press("Enter");
  await pbx.waitFor((m) => m.type === "call_connected" && m.call === "guard-1", "the call connected");
  await page.waitForFunction(() => document.querySelector('[data-role="state"]').dataset.state !== "ringing", null, { timeout: PATIENCE });
  assert.equal(await stateNow(page), "on_call", "the Enters after Accept ended nothing");
  // The focus went to the call's panel, not to Hang up: the Enters that followed fell on it.
  assert.equal(await focused(page), "call");
  // Past the guard time (a fixed wait on purpose: the key timing is the point), the call is
  // still up: nothing hung it up, and the PBX was told of no end.
  await page.waitForTimeout(GUARD_MS);
  assert.equal(await stateNow(page), "on_call");
  assert.deepEqual(pbx.events("call_left", { call: "guard-1" }), [], "the PBX heard of no hang-up");
  assert.equal(await note(page, "hangup").textContent(), "", "no press came near Hang up");

  // A deliberate hang-up: Tab to Hang up (Hold comes first) and Enter. The call ends.
  await tabTo(page, "hangup");
  await page.keyboard.press("Enter");
  await state(page, "wrap_up");
  await pbx.waitFor((m) => m.type === "call_left" && m.call === "guard-1", "the call's end");
  // The wrap-up's panel has the focus, not End wrap-up.
  await untilFocused(page, "wrap-up");

  // Straight to End wrap-up and Enter, within the guard time of the hang-up: not taken.
  await tabTo(page, "end_wrap_up");
  await page.keyboard.press("Enter");
  await note(page, "end_wrap_up").filter({ hasText: "Still in wrap-up" }).waitFor({ timeout: PATIENCE });
  assert.equal(await stateNow(page), "wrap_up");
  await page.waitForTimeout(GUARD_MS);
  assert.equal(await stateNow(page), "wrap_up", "the wrap-up did not end: the agent is not ready");
  // Pressed again after the guard time: the wrap-up ends, the agent is ready, the note goes.
  await page.keyboard.press("Enter");
  await state(page, "ready");
  assert.equal(await note(page, "end_wrap_up").textContent(), "");
  // The focus went to Not ready (the safe way), not to Log out.
  await untilFocused(page, "not_ready");

  // Log out at once, from the keyboard: not taken, and said beside it.
  await tabTo(page, "logout");
  await page.keyboard.press("Enter");
  const loggingOut = note(page, "logout");
  await loggingOut.filter({ hasText: "Still logged in" }).waitFor({ timeout: PATIENCE });
  assert.equal(await loggingOut.getAttribute("role"), "status", "a screen reader hears it, politely");
  await page.waitForTimeout(GUARD_MS);
  assert.equal(await stateNow(page), "ready", "still logged in, still ready");
  await page.keyboard.press("Enter");
  await state(page, "logged_out");
  assert.deepEqual(errors, []);
});

test("Hang up reached from the keyboard right after Accept is not taken, and the page says why; pressed again after the guard time, it is; a mouse click is never held back", TEST, async (t) => {
  const { server, browser, pbx } = await deskSetUp(t);
  const { page, errors } = await readyAgent(server, browser);
  await offered(page, pbx, "guard-2");

  // Accept, and straight on to Hang up and Enter: within the guard time, not taken.
  await page.keyboard.press("Enter");
  await state(page, "on_call");
  await tabTo(page, "hangup");
  await page.keyboard.press("Enter");
  const hangUpNote = note(page, "hangup");
  await hangUpNote.filter({ hasText: "Still on the call" }).waitFor({ timeout: PATIENCE });
  assert.equal(
    await hangUpNote.textContent(),
    "Still on the call: that press came just as the page changed, so it was not taken. Press “Hang up” again if you meant it.",
  );
  assert.equal(await focused(page), "hangup", "the focus stays where the agent put it");
  // The note sits right under the call's buttons, inside the call's panel.
  assert.equal(await page.evaluate(() => document.querySelector('[data-guard-note="hangup"]').closest('[data-role="call"]') !== null), true);
  await screenshot(page, "guard-on-call-note");
  await page.waitForTimeout(GUARD_MS);
  assert.equal(await stateNow(page), "on_call");
  assert.deepEqual(pbx.events("call_left", { call: "guard-2" }), [], "the PBX heard of no hang-up");

  // Enter again, after the guard time: the call ends.
  await page.keyboard.press("Enter");
  await state(page, "wrap_up");
  await pbx.waitFor((m) => m.type === "call_left" && m.call === "guard-2", "the call's end");
  assert.equal(await hangUpNote.isVisible(), false, "the note went with the call");

  // A single mouse click is aimed: End wrap-up clicked at once ends the wrap-up.
  await page.getByRole("button", { name: "End wrap-up" }).click();
  await state(page, "ready");

  // Another call, taken by mouse. What takes Accept's place is not Hang up (a double-click's
  // second click lands there), and the second click of a double-click on Hang up, within the
  // guard time, is not taken either.
  await pbx.arrive("guard-3", { queue: "desk", caller: "+4930555001" });
  const accept = page.getByRole("button", { name: "Accept" });
  await accept.waitFor({ timeout: PATIENCE });
  const acceptBox = await accept.boundingBox();
  await accept.click();
  await state(page, "on_call");
  const underAccept = await page.evaluate(
    ({ x, y, width, height }) => document.elementFromPoint(x + width / 2, y + height / 2)?.closest("[data-action]")?.dataset.action ?? null,
    acceptBox,
  );
  assert.notEqual(underAccept, "hangup", "Hang up is not where Accept was");
  const hangUp = page.getByRole("button", { name: "Hang up" });
  const hangUpBox = await hangUp.boundingBox();
  // (The second click alone: a double-click's first click on Hang up itself is a click like any.)
  await page.mouse.move(hangUpBox.x + hangUpBox.width / 2, hangUpBox.y + hangUpBox.height / 2);
  await page.mouse.down({ clickCount: 2 });
  await page.mouse.up({ clickCount: 2 });
  await hangUpNote.filter({ hasText: "Still on the call" }).waitFor({ timeout: PATIENCE });
  assert.equal(await stateNow(page), "on_call");
  // A single click, straight after: taken.
  await hangUp.click();
  await state(page, "wrap_up");
  await pbx.waitFor((m) => m.type === "call_left" && m.call === "guard-3", "the call's end");
  assert.deepEqual(errors, []);
});
