/* Generated from protocol/schemas/client/extend_wrap_up.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: push the wrap-up's end back by `secs`: 1 to the tenant's max_wrap_up_extension_secs (300 in the demo); anything else is refused with `bad_extension`.
 */
export interface ExtendWrapUp {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "extend_wrap_up";
  secs: number;
}
