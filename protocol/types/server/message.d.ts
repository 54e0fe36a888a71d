/* Generated from protocol/schemas/server/message.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * A message of a conversation: to its agent every message (the customer's and its own), to the messaging connector the agents' messages only. `agent` is present exactly when `from` is `agent`.
 */
export interface Message {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "message";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * The message's place in the transcript, counting from 0: a client shows each number once.
   */
  number: number;
  from: "customer" | "agent";
  /**
   * from agent only: which agent wrote it.
   */
  agent?: string;
  /**
   * An instant: RFC 3339 in UTC with milliseconds, such as 2023-11-14T22:13:20.000Z.
   */
  at: string;
  /**
   * A message's text: 1 to 4096 characters (Unicode scalar values), not only whitespace (`message_too_long`, `empty_message` otherwise).
   */
  text: string;
}
