/* Generated from protocol/schemas/server/conversation_offer_cancelled.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The offer of a conversation ended without being accepted.
 */
export interface ConversationOfferCancelled {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "conversation_offer_cancelled";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  reason: "rejected" | "ring_no_answer" | "customer_left";
}
