// The integrator kit: what a team writing its own client takes from this repository besides
// protocol.md. Three pieces, each checked against what it claims to describe:
//
// - protocol/asyncapi.yaml, an AsyncAPI 3 document of every rung and message, validated here by
//   @asyncapi/parser (which resolves its relative $refs to protocol/schemas/). tests/core/asyncapi.rs
//   checks it against the schema files from the Rust side.
// - protocol/types/, TypeScript types generated from the schemas by json-schema-to-typescript.
//   Regenerated here on every run; a difference from the committed files fails. To update them:
//   `ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs`.
// - web/package.json, which packages the browser client (web/acdhub.js and the modules it
//   imports) for pages that are not the server's own.
//
// No server, no browser: these run in Node alone.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { Parser, fromFile } from "@asyncapi/parser";
import { compileFromFile } from "json-schema-to-typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const PROTOCOL = join(ROOT, "protocol");
const SCHEMAS = join(PROTOCOL, "schemas");
const ASYNCAPI = join(PROTOCOL, "asyncapi.yaml");
const TYPES = join(PROTOCOL, "types");
const WEB = join(ROOT, "web");

/** Every message schema: {dir: "client"|"server", name, file, schema}, in a stable order. */
function messageSchemas() {
  const out = [];
  for (const dir of ["client", "server"]) {
    for (const file of readdirSync(join(SCHEMAS, dir)).filter((f) => f.endsWith(".json")).sort()) {
      const schema = JSON.parse(readFileSync(join(SCHEMAS, dir, file), "utf8"));
      out.push({ dir, name: file.slice(0, -".json".length), file: join(SCHEMAS, dir, file), schema });
    }
  }
  return out;
}

const ERROR = 0; // a diagnostic's severity: 0 error, 1 warning, 2 information, 3 hint

async function parseAsyncApi(text) {
  const parser = new Parser();
  const { document, diagnostics } =
    text === undefined ? await fromFile(parser, ASYNCAPI).parse() : await parser.parse(text, { source: ASYNCAPI });
  const errors = diagnostics.filter((d) => d.severity === ERROR);
  return { document, errors };
}

const showDiagnostics = (ds) => ds.map((d) => `${d.code} at ${d.path.join(".")}: ${d.message}`).join("\n");

// ----------------------------------------------------------------------------------------------
// AsyncAPI

test("protocol/asyncapi.yaml is a valid AsyncAPI 3 document whose $refs all resolve", async () => {
  const { document, errors } = await parseAsyncApi();
  assert.deepEqual(errors, [], showDiagnostics(errors));
  assert.ok(document, "the parser gave no document");
  assert.match(document.version(), /^3\./);

  // Every rung of protocol.md's "Transports and URLs", at its path.
  const addresses = Object.fromEntries(document.channels().all().map((c) => [c.id(), c.address()]));
  assert.deepEqual(
    new Set(Object.values(addresses)),
    new Set(["/ws", "/rt/sse", "/rt/send", "/rt/poll", "/rt/endpoints"]),
  );
  const ws = document.channels().get("websocket");
  assert.equal(ws.address(), "/ws");
  assert.deepEqual(ws.servers().all().map((s) => s.protocol()).sort(), ["ws", "wss"]);
  for (const id of ["sse", "send", "poll", "endpoints"]) {
    assert.deepEqual(
      document.channels().get(id).servers().all().map((s) => s.protocol()).sort(),
      ["http", "https"],
      `channel ${id}`,
    );
  }
});

test("every schema is the payload of one AsyncAPI message, resolved from the file", async () => {
  const { document, errors } = await parseAsyncApi();
  assert.deepEqual(errors, [], showDiagnostics(errors));
  const messages = new Map(document.components().messages().all().map((m) => [m.id(), m]));
  const schemas = messageSchemas();
  assert.ok(schemas.length >= 50, `only ${schemas.length} schemas found under ${SCHEMAS}`);
  for (const { name, schema } of schemas) {
    const message = messages.get(name);
    assert.ok(message, `no message ${name} in components.messages`);
    const payload = message.payload();
    // Resolved, not a dangling reference: the payload is the schema file's content, and the
    // shared definitions it refers to (../common.json) are resolved too.
    assert.equal(payload.title(), schema.title, name);
    assert.equal(payload.properties().type.const(), schema.properties.type.const, name);
    assert.ok(!JSON.stringify(payload.json()).includes('"$ref"'), `${name}: an unresolved $ref in its payload`);
  }
});

