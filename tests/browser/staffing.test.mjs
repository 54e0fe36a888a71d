// The staffing what-if on the supervisor's console, on the real server in Chromium, with the PBX
// and an agent played from Node (connectors.mjs): the agent takes three calls and a caller hangs
// up waiting, and the console shows what the queue's calls need (Erlang A: somebody hung up) and
// what the agent working gets, as the server's own `what_if` answers it when the test asks too;
// one agent more in the what-if, and another number of calls an hour, show what the server
// answers for that many agents and that rate. A queue nobody called says so. The console asks
// one what-if at a time per queue, and again every 15 s. (The words and the bookkeeping, in
// Node: supervisor-state.test.mjs.)
// Run: node --test --test-concurrency=1 staffing.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, screenshot, signIn, startServer, toml, watchErrors } from "./harness.mjs";
import { connector, telephony } from "./connectors.mjs";
import { measure, waitFigures } from "./wallboard-page.mjs";
import { expectedServiceLevel, whatIfText } from "../../web/supervisor-state.js";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };

/**
 * The test tenant with `desk`, a queue of calls only agent3 serves (the simulator's callers
 * wait in support), `quiet`, a queue nobody calls, and the PBX.
 */
const STAFFING_TOML = [
  toml.callQueue({ id: "desk", name: "Service Desk" }),
  toml.callQueue({ id: "quiet", name: "Quiet Line", thresholdSecs: 30, target: 90 }),
  toml.agent({ id: "agent3", name: "Dana Desk", skills: { desk: 1, quiet: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "pbx", role: "telephony" }),
].join("");

/** How long the caller who hangs up waits first: a real wait, for a patience to estimate. */
const CALLER_WAITS_MS = 2500;

/** The text of a staffing row's part `role` (data-role) in queue `queue`'s row. */
const part = (page, queue, role) => page.locator(`[data-role=staffing] tr[data-staffing="${queue}"] [data-role="${role}"]`);
const textOf = async (page, queue, role) => (await part(page, queue, role).textContent()).trim();

/**
 * Waits until what the page shows (`shown()`) agrees with what the server answers the test
 * (`expected()`, asked again each round: the window's rate moves as the window grows, and the
 * page asks every 15 s); returns both.
 */
async function agreed(shown, expected, what) {
  const deadline = Date.now() + PATIENCE;
  for (;;) {
    const want = await expected();
    const got = await shown();
    if (JSON.stringify(got) === JSON.stringify(want)) return { got, want };
    if (Date.now() > deadline) assert.fail(`${what}: the page shows ${JSON.stringify(got)}, the server answers ${JSON.stringify(want)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The agent takes call `call` from its offer to the end of its wrap-up. */
async function take(agent, call) {
  await agent.waitFor((m) => m.type === "offer" && m.call === call, `the offer of ${call}`);
  await agent.request("accept", { call });
  return async function finish() {
    // A talk of some milliseconds: a handle time of 0 (the server reads its clock to the
    // millisecond) is none, and the what-if would have no handle time to use.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await agent.request("hangup", { call });
    await agent.request("end_wrap_up");
  };
}

test("the console shows what a queue's calls need, and what one agent more or another rate would get, as the server answers", TEST, async (t) => {
  const server = await startServer({ extra: STAFFING_TOML });
  const browser = await launchBrowser();
  const pbx = await telephony(server.http);
  const agent = await connector(server.http, "agent3");
  const supervisor = await connector(server.http, "supervisor");
  t.after(async () => {
    await supervisor.close();
    await agent.close();
    await pbx.close();
    await browser.close();
    await server.stop();
  });
  const whatIf = async (fields) => (await supervisor.request("what_if", fields)).result;

  // The agent takes a call; a second caller waits meanwhile, and hangs up; two more calls follow.
  await agent.request("login");
  await agent.request("ready");
  await pbx.arrive("pbx-st-1", { queue: "desk", caller: "+4930100001" });
  const finishFirst = await take(agent, "pbx-st-1");
  await pbx.arrive("pbx-st-2", { queue: "desk", caller: "+4930100002" });
  await new Promise((resolve) => setTimeout(resolve, CALLER_WAITS_MS));
  await pbx.hangUp("pbx-st-2");
  await finishFirst();
  for (const call of ["pbx-st-3", "pbx-st-4"]) {
    await pbx.arrive(call, { queue: "desk" });
    await (await take(agent, call))();
  }
  const counted = await whatIf({ queue: "desk" });
  assert.equal(counted.window.handled, 3, JSON.stringify(counted.window));
  assert.equal(counted.window.abandoned, 1, JSON.stringify(counted.window));
  assert.equal(counted.model, "erlang_a", "a caller hung up: Erlang A");
  assert.equal(counted.agents_working, 1);

  // The console, with every what_if it sends and its replies watched on the wire.
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  const errors = watchErrors(page);
  const asked = [];
  const inFlight = new Map();
  let mostInFlight = 0;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((message) => {
      const command = typeof message === "string" ? JSON.parse(message) : null;
      if (command?.type === "what_if") {
        asked.push(command);
        inFlight.set(command.id, command.queue);
        const sameQueue = [...inFlight.values()].filter((queue) => queue === command.queue).length;
        mostInFlight = Math.max(mostInFlight, sameQueue);
      }
      upstream.send(message);
    });
    upstream.onMessage((message) => {
      if (typeof message === "string" && /"type":"(ack|error)"/.test(message)) inFlight.delete(JSON.parse(message).id);
      ws.send(message);
    });
  });
  await page.goto(`${server.http}/supervisor`);
  await signIn(page, "supervisor");
  await page.locator("[data-role=console][data-view=live]").waitFor({ timeout: PATIENCE });
  await page.locator('[data-role=staffing] tr[data-staffing="desk"][data-state="answered"]').waitFor({ timeout: PATIENCE });
  assert.deepEqual(
    await page.locator("[data-role=staffing] tr[data-staffing]").evaluateAll((rows) => rows.map((row) => row.dataset.staffing)),
    ["support", "sales", "desk", "quiet"],
    "a row for each queue of calls",
  );

  // The agents needed and working, and the service level expected with the agent working now,
  // as the server answers the test.
  const headline = /^Needs (\d+) agents? for 80 % in 20 s · (\d+) working$/;
  const expectedNow = /^(\d+\.\d %) in 20 s, ASA \d+\.\d s, \d+\.\d % hang up$/;
  const now = await agreed(
    async () => {
      const [, needed, working] = (await textOf(page, "desk", "staffing-headline")).match(headline) ?? [];
      const [, level] = (await textOf(page, "desk", "staffing-expected")).match(expectedNow) ?? [];
      return { needed: Number(needed), working: Number(working), level };
    },
    async () => {
      const answer = await whatIf({ queue: "desk" });
      return { needed: answer.agents_needed, working: answer.agents_working, level: expectedServiceLevel(answer.expected.service_level_percent) };
    },
    "the staffing of desk",
  );
  assert.equal(now.got.working, 1);
  assert.match(await textOf(page, "desk", "staffing-model"), /^Erlang A, from the last \d+ (seconds|minutes)$/);
  assert.match(await part(page, "desk", "staffing-model").getAttribute("title"), /callers hang up after \d+\.\d s on average/);
  assert.match(await textOf(page, "desk", "staffing-expected-note"), /^Agents \d+\.\d % busy · \d+\.\d % of callers wait$/);

  // A queue nobody called says so, in words.
  assert.equal((await whatIf({ queue: "quiet" })).unavailable, "no_calls");
  await page.locator('[data-role=staffing] tr[data-staffing="quiet"][data-state="unavailable"]').waitFor({ timeout: PATIENCE });
  assert.match(await textOf(page, "quiet", "staffing-headline"), /^No calls in the last \d+ (seconds|minutes) yet$/);
  assert.equal(await textOf(page, "quiet", "staffing-expected"), "–");

  // One agent more: the page shows what the server answers for two agents.
  await page.getByRole("button", { name: "One agent more in the what-if for Service Desk" }).click();
  assert.equal(await textOf(page, "desk", "what-if-delta"), "+1");
  const withTwo = /^With 2 agents: (\d+\.\d %) in 20 s, ASA \d+\.\d s, \d+\.\d % hang up$/;
  await agreed(
    async () => (await textOf(page, "desk", "what-if-line")).match(withTwo)?.[1] ?? null,
    async () => expectedServiceLevel((await whatIf({ queue: "desk", agents: 2 })).expected.service_level_percent),
    "the what-if of two agents",
  );
  await screenshot(page, "staffing-what-if");

  // Another number of calls an hour (three Erlangs' worth at the queue's handle time): the page
  // shows what the server answers for two agents at that rate, to the last figure (the window's
  // handle time and patience stand still, and the rate is given).
  const rate = Math.min(100000, Math.round((3 * 3600) / counted.inputs.aht_secs));
  const calls = page.getByRole("spinbutton", { name: "Calls an hour in the what-if for Service Desk (empty: the queue's own)" });
  assert.match(await calls.getAttribute("placeholder"), /^\d+(\.\d)?$/, "the queue's own rate, as a hint");
  await calls.fill(String(rate));
  await calls.press("Enter");
  const busier = whatIfText(await whatIf({ queue: "desk", agents: 2, calls_per_hour: rate }), rate);
  assert.match(busier.note, new RegExp(`^At ${rate} calls an hour: needs \\d+ agents? for 80 % in 20 s$`));
  await page.waitForFunction(
    ([line, note]) => {
      const row = document.querySelector('[data-role=staffing] tr[data-staffing="desk"]');
      return row?.querySelector("[data-role=what-if-line]").textContent === line && row.querySelector("[data-role=what-if-note]").textContent === note;
    },
    [busier.line, busier.note],
    { timeout: PATIENCE, polling: 100 },
  );
  assert.ok(
    asked.some((command) => command.queue === "desk" && command.agents === 2 && command.calls_per_hour === rate),
    `the page asked for two agents at ${rate} calls an hour: ${JSON.stringify(asked)}`,
  );
  await screenshot(page, "staffing-rate");

  // Every 15 s the console asks again; never more than one what-if per queue at a time.
  const asksOfDesk = () => asked.filter((command) => command.queue === "desk" && command.agents === undefined).length;
  const before = asksOfDesk();
  const deadline = Date.now() + PATIENCE;
  while (asksOfDesk() === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(asksOfDesk() > before, "the console asked the staffing of desk again");
  assert.equal(mostInFlight, 1, "one what-if at a time per queue");
  assert.deepEqual(errors, []);

  // The wallboard's optional staffing figure (`&staffing=on`), at 1920x1080 with four queues
  // and the totals: each call tile says what the server answers, readable, and nothing is cut.
  const board = await browser.newPage();
  await board.setViewportSize({ width: 1920, height: 1080 });
  const boardErrors = watchErrors(board);
  await board.goto(`${server.http}/wallboard?queues=support,sales,desk,quiet&staffing=on#user=wallboard&password=secret`);
  await waitFigures(board);
  const figure = (queue) => board.locator(`.tile[data-queue="${queue}"] [data-figure=staffing]`);
  await agreed(
    async () => (await figure("desk").textContent()).trim(),
    async () => {
      const answer = await whatIf({ queue: "desk" });
      return `Agents needed: ${answer.agents_needed} · working: ${answer.agents_working}`;
    },
    "the wallboard's staffing of desk",
  );
  assert.equal((await figure("quiet").textContent()).trim(), "Agents needed: – · working: 1", "nobody called quiet");
  const shortOrNot = await figure("desk").getAttribute("data-alert");
  const desk = await whatIf({ queue: "desk" });
  assert.equal(shortOrNot, desk.agents_working < desk.agents_needed ? "raised" : "none");
  for (const queue of ["support", "sales", "desk", "quiet"]) {
    assert.ok(await figure(queue).isVisible(), `the staffing figure shows on ${queue}'s tile`);
  }
  const sizes = await board.evaluate(measure);
  assert.deepEqual(sizes.problems, [], "nothing cut or overflowing");
  assert.ok(sizes.label >= 24, `labels at least 24 px: ${sizes.label}`);
  const fontSize = await figure("desk").evaluate((element) => Number.parseFloat(getComputedStyle(element).fontSize));
  assert.ok(fontSize >= 24, `the staffing figure is at least 24 px: ${fontSize}`);
  // The totals tile has none: a staffing figure is a queue's.
  assert.equal(await board.locator(".tile-total [data-figure=staffing]").textContent(), "");
  await screenshot(board, "wallboard-staffing");
  assert.deepEqual(boardErrors, []);
});
