// Signing in, then the first step said; wrap-up with dispositions and notes (issue 21), in Chromium on the real server with the PBX and
// a supervisor played from Node: a queue that requires a disposition shows its codes in the
// wrap-up panel, End wrap-up waits (disabled, and saying why) until one is saved, picking a code
// saves it at once and Save notes the notes; both survive a reload of the page in wrap-up; after
// the wrap-up the call's record (the records file the export reads) holds them, and the
// supervisor's queue_stats counts the code; the agent's My day lists the call with its
// disposition, from the server, across a reload. (The rules themselves, in Node:
// agent-state.test.mjs.)
// Run: node --test --test-concurrency=1 disposition.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, screenshot, signIn, startServer, toml, watchErrors } from "./harness.mjs";
import { connector, telephony } from "./connectors.mjs";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };

const state = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });
const live = (page) => page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
const role = (page, name) => page.locator(`[data-role="${name}"]`);

const CONFIG = [
  toml.callQueue({ id: "desk", name: "Service Desk" }),
  `dispositions = [{ code = "resolved", label = "Resolved" }, { code = "callback", label = "Callback arranged" }]
disposition_required = true
`,
  toml.agent({ id: "agent3", name: "Dana Desk", skills: { desk: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "pbx", role: "telephony" }),
  toml.login({ user: "boss", role: "supervisor" }),
].join("");

/** The call records the server wrote so far (every day's file of tenant acme). */
function callRecords(dataDir) {
  const dir = join(dataDir, "records", "acme");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".jsonl") && !name.startsWith("conversations-"))
    .flatMap((name) => readFileSync(join(dir, name), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line)));
}

