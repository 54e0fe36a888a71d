// A queue serving voice and chat (`channels = ["voice", "chat"]`: one lane per channel) on the
// real server, in Chromium, with the PBX and the messaging connector played from Node
// (connectors.mjs): the wallboard's two tiles of the queue and the agent page's two waiting
// counts each count their own lane, neither overwriting the other; the supervisor's console has a
// row per lane, and moves a call only to queues with a voice lane, each once; the agent page
// offers a call only the queues with a voice lane and a chat only those with a chat lane, each
// once. (Each page's state module, in Node: the *-state.test.mjs files.)
// Run: node --test --test-concurrency=1 lanes.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, screenshot, signIn, startServer, toml, watchErrors } from "./harness.mjs";
import { messaging, telephony } from "./connectors.mjs";

const PATIENCE = 60000;
const TEST = { timeout: 240000 };

/**
 * The test tenant (support and sales, of calls) with a chat channel, `help`, which serves calls
 * and chats, and `chat`, of chats alone; agent3 has a skill in help only, so that the
 * simulator's callers in support never ring it. The PBX and the messaging connector besides.
 */
const LANES_TOML = `${toml.channel({ id: "chat", name: "Web chat", capacity: 3 })}
[[tenants.queues]]
id = "help"
name = "Help Desk"
channels = ["voice", "chat"]
service_level = { threshold_secs = 20, target_percent = 80 }
ring_timeout_secs = 120
wrap_up_secs = 30
${toml.chatQueue({ id: "chat", name: "Chat" })}
[[tenants.agents]]
id = "agent3"
name = "Chris Lanes"
skills = { help = 1 }

[[principals]]
user = "agent3"
role = "agent"
tenant = "acme"
agent = "agent3"
password_hash = "{{hash}}"

[[principals]]
user = "widget"
role = "messaging"
tenant = "acme"
password_hash = "{{hash}}"

[[principals]]
user = "pbx"
role = "telephony"
tenant = "acme"
password_hash = "{{hash}}"
`;

/** A server with the two-lane queue, a browser, the PBX and the messaging connector, all closed after the test. */
async function setUp(t) {
  const server = await startServer({ extra: LANES_TOML });
  const browser = await launchBrowser();
  const pbx = await telephony(server.http);
  const widget = await messaging(server.http);
  t.after(async () => {
    await widget.close();
    await pbx.close();
    await browser.close();
    await server.stop();
  });
  return { server, browser, pbx, widget };
}

/** A page of `browser` with its errors watched. */
async function newPage(browser) {
  const page = await browser.newPage();
  return { page, errors: watchErrors(page) };
}

/** Waits until `fn(arg)`, run in the page, is true. */
const until = (page, fn, arg = null) => page.waitForFunction(fn, arg, { timeout: PATIENCE });

const agentState = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });

/** The WebAgent signed in as agent3 and logged in to the ACD (not ready: nothing is offered to it). */
async function loggedInAgent(browser, base) {
  const { page, errors } = await newPage(browser);
  await page.goto(`${base}/agent`);
  await signIn(page, "agent3");
  await page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
  await page.getByRole("button", { name: "Log in" }).click();
  await agentState(page, "not_ready");
  return { page, errors };
}

/** The agent page's queue rows: `[queue, channel, name as shown, waiting]`. */
const agentQueueRows = (page) =>
  page.locator('[data-role="queues"] tr[data-queue]').evaluateAll((rows) =>
    rows.map((row) => [row.dataset.queue, row.dataset.channel, row.querySelector("th").textContent, row.querySelector('[data-figure="waiting"]').textContent]),
  );

/** A select's options as the page lists them: `[group, value, text]`. */
const options = (locator) =>
  locator.evaluate((select) => [...select.options].map((option) => [option.parentElement.label ?? "", option.value, option.textContent]));

