/* Generated from protocol/schemas/server/conversation_accepted.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The agent accepted the conversation: it is open at that agent.
 */
export interface ConversationAccepted {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "conversation_accepted";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
}
