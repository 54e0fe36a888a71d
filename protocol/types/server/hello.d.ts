/* Generated from protocol/schemas/server/hello.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The server's first message on every connection. Not numbered.
 */
export interface Hello {
  type: "hello";
  protocol: "acdhub.v1";
  /**
   * acdhub/<version>, for logs and bug reports.
   */
  server: string;
  /**
   * Send auth within this many seconds, or the connection closes with 4001.
   */
  auth_timeout_secs: number;
  /**
   * How often the heartbeat message comes: a client that hears nothing for longer (plus some slack) treats the link as dead.
   */
  heartbeat_secs: number;
  /**
   * On an HTTP rung (SSE, long-poll) only: the link's id, for the X-Acdhub-Link header of its requests. A secret.
   */
  link?: string;
  /**
   * The server's clock as it greets: compare it with the client's own clock to tick durations (time in state, oldest wait) from the server's instants.
   */
  time: string;
}
