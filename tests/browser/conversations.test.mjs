// The WebAgent's conversation panel in Chromium, on the real server, with the messaging
// connector (and the PBX) played from Node over WebSocket (connectors.mjs): three chats taken
// from the keyboard, written in and answered (Enter sends, Shift+Enter is a new line) while a
// call rings over them; a customer's message and the agent's answer through proxies on the
// SSE and long-poll rungs, timed; closing and wrap-up while the other chats go on; Close chat
// by Enter with Enters after it that end nothing (the guard of the controls that end a chat); a
// reload that shows the transcript again, each message once.
// (What the panel shows after which events, in Node: conversations-state.test.mjs.)
// Run: node --test conversations.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, signIn } from "./harness.mjs";
import { GUARD_MS } from "../../web/conversations-state.js";
import { behindNginx, holdingStreams, refusingUpgrades } from "./proxies.mjs";
import {
  CHAT_TOML,
  PATIENCE,
  agentState,
  announced,
  focused,
  guardNote,
  readyAgent,
  row,
  rowShows,
  setUp,
  shows,
  tabTo,
  timedChat,
  transcript,
  withClients,
} from "./conversation-page.mjs";

test("three chats from the keyboard: unread counts, Enter sends, Shift+Enter breaks the line; a call rings over them", async (t) => {
  const { server, browser, widget, pbx } = await setUp(t);
  const { page, errors } = await readyAgent(browser, `${server.http}/agent`);
  assert.equal(await page.locator('[data-role="chat-announcer"]').getAttribute("aria-live"), "polite");

  await widget.arrive("chat-1", { customer: "Dana Weber", messages: ["Hello, my parcel has not arrived"], data: { account: "C-10293" } });
  await widget.arrive("chat-2", { customer: "Emil Koch", messages: ["Hi", "Can I change my address?"] });
  await widget.arrive("chat-3", { customer: "Fatma Yilmaz" });
  for (const id of ["chat-1", "chat-2", "chat-3"]) await rowShows(page, id, { status: "offered" });
  // The first to come is shown; the others count what their customers wrote.
  await rowShows(page, "chat-1", { unread: 0 });
  await rowShows(page, "chat-2", { unread: 2 });
  assert.equal(await row(page, "chat-1").getAttribute("aria-current"), "true");
  assert.equal(await page.locator('[data-role="conversation-data"]').textContent(), "accountC-10293");
  await announced(page, "New chat from Fatma Yilmaz.");

  // Each offer taken from the keyboard: to its row, Enter shows it with the focus on Accept,
  // Enter accepts, and the focus goes on to the composer.
  await tabTo(page, "row:chat-1");
  for (const id of ["chat-1", "chat-2", "chat-3"]) {
    if (id !== "chat-1") await page.keyboard.press("ArrowDown");
    assert.equal(await focused(page), `row:${id}`);
    await page.keyboard.press("Enter");
    assert.equal(await focused(page), "accept", `${id}: Enter on its row leads to Accept`);
    await page.keyboard.press("Enter");
    await rowShows(page, id, { status: "open", unread: 0 });
    await page.locator('[data-role="composer-text"]:focus').waitFor();
    await tabTo(page, `row:${id}`, { back: true });
  }
  for (const id of ["chat-1", "chat-2", "chat-3"]) await widget.waitFor((m) => m.type === "conversation_accepted" && m.conversation === id);

  // Back on chat-1, and back to its row; customers write in all three.
  await page.keyboard.press("Home");
  await page.keyboard.press("Enter");
  await page.locator('[data-role="composer-text"]:focus').waitFor();
  await tabTo(page, "row:chat-1", { back: true });
  await widget.write("chat-1", "It was due on Monday");
  await widget.write("chat-2", "Hello?");
  await widget.write("chat-3", "My invoice is wrong");
  await widget.write("chat-3", "Twice the amount");
  await shows(page, "chat-1", "It was due on Monday");
  await rowShows(page, "chat-1", { unread: 0 });
  await rowShows(page, "chat-2", { unread: 1 });
  await rowShows(page, "chat-3", { unread: 2 });
  await announced(page, "New message from Fatma Yilmaz: Twice the amount");
  assert.match(await page.locator('[data-role="conversations-total"]').textContent(), /^3 · 3 unread$/);
  assert.equal(await focused(page), "row:chat-1", "the list changed under the focus and kept it");
  assert.deepEqual(
    (await transcript(page)).map(({ from, who, text }) => [from, who, text]),
    [
      ["customer", "Dana Weber", "Hello, my parcel has not arrived"],
      ["customer", "Dana Weber", "It was due on Monday"],
    ],
    "chat-1 holds its own messages only",
  );
  // Each customer's wait since its last message ticks.
  await page.waitForFunction(
    () => /^\d+:\d\d$/.test(document.querySelector('[data-conversation="chat-3"] [data-role="waiting"]').textContent) &&
      document.querySelector('[data-conversation="chat-3"] [data-role="waiting"]').textContent !== "0:00",
    null,
    { timeout: PATIENCE },
  );

  // chat-3, chosen: its messages are read, the others keep their counts.
  await tabTo(page, "row:chat-3", { back: true });
  await page.keyboard.press("Enter");
  await shows(page, "chat-3", "Twice the amount");
  await rowShows(page, "chat-3", { unread: 0 });
  await rowShows(page, "chat-2", { unread: 1 });

  // Shift+Enter starts a new line; Enter sends, and the connector gets it to deliver.
  assert.equal(await focused(page), "composer-text");
  await page.keyboard.type("Sorry about that.");
  await page.keyboard.press("Shift+Enter");
  await page.keyboard.type("Let me check.");
  assert.equal(await page.locator('[data-role="composer-text"]').inputValue(), "Sorry about that.\nLet me check.");
  assert.equal(widget.events("message", { conversation: "chat-3" }).length, 0, "nothing sent before Enter");
  await page.keyboard.press("Enter");
  const reply = await widget.delivered("chat-3", "Sorry about that.\nLet me check.");
  assert.equal(reply.from, "agent");
  assert.equal(reply.agent, "agent3");
  await shows(page, "chat-3", "Sorry about that.\nLet me check.");
  assert.equal(await page.locator('[data-role="composer-text"]').inputValue(), "", "the composer is emptied");
  const lines = await transcript(page);
  assert.deepEqual(lines.at(-1), { number: 2, from: "agent", who: "You", text: "Sorry about that.\nLet me check." });
  assert.equal(await page.locator('[data-conversation="chat-3"] [data-role="waiting"]').isVisible(), false, "answered: no longer waiting");

  // A call: it rings, and the ringing offer is the thing to see; the chats keep their counts.
  await page.waitForTimeout(600); // past the page's guard against a key meant for another button
  await pbx.arrive("call-1", { queue: "hotline", caller: "+4930123456" });
  await agentState(page, "ringing");
  const offer = page.locator('[data-role="offer"]');
  await offer.waitFor();
  assert.equal(await offer.getAttribute("data-ringing"), "true");
  assert.equal(await page.title(), "Incoming call · WebAgent");
  assert.equal(await focused(page), "accept", "the call's Accept took the focus from the composer");
  assert.equal(await page.evaluate(() => document.activeElement.closest('[data-role="offer"]') !== null), true);
  await widget.write("chat-2", "Still there?");
  await rowShows(page, "chat-2", { unread: 2 });
  await rowShows(page, "chat-1", { unread: 0 });
  assert.equal(await page.locator('[data-role="conversations"]').getAttribute("data-behind-call"), "true");
  const { offerHeading, chatHeading, ...placed } = await page.evaluate(() => {
    const offer = document.querySelector('[data-role="offer"]');
    const panel = document.querySelector('[data-role="conversations"]');
    const box = offer.getBoundingClientRect();
    const beside = panel.getBoundingClientRect();
    const accept = offer.querySelector('[data-action="accept"]').getBoundingClientRect();
    const on = (rect) => document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
    const size = (element) => parseFloat(getComputedStyle(element).fontSize);
    return {
      inView: box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth,
      uncovered: offer.contains(on(box)) && offer.contains(on(accept)),
      firstInOrder: Boolean(offer.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING),
      overlapping: box.right > beside.left && box.left < beside.right && box.bottom > beside.top && box.top < beside.bottom,
      offerHeading: size(offer.querySelector("h2")),
      chatHeading: Math.max(...[...panel.querySelectorAll("h2, h3")].map(size)),
    };
  });
  assert.deepEqual(placed, { inView: true, uncovered: true, firstInOrder: true, overlapping: false }, "the offer is in view, uncovered, first");
  assert.ok(offerHeading > chatHeading, `the call's heading is the largest: ${offerHeading} > ${chatHeading}`);
  await page.waitForFunction(
    () => document.querySelector('[data-role="announcer"]').textContent === "Incoming call from +4930123456 for Hotline.",
    null,
    { timeout: PATIENCE },
  );
  assert.equal(await page.locator('[data-role="announcer"]').getAttribute("aria-live"), "assertive", "the call, at once");
  await screenshot(page, "conversations-call-rings");

  // The call taken, the chats go on.
  await page.keyboard.press("Enter");
  await agentState(page, "on_call");
  await widget.write("chat-1", "Any news?");
  await rowShows(page, "chat-1", { unread: 1 });
  assert.deepEqual(errors, []);
});

