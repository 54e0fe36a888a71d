/* Generated from protocol/schemas/client/transfer_conversation.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: hand the open conversation, with its transcript, to a queue of the same channel or straight to an agent (exactly one of the two); the agent's place for it is free at once, without wrap-up.
 */
export type TransferConversation = {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "transfer_conversation";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue?: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent?: string;
} & {
  [k: string]: unknown;
};
