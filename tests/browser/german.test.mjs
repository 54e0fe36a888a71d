// The pages in German and English, in Chromium on the built-in demo (live figures: agents on
// calls, today's service levels). A browser whose language is German (playwright's `locale:
// "de-DE"`: navigator.languages, Intl) gets the landing page, the supervisor's console, the
// wallboard and the connection check in German, with German figures ("87,2 %", "14:05:09")
// and none of the English words the pages would otherwise show; the console still fits
// 1440x900. The WebAgent, on a test tenant with the PBX and a chat played from Node: signed in,
// logged in to the ACD (Einbuchen, beside the page's Anmelden), a call ringing, on the call
// (held, the transfer targets with their details), in wrap-up with the disposition form, My day
// and a chat, all in German. The switch in each page's bar goes to English and back, the choice is kept
// (localStorage) across reloads and for every page, and a signed-in console or wallboard comes
// back signed in. An English browser gets English, and the HTML's own text is what the English
// table says. Screenshots: target/browser-artifacts/german-*.png.
// Run: node --test --test-concurrency=1 german.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, screenshot, startServer, toml, watchErrors } from "./harness.mjs";
import { messaging, telephony } from "./connectors.mjs";

const LIMIT = 90000;
const TEST = { timeout: 300000 };
const WAIT = { timeout: LIMIT };
/** The connection check, short: four ticks a stream, a two-second idle check. */
const QUICK_CHECK = "/diagnostics?ticks=4&interval=100&idle=2&polls=2&wait=200";

/**
 * English words the pages say that must not show on a German page (whole words, any case).
 * What the demo's configuration names (queues "Customer Support", "Sales", "VIP Line",
 * "General Enquiries", "Web Chat"; reasons "Break", "Lunch", "Training", "Meeting",
 * "Coaching"; agents' names) is the tenant's, not the pages', and is left out; so are words
 * both languages use (Agent, Status, Server, Browser, Chat, Supervisor, Wallboard, WebAgent,
 * Offline).
 */
const ENGLISH = [
  "queue", "queues", "waiting", "ready", "not ready", "on call", "wrap-up", "logged in", "logged out", "answered",
  "abandoned", "service level", "today", "target", "on target", "below target", "agents", "calls", "call", "caller",
  "ringing", "connected", "channel", "all channels", "voice", "sign in", "sign out", "user name", "password", "log out",
  "pending", "set", "clear", "move", "priority", "total", "time", "staffing", "needs", "working", "expected", "what if",
  "hang up", "busy", "places taken", "first response", "longest wait", "oldest wait", "page", "avg", "no calls",
  "connection check", "results", "works", "checking", "connection", "result", "measured", "what to do", "idle",
  "report", "copy", "check again", "messages", "first message", "late", "your", "pick", "screen", "health",
  "built-in", "trouble", "minutes", "seconds", "from the last", "skip", "dismiss", "done", "could not",
];
/**
 * The English words of the WebAgent, besides the pages' (ENGLISH): none may show on it in German.
 * The tenant's names in its test configuration are German.
 */
const AGENT_ENGLISH = [
  ...ENGLISH, "my state", "log in", "logged", "hold", "on hold", "resume", "transfer", "transfer to", "accept", "reject",
  "incoming", "dialled", "rings for", "talking for", "ring sound", "end wrap-up", "extend", "disposition", "notes",
  "save notes", "saved", "required", "choose", "none", "my queues", "my day", "handled", "average handle time",
  "occupancy", "last calls", "duration", "state", "unknown", "after this call", "conversations", "new", "open",
  "unread", "send", "close chat", "accept chat", "message", "wrote", "you", "still", "nothing", "seconds",
];

/** German words the pages say that must not show on an English page. */
const GERMAN = [
  "Warteschlange", "Warteschlangen", "Wartend", "Bereit", "Nicht bereit", "Im Gespräch", "Nachbearbeitung",
  "Abgemeldet", "Angemeldet", "Angenommen", "Abgebrochen", "Servicelevel", "Ziel", "Agenten", "Anrufe", "Anruf",
  "Klingelt", "Kanal", "Anmelden", "Abmelden", "Passwort", "Benutzername", "Gesamt", "heute", "Personalbedarf",
  "Verbindungsprüfung", "Funktioniert", "Ergebnisse", "Bericht", "Längste", "Wartezeit", "Verbunden", "Seite",
];

