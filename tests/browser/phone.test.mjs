// The agent's phone as the PBX reports it (`device_state`), on the real server in Chromium, with
// the PBX played from Node (connectors.mjs): a ready agent whose phone is not registered stays
// "Ready" and is told, beside its state, why no call comes; a call that arrives meanwhile is not
// offered; once the phone is available the notice goes and the call rings. The supervisor's
// console shows the phone on the agent's row, and a change of the phone alone leaves the state
// and its time in state as they were. (Each page's state module, in Node: agent-state.test.mjs
// and supervisor-state.test.mjs.)
// Run: node --test --test-concurrency=1 phone.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, screenshot, signIn, watchErrors } from "./harness.mjs";
import { deskSetUp } from "./connectors.mjs";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };


const NOT_REGISTERED = "Your phone is not registered: you get no calls until it is.";

/** Waits until `fn(arg)`, run in the page, is true. */
const until = (page, fn, arg = null) => page.waitForFunction(fn, arg, { timeout: PATIENCE, polling: 100 });

/** `m:ss` as seconds. */
const seconds = (text) => text.split(":").reduce((total, part) => total * 60 + Number(part), 0);


test("a phone not registered: the ready agent is told why no call comes, and the call rings once the phone is back", TEST, async (t) => {
  const { server, browser, pbx } = await deskSetUp(t);

  // The agent, logged in and ready; nothing waits in its queue.
  const agent = await browser.newPage();
  const agentErrors = watchErrors(agent);
  await agent.goto(`${server.http}/agent`);
  await signIn(agent, "agent3");
  await agent.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
  await agent.getByRole("button", { name: "Log in" }).click();
  await agent.locator('[data-role="state"][data-state="not_ready"]').waitFor({ timeout: PATIENCE });
  await agent.getByRole("button", { name: "Ready", exact: true }).click();
  await agent.locator('[data-role="state"][data-state="ready"]').waitFor({ timeout: PATIENCE });
  const notice = agent.locator('[data-role="phone-notice"]');
  assert.equal(await notice.isVisible(), false, "no phone reported: taken as available, nothing said");

  // The supervisor's console beside it.
  const board = await browser.newPage();
  const boardErrors = watchErrors(board);
  await board.setViewportSize({ width: 1600, height: 900 });
  await board.goto(`${server.http}/supervisor`);
  await board.getByLabel("User name").fill("supervisor");
  await board.getByLabel("Password").fill(PASSWORD);
  await board.getByRole("button", { name: "Sign in" }).click();
  await board.locator("[data-role=console][data-view=live]").waitFor({ timeout: PATIENCE });
  const row = board.locator("tr[data-agent=agent3]");
  const badge = row.locator("[data-role=phone]");
  await row.locator("[data-role=state]", { hasText: "Ready" }).waitFor({ timeout: PATIENCE });
  assert.equal(await badge.isVisible(), false);
  // Some time in state first, so that a clock that started again would show it.
  await until(board, () => {
    const text = document.querySelector("tr[data-agent=agent3] [data-role=time]")?.textContent ?? "0:00";
    const [m, s] = text.split(":").map(Number);
    return m * 60 + s >= 2;
  });
  const timeBefore = seconds(await row.locator("[data-role=time]").textContent());

  // The PBX reports the phone not registered: the agent stays ready, and is told.
  await pbx.request("device_state", { agent: "agent3", device: "unregistered" });
  await agent.getByRole("status").filter({ hasText: NOT_REGISTERED }).waitFor({ timeout: PATIENCE });
  assert.equal(await notice.textContent(), NOT_REGISTERED, "no chats for this agent: they are not mentioned");
  assert.equal(await agent.locator('[data-role="state"]').getAttribute("data-state"), "ready", "the state badge stays");
  assert.equal(await agent.locator('[data-role="state"]').textContent(), "Ready");
  // The console shows the phone on the row; the state and its time in state go on.
  await badge.filter({ hasText: "Phone: not registered" }).waitFor({ timeout: PATIENCE });
  assert.equal(await row.locator("[data-role=state]").textContent(), "Ready");
  assert.ok(seconds(await row.locator("[data-role=time]").textContent()) >= timeBefore, "the time in state did not start again");
  await screenshot(agent, "phone-agent-notice");
  await screenshot(board, "phone-console-badge");

  // A call arrives in the agent's queue: it waits; the agent's phone cannot take it.
  await pbx.arrive("pbx-phone-1", { queue: "desk", caller: "+4930111222" });
  // The agent's page and the console have heard of it, and the PBX has answered a round trip
  // since: an offer made on its arrival would have reached them all by now.
  await until(agent, () => document.querySelector('[data-role="queues"] tr[data-queue="desk"] [data-figure="waiting"]')?.textContent === "1");
  await board.locator("tr[data-call='pbx-phone-1'] [data-role=status]", { hasText: "Waiting" }).waitFor({ timeout: PATIENCE });
  await pbx.request("ping");
  assert.deepEqual(pbx.events("offer", { call: "pbx-phone-1" }), [], "no offer while the phone is not registered");
  assert.equal(await agent.locator('[data-role="offer"]').isVisible(), false, "no offer on the page");
  assert.equal(await board.locator("tr[data-call='pbx-phone-1'] [data-role=status]").textContent(), "Waiting");
  assert.equal(await agent.locator('[data-role="state"]').getAttribute("data-state"), "ready");

  // The phone is back: the notice goes, and the waiting call rings at once.
  await pbx.request("device_state", { agent: "agent3", device: "available" });
  await pbx.waitFor((m) => m.type === "offer" && m.call === "pbx-phone-1", "the offer once the phone is available");
  await agent.getByRole("button", { name: "Accept" }).waitFor({ timeout: PATIENCE });
  assert.equal(await agent.locator('[data-role="offer-caller"]').textContent(), "+4930111222");
  await until(agent, () => document.querySelector('[data-role="phone-notice"]').textContent === "");
  assert.equal(await notice.isVisible(), false);
  await badge.waitFor({ state: "hidden", timeout: PATIENCE });
  await row.locator("[data-role=state]", { hasText: "Ringing" }).waitFor({ timeout: PATIENCE });

  // On the call the ACD offered the phone is naturally in use: nothing is said of it.
  await agent.getByRole("button", { name: "Accept" }).click();
  await agent.locator('[data-role="state"][data-state="on_call"]').waitFor({ timeout: PATIENCE });
  await pbx.request("device_state", { agent: "agent3", device: "in_use" });
  await until(board, () => document.querySelector("tr[data-agent=agent3]")?.dataset.state === "on_call");
  await pbx.request("ping");
  assert.equal(await notice.isVisible(), false, "in use on the ACD's own call");
  assert.equal(await badge.isVisible(), false);

  assert.deepEqual(agentErrors, []);
  assert.deepEqual(boardErrors, []);
});

