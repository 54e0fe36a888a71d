/* Generated from protocol/schemas/client/clear_pending.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Drop an agent's pending state, so the agent becomes ready after the call. An agent leaves `agent` out (or names itself); a supervisor names the agent.
 */
export interface ClearPending {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "clear_pending";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent?: string;
}
