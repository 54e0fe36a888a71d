/* Generated from protocol/schemas/server/conversation_closed.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The conversation ended for the customer; its agent's wrap-up of it starts.
 */
export interface ConversationClosed {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "conversation_closed";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * The agent the conversation was open at.
   */
  agent: string;
  /**
   * Who closed it: the customer left (customer_left) or the agent closed it (close_conversation).
   */
  by: "customer" | "agent";
  /**
   * When the agent's wrap-up of this conversation ends by itself; null when the queue has no wrap-up (then conversation_left follows at once).
   */
  wrap_up_deadline: string | null;
}
