/* Generated from protocol/schemas/server/call_state.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Where a call is now (supervisors).
 */
export type CallState = {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "call_state";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue: string;
  status: "waiting" | "ringing" | "connected";
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
  /**
   * When the call first reached the ACD.
   */
  arrived_at: string;
  /**
   * When the call entered its current queue: its wait runs from here.
   */
  entered_queue_at: string;
  /**
   * ringing and connected only: at which agent.
   */
  agent?: string;
  /**
   * connected only.
   */
  on_hold?: boolean;
  /**
   * Present when the call changed queue in this update: why (its maximum wait, an escalation step, or a supervisor moved it).
   */
  reason?: "max_wait" | "escalation" | "moved";
  /**
   * A queue of the tenant, such as `support`.
   */
  from_queue?: string;
  /**
   * The supervisor (user) whose action (set_call_priority, move_call) made this change.
   */
  by?: string;
};
