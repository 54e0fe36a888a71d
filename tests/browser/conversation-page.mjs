// The WebAgent's conversation panel as conversations.test.mjs drives it: a server with a chat
// channel (CHAT_TOML), the messaging connector and the PBX beside the browser, and what the
// tests look for on the page (rows, unread counts, the transcript, where the focus is).

import assert from "node:assert/strict";
import { launchBrowser, signIn, startServer, toml, watchClient, watchErrors } from "./harness.mjs";
import { messaging, telephony } from "./connectors.mjs";

/** Patience for anything the server or the page has to do: a limit, not a timing. */
export const PATIENCE = 60000;

/**
 * A chat channel and its queue, another chat queue nobody serves (a transfer target), agent3 who
 * takes chats and the calls of the hotline, and the messaging and telephony users. The hotline
 * is a voice queue of its own: the simulator's callers wait in `support`, and an agent with a
 * skill there would be rung by them the moment it is ready.
 */
export const CHAT_TOML = `${toml.channel({ id: "chat", name: "Web chat", capacity: 3 })}${toml.chatQueue({ id: "chat", name: "Chat" })}${toml.chatQueue({ id: "chat-billing", name: "Chat billing" })}
[[tenants.queues]]
id = "hotline"
name = "Hotline"
service_level = { threshold_secs = 20, target_percent = 80 }
ring_timeout_secs = 120
wrap_up_secs = 30

[[tenants.agents]]
id = "agent3"
name = "Chris Chat"
skills = { chat = 1, hotline = 1 }

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

/**
 * A server with chat, a browser, the messaging connector and the PBX, closed after the test.
 * `chatWrapUpSecs`: the chat queue's wrap-up, for a test that needs more time in it than 6 s.
 */
export async function setUp(t, { chatWrapUpSecs = 6 } = {}) {
  const server = await startServer({ extra: CHAT_TOML.replace("wrap_up_secs = 6", `wrap_up_secs = ${chatWrapUpSecs}`) });
  return withClients(t, server);
}

/**
 * The browser (a fresh one, or `browser`, which its giver closes), the messaging connector and
 * the PBX on `server`, closed after the test (the server too, with `stopServer`).
 */
export async function withClients(t, server, { stopServer = true, browser: given = null } = {}) {
  const browser = given ?? (await launchBrowser());
  const widget = await messaging(server.http);
  const pbx = await telephony(server.http);
  t.after(async () => {
    await widget.close();
    await pbx.close();
    if (!given) await browser.close();
    if (stopServer) await server.stop();
  });
  return { server, browser, widget, pbx };
}

/** The WebAgent at `url` signed in as agent3, logged in and ready, with its page errors. */
export async function readyAgent(browser, url) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  const watch = await watchClient(page);
  await page.goto(url);
  await signIn(page, "agent3");
  await page.locator('[data-role="connection"][data-state="live"]').waitFor({ timeout: PATIENCE });
  await page.getByRole("button", { name: "Log in" }).click();
  await agentState(page, "not_ready");
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await agentState(page, "ready");
  return { page, errors, ...watch };
}

export const agentState = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });

/** A conversation's row in the list. */
export const row = (page, id) => page.locator(`[data-role="conversation-row"][data-conversation="${id}"]`);

/** Waits until conversation `id`'s row shows `unread` unread messages (and `status`, if given). */
export async function rowShows(page, id, { unread, status } = {}) {
  let selector = `[data-role="conversation-row"][data-conversation="${id}"]`;
  if (unread !== undefined) selector += `[data-unread="${unread}"]`;
  if (status !== undefined) selector += `[data-status="${status}"]`;
  await page.locator(selector).waitFor({ timeout: PATIENCE });
}

/** The selected conversation's transcript: `[from, text]` per message, and its numbers. */
export async function transcript(page) {
  return page.locator('[data-role="transcript"] .message').evaluateAll((items) =>
    items.map((item) => ({
      number: Number(item.dataset.number),
      from: item.dataset.from,
      who: item.querySelector(".who").textContent,
      text: item.querySelector(".message-text").textContent,
    })),
  );
}

/** Waits until the selected conversation is `id` and its transcript holds `text`. */
export async function shows(page, id, text) {
  await page.waitForFunction(
    ({ id, text }) =>
      document.querySelector('[data-role="conversation"]')?.dataset.conversation === id &&
      [...document.querySelectorAll('[data-role="transcript"] .message-text')].some((p) => p.textContent === text),
    { id, text },
    { timeout: PATIENCE },
  );
}

/**
 * A chat between the messaging connector `widget` and the agent's page `agent` (readyAgent's) on
 * whatever rung the page is on: offered and accepted, three of the customer's messages (their
 * text naming `label`) and the agent's answer, each timed. Resolves with `{toAgent, toCustomer}`:
 * the milliseconds from each of the connector's sends to the text in the agent's panel (the
 * page's clock and this process's are the machine's), and from the agent's Enter to the
 * connector.
 */
export async function timedChat(agent, widget, label) {
  const { page } = agent;
  await widget.arrive("chat-1", { customer: "Dana Weber", messages: ["Hello"] });
  await rowShows(page, "chat-1", { status: "offered" });
  await page.getByRole("button", { name: "Accept chat", exact: true }).click();
  await rowShows(page, "chat-1", { status: "open" });

  const toAgent = [];
  for (let n = 1; n <= 3; n++) {
    const text = `Message ${n} over ${label}`;
    // The page notes when the text appears.
    await page.evaluate((text) => {
      window.__appearedAt = null;
      const seen = () => [...document.querySelectorAll('[data-role="transcript"] .message-text')].some((p) => p.textContent === text);
      const observer = new MutationObserver(() => {
        if (!seen()) return;
        observer.disconnect();
        window.__appearedAt = Date.now();
      });
      observer.observe(document.querySelector('[data-role="transcript"]'), { childList: true, subtree: true, characterData: true });
    }, text);
    const sent = Date.now();
    await widget.write("chat-1", text);
    const appeared = await (await page.waitForFunction(() => window.__appearedAt, null, { timeout: PATIENCE })).jsonValue();
    toAgent.push(appeared - sent);
  }

  await page.locator('[data-role="composer-text"]').fill("On my way");
  const sent = Date.now();
  await page.locator('[data-role="composer-text"]').press("Enter");
  await widget.delivered("chat-1", "On my way");
  const toCustomer = Date.now() - sent;
  await shows(page, "chat-1", "On my way");
  return { toAgent, toCustomer };
}

/** The note under the panel's control `action` (close, end_wrap_up) whose press was not taken. */
export const guardNote = (page, action) => page.locator(`[data-chat-guard-note="${action}"]`);

/** What has the keyboard's focus: a chat action, a data-role, a row's conversation, or its text. */
export const focused = (page) =>
  page.evaluate(() => {
    const e = document.activeElement;
    if (e.dataset.role === "conversation-row") return `row:${e.dataset.conversation}`;
    return e.dataset.chatAction ?? e.dataset.action ?? e.dataset.role ?? e.textContent.trim();
  });

/** Presses Tab (or Shift+Tab) until the focus is on `target` (as `focused` names it). */
export async function tabTo(page, target, { back = false } = {}) {
  for (let i = 0; i < 60; i++) {
    if ((await focused(page)) === target) return;
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
  }
  assert.fail(`Tab never reached ${target}`);
}

/** The polite announcer's words, once they are `expected`'s. */
export const announced = (page, expected) =>
  page.waitForFunction(
    (words) => document.querySelector('[data-role="chat-announcer"]').textContent === words,
    expected,
    { timeout: PATIENCE },
  );
