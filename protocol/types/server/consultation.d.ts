/* Generated from protocol/schemas/server/consultation.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * A consultation on agent's call with the agent with: it rings there (status ringing, until ring_deadline, with the caller's details so the consulted agent sees the call), the two agents talk while the caller is on hold (talking), all three talk (conference), or it ended (status ended, and why in reason). To both agents' sessions, to telephony (place the consultation call from agent to with, bridge a conference, hand the caller over) and to every supervisor; in their snapshots while it goes on, with the caller's details.
 */
export type Consultation = {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "consultation";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * The consulting agent: the call's own.
   */
  agent: string;
  /**
   * The consulted agent.
   */
  with: string;
  /**
   * The call's queue.
   */
  queue: string;
  status: "ringing" | "talking" | "conference" | "ended";
  /**
   * Only while ringing: when it stops ringing unanswered (ended, reason ring_no_answer).
   */
  ring_deadline?: string;
  /**
   * Only when ended: the consulting agent went back to the caller (cancelled), the consulted agent rejected it (rejected), nobody answered it in time or its phone could not ring (ring_no_answer), the consulted agent hung up (left), the caller is the consulted agent's now (transferred: call_transferred and call_connected follow), or the call ended (call_ended).
   */
  reason?: "cancelled" | "rejected" | "ring_no_answer" | "left" | "transferred" | "call_ended";
  /**
   * While ringing and in snapshots, with dialled and data: the caller's number.
   */
  caller?: string | null;
  /**
   * A telephone number as the PBX gave it, or null when unknown.
   */
  dialled?: string | null;
  data?: AttachedData;
};

/**
 * Attached data from the PBX or IVR: string keys to string values (account number, language, menu choice).
 */
export interface AttachedData {
  [k: string]: string;
}
