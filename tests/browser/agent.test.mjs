// The landing page and the WebAgent in Chromium, on the real server: links and version, sign-in
// from the keyboard alone, a refused command shown with its code, transfer and wrap-up
// extension, a reload that keeps the session, and a user who is not an agent.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PASSWORD, REPO, launchBrowser, signIn, startServer, watchErrors } from "./harness.mjs";
import { GUARD_MS } from "../../web/agent-state.js";

const PATIENCE = 60000;
const VERSION = readFileSync(join(REPO, "Cargo.toml"), "utf8").match(/^version = "(.+)"$/m)[1];

/** A server and a browser for one test, closed after it. */
async function setUp(t) {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  return { server, browser };
}

/** The WebAgent signed in as agent1 and logged in to the ACD, with its page errors. */
async function loggedInAgent(t) {
  const { server, browser } = await setUp(t);
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/agent`);
  await signIn(page, "agent1");
  await page.getByRole("button", { name: "Log in" }).click();
  await state(page, "not_ready");
  return { page, errors };
}

const state = (page, name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor({ timeout: PATIENCE });

test("the landing page shows the version and leads to each page", async (t) => {
  const { server, browser } = await setUp(t);
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/`);
  assert.match(await page.locator("body").textContent(), new RegExp(`version ${VERSION.replaceAll(".", "\\.")}`));
  for (const [link, path] of [["WebAgent", "/agent"], ["Wallboard", "/wallboard"], ["Supervisor", "/supervisor"]]) {
    await page.goto(`${server.http}/`);
    await page.getByRole("link", { name: new RegExp(link) }).click();
    // Each page starts at its sign-in form.
    await page.getByLabel("User").waitFor();
    assert.equal(new URL(page.url()).pathname, path);
  }
  assert.deepEqual(errors, []);
});

