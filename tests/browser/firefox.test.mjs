// The WebAgent's call flow and the wallboard in Firefox (Debian's firefox-esr, headless), on the
// real server, as agent.test.mjs, hold.test.mjs and wallboard.test.mjs do in Chromium.
// playwright-core cannot drive a stock Firefox, so this file drives it over WebDriver:
// geckodriver (built by ../../test.sh into target/geckodriver) from selenium-webdriver. WebDriver
// BiDi collects what the page logs as errors. The PBX and a supervisor are played from Node
// (connectors.mjs), so each call is the test's own and the server's view is checked beside the
// page's. Waits are for conditions (driver.wait), with generous limits; never a fixed sleep.
// Run: ACDHUB_BIN=$PWD/../../target/debug/acdhub node --test --test-concurrency=1 firefox.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Builder, By, until } from "selenium-webdriver";
import firefox from "selenium-webdriver/firefox.js";
import LogInspector from "selenium-webdriver/bidi/logInspector.js";
import { PASSWORD, REPO, startServer } from "./harness.mjs";
import { DESK_TOML, connector, telephony } from "./connectors.mjs";

const PATIENCE = 30000;
const TEST = { timeout: 120000 };

/** geckodriver: GECKODRIVER, or where test.sh installs it. */
const GECKODRIVER = process.env.GECKODRIVER ?? join(REPO, "target/geckodriver/bin/geckodriver");
/** Debian's Firefox ESR: FIREFOX, or where the package puts it. */
const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

/** What each driver's page logged as errors (launchFirefox), for the messages of waits that fail. */
const pageErrors = new WeakMap();

/**
 * Firefox, headless, with a fresh profile (geckodriver makes one and removes it at quit). It
 * accepts the wss listener's development certificate (for localhost, from a CA nobody trusts)
 * for pages and WebSockets alike. `errors` collects what the page logs at level error (console
 * errors and uncaught exceptions), over WebDriver BiDi.
 */
async function launchFirefox(t) {
  assert.ok(existsSync(GECKODRIVER), `no geckodriver at ${GECKODRIVER}: ../../test.sh installs it`);
  assert.ok(existsSync(FIREFOX), `no Firefox at ${FIREFOX}: ../../test.sh installs firefox-esr`);
  const options = new firefox.Options()
    .setBinary(FIREFOX)
    .addArguments("-headless")
    .windowSize({ width: 1280, height: 900 })
    .setAcceptInsecureCerts(true)
    .enableBidi()
    // The ring tone plays without a click first, as in Chromium's --autoplay-policy flag.
    .setPreference("media.autoplay.default", 0)
    // The pages in English, whatever the machine's locale.
    .setPreference("intl.accept_languages", "en-US, en")
    // No update check, no default-browser prompt (geckodriver's own preferences quiet the rest).
    .setPreference("app.update.enabled", false)
    .setPreference("browser.shell.checkDefaultBrowser", false);
  // Both paths given: selenium-webdriver never runs Selenium Manager to look for (or download)
  // a driver or a browser.
  const driver = await new Builder()
    .forBrowser("firefox")
    .setFirefoxOptions(options)
    .setFirefoxService(new firefox.ServiceBuilder(GECKODRIVER))
    .build();
  t.after(() => driver.quit());
  const errors = [];
  const inspector = await LogInspector(driver);
  await inspector.onLog((entry) => {
    if (entry.level === "error") errors.push(`${entry.type}: ${entry.text}`);
  });
  pageErrors.set(driver, errors);
  return { driver, errors };
}

/**
 * The server on DESK_TOML (agent3 alone serves `desk`; the simulator's callers go to support),
 * the PBX, and a supervisor subscribed to desk's statistics (it sees every agent's state). All
 * stopped when test `t` ends, after the browser (launched first).
 */
async function deskServer(t) {
  const server = await startServer({ extra: DESK_TOML });
  const clients = [];
  t.after(async () => {
    for (const client of clients) await client.close();
    await server.stop();
  });
  const pbx = await telephony(server.http);
  clients.push(pbx);
  const supervisor = await connector(server.http, "supervisor");
  clients.push(supervisor);
  await supervisor.request("subscribe", { queues: ["desk"] });
  return { server, pbx, supervisor };
}

