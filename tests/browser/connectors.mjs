// The server's other clients, played from Node over a real WebSocket: the messaging connector
// (the side that talks to the chat widget) and the PBX (telephony), as protocol.md describes
// them. Each signs in, keeps every message the server sends it, and sends commands whose replies
// it matches by id. Used by the browser tests that need customers or callers of their own
// instead of the simulator's.

import { PASSWORD, launchBrowser, startServer, toml } from "./harness.mjs";

/** A WebSocket class: Node's own where it has one (22 on), else the one playwright-core ships. */
async function webSocketClass() {
  if (typeof globalThis.WebSocket === "function") return globalThis.WebSocket;
  const { ws } = await import("playwright-core/lib/utilsBundle");
  return ws;
}

/** Patience for a reply or an event: a limit, not a timing. */
const PATIENCE = 30000;

/**
 * A client of role `user`'s (telephony, messaging, ...) signed in to the server at `http` (the
 * ws listener's http URL, as startServer gives it). Resolves once signed in, with:
 * - `messages`: everything the server sent, in order (events, acks, errors);
 * - `request(type, fields)`: sends a command; resolves with the ack, rejects with the error;
 * - `waitFor(predicate, what)`: resolves with the first message (already received or to come)
 *   for which `predicate` holds, or rejects after PATIENCE naming `what`;
 * - `close()`.
 */
export async function connector(http, user, password = PASSWORD) {
  const WebSocket = await webSocketClass();
  const socket = new WebSocket(`${http.replace(/^http/, "ws")}/ws`, "acdhub.v1");
  const messages = [];
  const pending = new Map();
  const waiters = new Set();
  let next = 0;
  socket.addEventListener("message", (frame) => {
    const message = JSON.parse(String(frame.data));
    messages.push(message);
    if ((message.type === "ack" || message.type === "error") && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === "ack") resolve(message);
      else reject(Object.assign(new Error(`${message.code}: ${message.message}`), { code: message.code, reply: message }));
    }
    for (const waiter of [...waiters]) waiter(message);
  });
  const closed = new Promise((resolveClose) => socket.addEventListener("close", resolveClose));
  await new Promise((resolveOpen, reject) => {
    socket.addEventListener("open", resolveOpen);
    socket.addEventListener("error", () => reject(new Error(`${user}: the WebSocket did not open`)));
  });

  const request = (type, fields = {}) =>
    new Promise((resolve, reject) => {
      const id = `${user}-${++next}`;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, type, ...fields }));
    });

  const waitFor = (predicate, what = "a message") =>
    new Promise((resolve, reject) => {
      const found = messages.find(predicate);
      if (found) return resolve(found);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${user} never received ${what}; it got: ${JSON.stringify(messages.slice(-20))}`));
      }, PATIENCE);
      const waiter = (message) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(message);
      };
      waiters.add(waiter);
    });

  await waitFor((m) => m.type === "hello", "hello");
  const signedIn = await request("auth", { user, password });
  return {
    user,
    session: signedIn.result,
    messages,
    request,
    waitFor,
    /** The events of type `type` received so far (with `fields` matching, when given). */
    events: (type, fields = {}) =>
      messages.filter((m) => m.type === type && Object.entries(fields).every(([key, value]) => m[key] === value)),
    async close() {
      socket.close(1000, "test over");
      await closed;
    },
  };
}

/**
 * The messaging connector (`user` of role messaging): customers' conversations arrive and write,
 * and the agents' messages come back as `message` events for it to deliver.
 */
export async function messaging(http, user = "widget") {
  const client = await connector(http, user);
  return {
    ...client,
    /** A customer's conversation reaches `queue`, with what it wrote first. */
    arrive: (conversation, { queue = "chat", customer, messages, data } = {}) =>
      client.request("conversation_arrived", {
        conversation,
        queue,
        ...(customer === undefined ? {} : { customer }),
        ...(messages === undefined ? {} : { messages }),
        ...(data === undefined ? {} : { data }),
      }),
    /** The customer writes. */
    write: (conversation, text) => client.request("customer_message", { conversation, text }),
    /** The customer leaves. */
    leave: (conversation) => client.request("customer_left", { conversation }),
    /** The agent's message `text` in `conversation`, as the connector receives it to deliver. */
    delivered: (conversation, text) =>
      client.waitFor(
        (m) => m.type === "message" && m.conversation === conversation && m.text === text,
        `the agent's message ${JSON.stringify(text)} in ${conversation}`,
      ),
  };
}

/** The PBX (`user` of role telephony): calls arrive in queues and end. */
export async function telephony(http, user = "pbx") {
  const client = await connector(http, user);
  return {
    ...client,
    /** A call reaches `queue` from `caller`. */
    arrive: (call, { queue = "support", caller, data } = {}) =>
      client.request("call_arrived", {
        call,
        queue,
        ...(caller === undefined ? {} : { caller }),
        ...(data === undefined ? {} : { data }),
      }),
    /** The caller hangs up. */
    hangUp: (call) => client.request("caller_hung_up", { call }),
  };
}

/**
 * A test tenant with `desk`, a queue of calls only agent3 (Dana Desk) serves (the simulator's
 * callers wait in support, and would ring an agent with a skill there the moment it is ready),
 * and the PBX's login.
 */
export const DESK_TOML = [
  toml.callQueue({ id: "desk", name: "Service Desk" }),
  toml.agent({ id: "agent3", name: "Dana Desk", skills: { desk: 1 } }),
  toml.login({ user: "agent3", role: "agent", agent: "agent3" }),
  toml.login({ user: "pbx", role: "telephony" }),
].join("");

/**
 * The server on DESK_TOML (or the TOML `extra`), a browser and the PBX, all stopped when test
 * `t` ends.
 */
export async function deskSetUp(t, extra = DESK_TOML) {
  const server = await startServer({ extra });
  const browser = await launchBrowser();
  const pbx = await telephony(server.http);
  t.after(async () => {
    await pbx.close();
    await browser.close();
    await server.stop();
  });
  return { server, browser, pbx };
}
