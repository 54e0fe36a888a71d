/* Generated from protocol/schemas/server/offer.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Ring: to the agent (show the offer) and to telephony (ring the agent's device).
 */
export interface Offer {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "offer";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * A call's priority, 0 to 255: higher is served first; equal priorities in arrival order.
   */
  priority: number;
  /**
   * A telephone number as the PBX gave it, or null when unknown.
   */
  caller: string | null;
  /**
   * A telephone number as the PBX gave it, or null when unknown.
   */
  dialled: string | null;
  data: AttachedData;
  /**
   * When the offer stops ringing unanswered (ring-no-answer).
   */
  ring_deadline: string;
}
/**
 * Attached data from the PBX or IVR: string keys to string values (account number, language, menu choice).
 */
export interface AttachedData {
  [k: string]: string;
}
