// acdhub.js: the browser client of protocol acdhub.v1, shared by the WebAgent, the wallboard and
// the supervisor's console. Plain ES module, standard APIs only (WebSocket, EventSource, fetch,
// EventTarget, Web Storage), no build step.
//
//   const client = new Client({ credentials, tokenStore: sessionStorage });
//   client.addEventListener("session", (e) => ...);  // signed in (again at each reconnect): e.detail is the AuthResult
//   client.addEventListener("reset", () => ...);     // a new session begins: its snapshot follows
//   client.addEventListener("event", (e) => ...);    // one server event, in seq order
//   client.addEventListener("state", (e) => ...);    // connection state changed (see State), over e.detail.rung
//   client.start();
//   await client.request("ready");                    // resolves with the ack's result, or throws AcdError
//
// What this module does, so pages do not:
//
// - **The ladder.** It asks the server where its rungs are (`GET /rt/endpoints`) and connects
//   over the best one that gets through from here: WSS, WS, Server-Sent Events, long-polling
//   (protocol.md, The fallback ladder). A rung that fails, or gives no `hello` within 5 s, is
//   given up for the next one down at once. The rung that worked is remembered (localStorage)
//   and tried first on the next page load (if it fails there before any rung worked, the
//   walk starts over from WSS, passing it: the network may have changed); while on a lower
//   rung the client tries the better ones in the background every 10 minutes and moves up,
//   with a resume, when one works.
//   A link that drops after it worked is retried on the same rung, after the backoff: a server
//   restart must not push a page down the ladder. Only when that retry fails does the walk
//   down begin again; when no rung gets through, the client waits (backoff) and starts over
//   from the rung that last worked, with the endpoints fetched afresh. A page whose server
//   answers nothing at all tries the other nodes of its cluster (`nodes` in the endpoints), and
//   signs in there with its token.
// - **Resume.** The AuthResult's `session` is kept in memory (never in storage: a duplicated
//   tab must not share it) with the last `seq` delivered. Every reconnect sends `auth` with the
//   token (or the password) and `resume`; the server replays exactly the missed events and the
//   page sees no `reset`. If the session could not be kept, its new snapshot starts at seq 1:
//   then `reset` is dispatched and the page rebuilds, as after any new session.
// - **Heartbeats.** The server sends a `heartbeat` every `heartbeat_secs` (hello says how
//   often). A link that delivers nothing at all for that plus 20 s is dead: it is closed and
//   remade with a resume. The backoff starts afresh only once a link has delivered a
//   heartbeat, that is lasted one interval, so a server that drops everyone at once is not
//   hammered. At a heartbeat it also tells the server, with `seen`, the last event it has, so
//   the session keeps at most about two heartbeats' worth of events instead of two minutes'.
// - It signs in with the stored token and falls back to the password, matches replies to
//   commands, and hands events to the page strictly in seq order, exactly once: a gap that
//   does not fill within 3 s closes the link and resumes, which fetches the missing events.
//
// A page hears `session` after every sign-in, a resume included (`e.detail.resumed` is true
// then, and no `reset` came). A resumed session keeps its subscription, so the wallboard and
// the console do not subscribe again then (it would only send the whole snapshot again).
// `?rung=sse` (or `ws`, `wss`, `poll`) in a page's address pins its client to that rung, for
// support to try one rung in an affected browser.
//
// A connection is made by a *transport* (webSocketTransport, sseTransport, longPollTransport):
// a function that opens one link and reports its text messages and its end, one JSON text per
// message whatever the rung, so that everything above it is the same on every rung.

//
// The pieces live in their own modules, re-exported here so that pages and tests import this
// one: acdhub-transports.js (the rungs: WebSocket, SSE, long-poll), acdhub-sequence.js (seq
// order, gaps, what a resume names) and acdhub-ladder.js (which rung, probing, remembering,
// backoff). This module ties them into one Client.

