/* Generated from protocol/schemas/server/call_connected.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * The caller is connected to the agent.
 */
export interface CallConnected {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "call_connected";
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
   * In a snapshot only, with dialled and data: the caller's number as the offer had it.
   */
  caller?: string | null;
  /**
   * In a snapshot only: the number dialled.
   */
  dialled?: string | null;
  data?: AttachedData;
}
/**
 * In a snapshot only: the attached data.
 */
export interface AttachedData {
  [k: string]: string;
}
