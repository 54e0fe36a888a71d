/* Generated from protocol/schemas/client/revoke_display.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Supervisor: revoke a display: its token signs in no more (display_revoked), and its open sessions end at once with close code 4010. No such display: unknown_display. Audited.
 */
export interface RevokeDisplay {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "revoke_display";
  /**
   * The display's name.
   */
  name: string;
}
