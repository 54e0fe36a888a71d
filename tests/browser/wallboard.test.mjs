// The wallboard in a real browser against the real server: signing in from the address or the
// form, the tiles and their figures, contrast, service-level colours, a chat queue's tile (with
// the messaging connector and an agent played from Node), a server restart, wss.
// Run: node --test --test-concurrency=1 wallboard.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, screenshot, startServer, watchErrors } from "./harness.mjs";
import { connector, messaging } from "./connectors.mjs";
import { CHAT_TOML } from "./conversation-page.mjs";
import { measureContrast } from "./contrast.mjs";
import { keptOnScreen } from "./wallboard-page.mjs";

const WAIT = { timeout: 60000 };
const TEST = { timeout: 240000 };
const SIGN_IN = `#user=wallboard&password=${PASSWORD}`;

/** A server (unless given), a browser and its page, all closed when the test ends. */
async function setUp(t, { server = null, viewport = null } = {}) {
  const own = server ?? (await startServer());
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await own.stop();
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  if (viewport) await page.setViewportSize(viewport);
  const errors = watchErrors(page);
  return { server: own, browser, page, errors };
}

const connectionState = (page) => page.locator("[data-role=connection]").getAttribute("data-state");

async function waitLive(page) {
  await page.waitForFunction(() => document.querySelector("[data-role=connection]")?.dataset.state === "live", null, WAIT);
}

/** Live, subscribed, and every tile has figures from this session. */
async function waitFigures(page) {
  await waitLive(page);
  await page.waitForFunction(
    () => {
      const tiles = [...document.querySelectorAll(".board > .tile")];
      return (
        tiles.length > 0 &&
        !document.body.classList.contains("is-stale") &&
        tiles.every((tile) => /^\d+$/.test(tile.querySelector("[data-figure=waiting]").textContent))
      );
    },
    null,
    WAIT,
  );
}

/** The tiles on the board, in order: queue ids, and `total` for the totals tile. */
const tileOrder = (page) =>
  page.evaluate(() => [...document.querySelectorAll(".board > .tile")].map((tile) => tile.dataset.queue ?? "total"));

const figure = (page, queue, name) => page.locator(`[data-queue=${queue}] [data-figure=${name}]`);

test("signs in from the address, shows the queues in its order, and ticks the longest wait", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, { viewport: { width: 1920, height: 1080 } });
  await page.goto(`${server.http}/wallboard?queues=sales,support${SIGN_IN}`);
  await waitFigures(page);

  assert.deepEqual(await tileOrder(page), ["sales", "support", "total"]);
  assert.equal(await page.locator("[data-total] h2").textContent(), "All queues");
  assert.equal(await page.locator("[data-queue=support] h2").textContent(), "Customer Support");

  // The password left the address bar and is kept nowhere (a display's token is what a screen
  // keeps: displays.test.mjs); the session's token is, in this tab.
  const where = await page.evaluate(() => ({ hash: location.hash, href: location.href, search: location.search }));
  assert.equal(where.hash, "");
  assert.ok(!where.href.includes(PASSWORD), where.href);
  assert.equal(where.search, "?queues=sales,support");
  assert.deepEqual(await page.evaluate(keptOnScreen), {});
  assert.ok(await page.evaluate(() => sessionStorage.getItem("acdhub.wallboard.token")));

  // The simulator puts a caller into support about every 10 s and nobody answers.
  await page.waitForFunction(
    () => Number(document.querySelector("[data-queue=support] [data-figure=waiting]").textContent) >= 1,
    null,
    WAIT,
  );
  const oldest = figure(page, "support", "oldest");
  const first = await oldest.textContent();
  assert.match(first, /^\d+:\d\d$/);
  await page.waitForFunction(
    (before) => {
      const now = document.querySelector("[data-queue=support] [data-figure=oldest]").textContent;
      return /^\d+:\d\d$/.test(now) && now !== before;
    },
    first,
    WAIT,
  );
  // The totals count support's callers too.
  assert.ok(Number(await page.locator("[data-total] [data-figure=waiting]").textContent()) >= 1);
  // Sales has nobody waiting.
  assert.equal(await figure(page, "sales", "oldest").textContent(), "–");

  // Everything fits a 1080p screen: no scrolling, no tile cut off.
  const fits = await page.evaluate(() => ({
    scroll: document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth,
    tiles: [...document.querySelectorAll(".tile-body")].every((body) => body.scrollHeight <= body.clientHeight + 1),
  }));
  assert.deepEqual(fits, { scroll: true, tiles: true });

  await screenshot(page, "wallboard-1080p");
  assert.deepEqual(errors, []);
});

