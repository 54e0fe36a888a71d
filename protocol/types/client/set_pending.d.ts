/* Generated from protocol/schemas/client/set_pending.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: set the state a busy agent (ringing, on a call or in wrap-up) goes to when its call and wrap-up end; the call goes on. `reason` is required with not_ready and not allowed with logged_out.
 */
export interface SetPending {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "set_pending";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  state: "not_ready" | "logged_out";
  /**
   * A not-ready reason: one of the tenant's (`break`, `lunch`, ...) or the system's own `login`, `no_answer` and `disconnected`.
   */
  reason?: string;
}
