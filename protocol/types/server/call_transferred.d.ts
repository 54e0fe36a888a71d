/* Generated from protocol/schemas/server/call_transferred.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The agent handed the call to a queue (to_queue) or to another agent (to_agent): exactly one of the two.
 */
export type CallTransferred = {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "call_transferred";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * The agent who transferred the call.
   */
  agent: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  to_queue?: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  to_agent?: string;
} & {
  [k: string]: unknown;
};
