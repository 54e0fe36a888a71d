/* Generated from protocol/schemas/server/heartbeat.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Every heartbeat_secs on every connection, so a browser (which cannot see WebSocket pings) knows its link is alive. Not an event: no seq, never replayed.
 */
export interface Heartbeat {
  type: "heartbeat";
  /**
   * The server's clock as it sends.
   */
  time: string;
}
