// The Dockerfile linted by a real linter, dockerfilelint (npm): this machine has no container
// runtime and no registry to pull base images from, so the image is not built here
// (docs/operations.md says so; tests/tools/package.rs reads the Dockerfile's promises as text).
// hadolint, which the issue names first, is not on Debian or npm. The linter is shown to find
// faults in a Dockerfile that has them, so its silence on ours means something.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const linter = join(here, "node_modules", ".bin", "dockerfilelint");

/** dockerfilelint's JSON report for `file`. */
function lint(file) {
  return new Promise((resolve, reject) => {
    execFile(linter, ["-o", "json", file], (error, stdout, stderr) => {
      // Its exit status is the number of issues: not an error for us, its report says.
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`dockerfilelint: ${error?.message ?? ""} ${stderr}`));
      }
    });
  });
}

test("the Dockerfile has no issue dockerfilelint knows", async () => {
  const report = await lint(join(here, "..", "..", "Dockerfile"));
  assert.equal(report.totalIssues, 0, JSON.stringify(report.files[0].issues, null, 2));
});

test("dockerfilelint finds the faults of a Dockerfile that has them", async () => {
  const dir = await mkdtemp(join(tmpdir(), "acdhub-dockerfile-"));
  try {
    const bad = join(dir, "Dockerfile");
    await writeFile(bad, "FROM debian:latest\nRUN apt-get install curl\n");
    const report = await lint(bad);
    const titles = report.files[0].issues.map((issue) => issue.title);
    assert.ok(titles.includes("Base Image Latest Tag"), titles.join("; "));
    assert.ok(titles.includes("Missing parameter for `apt-get`"), titles.join("; "));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
