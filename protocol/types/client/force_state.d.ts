/* Generated from protocol/schemas/client/force_state.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: set an agent's state as if the agent had asked; a busy agent gets it as its pending state. `reason` is required with not_ready and not allowed otherwise.
 */
export interface ForceState {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "force_state";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  state: "ready" | "not_ready" | "logged_out";
  /**
   * A not-ready reason: one of the tenant's (`break`, `lunch`, ...) or the system's own `login`, `no_answer` and `disconnected`.
   */
  reason?: string;
}