test("a required disposition holds End wrap-up back until saved; code and notes survive a reload and reach the record and the queue's counts", TEST, async (t) => {
  const server = await startServer({ extra: CONFIG });
  const browser = await launchBrowser();
  const pbx = await telephony(server.http);
  const boss = await connector(server.http, "boss");
  t.after(async () => {
    await boss.close();
    await pbx.close();
    await browser.close();
    await server.stop();
  });
  await boss.request("subscribe", { queues: ["desk"] });
  const desk = boss.session.queues.find((q) => q.id === "desk");
  assert.deepEqual(desk.dispositions.map((d) => d.id), ["resolved", "callback"]);
  assert.equal(desk.disposition_required, true);

  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, "agent3");
  await live(page);
  // Signed in is not logged in: the page says what to do first, until it is done.
  const firstStep = role(page, "first-step");
  await firstStep.waitFor({ state: "visible", timeout: PATIENCE });
  assert.equal(await firstStep.textContent(), "You are signed in, but not taking calls yet: press Log in, then Ready.");
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  assert.equal(await firstStep.isVisible(), false);
  // The ring's loudness and tone: set, tried (no page error), kept across a reload.
  await page.locator('[data-role="sound-settings"] summary').click();
  await page.getByLabel("Volume").fill("30");
  await page.getByLabel("Tone", { exact: true }).selectOption("bright");
  await page.getByRole("button", { name: "Play a ring" }).click();
  await page.reload();
  await live(page);
  await state(page, "not_ready");
  assert.deepEqual(
    [await role(page, "volume").inputValue(), await role(page, "tone").inputValue()],
    ["30", "bright"],
  );
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await state(page, "ready");
  await pbx.arrive("disp-1", { queue: "desk", caller: "+4930555020" });
  await page.getByRole("button", { name: "Accept" }).click();
  await state(page, "on_call");
  // A target chosen on this call (and not used) ...
  await page.getByLabel("Transfer to").selectOption("queue:desk");
  await page.getByRole("button", { name: "Hang up" }).click();
  await state(page, "wrap_up");

  // The queue's codes, required; End wrap-up waits and says why.
  const form = role(page, "disposition");
  await form.waitFor({ state: "visible", timeout: PATIENCE });
  assert.equal(await role(page, "disposition-required").isVisible(), true);
  const options = await role(page, "disposition-code").locator("option").allTextContents();
  assert.deepEqual(options, ["Choose…", "Resolved", "Callback arranged"]);
  const endWrapUp = page.getByRole("button", { name: "End wrap-up" });
  assert.equal(await endWrapUp.isDisabled(), true);
  assert.match(await endWrapUp.getAttribute("title"), /requires one/);
  const shot = await screenshot(page, "agent-wrap-up-disposition");

  // Picking a code saves it; then the notes.
  await page.getByLabel("Disposition").selectOption("callback");
  await page.waitForFunction(() => document.querySelector('[data-role="disposition-status"]').textContent === "Saved: Callback arranged", null, { timeout: PATIENCE });
  assert.equal(await endWrapUp.isDisabled(), false);
  await page.getByLabel("Notes").fill("Wants a call back on Monday, after 10");
  await page.getByRole("button", { name: "Save notes" }).click();
  await page.waitForFunction(() => document.querySelector('[data-role="disposition-status"]').textContent.startsWith("Saved"), null, { timeout: PATIENCE });

  // A reload in wrap-up: the form shows what was saved.
  await page.reload();
  await live(page);
  await state(page, "wrap_up");
  await form.waitFor({ state: "visible", timeout: PATIENCE });
  assert.equal(await role(page, "disposition-code").inputValue(), "callback");
  assert.equal(await role(page, "disposition-notes").inputValue(), "Wants a call back on Monday, after 10");
  assert.equal(await endWrapUp.isDisabled(), false);

  // The wrap-up ends: the record holds code and notes, the queue counts the code.
  await endWrapUp.click();
  await state(page, "ready");
  const counted = await boss.waitFor((m) => m.type === "queue_stats" && m.queue === "desk" && m.dispositions.today.callback === 1, "callback counted");
  assert.deepEqual(counted.dispositions, { today: { callback: 1 }, none_today: 0 });
  let record;
  for (const deadline = Date.now() + PATIENCE; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    record = callRecords(server.dataDir).find((r) => r.call === "disp-1");
    if (record) break;
  }
  assert.ok(record, "the call's record was written");
  assert.equal(record.disposition, "callback");
  assert.equal(record.notes, "Wants a call back on Monday, after 10");

  // My day: the handled call, from the server, also after a reload.
  for (const reload of [false, true]) {
    if (reload) {
      await page.reload();
      await live(page);
    }
    const row = page.locator('[data-role="recent-calls"] tr[data-call="disp-1"]');
    await row.waitFor({ timeout: PATIENCE });
    assert.deepEqual((await row.locator("td").allTextContents()).slice(1, 3), ["+4930555020", "Service Desk"]);
    assert.equal(await row.locator("td").last().textContent(), "Callback arranged");
    assert.equal(await page.locator('[data-day="handled"]').textContent(), "1");
    assert.match(await page.locator('[data-day="aht"]').textContent(), /^\d+:\d\d$/);
  }
  assert.match(await page.locator('[data-role="day-states"] tr[data-state="wrap_up"] td').textContent(), /^\d+:\d\d$/);
  // What the page shows is the server's: the same day, asked for by another session of agent3.
  const other = await connector(server.http, "agent3");
  const { result: mine } = await other.request("my_day");
  await other.close();
  assert.equal(mine.handled, 1);
  assert.ok(mine.time_in_state.wrap_up > 0 && mine.time_in_state.on_call > 0, JSON.stringify(mine));
  assert.deepEqual(mine.recent.map((c) => [c.call, c.disposition]), [["disp-1", "callback"]]);
  await screenshot(page, "agent-my-day");

  // ... is not chosen for the next call: it starts with nothing chosen.
  await pbx.arrive("disp-2", { queue: "desk", caller: "+4930555021" });
  await page.getByRole("button", { name: "Accept" }).click();
  await state(page, "on_call");
  assert.equal(await page.getByLabel("Transfer to").inputValue(), "");
  assert.equal(await page.getByRole("button", { name: "Transfer" }).isDisabled(), true);
  assert.deepEqual(errors, []);
  assert.ok(shot);
});