const css = (selector) => By.css(selector);

/**
 * driver.wait for `condition` (a selenium `until` condition or a function), at most PATIENCE;
 * resolves with its value. A timeout says `what` (a function: called then) and what the page
 * logged as errors.
 */
async function waitUntil(driver, condition, what) {
  try {
    return await driver.wait(condition, PATIENCE);
  } catch (error) {
    const logged = pageErrors.get(driver) ?? [];
    const said = typeof what === "function" ? what() : what;
    throw new Error(`${said} (${error.message})${logged.length ? `; the page logged: ${JSON.stringify(logged)}` : ""}`, {
      cause: error,
    });
  }
}

/** Waits until the element `selector` is there and shown; resolves with it. */
async function shown(driver, selector, what = selector) {
  const element = await waitUntil(driver, until.elementLocated(css(selector)), `${what} never appeared`);
  await waitUntil(driver, until.elementIsVisible(element), `${what} never became visible`);
  return element;
}

/** Waits until the element `selector` is hidden (or gone). */
async function hidden(driver, selector, what = selector) {
  await waitUntil(
    driver,
    async () => {
      const found = await driver.findElements(css(selector));
      return found.length === 0 || !(await found[0].isDisplayed());
    },
    `${what} never went away`,
  );
}

/** Waits until the text shown by `selector` is `expected` (a string or a RegExp); returns it. */
async function textOf(driver, selector, expected) {
  let last = null;
  await waitUntil(
    driver,
    async () => {
      const found = await driver.findElements(css(selector));
      if (found.length === 0) return false;
      last = await found[0].getText();
      return expected instanceof RegExp ? expected.test(last) : last === expected;
    },
    () => `${selector} never showed ${expected}: it shows ${JSON.stringify(last)}`,
  );
  return last;
}

/** Clicks the button of `action` once it is shown and enabled. */
async function press(driver, action) {
  const button = await shown(driver, `button[data-action="${action}"]`, `the ${action} button`);
  await waitUntil(driver, until.elementIsEnabled(button), `the ${action} button stayed disabled`);
  await button.click();
}

/** The WebAgent's state badge: waits for `state` (data-state) and returns the words it shows. */
async function agentState(driver, state) {
  await shown(driver, `[data-role="state"][data-state="${state}"]`, `the state badge ${state}`);
  return driver.findElement(css('[data-role="state"]')).getText();
}

/** Fills the page's sign-in form and submits it. */
async function signIn(driver, user) {
  const form = await shown(driver, "[data-role=sign-in]", "the sign-in form");
  await form.findElement(By.name("user")).sendKeys(user);
  await form.findElement(By.name("password")).sendKeys(PASSWORD);
  await form.findElement(css("button[type=submit]")).click();
  await textOf(driver, '[data-role="connection"][data-state="live"]', "Live");
  await hidden(driver, "[data-role=sign-in]", "the sign-in form");
}

/** The first agent_state of agent3 the supervisor got (or gets) for which `predicate` holds. */
const agentSeen = (supervisor, predicate, what) =>
  supervisor.waitFor((m) => m.type === "agent_state" && m.agent === "agent3" && predicate(m), `agent3 ${what}`);

const seconds = (clock) => clock.split(":").reduce((total, part) => total * 60 + Number(part), 0);

