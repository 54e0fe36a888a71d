/* Generated from protocol/schemas/client/close_conversation.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: end the conversation open at this agent for the customer; the agent's wrap-up of this conversation starts. Its other conversations go on.
 */
export interface CloseConversation {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "close_conversation";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
}
