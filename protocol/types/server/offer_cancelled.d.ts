/* Generated from protocol/schemas/server/offer_cancelled.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Stop ringing: the offer ended without being answered.
 */
export interface OfferCancelled {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "offer_cancelled";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  reason: "rejected" | "ring_no_answer" | "caller_hung_up";
}