/** Any of `list` as a whole word (no letter or hyphen either side), in any case. */
const words = (list) => new RegExp(`(?<![\\p{L}-])(${list.join("|")})(?![\\p{L}-])`, "giu");

/** The visible text of the elements matching `selector`, one string (soft hyphens removed). */
function visibleText(page, selector) {
  return page.evaluate(
    (s) =>
      [...document.querySelectorAll(s)]
        .filter((element) => element.checkVisibility())
        .map((element) => element.innerText)
        .join("\n")
        .replaceAll("\u00AD", ""),
    selector,
  );
}

/**
 * The attributes a person may meet (titles, accessible names, placeholders) of the elements in
 * `selector`, but the language switch's (it speaks the other language on purpose).
 */
function attributeText(page, selector) {
  return page.evaluate((s) => {
    const texts = [];
    for (const root of document.querySelectorAll(s)) {
      for (const element of [root, ...root.querySelectorAll("*")]) {
        if (element.dataset.role === "language") continue;
        for (const name of ["title", "aria-label", "placeholder", "label"]) {
          const value = element.getAttribute(name);
          if (value) texts.push(value);
        }
      }
    }
    return texts.join("\n");
  }, selector);
}

/** Asserts that `text` has none of `list`'s words, naming those it has. */
function assertNone(text, list, what) {
  const found = [...new Set([...text.matchAll(words(list))].map((match) => match[0]))];
  assert.deepEqual(found, [], `${what}: ${found.join(", ")} in:\n${text}`);
}

/** The console's fit at its size: no sideways scroll of the page or a table, no header cut. */
function consoleFit(page) {
  return page.evaluate(() => {
    const cut = (cell) => cell.scrollWidth > cell.clientWidth + 1;
    return {
      page: document.documentElement.scrollWidth <= innerWidth,
      tables: [...document.querySelectorAll("table.grid")]
        .filter((table) => table.offsetParent !== null)
        .map((table) => ({
          table: table.dataset.role,
          fits: table.parentElement.scrollWidth <= table.parentElement.clientWidth,
          headersCut: [...table.querySelectorAll("thead th")].filter((th) => th.offsetParent !== null && cut(th)).map((th) => th.textContent),
        })),
    };
  });
}

