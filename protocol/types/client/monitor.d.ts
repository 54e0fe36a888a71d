/* Generated from protocol/schemas/client/monitor.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: join the agent's call, or change how it is on it: listen (silent monitoring), whisper (only the agent hears the supervisor) or barge (a three-way call). The telephony connector bridges the supervisor's phone in; the action is audited. The agent not on a call: agent_not_on_call; four supervisors on it already: too_many_monitors.
 */
export interface Monitor {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "monitor";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  mode: "listen" | "whisper" | "barge";
}
