// acdhub-ladder.js: the client's fallback ladder (acdhub.js): which rung the next link is made
// on, which rung worked here before (remembered in localStorage, shared by the origin's pages,
// which sit on the same network), trying a better rung aside from the session, and how long to
// wait before the next round. protocol.md, The fallback ladder, says what the rungs are; the
// transports (acdhub-transports.js) make the links. Nothing here runs on import.

import { rungsFromEndpoints, webSocketTransport } from "./acdhub-transports.js";

/** The `rung` named in the page's address (`?rung=sse`), for support to pin a page to one. */
export function rungFromAddress() {
  return new URLSearchParams(globalThis.location?.search ?? "").get("rung");
}

/** localStorage, or null where storage is disabled (private mode, policy, sandboxed frames). */
export function localStore() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Exponential backoff with jitter: about 1, 2, 4, 8, 16, then 30 s, each between half and all of it. */
export function backoffDelay(attempt, { baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * The rungs to climb, best first, and where the next link is made.
 *
 * - `transports`: the rungs, given (then nothing asks the server), or null: they come from the
 *   server's `/rt/endpoints` (`fromEndpoints`), and are asked afresh after a round in which no
 *   rung got through.
 * - `forced`: use this rung alone (`wss`, `ws`, `sse`, `poll`); ignored with `transports`.
 * - `store`, `key`: where the rung that worked is remembered (null: this page only).
 */
export class Ladder {
  /** The rungs, best first; null until the endpoints are known (again). */
  #rungs;
  /** The rungs were given, not asked of the server. */
  #explicit;
  /** The index of the rung the next link is made on. */
  #index = 0;
  /** The label of the rung that last worked here (this page, or an earlier load). */
  #home = null;
  /**
   * `#home` came from an earlier load and no rung has worked on this one yet: the network may
   * have changed since (another office, a proxy now), so the remembered rung is not trusted to
   * be the best that works.
   */
  #unproven = false;
  /** A rung passed over on this round's walk down (the remembered one, which just failed). */
  #skip = null;
  /** The rungs are the other nodes of a cluster (`fromNodes`), not this origin's. */
  #onNodes = false;
  #forced;
  #store;
  #key;
  /** Every node's WebSocket URL, as `/rt/endpoints` last listed them (a cluster's; else none). */
  #nodes = [];
  /** This origin's own WebSocket rungs, as `/rt/endpoints` last gave them. */
  #own = [];

  constructor({ transports = null, forced = null, store = null, key = "acdhub.rung" } = {}) {
    this.#rungs = transports;
    this.#explicit = Boolean(transports);
    this.#forced = transports ? null : forced;
    this.#store = this.#forced ? null : store;
    this.#key = key;
    this.#home = this.#remembered();
    this.#unproven = this.#home !== null;
    if (transports) this.#index = this.homeIndex();
  }

  /** The rungs are known: a link can be made without asking the server first. */
  get known() {
    return this.#rungs !== null;
  }

  /** The index of the rung the next link is made on. */
  get index() {
    return this.#index;
  }

  /** The rung at `index` (a transport, with its `label`). */
  rung(index) {
    return this.#rungs[index];
  }

  /**
   * Takes the rungs an answer of `/rt/endpoints` offers (only the forced one, if the server
   * offers it here) and starts at the rung that last worked. Returns how many there are.
   */
  fromEndpoints(endpoints) {
    const nodes = Array.isArray(endpoints?.nodes) ? endpoints.nodes : [];
    this.#nodes = nodes.filter((url) => typeof url === "string" && /^wss?:\/\//.test(url));
    this.#own = [endpoints?.wss, endpoints?.ws].filter(Boolean);
    let rungs = rungsFromEndpoints(endpoints);
    if (this.#forced) {
      const forced = rungs.filter((rung) => rung.label === this.#forced);
      if (forced.length) rungs = forced;
      else console.warn(`acdhub: this server offers no rung "${this.#forced}" here; trying them all`);
    }
    if (!rungs.length) return 0;
    this.#rungs = rungs;
    this.#onNodes = false;
    this.#index = this.homeIndex();
    return rungs.length;
  }

  /**
   * The page's own server answers nothing (neither a rung nor `/rt/endpoints`): the rungs are
   * now the other nodes of its cluster, each a WebSocket, in the order `/rt/endpoints` listed
   * them. Returns how many (0: not a cluster, or the rungs were given).
   */
  fromNodes() {
    if (this.#explicit) return 0;
    const others = this.#nodes.filter((url) => !this.#own.includes(url));
    if (!others.length) return 0;
    this.#rungs = others.map((url) => webSocketTransport(url));
    this.#onNodes = true;
    this.#index = 0;
    return this.#rungs.length;
  }

  /** Where a round of attempts starts: the rung that last worked, or the best. */
  homeIndex() {
    return Math.max(0, this.#rungs.findIndex((rung) => rung.label === this.#home));
  }

  /** The next link is made on rung `index` (a better one that answered a probe). */
  moveTo(index) {
    this.#index = index;
  }

  /**
   * A link on rung `index` never greeted: the next rung down is tried at once (true). When it
   * was the last, the round is over (false): the next one starts, after the backoff, from the
   * rung that last worked, with the endpoints asked afresh if they came from the server (it
   * may come back with other ports). The rung remembered from an earlier load failing before
   * any worked on this one is the exception: the walk starts again from the best rung, passing
   * over that one, because a better rung may work on the network the page is on now (a proxy
   * that refuses plain WebSocket but tunnels WSS, where an earlier load had WS). So in every
   * round until a rung works here, the round's first (a server down at the load fails them all),
   * and on this origin's rungs only, not on a cluster's other nodes.
   */
  downFrom(index) {
    if (this.#unproven && !this.#onNodes && this.#skip === null && index > 0 && index === this.homeIndex()) {
      this.#skip = index;
      this.#index = 0;
      return true;
    }
    let next = index + 1;
    if (next === this.#skip) next++;
    if (next < this.#rungs.length) {
      this.#index = next;
      return true;
    }
    this.#skip = null;
    if (this.#explicit) this.#index = this.homeIndex();
    else this.#rungs = null;
    return false;
  }

  /** Remembers `label` as the rung that works here, for this page and the next load. */
  remember(label) {
    this.#home = label;
    this.#unproven = false;
    this.#skip = null;
    try {
      this.#store?.setItem(this.#key, label);
    } catch {
      // Storage can be disabled: the rung is remembered for this page only.
    }
  }

  #remembered() {
    try {
      return this.#store?.getItem(this.#key) ?? null;
    } catch {
      return null;
    }
  }
}

/**
 * Opens `rung` aside from the session to see whether it gets through: `result` resolves true
 * when the server greets (`hello`) within `helloTimeoutMs`, false otherwise; the link is closed
 * either way. `cancel()` gives the probe up (false).
 */
export function probeRung(rung, helloTimeoutMs) {
  let finish;
  const result = new Promise((resolve) => {
    let transport = null;
    let settled = false;
    finish = (works) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      transport?.close(1000, "probe done");
      resolve(works);
    };
    const timer = setTimeout(() => finish(false), helloTimeoutMs);
    transport = rung({
      open() {},
      message: (text) => {
        try {
          if (JSON.parse(text).type === "hello") finish(true);
        } catch {
          finish(false);
        }
      },
      close: () => finish(false),
    });
    if (settled) transport.close(1000, "probe done");
  });
  return { result, cancel: () => finish(false) };
}