import { pageFetch } from "./acdhub-transports.js";
import { Admit, Sequence, resumeGrantedBy, resumeRefusedBy } from "./acdhub-sequence.js";
import { Ladder, backoffDelay, localStore, probeRung, rungFromAddress } from "./acdhub-ladder.js";

export {
  PROTOCOL,
  longPollTransport,
  ownOriginUrl,
  rungsFromEndpoints,
  sseTransport,
  webSocketTransport,
} from "./acdhub-transports.js";
export { backoffDelay } from "./acdhub-ladder.js";

/** The connection states a page shows. */
export const State = Object.freeze({
  /** Opening a connection. */
  CONNECTING: "connecting",
  /** Connected; proving who we are. */
  AUTHENTICATING: "authenticating",
  /** Authenticated: events flow and commands can be sent. */
  LIVE: "live",
  /** The connection dropped; the next attempt is at `retryAt`. */
  RECONNECTING: "reconnecting",
  /** Stopped: signed out, credentials refused, or closed for a fault that retrying repeats. */
  STOPPED: "stopped",
});

/**
 * The tenant's agents, a page at a time (`list_agents`, 500 a page; protocol.md): the AuthResult
 * names no agent but the signed-in agent itself, so the WebAgent's transfer targets and the
 * console's roster are read this way. Yields each page's agents (`{id, name, state}`); a
 * refusal or a lost connection throws out of the loop (AcdError). A caller that has enough
 * stops the loop, and no further page is asked for.
 */
export async function* agentPages(client) {
  let after = null;
  do {
    const page = await client.request("list_agents", after ? { limit: 500, after } : { limit: 500 });
    yield page.agents;
    after = page.next ?? null;
  } while (after);
}

/** A command the server refused (its `code` is stable), or one that never got an answer. */
export class AcdError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "AcdError";
    /** The protocol's error code, or `offline` / `connection_lost` from this client. */
    this.code = code;
  }
}

/**
 * Close codes after which reconnecting would only be refused again (protocol.md, Close codes).
 * 4001 (no sign-in in time) is not one: this client signs in the moment it is greeted, so a
 * 4001 means a frozen tab or a stalled link, and a new connection is the cure.
 */
const FATAL_CLOSES = new Map([
  [1002, "the server closed the session: the browser broke the WebSocket protocol"],
  [1007, "the server closed the session: a message was not UTF-8"],
  [1008, "the server closed the session: too many refused or too many messages, or this user has too many sessions open"],
  [1009, "the server closed the session: a message was too large"],
  [4003, "the server closed the session: too many failed sign-ins"],
  [4009, "the session was taken over by another connection (is this page open twice?)"],
  [4010, "this display was revoked: ask a supervisor for a new display link"],
]);

/** A connection not signed in by then is given up and made again (a proxy holding the upgrade). */
const CONNECT_TIMEOUT_MS = 20000;

/** An event missing this long after a later one arrived was lost: resume to fetch it. */
const GAP_TIMEOUT_MS = 3000;

// --- The client -------------------------------------------------------------------------------

/**
 * One client of the server: one session, carried over every link the network allows.
 *
 * Options:
 * - `credentials`: `{ user, password }`, or a kiosk display's `{ display }` (its token, from a
 *   supervisor's `create_display`), kept in memory only, used when there is no token or the
 *   token is refused (expired, or revoked by a logout or a change of the user).
 * - `tokenStore`: a Web Storage (sessionStorage, localStorage) to keep the session token in,
 *   under `tokenKey`; or null to keep it in memory.
 * - `transports`: the rungs to climb, best first. Given, they replace everything the server's
 *   `/rt/endpoints` and the `rung` option would say (and nothing is remembered unless
 *   `rungStore` is given too). Left out, the rungs come from `endpointsUrl`.
 * - `rung`: use this rung alone (`wss`, `ws`, `sse` or `poll`): no ladder, nothing remembered.
 *   By default the page's address names it, as `?rung=sse`: a way for support to pin a page
 *   to one rung. A rung the server does not offer is ignored, with a warning.
 * - `rungStore`, `rungKey`: where the rung that worked is remembered (default: localStorage,
 *   shared by the origin's pages, which sit on the same network; null: this page only).
 * - `helloTimeoutMs` (5 s): a rung that gives no `hello` by then is given up for the next.
 * - `probeIntervalMs` (10 min): how often the better rungs are tried while on a lower one.
 * - `silenceMs`: a link that delivers nothing for this long is dead (default: hello's
 *   `heartbeat_secs` plus 20 s).
 */
