// The wallboard read from five metres (issue 21): on a 1920x1080 screen with 4, 8 and 12 queues
// chosen, no label is smaller than MIN_LABEL_PX, no key figure smaller than MIN_VALUE_PX and no
// other figure smaller than MIN_SECONDARY_PX; no tile is cut off and no text overflows its
// tile; the queues that do not fit take pages that rotate, and every queue shows on one of
// them. At 3840x2160 everything, the header too, is larger, and the header stays on one line
// while the board is reconnecting. German, whose words are longer, keeps the same floors with
// nothing cut or shortened. Sizes are measured in Chromium (getComputedStyle,
// getBoundingClientRect) and printed as a table; screenshots go to target/browser-artifacts.
// Run: node --test --test-concurrency=1 wallboard-sizes.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, screenshot, startServer, toml, watchErrors } from "./harness.mjs";
import { measure, waitFigures } from "./wallboard-page.mjs";
import { MIN_LABEL_PX, MIN_SECONDARY_PX, MIN_VALUE_PX } from "../../web/wallboard-state.js";

const WAIT = { timeout: 60000 };
const TEST = { timeout: 300000 };
const SIGN_IN = `#user=wallboard&password=${PASSWORD}`;

/** Twelve queues: the test tenant's two and ten more, with names of a realistic length. */
const MORE = [
  ["billing", "Billing"],
  ["returns", "Returns & Refunds"],
  ["tech", "Technical Support"],
  ["vip", "VIP Customers"],
  ["orders", "Order Status"],
  ["claims", "Insurance Claims"],
  ["german", "Kundendienst Deutsch"],
  ["french", "Service Client"],
  ["partners", "Partner Line"],
  ["outage", "Outage Hotline"],
];
const QUEUES = ["support", "sales", ...MORE.map(([id]) => id)];
/** A chat channel and a queue of it, as the demo has ("Web Chat"). */
const CHAT = `${toml.channel({ id: "chat", name: "Web chat", capacity: 3 })}
[[tenants.queues]]
id = "webchat"
name = "Web Chat"
channel = "chat"
service_level = { threshold_secs = 20, target_percent = 80 }
ring_timeout_secs = 120
wrap_up_secs = 6
`;
const EXTRA = MORE.map(([id, name]) => toml.callQueue({ id, name })).join("") + CHAT;
/** The demo's mix: four queues of calls and a chat queue (and the totals). */
const DEMO_MIX = ["support", "sales", "billing", "returns", "webchat"];

const FHD = { width: 1920, height: 1080 };
const UHD = { width: 3840, height: 2160 };

