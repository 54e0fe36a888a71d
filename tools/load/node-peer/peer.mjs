// The plain WebSocket side of acdhub-load's comparison: a `ws` 8 server with no protocol of
// its own. `--mode fanout --rate R --bytes B` sends every client one message of B bytes R times
// a second; `--mode flood --bytes B` sends each client as fast as it takes them (the next
// message when the last one is written, 8 in flight per client). Every message starts with its send time,
// `{"t":<ms since the epoch>,`, which `acdhub-load broadcast` reads for the latency.
// Prints one JSON line with its pid for `--server-pid`.
import { WebSocketServer } from "ws";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "28500" },
    mode: { type: "string", default: "fanout" },
    rate: { type: "string", default: "4" },
    bytes: { type: "string", default: "1000" },
  },
});
const port = Number(values.port);
const rate = Number(values.rate);
const bytes = Number(values.bytes);
if (!["fanout", "flood"].includes(values.mode)) throw new Error("--mode is fanout or flood");

let sequence = 0;
/** A message of exactly `bytes` bytes (ASCII) carrying its send time. */
function message() {
  const head = `{"t":${performance.timeOrigin + performance.now()},"n":${++sequence},"pad":"`;
  return head + "x".repeat(Math.max(0, bytes - head.length - 2)) + '"}';
}

const server = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });

if (values.mode === "fanout") {
  // One message a tick, the same for everyone, as a statistics update is.
  setInterval(() => {
    const text = message();
    for (const client of server.clients) client.send(text);
  }, 1000 / rate);
} else {
  // The next message goes out once the last one is written, after pending I/O (setImmediate):
  // sending straight from the callback would starve new connections' handshakes.
  server.on("connection", (client) => {
    const pump = () => {
      if (client.readyState !== client.OPEN) return;
      client.send(message(), (error) => error || setImmediate(pump));
    };
    for (let i = 0; i < 8; i++) pump();
  });
}

server.on("listening", () =>
  console.log(JSON.stringify({ pid: process.pid, port, mode: values.mode, rate, bytes })),
);
process.on("SIGINT", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
