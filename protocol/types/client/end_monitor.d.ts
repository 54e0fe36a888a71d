/* Generated from protocol/schemas/client/end_monitor.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: leave the agent's call it joined with monitor. Not on it: not_monitoring; the agent not on a call (it ended, which ended the monitoring too): agent_not_on_call. Audited.
 */
export interface EndMonitor {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "end_monitor";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
}