test("a queue serving voice and chat: the wallboard's two tiles and the agent's two waiting counts each count their own lane", TEST, async (t) => {
  const { server, browser, pbx, widget } = await setUp(t);
  const board = await newPage(browser);
  await board.page.setViewportSize({ width: 1920, height: 1080 });
  await board.page.goto(`${server.http}/wallboard?queues=help,chat#user=wallboard&password=${PASSWORD}`);
  const agent = await loggedInAgent(browser, server.http);

  // Nothing waits yet: every tile has its figures, 0 waiting.
  const tile = (queue, channel) => `.board > .tile[data-queue="${queue}"][data-channel="${channel}"]`;
  const waitingOn = (queue, channel) => `${tile(queue, channel)} [data-figure="waiting"]`;
  await until(board.page, (selectors) => selectors.every((s) => document.querySelector(s)?.textContent === "0"), [
    waitingOn("help", "voice"),
    waitingOn("help", "chat"),
    waitingOn("chat", "chat"),
  ]);
  // A tile per lane: help twice, of one name, each wearing its channel; the chat queue once.
  const tiles = await board.page.locator(".board > .tile").evaluateAll((all) =>
    all.map((t) => [t.dataset.queue ?? "total", t.dataset.channel ?? "", t.querySelector("h2").textContent, t.querySelector('[data-figure="channel"]').textContent]),
  );
  assert.deepEqual(tiles, [
    ["help", "voice", "Help Desk", "voice"],
    ["help", "chat", "Help Desk", "chat"],
    ["chat", "chat", "Chat", "chat"],
    ["total", "", "All queues", "all channels"],
  ]);
  for (const channel of ["voice", "chat"]) assert.ok(await board.page.locator(`${tile("help", channel)} [data-figure="channel"]`).isVisible(), channel);
  // The voice lane counts calls, the chat lane conversations, with their own labels.
  assert.equal(await board.page.locator(`${tile("help", "voice")} .figure-waiting .label`).textContent(), "Calls waiting");
  assert.equal(await board.page.locator(`${tile("help", "chat")} .figure-answered .label`).textContent(), "Accepted");
  assert.equal(await board.page.locator(`${tile("help", "voice")} .conversations`).isVisible(), false);
  assert.ok(await board.page.locator(`${tile("help", "chat")} .conversations`).isVisible());

  // The agent's queue table: a row per lane of help, each naming its channel.
  await until(agent.page, () => document.querySelectorAll('[data-role="queues"] tr[data-queue]').length === 2);
  assert.deepEqual(await agentQueueRows(agent.page), [
    ["help", "voice", "Help Desk voice", "0"],
    ["help", "chat", "Help Desk chat", "0"],
  ]);

  // One call and two chats into help: each lane counts its own.
  await pbx.arrive("lane-call-1", { queue: "help", caller: "+4930123456" });
  await widget.arrive("lane-chat-1", { queue: "help", customer: "Dana Weber", messages: ["Hello"] });
  await widget.arrive("lane-chat-2", { queue: "help", customer: "Emil Koch", messages: ["Hi"] });
  await until(board.page, ([calls, chats]) => document.querySelector(calls).textContent === "1" && document.querySelector(chats).textContent === "2", [
    waitingOn("help", "voice"),
    waitingOn("help", "chat"),
  ]);
  assert.equal(await board.page.locator(waitingOn("chat", "chat")).textContent(), "0", "the chat queue has none of them");
  assert.equal(await board.page.locator(`${tile("help", "voice")} [data-figure="oldest"]`).evaluate((e) => /^\d+:\d\d$/.test(e.textContent)), true);
  await until(agent.page, () => {
    const counts = [...document.querySelectorAll('[data-role="queues"] tr[data-queue] [data-figure="waiting"]')].map((cell) => cell.textContent);
    return counts.join() === "1,2";
  });
  assert.deepEqual(await agentQueueRows(agent.page), [
    ["help", "voice", "Help Desk voice", "1"],
    ["help", "chat", "Help Desk chat", "2"],
  ]);
  // Four tiles still fit a 1080p screen.
  assert.ok(await board.page.evaluate(() => [...document.querySelectorAll(".tile-body")].every((body) => body.scrollHeight <= body.clientHeight + 1)));
  await screenshot(board.page, "wallboard-lanes");
  await screenshot(agent.page, "agent-lanes");

  // The caller hangs up: the voice lane drops to 0, the chat lane keeps its 2.
  await pbx.hangUp("lane-call-1");
  await until(board.page, ([calls, chats]) => document.querySelector(calls).textContent === "0" && document.querySelector(chats).textContent === "2", [
    waitingOn("help", "voice"),
    waitingOn("help", "chat"),
  ]);
  await until(agent.page, () => {
    const counts = [...document.querySelectorAll('[data-role="queues"] tr[data-queue] [data-figure="waiting"]')].map((cell) => cell.textContent);
    return counts.join() === "0,2";
  });
  // A customer leaves: the chat lane drops to 1, the voice lane stays at 0.
  await widget.leave("lane-chat-2");
  await until(board.page, ([calls, chats]) => document.querySelector(calls).textContent === "0" && document.querySelector(chats).textContent === "1", [
    waitingOn("help", "voice"),
    waitingOn("help", "chat"),
  ]);
  await until(agent.page, () => {
    const counts = [...document.querySelectorAll('[data-role="queues"] tr[data-queue] [data-figure="waiting"]')].map((cell) => cell.textContent);
    return counts.join() === "0,1";
  });
  assert.deepEqual(board.errors, []);
  assert.deepEqual(agent.errors, []);
});

