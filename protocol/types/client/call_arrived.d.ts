/* Generated from protocol/schemas/client/call_arrived.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Telephony: a call reached a queue. The ACD offers it to an agent (an `offer` event) when one is free.
 */
export interface CallArrived {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "call_arrived";
  /**
   * The PBX's id of the call.
   */
  call: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  /**
   * A call's priority, 0 to 255: higher is served first; equal priorities in arrival order.
   */
  priority?: number;
  /**
   * The caller's number (CLI/ANI); leave out when unknown.
   */
  caller?: string;
  /**
   * The number the caller dialled (DNIS); leave out when unknown.
   */
  dialled?: string;
  data?: AttachedData;
  /**
   * When the caller began waiting for an agent, where that was before this message (the call queued in the PBX while acdhub could not be reached, or waited across an acdhub restart): the call takes its place in the queue by this time and its wait, escalation steps, maximum wait and service level count from it. Up to 5 s after the server's clock is taken as now; later than that, or more than 24 hours before it, is refused with bad_arrival. Leave out for now.
   */
  arrived_at?: string;
}
/**
 * Attached data from the PBX or IVR: string keys to string values (account number, language, menu choice).
 */
export interface AttachedData {
  [k: string]: string;
}