async function setUp(t, locale) {
  const server = await startServer({ demo: true });
  const browser = await launchBrowser({ locale });
  t.after(async () => {
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors = watchErrors(page);
  return { server, browser, page, errors };
}

/** Presses the page's language switch (`selector`), which reloads the page; resolves once it has. */
async function switchLanguage(page, selector = "[data-role=language]") {
  await Promise.all([page.waitForEvent("load"), page.locator(selector).click()]);
}

/** Signs the console in with its German form. */
async function signInGerman(page, user) {
  await page.getByLabel("Benutzername").fill(user);
  await page.getByLabel("Passwort").fill("demo");
  await page.getByRole("button", { name: "Anmelden" }).click();
}

/** The console live, with agents on calls (the demo's agents log in and take calls). */
async function consoleLive(page) {
  await page.locator("[data-role=console][data-view=live]").waitFor(WAIT);
  await page.locator("[data-role=agents] tr[data-state=on_call]").first().waitFor(WAIT);
  await page.locator('[data-role=staffing] tr[data-state="answered"]').first().waitFor(WAIT);
}

/** The wallboard live, every tile with its figures. */
async function wallboardLive(page) {
  await page.waitForFunction(
    () => {
      const tiles = [...document.querySelectorAll(".board > .tile:not([hidden])")];
      return (
        document.querySelector("[data-role=connection]")?.dataset.state === "live" &&
        tiles.length > 0 &&
        tiles.every((tile) => /^\d+$/.test(tile.querySelector("[data-figure=waiting]").textContent) && /%/.test(tile.querySelector("[data-figure=service-level]").textContent))
      );
    },
    null,
    WAIT,
  );
}

test("a German browser: the landing page, the console, the wallboard and the connection check speak German, with German figures", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, "de-DE");
  assert.deepEqual(await page.evaluate(() => navigator.languages), ["de-DE"]);

  // The landing page.
  await page.goto(`${server.http}/`);
  await page.getByText("Wählen Sie, wofür dieser Bildschirm ist").waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
  // The wallboard's address in the text is an address, not English.
  const landing = (await visibleText(page, "header, main, footer")).replace(/\/wallboard\?\S+/g, "");
  for (const text of ["Verbindungsprüfung", "Dies ist die eingebaute Demo", "drücken Sie Bereit", "Version "]) assert.match(landing, new RegExp(text), text);
  assert.equal((await page.locator("[data-role=language]").textContent()).trim(), "English");
  assertNone(landing, ENGLISH, "the landing page");
  await screenshot(page, "german-index");

  // The console at 1440x900.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${server.http}/supervisor`);
  await page.getByRole("heading", { name: "Supervisor-Anmeldung" }).waitFor(WAIT);
  await signInGerman(page, "supervisor");
  await consoleLive(page);
  assert.equal(await page.locator("[data-role=connection]").textContent(), "Verbunden");
  const headers = await visibleText(page, ".queues-grid thead");
  for (const header of ["Warteschlange", "Kanal", "Wartend", "Längste Wartezeit", "Im Gespräch", "Nachbearbeitung", "Nicht bereit", "Servicelevel heute", "Abgebrochen", "Ø Wartezeit"]) {
    assert.ok(headers.replace(/\s+/g, " ").includes(header), `${header} in ${headers}`);
  }
  // Service levels with a decimal comma, the target in German, durations as m:ss.
  const level = await page.locator("[data-queue=support] [data-role=service-level] .sl-value").textContent();
  assert.match(level, /^\d{1,3},\d %$/, level);
  assert.equal(await page.locator("[data-queue=support] [data-role=service-level] .sl-target").textContent(), "Ziel 80 % in 20 s");
  assert.match(await page.locator("[data-queue=support] [data-role=service-level] .sl-verdict").textContent(), /^(im Ziel|unter Ziel)$/);
  assert.equal((await page.locator("[data-queue=support] [data-role=channel]").textContent()).trim(), "Telefon");
  assert.equal((await page.locator("[data-role=totals-row] th").textContent()).trim(), "Gesamt");
  assert.match(await page.locator("[data-role=agent-count]").textContent(), /^\d+ Agenten · .*\d+ im Gespräch/);
  assert.equal(await page.locator("[data-role=agents] tr[data-state=on_call] [data-role=state]").first().textContent(), "Im Gespräch");
  const staffing = await page.locator('[data-role=staffing] tr[data-state="answered"] [data-role=staffing-headline]').first().textContent();
  assert.match(staffing, /^Benötigt \d+ Agent(en)? für \d+ % in \d+ s · \d+ im Einsatz$/, staffing);
  const expected = await page.locator('[data-role=staffing] tr[data-state="answered"] [data-role=staffing-expected]').first().textContent();
  assert.match(expected, /^\d{1,3},\d % in \d+ s, Ø Wartezeit (\d+,\d s|\d+:\d\d)/, expected);
  assert.match(await page.locator("[data-role=staffing-model]").first().textContent(), /^Erlang [AC], aus den letzten \d+ Minuten$/);
  const sortTitle = await page.locator(".agents-grid thead button[data-sort-key=name]").getAttribute("title");
  assert.equal(sortTitle, "Nach Agent sortieren");
  assertNone(await visibleText(page, ".topbar, .console"), ENGLISH, "the console");
  assertNone(await attributeText(page, ".console, .topbar"), ENGLISH, "the console's titles and labels");
  const fit = await consoleFit(page);
  assert.ok(fit.page, "the page scrolls sideways in German");
  for (const table of fit.tables) {
    assert.ok(table.fits, `${table.table} scrolls sideways in German`);
    assert.deepEqual(table.headersCut, [], `${table.table}: headers cut in German`);
  }
  await screenshot(page, "german-supervisor");

  // The wallboard at 1920x1080, signed in from its address.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${server.http}/wallboard#user=wallboard&password=demo`);
  await wallboardLive(page);
  const board = await visibleText(page, ".wb-header, .board");
  for (const text of ["Wartende Anrufe", "Längste Wartezeit", "Servicelevel heute", "Angenommen", "Abgebrochen", "Ø Wartezeit", "Gesamt", "Bereit", "Gespräch", "Verbunden", "Abmelden"]) {
    assert.ok(board.includes(text), `${text} on the wallboard`);
  }
  assert.match(await page.locator("[data-queue=support] [data-figure=service-level-target]").textContent(), /^Ziel 80 % in 20 s$/);
  assert.match(await page.locator("[data-queue=support] [data-figure=service-level]").textContent(), /^\d{1,3} %$/);
  assert.match(await page.locator("[data-queue=support] [data-figure=service-level-state]").textContent(), /^(✓ Im Ziel|! Knapp unter Ziel|✗ Unter Ziel)$/);
  assert.equal(await page.locator("[data-total] h2").textContent(), "Gesamt");
  assert.equal(await page.locator("[data-total] [data-figure=channel]").textContent(), "alle Kanäle");
  // The clock in 24 hours, two digits each.
  assert.match(await page.locator("[data-role=clock]").textContent(), /^\d\d:\d\d:\d\d$/);
  assertNone(board, ENGLISH, "the wallboard");
  await screenshot(page, "german-wallboard");

  // The chat queue's tile with room for all its figures: concurrency with a decimal comma.
  await page.goto(`${server.http}/wallboard?queues=chat,support`);
  await wallboardLive(page);
  await page.waitForFunction(() => /^\d+,\d$/.test(document.querySelector("[data-queue=chat] [data-figure=concurrency]")?.textContent ?? ""), null, WAIT);
  const chat = await visibleText(page, "[data-queue=chat]");
  for (const text of ["Erste Antwort ≤", "Belegte Plätze", "Parallelität", "Kapazität genutzt", "Ø erste Antwort", "Angenommen"]) assert.ok(chat.includes(text), `${text} on the chat tile`);
  assert.match(await page.locator("[data-queue=chat] [data-figure=places]").textContent(), /^\d+ von \d+$/);
  assertNone(chat, ENGLISH, "the chat tile");

  // The connection check, and its report for support.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.http}${QUICK_CHECK}`);
  await page.locator("[data-role=overall][data-done=true]").waitFor(WAIT);
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Ihr WebAgent verwendet: WSS");
  assert.match(await page.locator("[data-rung=poll] th").textContent(), /^Long-Polling/);
  assert.match(await page.locator("[data-rung=wss] .figures").textContent(), /^erste Nachricht nach \d+ ms; 4 von 4 Nachrichten; bis zu/);
  await page.getByRole("button", { name: "Eine ruhende Verbindung 2 Sekunden lang halten" }).click();
  await page.locator("[data-role=idle-results] [data-rung=sse] .verdict[data-status=works]").waitFor(WAIT);
  await page.getByText(/^Prüfung der ruhenden Verbindung abgeschlossen\./).waitFor(WAIT);
  assert.match(await page.locator("[data-role=idle-results] [data-rung=wss] .verdict").textContent(), /^Funktioniert: \d,\d s ruhend gehalten$/);
  const report = await page.locator("[data-role=report]").inputValue();
  assert.match(report, /^acdhub-Verbindungsprüfung\nDatum: /);
  assert.match(report, /\nWSS: Funktioniert\n {2}erste Nachricht nach/);
  assert.match(report, /\nRuhende Verbindung 2 s lang gehalten:\n/);
  const check = await visibleText(page, "header, main");
  assertNone(check, ENGLISH, "the connection check");
  assertNone(report.replace(/^(Seite|Browser|Endpunkte): .*$/gm, ""), ENGLISH, "the report");
  await screenshot(page, "german-diagnostics");
  assert.deepEqual(errors, []);
});

