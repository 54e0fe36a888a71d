/* Generated from protocol/schemas/client/set_disposition.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: the disposition code and notes for the call it is on or wrapping up, replacing what it gave before (leave `disposition` out for none, `notes` out for none). The code is one of the call's queue's `dispositions` in the AuthResult (`unknown_disposition` otherwise); notes hold at most 2,000 characters (`notes_too_long`). Neither on that call nor wrapping it up: `not_handling`.
 */
export interface SetDisposition {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "set_disposition";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * An id from the tenant's configuration (queue, agent, not-ready reason, tenant, user): 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
   */
  disposition?: string;
  notes?: string;
}
