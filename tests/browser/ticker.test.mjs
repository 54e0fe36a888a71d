// The message ticker a supervisor sets (issue: "a message ticker a supervisor can set"), in a
// real Chromium against the real server: the console sets a message and shows who set it; the
// wallboard at 1920x1080 shows it in a band along the bottom, its type at least 32 px (64 px
// at 4K), with every tile still whole above it; a message wider than the screen moves, and stands still on
// two lines where the screen must not move (prefers-reduced-motion); a refused message is shown
// as the console shows a refusal; Clear takes the band away. And the console and the band in
// German. Screenshots go to target/browser-artifacts (ticker-*.png).
// Run: node --test --test-concurrency=1 ticker.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, liveConsole, screenshot, startServer, watchErrors } from "./harness.mjs";
import { measure, waitFigures } from "./wallboard-page.mjs";
import { MIN_SECONDARY_PX, TICKER_LINE_PX } from "../../web/wallboard-state.js";

const WAIT = { timeout: 60000 };
const TEST = { timeout: 300000 };
const FHD = { width: 1920, height: 1080 };
const UHD = { width: 3840, height: 2160 };
const SHORT = "Team meeting 14:00";
/** Wider than a 1920 px screen at 32 px: it has to move, or wrap. */
const LONG =
  "Billing system down since 9:40: tell callers we call back today, do not promise a time, and note the account number in the call's notes; " +
  "the billing team works on it and will say here when it is back.";

/** The console signed in and live, and the wallboard of support and sales at 1920x1080, both in one browser. */
async function setUp(t, { locale = undefined } = {}) {
  const server = await startServer();
  const browser = await launchBrowser({ locale });
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const { page: consolePage, errors: consolePageErrors } = await liveConsole(browser, server, { german: Boolean(locale) });
  const wallboard = await browser.newPage();
  const wallboardErrors = watchErrors(wallboard);
  await wallboard.setViewportSize(FHD);
  await wallboard.goto(`${server.http}/wallboard?queues=support,sales#user=wallboard&password=${PASSWORD}`);
  await waitFigures(wallboard, WAIT);
  return { consolePage, wallboard, errors: () => [...consolePageErrors, ...wallboardErrors] };
}

/** Runs in the wallboard: the band as it shows now. */
function band() {
  const element = document.querySelector("[data-role=ticker]");
  const text = element.querySelector("[data-role=ticker-text]");
  const style = getComputedStyle(text);
  const box = element.getBoundingClientRect();
  return {
    shown: element.checkVisibility(),
    text: text.textContent,
    fontSize: Number.parseFloat(style.fontSize),
    lineHeight: Number.parseFloat(style.lineHeight),
    textHeight: text.getBoundingClientRect().height,
    animation: style.animationName,
    transform: style.transform,
    lines: element.dataset.lines,
    top: box.top,
    bottom: box.bottom,
    label: element.getAttribute("aria-label"),
  };
}

const showing = (page, text) =>
  page.waitForFunction((text) => document.querySelector("[data-role=ticker-text]").textContent === text && document.querySelector("[data-role=ticker]").checkVisibility(), text, WAIT);

