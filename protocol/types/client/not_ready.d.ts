/* Generated from protocol/schemas/client/not_ready.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: become not ready with a reason. While ringing, on a call or in wrap-up it sets the pending state instead.
 */
export interface NotReady {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "not_ready";
  /**
   * A not-ready reason: one of the tenant's (`break`, `lunch`, ...) or the system's own `login`, `no_answer` and `disconnected`.
   */
  reason: string;
}
