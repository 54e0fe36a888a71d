/* Generated from protocol/schemas/client/complete_transfer.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: hand the caller to the agent it consults, who answered (consult_not_answered while it rings); this agent goes to wrap-up. Also leaves a conference, the other agent keeping the caller. No consultation: not_consulting.
 */
export interface CompleteTransfer {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "complete_transfer";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
}
