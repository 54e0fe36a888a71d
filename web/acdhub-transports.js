// acdhub-transports.js: the rungs of the client's ladder (acdhub.js). A *transport* is a
// function `open(handlers)` that opens one link to the server and reports its text messages
// and its end, one JSON text per message whatever the rung: WebSocket (wss and ws),
// Server-Sent Events with POSTs up, and long-polling (protocol.md, The fallback ladder).
// Everything above a transport (sign-in, seq order, resume, the ladder) is the same on every
// rung. Nothing here runs on import; `EventSource` and `fetch` may be given (tests).

/** The WebSocket subprotocol of protocol v1. */
export const PROTOCOL = "acdhub.v1";

/** The WebSocket URL of the server that served this page. */
export function ownOriginUrl(location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/**
 * A transport over WebSocket. A transport is a function `open(handlers)` that starts one
 * connection and returns `{ send(text), close(code, reason) }`; it calls
 * `handlers.open()`, `handlers.message(text)` and, exactly once, `handlers.close({code, reason})`.
 * Its `label` names the rung (`wss`, `ws`, `sse`, `poll`, as in `/rt/endpoints`).
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

/** `fetch` as the page has it, called later (tests replace the global). */
export const pageFetch = (...args) => globalThis.fetch(...args);

/**
 * The upward half of both HTTP rungs: each message a `POST` to `send` with the link's header,
 * one at a time so that commands are read in the order the page sent them, as on a WebSocket.
 * A send that fails ends the link (`end`): its reply would never come, and a new link resumes.
 */
function linkSender(sendPath, fetchImpl, linkId, end) {
  const aborter = new AbortController();
  let queue = Promise.resolve();
  const post = async (text) => {
    if (aborter.signal.aborted) return;
    let response;
    try {
      response = await fetchImpl(sendPath, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Acdhub-Link": linkId() ?? "" },
        body: text,
        cache: "no-store",
        signal: aborter.signal,
      });
      // Read the short answer so that the browser can reuse the connection.
      await response.text();
    } catch (error) {
      if (!aborter.signal.aborted) end(1006, `a send failed: ${error.message ?? error}`);
      return;
    }
    if (response.ok) return;
    if (response.status === 404) end(1006, "unknown_link");
    else if (response.status === 413) end(1009, "a message was too large");
    else end(1006, `a send was answered ${response.status}`);
  };
  return {
    send: (text) => {
      queue = queue.then(() => post(text));
    },
    abort: () => aborter.abort(),
  };
}

/** The `link` of a `hello` text, or null. */
function linkOfHello(text) {
  try {
    const message = JSON.parse(text);
    return message.type === "hello" && typeof message.link === "string" ? message.link : null;
  } catch {
    return null;
  }
}

/**
 * A transport over Server-Sent Events: `GET paths.sse` down, `POST paths.send` up
 * (protocol.md, SSE). The stream's first message, `hello`, names the link. An `event: close`
 * ends the link with its code; a stream that breaks without one ends it with 1006. The
 * EventSource is closed then, never left to reconnect by itself: a new link needs an `auth`
 * with `resume`, which the client sends.
 * `EventSource` and `fetch` may be given (tests); the page's own are the default.
 */
export function sseTransport(paths, options = {}) {
  const { EventSource: Source = globalThis.EventSource, fetch: fetchImpl = pageFetch } = options;
  const open = (handlers) => {
    let source = null;
    let link = null;
    let ended = false;
    const end = (code, reason) => {
      if (ended) return;
      ended = true;
      source?.close();
      sender.abort();
      handlers.close({ code, reason });
    };
    const sender = linkSender(paths.send, fetchImpl, () => link, end);
    try {
      source = new Source(paths.sse);
    } catch (error) {
      queueMicrotask(() => end(1006, String(error)));
      return { send() {}, close() {} };
    }
    source.onopen = () => {
      if (!ended) handlers.open();
    };
    source.onmessage = (event) => {
      if (ended) return;
      link ??= linkOfHello(event.data);
      handlers.message(event.data);
    };
    source.addEventListener("close", (event) => {
      let close = {};
      try {
        close = JSON.parse(event.data);
      } catch {
        // A close without a readable code is a broken stream.
      }
      end(Number.isInteger(close.code) ? close.code : 1006, close.reason ?? "");
    });
    source.onerror = () => end(1006, "the event stream broke");
    return {
      send: (text) => {
        if (!ended) sender.send(text);
      },
      close: (code = 1000, reason = "") => end(code, reason),
    };
  };
  open.label = "sse";
  return open;
}

/**
 * A transport over long-polling: `POST paths.poll` opens a link and answers at once; then
 * `POST paths.poll?next=N` with the link's header, again and again, each answered when there is
 * something to say (protocol.md, Long-poll). A non-null `closed` ends the link with its code;
 * a poll that fails ends it with 1006. Closing aborts the poll in flight.
 * `fetch` may be given (tests); the page's own is the default.
 */
export function longPollTransport(paths, { fetch: fetchImpl = pageFetch } = {}) {
  const open = (handlers) => {
    const aborter = new AbortController();
    let link = null;
    let ended = false;
    const end = (code, reason) => {
      if (ended) return;
      ended = true;
      aborter.abort();
      sender.abort();
      handlers.close({ code, reason });
    };
    const sender = linkSender(paths.send, fetchImpl, () => link, end);
    const poll = async (next) => {
      let answer;
      try {
        const response = await fetchImpl(link ? `${paths.poll}?next=${next}` : paths.poll, {
          method: "POST",
          headers: link ? { "X-Acdhub-Link": link } : {},
          cache: "no-store",
          signal: aborter.signal,
        });
        if (!response.ok) {
          await response.text();
          end(1006, response.status === 404 ? "unknown_link" : `a poll was answered ${response.status}`);
          return;
        }
        answer = await response.json();
      } catch (error) {
        end(1006, `a poll failed: ${error.message ?? error}`);
        return;
      }
      if (ended) return;
      if (!Array.isArray(answer?.messages)) {
        // Not the server's answer: something on the way (a portal, a proxy's page) made it.
        end(1006, "a poll was answered with something else");
        return;
      }
      if (!link) {
        link = answer.link;
        handlers.open();
      }
      for (const message of answer.messages) {
        if (ended) return;
        handlers.message(JSON.stringify(message));
      }
      if (answer.closed) end(answer.closed.code, answer.closed.reason ?? "");
      else if (!ended) poll(answer.next);
    };
    poll(null);
    return {
      send: (text) => {
        if (!ended) sender.send(text);
      },
      close: (code = 1000, reason = "") => end(code, reason),
    };
  };
  open.label = "poll";
  return open;
}

/**
 * The rungs an answer of `GET /rt/endpoints` offers, best first. A page that came over https
 * leaves out `ws`: the browser blocks an insecure WebSocket from a secure page.
 */
export function rungsFromEndpoints(endpoints, { secure = globalThis.location?.protocol === "https:" } = {}) {
  const rungs = [];
  if (endpoints.wss) rungs.push(webSocketTransport(endpoints.wss));
  if (endpoints.ws && !secure) rungs.push(webSocketTransport(endpoints.ws));
  if (endpoints.sse && endpoints.send) rungs.push(sseTransport({ sse: endpoints.sse, send: endpoints.send }));
  if (endpoints.poll && endpoints.send) rungs.push(longPollTransport({ poll: endpoints.poll, send: endpoints.send }));
  return rungs;
}