/**
 * A tenant for the WebAgent in German: a queue of calls that requires a disposition and a chat
 * queue, both served by agent3 alone; German names, as a German contact center gives them.
 */
const AGENT_TOML = [
  toml.channel({ id: "chat", name: "Web-Chat", capacity: 3 }),
  toml.callQueue({ id: "desk", name: "Kundendienst" }),
  `dispositions = [{ code = "resolved", label = "Gelöst" }, { code = "callback", label = "Rückruf vereinbart" }]
disposition_required = true
`,
  `
[[tenants.queues]]
id = "chat"
name = "Kundenchat"
channel = "chat"
ring_timeout_secs = 120
wrap_up_secs = 60
`,
  toml.agent({ id: "agent3", name: "Dana Desk", skills: { desk: 1, chat: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "pbx", role: "telephony" }),
  toml.login({ user: "widget", role: "messaging" }),
].join("");

test("a German browser on the WebAgent: signed in, logged in, a call ringing, on the call, in wrap-up with its disposition, My day and a chat; the switch to English and back", TEST, async (t) => {
  const server = await startServer({ extra: AGENT_TOML });
  const browser = await launchBrowser({ locale: "de-DE" });
  const pbx = await telephony(server.http);
  const widget = await messaging(server.http);
  t.after(async () => {
    await widget.close();
    await pbx.close();
    await browser.close().catch(() => {});
    await server.stop();
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors = watchErrors(page);
  const role = (name) => page.locator(`[data-role="${name}"]`);
  const state = (name) => page.locator(`[data-role="state"][data-state="${name}"]`).waitFor(WAIT);
  const button = (name) => page.getByRole("button", { name, exact: true });
  /** Everything a person may read or hear of the agent page now: none of it English. */
  const noEnglish = async (what) => {
    assertNone(await visibleText(page, "header, main"), AGENT_ENGLISH, what);
    assertNone(await attributeText(page, "header, main"), AGENT_ENGLISH, `${what}: titles and labels`);
  };

  // Signed in with the German form; logged out of the ACD: "Nicht eingebucht", and Einbuchen.
  await page.goto(`${server.http}/agent`);
  await page.getByRole("heading", { name: "Anmelden" }).waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
  assert.equal((await role("language").textContent()).trim(), "English");
  await noEnglish("the sign-in form");
  await page.getByLabel("Benutzername").fill("agent3");
  await page.getByLabel("Passwort").fill(PASSWORD);
  await button("Anmelden").click();
  await page.locator('[data-role="connection"][data-state="live"]').waitFor(WAIT);
  assert.equal(await role("connection").textContent(), "Verbunden");
  assert.equal(await role("state").textContent(), "Nicht eingebucht");
  assert.equal(await page.title(), "Nicht eingebucht · WebAgent");
  assert.equal(await button("Abmelden").isVisible(), true, "the page's sign-out");
  await noEnglish("signed in");

  // Logged in to the ACD, not ready after it, then ready.
  await button("Einbuchen").click();
  await state("not_ready");
  assert.equal(await role("reason").textContent(), "· Einbuchung");
  assert.equal(await button("Ausbuchen").isVisible(), true);
  assert.match(await page.locator("[data-role=state-since]").textContent(), /^seit \d+:\d\d$/);
  await role("queues").locator("tr[data-queue=desk]").waitFor(WAIT);
  await noEnglish("logged in");
  await button("Bereit").click();
  await state("ready");

  // A call rings.
  await pbx.arrive("de-1", { queue: "desk", caller: "+4930555020", data: { Kundennummer: "K-4711" } });
  await role("offer").waitFor({ state: "visible", ...WAIT });
  assert.equal(await page.locator("#offer-heading").textContent(), "Eingehender Anruf");
  assert.equal(await page.title(), "Eingehender Anruf · WebAgent");
  const offer = await visibleText(page, "[data-role=offer]");
  for (const text of ["Warteschlange", "Gewählte Nummer", "Klingelt noch", "Annehmen", "Ablehnen", "Klingelton", "Kundendienst"]) {
    assert.ok(offer.includes(text), `${text} in the offer:
${offer}`);
  }
  assert.equal(await button("Nach diesem Gespräch nicht bereit").isVisible(), true);
  assert.equal(await button("Nach diesem Gespräch ausbuchen").isVisible(), true);
  assert.equal(await role("sign-out").getAttribute("title"), "Erst das Gespräch und die Nachbearbeitung abschließen");
  await noEnglish("a call ringing");
  await screenshot(page, "german-agent-offer");

  // On the call: held and resumed; the transfer targets with how busy they are.
  await button("Annehmen").click();
  await state("on_call");
  assert.match(await page.locator("#call-heading").innerText(), /^Im Gespräch/);
  await button("Halten").click();
  await page.locator('[data-role="state"][data-state="on_hold"]').waitFor(WAIT);
  assert.equal(await role("state").textContent(), "Gehalten");
  assert.equal((await page.locator("#call-heading").innerText()).trim(), "Im Gespräch · gehalten");
  assert.match(await role("hold-line").innerText(), /^Gehalten seit \d+:\d\d$/);
  await noEnglish("on hold");
  await button("Zurückholen").click();
  await state("on_call");
  await role("transfer-targets").focus();
  await page.waitForFunction(() => [...document.querySelectorAll("[data-role=transfer-targets] option")].some((o) => / wartend · \d+ bereit$/.test(o.textContent)), null, WAIT);
  const targets = await role("transfer-targets").locator("option").allTextContents();
  assert.equal(targets[0], "Weiterleiten an…");
  assert.ok(targets.includes("Kundendienst — 0 wartend · 0 bereit"), targets.join(" | "));
  assert.deepEqual(await role("transfer-targets").locator("optgroup").evaluateAll((groups) => groups.map((g) => g.label)), ["Warteschlangen", "Agenten"]);
  assert.ok(targets.includes("Alex Becker — Nicht eingebucht"), targets.join(" | "));
  await noEnglish("on the call");
  await screenshot(page, "german-agent-call");

  // Wrap-up: the disposition form, End wrap-up held back until a code is saved.
  await button("Auflegen").click();
  await state("wrap_up");
  await role("disposition").waitFor({ state: "visible", ...WAIT });
  assert.match(await page.locator("[data-role=wrap-up] > p").first().innerText(), /^Endet automatisch in \d+:\d\d\.$/);
  assert.equal((await page.locator("label[for=disposition-code]").innerText()).trim(), "Abschlusscode (Pflicht)");
  assert.deepEqual(await role("disposition-code").locator("option").allTextContents(), ["Bitte wählen…", "Gelöst", "Rückruf vereinbart"]);
  const end = button("Nachbearbeitung beenden");
  assert.equal(await end.isDisabled(), true);
  assert.equal(await end.getAttribute("title"), "Wählen Sie zuerst einen Abschlusscode: Diese Warteschlange verlangt einen");
  assert.deepEqual(await role("extend-by").locator("option").allTextContents(), ["30 Sekunden", "1 Minute", "2 Minuten", "5 Minuten"]);
  await noEnglish("wrap-up");
  await page.getByLabel("Abschlusscode").selectOption("callback");
  await page.waitForFunction(() => document.querySelector("[data-role=disposition-status]").textContent === "Gespeichert: Rückruf vereinbart", null, WAIT);
  await page.getByLabel("Notizen").fill("Rückruf am Montag");
  await button("Notizen speichern").click();
  await page.waitForFunction(() => document.querySelector("[data-role=disposition-status]").textContent.startsWith("Gespeichert"), null, WAIT);
  await noEnglish("wrap-up, the disposition saved");
  await screenshot(page, "german-agent-wrap-up");
  await end.click();
  await state("ready");

  // My day: the call, its time of day in 24 hours, the states in German.
  const row = page.locator('[data-role="recent-calls"] tr[data-call="de-1"]');
  await row.waitFor(WAIT);
  const cells = await row.locator("td").allTextContents();
  assert.match(cells[0], /^\d\d:\d\d$/, cells[0]);
  assert.deepEqual(cells.slice(1, 3), ["+4930555020", "Kundendienst"]);
  assert.equal(cells[4], "Rückruf vereinbart");
  const day = await visibleText(page, "[data-role=my-day]");
  for (const text of ["Mein Tag", "Bearbeitete Anrufe", "Ø Bearbeitungszeit", "Auslastung", "Zeit heute", "Letzte Anrufe", "Uhrzeit", "Anrufer", "Dauer", "Abschlusscode", "Bereit", "Im Gespräch", "Nachbearbeitung", "Klingelt", "Nicht bereit"]) {
    assert.ok(day.includes(text), `${text} in My day:
${day}`);
  }
  await noEnglish("My day");

  // A chat beside the calls.
  await widget.arrive("chat-de-1", { queue: "chat", customer: "Jana Kunde", messages: ["Hallo, wo bleibt mein Paket?"] });
  await page.locator('[data-role="conversation-row"][data-conversation="chat-de-1"][data-status="offered"]').waitFor(WAIT);
  assert.match(await page.locator("[data-role=conversation-row]").innerText(), /Jana Kunde[\s\S]*Neu · Kundenchat · wartet \d+:\d\d/);
  assert.match(await role("countdown").innerText(), /^· Angebot endet in \d+:\d\d$/);
  await noEnglish("a chat offered");
  await button("Chat annehmen").click();
  await page.locator('[data-role="conversation-row"][data-status="open"]').waitFor(WAIT);
  assert.equal((await page.locator("label[for=composer-text]").innerText()).trim(), "Nachricht an Jana Kunde");
  await role("composer-text").fill("Ich sehe gleich nach.");
  await button("Senden").click();
  await widget.delivered("chat-de-1", "Ich sehe gleich nach.");
  await page.locator('[data-role="transcript"] .message[data-from="agent"]').waitFor(WAIT);
  assert.equal(await page.locator('[data-role="transcript"] .message[data-from="agent"] .who').textContent(), "Sie");
  assert.match(await page.locator('[data-role="transcript"] .message[data-from="agent"] time').textContent(), /^\d\d:\d\d$/);
  assert.match(await page.locator("[data-role=conversation-row]").innerText(), /Offen · Kundenchat · beantwortet/);
  await noEnglish("a chat open");
  await screenshot(page, "german-agent");

  // The switch: English (still signed in, logged in, the chat open), and back.
  await switchLanguage(page);
  await page.locator('[data-role="connection"][data-state="live"]').waitFor(WAIT);
  await state("ready");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.equal(await page.locator("#state-heading").textContent(), "My state");
  assert.equal(await role("state").textContent(), "Ready");
  assert.equal(await button("Log out").isVisible(), true);
  assert.equal(await button("Sign out").isVisible(), true);
  assert.equal((await role("language").textContent()).trim(), "Deutsch");
  await page.locator('[data-role="conversation-row"][data-status="open"]').waitFor(WAIT);
  assert.match(await page.locator("[data-role=conversation-row]").innerText(), /Open · Kundenchat/);
  assertNone((await visibleText(page, "header, main")).replace("Deutsch", ""), GERMAN, "the agent page in English");
  await switchLanguage(page);
  await page.locator('[data-role="connection"][data-state="live"]').waitFor(WAIT);
  await state("ready");
  assert.equal(await page.locator("#state-heading").textContent(), "Mein Status");
  assert.equal(await button("Ausbuchen").isVisible(), true);
  await noEnglish("back in German");
  assert.deepEqual(errors, []);
});

test("the switch: English and back on every page, kept across reloads and pages; a signed-in console and wallboard stay signed in", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, "de-DE");
  const language = () => page.evaluate(() => document.documentElement.lang);
  const stored = () => page.evaluate(() => localStorage.getItem("acdhub.language"));

  // The landing page: German from the browser; the switch names English, in English.
  await page.goto(`${server.http}/`);
  const toEnglish = page.locator("[data-role=language]");
  assert.equal((await toEnglish.textContent()).trim(), "English");
  assert.equal(await toEnglish.getAttribute("lang"), "en");
  assert.equal(await toEnglish.getAttribute("title"), "Show the pages in English");
  assert.equal(await stored(), null);
  await switchLanguage(page);
  await page.getByText("Pick what this screen is for").waitFor(WAIT);
  assert.equal(await language(), "en");
  assert.equal(await stored(), "en");
  await page.reload();
  await page.getByText("Pick what this screen is for").waitFor(WAIT);
  assert.equal((await page.locator("[data-role=language]").textContent()).trim(), "Deutsch");
  assert.equal(await page.locator("[data-role=language]").getAttribute("title"), "Die Seiten auf Deutsch anzeigen");

  // Every page of the server follows the choice.
  await page.goto(`${server.http}${QUICK_CHECK}`);
  await page.locator("[data-role=overall][data-done=true]").waitFor(WAIT);
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Your WebAgent will use: WSS");
  await switchLanguage(page);
  await page.locator("[data-role=overall][data-done=true]").waitFor(WAIT);
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Ihr WebAgent verwendet: WSS");
  assert.equal(await stored(), "de");

  // The console, signed in: the switch reloads it in the other language, still signed in and live.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${server.http}/supervisor`);
  await signInGerman(page, "supervisor");
  await consoleLive(page);
  await switchLanguage(page);
  await consoleLive(page);
  assert.equal(await language(), "en");
  assert.equal(await page.locator("#queues-heading").textContent(), "Queues");
  assert.equal(await page.locator("[data-role=connection]").textContent(), "Live");
  assert.match(await page.locator("[data-queue=support] [data-role=service-level] .sl-value").textContent(), /^\d{1,3}\.\d %$/);
  await page.reload();
  await consoleLive(page);
  assert.equal(await page.locator("#queues-heading").textContent(), "Queues", "kept across a reload");
  await switchLanguage(page);
  await consoleLive(page);
  assert.equal(await page.locator("#queues-heading").textContent(), "Warteschlangen");

  // The wallboard, signed in (kept on the screen): the same.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${server.http}/wallboard#user=wallboard&password=demo`);
  await wallboardLive(page);
  assert.equal(await page.locator("[data-total] h2").textContent(), "Gesamt");
  await switchLanguage(page);
  await wallboardLive(page);
  assert.equal(await page.locator("[data-total] h2").textContent(), "All queues");
  assert.equal(await page.locator("[data-queue=support] .figure-waiting .label").textContent(), "Calls waiting");
  await page.reload();
  await wallboardLive(page);
  assert.equal(await page.locator("[data-total] h2").textContent(), "All queues", "kept across a reload");
  assert.equal(await stored(), "en");
  await switchLanguage(page);
  await wallboardLive(page);
  assert.equal(await page.locator("[data-total] h2").textContent(), "Gesamt");
  assert.equal(await stored(), "de");
  assert.deepEqual(errors, []);
});

test("an English browser: every page in English, the switch offers German, and the HTML's own text is the English table's", TEST, async (t) => {
  const { server, page, errors } = await setUp(t, "en-US");
  const { translator } = await import("../../web/i18n.js");
  const tables = {
    "/": (await import("../../web/index-messages.js")).INDEX_MESSAGES,
    "/supervisor": (await import("../../web/supervisor-messages.js")).SUPERVISOR_MESSAGES,
    "/wallboard": (await import("../../web/wallboard-messages.js")).WALLBOARD_MESSAGES,
    "/diagnostics": (await import("../../web/diagnostics-messages.js")).DIAGNOSTICS_MESSAGES,
    "/agent": (await import("../../web/agent-messages.js")).AGENT_MESSAGES,
  };
  await page.goto(`${server.http}/`);
  for (const [path, messages] of Object.entries(tables)) {
    // The HTML as served, parsed without running it: each marked text, its parts as {name}.
    const marked = await page.evaluate(async (url) => {
      const html = await (await fetch(url)).text();
      const doc = new DOMParser().parseFromString(html, "text/html");
      return [...doc.querySelectorAll("[data-i18n]")].map((element) => {
        for (const part of element.querySelectorAll("[data-i18n-part]")) part.replaceWith(`{${part.dataset.i18nPart}}`);
        return [element.dataset.i18n, element.textContent.replace(/\s+/g, " ").trim()];
      });
    }, `${server.http}${path}`);
    assert.ok(marked.length > 3, `${path}: ${marked.length} texts marked`);
    const english = translator({ messages });
    for (const [key, text] of marked) {
      assert.equal(text, english(key).replace(/\s+/g, " ").trim(), `${path}: ${key}`);
    }
  }

  await page.goto(`${server.http}/`);
  await page.getByText("Pick what this screen is for").waitFor(WAIT);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.equal((await page.locator("[data-role=language]").textContent()).trim(), "Deutsch");
  assertNone(await visibleText(page, "header, main, footer").then((text) => text.replace("Deutsch", "")), GERMAN, "the landing page");

  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${server.http}/supervisor`);
  await page.getByLabel("User name").fill("supervisor");
  await page.getByLabel("Password").fill("demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await consoleLive(page);
  assert.match(await page.locator("[data-queue=support] [data-role=service-level] .sl-value").textContent(), /^\d{1,3}\.\d %$/);
  assert.match(await page.locator("[data-role=agent-count]").textContent(), /^\d+ agents · /);
  assertNone((await visibleText(page, ".topbar, .console")).replace("Deutsch", ""), GERMAN, "the console");

  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`${server.http}/wallboard#user=wallboard&password=demo`);
  await wallboardLive(page);
  assert.equal(await page.locator("[data-total] h2").textContent(), "All queues");
  assert.match(await page.locator("[data-role=clock]").textContent(), /^\d{1,2}:\d\d:\d\d\s(AM|PM)$/);
  assertNone((await visibleText(page, ".wb-header, .board")).replace("Deutsch", ""), GERMAN, "the wallboard");

  await page.goto(`${server.http}${QUICK_CHECK}`);
  await page.locator("[data-role=overall][data-done=true]").waitFor(WAIT);
  assert.equal(await page.locator("[data-role=overall]").textContent(), "Your WebAgent will use: WSS");
  assertNone((await visibleText(page, "header, main")).replace("Deutsch", ""), GERMAN, "the connection check");
  assert.deepEqual(errors, []);
});
