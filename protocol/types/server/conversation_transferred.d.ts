/* Generated from protocol/schemas/server/conversation_transferred.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The agent handed the conversation, with its transcript, to a queue (to_queue) or to another agent (to_agent): exactly one of the two.
 */
export type ConversationTransferred = {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "conversation_transferred";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * The agent who transferred the conversation.
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
