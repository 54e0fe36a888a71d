// Debian's mitmproxy as a company's TLS-inspecting proxy, for tls-inspection.test.mjs: mitmdump
// (mitmproxy without its console) run as the test's user on a port the test picks, with its
// configuration folder (where it makes its own CA on first start) in a fresh temp folder; never a
// system service. The browser uses it as its forward proxy and trusts its CA through an NSS
// database in a HOME of its own, as a company pushes its inspection CA to its desktops.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, freePort, launchBrowser } from "./harness.mjs";

/** Debian's mitmdump (package mitmproxy): MITMDUMP, or where the package puts it. */
export const MITMDUMP = process.env.MITMDUMP ?? (existsSync("/usr/bin/mitmdump") ? "/usr/bin/mitmdump" : "mitmdump");

/** Debian's certutil (package libnss3-tools), which writes the browser's NSS database. */
export const CERTUTIL = process.env.CERTUTIL ?? "certutil";

/** The addon that makes mitmproxy an inspector that answers every WebSocket upgrade with 403. */
const REFUSE_WEBSOCKET = join(REPO, "tests/browser/refuse-websocket.py");

/**
 * Starts mitmdump on 127.0.0.1 at a port picked with freePort (picked again if it was taken).
 *
 * - `stream`: false is mitmproxy's default, which reads each response whole before it passes it
 *   on (so an event stream, which never ends, is held for good); true sets
 *   `stream_large_bodies=1`, which passes on every body larger than a byte as it comes.
 * - `websocket`: true passes WebSocket upgrades (mitmproxy's default); false loads
 *   refuse-websocket.py, which answers them 403.
 *
 * mitmproxy verifies the acdhub server it connects to against the development CA in certs/
 * (`ssl_verify_upstream_trusted_ca`), as an inspector verifies the servers behind it: no
 * `ssl_insecure`. Resolves once it accepts connections, with `{url, port, caCert, log(),
 * stop()}`; `caCert` is the PEM file of the CA it signs its certificates with, `log()` what it
 * printed (a line per request, and its answer), stop() ends it and removes its folder.
 */
export async function startMitmproxy({ stream = false, websocket = true } = {}) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, { stream, websocket });
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 5) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startOn(port, { stream, websocket }) {
  const confdir = mkdtempSync(join(tmpdir(), "acdhub-mitmproxy-"));
  const args = [
    "--listen-host",
    "127.0.0.1",
    "--listen-port",
    String(port),
    "--set",
    `confdir=${confdir}`,
    "--set",
    `ssl_verify_upstream_trusted_ca=${join(REPO, "certs/dev-ca.pem")}`,
    // One line per request and one per answer: what the proxy did, for a failing test.
    "--set",
    "flow_detail=1",
    ...(stream ? ["--set", "stream_large_bodies=1"] : []),
    ...(websocket ? [] : ["-s", REFUSE_WEBSOCKET]),
  ];
  const child = spawn(MITMDUMP, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: confdir } });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  let running = true;
  const exited = new Promise((resolveExit) =>
    child.on("exit", (code, signal) => {
      running = false;
      resolveExit({ code, signal });
    }),
  );
  const remove = () => rmSync(confdir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  const stop = async () => {
    if (running) child.kill("SIGTERM");
    const result = await exited;
    remove();
    return result;
  };
  const caCert = join(confdir, "mitmproxy-ca-cert.pem");
  const taken = () => /Address already in use|Errno 98/.test(output);

  // Until it says it listens and a connection to its port is accepted (its CA is made before).
  const deadline = Date.now() + 60000;
  for (;;) {
    if (running && /listening at/.test(output) && existsSync(caCert) && (await accepts(port))) break;
    if (!running || taken() || Date.now() > deadline) {
      await stop();
      if (taken()) throw new PortTaken(`port ${port} was taken:\n${output}`);
      throw new Error(`mitmdump did not start on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, port, caCert, log: () => output, stop };
}

/** Whether a TCP connection to 127.0.0.1:`port` is accepted. */
function accepts(port) {
  return new Promise((resolveAccept) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolveAccept(true);
    });
    socket.once("error", () => resolveAccept(false));
  });
}

/**
 * Chromium behind `proxy` (startMitmproxy's), trusting the proxy's CA and nothing else: a HOME
 * of its own whose NSS database ($HOME/.pki/nssdb, where Chromium on Linux reads the machine's
 * added CAs) has the CA as a trusted issuer of server certificates, and no ignoreHTTPSErrors.
 * `options` go to launchBrowser (a `locale`). Closed, and its HOME removed, after the test.
 */
export async function inspectedBrowser(t, proxy, options = {}) {
  const home = mkdtempSync(join(tmpdir(), "acdhub-desktop-"));
  const nssdb = join(home, ".pki/nssdb");
  mkdirSync(nssdb, { recursive: true });
  execFileSync(CERTUTIL, ["-N", "-d", `sql:${nssdb}`, "--empty-password"]);
  execFileSync(CERTUTIL, ["-A", "-d", `sql:${nssdb}`, "-n", "Company TLS inspection", "-t", "C,,", "-i", proxy.caCert]);
  const browser = await launchBrowser({
    ...options,
    proxy: proxy.url,
    trustDevCertificate: false,
    env: { ...process.env, HOME: home },
  });
  t.after(async () => {
    await browser.close();
    rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  return browser;
}