/** A server with the twelve queues (unless given), a browser (of `locale`'s language) and its page, closed when the test ends. */
async function setUp(t, { server = null, viewport = FHD, locale = undefined } = {}) {
  const own = server ?? (await startServer({ extra: EXTRA }));
  const browser = await launchBrowser({ locale });
  t.after(async () => {
    await browser.close();
    await own.stop();
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.setViewportSize(viewport);
  const errors = watchErrors(page);
  return { server: own, page, errors };
}

/** Runs in the page: whether the header is one line: each of its texts one line high, none cut, all side by side. */
function headerLine() {
  const header = document.querySelector(".wb-header");
  const parts = [...header.querySelectorAll(".wb-title, .wb-stale, .wb-page, .wb-clock, .connection, .wb-sign-out")].filter(
    (element) => element.checkVisibility() && element.textContent.trim(),
  );
  const lines = parts.map((element) => {
    const style = getComputedStyle(element);
    const lineHeight = Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.3;
    const rect = element.getBoundingClientRect();
    const padding = Number.parseFloat(style.paddingTop) + Number.parseFloat(style.paddingBottom);
    return {
      text: element.textContent.trim(),
      oneLine: rect.height - padding < lineHeight * 1.5,
      cut: element.scrollWidth > element.clientWidth + 1,
      top: rect.top,
      bottom: rect.bottom,
    };
  });
  const box = header.getBoundingClientRect();
  return {
    fontSize: Number.parseFloat(getComputedStyle(header).fontSize),
    height: box.height,
    width: header.scrollWidth <= header.clientWidth + 1,
    lines,
    // Side by side: every part overlaps every other vertically.
    sideBySide: lines.every((a) => lines.every((b) => a.top < b.bottom && b.top < a.bottom)),
  };
}

const table = [];
function record(what, measured) {
  const { problems, tiles, pageNumber, chatFigures, ...sizes } = measured;
  table.push({ what, tiles: tiles.length, ...sizes });
}

/** Asserts the floors and the fit of what shows now. */
function assertReadable(measured, what) {
  assert.deepEqual(measured.problems, [], what);
  assert.equal(measured.scrolls, false, `${what}: the page scrolls`);
  assert.ok(measured.label >= MIN_LABEL_PX, `${what}: a label of ${measured.label}px`);
  assert.ok(measured.value >= MIN_VALUE_PX, `${what}: a key figure of ${measured.value}px`);
  assert.ok(measured.secondary >= MIN_SECONDARY_PX, `${what}: a figure of ${measured.secondary}px`);
}

/**
 * Opens the board of `queues` turning pages every `rotate` seconds and measures each page once,
 * waiting for the pages to turn: `{pages, seen}`, seen as `{page, measured}` in the order seen.
 */
async function pagesOf(page, server, queues, { rotate = 2, staffing = false } = {}) {
  await page.goto(`${server.http}/wallboard?queues=${queues.join(",")}&rotate=${rotate}${staffing ? "&staffing=on" : ""}${SIGN_IN}`);
  await waitFigures(page);
  if (staffing) {
    // Every call tile's staffing figure has come (the board asks them all at once).
    await page.waitForFunction(
      () => [...document.querySelectorAll('.tile[data-channel="voice"] [data-figure=staffing]')].every((figure) => figure.textContent !== ""),
      null,
      WAIT,
    );
  }
  const pages = Number(await page.locator(".board").getAttribute("data-pages"));
  const seen = [];
  for (let turn = 0; turn < 3 * pages && seen.length < pages; turn++) {
    const measured = await page.evaluate(measure);
    if (!seen.some((s) => s.page === measured.pageNumber)) seen.push({ page: measured.pageNumber, measured });
    if (pages > 1 && seen.length < pages) {
      await page.waitForFunction((before) => document.querySelector(".board").dataset.page !== String(before), measured.pageNumber, WAIT);
    }
  }
  return { pages, seen };
}

test("1080p with 4, 8 and 12 queues: type never below the floors, nothing cut, more queues in rotating pages", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  for (const count of [4, 8, 12]) {
    const queues = QUEUES.slice(0, count);
    const { pages, seen } = await pagesOf(page, server, queues);
    const shown = new Set();
    for (const { page: number, measured } of seen) {
      const what = `${count} queues, page ${number} of ${pages}`;
      record(`1080p ${what}`, measured);
      assertReadable(measured, what);
      // The totals on every page; the page says which it is when there are several.
      assert.equal(measured.tiles.at(-1), "total", what);
      assert.equal(measured.page, pages > 1 ? `Page ${number} of ${pages}` : "", what);
      for (const queue of measured.tiles) shown.add(queue);
    }
    assert.deepEqual(
      QUEUES.slice(0, count).filter((queue) => !shown.has(queue)),
      [],
      `${count} queues: every queue shows on some page`,
    );
    assert.equal(seen.length, pages);
    if (count === 4) assert.equal(pages, 1, "four queues and the totals fit one screen");
    if (count === 12) {
      assert.ok(pages > 1, "twelve queues take more than one page");
      assert.deepEqual([...new Set(seen.map((s) => s.page))].sort(), Array.from({ length: pages }, (_, i) => i + 1));
    }
    await screenshot(page, `wallboard-sizes-${count}-queues`);
  }
  // The staffing figure (`&staffing=on`) on every call tile: still nothing cut, nothing below
  // the floors, and it shows.
  for (const count of [4, 8, 12]) {
    const { pages, seen } = await pagesOf(page, server, QUEUES.slice(0, count), { staffing: true });
    for (const { page: number, measured } of seen) {
      const what = `${count} queues with staffing, page ${number} of ${pages}`;
      record(`1080p ${what}`, measured);
      assertReadable(measured, what);
    }
    const hidden = await page.evaluate(() =>
      [...document.querySelectorAll(".board > .tile:not(.tile-total)")]
        .filter((tile) => tile.checkVisibility() && !tile.querySelector("[data-figure=staffing]").checkVisibility())
        .map((tile) => tile.dataset.queue),
    );
    assert.deepEqual(hidden, [], `${count} queues: the staffing figure shows on every queue's tile`);
    await screenshot(page, `wallboard-sizes-${count}-queues-staffing`);
  }
  console.log("Measured font sizes (px; smallest of each kind on the page):");
  console.table(table.splice(0));
  assert.deepEqual(errors, []);
});

test("1080p with a chat lane: the demo's mix on one page, every text whole; a chat tile with room shows all its figures", TEST, async (t) => {
  const { server, page, errors } = await setUp(t);
  // The demo's mix: four queues of calls, a chat queue and the totals, on one page.
  const { pages, seen } = await pagesOf(page, server, DEMO_MIX);
  assert.equal(pages, 1, "the demo's mix fits one screen");
  const [{ measured: mix }] = seen;
  record("1080p 4 voice + chat + total", mix);
  assertReadable(mix, "the demo's mix");
  assert.deepEqual(mix.tiles, [...DEMO_MIX, "total"]);
  assert.equal(mix.page, "");
  // What a floor watches of a chat queue shows on its tile of the smallest size.
  const key = ["waiting", "oldest", "service-level", "service-level-state", "first-response", "places", "ready", "on-call", "wrap-up", "not-ready"];
  for (const figure of key) assert.ok(mix.chatFigures.webchat.includes(figure), `${figure}: ${mix.chatFigures.webchat}`);
  await screenshot(page, "wallboard-sizes-chat-mix");

  // A few tiles, one of them chat: taller tiles, the chat tile shows every figure it has.
  const { seen: few } = await pagesOf(page, server, ["webchat", "support"]);
  const [{ measured: tall }] = few;
  record("1080p chat + voice + total", tall);
  assertReadable(tall, "a chat tile with room");
  for (const figure of ["answered", "abandoned", "asa", "first-response", "average-first-response", "places", "concurrency", "capacity-occupancy"]) {
    assert.ok(tall.chatFigures.webchat.includes(figure), `${figure}: ${tall.chatFigures.webchat}`);
  }
  await screenshot(page, "wallboard-sizes-chat-few");

  // At 4K the demo's mix is the same board, twice the size.
  await page.setViewportSize(UHD);
  const { seen: uhd } = await pagesOf(page, server, DEMO_MIX);
  record("4K 4 voice + chat + total", uhd[0].measured);
  assertReadable(uhd[0].measured, "the demo's mix at 4K");
  assert.ok(uhd[0].measured.label >= 2 * MIN_LABEL_PX - 1);
  console.log("Measured font sizes with a chat lane (px; smallest of each kind on the page):");
  console.table(table.splice(0));
  assert.deepEqual(errors, []);
});

test("4K: everything larger, the header too, and the header on one line while reconnecting", TEST, async (t) => {
  const server = await startServer({ extra: EXTRA });
  const { page, errors } = await setUp(t, { server, viewport: FHD });
  const queues = QUEUES.slice(0, 8);
  await page.goto(`${server.http}/wallboard?queues=${queues.join(",")}&rotate=600${SIGN_IN}`);
  await waitFigures(page);
  const fhd = await page.evaluate(measure);
  const fhdHeader = await page.evaluate(headerLine);
  record("1080p 8 queues", fhd);

  await page.setViewportSize(UHD);
  await page.waitForFunction(() => Number.parseFloat(getComputedStyle(document.querySelector(".wb-header")).fontSize) > 40, null, WAIT);
  const uhd = await page.evaluate(measure);
  record("4K 8 queues", uhd);
  assertReadable(uhd, "4K");
  assert.equal(uhd.tiles.length, fhd.tiles.length, "the same tiles on a page at 4K");
  for (const kind of ["label", "value", "secondary", "header"]) {
    assert.ok(uhd[kind] >= fhd[kind] * 1.9, `${kind}: ${uhd[kind]}px at 4K, ${fhd[kind]}px at 1080p`);
  }
  const live = await page.evaluate(headerLine);
  assert.ok(live.fontSize > fhdHeader.fontSize, "the header scales with the screen");
  await screenshot(page, "wallboard-sizes-4k");

  // The server goes: the banner says so, and the header keeps to one line at both sizes.
  await server.stop();
  await page.waitForFunction(() => !document.querySelector("[data-role=stale]").hidden, null, WAIT);
  await page.waitForFunction(() => document.querySelector("[data-role=connection]").dataset.state !== "live", null, WAIT);
  for (const [name, viewport] of [
    ["4K", UHD],
    ["1080p", FHD],
  ]) {
    await page.setViewportSize(viewport);
    const header = await page.evaluate(headerLine);
    console.log(`${name} header while reconnecting: ${header.fontSize}px type, ${Math.round(header.height)}px high:`, header.lines.map((line) => line.text).join(" | "));
    await screenshot(page, `wallboard-sizes-reconnecting-${name}`);
    assert.ok(header.lines.some((line) => /^Reconnecting — figures from/.test(line.text)), JSON.stringify(header.lines));
    for (const line of header.lines) {
      assert.ok(line.oneLine, `${name}: "${line.text}" wraps`);
      assert.equal(line.cut, false, `${name}: "${line.text}" is cut`);
    }
    assert.ok(header.sideBySide, `${name}: the header's parts are not on one line: ${JSON.stringify(header.lines)}`);
    assert.ok(header.width, `${name}: the header is wider than the screen`);
  }
  console.table(table.splice(0));
  assert.deepEqual(
    // Browsers log the refused reconnection attempts; nothing else may fail.
    errors.filter((error) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(error)),
    [],
  );
});

test("German at 1080p: 4, 8 and 12 queues and a chat lane, the floors kept, no label cut or shortened; the header on one line while reconnecting", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, { locale: "de-DE" });
  for (const count of [4, 8, 12]) {
    const { pages, seen } = await pagesOf(page, server, QUEUES.slice(0, count));
    for (const { page: number, measured } of seen) {
      const what = `German, ${count} queues, page ${number} of ${pages}`;
      record(`1080p de ${count} queues, page ${number} of ${pages}`, measured);
      assertReadable(measured, what);
      assert.equal(measured.page, pages > 1 ? `Seite ${number} von ${pages}` : "", what);
    }
    await screenshot(page, `wallboard-sizes-de-${count}-queues`);
  }
  const labels = await page.evaluate(() => [...document.querySelectorAll(".board > .tile:not([hidden]) .label")].map((label) => label.textContent));
  assert.ok(labels.includes("Wartende Anrufe") && labels.includes("Servicelevel heute"), labels.join(" | "));

  // The demo's mix with a chat lane, and a chat tile with room for all its figures.
  const { seen: mix } = await pagesOf(page, server, DEMO_MIX);
  record("1080p de 4 voice + chat + total", mix[0].measured);
  assertReadable(mix[0].measured, "German, the demo's mix");
  const { seen: few } = await pagesOf(page, server, ["webchat", "support"]);
  record("1080p de chat + voice + total", few[0].measured);
  assertReadable(few[0].measured, "German, a chat tile with room");
  for (const figure of ["answered", "abandoned", "asa", "first-response", "average-first-response", "places", "concurrency", "capacity-occupancy"]) {
    assert.ok(few[0].measured.chatFigures.webchat.includes(figure), `${figure}: ${few[0].measured.chatFigures.webchat}`);
  }
  await screenshot(page, "wallboard-sizes-de-chat-few");
  console.log("Measured font sizes in German (px; smallest of each kind on the page):");
  console.table(table.splice(0));

  // The server goes: the German banner and the badge keep the header to one line at 1080p and 4K.
  await page.goto(`${server.http}/wallboard?queues=${QUEUES.slice(0, 8).join(",")}&rotate=600${SIGN_IN}`);
  await waitFigures(page);
  await server.stop();
  await page.waitForFunction(() => !document.querySelector("[data-role=stale]").hidden, null, WAIT);
  for (const [name, viewport] of [
    ["1080p", FHD],
    ["4K", UHD],
  ]) {
    await page.setViewportSize(viewport);
    const header = await page.evaluate(headerLine);
    assert.ok(header.lines.some((line) => /^(Neuverbindung|Nicht verbunden) — Stand \d\d:\d\d:\d\d$/.test(line.text)), JSON.stringify(header.lines));
    for (const line of header.lines) {
      assert.ok(line.oneLine, `German, ${name}: "${line.text}" wraps`);
      assert.equal(line.cut, false, `German, ${name}: "${line.text}" is cut`);
    }
    assert.ok(header.sideBySide, `German, ${name}: the header's parts are not on one line: ${JSON.stringify(header.lines)}`);
    assert.ok(header.width, `German, ${name}: the header is wider than the screen`);
    await screenshot(page, `wallboard-sizes-de-reconnecting-${name}`);
  }
  assert.deepEqual(
    errors.filter((error) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(error)),
    [],
  );
});