/**
 * A customer's message reaches the agent's panel through a proxy over `rung`, within a second,
 * and the agent's answer the connector: the figures are printed.
 */
async function deliveryOver(t, rung, nginxServers) {
  const { server, nginx } = await behindNginx(t, {
    serverToml: (nginxPort) => `${CHAT_TOML}
[server]
public_wss_port = 0
public_ws_port = ${nginxPort}
`,
    nginxServers,
  });
  const { browser, widget } = await withClients(t, server, { stopServer: false });
  const agent = await readyAgent(browser, `${nginx.url}/agent?rung=${rung}`);
  assert.equal(await agent.client((client) => client.rung), rung);

  const { toAgent, toCustomer } = await timedChat(agent, widget, rung);
  console.log(`${rung}: a customer's message appeared in the agent's panel after ${toAgent.join(", ")} ms`);
  for (const ms of toAgent) assert.ok(ms < 1000, `${rung}: ${ms} ms`);
  console.log(`${rung}: the agent's answer reached the connector after ${toCustomer} ms`);
  assert.equal(await agent.client((client) => client.rung), rung, `still on ${rung}`);
  assert.deepEqual(agent.errors, []);
}

test("behind a proxy that honours X-Accel-Buffering, pinned to SSE: a customer's message shows within a second", async (t) => {
  // A proxy that holds streams holds SSE's too: no SSE page gets its hello through it (the
  // ladder's test in proxy.test.mjs). SSE is the rung of a proxy that refuses WebSocket and
  // streams what the server asks it to stream.
  await deliveryOver(t, "sse", refusingUpgrades);
});

