/* Generated from protocol/schemas/client/call_answered.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Telephony: the agent's device answered the offered call; it connects the call.
 */
export interface CallAnswered {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "call_answered";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
}
