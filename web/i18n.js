// i18n.js: the pages speak English and German. Which one: the language the user chose with the
// page's switch (kept in localStorage, `LANGUAGE_KEY`, for every page of the server), else the
// browser's (navigator.languages: German when it lists any German, `de`, `de-AT`, ...; English
// otherwise). Numbers, percentages, times and lists follow that language's conventions, in the
// browser's own variant of it where it has one (`de-CH`, `en-GB`): "80,5 %" and "14:05" in German.
//
// Every text a page shows is in one table per page (`<page>-messages.js`: `{en: {...}, de:
// {...}}`, keys to texts), beside the texts all pages share (common-messages.js: agent states,
// the ACD's not-ready reasons, the connection badge, the sign-in form, the switch). A text may
// hold placeholders, `{name}`, filled from the params of the lookup (a number is written in the
// language's way: 1,234 or 1.234; pass codes and ports as strings), and may come in plural
// forms, `{one: "...", other: "..."}`, chosen by the param `count` (Intl.PluralRules).
//
// Two halves. The pure half (`translator`, `chooseLanguage`, `browserLanguage`, `localeFor`)
// reads no global: the page state modules (*-state.js) take a translator as an argument, so
// Node tests them in both languages. The page half (`pageTranslator`, `localize`,
// `languageSwitch`) reads the browser's languages and storage and touches the DOM, only when a
// page calls it; importing this module does nothing.
//
// A page adopts it in four steps:
//   const t = pageTranslator(PAGE_MESSAGES);      // the language, <html lang>, the translator
//   localize(document, t);                        // the HTML's own text: data-i18n attributes
//   languageSwitch(byRole("language"), t);        // the switch: a <button> in the page's bar
//   ... t("key", {count: 3}), t.percent(80.5), t.time(Date.now()) in the page's code, and
//       the translator passed to the page's *-state.js functions (they default to English).
// The switch stores the other language and reloads the page: a page comes back as it was (a
// session resumes from its token), now in the other language.

import { COMMON_MESSAGES } from "./common-messages.js";
import { formatDuration, formatNumber, formatPercent, formatSeconds, numberFormat } from "./format.js";

/** The languages the pages speak, the first the default. */
export const LANGUAGES = Object.freeze(["en", "de"]);
export const DEFAULT_LANGUAGE = "en";
/** Each language's name in itself: what the switch shows. */
export const LANGUAGE_NAMES = Object.freeze({ en: "English", de: "Deutsch" });
/** Where the language chosen with the switch is kept (localStorage), for every page of the server. */
export const LANGUAGE_KEY = "acdhub.language";

// --- The pure half ------------------------------------------------------------------------------

/** The language of a BCP 47 tag, lower case: "de" of "de-AT". */
const languageOf = (tag) => (typeof tag === "string" ? tag.trim().toLowerCase().split(/[-_]/)[0] : "");

/** Whether the pages speak `language`. */
export function isLanguage(language) {
  return LANGUAGES.includes(language);
}

/** The language of the browser's list (`navigator.languages`): German if it lists any German, else English. */
export function browserLanguage(languages = []) {
  return (languages ?? []).some((tag) => languageOf(tag) === "de") ? "de" : DEFAULT_LANGUAGE;
}

/** The pages' language: the one chosen with the switch (`stored`), else the browser's. */
export function chooseLanguage({ stored = null, languages = [] } = {}) {
  return isLanguage(stored) ? stored : browserLanguage(languages);
}

/**
 * The locale the figures are written in for `language`: the browser's own variant of it, the
 * first of `languages` in that language ("de-AT", "en-GB"), else the language itself ("de":
 * Germany's conventions; "en": the United States').
 */
export function localeFor(language, languages = []) {
  for (const tag of languages ?? []) {
    if (languageOf(tag) !== language) continue;
    try {
      return Intl.getCanonicalLocales(tag)[0];
    } catch {
      // Not a tag Intl knows: the next, or the language.
    }
  }
  return language;
}