test("behind a proxy that holds every stream, pinned to long-poll: a customer's message shows within a second", async (t) => {
  await deliveryOver(t, "poll", holdingStreams);
});

test("a closed chat wraps up, by End wrap-up or by itself, while the others go on; a transfer hands one on", async (t) => {
  const { server, browser, widget } = await setUp(t);
  const { page, errors } = await readyAgent(browser, `${server.http}/agent`);
  for (const [id, customer] of [["chat-1", "Dana Weber"], ["chat-2", "Emil Koch"], ["chat-3", "Fatma Yilmaz"]]) {
    await widget.arrive(id, { customer, messages: [`Hello from ${customer}`] });
    await rowShows(page, id, { status: "offered" });
    await row(page, id).click();
    await page.getByRole("button", { name: "Accept chat", exact: true }).click();
    await rowShows(page, id, { status: "open" });
  }

  // chat-1 closed by the agent: its wrap-up, with a countdown and End chat wrap-up.
  await row(page, "chat-1").click();
  await page.getByRole("button", { name: "Close chat", exact: true }).click();
  await rowShows(page, "chat-1", { status: "wrap_up" });
  const closed = await widget.waitFor((m) => m.type === "conversation_closed" && m.conversation === "chat-1");
  assert.equal(closed.by, "agent");
  assert.equal(await page.locator('[data-role="composer"]').isVisible(), false, "nothing more to write");
  assert.match(await page.locator('[data-role="conversation-countdown"]').textContent(), /^0:0\d$/);
  // The focus went to chat-1's own section, not to End chat wrap-up: an Enter that follows
  // ends nothing (the keyboard's own test: "Close chat by Enter" below).
  assert.equal(await focused(page), "conversation", "the focus went to the chat's section");

  // Meanwhile chat-2 goes on: its customer writes, the agent answers.
  await widget.write("chat-2", "Are you still there?");
  await rowShows(page, "chat-2", { unread: 1 });
  await row(page, "chat-2").click();
  await page.locator('[data-role="composer-text"]').fill("Yes, one moment.");
  await page.locator('[data-role="composer-text"]').press("Enter");
  await widget.delivered("chat-2", "Yes, one moment.");

  // chat-1's wrap-up ended by the agent.
  await row(page, "chat-1").click();
  await page.getByRole("button", { name: "End chat wrap-up", exact: true }).click();
  await row(page, "chat-1").waitFor({ state: "detached", timeout: PATIENCE });
  await widget.waitFor((m) => m.type === "conversation_left" && m.conversation === "chat-1");

  // chat-2's customer leaves: its wrap-up ends by itself (the queue's 6 s).
  await widget.leave("chat-2");
  await rowShows(page, "chat-2", { status: "wrap_up" });
  await announced(page, "Emil Koch left the chat.");
  await row(page, "chat-2").click();
  assert.equal(await page.locator('[data-role="conversation-closed-by"]').textContent(), "Emil Koch left.");
  await row(page, "chat-2").waitFor({ state: "detached", timeout: 20000 });

  // chat-3, still open throughout, is handed on: the list offers no queue of calls (the sign-in
  // says what each queue routes), only the chat queues; in another it goes at once, without
  // wrap-up.
  await row(page, "chat-3").click();
  const offered = await page.getByLabel("Transfer chat to").locator("optgroup[label=Queues] option").allTextContents();
  assert.ok(!offered.includes("Customer Support"), `no voice queue for a chat: ${offered}`);
  assert.ok(offered.includes("Chat billing"), `${offered}`);
  await page.getByLabel("Transfer chat to").selectOption({ label: "Chat billing" });
  await page.getByRole("button", { name: "Transfer chat", exact: true }).click();
  await row(page, "chat-3").waitFor({ state: "detached", timeout: PATIENCE });
  const transferred = await widget.waitFor((m) => m.type === "conversation_transferred" && m.conversation === "chat-3");
  assert.equal(transferred.to_queue, "chat-billing");
  await page.locator('[data-role="conversations-empty"]').waitFor();
  await agentState(page, "ready");
  assert.deepEqual(errors, []);
});

