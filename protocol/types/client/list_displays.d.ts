/* Generated from protocol/schemas/client/list_displays.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: the tenant's displays, with who made each and when (never their tokens). A read: not audited.
 */
export interface ListDisplays {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "list_displays";
}
