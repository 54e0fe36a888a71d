/* Generated from protocol/schemas/client/conversation_arrived.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Messaging: a conversation reached a conversation queue. The ACD offers it to an agent (a `conversation_offer` event) when one has a free place for its channel.
 */
export interface ConversationArrived {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "conversation_arrived";
  /**
   * The messaging connector's id of the conversation.
   */
  conversation: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * The conversation's channel. Needed only where the queue serves several messaging channels; left out, the queue's only messaging channel.
   */
  channel?: string;
  /**
   * A call's priority, 0 to 255: higher is served first; equal priorities in arrival order.
   */
  priority?: number;
  /**
   * Who writes: a name, a phone number, a handle; leave out when unknown.
   */
  customer?: string;
  data?: AttachedData;
  /**
   * What the customer wrote before the conversation reached the ACD, oldest first.
   *
   * @maxItems 1000
   *
   * Items: A message's text: 1 to 4096 characters (Unicode scalar values), not only whitespace (`message_too_long`, `empty_message` otherwise).
   */
  messages?: string[];
}
/**
 * Attached data from the PBX or IVR: string keys to string values (account number, language, menu choice).
 */
export interface AttachedData {
  [k: string]: string;
}
