/* Generated from protocol/schemas/server/conversation_left.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The conversation is gone from the ACD; for its agent, it is done and its place free.
 */
export interface ConversationLeft {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "conversation_left";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * The queue the conversation was last in.
   */
  queue: string;
  reason: "completed" | "abandoned" | "timed_out" | "refused";
}
