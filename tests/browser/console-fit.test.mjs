// The supervisor's console on the built-in demo at 1440×900 in a real Chromium (GitHub issue 21):
// no table scrolls sideways or cuts a column, every header is whole; the Agents sort by state and
// by name from their column headers (mouse and keyboard), again to reverse, and the sort is kept
// across a reload. Screenshots go to the artifacts (target/browser-artifacts/console-fit-*.png).

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { ARTIFACTS, launchBrowser, signIn, startServer, watchErrors } from "./harness.mjs";
import { STATE_SORT_ORDER } from "../../web/supervisor-state.js";

const LIMIT = 90000;
const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** How the page and each table fit: widths, and the header or body cells whose content is cut. */
function measure(page) {
  return page.evaluate(() => {
    const cut = (cell) => cell.scrollWidth > cell.clientWidth + 1;
    return {
      page: { scrollWidth: document.documentElement.scrollWidth, innerWidth },
      tables: [...document.querySelectorAll("table.grid")]
        .filter((table) => table.offsetParent !== null)
        .map((table) => {
          const wrap = table.parentElement;
          const box = wrap.getBoundingClientRect();
          return {
            table: table.dataset.role,
            scrollWidth: table.scrollWidth,
            containerScrollWidth: wrap.scrollWidth,
            containerClientWidth: wrap.clientWidth,
            headers: [...table.querySelectorAll("thead th")]
              .filter((th) => th.offsetParent !== null)
              .filter((th) => {
                const r = th.getBoundingClientRect();
                return cut(th) || r.left < box.left - 1 || r.right > box.right + 1;
              })
              .map((th) => th.textContent.trim()),
            cells: [...table.querySelectorAll("tbody th, tbody td, tbody select, tfoot th, tfoot td")]
              .filter((cell) => cell.offsetParent !== null && cut(cell))
              .map((cell) => cell.textContent.trim().slice(0, 40)),
          };
        }),
    };
  });
}

/** The agent rows as shown: name and state, top to bottom. */
function agentRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("[data-role=agents] tr")].map((tr) => ({
      name: tr.querySelector(".name").textContent,
      state: tr.dataset.state,
    })),
  );
}

function assertByState(rows, descending) {
  const rank = (state) => STATE_SORT_ORDER.indexOf(state);
  for (let i = 1; i < rows.length; i += 1) {
    const [a, b] = [rows[i - 1], rows[i]];
    const order = (rank(a.state) - rank(b.state)) * (descending ? -1 : 1);
    assert.ok(order < 0 || (order === 0 && collator.compare(a.name, b.name) <= 0), `by state: ${JSON.stringify(rows)}`);
  }
}

function assertByName(rows, descending) {
  const names = rows.map((row) => row.name);
  const sorted = [...names].sort(collator.compare);
  assert.deepEqual(names, descending ? sorted.reverse() : sorted);
}

const sortOf = (page, label) =>
  page.evaluate((text) => {
    const button = [...document.querySelectorAll(".agents-grid thead button")].find((b) => b.textContent === text);
    return button.closest("th").getAttribute("aria-sort");
  }, label);

test("the console fits 1440×900 and sorts its agents, kept across a reload", { timeout: 240000 }, async (t) => {
  const server = await startServer({ demo: true });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${server.http}/supervisor`);
  await page.evaluate(() => localStorage.clear());
  await signIn(page, "supervisor", "demo");
  await page.locator("[data-role=console][data-view=live]").waitFor({ timeout: LIMIT });
  // The demo's agents log in and take calls: wait for some on a call, so the wide cells show.
  await page.locator("[data-role=agents] tr[data-state=on_call]").first().waitFor({ timeout: LIMIT });
  await page.locator("[data-role=calls] tr").first().waitFor({ timeout: LIMIT });

  const fit = await measure(page);
  await shot(page, "console-fit-1440x900");
  assert.ok(fit.page.scrollWidth <= fit.page.innerWidth, `the page scrolls sideways: ${JSON.stringify(fit.page)}`);
  assert.deepEqual(
    fit.tables.map((table) => table.table).sort(),
    ["agents-table", "calls-table", "displays-table", "queues-table", "staffing-table"],
  );
  for (const table of fit.tables) {
    assert.ok(table.scrollWidth <= table.containerClientWidth, `${table.table} wider than its container: ${JSON.stringify(table)}`);
    assert.ok(table.containerScrollWidth <= table.containerClientWidth, `${table.table} scrolls sideways: ${JSON.stringify(table)}`);
    assert.deepEqual(table.headers, [], `${table.table}: headers cut`);
    assert.deepEqual(table.cells, [], `${table.table}: cells cut`);
  }

  // Sort by state: a click on the header; again to reverse.
  const stateHeader = page.locator(".agents-grid thead").getByRole("button", { name: "State" });
  await stateHeader.click();
  assert.equal(await sortOf(page, "State"), "ascending");
  assert.equal(await sortOf(page, "Agent"), null);
  assertByState(await agentRows(page), false);
  await stateHeader.click();
  assert.equal(await sortOf(page, "State"), "descending");
  assertByState(await agentRows(page), true);

  // By name, from the keyboard.
  const nameHeader = page.locator(".agents-grid thead").getByRole("button", { name: "Agent" });
  await nameHeader.focus();
  await page.keyboard.press("Enter");
  assert.equal(await sortOf(page, "Agent"), "ascending");
  assert.equal(await sortOf(page, "State"), null);
  assertByName(await agentRows(page), false);
  await page.keyboard.press("Space");
  assert.equal(await sortOf(page, "Agent"), "descending");
  assertByName(await agentRows(page), true);
  await shot(page, "console-fit-1440x900-sorted");

  // Kept across a reload (the session resumes from its token).
  await page.reload();
  await page.locator("[data-role=console][data-view=live]").waitFor({ timeout: LIMIT });
  await page.locator("[data-role=agents] tr").first().waitFor({ timeout: LIMIT });
  assert.equal(await sortOf(page, "Agent"), "descending");
  assertByName(await agentRows(page), true);
  await stateHeader.click();
  assertByState(await agentRows(page), false);

  // Still fits with the sort arrows in the headers.
  const sorted = await measure(page);
  assert.ok(sorted.page.scrollWidth <= sorted.page.innerWidth);
  for (const table of sorted.tables) {
    assert.ok(table.containerScrollWidth <= table.containerClientWidth, `${table.table} scrolls sideways: ${JSON.stringify(table)}`);
    assert.deepEqual(table.headers, [], `${table.table}: headers cut`);
  }

  await page.setViewportSize({ width: 1920, height: 1080 });
  await shot(page, "console-fit-1920x1080");
  assert.deepEqual(errors, []);
});
