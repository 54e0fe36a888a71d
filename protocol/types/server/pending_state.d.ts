/* Generated from protocol/schemas/server/pending_state.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The state an agent goes to after its call was set, or cleared (null), including when it was applied.
 */
export interface PendingState {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "pending_state";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  pending:
    | (
        | {
            state: "not_ready";
            /**
             * A not-ready reason: one of the tenant's (`break`, `lunch`, ...) or the system's own `login`, `no_answer` and `disconnected`.
             */
            reason: string;
          }
        | {
            state: "logged_out";
          }
      )
    | null;
  /**
   * The supervisor (user) who set or cleared it; absent when the agent or the ACD did.
   */
  by?: string;
}
