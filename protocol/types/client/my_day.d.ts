/* Generated from protocol/schemas/client/my_day.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: its own day. The ack's result is the day: calls handled today, average handle time, time in each state, occupancy, and the last calls (a read: nothing changes).
 */
export interface MyDay {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "my_day";
}
