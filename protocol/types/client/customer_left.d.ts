/* Generated from protocol/schemas/client/customer_left.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Messaging: the customer left the conversation. Waiting or offered, it is abandoned; open, it is closed by the customer and its agent wraps it up; already closed, nothing changes.
 */
export interface CustomerLeft {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "customer_left";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
}