/** How far apart a hand that keeps pressing Enter presses it (issue 21's 250 ms). */
const REPEAT_MS = 250;

const GUARD_TEST = { timeout: 240000 };

test("Close chat by Enter, Enter again: nothing more ends; End chat wrap-up at once is not taken, after GUARD_MS it is", GUARD_TEST, async (t) => {
  // A long wrap-up, so that the one the test ends is not one that ran out by itself.
  const { server, browser, widget } = await setUp(t, { chatWrapUpSecs: 120 });
  const { page, errors } = await readyAgent(browser, `${server.http}/agent`);
  await widget.arrive("chat-1", { customer: "Dana Weber", messages: ["Hello, my parcel has not arrived"] });
  await widget.arrive("chat-2", { customer: "Emil Koch", messages: ["Hi"] });
  await rowShows(page, "chat-2", { status: "offered" });
  for (const id of ["chat-2", "chat-1"]) {
    await row(page, id).click();
    await page.getByRole("button", { name: "Accept chat", exact: true }).click();
    await rowShows(page, id, { status: "open" });
  }
  assert.equal(await focused(page), "composer-text", "after Accept, the composer: Enter there sends only what was typed");

  // A deliberate Close chat, from the keyboard, well after the last action (a fixed wait on
  // purpose: the key timing is the point). The hand goes on: Enter again 250 ms later.
  await tabTo(page, "close");
  await page.waitForTimeout(GUARD_MS);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(REPEAT_MS);
  await page.keyboard.press("Enter");
  const closed = await widget.waitFor((m) => m.type === "conversation_closed" && m.conversation === "chat-1", "chat-1 closed");
  assert.equal(closed.by, "agent");
  await rowShows(page, "chat-1", { status: "wrap_up" });
  // The focus is on chat-1's section (named by its customer), not on End chat wrap-up.
  await page.waitForFunction(() => document.activeElement?.dataset.role === "conversation", null, { timeout: PATIENCE });
  assert.equal(await page.locator('[data-role="conversation"]').getAttribute("aria-labelledby"), "conversation-customer");

  // Straight on to End chat wrap-up and Enter, within the guard time of the closing: not taken.
  await tabTo(page, "end_wrap_up");
  await page.keyboard.press("Enter");
  const note = guardNote(page, "end_wrap_up");
  await note.filter({ hasText: "Still in wrap-up" }).waitFor({ timeout: PATIENCE });
  assert.equal(
    await note.textContent(),
    "Still in wrap-up: that press came just as the page changed, so it was not taken. Press “End chat wrap-up” again if you meant it.",
  );
  assert.equal(await note.getAttribute("role"), "status");
  assert.equal(await note.getAttribute("aria-live"), "polite", "a screen reader hears it, politely");
  const under = await page.evaluate(() => {
    const button = document.querySelector('[data-chat-action="end_wrap_up"]').getBoundingClientRect();
    const note = document.querySelector('[data-chat-guard-note="end_wrap_up"]').getBoundingClientRect();
    return note.top >= button.bottom && note.top - button.bottom < 40;
  });
  assert.ok(under, "the note is right under End chat wrap-up");
  await screenshot(page, "conversations-guard-note");
  // Past the guard time the chat is still in its wrap-up: the connector heard of no end.
  await page.waitForTimeout(GUARD_MS);
  await rowShows(page, "chat-1", { status: "wrap_up" });
  assert.deepEqual(widget.events("conversation_left", { conversation: "chat-1" }), [], "the wrap-up was not ended");
  assert.equal(await focused(page), "end_wrap_up");

  // Pressed again, after the guard time: the wrap-up ends, and the note goes with it.
  await page.keyboard.press("Enter");
  await widget.waitFor((m) => m.type === "conversation_left" && m.conversation === "chat-1", "chat-1's end");
  await row(page, "chat-1").waitFor({ state: "detached", timeout: PATIENCE });
  assert.equal(await guardNote(page, "end_wrap_up").textContent(), "");
  await rowShows(page, "chat-2", { status: "open" });
  assert.deepEqual(widget.events("conversation_closed", { conversation: "chat-2" }), [], "the other chat went on untouched");
  assert.deepEqual(errors, []);
});