export class Client extends EventTarget {
  #credentials;
  #tokenStore;
  #tokenKey;
  #endpointsUrl;
  #helloTimeoutMs;
  #probeIntervalMs;
  #silenceMs;

  #state = State.STOPPED;
  #stopReason = null;
  #memoryToken = null;
  #attempt = 0;
  #retryTimer = null;

  /** The rungs, where the next link is made, and the rung that worked here (acdhub-ladder.js). */
  #ladder;
  /** The label of the rung in use or being tried, for pages to show. */
  #rungLabel = null;
  /** The endpoints being fetched: aborted by `stop`. */
  #loading = null;
  #probeTimer = null;
  /** The background attempt on a better rung under way: `{ result, cancel }`. */
  #probe = null;
  /** A better rung that worked, moved to once no command waits for its reply. */
  #moveUpTo = null;

  #connection = null;
  #connectTimer = null;
  #helloTimer = null;
  #silenceTimer = null;
  #nextId = 0;
  #pending = new Map();

  /** The AuthResult of the current session. */
  #session = null;
  /** Seq order, early events, and the session to resume (acdhub-sequence.js). */
  #sequence = new Sequence();
  #gapTimer = null;
  #offsetMs = 0;

  constructor({
    credentials = null,
    tokenStore = null,
    tokenKey = "acdhub.token",
    transports = null,
    endpointsUrl = "/rt/endpoints",
    rung = rungFromAddress(),
    rungStore = transports ? null : localStore(),
    rungKey = "acdhub.rung",
    helloTimeoutMs = 5000,
    probeIntervalMs = 600000,
    silenceMs = null,
  } = {}) {
    super();
    this.#credentials = credentials;
    this.#tokenStore = tokenStore;
    this.#tokenKey = tokenKey;
    this.#ladder = new Ladder({ transports, forced: rung, store: rungStore, key: rungKey });
    this.#endpointsUrl = endpointsUrl;
    this.#helloTimeoutMs = helloTimeoutMs;
    this.#probeIntervalMs = probeIntervalMs;
    this.#silenceMs = silenceMs;
    this.onOnline = () => {
      if (this.#state === State.RECONNECTING) this.#connectNow();
    };
  }

  /** The connection state (a value of State). */
  get state() {
    return this.#state;
  }

  /** The rung in use, or being tried (`wss`, `ws`, `sse`, `poll`); null while the rungs are asked for. */
  get rung() {
    return this.#rungLabel;
  }

  /** The AuthResult of the current session, or null before one. */
  get session() {
    return this.#session;
  }

  /** Why the client stopped, when it did: `{code, message}`. */
  get stopReason() {
    return this.#stopReason;
  }

  /** The last event's seq in the current session (0 before the first). */
  get lastSeq() {
    return this.#sequence.lastSeq;
  }

  /** The server's clock now, in milliseconds since the epoch, as best this client knows it. */
  serverNow() {
    return Date.now() + this.#offsetMs;
  }

  /** A stored token exists: a start can sign in without asking for a password. */
  hasToken() {
    return Boolean(this.#readToken());
  }

  /**
   * Sets the password credentials for the next sign-in. A stored token is dropped: it may be
   * another user's, and the person typing means these.
   */
  setCredentials(credentials) {
    this.#credentials = credentials;
    this.#sequence.forget();
    this.#writeToken(null);
  }

  /** Connects, and keeps connected until `stop`. */
  start() {
    if (this.#state !== State.STOPPED) return;
    this.#stopReason = null;
    this.#attempt = 0;
    globalThis.addEventListener?.("online", this.onOnline);
    this.#connectNow();
  }

  /**
   * Disconnects and stays disconnected; a later `start` begins a new session. `forget` also
   * drops the token and the password, as signing out does.
   */
  stop({ forget = false, code = "stopped", message = "disconnected" } = {}) {
    if (forget) {
      this.#writeToken(null);
      this.#credentials = null;
    }
    const connection = this.#connection;
    this.#connection = null;
    this.#endConnection();
    connection?.transport?.close(1000, "signing out");
    this.#halt({ code, message });
  }

  /**
   * Sends a command and resolves with its ack's `result` (undefined for most commands), or
   * rejects with an AcdError carrying the server's code. Rejects at once with `offline` when no
   * session is live, and with `connection_lost` if the connection drops before the reply.
   */
  request(type, fields = {}) {
    if (this.#state !== State.LIVE || !this.#connection) {
      return Promise.reject(new AcdError("offline", "not connected to the server"));
    }
    return this.#send(this.#connection, type, fields);
  }

  // --- The ladder ------------------------------------------------------------------------------

  #connectNow() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (!this.#ladder.known) {
      this.#loadRungs();
      return;
    }
    const index = this.#ladder.index;
    const transport = this.#ladder.rung(index);
    const connection = {
      transport: null,
      index,
      label: transport.label,
      greeted: false,
      silenceMs: 0,
      triedToken: false,
      triedPassword: false,
      /** A resume was asked for and not yet settled (by the first event, or the ack). */
      resuming: false,
      needsReset: false,
    };
    this.#connection = connection;
    this.#rungLabel = transport.label;
    this.#setState(State.CONNECTING);
    // A listener of that state change may have stopped the client.
    if (this.#connection !== connection) return;
    this.#helloTimer = setTimeout(() => {
      if (this.#connection === connection) connection.transport.close(4000, "no hello in time");
    }, this.#helloTimeoutMs);
    this.#connectTimer = setTimeout(() => {
      if (this.#connection === connection) connection.transport.close(4000, "no sign-in in time");
    }, CONNECT_TIMEOUT_MS);
    connection.transport = transport({
      open: () => {
        if (this.#connection === connection) this.#setState(State.AUTHENTICATING);
      },
      message: (text) => {
        if (this.#connection === connection) this.#receive(connection, text);
      },
      close: ({ code, reason }) => {
        if (this.#connection === connection) this.#dropped(connection, code, reason);
      },
    });
  }

  /** Asks the server where its rungs are, then connects on the best one to try first. */
  async #loadRungs() {
    const loading = new AbortController();
    this.#loading = loading;
    this.#rungLabel = null;
    this.#setState(State.CONNECTING);
    if (this.#loading !== loading) return;
    const timer = setTimeout(() => loading.abort(), CONNECT_TIMEOUT_MS);
    let endpoints;
    let failure = "the server offers no way to connect";
    try {
      const response = await pageFetch(this.#endpointsUrl, { cache: "no-store", signal: loading.signal });
      if (response.ok) endpoints = await response.json();
      else failure = `${this.#endpointsUrl} answered ${response.status}`;
    } catch (error) {
      failure = `could not reach the server: ${error.message ?? error}`;
    }
    clearTimeout(timer);
    if (this.#loading !== loading) return;
    this.#loading = null;
    let rungs = 0;
    if (endpoints !== undefined) {
      try {
        rungs = this.#ladder.fromEndpoints(endpoints);
      } catch (error) {
        failure = `could not reach the server: ${error.message ?? error}`;
      }
    }
    // The server answers nothing: on a cluster, its other nodes (protocol.md, /rt/endpoints).
    if (!rungs && endpoints === undefined) rungs = this.#ladder.fromNodes();
    if (!rungs) {
      this.#retryLater({ closeReason: failure });
      return;
    }
    this.#connectNow();
  }

  #dropped(connection, code, reason) {
    this.#connection = null;
    this.#endConnection();
    const fatal = FATAL_CLOSES.get(code);
    if (fatal) {
      this.#halt({ code: `close_${code}`, message: `${fatal} (${code})` }, { closeCode: code });
      return;
    }
    // This rung does not get through from here: the next one down, at once. When no rung got
    // through (the server is down, or the network is), the ladder starts the next round, after
    // the backoff, from the rung that last worked.
    if (!connection.greeted && this.#ladder.downFrom(connection.index)) {
      this.#connectNow();
      return;
    }
    // A link that worked and dropped is retried on its own rung.
    this.#retryLater({ closeCode: code, closeReason: reason });
  }

  #retryLater(detail) {
    const delay = backoffDelay(this.#attempt++);
    const retryAt = Date.now() + delay;
    this.#retryTimer = setTimeout(() => this.#connectNow(), delay);
    this.#setState(State.RECONNECTING, { retryAt, ...detail });
  }

  /** While on a lower rung, the better ones are tried now and then. */
  #scheduleProbe() {
    if (this.#probeTimer || this.#probe || !this.#connection || this.#connection.index === 0) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      this.#probeUp();
    }, this.#probeIntervalMs);
  }

  /** Tries each better rung, best first, and moves to the first that greets. */
  async #probeUp() {
    const connection = this.#connection;
    if (this.#state === State.LIVE && connection) {
      for (let index = 0; index < connection.index; index++) {
        const works = await this.#probeRung(this.#ladder.rung(index));
        // The link changed meanwhile (dropped, or the client stopped): try again later.
        if (this.#connection !== connection) break;
        if (works) {
          this.#moveUp(index);
          return;
        }
      }
    }
    if (this.#state !== State.STOPPED) this.#scheduleProbe();
  }

  /** Opens `rung` aside from the session and resolves whether it greets in time. */
  #probeRung(rung) {
    const probe = probeRung(rung, this.#helloTimeoutMs);
    this.#probe = probe;
    return probe.result.then((works) => {
      if (this.#probe === probe) this.#probe = null;
      return works;
    });
  }

  /** Leaves the current link for the better rung `index`, resuming the session there. */
  #moveUp(index) {
    const connection = this.#connection;
    if (this.#state !== State.LIVE || !connection) return;
    if (this.#pending.size > 0) {
      // A reply on its way would be lost with the link: move once every command is answered.
      this.#moveUpTo = index;
      return;
    }
    this.#connection = null;
    this.#endConnection();
    connection.transport.close(1000, "moving up the ladder");
    this.#ladder.moveTo(index);
    this.#connectNow();
  }

  /**
   * Everything a connection held ends with it: pending replies, timers, early events (a
   * resume sends them again).
   */
  #endConnection() {
    for (const timer of [this.#connectTimer, this.#helloTimer, this.#silenceTimer, this.#gapTimer]) {
      clearTimeout(timer);
    }
    this.#connectTimer = null;
    this.#helloTimer = null;
    this.#silenceTimer = null;
    this.#gapTimer = null;
    this.#moveUpTo = null;
    this.#sequence.dropEarly();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of pending) {
      reject(new AcdError("connection_lost", "the connection dropped before the server answered"));
    }
  }

  /** Stops for good (until `start`): signed out, refused, or closed for a fault. */
  #halt(reason, detail = {}) {
    globalThis.removeEventListener?.("online", this.onOnline);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#probeTimer);
    this.#retryTimer = null;
    this.#probeTimer = null;
    this.#probe?.cancel();
    this.#probe = null;
    this.#loading?.abort();
    this.#loading = null;
    this.#sequence.forget();
    this.#stopReason = reason;
    this.#setState(State.STOPPED, { reason, ...detail });
  }

  // --- Messages --------------------------------------------------------------------------------

  #receive(connection, text) {
    if (connection.greeted) this.#watchSilence(connection);
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      console.warn("acdhub: a message that is not JSON", text);
      return;
    }
    switch (message.type) {
      case "hello":
        this.#hello(connection, message);
        return;
      case "heartbeat":
        // The link has lasted an interval: the next drop starts the backoff afresh. (Reset at
        // sign-in, a server that drops every session at once would be hammered.)
        if (this.#state === State.LIVE) {
          this.#attempt = 0;
          this.#tellSeen(connection);
        }
        return;
      case "ack":
      case "error":
        this.#reply(message);
        return;
      default:
        if (typeof message.seq === "number") this.#event(connection, message);
    }
  }

  /**
   * Tells the server which events this client has, so that its session keeps only those after
   * them for a resume (`seen`): once a heartbeat, if events came since the last time.
   */
  #tellSeen(connection) {
    const seq = this.#sequence.untold;
    if (seq === null || this.#connection !== connection) return;
    this.#sequence.told(seq);
    // A refusal or a lost link costs nothing: the server keeps the events, as if never told.
    this.#send(connection, "seen", { seq }).catch(() => {});
  }

  /** A link that delivers nothing, not even a heartbeat, for the silence limit is dead. */
  #watchSilence(connection) {
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = setTimeout(() => {
      if (this.#connection === connection) connection.transport.close(4000, "nothing heard: the link is dead");
    }, connection.silenceMs);
  }

  /**
   * The clock offset comes from `hello` alone: statistics' `at` trails real time by the
   * coalescing interval, and an offset that moved with every update would make clocks skip.
   */
  #hello(connection, hello) {
    clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
    connection.greeted = true;
    connection.server = hello.server;
    connection.silenceMs = this.#silenceMs ?? (hello.heartbeat_secs ?? 25) * 1000 + 20000;
    this.#watchSilence(connection);
    this.#ladder.remember(connection.label);
    const serverTime = Date.parse(hello.time);
    if (Number.isFinite(serverTime)) this.#offsetMs = serverTime - Date.now();
    // With a session to resume, the view carries on unless the server says otherwise (its
    // first event is seq 1, or its ack says `resumed: false`). Without one, the page's view is
    // reset when the new session's snapshot begins (its first event, or the ack of auth if it
    // has none), not now: a sign-in that fails leaves the old view on show, marked stale,
    // rather than an empty one.
    connection.resuming = this.#sequence.resumable;
    if (!connection.resuming) this.#startAfresh(connection);
    this.#authenticate(connection);
  }

  #startAfresh(connection) {
    this.#sequence.restart();
    clearTimeout(this.#gapTimer);
    this.#gapTimer = null;
    connection.needsReset = true;
  }

  #authenticate(connection) {
    const token = this.#readToken();
    let fields;
    if (token && !connection.triedToken) {
      connection.triedToken = true;
      fields = { token };
    } else if (this.#credentials && !connection.triedPassword) {
      connection.triedPassword = true;
      fields = this.#credentials.display
        ? { display: this.#credentials.display }
        : { user: this.#credentials.user, password: this.#credentials.password };
    } else {
      this.#signInRefused(connection, "Your session has ended: please sign in again.");
      return;
    }
    if (connection.resuming) fields.resume = this.#sequence.resumeFields();
    this.#send(connection, "auth", fields).then(
      (result) => {
        if (this.#connection !== connection) return;
        clearTimeout(this.#connectTimer);
        if (connection.resuming) {
          // No event came before the ack: the ack alone says whether the session carried on.
          connection.resuming = false;
          if (!resumeGrantedBy(result)) this.#startAfresh(connection);
        }
        this.#beginSession(connection);
        this.#session = result;
        this.#sequence.keep(result.session);
        this.#writeToken(result.token);
        this.#setState(State.LIVE);
        this.#dispatch("session", result);
        this.#scheduleProbe();
      },
      (error) => {
        if (this.#connection !== connection) return;
        // A verdict on the credentials: wrong ones, or a display's token that was revoked.
        if (error.code !== "auth_failed" && error.code !== "display_revoked") {
          // Not a verdict on the credentials (`unavailable` while the server shuts down, say):
          // try again on a new connection, after the backoff.
          connection.transport.close(1000, `sign-in refused: ${error.code}`);
          return;
        }
        if (fields.token) {
          this.#writeToken(null);
          this.#authenticate(connection);
        } else {
          this.#credentials = null;
          const display = error.code === "display_revoked";
          this.#signInRefused(connection, display ? FATAL_CLOSES.get(4010) : "wrong user name or password", error.code);
        }
      },
    );
  }

  #signInRefused(connection, message, code = "auth_failed") {
    this.#connection = null;
    this.#endConnection();
    connection.transport.close(1000, "signing out");
    this.#halt({ code, message });
  }

  #send(connection, type, fields) {
    const id = String(++this.#nextId);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      connection.transport.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  #reply(message) {
    const pending = message.id == null ? undefined : this.#pending.get(message.id);
    if (!pending) {
      if (message.type === "error") console.warn("acdhub: the server refused a message", message);
      return;
    }
    this.#pending.delete(message.id);
    if (message.type === "ack") pending.resolve(message.result);
    else pending.reject(new AcdError(message.code, message.message));
    if (this.#moveUpTo !== null && this.#pending.size === 0) this.#moveUp(this.#moveUpTo);
  }

  /**
   * Events go to the page in seq order, each once. A link delivers them in order; a seq
   * already seen is dropped, and one that comes early waits for the gap to fill. A gap that
   * does not fill means events were lost: the link is closed and the session resumed after
   * the last event delivered, which brings exactly the missing ones.
   */
  #event(connection, event) {
    if (connection.resuming) {
      // The first event settles the resume: a resume the server could not grant starts a new
      // session, whose snapshot is numbered from 1.
      connection.resuming = false;
      if (resumeRefusedBy(event)) this.#startAfresh(connection);
    }
    const admitted = this.#sequence.admit(event);
    if (admitted === Admit.SEEN) return;
    if (admitted === Admit.EARLY) {
      this.#gapTimer ??= setTimeout(() => this.#gapUnfilled(connection), GAP_TIMEOUT_MS);
      return;
    }
    this.#deliver(event);
    for (let next = this.#sequence.takeDue(); next; next = this.#sequence.takeDue()) this.#deliver(next);
    if (!this.#sequence.gapOpen) {
      clearTimeout(this.#gapTimer);
      this.#gapTimer = null;
    }
  }

  #deliver(event) {
    this.#beginSession(this.#connection);
    this.#sequence.delivered(event);
    this.#dispatch("event", event);
  }

  #beginSession(connection) {
    if (!connection?.needsReset) return;
    connection.needsReset = false;
    this.#session = null;
    this.#dispatch("reset", { server: connection.server });
  }

  #gapUnfilled(connection) {
    if (this.#connection !== connection) return;
    console.warn(`acdhub: event ${this.#sequence.expected} never came; resuming to fetch it`);
    connection.transport.close(1000, "events missing: resuming");
  }

  // --- Small things ----------------------------------------------------------------------------

  #setState(state, detail = {}) {
    this.#state = state;
    this.#dispatch("state", { state, rung: this.#rungLabel, ...detail });
  }

  #dispatch(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #readToken() {
    try {
      return this.#tokenStore ? this.#tokenStore.getItem(this.#tokenKey) : this.#memoryToken;
    } catch {
      return this.#memoryToken;
    }
  }

  #writeToken(token) {
    this.#memoryToken = token ?? null;
    try {
      if (!this.#tokenStore) return;
      if (token) this.#tokenStore.setItem(this.#tokenKey, token);
      else this.#tokenStore.removeItem(this.#tokenKey);
    } catch {
      // Storage can be disabled (private mode, policy): the token lives in memory then.
    }
  }
}
