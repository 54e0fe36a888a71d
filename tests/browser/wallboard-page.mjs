// What the wallboard's tests look at on its page, shared by wallboard-sizes.test.mjs,
// ticker.test.mjs, displays.test.mjs and wallboard.test.mjs: whether the board is live with its
// figures, the sizes of what the tiles show and whatever does not fit, and what the screen keeps.

/** Live, and every tile on the page showing has its figures. */
export async function waitFigures(page, wait = { timeout: 60000 }) {
  await page.waitForFunction(
    () => {
      const tiles = [...document.querySelectorAll(".board > .tile:not([hidden])")];
      return (
        document.querySelector("[data-role=connection]")?.dataset.state === "live" &&
        tiles.length > 0 &&
        !document.body.classList.contains("is-stale") &&
        tiles.every((tile) => /^\d+$/.test(tile.querySelector("[data-figure=waiting]").textContent))
      );
    },
    null,
    wait,
  );
}

/**
 * Runs in the page: the font sizes of the visible tiles' labels, key figures and other figures
 * (smallest of each, and the key figures' own) and of the ticker (null when none shows), and
 * what does not fit: a tile outside the screen or under the ticker's band, a tile whose body
 * scrolls, a text wider than its box or outside its tile.
 */
export function measure() {
  const visible = (element) => element.checkVisibility() && element.getClientRects().length > 0;
  const px = (element) => Number.parseFloat(getComputedStyle(element).fontSize);
  const tiles = [...document.querySelectorAll(".board > .tile")].filter(visible);
  const within = (inner, outer) =>
    inner.left >= outer.left - 1 && inner.right <= outer.right + 1 && inner.top >= outer.top - 1 && inner.bottom <= outer.bottom + 1;
  const sizes = { label: [], value: [], secondary: [], waiting: [], oldest: [], serviceLevel: [] };
  const problems = [];
  const screen = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
  const band = document.querySelector("[data-role=ticker]");
  const ticker = band && visible(band) ? band.getBoundingClientRect() : null;
  for (const tile of tiles) {
    const name = tile.dataset.queue ?? "total";
    const box = tile.getBoundingClientRect();
    if (!within(box, screen)) problems.push(`${name}: the tile is outside the screen`);
    if (ticker && box.bottom > ticker.top + 1) problems.push(`${name}: the ticker covers the tile (${box.bottom} > ${ticker.top})`);
    const body = tile.querySelector(".tile-body");
    if (body.scrollHeight > body.clientHeight + 1 || body.scrollWidth > body.clientWidth + 1) {
      problems.push(`${name}: the tile's figures overflow it (${body.scrollWidth}x${body.scrollHeight} in ${body.clientWidth}x${body.clientHeight})`);
    }
    const groups = {
      label: ".tile-name, .channel, .label, .note, .standing, .target",
      value: "[data-figure=waiting], [data-figure=oldest], [data-figure=service-level]",
      secondary: ".row .value",
    };
    for (const [kind, selector] of Object.entries(groups)) {
      for (const element of tile.querySelectorAll(selector)) {
        if (!visible(element) || !element.textContent.trim()) continue;
        sizes[kind].push(px(element));
        const text = document.createRange();
        text.selectNodeContents(element);
        const cut = getComputedStyle(element).display !== "inline" && (element.scrollWidth > element.clientWidth + 1 || text.getBoundingClientRect().width > element.clientWidth + 1);
        if (cut) {
          problems.push(`${name}: "${element.textContent}" is cut (${element.scrollWidth} > ${element.clientWidth})`);
        }
        if (!within(element.getBoundingClientRect(), box)) problems.push(`${name}: "${element.textContent}" is outside its tile`);
        if (element.textContent.includes("…")) problems.push(`${name}: "${element.textContent}" is shortened`);
      }
    }
    // The tile's blocks (name, live figures, service level, rows of figures) one below the other.
    const blocks = [...tile.querySelectorAll(".tile-head, .hero, .service-level, .today, .conversations > .row, .agents")].filter(visible);
    for (const [i, a] of blocks.entries()) {
      for (const b of blocks.slice(i + 1)) {
        const r = a.getBoundingClientRect();
        const q = b.getBoundingClientRect();
        const overlap = Math.min(r.right, q.right) - Math.max(r.left, q.left) > 1 && Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top) > 1;
        if (overlap) problems.push(`${name}: ${a.className} overlaps ${b.className}`);
      }
    }
    sizes.waiting.push(px(tile.querySelector("[data-figure=waiting]")));
    sizes.oldest.push(px(tile.querySelector("[data-figure=oldest]")));
    sizes.serviceLevel.push(px(tile.querySelector("[data-figure=service-level]")));
  }
  const smallest = (list) => (list.length ? Math.min(...list) : null);
  return {
    tiles: tiles.map((tile) => tile.dataset.queue ?? "total"),
    /** The figures each chat tile shows (visible), by tile. */
    chatFigures: Object.fromEntries(
      tiles
        .filter((tile) => tile.hasAttribute("data-conversations"))
        .map((tile) => [tile.dataset.queue, [...tile.querySelectorAll("[data-figure]")].filter(visible).map((element) => element.dataset.figure)]),
    ),
    tileSize: tiles.length ? `${Math.round(tiles[0].getBoundingClientRect().width)}x${Math.round(tiles[0].getBoundingClientRect().height)}` : "",
    label: smallest(sizes.label),
    value: smallest(sizes.value),
    secondary: smallest(sizes.secondary),
    waiting: smallest(sizes.waiting),
    oldest: smallest(sizes.oldest),
    serviceLevel: smallest(sizes.serviceLevel),
    header: Number.parseFloat(getComputedStyle(document.querySelector(".wb-header")).fontSize),
    ticker: ticker ? px(band.querySelector("[data-role=ticker-text]")) : null,
    pageNumber: Number(document.querySelector(".board").dataset.page),
    page: document.querySelector("[data-role=page]").hidden ? "" : document.querySelector("[data-role=page]").textContent,
    scrolls: document.documentElement.scrollHeight > innerHeight || document.documentElement.scrollWidth > innerWidth,
    problems,
  };
}

/**
 * Runs in the page: what the wallboard keeps on the screen (its own entries of localStorage,
 * by key). The rung a client remembers (`acdhub.rung`) and the language are no credential.
 */
export function keptOnScreen() {
  return Object.fromEntries(Object.entries(localStorage).filter(([key]) => key.startsWith("acdhub.wallboard.")));
}
