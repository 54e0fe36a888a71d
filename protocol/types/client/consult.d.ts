/* Generated from protocol/schemas/client/consult.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: ask another agent to consult on the connected call (a warm transfer's first step): the caller goes on hold and the consultation rings at agent, who must be ready (agent_not_available otherwise). Only where the tenant's telephony connector carries consultations out (AuthResult telephony.consult; not_supported otherwise). A consultation going on already: consult_in_progress.
 */
export interface Consult {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "consult";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent: string;
}
