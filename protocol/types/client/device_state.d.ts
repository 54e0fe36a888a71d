/* Generated from protocol/schemas/client/device_state.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Telephony: the agent's phone as the PBX sees it. A ready agent whose phone is in_use or unregistered is offered no calls (conversations still) until it is reported available; an agent whose phone was never reported is taken as available. The agent's sessions and supervisors see it in agent_state's device.
 */
export interface DeviceState {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "device_state";
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
  /**
   * An agent's phone as the PBX sees it: available (registered and idle), in_use (on a call the ACD did not offer: a private or outbound call), unregistered (not registered or unreachable).
   */
  device: "available" | "in_use" | "unregistered";
}