test("a queue serving voice and chat: the supervisor has a row per lane, and moves a call only to queues with a voice lane", TEST, async (t) => {
  const { server, browser, pbx, widget } = await setUp(t);
  const { page, errors } = await newPage(browser);
  await page.goto(`${server.http}/supervisor`);
  await page.getByLabel("User name").fill("supervisor");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("[data-role=console][data-view=live]").waitFor({ timeout: PATIENCE });

  // A row per lane, in the tenant's order: help twice, each with its channel.
  const rows = () =>
    page.locator("[data-role=queues] tr[data-queue]").evaluateAll((all) =>
      all.map((row) => [row.dataset.queue, row.dataset.channel, row.querySelector("th").textContent, row.querySelector("[data-role=channel]").textContent]),
    );
  assert.deepEqual(await rows(), [
    ["support", "voice", "Customer Support", "voice"],
    ["sales", "voice", "Sales", "voice"],
    ["help", "voice", "Help Desk", "voice"],
    ["help", "chat", "Help Desk", "chat"],
    ["chat", "chat", "Chat", "chat"],
  ]);
  const cell = (queue, channel, role) => `[data-role=queues] tr[data-queue="${queue}"][data-channel="${channel}"] [data-role=${role}]`;
  const counts = (expected) =>
    until(
      page,
      ({ cells, expected }) => cells.every((s, i) => document.querySelector(s)?.textContent === expected[i]),
      { cells: [cell("help", "voice", "waiting"), cell("help", "chat", "waiting")], expected },
    );
  await counts(["0", "0"]);
  // Only the chat lane has a chat lane's own figures.
  await until(page, (s) => document.querySelector(s)?.textContent.startsWith("0 of 0"), cell("help", "chat", "places"));
  assert.equal(await page.locator(cell("help", "voice", "places")).textContent(), "–");

  // A chat into help counts in its chat lane only.
  await widget.arrive("sv-lane-chat", { queue: "help", customer: "Dana Weber", messages: ["Hello"] });
  await counts(["0", "1"]);

  // A call waiting in support may move to sales or help (its voice lane), each once; not to the chat queue.
  await pbx.arrive("sv-lane-call", { queue: "support", caller: "+4930999999" });
  const move = page.getByRole("combobox", { name: "Queue for call sv-lane-call" });
  await move.waitFor({ timeout: PATIENCE });
  await until(page, () => !document.querySelector('[data-call="sv-lane-call"] [data-role=move-select]').disabled);
  assert.deepEqual(await options(move), [
    ["", "sales", "Sales"],
    ["", "help", "Help Desk"],
  ]);
  // Moved to help: its voice lane counts it, its chat lane keeps its chat.
  await move.selectOption("help");
  await page.getByRole("button", { name: "Move call sv-lane-call" }).click();
  await counts(["1", "1"]);
  await until(page, () => document.querySelector('[data-call="sv-lane-call"] [data-role=queue]').textContent.startsWith("Help Desk"));
  await screenshot(page, "supervisor-lanes");
  assert.deepEqual(errors, []);
});

