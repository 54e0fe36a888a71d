// acdhub.js: the browser client of protocol acdhub.v1, shared by the WebAgent, the wallboard and
// the supervisor's console. Plain ES module, standard APIs only (WebSocket, EventTarget, Web
// Storage), no build step.
//
//   const client = new Client({ credentials, tokenStore: sessionStorage });
//   client.addEventListener("session", (e) => ...);  // authenticated: e.detail is the AuthResult
//   client.addEventListener("reset", () => ...);     // a new session begins: its snapshot follows
//   client.addEventListener("event", (e) => ...);    // one server event, in seq order
//   client.addEventListener("state", (e) => ...);    // connection state changed (see State)
//   client.start();
//   await client.request("ready");                    // resolves with the ack's result, or throws AcdError
//
// What this module does, so pages do not: it connects to the page's own origin (wss when the
// page came over https, ws when over http), authenticates with the stored token and falls back
// to the password, reconnects after a drop with exponential backoff and jitter, notices a dead
// link with an application ping (browsers cannot see WebSocket pings), matches replies to
// commands, and hands events to the page strictly in seq order, exactly once.
//
// The seam for the fallback ladder (SSE, long-polling) and lossless resume: a connection is
// made by a *transport* (see webSocketTransport): an object that opens one connection and
// reports its text messages and its end. The client walks its `transports` list; today it has
// one rung. Resume will ride on `lastSeq` and the session token, both kept here.

export const PROTOCOL = "acdhub.v1";

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
  [1008, "the server closed the session: too many refused messages"],
  [1009, "the server closed the session: a message was too large"],
  [4003, "the server closed the session: too many failed sign-ins"],
]);

/** A connection not signed in by then is given up and made again (a proxy holding the upgrade). */
const CONNECT_TIMEOUT_MS = 20000;

