// Debian's squid as the browser's forward proxy (launchBrowser's `proxy`), as a company's desktops
// are set up: started by a test as its user, in the foreground, on a port the test picks, with
// everything it writes (pid, logs) in a fresh folder; never the system's squid. The access rules
// are written the way Debian's /etc/squid/squid.conf writes its defaults, each line saying which
// default it is (`defaultRules`).

import { spawn, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onFreePort, runningProxy } from "./harness.mjs";

/** Debian's squid: SQUID, or where the package puts it (/usr/sbin is not on every user's PATH). */
export const SQUID = process.env.SQUID ?? (existsSync("/usr/sbin/squid") ? "/usr/sbin/squid" : "squid");

/**
 * The access rules of Debian's squid.conf, with the test's ports for the well-known ones: the
 * server's wss port plays 443, its ws port 80. `sslPorts` are the ports CONNECT may reach
 * (squid's default is [443]). Nothing else is allowed or denied beyond the defaults.
 */
export function defaultRules({ sslPorts }) {
  return `
# acl SSL_ports port 443: the ports CONNECT may reach.
acl SSL_ports port ${sslPorts.join(" ")}
# acl Safe_ports port 80 (http), 443 (https), 1025-65535 (unregistered ports) and a few more:
# the ports any request may go to. The server's ports, picked by the OS, are among the last.
acl Safe_ports port 80 443 1025-65535
# http_access deny !Safe_ports: no request to another port.
http_access deny !Safe_ports
# http_access deny CONNECT !SSL_ports: no tunnel but to the TLS ports. Chromium opens every
# WebSocket through a proxy with CONNECT, ws:// too, so this is the rule that refuses plain
# WebSocket to the ws port (403) while wss:// to the wss port is tunnelled.
http_access deny CONNECT !SSL_ports
# http_access allow localhost: Debian's squid serves this machine only (the browser here).
http_access allow localhost
# http_access deny all: and nobody else.
http_access deny all
`;
}

/** squid's user when started as root: it will not run as root (`cache_effective_user`). */
const UNPRIVILEGED_USER = "proxy";

/**
 * Starts squid in the foreground (`-N`) as a child of this process. `config` is the test's part
 * of squid.conf (access rules, timeouts; see `defaultRules`); squid.mjs adds where it listens
 * (`127.0.0.1:${port}`), where it writes, and no cache. Without `port`, one is picked with
 * freePort, and picked again if squid finds it taken (onFreePort). Resolves once squid answers HTTP, with
 * `{url, port, log(), accessLog(), stop()}`: `url` is what launchBrowser's `proxy` takes,
 * `accessLog()` squid's access log as `{status, method, url}` entries (a tunnel is logged when
 * it closes); stop() ends squid (`shutdown_lifetime 0`: at once) and removes its folder.
 */
export function startSquid({ config, port = null }) {
  return onFreePort((free) => startSquidOn(config, free), port);
}

async function startSquidOn(config, port) {
  const prefix = mkdtempSync(join(tmpdir(), "acdhub-squid-"));
  const file = (name) => join(prefix, name);
  // squid will not run as root: started by root, it becomes Debian's `proxy` user, which must
  // be able to write its logs here. As anyone else it stays that user.
  const root = process.getuid?.() === 0;
  if (root) {
    const id = (flag) => Number(execFileSync("id", [flag, UNPRIVILEGED_USER]).toString().trim());
    chownSync(prefix, id("-u"), id("-g"));
  }
  // The service name prefixes squid's shared memory segments (/dev/shm/<name>-*.shm, which
  // squid 5 makes even as a single process): one of its own keeps concurrent squids apart.
  const service = `acdhubtest${port}`;
  writeFileSync(
    file("squid.conf"),
    `# Written by tests/browser/squid.mjs for one test.
http_port 127.0.0.1:${port}
pid_filename ${file("squid.pid")}
cache_log ${file("cache.log")}
access_log stdio:${file("access.log")}
coredump_dir ${prefix}
# A proxy, not a cache: nothing is stored, so every request reaches the server.
cache deny all
pinger_enable off
# SIGTERM ends it at once instead of letting clients finish for 30 s.
shutdown_lifetime 0 seconds
${root ? `cache_effective_user ${UNPRIVILEGED_USER}\n` : ""}
${config}
`,
  );
  const child = spawn(SQUID, ["-N", "-n", service, "-f", file("squid.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const read = (name) => {
    try {
      return readFileSync(file(name), "utf8");
    } catch {
      return "";
    }
  };
  const squid = await runningProxy({
    name: "squid",
    child,
    port,
    server: /^squid/,
    log: () => read("cache.log") + stderr,
    taken: (text) => /Address already in use|Cannot bind socket/.test(text),
    remove: () => {
      rmSync(prefix, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      // A squid that died before its clean exit leaves its shared memory behind.
      for (const name of readdirSync("/dev/shm").filter((n) => n.startsWith(`${service}-`))) {
        rmSync(join("/dev/shm", name), { force: true });
      }
    },
  });
  return {
    ...squid,
    /**
     * squid's access log (its default format, "squid"): each line as `{status, method, url}`,
     * status as squid writes it (`TCP_DENIED/403`, `TCP_TUNNEL/200`, `TCP_MISS/200`).
     */
    accessLog: () =>
      read("access.log")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [, , , status, , method, target] = line.trim().split(/\s+/);
          return { status, method, url: target };
        }),
  };
}