/** The language after `language` on the switch (with two, the other one). */
export function otherLanguage(language) {
  const at = LANGUAGES.indexOf(language);
  return LANGUAGES[(at + 1) % LANGUAGES.length];
}

/** One language's texts of `tables` (and the common ones), merged, a later table's key winning. */
function textsOf(tables, language) {
  return Object.assign({}, COMMON_MESSAGES[language], ...tables.map((table) => table[language] ?? {}));
}

/** The placeholders of a text, or of every form of a plural one, sorted: `["count", "queue"]`. */
export function placeholders(entry) {
  const texts = typeof entry === "string" ? [entry] : Object.values(entry ?? {});
  const names = new Set();
  for (const text of texts) for (const [, name] of String(text).matchAll(/\{(\w+)\}/g)) names.add(name);
  return [...names].sort();
}

const timeFormats = new Map();
const listFormats = new Map();

/**
 * A translator for `language` (English when it is not one the pages speak) with the `messages`
 * of a page (one table `{en, de}` or a list of them; the common texts are always there):
 *
 * - `t(key, params)`: the text of `key`, its placeholders filled from `params`, the plural form
 *   by `params.count`; a key the language lacks falls back to English, one nobody has is itself;
 * - `t.language` ("de"), `t.locale` ("de-DE", the figures' conventions), `t.has(key)`;
 * - figures in the locale's way: `t.number(value, digits)` ("1.234,5"), `t.percent(value,
 *   digits)` ("80,5 %"; "–" for none), `t.seconds(secs)` ("10,5 s", m:ss from a minute on),
 *   `t.duration(secs)` ("4:05", the same everywhere), `t.time(instant, {seconds})` ("14:05:09"
 *   in German, "2:05:09 PM" in American English), `t.list(items)` ("a, b und c");
 * - `t.parts(key, params)`: the text as a list of strings and those params that are not text
 *   (DOM nodes, for `localize`), in the order the text places them.
 */
export function translator({ language = DEFAULT_LANGUAGE, locale = null, messages = [] } = {}) {
  const tables = Array.isArray(messages) ? messages : [messages];
  const chosen = isLanguage(language) ? language : DEFAULT_LANGUAGE;
  const figures = locale ?? chosen;
  const own = textsOf(tables, chosen);
  const english = chosen === DEFAULT_LANGUAGE ? own : textsOf(tables, DEFAULT_LANGUAGE);
  const plurals = new Intl.PluralRules(figures);
  const lookup = (key) => (Object.hasOwn(own, key) ? own[key] : Object.hasOwn(english, key) ? english[key] : undefined);
  const textOf = (key, params) => {
    const entry = lookup(key);
    if (entry === undefined) return key;
    if (typeof entry === "string") return entry;
    return entry[plurals.select(Number(params.count))] ?? entry.other;
  };
  const show = (value) => (typeof value === "number" ? numberFormat(figures).format(value) : String(value));

  function t(key, params = {}) {
    return textOf(key, params).replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? show(params[name]) : whole));
  }
  t.language = chosen;
  t.locale = figures;
  t.has = (key) => lookup(key) !== undefined;
  t.number = (value, digits = 0) => formatNumber(value, digits, figures);
  t.percent = (value, digits = 1) => formatPercent(value, digits, figures);
  t.seconds = (secs) => formatSeconds(secs, figures);
  t.duration = formatDuration;
  t.time = (instant, { seconds = true } = {}) => {
    const key = `${figures}|${seconds}`;
    if (!timeFormats.has(key)) timeFormats.set(key, new Intl.DateTimeFormat(figures, { timeStyle: seconds ? "medium" : "short" }));
    return timeFormats.get(key).format(instant);
  };
  t.list = (items) => {
    if (!listFormats.has(figures)) listFormats.set(figures, new Intl.ListFormat(figures, { type: "conjunction" }));
    return listFormats.get(figures).format(items.map(String));
  };
  t.parts = (key, params = {}) => {
    const parts = [];
    let text = "";
    const pieces = textOf(key, params).split(/(\{\w+\})/);
    for (const piece of pieces) {
      const name = /^\{(\w+)\}$/.exec(piece)?.[1];
      const value = name !== undefined && Object.hasOwn(params, name) ? params[name] : undefined;
      if (value !== undefined && typeof value === "object" && value !== null) {
        if (text) parts.push(text);
        parts.push(value);
        text = "";
      } else {
        text += value === undefined ? piece : show(value);
      }
    }
    if (text) parts.push(text);
    return parts;
  };
  return Object.freeze(t);
}

