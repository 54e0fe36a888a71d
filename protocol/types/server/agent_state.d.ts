/* Generated from protocol/schemas/server/agent_state.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * An agent's state: on every change, and as the first thing a session learns of an agent (a snapshot, without `previous`).
 */
export type AgentState = {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "agent_state";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  /**
   * What an agent is doing.
   */
  state: "logged_out" | "not_ready" | "ready" | "ringing" | "on_call" | "wrap_up";
  /**
   * When the agent entered this state (hold and resume do not restart it).
   */
  since: string;
  /**
   * What an agent is doing.
   */
  previous?: "logged_out" | "not_ready" | "ready" | "ringing" | "on_call" | "wrap_up";
  /**
   * not_ready only: why.
   */
  reason?: string;
  /**
   * ringing, on_call and wrap_up only: which call.
   */
  call?: string;
  /**
   * on_call only: whether the caller is on hold.
   */
  on_hold?: boolean;
  /**
   * on_call, while the caller is on hold: when the hold began.
   */
  held_since?: string;
  /**
   * on_call only: the call's finished holds, in seconds (to the millisecond). Talk time is now - since - held_secs - (now - held_since while on hold).
   */
  held_secs?: number;
  /**
   * wrap_up only: when the wrap-up ends by itself.
   */
  wrap_up_deadline?: string;
  /**
   * The supervisor (user) whose action made this change; absent when the agent or the ACD made it.
   */
  by?: string;
  /**
   * In a supervisor's snapshot only: the agent's queues, in the order of the tenant's queues.
   *
   * Items: A queue of the tenant, such as `support`.
   */
  queues?: string[];
  /**
   * The agent's phone as the telephony connector last reported it (device_state); absent until one was reported. Only an available phone is offered calls.
   */
  device?: "available" | "in_use" | "unregistered";
};
