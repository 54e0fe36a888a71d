// The browser tests' harness: the real acdhub binary on a port the OS picks, and Debian's
// Chromium driven by playwright-core. Nothing here assumes a fixed port or a fixed timing:
// waits are for conditions, with generous limits.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

let configPath = null;

/** The test configuration, written once per run with a fresh password hash. */
function config() {
  if (configPath) return configPath;
  const hash = execFileSync(BINARY, ["hash-password"], { input: PASSWORD }).toString().trim();
  const text = readFileSync(join(here, "acdhub.toml.in"), "utf8").replaceAll("{{hash}}", hash);
  const dir = mkdtempSync(join(tmpdir(), "acdhub-browser-"));
  configPath = join(dir, "acdhub.toml");
  writeFileSync(configPath, text);
  return configPath;
}

/**
 * Starts the server: ws (http) on `wsPort`, wss (https) on `wssPort` (0: the OS picks), on the
 * test configuration, or on the built-in demo with `demo: true`.
 * Resolves once both listen, with their URLs.
 */
export async function startServer({ wsPort = 0, wssPort = 0, env = {}, demo = false } = {}) {
  const configuration = demo ? [] : ["--config", config()];
  const child = spawn(
    BINARY,
    [...configuration, "--ws", `127.0.0.1:${wsPort}`, "--wss", `127.0.0.1:${wssPort}`, "--metrics", "off"],
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
    log: () => log,
    /** SIGTERM, as an operator's restart does; resolves when the process has exited. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Debian's Chromium, headless, with the flags this sandbox needs and a fresh profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "acdhub-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    ignoreHTTPSErrors: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
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

/** Fills a page's sign-in form and submits it. */
export async function signIn(page, user, password = PASSWORD) {
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
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