test("the operations say what a client sends and receives on every rung", async () => {
  const { document } = await parseAsyncApi();
  const schemas = messageSchemas();
  const client = schemas.filter((s) => s.dir === "client").map((s) => s.name).sort();
  const server = schemas.filter((s) => s.dir === "server").map((s) => s.name).sort();
  const opMessages = (id) => {
    const op = document.operations().get(id);
    assert.ok(op, `no operation ${id}`);
    return { action: op.action(), channel: op.channels().all()[0].id(), names: op.messages().all().map((m) => m.id()).sort() };
  };
  // The document describes the server: it receives what a client sends.
  assert.deepEqual(opMessages("client_sends_over_websocket"), { action: "receive", channel: "websocket", names: client });
  assert.deepEqual(opMessages("client_receives_over_websocket"), { action: "send", channel: "websocket", names: server });
  assert.deepEqual(opMessages("client_sends_over_http"), { action: "receive", channel: "send", names: client });
  assert.deepEqual(opMessages("client_opens_sse_link"), {
    action: "send",
    channel: "sse",
    names: [...server, "link_closed"].sort(),
  });
  assert.deepEqual(opMessages("client_polls").channel, "poll");
  assert.deepEqual(opMessages("client_reads_endpoints").channel, "endpoints");
});

test("the validator does refuse a document with a $ref to a missing schema", async () => {
  // So that the passing tests above mean something: a wrong path is an error, not a warning.
  const text = readFileSync(ASYNCAPI, "utf8");
  const broken = text.replace('$ref: "./schemas/client/accept.json"', '$ref: "./schemas/client/no_such_message.json"');
  assert.notEqual(broken, text, "the document no longer references ./schemas/client/accept.json this way");
  const { errors } = await parseAsyncApi(broken);
  assert.ok(errors.length > 0, "a $ref to a missing file passed validation");
});

// ----------------------------------------------------------------------------------------------
// TypeScript types

const banner = (source) =>
  `/* Generated from protocol/${source} by json-schema-to-typescript. Do not edit: change the schema and run\n` +
  ` * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */`;

/** The contents of protocol/types/, as generated now from the schemas: path relative to it -> text. */
async function generateTypes() {
  const files = new Map();
  const roots = { client: [], server: [] };
  for (const { dir, name, file } of messageSchemas()) {
    const ts = await compileFromFile(file, {
      bannerComment: banner(relative(PROTOCOL, file)),
      cwd: join(SCHEMAS, dir),
      format: true,
    });
    // The first declaration is the message's own type; the rest are what it refers to.
    const root = /^export (?:type|interface) (\w+)/m.exec(ts)?.[1];
    assert.ok(root, `no exported type in what ${file} compiled to`);
    roots[dir].push({ name, root });
    files.set(`${dir}/${name}.d.ts`, ts);
  }
  const all = [...roots.client.map((r) => ({ ...r, dir: "client" })), ...roots.server.map((r) => ({ ...r, dir: "server" }))];
  const index = [
    "/* Generated from protocol/schemas/ by tests/browser/protocol-kit.test.mjs. Do not edit: change the schemas and run",
    " * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */",
    "",
    "// Every message of protocol acdhub.v1, by its `type`.",
    ...all.map((r) => `import type { ${r.root} } from "./${r.dir}/${r.name}.js";`),
    "",
    `export type {\n${all.map((r) => `  ${r.root},`).join("\n")}\n};`,
    "",
    "/** What a client sends: a command (protocol.md, Client messages). */",
    `export type ClientMessage =\n${roots.client.map((r) => `  | ${r.root}`).join("\n")};`,
    "",
    "/** What the server sends: hello, heartbeat, a reply or an event (protocol.md, Server messages). */",
    `export type ServerMessage =\n${roots.server.map((r) => `  | ${r.root}`).join("\n")};`,
    "",
  ].join("\n");
  files.set("index.d.ts", index);
  return files;
}

function committedTypes() {
  const files = new Map();
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".d.ts")) files.set(relative(TYPES, path), readFileSync(path, "utf8"));
    }
  };
  walk(TYPES);
  return files;
}