test("Firefox: the WebAgent logs in, goes ready, takes a call, holds, resumes, hangs up and wraps up", TEST, async (t) => {
  const { driver, errors } = await launchFirefox(t);
  const { server, pbx, supervisor } = await deskServer(t);
  assert.match((await driver.getCapabilities()).get("browserName"), /firefox/);

  await driver.get(`${server.http}/agent`);
  await signIn(driver, "agent3");
  assert.equal(await agentState(driver, "logged_out"), "Logged out");

  await press(driver, "login");
  assert.equal(await agentState(driver, "not_ready"), "Not ready");
  await agentSeen(supervisor, (m) => m.state === "not_ready" && m.reason === "login", "not ready (login)");

  await press(driver, "ready");
  assert.equal(await agentState(driver, "ready"), "Ready");
  await agentSeen(supervisor, (m) => m.state === "ready", "ready");

  // The PBX reports a call in desk: it rings at agent3, the only agent there.
  const call = "ff-call-1";
  await pbx.arrive(call, { queue: "desk", caller: "+4930555777", data: { customer: "Vulpes Firefox" } });
  await shown(driver, '[data-role="offer"]', "the offer");
  assert.equal(await agentState(driver, "ringing"), "Ringing");
  assert.equal(await textOf(driver, '[data-role="offer-caller"]', /\S/), "+4930555777");
  assert.equal(await driver.findElement(css('[data-role="offer-queue"]')).getText(), "Service Desk");
  assert.match(await driver.findElement(css('[data-role="offer-data"]')).getText(), /Vulpes Firefox/);
  assert.match(await textOf(driver, '[data-role="offer-countdown"]', /^\d+:\d\d$/), /^\d+:\d\d$/);
  const offer = await pbx.waitFor((m) => m.type === "offer" && m.call === call, "the offer");
  assert.equal(offer.agent, "agent3", "the PBX rings agent3's device");
  await agentSeen(supervisor, (m) => m.state === "ringing" && m.call === call, "ringing");

  await press(driver, "accept");
  assert.equal(await agentState(driver, "on_call"), "On call");
  await hidden(driver, '[data-role="offer"]', "the offer");
  await shown(driver, '[data-role="call"]', "the call's panel");
  assert.equal(await textOf(driver, '[data-role="call-caller"]', /\S/), "+4930555777");
  assert.match(await driver.findElement(css('[data-role="call-data"]')).getText(), /Vulpes Firefox/);
  await pbx.waitFor((m) => m.type === "call_connected" && m.call === call && m.agent === "agent3", "call_connected");
  await agentSeen(supervisor, (m) => m.state === "on_call" && m.call === call && m.on_hold === false, "on the call");

  await press(driver, "hold");
  assert.equal(await agentState(driver, "on_hold"), "On hold");
  await shown(driver, '[data-role="hold-line"]', "the hold line");
  await shown(driver, '[data-role="held"]', "on hold in the call's heading");
  await shown(driver, 'button[data-action="resume"]', "Resume");
  await hidden(driver, 'button[data-action="hold"]', "Hold");
  await pbx.waitFor((m) => m.type === "call_held" && m.call === call, "call_held");
  const held = await agentSeen(supervisor, (m) => m.state === "on_call" && m.on_hold === true, "on hold");
  assert.ok(held.held_since, "the server says when the hold began");
  // The hold timer runs (and the talk time stands still meanwhile).
  const talkAtHold = await driver.findElement(css('[data-role="call-time"]')).getText();
  await waitUntil(
    driver,
    async () => seconds(await driver.findElement(css('[data-role="hold-time"]')).getText()) >= 1,
    "the hold timer never ran",
  );
  assert.equal(await driver.findElement(css('[data-role="call-time"]')).getText(), talkAtHold, "talk stood still on hold");

  await press(driver, "resume");
  assert.equal(await agentState(driver, "on_call"), "On call");
  await hidden(driver, '[data-role="hold-line"]', "the hold line");
  await shown(driver, 'button[data-action="hold"]', "Hold");
  await pbx.waitFor((m) => m.type === "call_resumed" && m.call === call, "call_resumed");
  const resumed = await agentSeen(supervisor, (m) => m.state === "on_call" && m.on_hold === false && m.held_secs > 0, "resumed");
  assert.equal(resumed.held_since, undefined, "no hold going on");

  await press(driver, "hangup");
  assert.equal(await agentState(driver, "wrap_up"), "Wrap-up");
  await hidden(driver, '[data-role="call"]', "the call's panel");
  await shown(driver, '[data-role="wrap-up"]', "the wrap-up panel");
  // desk's wrap-up is 30 s: the countdown shows what is left of it.
  const left = seconds(await textOf(driver, '[data-role="wrap-up-countdown"]', /^\d+:\d\d$/));
  assert.ok(left > 0 && left <= 30, `wrap-up ends in ${left} s`);
  const ended = await pbx.waitFor((m) => m.type === "call_left" && m.call === call, "call_left");
  assert.equal(ended.reason, "completed");
  const wrapUp = await agentSeen(supervisor, (m) => m.state === "wrap_up" && m.call === call, "in wrap-up");
  assert.ok(wrapUp.wrap_up_deadline, "the server has a wrap-up deadline");

  await press(driver, "end_wrap_up");
  assert.equal(await agentState(driver, "ready"), "Ready");
  await hidden(driver, '[data-role="wrap-up"]', "the wrap-up panel");
  await agentSeen(supervisor, (m) => m.state === "ready" && m.previous === "wrap_up", "ready after the wrap-up");
  assert.equal(await driver.getTitle(), "Ready · WebAgent");
  assert.deepEqual(errors, []);
});

