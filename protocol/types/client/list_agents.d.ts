/* Generated from protocol/schemas/client/list_agents.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent or supervisor: a page of the tenant's agents in the tenant's order, with each one's state now. The ack's result is an agent page; its `next`, when present, is the `after` of the next page.
 */
export interface ListAgents {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "list_agents";
  /**
   * Only agents with a skill in this queue.
   */
  queue?: string;
  /**
   * Start after this agent (the previous page's `next`); left out, from the first.
   */
  after?: string;
  /**
   * The most agents in the page. Default 100.
   */
  limit?: number;
}
