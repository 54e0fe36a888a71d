// The pages' modules (web/*.js) import without side effects: in Node, where there is no DOM,
// each imports without error, starts no timer, fetches nothing, listens to nothing and adds no
// global. A page starts only when its entry module (`<page>-main.js`, the one script its HTML
// loads) calls `start()`.
// Run: node --test modules.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "web");
const ENTRY = /-main\.js$/;
const modules = readdirSync(WEB).filter((name) => name.endsWith(".js") && !ENTRY.test(name)).sort();

test("every module of web/ but the pages' entries imports with no side effect", async () => {
  assert.ok(modules.length >= 14, modules.join(", "));
  assert.equal(typeof globalThis.document, "undefined", "no DOM here: a module that touched it would throw");
  const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
  const started = [];
  const spied = ["setTimeout", "setInterval", "queueMicrotask", "fetch", "addEventListener"];
  const originals = Object.fromEntries(spied.map((name) => [name, globalThis[name]]));
  for (const name of spied) {
    globalThis[name] = (...args) => {
      started.push(name);
      return originals[name]?.(...args);
    };
  }
  try {
    for (const name of modules) await import(pathToFileURL(join(WEB, name)).href);
  } finally {
    for (const name of spied) {
      if (originals[name] === undefined) delete globalThis[name];
      else globalThis[name] = originals[name];
    }
  }
  assert.deepEqual(started, [], "a timer, a fetch or a listener started on import");
  const added = Object.getOwnPropertyNames(globalThis).filter((name) => !globalsBefore.has(name));
  assert.deepEqual(added, [], "globals added on import");
});

test("each page loads one entry module, which starts its page module", async () => {
  for (const page of ["agent", "wallboard", "supervisor", "diagnostics", "index"]) {
    const html = readFileSync(join(WEB, `${page}.html`), "utf8");
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1]);
    assert.deepEqual(scripts, [`/assets/${page}-main.js`], page);
    const entry = readFileSync(join(WEB, `${page}-main.js`), "utf8");
    assert.match(entry, new RegExp(`import \\{ start \\} from "\\./${page}\\.js";\\s+start\\(\\);`), page);
    const module = await import(pathToFileURL(join(WEB, `${page}.js`)).href);
    assert.equal(typeof module.start, "function", `${page}.js exports start`);
  }
});

test("the client keeps its exports across its modules", async () => {
  const client = await import(pathToFileURL(join(WEB, "acdhub.js")).href);
  for (const name of [
    "AcdError",
    "Client",
    "PROTOCOL",
    "State",
    "agentPages",
    "backoffDelay",
    "longPollTransport",
    "ownOriginUrl",
    "rungsFromEndpoints",
    "sseTransport",
    "webSocketTransport",
  ]) {
    assert.ok(name in client, name);
  }
  assert.equal(client.Client.name, "Client", "tests watch the client by its class name");
});
