// Takes the README's screenshots (docs/screenshots/) on the built-in demo, as a person who runs
// the README's command sees it: `node tests/browser/readme-screenshots.mjs` after a build.
// Not a test: the tests take their own screenshots as artifacts.

import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { REPO, launchBrowser, signIn, startServer } from "./harness.mjs";

const out = join(REPO, "docs/screenshots");
mkdirSync(out, { recursive: true });
const server = await startServer({ demo: true });
const browser = await launchBrowser();
try {
  const wallboard = await browser.newPage();
  await wallboard.setViewportSize({ width: 1920, height: 1080 });
  await wallboard.goto(`${server.http}/wallboard#user=wallboard&password=demo`);

  const agent = await browser.newPage();
  await agent.setViewportSize({ width: 1100, height: 820 });
  await agent.goto(`${server.http}/agent`);
  await signIn(agent, "agent1", "demo");
  await agent.getByRole("button", { name: "Log in" }).click();
  await agent.getByRole("button", { name: "Ready", exact: true }).click();
  await agent.getByRole("button", { name: "Accept" }).waitFor({ timeout: 180000 });
  await agent.waitForTimeout(3000); // a few seconds into the ring, so the countdown shows it
  await agent.screenshot({ path: join(out, "agent.png") });

  // The same call taken and hung up: the wrap-up's disposition and notes, and My day below.
  await agent.getByRole("button", { name: "Accept" }).click();
  await agent.locator('[data-role="state"][data-state="on_call"]').waitFor();
  // A word with a colleague first: the first of the demo's agents who is ready (the list says
  // who is, every 10 s), who answers as the simulator's agents answer calls.
  const targets = agent.locator('[data-role="transfer-targets"]');
  await targets.focus();
  const colleague = await agent.waitForFunction(
    () => document.querySelector('[data-role="transfer-targets"] option[value^="agent:"]:not([disabled])')?.value,
    null,
    { timeout: 120000, polling: 1000 },
  );
  await targets.selectOption(await colleague.jsonValue());
  await agent.getByRole("button", { name: "Consult" }).click();
  await agent.waitForFunction(() => document.querySelector('[data-role="consult-line"]').textContent.startsWith("Talking with"), null, {
    timeout: 60000,
  });
  await agent.waitForTimeout(2000);
  await agent.screenshot({ path: join(out, "agent-consult.png") });
  await agent.getByRole("button", { name: "Back to caller" }).click();
  await agent.locator('[data-role="state"][data-state="on_call"]').waitFor();
  await agent.waitForTimeout(2000);
  await agent.getByRole("button", { name: "Hang up" }).click();
  await agent.locator('[data-role="disposition"]').waitFor();
  await agent.getByLabel("Disposition").selectOption("callback");
  await agent.getByLabel("Notes").fill("Wants a call back on Monday about the invoice");
  await agent.getByRole("button", { name: "Save notes" }).click();
  await agent.waitForFunction(() => document.querySelector('[data-role="disposition-status"]').textContent.startsWith("Saved"));
  await agent.setViewportSize({ width: 1100, height: 1300 });
  await agent.screenshot({ path: join(out, "agent-wrap-up.png") });

  const supervisor = await browser.newPage();
  await supervisor.setViewportSize({ width: 1440, height: 1000 });
  await supervisor.goto(`${server.http}/supervisor`);
  await signIn(supervisor, "supervisor", "demo");
  await supervisor.locator('[data-role="connection"][data-state="live"]').waitFor();
  // A message for the floor: on every wallboard, in the band along the bottom.
  await supervisor.getByRole("textbox", { name: "Message on the wallboards" }).fill("Team meeting at 14:00 in room 2 · billing hotline back up");
  await supervisor.getByRole("button", { name: "Set", exact: true }).click();
  await wallboard.locator('[data-role="ticker"]:not([hidden])').waitFor();
  // The field is at the foot of the console: back to the top, where the floor's figures are.
  await supervisor.evaluate(() => window.scrollTo(0, 0));
  await supervisor.waitForTimeout(2000);
  await supervisor.screenshot({ path: join(out, "supervisor.png") });
  await wallboard.screenshot({ path: join(out, "wallboard.png") });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await server.stop();
}
