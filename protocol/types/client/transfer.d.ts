/* Generated from protocol/schemas/client/transfer.json by json-schema-to-typescript. Do not edit: change the schema and run
 * ACDHUB_WRITE_TYPES=1 node --test protocol-kit.test.mjs in tests/browser. */

/**
 * Agent: hand the connected call to a queue or straight to a ready agent (exactly one of the two); the transferring agent goes to wrap-up.
 */
export type Transfer = {
  /**
   * The client's id for one command, echoed in its `ack` or `error`. 1 to 64 characters; unique per session is the client's business (a counter or a UUID).
   */
  id: string;
  type: "transfer";
  /**
   * A call's id as the PBX knows it (Asterisk's uniqueid, a UUID): 1 to 128 characters, unique while the call lives.
   */
  call: string;
  /**
   * A queue of the tenant, such as `support`.
   */
  queue?: string;
  /**
   * An agent of the tenant, such as `agent1`.
   */
  agent?: string;
} & {
  [k: string]: unknown;
};