test("a phone in use on a call of its own: the console's badge and the agent's notice say so, and go when it is free", TEST, async (t) => {
  const { server, browser, pbx } = await deskSetUp(t);

  // Reported before the agent even signs in: the snapshot carries it.
  await pbx.request("device_state", { agent: "agent3", device: "in_use" });

  const agent = await browser.newPage();
  const errors = watchErrors(agent);
  await agent.goto(`${server.http}/agent`);
  await signIn(agent, "agent3");
  await agent.getByRole("button", { name: "Log in" }).click({ timeout: PATIENCE });
  await agent.locator('[data-role="state"][data-state="not_ready"]').waitFor({ timeout: PATIENCE });
  await agent.getByRole("button", { name: "Ready", exact: true }).click();
  await agent.locator('[data-role="state"][data-state="ready"]').waitFor({ timeout: PATIENCE });
  await agent
    .getByRole("status")
    .filter({ hasText: "Your phone is busy with another call: no calls are offered until it is free." })
    .waitFor({ timeout: PATIENCE });

  const board = await browser.newPage();
  await board.goto(`${server.http}/supervisor`);
  await board.getByLabel("User name").fill("supervisor");
  await board.getByLabel("Password").fill(PASSWORD);
  await board.getByRole("button", { name: "Sign in" }).click();
  const badge = board.locator("tr[data-agent=agent3] [data-role=phone]");
  await badge.filter({ hasText: "Phone: in use" }).waitFor({ timeout: PATIENCE });
  // The filter finds the agents whose phone keeps calls away.
  await board.getByLabel("Filter agents").fill("phone");
  await until(board, () =>
    [...document.querySelectorAll("tr[data-agent]")].every((tr) => tr.hidden === (tr.dataset.agent !== "agent3")),
  );
  await board.getByLabel("Filter agents").fill("");

  await pbx.request("device_state", { agent: "agent3", device: "available" });
  await badge.waitFor({ state: "hidden", timeout: PATIENCE });
  await until(agent, () => document.querySelector('[data-role="phone-notice"]').textContent === "");
  assert.equal(await agent.locator('[data-role="state"]').getAttribute("data-state"), "ready");
  assert.deepEqual(errors, []);
});
