/* Generated from protocol/schemas/client/conference.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: bring the caller into the answered consultation: all three talk (caller off hold). Only where the tenant's connector carries conferences out (AuthResult telephony.conference; not_supported otherwise). Already a conference: nothing changes.
 */
export interface Conference {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "conference";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
}