test("warns about a queue in the address the tenant does not have, and shows the others", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  await page.goto(`${server.http}/wallboard?queues=support,nosuch&total=off${SIGN_IN}`);
  await waitFigures(page);

  const warning = page.locator("[data-role=notices]");
  await warning.getByText("nosuch").waitFor(WAIT);
  assert.match(await warning.textContent(), /Unknown queue in the address: nosuch/);
  assert.ok(await warning.isVisible());
  assert.deepEqual(await tileOrder(page), ["support"]);
  assert.equal(await page.locator("[data-total]").count(), 0);
  assert.match(await figure(page, "support", "waiting").textContent(), /^\d+$/);
  assert.deepEqual(errors, []);
});

test("figures, labels and the header have a contrast of at least 7:1", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, { viewport: { width: 1920, height: 1080 } });
  await page.goto(`${server.http}/wallboard?queues=support,sales${SIGN_IN}`);
  await waitFigures(page);

  const ratios = await page.evaluate(measureContrast, {
    named: {
      waiting: "[data-queue=support] [data-figure=waiting]",
      "tile label": "[data-queue=support] .figure-waiting .label",
      "answered label": "[data-queue=support] .figure-answered .label",
      "tile heading": "[data-queue=support] h2",
      "header title": "header h1",
      "header clock": "[data-role=clock]",
      connection: "[data-role=connection]",
    },
    // Every other visible text on the board and in the header too.
    everything: "header *, .board *",
  });
  for (const name of ["waiting", "tile label", "answered label", "tile heading", "header title", "header clock", "connection"]) {
    assert.ok(name in ratios, name);
  }
  const low = Object.entries(ratios).filter(([, value]) => !(value >= 7));
  assert.deepEqual(low, [], `contrast below 7:1: ${JSON.stringify(low)}`);
  assert.ok(Object.keys(ratios).length > 30, "checked the whole board");
  assert.deepEqual(errors, []);
});

