// The pages' languages (web/i18n.js and the message tables): every text in English and German,
// with the same placeholders and both plural forms; every key the pages and their state
// modules name exists; the language comes from the switch, else the browser (German for any
// German in its list); figures in the language's way ("80,5 %", "14:05:09"). Pure: Node runs it
// without a browser. (The pages in Chromium, in both languages: german.test.mjs.)
// Run: node --test i18n.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  LANGUAGES,
  LANGUAGE_KEY,
  browserLanguage,
  chooseLanguage,
  localeFor,
  otherLanguage,
  placeholders,
  storeLanguage,
  storedLanguage,
  translator,
} from "../../web/i18n.js";
import { COMMON_MESSAGES } from "../../web/common-messages.js";
import { formatPercent, formatSeconds, reasonName, stateLabel } from "../../web/format.js";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web");

/** Every table: common-messages.js's and each `<page>-messages.js`'s, by file. */
async function tables() {
  const found = { "common-messages.js": COMMON_MESSAGES };
  for (const name of readdirSync(WEB).filter((file) => file.endsWith("-messages.js") && file !== "common-messages.js")) {
    const module = await import(pathToFileURL(join(WEB, name)).href);
    const exported = Object.values(module).filter((value) => value && typeof value === "object" && "en" in value);
    assert.equal(exported.length, 1, `${name} exports one table`);
    found[name] = exported[0];
  }
  return found;
}

/** The pages and the files whose keys they look up in their table (and the common one). */
const PAGES = {
  "agent-messages.js": ["agent.html", "agent.js", "agent-state.js", "conversations.js", "conversations-state.js"],
  "wallboard-messages.js": ["wallboard.html", "wallboard.js", "wallboard-state.js"],
  "supervisor-messages.js": ["supervisor.html", "supervisor.js", "supervisor-state.js"],
  "diagnostics-messages.js": ["diagnostics.html", "diagnostics.js", "diagnostics-verdict.js"],
  "index-messages.js": ["index.html", "index.js"],
};

// A text may be plural in one language only ("+ 2 ringing" / "+ 2 klingeln"): its placeholders,
// over all its forms, are what must agree.
test("every page has its table, and every table has every key in both languages, with the same placeholders", async () => {
  const all = await tables();
  assert.deepEqual(Object.keys(all).sort(), ["common-messages.js", ...Object.keys(PAGES)].sort());
  assert.deepEqual(LANGUAGES, ["en", "de"]);
  let keys = 0;
  for (const [name, table] of Object.entries(all)) {
    assert.deepEqual(Object.keys(table).sort(), [...LANGUAGES].sort(), `${name}: its languages`);
    const [en, de] = [table.en, table.de];
    assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort(), `${name}: the same keys in English and German`);
    for (const [key, text] of Object.entries(en)) {
      keys += 1;
      for (const [language, entry] of [
        ["en", text],
        ["de", de[key]],
      ]) {
        if (typeof entry === "string") {
          assert.ok(entry.trim() !== "" || key === "connection.retryIn", `${name} ${language} ${key}: empty`);
        } else {
          assert.deepEqual(Object.keys(entry).sort(), ["one", "other"], `${name} ${language} ${key}: a plural has one and other`);
        }
      }
      assert.deepEqual(placeholders(de[key]), placeholders(text), `${name} ${key}: the placeholders of both languages`);
    }
    // A page's key must not hide a common one: it would change the common words on that page only.
    if (name !== "common-messages.js") {
      const shadowed = Object.keys(en).filter((key) => Object.hasOwn(COMMON_MESSAGES.en, key));
      assert.deepEqual(shadowed, [], `${name}: keys of common-messages.js`);
    }
  }
  assert.ok(keys > 300, `${keys} keys`);
});

