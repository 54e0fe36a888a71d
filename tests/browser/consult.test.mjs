// Consultation (warm) transfer and conference on the WebAgent (issue 21), in Chromium on the
// real server with the PBX played from Node: an agent on a call picks another agent and
// consults; the other agent's page shows who asks and whose call it is, and accepts; the first
// makes it a conference, then hands the caller over; the caller's details stay on the second
// agent's page, which now has the call as its own; the PBX hears each step. A consultation
// the other agent declines gives the caller back, said in words. (The rules, in Node:
// agent-state.test.mjs; the messages, tests/server/consult.rs.)
// Run: node --test --test-concurrency=1 consult.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, signIn, toml, watchErrors } from "./harness.mjs";
import { deskSetUp } from "./connectors.mjs";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };

const role = (page, name) => page.locator(`[data-role="${name}"]`);
const action = (page, name) => page.locator(`[data-action="${name}"]`);
const state = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });
const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
/** Waits until the page's element `name` says `text`. */
async function says(page, name, text) {
  await page.waitForFunction(
    ([name, text]) => document.querySelector(`[data-role="${name}"]`)?.textContent === text,
    [name, text],
    { timeout: PATIENCE },
  );
}

// Two agents of one queue, and a connector that carries consultations and conferences out.
const CONFIG = [
  toml.callQueue({ id: "desk", name: "Service Desk" }),
  toml.agent({ id: "agent3", name: "Dana Desk", skills: { desk: 1 } }),
  toml.agent({ id: "agent4", name: "Eli Desk", skills: { desk: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "agent4", role: "agent", agent: "agent4" }),
  toml.login({ user: "pbx", role: "telephony" }),
  `
[tenants.telephony]
consult = true
conference = true
`,
].join("");

/** An agent's page, signed in, logged in and ready. */
async function readyAgent(browser, server, user) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, user);
  await live(page);
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await state(page, "ready");
  return { page, errors };
}

test("an agent consults another, makes it a conference and hands the caller over; a declined one gives the caller back", TEST, async (t) => {
  const { server, browser, pbx } = await deskSetUp(t, CONFIG);
  const dana = await readyAgent(browser, server, "agent3");
  const eli = await readyAgent(browser, server, "agent4");

  // Dana was ready first: the call rings there.
  await pbx.arrive("w-1", { queue: "desk", caller: "+4930555123", data: { customer: "C-7" } });
  await state(dana.page, "ringing");
  await action(dana.page, "accept").click();
  await state(dana.page, "on_call");

  // Consult needs an agent chosen: a queue is no one to talk to.
  const consult = action(dana.page, "consult");
  await consult.waitFor({ state: "visible", timeout: PATIENCE });
  assert.equal(await consult.isDisabled(), true);
  const targets = role(dana.page, "transfer-targets");
  await targets.focus();
  await dana.page.waitForFunction(() => document.querySelector('[data-role="transfer-targets"] option[value="agent:agent4"]:not([disabled])'), null, {
    timeout: PATIENCE,
  });
  await targets.selectOption("agent:agent4");
  assert.equal(await consult.isDisabled(), false);
  await consult.click();
  await says(dana.page, "consult-line", "Calling Eli Desk… The caller is on hold.");
  await state(dana.page, "on_hold");
  // Neither hold, resume nor a blind transfer while consulting.
  for (const hidden of ["hold", "resume", "transfer"]) assert.equal(await action(dana.page, hidden).isVisible(), false, hidden);
  assert.equal(await action(dana.page, "complete_transfer").isDisabled(), true);

  // Eli's page: who asks, about whose call.
  await state(eli.page, "ringing");
  await says(eli.page, "offer-heading", "Dana Desk asks you to consult");
  await says(eli.page, "offer-consult", "Dana Desk asks you about this call. The caller is on hold and cannot hear you.");
  assert.equal(await role(eli.page, "offer-caller").textContent(), "+4930555123");
  await screenshot(eli.page, "consult-offer");
  await action(eli.page, "accept").click();
  await state(eli.page, "on_call");
  await says(eli.page, "consult-line", "Talking with Dana Desk about this call. The caller is on hold.");
  assert.equal(await action(eli.page, "hangup").textContent(), "Leave");
  assert.equal(await action(eli.page, "hold").isVisible(), false);

  await says(dana.page, "consult-line", "Talking with Eli Desk. The caller is on hold.");
  await action(dana.page, "conference").click();
  await says(dana.page, "consult-line", "Conference with Eli Desk and the caller.");
  await state(dana.page, "on_call");
  await says(eli.page, "consult-line", "Conference with Dana Desk and the caller.");
  await screenshot(dana.page, "consult-conference");

  // Dana leaves: the caller is Eli's, with the caller's details, and Dana wraps up.
  await action(dana.page, "complete_transfer").click();
  await state(dana.page, "wrap_up");
  await eli.page.waitForFunction(() => document.querySelector('[data-action="hangup"]')?.textContent === "Hang up", null, { timeout: PATIENCE });
  assert.equal(await role(eli.page, "call-caller").textContent(), "+4930555123");
  assert.equal(await role(eli.page, "consult-line").textContent(), "");
  assert.equal(await action(eli.page, "hold").isVisible(), true);
  const steps = pbx
    .events("consultation", { call: "w-1" })
    .map((m) => (m.status === "ended" ? `ended ${m.reason}` : m.status));
  assert.deepEqual(steps, ["ringing", "talking", "conference", "ended transferred"]);
  await pbx.waitFor((m) => m.type === "call_connected" && m.call === "w-1" && m.agent === "agent4", "the call connected to agent4");

  // Eli consults Dana, who is in wrap-up: not offered. Once Dana is ready, Dana declines.
  await action(dana.page, "end_wrap_up").click();
  await state(dana.page, "ready");
  const eliTargets = role(eli.page, "transfer-targets");
  await eliTargets.focus();
  await eli.page.waitForFunction(() => document.querySelector('[data-role="transfer-targets"] option[value="agent:agent3"]:not([disabled])'), null, {
    timeout: PATIENCE,
  });
  await eliTargets.selectOption("agent:agent3");
  await action(eli.page, "consult").click();
  await state(dana.page, "ringing");
  await action(dana.page, "reject").click();
  await says(eli.page, "consult-line", "Dana Desk declined. You are back with the caller.");
  await state(eli.page, "on_call");
  await state(dana.page, "ready");

  assert.deepEqual(dana.errors, []);
  assert.deepEqual(eli.errors, []);
});