test("Firefox: the wallboard signs in over wss, shows the queues' tiles and counts a waiting call live", TEST, async (t) => {
  const { driver, errors } = await launchFirefox(t);
  const { server, pbx, supervisor } = await deskServer(t);

  // Over https with the client pinned to its wss rung: live means Firefox's WebSocket took the
  // development certificate (no fallback to ws hides a failure).
  await driver.get(`${server.https}/wallboard?queues=desk,support&rung=wss`);
  await signIn(driver, "wallboard");

  // A tile per queue in the address's order, then the totals; every figure from this session.
  await waitUntil(
    driver,
    async () => {
      const tiles = await driver.findElements(css(".board > .tile"));
      if (tiles.length !== 3) return false;
      for (const tile of tiles) {
        if (!/^\d+$/.test(await tile.findElement(css("[data-figure=waiting]")).getText())) return false;
      }
      return true;
    },
    "the tiles never showed their figures",
  );
  const tiles = await driver.findElements(css(".board > .tile"));
  assert.deepEqual(
    await Promise.all(tiles.map(async (tile) => (await tile.getAttribute("data-queue")) ?? "total")),
    ["desk", "support", "total"],
  );
  assert.deepEqual(
    await Promise.all(tiles.map((tile) => tile.findElement(css("h2")).getText())),
    ["Service Desk", "Customer Support", "All queues"],
  );
  const desk = (name) => `[data-queue=desk] [data-figure=${name}]`;
  assert.equal(await textOf(driver, desk("waiting"), "0"), "0", "nobody waits in desk yet");
  assert.equal(await driver.findElement(css(desk("oldest"))).getText(), "–");
  assert.equal(await driver.findElement(css(desk("service-level-target"))).getText(), "target 80 % in 20 s");

  // A caller waits in desk (agent3 is logged out): the tile counts it, live, and its wait ticks.
  await pbx.arrive("ff-wait-1", { queue: "desk", caller: "+4930555888" });
  await textOf(driver, desk("waiting"), "1");
  const first = await textOf(driver, desk("oldest"), /^\d+:\d\d$/);
  await textOf(driver, desk("oldest"), new RegExp(`^(?!${first}$)\\d+:\\d\\d$`));
  const stats = await supervisor.waitFor(
    (m) => m.type === "queue_stats" && m.queue === "desk" && m.waiting === 1,
    "desk's queue_stats with one waiting",
  );
  assert.equal(stats.today.offered, 1, "the server counts the call offered to desk");
  assert.ok(Number(await driver.findElement(css("[data-total] [data-figure=waiting]")).getText()) >= 1, "the totals count it");

  // A second caller, then the first hangs up: waiting follows, abandoned counts it.
  await pbx.arrive("ff-wait-2", { queue: "desk" });
  await textOf(driver, desk("waiting"), "2");
  await pbx.hangUp("ff-wait-1");
  await textOf(driver, desk("waiting"), "1");
  await textOf(driver, desk("abandoned"), "1");
  await supervisor.waitFor(
    (m) => m.type === "queue_stats" && m.queue === "desk" && m.waiting === 1 && m.today.abandoned === 1,
    "desk's queue_stats after the hang-up",
  );
  assert.deepEqual(errors, []);
});
