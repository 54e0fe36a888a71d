// Displays, in a real Chromium against the real server: a supervisor makes a display on the
// console and gets its link once; the wallboard opened at that link signs in with the token,
// keeps the token and nothing else (no password), and signs in with it again in a new tab;
// a bad name is refused as the console shows a refusal; Revoke ends the display's session at
// once, and the screen says why and forgets the token. And the console's words in German.
// Run: node --test --test-concurrency=1 displays.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, liveConsole, screenshot, startServer, watchErrors } from "./harness.mjs";
import { keptOnScreen, waitFigures } from "./wallboard-page.mjs";

const WAIT = { timeout: 60000 };
const TEST = { timeout: 300000 };

/** A server, a browser (of `locale`'s language) and the console signed in and live. */
async function setUp(t, { locale = undefined } = {}) {
  const server = await startServer();
  const browser = await launchBrowser({ locale });
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const { page: consolePage, errors } = await liveConsole(browser, server, { german: Boolean(locale) });
  return { server, browser, consolePage, errors };
}

test("a display made on the console signs in from its link, keeps only its token, and ends when revoked", TEST, async (t) => {
  const { browser, consolePage, errors } = await setUp(t);
  await consolePage.getByText("No displays yet.").waitFor(WAIT);

  // A name the server refuses: shown as any refusal, nothing made.
  await consolePage.getByLabel("Name of a new display").fill("Lobby TV!");
  await consolePage.getByRole("button", { name: "Create display" }).click();
  await consolePage.locator("[role=alert] [data-code=bad_display_name]").waitFor(WAIT);

  await consolePage.getByLabel("Name of a new display").fill("lobby-tv");
  await consolePage.getByRole("button", { name: "Create display" }).click();
  const linkField = consolePage.getByRole("textbox", { name: "Link of display lobby-tv" });
  await linkField.waitFor(WAIT);
  const link = await linkField.inputValue();
  assert.match(link, /\/wallboard#display=d1\.[0-9a-f]+\.[0-9a-f]{64}$/);
  const token = decodeURIComponent(link.split("#display=")[1]);
  const row = consolePage.locator("[data-display=lobby-tv]");
  await row.waitFor(WAIT);
  assert.match(await row.textContent(), /^lobby-tvby supervisor at /);
  await screenshot(consolePage, "displays-console");

  // The screen opens the link: signed in as the display, the token kept and nothing else.
  const screen = await browser.newPage();
  const screenErrors = watchErrors(screen);
  await screen.setViewportSize({ width: 1920, height: 1080 });
  await screen.goto(link);
  await waitFigures(screen, WAIT);
  assert.equal(await screen.evaluate(() => location.hash), "", "the token left the address bar");
  assert.deepEqual(await screen.evaluate(keptOnScreen), { "acdhub.wallboard.display": token });

  // A new tab (a browser restarted): no session, the kept token signs in.
  const again = await browser.newPage();
  await again.setViewportSize({ width: 1920, height: 1080 });
  await again.goto(link.split("#")[0]);
  await waitFigures(again, WAIT);
  await screenshot(again, "displays-wallboard");

  // Revoked: both screens stop at once, say why, and forget the token.
  await consolePage.getByRole("button", { name: "Revoke display lobby-tv" }).click();
  await consolePage.getByText("No displays yet.").waitFor(WAIT);
  for (const page of [screen, again]) {
    const form = page.locator("[data-role=sign-in]");
    await form.waitFor({ state: "visible", ...WAIT });
    await form.locator("[data-role=form-error]").filter({ hasText: /this display was revoked/ }).waitFor(WAIT);
    assert.equal(await page.locator("[data-role=connection]").getAttribute("data-state"), "stopped");
  }
  assert.deepEqual(await screen.evaluate(keptOnScreen), {}, "the token is forgotten");
  // The old link signs in no more.
  await screen.goto(link);
  await screen.locator("[data-role=form-error]").filter({ hasText: /this display was revoked/ }).waitFor(WAIT);
  assert.deepEqual(await screen.evaluate(keptOnScreen), {});
  assert.deepEqual(errors, []);
  // Browsers log a WebSocket closed under them; nothing else may fail.
  assert.deepEqual(screenErrors.filter((error) => !/WebSocket/.test(error)), []);
});

test("in German: the displays' panel", TEST, async (t) => {
  const { consolePage, errors } = await setUp(t, { locale: "de-DE" });
  await consolePage.getByText("Noch keine Anzeigen.").waitFor(WAIT);
  await consolePage.getByLabel("Name einer neuen Anzeige").fill("foyer");
  await consolePage.getByRole("button", { name: "Anzeige erstellen" }).click();
  await consolePage.getByRole("textbox", { name: "Link der Anzeige foyer" }).waitFor(WAIT);
  assert.match(await consolePage.locator("[data-display=foyer]").textContent(), /^foyervon supervisor um \d\d:\d\d/);
  await consolePage.getByRole("button", { name: "Anzeige foyer widerrufen" }).click();
  await consolePage.getByText("Noch keine Anzeigen.").waitFor(WAIT);
  assert.deepEqual(errors, []);
});
