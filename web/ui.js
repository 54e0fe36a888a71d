// ui.js: small helpers the three pages share: building DOM safely, one clock tick, the
// connection badge, the sign-in form, the guard against presses that come too soon. The pure formatting (durations, percentages, labels for
// agent states and reasons) lives in format.js and is re-exported here. The badge and the form
// speak the language of the translator a page passes them (i18n.js), English without one.
//
// Everything the server sends (caller numbers, attached data, names) goes into the page as text
// (textContent), never as HTML.

import { State } from "./acdhub.js";
import { translator } from "./i18n.js";

export {
  BUSY_STATES,
  STATE_LABELS,
  formatDuration,
  formatPercent,
  namesById,
  reasonName,
  secondsSince,
  stateLabel,
} from "./format.js";

/** The words of a page that passes no translator: English, as they always were. */
const ENGLISH = translator();

/** Makes an element: `h("button", { type: "button", onclick }, "Accept")`. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(key, "");
    } else {
      element.setAttribute(key, String(value));
    }
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

const tickers = new Set();
let tickTimer = null;

/**
 * Calls `fn` now and at every whole second, with all other tickers of the page, so every clock
 * on the page moves together. Returns a function that stops it.
 */
export function everySecond(fn) {
  tickers.add(fn);
  fn();
  if (!tickTimer) {
    const tick = () => {
      for (const ticker of tickers) ticker();
      tickTimer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
    };
    tickTimer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  }
  return () => tickers.delete(fn);
}

/**
 * Keeps `element` showing the client's connection state: its text (in the language of the
 * translator `t`, i18n.js; English without one), and `data-state` for the stylesheet. While
 * reconnecting it counts down to the next attempt.
 */
export function showConnection(client, element, t = ENGLISH) {
  let retryAt = null;
  const label = document.createTextNode("");
  // The countdown is for eyes only: a live region that changed every second would be read out
  // every second.
  const countdown = h("span", { "aria-hidden": "true" });
  element.replaceChildren(label, countdown);
  const render = () => {
    const state = client.state;
    label.data = t.has(`connection.${state}`) ? t(`connection.${state}`) : state;
    const secs = state === State.RECONNECTING && retryAt ? Math.ceil((retryAt - Date.now()) / 1000) : 0;
    countdown.textContent = secs > 0 ? t("connection.retryIn", { secs }) : "";
    element.dataset.state = state;
  };
  client.addEventListener("state", (e) => {
    retryAt = e.detail.retryAt ?? null;
    render();
  });
  everySecond(render);
}

/**
 * Why the client stopped (`{code, message}`, acdhub.js's words), in the translator's language
 * where it has them (by the code; a token no longer valid is an `auth_failed` of its own words).
 */
export function refusalText(reason, t = ENGLISH) {
  if (!reason) return "";
  const ended = reason.code === "auth_failed" && /session has ended/.test(reason.message ?? "");
  const key = ended ? "signIn.refused.session_ended" : `signIn.refused.${reason.code}`;
  const code = String(reason.code ?? "").replace(/^close_/, "");
  return t.has(key) ? t(key, { code }) : (reason.message ?? "");
}

/**
 * Wires a sign-in form (fields `user` and `password`, an element `[data-role=form-error]`) to
 * the client: submitting starts it with those credentials; a refusal shows the form again with
 * the reason. `onShow(visible)` tells the page when the form is up; `onSubmit(credentials)`
 * (optional) sees what was typed before the password field is emptied. Its words are the
 * translator `t`'s (i18n.js; English without one).
 */
export function signInForm(client, form, onShow, onSubmit = () => {}, t = ENGLISH) {
  const error = form.querySelector("[data-role=form-error]");
  const show = (message) => {
    form.hidden = false;
    error.textContent = message ?? "";
    onShow(true);
    form.elements.user.value ? form.elements.password.focus() : form.elements.user.focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const user = form.elements.user.value.trim();
    const password = form.elements.password.value;
    if (!user || !password) {
      error.textContent = t("signIn.missing");
      return;
    }
    error.textContent = "";
    onSubmit({ user, password, form });
    client.setCredentials({ user, password });
    form.elements.password.value = "";
    client.start();
  });
  client.addEventListener("session", () => {
    // A page may have turned the session away (a user of the wrong role): the form stays.
    if (client.state !== State.LIVE) return;
    form.hidden = true;
    onShow(false);
  });
  client.addEventListener("state", (e) => {
    if (e.detail.state === State.STOPPED && e.detail.reason?.code !== "stopped") {
      show(refusalText(e.detail.reason, t));
    }
  });
  return { show };
}

/** Announces text in an ARIA live region (emptied first, so the same words are read again). */
export function announce(region, text) {
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/**
 * `localStorage` or `sessionStorage` (`kind` is "local" or "session"), or null where the browser
 * refuses it (storage disabled by policy or privacy settings): callers then keep things in
 * memory.
 */
export function webStorage(kind) {
  try {
    const store = globalThis[`${kind}Storage`];
    store.getItem("acdhub.probe");
    return store;
  } catch {
    return null;
  }
}

/** The element of this page marked `data-role="<role>"`. */
export const byRole = (role) => document.querySelector(`[data-role="${role}"]`);

/** How long the note beside a control whose press came too soon stays (ms), unless things move on. */
const GUARD_NOTE_MS = 10000;

/**
 * Presses that come too soon (the WebAgent's call controls, its conversation panel): remembers
 * when the previous action was (`actionDone`: a command sent, or a change that replaced the
 * buttons), and `tooSoon(action, event)` says whether a click on `action`'s control is not taken
 * (`isGuarded(action, {lastActionAt, pressedAt, clicks})`, the page state's rule); then nothing
 * is to be sent, and the note `noteFor(action)` says `noteText(action, the button's words)` for
 * a while. `allNotes()` lists every note, to clear.
 */
export function pressGuard({ isGuarded, noteFor, allNotes, noteText }) {
  let lastActionAt = -Infinity;
  let timer = null;
  const clearNotes = () => {
    clearTimeout(timer);
    for (const note of allNotes()) note.textContent = "";
  };
  return {
    actionDone() {
      lastActionAt = performance.now();
      clearNotes();
    },
    tooSoon(action, event) {
      if (!isGuarded(action, { lastActionAt, pressedAt: performance.now(), clicks: event.detail })) return false;
      clearNotes();
      const note = noteFor(action);
      if (note) note.textContent = noteText(action, event.currentTarget.textContent.trim());
      timer = setTimeout(clearNotes, GUARD_NOTE_MS);
      return true;
    },
  };
}