test("an agent signs in and works from the keyboard alone", async (t) => {
  const { server, browser } = await setUp(t);
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/agent`);
  // The form takes the focus; a wrong password is refused with a message.
  await page.getByLabel("User").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), "user");
  await page.keyboard.type("agent1");
  await page.keyboard.press("Tab");
  await page.keyboard.type("wrong");
  await page.keyboard.press("Enter");
  await page.locator('[data-role="form-error"]', { hasText: "wrong user name or password" }).waitFor();
  // The user name stays, the focus is on the password.
  assert.equal(await page.evaluate(() => document.activeElement.name), "password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await page.locator('[data-role="connection"][data-state="live"]').waitFor();

  // Tab to each button and press it; nothing here needs a mouse.
  const press = async (name) => {
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === name) {
        await page.keyboard.press("Enter");
        return;
      }
    }
    assert.fail(`Tab never reached "${name}"`);
  };
  await press("Log in");
  await state(page, "not_ready");
  await press("Ready");
  // Ready, or already ringing: a caller the simulator placed before the agent was ready is
  // offered the moment it is, and the page may never show the ready state in between.
  await page
    .locator('[data-role="state"][data-state="ready"], [data-role="state"][data-state="ringing"]')
    .first()
    .waitFor({ timeout: PATIENCE });
  await page.getByRole("button", { name: "Accept" }).waitFor({ timeout: PATIENCE });
  // The offer takes the focus, so Enter accepts; but not within half a second of a key press
  // (a key meant for another button must not land on Accept), which is when it comes if a
  // caller was already waiting as Enter made the agent ready. Then Tab reaches it.
  if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === "Accept") {
    await page.keyboard.press("Enter");
  } else {
    await press("Accept");
  }
  await state(page, "on_call");
  // The focus moved on with the call to its panel, never to Hang up: an Enter that follows
  // Accept must not end the call (guard.test.mjs). Tab reaches Hang up; pressed after the
  // guard time (a key press sooner is not taken there), it hangs up.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.role), "call");
  await page.waitForTimeout(GUARD_MS);
  await press("Hang up");
  await state(page, "wrap_up");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.role), "wrap-up");
  await page.waitForTimeout(GUARD_MS);
  await press("End wrap-up");
  // Calls are waiting (only this agent answers), so the next one is offered at once.
  await page.getByRole("button", { name: "Accept" }).waitFor({ timeout: PATIENCE });
  assert.deepEqual(errors, []);
});

test("transfer targets say how busy they are and nothing is chosen at first; transfer to a queue and a longer wrap-up work", async (t) => {
  const { page, errors } = await loggedInAgent(t);
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  await page.getByRole("button", { name: "Accept" }).click({ timeout: PATIENCE });
  await state(page, "on_call");
  const caller = await page.locator('[data-role="call-caller"]').textContent();
  assert.match(caller, /^\+\d/);
  const data = await page.locator('[data-role="call-data"]').textContent();
  assert.match(data, /customer/, "the attached data is shown");

  // Reloaded mid-call, the page shows the same caller and data again, from the snapshot.
  await page.reload();
  await state(page, "on_call");
  assert.equal(await page.locator('[data-role="call-caller"]').textContent(), caller);
  assert.equal(await page.locator('[data-role="call-data"]').textContent(), data);

  // Nothing is chosen at first, so Transfer waits; each target says how busy it is: Bianca is
  // logged out, so she cannot be chosen, and the queues say their waiting calls and ready agents.
  const targets = page.getByLabel("Transfer to");
  assert.equal(await targets.inputValue(), "");
  assert.equal(await page.getByRole("button", { name: "Transfer" }).isDisabled(), true);
  const bianca = targets.locator('option[value="agent:agent2"]');
  await page.waitForFunction(() => document.querySelector('option[value="queue:sales"]')?.textContent.includes("waiting"));
  assert.equal(await bianca.textContent(), "Bianca Schulz — Logged out");
  assert.equal(await bianca.isDisabled(), true);
  assert.match(await targets.locator('option[value="queue:sales"]').textContent(), /^Sales — \d+ waiting · \d+ ready$/);

  // To the sales queue: the call leaves this agent, which wraps up.
  await targets.selectOption("queue:sales");
  await page.getByRole("button", { name: "Transfer" }).click();
  await state(page, "wrap_up");

  // Extending the wrap-up moves its end by the chosen time.
  const remaining = async () => {
    const [m, s] = (await page.locator('[data-role="wrap-up-countdown"]').textContent()).split(":").map(Number);
    return m * 60 + s;
  };
  const before = await remaining();
  await page.getByLabel("Extend wrap-up by").selectOption({ label: "2 minutes" });
  await page.getByRole("button", { name: "Extend" }).click();
  await page.waitForFunction(
    (limit) => {
      const [m, s] = document.querySelector('[data-role="wrap-up-countdown"]').textContent.split(":").map(Number);
      return m * 60 + s > limit;
    },
    before + 100,
  );
  assert.ok((await remaining()) <= before + 120);

  // Not ready during wrap-up is the pending state; Clear drops it.
  await page.getByLabel("Not-ready reason").selectOption({ label: "Lunch" });
  await page.getByRole("button", { name: "Not ready after this call" }).click();
  await page.locator('[data-role="pending-text"]', { hasText: "Not ready · Lunch" }).waitFor();
  await page.getByRole("button", { name: "Clear" }).click();
  await page.locator('[data-role="pending"]').waitFor({ state: "hidden" });
  assert.deepEqual(errors, []);
});

test("a reload keeps the session; signing out logs the agent out; other roles are sent to their page", async (t) => {
  const { page, errors } = await loggedInAgent(t);

  await page.reload();
  await state(page, "not_ready");
  assert.equal(await page.locator('[data-role="sign-in"]').isVisible(), false, "the token signed in again");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator('[data-role="sign-in"]').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("acdhub.agent.token")), null);

  // The agent was logged out of the ACD by signing out: a supervisor's socket sees it.
  const seen = await page.evaluate(
    async ({ password }) => {
      const socket = new WebSocket(location.origin.replace("http", "ws") + "/ws", "acdhub.v1");
      const messages = [];
      await new Promise((resolve) => {
        socket.onmessage = (frame) => {
          const message = JSON.parse(frame.data);
          messages.push(message);
          if (message.type === "hello") socket.send(JSON.stringify({ id: "1", type: "auth", user: "supervisor", password }));
          if (message.type === "ack" && message.id === "1") socket.send(JSON.stringify({ id: "2", type: "subscribe", queues: [] }));
          if (message.type === "ack" && message.id === "2") resolve();
        };
      });
      socket.close();
      return messages.find((m) => m.type === "agent_state" && m.agent === "agent1")?.state;
    },
    { password: PASSWORD },
  );
  assert.equal(seen, "logged_out");

  await signIn(page, "wallboard");
  await page.locator('[data-role="form-error"]', { hasText: "wallboard, not an agent" }).waitFor();
  assert.deepEqual(errors, []);
});
