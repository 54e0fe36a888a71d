/* Generated from protocol/schemas/server/call_left.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The call is gone from the ACD.
 */
export interface CallLeft {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "call_left";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * The queue the call was last in.
   */
  queue: string;
  reason: "completed" | "abandoned" | "timed_out" | "refused";
}
