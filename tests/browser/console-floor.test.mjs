// The supervisor's console for the floor (issue 21), in Chromium on the real server with the
// PBX and an agent played from Node: a supervisor joins an agent's call from the agent's row
// (listen, whisper, barge), the PBX is told and the row says who is on the call; leaving, and
// the call's end, take the supervisor off; each queue's dispositions today and each agent's day
// (calls, average handle time, occupancy) show in the console, and an agent too long with a
// caller on hold is highlighted; a queue's service level this quarter hour beside today's. (The rules themselves, in Node:
// supervisor-state.test.mjs.)
// Run: node --test --test-concurrency=1 console-floor.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, startServer, toml, watchErrors, PASSWORD } from "./harness.mjs";
import { connector, telephony } from "./connectors.mjs";

const PATIENCE = 60000;
const WAIT = { timeout: PATIENCE };

const CONFIG = [
  toml.callQueue({ id: "desk", name: "Service Desk" }),
  `dispositions = [{ code = "resolved", label = "Resolved" }, { code = "callback", label = "Callback arranged" }]
`,
  toml.agent({ id: "agent3", name: "Dana Desk", skills: { desk: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "pbx", role: "telephony" }),
  toml.login({ user: "boss", role: "supervisor" }),
  // The last tenant's alerts: a caller on hold for more than a second.
  `[tenants.alerts]
hold_secs = 1
`,
].join("");

const until = (page, predicate, arg) => page.waitForFunction(predicate, arg, { timeout: PATIENCE, polling: 100 });
const rowText = (page, role) => page.locator(`tr[data-agent="agent3"] [data-role="${role}"]`).textContent();

test("a supervisor joins, changes and leaves an agent's call from its row; the call's end takes it off; dispositions and the agent's day show", { timeout: 240000 }, async (t) => {
  const server = await startServer({ extra: CONFIG });
  const browser = await launchBrowser();
  const pbx = await telephony(server.http);
  const agent = await connector(server.http, "agent3");
  t.after(async () => {
    await agent.close();
    await pbx.close();
    await browser.close();
    await server.stop();
  });
  await agent.request("login");
  await agent.request("ready");

  const page = await browser.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  const errors = watchErrors(page);
  await page.goto(`${server.http}/supervisor`);
  await page.getByLabel("User name").fill("boss");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("[data-role=console][data-view=live]").waitFor(WAIT);
  const monitor = page.locator('tr[data-agent="agent3"] [data-role="monitor"]');
  assert.equal(await monitor.isVisible(), false, "no call, nothing to join");

  await pbx.arrive("floor-1", { queue: "desk", caller: "+4930555030" });
  await agent.waitFor((m) => m.type === "offer", "the offer");
  await agent.request("accept", { call: "floor-1" });
  await monitor.waitFor({ state: "visible", ...WAIT });
  assert.equal(await page.getByRole("button", { name: "Leave Dana Desk's call" }).isDisabled(), true);

  // Whisper: the PBX bridges the supervisor in; the agent is told; the row says it.
  await page.getByLabel("How to join Dana Desk's call").selectOption("whisper");
  await page.getByRole("button", { name: "Join Dana Desk's call" }).click();
  const whisper = await pbx.waitFor((m) => m.type === "monitoring" && m.mode === "whisper", "the whisper");
  assert.deepEqual([whisper.agent, whisper.call, whisper.supervisor], ["agent3", "floor-1", "boss"]);
  await agent.waitFor((m) => m.type === "monitoring" && m.mode === "whisper", "the agent told");
  await until(page, () => document.querySelector('tr[data-agent="agent3"] [data-role="monitors"]').textContent === "boss whispering");
  await screenshot(page, "console-monitoring");
  // Barge in, then leave.
  await page.getByLabel("How to join Dana Desk's call").selectOption("barge");
  await page.getByRole("button", { name: "Join Dana Desk's call" }).click();
  await until(page, () => document.querySelector('tr[data-agent="agent3"] [data-role="monitors"]').textContent === "boss in the call");
  await page.getByRole("button", { name: "Leave Dana Desk's call" }).click();
  await pbx.waitFor((m) => m.type === "monitoring" && m.mode === null && m.ended === "ended", "leaving");
  await until(page, () => document.querySelector('tr[data-agent="agent3"] [data-role="monitors"]').textContent === "");

  // A caller on hold past the tenant's alert: the row says so, until the call resumes.
  await agent.request("hold", { call: "floor-1" });
  await until(page, () => document.querySelector('tr[data-agent="agent3"]').dataset.alert === "hold");
  assert.equal(await page.locator('tr[data-agent="agent3"]').getAttribute("title"), "Caller on hold for more than 0:01");
  await agent.request("resume", { call: "floor-1" });
  await until(page, () => document.querySelector('tr[data-agent="agent3"]').dataset.alert === "none");

  // Listening when the call ends: the supervisor goes with it.
  await page.getByLabel("How to join Dana Desk's call").selectOption("listen");
  await page.getByRole("button", { name: "Join Dana Desk's call" }).click();
  await until(page, () => document.querySelector('tr[data-agent="agent3"] [data-role="monitors"]').textContent === "boss listening");
  await agent.request("set_disposition", { call: "floor-1", disposition: "callback" });
  await agent.request("hangup", { call: "floor-1" });
  await pbx.waitFor((m) => m.type === "monitoring" && m.ended === "call_left", "the call's end");
  await monitor.waitFor({ state: "hidden", ...WAIT });
  await agent.request("end_wrap_up");

  // The queue's dispositions today; the agent's day (asked for when the console subscribes).
  await until(page, () => document.querySelector('[data-staffing="desk"] [data-role="dispositions"]')?.textContent.includes("Callback arranged 1"));
  assert.equal(
    await page.locator('[data-staffing="desk"] [data-role="dispositions"]').textContent(),
    "Dispositions today: Resolved 0 · Callback arranged 1 · none 0",
  );
  // The quarter hour's service level beside today's: the call was answered at once.
  await until(page, () => document.querySelector('tr[data-queue="desk"] [data-role="sl-interval"]')?.textContent === "¼ h: 100.0 %");
  await page.reload();
  await page.locator("[data-role=console][data-view=live]").waitFor(WAIT);
  await until(page, () => document.querySelector('tr[data-agent="agent3"] [data-role="day"]')?.textContent.startsWith("1 call"));
  assert.match(await rowText(page, "day"), /^1 call · AHT \d+:\d\d · \d+ % occupied$/);
  assert.deepEqual(errors, []);
});