test("protocol/types/ is what json-schema-to-typescript makes of the schemas now", async () => {
  const generated = await generateTypes();
  assert.equal(generated.size, messageSchemas().length + 1);
  if (process.env.ACDHUB_WRITE_TYPES) {
    rmSync(join(TYPES, "client"), { recursive: true, force: true });
    rmSync(join(TYPES, "server"), { recursive: true, force: true });
    for (const [path, text] of generated) {
      mkdirSync(dirname(join(TYPES, path)), { recursive: true });
      writeFileSync(join(TYPES, path), text);
    }
  }
  const committed = committedTypes();
  assert.deepEqual(
    [...committed.keys()].sort(),
    [...generated.keys()].sort(),
    "protocol/types/ has other files than the schemas make: run ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs",
  );
  for (const [path, text] of generated) {
    assert.equal(
      committed.get(path),
      text,
      `protocol/types/${path} is stale: run ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser`,
    );
  }
  // Spot checks that the generator did read the schemas and what they refer to.
  assert.match(committed.get("client/accept.d.ts"), /type: "accept";/);
  assert.match(committed.get("server/ack.d.ts"), /export interface AuthResult/);
  assert.match(committed.get("index.d.ts"), /export type ClientMessage =\n  \| Accept\n/);
});

// ----------------------------------------------------------------------------------------------
// The package of the browser client

const pkg = () => JSON.parse(readFileSync(join(WEB, "package.json"), "utf8"));

/** The relative imports of a module of web/ and of what they import, as file names. */
function moduleClosure(entry) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const text = readFileSync(join(WEB, name), "utf8");
    for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.\/[^"]+)"/gms)) {
      visit(spec.slice(2));
    }
  };
  visit(entry);
  return seen;
}

test("web/package.json packages acdhub.js, the modules it imports and the generated types", () => {
  const p = pkg();
  const cargoVersion = /^version = "([^"]+)"/m.exec(readFileSync(join(ROOT, "Cargo.toml"), "utf8"))[1];
  assert.equal(p.name, "@acdhub/client");
  assert.equal(p.version, cargoVersion, "the package's version is the server's (Cargo.toml)");
  assert.equal(p.type, "module");
  assert.equal(p.exports["."], "./acdhub.js");
  assert.equal(resolve(WEB, p.types), join(TYPES, "index.d.ts"));
  assert.ok(existsSync(resolve(WEB, p.types)), `types ${p.types} does not exist`);
  for (const [subpath, target] of Object.entries(p.exports)) {
    assert.ok(existsSync(resolve(WEB, target)), `exports["${subpath}"] = ${target} does not exist`);
  }
  // Everything acdhub.js loads is in the package and exported.
  const closure = moduleClosure("acdhub.js");
  assert.ok(closure.size >= 2, `acdhub.js imports nothing? ${[...closure]}`);
  for (const name of closure) {
    assert.ok(p.files.includes(name), `${name} (imported by acdhub.js) is not in files`);
    assert.equal(p.exports[`./${name}`], `./${name}`, `${name} is not exported`);
  }
});

test("the package imports by its name from Node and exports the client's public API", async (t) => {
  // Install it the way a dependency is installed: node_modules/@acdhub/client -> web/.
  const dir = mkdtempSync(join(tmpdir(), "acdhub-kit-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "node_modules", "@acdhub"), { recursive: true });
  symlinkSync(WEB, join(dir, "node_modules", "@acdhub", "client"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "integrator", private: true, type: "module" }));
  writeFileSync(
    join(dir, "probe.js"),
    [
      'export * as main from "@acdhub/client";',
      'export * as transports from "@acdhub/client/acdhub-transports.js";',
      'export const resolved = import.meta.resolve("@acdhub/client");',
      "",
    ].join("\n"),
  );
  const probe = await import(pathToFileURL(join(dir, "probe.js")).href);

  // The exports entry is acdhub.js itself (through the link, at its real path): the same module
  // the pages import.
  assert.equal(fileURLToPath(probe.resolved), join(WEB, "acdhub.js"));
  const direct = await import(pathToFileURL(join(WEB, "acdhub.js")).href);
  const api = probe.main;
  assert.deepEqual(Object.keys(api).sort(), Object.keys(direct).sort());
  assert.equal(api.Client, direct.Client);

  for (const name of ["Client", "AcdError", "agentPages", "backoffDelay", "webSocketTransport", "sseTransport", "longPollTransport", "rungsFromEndpoints", "ownOriginUrl"]) {
    assert.equal(typeof api[name], "function", name);
  }
  assert.equal(api.PROTOCOL, "acdhub.v1");
  assert.ok(Object.isFrozen(api.State) && Object.keys(api.State).length > 0, "State");
  assert.ok(new api.Client({ credentials: { user: "u", password: "p" } }) instanceof EventTarget);
  assert.equal(probe.transports.PROTOCOL, api.PROTOCOL);
});
