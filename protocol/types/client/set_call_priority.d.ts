/* Generated from protocol/schemas/client/set_call_priority.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: change a waiting call's priority (higher is served first).
 */
export interface SetCallPriority {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "set_call_priority";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * A call's priority, 0 to 255: higher is served first; equal priorities in arrival order.
   */
  priority: number;
}
