// The protocol's example messages (protocol/examples), for the Node tests of the pages' state
// modules: they build on what the server really sends.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "protocol", "examples");

/** The example of the server message `name` (protocol/examples/server/<name>.json), fresh each time. */
export function example(name) {
  return JSON.parse(readFileSync(join(EXAMPLES, "server", `${name}.json`), "utf8"));
}
