/* Generated from protocol/schemas/client/what_if.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor, or wallboard without the optional fields: the staffing what-if for a queue's calls, Erlang C or Erlang A from its rolling window. Each optional field supposes a value instead of the queue's own; the ack's result is a staffing answer (ack.json).
 */
export interface WhatIf {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "what_if";
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * Agents working the queue, instead of those logged in and not in not ready now.
   */
  agents?: number;
  /**
   * Arriving calls per hour, instead of the window's.
   */
  calls_per_hour?: number;
  /**
   * Average handle time, instead of the window's.
   */
  aht_secs?: number;
  /**
   * Callers' mean patience (exponential), instead of the one estimated from the window's abandons: the answer is then Erlang A.
   */
  patience_secs?: number;
}
