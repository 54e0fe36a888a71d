/* Generated from protocol/schemas/client/agents_today.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: a page of the tenant's agents, in the tenant's order, each with its day so far (calls handled, average handle time, time in each state, occupancy), in the ack's result. after: start after this agent (the previous page's next); limit: 1 to 500, default 100. A read: nothing changes.
 */
export interface AgentsToday {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "agents_today";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  after?: string;
  limit?: number;
}
