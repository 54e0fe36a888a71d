/* Generated from protocol/schemas/client/reject.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: refuse the call ringing at this agent; it goes back to the head of its queue.
 */
export interface Reject {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "reject";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
}
