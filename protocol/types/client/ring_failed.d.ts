/* Generated from protocol/schemas/client/ring_failed.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Telephony: the offered call could not ring at the agent's device. The offer ends at once as a ring-no-answer (offer_cancelled, reason ring_no_answer) instead of ringing its whole timeout out; the call goes back to the head of its queue.
 */
export interface RingFailed {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "ring_failed";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * busy: the device is on a call of its own; unregistered: the device is not registered or cannot be reached; rejected: the device refused the call (do not disturb, declined on the phone). Logged by the server; every reason ends the offer alike.
   */
  reason: "busy" | "unregistered" | "rejected";
}
