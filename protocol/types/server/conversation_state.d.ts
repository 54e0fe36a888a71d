/* Generated from protocol/schemas/server/conversation_state.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Where a conversation is now, in snapshots: an agent's (each conversation it holds, with its transcript) and the messaging connector's (every conversation of the tenant, without transcript).
 */
export type ConversationState = {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "conversation_state";
  /**
   * A conversation's id as the messaging connector knows it: the format of a call id, 1 to 128 characters. Calls and conversations share one id space in a tenant.
   */
  conversation: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * A messaging channel of the tenant, such as `chat`: its conversation queues route that channel's conversations.
   */
  channel: string;
  status: "waiting" | "offered" | "open" | "wrap_up";
  /**
   * offered, open and wrap_up only: at which agent.
   */
  agent?: string;
  /**
   * A call's priority, 0 to 255: higher is served first; equal priorities in arrival order.
   */
  priority: number;
  /**
   * Who writes in a conversation, as the messaging connector gave it (a name, a phone number, a handle), or null when unknown.
   */
  customer: string | null;
  data: AttachedData;
  /**
   * When the conversation first reached the ACD.
   */
  arrived_at: string;
  /**
   * When the conversation entered its current queue: its wait runs from here.
   */
  entered_queue_at: string;
  /**
   * offered only: when the offer ends unanswered.
   */
  offer_deadline?: string;
  /**
   * wrap_up only: when the agent's wrap-up of this conversation ends by itself.
   */
  wrap_up_deadline?: string;
  /**
   * In an agent's snapshot only: the conversation's messages, oldest first.
   *
   * @maxItems 1000
   */
  transcript?: MessageItem[];
};

/**
 * Attached data from the PBX or IVR: string keys to string values (account number, language, menu choice).
 */
export interface AttachedData {
  [k: string]: string;
}
/**
 * One message of a conversation's transcript. `agent` is present exactly when `from` is `agent`.
 */
export interface MessageItem {
  /**
   * The message's place in the transcript, counting from 0 in the conversation.
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