test("a reload mid-conversation shows the transcript again, each message once", async (t) => {
  const { server, browser, widget } = await setUp(t);
  const { page, errors } = await readyAgent(browser, `${server.http}/agent`);
  await widget.arrive("chat-1", { customer: "Dana Weber", messages: ["Hello", "My parcel"] });
  await widget.arrive("chat-2", { customer: "Emil Koch", messages: ["Hi"] });
  await rowShows(page, "chat-2", { status: "offered" });
  await page.getByRole("button", { name: "Accept chat", exact: true }).click();
  await row(page, "chat-2").click();
  await page.getByRole("button", { name: "Accept chat", exact: true }).click();
  await rowShows(page, "chat-2", { status: "open" });
  await row(page, "chat-1").click();
  const composer = page.locator('[data-role="composer-text"]');
  for (const [who, text] of [["agent", "Let me look"], ["customer", "Thanks"], ["agent", "It is on its way"], ["customer", "Great"]]) {
    if (who === "agent") {
      await composer.fill(text);
      await composer.press("Enter");
      await widget.delivered("chat-1", text);
    } else {
      await widget.write("chat-1", text);
    }
    await shows(page, "chat-1", text);
  }
  await widget.write("chat-2", "Unread before the reload");
  await rowShows(page, "chat-2", { unread: 1 });
  const before = await transcript(page);
  assert.deepEqual(before.map((m) => m.number), [0, 1, 2, 3, 4, 5]);

  await page.reload();
  await agentState(page, "ready");
  await rowShows(page, "chat-1", { status: "open" });
  // What the agent had not seen is still unread: the page kept what was read.
  await rowShows(page, "chat-2", { status: "open", unread: 1 });
  await page.locator('[data-role="conversation"][data-conversation="chat-1"]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-role="transcript"]').dataset.count === "6");
  assert.deepEqual(await transcript(page), before, "the same transcript, each message once");

  // The session goes on: what comes now is added once.
  await widget.write("chat-1", "After the reload");
  await shows(page, "chat-1", "After the reload");
  const after = await transcript(page);
  assert.deepEqual(after.map((m) => m.number), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(new Set(after.map((m) => m.text)).size, after.length, "no message twice");

  assert.deepEqual(errors, []);
});

test("the conversation panel is there for an agent who takes chats, not for one of calls only", async (t) => {
  const { server, browser } = await setUp(t);
  // agent3 serves the chat queue: the panel shows, empty.
  const { page } = await readyAgent(browser, `${server.http}/agent`);
  await page.locator('[data-role="conversations"]').waitFor({ state: "visible", timeout: PATIENCE });
  // agent2 serves a queue of calls only: the calls have the page to themselves.
  const other = await browser.newPage();
  await other.goto(`${server.http}/agent`);
  await signIn(other, "agent2");
  await other.getByRole("button", { name: "Log in" }).click();
  await agentState(other, "not_ready");
  // Its snapshot has come (its queue's waiting count is on show): the panel stays hidden.
  await other.locator('[data-role="queues"] tr').first().waitFor({ timeout: PATIENCE });
  assert.equal(await other.locator('[data-role="conversations"]').isVisible(), false);
});
