/* Generated from protocol/schemas/server/queue_waiting.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * How much work waits in one lane of one of the agent's queues (its calls, or its conversations of one channel), and since when the oldest has waited.
 */
export interface QueueWaiting {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "queue_waiting";
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * Which lane of the queue: voice (its calls), or a messaging channel (its conversations of that channel). A queue serving several channels has one count per channel.
   */
  channel: "voice" | string;
  waiting: number;
  /**
   * When the longest-waiting call entered the queue; null when none waits.
   */
  oldest_waiting_since: string | null;
}