/** The WebSocket URL of the server that served this page. */
export function ownOriginUrl(location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/**
 * A transport over WebSocket. A transport is a function `open(handlers)` that starts one
 * connection and returns `{ send(text), close(code, reason) }`; it calls
 * `handlers.open()`, `handlers.message(text)` and, exactly once, `handlers.close({code, reason})`.
 */
export function webSocketTransport(url = ownOriginUrl()) {
  const open = (handlers) => {
    let socket;
    let ended = false;
    const end = (code, reason) => {
      if (ended) return;
      ended = true;
      handlers.close({ code, reason });
    };
    try {
      socket = new WebSocket(url, PROTOCOL);
    } catch (error) {
      queueMicrotask(() => end(1006, String(error)));
      return { send() {}, close() {} };
    }
    socket.onopen = () => handlers.open();
    socket.onmessage = (frame) => {
      if (typeof frame.data === "string") handlers.message(frame.data);
    };
    socket.onclose = (event) => end(event.code, event.reason);
    return {
      send: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      close: (code = 1000, reason = "") => {
        try {
          socket.close(code, reason);
        } catch {
          socket.close();
        }
        // The browser reports the close only after the handshake; the client is done now.
        end(code, reason);
      },
    };
  };
  open.label = url.startsWith("wss:") ? "wss" : "ws";
  return open;
}

/** Exponential backoff with jitter: about 1, 2, 4, 8, 16, then 30 s, each between half and all of it. */
export function backoffDelay(attempt, { baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(full / 2 + random() * (full / 2));
}

/**
 * One client of the server: one session at a time, remade after every drop.
 *
 * Options:
 * - `credentials`: `{ user, password }`, kept in memory only, used when there is no token or
 *   the token is refused (after a server restart every token is).
 * - `tokenStore`: a Web Storage (sessionStorage, localStorage) to keep the session token in,
 *   under `tokenKey`; or null to keep it in memory.
 * - `transports`: the rungs to connect over, best first (default: WebSocket to this origin).
 * - `pingIntervalMs`, `pingTimeoutMs`: the application ping that notices a dead link.
 */
export class Client extends EventTarget {
  #credentials;
  #tokenStore;
  #tokenKey;
  #transports;
  #pingIntervalMs;
  #pingTimeoutMs;

  #state = State.STOPPED;
  #connection = null;
  #attempt = 0;
  #retryTimer = null;
  #connectTimer = null;
  #pingTimer = null;
  #nextId = 0;
  #pending = new Map();
  #expectedSeq = 1;
  #early = new Map();
  #gapTimer = null;
  #offsetMs = 0;
  #session = null;
  #stopReason = null;
  #memoryToken = null;

  constructor({
    credentials = null,
    tokenStore = null,
    tokenKey = "acdhub.token",
    transports = [webSocketTransport()],
    pingIntervalMs = 25000,
    pingTimeoutMs = 10000,
  } = {}) {
    super();
    this.#credentials = credentials;
    this.#tokenStore = tokenStore;
    this.#tokenKey = tokenKey;
    this.#transports = transports;
    this.#pingIntervalMs = pingIntervalMs;
    this.#pingTimeoutMs = pingTimeoutMs;
    this.onOnline = () => {
      if (this.#state === State.RECONNECTING) this.#connectNow();
    };
  }

  /** The connection state (a value of State). */
  get state() {
    return this.#state;
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
    return this.#expectedSeq - 1;
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
   * Disconnects and stays disconnected. `forget` also drops the token and the password, as
   * signing out does.
   */
  stop({ forget = false, code = "stopped", message = "disconnected" } = {}) {
    if (forget) {
      this.#writeToken(null);
      this.#credentials = null;
    }
    globalThis.removeEventListener?.("online", this.onOnline);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const connection = this.#connection;
    this.#connection = null;
    this.#endConnection();
    connection?.transport?.close(1000, "signing out");
    this.#stopReason = { code, message };
    this.#setState(State.STOPPED, { reason: this.#stopReason });
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

  // --- connections ---------------------------------------------------------------------------

  #connectNow() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const transport = this.#transports[0];
    const connection = { transport: null, triedToken: false, triedPassword: false, needsReset: false };
    this.#connection = connection;
    this.#setState(State.CONNECTING);
    // A listener of that state change may have stopped the client.
    if (this.#connection !== connection) return;
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

  #dropped(connection, code, reason) {
    this.#connection = null;
    this.#endConnection();
    const fatal = FATAL_CLOSES.get(code);
    if (fatal) {
      this.#stopReason = { code: `close_${code}`, message: `${fatal} (${code})` };
      this.#setState(State.STOPPED, { reason: this.#stopReason, closeCode: code });
      return;
    }
    const delay = backoffDelay(this.#attempt++);
    const retryAt = Date.now() + delay;
    this.#retryTimer = setTimeout(() => this.#connectNow(), delay);
    this.#setState(State.RECONNECTING, { retryAt, closeCode: code, closeReason: reason });
  }

  /** Everything a connection held ends with it: pending replies, timers, early events. */
  #endConnection() {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#gapTimer);
    this.#connectTimer = null;
    this.#pingTimer = null;
    this.#gapTimer = null;
    this.#early.clear();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of pending) {
      reject(new AcdError("connection_lost", "the connection dropped before the server answered"));
    }
  }

  #receive(connection, text) {
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
      case "ack":
      case "error":
        this.#reply(message);
        return;
      default:
        if (typeof message.seq === "number") this.#event(connection, message);
    }
  }

  /**
   * The clock offset comes from `hello` alone: statistics' `at` trails real time by the
   * coalescing interval, and an offset that moved with every update would make clocks skip.
   */
  #hello(connection, hello) {
    const serverTime = Date.parse(hello.time);
    if (Number.isFinite(serverTime)) this.#offsetMs = serverTime - Date.now();
    this.#expectedSeq = 1;
    this.#early.clear();
    // The page's view is reset when the new session's snapshot begins (its first event, or the
    // ack of auth if it has none), not now: a sign-in that fails leaves the old view on show,
    // marked stale, rather than an empty one.
    connection.needsReset = true;
    connection.server = hello.server;
    this.#authenticate(connection);
  }

  #authenticate(connection) {
    const token = this.#readToken();
    let fields;
    if (token && !connection.triedToken) {
      connection.triedToken = true;
      fields = { token };
    } else if (this.#credentials && !connection.triedPassword) {
      connection.triedPassword = true;
      fields = { user: this.#credentials.user, password: this.#credentials.password };
    } else {
      this.#signInRefused(connection, "Your session has ended: please sign in again.");
      return;
    }
    this.#send(connection, "auth", fields).then(
      (result) => {
        if (this.#connection !== connection) return;
        clearTimeout(this.#connectTimer);
        this.#beginSession(connection);
        this.#session = result;
        this.#writeToken(result.token);
        this.#schedulePing(connection);
        this.#setState(State.LIVE);
        this.#dispatch("session", result);
      },
      (error) => {
        if (this.#connection !== connection) return;
        if (error.code !== "auth_failed") {
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
          this.#signInRefused(connection, "wrong user name or password");
        }
      },
    );
  }

  #signInRefused(connection, message) {
    this.#connection = null;
    this.#endConnection();
    connection.transport.close(1000, "signing out");
    globalThis.removeEventListener?.("online", this.onOnline);
    this.#stopReason = { code: "auth_failed", message };
    this.#setState(State.STOPPED, { reason: this.#stopReason });
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
  }

  /**
   * Events go to the page in seq order, each once. On a WebSocket they arrive in order; a seq
   * already seen is dropped, and one that comes early waits for the gap to fill. A gap that
   * does not fill means events were lost: the view is rebuilt from a new session's snapshot.
   */
  #event(connection, event) {
    if (event.seq < this.#expectedSeq) return;
    if (event.seq > this.#expectedSeq) {
      this.#early.set(event.seq, event);
      if (!this.#gapTimer) this.#gapTimer = setTimeout(() => this.#resync(connection), 3000);
      return;
    }
    this.#deliver(event);
    while (this.#early.has(this.#expectedSeq)) {
      const next = this.#early.get(this.#expectedSeq);
      this.#early.delete(this.#expectedSeq);
      this.#deliver(next);
    }
    if (this.#early.size === 0) {
      clearTimeout(this.#gapTimer);
      this.#gapTimer = null;
    }
  }

  #deliver(event) {
    this.#beginSession(this.#connection);
    this.#expectedSeq = event.seq + 1;
    this.#dispatch("event", event);
  }

  #beginSession(connection) {
    if (!connection?.needsReset) return;
    connection.needsReset = false;
    this.#session = null;
    this.#dispatch("reset", { server: connection.server });
  }

  #resync(connection) {
    if (this.#connection !== connection) return;
    console.warn(`acdhub: event ${this.#expectedSeq} never came; starting a new session`);
    connection.transport.close(1000, "resync");
  }

  /** An application ping: a link that stops answering is closed and remade. */
  #schedulePing(connection) {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = setTimeout(() => {
      if (this.#connection !== connection) return;
      const timeout = setTimeout(() => {
        if (this.#connection === connection) connection.transport.close(4000, "no answer to ping");
      }, this.#pingTimeoutMs);
      const next = () => {
        clearTimeout(timeout);
        if (this.#connection === connection) this.#schedulePing(connection);
      };
      this.#send(connection, "ping", {}).then(() => {
        // The link has lasted a ping interval: the next drop starts the backoff afresh. (Reset
        // at sign-in, a server that drops every session at once would be hammered.)
        this.#attempt = 0;
        next();
      }, next);
    }, this.#pingIntervalMs);
  }

  // --- small things ---------------------------------------------------------------------------

  #setState(state, detail = {}) {
    this.#state = state;
    this.#dispatch("state", { state, ...detail });
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
