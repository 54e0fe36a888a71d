/* Generated from protocol/schemas/server/monitoring.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * A supervisor on an agent's call: it joined (monitor) or changed how it is on it (mode), or left it (mode null, and why in ended: the supervisor ended it, or the call left the agent). To telephony (bridge the supervisor's phone in, or out), to every supervisor, and to the agent's own sessions (the agent is told who is on its call).
 */
export interface Monitoring {
  /**
   * The event's number in this session: 1 for the first event, then +1 for each. A gap means events were lost.
   */
  seq: number;
  type: "monitoring";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * The supervisor's user name, as it signed in.
   */
  supervisor: string;
  mode: "listen" | "whisper" | "barge" | null;
  /**
   * Only when mode is null: why the supervisor left the call.
   */
  ended?: "ended" | "call_left";
}