test("a queue serving voice and chat: the agent transfers a call only to queues with a voice lane, a chat only to those with a chat lane, each once", TEST, async (t) => {
  const { server, browser, pbx, widget } = await setUp(t);
  const { page, errors } = await loggedInAgent(browser, server.http);
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await agentState(page, "ready");

  // A chat into help is offered to agent3, who accepts it.
  await widget.arrive("tr-lane-chat", { queue: "help", customer: "Dana Weber", messages: ["Hello"] });
  await page.locator('[data-role="conversation-row"][data-conversation="tr-lane-chat"][data-status="offered"]').waitFor({ timeout: PATIENCE });
  await page.locator('[data-role="conversation-row"][data-conversation="tr-lane-chat"]').click();
  await page.getByRole("button", { name: "Accept chat" }).click();
  await page.locator('[data-role="conversation-row"][data-conversation="tr-lane-chat"][data-status="open"]').waitFor({ timeout: PATIENCE });
  // The chat's targets: the queues with a chat lane, help once, and the tenant's agents but agent3.
  const chatTargets = page.getByLabel("Transfer chat to");
  await until(page, () => document.querySelector('[data-role="conversation-transfer-targets"]').options.length > 2);
  assert.deepEqual(await options(chatTargets), [
    ["Queues", "queue:help", "Help Desk"],
    ["Queues", "queue:chat", "Chat"],
    ["Agents", "agent:agent1", "Alex Becker"],
    ["Agents", "agent:agent2", "Bianca Schulz"],
  ]);

  // A call into help rings agent3 beside its chat; accepted, its targets are the queues with a voice lane, help once.
  await pbx.arrive("tr-lane-call", { queue: "help", caller: "+4930123456" });
  await agentState(page, "ringing");
  await page.getByRole("button", { name: "Accept", exact: true }).click();
  await agentState(page, "on_call");
  const callTargets = page.getByLabel("Transfer to", { exact: true });
  // Nothing chosen at first; each queue with how busy it is now (list_queues), each agent with
  // its state.
  await until(page, () => document.querySelector('option[value="queue:help"]')?.textContent.includes("waiting"));
  const targets = await options(callTargets);
  assert.deepEqual(
    targets.map(([group, value, text]) => [group, value, text.split(" — ")[0]]),
    [
      ["", "", "Transfer to…"],
      ["Queues", "queue:support", "Customer Support"],
      ["Queues", "queue:sales", "Sales"],
      ["Queues", "queue:help", "Help Desk"],
      ["Agents", "agent:agent1", "Alex Becker"],
      ["Agents", "agent:agent2", "Bianca Schulz"],
    ],
  );
  for (const [group, , text] of targets.slice(1)) {
    assert.match(text, group === "Queues" ? / — \d+ waiting · \d+ ready$/ : / — [A-Z][a-z -]+$/, text);
  }

  // The chat goes to the chat queue, the call to sales: the server takes both.
  await chatTargets.selectOption("queue:chat");
  await page.getByRole("button", { name: "Transfer chat" }).click();
  const moved = await widget.waitFor((m) => m.type === "conversation_transferred" && m.conversation === "tr-lane-chat", "the chat's transfer");
  assert.equal(moved.to_queue, "chat");
  await callTargets.selectOption("queue:sales");
  await page.getByRole("button", { name: "Transfer", exact: true }).click();
  const transferred = await pbx.waitFor((m) => m.type === "call_transferred" && m.call === "tr-lane-call", "the call's transfer");
  assert.equal(transferred.to_queue, "sales");
  await agentState(page, "wrap_up");
  assert.deepEqual(errors, []);
});