// --- The page half: the browser's languages, the storage, the DOM -------------------------------

/** localStorage, or null where the browser refuses it. */
function localStore() {
  try {
    const store = globalThis.localStorage;
    store.getItem(LANGUAGE_KEY);
    return store;
  } catch {
    return null;
  }
}

/** The language chosen with the switch, kept in `storage`, or null. */
export function storedLanguage(storage) {
  try {
    const language = storage?.getItem(LANGUAGE_KEY) ?? null;
    return isLanguage(language) ? language : null;
  } catch {
    return null;
  }
}

/** Keeps `language` in `storage` as the one chosen; whether it could. */
export function storeLanguage(storage, language) {
  try {
    storage.setItem(LANGUAGE_KEY, language);
    return true;
  } catch {
    return false;
  }
}

/**
 * The page's translator with its `messages`: the language chosen with the switch, else the
 * browser's; the document says it (`<html lang>`).
 */
export function pageTranslator(messages, { storage = localStore(), languages = globalThis.navigator?.languages ?? [] } = {}) {
  const language = chooseLanguage({ stored: storedLanguage(storage), languages });
  const t = translator({ language, locale: localeFor(language, languages), messages });
  if (globalThis.document) document.documentElement.lang = t.language;
  return t;
}

/**
 * Puts the text of `root`'s HTML in the translator's language:
 * - `data-i18n="key"`: the element's text becomes the key's; elements inside it marked
 *   `data-i18n-part="name"` (a `<code>`, a link) stay, where the text places `{name}`;
 * - `data-i18n-attrs="title=key aria-label=key2"`: those attributes become the keys' texts.
 * The HTML keeps the English text, which a test compares with the English table.
 */
export function localize(root, t) {
  for (const element of root.querySelectorAll("[data-i18n], [data-i18n-attrs]")) {
    const key = element.getAttribute("data-i18n");
    if (key) {
      const parts = {};
      for (const part of element.querySelectorAll("[data-i18n-part]")) parts[part.getAttribute("data-i18n-part")] = part;
      if (Object.keys(parts).length === 0) element.textContent = t(key);
      else element.replaceChildren(...t.parts(key, parts));
    }
    for (const pair of (element.getAttribute("data-i18n-attrs") ?? "").split(/\s+/).filter(Boolean)) {
      const [attribute, attributeKey] = pair.split("=");
      if (attribute && attributeKey) element.setAttribute(attribute, t(attributeKey));
    }
  }
}

/**
 * Makes `button` the page's language switch: it names the other language in that language
 * ("Deutsch" on an English page, "English" on a German one, with its `lang`), and a press keeps
 * that language for every page (`storage`, localStorage) and reloads this one in it. Hidden
 * where the browser keeps nothing (storage refused): the choice could not outlast the reload.
 */
export function languageSwitch(button, t, { storage = localStore(), reload = () => location.reload() } = {}) {
  if (!button) return;
  const next = otherLanguage(t.language);
  button.textContent = LANGUAGE_NAMES[next];
  button.lang = next;
  button.title = translator({ language: next })("language.show");
  button.hidden = storage === null;
  button.addEventListener("click", () => {
    if (storeLanguage(storage, next)) reload();
  });
}
