/* Generated from protocol/schemas/client/create_display.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: make a display, a kiosk wallboard that signs in with a token of its own instead of a wallboard user's password. name: 1 to 64 ASCII letters, digits, -, _ or . (bad_display_name), unique in the tenant (duplicate_display); at most 100 displays (too_many_displays). The ack's result has the token, shown this once. Audited.
 */
export interface CreateDisplay {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "create_display";
  /**
   * The display's name, such as lobby-tv.
   */
  name: string;
}
