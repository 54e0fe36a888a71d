/* Generated from protocol/schemas/client/set_ticker.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: the message every wallboard of the tenant shows along its bottom ("Billing system down, tell callers we call back"), replacing the one shown; an empty or all-blank text clears it. Blanks around the text are not kept. At most 280 characters (not bytes), one line: no newlines, tabs or other control characters; either broken: bad_ticker, and the message shown stays. Every wallboard and supervisor of the tenant gets ticker; the action is audited.
 */
export interface SetTicker {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "set_ticker";
  /**
   * The message, or "" to clear it.
   */
  text: string;
}
