// The proxies the browser tests put in front of the server: Debian's nginx (harness.mjs's
// startNginx), configured as the proxies and firewalls of protocol.md ("Through proxies and
// firewalls") behave, each line saying what it imitates. Shared by proxy.test.mjs (the ladder
// behind each) and conversations.test.mjs (conversations on the rungs they leave).

import { PortTaken, freePort, startNginx, startServer } from "./harness.mjs";

/**
 * The server behind nginx. nginx's port is picked first because the server must be told it
 * (`public_ws_port`, so /rt/endpoints sends pages through nginx); nginx then starts on it in
 * front of the server's ws listener. `serverToml(nginxPort)` is the server's extra TOML,
 * `nginxServers(nginxPort, upstreamPort)` nginx's `server` blocks. If another process took the
 * port in between, it all starts again on another one.
 */
export async function behindNginx(t, { serverToml, nginxServers }) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = await startServer({ extra: serverToml(port) });
    let nginx;
    try {
      nginx = await startNginx({ port, config: (listen) => nginxServers(listen, server.ports.ws) });
    } catch (error) {
      await server.stop();
      if (error instanceof PortTaken && attempt < 5) continue;
      throw error;
    }
    t.after(async () => {
      await nginx.stop();
      await server.stop();
    });
    return { server, nginx };
  }
}

/**
 * A download scanner in front of the ws listener: every response is held until it is complete
 * (an event stream never is), and no WebSocket upgrade gets through. Only long-poll works here.
 */
export const holdingStreams = (port, upstream) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      # A download scanner (TLS inspection, antivirus): the response is held until it is
      # complete, whatever the server asks (its X-Accel-Buffering: no is ignored)...
      proxy_buffering on;
      proxy_ignore_headers X-Accel-Buffering;
      # ...in buffers large enough that an event stream's first kilobytes, and its headers, never
      # get out before the stream ends.
      proxy_buffer_size 1m;
      proxy_buffers 8 1m;
      proxy_busy_buffers_size 2m;
      # HTTP/1.0 to the server (nginx's default) and no Upgrade or Connection header passed: a
      # WebSocket upgrade cannot get through.
    }
  }
`;

/**
 * A proxy in front of the ws listener that refuses WebSocket: any request asking for an upgrade
 * gets 403, as a corporate proxy that does not allow WebSocket answers it. Everything else passes
 * as a plain reverse proxy would pass it.
 */
export const refusingUpgrades = (port, upstream) => `
  server {
    listen 127.0.0.1:${port};
    location / {
      # The proxy's policy: no WebSocket.
      if ($http_upgrade) {
        return 403;
      }
      proxy_pass http://127.0.0.1:${upstream};
      # The page's host and port, so the server names its own origin (and /rt/endpoints) as the
      # browser sees it.
      proxy_set_header Host $http_host;
      # nginx's default buffering, which a stream's X-Accel-Buffering: no turns off for SSE.
      proxy_buffering on;
    }
  }
`;

/**
 * A sane production reverse proxy: WebSocket upgrades passed, buffering on (SSE turns it off
 * with X-Accel-Buffering: no), and an idle timeout of `readTimeout`: a connection that
 * carries nothing from the server for that long is closed.
 */
export const passingUpgrades = (port, upstream, { readTimeout = "60s" } = {}) => `
  # The Connection header to send upstream: "upgrade" when the browser asked for one.
  map $http_upgrade $connection_upgrade {
    default upgrade;
    "" close;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      # What nginx's WebSocket guide says to add: HTTP/1.1 and the hop-by-hop upgrade headers.
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_buffering on;
      # The idle killer: nothing read from the server for this long closes the connection
      # (nginx's default is 60 s, AWS ALB's 60 s).
      proxy_read_timeout ${readTimeout};
    }
  }
`;
