/* Generated from protocol/schemas/client/seen.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Any role: the client has every event of its session up to `seq`, so the server need not keep them for a resume. Answered with an ack; a `seq` past the session's last event is refused with `bad_message`.
 */
export interface Seen {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "seen";
  seq: number;
}
