// The browser tests' harness: the real acdhub binary on a port the OS picks, Debian's nginx in
// front of it where a test needs a real proxy, and Debian's Chromium driven by playwright-core.
// Nothing here assumes a fixed port or a fixed timing: waits are for conditions, with generous
// limits.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../..");
export const PASSWORD = "secret";

/** The server binary: ACDHUB_BIN, or the debug build `cargo test` made. */
export const BINARY = process.env.ACDHUB_BIN ?? join(REPO, "target/debug/acdhub");

/** Where screenshots go: ACDHUB_ARTIFACTS, or target/browser-artifacts. */
export const ARTIFACTS = process.env.ACDHUB_ARTIFACTS ?? join(REPO, "target/browser-artifacts");

let configDir = null;
let passwordHash = null;
const configPaths = new Map();

/**
 * A folder in the temp directory for this test file's run, removed when the file's process
 * exits (not before: a test may start a second server on a stopped one's data).
 */
const made = [];
function tempFolder(prefix) {
  const path = mkdtempSync(join(tmpdir(), prefix));
  made.push(path);
  return path;
}
process.on("exit", () => {
  for (const path of made) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // A folder left in /tmp is untidy, not a failed test.
    }
  }
});

/**
 * The test configuration with `extra` (TOML: tables the template leaves out, such as `[server]`
 * or `[limits]`, or more `[[tenants.queues]]` and `[[principals]]`) after it; each written once
 * per run, with a password hash made once per run. `{{hash}}` is that hash, in `extra` too.
 */
function config(extra = "") {
  if (configPaths.has(extra)) return configPaths.get(extra);
  configDir ??= tempFolder("acdhub-browser-");
  passwordHash ??= execFileSync(BINARY, ["hash-password"], { input: PASSWORD }).toString().trim();
  const withHash = (toml) => toml.replaceAll("{{hash}}", passwordHash);
  const text = withHash(readFileSync(join(here, "acdhub.toml.in"), "utf8"));
  const path = join(configDir, `acdhub-${configPaths.size}.toml`);
  writeFileSync(path, extra ? `${text}\n${withHash(extra)}\n` : text);
  configPaths.set(extra, path);
  return path;
}

/**
 * TOML for `extra`: a messaging channel (`capacity` at once per agent), a queue of calls (its
 * service level `target` % in `thresholdSecs`, 120 s to ring, 30 s of wrap-up), an agent with
 * its skills, and a login (`agent`: the agent a role `agent` acts as), in the test tenant
 * `acme`.
 */
export const toml = {
  channel: ({ id, name, capacity }) => `
[[tenants.channels]]
id = "${id}"
name = "${name}"
capacity = ${capacity}
`,
  chatQueue: ({ id, name, channel = "chat" }) => `
[[tenants.queues]]
id = "${id}"
name = "${name}"
channel = "${channel}"
ring_timeout_secs = 120
wrap_up_secs = 6
`,
  callQueue: ({ id, name, thresholdSecs = 20, target = 80 }) => `
[[tenants.queues]]
id = "${id}"
name = "${name}"
service_level = { threshold_secs = ${thresholdSecs}, target_percent = ${target} }
ring_timeout_secs = 120
wrap_up_secs = 30
`,
  agent: ({ id, name, skills }) => `
[[tenants.agents]]
id = "${id}"
name = "${name}"
skills = { ${Object.entries(skills).map(([queue, level]) => `${queue} = ${level}`).join(", ")} }
`,
  login: ({ user, role, agent = null }) => `
[[principals]]
user = "${user}"
role = "${role}"
tenant = "acme"
${agent ? `agent = "${agent}"\n` : ""}password_hash = "{{hash}}"
`,
};

/**
 * Starts the server: ws (http) on `wsPort`, wss (https) on `wssPort` (0: the OS picks), on the
 * test configuration (with the TOML `extra` after it), or on the built-in demo with `demo: true`.
 * Resolves once both listen, with their URLs. Each server gets a fresh data directory (its
 * journal) unless `dataDir` names one: a restart that passes the old server's `dataDir` goes
 * on with its day.
 */
