// A WebAgent whose node is lost (kill -9) moves to another node of the cluster by itself: the
// page learned every node's address from /rt/endpoints (`nodes`), resumes its session there
// with its token, missing no event, and goes on with the agent's state as the cluster kept it.
// Real parts: Debian's nats-server (one server with JetStream; the cluster tests in
// tests/cluster run three), two acdhub processes, Chromium.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, launchBrowser, signIn, startServer, watchClient, watchErrors } from "./harness.mjs";

const PATIENCE = 60000;
const NATS = existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server";

/** One nats-server with JetStream on a free port, stopped after the test. */
async function startNats(t) {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "acdhub-nats-"));
  const child = spawn(NATS, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 20000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
  t.after(() => child.kill("SIGKILL"));
  return `nats://127.0.0.1:${port}`;
}

test("a WebAgent whose node is killed moves to another node and goes on", async (t) => {
  const nats = await startNats(t);
  const ports = [await freePort(), await freePort()];
  const origins = ports.map((port) => `"http://127.0.0.1:${port}"`).join(", ");
  const urls = ports.map((port) => `"ws://127.0.0.1:${port}/ws"`).join(", ");
  const extra = (node) =>
    `[server]\nallowed_origins = [${origins}]\n\n[cluster]\nnats = ["${nats}"]\nnode = "${node}"\nreplicas = 1\nnode_urls = [${urls}]\n`;
  const first = await startServer({ wsPort: ports[0], extra: extra("node1") });
  const second = await startServer({ wsPort: ports[1], extra: extra("node2") });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await first.kill();
    await second.stop();
  });

  const page = await browser.newPage();
  const errors = watchErrors(page);
  const watched = await watchClient(page);
  await page.goto(`${first.http}/agent`);
  await signIn(page, "agent1");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator('[data-role="state"][data-state="not_ready"]').waitFor({ timeout: PATIENCE });

  const killedAt = Date.now();
  await first.kill();
  // The page walks its own node's ladder, finds nothing, and moves to the other node.
  await page
    .waitForFunction((since) => window.__acdhubSeen.states.some((s) => s.at > since && s.state === "live"), killedAt, {
      timeout: PATIENCE,
    })
    .catch(async (error) => {
      const { states } = await watched.seen();
      throw new Error(`${error.message}\nthe client's states: ${JSON.stringify(states)}\nnode 2:\n${second.log()}\npage: ${errors.join("\n")}`);
    });
  const { states, deliveries } = await watched.seen();
  const after = states.filter((s) => s.at > killedAt);
  assert.ok(after.some((s) => s.state === "reconnecting"), JSON.stringify(after));
  // The page resumed its session at node 2: no new snapshot (the one reset is the first
  // sign-in's), and every event once, in order, across the move.
  assert.equal(deliveries.filter((d) => d.reset).length, 1, JSON.stringify(deliveries));
  const seqs = deliveries.filter((d) => !d.reset).map((d) => d.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), "no event lost or twice");
  // The agent's state is the cluster's: still not ready; and the page acts through node 2.
  await page.locator('[data-role="state"][data-state="not_ready"]').waitFor({ timeout: PATIENCE });
  await page.getByRole("button", { name: "Ready", exact: true }).click();
  // Ready, and at once offered the simulated callers' first waiting call: the cluster's
  // simulator runs on the log, so node 2 offers it too.
  await page
    .locator('[data-role="state"][data-state="ready"], [data-role="state"][data-state="ringing"]')
    .first()
    .waitFor({ timeout: PATIENCE })
    .catch(async (error) => {
      const text = await page.locator("body").innerText();
      throw new Error(`${error.message}\nthe page:\n${text}\nnode 2:\n${second.log()}`);
    });
  assert.match(second.log(), /authenticated session=\d+ user=agent1/, "signed in at node 2");
  // The browser logs each refused connection to the dead node; nothing else may go wrong
  // (a script error, a connection the page's policy blocks).
  const unexpected = errors.filter((e) => !/ERR_CONNECTION_REFUSED/.test(e));
  assert.deepEqual(unexpected, []);
});