test("service level: neutral before any answered call, then coloured with its words", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  await page.goto(`${server.http}/wallboard?queues=support${SIGN_IN}`);
  await waitFigures(page);

  const band = page.locator("[data-queue=support] .service-level");
  assert.equal(await figure(page, "support", "service-level").textContent(), "–");
  assert.equal(await band.getAttribute("data-standing"), "none");
  assert.equal(await figure(page, "support", "service-level-state").textContent(), "No calls yet");
  assert.equal(await figure(page, "support", "service-level-target").textContent(), "target 80 % in 20 s");
  assert.equal(await figure(page, "support", "answered").textContent(), "0");

  // An agent takes one call, from a socket of the page's own origin.
  await page.evaluate((password) => {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`, "acdhub.v1");
    const replies = new Map();
    let next = 0;
    let offered;
    const offer = new Promise((resolve) => {
      offered = resolve;
    });
    const hello = new Promise((resolve) => {
      ws.onmessage = (frame) => {
        const message = JSON.parse(frame.data);
        if (message.type === "hello") resolve();
        else if (message.type === "offer") offered(message);
        else if (message.type === "ack" || message.type === "error") {
          const reply = replies.get(message.id);
          replies.delete(message.id);
          if (message.type === "ack") reply?.resolve(message.result);
          else reply?.reject(new Error(`${message.code}: ${message.message}`));
        }
      };
    });
    const send = (type, fields = {}) =>
      new Promise((resolve, reject) => {
        const id = String(++next);
        replies.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, type, ...fields }));
      });
    window.testAgent = {
      async signIn() {
        await hello;
        await send("auth", { user: "agent1", password });
        await send("login");
        await send("ready");
      },
      offer: () => offer,
      send,
      close: () => ws.close(),
    };
  }, PASSWORD);
  await page.evaluate(() => window.testAgent.signIn());
  await figure(page, "support", "ready").filter({ hasText: /^[01]$/ }).waitFor(WAIT);
  const call = await page.evaluate(
    () =>
      Promise.race([
        window.testAgent.offer(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("no offer within 60 s")), 60000)),
      ]).then(async (offer) => {
        await window.testAgent.send("accept", { call: offer.call });
        return offer.call;
      }),
  );
  assert.ok(call);
  await page.waitForFunction(() => document.querySelector("[data-queue=support] [data-figure=on-call]").textContent === "1", null, WAIT);
  await page.evaluate(async (id) => {
    // Not ready after the call, so that no second call rings.
    await window.testAgent.send("not_ready", { reason: "break" });
    await window.testAgent.send("hangup", { call: id });
  }, call);
  await page.waitForFunction(() => document.querySelector("[data-queue=support] [data-figure=wrap-up]").textContent === "1", null, WAIT);
  await page.evaluate(async () => {
    await window.testAgent.send("end_wrap_up");
    window.testAgent.close();
  });

  await page.waitForFunction(() => document.querySelector("[data-queue=support] [data-figure=answered]").textContent === "1", null, WAIT);
  await page.waitForFunction(() => document.querySelector("[data-queue=support] [data-figure=not-ready]").textContent === "1", null, WAIT);
  const shown = await page.evaluate(() => {
    const tile = document.querySelector("[data-queue=support]");
    const value = tile.querySelector("[data-figure=service-level]");
    return {
      text: value.textContent,
      standing: tile.querySelector(".service-level").dataset.standing,
      words: tile.querySelector("[data-figure=service-level-state]").textContent,
      color: getComputedStyle(value).color,
    };
  });
  const percent = Number.parseFloat(shown.text);
  assert.match(shown.text, /^\d+(\.\d)? %$/);
  // One call: answered within 20 s (100 %, on target) or not (0 %, far below).
  if (percent >= 80) {
    assert.equal(shown.standing, "good");
    assert.match(shown.words, /On target/);
    assert.equal(shown.color, "rgb(134, 239, 172)");
  } else {
    assert.equal(shown.standing, "bad");
    assert.match(shown.words, /Below target/);
    assert.equal(shown.color, "rgb(254, 202, 202)");
  }
  // Its words and figure keep 7:1 on the coloured band.
  const bandContrast = await page.evaluate(measureContrast, {
    named: {
      value: "[data-queue=support] [data-figure=service-level]",
      words: "[data-queue=support] [data-figure=service-level-state]",
      target: "[data-queue=support] [data-figure=service-level-target]",
      label: "[data-queue=support] .service-level .label",
    },
  });
  assert.equal(Object.keys(bandContrast).length, 4);
  for (const [name, value] of Object.entries(bandContrast)) assert.ok(value >= 7, `${name}: ${value}`);
  // The coloured band still fits its tile.
  assert.ok(await page.evaluate(() => [...document.querySelectorAll(".tile-body")].every((body) => body.scrollHeight <= body.clientHeight + 1)));
  assert.deepEqual(errors, []);
});

test("a chat queue's tile wears its channel and shows the first response once a chat is answered", TEST, async (t) => {
  const server = await startServer({ extra: CHAT_TOML });
  const { page, errors } = await setUp(t, { server, viewport: { width: 1920, height: 1080 } });
  const widget = await messaging(server.http);
  const agent = await connector(server.http, "agent3");
  t.after(async () => {
    await widget.close();
    await agent.close();
  });
  await page.goto(`${server.http}/wallboard?queues=chat,support${SIGN_IN}`);
  await waitFigures(page);
  assert.deepEqual(await tileOrder(page), ["chat", "support", "total"]);

  // The chat tile names its channel and counts conversations; the voice tile is as it was.
  const chat = page.locator("[data-queue=chat]");
  assert.equal(await figure(page, "chat", "channel").textContent(), "chat");
  assert.ok(await figure(page, "chat", "channel").isVisible());
  assert.equal(await chat.locator("h2").textContent(), "Chat");
  assert.equal(await chat.locator(".figure-answered .label").textContent(), "Accepted");
  assert.equal(await chat.locator(".figure-asa .label").textContent(), "Avg. to accept");
  assert.equal(await figure(page, "chat", "first-response").textContent(), "–");
  assert.equal(await figure(page, "support", "channel").isVisible(), false);
  assert.equal(await page.locator("[data-queue=support] .figure-waiting .label").textContent(), "Calls waiting");
  assert.equal(await page.locator("[data-queue=support] .conversations").isVisible(), false);
  // The totals sum calls and chats, and say so.
  assert.equal(await page.locator("[data-total] [data-figure=channel]").textContent(), "all channels");

  // A customer writes; agent3 (capacity 3) accepts and replies.
  await agent.request("login");
  await agent.request("ready");
  await widget.arrive("wall-1", { customer: "Dana Weber", messages: ["Hello, my parcel has not arrived"] });
  await agent.waitFor((m) => m.type === "conversation_offer" && m.conversation === "wall-1", "the offer of wall-1");
  await agent.request("accept_conversation", { conversation: "wall-1" });
  await agent.request("send_message", { conversation: "wall-1", text: "Let me check that for you." });
  await widget.delivered("wall-1", "Let me check that for you.");

  // One first reply, within the threshold or not: 100 % or 0 %, and its average.
  await page.waitForFunction(
    () => /^(100|0) %$/.test(document.querySelector("[data-queue=chat] [data-figure=first-response]").textContent),
    null,
    WAIT,
  );
  assert.match(await chat.locator(".figure-first-response .label").textContent(), /^First response ≤ \d+ s$/);
  assert.match(await figure(page, "chat", "average-first-response").textContent(), /^\d+:\d\d$/);
  await page.waitForFunction(() => document.querySelector("[data-queue=chat] [data-figure=places]").textContent === "1 of 3", null, WAIT);
  assert.equal(await figure(page, "chat", "answered").textContent(), "1");
  assert.ok(await chat.locator(".conversations").isVisible());

  // Everything still fits a 1080p screen, and every text keeps 7:1, the badges' too.
  assert.ok(await page.evaluate(() => [...document.querySelectorAll(".tile-body")].every((body) => body.scrollHeight <= body.clientHeight + 1)));
  const ratios = await page.evaluate(measureContrast, {
    named: { badge: "[data-queue=chat] [data-figure=channel]", totals: "[data-total] [data-figure=channel]" },
    everything: ".board *",
  });
  assert.equal(Object.keys(ratios).filter((name) => name === "badge" || name === "totals").length, 2);
  const low = Object.entries(ratios).filter(([, value]) => !(value >= 7));
  assert.deepEqual(low, [], `contrast below 7:1: ${JSON.stringify(low)}`);
  await screenshot(page, "wallboard-chat");
  assert.deepEqual(errors, []);
});

test("the sign-in form: a wrong password is refused, the right one signs this tab in and is kept nowhere, sign-out forgets the session", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  await page.goto(`${server.http}/wallboard`);
  const form = page.locator("[data-role=sign-in]");
  await form.waitFor({ state: "visible", ...WAIT });
  assert.equal(await page.locator("[data-role=board]").isVisible(), false);
  // A password and token an older version of the page kept are gone.
  await page.evaluate(() => {
    localStorage.setItem("acdhub.wallboard.credentials", JSON.stringify({ user: "wallboard", password: "old" }));
    localStorage.setItem("acdhub.wallboard.token", "v1.old");
  });
  await page.reload();
  await form.waitFor({ state: "visible", ...WAIT });
  assert.deepEqual(await page.evaluate(keptOnScreen), {});

  await form.locator("input[name=user]").fill("wallboard");
  await form.locator("input[name=password]").fill("not-the-password");
  await form.locator("button[type=submit]").click();
  await form.locator("[data-role=form-error]").filter({ hasText: /wrong/i }).waitFor(WAIT);
  assert.ok(await form.isVisible());
  assert.equal(await page.evaluate(() => localStorage.getItem("acdhub.wallboard.credentials")), null);

  await form.locator("input[name=user]").fill("wallboard");
  await form.locator("input[name=password]").fill(PASSWORD);
  await form.locator("button[type=submit]").click();
  await waitFigures(page);
  assert.equal(await form.isVisible(), false);
  assert.deepEqual(await tileOrder(page), ["support", "sales", "total"]);
  // No password on the screen: only the session's token, in this tab's sessionStorage.
  assert.deepEqual(await page.evaluate(keptOnScreen), {}, "nothing kept on the screen");
  assert.ok(await page.evaluate(() => sessionStorage.getItem("acdhub.wallboard.token")));

  // A reload signs in by itself with the session's token: the form never comes up.
  await page.addInitScript(() => {
    new MutationObserver((changes) => {
      if (changes.some((change) => change.target.dataset?.role === "sign-in" && !change.target.hidden)) {
        window.formShown = true;
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["hidden"] });
  });
  await page.reload();
  await waitFigures(page);
  assert.equal(await form.isVisible(), false);
  assert.equal(await page.evaluate(() => window.formShown ?? false), false);

  // Sign out: keyboard-reachable, forgets the session's token, shows the form.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.role), "sign-out");
  await page.keyboard.press("Enter");
  await form.waitFor({ state: "visible", ...WAIT });
  assert.equal(await connectionState(page), "stopped");
  assert.equal(await page.locator(".board .tile").count(), 0);
  assert.deepEqual(
    await page.evaluate(() => [sessionStorage.getItem("acdhub.wallboard.token"), localStorage.getItem("acdhub.wallboard.display")]),
    [null, null],
  );
  assert.deepEqual(errors, []);
});

test("a user who may not subscribe is told so, and the password is not kept", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  await page.goto(`${server.http}/wallboard#user=agent1&password=${PASSWORD}`);
  const form = page.locator("[data-role=sign-in]");
  await form.waitFor({ state: "visible", ...WAIT });
  await form.locator("[data-role=form-error]").filter({ hasText: /wallboard or supervisor/ }).waitFor(WAIT);
  assert.match(await form.locator("[data-role=form-error]").textContent(), /agent1/);
  assert.equal(await page.evaluate(() => localStorage.getItem("acdhub.wallboard.credentials")), null);
  assert.equal(await page.locator(".board .tile").count(), 0);
  assert.deepEqual(errors, []);
});

test("survives a server restart by itself: stale while away, live again after", TEST, async (t) => {
  const first = await startServer();
  const { page, errors } = await setUp(t, { server: first });
  await page.goto(`${first.http}/wallboard?queues=support${SIGN_IN}`);
  await waitFigures(page);

  await first.stop();
  await page.waitForFunction(() => document.querySelector("[data-role=connection]").dataset.state !== "live", null, WAIT);
  await page.waitForFunction(() => document.body.classList.contains("is-stale"), null, WAIT);
  const banner = page.locator("[data-role=stale]");
  assert.ok(await banner.isVisible());
  assert.match(await banner.textContent(), /^Reconnecting — figures from \d{1,2}:\d\d:\d\d/);
  // The last figures stay on the board meanwhile.
  assert.match(await figure(page, "support", "waiting").textContent(), /^\d+$/);
  assert.ok(await page.locator("[data-queue=support]").getAttribute("data-stale") !== null);

  const second = await startServer({ wsPort: first.ports.ws, wssPort: first.ports.wss });
  t.after(() => second.stop());
  await waitFigures(page);
  assert.equal(await banner.isVisible(), false);
  assert.equal(await page.locator("[data-queue=support]").getAttribute("data-stale"), null);
  assert.equal(await page.locator("[data-role=sign-in]").isVisible(), false);
  // The new server forgot the token; the address's password, kept in memory, signed in again.
  await page.waitForFunction(
    () => Number(document.querySelector("[data-queue=support] [data-figure=waiting]").textContent) >= 1,
    null,
    WAIT,
  );
  // Browsers log the refused reconnection attempts; nothing else may fail.
  assert.deepEqual(
    errors.filter((error) => !/WebSocket connection to .* failed/.test(error)),
    [],
  );
});

test("over https the wallboard connects with wss and goes live", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  const sockets = [];
  page.on("websocket", (socket) => sockets.push(socket.url()));
  await page.goto(`${server.https}/wallboard${SIGN_IN}`);
  await waitFigures(page);
  assert.ok(sockets.length > 0 && sockets.every((url) => url.startsWith("wss://")), JSON.stringify(sockets));
  // No queues in the address: every queue of the tenant, in its order, then the totals.
  assert.deepEqual(await tileOrder(page), ["support", "sales", "total"]);
  assert.equal(await page.evaluate(() => location.hash), "");
  assert.deepEqual(errors, []);
});