test("the console sets a message; the wallboard shows it along the bottom, 32 px and more, every tile whole; Clear takes it away", TEST, async (t) => {
  const { consolePage, wallboard, errors } = await setUp(t);
  assert.equal((await wallboard.evaluate(band)).shown, false, "no band without a message");
  await consolePage.getByText("No message on the wallboards.").waitFor(WAIT);
  assert.equal(await consolePage.getByRole("button", { name: "Clear", exact: true }).isDisabled(), true, "nothing to clear");

  await consolePage.getByRole("textbox", { name: "Message on the wallboards" }).fill(SHORT);
  await consolePage.getByRole("button", { name: "Set", exact: true }).click();
  await consolePage.locator("[data-role=ticker-current]", { hasText: SHORT }).waitFor(WAIT);
  await consolePage.locator("[data-role=ticker-line]", { hasText: /^Shown now · set by supervisor at / }).waitFor(WAIT);
  assert.equal(await consolePage.getByRole("textbox", { name: "Message on the wallboards" }).inputValue(), "", "the field is ready for the next one");
  await screenshot(consolePage, "ticker-console");

  await showing(wallboard, SHORT);
  const shown = await wallboard.evaluate(band);
  const board = await wallboard.evaluate(measure);
  console.log(`1080p: the ticker at ${shown.fontSize}px, band ${shown.top}–${shown.bottom}px; tiles ${board.tileSize}`);
  assert.ok(shown.fontSize >= MIN_SECONDARY_PX, `the ticker's type is ${shown.fontSize}px`);
  assert.ok(shown.bottom <= FHD.height + 0.5 && shown.top > FHD.height / 2, `along the bottom: ${shown.top}–${shown.bottom}`);
  assert.equal(shown.animation, "none", "a message that fits stands still");
  assert.deepEqual(board.problems, [], "every tile whole, none under the band");
  assert.equal(board.scrolls, false);
  assert.equal(board.ticker, shown.fontSize);
  assert.ok(board.tiles.length === 3, `support, sales and the totals on one page: ${board.tiles}`);
  await screenshot(wallboard, "ticker-1080p");

  // At 4K the band and its type are twice the size, and the tiles still make room for it.
  await wallboard.setViewportSize(UHD);
  await wallboard.waitForFunction((px) => Number.parseFloat(getComputedStyle(document.querySelector("[data-role=ticker-text]")).fontSize) >= px, 2 * MIN_SECONDARY_PX, WAIT);
  const uhd = await wallboard.evaluate(measure);
  assert.deepEqual(uhd.problems, [], "4K: every tile whole, none under the band");
  assert.ok(uhd.ticker >= 2 * MIN_SECONDARY_PX, `4K: the ticker's type is ${uhd.ticker}px`);
  await wallboard.setViewportSize(FHD);
  await wallboard.waitForFunction((px) => Number.parseFloat(getComputedStyle(document.querySelector("[data-role=ticker-text]")).fontSize) === px, MIN_SECONDARY_PX, WAIT);

  // A message wider than the screen moves from right to left, slowly.
  await consolePage.getByRole("textbox", { name: "Message on the wallboards" }).fill(LONG);
  await consolePage.getByRole("button", { name: "Set", exact: true }).click();
  await showing(wallboard, LONG);
  const moving = await wallboard.evaluate(band);
  assert.equal(moving.animation, "wb-ticker-scroll");
  assert.equal(moving.lines, "1");
  await wallboard.waitForFunction((before) => getComputedStyle(document.querySelector("[data-role=ticker-text]")).transform !== before, moving.transform, WAIT);
  assert.deepEqual((await wallboard.evaluate(measure)).problems, []);

  // A screen that must not move: the message stands still on at most two lines, above no tile.
  await wallboard.emulateMedia({ reducedMotion: "reduce" });
  await wallboard.waitForFunction(() => document.querySelector("[data-role=ticker]").dataset.lines === "2", null, WAIT);
  const still = await wallboard.evaluate(band);
  assert.equal(still.animation, "none");
  assert.ok(still.textHeight <= 2 * still.lineHeight + 1, `${still.textHeight}px high at ${still.lineHeight}px a line`);
  assert.ok(still.lineHeight >= TICKER_LINE_PX - 0.5 && still.fontSize >= MIN_SECONDARY_PX);
  const wrapped = await wallboard.evaluate(measure);
  assert.deepEqual(wrapped.problems, [], "the tiles made room for two lines");
  await screenshot(wallboard, "ticker-1080p-reduced-motion");
  await wallboard.emulateMedia({ reducedMotion: "no-preference" });

  // A message the server refuses is shown as the console shows a refusal; the wallboard keeps its message.
  await consolePage.getByRole("textbox", { name: "Message on the wallboards" }).fill("Billing\tdown");
  await consolePage.getByRole("button", { name: "Set", exact: true }).click();
  const refusal = consolePage.locator("[role=alert] [data-code=bad_ticker]");
  await refusal.waitFor(WAIT);
  assert.match(await refusal.textContent(), /Could not set the message on the wallboards\. bad_ticker .*no newlines, tabs/);
  assert.equal(await consolePage.getByRole("textbox", { name: "Message on the wallboards" }).inputValue(), "Billing\tdown", "what was typed stays to be put right");
  assert.equal((await wallboard.evaluate(band)).text, LONG);

  // Clear: the band goes, and the tiles have the height back.
  await consolePage.getByRole("button", { name: "Clear", exact: true }).click();
  await consolePage.getByText("No message on the wallboards.").waitFor(WAIT);
  await wallboard.waitForFunction(() => !document.querySelector("[data-role=ticker]").checkVisibility(), null, WAIT);
  const cleared = await wallboard.evaluate(measure);
  assert.deepEqual(cleared.problems, []);
  assert.equal(cleared.ticker, null);
  const height = (size) => Number(size.split("x")[1]);
  assert.ok(height(cleared.tileSize) > height(board.tileSize), `tiles ${cleared.tileSize} without the band, ${board.tileSize} with it`);
  assert.deepEqual(errors(), []);
});

test("in German: the console's field and buttons, and the band's name", TEST, async (t) => {
  const { consolePage, wallboard, errors } = await setUp(t, { locale: "de-DE" });
  await consolePage.getByText("Keine Mitteilung auf den Wallboards.").waitFor(WAIT);
  await consolePage.getByRole("textbox", { name: "Mitteilung auf den Wallboards" }).fill("Teambesprechung um 14 Uhr");
  await consolePage.getByRole("button", { name: "Anzeigen" }).click();
  await consolePage.locator("[data-role=ticker-line]", { hasText: /^Wird angezeigt · gesetzt von supervisor um \d\d:\d\d$/ }).waitFor(WAIT);
  await showing(wallboard, "Teambesprechung um 14 Uhr");
  const shown = await wallboard.evaluate(band);
  assert.equal(shown.label, "Mitteilung an alle");
  assert.ok(shown.fontSize >= MIN_SECONDARY_PX);
  await screenshot(wallboard, "ticker-1080p-de");
  await consolePage.getByRole("button", { name: "Entfernen" }).click();
  await wallboard.waitForFunction(() => !document.querySelector("[data-role=ticker]").checkVisibility(), null, WAIT);
  assert.deepEqual(errors(), []);
});