test("every key a page names, in its HTML and its modules, is in its table or the common one", async () => {
  const all = await tables();
  const literal = [
    /\bt\(\s*"([\w.]+)"/g, // t("key", ...)
    /\bdata-i18n="([\w.]+)"/g, // <p data-i18n="key">
    /\bt\(\s*[\w.]+\s*\?\s*"([\w.]+)"\s*:\s*"([\w.]+)"/g, // t(cond ? "a" : "b", ...)
    /\bENGLISH\(\s*"([\w.]+)"/g,
  ];
  for (const [table, files] of Object.entries(PAGES)) {
    const known = new Set([...Object.keys(all[table].en), ...Object.keys(COMMON_MESSAGES.en)]);
    let named = 0;
    for (const file of files) {
      const source = readFileSync(join(WEB, file), "utf8");
      // data-i18n-attrs="title=key aria-label=key2"
      const attrs = [...source.matchAll(/data-i18n-attrs="([^"]*)"/g)].flatMap((m) => m[1].split(/\s+/).map((pair) => pair.split("=")[1]));
      const keys = [
        ...literal.flatMap((re) => [...source.matchAll(re)].flatMap((m) => m.slice(1))),
        ...attrs,
      ].filter(Boolean);
      for (const key of keys) assert.ok(known.has(key), `${file}: ${key} is in no table`);
      named += keys.length;
    }
    assert.ok(named > 10, `${table}: ${named} keys named`);
  }
  // The shared helpers name common keys only.
  const ui = readFileSync(join(WEB, "ui.js"), "utf8");
  for (const [, key] of ui.matchAll(/\bt\(\s*"([\w.]+)"/g)) assert.ok(Object.hasOwn(COMMON_MESSAGES.en, key), `ui.js: ${key}`);
});

test("the language: the one chosen with the switch, else German when the browser lists any German, else English", () => {
  assert.equal(browserLanguage(["de-DE", "de", "en-US", "en"]), "de");
  assert.equal(browserLanguage(["de-AT"]), "de");
  assert.equal(browserLanguage(["de_CH"]), "de");
  assert.equal(browserLanguage(["en-US", "en", "de"]), "de", "any German");
  assert.equal(browserLanguage(["en-GB", "en"]), "en");
  assert.equal(browserLanguage(["fr-FR", "it"]), "en", "a language the pages do not speak: English");
  assert.equal(browserLanguage([]), "en");
  assert.equal(browserLanguage(undefined), "en");
  assert.equal(chooseLanguage({ stored: "en", languages: ["de-DE"] }), "en", "the switch wins");
  assert.equal(chooseLanguage({ stored: "de", languages: ["en-US"] }), "de");
  assert.equal(chooseLanguage({ stored: "fr", languages: ["de-DE"] }), "de", "a stored language the pages do not speak is ignored");
  assert.equal(chooseLanguage({ stored: null, languages: ["en-US"] }), "en");
  assert.equal(otherLanguage("en"), "de");
  assert.equal(otherLanguage("de"), "en");

  // The figures follow the browser's own variant of the language, when it has one.
  assert.equal(localeFor("de", ["de-AT", "de"]), "de-AT");
  assert.equal(localeFor("de", ["en-US", "de-CH"]), "de-CH");
  assert.equal(localeFor("de", ["en-US"]), "de", "German chosen with the switch on an English browser");
  assert.equal(localeFor("en", ["de-DE", "en-GB"]), "en-GB");
  assert.equal(localeFor("en", ["de-DE"]), "en");
  assert.equal(localeFor("de", ["not a tag!", "de-DE"]), "de-DE");
});

test("the choice is kept in storage under one key for every page; storage that refuses keeps nothing", () => {
  const store = new Map();
  const storage = { getItem: (key) => store.get(key) ?? null, setItem: (key, value) => store.set(key, value) };
  assert.equal(storedLanguage(storage), null);
  assert.equal(storeLanguage(storage, "de"), true);
  assert.equal(store.get(LANGUAGE_KEY), "de");
  assert.equal(LANGUAGE_KEY, "acdhub.language");
  assert.equal(storedLanguage(storage), "de");
  store.set(LANGUAGE_KEY, "klingon");
  assert.equal(storedLanguage(storage), null);
  const refusing = {
    getItem() {
      throw new Error("denied");
    },
    setItem() {
      throw new Error("denied");
    },
  };
  assert.equal(storedLanguage(refusing), null);
  assert.equal(storeLanguage(refusing, "de"), false);
  assert.equal(storedLanguage(null), null);
});

test("lookups: placeholders, plurals, numbers in the language's way, English for a missing text, the key for an unknown one", () => {
  const messages = {
    en: { agents: { one: "{count} agent", other: "{count} agents" }, hello: "Hello, {name}", only: "English only" },
    de: { agents: { one: "{count} Agent", other: "{count} Agenten" }, hello: "Hallo, {name}" },
  };
  const de = translator({ language: "de", locale: "de-DE", messages });
  const en = translator({ language: "en", locale: "en-US", messages });
  assert.equal(de("agents", { count: 1 }), "1 Agent");
  assert.equal(de("agents", { count: 0 }), "0 Agenten");
  assert.equal(de("agents", { count: 12345 }), "12.345 Agenten");
  assert.equal(en("agents", { count: 1 }), "1 agent");
  assert.equal(en("agents", { count: 12345 }), "12,345 agents");
  assert.equal(de("hello", { name: "Anna" }), "Hallo, Anna");
  assert.equal(de("hello"), "Hallo, {name}", "a placeholder without its param stays");
  assert.equal(de("only"), "English only");
  assert.equal(de("nobody.has.this"), "nobody.has.this");
  assert.equal(de.has("hello"), true);
  assert.equal(de.has("nobody.has.this"), false);
  assert.equal(de("state.wrap_up"), "Nachbearbeitung", "the common texts are in every translator");
  assert.equal(translator({ language: "fr" }).language, "en");
  const node = { a: "node" };
  assert.deepEqual(de.parts("hello", { name: node }), ["Hallo, ", node]);
});

test("figures: percentages, seconds, numbers, times and lists in German and in English", () => {
  const de = translator({ language: "de", locale: "de-DE" });
  const en = translator({ language: "en", locale: "en-US" });
  assert.equal(de.percent(80.5), "80,5 %");
  assert.equal(en.percent(80.5), "80.5 %");
  assert.equal(de.percent(83.35), "83,3 %", "rounded as toFixed rounds, in every language");
  assert.equal(de.percent(null), "–");
  assert.equal(de.percent(80, 0), "80 %");
  assert.equal(de.seconds(10.5), "10,5 s");
  assert.equal(de.seconds(75), "1:15");
  assert.equal(de.number(1234.5, 1), "1.234,5");
  assert.equal(en.number(1234.5, 1), "1,234.5");
  assert.equal(de.duration(3725), "1:02:05");
  const afternoon = new Date(2026, 2, 10, 14, 5, 9);
  const morning = new Date(2026, 2, 10, 9, 5, 9);
  assert.equal(de.time(afternoon), "14:05:09");
  assert.equal(de.time(morning), "09:05:09");
  assert.equal(de.time(afternoon, { seconds: false }), "14:05");
  assert.equal(en.time(afternoon).replace(/\s/g, " "), "2:05:09 PM");
  assert.equal(de.list(["a", "b", "c"]), "a, b und c");
  assert.equal(en.list(["a", "b", "c"]), "a, b, and c");
});

test("format.js keeps its English without a locale, and speaks the translator's language with one", () => {
  const de = translator({ language: "de", locale: "de-DE" });
  assert.equal(formatPercent(83.3), "83.3 %");
  assert.equal(formatPercent(83.3, 1, "de-DE"), "83,3 %");
  assert.equal(formatSeconds(10.5), "10.5 s");
  assert.equal(formatSeconds(10.5, "de-DE"), "10,5 s");
  assert.equal(stateLabel("wrap_up"), "Wrap-up");
  assert.equal(stateLabel("wrap_up", de), "Nachbearbeitung");
  assert.equal(stateLabel("on_call", de), "Im Gespräch");
  assert.equal(stateLabel("logged_out", de), "Abgemeldet");
  assert.equal(stateLabel("dancing", de), "dancing");
  const names = new Map([["lunch", "Mittagspause"]]);
  assert.equal(reasonName(names, "lunch", de), "Mittagspause", "the tenant's own name");
  assert.equal(reasonName(names, "no_answer"), "No answer");
  assert.equal(reasonName(names, "no_answer", de), "Nicht angenommen");
  assert.equal(reasonName(names, "mystery", de), "mystery");
});