export async function startServer({ wsPort = 0, wssPort = 0, env = {}, demo = false, extra = "", dataDir = null } = {}) {
  const configuration = demo ? [] : ["--config", config(extra)];
  dataDir ??= tempFolder("acdhub-data-");
  const child = spawn(
    BINARY,
    [...configuration, "--ws", `127.0.0.1:${wsPort}`, "--wss", `127.0.0.1:${wssPort}`, "--metrics", "off", "--data", dataDir],
    { env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1", ...env }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  const ports = await new Promise((resolvePorts, reject) => {
    const found = {};
    const timer = setTimeout(() => reject(new Error(`the server did not start listening:\n${log}`)), 30000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      for (const transport of ["ws", "wss"]) {
        const match = log.match(new RegExp(`listening for ${transport} on [^\\s:]+:(\\d+)`));
        if (match) found[transport] = Number(match[1]);
      }
      if (found.ws && found.wss) {
        clearTimeout(timer);
        resolvePorts(found);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${log}`));
    });
  });
  const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => resolveExit({ code, signal })));
  return {
    http: `http://127.0.0.1:${ports.ws}`,
    https: `https://localhost:${ports.wss}`,
    ports,
    dataDir,
    log: () => log,
    /**
     * SIGINT: a clean stop (clients closed with 1012, snapshots written) without SIGTERM's
     * `drain_secs` of `/readyz` 503, which no page sees and which hardening_ops tests. Resolves
     * when the process has exited.
     */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      return exited;
    },
    /** SIGKILL: the process ends where it is, as a machine lost. Resolves when it has. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
}

/** Debian's nginx: NGINX, or where the package puts it (/usr/sbin is not on every user's PATH). */
export const NGINX = process.env.NGINX ?? (existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx");

/**
 * A TCP port that was free a moment ago: bound on 127.0.0.1 with port 0 and released. Another
 * process may take it before it is used, so whoever binds it must retry on failure.
 */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** A proxy (nginx, squid) could not bind its port: someone else took it after freePort released it. */
export class PortTaken extends Error {}

/**
 * Starts nginx in the foreground as a child of this process, as the test's user, with
 * everything it writes (pid, logs, temp files) in a fresh folder: never the system's nginx.
 * `config(port)` returns what goes inside `http { }`: the test's `server` blocks, listening on
 * `127.0.0.1:${port}`. Without `port`, one is picked with freePort, and picked again if nginx
 * finds it taken; with `port`, a taken port rejects with PortTaken. Resolves once nginx answers
 * HTTP, with `{url, port, log(), stop()}`; stop() ends nginx and removes the folder.
 */
export function startNginx({ config: serverBlocks, port = null }) {
  return onFreePort((free) => startNginxOn(serverBlocks, free), port);
}

/**
 * `start(port)`, or without `port` `start` on a port freePort picks, picked again (up to five
 * times) when `start` finds another process took it first (PortTaken).
 */
export async function onFreePort(start, port = null) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(port ?? (await freePort()));
    } catch (error) {
      if (!(error instanceof PortTaken) || port !== null || attempt === 5) throw error;
    }
  }
}

async function startNginxOn(serverBlocks, port) {
  const prefix = mkdtempSync(join(tmpdir(), "acdhub-nginx-"));
  const file = (name) => join(prefix, name);
  // One process (no master, no workers): it keeps the test's user, even root, whose workers
  // would otherwise run as `nobody` and could not write here; and killing it leaves nothing.
  writeFileSync(
    file("nginx.conf"),
    `# Written by tests/browser/harness.mjs for one test.
master_process off;
worker_processes 1;
error_log ${file("error.log")} info;
events { worker_connections 512; }
http {
  access_log ${file("access.log")};
  client_body_temp_path ${file("client_body")};
  proxy_temp_path ${file("proxy")};
  fastcgi_temp_path ${file("fastcgi")};
  uwsgi_temp_path ${file("uwsgi")};
  scgi_temp_path ${file("scgi")};
${serverBlocks(port)}
}
`,
  );
  const child = spawn(
    NGINX,
    ["-p", prefix, "-c", file("nginx.conf"), "-e", file("error.log"), "-g", `daemon off; pid ${file("nginx.pid")};`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const log = () => {
    try {
      return readFileSync(file("error.log"), "utf8") + stderr;
    } catch {
      return stderr;
    }
  };
  return runningProxy({
    name: "nginx",
    child,
    port,
    server: /^nginx/,
    log,
    taken: (text) => /Address already in use/.test(text),
    remove: () => rmSync(prefix, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  });
}

/**
 * A proxy a test started in the foreground as `child` (nginx, squid), once it answers HTTP on
 * 127.0.0.1:`port` with a Server header that matches `server`. `log()` is what it wrote so far;
 * `taken(text)` whether that says another process has the port (then this rejects with
 * PortTaken); `remove()` deletes what it wrote, once it has exited. Resolves with `{url, port,
 * log, stop()}`; stop() is a fast shutdown (SIGTERM), then `remove()`. Call it right after the
 * spawn, so that an early exit is seen.
 */
export async function runningProxy({ name, child, port, server, log, taken, remove }) {
  const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => resolveExit({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  // Until it answers: any HTTP response from it will do, an error page included. One that
  // answers while ours is still trying to bind (nginx retries for a while) is someone else's.
  const deadline = Date.now() + 30000;
  let running = true;
  void exited.then(() => (running = false));
  for (;;) {
    if ((await answeredBy(url, server)) && running && !taken(log())) break;
    if (!running || taken(log()) || Date.now() > deadline) {
      if (running) child.kill("SIGKILL");
      await exited;
      const text = log();
      remove();
      if (taken(text)) throw new PortTaken(`port ${port} was taken:\n${text}`);
      throw new Error(`${name} did not start on port ${port}:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const result = await exited;
      remove();
      return result;
    },
  };
}

/** Whether an HTTP GET of `url` gets a response whose Server header matches `server`. */
function answeredBy(url, server) {
  return new Promise((resolveAnswer) => {
    const probe = request(url, { method: "GET", timeout: 2000 }, (response) => {
      response.resume();
      resolveAnswer(server.test(response.headers.server ?? ""));
    });
    probe.on("timeout", () => probe.destroy());
    probe.on("error", () => resolveAnswer(false));
    probe.end();
  });
}

/**
 * Debian's Chromium, headless, with the flags this sandbox needs and a fresh profile. It accepts
 * the development certificate unless `trustDevCertificate` is false: then it refuses it, as a
 * browser nobody set up for it does. `locale` ("de-DE") is the browser's language
 * (navigator.languages, Accept-Language, Intl); without it, Chromium's own (en-US here).
 * `proxy` ("http://127.0.0.1:3128") is the browser's own forward proxy, as a company's desktops
 * are set up: every request goes through it, loopback too (Chromium otherwise bypasses a proxy
 * for localhost). `args` are further Chromium flags, `env` the browser process's environment
 * (e.g. a HOME whose NSS database trusts a TLS-inspecting proxy's CA).
 */
export async function launchBrowser({
  trustDevCertificate = true,
  locale = undefined,
  proxy = null,
  args = [],
  env = undefined,
} = {}) {
  const profile = mkdtempSync(join(tmpdir(), "acdhub-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    locale,
    // The wss listener's development certificate (for localhost, from a CA nobody trusts):
    // accepted for pages and WebSockets alike, also from a page on 127.0.0.1.
    ignoreHTTPSErrors: trustDevCertificate,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      ...(proxy ? [`--proxy-server=${proxy}`, "--proxy-bypass-list=<-loopback>"] : []),
      ...args,
    ],
    ...(env ? { env } : {}),
  });
  // The profile goes with the browser. Chromium may still be writing to it as it exits, so
  // removal retries; a profile left in /tmp is untidy, not a failed test.
  const close = context.close.bind(context);
  context.close = async (...args) => {
    await close(...args);
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (error) {
      console.warn(`could not remove the browser profile ${profile}: ${error.message}`);
    }
  };
  return context;
}

/**
 * Waits until `condition()` (sync or async) holds, polling every 100 ms; fails after `patience`
 * ms naming `what`. For conditions outside a page (a proxy's log, a file); in a page,
 * page.waitForFunction.
 */
export async function eventually(condition, what, patience = 60000) {
  const deadline = Date.now() + patience;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waited in vain for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** Fills a page's sign-in form and submits it. */
export async function signIn(page, user, password = PASSWORD) {
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * The supervisor's console in a new page of `browser`, signed in as `supervisor` (with the
 * German form's words when `german`: signIn reads the English ones) and live; with its page
 * errors.
 */
export async function liveConsole(browser, server, { german = false } = {}) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.http}/supervisor`);
  if (german) {
    await page.getByLabel("Benutzername").fill("supervisor");
    await page.getByLabel("Passwort").fill(PASSWORD);
    await page.getByRole("button", { name: "Anmelden" }).click();
  } else {
    await signIn(page, "supervisor");
  }
  await page.locator("[data-role=console][data-view=live]").waitFor({ timeout: 60000 });
  return { page, errors };
}

/** Saves a screenshot of `page` as ARTIFACTS/`name`.png. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Collects what a page logs as errors, so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/**
 * Watches the page's acdhub client from outside, with no hook in the page itself: before the
 * page's scripts run, EventTarget's dispatchEvent is wrapped to note what the client (the
 * object of class Client in /assets/acdhub.js) tells its page: each `state` change, each
 * `reset` (a new session's snapshot begins) and each `event` it delivers. Call before `goto`.
 * `seen()` resolves with `{states, deliveries}`: states as `{state, rung, at}` (at: the page's
 * Date.now()), deliveries as the events' `{seq, type, call, state}` with `{reset: true}` between
 * sessions. `client(fn)` evaluates `fn(client)` in the page (fn is sent as its source).
 */
export async function watchClient(page) {
  await page.addInitScript(() => {
    const seen = { client: null, states: [], deliveries: [] };
    Object.defineProperty(window, "__acdhubSeen", { value: seen });
    const dispatch = EventTarget.prototype.dispatchEvent;
    EventTarget.prototype.dispatchEvent = function (event) {
      if (this.constructor?.name === "Client" && event instanceof CustomEvent) {
        seen.client = this;
        const detail = event.detail ?? {};
        if (event.type === "state") seen.states.push({ state: detail.state, rung: detail.rung ?? null, at: Date.now() });
        if (event.type === "reset") seen.deliveries.push({ reset: true });
        if (event.type === "event") {
          const { seq, type, call, state } = detail;
          seen.deliveries.push({ seq, type, call, state });
        }
      }
      return dispatch.call(this, event);
    };
  });
  return {
    seen: () => page.evaluate(() => ({ states: window.__acdhubSeen.states, deliveries: window.__acdhubSeen.deliveries })),
    client: (fn) => page.evaluate(`(${fn})(window.__acdhubSeen.client)`),
  };
}
