/* Generated from protocol/schemas/client/send_message.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: write to the customer of a conversation open at this agent.
 */
export interface SendMessage {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "send_message";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * A message's text: 1 to 4096 characters (Unicode scalar values), not only whitespace (`message_too_long`, `empty_message` otherwise).
   */
  text: string;
}
